//! `POST /api/v1/attendances/{id}/confirm` `{"minutes"?, "reason"?}` — the organiser (manage-teams
//! at the activity's org) confirms the server-computed minutes, or corrects them (`reason`
//! required when the minutes differ; 0 to the scheduled duration). The confirmation, the
//! ledger's `credit-service` (key `attendance:<id>`, the activity's category) and the audit row
//! (`attendance.confirm` / `attendance.correct`) are one transaction.
//!
//! A volunteer can never confirm their own attendance (403), whatever roles they hold. Forgotten
//! check-outs are closed first if due; an attendance still open is 409 `wrong_state`.
//! Confirming again with the same minutes returns the first result; with different minutes it
//! is 409 `already_confirmed` (a later correction is a ledger correction, not a re-confirm).

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::attendances::Attendance;
use crate::auto_close;
use crate::input::Fields;
use crate::ledger_tx;
use crate::model::{self, Activity, Volunteer};
use crate::settings::Rules;
use kit::identity::Principal;
use kit::ledger::Source;

/// The answer to a confirmation that already happened with `minutes` requested now.
fn replay(att: &Attendance, minutes: i64) -> Result<Response, ApiError> {
    if att.confirmed_minutes == Some(minutes) {
        Ok(kit::json(200, &att.json()))
    } else {
        Err(ApiError::conflict(
            "already_confirmed",
            format!("already confirmed with {} minutes", att.confirmed_minutes.unwrap_or_default()),
        ))
    }
}

/// `POST /api/v1/attendances/{id}/confirm`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let att = Attendance::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such attendance".into()))?;
    let act = Activity::by_id(&db, att.activity_id)?
        .ok_or_else(|| ApiError::Internal("attendance without activity".into()))?;
    let volunteer = Volunteer::by_id(&db, att.volunteer_id)?
        .ok_or_else(|| ApiError::Internal("attendance without volunteer".into()))?;
    if volunteer.account_id == p.account_id {
        return Err(ApiError::Forbidden("no one may confirm their own service hours".into()));
    }
    model::require_manager(&db, p, &act, false).map_err(|e| match e {
        ApiError::NotFound(_) => ApiError::NotFound("no such attendance".into()),
        other => other,
    })?;

    let mut f = Fields::from_optional_request(req, &["minutes", "reason"])?;
    let requested = f.opt_int("minutes", 0..=act.scheduled_minutes())?;
    let reason = f.opt_text("reason", 500)?.filter(|r| !r.is_empty());

    let rules = Rules::load(&db)?;
    auto_close::close_due(&db, &act, now, &rules)?;
    let att = Attendance::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such attendance".into()))?;
    let Some(computed) = att.minutes.filter(|_| att.checked_out_at.is_some()) else {
        return Err(ApiError::conflict("wrong_state", "the volunteer is still checked in; confirm after check-out"));
    };
    let minutes = requested.unwrap_or(computed);
    let corrected = minutes != computed;
    if corrected && reason.is_none() {
        return Err(ApiError::invalid("reason", "a reason is required when the minutes differ from the computed ones"));
    }
    if att.confirmed_at.is_some() {
        return replay(&att, minutes);
    }

    let key = format!("attendance:{}", att.id);
    let done = db.transaction(|db| {
        let changed = db.exec(
            "UPDATE attendances SET confirmed_minutes = ?, correction_reason = ?, confirmed_by = ?, confirmed_at = ?
             WHERE id = ? AND confirmed_at IS NULL AND checked_out_at IS NOT NULL",
            &[
                Value::Integer(minutes),
                reason.clone().map_or(Value::Null, Value::Text),
                Value::Integer(p.account_id),
                Value::Integer(now),
                Value::Integer(att.id),
            ],
        )?;
        if changed == 0 {
            return Ok(false); // confirmed concurrently: answer from the row below
        }
        ledger_tx::credit(db, volunteer.id, minutes, &act.category, Source::Activity, att.id, p.account_id, &key)?;
        let before = json!({ "activity_id": act.id, "volunteer_id": volunteer.id, "minutes": computed, "confirmed_minutes": null });
        let after = json!({
            "activity_id": act.id, "volunteer_id": volunteer.id, "minutes": computed,
            "confirmed_minutes": minutes, "correction_reason": reason, "ledger_key": key,
        });
        let action = if corrected { "attendance.correct" } else { "attendance.confirm" };
        kit::audit(db, p.account_id, action, "attendance", Some(att.id), &act.org_path, Some(&before), Some(&after))?;
        Ok(true)
    })?;
    let att = Attendance::by_id(&db, id)?.ok_or_else(|| ApiError::Internal("attendance vanished".into()))?;
    if done {
        Ok(kit::json(200, &att.json()))
    } else {
        replay(&att, minutes)
    }
}
