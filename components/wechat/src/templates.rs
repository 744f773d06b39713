//! Template messages (模板消息) as a notify channel.
//!
//! - `GET /api/v1/wechat/templates` — every message kind the platform sends (the kinds of the
//!   SMS templates, with their parameters), and the template message each is sent as, if any.
//! - `PUT /api/v1/wechat/templates/{kind}` `{"template_id", "fields": [{"key", "param"}]}` — the
//!   template the deployment registered in the account's 模板消息 console, and which parameter
//!   of the notice fills each of its data keys (`thing2` ← `item`). Checked, audited.
//! - `DELETE /api/v1/wechat/templates/{kind}` — the kind goes by SMS again. Audited.
//! - `POST /template-send` — private (local service chaining from `delivery` only): sends one
//!   queued message with the account's cached token (refreshed once if WeChat rejects it) and
//!   answers WeChat's `msgid` or its refusal, which `delivery` records and falls back on.
//!
//! Sign-in codes prove a phone and never go by WeChat, so that kind cannot have a template.
//! Like the SMS templates and the menu these are the whole deployment's: read-outbox, held only
//! by the centre's admins.

use kit::identity::Action;
use kit::{ApiError, Db, Fields, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::sqlite3::Value;

use crate::credentials::{Account, Credentials};
use crate::upstream::{self, UpstreamError};

/// A template has a handful of data keys (WeChat's category templates have at most five).
const MAX_FIELDS: usize = 10;
const MAX_TEMPLATE_ID: usize = 64;
const MAX_KEY: usize = 32;
/// WeChat truncates a `thing` value at 20 characters and refuses longer ones in some types; the
/// platform's parameters are shorter, but a value is cut rather than refused as a whole.
const MAX_VALUE_CHARS: usize = 20;

/// One data key of the template and the notice parameter that fills it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub param: String,
}

fn staff(req: &Request) -> Result<(kit::identity::Principal, Scope), ApiError> {
    let p = kit::authenticate(req)?;
    let scope = Scope::required(&p, Action::ReadOutbox)?;
    Ok((p, scope))
}

pub fn route(req: &Request, rest: &str) -> Result<Response, ApiError> {
    match rest {
        "" => {
            kit::allow_method(req.method(), "GET")?;
            list(req)
        }
        kind => {
            kit::allow_method(req.method(), "PUT, DELETE")?;
            match req.method() {
                Method::Put => put(req, kind),
                _ => delete(req, kind),
            }
        }
    }
}

/// The kinds the platform sends and their parameters: the SMS template catalogue (one list of
/// kinds for both channels).
fn kinds(db: &Db) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    db.query(
        "SELECT kind, params FROM sms_templates WHERE provider = 'tencent' AND kind <> ? ORDER BY kind",
        &[Value::Text(kit::platform::SIGN_IN_CODE.into())],
    )?
    .iter()
    .map(|r| {
        let params: Vec<String> = serde_json::from_str(&r.str("params")?).unwrap_or_default();
        Ok((r.str("kind")?, params))
    })
    .collect()
}

