//! `POST /api/v1/checkouts` `{"code", "latitude"?, "longitude"?}` — check-out (签退).
//!
//! Forgotten check-outs are closed first if due; no attendance → 409 `not_checked_in`; already
//! checked out (by hand or automatically) → 200 with that first result, unchanged. Otherwise the
//! server computes the minutes (from check-in or the start, whichever is later, to now or the
//! end, whichever is earlier; capped at the scheduled duration; rounded by `hours.rounding`) and
//! records the distance from the place when a position is sent (recorded and flagged to the
//! organiser when outside the radius, never refused: people leave from wherever the work ended).

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::attendances::Attendance;
use crate::auto_close;
use crate::checkin::{code_field, distance, position_fields};
use crate::input::Fields;
use crate::minutes;
use crate::model::{Activity, Volunteer};
use crate::settings::Rules;
use kit::identity::Principal;

/// `POST /api/v1/checkouts`.
pub fn handle(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["code", "latitude", "longitude"])?;
    let code = code_field(&mut f)?;
    let position = position_fields(&mut f)?;

    let db = Db::open()?;
    // Any status: an attendance already made stays closable even if the activity changed since.
    let act = Activity::by_code(&db, &code)?.ok_or_else(|| ApiError::invalid("code", "no activity has this code"))?;
    let volunteer = Volunteer::caller(&db, p)?;
    let rules = Rules::load(&db)?;
    auto_close::close_due(&db, &act, now, &rules)?;
    let attendance = Attendance::of(&db, act.id, volunteer.id)?
        .ok_or_else(|| ApiError::conflict("not_checked_in", "you have not checked in to this activity"))?;
    if attendance.checked_out_at.is_some() {
        return Ok(kit::json(200, &attendance.json()));
    }

    let out_at = now.max(attendance.checked_in_at);
    let minutes = minutes::attended(attendance.checked_in_at, out_at, act.starts_at, act.ends_at, &rules.rounding);
    let distance_m = distance(&act, position);
    let attendance = db.transaction(|db| {
        // Guarded by `checked_out_at IS NULL`: a concurrent check-out or auto-close keeps its result.
        db.exec(
            "UPDATE attendances SET checked_out_at = ?, check_out_distance_m = ?, minutes = ?
             WHERE id = ? AND checked_out_at IS NULL",
            &[
                Value::Integer(out_at),
                distance_m.map_or(Value::Null, Value::Integer),
                Value::Integer(minutes),
                Value::Integer(attendance.id),
            ],
        )?;
        Attendance::by_id(db, attendance.id)?.ok_or_else(|| ApiError::Internal("attendance vanished".into()))
    })?;
    Ok(kit::json(200, &attendance.json()))
}
