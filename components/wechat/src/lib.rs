//! The WeChat official-account callback (公众号服务器配置): `GET /wechat/callback` answers WeChat's
//! server verification; `POST /wechat/callback` receives what followers do — menu clicks, QR-code
//! follows, text — and answers with a passive text reply that leads into the platform (see
//! [`replies`]). Plaintext and safe mode (安全模式, AES) are both served; which one a message uses
//! is read from its `encrypt_type`. Configuration comes from Spin variables: `wechat_token`,
//! `wechat_encoding_aes_key` and `wechat_app_id` (safe mode), `public_base_url` (links).
//!
//! `GET /api/v1/wechat/js-sdk-config` signs a platform page for the JS-SDK ([`jssdk`]), with the
//! account's access token and ticket cached and fetched once at a time ([`credentials`]) from
//! WeChat's server API ([`upstream`]; `wechat_app_secret`, `wechat_api_base`). The custom
//! menu is kept as data and pushed with `menu/create` ([`menu`]).
//!
//! Every callback request must carry WeChat's signature of the token and a timestamp within five
//! minutes of now; anything else is refused before its body is read. WeChat redelivers a message
//! it got no answer to in time: each message's dedup key (`MsgId`, or `FromUserName` +
//! `CreateTime` for events) is recorded, and a redelivery is answered `success` (no reply), so a
//! follower is answered once. Apart from that record the callback only reads the database.

pub mod credentials;
pub mod crypt;
pub mod jssdk;
pub mod menu;
pub mod message;
pub mod oauth;
pub mod replies;
pub mod sign;
pub mod templates;
pub mod upstream;
pub mod xml;

use kit::{ApiError, Db};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::Value;

use crate::credentials::Account;
use crate::crypt::Cipher;
use crate::message::Inbound;

/// How far a callback's signed `timestamp` may be from now.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// How long a message's dedup key is remembered: far longer than WeChat's retries (three within
/// about fifteen seconds), short enough that the table stays small.
const DEDUP_KEEP_SECS: i64 = 86_400;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// The account's settings.
struct Config {
    token: String,
    cipher: Option<Cipher>,
    base_url: String,
}

impl Config {
    fn load() -> Result<Config, ApiError> {
        let token = var("wechat_token");
        if token.is_empty() {
            return Err(ApiError::Refused {
                code: "not_configured",
                message: "this deployment has no WeChat official account (wechat_token is empty)".into(),
            });
        }
        let key = var("wechat_encoding_aes_key");
        let cipher = if key.is_empty() {
            None
        } else {
            Some(Cipher::new(&key, &var("wechat_app_id")).map_err(|e| ApiError::Internal(format!("wechat: {e}")))?)
        };
        Ok(Config { token, cipher, base_url: base_url() })
    }
}

/// A variable's value, trimmed; empty when unset.
pub(crate) fn var(name: &str) -> String {
    spin_sdk::variables::get(name).unwrap_or_default().trim().to_string()
}

/// Where the platform's pages are; links and JS-SDK page checks start from it.
fn base_url() -> String {
    match var("public_base_url") {
        u if u.is_empty() => "http://127.0.0.1:3000".to_string(),
        u => u,
    }
}

/// Where browsers are sent for web authorization (`https://open.weixin.qq.com`; tests point
/// it elsewhere). Only ever a redirect target, never called by the platform.
pub(crate) fn authorize_base() -> String {
    match var("wechat_oauth_base") {
        b if b.is_empty() => "https://open.weixin.qq.com".to_string(),
        b => b,
    }
}

/// The account's API identity, for calls to WeChat's server API.
fn account() -> Result<Account, ApiError> {
    let (app_id, secret) = (var("wechat_app_id"), var("wechat_app_secret"));
    if app_id.is_empty() || secret.is_empty() {
        return Err(ApiError::Refused {
            code: "not_configured",
            message: "this deployment has no WeChat official account (wechat_app_id or wechat_app_secret is empty)"
                .into(),
        });
    }
    let api_base = match var("wechat_api_base") {
        b if b.is_empty() => "https://api.weixin.qq.com".to_string(),
        b => b,
    };
    Ok(Account { app_id, secret, api_base })
}

