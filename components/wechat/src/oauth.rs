//! WeChat web sign-in (网页授权, `snsapi_base`) for pages opened inside WeChat, and binding the
//! follower's openid to an account.
//!
//! 1. `GET /api/v1/wechat/oauth/start?return=<path>`: the return path must be one of the
//!    platform's own (no open redirect); a one-time `state` is stored with the SHA-256 of a random
//!    value put in an HttpOnly cookie of this browser, and the browser is sent to WeChat's
//!    authorize page.
//! 2. `GET /api/v1/wechat/oauth/callback?code&state`: the state must be unused, fresh and this
//!    browser's (a callback URL carried to another browser signs nobody in); the `code` is
//!    exchanged at `sns/oauth2/access_token` for the openid; snapshot-page users (快照页) are
//!    refused. A bound openid signs its account in (the console's session cookie); an unknown one
//!    gets a ten-minute pending-binding cookie and goes to `/m/bind`. Any failure goes to
//!    `/m/sign-in?wechat_error=<code>` with nothing signed in or bound.
//! 3. `POST /api/v1/wechat/bindings {"phone","code"}` or `{"phone","password"}`: the pending
//!    openid is bound to the account that proves itself, once, and that account is signed in as
//!    `POST /api/v1/sessions/browser` signs in. The openid and the account may each be bound
//!    once (the table's keys decide, so racing bindings cannot both win).
//!
//! `GET /api/v1/sign-in/options` tells the phone's sign-in page which ways exist.

use kit::identity;
use kit::{identity_error, ApiError, Db, Fields};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::credentials::Account;
use crate::upstream::{self, UpstreamError};

/// How long a started sign-in, and a pending binding, may wait: WeChat's own code lives five
/// minutes, and a person typing an SMS code needs a few more.
const STATE_SECS: i64 = 600;
const PENDING_SECS: i64 = 600;

/// The cookie that binds a started sign-in to the browser that started it.
const STATE_COOKIE: &str = "wenming_wx_state";
/// The cookie that carries a pending binding to `POST /api/v1/wechat/bindings`.
const PENDING_COOKIE: &str = "wenming_wx_bind";
/// Both cookies are only ever needed by this component's routes.
const COOKIE_PATH: &str = "/api/v1/wechat";

/// Where the platform's phone pages land a person after a refusal, and where binding happens.
const SIGN_IN_PAGE: &str = "/m/sign-in";
const BIND_PAGE: &str = "/m/bind";
/// Where to go when the return path is unknown (a forged state has none).
const DEFAULT_RETURN: &str = "/m/";
/// The longest return path kept.
const MAX_RETURN: usize = 512;

/// What a query value may leave unencoded (RFC 3986 unreserved characters and `/`).
const QUERY_VALUE: &AsciiSet = &URI_COMPONENT.remove(b'/');
/// `encodeURIComponent`'s set (unreserved characters left as they are), as WeChat's own
/// examples encode `redirect_uri`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Why a callback failed, as the sign-in page is told (`wechat_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    StateInvalid,
    CodeInvalid,
    SnapshotUser,
    WechatUnavailable,
    AccountInactive,
}

impl Failure {
    fn code(self) -> &'static str {
        match self {
            Failure::StateInvalid => "state_invalid",
            Failure::CodeInvalid => "code_invalid",
            Failure::SnapshotUser => "snapshot_user",
            Failure::WechatUnavailable => "wechat_unavailable",
            Failure::AccountInactive => "account_inactive",
        }
    }
}

