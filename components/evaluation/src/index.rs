//! The index (文明实践指数) and rankings among siblings, computed on request from what the
//! platform already holds over an org's subtree and a period; the SQL here only gathers the
//! inputs ([`model::IndexInputs`]), the arithmetic is [`model::index`]. Weights and targets are
//! the deployment's (`deployment_settings` key `evaluation.index`), read and changed here.

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Org;
use crate::input;
use crate::model::{self, IndexInputs, IndexSettings, Period};
use kit::identity::{self, Action, Principal};

const SETTINGS_KEY: &str = "evaluation.index";

/// The deployment's index settings (the migration stores defaults).
pub fn settings(db: &Db) -> Result<IndexSettings, ApiError> {
    let text = kit::settings::get(db, SETTINGS_KEY)?
        .ok_or_else(|| ApiError::Internal("evaluation.index is not set".into()))?;
    let v: Json = serde_json::from_str(&text).map_err(|e| ApiError::Internal(format!("evaluation.index: {e}")))?;
    IndexSettings::parse(&v).map_err(|p| ApiError::Internal(format!("evaluation.index is invalid: {p:?}")))
}

fn count(db: &Db, sql: &str, params: &[Value]) -> Result<(i64, i64), ApiError> {
    let r = db.query_one(sql, params)?.ok_or_else(|| ApiError::Internal("no aggregate row".into()))?;
    Ok((r.i64("a")?, r.opt_i64("b")?.unwrap_or(0)))
}

/// Gathers the index inputs of `org`'s subtree for `period` (see docs/evaluation-api.md).
pub fn inputs(db: &Db, org: &Org, period: &Period) -> Result<IndexInputs, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    let (from, to) = (Value::Integer(period.start), Value::Integer(period.end));
    let sub = [Value::Text(lo.clone()), Value::Text(hi.clone())];
    let with = |extra: &[Value]| -> Vec<Value> { extra.iter().cloned().chain(sub.iter().cloned()).collect() };
    let (attendances, _) = count(
        db,
        "SELECT COUNT(*) AS a, 0 AS b FROM attendances t JOIN activities a ON a.id = t.activity_id JOIN orgs o ON o.id = a.org_id \
         WHERE a.status = 'approved' AND a.starts_at >= ? AND a.starts_at < ? AND o.path >= ? AND o.path < ?",
        &with(&[from.clone(), to.clone()]),
    )?;
    let (teams, active_teams) = count(
        db,
        "SELECT COUNT(*) AS a, SUM(CASE WHEN EXISTS (SELECT 1 FROM activities a WHERE a.team_id = t.id AND a.status = 'approved' \
             AND a.starts_at >= ?1 AND a.starts_at < ?2) \
           OR EXISTS (SELECT 1 FROM demands d WHERE d.team_id = t.id AND d.completed_at >= ?1 AND d.completed_at < ?2) THEN 1 ELSE 0 END) AS b \
         FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.active = 1 AND o.path >= ?3 AND o.path < ?4",
        &with(&[from.clone(), to.clone()]),
    )?;
    let (orders_rated, orders_good) = count(
        db,
        "SELECT COUNT(*) AS a, SUM(d.rating IN ('very_satisfied', 'satisfied')) AS b FROM demands d JOIN orgs o ON o.id = d.org_id \
         WHERE d.rating IS NOT NULL AND d.completed_at >= ? AND d.completed_at < ? AND o.path >= ? AND o.path < ?",
        &with(&[from.clone(), to.clone()]),
    )?;
    let (ratings, ratings_good) = count(
        db,
        "SELECT COUNT(*) AS a, SUM(level IN ('very_satisfied', 'satisfied')) AS b FROM eval_ratings \
         WHERE created_at >= ? AND created_at < ? AND org_path >= ? AND org_path < ?",
        &with(&[from.clone(), to.clone()]),
    )?;
    let (accepted, response_seconds) = count(
        db,
        "SELECT COUNT(*) AS a, SUM(accepted_at - created_at) AS b FROM (SELECT d.created_at, \
           (SELECT MIN(e.at) FROM demand_events e WHERE e.demand_id = d.id AND e.to_status = 'accepted') AS accepted_at \
           FROM demands d JOIN orgs o ON o.id = d.org_id WHERE d.created_at >= ? AND d.created_at < ? AND o.path >= ? AND o.path < ?) \
         WHERE accepted_at IS NOT NULL",
        &with(&[from.clone(), to.clone()]),
    )?;
    let (orders, orders_done) = count(
        db,
        "SELECT COUNT(*) AS a, SUM(d.status IN ('completed', 'closed')) AS b FROM demands d JOIN orgs o ON o.id = d.org_id \
         WHERE d.status <> 'cancelled' AND d.created_at >= ? AND d.created_at < ? AND o.path >= ? AND o.path < ?",
        &with(&[from, to]),
    )?;
    Ok(IndexInputs {
        attendances,
        teams,
        active_teams,
        orders_rated,
        orders_good,
        ratings,
        ratings_good,
        accepted,
        response_seconds,
        orders,
        orders_done,
    })
}

