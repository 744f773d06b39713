//! The evaluation rules' view of orgs and of who evaluates whom. Who is calling and what they
//! may do where is `kit`'s, through `wenming:identity/identity` (the permission table lives
//! there: `manage-evaluations` for centre and institute admins, `read-evaluations` for centre,
//! institute and station admins and auditors).

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use kit::identity::{self, Action, Principal, Role};

/// Refuses an account that holds the auditor role anywhere (403 `read_only`). Auditors read the
/// evaluation to check it; a rating or thematic grade of theirs would feed the very index they
/// audit, so the role stays read-only even where anyone signed in may give an opinion.
pub fn refuse_auditor(p: &Principal) -> Result<(), ApiError> {
    if p.grants.iter().any(|g| matches!(g.role, Role::Auditor)) {
        return Err(ApiError::Refused {
            code: "read_only",
            message: "auditors read the evaluation and never feed it: no ratings or grades".into(),
        });
    }
    Ok(())
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
