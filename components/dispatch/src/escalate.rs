//! Escalation (超时上报): an order not accepted by its `deadline_at` — still submitted,
//! dispatched or open — is flagged (`escalated_at`), handed up (`escalated_to` = the owning org's
//! parent, or the centre itself at the top), gets a timeline entry with note `escalated`, and
//! `order-escalated` is queued to the admins of that parent org.
//!
//! Escalation is not a status change, so it does not go through `demand_flow::transition`; it
//! is a conditional update of the escalation columns (`escalated_at IS NULL`, so an order is
//! escalated once however many requests race to do it) and a `demand_flow::record` entry with
//! from = to = the current status. The timeline actor is NULL: time escalated it, not a person.
//!
//! Three callers, one rule ([`one`]): every queue, list, detail and action request in this
//! component escalates what it touches first ([`if_due`], [`sweep`]); `POST
//! /api/v1/dispatch/escalate` lets staff sweep their whole scope (audited as `demand.escalate`,
//! one row per order); and the scheduler's `POST /api/v1/jobs/escalate-orders` ([`job`]) sweeps
//! everywhere, so an order is escalated on time even when nobody opens a page.

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, Fields};
use crate::notices;
use crate::order::{Order, OrderExt as _, AWAITING_SQL};
use kit::identity::{Action, Principal};

/// Orders escalated by one lazy sweep at most, so a list request stays quick even after a long
/// quiet spell; the rest follow on the next request (the list still marks them `overdue`).
pub const LAZY_LIMIT: i64 = 50;

/// Orders one explicit sweep escalates at most (it says how many remain).
pub const EXPLICIT_LIMIT: i64 = 500;

/// The org an overdue order is handed up to: its parent, except at the centre (the top of a
/// county's tree; above it is the city, which dispatches nothing) where it stays.
pub fn target(org_id: i64, org_level: &str, parent_id: Option<i64>) -> i64 {
    match parent_id {
        Some(parent) if org_level != "centre" && org_level != "city" => parent,
        _ => org_id,
    }
}

/// Escalates `order` now if it is due, in its own transaction (outside any other).
pub fn if_due(db: &Db, order: &Order, now: i64) -> Result<(), ApiError> {
    if order.escalated_at.is_none() && order.overdue(now) {
        db.transaction(|db| one(db, order.id, now, None))?;
    }
    Ok(())
}

/// Escalates up to `limit` due orders matching `filter` (SQL over `d` = demands and `o` = the
/// owning org, with `params`), in one transaction; returns their ids. Cheap when nothing is due:
/// one indexed read and no write transaction.
pub fn sweep(
    db: &Db,
    now: i64,
    filter: &str,
    mut params: Vec<Value>,
    limit: i64,
    actor: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    let mut all = vec![Value::Integer(now)];
    all.append(&mut params);
    all.push(Value::Integer(limit));
    let due = db
        .query(
            &format!(
                "SELECT d.id FROM demands d JOIN orgs o ON o.id = d.org_id
                 WHERE d.status IN ({AWAITING_SQL}) AND d.escalated_at IS NULL AND d.deadline_at <= ? AND {filter}
                 ORDER BY d.deadline_at, d.id LIMIT ?"
            ),
            &all,
        )?
        .iter()
        .map(|r| r.i64("id"))
        .collect::<Result<Vec<_>, _>>()?;
    if due.is_empty() {
        return Ok(due);
    }
    db.transaction(|db| {
        let mut done = Vec::with_capacity(due.len());
        for id in due {
            if one(db, id, now, actor)? {
                done.push(id);
            }
        }
        Ok(done)
    })
}

