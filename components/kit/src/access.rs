//! Who is calling and what they may do where, through `wenming:identity/identity` (the
//! permission table lives in the identity component, never here), in the one vocabulary every
//! step uses:
//!
//! - [`authenticate`] (401 without a valid session) and [`optional`] (a principal only when a
//!   token is sent);
//! - [`allowed`], and the one refusal for something addressed by URL: [`deny`]/[`gate`] answer
//!   **404** outside the caller's scope (its existence is not revealed) and **403** when the
//!   caller's roles allow the action nowhere;
//! - [`Scope`]: where a caller may do an action, as the outermost subtree roots, turned into SQL
//!   with bound parameters by [`Scope::condition`]. An empty scope means "nowhere" and matches
//!   no row; [`Scope::required`] turns it into the 403 instead.
//!
//! Identity works on the request's connection ([`Db::open`]), so authenticating costs no
//! second connection and may happen inside a transaction.

use bindings::identity::{self, Action, Principal};
use domain::{OrgPath, Role};
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

use crate::{ApiError, Db};

/// The signed-in principal behind the request's bearer token or session cookie
/// ([`crate::session`]): 401 without one, or when the session is missing, expired or revoked;
/// 403 when a cookie-carried unsafe request lacks its CSRF token.
pub fn authenticate(req: &Request) -> Result<Principal, ApiError> {
    let credential = crate::session::credential(req).ok_or_else(|| {
        ApiError::Unauthenticated(
            "sign in first: send Authorization: Bearer <token> or the console's session cookie".into(),
        )
    })?;
    let db = Db::open()?;
    let principal = identity::authenticate(db.connection(), credential.token()).map_err(identity_error)?;
    // After the session is known to be valid, so a stale cookie is a 401 (sign in again), not
    // a CSRF refusal.
    crate::session::check_csrf(req, &credential)?;
    Ok(principal)
}

/// The principal when the request sends a session (bearer token or cookie; then it must be
/// valid), `None` for an anonymous request — for routes that answer the public and show more to
/// staff.
pub fn optional(req: &Request) -> Result<Option<Principal>, ApiError> {
    if crate::session::credential(req).is_none() {
        return Ok(None);
    }
    authenticate(req).map(Some)
}

/// Identity's errors in the one error shape, with their statuses.
pub fn identity_error(e: identity::Error) -> ApiError {
    use identity::Error;
    match e {
        Error::Unauthenticated(message) => ApiError::Unauthenticated(message),
        Error::Locked(seconds) => ApiError::Throttled {
            retry_after: seconds.max(1),
            message: "too many failed sign-ins; this account is locked for a while".into(),
        },
        Error::Throttled(seconds) => ApiError::Throttled {
            retry_after: seconds.max(1),
            message: "too many requests; wait before asking again".into(),
        },
        Error::Busy(seconds) => ApiError::busy(seconds),
        Error::Forbidden(message) => ApiError::Forbidden(message),
        Error::Invalid((field, message)) => ApiError::Invalid { field, message },
        Error::Storage(message) => ApiError::Internal(format!("identity: {message}")),
    }
}

/// The vocabulary's role for the interface's: the cases correspond one to one and are named
/// alike, and `domain::Role` holds the names, so no component keeps a table of its own. The match
/// is exhaustive: a role added to the WIT enum fails to compile here until the domain has it.
pub fn role(role: identity::Role) -> Role {
    use identity::Role as Wit;
    match role {
        Wit::CentreAdmin => Role::CentreAdmin,
        Wit::InstituteAdmin => Role::InstituteAdmin,
        Wit::StationAdmin => Role::StationAdmin,
        Wit::TeamLeader => Role::TeamLeader,
        Wit::Volunteer => Role::Volunteer,
        Wit::Citizen => Role::Citizen,
        Wit::DepartmentHandler => Role::DepartmentHandler,
        Wit::Auditor => Role::Auditor,
    }
}

/// Whether `p` may do `action` at `org_path` (or anywhere below it); `Ok(false)` when not.
pub fn allowed(p: &Principal, action: Action, org_path: &str) -> Result<bool, ApiError> {
    match identity::authorize(p, action, org_path) {
        Ok(()) => Ok(true),
        Err(identity::Error::Forbidden(_)) => Ok(false),
        Err(e) => Err(identity_error(e)),
    }
}

/// Whether `p`'s roles allow `action` anywhere at all.
pub fn anywhere(p: &Principal, action: Action) -> bool {
    !identity::scopes(p, action).is_empty()
}

/// The 403 for an action `p`'s roles allow nowhere.
pub fn nowhere(action: Action) -> ApiError {
    ApiError::Forbidden(format!("your roles do not allow {}", crate::wit_name(&action)))
}

/// The refusal for a `what` that `p` may not `action` on: 403 when `p`'s roles allow `action`
/// nowhere, else 404 (`no such <what>`), so that what lies outside the caller's scope cannot be
/// told from what does not exist.
pub fn deny(p: &Principal, action: Action, what: &str) -> ApiError {
    deny_seen(p, action, false, what)
}