/// `return` checked: an absolute path on this origin. `//host`, `/\host` (browsers read a
/// backslash as a slash), schemes, control characters and whitespace are refused: the path is
/// put in a `Location` header and must not be able to leave the platform.
pub fn return_path(raw: &str) -> Result<String, ApiError> {
    let refuse = || ApiError::BadRequest {
        code: "invalid_return",
        message: "return must be a path on this site, such as /m/activities".into(),
    };
    let bytes = raw.as_bytes();
    let well_formed = raw.len() <= MAX_RETURN
        && bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if well_formed {
        Ok(raw.to_string())
    } else {
        Err(refuse())
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .filter_map(|(_, v)| v.as_str())
        .find_map(|header| kit::session::cookie_value(header, name))
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}

fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// A `303 See Other` to a path on this site, never cached, setting `cookie` on the way. One
/// cookie per answer (Spin's response keeps one value per header): the state cookie is left to
/// expire when another must be set, which is harmless since its state is spent.
fn see_other(location: &str, cookie: String) -> Response {
    Response::builder()
        .status(303)
        .header("location", location)
        .header("cache-control", "no-store")
        .header("set-cookie", cookie)
        .body(Vec::new())
        .build()
}

/// `GET /api/v1/sign-in/options`: `{"wechat", "sms"}`, which ways to sign in this deployment
/// has: WeChat web authorization needs the AppID and AppSecret; SMS needs a provider (with
/// `sms_provider = none` codes never leave the machine).
pub fn options(req: &Request, wechat: bool) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "GET")?;
    let provider = crate::var("sms_provider");
    let sms = !(provider.is_empty() || provider == "none");
    Ok(kit::json(200, &serde_json::json!({ "wechat": wechat, "sms": sms })))
}

/// `GET /api/v1/wechat/oauth/start?return=<path>` → 302 to WeChat's authorize page.
pub fn start(req: &Request, account: Result<Account, ApiError>, base_url: &str) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "GET")?;
    let back = return_path(&kit::query_param(req, "return").unwrap_or_default())?;
    let account = account.map_err(|_| {
        ApiError::conflict("wechat_not_configured", "this deployment has no WeChat official account to sign in with")
    })?;
    let state = crate::random_text(32)?;
    let browser = crate::random_text(32)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    db.transaction(|db| {
        db.exec("DELETE FROM wechat_oauth_states WHERE expires_at < ?", &[Value::Integer(now)])?;
        db.exec(
            "INSERT INTO wechat_oauth_states (state, browser_hash, return_path, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            &[
                Value::Text(state.clone()),
                Value::Text(sha256_hex(&browser)),
                Value::Text(back.clone()),
                Value::Integer(now),
                Value::Integer(now + STATE_SECS),
            ],
        )?;
        Ok(())
    })?;
    let redirect_uri = format!("{}/api/v1/wechat/oauth/callback", base_url.trim_end_matches('/'));
    let authorize = format!(
        "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={state}#wechat_redirect",
        crate::authorize_base().trim_end_matches('/'),
        utf8_percent_encode(&account.app_id, URI_COMPONENT),
        utf8_percent_encode(&redirect_uri, URI_COMPONENT),
    );
    let mut resp = Response::builder()
        .status(302)
        .header("location", authorize)
        .header("cache-control", "no-store")
        .header("set-cookie", set_cookie(STATE_COOKIE, &browser, STATE_SECS))
        .body(Vec::new())
        .build();
    resp.set_header("referrer-policy", "no-referrer");
    Ok(resp)
}