fn route(req: &Request) -> Result<Response, ApiError> {
    match req.path().trim_end_matches('/') {
        "/wechat/callback" => callback(req),
        "/api/v1/wechat/js-sdk-config" => {
            kit::allow_method(req.method(), "GET")?;
            jssdk::config(req, &account()?, &base_url())
        }
        path @ ("/api/v1/wechat/menu" | "/api/v1/wechat/menu/push") => menu::route(req, path, account),
        "/api/v1/sign-in/options" => oauth::options(req, account().is_ok()),
        "/api/v1/wechat/oauth/start" => oauth::start(req, account(), &base_url()),
        "/api/v1/wechat/oauth/callback" => oauth::callback(req, account()),
        "/api/v1/wechat/bindings" => oauth::bind(req),
        "/api/v1/wechat/templates" => templates::route(req, ""),
        path if path.starts_with("/api/v1/wechat/templates/") => {
            templates::route(req, &path["/api/v1/wechat/templates/".len()..])
        }
        "/template-send" if kit::is_chained(req) => templates::send(req, account()),
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}

/// `/wechat/callback`: WeChat's server verification and followers' messages.
fn callback(req: &Request) -> Result<Response, ApiError> {
    kit::allow_method(req.method(), "GET, POST")?;
    let config = Config::load()?;
    let q = |name: &str| kit::query_param(req, name).unwrap_or_default();
    let (timestamp, nonce) = (q("timestamp"), q("nonce"));
    // The plain `signature` is always checked, except where WeChat signs the encrypted payload
    // instead (`msg_signature`), which is then checked against that payload.
    let signed = sign::verify(&q("signature"), &[&config.token, &timestamp, &nonce]);
    let encrypted = match req.method() {
        Method::Get => !q("msg_signature").is_empty(),
        _ => q("encrypt_type").eq_ignore_ascii_case("aes"),
    };
    if !signed && !encrypted {
        return Err(unsigned());
    }
    // A signed request is only good near the time it was signed, so a captured one cannot be
    // replayed later (WeChat's retries come within seconds).
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (kit::request_now(req) - t).abs() <= MAX_CLOCK_SKEW_SECS);
    if !fresh {
        return Err(ApiError::Refused {
            code: "stale_request",
            message: format!("the timestamp is more than {MAX_CLOCK_SKEW_SECS} s from now"),
        });
    }
    match req.method() {
        Method::Get => verify_server(&config, &q, &timestamp, &nonce),
        _ => receive(req, &config, &q, &timestamp, &nonce),
    }
}

fn unsigned() -> ApiError {
    ApiError::Forbidden("the WeChat signature does not match".into())
}

/// Server verification: echo `echostr`, decrypted first when WeChat sends it encrypted with a
/// `msg_signature`.
fn verify_server(
    config: &Config,
    q: &dyn Fn(&str) -> String,
    timestamp: &str,
    nonce: &str,
) -> Result<Response, ApiError> {
    // A query's unencoded `+` arrives as a space; base64 has no spaces.
    let echostr = q("echostr").replace(' ', "+");
    let msg_signature = q("msg_signature");
    let body = if msg_signature.is_empty() {
        echostr
    } else {
        let cipher = config.cipher.as_ref().ok_or_else(|| ApiError::Forbidden("safe mode is not configured".into()))?;
        if !sign::verify(&msg_signature, &[&config.token, timestamp, nonce, &echostr]) {
            return Err(unsigned());
        }
        cipher.decrypt(&echostr).map_err(|e| ApiError::Forbidden(e.to_string()))?
    };
    Ok(plain(body))
}

