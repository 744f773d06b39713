//! One delivery run: claim due messages, send each through the first provider that answers,
//! record the outcome. The job route runs it for every due message; a sign-in code's "send it
//! now" runs it for that one message. Both go through the same claim, so they never overlap.

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::sqlite3::Value;

use crate::classify::{self, Class};
use crate::provider::{Answer, Kind, Provider, Settings, Sms};
use crate::queue::{self, Claimed, Next};

/// Messages per run: a run must end well inside the request timeout and the lease; the rest go
/// with the next run (the response says how many are still due).
pub const MAX_BATCH: i64 = 100;

/// What a run did, for its response (and the scheduler's log).
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub provider: String,
    pub claimed: u64,
    pub sent: u64,
    pub retrying: u64,
    pub held_for_operator: u64,
    pub failed: u64,
    pub failed_over: u64,
    pub lease_expired: u64,
    pub still_due: i64,
    /// WeChat template messages taken by WeChat, and those that went to SMS instead.
    pub wechat_sent: u64,
    pub fell_back_to_sms: u64,
}

pub(crate) fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// Runs delivery at `now` for up to `limit` messages (only message `only` when given).
pub async fn deliver(settings: &Settings, now: i64, limit: i64, only: Option<i64>) -> Result<Report, ApiError> {
    let db = Db::open()?;
    let mut report = Report {
        provider: settings.providers.first().map_or("none", |p| p.kind.as_str()).to_string(),
        ..Report::default()
    };
    report.lease_expired = queue::expire_leases(&db, now)?;
    // One message is claimed right before its call, so at most the one in flight is left
    // `sending` if the run dies; the rest stay `queued` for the next run. A refused message is
    // rescheduled into the future, so it is not claimed again in this run.
    let claim = random_hex(16)?;
    // Template messages first: their SMS fallbacks are then queued in time for this same run.
    let mut budget = limit;
    while budget > 0 {
        let Some(message) = queue::claim(&db, &claim, "wechat", now, 1, only)?.pop() else { break };
        budget -= 1;
        report.claimed += 1;
        crate::wechat::deliver_one(&db, &message, &claim, now, &mut report).await?;
    }
    // `sms_provider = none` (the embedded demo): no SMS leaves the machine; messages stay
    // queued where admins can read them, as before delivery existed.
    if settings.providers.is_empty() {
        return Ok(report);
    }
    for _ in 0..budget {
        let Some(message) = queue::claim(&db, &claim, "sms", now, 1, only)?.pop() else { break };
        report.claimed += 1;
        deliver_one(&db, settings, &message, &claim, now, &mut report).await?;
    }
    report.still_due = db
        .query_one(
            "SELECT COUNT(*) AS n FROM outbox WHERE channel = 'sms' AND status = 'queued' AND next_attempt_at <= ?",
            &[Value::Integer(now)],
        )?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0);
    Ok(report)
}

/// A provider's template for a kind: its id and the parameter names in order.
fn template(db: &Db, provider: Kind, kind: &str) -> Result<Option<(String, Vec<String>)>, ApiError> {
    let Some(row) = db.query_one(
        "SELECT template_id, params FROM sms_templates WHERE provider = ? AND kind = ?",
        &[Value::Text(provider.as_str().into()), Value::Text(kind.into())],
    )?
    else {
        return Ok(None);
    };
    let id = row.str("template_id")?;
    let names: Vec<String> = serde_json::from_str(&row.str("params")?)
        .map_err(|e| ApiError::Internal(format!("sms_templates.params of {kind}: {e}")))?;
    Ok((!id.trim().is_empty()).then_some((id, names)))
}

