//! `GET /api/v1/outbox`: messages queued for the SMS and WeChat providers, with their delivery
//! status (queued, sending, sent, delivered, failed), provider, attempts and last error.
//!
//! With no SMS provider (`sms_provider = "none"`, the embedded demo) nobody could ever receive a
//! sign-in code, so admins see queued messages whole and can read the code out to the person.
//! With a real provider the codes are secrets in transit: masked here, as are recipients.

use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input;
use kit::identity::Action;

/// `?recipient=&limit=&cursor=`, by id. The outbox has no org: read-outbox anywhere (held only
/// at the centre) reads all of it.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    caller.scope_or_forbidden(Action::ReadOutbox)?;
    let page = Page::from_request(req)?;
    let recipient = kit::query_param(req, "recipient").map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    let provider = spin_sdk::variables::get("sms_provider")
        .map_err(|e| ApiError::Internal(format!("variable sms_provider: {e:?}")))?;
    let whole = provider.trim() == "none";

    let db = Db::open()?;
    let mut params = vec![Value::Integer(page.after)];
    let mut sql =
        "SELECT id, channel, recipient, template, params, status, created_at, provider, attempts, error_class, last_error,
                sent_at, delivered_at FROM outbox WHERE id > ?".to_string();
    if let Some(recipient) = recipient {
        sql.push_str(" AND recipient = ?");
        params.push(Value::Text(recipient));
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;

    let items = rows
        .iter()
        .map(|r| {
            let text = r.str("params")?;
            let mut params: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            let recipient = r.str("recipient")?;
            let recipient = if whole { recipient } else { kit::mask_phone(&recipient) };
            if !whole {
                if let Some(code) = params.get_mut("code") {
                    *code = serde_json::Value::String("******".into());
                }
            }
            Ok(serde_json::json!({
                "id": r.i64("id")?,
                "channel": r.str("channel")?,
                "recipient": recipient,
                "template": r.str("template")?,
                "params": params,
                "status": r.str("status")?,
                "created_at": input::rfc3339(r.i64("created_at")?),
                // Delivery (`delivery` component): who took it, how often it was tried, why it
                // is not delivered yet.
                "provider": r.opt_str("provider")?,
                "attempts": r.i64("attempts")?,
                "error_class": r.opt_str("error_class")?,
                "last_error": r.opt_str("last_error")?,
                "sent_at": r.opt_i64("sent_at")?.map(input::rfc3339),
                "delivered_at": r.opt_i64("delivered_at")?.map(input::rfc3339),
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}
