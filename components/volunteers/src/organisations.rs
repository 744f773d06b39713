//! `/api/v1/organisations`: volunteer organisations (志愿组织) apply to join the platform under an
//! org; review-organisations there approves or rejects them. Approved ones are part of the
//! directory (read-directory); pending and rejected ones only reviewers see. The contact phone is
//! masked in lists and shown whole only to reviewers of the organisation's org.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input::{self, Fields};
use kit::identity::{self, Action, Principal};

const SELECT: &str = "SELECT g.id, g.org_id, g.name, g.contact_name, g.contact_phone, g.description, g.status,
        g.reason, g.decided_by, g.decided_at, g.created_at, o.name AS org_name, o.path AS org_path
    FROM organisations g JOIN orgs o ON o.id = g.org_id";

const STATUSES: [&str; 3] = ["pending", "approved", "rejected"];

/// One organisation with its org.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub org_name: String,
    pub org_path: String,
}

impl Organisation {
    fn from_row(r: &Row) -> Result<Organisation, ApiError> {
        Ok(Organisation {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            name: r.str("name")?,
            contact_name: r.str("contact_name")?,
            contact_phone: r.str("contact_phone")?,
            description: r.str("description")?,
            status: r.str("status")?,
            reason: r.opt_str("reason")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?,
            created_at: r.i64("created_at")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
        })
    }

    /// The API shape; `whole` shows the contact phone unmasked.
    pub fn json(&self, whole: bool) -> Json {
        json!({
            "id": self.id,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "name": self.name,
            "contact_name": self.contact_name,
            "contact_phone": if whole { self.contact_phone.clone() } else { kit::mask_phone(&self.contact_phone) },
            "description": self.description,
            "status": self.status,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at": input::opt_rfc3339(self.decided_at),
            "created_at": input::rfc3339(self.created_at),
        })
    }
}

fn load(db: &Db, id: i64) -> Result<Option<Organisation>, ApiError> {
    db.query_one(&format!("{SELECT} WHERE g.id = ?"), &[Value::Integer(id)])?
        .map(|r| Organisation::from_row(&r))
        .transpose()
}

/// `POST /api/v1/organisations` `{"org_id", "name", "contact_name", "contact_phone",
/// "description"}`: any signed-in account applies → `pending`.
pub fn apply(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["org_id", "name", "contact_name", "contact_phone", "description"])?;
    let org_id = f.id("org_id")?;
    let name = f.line("name", 100)?;
    let contact_name = f.line("contact_name", 50)?;
    let contact_phone = f.phone("contact_phone")?;
    let description = f.opt_text("description", 2000)?.unwrap_or_default();

    let db = Db::open()?;
    let org = access::visible_org(&db, p, org_id, "org_id")?;
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let org = access::active_org(db, org.id, "org_id")?;
        let id = db
            .insert(
                "INSERT INTO organisations (org_id, name, contact_name, contact_phone, description, status, created_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                &[
                    Value::Integer(org.id),
                    Value::Text(name.clone()),
                    Value::Text(contact_name.clone()),
                    Value::Text(contact_phone.as_str().into()),
                    Value::Text(description.clone()),
                    Value::Integer(kit::now()),
                ],
            )
            .map_err(|e| match kit::unique_violation(&e) {
                Some(c) if c.starts_with("organisations.") => {
                    ApiError::conflict("name_taken", "an organisation with this name has already applied at this org")
                }
                _ => e,
            })?;
        let shown =
            load(db, id)?.ok_or_else(|| ApiError::Internal("the new organisation vanished".into()))?.json(false);
        kit::audit(db, p.account_id, "organisation.apply", "organisation", Some(id), &org.path, None, Some(&shown))?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}

