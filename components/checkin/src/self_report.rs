//! Self-reported service (自主申报): service done outside a listed activity, reported by the
//! volunteer and approved by staff.
//!
//! - `POST /api/v1/self-reports` `{"org_id", "title", "category", "description", "started_at",
//!   "ended_at"}` (a volunteer) → 201 `pending`. The minutes are the server's: the span in whole
//!   minutes (at most 24 hours, ended, not in the future), rounded by `hours.rounding`; a span
//!   that rounds to nothing is 422 `ended_at`. A span overlapping the reporter's own pending or
//!   approved reports, or their attendances, is 409 `overlap` (no minute is credited twice).
//!   Honours `Idempotency-Key`.
//! - `POST /api/v1/self-reports/{id}/approve` / `reject {"reason"}` — manage-volunteers at the
//!   report's org, never the reporter (403). Approval credits the ledger (`credit-service`, key
//!   `self-report:<id>`, source `self-report`) in the same transaction; both are audited
//!   (`self_report.approve`, `self_report.reject`). Repeating the decision returns it; the other
//!   decision afterwards is 409 `wrong_state`.
//! - `GET /api/v1/self-reports?status=&org=&mine=&limit=&cursor=` — the caller's own reports plus
//!   those at orgs where they have manage-volunteers (`mine=true`: only their own; 403 for
//!   someone who is no volunteer); `GET /api/v1/self-reports/{id}` likewise.

use kit::{ApiError, Db, Page, Row};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, opt_rfc3339, rfc3339, Fields};
use crate::ledger_tx;
use crate::model::Volunteer;
use crate::settings::Rules;
use kit::identity::{Action, Principal};
use kit::ledger::Source;

/// The longest span one report may cover.
const MAX_SPAN_S: i64 = 24 * 3600;

/// A self-report with its org and reporter.
#[derive(Debug, Clone)]
struct Report {
    id: i64,
    volunteer_id: i64,
    reporter_account_id: i64,
    org_id: i64,
    org_path: String,
    org_name: String,
    title: String,
    category: String,
    description: String,
    started_at: i64,
    ended_at: i64,
    minutes: i64,
    status: String,
    reason: Option<String>,
    decided_by: Option<i64>,
    decided_at: Option<i64>,
    created_at: i64,
}

const SELECT: &str = "SELECT sr.id, sr.volunteer_id, v.account_id AS reporter_account_id, sr.org_id,
        o.path AS org_path, o.name AS org_name, sr.title, sr.category, sr.description, sr.started_at,
        sr.ended_at, sr.minutes, sr.status, sr.reason, sr.decided_by, sr.decided_at, sr.created_at
    FROM self_reports sr JOIN orgs o ON o.id = sr.org_id JOIN volunteers v ON v.id = sr.volunteer_id";

impl Report {
    fn from_row(r: &Row) -> Result<Report, ApiError> {
        Ok(Report {
            id: r.i64("id")?,
            volunteer_id: r.i64("volunteer_id")?,
            reporter_account_id: r.i64("reporter_account_id")?,
            org_id: r.i64("org_id")?,
            org_path: r.str("org_path")?,
            org_name: r.str("org_name")?,
            title: r.str("title")?,
            category: r.str("category")?,
            description: r.str("description")?,
            started_at: r.i64("started_at")?,
            ended_at: r.i64("ended_at")?,
            minutes: r.i64("minutes")?,
            status: r.str("status")?,
            reason: r.opt_str("reason")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?,
            created_at: r.i64("created_at")?,
        })
    }

    fn by_id(db: &Db, id: i64) -> Result<Option<Report>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE sr.id = ?"), &[Value::Integer(id)])?
            .map(|r| Report::from_row(&r))
            .transpose()
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "volunteer_id": self.volunteer_id,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "title": self.title,
            "category": self.category,
            "description": self.description,
            "started_at": rfc3339(self.started_at),
            "ended_at": rfc3339(self.ended_at),
            "minutes": self.minutes,
            "status": self.status,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at": opt_rfc3339(self.decided_at),
            "created_at": rfc3339(self.created_at),
        })
    }

    /// What an audit row may show (no personal data beyond ids).
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "id": self.id, "volunteer_id": self.volunteer_id, "org_id": self.org_id, "title": self.title,
            "minutes": self.minutes, "status": self.status, "reason": self.reason,
        })
    }
}

