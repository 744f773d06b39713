//! Staff's side of delivery: the provider templates (`GET /api/v1/sms-templates`,
//! `PUT /api/v1/sms-templates/{provider}/{kind}`) and the delivery summary
//! (`GET /api/v1/outbox/summary`: messages by channel, provider and status — components cannot
//! add to the edge's `/metrics`, so the counts come from the database here).
//!
//! Both are deployment-wide, like the outbox itself: they need read-outbox, which only the
//! centre's admins hold. Template edits are audited.

use kit::identity::Action;
use kit::{ApiError, Db, Fields, Scope};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::provider::Kind;

/// Longest provider template id (Tencent's are digits, Aliyun's `SMS_123456789`).
const MAX_TEMPLATE_ID: usize = 64;
/// Most parameters a template takes (notify's own limit).
const MAX_PARAMS: usize = 20;

fn staff(req: &Request) -> Result<(kit::identity::Principal, Scope), ApiError> {
    let p = kit::authenticate(req)?;
    let scope = Scope::required(&p, Action::ReadOutbox)?;
    Ok((p, scope))
}

fn template_json(r: &kit::Row) -> Result<Json, ApiError> {
    let params: Json = serde_json::from_str(&r.str("params")?).unwrap_or(Json::Null);
    let id = r.str("template_id")?;
    Ok(json!({
        "provider": r.str("provider")?,
        "kind": r.str("kind")?,
        "template_id": (!id.is_empty()).then_some(id),
        "params": params,
    }))
}

pub fn list_templates(req: &Request) -> Result<Response, ApiError> {
    staff(req)?;
    let db = Db::open()?;
    let rows =
        db.query("SELECT provider, kind, template_id, params FROM sms_templates ORDER BY provider, kind", &[])?;
    let items = rows.iter().map(template_json).collect::<Result<Vec<_>, _>>()?;
    Ok(kit::json(200, &json!({ "items": items })))
}

/// `{"template_id", "params": [names in order]}`: sets (or adds) the template of one kind at one
/// provider. The kind follows notify's template-name rule, so any kind a step queues can be
/// configured before that step ships.
pub fn put_template(req: &Request, provider: &str, kind: &str) -> Result<Response, ApiError> {
    let (p, scope) = staff(req)?;
    let provider = Kind::parse(provider)
        .ok_or_else(|| ApiError::NotFound(format!("no SMS provider {provider:?}: tencent or aliyun")))?;
    if kind.is_empty()
        || kind.len() > 64
        || !kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(ApiError::NotFound(format!("{kind:?} is not a message kind (e.g. sign-in-code)")));
    }
    let mut fields = Fields::from_request(req, &["template_id", "params"])?;
    let template_id = fields.line("template_id", MAX_TEMPLATE_ID)?;
    if !template_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ApiError::invalid("template_id", "a provider template id is letters, digits, '_' and '-'"));
    }
    let params = fields
        .opt_labels("params", MAX_PARAMS, 64)?
        .ok_or_else(|| ApiError::invalid("params", "the parameter names in the template's order, e.g. [\"code\"]"))?;
    let params_text = Json::from(params.clone()).to_string();
    let db = Db::open()?;
    let org = scope.roots().first().map(|r| r.as_str().to_string()).unwrap_or_else(|| "/".into());
    let after = db.transaction(|db| {
        let before = db
            .query_one(
                "SELECT provider, kind, template_id, params FROM sms_templates WHERE provider = ? AND kind = ?",
                &[Value::Text(provider.as_str().into()), Value::Text(kind.into())],
            )?
            .map(|r| template_json(&r))
            .transpose()?;
        db.exec(
            "INSERT INTO sms_templates (provider, kind, template_id, params, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (provider, kind) DO UPDATE SET template_id = excluded.template_id,
                 params = excluded.params, updated_at = excluded.updated_at",
            &[
                Value::Text(provider.as_str().into()),
                Value::Text(kind.into()),
                Value::Text(template_id.clone()),
                Value::Text(params_text.clone()),
                Value::Integer(kit::now()),
            ],
        )?;
        let after =
            json!({ "provider": provider.as_str(), "kind": kind, "template_id": template_id, "params": params });
        kit::audit(db, p.account_id, "sms-template.set", "sms_template", None, &org, before.as_ref(), Some(&after))?;
        Ok(after)
    })?;
    Ok(kit::json(200, &after))
}

/// Counts of messages by channel, provider and status, and of unmatched receipts.
pub fn summary(req: &Request) -> Result<Response, ApiError> {
    staff(req)?;
    let db = Db::open()?;
    let rows = db.query(
        "SELECT channel, COALESCE(provider, '') AS provider, status, COUNT(*) AS n FROM outbox
         GROUP BY channel, provider, status ORDER BY channel, provider, status",
        &[],
    )?;
    let messages = rows
        .iter()
        .map(|r| {
            let provider = r.str("provider")?;
            Ok(json!({
                "channel": r.str("channel")?,
                "provider": (!provider.is_empty()).then_some(provider),
                "status": r.str("status")?,
                "count": r.i64("n")?,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let unmatched = db
        .query_one("SELECT COUNT(*) AS n FROM sms_receipts WHERE outbox_id IS NULL", &[])?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0);
    let alerts = db
        .query_one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'queued' AND error_class = 'alert'", &[])?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0);
    Ok(kit::json(200, &json!({ "messages": messages, "unmatched_receipts": unmatched, "held_for_operator": alerts })))
}