/// `POST /api/v1/organisations/{id}/approve` `{"reason"?}` and `/reject` `{"reason"}`:
/// review-organisations at the organisation's org; only a pending application can be decided.
pub fn decide(req: &Request, p: &Principal, id: i64, approve: bool) -> Result<Response, ApiError> {
    let mut f = Fields::from_optional_request(req, &["reason"])?;
    let reason = f.opt_text("reason", 500)?.filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(ApiError::invalid("reason", "a rejection needs a reason"));
    }
    let db = Db::open()?;
    let current = load(&db, id)?.ok_or_else(|| kit::deny(p, Action::ReviewOrganisations, "organisation"))?;
    kit::gate(p, Action::ReviewOrganisations, &current.org_path, "organisation")?;
    let (verdict, action) =
        if approve { ("approved", "organisation.approve") } else { ("rejected", "organisation.reject") };

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let before = load(db, id)?.ok_or_else(|| ApiError::NotFound("no such organisation".into()))?;
        if before.status != "pending" {
            return Err(ApiError::conflict("wrong_state", format!("this application was already {}", before.status)));
        }
        db.exec(
            "UPDATE organisations SET status = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            &[
                Value::Text(verdict.into()),
                reason.clone().map_or(Value::Null, Value::Text),
                Value::Integer(p.account_id),
                Value::Integer(kit::now()),
                Value::Integer(id),
            ],
        )?;
        let after = load(db, id)?.ok_or_else(|| ApiError::Internal("the organisation vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            action,
            "organisation",
            Some(id),
            &after.org_path,
            Some(&before.json(false)),
            Some(&after.json(false)),
        )?;
        Ok((200, after.json(false)))
    })?;
    Ok(kit::json(status, &body))
}

/// `GET /api/v1/organisations?status=&org=&limit=&cursor=`: approved organisations in the
/// caller's read-directory scope, plus every status in their review-organisations scope.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = input::query_text(req, "status", 10)?;
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::invalid("status", "must be pending, approved or rejected"));
        }
    }
    let org = input::query_id(req, "org")?;
    let db = Db::open()?;
    let within = access::filter_org(&db, org)?;
    let directory = identity::scopes(p, Action::ReadDirectory);
    let review = identity::scopes(p, Action::ReviewOrganisations);
    let wants_unapproved = status.as_deref().is_some_and(|s| s != "approved");
    if (directory.is_empty() && review.is_empty()) || (wants_unapproved && review.is_empty()) {
        return Err(ApiError::Forbidden(
            if wants_unapproved {
                "your roles do not allow review-organisations"
            } else {
                "your roles do not allow read-directory"
            }
            .into(),
        ));
    }
    let directory = kit::Scope::from_paths(&directory).within(within.as_deref());
    let review = kit::Scope::from_paths(&review).within(within.as_deref());
    if directory.is_empty() && review.is_empty() {
        return Err(ApiError::NotFound("no such org".into()));
    }
    let mut params = Vec::new();
    let mut visible = Vec::new();
    if !directory.is_empty() {
        visible.push(format!("(g.status = 'approved' AND {})", directory.condition("o.path", &mut params)));
    }
    if !review.is_empty() {
        visible.push(review.condition("o.path", &mut params));
    }
    let mut sql = format!("{SELECT} WHERE ({}) AND g.id > ?", visible.join(" OR "));
    params.push(Value::Integer(page.after));
    if let Some(s) = status {
        sql.push_str(" AND g.status = ?");
        params.push(Value::Text(s));
    }
    sql.push_str(" ORDER BY g.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let items = rows.iter().map(Organisation::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = items.last().map(|g| g.id);
    Ok(kit::json(200, &page.envelope(items.iter().map(|g| g.json(false)).collect(), last)))
}

/// `GET /api/v1/organisations/{id}` (beyond the contract, for the review screen): an approved
/// organisation to read-directory at its org; any to review-organisations there, with the
/// contact phone whole.
pub fn get(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let g = load(&db, id)?.ok_or_else(|| kit::deny(p, Action::ReadDirectory, "organisation"))?;
    let reviewer = kit::allowed(p, Action::ReviewOrganisations, &g.org_path)?;
    if !reviewer {
        if g.status != "approved" {
            return Err(kit::deny(p, Action::ReadDirectory, "organisation"));
        }
        kit::gate(p, Action::ReadDirectory, &g.org_path, "organisation")?;
    }
    Ok(kit::json(200, &g.json(reviewer)))
}
