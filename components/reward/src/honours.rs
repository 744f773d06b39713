//! Honour lists (最美志愿者, 优秀志愿者): a staff member nominates a volunteer of their area for
//! an honour at an org, with a reason and a period; another staff member approves or rejects
//! (four eyes — the schema's CHECK holds it too); approved honours are a public list.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, Fields};
use crate::stars::org_path;
use crate::volunteer::Volunteer;
use kit::identity::{self, Action, Principal};

/// Honour statuses, for `?status=`.
pub const STATUSES: [&str; 3] = ["nominated", "approved", "rejected"];

/// An honour with its org and volunteer.
#[derive(Debug, Clone)]
pub struct Honour {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub volunteer_id: i64,
    pub volunteer_no: String,
    pub name: String,
    pub title: String,
    pub period: String,
    pub reason: String,
    pub status: String,
    pub nominated_by: i64,
    pub nominated_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
}

const SELECT: &str = "SELECT h.id, h.org_id, o.name AS org_name, h.org_path, h.volunteer_id, v.volunteer_no,
        v.real_name, h.title, h.period, h.reason, h.status, h.nominated_by, h.nominated_at, h.decided_by,
        h.decided_at, h.decision_note
    FROM honours h JOIN orgs o ON o.id = h.org_id JOIN volunteers v ON v.id = h.volunteer_id";

impl Honour {
    fn from_row(r: &Row) -> Result<Honour, ApiError> {
        Ok(Honour {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            volunteer_id: r.i64("volunteer_id")?,
            volunteer_no: r.str("volunteer_no")?,
            name: r.str("real_name")?,
            title: r.str("title")?,
            period: r.str("period")?,
            reason: r.str("reason")?,
            status: r.str("status")?,
            nominated_by: r.i64("nominated_by")?,
            nominated_at: r.i64("nominated_at")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?,
            decision_note: r.opt_str("decision_note")?,
        })
    }

    fn load(db: &Db, id: i64) -> Result<Option<Honour>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE h.id = ?"), &[Value::Integer(id)])?
            .map(|r| Honour::from_row(&r))
            .transpose()
    }

    fn query(db: &Db, filter: &str, params: &[Value]) -> Result<Vec<Honour>, ApiError> {
        db.query(&format!("{SELECT} WHERE {filter}"), params)?.iter().map(Honour::from_row).collect()
    }

    /// The public entry of an approved honour: who, where, what for. No contact data.
    fn public_json(&self) -> Json {
        json!({
            "id": self.id,
            "org": { "id": self.org_id, "name": self.org_name },
            "volunteer_no": self.volunteer_no,
            "name": self.name,
            "title": self.title,
            "period": self.period,
            "reason": self.reason,
            "approved_at": kit::time::opt_rfc3339(self.decided_at),
        })
    }

    /// The staff view.
    fn json(&self) -> Json {
        json!({
            "id": self.id,
            "org": { "id": self.org_id, "name": self.org_name },
            "volunteer_id": self.volunteer_id,
            "volunteer_no": self.volunteer_no,
            "name": self.name,
            "title": self.title,
            "period": self.period,
            "reason": self.reason,
            "status": self.status,
            "nominated_by": self.nominated_by,
            "nominated_at": kit::time::rfc3339(self.nominated_at),
            "decided_by": self.decided_by,
            "decided_at": kit::time::opt_rfc3339(self.decided_at),
            "decision_note": self.decision_note,
        })
    }

    fn audit_json(&self) -> Json {
        json!({ "org_id": self.org_id, "volunteer_id": self.volunteer_id, "title": self.title, "period": self.period,
                "status": self.status, "decision_note": self.decision_note })
    }
}

/// `POST /api/v1/honours` → 201 `nominated`.
pub fn nominate(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["org_id", "volunteer_id", "title", "period", "reason"])?;
    let org_id = f.id("org_id")?;
    let volunteer_id = f.id("volunteer_id")?;
    let title = f.line("title", 40)?;
    let period = f.line("period", 40)?;
    let reason = f.text("reason", 1000)?;
    let db = Db::open()?;
    let path = org_path(&db, org_id)?.ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
    if !kit::allowed(p, Action::ManageRewards, &path)? {
        return Err(ApiError::Forbidden(if identity::scopes(p, Action::ManageRewards).is_empty() {
            "your roles do not allow manage-rewards".into()
        } else {
            "you may nominate only in your own area".into()
        }));
    }
    let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
    Volunteer::by_id(&db, volunteer_id)?
        .filter(|v| v.status == "active" && v.home_path >= lo && v.home_path < hi)
        .ok_or_else(|| ApiError::invalid("volunteer_id", "no active volunteer of this org's area"))?;
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let id = db
            .insert(
                "INSERT INTO honours (org_id, org_path, volunteer_id, title, period, reason, nominated_by, nominated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    Value::Integer(org_id),
                    Value::Text(path.clone()),
                    Value::Integer(volunteer_id),
                    Value::Text(title.clone()),
                    Value::Text(period.clone()),
                    Value::Text(reason.clone()),
                    Value::Integer(p.account_id),
                    Value::Integer(now),
                ],
            )
            .map_err(|e| {
                if kit::unique_violation(&e).is_some() {
                    ApiError::conflict("duplicate", "this volunteer is already nominated for this honour and period")
                } else {
                    e
                }
            })?;
        let h = Honour::load(db, id)?.ok_or_else(|| ApiError::Internal("the honour vanished".into()))?;
        kit::audit(db, p.account_id, "honour.nominate", "honour", Some(id), &path, None, Some(&h.audit_json()))?;
        Ok((201, h.json()))
    })?;
    Ok(kit::json(status, &body))
}

