//! Attendance rows (one per volunteer and activity) and the three reads of them:
//! `GET /api/v1/activities/{id}/attendances` (the activity's managers: who checked in and out,
//! distances, flags), `GET /api/v1/attendances/{id}` (the volunteer themself or a manager) and
//! `GET /api/v1/attendances/mine` (the volunteer's own, newest first).
//! Each touches attendance, so each first closes the forgotten check-outs it covers that are due.

use kit::{ApiError, Db, Page, Row};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::auto_close;
use crate::input::{opt_rfc3339, rfc3339};
use crate::model::{self, Activity, Volunteer};
use crate::settings::Rules;
use kit::identity::Principal;

/// One attendance (签到记录).
#[derive(Debug, Clone)]
pub struct Attendance {
    pub id: i64,
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub checked_in_at: i64,
    pub check_in_distance_m: Option<i64>,
    pub checked_out_at: Option<i64>,
    pub check_out_distance_m: Option<i64>,
    pub auto_closed: bool,
    pub minutes: Option<i64>,
    pub confirmed_minutes: Option<i64>,
    pub correction_reason: Option<String>,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<i64>,
}

/// The attendance columns, for `SELECT {COLUMNS} FROM attendances att ...`.
pub const COLUMNS: &str = "att.id, att.activity_id, att.volunteer_id, att.checked_in_at, att.check_in_distance_m,
    att.checked_out_at, att.check_out_distance_m, att.auto_closed, att.minutes, att.confirmed_minutes,
    att.correction_reason, att.confirmed_by, att.confirmed_at";

impl Attendance {
    /// From a row selected with [`COLUMNS`].
    pub fn from_row(r: &Row) -> Result<Attendance, ApiError> {
        Ok(Attendance {
            id: r.i64("id")?,
            activity_id: r.i64("activity_id")?,
            volunteer_id: r.i64("volunteer_id")?,
            checked_in_at: r.i64("checked_in_at")?,
            check_in_distance_m: r.opt_i64("check_in_distance_m")?,
            checked_out_at: r.opt_i64("checked_out_at")?,
            check_out_distance_m: r.opt_i64("check_out_distance_m")?,
            auto_closed: r.i64("auto_closed")? == 1,
            minutes: r.opt_i64("minutes")?,
            confirmed_minutes: r.opt_i64("confirmed_minutes")?,
            correction_reason: r.opt_str("correction_reason")?,
            confirmed_by: r.opt_i64("confirmed_by")?,
            confirmed_at: r.opt_i64("confirmed_at")?,
        })
    }

    /// The attendance with `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Attendance>, ApiError> {
        db.query_one(&format!("SELECT {COLUMNS} FROM attendances att WHERE att.id = ?"), &[Value::Integer(id)])?
            .map(|r| Attendance::from_row(&r))
            .transpose()
    }

    /// The attendance of `volunteer_id` at `activity_id`, if they checked in.
    pub fn of(db: &Db, activity_id: i64, volunteer_id: i64) -> Result<Option<Attendance>, ApiError> {
        db.query_one(
            &format!("SELECT {COLUMNS} FROM attendances att WHERE att.activity_id = ? AND att.volunteer_id = ?"),
            &[Value::Integer(activity_id), Value::Integer(volunteer_id)],
        )?
        .map(|r| Attendance::from_row(&r))
        .transpose()
    }

    /// `checked_in`, `checked_out` (minutes computed, awaiting the organiser) or `confirmed`.
    pub fn status(&self) -> &'static str {
        if self.confirmed_at.is_some() {
            "confirmed"
        } else if self.checked_out_at.is_some() {
            "checked_out"
        } else {
            "checked_in"
        }
    }

    /// What the API shows.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "activity_id": self.activity_id,
            "volunteer_id": self.volunteer_id,
            "status": self.status(),
            "checked_in_at": rfc3339(self.checked_in_at),
            "check_in_distance_m": self.check_in_distance_m,
            "checked_out_at": opt_rfc3339(self.checked_out_at),
            "check_out_distance_m": self.check_out_distance_m,
            "auto_closed": self.auto_closed,
            "minutes": self.minutes,
            "confirmed_minutes": self.confirmed_minutes,
            "correction_reason": self.correction_reason,
            "confirmed_by": self.confirmed_by,
            "confirmed_at": opt_rfc3339(self.confirmed_at),
        })
    }

    /// Flags a manager should look at before confirming.
    pub fn flags(&self, act: &Activity) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.auto_closed {
            flags.push("auto_closed");
        }
        if let (Some((_, _, radius)), Some(d)) = (act.place, self.check_out_distance_m) {
            if d > radius {
                flags.push("checked_out_outside_radius");
            }
        }
        if self.checked_in_at > act.starts_at {
            flags.push("late");
        }
        if matches!(self.checked_out_at, Some(out) if out < act.ends_at) {
            flags.push("left_early");
        }
        if self.confirmed_at.is_some() && self.confirmed_minutes != self.minutes {
            flags.push("corrected");
        }
        flags
    }
}

