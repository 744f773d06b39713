//! Staff's side: create, edit (drafts only), publish, close, list and read surveys.

use kit::{ApiError, Db, Page};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, Definition};
use crate::survey::{self, Survey, COLUMNS};
use kit::identity::{self, Action, Principal};

/// The org a survey targets: it must exist, be active and lie below the city level (else 422
/// `org_id`), and be one where `p` may manage surveys (else 403).
fn target_org(db: &Db, p: &Principal, org_id: i64) -> Result<String, ApiError> {
    let Some((path, level)) = survey::active_org_path(db, org_id)? else {
        return Err(ApiError::invalid("org_id", "no such active org"));
    };
    if level == "city" {
        return Err(ApiError::invalid("org_id", "a survey targets a centre, institute, station or point"));
    }
    if !kit::allowed(p, Action::ManageSurveys, &path)? {
        // The org tree is readable by everyone signed in, so there is nothing to hide: 403.
        return Err(ApiError::Forbidden(if identity::scopes(p, Action::ManageSurveys).is_empty() {
            "your roles do not allow manage-surveys".into()
        } else {
            "you may manage surveys only in your own area".into()
        }));
    }
    Ok(path)
}

fn definition_params(d: &Definition) -> Vec<Value> {
    vec![
        Value::Text(d.title.clone()),
        Value::Text(d.description.clone()),
        Value::Text(d.audience.into()),
        Value::Integer(i64::from(d.anonymous)),
        Value::Text(d.one_per.into()),
        Value::Integer(d.opens_at),
        Value::Integer(d.closes_at),
        Value::Text(d.questionnaire.to_json().to_string()),
    ]
}

/// `POST /api/v1/surveys` → 201 draft.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let d = Definition::from_request(req)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let path = target_org(&db, p, d.org_id)?;
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let mut params = vec![Value::Integer(d.org_id), Value::Text(path.clone())];
        params.extend(definition_params(&d));
        params.extend([Value::Integer(p.account_id), Value::Integer(now), Value::Integer(now)]);
        let id = db.insert(
            "INSERT INTO surveys (org_id, org_path, title, description, audience, anonymous, one_per, opens_at, \
             closes_at, definition, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &params,
        )?;
        let s = Survey::load(db, id)?.ok_or_else(|| ApiError::Internal("the new survey vanished".into()))?;
        let body = s.json(now, 0, true);
        kit::audit(db, p.account_id, "survey.create", "survey", Some(id), &path, None, Some(&summary(&s)))?;
        Ok((201, body))
    })?;
    Ok(kit::json(status, &body))
}

/// What the audit log keeps of a survey (not the whole questionnaire).
fn summary(s: &Survey) -> serde_json::Value {
    json!({ "title": s.title, "org_id": s.org_id, "status": s.status, "audience": s.audience,
            "anonymous": s.anonymous, "one_per": s.one_per, "opens_at": s.opens_at, "closes_at": s.closes_at })
}

/// The survey `id` if `p` may `action` on it, else 404/403.
fn visible(db: &Db, p: &Principal, id: i64, action: Action) -> Result<Survey, ApiError> {
    let s = Survey::load(db, id)?;
    let path = s.as_ref().map_or("/-/", |s| s.org_path.as_str());
    kit::gate(p, action, path, "survey")?;
    s.ok_or_else(|| ApiError::NotFound("no such survey".into()))
}

/// `GET /api/v1/surveys/{id}`.
pub fn detail(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let s = visible(&db, p, id, Action::ReadSurveyResults)?;
    Ok(kit::json(200, &s.json(now, survey::response_count(&db, id)?, true)))
}

/// `PUT /api/v1/surveys/{id}`: replaces a draft's questionnaire; a published survey's
/// questions never change.
pub fn update(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let before = visible(&db, p, id, Action::ManageSurveys)?;
    if before.status != "draft" {
        return Err(wrong_state(&before, now, "edited; a published survey's questions never change"));
    }
    let d = Definition::from_request(req)?;
    let path = if d.org_id == before.org_id { before.org_path.clone() } else { target_org(&db, p, d.org_id)? };
    let body = db.transaction(|db| {
        let mut params = vec![Value::Integer(d.org_id), Value::Text(path.clone())];
        params.extend(definition_params(&d));
        params.extend([Value::Integer(now), Value::Integer(id)]);
        let changed = db.exec(
            "UPDATE surveys SET org_id = ?, org_path = ?, title = ?, description = ?, audience = ?, anonymous = ?, \
             one_per = ?, opens_at = ?, closes_at = ?, definition = ?, updated_at = ? WHERE id = ? AND status = 'draft'",
            &params,
        )?;
        if changed == 0 {
            return Err(wrong_state(&before, now, "edited; a published survey's questions never change"));
        }
        let after = Survey::load(db, id)?.ok_or_else(|| ApiError::Internal("the survey vanished".into()))?;
        kit::audit(db, p.account_id, "survey.update", "survey", Some(id), &path, Some(&summary(&before)), Some(&summary(&after)))?;
        Ok(after.json(now, 0, true))
    })?;
    Ok(kit::json(200, &body))
}

fn wrong_state(s: &Survey, now: i64, what: &str) -> ApiError {
    ApiError::conflict("wrong_state", format!("the survey is {}: it cannot be {what}", s.state(now)))
}

