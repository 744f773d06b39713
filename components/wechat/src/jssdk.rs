//! The JS-SDK's permission signature (JS-SDK使用权限签名): phone pages opened inside WeChat call
//! `wx.config` with the AppID, a timestamp, a nonce and
//! `sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")`, where `url` is the page's own address
//! without the fragment, and values are used raw (no URL escaping).
//!
//! `GET /api/v1/wechat/js-sdk-config?url=<page>` answers those four values. Only pages of this
//! platform are signed: the URL must be on `public_base_url`'s origin (which is also the JS-SDK
//! safe domain configured in the account's console), so the endpoint is no signing oracle for
//! other sites.

use kit::throttle::{self, Budget};
use kit::{ApiError, Db};
use sha1::{Digest, Sha1};
use spin_sdk::http::{Request, Response};

use crate::credentials::{Account, Credentials};

/// The signature over the four values, lower-case hex.
pub fn signature(ticket: &str, noncestr: &str, timestamp: i64, url: &str) -> String {
    let string1 = format!("jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(string1.as_bytes()))
}

/// The page URL as signed: absolute, on `base_url`'s origin, without its fragment.
pub fn page_url(raw: &str, base_url: &str) -> Result<String, &'static str> {
    let url = raw.split('#').next().unwrap_or_default().trim();
    if url.is_empty() {
        return Err("is required: the page's own address (location.href)");
    }
    if url.len() > 2048 || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err("is not a page address");
    }
    let origin = origin(base_url).ok_or("cannot be checked: public_base_url is not an http(s) URL")?;
    let on_origin = url.strip_prefix(origin).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
    if !on_origin {
        return Err("must be a page of this platform (public_base_url)");
    }
    Ok(url.to_string())
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_len == 0 {
        return None;
    }
    Some(&url[..url.len() - rest.len() + host_len])
}

/// The budget of `throttle.js_sdk.*`: a page asks once per load, so a client asking more than
/// once a second for a minute is a script, and everyone together is capped well below what the
/// instances can sign (the ticket is cached, so WeChat is never what a flood reaches).
pub const BUDGET_NAME: &str = "js_sdk";
pub const BUDGET: Budget = Budget { per_client: 60, global: 6000, window_s: 60 };

/// `GET /api/v1/wechat/js-sdk-config`. Counted per client and in all before anything else
/// (429 `throttled` with `Retry-After` over budget; nothing signed).
pub fn config(req: &Request, account: &Account, base_url: &str) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let client = kit::client_key(req);
    db.transaction(|db| {
        let budget = Budget::load(db, BUDGET_NAME, BUDGET)?;
        throttle::take(db, BUDGET_NAME, &client, &budget, kit::request_now(req))
    })?;
    let raw = kit::query_param(req, "url").unwrap_or_default();
    let url = page_url(&raw, base_url).map_err(|m| ApiError::invalid("url", m))?;
    let ticket = Credentials::open(&db, account)?.jsapi_ticket()?;
    let timestamp = kit::now();
    let nonce = crate::random_text(16)?;
    let body = serde_json::json!({
        "app_id": account.app_id,
        "timestamp": timestamp,
        "nonce_str": nonce,
        "signature": signature(&ticket, &nonce, timestamp, &url),
        "url": url,
    });
    let mut resp = kit::json(200, &body);
    // A signature is for one page view; no cache in between may hand it to another.
    resp.set_header("cache-control", "no-store");
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_shows_the_budgets_defaults() {
        let registry = |k: &str| kit::settings::spec(k).unwrap().default.parse::<i64>().unwrap();
        let shown: Vec<i64> = Budget::keys(BUDGET_NAME).iter().map(|k| registry(k)).collect();
        assert_eq!(shown, [BUDGET.per_client, BUDGET.global, BUDGET.window_s]);
    }

    const TICKET: &str = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

    /// The examples of WeChat's documentation (JS-SDK 附录1), with and without a query.
    #[test]
    fn the_documentations_examples() {
        let with_query = signature(TICKET, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value");
        assert_eq!(with_query, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        let bare = signature(TICKET, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com");
        assert_eq!(bare, "f4d90daf4b3bca3078ab155816175ba34c443a7b");
    }

    #[test]
    fn only_this_platforms_pages_are_signed_without_their_fragment() {
        let base = "https://wm.example.cn";
        assert_eq!(
            page_url("https://wm.example.cn/m/survey.html?id=3#top", base).unwrap(),
            "https://wm.example.cn/m/survey.html?id=3"
        );
        assert_eq!(page_url("https://wm.example.cn", base).unwrap(), "https://wm.example.cn");
        assert_eq!(page_url("https://wm.example.cn?a=1", base).unwrap(), "https://wm.example.cn?a=1");
        assert!(page_url("https://wm.example.cn.evil.com/", base).is_err());
        assert!(page_url("https://wm.example.cn@evil.com/", base).is_err());
        assert!(page_url("http://wm.example.cn/", base).is_err());
        assert!(page_url("//wm.example.cn/", base).is_err());
        assert!(page_url("#only", base).is_err());
        assert!(page_url("", base).is_err());
        assert!(page_url("https://wm.example.cn/a b", base).is_err());
        assert_eq!(page_url("http://127.0.0.1:3000/x", "http://127.0.0.1:3000/").unwrap(), "http://127.0.0.1:3000/x");
    }
}
