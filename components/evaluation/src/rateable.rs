//! "What can I rate" (我的评价): `GET /api/v1/ratings/rateable?limit=&cursor=` — the caller's own
//! list of activities and projects to rate, each with the caller's rating when there is one.
//!
//! Only what the platform recorded about the caller is listed, never everything rateable:
//! - as `participant`: activities the caller attended (an attendance, approved activity) and
//!   projects of teams the caller is an approved member of — the same records `POST /ratings`
//!   checks for `as: participant`;
//! - as `citizen`, for accounts without a volunteer record (the people served): public approved
//!   activities and projects of the places the caller ordered a service from (群众点单: the org of
//!   any of their orders and that org's subtree), that started within the last
//!   [`CITIZEN_WINDOW_DAYS`] days (projects: still running then). The platform does not record
//!   who was in the audience of an activity, so the place a person is served from is the record;
//!   the window keeps the list to what they could have seen, not a station's whole history.
//!
//! `?activity=` or `?project=` narrows the answer to that one subject (the rate page), shown even
//! before it starts so the page can say when rating opens; it is still only the caller's own.
//! Otherwise only what has started is listed (the API refuses a rating before that).
//!
//! The attended activities are read from the caller's volunteer row through
//! `attendances_volunteer` (migration 0023); `CROSS JOIN` fixes that order, since without table
//! statistics SQLite would rather walk every approved activity and probe each for the caller. Newest first by start
//! time; the cursor is opaque (`<start>.<subject>.<id>` of the last item), since the order runs
//! across two tables and no single id orders it.

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::model;
use kit::identity::Principal;

/// How far back a citizen's list reaches: a month of activities at the places they use.
pub const CITIZEN_WINDOW_DAYS: i64 = 30;

/// A project's dates as unix seconds of 00:00 +08:00 (as `domain::Date::start`), in SQL so the
/// union can be ordered and paged by the database.
const PROJECT_START: &str = "CAST(strftime('%s', p.starts_on || 'T00:00:00+08:00') AS INTEGER)";
const PROJECT_END: &str = "(CAST(strftime('%s', p.ends_on || 'T00:00:00+08:00') AS INTEGER) + 86400)";

/// Where `o.path` lies in the subtree of an org the caller ordered from (`s`): `[path, stem0)`
/// as `OrgPath::subtree_bounds`.
const ORDERED_HERE: &str = "EXISTS (SELECT 1 FROM demands d JOIN orgs s ON s.id = d.org_id WHERE d.citizen_id = ? \
     AND o.path >= s.path AND o.path < substr(s.path, 1, length(s.path) - 1) || '0')";

/// The position after which the next page starts.
#[derive(Debug, PartialEq, Eq)]
struct Cursor {
    started: i64,
    subject: &'static str,
    id: i64,
}

impl Cursor {
    fn parse(s: &str) -> Option<Cursor> {
        let mut parts = s.split('.');
        let started = parts.next()?.parse().ok()?;
        let subject = match parts.next()? {
            "activity" => "activity",
            "project" => "project",
            _ => return None,
        };
        let id = parts.next()?.parse().ok().filter(|n: &i64| *n > 0)?;
        parts.next().is_none().then_some(Cursor { started, subject, id })
    }

    fn text(&self) -> String {
        format!("{}.{}.{}", self.started, self.subject, self.id)
    }
}

