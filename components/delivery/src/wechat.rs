//! Template messages (模板消息) through the same queue: a claimed `wechat` message is handed to
//! the `wechat` component (local service chaining, `http://wechat.spin.internal/template-send`),
//! which holds the account's token and calls `message/template/send`. WeChat's `msgid` is
//! recorded like an SMS provider's serial (`provider = 'wechat'`, `provider_ref`), so its
//! `TEMPLATESENDJOBFINISH` report finds the message. A refusal is classified
//! ([`classify::wechat`]); a message that fails for good goes by SMS to the phone it was queued
//! for ([`kit::fall_back_to_sms`]: notify's limits, key `<key>:sms`, once).

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Method, Request, Response};

use crate::classify::{self, Class};
use crate::queue::{self, Claimed, Next};
use crate::run::{count, Report};

/// The provider name WeChat's messages are recorded under.
const WECHAT: &str = "wechat";

/// What the `wechat` component answered.
enum Answer {
    Accepted(i64),
    Refused(i64, String),
    Unavailable(String),
}

async fn call(message: &Claimed) -> Answer {
    let params: serde_json::Map<String, Json> = serde_json::from_str(&message.params).unwrap_or_default();
    let body = json!({ "openid": message.recipient, "kind": message.template, "params": params, "key": message.key });
    let request = Request::builder()
        .method(Method::Post)
        .uri("http://wechat.spin.internal/template-send")
        .header("content-type", "application/json")
        .body(body.to_string())
        .build();
    let response = match spin_sdk::http::send::<_, Response>(request).await {
        Ok(r) => r,
        Err(e) => return Answer::Unavailable(format!("unreachable: {e}")),
    };
    let status = *response.status();
    let json: Json = serde_json::from_slice(response.body()).unwrap_or(Json::Null);
    match (status, json.get("msgid").and_then(Json::as_i64), json.get("errcode").and_then(Json::as_i64)) {
        (200, Some(msgid), _) => Answer::Accepted(msgid),
        (200, None, Some(errcode)) => {
            Answer::Refused(errcode, json.get("errmsg").and_then(Json::as_str).unwrap_or_default().to_string())
        }
        _ => Answer::Unavailable(format!("the wechat component answered HTTP {status}")),
    }
}

/// Sends one claimed template message and records what became of it.
pub async fn deliver_one(
    db: &Db,
    message: &Claimed,
    claim: &str,
    now: i64,
    report: &mut Report,
) -> Result<(), ApiError> {
    let (class, error) = match call(message).await {
        Answer::Accepted(msgid) => {
            queue::sent(db, message, claim, WECHAT, &msgid.to_string(), now)?;
            report.sent += 1;
            report.wechat_sent += 1;
            return Ok(());
        }
        Answer::Refused(errcode, errmsg) => {
            (classify::wechat(errcode, message.attempts), format!("{errcode}: {errmsg}"))
        }
        Answer::Unavailable(why) => (Class::Retry { after: classify::backoff(message.attempts) }, why),
    };
    // The refusal and the fallback commit together: a failed WeChat message always has its SMS.
    let next = db.transaction(|db| {
        let next = queue::refused(db, message, claim, Some(WECHAT), class, &error, now)?;
        if next == Next::Fail && kit::fall_back_to_sms(db, message.id, now)?.is_some() {
            report.fell_back_to_sms += 1;
        }
        Ok(next)
    })?;
    count(report, class, next);
    Ok(())
}
