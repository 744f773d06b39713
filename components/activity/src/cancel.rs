//! `DELETE /api/v1/activities/{id}/signups/mine`: the volunteer cancels their sign-up, before the
//! sign-up deadline (after it → 409 `signup_closed`: the organiser has planned with the list).
//!
//! A confirmed place that frees up goes to the first of the waitlist (lowest position) in the
//! same transaction, so there is no moment in which the place is free for a newcomer to take
//! ahead of the people who waited, and capacity is still never exceeded.

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities;
use crate::input;
use crate::signup::volunteer_of;
use kit::identity::Principal;

fn no_signup() -> ApiError {
    ApiError::NotFound("you have not signed up for this activity".into())
}

/// Fills free confirmed places of activity `id` from its waitlist, in position order; returns
/// the volunteers promoted. Runs inside the caller's transaction.
fn promote(db: &Db, id: i64, capacity: i64) -> Result<Vec<i64>, ApiError> {
    let mut promoted = Vec::new();
    loop {
        let confirmed = db
            .query_one(
                "SELECT COUNT(*) AS n FROM signups WHERE activity_id = ? AND status = 'confirmed'",
                &[Value::Integer(id)],
            )?
            .ok_or_else(|| ApiError::Internal("COUNT returned no row".into()))?
            .i64("n")?;
        if confirmed >= capacity {
            return Ok(promoted);
        }
        let Some(next) = db.query_one(
            "SELECT id, volunteer_id FROM signups WHERE activity_id = ? AND status = 'waitlisted' ORDER BY position LIMIT 1",
            &[Value::Integer(id)],
        )?
        else {
            return Ok(promoted);
        };
        db.exec("UPDATE signups SET status = 'confirmed' WHERE id = ?", &[Value::Integer(next.i64("id")?)])?;
        promoted.push(next.i64("volunteer_id")?);
    }
}

/// `DELETE /api/v1/activities/{id}/signups/mine` → 200 `{"status": "cancelled",
/// "promoted_volunteer_id"}`. Cancelling an already cancelled sign-up answers the same and
/// changes nothing, so a retried DELETE is harmless even without an `Idempotency-Key`.
pub fn cancel(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let v = volunteer_of(&db, p)?.ok_or_else(no_signup)?;
    // Whoever has a sign-up sees the activity; without one the answer is the same 404 whether or
    // not the activity exists.
    activities::load(&db, id)?.ok_or_else(access::not_found)?;

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let row = db
            .query_one(
                "SELECT id, status FROM signups WHERE activity_id = ? AND volunteer_id = ?",
                &[Value::Integer(id), Value::Integer(v.id)],
            )?
            .ok_or_else(no_signup)?;
        let (signup_id, was) = (row.i64("id")?, row.str("status")?);
        if was == "cancelled" {
            return Ok((
                200,
                json!({ "id": signup_id, "activity_id": id, "status": "cancelled", "promoted_volunteer_id": null }),
            ));
        }
        let a = activities::load(db, id)?.ok_or_else(access::not_found)?;
        if now >= a.signup_deadline {
            return Err(ApiError::conflict(
                "signup_closed",
                "the sign-up deadline has passed; ask the organiser to take you off the list",
            ));
        }
        db.exec(
            "UPDATE signups SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
            &[Value::Integer(now), Value::Integer(signup_id)],
        )?;
        let promoted =
            if was == "confirmed" && a.status == "approved" { promote(db, id, a.capacity)? } else { Vec::new() };
        Ok((
            200,
            json!({
                "id": signup_id,
                "activity_id": id,
                "status": "cancelled",
                "promoted_volunteer_id": promoted.first(),
            }),
        ))
    })?;
    Ok(kit::json(status, &body))
}