/// `POST /api/v1/surveys/{id}/publish`: draft → published.
pub fn publish(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let before = visible(&db, p, id, Action::ManageSurveys)?;
    if before.status == "draft" && before.closes_at <= now {
        return Err(ApiError::invalid("closes_at", "the closing time has passed; edit it before publishing"));
    }
    transition(&db, p, &before, now, "draft", "published", "survey.publish", "published")
}

/// `POST /api/v1/surveys/{id}/close`: published → closed (also when it already closed itself
/// by time, which makes it explicit).
pub fn close(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let before = visible(&db, p, id, Action::ManageSurveys)?;
    transition(&db, p, &before, now, "published", "closed", "survey.close", "closed")
}

/// Published surveys past their closing time: the rule [`Survey::state`] applies on every read,
/// as SQL, so the job below stores what readers already see.
const PAST_CLOSING: &str = "status = 'published' AND closes_at <= ?";

/// `POST /api/v1/jobs/survey-windows` (the scheduler only): opens and closes surveys at their
/// times. A published survey whose `opens_at` has passed gets `opened_at` (once); one whose
/// `closes_at` has passed becomes `closed`, with `closed_at = closes_at` as an explicit close
/// after the time would record. Readers already treat both by time alone, so nothing anyone sees
/// changes; the stored status then agrees with it (lists, exports, other components' SQL). Not
/// audited: time did it. → 200 `{"job": "survey-windows", "opened": n, "closed": m}`; a repeat
/// answers 0 and 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let db = Db::open()?;
    let (opened, closed) = db.transaction(|db| {
        let opened = db.exec(
            "UPDATE surveys SET opened_at = max(opens_at, COALESCE(published_at, opens_at)), updated_at = ?
             WHERE status = 'published' AND opened_at IS NULL AND opens_at <= ?",
            &[Value::Integer(now), Value::Integer(now)],
        )?;
        let closed = db.exec(
            &format!(
                "UPDATE surveys SET status = 'closed', closed_at = closes_at, updated_at = ? WHERE {PAST_CLOSING}"
            ),
            &[Value::Integer(now), Value::Integer(now)],
        )?;
        Ok((opened as i64, closed as i64))
    })?;
    Ok(kit::jobs::report("survey-windows", &[("opened", opened), ("closed", closed)]))
}

/// Moves `s` from `from` to `to` if it is still `from` (one conditional UPDATE, so two staff
/// pressing the button at once cannot both succeed), audited.
#[allow(clippy::too_many_arguments)]
fn transition(
    db: &Db,
    p: &Principal,
    s: &Survey,
    now: i64,
    from: &str,
    to: &str,
    action: &str,
    verb: &str,
) -> Result<Response, ApiError> {
    let body = db.transaction(|db| {
        let stamp = if to == "published" { "published_at" } else { "closed_at" };
        // A survey that closed itself by time keeps its closing time as when it closed.
        let at = if to == "closed" { now.min(s.closes_at) } else { now };
        let changed = db.exec(
            &format!("UPDATE surveys SET status = ?, {stamp} = ?, updated_at = ? WHERE id = ? AND status = ?"),
            &[
                Value::Text(to.into()),
                Value::Integer(at),
                Value::Integer(now),
                Value::Integer(s.id),
                Value::Text(from.into()),
            ],
        )?;
        if changed == 0 {
            let current = Survey::load(db, s.id)?.unwrap_or_else(|| s.clone());
            return Err(wrong_state(&current, now, verb));
        }
        let after = Survey::load(db, s.id)?.ok_or_else(|| ApiError::Internal("the survey vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            action,
            "survey",
            Some(s.id),
            &s.org_path,
            Some(&summary(s)),
            Some(&summary(&after)),
        )?;
        Ok(after.json(now, survey::response_count(db, s.id)?, true))
    })?;
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/surveys?status=&under=&limit=&cursor=`: surveys in the caller's
/// read-survey-results scope, by id.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let now = kit::request_now(req);
    let status = kit::query_param(req, "status").filter(|s| !s.is_empty());
    let under = input::query_id(req, "under")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ReadSurveyResults)?.condition("s.org_path", &mut params);
    let mut sql = format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) AS responses \
         FROM surveys s JOIN orgs o ON o.id = s.org_id WHERE {scope} AND s.id > ?"
    );
    params.push(Value::Integer(page.after));
    match status.as_deref() {
        None => {}
        Some("draft") => sql.push_str(" AND s.status = 'draft'"),
        Some("published") => {
            sql.push_str(" AND s.status = 'published' AND s.closes_at > ?");
            params.push(Value::Integer(now));
        }
        Some("closed") => {
            sql.push_str(" AND (s.status = 'closed' OR (s.status = 'published' AND s.closes_at <= ?))");
            params.push(Value::Integer(now));
        }
        Some(_) => return Err(ApiError::invalid("status", "must be one of: draft, published, closed")),
    }
    if let Some(org) = under {
        let row = db.query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(org)])?;
        let path = row.ok_or_else(|| ApiError::NotFound("no such org".into()))?.str("path")?;
        let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
        sql.push_str(" AND s.org_path >= ? AND s.org_path < ?");
        params.extend([Value::Text(lo), Value::Text(hi)]);
    }
    sql.push_str(" ORDER BY s.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let mut items = Vec::new();
    let mut last = None;
    for r in db.query(&sql, &params)? {
        let s = Survey::from_row(&r)?;
        last = Some(s.id);
        items.push(s.json(now, r.i64("responses")?, false));
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}
