//! Forgotten check-outs. Any request that touches an activity's attendance first closes the
//! attendances still open once `now > ends_at + checkout.grace_s`: `checked_out_at = ends_at`,
//! `auto_closed = 1`, minutes computed as for a check-out at the end. The sweep is lazy (no
//! scheduler), idempotent (it only ever touches rows still open) and its own transaction: it is a
//! consequence of time, not of the request that happened to notice it, so a request refused
//! afterwards does not undo it. `POST /api/v1/activities/{id}/close-attendance` runs it
//! explicitly for one activity, and the scheduler's `POST /api/v1/jobs/close-checkouts`
//! ([`job`]) for every activity past its end, so hours are closed even where nobody looks.

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::rfc3339;
use crate::minutes;
use crate::model::{self, Activity};
use crate::settings::Rules;
use kit::identity::Principal;

/// When `act`'s open attendances become due for closing: after this instant.
pub fn due_after(act: &Activity, rules: &Rules) -> i64 {
    act.ends_at.saturating_add(rules.grace_s)
}

/// Closes `act`'s open attendances if they are due at `now`; returns how many it closed.
pub fn close_due(db: &Db, act: &Activity, now: i64, rules: &Rules) -> Result<u64, ApiError> {
    if now <= due_after(act, rules) {
        return Ok(0);
    }
    // A read first, so the common case (nothing open) takes no write lock.
    let open = db.query_one(
        "SELECT 1 AS open FROM attendances WHERE activity_id = ? AND checked_out_at IS NULL LIMIT 1",
        &[Value::Integer(act.id)],
    )?;
    if open.is_none() {
        return Ok(0);
    }
    db.transaction(|db| {
        let rows = db.query(
            "SELECT id, checked_in_at FROM attendances WHERE activity_id = ? AND checked_out_at IS NULL",
            &[Value::Integer(act.id)],
        )?;
        let mut closed = 0;
        for r in rows {
            let minutes =
                minutes::attended(r.i64("checked_in_at")?, act.ends_at, act.starts_at, act.ends_at, &rules.rounding);
            closed += db.exec(
                "UPDATE attendances SET checked_out_at = ?, auto_closed = 1, minutes = ?
                 WHERE id = ? AND checked_out_at IS NULL",
                &[Value::Integer(act.ends_at), Value::Integer(minutes), Value::Integer(r.i64("id")?)],
            )?;
        }
        Ok(closed)
    })
}

/// Activities this many at most are closed by one job run (the next run takes the rest), so a
/// run stays well inside the request timeout after a long quiet spell.
pub const JOB_LIMIT: i64 = 200;

/// `POST /api/v1/jobs/close-checkouts` (the scheduler only): [`close_due`] for every activity
/// with an attendance still open past its end plus grace. → 200 `{"job": "close-checkouts",
/// "closed": attendances, "activities": n}`; a repeat finds nothing open and answers 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let db = Db::open()?;
    let rules = Rules::load(&db)?;
    let due = db.query(
        "SELECT DISTINCT a.id FROM attendances t JOIN activities a ON a.id = t.activity_id
         WHERE t.checked_out_at IS NULL AND a.ends_at + ? < ? ORDER BY a.id LIMIT ?",
        &[Value::Integer(rules.grace_s), Value::Integer(now), Value::Integer(JOB_LIMIT)],
    )?;
    let (mut closed, mut activities) = (0, 0);
    for row in due {
        let Some(act) = Activity::by_id(&db, row.i64("id")?)? else { continue };
        let n = close_due(&db, &act, now, &rules)?;
        if n > 0 {
            closed += n as i64;
            activities += 1;
        }
    }
    Ok(kit::jobs::report("close-checkouts", &[("closed", closed), ("activities", activities)]))
}

/// `POST /api/v1/activities/{id}/close-attendance` (managers and the organiser on
/// site): closes forgotten check-outs now. Before `ends_at + grace` volunteers may still
/// check out, so it is refused (409 `wrong_state`, saying when); afterwards it answers
/// `{"closed": n}` (0 on a repeat).
pub fn handle(req: &Request, p: &Principal, activity_id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let act = Activity::by_id(&db, activity_id)?.ok_or_else(|| ApiError::NotFound("no such activity".into()))?;
    model::require_manager(&db, p, &act, true)?;
    let rules = Rules::load(&db)?;
    let due = due_after(&act, &rules);
    if now <= due {
        return Err(ApiError::conflict(
            "wrong_state",
            format!(
                "volunteers may still check out until {}; forgotten check-outs are closed after that",
                rfc3339(due)
            ),
        ));
    }
    let closed = close_due(&db, &act, now, &rules)?;
    Ok(kit::json(200, &json!({ "activity_id": act.id, "closed": closed, "closed_at": rfc3339(act.ends_at) })))
}
