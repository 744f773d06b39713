//! The respondent's side: the public form, and submitting a response.
//!
//! A submission is checked whole before anything is written: who may answer (the audience and
//! where they live), whether the survey takes answers now, and every answer against the
//! questionnaire. The one-response rules are primary keys inserted in the same transaction as
//! the response, so two submissions racing from two phones cannot both count.

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, Fields};
use crate::survey::{self, Survey};
use kit::identity::Principal;

/// `GET /api/v1/surveys/{id}/form` — no session: what a phone shows. Drafts do not exist here.
pub fn form(req: &Request, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    match Survey::load(&db, id)? {
        Some(s) if s.status != "draft" => Ok(kit::json(200, &s.form_json(now))),
        _ => Err(ApiError::NotFound("no such survey".into())),
    }
}

/// Where a respondent is counted: `(org id, org path)`.
fn residence(db: &Db, p: &Principal, s: &Survey, given: Option<i64>) -> Result<(i64, String), ApiError> {
    let outside = |why: &str| ApiError::Refused { code: "outside_audience", message: why.to_string() };
    let home = volunteer_home_at(db, p.account_id, s.counted_from())?;
    // A registered volunteer is counted at their home station in every survey: otherwise naming
    // another org would be a way into a survey meant for somewhere else. Only people the platform
    // has no home for say where they live.
    let place = if let Some(home) = home {
        if given.is_some_and(|g| g != home.0) {
            return Err(ApiError::invalid(
                "org_id",
                "you are counted at your home station as a registered volunteer; leave org_id out",
            ));
        }
        home
    } else if s.audience == "volunteers" {
        return Err(outside("this survey asks registered volunteers only"));
    } else {
        match given {
            Some(org) => {
                let Some((path, level)) = survey::active_org_path(db, org)? else {
                    return Err(ApiError::invalid("org_id", "no such active org"));
                };
                if !matches!(level.as_str(), "station" | "point" | "institute") {
                    return Err(ApiError::invalid("org_id", "give the station or point where you live"));
                }
                (org, path)
            }
            None => {
                home.ok_or_else(|| ApiError::invalid("org_id", "is required: the station or point where you live"))?
            }
        }
    };
    if !place.1.starts_with(&s.org_path) {
        return Err(outside(&format!("this survey asks the people of {} only", s.org_name)));
    }
    Ok(place)
}

/// An active volunteer's home org and its path as it was at `moment`: the home held then, or,
/// for someone registered since, the home they registered at (`volunteer_homes`, see
/// `migrations/0011_abuse.sql`). Moving one's home into a survey's audience after it was
/// published therefore does not count, and moving back changes nothing either. `None` for
/// someone who is not an active volunteer.
fn volunteer_home_at(db: &Db, account_id: i64, moment: i64) -> Result<Option<(i64, String)>, ApiError> {
    // The latest home from at or before `moment`; failing that, the earliest one.
    let home = db.query_one(
        "SELECT h.org_id, o.path FROM volunteers v
         JOIN volunteer_homes h ON h.volunteer_id = v.id JOIN orgs o ON o.id = h.org_id
         WHERE v.account_id = ?1 AND v.status = 'active'
         ORDER BY h.since <= ?2 DESC,
                  CASE WHEN h.since <= ?2 THEN -h.since ELSE h.since END,
                  CASE WHEN h.since <= ?2 THEN -h.id ELSE h.id END
         LIMIT 1",
        &[Value::Integer(account_id), Value::Integer(moment)],
    )?;
    home.map(|r| Ok((r.i64("org_id")?, r.str("path")?))).transpose()
}

/// `POST /api/v1/surveys/{id}/responses` → 201 `{"id", "survey_id", "submitted_at"}`.
pub fn submit(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["answers", "org_id", "household_key"])?;
    let answers = f.take("answers").ok_or_else(|| ApiError::invalid("answers", "is required"))?;
    let given_org = f.opt_id("org_id")?;
    let household = f.opt_line("household_key", 100)?;
    let db = Db::open()?;
    let s = match Survey::load(&db, id)? {
        Some(s) if s.status != "draft" => s,
        _ => return Err(ApiError::NotFound("no such survey".into())),
    };
    if !s.accepting(now) {
        return Err(not_accepting(&s, now));
    }
    let (org_id, org_path) = residence(&db, p, &s, given_org)?;
    match (s.one_per.as_str(), &household) {
        ("household", None) => {
            return Err(ApiError::invalid("household_key", "is required: this survey takes one answer per household"))
        }
        ("person", Some(_)) => {
            return Err(ApiError::invalid("household_key", "this survey takes one answer per person; leave it out"))
        }
        _ => {}
    }
    let checked = s.questionnaire()?.check(&answers).map_err(input::model_errors)?;
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        // The state again, inside the write lock: a close that landed meanwhile wins.
        let current = Survey::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such survey".into()))?;
        if !current.accepting(now) {
            return Err(not_accepting(&current, now));
        }
        let first = db.exec(
            "INSERT INTO survey_respondents (survey_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            &[Value::Integer(id), Value::Integer(p.account_id)],
        )?;
        if first == 0 {
            return Err(ApiError::conflict("already_answered", "you have already answered this survey"));
        }
        if let Some(h) = &household {
            let first = db.exec(
                "INSERT INTO survey_households (survey_id, household_key) VALUES (?, ?) ON CONFLICT DO NOTHING",
                &[Value::Integer(id), Value::Text(h.clone())],
            )?;
            if first == 0 {
                return Err(ApiError::conflict("already_answered", "your household has already answered this survey"));
            }
        }
        let who = if s.anonymous { Value::Null } else { Value::Integer(p.account_id) };
        let response = db.insert(
            "INSERT INTO survey_responses (survey_id, account_id, org_id, org_path, answers, submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(id),
                who,
                Value::Integer(org_id),
                Value::Text(org_path.clone()),
                Value::Text(Json::Object(checked.answers.clone()).to_string()),
                Value::Integer(now),
            ],
        )?;
        for c in &checked.cells {
            let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
            db.exec(
                "INSERT INTO survey_answers (response_id, survey_id, question, option, text, number) VALUES (?, ?, ?, ?, ?, ?)",
                &[
                    Value::Integer(response),
                    Value::Integer(id),
                    Value::Text(c.question.clone()),
                    text(&c.option),
                    text(&c.text),
                    c.number.map_or(Value::Null, Value::Real),
                ],
            )?;
        }
        Ok((201, json!({ "id": response, "survey_id": id, "submitted_at": kit::time::rfc3339(now) })))
    })?;
    Ok(kit::json(status, &body))
}

fn not_accepting(s: &Survey, now: i64) -> ApiError {
    let why = match s.state(now) {
        "closed" => "the survey has closed".to_string(),
        _ if now < s.opens_at => format!("the survey opens at {}", kit::time::rfc3339(s.opens_at)),
        other => format!("the survey is {other}"),
    };
    ApiError::conflict("not_accepting", why)
}
