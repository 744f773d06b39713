//! Results: counts, shares and averages per question (GROUP BY over `survey_answers`), the
//! breakdown by station, text answers paged, and the CSV of raw answers.
//!
//! Shares are of those who answered the question (a hidden or skipped question does not lower
//! them), to one decimal; averages to two. Both are computed here from exact counts and sums,
//! never stored.

use std::collections::HashMap;

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;
use survey_model::{Choice, Kind, Question};

use crate::input;
use crate::links;
use crate::survey::Survey;
use kit::identity::{Action, Principal};

fn visible(db: &Db, p: &Principal, id: i64) -> Result<Survey, ApiError> {
    let s = Survey::load(db, id)?;
    kit::gate(p, Action::ReadSurveyResults, s.as_ref().map_or("/-/", |s| s.org_path.as_str()), "survey")?;
    s.ok_or_else(|| ApiError::NotFound("no such survey".into()))
}

/// The respondents counted: the survey's, or those living under `?org_id=` (an org in the
/// survey's subtree). Returns the SQL condition on `r.org_path` and its bounds.
fn narrowing(db: &Db, req: &Request, s: &Survey) -> Result<(Option<i64>, String, String), ApiError> {
    let Some(org) = input::query_id(req, "org_id")? else {
        let (lo, hi) = kit::org_path(&s.org_path)?.subtree_bounds();
        return Ok((None, lo, hi));
    };
    let row = db.query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(org)])?;
    match row.map(|r| r.str("path")).transpose()? {
        Some(path) if path.starts_with(&s.org_path) => {
            let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
            Ok((Some(org), lo, hi))
        }
        _ => Err(ApiError::invalid("org_id", "must be an org in the survey's area")),
    }
}

/// One decimal of `part / whole` in percent (0 when nobody answered).
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

/// Two decimals.
pub fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Everything counted for one question, read once per request.
#[derive(Default)]
struct Counts {
    answered: HashMap<String, i64>,
    /// (question, option, column) → count; column is set for matrices.
    options: HashMap<(String, String, Option<String>), i64>,
    /// question → (count, sum, min, max) of numbers.
    numbers: HashMap<String, (i64, f64, f64, f64)>,
    /// (question, whole value) → count, for ratings.
    values: HashMap<(String, i64), i64>,
    /// question → (earliest, latest) of texts (dates).
    text_range: HashMap<String, (String, String)>,
}

impl Counts {
    fn read(db: &Db, survey_id: i64, lo: &str, hi: &str) -> Result<Counts, ApiError> {
        let params = [Value::Integer(survey_id), Value::Text(lo.into()), Value::Text(hi.into())];
        let from = "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id \
                    WHERE a.survey_id = ? AND r.org_path >= ? AND r.org_path < ?";
        let mut c = Counts::default();
        for r in db.query(
            &format!("SELECT a.question, COUNT(DISTINCT a.response_id) AS n {from} GROUP BY a.question"),
            &params,
        )? {
            c.answered.insert(r.str("question")?, r.i64("n")?);
        }
        let sql = format!(
            "SELECT a.question, a.option, a.text, COUNT(*) AS n {from} AND a.option IS NOT NULL GROUP BY a.question, a.option, a.text"
        );
        for r in db.query(&sql, &params)? {
            c.options.insert((r.str("question")?, r.str("option")?, r.opt_str("text")?), r.i64("n")?);
        }
        let sql = format!(
            "SELECT a.question, COUNT(*) AS n, SUM(a.number) AS total, MIN(a.number) AS lo, MAX(a.number) AS hi \
             {from} AND a.number IS NOT NULL GROUP BY a.question"
        );
        for r in db.query(&sql, &params)? {
            c.numbers.insert(r.str("question")?, (r.i64("n")?, r.f64("total")?, r.f64("lo")?, r.f64("hi")?));
        }
        let sql = format!(
            "SELECT a.question, CAST(a.number AS INTEGER) AS v, COUNT(*) AS n {from} AND a.number IS NOT NULL \
             AND a.number = CAST(a.number AS INTEGER) GROUP BY a.question, v"
        );
        for r in db.query(&sql, &params)? {
            c.values.insert((r.str("question")?, r.i64("v")?), r.i64("n")?);
        }
        let sql = format!(
            "SELECT a.question, MIN(a.text) AS lo, MAX(a.text) AS hi {from} AND a.option IS NULL AND a.text IS NOT NULL GROUP BY a.question"
        );
        for r in db.query(&sql, &params)? {
            c.text_range.insert(r.str("question")?, (r.str("lo")?, r.str("hi")?));
        }
        Ok(c)
    }

    fn count(&self, q: &str, option: &str, column: Option<&str>) -> i64 {
        self.options.get(&(q.to_string(), option.to_string(), column.map(str::to_string))).copied().unwrap_or(0)
    }

