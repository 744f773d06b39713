//! Volunteer service projects (志愿服务项目): a named piece of an org's ongoing work over a
//! period, optionally carried by one of its teams, that participants and the people served rate.
//! Staff with manage-evaluations at the org create them; any signed-in person can list and read
//! them (they are what people are asked to rate).

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Org;
use crate::input::{self, Fields};
use crate::ratings;
use kit::identity::{Action, Principal};

const COLUMNS: &str = "p.id, p.org_id, p.org_path, p.team_id, p.name, p.description, p.starts_on, p.ends_on, p.created_at, o.name AS org_name";

fn project_json(r: &kit::Row) -> Result<Json, ApiError> {
    Ok(json!({
        "id": r.i64("id")?, "name": r.str("name")?, "description": r.str("description")?,
        "org": {"id": r.i64("org_id")?, "name": r.str("org_name")?, "path": r.str("org_path")?},
        "team_id": r.opt_i64("team_id")?, "starts_on": r.str("starts_on")?, "ends_on": r.str("ends_on")?,
        "created_at": kit::time::rfc3339(r.i64("created_at")?),
    }))
}

fn load(db: &Db, id: i64) -> Result<Option<kit::Row>, ApiError> {
    db.query_one(
        &format!("SELECT {COLUMNS} FROM eval_projects p JOIN orgs o ON o.id = p.org_id WHERE p.id = ?"),
        &[Value::Integer(id)],
    )
}

/// `POST /api/v1/projects` → 201.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["name", "org_id", "team_id", "description", "starts_on", "ends_on"])?;
    let name = f.line("name", 100)?;
    let org_id = f.id("org_id")?;
    let team_id = f.opt_id("team_id")?;
    let description = f.opt_text("description", 2000)?.unwrap_or_default();
    let starts_on = f.date("starts_on")?.to_string();
    let ends_on = f.date("ends_on")?.to_string();
    if ends_on < starts_on {
        return Err(ApiError::invalid("ends_on", "must not be before starts_on"));
    }
    let db = Db::open()?;
    let org = Org::load(&db, org_id)?
        .filter(|o| o.active && o.level != "city")
        .ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
    if !kit::allowed(p, Action::ManageEvaluations, &org.path)? {
        return Err(ApiError::Forbidden("you may create projects only where you hold manage-evaluations".into()));
    }
    if let Some(team) = team_id {
        let row = db.query_one(
            "SELECT o.path FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.id = ? AND t.active = 1",
            &[Value::Integer(team)],
        )?;
        if !row.map(|r| r.str("path")).transpose()?.is_some_and(|path| path.starts_with(&org.path)) {
            return Err(ApiError::invalid("team_id", "no such active team in the org's subtree"));
        }
    }
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let inserted = db.exec(
            "INSERT INTO eval_projects (org_id, org_path, team_id, name, description, starts_on, ends_on, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Value::Integer(org.id),
                Value::Text(org.path.clone()),
                team_id.map_or(Value::Null, Value::Integer),
                Value::Text(name.clone()),
                Value::Text(description.clone()),
                Value::Text(starts_on.clone()),
                Value::Text(ends_on.clone()),
                Value::Integer(p.account_id),
                Value::Integer(now),
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict("name_taken", "the org already has a project of that name"));
        }
        let id = db.connection().last_insert_rowid();
        let body = project_json(&load(db, id)?.ok_or_else(|| ApiError::Internal("the new project vanished".into()))?)?;
        kit::audit(db, p.account_id, "project.create", "project", Some(id), &org.path, None, Some(&body))?;
        Ok((201, body))
    })?;
    Ok(kit::json(status, &body))
}

/// `GET /api/v1/projects?under=&limit=&cursor=` — any signed-in person, by id.
pub fn list(req: &Request, _p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let under = input::query_id(req, "under")?;
    let db = Db::open()?;
    let mut sql = format!("SELECT {COLUMNS} FROM eval_projects p JOIN orgs o ON o.id = p.org_id WHERE p.id > ?");
    let mut params = vec![Value::Integer(page.after)];
    if let Some(org) = under {
        let org = Org::load(&db, org)?.ok_or_else(|| ApiError::invalid("under", "no such org"))?;
        let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
        sql.push_str(" AND p.org_path >= ? AND p.org_path < ?");
        params.extend([Value::Text(lo), Value::Text(hi)]);
    }
    sql.push_str(" ORDER BY p.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    let items = rows.iter().map(project_json).collect::<Result<Vec<_>, _>>()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/projects/{id}` — the project; its ratings' summary for read-evaluations holders.
pub fn detail(_req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let row = load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such project".into()))?;
    let mut body = project_json(&row)?;
    if kit::allowed(p, Action::ReadEvaluations, &row.str("org_path")?)? {
        body["ratings"] = ratings::tally(&db, "subject = 'project' AND subject_id = ?", &[Value::Integer(id)])?.json();
    }
    Ok(kit::json(200, &body))
}