/// `GET /api/v1/evaluation/index?org=&period=` — read-evaluations at the org.
pub fn one(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let org_id = input::required_id(req, "org")?;
    let period = input::query_period(req)?;
    let db = Db::open()?;
    let org = Org::load(&db, org_id)?;
    kit::gate(p, Action::ReadEvaluations, org.as_ref().map_or("/-/", |o| o.path.as_str()), "org")?;
    let org = org.ok_or_else(|| ApiError::NotFound("no such org".into()))?;
    let s = settings(&db)?;
    let (_, mut body) = model::index(&s, &org.level, &inputs(&db, &org, &period)?);
    body["org"] = org.json();
    body["period"] = period.json();
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/evaluation/rankings?parent=&period=&limit=&cursor=` — the parent's active
/// children ranked by index (ties: lower org id first); `cursor` is the last rank seen.
pub fn rankings(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let parent_id = input::required_id(req, "parent")?;
    let period = input::query_period(req)?;
    let db = Db::open()?;
    let parent = Org::load(&db, parent_id)?;
    kit::gate(p, Action::ReadEvaluations, parent.as_ref().map_or("/-/", |o| o.path.as_str()), "org")?;
    let parent = parent.ok_or_else(|| ApiError::NotFound("no such org".into()))?;
    let s = settings(&db)?;
    let children =
        db.query("SELECT id FROM orgs WHERE parent_id = ? AND active = 1 ORDER BY id", &[Value::Integer(parent.id)])?;
    let mut scored = Vec::new();
    for c in children {
        let org = Org::load(&db, c.i64("id")?)?.ok_or_else(|| ApiError::Internal("org vanished".into()))?;
        let (idx, body) = model::index(&s, &org.level, &inputs(&db, &org, &period)?);
        scored.push((org, idx, body));
    }
    let mut order: Vec<(i64, f64)> = scored.iter().map(|(o, i, _)| (o.id, *i)).collect();
    model::ranking_order(&mut order);
    let mut items = Vec::new();
    for (rank, (id, _)) in order.iter().enumerate() {
        let rank = rank as i64 + 1;
        if rank <= page.after || items.len() as i64 >= page.limit {
            continue;
        }
        let (org, _, body) =
            scored.iter().find(|(o, _, _)| o.id == *id).ok_or_else(|| ApiError::Internal("ranked org lost".into()))?;
        let mut item = body.clone();
        item["rank"] = json!(rank);
        item["org"] = org.json();
        items.push(item);
    }
    let last_rank = items.last().and_then(|i| i["rank"].as_i64());
    let mut body = page.envelope(items, last_rank);
    body["parent"] = parent.json();
    body["period"] = period.json();
    body["order"] = json!("index descending; ties by org id ascending");
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/evaluation/settings` — read-evaluations anywhere.
pub fn get_settings(_req: &Request, p: &Principal) -> Result<Response, ApiError> {
    if identity::scopes(p, Action::ReadEvaluations).is_empty() {
        return Err(ApiError::Forbidden("your roles do not allow read-evaluations".into()));
    }
    let db = Db::open()?;
    Ok(kit::json(200, &settings(&db)?.json()))
}

/// `PUT /api/v1/evaluation/settings` (the whole settings) — manage-evaluations at a centre;
/// checked whole (422 with every problem), audited.
pub fn put_settings(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let body: Json = kit::parse_body(req)?;
    let db = Db::open()?;
    let mut centre_path = None;
    for path in identity::scopes(p, Action::ManageEvaluations) {
        let level = db.query_one("SELECT level FROM orgs WHERE path = ?", &[Value::Text(path.clone())])?;
        if level.map(|r| r.str("level")).transpose()?.is_some_and(|l| l == "centre" || l == "city") {
            centre_path = Some(path);
            break;
        }
    }
    let centre_path = centre_path
        .ok_or_else(|| ApiError::Forbidden("index settings are changed by manage-evaluations at a centre".into()))?;
    let new = IndexSettings::parse(&body).map_err(input::problems)?;
    let saved = db.transaction(|db| {
        let before = settings(db)?;
        kit::settings::set(db, SETTINGS_KEY, &new.json().to_string(), now)?;
        kit::audit(
            db,
            p.account_id,
            "evaluation.settings",
            "deployment_settings",
            None,
            &centre_path,
            Some(&before.json()),
            Some(&new.json()),
        )?;
        Ok(new.json())
    })?;
    Ok(kit::json(200, &saved))
}
