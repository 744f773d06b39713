//! WeChat's server API (`https://api.weixin.qq.com`, or wherever the `wechat_api_base` variable
//! points: tests run a fake on 127.0.0.1): the account's access token (`stable_token`) and the
//! JS-SDK ticket (`ticket/getticket`). Errors are typed and never carry the AppSecret or a token:
//! the URL holding `access_token` is never formatted into a message.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use spin_sdk::http::{Method, Request, Response};

/// Why a call to WeChat gave no credential.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("WeChat could not be reached: {0}")]
    Unreachable(String),
    #[error("WeChat answered HTTP {0}")]
    Status(u16),
    #[error("WeChat's answer was not the JSON it documents")]
    Unreadable,
    #[error("WeChat refused: errcode {errcode} ({errmsg})")]
    Refused { errcode: i64, errmsg: String },
}

impl UpstreamError {
    /// WeChat no longer accepts the access token used: 40001 (invalid credential), 40014 (invalid
    /// access_token), 42001 (expired). The caller refreshes it and retries once.
    pub fn token_rejected(&self) -> bool {
        matches!(self, UpstreamError::Refused { errcode: 40001 | 40014 | 42001, .. })
    }
}

/// A credential as WeChat issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub value: String,
    /// Seconds it stays valid from now.
    pub expires_in: i64,
}

/// `POST /cgi-bin/stable_token`. `force_refresh` only after WeChat rejected the token in hand:
/// it invalidates the previous one and is rationed per day.
pub fn stable_token(base: &str, app_id: &str, secret: &str, force_refresh: bool) -> Result<Issued, UpstreamError> {
    let body = serde_json::json!({
        "grant_type": "client_credential",
        "appid": app_id,
        "secret": secret,
        "force_refresh": force_refresh,
    });
    let request = Request::builder()
        .method(Method::Post)
        .uri(format!("{}/cgi-bin/stable_token", base.trim_end_matches('/')))
        .header("content-type", "application/json")
        .body(body.to_string())
        .build();
    let (status, body) = send(request)?;
    issued(status, &body, "access_token")
}

/// `GET /cgi-bin/ticket/getticket?type=jsapi`: the JS-SDK's `jsapi_ticket`.
pub fn jsapi_ticket(base: &str, access_token: &str) -> Result<Issued, UpstreamError> {
    let url = format!(
        "{}/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
        base.trim_end_matches('/'),
        utf8_percent_encode(access_token, NON_ALPHANUMERIC)
    );
    let request = Request::builder().method(Method::Get).uri(url).build();
    let (status, body) = send(request)?;
    issued(status, &body, "ticket")
}

/// `POST /cgi-bin/menu/create`: replaces the account's custom menu with `menu` (JSON).
pub fn menu_create(base: &str, access_token: &str, menu: &str) -> Result<(), UpstreamError> {
    let url = format!(
        "{}/cgi-bin/menu/create?access_token={}",
        base.trim_end_matches('/'),
        utf8_percent_encode(access_token, NON_ALPHANUMERIC)
    );
    let request = Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .body(menu.as_bytes().to_vec())
        .build();
    let (status, body) = send(request)?;
    acknowledged(status, &body)
}

/// `POST /cgi-bin/message/template/send`: one template message (模板消息). `message` is WeChat's
/// JSON (`touser`, `template_id`, `data`, `client_msg_id`). WeChat's `msgid` on success: its
/// `TEMPLATESENDJOBFINISH` event names the message by it.
pub fn template_send(base: &str, access_token: &str, message: &str) -> Result<i64, UpstreamError> {
    let url = format!(
        "{}/cgi-bin/message/template/send?access_token={}",
        base.trim_end_matches('/'),
        utf8_percent_encode(access_token, NON_ALPHANUMERIC)
    );
    let request = Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .body(message.as_bytes().to_vec())
        .build();
    let (status, body) = send(request)?;
    acknowledged(status, &body)?;
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|j| j.get("msgid").and_then(serde_json::Value::as_i64))
        .ok_or(UpstreamError::Unreadable)
}

/// Who WeChat's web authorization (网页授权) says the follower is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub openid: String,
    /// `is_snapshotuser = 1`: the virtual user of a page opened in WeChat's "snapshot" view
    /// (快照页), whose openid belongs to nobody real.
    pub snapshot: bool,
}

/// `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`: the openid
/// behind a web-authorization `code` (single use, five minutes). The OAuth access token it also
/// returns is not the account's and is not kept: `snsapi_base` needs nothing but the openid.
pub fn oauth_openid(base: &str, app_id: &str, secret: &str, code: &str) -> Result<Follower, UpstreamError> {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let url = format!(
        "{}/sns/oauth2/access_token?appid={}&secret={}&code={}&grant_type=authorization_code",
        base.trim_end_matches('/'),
        enc(app_id),
        enc(secret),
        enc(code)
    );
    let request = Request::builder().method(Method::Get).uri(url).build();
    let (status, body) = send(request)?;
    follower(status, &body)
}