/// `GET /api/v1/wechat/oauth/callback?code&state`: always a 303 (a person's browser is
/// following it), to the return path signed in, to the binding page, or to the sign-in page with
/// the reason.
pub fn callback(req: &Request, account: Result<Account, ApiError>) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "GET")?;
    let state = kit::query_param(req, "state").unwrap_or_default();
    let code = kit::query_param(req, "code").unwrap_or_default();
    let browser = cookie(req, STATE_COOKIE).unwrap_or_default();
    let now = kit::request_now(req);
    let db = Db::open()?;
    let fail = |why: Failure, back: &str| {
        let location = format!("{SIGN_IN_PAGE}?wechat_error={}&return={}", why.code(), encode(back));
        Ok(see_other(&location, clear_cookie(STATE_COOKIE)))
    };
    let Some(back) = take_state(&db, &state, &browser, now)? else {
        return fail(Failure::StateInvalid, DEFAULT_RETURN);
    };
    let Ok(account) = account else {
        return fail(Failure::WechatUnavailable, &back);
    };
    // WeChat's codes are short letters and digits; anything else cannot be one.
    if code.is_empty() || code.len() > 128 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return fail(Failure::CodeInvalid, &back);
    }
    let follower = match upstream::oauth_openid(&account.api_base, &account.app_id, &account.secret, &code) {
        Ok(f) => f,
        // 40029 invalid code, 40163 code been used, 42003 code expired: the person's sign-in is
        // spent, not WeChat's fault; they start again.
        Err(UpstreamError::Refused { errcode: 40029 | 40163 | 42003, .. }) => return fail(Failure::CodeInvalid, &back),
        Err(e) => {
            // The deployment's problem (wrong AppSecret, IP not allowed) or WeChat's: logged for
            // the operator (the error never holds the secret or the code), the person told.
            eprintln!("wechat web sign-in: {e}");
            return fail(Failure::WechatUnavailable, &back);
        }
    };
    if follower.snapshot {
        return fail(Failure::SnapshotUser, &back);
    }
    match identity::sign_in_wechat(db.connection(), &follower.openid) {
        Ok(Some(session)) => {
            let max_age = session.expires_at - now;
            Ok(see_other(&back, kit::session::session_cookie_header(&session.token, max_age)))
        }
        Ok(None) => {
            let token = crate::random_text(43)?;
            db.transaction(|db| {
                db.exec("DELETE FROM wechat_pending_bindings WHERE expires_at < ?", &[Value::Integer(now)])?;
                db.exec(
                    "INSERT INTO wechat_pending_bindings (token_hash, openid, return_path, created_at, expires_at)
                     VALUES (?, ?, ?, ?, ?)",
                    &[
                        Value::Text(sha256_hex(&token)),
                        Value::Text(follower.openid.clone()),
                        Value::Text(back.clone()),
                        Value::Integer(now),
                        Value::Integer(now + PENDING_SECS),
                    ],
                )?;
                Ok(())
            })?;
            Ok(see_other(
                &format!("{BIND_PAGE}?return={}", encode(&back)),
                set_cookie(PENDING_COOKIE, &token, PENDING_SECS),
            ))
        }
        Err(identity::Error::Unauthenticated(_)) => fail(Failure::AccountInactive, &back),
        Err(e) => Err(identity_error(e)),
    }
}

/// Spends the state if it is this browser's, unused and fresh: its return path, else `None`.
/// One conditional UPDATE, so a replay (or two racing callbacks) finds it spent.
fn take_state(db: &Db, state: &str, browser: &str, now: i64) -> Result<Option<String>, ApiError> {
    if state.is_empty() || state.len() > 128 || browser.is_empty() {
        return Ok(None);
    }
    db.transaction(|db| {
        let spent = db.exec(
            "UPDATE wechat_oauth_states SET used_at = ?1
             WHERE state = ?2 AND browser_hash = ?3 AND used_at IS NULL AND expires_at > ?1",
            &[Value::Integer(now), Value::Text(state.into()), Value::Text(sha256_hex(browser))],
        )?;
        if spent != 1 {
            return Ok(None);
        }
        let row =
            db.query_one("SELECT return_path FROM wechat_oauth_states WHERE state = ?", &[Value::Text(state.into())])?;
        row.map(|r| r.str("return_path")).transpose()
    })
}

/// The pending binding behind the request's cookie, if it is unused and fresh: (openid, return).
fn pending(db: &Db, req: &Request, now: i64) -> Result<Option<(String, String)>, ApiError> {
    let Some(token) = cookie(req, PENDING_COOKIE) else { return Ok(None) };
    let row = db.query_one(
        "SELECT openid, return_path FROM wechat_pending_bindings WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        &[Value::Text(sha256_hex(&token)), Value::Integer(now)],
    )?;
    row.map(|r| Ok((r.str("openid")?, r.str("return_path")?))).transpose()
}

fn expired() -> ApiError {
    ApiError::Gone {
        code: "binding_expired",
        message: "the WeChat sign-in to bind has expired or was used; open the page from WeChat again".into(),
    }
}

fn openid_taken() -> ApiError {
    ApiError::conflict("openid_already_bound", "this WeChat account is already bound to another account")
}

fn account_taken() -> ApiError {
    ApiError::conflict(
        "account_already_bound",
        "this account is already bound to another WeChat account; unbind that one first",
    )
}