/// A message: checked, decrypted if needed, answered (encrypted if it came encrypted).
fn receive(
    req: &Request,
    config: &Config,
    q: &dyn Fn(&str) -> String,
    timestamp: &str,
    nonce: &str,
) -> Result<Response, ApiError> {
    let body = std::str::from_utf8(req.body()).map_err(|_| ApiError::Malformed("the body is not UTF-8".into()))?;
    let safe = q("encrypt_type").eq_ignore_ascii_case("aes");
    let text = if safe {
        let cipher = config.cipher.as_ref().ok_or_else(|| ApiError::Forbidden("safe mode is not configured".into()))?;
        let envelope = xml::fields(body).map_err(|e| ApiError::Malformed(e.to_string()))?;
        let encrypt = envelope
            .iter()
            .find(|(k, _)| k == "Encrypt")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::Malformed("the message has no Encrypt".into()))?;
        if !sign::verify(&q("msg_signature"), &[&config.token, timestamp, nonce, &encrypt]) {
            return Err(unsigned());
        }
        cipher.decrypt(&encrypt).map_err(|e| ApiError::Forbidden(e.to_string()))?
    } else {
        body.to_string()
    };
    let inbound = Inbound::parse(&text).map_err(|e| ApiError::Malformed(e.to_string()))?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    if !first_delivery(&db, &inbound, now)? {
        // A retry of a message already answered: WeChat's "nothing to reply", so a follower is
        // answered once however often WeChat delivers.
        return Ok(plain("success".into()));
    }
    if let message::Kind::TemplateSent { msg_id, status } = &inbound.kind {
        templates::finished(&db, msg_id, status, now)?;
        return Ok(plain("success".into()));
    }
    let Some(answer) = replies::reply(&db, &config.base_url, now, &inbound.kind)? else {
        // WeChat's way of saying "nothing to reply".
        return Ok(plain("success".into()));
    };
    let reply = xml::text_reply(&inbound.user, &inbound.account, now, &answer);
    if !safe {
        return Ok(xml_response(reply));
    }
    let cipher = config.cipher.as_ref().expect("checked above");
    // Printable random bytes, as WeChat's own libraries use.
    let random16 = random_text(16)?;
    let encrypted = cipher.encrypt(&reply, random16.as_bytes().try_into().expect("16 ASCII characters"));
    let reply_ts = now.to_string();
    let signature = sign::sha1_sorted(&[&config.token, &reply_ts, nonce, &encrypted]);
    Ok(xml_response(xml::encrypted_reply(&encrypted, &signature, &reply_ts, nonce)))
}

/// Records the message's dedup key; `false` when it was already there (a retry). One
/// conditional insert, so two concurrent deliveries of one message never both count as first.
fn first_delivery(db: &Db, inbound: &Inbound, now: i64) -> Result<bool, ApiError> {
    let Some(key) = inbound.dedup_key() else { return Ok(true) };
    db.exec("DELETE FROM wechat_inbound WHERE received_at < ?", &[Value::Integer(now - DEDUP_KEEP_SECS)])?;
    let inserted = db.exec(
        "INSERT INTO wechat_inbound (dedup_key, received_at) VALUES (?, ?) ON CONFLICT (dedup_key) DO NOTHING",
        &[Value::Text(key), Value::Integer(now)],
    )?;
    Ok(inserted == 1)
}

/// `len` random letters and digits (nonces).
pub(crate) fn random_text(len: usize) -> Result<String, ApiError> {
    let mut raw = vec![0u8; len];
    getrandom::getrandom(&mut raw).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    Ok(raw.iter().map(|b| ALPHABET[(*b % 62) as usize] as char).collect())
}

/// A text answer; `nosniff` because the URL-verification answer echoes a query parameter, which
/// a browser guessing at HTML could otherwise render.
fn plain(body: String) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build()
}

fn xml_response(body: String) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/xml; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build()
}
