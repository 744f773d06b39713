//! The team's side (接单), for team leaders — checked against `teams.leader_account_id`, as the
//! contract says, not the permission table:
//!
//! - `GET /api/v1/dispatch/team-orders?team_id=&status=&limit=&cursor=`: the dispatched,
//!   accepted and in-service orders of the caller's teams, and the open orders they may grab.
//! - `POST /api/v1/dispatch/demands/{id}/grab` `{"team_id"}`: a listed team takes an `open`
//!   order → `accepted`. Of concurrent grabs exactly one wins: writes queue on the database's
//!   write lock, and `demand_flow::transition` moves the row only if it is still `open`, so every
//!   other grab gets 409 `wrong_state` naming the state the order is in now.
//! - `POST .../accept` → `accepted`; `POST .../decline` `{"reason"}` → back to `submitted`, the
//!   team cleared, so the order is in the queue again.
//! - `POST .../assign` `{"volunteer_ids"}`: approved, active members of the team.
//! - `POST .../start` → `in_service`; `POST .../complete` `{"summary", "volunteers":
//!   [{"volunteer_id", "minutes"}]}` or `{"summary", "volunteer_ids", "minutes"}` (结项报告) →
//!   `completed`, each assigned volunteer's minutes and points credited to the ledger in the
//!   same transaction (see [`crate::service`]).
//!
//! The citizen hears of acceptance (accept or grab: `order-accepted`) and completion
//! (`order-completed`). Every write is audited (`demand.grab`, `demand.accept`, ...) and takes
//! `Idempotency-Key`.

use demand_flow::{Status, Transition};
use kit::{ApiError, Db, Page};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{Relation, Work};
use crate::act;
use crate::escalate;
use crate::input::{self, DispatchFields, Fields};
use crate::notices;
use crate::order::{self, Order, OrderExt as _};
use crate::route;
use crate::service;
use kit::identity::Principal;

/// Most volunteers on one order.
pub const MAX_VOLUNTEERS: usize = service::MAX_VOLUNTEERS;

/// Longest completion summary, in characters.
pub const SUMMARY_CHARS: usize = 2000;

fn id_list(ids: &[i64]) -> (String, Vec<Value>) {
    (vec!["?"; ids.len()].join(", "), ids.iter().map(|i| Value::Integer(*i)).collect())
}