/// Escalates order `id` inside the caller's transaction if it is (still) due; `false` when it
/// was not — accepted meanwhile, or escalated by a concurrent request. `actor`: the staff member
/// whose explicit sweep this is, for the audit row (lazy escalation is not a staff action).
pub fn one(db: &Db, id: i64, now: i64, actor: Option<i64>) -> Result<bool, ApiError> {
    let Some(order) = Order::load(db, id)? else { return Ok(false) };
    if order.escalated_at.is_some() || !order.overdue(now) {
        return Ok(false);
    }
    let to = target(order.org_id, &order.org_level, order.org_parent_id);
    let changed = db.exec(
        "UPDATE demands SET escalated_at = ?, escalated_to = ?, updated_at = ?
         WHERE id = ? AND escalated_at IS NULL AND status = ?",
        &[
            Value::Integer(now),
            Value::Integer(to),
            Value::Integer(now),
            Value::Integer(id),
            Value::Text(order.status.as_str().into()),
        ],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    let event = demand_flow::record(db, id, Some(order.status), order.status, None, "escalated", now)?;

    // The admins of the org escalated to, or, where it has none, of the nearest org above that
    // has: an escalation nobody hears of would be no escalation at all.
    let candidates = db.query(
        "SELECT DISTINCT a.id, a.phone, length(o.path) AS depth
         FROM orgs t JOIN orgs o ON substr(t.path, 1, length(o.path)) = o.path
         JOIN role_grants g ON g.org_id = o.id JOIN accounts a ON a.id = g.account_id
         WHERE t.id = ? AND g.role IN ('centre-admin', 'institute-admin', 'station-admin') AND a.active = 1
         ORDER BY depth DESC, a.id",
        &[Value::Integer(to)],
    )?;
    let nearest = match candidates.first() {
        Some(first) => first.i64("depth")?,
        None => 0,
    };
    let mut admins = Vec::new();
    for c in &candidates {
        if c.i64("depth")? == nearest {
            admins.push(c);
        }
    }
    for admin in admins {
        let mut params = notices::order_params(&order);
        params.push(("org".into(), order.org_name.clone()));
        params.push(("deadline".into(), input::rfc3339(order.deadline_at)));
        let key = format!("{}:{}", notices::key(id, notices::ESCALATED, event), admin.i64("id")?);
        notices::sms(db, &admin.str("phone")?, notices::ESCALATED, params, key, now)?;
    }

    if let Some(actor) = actor {
        let after = Order::reload(db, id)?;
        kit::audit(
            db,
            actor,
            "demand.escalate",
            "demand",
            Some(id),
            &order.org_path,
            Some(&order.audit_json(now)),
            Some(&after.audit_json(now)),
        )?;
    }
    Ok(true)
}

/// `POST /api/v1/dispatch/escalate` (dispatch-orders somewhere): escalates every due order in
/// the caller's scope, up to [`EXPLICIT_LIMIT`] at a time. → 200 `{"escalated": [ids], "count",
/// "remaining"}`; calling again when nothing is due changes nothing.
pub fn handle(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    Fields::from_optional_request(req, &[])?;
    let scope = kit::Scope::required(p, Action::DispatchOrders)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let mut params = Vec::new();
    let scoped = scope.condition("o.path", &mut params);
    let done = sweep(&db, now, &scoped, params.clone(), EXPLICIT_LIMIT, Some(p.account_id))?;
    let mut count_params = vec![Value::Integer(now)];
    count_params.extend(params);
    let remaining = db
        .query_one(
            &format!(
                "SELECT count(*) AS n FROM demands d JOIN orgs o ON o.id = d.org_id
                 WHERE d.status IN ({AWAITING_SQL}) AND d.escalated_at IS NULL AND d.deadline_at <= ? AND {scoped}"
            ),
            &count_params,
        )?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0);
    Ok(kit::json(200, &json!({ "escalated": done, "count": done.len(), "remaining": remaining })))
}

/// `POST /api/v1/jobs/escalate-orders` (the scheduler only): escalates every due order, up to
/// [`EXPLICIT_LIMIT`] a run (the next run takes the rest). Not audited: time escalated them,
/// not a person, as with the lazy sweep. → 200 `{"job": "escalate-orders", "escalated": n}`;
/// a repeat finds nothing due and answers 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let db = Db::open()?;
    let done = sweep(&db, now, "1 = 1", Vec::new(), EXPLICIT_LIMIT, None)?;
    Ok(kit::jobs::report("escalate-orders", &[("escalated", done.len() as i64)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_go_up_one_level_but_not_above_the_centre() {
        assert_eq!(target(17, "station", Some(4)), 4);
        assert_eq!(target(4, "institute", Some(2)), 2);
        assert_eq!(target(203, "point", Some(17)), 17);
        assert_eq!(target(2, "centre", Some(1)), 2);
        assert_eq!(target(1, "city", None), 1);
    }
}
