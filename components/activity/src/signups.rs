//! Reading sign-ups: `GET /api/v1/activities/{id}/signups` for the activity's managers and its
//! applicant (the organiser needs the list), with `volunteer_no` and the phone masked; and
//! `GET /api/v1/activities/{id}/signups/mine` for the volunteer's own sign-up.

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities::{self, Viewer};
use crate::input;
use crate::signup::{signup_json, volunteer_of};
use kit::identity::Principal;

const STATUSES: [&str; 3] = ["confirmed", "waitlisted", "cancelled"];

/// `GET /api/v1/activities/{id}/signups?status=&limit=&cursor=`, ordered by id; `position` is
/// the place in the waitlist (null unless waitlisted).
pub fn list(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = input::query_text(req, "status", 10)?;
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::invalid("status", "must be confirmed, waitlisted or cancelled"));
        }
    }
    let db = Db::open()?;
    let viewer = Viewer::new(&db, Some(p.clone()))?;
    let a = activities::load(&db, id)?.ok_or_else(access::not_found)?;
    if !viewer.full(&a) {
        let visible = viewer.sees(&db, &a, None)?;
        return Err(kit::deny_seen(p, access::MANAGE, visible, "activity"));
    }
    let mut sql = String::from(
        "SELECT s.id, s.volunteer_id, s.status, s.created_at, s.cancelled_at, v.volunteer_no, v.real_name, v.phone,
                CASE WHEN s.status = 'waitlisted' THEN
                    (SELECT COUNT(*) FROM signups w WHERE w.activity_id = s.activity_id AND w.status = 'waitlisted'
                        AND w.position <= s.position)
                END AS place
         FROM signups s JOIN volunteers v ON v.id = s.volunteer_id
         WHERE s.activity_id = ? AND s.id > ?",
    );
    let mut params = vec![Value::Integer(id), Value::Integer(page.after)];
    if let Some(s) = status {
        sql.push_str(" AND s.status = ?");
        params.push(Value::Text(s));
    }
    sql.push_str(" ORDER BY s.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        last = Some(r.i64("id")?);
        items.push(json!({
            "id": r.i64("id")?,
            "volunteer_id": r.i64("volunteer_id")?,
            "volunteer_no": r.str("volunteer_no")?,
            "real_name": r.str("real_name")?,
            "phone": kit::mask_phone(&r.str("phone")?),
            "status": r.str("status")?,
            "position": r.opt_i64("place")?.map_or(Json::Null, Json::from),
            "created_at": kit::time::rfc3339(r.i64("created_at")?),
            "cancelled_at": kit::time::opt_rfc3339(r.opt_i64("cancelled_at")?),
        }));
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/activities/{id}/signups/mine`: the caller's sign-up (any status), else 404.
pub fn mine(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let none = || ApiError::NotFound("you have not signed up for this activity".into());
    let v = volunteer_of(&db, p)?.ok_or_else(none)?;
    let row = db
        .query_one(
            "SELECT id FROM signups WHERE activity_id = ? AND volunteer_id = ?",
            &[Value::Integer(id), Value::Integer(v.id)],
        )?
        .ok_or_else(none)?;
    Ok(kit::json(200, &signup_json(&db, row.i64("id")?)?))
}
