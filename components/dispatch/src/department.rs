//! Departments (职能部门): petitions and disputes forwarded by dispatch.
//!
//! - `GET /api/v1/dispatch/department-items?department_id=&status=&limit=&cursor=`: the orders
//!   forwarded to the departments the caller handles — and nothing else. A handler is an account
//!   listed in `department_handlers` *and* holding `handle-department-items` at the department's
//!   org (both, so revoking the role ends the access).
//! - `POST /api/v1/dispatch/demands/{id}/reply` `{"reply"}` (also reached as
//!   `.../department-items/{id}/reply`) → `replied`, and `order-replied` to the citizen.
//! - `POST .../close` → `closed`.
//!
//! Both writes are audited (`demand.reply`, `demand.close`) and take `Idempotency-Key`. A
//! forwarded order never changes department (forward is only from `submitted`), so the handler
//! checked before the transaction still handles it inside.

use demand_flow::Transition;
use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Work;
use crate::act;
use crate::input::{self, Fields};
use crate::notices;
use crate::order::{self, Order, OrderExt as _};
use crate::route;
use kit::identity::{Action, Principal};

/// Longest reply, in characters.
pub const REPLY_CHARS: usize = 2000;

/// The departments `p` handles, by id.
pub fn handled(db: &Db, p: &Principal) -> Result<Vec<(i64, String)>, ApiError> {
    let rows = db.query(
        "SELECT d.id, d.name, o.path FROM department_handlers h JOIN departments d ON d.id = h.department_id
         JOIN orgs o ON o.id = d.org_id WHERE h.account_id = ? ORDER BY d.id",
        &[Value::Integer(p.account_id)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if kit::allowed(p, Action::HandleDepartmentItems, &r.str("path")?)? {
            out.push((r.i64("id")?, r.str("name")?));
        }
    }
    Ok(out)
}

/// `GET /api/v1/dispatch/department-items`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let department = input::query_id(req, "department_id")?;
    let status = input::query_choice(req, "status", &["forwarded", "replied", "closed"])?;
    if !kit::anywhere(p, Action::HandleDepartmentItems) {
        return Err(kit::nowhere(Action::HandleDepartmentItems));
    }
    let now = kit::request_now(req);
    let db = Db::open()?;
    let mut depts: Vec<i64> = handled(&db, p)?.into_iter().map(|(id, _)| id).collect();
    if let Some(d) = department {
        if !depts.contains(&d) {
            return Err(ApiError::NotFound("no such department for department_id".into()));
        }
        depts = vec![d];
    }
    if depts.is_empty() {
        return Ok(kit::json(200, &page.envelope(Vec::new(), None)));
    }
    // Forwarded items are past escalation (it concerns orders awaiting acceptance), so there is
    // nothing to escalate lazily here.
    let marks = vec!["?"; depts.len()].join(", ");
    let mut sql = format!("{} WHERE d.department_id IN ({marks}) AND d.id > ?", order::SELECT);
    let mut params: Vec<Value> = depts.iter().map(|d| Value::Integer(*d)).collect();
    params.push(Value::Integer(page.after));
    if let Some(status) = status {
        sql.push_str(" AND d.status = ?");
        params.push(Value::Text(status.into()));
    }
    sql.push_str(" ORDER BY d.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let orders = db.query(&sql, &params)?.iter().map(Order::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = orders.last().map(|o| o.id);
    Ok(kit::json(200, &page.envelope(orders.iter().map(|o| o.json(false, now)).collect(), last)))
}

/// `POST .../reply`.
pub fn reply(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reply"])?;
    let reply = f.text("reply", REPLY_CHARS)?;
    act::run(req, p, id, Work::Department, "demand.reply", |db, order, _, now| {
        let moved = demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Reply,
            Some(p.account_id),
            "",
            now,
            &[("reply = ?", Value::Text(reply.clone()))],
        )?;
        let department = match order.department_id {
            Some(d) => db
                .query_one("SELECT name FROM departments WHERE id = ?", &[Value::Integer(d)])?
                .map(|r| r.str("name"))
                .transpose()?
                .unwrap_or_default(),
            None => String::new(),
        };
        notices::to_citizen(db, order, notices::REPLIED, vec![("department".into(), department)], moved.event_id, now)
    })
}

/// `POST .../close`.
pub fn close(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_optional_request(req, &["note"])?;
    let note = f.opt_text("note", route::NOTE_CHARS)?.unwrap_or_default();
    act::run(req, p, id, Work::Department, "demand.close", |db, order, _, now| {
        demand_flow::transition(db, id, order.status, Transition::CloseReplied, Some(p.account_id), &note, now, &[])?;
        Ok(())
    })
}
