//! Work evaluations (三级评估): an evaluator scores every item of a work scheme for one
//! institute or station and one period; the total is computed here (Σ score/max × weight, two
//! decimals), never taken from the client. The evaluator holds manage-evaluations at an
//! ancestor of the org, never at the org itself. One evaluation per (scheme, org, period,
//! evaluator), held by a UNIQUE constraint; the org's result is the average of its evaluations
//! (`GET /api/v1/evaluation/schemes/{id}/results`).

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, Org};
use crate::input::{self, EvaluationFields, Fields};
use crate::model;
use crate::schemes::{self, Scheme};
use kit::identity::{Action, Principal};

/// One item's checked score.
struct Score {
    key: String,
    centi: i64,
    note: String,
    evidence: Vec<String>,
}

/// Checks `scores` against the scheme: every item exactly once, each score 0..max with at most
/// two decimals, evidence where the item requires it. Every problem is reported.
fn check_scores(s: &Scheme, raw: Option<Json>) -> Result<Vec<Score>, ApiError> {
    let Some(Json::Array(list)) = raw else {
        return Err(ApiError::invalid("scores", "is required: a list of {item, score, note?, evidence?}"));
    };
    let mut pr = Vec::new();
    let mut found: Vec<Option<Score>> = s.items.iter().map(|_| None).collect();
    for (i, v) in list.iter().enumerate() {
        let at = format!("scores[{i}]");
        let Some(o) = v.as_object() else {
            pr.push((at, "must be an object".into()));
            continue;
        };
        if let Some(k) = o.keys().find(|k| !["item", "score", "note", "evidence"].contains(&k.as_str())) {
            pr.push((format!("{at}.{k}"), "unknown field; expected item, score, note, evidence".into()));
        }
        let key = o.get("item").and_then(Json::as_str).unwrap_or_default();
        let Some(pos) = s.items.iter().position(|it| it.key == key) else {
            pr.push((format!("{at}.item"), "no such item in the scheme".into()));
            continue;
        };
        let item = &s.items[pos];
        if found[pos].is_some() {
            pr.push((format!("{at}.item"), "is scored twice".into()));
            continue;
        }
        let centi = o.get("score").and_then(|v| model::score_centi(v, item.max_points));
        if centi.is_none() {
            pr.push((
                format!("{at}.score"),
                format!("must be a number from 0 to {} with at most two decimals", item.max_points),
            ));
        }
        let note = match o.get("note") {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(n)) => kit::fields::check_text("note", n, 1000).unwrap_or_else(|e| {
                pr.push((format!("{at}.note"), e.to_string()));
                String::new()
            }),
            Some(_) => {
                pr.push((format!("{at}.note"), "must be a text of at most 1000 characters".into()));
                String::new()
            }
        };
        let evidence: Vec<String> = match o.get("evidence") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(e))
                if e.len() <= 20
                    && e.iter()
                        .all(|x| x.as_str().is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= 300)) =>
            {
                e.iter().filter_map(Json::as_str).map(|t| t.trim().to_string()).collect()
            }
            Some(_) => {
                pr.push((
                    format!("{at}.evidence"),
                    "must be a list of at most 20 references (1-300 characters each)".into(),
                ));
                Vec::new()
            }
        };
        if item.evidence_required && evidence.is_empty() && !pr.iter().any(|(f, _)| f == &format!("{at}.evidence")) {
            pr.push((format!("{at}.evidence"), format!("item {} requires evidence references", item.key)));
        }
        if let Some(centi) = centi {
            found[pos] = Some(Score { key: item.key.clone(), centi, note, evidence });
        }
    }
    for (it, f) in s.items.iter().zip(&found) {
        // An item sent but refused has its own problem above; one never sent is missing.
        if f.is_none() && !list.iter().any(|v| v["item"] == it.key.as_str()) {
            pr.push((format!("scores.{}", it.key), "is required: every item of the scheme is scored".into()));
        }
    }
    if !pr.is_empty() {
        return Err(input::problems(pr));
    }
    Ok(found.into_iter().flatten().collect())
}