    fn shares(&self, q: &str, choices: &[Choice], column_of: Option<&str>, whole: i64) -> Json {
        Json::Array(
            choices
                .iter()
                .map(|c| {
                    // For a matrix the choices are columns and `column_of` is the row.
                    let n = match column_of {
                        None => self.count(q, &c.key, None),
                        Some(row) => self.count(q, row, Some(&c.key)),
                    };
                    json!({ "key": c.key, "label": c.label, "count": n, "percent": percent(n, whole) })
                })
                .collect(),
        )
    }

    fn question(&self, q: &Question) -> Json {
        let answered = self.answered.get(&q.key).copied().unwrap_or(0);
        let mut v = json!({ "key": q.key, "type": q.kind.name(), "title": q.title, "answered": answered });
        let stats = self.numbers.get(&q.key);
        let average = stats.map_or(Json::Null, |(n, sum, _, _)| json!(two_decimals(sum / *n as f64)));
        match &q.kind {
            Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } => {
                v["options"] = self.shares(&q.key, options, None, answered);
            }
            Kind::Rating { scale } => {
                v["average"] = average;
                v["distribution"] = (1..=*scale)
                    .map(|value| json!({ "value": value, "count": self.values.get(&(q.key.clone(), value)).copied().unwrap_or(0) }))
                    .collect();
            }
            Kind::Number { .. } => {
                v["average"] = average;
                v["min"] = stats.map_or(Json::Null, |s| json!(s.2));
                v["max"] = stats.map_or(Json::Null, |s| json!(s.3));
            }
            Kind::Matrix { rows, columns } => {
                v["rows"] = rows
                    .iter()
                    .map(|row| {
                        let row_answered: i64 =
                            columns.iter().map(|c| self.count(&q.key, &row.key, Some(&c.key))).sum();
                        json!({
                            "key": row.key, "label": row.label, "answered": row_answered,
                            "columns": self.shares(&q.key, columns, Some(&row.key), row_answered),
                        })
                    })
                    .collect();
            }
            Kind::Date { .. } => {
                let range = self.text_range.get(&q.key);
                v["earliest"] = range.map_or(Json::Null, |r| json!(r.0));
                v["latest"] = range.map_or(Json::Null, |r| json!(r.1));
            }
            Kind::ShortText { .. } | Kind::LongText { .. } => {}
        }
        v
    }
}

/// `GET /api/v1/surveys/{id}/results?org_id=`.
pub fn summary(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let s = visible(&db, p, id)?;
    let (org, lo, hi) = narrowing(&db, req, &s)?;
    let questionnaire = s.questionnaire()?;
    let range = [Value::Integer(id), Value::Text(lo.clone()), Value::Text(hi.clone())];
    let mut by_station = Vec::new();
    let mut responses = 0;
    // Counted by station: answers from a practice point (点) go to the station (站) above it;
    // people who named an institute or centre (no station above them) keep a row of their own.
    for r in db.query(
        "SELECT COALESCE(st.id, o.id) AS org_id, COALESCE(st.name, o.name) AS name, COUNT(*) AS n \
         FROM survey_responses r JOIN orgs o ON o.id = r.org_id \
         LEFT JOIN orgs st ON st.level = 'station' AND r.org_path >= st.path \
              AND r.org_path < substr(st.path, 1, length(st.path) - 1) || '0' \
         WHERE r.survey_id = ? AND r.org_path >= ? AND r.org_path < ? \
         GROUP BY COALESCE(st.id, o.id) ORDER BY COALESCE(st.id, o.id)",
        &range,
    )? {
        let n = r.i64("n")?;
        responses += n;
        by_station.push(json!({ "org_id": r.i64("org_id")?, "name": r.str("name")?, "responses": n }));
    }
    let counts = Counts::read(&db, id, &lo, &hi)?;
    let mut links = links::by_question(&db, id)?;
    let questions: Vec<Json> = questionnaire
        .questions()
        .map(|q| {
            let mut v = counts.question(q);
            v["links"] = Json::Array(links.remove(&q.key).unwrap_or_default());
            v
        })
        .collect();
    Ok(kit::json(
        200,
        &json!({
            "survey_id": id,
            "title": s.title,
            "org_id": org,
            "responses": responses,
            "by_station": by_station,
            "questions": questions,
            "links": links.remove("").unwrap_or_default(),
        }),
    ))
}

