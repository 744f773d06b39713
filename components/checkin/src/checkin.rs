//! `POST /api/v1/checkins` `{"code", "latitude"?, "longitude"?, "dynamic_code"?}` — the signed-in
//! volunteer, confirmed for the activity, checks in (签到).
//!
//! Order of checks: the body (422 naming the field) → the code names an approved activity (422
//! `code`; 409 `wrong_state`) → a volunteer confirmed for it (403) → forgotten check-outs closed
//! if due → an existing attendance is returned unchanged (200: checking in twice is the first
//! check-in) → the window `starts_at - checkin.opens_before_s ..= ends_at` (409
//! `outside_window`) → the place: with one, the haversine distance (integer metres) must be
//! within `radius_m` (422 `location` with `distance_m` and `radius_m`; no position → 422
//! `location`) → the rotating code when the activity uses one: an attempt is reserved first
//! (`checkin.code_attempts` per `checkin.code_lockout_s` per volunteer and activity; used up →
//! 429 with `Retry-After`, even for the right code), a wrong code keeps it (422 `dynamic_code`),
//! a right one gives it back → 201 with the new attendance, its distance recorded. Apart from
//! the attempt count, the request writes nothing until every check has passed (closing forgotten check-outs that are already due is time's doing, not the request's;
//! see [`crate::auto_close`]).

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::attendances::Attendance;
use crate::auto_close;
use crate::dynamic_code;
use crate::geo;
use crate::input::{rfc3339, Fields};
use crate::model::{Activity, Volunteer};
use crate::settings::Rules;
use kit::identity::Principal;

/// An activity code as typed or scanned: trimmed, upper-cased, and taken out of its QR payload
/// (`wenming://checkin?code=<code>`) when the whole payload was sent.
pub fn normalise_code(raw: &str) -> Option<String> {
    domain::ActivityCode::parse(raw).ok().map(domain::ActivityCode::into_string)
}

/// The body's `code`, else 422 `code`.
pub fn code_field(f: &mut Fields) -> Result<String, ApiError> {
    let raw = f.opt_str("code")?.ok_or_else(|| ApiError::invalid("code", "is required"))?;
    normalise_code(&raw).ok_or_else(|| ApiError::invalid("code", "must be the 6-character activity code (活动码)"))
}

/// The body's position in degrees: both `latitude` and `longitude`, or neither.
pub fn position_fields(f: &mut Fields) -> Result<Option<(f64, f64)>, ApiError> {
    let lat = f.opt_number("latitude", -90.0..=90.0)?;
    let lon = f.opt_number("longitude", -180.0..=180.0)?;
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok(Some((lat, lon))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::invalid("longitude", "is required with latitude")),
        (None, Some(_)) => Err(ApiError::invalid("latitude", "is required with longitude")),
    }
}

/// The approved activity a code names: unknown → 422 `code`; not approved → 409 `wrong_state`.
pub fn activity_for_code(db: &Db, code: &str) -> Result<Activity, ApiError> {
    let act = Activity::by_code(db, code)?.ok_or_else(|| ApiError::invalid("code", "no activity has this code"))?;
    if act.status != "approved" {
        return Err(ApiError::conflict("wrong_state", format!("the activity is {}", act.status)));
    }
    Ok(act)
}

/// Distance of `position` from `act`'s place, if it has one and a position was sent.
pub fn distance(act: &Activity, position: Option<(f64, f64)>) -> Option<i64> {
    let (lat, lon, _) = act.place?;
    let (vlat, vlon) = position?;
    Some(geo::haversine_m(vlat, vlon, geo::from_e6(lat), geo::from_e6(lon)))
}

/// The 422 for checking in too far away: the one error shape plus the distance and the radius.
fn too_far(distance_m: i64, radius_m: i64) -> Response {
    let body = json!({ "error": {
        "code": "invalid",
        "field": "location",
        "message": format!("you are {distance_m} m from the activity; check in within {radius_m} m of it"),
        "distance_m": distance_m,
        "radius_m": radius_m,
    }});
    kit::json(422, &body)
}

