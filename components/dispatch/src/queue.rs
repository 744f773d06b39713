//! The dispatch queue (派单台) and the dispatch view of one order.
//!
//! `GET /api/v1/dispatch/queue?under=&kind=&status=&limit=&cursor=` (dispatch-orders): orders
//! in the caller's scope, `submitted` unless `status` says `dispatched` or `open` (staff follow
//! up on those too), highest priority first, then the soonest deadline, each with `overdue` and
//! `escalated`. Orders are scoped by their owning org, so an escalated order — whose
//! `escalated_to` is the owning org's parent — is in the parent's staff's queue as a matter of
//! course, flagged.
//!
//! The list is sorted by priority and deadline, not id, so its keyset cursor is the id of the
//! last order shown: the next page starts after that order's (priority, deadline, id). Lists
//! elsewhere in the platform also answer `next_cursor` with an id, so clients need not care.

use kit::{ApiError, Db, Page};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Relation;
use crate::escalate;
use crate::input;
use crate::order::{self, Order, OrderExt as _};
use kit::identity::{Action, Principal};

/// Order kinds, for `?kind=`.
pub const KINDS: [&str; 3] = ["welfare", "petition", "dispute"];

/// The orders a dispatcher may see: their dispatch-orders scope, or only the subtree of `under`
/// when they ask for one (`?under=`, the queue's and the 点单明细's org filter). An org outside
/// their scope is answered like a missing one, 404, so its existence is not told.
pub fn dispatch_scope(db: &Db, p: &Principal, under: Option<i64>) -> Result<kit::Scope, ApiError> {
    let scope = kit::Scope::required(p, Action::DispatchOrders)?;
    let Some(under) = under else { return Ok(scope) };
    let path = db
        .query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(under)])?
        .map(|r| r.str("path"))
        .transpose()?;
    match path {
        Some(path) if kit::allowed(p, Action::DispatchOrders, &path)? => Ok(kit::Scope::from_paths(&[path])),
        _ => Err(ApiError::NotFound("no such org for under".into())),
    }
}

/// `GET /api/v1/dispatch/queue`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let under = input::query_id(req, "under")?;
    let kind = input::query_choice(req, "kind", &KINDS)?;
    let status = input::query_choice(req, "status", &["submitted", "dispatched", "open"])?.unwrap_or("submitted");

    let now = kit::request_now(req);
    let db = Db::open()?;
    let scope = dispatch_scope(&db, p, under)?;

    let mut scope_params = Vec::new();
    let scoped = scope.condition("o.path", &mut scope_params);
    escalate::sweep(&db, now, &scoped, scope_params.clone(), escalate::LAZY_LIMIT, None)?;

    let mut sql = format!("{} WHERE d.status = ? AND {scoped}", order::SELECT);
    let mut params = vec![Value::Text(status.into())];
    params.extend(scope_params);
    if let Some(kind) = kind {
        sql.push_str(" AND d.kind = ?");
        params.push(Value::Text(kind.into()));
    }
    if page.after > 0 {
        let last = db
            .query_one("SELECT priority, deadline_at FROM demands WHERE id = ?", &[Value::Integer(page.after)])?
            .ok_or_else(|| ApiError::invalid("cursor", "cursor must be a value returned as next_cursor"))?;
        let (prio, deadline) = (last.i64("priority")?, last.i64("deadline_at")?);
        sql.push_str(
            " AND (d.priority < ? OR (d.priority = ? AND (d.deadline_at > ? OR (d.deadline_at = ? AND d.id > ?))))",
        );
        params.extend([prio, prio, deadline, deadline, page.after].map(Value::Integer));
    }
    sql.push_str(" ORDER BY d.priority DESC, d.deadline_at, d.id LIMIT ?");
    params.push(Value::Integer(page.limit));

    let orders = db.query(&sql, &params)?.iter().map(Order::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = orders.last().map(|o| o.id);
    // Everything listed is in the caller's dispatch scope, so contact phones are shown whole.
    let items = orders.iter().map(|o| o.json(true, now)).collect();
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/dispatch/demands/{id}`: the order as dispatch sees it, with the teams it is open
/// to and the volunteers assigned — for its dispatchers, its team's leader (or a listed team's
/// while it is open) and its department's handlers.
pub fn detail(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let Some(seen) = Order::load(&db, id)? else { return Err(unseen_anywhere(&db, p)?) };
    let rel = Relation::of(&db, p, &seen)?;
    if !rel.visible(&seen) {
        return Err(unseen_anywhere(&db, p)?);
    }
    escalate::if_due(&db, &seen, now)?;
    let order = Order::reload(&db, id)?;
    let grab_teams = db
        .query("SELECT team_id FROM demand_grab_teams WHERE demand_id = ? ORDER BY team_id", &[Value::Integer(id)])?
        .iter()
        .map(|r| r.i64("team_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let assignees = db
        .query(
            "SELECT v.id, v.volunteer_no, v.real_name FROM demand_assignees a JOIN volunteers v ON v.id = a.volunteer_id
             WHERE a.demand_id = ? ORDER BY v.id",
            &[Value::Integer(id)],
        )?
        .iter()
        .map(|r| Ok(json!({ "id": r.i64("id")?, "volunteer_no": r.str("volunteer_no")?, "name": r.str("real_name")? })))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let mut body = order.json(rel.dispatcher, now);
    body["grab_team_ids"] = json!(grab_teams);
    body["assignees"] = json!(assignees);
    Ok(kit::json(200, &body))
}

/// 404 for an order the caller cannot see, or 403 when no role of theirs ever sees orders here.
fn unseen_anywhere(db: &Db, p: &Principal) -> Result<ApiError, ApiError> {
    let any = kit::anywhere(p, Action::DispatchOrders)
        || kit::anywhere(p, Action::HandleDepartmentItems)
        || !kit::led_teams(db, p.account_id)?.is_empty();
    Ok(if any {
        ApiError::NotFound("no such order".into())
    } else {
        ApiError::Forbidden("your roles do not allow dispatch, team or department work".into())
    })
}
