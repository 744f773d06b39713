//! Volunteers as this component needs them: who they are, where they belong, their star.

use kit::{ApiError, Db, Row};
use serde_json::json;
use spin_sdk::sqlite3::Value;

/// A volunteer with their home org.
#[derive(Debug, Clone)]
pub struct Volunteer {
    pub id: i64,
    pub account_id: i64,
    pub volunteer_no: String,
    pub name: String,
    pub status: String,
    pub home_org_id: i64,
    pub home_org_name: String,
    pub home_path: String,
}

const SELECT: &str = "SELECT v.id, v.account_id, v.volunteer_no, v.real_name, v.status, v.home_org_id,
        o.name AS home_org_name, o.path AS home_path
    FROM volunteers v JOIN orgs o ON o.id = v.home_org_id";

impl Volunteer {
    fn from_row(r: &Row) -> Result<Volunteer, ApiError> {
        Ok(Volunteer {
            id: r.i64("id")?,
            account_id: r.i64("account_id")?,
            volunteer_no: r.str("volunteer_no")?,
            name: r.str("real_name")?,
            status: r.str("status")?,
            home_org_id: r.i64("home_org_id")?,
            home_org_name: r.str("home_org_name")?,
            home_path: r.str("home_path")?,
        })
    }

    /// The volunteer `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Volunteer>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE v.id = ?"), &[Value::Integer(id)])?
            .map(|r| Volunteer::from_row(&r))
            .transpose()
    }

    /// The volunteer record of `account_id`, if the account has one.
    pub fn by_account(db: &Db, account_id: i64) -> Result<Option<Volunteer>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE v.account_id = ?"), &[Value::Integer(account_id)])?
            .map(|r| Volunteer::from_row(&r))
            .transpose()
    }

    /// Active volunteers whose home org satisfies `filter` (an SQL condition on `o.path` with
    /// its `params`), by id.
    pub fn active_where(db: &Db, filter: &str, params: &[Value]) -> Result<Vec<Volunteer>, ApiError> {
        db.query(&format!("{SELECT} WHERE v.status = 'active' AND {filter} ORDER BY v.id"), params)?
            .iter()
            .map(Volunteer::from_row)
            .collect()
    }

    /// `{"id", "name"}` of the home org.
    pub fn home_org_json(&self) -> serde_json::Value {
        json!({ "id": self.home_org_id, "name": self.home_org_name })
    }
}

/// The volunteer's star: the highest confirmed level, 0 when none.
pub fn current_star(db: &Db, volunteer_id: i64) -> Result<i64, ApiError> {
    let row = db.query_one(
        "SELECT COALESCE(MAX(level), 0) AS star FROM star_levels WHERE volunteer_id = ? AND status = 'confirmed'",
        &[Value::Integer(volunteer_id)],
    )?;
    row.map_or(Ok(0), |r| r.i64("star"))
}