/// `POST /api/v1/wechat/bindings`: see the module's step 3.
pub fn bind(req: &Request) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "POST")?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let Some((openid, _back)) = pending(&db, req, now)? else {
        return Err(expired());
    };
    let mut body = Fields::from_request(req, &["phone", "password", "code"])?;
    let phone = body.raw("phone")?;
    let password = body.opt_str("password")?;
    let code = body.opt_str("code")?;
    let phone = phone.trim().to_string();
    if phone.is_empty() || phone.len() > 32 {
        return Err(ApiError::invalid("phone", "phone must be 1 to 32 characters"));
    }
    // Bound meanwhile (another tab): say so before a code is spent on it.
    if db.query_one("SELECT 1 AS x FROM wechat_bindings WHERE openid = ?", &[Value::Text(openid.clone())])?.is_some() {
        return Err(openid_taken());
    }
    let client = kit::client_key(req);
    let via = if password.is_some() { "password" } else { "sms_code" };
    let session = match (password, code) {
        (Some(password), None) => {
            if password.is_empty() || password.len() > 256 {
                return Err(ApiError::invalid("password", "password must be 1 to 256 characters"));
            }
            identity::sign_in_password(db.connection(), &phone, &password, &client)
        }
        (None, Some(code)) => {
            let phone = domain::Phone::parse(&phone)
                .map_err(|_| ApiError::invalid("phone", "must be an 11-digit mobile number such as 13812345678"))?;
            let code = code.trim();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid("code", "code is the 6 digits sent by SMS"));
            }
            identity::sign_in_code(db.connection(), phone.as_str(), code, &client)
        }
        (Some(_), Some(_)) => return Err(ApiError::invalid("code", "send either password or code, not both")),
        (None, None) => return Err(ApiError::invalid("code", "code (SMS) or password is required")),
    }
    .map_err(identity_error)?;
    let account_id = session.principal.account_id;
    let filed_under = session.principal.grants.first().map_or_else(|| "/".to_string(), |g| g.org_path.clone());
    let bound = db.transaction(|db| {
        let spent = db.exec(
            "UPDATE wechat_pending_bindings SET used_at = ?1
             WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1",
            &[Value::Integer(now), Value::Text(sha256_hex(&cookie(req, PENDING_COOKIE).unwrap_or_default()))],
        )?;
        if spent != 1 {
            return Err(expired());
        }
        db.exec(
            "INSERT INTO wechat_bindings (account_id, openid, bound_at) VALUES (?, ?, ?)",
            &[Value::Integer(account_id), Value::Text(openid.clone()), Value::Integer(now)],
        )
        .map_err(|e| match kit::unique_violation(&e) {
            Some("wechat_bindings.openid") => openid_taken(),
            Some("wechat_bindings.account_id") => account_taken(),
            _ => e,
        })?;
        // The openid is the follower's pseudonym at this account, not personal data to hide
        // from auditors; it is what staff need to see to untangle a wrong binding.
        let after = serde_json::json!({ "openid": openid, "via": via });
        kit::audit(db, account_id, "wechat.bind", "account", Some(account_id), &filed_under, None, Some(&after))
    });
    if let Err(e) = bound {
        // Nothing bound, so nobody is signed in by this request either.
        if let Err(out) = identity::sign_out(db.connection(), &session.token) {
            eprintln!("wechat binding: the refused binding's session was not revoked: {out:?}");
        }
        return Err(e);
    }
    // The pending cookie is left to expire: its row is spent.
    Ok(kit::browser_session(&session, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_the_site() {
        for good in ["/", "/m/", "/m/activities?id=3&x=%2F", "/console/#/orgs"] {
            assert_eq!(return_path(good).unwrap(), good);
        }
        for bad in [
            "",
            "m/",
            "//evil.com",
            "/\\evil.com",
            "https://evil.com/",
            "javascript:alert(1)",
            "/m/\r\nSet-Cookie: x=1",
            "/m /x",
            &format!("/{}", "a".repeat(600)),
        ] {
            let e = return_path(bad).unwrap_err();
            assert_eq!((e.status(), e.to_string().is_empty()), (400, false), "{bad:?}");
        }
    }

    #[test]
    fn return_paths_are_encoded_into_queries() {
        assert_eq!(encode("/m/a?b=1&c=2"), "/m/a%3Fb%3D1%26c%3D2");
    }
}