/// `GET /api/v1/surveys/{id}/results/texts?question=&org_id=&limit=&cursor=`: a text question's
/// answers, oldest first.
pub fn texts(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let s = visible(&db, p, id)?;
    let (_, lo, hi) = narrowing(&db, req, &s)?;
    let key = kit::query_param(req, "question").ok_or_else(|| ApiError::invalid("question", "is required"))?;
    let questionnaire = s.questionnaire()?;
    match questionnaire.question(&key) {
        Some(q) if q.kind.is_text() => {}
        Some(_) => return Err(ApiError::invalid("question", "is not a text question")),
        None => return Err(ApiError::invalid("question", "no such question in this survey")),
    }
    let rows = db.query(
        "SELECT a.rowid AS id, a.text, r.org_id, r.submitted_at FROM survey_answers a \
         JOIN survey_responses r ON r.id = a.response_id \
         WHERE a.survey_id = ? AND a.question = ? AND r.org_path >= ? AND r.org_path < ? AND a.rowid > ? \
         ORDER BY a.rowid LIMIT ?",
        &[
            Value::Integer(id),
            Value::Text(key),
            Value::Text(lo),
            Value::Text(hi),
            Value::Integer(page.after),
            Value::Integer(page.limit),
        ],
    )?;
    let mut items = Vec::new();
    let mut last = None;
    for r in rows {
        last = Some(r.i64("id")?);
        items.push(json!({
            "id": r.i64("id")?,
            "text": r.str("text")?,
            "org_id": r.i64("org_id")?,
            "submitted_at": kit::time::rfc3339(r.i64("submitted_at")?),
        }));
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// An answer as a spreadsheet cell: choices by label (`;` between several), matrices as
/// `row=column;...`, numbers and texts as given.
fn cell(q: &Question, answer: Option<&Json>) -> String {
    let Some(a) = answer else {
        return String::new();
    };
    let label = |choices: &[Choice], key: &str| {
        choices.iter().find(|c| c.key == key).map_or(key.to_string(), |c| c.label.clone())
    };
    match (&q.kind, a) {
        (Kind::SingleChoice { options }, Json::String(k)) => label(options, k),
        (Kind::MultipleChoice { options, .. }, Json::Array(list)) => {
            list.iter().filter_map(Json::as_str).map(|k| label(options, k)).collect::<Vec<_>>().join(";")
        }
        (Kind::Matrix { rows, columns }, Json::Object(map)) => rows
            .iter()
            .filter_map(|r| {
                map.get(&r.key).and_then(Json::as_str).map(|c| format!("{}={}", r.label, label(columns, c)))
            })
            .collect::<Vec<_>>()
            .join(";"),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// `GET /api/v1/surveys/{id}/responses.csv?org_id=`: every response (of those living under
/// `org_id`, when given), one column per question. An
/// anonymous survey's export has no respondent columns at all; an identified one shows the
/// respondent's name and masked phone.
pub fn csv(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let s = visible(&db, p, id)?;
    let (_, lo, hi) = narrowing(&db, req, &s)?;
    let questionnaire = s.questionnaire()?;
    let questions: Vec<&Question> = questionnaire.questions().collect();
    let mut header: Vec<String> = vec!["response_id".into(), "submitted_at".into(), "org".into()];
    if !s.anonymous {
        header.extend(["respondent".into(), "phone".into()]);
    }
    header.extend(questions.iter().map(|q| q.key.clone()));
    // A BOM so spreadsheet programs read the Chinese text as UTF-8.
    let mut out = String::from("\u{feff}");
    out.push_str(&kit::csv::row(&header));
    let rows = db.query(
        "SELECT r.id, r.submitted_at, r.answers, o.name AS org, a.name AS respondent, a.phone \
         FROM survey_responses r JOIN orgs o ON o.id = r.org_id LEFT JOIN accounts a ON a.id = r.account_id \
         WHERE r.survey_id = ? AND r.org_path >= ? AND r.org_path < ? ORDER BY r.id",
        &[Value::Integer(id), Value::Text(lo), Value::Text(hi)],
    )?;
    for r in rows {
        let answers: Json =
            serde_json::from_str(&r.str("answers")?).map_err(|e| ApiError::Internal(format!("answers: {e}")))?;
        let mut line = vec![r.i64("id")?.to_string(), kit::time::rfc3339(r.i64("submitted_at")?), r.str("org")?];
        if !s.anonymous {
            line.push(r.opt_str("respondent")?.unwrap_or_default());
            line.push(r.opt_str("phone")?.map(|p| kit::mask_phone(&p)).unwrap_or_default());
        }
        line.extend(questions.iter().map(|q| cell(q, answers.get(&q.key))));
        out.push_str(&kit::csv::row(&line));
    }
    Ok(kit::csv::attachment(&format!("survey-{id}.csv"), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_to_one_decimal_of_those_who_answered() {
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(2, 3), 66.7);
        assert_eq!(percent(3, 3), 100.0);
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(two_decimals(11.0 / 3.0), 3.67);
    }
}