/// `POST /api/v1/self-reports`.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["org_id", "title", "category", "description", "started_at", "ended_at"])?;
    let org_id = f.id("org_id")?;
    let title = f.line("title", 100)?;
    let category = f.line("category", 50)?;
    let description = f.opt_text("description", 2000)?.unwrap_or_default();
    let started_at = f.time("started_at")?;
    let ended_at = f.time("ended_at")?;
    if ended_at <= started_at {
        return Err(ApiError::invalid("ended_at", "must be after started_at"));
    }
    if ended_at > now {
        return Err(ApiError::invalid("ended_at", "must not be in the future: report service once it is done"));
    }
    if ended_at - started_at > MAX_SPAN_S {
        return Err(ApiError::invalid(
            "ended_at",
            "one report covers at most 24 hours; report longer service day by day",
        ));
    }

    let db = Db::open()?;
    let volunteer = Volunteer::caller(&db, p)?;
    let rules = Rules::load(&db)?;
    let minutes = rules.rounding.apply((ended_at - started_at) / 60);
    if minutes <= 0 {
        return Err(ApiError::invalid(
            "ended_at",
            "the span is too short to count as service under this deployment's rounding rule",
        ));
    }
    let org = db.query_one("SELECT id FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(org_id)])?;
    if org.is_none() {
        return Err(ApiError::invalid("org_id", "no such active org"));
    }

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let overlap = db.query_one(
            "SELECT 1 AS hit FROM self_reports
              WHERE volunteer_id = ? AND status IN ('pending', 'approved') AND started_at < ? AND ended_at > ?
             UNION ALL
             SELECT 1 FROM attendances att JOIN activities a ON a.id = att.activity_id
              WHERE att.volunteer_id = ? AND MAX(att.checked_in_at, a.starts_at) < ?
                AND MIN(COALESCE(att.checked_out_at, a.ends_at), a.ends_at) > ?
             LIMIT 1",
            &[
                Value::Integer(volunteer.id),
                Value::Integer(ended_at),
                Value::Integer(started_at),
                Value::Integer(volunteer.id),
                Value::Integer(ended_at),
                Value::Integer(started_at),
            ],
        )?;
        if overlap.is_some() {
            return Err(ApiError::conflict(
                "overlap",
                "this span overlaps service you have already reported or attended",
            ));
        }
        let id = db.insert(
            "INSERT INTO self_reports (volunteer_id, org_id, title, category, description, started_at, ended_at, minutes, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(volunteer.id), Value::Integer(org_id), Value::Text(title.clone()), Value::Text(category.clone()),
                Value::Text(description.clone()), Value::Integer(started_at), Value::Integer(ended_at), Value::Integer(minutes),
                Value::Integer(now),
            ],
        )?;
        let report = Report::by_id(db, id)?.ok_or_else(|| ApiError::Internal("self-report vanished".into()))?;
        Ok((201, report.json()))
    })?;
    Ok(kit::json(status, &body))
}

/// The report with `id`, if `p` may see it: its reporter, or manage-volunteers at its org.
fn visible(db: &Db, p: &Principal, id: i64) -> Result<Report, ApiError> {
    let report = Report::by_id(db, id)?.ok_or_else(|| ApiError::NotFound("no such self-report".into()))?;
    if report.reporter_account_id == p.account_id || kit::allowed(p, Action::ManageVolunteers, &report.org_path)? {
        Ok(report)
    } else {
        Err(ApiError::NotFound("no such self-report".into()))
    }
}

/// `GET /api/v1/self-reports/{id}`.
pub fn get(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    Ok(kit::json(200, &visible(&db, p, id)?.json()))
}