/// Reads the answer of `sns/oauth2/access_token`.
pub fn follower(status: u16, body: &[u8]) -> Result<Follower, UpstreamError> {
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(_) if status != 200 => return Err(UpstreamError::Status(status)),
        Err(_) => return Err(UpstreamError::Unreadable),
    };
    let errcode = json.get("errcode").and_then(serde_json::Value::as_i64).unwrap_or(0);
    if errcode != 0 {
        let errmsg = json.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        return Err(UpstreamError::Refused { errcode, errmsg });
    }
    if status != 200 {
        return Err(UpstreamError::Status(status));
    }
    let openid = json.get("openid").and_then(serde_json::Value::as_str).filter(|o| !o.is_empty() && o.len() <= 128);
    let snapshot = match json.get("is_snapshotuser") {
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
        Some(serde_json::Value::Bool(b)) => *b,
        _ => false,
    };
    match openid {
        Some(openid) => Ok(Follower { openid: openid.to_string(), snapshot }),
        None => Err(UpstreamError::Unreadable),
    }
}

fn send(request: Request) -> Result<(u16, Vec<u8>), UpstreamError> {
    let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
        .map_err(|e: spin_sdk::http::SendError| UpstreamError::Unreachable(e.to_string()))?;
    Ok((*response.status(), response.into_body()))
}

/// Reads WeChat's answer: `{"errcode": n, "errmsg": …}` with a non-zero code is a refusal
/// (`getticket` also says `errcode: 0` on success); otherwise `field` and `expires_in`.
pub fn issued(status: u16, body: &[u8], field: &str) -> Result<Issued, UpstreamError> {
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(_) if status != 200 => return Err(UpstreamError::Status(status)),
        Err(_) => return Err(UpstreamError::Unreadable),
    };
    let errcode = json.get("errcode").and_then(serde_json::Value::as_i64).unwrap_or(0);
    if errcode != 0 {
        let errmsg = json.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        return Err(UpstreamError::Refused { errcode, errmsg });
    }
    if status != 200 {
        return Err(UpstreamError::Status(status));
    }
    let value = json.get(field).and_then(serde_json::Value::as_str).filter(|v| !v.is_empty());
    let expires_in = json.get("expires_in").and_then(serde_json::Value::as_i64).filter(|s| *s > 0);
    match (value, expires_in) {
        (Some(value), Some(expires_in)) => Ok(Issued { value: value.to_string(), expires_in }),
        _ => Err(UpstreamError::Unreadable),
    }
}

/// Reads an answer that carries nothing but `{"errcode": 0, "errmsg": "ok"}` on success.
pub fn acknowledged(status: u16, body: &[u8]) -> Result<(), UpstreamError> {
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(_) if status != 200 => return Err(UpstreamError::Status(status)),
        Err(_) => return Err(UpstreamError::Unreadable),
    };
    match json.get("errcode").and_then(serde_json::Value::as_i64) {
        Some(0) if status == 200 => Ok(()),
        Some(0) => Err(UpstreamError::Status(status)),
        Some(errcode) => Err(UpstreamError::Refused {
            errcode,
            errmsg: json.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default().to_string(),
        }),
        None => Err(UpstreamError::Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_token_a_ticket_and_refusals() {
        let token = br#"{"access_token":"ACCESS_TOKEN","expires_in":7200}"#;
        assert_eq!(
            issued(200, token, "access_token").unwrap(),
            Issued { value: "ACCESS_TOKEN".into(), expires_in: 7200 }
        );
        let ticket = br#"{"errcode":0,"errmsg":"ok","ticket":"T","expires_in":7200}"#;
        assert_eq!(issued(200, ticket, "ticket").unwrap().value, "T");
        let expired = br#"{"errcode":42001,"errmsg":"access_token expired"}"#;
        assert!(issued(200, expired, "ticket").unwrap_err().token_rejected());
        let secret = br#"{"errcode":40125,"errmsg":"invalid appsecret"}"#;
        let e = issued(200, secret, "access_token").unwrap_err();
        assert!(matches!(e, UpstreamError::Refused { errcode: 40125, .. }) && !e.token_rejected());
        assert!(matches!(issued(502, b"<html>", "ticket"), Err(UpstreamError::Status(502))));
        assert!(matches!(issued(200, br#"{"access_token":""}"#, "access_token"), Err(UpstreamError::Unreadable)));
    }

    #[test]
    fn reads_a_followers_openid_and_snapshot_users() {
        let ok = br#"{"access_token":"A","expires_in":7200,"refresh_token":"R","openid":"oAbC","scope":"snsapi_base"}"#;
        assert_eq!(follower(200, ok).unwrap(), Follower { openid: "oAbC".into(), snapshot: false });
        let snap =
            br#"{"access_token":"A","expires_in":7200,"openid":"oSnap","scope":"snsapi_base","is_snapshotuser":1}"#;
        assert!(follower(200, snap).unwrap().snapshot);
        let used = br#"{"errcode":40163,"errmsg":"code been used"}"#;
        assert!(matches!(follower(200, used), Err(UpstreamError::Refused { errcode: 40163, .. })));
        assert!(matches!(follower(200, br#"{"access_token":"A"}"#), Err(UpstreamError::Unreadable)));
    }
}
