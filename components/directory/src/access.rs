//! Who is calling and where they may act, always through `wenming:platform/identity`: this
//! component never reads roles to decide a permission itself, so the permission table has one
//! owner.

use std::cell::OnceCell;

use kit::{ApiError, Db, Row};
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Error, Principal, Role};

/// A signed-in caller: the principal identity resolved from the bearer token.
pub struct Caller {
    pub principal: Principal,
    pub token: String,
    // Most handlers ask "may they see it?" more than once; one call to identity per request.
    readable: OnceCell<Scope>,
}

/// Resolves the bearer token; a missing, expired or revoked one is a 401.
pub fn authenticate(req: &Request) -> Result<Caller, ApiError> {
    let token = kit::bearer(req)
        .ok_or_else(|| ApiError::Unauthenticated("sign in first: Authorization: Bearer <token>".into()))?;
    let principal = identity::authenticate(&token).map_err(identity_error)?;
    Ok(Caller { principal, token, readable: OnceCell::new() })
}

/// Maps identity's errors onto the one error shape and its statuses.
pub fn identity_error(e: Error) -> ApiError {
    match e {
        Error::Unauthenticated(message) => ApiError::Unauthenticated(message),
        Error::Locked(seconds) => ApiError::Throttled {
            retry_after: seconds.max(1),
            message: "too many failed sign-ins; this account is locked for a while".into(),
        },
        Error::Throttled(seconds) => ApiError::Throttled {
            retry_after: seconds.max(1),
            message: "too many codes requested; wait before asking again".into(),
        },
        Error::Forbidden(message) => ApiError::Forbidden(message),
        Error::Invalid((field, message)) => ApiError::Invalid { field, message },
        Error::Storage(message) => ApiError::Internal(format!("identity: {message}")),
    }
}

impl Caller {
    pub fn account_id(&self) -> i64 {
        self.principal.account_id
    }

    /// Where the caller may do `action`, as identity says.
    pub fn scope(&self, action: Action) -> Scope {
        Scope::new(identity::scopes(&self.principal, action))
    }

    /// What the caller may see of the directory (org tree, departments).
    pub fn readable(&self) -> &Scope {
        self.readable.get_or_init(|| self.scope(Action::ReadDirectory))
    }

    /// Where the caller may do `action`; 403 when their roles allow it nowhere.
    pub fn scope_or_forbidden(&self, action: Action) -> Result<Scope, ApiError> {
        let scope = self.scope(action);
        if scope.is_empty() {
            return Err(ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action))));
        }
        Ok(scope)
    }

    /// Whether the caller may do `action` at `path`, for when the answer is not simply 403/404.
    pub fn may(&self, action: Action, path: &str) -> Result<bool, ApiError> {
        match identity::authorize(&self.principal, action, path) {
            Ok(()) => Ok(true),
            Err(Error::Forbidden(_)) => Ok(false),
            Err(e) => Err(identity_error(e)),
        }
    }

    /// May the caller do `action` on the resource (a `what`) at `path`? A resource they cannot see
    /// at all is a 404, so its existence is not revealed; one they can see but not act on is a 403.
    pub fn require(&self, action: Action, path: &str, what: &str) -> Result<(), ApiError> {
        match identity::authorize(&self.principal, action, path) {
            Ok(()) => Ok(()),
            Err(Error::Forbidden(message)) => {
                if self.readable().contains(path) {
                    Err(ApiError::Forbidden(message))
                } else {
                    Err(not_found(what))
                }
            }
            Err(e) => Err(identity_error(e)),
        }
    }
}

/// The 404 for something unknown or invisible: the same words either way.
pub fn not_found(what: &str) -> ApiError {
    ApiError::NotFound(format!("no such {what}"))
}

/// A set of org subtrees, kept as their outermost roots so the ranges never overlap (no row is
/// listed twice) and stay few.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    roots: Vec<String>,
}