/// `GET /api/v1/dispatch/team-orders`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let team_id = input::query_id(req, "team_id")?;
    let status = input::query_choice(req, "status", &["dispatched", "open", "accepted", "in_service"])?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let led = kit::led_teams(&db, p.account_id)?;
    if led.is_empty() {
        return Err(ApiError::Forbidden("you lead no team".into()));
    }
    let teams = match team_id {
        Some(t) if led.contains(&t) => vec![t],
        // A team the caller does not lead is answered like a missing one.
        Some(_) => return Err(ApiError::NotFound("no such team for team_id".into())),
        None => led,
    };
    let (marks, team_params) = id_list(&teams);
    let concerns = format!(
        "((d.team_id IN ({marks}) AND d.status IN ('dispatched', 'accepted', 'in_service'))
          OR (d.status = 'open' AND d.id IN (SELECT g.demand_id FROM demand_grab_teams g WHERE g.team_id IN ({marks}))))"
    );
    let mut concern_params = team_params.clone();
    concern_params.extend(team_params.clone());
    escalate::sweep(&db, now, &concerns, concern_params.clone(), escalate::LAZY_LIMIT, None)?;

    let mut sql = format!("{} WHERE d.id > ? AND {concerns}", order::SELECT);
    let mut params = vec![Value::Integer(page.after)];
    params.extend(concern_params);
    if let Some(status) = status {
        sql.push_str(" AND d.status = ?");
        params.push(Value::Text(status.into()));
    }
    sql.push_str(" ORDER BY d.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let orders = db.query(&sql, &params)?.iter().map(Order::from_row).collect::<Result<Vec<_>, _>>()?;

    let mut items = Vec::with_capacity(orders.len());
    for o in &orders {
        let mut item = o.json(false, now);
        if o.status == Status::Open {
            // Which of the caller's teams may grab it: the `team_id` to send.
            let mut grab_params = vec![Value::Integer(o.id)];
            grab_params.extend(team_params.clone());
            let ids = db
                .query(
                    &format!(
                        "SELECT team_id FROM demand_grab_teams WHERE demand_id = ? AND team_id IN ({marks}) ORDER BY team_id"
                    ),
                    &grab_params,
                )?
                .iter()
                .map(|r| r.i64("team_id"))
                .collect::<Result<Vec<_>, _>>()?;
            item["grab_team_ids"] = json!(ids);
        }
        items.push(item);
    }
    let last = orders.last().map(|o| o.id);
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// Inside the transaction: the order (as read now) is still with a team the caller leads. It may
/// have been declined and dispatched elsewhere since the caller's rights were checked.
fn still_ours(db: &Db, p: &Principal, order: &Order) -> Result<i64, ApiError> {
    let ours = match order.team_id {
        None => false,
        Some(t) => kit::leads_team(db, p.account_id, t)?,
    };
    match order.team_id {
        Some(t) if ours => Ok(t),
        _ => Err(ApiError::conflict(
            "wrong_state",
            format!("the order is {} and not with your team", order.status.as_str()),
        )),
    }
}

/// The approved, active members of `team_id` among `ids` as (id, volunteer_no); any other id is
/// a 422 on `field`.
fn members(db: &Db, team_id: i64, ids: &[i64], field: &str) -> Result<Vec<(i64, String)>, ApiError> {
    let (marks, mut params) = id_list(ids);
    params.insert(0, Value::Integer(team_id));
    let found = db
        .query(
            &format!(
                "SELECT v.id, v.volunteer_no FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
                 WHERE m.team_id = ? AND m.status = 'approved' AND v.status = 'active' AND v.id IN ({marks})"
            ),
            &params,
        )?
        .iter()
        .map(|r| Ok((r.i64("id")?, r.str("volunteer_no")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|(f, _)| f == *id)) {
        return Err(ApiError::invalid(
            field,
            format!("volunteer {missing} is not an approved, active member of the order's team"),
        ));
    }
    Ok(ids.iter().filter_map(|id| found.iter().find(|(f, _)| f == id).cloned()).collect())
}

fn team_name(db: &Db, team_id: i64) -> Result<String, ApiError> {
    db.query_one("SELECT name FROM teams WHERE id = ?", &[Value::Integer(team_id)])?
        .map(|r| r.str("name"))
        .transpose()?
        .ok_or_else(|| ApiError::Internal(format!("team {team_id} vanished")))
}

/// `POST .../grab`.
pub fn grab(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["team_id"])?;
    let team_id = f.id("team_id")?;
    act::run(req, p, id, Work::Team, "demand.grab", |db, order, rel: &Relation, now| {
        if !rel.grab_teams.contains(&team_id) {
            return Err(ApiError::invalid(
                "team_id",
                format!("team {team_id} is not one of your teams this order was opened to"),
            ));
        }
        // The state first: a grab that lost the race is told so (409), whatever else holds.
        Transition::Grab.check(order.status)?;
        route::eligible_team(db, order, team_id, "team_id")?;
        let moved = demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Grab,
            Some(p.account_id),
            "",
            now,
            &[("team_id = ?", Value::Integer(team_id))],
        )?;
        let team = vec![("team".into(), team_name(db, team_id)?)];
        notices::to_citizen(db, order, notices::ACCEPTED, team, moved.event_id, now)
    })
}

