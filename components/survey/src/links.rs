//! From a need to the work it caused: a survey, one of its questions or one option linked to a
//! service-menu item, a demand order or an activity. The link stores ids only; the target's
//! title and status are read when the link is shown, so they are always current.

use std::collections::HashMap;

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::Fields;
use crate::survey::Survey;
use kit::identity::{Action, Principal};

/// What a link may point at.
pub const TARGETS: [&str; 3] = ["service_menu_item", "demand", "activity"];

/// A target's title, status and org path, if it exists.
fn target(db: &Db, kind: &str, id: i64) -> Result<Option<(String, String, String)>, ApiError> {
    let sql = match kind {
        "service_menu_item" => {
            "SELECT m.category || ' / ' || m.name AS title, CASE m.active WHEN 1 THEN 'active' ELSE 'inactive' END AS status, \
             o.path FROM service_menu_items m JOIN orgs o ON o.id = m.centre_org_id WHERE m.id = ?"
        }
        "demand" => {
            "SELECT m.name || ': ' || substr(d.description, 1, 40) AS title, d.status, o.path \
             FROM demands d JOIN service_menu_items m ON m.id = d.menu_item_id JOIN orgs o ON o.id = d.org_id WHERE d.id = ?"
        }
        _ => "SELECT a.title, a.status, o.path FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?",
    };
    let row = db.query_one(sql, &[Value::Integer(id)])?;
    row.map(|r| Ok((r.str("title")?, r.str("status")?, r.str("path")?))).transpose()
}

fn link_json(db: &Db, r: &kit::Row) -> Result<Json, ApiError> {
    let kind = r.str("target")?;
    let target_id = r.i64("target_id")?;
    let (title, status) = match target(db, &kind, target_id)? {
        Some((title, status, _)) => (json!(title), json!(status)),
        None => (Json::Null, Json::Null),
    };
    let blank_null = |s: String| {
        if s.is_empty() {
            Json::Null
        } else {
            Json::String(s)
        }
    };
    Ok(json!({
        "id": r.i64("id")?,
        "question": blank_null(r.str("question")?),
        "option": blank_null(r.str("option")?),
        "target": kind,
        "target_id": target_id,
        "title": title,
        "status": status,
        "note": r.str("note")?,
        "created_at": kit::time::rfc3339(r.i64("created_at")?),
    }))
}

/// Every link of a survey by question key (`""` for links to the survey as a whole).
pub fn by_question(db: &Db, survey_id: i64) -> Result<HashMap<String, Vec<Json>>, ApiError> {
    let mut out: HashMap<String, Vec<Json>> = HashMap::new();
    for r in db.query("SELECT * FROM survey_links WHERE survey_id = ? ORDER BY id", &[Value::Integer(survey_id)])? {
        out.entry(r.str("question")?).or_default().push(link_json(db, &r)?);
    }
    Ok(out)
}

/// `POST /api/v1/surveys/{id}/links` → 201 link.
pub fn create(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["question", "option", "target", "target_id", "note"])?;
    let question = f.opt_line("question", 40)?;
    let option = f.opt_line("option", 40)?;
    let kind = {
        let s = f.raw("target")?;
        TARGETS
            .iter()
            .copied()
            .find(|t| *t == s.trim())
            .ok_or_else(|| ApiError::invalid("target", format!("must be one of: {}", TARGETS.join(", "))))?
    };
    let target_id = f.id("target_id")?;
    let note = f.opt_text("note", 500)?.unwrap_or_default();
    let now = kit::request_now(req);
    let db = Db::open()?;
    let s = Survey::load(&db, id)?;
    kit::gate(p, Action::ManageSurveys, s.as_ref().map_or("/-/", |s| s.org_path.as_str()), "survey")?;
    let s = s.ok_or_else(|| ApiError::NotFound("no such survey".into()))?;
    let questionnaire = s.questionnaire()?;
    if let Some(key) = &question {
        let q = questionnaire
            .question(key)
            .ok_or_else(|| ApiError::invalid("question", "no such question in this survey"))?;
        if let Some(o) = &option {
            if !q.kind.options().is_some_and(|opts| opts.iter().any(|c| &c.key == o)) {
                return Err(ApiError::invalid("option", "no such option of this question"));
            }
        }
    } else if option.is_some() {
        return Err(ApiError::invalid("option", "name the question the option belongs to"));
    }
    // The target must be work the caller can see from this survey: a menu item of a centre
    // above (or at) the survey's org, or a demand or activity in the caller's own area.
    let missing = || ApiError::invalid("target_id", format!("no such {} in your area", kind.replace('_', " ")));
    let (_, _, path) = target(&db, kind, target_id)?.ok_or_else(missing)?;
    let reachable = match kind {
        "service_menu_item" => s.org_path.starts_with(&path) || kit::allowed(p, Action::ManageSurveys, &path)?,
        _ => kit::allowed(p, Action::ManageSurveys, &path)?,
    };
    if !reachable {
        return Err(missing());
    }
    let body = db.transaction(|db| {
        let key = [
            Value::Integer(id),
            Value::Text(question.clone().unwrap_or_default()),
            Value::Text(option.clone().unwrap_or_default()),
            Value::Text(kind.into()),
            Value::Integer(target_id),
        ];
        let mut params = key.to_vec();
        params.extend([Value::Text(note.clone()), Value::Integer(p.account_id), Value::Integer(now)]);
        let inserted = db.exec(
            "INSERT INTO survey_links (survey_id, question, option, target, target_id, note, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &params,
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict("duplicate", "this link exists already"));
        }
        let row = db
            .query_one(
                "SELECT * FROM survey_links WHERE survey_id = ? AND question = ? AND option = ? AND target = ? AND target_id = ?",
                &key,
            )?
            .ok_or_else(|| ApiError::Internal("the new link vanished".into()))?;
        let body = link_json(db, &row)?;
        kit::audit(db, p.account_id, "survey.link", "survey", Some(id), &s.org_path, None, Some(&body))?;
        Ok(body)
    })?;
    Ok(kit::json(201, &body))
}

/// `GET /api/v1/surveys/{id}/links?limit=&cursor=`.
pub fn list(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let s = Survey::load(&db, id)?;
    kit::gate(p, Action::ReadSurveyResults, s.as_ref().map_or("/-/", |s| s.org_path.as_str()), "survey")?;
    let mut items = Vec::new();
    let mut last = None;
    for r in db.query(
        "SELECT * FROM survey_links WHERE survey_id = ? AND id > ? ORDER BY id LIMIT ?",
        &[Value::Integer(id), Value::Integer(page.after), Value::Integer(page.limit)],
    )? {
        last = Some(r.i64("id")?);
        items.push(link_json(&db, &r)?);
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}