/// `GET /api/v1/ratings/rateable?activity=|project=&limit=&cursor=` → `{"items": [{"subject", "id", "name", "org", "starts_at",
/// "ends_at", "as", "rating"}], "next_cursor"}`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    crate::access::refuse_auditor(p)?;
    let limit = Page::limit(req)?;
    let cursor = match kit::query_param(req, "cursor") {
        None => None,
        Some(c) => Some(
            Cursor::parse(&c)
                .ok_or_else(|| ApiError::invalid("cursor", "cursor must be a value returned as next_cursor"))?,
        ),
    };
    let one = match (kit::query_id(req, "activity")?, kit::query_id(req, "project")?) {
        (Some(a), None) => Some(("activity", a)),
        (None, Some(p)) => Some(("project", p)),
        (None, None) => None,
        _ => return Err(ApiError::invalid("activity", "give at most one of activity and project")),
    };
    let now = kit::request_now(req);
    let since = now - CITIZEN_WINDOW_DAYS * 86_400;
    let me = Value::Integer(p.account_id);
    let db = Db::open()?;

    let mut params = vec![me.clone(), me.clone(), me.clone(), Value::Integer(since), me.clone()];
    params.extend([me.clone(), Value::Integer(since), me.clone(), me]);
    let mut sql = format!(
        "WITH mine AS ( \
           SELECT 'activity' AS subject, a.id AS id, a.title AS name, a.org_id AS org_id, a.starts_at AS started, \
                  a.ends_at AS ended, 'participant' AS grp \
             FROM volunteers v CROSS JOIN attendances t ON t.volunteer_id = v.id CROSS JOIN activities a ON a.id = t.activity_id \
            WHERE v.account_id = ? AND a.status = 'approved' \
           UNION ALL \
           SELECT 'project', p.id, p.name, p.org_id, {PROJECT_START}, {PROJECT_END}, 'participant' \
             FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id JOIN eval_projects p ON p.team_id = m.team_id \
            WHERE v.account_id = ? AND m.status = 'approved' \
           UNION ALL \
           SELECT 'activity', a.id, a.title, a.org_id, a.starts_at, a.ends_at, 'citizen' \
             FROM activities a JOIN orgs o ON o.id = a.org_id \
            WHERE NOT EXISTS (SELECT 1 FROM volunteers WHERE account_id = ?) AND a.status = 'approved' \
              AND a.visibility = 'public' AND a.starts_at >= ? AND {ORDERED_HERE} \
           UNION ALL \
           SELECT 'project', p.id, p.name, p.org_id, {PROJECT_START}, {PROJECT_END}, 'citizen' \
             FROM eval_projects p JOIN orgs o ON o.id = p.org_id \
            WHERE NOT EXISTS (SELECT 1 FROM volunteers WHERE account_id = ?) AND {PROJECT_END} >= ? \
              AND {ORDERED_HERE} \
         ) \
         SELECT m.subject, m.id, m.name, m.org_id, o.name AS org_name, m.started, m.ended, m.grp, \
                r.id AS rating_id, r.rater_group, r.level, r.recognition, r.participation, r.comment, \
                r.created_at AS rated_at \
           FROM mine m JOIN orgs o ON o.id = m.org_id \
           LEFT JOIN eval_ratings r ON r.subject = m.subject AND r.subject_id = m.id AND r.rater_id = ? \
          WHERE "
    );
    // One subject (the rate page) is shown even before it starts, so the page can say when
    // rating opens; the list holds only what has started.
    if let Some((subject, id)) = one {
        sql.push_str("m.subject = ? AND m.id = ?");
        params.extend([Value::Text(subject.into()), Value::Integer(id)]);
    } else {
        sql.push_str("m.started <= ?");
        params.push(Value::Integer(now));
    }
    if let Some(c) = &cursor {
        sql.push_str(
            " AND (m.started < ? OR (m.started = ? AND m.subject > ?) OR (m.started = ? AND m.subject = ? AND m.id < ?))",
        );
        let (s, k) = (Value::Integer(c.started), Value::Text(c.subject.into()));
        params.extend([s.clone(), s.clone(), k.clone(), s, k, Value::Integer(c.id)]);
    }
    sql.push_str(" ORDER BY m.started DESC, m.subject, m.id DESC LIMIT ?");
    params.push(Value::Integer(limit));
    let rows = db.query(&sql, &params)?;

    let mut items = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        let subject = if r.str("subject")? == "project" { "project" } else { "activity" };
        last = Some(Cursor { started: r.i64("started")?, subject, id: r.i64("id")? });
        items.push(item_json(r)?);
    }
    let next = if items.len() as i64 == limit { last.map(|c| Json::String(c.text())) } else { None };
    Ok(kit::json(200, &json!({"items": items, "next_cursor": next})))
}

/// One rateable subject with the caller's rating (or null). `as` is the group to rate as.
fn item_json(r: &kit::Row) -> Result<Json, ApiError> {
    let rating = match r.opt_i64("rating_id")? {
        None => Json::Null,
        Some(id) => {
            let level = r.str("level")?;
            json!({
                "id": id, "as": r.str("rater_group")?, "level": level, "points": model::rating_points(&level),
                "recognition": r.opt_i64("recognition")?, "participation": r.opt_i64("participation")?,
                "comment": r.str("comment")?, "created_at": kit::time::rfc3339(r.i64("rated_at")?),
            })
        }
    };
    Ok(json!({
        "subject": r.str("subject")?, "id": r.i64("id")?, "name": r.str("name")?,
        "org": {"id": r.i64("org_id")?, "name": r.str("org_name")?},
        "starts_at": kit::time::rfc3339(r.i64("started")?), "ends_at": kit::time::rfc3339(r.i64("ended")?),
        "as": r.str("grp")?, "rating": rating,
    }))
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c = Cursor { started: 1_796_000_000, subject: "project", id: 7 };
        assert_eq!(Cursor::parse(&c.text()), Some(c));
        for bad in ["", "12", "12.activity", "12.team.3", "x.activity.3", "12.activity.0", "1.activity.2.3"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
