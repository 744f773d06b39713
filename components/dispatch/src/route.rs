//! Routing an order (派单), by staff with `dispatch-orders` at the order's org:
//!
//! - `POST /api/v1/dispatch/demands/{id}/dispatch` `{"team_id", "note"?}` → `dispatched`, and
//!   `order-dispatched` to the team's leader. Welfare orders only (else 422 `kind`).
//! - `POST .../open-for-grab` `{"team_ids": [..]}` → `open`; only the listed teams may grab.
//! - `POST .../forward` `{"department_id", "note"?}` → `forwarded`: petitions and disputes go to
//!   a department of the order's centre (a welfare order → 422 `kind`).
//! - `POST .../reject` `{"reason"}` → `rejected`; `POST .../cancel` `{"reason"}` → `cancelled`.
//!
//! Teams and departments must be active and belong to the order's centre: a dispatcher at one
//! station may send work to a team at another station of the same centre (suggestions rank them
//! all), but never outside it. Each write is audited (`demand.dispatch`, `demand.open-for-grab`,
//! `demand.forward`, `demand.reject`, `demand.cancel`) and takes `Idempotency-Key`.

use demand_flow::Transition;
use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Work;
use crate::act;
use crate::input::{DispatchFields, Fields};
use crate::notices;
use crate::order::{self, Order};
use kit::identity::Principal;

/// Longest note or reason, in characters.
pub const NOTE_CHARS: usize = 500;

/// Most teams one order may be opened to.
pub const MAX_GRAB_TEAMS: usize = 20;

fn welfare_only(order: &Order) -> Result<(), ApiError> {
    if order.kind == "welfare" {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "kind",
            format!("only welfare orders go to teams; this one is a {}: forward it to a department", order.kind),
        ))
    }
}

/// `Ok` when `team_id` is an active team (at an active org) in `order`'s centre; else 422 on
/// `field`. Shared with the team side, which checks the same for a grab.
pub fn eligible_team(db: &Db, order: &Order, team_id: i64, field: &str) -> Result<(), ApiError> {
    let centre =
        order::centre_path(db, order)?.ok_or_else(|| ApiError::invalid(field, "the order belongs to no centre"))?;
    let row = db.query_one(
        "SELECT t.active AS team_active, o.active AS org_active, o.path FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.id = ?",
        &[Value::Integer(team_id)],
    )?;
    match row {
        None => Err(ApiError::invalid(field, format!("no such team {team_id}"))),
        Some(r) if !order::within(&r.str("path")?, &centre) => {
            Err(ApiError::invalid(field, format!("team {team_id} is not in the order's centre")))
        }
        Some(r) if r.i64("team_active")? != 1 || r.i64("org_active")? != 1 => {
            Err(ApiError::invalid(field, format!("team {team_id} is not active")))
        }
        Some(_) => Ok(()),
    }
}

/// `POST .../dispatch`.
pub fn dispatch(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["team_id", "note"])?;
    let team_id = f.id("team_id")?;
    let note = f.opt_text("note", NOTE_CHARS)?.unwrap_or_default();
    act::run(req, p, id, Work::Dispatch, "demand.dispatch", |db, order, _, now| {
        welfare_only(order)?;
        eligible_team(db, order, team_id, "team_id")?;
        let moved = demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Dispatch,
            Some(p.account_id),
            &note,
            now,
            &[("team_id = ?", Value::Integer(team_id)), ("department_id = ?", Value::Null)],
        )?;
        notices::dispatched_to_leader(db, order, team_id, moved.event_id, now)
    })
}

/// `POST .../open-for-grab`.
pub fn open_for_grab(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["team_ids", "note"])?;
    let team_ids = f.ids("team_ids", MAX_GRAB_TEAMS)?;
    let note = f.opt_text("note", NOTE_CHARS)?.unwrap_or_default();
    act::run(req, p, id, Work::Dispatch, "demand.open-for-grab", |db, order, _, now| {
        welfare_only(order)?;
        for team in &team_ids {
            eligible_team(db, order, *team, "team_ids")?;
        }
        // No team holds an open order: a reopened order may still name its previous team.
        demand_flow::transition(
            db,
            id,
            order.status,
            Transition::OpenForGrab,
            Some(p.account_id),
            &note,
            now,
            &[("team_id = ?", Value::Null), ("department_id = ?", Value::Null)],
        )?;
        // An order opened before (then reopened by its citizen) lists only today's teams.
        db.exec("DELETE FROM demand_grab_teams WHERE demand_id = ?", &[Value::Integer(id)])?;
        for team in &team_ids {
            db.exec(
                "INSERT INTO demand_grab_teams (demand_id, team_id) VALUES (?, ?)",
                &[Value::Integer(id), Value::Integer(*team)],
            )?;
        }
        Ok(())
    })
}

/// `POST .../forward`.
pub fn forward(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["department_id", "note"])?;
    let department_id = f.id("department_id")?;
    let note = f.opt_text("note", NOTE_CHARS)?.unwrap_or_default();
    act::run(req, p, id, Work::Dispatch, "demand.forward", |db, order, _, now| {
        if order.kind == "welfare" {
            return Err(ApiError::invalid("kind", "welfare orders go to teams: dispatch or open it for grabbing"));
        }
        let centre = order::centre_path(db, order)?
            .ok_or_else(|| ApiError::invalid("department_id", "the order belongs to no centre"))?;
        let row = db.query_one(
            "SELECT d.active, o.path FROM departments d JOIN orgs o ON o.id = d.org_id WHERE d.id = ?",
            &[Value::Integer(department_id)],
        )?;
        match row {
            None => return Err(ApiError::invalid("department_id", format!("no such department {department_id}"))),
            Some(r) if !order::within(&r.str("path")?, &centre) => {
                return Err(ApiError::invalid("department_id", "the department is not in the order's centre"))
            }
            Some(r) if r.i64("active")? != 1 => {
                return Err(ApiError::invalid("department_id", "the department is not active"))
            }
            Some(_) => {}
        }
        demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Forward,
            Some(p.account_id),
            &note,
            now,
            &[("department_id = ?", Value::Integer(department_id)), ("team_id = ?", Value::Null)],
        )?;
        Ok(())
    })
}

/// `POST .../reject`.
pub fn reject(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reason"])?;
    let reason = f.text("reason", NOTE_CHARS)?;
    act::run(req, p, id, Work::Dispatch, "demand.reject", |db, order, _, now| {
        demand_flow::transition(db, id, order.status, Transition::Reject, Some(p.account_id), &reason, now, &[])?;
        Ok(())
    })
}

/// `POST .../cancel` (staff; the citizen cancels through `demand`).
pub fn cancel(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reason"])?;
    let reason = f.text("reason", NOTE_CHARS)?;
    act::run(req, p, id, Work::Dispatch, "demand.cancel", |db, order, _, now| {
        let moved =
            demand_flow::transition(db, id, order.status, Transition::Cancel, Some(p.account_id), &reason, now, &[])?;
        // The citizen did not ask for this, so they are told, with the reason (as `demand`'s
        // staff cancel does); not when staff cancel an order they placed themselves.
        if order.citizen_id != p.account_id {
            notices::to_citizen(
                db,
                order,
                notices::CANCELLED,
                vec![("reason".into(), reason.clone())],
                moved.event_id,
                now,
            )?;
        }
        Ok(())
    })
}