impl Scope {
    pub fn new(paths: Vec<String>) -> Scope {
        let mut paths: Vec<String> =
            paths.into_iter().map(|p| if p.ends_with('/') { p } else { format!("{p}/") }).collect();
        // Sorted, an ancestor comes before its descendants, so one pass keeps only the roots.
        paths.sort();
        paths.dedup();
        let mut roots: Vec<String> = Vec::new();
        for path in paths {
            if !roots.iter().any(|r| path.starts_with(r.as_str())) {
                roots.push(path);
            }
        }
        Scope { roots }
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// Whether the org at `path` lies in one of the subtrees.
    pub fn contains(&self, path: &str) -> bool {
        self.roots.iter().any(|r| path.starts_with(r.as_str()))
    }

    /// A WHERE condition keeping rows whose `column` (a materialised path) lies in the scope. The
    /// bounds are inlined: paths are only digits and slashes (checked), and a condition without
    /// parameters can be dropped into any query. An empty scope matches nothing.
    pub fn condition(&self, column: &str) -> Result<String, ApiError> {
        if self.roots.is_empty() {
            return Ok("0".into());
        }
        let ranges = self.roots.iter().map(|root| range(root, column)).collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", ranges.join(" OR ")))
    }

    /// Whether the scope selects at least [`LARGE`] rows of `from` by its path `column`: counted
    /// on the index and cut off there, so asking is cheap however large the table is.
    pub fn is_large(&self, db: &Db, from: &str, column: &str) -> Result<bool, ApiError> {
        let mut seen = 0;
        for root in &self.roots {
            let row = db.query_one(
                &format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {from} WHERE {} LIMIT ?)", range(root, column)?),
                &[Value::Integer(LARGE - seen)],
            )?;
            seen += row.map_or(Ok(0), |r| r.i64("n"))?;
            if seen >= LARGE {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One keyset page (rows with an `id` column, in id order, at most `limit`) of a list whose
    /// rows are scoped by the path `column` of `from`. `query` gets the scope condition and
    /// returns the SQL, which binds `params` and ends `ORDER BY <id> LIMIT ?`.
    ///
    /// SQLite answers a subtree alone from the path index but must then sort it by id, and
    /// answers an OR of subtrees by walking every row in id order. So: a small scope is one
    /// indexed range query per subtree, merged here; a large one walks ids with the path index
    /// switched off (`+column`), stopping as soon as the page is full.
    pub fn page(
        &self,
        db: &Db,
        from: &str,
        column: &str,
        limit: i64,
        params: &[Value],
        query: impl Fn(&str) -> String,
    ) -> Result<Vec<Row>, ApiError> {
        if self.roots.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_large(db, from, column)? {
            return db.query(&query(&self.condition(&format!("+{column}"))?), params);
        }
        let mut rows = Vec::new();
        for root in &self.roots {
            rows.extend(db.query(&query(&range(root, column)?), params)?);
        }
        if self.roots.len() > 1 {
            let mut keyed = rows.into_iter().map(|r| Ok((r.i64("id")?, r))).collect::<Result<Vec<_>, ApiError>>()?;
            keyed.sort_by_key(|(id, _)| *id);
            rows = keyed.into_iter().map(|(_, r)| r).collect();
            rows.truncate(usize::try_from(limit).unwrap_or(0));
        }
        Ok(rows)
    }
}

/// Rows a scope may select before a list walks ids instead of sorting the scope's ranges.
pub const LARGE: i64 = 2000;

fn range(root: &str, column: &str) -> Result<String, ApiError> {
    if !(root.starts_with('/') && root.bytes().all(|b| b == b'/' || b.is_ascii_digit())) {
        return Err(ApiError::Internal(format!("not a materialised path: {root:?}")));
    }
    let (lo, hi) = kit::subtree_bounds(root);
    Ok(format!("({column} >= '{lo}' AND {column} < '{hi}')"))
}

pub const ROLES: [Role; 8] = [
    Role::CentreAdmin,
    Role::InstituteAdmin,
    Role::StationAdmin,
    Role::TeamLeader,
    Role::Volunteer,
    Role::Citizen,
    Role::DepartmentHandler,
    Role::Auditor,
];

/// The role's name as the API and the database spell it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::CentreAdmin => "centre-admin",
        Role::InstituteAdmin => "institute-admin",
        Role::StationAdmin => "station-admin",
        Role::TeamLeader => "team-leader",
        Role::Volunteer => "volunteer",
        Role::Citizen => "citizen",
        Role::DepartmentHandler => "department-handler",
        Role::Auditor => "auditor",
    }
}

pub fn parse_role(name: &str) -> Option<Role> {
    ROLES.into_iter().find(|r| role_name(*r) == name)
}

/// A principal's roles as the API shows them.
pub fn roles_json(principal: &Principal) -> serde_json::Value {
    principal
        .grants
        .iter()
        .map(|g| serde_json::json!({ "role": role_name(g.role), "org_id": g.org_id, "org_path": g.org_path }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_keep_outermost_roots() {
        let s = Scope::new(vec!["/1/4/17/".into(), "/1/4/".into(), "/1/40/".into(), "/1/4/".into()]);
        assert_eq!(s.roots(), ["/1/4/", "/1/40/"]);
        assert!(s.contains("/1/4/17/9/"));
        assert!(!s.contains("/1/5/"));
        assert_eq!(
            s.condition("path").unwrap(),
            "((path >= '/1/4/' AND path < '/1/40') OR (path >= '/1/40/' AND path < '/1/400'))"
        );
        assert!(Scope::new(vec!["/1/'--/".into()]).condition("path").is_err());
        assert_eq!(Scope::default().condition("path").unwrap(), "0");
    }
}