/// The message's parameters in the template's order; a name the message lacks is an error of
/// the template table (an operator's), not of the message.
fn fill(message: &Claimed, names: &[String]) -> Result<Vec<(String, String)>, String> {
    let params: serde_json::Map<String, Json> = serde_json::from_str(&message.params).unwrap_or_default();
    names
        .iter()
        .map(|name| match params.get(name) {
            Some(Json::String(v)) => Ok((name.clone(), v.clone())),
            Some(other) => Ok((name.clone(), other.to_string())),
            None => Err(format!("template_parameter_missing: the message has no parameter {name:?}")),
        })
        .collect()
}

async fn call(provider: &Provider, sms: &Sms, now: i64) -> Result<Answer, ApiError> {
    let out = provider.request(sms, now, &random_hex(16)?);
    let mut builder = Request::builder();
    builder.method(Method::Post).uri(out.url);
    // The host comes from the URL; wasi-http refuses it as a header.
    for (name, value) in out.headers.iter().filter(|(n, _)| !n.eq_ignore_ascii_case("host")) {
        builder.header(name.clone(), value.clone());
    }
    builder.body(out.body);
    Ok(match spin_sdk::http::send::<_, Response>(builder.build()).await {
        Ok(response) => provider.answer(*response.status(), response.body()),
        Err(e) => Answer::Unavailable { code: "unreachable".into(), message: format!("{e}") },
    })
}

async fn deliver_one(
    db: &Db,
    settings: &Settings,
    message: &Claimed,
    claim: &str,
    now: i64,
    report: &mut Report,
) -> Result<(), ApiError> {
    // Why the message is still not sent after each provider was tried: (provider, code, text).
    let mut last: Option<(Option<&str>, String, String)> = None;
    for (i, provider) in settings.providers.iter().enumerate() {
        let name = provider.kind.as_str();
        if i > 0 {
            report.failed_over += 1;
        }
        let Some((template_id, names)) = template(db, provider.kind, &message.template)? else {
            last = Some((
                Some(name),
                "template_not_configured".into(),
                format!("no {name} template id for {}", message.template),
            ));
            continue;
        };
        let params = match fill(message, &names) {
            Ok(p) => p,
            Err(e) => {
                last = Some((Some(name), "template_parameter_missing".into(), e));
                continue;
            }
        };
        let sms = Sms { recipient: message.recipient.clone(), template_id, params, key: message.key.clone() };
        match call(provider, &sms, now).await? {
            Answer::Accepted { reference } => {
                queue::sent(db, message, claim, name, &reference, now)?;
                report.sent += 1;
                return Ok(());
            }
            Answer::Refused { code, message: text } => {
                let class = match provider.kind {
                    Kind::Tencent => classify::tencent(&code, message.attempts),
                    Kind::Aliyun => classify::aliyun(&code, message.attempts),
                };
                let next = queue::refused(db, message, claim, Some(name), class, &format!("{code}: {text}"), now)?;
                count(report, class, next);
                return Ok(());
            }
            Answer::Unavailable { code, message: text } => last = Some((Some(name), code, text)),
        }
    }
    let (provider, code, text) = last.unwrap_or((None, "no_provider".into(), String::new()));
    let class = match code.as_str() {
        "template_not_configured" | "template_parameter_missing" => Class::Alert,
        _ => classify::whole_failure_class(&code, message.attempts),
    };
    let next = queue::refused(db, message, claim, provider, class, &format!("{code}: {text}"), now)?;
    count(report, class, next);
    Ok(())
}

pub(crate) fn count(report: &mut Report, class: Class, next: Next) {
    match (class, next) {
        (_, Next::Fail) => report.failed += 1,
        (Class::Alert, _) => report.held_for_operator += 1,
        _ => report.retrying += 1,
    }
}

/// The report as the job's JSON answer.
pub fn report_json(report: &Report) -> Json {
    // Flat, like every job's answer (`kit::jobs::report`): the edge's scheduler turns each
    // whole-number field into a metric.
    let mut body = json!({ "job": "deliver-outbox" });
    if let (Some(body), Json::Object(fields)) = (body.as_object_mut(), json!(report)) {
        body.extend(fields);
    }
    body
}
