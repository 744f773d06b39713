//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there: `manage-evaluations` for centre and institute admins,
//! `read-evaluations` for centre, institute and station admins and auditors). Something outside
//! the caller's scope is **404**; an action the caller's roles allow nowhere is **403**.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

// `authenticate`, `identity_error` and `allowed`: the adapter every step component shares.
kit::identity_adapter!();

/// `Ok` when `p` may `action` at `org_path`; else 403 when the roles allow it nowhere, 404 when
/// only this place is out of reach.
pub fn gate(p: &Principal, action: Action, org_path: &str, what: &str) -> Result<(), ApiError> {
    if allowed(p, action, org_path)? {
        return Ok(());
    }
    if identity::scopes(p, action).is_empty() {
        Err(ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action))))
    } else {
        Err(ApiError::NotFound(format!("no such {what}")))
    }
}

/// `((col >= ? AND col < ?) OR ...)` over `p`'s scopes for `action`, pushing the bounds onto
/// `params`; `None` when the roles allow `action` nowhere.
pub fn scope_sql(p: &Principal, action: Action, column: &str, params: &mut Vec<Value>) -> Option<String> {
    let scopes = identity::scopes(p, action);
    if scopes.is_empty() {
        return None;
    }
    let parts: Vec<String> = scopes
        .iter()
        .map(|s| {
            let (lo, hi) = kit::subtree_bounds(s);
            params.push(Value::Text(lo));
            params.push(Value::Text(hi));
            format!("({column} >= ? AND {column} < ?)")
        })
        .collect();
    Some(format!("({})", parts.join(" OR ")))
}

/// Whether `p` holds manage-evaluations strictly above `org_path` (an ancestor of the org, never
/// the org itself: nobody evaluates their own institute or station).
pub fn evaluates_from_above(p: &Principal, org_path: &str) -> bool {
    identity::scopes(p, Action::ManageEvaluations).iter().any(|s| org_path.starts_with(s.as_str()) && org_path != s)
}

/// An org as the evaluation rules need it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub path: String,
    pub active: bool,
}

impl Org {
    /// The org `id`, if it exists.
    pub fn load(db: &Db, id: i64) -> Result<Option<Org>, ApiError> {
        let row = db.query_one("SELECT id, name, level, path, active FROM orgs WHERE id = ?", &[Value::Integer(id)])?;
        row.map(|r| {
            Ok(Org {
                id: r.i64("id")?,
                name: r.str("name")?,
                level: r.str("level")?,
                path: r.str("path")?,
                active: r.i64("active")? == 1,
            })
        })
        .transpose()
    }

    /// `{"id", "name", "level", "path"}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({"id": self.id, "name": self.name, "level": self.level, "path": self.path})
    }
}