/// [`deny`] for a `what` whose visibility to `p` is known: one `p` can already see (`seen`) is
/// a 403 — hiding it would tell nothing — and so is any when `action` is allowed nowhere;
/// anything else is the 404 of [`deny`].
pub fn deny_seen(p: &Principal, action: Action, seen: bool, what: &str) -> ApiError {
    if !anywhere(p, action) {
        nowhere(action)
    } else if seen {
        ApiError::Forbidden(format!("your roles do not allow {} here", crate::wit_name(&action)))
    } else {
        ApiError::NotFound(format!("no such {what}"))
    }
}

/// `Ok` when `p` may `action` at `org_path`, else [`deny`].
pub fn gate(p: &Principal, action: Action, org_path: &str, what: &str) -> Result<(), ApiError> {
    if allowed(p, action, org_path)? {
        Ok(())
    } else {
        Err(deny(p, action, what))
    }
}

/// Where something may be done: the outermost roots of a set of org subtrees. Nested scopes
/// collapse into the outer one, so a root is never matched twice; no roots means nowhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    roots: Vec<OrgPath>,
}

/// A path as identity and `?org=` filters hand it over (`/1/4` and `/1/4/` are the same org);
/// `None` for text that is no org path, which therefore lies in no scope.
fn org_path(path: &str) -> Option<OrgPath> {
    OrgPath::parse(&format!("{}/", path.trim_end_matches('/'))).ok()
}

impl Scope {
    /// The subtrees at `paths`, reduced to the outermost.
    pub fn from_paths(paths: &[String]) -> Scope {
        Scope::from_org_paths(paths.iter().filter_map(|p| org_path(p)).collect())
    }

    fn from_org_paths(mut all: Vec<OrgPath>) -> Scope {
        all.sort();
        all.dedup();
        let mut roots: Vec<OrgPath> = Vec::new();
        for path in all {
            // Sorted, so an ancestor comes before its descendants.
            if !roots.iter().any(|root| root.contains(&path)) {
                roots.push(path);
            }
        }
        Scope { roots }
    }

    /// Where `p`'s roles allow `action` (possibly nowhere).
    pub fn of(p: &Principal, action: Action) -> Scope {
        Scope::from_paths(&identity::scopes(p, action))
    }

    /// Where `p`'s roles allow `action`; 403 when that is nowhere.
    pub fn required(p: &Principal, action: Action) -> Result<Scope, ApiError> {
        let scope = Scope::of(p, action);
        if scope.is_empty() {
            Err(nowhere(action))
        } else {
            Ok(scope)
        }
    }

    /// [`Scope::required`] narrowed to the subtree at `within` (an `?org=` filter): 404 when
    /// `within` lies outside every root.
    pub fn listing(p: &Principal, action: Action, within: Option<&str>) -> Result<Scope, ApiError> {
        let scope = Scope::required(p, action)?.within(within);
        if scope.is_empty() {
            return Err(ApiError::NotFound("no such org".into()));
        }
        Ok(scope)
    }

    /// This scope narrowed to the subtree at `within`; unchanged when `within` is `None`, and
    /// nowhere when `within` is no org path.
    pub fn within(self, within: Option<&str>) -> Scope {
        let Some(within) = within else {
            return self;
        };
        let Some(within) = org_path(within) else {
            return Scope::default();
        };
        let narrowed: Vec<OrgPath> = self
            .roots
            .into_iter()
            .filter_map(|root| {
                if root.contains(&within) {
                    Some(within.clone())
                } else if within.contains(&root) {
                    Some(root)
                } else {
                    None
                }
            })
            .collect();
        Scope::from_org_paths(narrowed)
    }

    /// Whether this is nowhere.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The outermost roots, sorted.
    pub fn roots(&self) -> &[OrgPath] {
        &self.roots
    }

    /// Whether the org at `path` lies in the scope.
    pub fn contains(&self, path: &str) -> bool {
        org_path(path).is_some_and(|path| self.roots.iter().any(|root| root.contains(&path)))
    }

    /// `((col >= ? AND col < ?) OR ...)`, one indexed range per root, pushing the bounds onto
    /// `params`; `(0)` (no row) for an empty scope. Never a recursive walk, never an inlined
    /// literal.
    pub fn condition(&self, column: &str, params: &mut Vec<Value>) -> String {
        if self.roots.is_empty() {
            return "(0)".into();
        }
        let parts: Vec<String> = self
            .roots
            .iter()
            .map(|root| {
                let (lo, hi) = root.subtree_bounds();
                params.push(Value::Text(lo));
                params.push(Value::Text(hi));
                format!("({column} >= ? AND {column} < ?)")
            })
            .collect();
        format!("({})", parts.join(" OR "))
    }

