//! The directory: sign-in sessions and SMS codes, the org tree (city → centre → institute →
//! station → point), staff accounts and their roles, departments, and the read-only views of the
//! audit log and the notification outbox, and the deployment's settings (`docs/directory-api.md`).
//!
//! Every decision about who may do what is asked of the `identity` library component through
//! `wenming:identity/identity`; this component owns the directory's tables and their rules
//! (levels, sibling names, the last centre admin). Lists are scoped by the caller's org subtrees
//! as materialised-path ranges, so they stay one indexed range scan however large the tree grows.
//!
//! `lib.rs` only routes; each resource has its own module.

mod access;
mod accounts;
mod audit;
mod departments;
mod input;
mod orgs;
mod outbox;
mod sessions;
mod settings;
mod wechat;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler, in the order every component routes: the path (404), then the
/// method (405 with `Allow`), then — inside each handler — the session (401), then the id.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let allow = |allowed: &'static str| kit::allow_method(method, allowed);
    let get = matches!(method, Method::Get);
    match segments.as_slice() {
        ["sessions"] => allow("POST").and_then(|()| sessions::create(req)),
        ["sessions", "browser"] => allow("POST").and_then(|()| sessions::create_browser(req)),
        ["sessions", "current"] => allow("DELETE").and_then(|()| sessions::delete_current(req)),
        ["sms-codes"] => allow("POST").and_then(|()| sessions::request_code(req)),
        ["me"] => allow("GET").and_then(|()| sessions::me(req)),
        ["me", "password"] => allow("POST").and_then(|()| sessions::change_password(req)),
        ["me", "notify-channel"] => allow("PUT").and_then(|()| wechat::put_channel(req)),
        ["me", "wechat"] => allow("DELETE").and_then(|()| wechat::unbind_self(req)),

        ["orgs"] => allow("GET, POST").and_then(|()| if get { orgs::list(req) } else { orgs::create(req) }),
        ["orgs", "tree"] => allow("GET").and_then(|()| orgs::tree(req)),
        ["orgs", id] => allow("GET, PATCH").and_then(|()| if get { orgs::get(req, id) } else { orgs::update(req, id) }),
        ["orgs", id, "public"] => allow("GET").and_then(|()| orgs::public(id)),
        ["orgs", id, "deactivate"] => allow("POST").and_then(|()| orgs::deactivate(req, id)),

        ["accounts"] => allow("GET, POST").and_then(|()| if get { accounts::list(req) } else { accounts::create(req) }),
        ["accounts", id] => allow("GET").and_then(|()| accounts::get(req, id)),
        ["accounts", id, "unlock"] => allow("POST").and_then(|()| accounts::unlock(req, id)),
        ["accounts", id, "roles"] => allow("POST").and_then(|()| accounts::grant(req, id)),
        ["accounts", id, "wechat"] => allow("DELETE").and_then(|()| wechat::unbind_by_staff(req, id)),
        ["accounts", id, "roles", grant] => allow("DELETE").and_then(|()| accounts::revoke(req, id, grant)),

        ["departments"] => {
            allow("GET, POST").and_then(|()| if get { departments::list(req) } else { departments::create(req) })
        }
        ["departments", id] => allow("GET").and_then(|()| departments::get(req, id)),
        ["departments", id, "handlers"] => allow("POST").and_then(|()| departments::add_handler(req, id)),

        ["audit"] => allow("GET").and_then(|()| audit::list(req)),
        ["outbox"] => allow("GET").and_then(|()| outbox::list(req)),
        ["settings"] => allow("GET").and_then(|()| settings::list(req)),
        ["settings", key] => allow("PUT").and_then(|()| settings::put(req, key)),

        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}

/// The `Idempotency-Key` header of a retryable create.
fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(|s| s.trim().to_string())
}

/// Runs a retryable create through `kit::idempotent`: a retry with the same key replays the
/// first answer instead of creating twice.
///
/// The request is recorded as method, path and a fingerprint of the body, so a key reused for
/// a different body (another role, another org) is refused rather than answered with the first
/// request's result as if it had been done.
fn idempotent_create(
    req: &Request,
    db: &kit::Db,
    caller: &access::Caller,
    f: impl FnOnce(&kit::Db) -> Result<(u16, serde_json::Value), ApiError>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(req);
    let request = format!("POST {} {:016x}", req.path(), body_fingerprint(req.body()));
    let (status, body) = kit::idempotent(db, caller.account_id(), key.as_deref(), &request, f)?;
    Ok(kit::json(status, &body))
}

/// FNV-1a over the body's JSON with keys sorted and any password left out: a password must not
/// be kept, even hashed this cheaply, outside its argon2 hash.
fn body_fingerprint(body: &[u8]) -> u64 {
    let canonical = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.remove("password");
            serde_json::Value::Object(fields).to_string()
        }
        Ok(other) => other.to_string(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    canonical.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::body_fingerprint;

    #[test]
    fn fingerprints_ignore_key_order_and_passwords() {
        let a = body_fingerprint(br#"{"role":"auditor","org_id":1}"#);
        assert_eq!(a, body_fingerprint(br#"{ "org_id": 1, "role": "auditor" }"#));
        assert_ne!(a, body_fingerprint(br#"{"role":"auditor","org_id":2}"#));
        assert_eq!(
            body_fingerprint(br#"{"name":"a","password":"one"}"#),
            body_fingerprint(br#"{"name":"a","password":"two"}"#)
        );
    }
}
