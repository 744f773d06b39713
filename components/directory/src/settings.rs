//! `GET /api/v1/settings` and `PUT /api/v1/settings/{key}`: every deployment setting a step
//! reads, with its value, default, type, range and Chinese label, changed by the centre's admin.
//! What a key may hold is decided in one place, `kit::settings::registry`, which the readers use
//! for their own range checks too: a value accepted here is one every reader accepts.
//!
//! The settings are the deployment's, not an org's: only an admin of the centre (manage-orgs at
//! an active centre or city org) may read or change them. Every change is audited with the value
//! before and after; a refused value changes nothing.

use kit::identity::Action;
use kit::settings::{registry, Spec};
use kit::{ApiError, Db, Fields};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, Caller};

/// The longest value anyone sends (a fine-grained rounding rule of 60 steps is under 600 bytes).
const MAX_VALUE_BYTES: usize = 2000;

/// The path of a centre (or city) org where the caller holds manage-orgs: the deployment's
/// admins; 403 for anybody else.
fn centre_admin(db: &Db, caller: &Caller) -> Result<String, ApiError> {
    let centres =
        db.query("SELECT path FROM orgs WHERE level IN ('city', 'centre') AND active = 1 ORDER BY path", &[])?;
    for row in centres {
        let path = row.str("path")?;
        if caller.may(Action::ManageOrgs, &path)? {
            return Ok(path);
        }
    }
    Err(ApiError::Forbidden("deployment settings are changed by the centre's admins".into()))
}

/// One setting as the API shows it: its rule from the registry and this deployment's value.
fn item(spec: &Spec, stored: Option<(String, i64)>) -> Json {
    let (min, max, unit, max_chars) = match spec.kind {
        registry::Kind::Int { min, max, unit } => (Some(min), Some(max), Some(unit), None),
        registry::Kind::Text { max_chars, .. } => (None, None, None, Some(max_chars)),
        _ => (None, None, None, None),
    };
    let (value, updated_at) = match stored {
        Some((v, at)) => (v, Some(kit::time::rfc3339(at))),
        None => (spec.default.to_string(), None),
    };
    json!({
        "key": spec.key,
        "group": spec.group.name(),
        "group_label": spec.group.label(),
        "label": spec.label,
        "help": spec.help,
        "type": spec.kind.name(),
        "min": min,
        "max": max,
        "unit": unit,
        "max_chars": max_chars,
        "default": spec.default,
        "is_default": value == spec.default,
        "value": value,
        "updated_at": updated_at,
    })
}

/// The stored value of `key` and when it was set, `None` when unset.
fn stored(db: &Db, key: &str) -> Result<Option<(String, i64)>, ApiError> {
    let value = kit::settings::get(db, key)?;
    let Some(value) = value else { return Ok(None) };
    let at = db
        .query_one("SELECT updated_at FROM deployment_settings WHERE key = ?", &[Value::Text(key.into())])?
        .map(|r| r.i64("updated_at"))
        .transpose()?
        .unwrap_or(0);
    Ok(Some((value, at)))
}

/// `GET /api/v1/settings`: every registered setting, in the page's order.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let db = Db::open()?;
    centre_admin(&db, &caller)?;
    let items =
        registry::SETTINGS.iter().map(|s| Ok(item(s, stored(&db, s.key)?))).collect::<Result<Vec<_>, ApiError>>()?;
    Ok(kit::json(200, &json!({ "items": items })))
}

/// `PUT /api/v1/settings/{key}` with `{"value": "..."}` (a number may be sent as a number):
/// checked by the registry (422 on `value`, nothing written), stored normalised, audited.
/// Sending the value a setting already has changes nothing and is not audited again, so a
/// retried request is harmless.
pub fn put(req: &Request, key: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let spec = registry::spec(key).ok_or_else(|| access::not_found("setting"))?;
    let mut fields = Fields::from_request(req, &["value"])?;
    let raw = match fields.take("value") {
        Some(Json::String(s)) => s,
        Some(Json::Number(n)) => n.to_string(),
        Some(_) => return Err(ApiError::invalid("value", "value must be a string or a number")),
        None => return Err(kit::fields::required("value")),
    };
    if raw.len() > MAX_VALUE_BYTES {
        return Err(ApiError::invalid("value", format!("value is at most {MAX_VALUE_BYTES} bytes")));
    }
    let value = spec.check(&raw).map_err(|message| ApiError::invalid("value", message))?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let org_path = centre_admin(&db, &caller)?;
    let after = db.transaction(|db| {
        let before = stored(db, key)?;
        if before.as_ref().is_some_and(|(v, _)| *v == value) {
            return Ok(item(spec, before));
        }
        kit::settings::set(db, key, &value, now)?;
        let shown = |v: Option<&str>| v.map(|v| json!({ "key": key, "value": v }));
        kit::audit(
            db,
            caller.account_id(),
            "setting.update",
            "deployment_settings",
            None,
            &org_path,
            shown(before.as_ref().map(|(v, _)| v.as_str())).as_ref(),
            shown(Some(&value)).as_ref(),
        )?;
        Ok(item(spec, Some((value.clone(), now))))
    })?;
    Ok(kit::json(200, &after))
}
