//! Delivery receipts (状态回执): the providers push JSON arrays, unsigned, to
//! `POST /hooks/sms/tencent/{token}` and `POST /hooks/sms/aliyun/{token}`. The path's token
//! (the secret variable `sms_receipt_token`) is the only proof of origin: a wrong or missing
//! token is 404, as if the hook did not exist, and nothing in the batch is read.
//!
//! The whole batch is parsed before anything is written: a malformed receipt is 400 and the
//! batch changes nothing. Each receipt is recorded once (`sms_receipts` is unique on provider
//! and receipt key), so a re-pushed batch is answered the same and changes nothing; a receipt
//! for a serial we never sent is recorded as unmatched and answered success, or the provider
//! would push it forever. Answers are in each provider's documented shape.

use kit::{ApiError, Db};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;
use subtle::ConstantTimeEq;

/// At most this many receipts in one push (the providers batch by the hundred).
const MAX_BATCH: usize = 1_000;

/// Tencent's status report (短信下发状态通知), one element of the pushed array.
#[derive(Debug, Deserialize)]
struct TencentReceipt {
    /// `SUCCESS` or `FAIL`.
    report_status: String,
    /// The SerialNo SendSms answered.
    sid: String,
    #[serde(default)]
    errmsg: String,
    #[serde(default)]
    description: String,
}

/// Aliyun's SmsReport message, one element of the pushed array.
#[derive(Debug, Deserialize)]
struct AliyunReceipt {
    success: bool,
    /// The BizId SendSms answered.
    biz_id: String,
    /// Our OutId (the idempotency key), when the message carried one.
    #[serde(default)]
    out_id: Option<String>,
    #[serde(default)]
    err_code: String,
    #[serde(default)]
    err_msg: String,
}

/// One receipt, the same for both providers.
struct Receipt {
    reference: String,
    /// The idempotency key the provider echoed (Aliyun's `out_id`), which finds a message whose
    /// run died before it could record the provider's id.
    key: Option<String>,
    delivered: bool,
    code: String,
    description: String,
}

fn malformed(why: impl std::fmt::Display) -> ApiError {
    ApiError::Malformed(format!("the receipts are not the provider's JSON array: {why}"))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<Vec<T>, ApiError> {
    let items: Vec<T> = serde_json::from_slice(body).map_err(malformed)?;
    if items.len() > MAX_BATCH {
        return Err(ApiError::TooLarge(format!("at most {MAX_BATCH} receipts in one push")));
    }
    Ok(items)
}

fn check(receipts: Vec<Receipt>) -> Result<Vec<Receipt>, ApiError> {
    if let Some(r) = receipts.iter().find(|r| r.reference.trim().is_empty() || r.reference.len() > 128) {
        return Err(malformed(format!("a receipt's serial must be 1 to 128 characters, not {:?}", r.reference)));
    }
    Ok(receipts)
}

fn token_matches(given: &str) -> bool {
    let expected = spin_sdk::variables::get("sms_receipt_token").unwrap_or_default();
    let expected = expected.trim();
    !expected.is_empty() && given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

pub fn receive(req: &Request, provider: &str, token: &str) -> Result<Response, ApiError> {
    if !matches!(provider, "tencent" | "aliyun") || !token_matches(token) {
        return Err(ApiError::NotFound("no such endpoint".into()));
    }
    let receipts = match provider {
        "tencent" => check(
            parse::<TencentReceipt>(req.body())?
                .into_iter()
                .map(|r| {
                    let delivered = match r.report_status.as_str() {
                        "SUCCESS" => true,
                        "FAIL" => false,
                        other => return Err(malformed(format!("report_status is SUCCESS or FAIL, not {other:?}"))),
                    };
                    Ok(Receipt { reference: r.sid, key: None, delivered, code: r.errmsg, description: r.description })
                })
                .collect::<Result<_, ApiError>>()?,
        )?,
        _ => check(
            parse::<AliyunReceipt>(req.body())?
                .into_iter()
                .map(|r| Receipt {
                    reference: r.biz_id,
                    key: r.out_id.filter(|k| !k.is_empty()),
                    delivered: r.success,
                    code: r.err_code,
                    description: r.err_msg,
                })
                .collect(),
        )?,
    };
    let now = kit::request_now(req);
    let db = Db::open()?;
    db.transaction(|db| receipts.iter().try_for_each(|r| apply(db, provider, r, now)))?;
    Ok(kit::json(
        200,
        &match provider {
            "tencent" => json!({ "result": 0, "errmsg": "OK" }),
            _ => json!({ "code": 0, "msg": "成功" }),
        },
    ))
}

/// Records one receipt and, the first time, moves its message to `delivered` or `failed`.
fn apply(db: &Db, provider: &str, r: &Receipt, now: i64) -> Result<(), ApiError> {
    let by_ref = db.query_one(
        "SELECT id FROM outbox WHERE provider = ? AND provider_ref = ?",
        &[Value::Text(provider.into()), Value::Text(r.reference.clone())],
    )?;
    let row = match (by_ref, &r.key) {
        (Some(row), _) => Some(row),
        // A run that died after the provider took the message never stored its id.
        (None, Some(key)) => db.query_one(
            "SELECT id FROM outbox WHERE idempotency_key = ? AND provider_ref IS NULL",
            &[Value::Text(key.clone())],
        )?,
        (None, None) => None,
    };
    let outbox_id = row.map(|r| r.i64("id")).transpose()?;
    let inserted = db.exec(
        "INSERT INTO sms_receipts (provider, provider_ref, receipt_key, outbox_id, delivered, code, description, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, receipt_key) DO NOTHING",
        &[
            Value::Text(provider.into()),
            Value::Text(r.reference.clone()),
            Value::Text(r.reference.clone()),
            outbox_id.map_or(Value::Null, Value::Integer),
            Value::Integer(i64::from(r.delivered)),
            Value::Text(r.code.chars().take(100).collect()),
            Value::Text(r.description.chars().take(200).collect()),
            Value::Integer(now),
        ],
    )?;
    let Some(id) = outbox_id.filter(|_| inserted == 1) else { return Ok(()) };
    // Only a message the provider took moves: `sent`, or one whose run died (`sending`, or
    // already expired to `failed` with an unknown outcome).
    let error = (!r.delivered).then(|| format!("{}: {}", r.code, r.description));
    db.exec(
        "UPDATE outbox SET status = ?, delivered_at = ?, provider = ?, provider_ref = ?, updated_at = ?,
                error_class = ?, last_error = ?, claim = NULL, lease_until = NULL
         WHERE id = ? AND (status IN ('sent', 'sending') OR (status = 'failed' AND error_class = 'unknown'))",
        &[
            Value::Text(if r.delivered { "delivered" } else { "failed" }.into()),
            if r.delivered { Value::Integer(now) } else { Value::Null },
            Value::Text(provider.into()),
            Value::Text(r.reference.clone()),
            Value::Integer(now),
            if r.delivered { Value::Null } else { Value::Text("permanent".into()) },
            error.map_or(Value::Null, Value::Text),
            Value::Integer(id),
        ],
    )?;
    Ok(())
}