/// `GET /api/v1/self-reports?status=&org=&limit=&cursor=`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = match kit::query_param(req, "status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if ["pending", "approved", "rejected"].contains(&s.as_str()) => Some(s),
        Some(_) => return Err(ApiError::invalid("status", "must be pending, approved or rejected")),
    };
    let org = input::query_id(req, "org")?;
    let mine = kit::query_bool(req, "mine")?.unwrap_or(false);
    let db = Db::open()?;
    let own = Volunteer::of_account(&db, p.account_id)?.map(|v| v.id);
    let managed = kit::Scope::of(p, Action::ManageVolunteers);
    if own.is_none() && (mine || managed.is_empty()) {
        return Err(ApiError::Forbidden("only volunteers and staff who manage volunteers see self-reports".into()));
    }
    let mut params = Vec::new();
    // `mine=true`: the phone's 我的申报 — a volunteer who also manages a station sees only their own.
    let scope = if mine { "0".to_string() } else { managed.condition("o.path", &mut params) };
    params.push(Value::Integer(own.unwrap_or(0)));
    let mut sql = format!("{SELECT} WHERE ({scope} OR sr.volunteer_id = ?)");
    if let Some(s) = status {
        sql.push_str(" AND sr.status = ?");
        params.push(Value::Text(s));
    }
    if let Some(org) = org {
        sql.push_str(" AND sr.org_id = ?");
        params.push(Value::Integer(org));
    }
    sql.push_str(" AND sr.id > ? ORDER BY sr.id LIMIT ?");
    params.push(Value::Integer(page.after));
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let reports = rows.iter().map(Report::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = reports.last().map(|r| r.id);
    Ok(kit::json(200, &page.envelope(reports.iter().map(Report::json).collect(), last)))
}

/// `POST /api/v1/self-reports/{id}/approve` and `.../reject`.
pub fn decide(req: &Request, p: &Principal, id: i64, approve: bool) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let report = Report::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such self-report".into()))?;
    if report.reporter_account_id == p.account_id {
        return Err(ApiError::Forbidden("no one may decide their own self-report".into()));
    }
    kit::gate(p, Action::ManageVolunteers, &report.org_path, "self-report")?;
    let reason = if approve {
        Fields::from_optional_request(req, &[])?;
        None
    } else {
        let mut f = Fields::from_optional_request(req, &["reason"])?;
        Some(
            f.opt_text("reason", 500)?
                .filter(|r| !r.is_empty())
                .ok_or_else(|| ApiError::invalid("reason", "is required"))?,
        )
    };
    let target = if approve { "approved" } else { "rejected" };
    let settled = |r: &Report| -> Result<Response, ApiError> {
        if r.status == target {
            Ok(kit::json(200, &r.json()))
        } else {
            Err(ApiError::conflict("wrong_state", format!("the self-report is already {}", r.status)))
        }
    };
    if report.status != "pending" {
        return settled(&report);
    }

    let update = "UPDATE self_reports SET status = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'";
    let params = [
        Value::Text(target.into()),
        reason.clone().map_or(Value::Null, Value::Text),
        Value::Integer(p.account_id),
        Value::Integer(now),
        Value::Integer(report.id),
    ];
    let mut after = report.audit_json();
    after["status"] = json!(target);
    after["reason"] = json!(reason);
    let done = if approve {
        db.transaction(|db| {
            if db.exec(update, &params)? == 0 {
                return Ok(false);
            }
            let key = format!("self-report:{}", report.id);
            ledger_tx::credit(
                db,
                report.volunteer_id,
                report.minutes,
                &report.category,
                Source::SelfReport,
                report.id,
                p.account_id,
                &key,
            )?;
            after["ledger_key"] = json!(key);
            kit::audit(
                db,
                p.account_id,
                "self_report.approve",
                "self_report",
                Some(report.id),
                &report.org_path,
                Some(&report.audit_json()),
                Some(&after),
            )?;
            Ok(true)
        })?
    } else {
        db.transaction(|db| {
            if db.exec(update, &params)? == 0 {
                return Ok(false);
            }
            kit::audit(
                db,
                p.account_id,
                "self_report.reject",
                "self_report",
                Some(report.id),
                &report.org_path,
                Some(&report.audit_json()),
                Some(&after),
            )?;
            Ok(true)
        })?
    };
    let report = Report::by_id(&db, id)?.ok_or_else(|| ApiError::Internal("self-report vanished".into()))?;
    if done {
        Ok(kit::json(200, &report.json()))
    } else {
        settled(&report)
    }
}