/// `POST /api/v1/checkins`.
pub fn handle(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["code", "latitude", "longitude", "dynamic_code"])?;
    let code = code_field(&mut f)?;
    let position = position_fields(&mut f)?;
    let given_dynamic = match f.take("dynamic_code") {
        None => None,
        Some(v) => Some(
            dynamic_code::normalise(&v)
                .ok_or_else(|| ApiError::invalid("dynamic_code", "must be the 6-digit code shown by the organiser"))?,
        ),
    };

    let db = Db::open()?;
    let act = activity_for_code(&db, &code)?;
    let volunteer = Volunteer::caller(&db, p)?;
    let signup = db.query_one(
        "SELECT status FROM signups WHERE activity_id = ? AND volunteer_id = ?",
        &[Value::Integer(act.id), Value::Integer(volunteer.id)],
    )?;
    if signup.map(|r| r.str("status")).transpose()?.as_deref() != Some("confirmed") {
        return Err(ApiError::Forbidden("you are not a confirmed participant of this activity".into()));
    }
    let rules = Rules::load(&db)?;
    auto_close::close_due(&db, &act, now, &rules)?;
    if let Some(existing) = Attendance::of(&db, act.id, volunteer.id)? {
        return Ok(kit::json(200, &existing.json()));
    }

    let opens = act.starts_at - rules.opens_before_s;
    if now < opens || now > act.ends_at {
        return Err(ApiError::conflict(
            "outside_window",
            format!("check-in is open from {} to {}", rfc3339(opens), rfc3339(act.ends_at)),
        ));
    }
    let distance_m = match act.place {
        None => None,
        Some((_, _, radius)) => {
            let d = distance(&act, position).ok_or_else(|| {
                ApiError::invalid("location", "this activity checks in on site: send latitude and longitude")
            })?;
            if d > radius {
                return Ok(too_far(d, radius));
            }
            Some(d)
        }
    };
    if act.dynamic_code {
        let given = given_dynamic.ok_or_else(|| {
            ApiError::invalid("dynamic_code", "this activity needs the rotating code shown by the organiser")
        })?;
        // Counted before it is compared, and kept when wrong: the limit is what makes a 6-digit
        // code worth having (unthrottled, two valid codes in 10⁶ fall in minutes).
        dynamic_code::reserve_attempt(&db, act.id, volunteer.id, now, rules.code_attempts, rules.code_lockout_s)?;
        let ok = act.dynamic_secret.as_deref().is_some_and(|s| dynamic_code::accepts(s.as_bytes(), now, &given));
        if !ok {
            return Err(ApiError::invalid("dynamic_code", "the code is wrong or has expired; use the code shown now"));
        }
        dynamic_code::refund_attempt(&db, act.id, volunteer.id)?;
    }

    let (status, attendance) = db.transaction(|db| {
        let inserted = db.exec(
            "INSERT INTO attendances (activity_id, volunteer_id, checked_in_at, check_in_distance_m)
             VALUES (?, ?, ?, ?) ON CONFLICT (activity_id, volunteer_id) DO NOTHING",
            &[
                Value::Integer(act.id),
                Value::Integer(volunteer.id),
                Value::Integer(now),
                distance_m.map_or(Value::Null, Value::Integer),
            ],
        )?;
        let attendance = Attendance::of(db, act.id, volunteer.id)?
            .ok_or_else(|| ApiError::Internal("attendance vanished".into()))?;
        // A concurrent first check-in won the race: this one is the repeat.
        Ok((if inserted == 1 { 201 } else { 200 }, attendance))
    })?;
    Ok(kit::json(status, &attendance.json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_or_refused() {
        assert_eq!(normalise_code(" abc234 ").as_deref(), Some("ABC234"));
        assert_eq!(normalise_code("wenming://checkin?code=XYZ789").as_deref(), Some("XYZ789"));
        for bad in ["", "ABC23", "ABC2345", "ABC01O", "ABCI23", "中文中文中文"] {
            assert_eq!(normalise_code(bad), None, "{bad}");
        }
    }
}
