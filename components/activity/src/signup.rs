//! `POST /api/v1/activities/{id}/signups` `{"invitation_code"?}`: the signed-in volunteer signs
//! up (报名).
//!
//! Capacity is never exceeded, however many volunteers press the button at once: counting the
//! confirmed sign-ups and inserting the new one happen in one `BEGIN IMMEDIATE` transaction
//! ([`kit::Db::transaction`], through [`kit::idempotent`]). `IMMEDIATE` takes the database's
//! write lock before the count, so concurrent sign-ups queue and each one counts what the
//! previous one committed; a deferred transaction would let two read the same count.
//!
//! `position` in the database is the activity's arrival ticket (1, 2, 3...) and orders the
//! waitlist; the `position` answered is the place in the waitlist (1 = next to be promoted), or
//! null once confirmed.

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities::{self, Activity, Viewer};
use crate::codes;
use crate::input::{self, ActivityFields, Fields};
use kit::identity::Principal;

/// The signing-up volunteer.
pub struct Volunteer {
    pub id: i64,
    pub birth_date: String,
    pub active: bool,
}

/// The volunteer record of `p`'s account, if any.
pub fn volunteer_of(db: &Db, p: &Principal) -> Result<Option<Volunteer>, ApiError> {
    db.query_one("SELECT id, birth_date, status FROM volunteers WHERE account_id = ?", &[Value::Integer(p.account_id)])?
        .map(|r| {
            Ok(Volunteer { id: r.i64("id")?, birth_date: r.str("birth_date")?, active: r.str("status")? == "active" })
        })
        .transpose()
}

/// The place of a waitlisted sign-up (ticket `position`) in its activity's waitlist.
pub fn waitlist_place(db: &Db, activity_id: i64, position: i64) -> Result<i64, ApiError> {
    db.query_one(
        "SELECT COUNT(*) AS n FROM signups WHERE activity_id = ? AND status = 'waitlisted' AND position <= ?",
        &[Value::Integer(activity_id), Value::Integer(position)],
    )?
    .ok_or_else(|| ApiError::Internal("COUNT returned no row".into()))?
    .i64("n")
}

/// The sign-up answer: `{"id", "activity_id", "status", "position"}` (+ times).
pub fn signup_json(db: &Db, id: i64) -> Result<Json, ApiError> {
    let r = db
        .query_one(
            "SELECT id, activity_id, volunteer_id, status, position, created_at, cancelled_at FROM signups WHERE id = ?",
            &[Value::Integer(id)],
        )?
        .ok_or_else(|| ApiError::Internal("the sign-up vanished".into()))?;
    let (activity_id, status) = (r.i64("activity_id")?, r.str("status")?);
    let position = if status == "waitlisted" {
        Json::from(waitlist_place(db, activity_id, r.i64("position")?)?)
    } else {
        Json::Null
    };
    Ok(json!({
        "id": id,
        "activity_id": activity_id,
        "volunteer_id": r.i64("volunteer_id")?,
        "status": status,
        "position": position,
        "created_at": kit::time::rfc3339(r.i64("created_at")?),
        "cancelled_at": kit::time::opt_rfc3339(r.opt_i64("cancelled_at")?),
    }))
}

/// The checks that need no lock (the request, the volunteer, the activity's fixed terms), so
/// most refusals never queue for the write lock.
fn precheck(a: &Activity, v: &Volunteer, invitation: Option<&str>, now: i64) -> Result<(), ApiError> {
    if a.status != "approved" {
        return Err(ApiError::conflict(
            "wrong_state",
            format!("only an approved activity takes sign-ups; this one is {}", a.status),
        ));
    }
    if now >= a.signup_deadline {
        return Err(ApiError::conflict("signup_closed", "sign-up for this activity has closed"));
    }
    if a.visibility == "invitation" {
        let ok =
            matches!((invitation, a.invitation_code.as_deref()), (Some(given), Some(code)) if codes::same(given, code));
        if !ok {
            return Err(ApiError::Forbidden("this activity is by invitation: give its invitation code".into()));
        }
    }
    if let Some(min) = a.min_age {
        // Age on the day the activity starts: someone turning 18 that morning may serve.
        let birth = domain::Date::parse(&v.birth_date)
            .map_err(|e| ApiError::Internal(format!("volunteer {}: bad birth date: {e}", v.id)))?;
        if i64::from(birth.age_on(domain::Date::of(a.starts_at))) < min {
            return Err(ApiError::invalid("min_age", format!("this activity needs volunteers aged {min} or over")));
        }
    }
    Ok(())
}

