//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there: `manage-evaluations` for centre and institute admins,
//! `read-evaluations` for centre, institute and station admins and auditors). Something outside
//! the caller's scope is **404**; an action the caller's roles allow nowhere is **403**.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

// `authenticate`, `identity_error` and `allowed`: the adapter every step component shares.
kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();

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