/// `POST /api/v1/honours/{id}/approve` or `/reject {"reason"?}`: another staff member than the
/// nominator, with manage-rewards at the honour's org.
pub fn decide(req: &Request, p: &Principal, id: i64, approve: bool) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_optional_request(req, &["reason"])?;
    let note = f.opt_text("reason", 500)?.filter(|r| !r.is_empty());
    let db = Db::open()?;
    let h = Honour::load(&db, id)?;
    kit::gate(p, Action::ManageRewards, h.as_ref().map_or("/-/", |h| h.org_path.as_str()), "honour")?;
    let h = h.ok_or_else(|| ApiError::NotFound("no such honour".into()))?;
    if h.nominated_by == p.account_id {
        return Err(ApiError::Refused {
            code: "own_nomination",
            message: "another staff member must decide a nomination you made".into(),
        });
    }
    let target = if approve { "approved" } else { "rejected" };
    let body = db.transaction(|db| {
        let before = Honour::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such honour".into()))?;
        if before.status == target {
            return Ok(before.json());
        }
        if before.status != "nominated" {
            return Err(ApiError::conflict("wrong_state", format!("the nomination was already {}", before.status)));
        }
        db.exec(
            "UPDATE honours SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?
             WHERE id = ? AND status = 'nominated'",
            &[
                Value::Text(target.into()),
                Value::Integer(p.account_id),
                Value::Integer(now),
                note.clone().map_or(Value::Null, Value::Text),
                Value::Integer(id),
            ],
        )?;
        let after = Honour::load(db, id)?.ok_or_else(|| ApiError::Internal("the honour vanished".into()))?;
        let action = if approve { "honour.approve" } else { "honour.reject" };
        kit::audit(
            db,
            p.account_id,
            action,
            "honour",
            Some(id),
            &after.org_path,
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )?;
        Ok(after.json())
    })?;
    Ok(kit::json(200, &body))
}

/// Filters shared by both lists: `org_id` (its subtree), `title`, `period`.
fn filters(req: &Request, db: &Db, params: &mut Vec<Value>) -> Result<String, ApiError> {
    let mut sql = String::new();
    if let Some(org_id) = input::query_id(req, "org_id")? {
        let path = org_path(db, org_id)?.ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
        let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
        sql.push_str(" AND h.org_path >= ? AND h.org_path < ?");
        params.extend([Value::Text(lo), Value::Text(hi)]);
    }
    for name in ["title", "period"] {
        if let Some(v) = input::query_text(req, name, 60)? {
            sql.push_str(&format!(" AND h.{name} = ?"));
            params.push(Value::Text(v));
        }
    }
    Ok(sql)
}

/// `GET /api/v1/honours?org_id=&title=&period=&limit=&cursor=` — public: the approved honours.
pub fn public_list(req: &Request) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let mut params = vec![Value::Integer(page.after)];
    let mut filter = "h.status = 'approved' AND h.id > ?".to_string();
    filter.push_str(&filters(req, &db, &mut params)?);
    filter.push_str(" ORDER BY h.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = Honour::query(&db, &filter, &params)?;
    let last = rows.last().map(|h| h.id);
    Ok(kit::json(200, &page.envelope(rows.iter().map(Honour::public_json).collect(), last)))
}

/// `GET /api/v1/honours/nominations?status=&org_id=&title=&period=&limit=&cursor=`:
/// manage-rewards scope, every status.
pub fn nominations(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = input::query_choice(req, "status", &STATUSES)?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ManageRewards)?.condition("h.org_path", &mut params);
    let mut filter = format!("{scope} AND h.id > ?");
    params.push(Value::Integer(page.after));
    if let Some(s) = status {
        filter.push_str(" AND h.status = ?");
        params.push(Value::Text(s.into()));
    }
    filter.push_str(&filters(req, &db, &mut params)?);
    filter.push_str(" ORDER BY h.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = Honour::query(&db, &filter, &params)?;
    let last = rows.last().map(|h| h.id);
    Ok(kit::json(200, &page.envelope(rows.iter().map(Honour::json).collect(), last)))
}

/// `GET /api/v1/honours/{id}`: an approved honour is public; any other only to manage-rewards
/// at its org (the staff view).
pub fn detail(req: &Request, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let h = Honour::load(&db, id)?;
    if let Some(h) = &h {
        if h.status == "approved" && kit::credential(req).is_none() {
            return Ok(kit::json(200, &h.public_json()));
        }
    }
    let Some(p) = kit::optional(req)? else {
        return Err(ApiError::NotFound("no such honour".into()));
    };
    let h = h.ok_or_else(|| ApiError::NotFound("no such honour".into()))?;
    if kit::allowed(&p, Action::ManageRewards, &h.org_path)? {
        return Ok(kit::json(200, &h.json()));
    }
    if h.status == "approved" {
        return Ok(kit::json(200, &h.public_json()));
    }
    Err(ApiError::NotFound("no such honour".into()))
}
