//! Staff's view of mediation cases: `GET /api/v1/mediation/cases` (a page of cases in the
//! caller's scope) and `GET /api/v1/mediation/cases/{id}` (one case with its timeline: every
//! event received, and for each the SMS notices it queued with their delivery status).
//!
//! Who may read: staff with `dispatch-orders` — the desk that already handles disputes and
//! petitions — over the case's org subtree (the org the platform named, else the centre). The
//! parties' numbers are masked everywhere (the county holds them only in the outbox); the
//! handler's number is shown whole in the detail, where staff need to reach them, and masked
//! in the list.
//!
//! The notices are found by their idempotency keys, `mediation:<event_id>:<role>:<phone>`, which
//! the webhook chose: a range scan of the outbox's unique key index, no join column needed. Their
//! status is whatever the delivery queue says it is now.

use kit::identity::{Action, Principal};
use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::status;

const SELECT: &str = "SELECT c.id, c.case_no, c.source, c.status, c.org_id, o.name AS org_name, c.org_path,
        c.handler_name, c.handler_phone, c.created_at, c.updated_at
    FROM mediation_cases c LEFT JOIN orgs o ON o.id = c.org_id";

/// One case row.
struct Case {
    id: i64,
    case_no: String,
    source: String,
    status: String,
    org_id: Option<i64>,
    org_name: Option<String>,
    org_path: String,
    handler_name: Option<String>,
    handler_phone: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Case {
    fn from_row(r: &Row) -> Result<Case, ApiError> {
        Ok(Case {
            id: r.i64("id")?,
            case_no: r.str("case_no")?,
            source: r.str("source")?,
            status: r.str("status")?,
            org_id: r.opt_i64("org_id")?,
            org_name: r.opt_str("org_name")?,
            org_path: r.str("org_path")?,
            handler_name: r.opt_str("handler_name")?,
            handler_phone: r.opt_str("handler_phone")?,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
        })
    }

    /// The case; the handler's phone whole only when `whole` (the detail).
    fn json(&self, whole: bool) -> Json {
        let handler = self.handler_phone.as_ref().map(|phone| {
            let phone = if whole { phone.clone() } else { kit::mask_phone(phone) };
            json!({ "name": self.handler_name, "phone": phone })
        });
        json!({
            "id": self.id,
            "case_no": self.case_no,
            "source": self.source,
            "status": self.status,
            "status_label": status::label(&self.status),
            "org": self.org_id.map(|id| json!({ "id": id, "name": self.org_name })),
            "handler": handler,
            "created_at": kit::time::rfc3339(self.created_at),
            "updated_at": kit::time::rfc3339(self.updated_at),
        })
    }
}

/// `GET /api/v1/mediation/cases?status=&org_id=&limit=&cursor=`: cases in the caller's
/// dispatch-orders scope (narrowed to `org_id`'s subtree when given), by id.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let wanted = kit::query_filter(req, "status");
    if wanted.as_deref().is_some_and(|s| !status::is_status(s)) {
        return Err(ApiError::invalid("status", format!("must be one of {}", status::names().join(", "))));
    }
    let org_id = kit::query_id(req, "org_id")?;
    let scope = kit::Scope::required(p, Action::DispatchOrders)?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let mut sql = format!("{SELECT} WHERE {} AND c.id > ?", scope.condition("c.org_path", &mut params));
    params.push(Value::Integer(page.after));
    if let Some(s) = wanted {
        sql.push_str(" AND c.status = ?");
        params.push(Value::Text(s));
    }
    if let Some(id) = org_id {
        let path = db
            .query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(id)])?
            .ok_or_else(|| ApiError::invalid("org_id", "no such org"))?
            .str("path")?;
        let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
        sql.push_str(" AND c.org_path >= ? AND c.org_path < ?");
        params.push(Value::Text(lo));
        params.push(Value::Text(hi));
    }
    sql.push_str(" ORDER BY c.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let cases = db.query(&sql, &params)?.iter().map(Case::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = cases.last().map(|c| c.id);
    Ok(kit::json(200, &page.envelope(cases.iter().map(|c| c.json(false)).collect(), last)))
}

