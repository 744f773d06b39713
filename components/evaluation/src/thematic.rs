//! Thematic grading (专项测评): raters of a thematic scheme grade an institute or station
//! 满意 / 基本满意 / 不满意 for a period. A rater's group is the one staff registered them in
//! (`POST /api/v1/evaluation/schemes/{id}/raters`); anyone else signed in grades as `citizen`
//! when the scheme has that group. One grade per (scheme, org, period, rater): a UNIQUE
//! constraint. Results: `GET /api/v1/evaluation/schemes/{id}/results`.

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, EvaluationFields, Fields};
use crate::model;
use crate::schemes;
use kit::identity::Principal;

/// `POST /api/v1/evaluation/thematic-grades` → 201.
pub fn grade(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    crate::access::refuse_auditor(p)?;
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["scheme_id", "org_id", "period", "grade", "comment"])?;
    let scheme_id = f.id("scheme_id")?;
    let org_id = f.id("org_id")?;
    let period = f.period("period")?;
    let grade = f.choice("grade", &model::GRADES)?;
    let comment = f.opt_text("comment", 500)?.unwrap_or_default();
    let db = Db::open()?;
    let s = schemes::scheme_of_kind(&db, scheme_id, "thematic")?;
    let org = s.target(&db, org_id)?;
    let registered = db.query_one(
        "SELECT rater_group FROM eval_scheme_raters WHERE scheme_id = ? AND account_id = ?",
        &[Value::Integer(s.id), Value::Integer(p.account_id)],
    )?;
    let group = match registered {
        Some(r) => r.str("rater_group")?,
        None if s.groups.iter().any(|g| g.key == "citizen") => "citizen".to_string(),
        None => {
            return Err(ApiError::Refused {
                code: "not_a_rater",
                message: "this scheme is graded by registered raters only".into(),
            })
        }
    };
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let inserted = db.exec(
            "INSERT INTO eval_thematic_grades (scheme_id, org_id, org_path, period, rater_id, rater_group, grade, comment, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Value::Integer(s.id),
                Value::Integer(org.id),
                Value::Text(org.path.clone()),
                Value::Text(period.label.clone()),
                Value::Integer(p.account_id),
                Value::Text(group.clone()),
                Value::Text(grade.into()),
                Value::Text(comment.clone()),
                Value::Integer(now),
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict("already_rated", "you have already graded this org for this period"));
        }
        let id = db.connection().last_insert_rowid();
        Ok((
            201,
            json!({"id": id, "scheme_id": s.id, "org_id": org.id, "period": period.label, "group": group, "grade": grade,
                        "points": model::grade_points(grade), "comment": comment, "created_at": kit::time::rfc3339(now)}),
        ))
    })?;
    Ok(kit::json(status, &body))
}
