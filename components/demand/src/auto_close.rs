//! Auto-close (自动结单): a `completed` order the citizen has not rated within
//! `demand.auto_close_s` closes by itself (transition `AutoClose`, no actor, note
//! `auto-closed: not rated`).
//!
//! - Lazily: every request here that touches orders first closes the overdue ones among them
//!   ([`sweep`]), so nobody ever sees — or rates — an order that should already be closed.
//! - Explicitly: `POST /api/v1/demands/auto-close` (staff with `dispatch-orders`) closes every
//!   overdue order in the caller's scope → 200 `{"closed": n, "ids": [...]}`; each closure is
//!   audited as `demand.auto_close` under the caller.
//! - On a timer: the scheduler's `POST /api/v1/jobs/auto-close-orders` ([`job`]) closes every
//!   overdue order, not audited (time closed them, as with the lazy sweep).
//!
//! The age is counted from `completed_at` (when the team finished), falling back to
//! `updated_at` for a row without one.

use demand_flow::{Status, Transition};
use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::settings::Rules;
use kit::identity::{Action, Principal};

/// The note every automatic closure carries (the contract's words).
pub const NOTE: &str = "auto-closed: not rated";

/// Which orders a sweep looks at.
pub enum Among<'a> {
    /// One order (a request addressed to it).
    Order(i64),
    /// A citizen's own orders (their list).
    Citizen(i64),
    /// Orders whose org lies in this scope (staff).
    Scope(&'a kit::Scope),
    /// Every order (the scheduler's job).
    All,
}

/// The query for the overdue unrated orders `among`, with its parameters.
fn due(rules: &Rules, now: i64, among: Among<'_>) -> (String, Vec<Value>) {
    let mut params = vec![Value::Integer(now - rules.auto_close_s)];
    let filter = match among {
        Among::Order(id) => {
            params.push(Value::Integer(id));
            "d.id = ?".to_string()
        }
        Among::Citizen(id) => {
            params.push(Value::Integer(id));
            "d.citizen_id = ?".to_string()
        }
        Among::Scope(scope) => scope.condition("o.path", &mut params),
        Among::All => "1 = 1".to_string(),
    };
    let sql = format!(
        "SELECT d.id, o.path FROM demands d JOIN orgs o ON o.id = d.org_id
         WHERE d.status = 'completed' AND COALESCE(d.completed_at, d.updated_at) < ? AND {filter} ORDER BY d.id"
    );
    (sql, params)
}

/// Closes the overdue unrated orders `among`, each through `demand_flow::transition`; returns
/// the `(id, org_path)` of those closed. Reads first and opens a write transaction only when
/// something is due, so the common read stays a read.
pub fn sweep(db: &Db, rules: &Rules, now: i64, among: Among<'_>) -> Result<Vec<(i64, String)>, ApiError> {
    let (sql, params) = due(rules, now, among);
    if db.query_one(&sql, &params)?.is_none() {
        return Ok(Vec::new());
    }
    db.transaction(|db| close_due(db, &sql, &params, now))
}

/// Inside the write transaction: the due orders again (another request may have rated or
/// closed some meanwhile), each closed unless it moved on.
fn close_due(db: &Db, due_sql: &str, params: &[Value], now: i64) -> Result<Vec<(i64, String)>, ApiError> {
    let mut closed = Vec::new();
    for row in db.query(due_sql, params)? {
        let id = row.i64("id")?;
        match demand_flow::transition(db, id, Status::Completed, Transition::AutoClose, None, NOTE, now, &[]) {
            Ok(_) => closed.push((id, row.str("path")?)),
            // Rated between the read and the update: nothing to close.
            Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(closed)
}

/// `POST /api/v1/jobs/auto-close-orders` (the scheduler only): [`sweep`] over every order.
/// → 200 `{"job": "auto-close-orders", "closed": n}`; a repeat finds nothing due and answers 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let db = Db::open()?;
    let rules = Rules::load(&db)?;
    let closed = sweep(&db, &rules, now, Among::All)?;
    Ok(kit::jobs::report("auto-close-orders", &[("closed", closed.len() as i64)]))
}

/// `POST /api/v1/demands/auto-close`.
pub fn handle(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    if !req.body().iter().all(u8::is_ascii_whitespace) {
        // No fields: anything sent is a mistake worth saying.
        crate::input::Fields::from_request(req, &[])?;
    }
    let scope = kit::Scope::of(p, Action::DispatchOrders);
    if scope.is_empty() {
        return Err(ApiError::Forbidden("closing orders needs dispatch-orders".into()));
    }
    let now = kit::request_now(req);
    let db = Db::open()?;
    let rules = Rules::load(&db)?;
    let (due_sql, params) = due(&rules, now, Among::Scope(&scope));
    // The sweep and its audit rows commit together: every closure a person caused is on record.
    let closed = db.transaction(|db| {
        let closed = close_due(db, &due_sql, &params, now)?;
        for (id, path) in &closed {
            kit::audit(
                db,
                p.account_id,
                "demand.auto_close",
                "demand",
                Some(*id),
                path,
                Some(&json!({ "id": id, "status": "completed" })),
                Some(&json!({ "id": id, "status": "closed", "note": NOTE })),
            )?;
        }
        Ok(closed)
    })?;
    let ids: Vec<i64> = closed.iter().map(|(id, _)| *id).collect();
    Ok(kit::json(200, &json!({ "closed": ids.len(), "ids": ids })))
}
