//! The citizen's views of orders.
//!
//! - `GET /api/v1/demands/mine?status=&limit=&cursor=` — the caller's own orders (as the citizen
//!   they are for, whoever placed them), by id, with the contact phone whole.
//! - `GET /api/v1/demands/{id}` — one order, to whoever may see it (see [`crate::order`]); the
//!   contact phone masked unless the caller is the citizen or dispatches it.
//!
//! Both first close the caller's overdue unrated orders ([`crate::auto_close`]).

use demand_flow::Status;
use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::auto_close::{self, Among};
use crate::order::{self, Order, OrderExt as _, SELECT};
use crate::settings::Rules;
use kit::identity::Principal;

/// `GET /api/v1/demands/mine`.
pub fn mine(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = match kit::query_param(req, "status").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(&s).map_err(|_| ApiError::invalid("status", "no such order status"))?),
    };
    let now = kit::request_now(req);
    let db = Db::open()?;
    let rules = Rules::load(&db)?;
    auto_close::sweep(&db, &rules, now, Among::Citizen(p.account_id))?;

    let mut sql = format!("{SELECT} WHERE d.citizen_id = ? AND d.id > ?");
    let mut params = vec![Value::Integer(p.account_id), Value::Integer(page.after)];
    if let Some(status) = status {
        sql.push_str(" AND d.status = ?");
        params.push(Value::Text(status.as_str().into()));
    }
    sql.push_str(" ORDER BY d.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let orders = db.query(&sql, &params)?.iter().map(Order::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = orders.last().map(|o| o.id);
    // Their own orders: the contact phone is theirs to see.
    let items = orders.iter().map(|o| o.json(true)).collect();
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/demands/{id}`.
pub fn detail(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (order, view) = order::touch(&db, p, id, now)?;
    Ok(kit::json(200, &order.json(view.unmasked())))
}
