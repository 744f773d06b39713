//! How a request carries its session: `Authorization: Bearer <token>` (scripts, phones, other
//! services) or the console's cookie.
//!
//! The console signs in with `POST /api/v1/sessions/browser`, which puts the same session token
//! in a [`SESSION_COOKIE`] that is `HttpOnly` (page scripts never read it, so an injected script
//! cannot carry it off), `Secure` (never sent over plain http — browsers treat `localhost` and
//! `127.0.0.1` as secure, so a local edge works) and `SameSite=Strict` (another site's page
//! never makes the browser send it). Because a browser attaches a cookie by itself, every unsafe
//! method (anything but GET/HEAD/OPTIONS) sent with the cookie must also echo the session's
//! CSRF token in [`CSRF_HEADER`]: a page on another origin can neither read that token nor set a
//! custom header on a cross-site request without a CORS preflight we never grant.
//!
//! The CSRF token is derived from the session token ([`csrf_token`]), so nothing more is stored
//! and a signed-out session's token dies with it. A request that sends a bearer token is judged
//! by that token alone; the cookie is then ignored.

use sha2::{Digest, Sha256};
use spin_sdk::http::{Method, Request};
use subtle::ConstantTimeEq;

use crate::ApiError;

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "wenming_session";
/// The header that echoes the CSRF token on unsafe methods sent with the cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Where the request's session token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// The [`SESSION_COOKIE`].
    Cookie(String),
}

impl Credential {
    /// The session token, however it came.
    pub fn token(&self) -> &str {
        match self {
            Credential::Bearer(t) | Credential::Cookie(t) => t,
        }
    }
}

/// The request's credential: the bearer token when one is sent, else the session cookie.
pub fn credential(req: &Request) -> Option<Credential> {
    if let Some(token) = crate::bearer(req) {
        return Some(Credential::Bearer(token));
    }
    session_cookie(req).map(Credential::Cookie)
}

/// The session token of the request, bearer or cookie.
pub fn session_token(req: &Request) -> Option<String> {
    credential(req).map(|c| c.token().to_string())
}

/// The [`SESSION_COOKIE`]'s value from the `Cookie` header(s), when present and non-empty.
pub fn session_cookie(req: &Request) -> Option<String> {
    req.headers()
        .filter(|(name, _)| name.eq_ignore_ascii_case("cookie"))
        .filter_map(|(_, value)| value.as_str())
        .find_map(|header| cookie_value(header, SESSION_COOKIE))
}

/// `name`'s value in one `Cookie` header (`a=1; b=2`).
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name && !v.trim().is_empty()).then(|| v.trim().to_string())
    })
}

/// The CSRF token that belongs to a session token: a one-way digest, so knowing it does not
/// reveal the session, and only the session's holder (or this server) can compute it.
pub fn csrf_token(session_token: &str) -> String {
    let digest = Sha256::new().chain_update(b"wenming-csrf\0").chain_update(session_token.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// For a cookie-carried session, an unsafe method must echo [`csrf_token`] in [`CSRF_HEADER`];
/// a bearer token or a safe method needs nothing. 403 `csrf_token_missing` / `csrf_token_invalid`.
pub fn check_csrf(req: &Request, credential: &Credential) -> Result<(), ApiError> {
    let Credential::Cookie(token) = credential else { return Ok(()) };
    if matches!(req.method(), Method::Get | Method::Head | Method::Options) {
        return Ok(());
    }
    let Some(sent) = req.header(CSRF_HEADER).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(ApiError::Refused {
            code: "csrf_token_missing",
            message: "a request signed in by cookie must send the session's CSRF token in X-CSRF-Token".into(),
        });
    };
    let expected = csrf_token(token);
    if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Refused {
            code: "csrf_token_invalid",
            message: "the X-CSRF-Token does not match this session".into(),
        })
    }
}

/// The `Set-Cookie` value that carries `token` for `max_age` seconds.
pub fn session_cookie_header(token: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", max_age.max(0))
}

/// The `Set-Cookie` value that makes the browser forget the session cookie.
pub fn clear_session_cookie_header() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The answer to a browser sign-in (`POST /api/v1/sessions/browser`, and every other way a
/// browser signs in, such as WeChat's): 201, the session token in the [`SESSION_COOKIE`] only,
/// the body with the session's CSRF token, its expiry and the account with its roles. `now` is
/// the request's clock (the cookie lives as long as the session).
pub fn browser_session(session: &bindings::identity::Session, now: i64) -> spin_sdk::http::Response {
    let p = &session.principal;
    let body = serde_json::json!({
        "csrf_token": csrf_token(&session.token),
        "expires_at": crate::time::rfc3339(session.expires_at),
        "account": { "id": p.account_id, "name": p.name, "roles": crate::roles_json(p) },
    });
    let mut resp = crate::json(201, &body);
    resp.set_header("set-cookie", session_cookie_header(&session.token, session.expires_at - now));
    resp.set_header("cache-control", "no-store");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others() {
        assert_eq!(cookie_value("a=1; wenming_session=abc ; b=2", SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie_value("xwenming_session=abc", SESSION_COOKIE), None);
        assert_eq!(cookie_value("wenming_session=", SESSION_COOKIE), None);
    }

    #[test]
    fn the_csrf_token_is_stable_per_session_and_differs_between_sessions() {
        assert_eq!(csrf_token("t1"), csrf_token("t1"));
        assert_ne!(csrf_token("t1"), csrf_token("t2"));
        assert_eq!(csrf_token("t1").len(), 64);
    }
}