/// `POST .../accept`.
pub fn accept(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_optional_request(req, &["note"])?;
    let note = f.opt_text("note", route::NOTE_CHARS)?.unwrap_or_default();
    act::run(req, p, id, Work::Team, "demand.accept", |db, order, _, now| {
        let team = still_ours(db, p, order)?;
        let moved =
            demand_flow::transition(db, id, order.status, Transition::Accept, Some(p.account_id), &note, now, &[])?;
        let team = vec![("team".into(), team_name(db, team)?)];
        notices::to_citizen(db, order, notices::ACCEPTED, team, moved.event_id, now)
    })
}

/// `POST .../decline`.
pub fn decline(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reason"])?;
    let reason = f.text("reason", route::NOTE_CHARS)?;
    act::run(req, p, id, Work::Team, "demand.decline", |db, order, _, now| {
        still_ours(db, p, order)?;
        // Back to the queue with no team, so the next dispatcher starts afresh.
        demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Decline,
            Some(p.account_id),
            &reason,
            now,
            &[("team_id = ?", Value::Null)],
        )?;
        Ok(())
    })
}

/// `POST .../assign`: sets the order's volunteers (replacing any earlier assignment). Not a
/// status change: it is allowed while the order is accepted or in service, and leaves a timeline
/// entry from = to = the current state so the citizen sees that people were assigned.
pub fn assign(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["volunteer_ids"])?;
    let ids = f.ids("volunteer_ids", MAX_VOLUNTEERS)?;
    act::run(req, p, id, Work::Team, "demand.assign", |db, order, _, now| {
        let team = still_ours(db, p, order)?;
        if !matches!(order.status, Status::Accepted | Status::InService) {
            return Err(ApiError::conflict(
                "wrong_state",
                format!("cannot assign volunteers to an order that is {}", order.status.as_str()),
            ));
        }
        let chosen = members(db, team, &ids, "volunteer_ids")?;
        db.exec("DELETE FROM demand_assignees WHERE demand_id = ?", &[Value::Integer(id)])?;
        for (volunteer, _) in &chosen {
            db.exec(
                "INSERT INTO demand_assignees (demand_id, volunteer_id) VALUES (?, ?)",
                &[Value::Integer(id), Value::Integer(*volunteer)],
            )?;
        }
        let numbers: Vec<&str> = chosen.iter().map(|(_, no)| no.as_str()).collect();
        let note = format!("assigned {}", numbers.join(", "));
        demand_flow::record(db, id, Some(order.status), order.status, Some(p.account_id), &note, now)?;
        Ok(())
    })
}

/// `POST .../start`.
pub fn start(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    Fields::from_optional_request(req, &[])?;
    act::run(req, p, id, Work::Team, "demand.start", |db, order, _, now| {
        still_ours(db, p, order)?;
        demand_flow::transition(db, id, order.status, Transition::Start, Some(p.account_id), "", now, &[])?;
        Ok(())
    })
}

/// `POST .../complete`: the completion report (结项报告) is stored on the order as JSON, and the
/// volunteers' minutes are credited to the ledger — the move, the message, the credits and the
/// audit row commit together or not at all.
pub fn complete(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["summary", "volunteers", "volunteer_ids", "minutes"])?;
    let summary = f.text("summary", SUMMARY_CHARS)?;
    let served = service::Report::from_fields(&mut f)?;
    act::run(req, p, id, Work::Team, "demand.complete", |db, order, _, now| {
        let team = still_ours(db, p, order)?;
        // The state before the volunteers: completing twice is a 409, not a volunteer error.
        Transition::Complete.check(order.status)?;
        let checked = served.check(db, p, id, team)?;
        let report = service::report_json(&summary, &checked);
        let moved = demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Complete,
            Some(p.account_id),
            "",
            now,
            &[("report = ?", Value::Text(report.to_string())), ("completed_at = ?", Value::Integer(now))],
        )?;
        notices::to_citizen(db, order, notices::COMPLETED, Vec::new(), moved.event_id, now)?;
        // The completion's own timeline entry is the source the credits point to.
        service::credit(db, order, &checked, moved.event_id, p.account_id)
    })
}