fn list(req: &Request) -> Result<Response, ApiError> {
    staff(req)?;
    let db = Db::open()?;
    let configured = db.query("SELECT kind, template_id, fields, updated_at FROM wechat_templates", &[])?;
    let items = kinds(&db)?
        .into_iter()
        .map(|(kind, params)| {
            let row = configured.iter().find(|r| r.str("kind").ok().as_deref() == Some(kind.as_str()));
            Ok(match row {
                Some(r) => json!({
                    "kind": kind,
                    "params": params,
                    "template_id": r.str("template_id")?,
                    "fields": serde_json::from_str::<Json>(&r.str("fields")?).unwrap_or(Json::Null),
                    "updated_at": kit::time::rfc3339(r.i64("updated_at")?),
                }),
                None => {
                    json!({ "kind": kind, "params": params, "template_id": null, "fields": [], "updated_at": null })
                }
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(kit::json(200, &json!({ "items": items })))
}

fn unknown_kind(kind: &str) -> ApiError {
    ApiError::NotFound(format!(
        "{kind:?} is not a kind of notice the platform sends by template (see GET /api/v1/wechat/templates)"
    ))
}

fn put(req: &Request, kind: &str) -> Result<Response, ApiError> {
    let (p, scope) = staff(req)?;
    let db = Db::open()?;
    let params =
        kinds(&db)?.into_iter().find(|(k, _)| k == kind).map(|(_, params)| params).ok_or_else(|| unknown_kind(kind))?;
    let mut body = Fields::from_request(req, &["template_id", "fields"])?;
    let template_id = body.line("template_id", MAX_TEMPLATE_ID)?;
    if !template_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ApiError::invalid("template_id", "a template id (模板ID) is letters, digits, '_' and '-'"));
    }
    let raw = body
        .take("fields")
        .ok_or_else(|| ApiError::invalid("fields", "the template's data keys and the parameter filling each"))?;
    let fields: Vec<Field> = match raw {
        Json::Array(items) => {
            items.into_iter().enumerate().map(|(i, item)| field(i, item, &params)).collect::<Result<_, _>>()?
        }
        _ => return Err(ApiError::invalid("fields", "a list of {\"key\", \"param\"}")),
    };
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(ApiError::invalid("fields", format!("1 to {MAX_FIELDS} data keys")));
    }
    if let Some(dup) = fields.iter().enumerate().find(|(i, f)| fields[..*i].iter().any(|g| g.key == f.key)) {
        return Err(ApiError::invalid(&format!("fields[{}].key", dup.0), "each data key once"));
    }
    let fields_text = serde_json::to_string(&fields).map_err(|e| ApiError::Internal(e.to_string()))?;
    let org = scope.roots().first().map(|r| r.as_str().to_string()).unwrap_or_else(|| "/".into());
    let now = kit::request_now(req);
    let after = json!({ "kind": kind, "template_id": template_id, "fields": fields });
    db.transaction(|db| {
        let before = stored(db, kind)?;
        db.exec(
            "INSERT INTO wechat_templates (kind, template_id, fields, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind) DO UPDATE SET template_id = excluded.template_id, fields = excluded.fields,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            &[
                Value::Text(kind.into()),
                Value::Text(template_id.clone()),
                Value::Text(fields_text.clone()),
                Value::Integer(p.account_id),
                Value::Integer(now),
            ],
        )?;
        kit::audit(
            db,
            p.account_id,
            "wechat-template.set",
            "wechat_template",
            None,
            &org,
            before.as_ref(),
            Some(&after),
        )
    })?;
    Ok(kit::json(200, &after))
}

/// `fields[i]`: a data key as WeChat names them (`thing2`, `character_string1`, `time3`) and one
/// of the kind's parameters.
fn field(i: usize, item: Json, params: &[String]) -> Result<Field, ApiError> {
    let at = |name: &str| format!("fields[{i}].{name}");
    let Json::Object(mut map) = item else {
        return Err(ApiError::invalid(&format!("fields[{i}]"), "an object {\"key\", \"param\"}"));
    };
    let key = map.remove("key").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let param = map.remove("param").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    if let Some(extra) = map.keys().next() {
        return Err(ApiError::invalid(&format!("fields[{i}].{extra}"), "only key and param"));
    }
    let key_ok = !key.is_empty()
        && key.len() <= MAX_KEY
        && key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !key_ok {
        return Err(ApiError::invalid(
            &at("key"),
            format!("a template data key such as thing2 (lower-case letters, digits, '_', at most {MAX_KEY})"),
        ));
    }
    if !params.contains(&param) {
        return Err(ApiError::invalid(&at("param"), format!("one of this notice's parameters: {}", params.join(", "))));
    }
    Ok(Field { key, param })
}

fn stored(db: &Db, kind: &str) -> Result<Option<Json>, ApiError> {
    db.query_one("SELECT template_id, fields FROM wechat_templates WHERE kind = ?", &[Value::Text(kind.into())])?
        .map(|r| {
            Ok(json!({
                "kind": kind,
                "template_id": r.str("template_id")?,
                "fields": serde_json::from_str::<Json>(&r.str("fields")?).unwrap_or(Json::Null),
            }))
        })
        .transpose()
}

fn delete(req: &Request, kind: &str) -> Result<Response, ApiError> {
    let (p, scope) = staff(req)?;
    let db = Db::open()?;
    let org = scope.roots().first().map(|r| r.as_str().to_string()).unwrap_or_else(|| "/".into());
    db.transaction(|db| {
        let before = stored(db, kind)?.ok_or_else(|| unknown_kind(kind))?;
        db.exec("DELETE FROM wechat_templates WHERE kind = ?", &[Value::Text(kind.into())])?;
        kit::audit(db, p.account_id, "wechat-template.delete", "wechat_template", None, &org, Some(&before), None)
    })?;
    Ok(Response::builder().status(204).build())
}