/// `POST /api/v1/evaluation/work-evaluations` → 201 with the computed total.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["scheme_id", "org_id", "period", "scores", "comment", "total"])?;
    if f.has("total") {
        return Err(ApiError::invalid("total", "the total is computed from the scores; do not send it"));
    }
    let scheme_id = f.id("scheme_id")?;
    let org_id = f.id("org_id")?;
    let period = f.period("period")?;
    let comment = f.opt_text("comment", 2000)?.unwrap_or_default();
    let raw_scores = f.take("scores");
    let db = Db::open()?;
    let s = schemes::scheme_of_kind(&db, scheme_id, "work")?;
    let org = s.target(&db, org_id)?;
    authorise_evaluator(p, &org)?;
    let scores = check_scores(&s, raw_scores)?;
    let centis: Vec<i64> =
        s.items.iter().map(|it| scores.iter().find(|x| x.key == it.key).map_or(0, |x| x.centi)).collect();
    let total = model::work_total_centi(&s.items, &centis);
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let inserted = db.exec(
            "INSERT INTO eval_work_evaluations (scheme_id, org_id, org_path, period, evaluator_id, total_centi, comment, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Value::Integer(s.id),
                Value::Integer(org.id),
                Value::Text(org.path.clone()),
                Value::Text(period.label.clone()),
                Value::Integer(p.account_id),
                Value::Integer(total),
                Value::Text(comment.clone()),
                Value::Integer(now),
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict(
                "already_evaluated",
                "you have already evaluated this org for this period under this scheme",
            ));
        }
        let id = db.connection().last_insert_rowid();
        for sc in &scores {
            db.exec(
                "INSERT INTO eval_work_scores (evaluation_id, item_key, score_centi, note, evidence) VALUES (?, ?, ?, ?, ?)",
                &[Value::Integer(id), Value::Text(sc.key.clone()), Value::Integer(sc.centi), Value::Text(sc.note.clone()),
                  Value::Text(json!(sc.evidence).to_string())],
            )?;
        }
        let body = evaluation_json(db, id)?;
        kit::audit(
            db,
            p.account_id,
            "evaluation.work.create",
            "eval_work_evaluation",
            Some(id),
            &org.path,
            None,
            Some(&json!({"scheme_id": s.id, "org_id": org.id, "period": period.label, "total": body["total"]})),
        )?;
        Ok((201, body))
    })?;
    Ok(kit::json(status, &body))
}

/// Nobody evaluates their own org: manage-evaluations must be held strictly above it.
fn authorise_evaluator(p: &Principal, org: &Org) -> Result<(), ApiError> {
    if access::evaluates_from_above(p, &org.path) {
        return Ok(());
    }
    if kit::allowed(p, Action::ManageEvaluations, &org.path)? {
        return Err(ApiError::Refused {
            code: "own_org",
            message: "nobody evaluates their own org; an evaluator works from the level above".into(),
        });
    }
    Err(ApiError::Forbidden("you may evaluate only orgs below the one where you hold manage-evaluations".into()))
}