    /// Whether the scope selects at least [`Scope::LARGE`] rows of `from` by its path `column`:
    /// counted on the index and cut off there, so asking is cheap however large the table is.
    pub fn is_large(&self, db: &Db, from: &str, column: &str) -> Result<bool, ApiError> {
        let mut seen = 0;
        for root in &self.roots {
            let (lo, hi) = root.subtree_bounds();
            let row = db.query_one(
                &format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {from} WHERE {column} >= ? AND {column} < ? LIMIT ?)"
                ),
                &[Value::Text(lo), Value::Text(hi), Value::Integer(Scope::LARGE - seen)],
            )?;
            seen += row.map_or(Ok(0), |r| r.i64("n"))?;
            if seen >= Scope::LARGE {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Rows a scope may select before [`Scope::page`] walks ids instead of sorting its ranges.
    pub const LARGE: i64 = 2000;

    /// One keyset page (rows with an `id` column, in id order, at most `limit`) of a list whose
    /// rows are scoped by the path `column` of `from`. `query` gets the scope's condition and
    /// returns the SQL, which must place that condition before any other `?` (its bounds are
    /// bound first, then `params`) and end `ORDER BY <id> LIMIT ?`.
    ///
    /// SQLite answers a subtree alone from the path index but must then sort it by id, and
    /// answers an OR of subtrees by walking every row in id order. So: a small scope is one
    /// indexed range query per root, merged here; a large one walks ids with the path index
    /// switched off (`+column`), stopping as soon as the page is full. Nowhere is no rows.
    pub fn page(
        &self,
        db: &Db,
        from: &str,
        column: &str,
        limit: i64,
        params: &[Value],
        query: impl Fn(&str) -> String,
    ) -> Result<Vec<crate::Row>, ApiError> {
        if self.roots.is_empty() {
            return Ok(Vec::new());
        }
        let run = |scope: &Scope, column: &str| -> Result<Vec<crate::Row>, ApiError> {
            let mut bound = Vec::new();
            let condition = scope.condition(column, &mut bound);
            let sql = query(&condition);
            let at =
                sql.find(&condition).ok_or_else(|| ApiError::Internal("a scoped query lost its condition".into()))?;
            if sql[..at].contains('?') {
                return Err(ApiError::Internal("a scoped query must bind its scope first".into()));
            }
            bound.extend_from_slice(params);
            db.query(&sql, &bound)
        };
        if self.is_large(db, from, column)? {
            return run(self, &format!("+{column}"));
        }
        let mut rows = Vec::new();
        for root in &self.roots {
            rows.extend(run(&Scope { roots: vec![root.clone()] }, column)?);
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

/// A principal's roles as the API shows them: `[{"role", "org_id", "org_path"}]`.
pub fn roles_json(principal: &Principal) -> serde_json::Value {
    principal
        .grants
        .iter()
        .map(|g| serde_json::json!({ "role": role(g.role).as_str(), "org_id": g.org_id, "org_path": g.org_path }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn p(v: &[&str]) -> Vec<OrgPath> {
        v.iter().map(|x| OrgPath::parse(x).unwrap()).collect()
    }

    #[test]
    fn wit_roles_are_the_domain_roles_of_the_same_name() {
        use identity::Role as Wit;
        for wit in [
            Wit::CentreAdmin,
            Wit::InstituteAdmin,
            Wit::StationAdmin,
            Wit::TeamLeader,
            Wit::Volunteer,
            Wit::Citizen,
            Wit::DepartmentHandler,
            Wit::Auditor,
        ] {
            assert_eq!(role(wit).as_str(), crate::wit_name(&wit));
        }
    }

    #[test]
    fn nested_scopes_collapse_into_the_outermost() {
        let scope = Scope::from_paths(&s(&["/1/4/17/", "/1/4/", "/1/5", "not a path"]));
        assert_eq!(scope.roots(), &p(&["/1/4/", "/1/5/"])[..]);
        // A sibling whose id shares a prefix is not nested.
        assert_eq!(Scope::from_paths(&s(&["/1/4/", "/1/40/"])).roots().len(), 2);
        assert!(scope.contains("/1/4/17/203/") && scope.contains("/1/5"));
        assert!(!scope.contains("/1/40/") && !scope.contains("/1/"));
    }

    #[test]
    fn a_filter_narrows_or_empties() {
        let scope = Scope::from_paths(&s(&["/1/4/", "/1/5/9/"]));
        assert_eq!(scope.clone().within(Some("/1/4/17/")).roots(), &p(&["/1/4/17/"])[..]);
        // Filtering at an ancestor keeps the caller's own roots only.
        assert_eq!(scope.clone().within(Some("/1/")).roots(), &p(&["/1/4/", "/1/5/9/"])[..]);
        assert!(scope.clone().within(Some("/1/x/")).is_empty());
        assert!(scope.clone().within(Some("/1/6/")).is_empty());
        assert!(scope.clone().within(Some("/1/40/")).is_empty());
        assert_eq!(scope.clone().within(None), scope);
    }

    #[test]
    fn conditions_bind_every_bound_and_nowhere_matches_nothing() {
        let mut params = Vec::new();
        assert_eq!(Scope::default().condition("o.path", &mut params), "(0)");
        assert!(params.is_empty());
        let sql = Scope::from_paths(&s(&["/1/4/", "/1/5/"])).condition("o.path", &mut params);
        assert_eq!(sql, "((o.path >= ? AND o.path < ?) OR (o.path >= ? AND o.path < ?))");
        assert_eq!(params.len(), 4);
        assert!(matches!(&params[1], Value::Text(hi) if hi == "/1/40"));
    }
}