/// What `delivery` sends to `POST /template-send`: one claimed outbox message.
#[derive(Debug, Deserialize)]
struct Send {
    openid: String,
    kind: String,
    /// The outbox's parameter object.
    params: serde_json::Map<String, Json>,
    /// The outbox's idempotency key, as WeChat's `client_msg_id`.
    key: String,
}

/// `POST /template-send` (chained from `delivery` only): `200 {"msgid"}` when WeChat took it,
/// `200 {"errcode", "errmsg"}` when it refused (a refusal is an answer for delivery to record,
/// not a failure of this call); 503 when WeChat could not be asked.
pub fn send(req: &Request, account: Result<Account, ApiError>) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "POST")?;
    let send: Send =
        serde_json::from_slice(req.body()).map_err(|e| ApiError::Malformed(format!("template-send: {e}")))?;
    let refusal = |code: i64, msg: &str| Ok(kit::json(200, &json!({ "errcode": code, "errmsg": msg })));
    let account = match account {
        Ok(a) => a,
        Err(_) => return refusal(-2, "not_configured: no AppID / AppSecret"),
    };
    let db = Db::open()?;
    let Some(row) = db.query_one(
        "SELECT template_id, fields FROM wechat_templates WHERE kind = ?",
        &[Value::Text(send.kind.clone())],
    )?
    else {
        return refusal(-3, "template_not_configured: the kind has no template message any more");
    };
    let fields: Vec<Field> = serde_json::from_str(&row.str("fields")?)
        .map_err(|e| ApiError::Internal(format!("wechat_templates.fields: {e}")))?;
    let mut data = serde_json::Map::new();
    for f in &fields {
        let value = match send.params.get(&f.param) {
            Some(Json::String(v)) => v.clone(),
            Some(other) => other.to_string(),
            None => return refusal(-4, &format!("template_parameter_missing: the notice has no {}", f.param)),
        };
        data.insert(f.key.clone(), json!({ "value": value.chars().take(MAX_VALUE_CHARS).collect::<String>() }));
    }
    let message = json!({
        "touser": send.openid,
        "template_id": row.str("template_id")?,
        "data": data,
        "client_msg_id": send.key,
    })
    .to_string();
    let credentials = Credentials::open(&db, &account)?;
    match credentials.with_token(|token| upstream::template_send(&account.api_base, token, &message)) {
        Ok(msgid) => Ok(kit::json(200, &json!({ "msgid": msgid }))),
        Err(crate::credentials::CredentialError::Upstream(UpstreamError::Refused { errcode, errmsg })) => {
            refusal(errcode, &errmsg)
        }
        Err(e) => Err(e.into()),
    }
}

/// `TEMPLATESENDJOBFINISH`: WeChat's final word on a template message it accepted. `success` →
/// `delivered`; any failure (`failed:user block`, `failed: system failed`, …) → `failed`, and the
/// notice goes by SMS to the phone it was queued for ([`kit::fall_back_to_sms`], once). Only a
/// message still `sent` moves, so a report repeated (or arriving after a fallback) changes
/// nothing; an unknown `MsgID` is ignored.
pub fn finished(db: &Db, msg_id: &str, status: &str, now: i64) -> Result<(), ApiError> {
    if msg_id.is_empty() {
        return Ok(());
    }
    db.transaction(|db| {
        let Some(row) = db.query_one(
            "SELECT id FROM outbox WHERE channel = 'wechat' AND provider = 'wechat' AND provider_ref = ? AND status = 'sent'",
            &[Value::Text(msg_id.into())],
        )?
        else {
            return Ok(());
        };
        let id = row.i64("id")?;
        if status == "success" {
            db.exec(
                "UPDATE outbox SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ?",
                &[Value::Integer(now), Value::Integer(now), Value::Integer(id)],
            )?;
            return Ok(());
        }
        db.exec(
            "UPDATE outbox SET status = 'failed', error_class = 'permanent', last_error = ?, updated_at = ? WHERE id = ?",
            &[Value::Text(format!("TEMPLATESENDJOBFINISH: {}", status.chars().take(100).collect::<String>())), Value::Integer(now), Value::Integer(id)],
        )?;
        kit::fall_back_to_sms(db, id, now)?;
        Ok(())
    })
}