/// One evaluation with its items: score, maximum, weight and contribution (score/max × weight).
fn evaluation_json(db: &Db, id: i64) -> Result<Json, ApiError> {
    let e = db
        .query_one(
            "SELECT e.id, e.scheme_id, e.org_id, e.period, e.evaluator_id, a.name AS evaluator, e.total_centi, e.comment, e.created_at \
             FROM eval_work_evaluations e JOIN accounts a ON a.id = e.evaluator_id WHERE e.id = ?",
            &[Value::Integer(id)],
        )?
        .ok_or_else(|| ApiError::NotFound("no such evaluation".into()))?;
    let s = Scheme::load(db, e.i64("scheme_id")?)?.ok_or_else(|| ApiError::Internal("scheme vanished".into()))?;
    let org = Org::load(db, e.i64("org_id")?)?.ok_or_else(|| ApiError::Internal("org vanished".into()))?;
    let rows = db.query(
        "SELECT item_key, score_centi, note, evidence FROM eval_work_scores WHERE evaluation_id = ?",
        &[Value::Integer(id)],
    )?;
    let mut items = Vec::new();
    for it in &s.items {
        let Some(r) = rows.iter().find(|r| r.str("item_key").is_ok_and(|k| k == it.key)) else { continue };
        let centi = r.i64("score_centi")?;
        let evidence: Json = serde_json::from_str(&r.str("evidence")?).unwrap_or(Json::Array(vec![]));
        items.push(json!({"item": it.key, "title": it.title, "score": model::centi(centi), "max_points": it.max_points,
                          "weight": it.weight, "contribution": model::round2(centi as f64 / (it.max_points * 100) as f64 * it.weight as f64),
                          "note": r.str("note")?, "evidence": evidence}));
    }
    Ok(json!({
        "id": id, "scheme": {"id": s.id, "name": s.name}, "org": org.json(), "period": e.str("period")?,
        "evaluator": {"id": e.i64("evaluator_id")?, "name": e.str("evaluator")?},
        "total": model::centi(e.i64("total_centi")?), "formula": "total = Σ score / max_points × weight (two decimals)",
        "items": items, "comment": e.str("comment")?, "created_at": kit::time::rfc3339(e.i64("created_at")?),
    }))
}

/// `GET /api/v1/evaluation/work-evaluations/{id}` — read-evaluations at the evaluated org.
pub fn detail(_req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let path = db.query_one("SELECT org_path FROM eval_work_evaluations WHERE id = ?", &[Value::Integer(id)])?;
    let path = path.map(|r| r.str("org_path")).transpose()?;
    kit::gate(p, Action::ReadEvaluations, path.as_deref().unwrap_or("/-/"), "evaluation")?;
    if path.is_none() {
        return Err(ApiError::NotFound("no such evaluation".into()));
    }
    Ok(kit::json(200, &evaluation_json(&db, id)?))
}

/// `GET /api/v1/evaluation/work-evaluations?scheme=&org=&period=&limit=&cursor=` — in the
/// caller's read-evaluations scope, by id, without the item scores.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let period = input::opt_query_period(req)?;
    let scheme = input::query_id(req, "scheme")?;
    let org = input::query_id(req, "org")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ReadEvaluations)?.condition("e.org_path", &mut params);
    let mut sql = format!(
        "SELECT e.id, e.scheme_id, e.org_id, o.name AS org_name, e.period, e.evaluator_id, a.name AS evaluator, e.total_centi, e.created_at \
         FROM eval_work_evaluations e JOIN orgs o ON o.id = e.org_id JOIN accounts a ON a.id = e.evaluator_id WHERE {scope} AND e.id > ?"
    );
    params.push(Value::Integer(page.after));
    if let Some(s) = scheme {
        sql.push_str(" AND e.scheme_id = ?");
        params.push(Value::Integer(s));
    }
    if let Some(o) = org {
        sql.push_str(" AND e.org_id = ?");
        params.push(Value::Integer(o));
    }
    if let Some(per) = &period {
        sql.push_str(" AND e.period = ?");
        params.push(Value::Text(per.label.clone()));
    }
    sql.push_str(" ORDER BY e.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let mut items = Vec::new();
    let mut last = None;
    for r in db.query(&sql, &params)? {
        last = Some(r.i64("id")?);
        items.push(json!({"id": r.i64("id")?, "scheme_id": r.i64("scheme_id")?, "org": {"id": r.i64("org_id")?, "name": r.str("org_name")?},
                          "period": r.str("period")?, "evaluator": {"id": r.i64("evaluator_id")?, "name": r.str("evaluator")?},
                          "total": model::centi(r.i64("total_centi")?), "created_at": kit::time::rfc3339(r.i64("created_at")?)}));
    }
    Ok(kit::json(200, &page.envelope(items, last)))
}