/// `POST /api/v1/activities/{id}/signups` → 201 `{"id", "status", "position"}`.
pub fn sign_up(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_optional_request(req, &["invitation_code"])?;
    let invitation = f.opt_code("invitation_code", 20)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let viewer = Viewer::new(&db, Some(p.clone()))?;
    let a = activities::load(&db, id)?.ok_or_else(access::not_found)?;
    // An approved invitation-only activity answers 403 without the right code (the contract's
    // rule); anything else the caller may not see stays a 404.
    let invited = a.status == "approved" && a.visibility == "invitation";
    if !invited && !viewer.sees(&db, &a, None)? {
        return Err(access::not_found());
    }
    let v = volunteer_of(&db, p)?.ok_or_else(|| {
        ApiError::Forbidden("only registered volunteers can sign up: register as a volunteer first".into())
    })?;
    if !v.active {
        return Err(ApiError::Forbidden("your volunteer record is suspended".into()));
    }
    precheck(&a, &v, invitation.as_deref(), now)?;

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        // Everything that other requests can change is read again under the write lock.
        let a = activities::load(db, id)?.ok_or_else(access::not_found)?;
        precheck(&a, &v, invitation.as_deref(), now)?;
        let existing = db.query_one(
            "SELECT id, status FROM signups WHERE activity_id = ? AND volunteer_id = ?",
            &[Value::Integer(id), Value::Integer(v.id)],
        )?;
        if let Some(row) = &existing {
            if row.str("status")? != "cancelled" {
                return Err(ApiError::conflict("already_signed_up", "you have already signed up for this activity"));
            }
        }
        // Half-open intervals: one activity ending at 12:00 and another starting at 12:00 do
        // not overlap. Uses the (volunteer_id, starts_at) index. A sign-up to an activity that
        // was since called off no longer holds the volunteer's time.
        let clash = db.query_one(
            "SELECT a.id, a.title FROM signups s JOIN activities a ON a.id = s.activity_id
             WHERE s.volunteer_id = ? AND s.status IN ('confirmed', 'waitlisted') AND s.activity_id <> ?
               AND s.starts_at < ? AND s.ends_at > ? AND a.status = 'approved'
             ORDER BY s.starts_at LIMIT 1",
            &[Value::Integer(v.id), Value::Integer(id), Value::Integer(a.ends_at), Value::Integer(a.starts_at)],
        )?;
        if let Some(c) = clash {
            return Err(ApiError::conflict(
                "overlap",
                format!(
                    "you are already signed up for activity {} 「{}」 at the same time",
                    c.i64("id")?,
                    c.str("title")?
                ),
            ));
        }
        let counts = db
            .query_one(
                "SELECT (SELECT COUNT(*) FROM signups WHERE activity_id = ?1 AND status = 'confirmed') AS confirmed,
                        (SELECT COALESCE(MAX(position), 0) FROM signups WHERE activity_id = ?1) AS last_position",
                &[Value::Integer(id)],
            )?
            .ok_or_else(|| ApiError::Internal("counts returned no row".into()))?;
        let status = if counts.i64("confirmed")? < a.capacity { "confirmed" } else { "waitlisted" };
        let position = counts.i64("last_position")? + 1;
        let signup_id = match existing {
            // Signing up again after cancelling reuses the row (one per volunteer and activity)
            // and joins at the back, like anyone arriving now.
            Some(row) => {
                let sid = row.i64("id")?;
                db.exec(
                    "UPDATE signups SET status = ?, position = ?, starts_at = ?, ends_at = ?, created_at = ?, cancelled_at = NULL
                     WHERE id = ?",
                    &[
                        Value::Text(status.into()),
                        Value::Integer(position),
                        Value::Integer(a.starts_at),
                        Value::Integer(a.ends_at),
                        Value::Integer(now),
                        Value::Integer(sid),
                    ],
                )?;
                sid
            }
            None => db.insert(
                "INSERT INTO signups (activity_id, volunteer_id, status, position, starts_at, ends_at, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                &[
                    Value::Integer(id),
                    Value::Integer(v.id),
                    Value::Text(status.into()),
                    Value::Integer(position),
                    Value::Integer(a.starts_at),
                    Value::Integer(a.ends_at),
                    Value::Integer(now),
                ],
            )?,
        };
        Ok((201, signup_json(db, signup_id)?))
    })?;
    Ok(kit::json(status, &body))
}