/// `GET /api/v1/activities/{id}/attendances?limit=&cursor=` (managers and the organiser on
/// site: the applicant or the hosting team's leader): each attendance with the volunteer's number, name and masked phone, distances and
/// flags, by id.
pub fn list(req: &Request, p: &Principal, activity_id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let act = Activity::by_id(&db, activity_id)?.ok_or_else(|| ApiError::NotFound("no such activity".into()))?;
    model::require_manager(&db, p, &act, true)?;
    let rules = Rules::load(&db)?;
    auto_close::close_due(&db, &act, kit::request_now(req), &rules)?;
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS}, v.volunteer_no, v.real_name, v.phone FROM attendances att
             JOIN volunteers v ON v.id = att.volunteer_id
             WHERE att.activity_id = ? AND att.id > ? ORDER BY att.id LIMIT ?"
        ),
        &[Value::Integer(act.id), Value::Integer(page.after), Value::Integer(page.limit)],
    )?;
    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        let a = Attendance::from_row(r)?;
        let mut item = a.json();
        item["volunteer_no"] = json!(r.str("volunteer_no")?);
        item["real_name"] = json!(r.str("real_name")?);
        item["phone"] = json!(kit::mask_phone(&r.str("phone")?));
        item["flags"] = json!(a.flags(&act));
        last = Some(a.id);
        items.push(item);
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/attendances/{id}`: the volunteer themself, or the activity's managers.
pub fn get(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let att = Attendance::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such attendance".into()))?;
    let act = Activity::by_id(&db, att.activity_id)?
        .ok_or_else(|| ApiError::Internal("attendance without activity".into()))?;
    let own = Volunteer::of_account(&db, p.account_id)?.is_some_and(|v| v.id == att.volunteer_id);
    if !own {
        model::require_manager(&db, p, &act, true).map_err(|e| match e {
            ApiError::Forbidden(_) => ApiError::NotFound("no such attendance".into()),
            other => other,
        })?;
    }
    let rules = Rules::load(&db)?;
    auto_close::close_due(&db, &act, kit::request_now(req), &rules)?;
    let att = Attendance::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such attendance".into()))?;
    let mut body = att.json();
    body["flags"] = json!(att.flags(&act));
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/attendances/mine?limit=&cursor=` (a registered volunteer, suspended ones too:
/// their history stays theirs): the caller's own attendances, newest first — `cursor` is the
/// last id of the previous page and the next page holds the ids below it. Each item is the
/// attendance with its flags and the activity's title, time, place and org. Forgotten
/// check-outs (漏签退) of the caller that are due are closed first, so the list shows them as
/// the organiser will see them: `auto_closed`, checked out at the end, minutes to the end
/// awaiting the organiser's confirmation or correction.
pub fn mine(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let me = Volunteer::of_account(&db, p.account_id)?.ok_or_else(|| {
        ApiError::Forbidden("only registered volunteers have attendances; register as a volunteer first".into())
    })?;
    let rules = Rules::load(&db)?;
    let now = kit::request_now(req);
    let due = db.query(
        "SELECT att.activity_id FROM attendances att JOIN activities a ON a.id = att.activity_id
         WHERE att.volunteer_id = ? AND att.checked_out_at IS NULL AND a.ends_at + ? < ?",
        &[Value::Integer(me.id), Value::Integer(rules.grace_s), Value::Integer(now)],
    )?;
    for row in due {
        if let Some(act) = Activity::by_id(&db, row.i64("activity_id")?)? {
            auto_close::close_due(&db, &act, now, &rules)?;
        }
    }
    // Newest first: the cursor bounds from above; 0 (no cursor) means from the newest.
    let before = if page.after == 0 { i64::MAX } else { page.after };
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM attendances att
             WHERE att.volunteer_id = ? AND att.id < ? ORDER BY att.id DESC LIMIT ?"
        ),
        &[Value::Integer(me.id), Value::Integer(before), Value::Integer(page.limit)],
    )?;
    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        let a = Attendance::from_row(r)?;
        let act = Activity::by_id(&db, a.activity_id)?
            .ok_or_else(|| ApiError::Internal("attendance without activity".into()))?;
        let mut item = a.json();
        item["flags"] = json!(a.flags(&act));
        item["activity"] = json!({
            "id": act.id,
            "title": act.title,
            "starts_at": rfc3339(act.starts_at),
            "ends_at": rfc3339(act.ends_at),
            "address": act.address,
            "org_name": act.org_name,
        });
        last = Some(a.id);
        items.push(item);
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}