/// `GET /api/v1/mediation/cases/{id}`: the case, its handler, and its timeline with each
/// event's notices. A case outside the caller's scope is 404, as an unknown one.
pub fn detail(p: &Principal, id: i64) -> Result<Response, ApiError> {
    kit::Scope::required(p, Action::DispatchOrders)?;
    let db = Db::open()?;
    let case = db
        .query_one(&format!("{SELECT} WHERE c.id = ?"), &[Value::Integer(id)])?
        .map(|r| Case::from_row(&r))
        .transpose()?
        .filter(|c| !c.org_path.is_empty())
        .ok_or_else(|| ApiError::NotFound("no such case".into()))?;
    if !kit::allowed(p, Action::DispatchOrders, &case.org_path)? {
        return Err(ApiError::NotFound("no such case".into()));
    }
    let events = db.query(
        "SELECT event_id, status, previous_status, occurred_at, received_at, notified FROM mediation_events
         WHERE case_id = ? ORDER BY id",
        &[Value::Integer(id)],
    )?;
    let mut timeline = Vec::with_capacity(events.len());
    for e in &events {
        let event_id = e.str("event_id")?;
        let status = e.str("status")?;
        timeline.push(json!({
            "event_id": event_id,
            "status": status,
            "status_label": status::label(&status),
            "previous_status": e.opt_str("previous_status")?,
            "occurred_at": kit::time::rfc3339(e.i64("occurred_at")?),
            "received_at": kit::time::rfc3339(e.i64("received_at")?),
            "notified": e.i64("notified")?,
            "notices": notices(&db, &event_id)?,
        }));
    }
    let mut body = case.json(true);
    body["timeline"] = Json::Array(timeline);
    Ok(kit::json(200, &body))
}

/// The notices one event queued: `[{"role", "recipient" (masked), "template", "status",
/// "queued_at"}]`, oldest first.
fn notices(db: &Db, event_id: &str) -> Result<Vec<Json>, ApiError> {
    let (lo, hi) = key_range(event_id);
    let rows = db.query(
        "SELECT idempotency_key, recipient, template, status, created_at FROM outbox
         WHERE idempotency_key >= ? AND idempotency_key < ? ORDER BY id",
        &[Value::Text(lo.clone()), Value::Text(hi)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let key = r.str("idempotency_key")?;
        // Another event whose id extends this one's with `:` shares the prefix; its remainder
        // does not start with a role, so it is left out.
        let Some(role) = role_of(&key[lo.len()..]) else { continue };
        out.push(json!({
            "role": role,
            "recipient": kit::mask_phone(&r.str("recipient")?),
            "template": r.str("template")?,
            "status": r.str("status")?,
            "queued_at": kit::time::rfc3339(r.i64("created_at")?),
        }));
    }
    Ok(out)
}

/// The keys `mediation:<event_id>:...` as a half-open range: the prefix, and the prefix with
/// its final `:` raised to the next character (`;`), which no such key reaches.
fn key_range(event_id: &str) -> (String, String) {
    (format!("mediation:{event_id}:"), format!("mediation:{event_id};"))
}

/// The role in a key's remainder `<role>:<phone>`.
fn role_of(rest: &str) -> Option<&'static str> {
    let (role, phone) = rest.split_once(':')?;
    if phone.is_empty() || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ["applicant", "respondent", "handler"].into_iter().find(|r| *r == role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_keys_form_one_range_and_only_roles_count() {
        let (lo, hi) = key_range("evt-1");
        for key in ["mediation:evt-1:applicant:13712340001", "mediation:evt-1:handler:13712340009"] {
            assert!(lo.as_str() <= key && key < hi.as_str(), "{key}");
        }
        assert!("mediation:evt-10:applicant:1" >= hi.as_str() || "mediation:evt-10:applicant:1" < lo.as_str());
        assert_eq!(role_of("handler:13712340009"), Some("handler"));
        assert_eq!(role_of("x:applicant:13712340001"), None);
    }
}
