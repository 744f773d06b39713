//! `GET /api/v1/activities` (search) and `GET /api/v1/activities/{id}`: open to everyone for
//! approved public activities; with a session, also what the caller manages, applied for or
//! signed up to (see [`crate::activities`] for the rule). Hidden activities are 404.

use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities::{self, Activity, Viewer, SELECT};
use crate::input;

const STATUSES: [&str; 4] = ["pending", "approved", "rejected", "cancelled"];

/// `GET /api/v1/activities?under=&category=&from=&started_from=&to=&status=&q=&limit=&cursor=`,
/// ordered by id.
///
/// - `under`: activities hosted at that org or below it;
/// - `from`/`to`: activities that overlap [from, to) (one that started before `from` but is still
///   running is shown);
/// - `started_from` (with `to`): activities that *start* in [started_from, to), the way the
///   statistics count a period's activities, so the home page's figure opens the same rows;
/// - `q`: a substring of the title, description or address.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let under = input::query_id(req, "under")?;
    let category = input::query_text(req, "category", 50)?;
    let from = input::query_time(req, "from")?;
    let started_from = input::query_time(req, "started_from")?;
    let to = input::query_time(req, "to")?;
    for start in [from, started_from] {
        if let (Some(f), Some(t)) = (start, to) {
            if t <= f {
                return Err(ApiError::invalid("to", "must be after from"));
            }
        }
    }
    let status = input::query_text(req, "status", 10)?;
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::invalid("status", "must be pending, approved, rejected or cancelled"));
        }
    }
    let q = input::query_text(req, "q", 100)?;
    let principal = kit::optional(req)?;

    let db = Db::open()?;
    let viewer = Viewer::new(&db, principal)?;
    let mut params = Vec::new();
    let mut sql = format!("{SELECT} WHERE a.id > ? AND {}", {
        params.push(Value::Integer(page.after));
        viewer.visible_sql(&mut params)
    });
    if let Some(org) = under {
        let path = db
            .query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(org)])?
            .ok_or_else(|| ApiError::NotFound("no such org".into()))?
            .str("path")?;
        let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
        sql.push_str(" AND o.path >= ? AND o.path < ?");
        params.extend([Value::Text(lo), Value::Text(hi)]);
    }
    if let Some(c) = category {
        sql.push_str(" AND a.category = ?");
        params.push(Value::Text(c));
    }
    if let Some(f) = from {
        sql.push_str(" AND a.ends_at > ?");
        params.push(Value::Integer(f));
    }
    if let Some(f) = started_from {
        sql.push_str(" AND a.starts_at >= ?");
        params.push(Value::Integer(f));
    }
    if let Some(t) = to {
        sql.push_str(" AND a.starts_at < ?");
        params.push(Value::Integer(t));
    }
    if let Some(s) = status {
        sql.push_str(" AND a.status = ?");
        params.push(Value::Text(s));
    }
    if let Some(q) = q {
        sql.push_str(
            " AND (a.title LIKE ? ESCAPE '\\' OR a.description LIKE ? ESCAPE '\\' OR a.address LIKE ? ESCAPE '\\')",
        );
        let pattern = format!("%{}%", input::like_escape(&q));
        params.extend([Value::Text(pattern.clone()), Value::Text(pattern.clone()), Value::Text(pattern)]);
    }
    sql.push_str(" ORDER BY a.id LIMIT ?");
    params.push(Value::Integer(page.limit));

    let items = db.query(&sql, &params)?.iter().map(Activity::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = items.last().map(|a| a.id);
    let shown = items.iter().map(|a| a.json(viewer.full(a))).collect();
    Ok(kit::json(200, &page.envelope(shown, last)))
}

/// `GET /api/v1/activities/{id}[?invitation_code=]`: the activity, if the caller may see it.
/// The invitation code lets an invitee read the activity they were invited to before signing up.
pub fn get(req: &Request, id: i64) -> Result<Response, ApiError> {
    let principal = kit::optional(req)?;
    let invitation = input::query_text(req, "invitation_code", 20)?.map(|c| c.to_ascii_uppercase());
    let db = Db::open()?;
    let viewer = Viewer::new(&db, principal)?;
    let a = activities::load(&db, id)?.ok_or_else(access::not_found)?;
    if !viewer.sees(&db, &a, invitation.as_deref())? {
        return Err(access::not_found());
    }
    Ok(kit::json(200, &a.json(viewer.full(&a))))
}
