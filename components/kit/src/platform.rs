//! The library components' other interfaces in the one vocabulary: the ledger's errors
//! ([`ledger_error`]), queueing a message through notify ([`sms`]), and team leadership
//! ([`leads_team`], [`leads_team_at`], [`led_teams`]) — each decided here once for every step.

use bindings::ledger;
use bindings::notify::{self, Channel, Message, Outcome};
use spin_sdk::sqlite3::Value;

use crate::{ApiError, Db};

/// The ledger's errors in the one error shape. An invalid posting is the request's fault (a
/// field the ledger refuses, e.g. an amount out of range): 422 naming the field. A debit beyond
/// the balance that reaches here was not checked by the caller, and a storage failure is ours:
/// both 500.
pub fn ledger_error(e: ledger::Error) -> ApiError {
    match e {
        ledger::Error::Invalid((field, message)) => ApiError::Invalid { field, message },
        ledger::Error::Insufficient(balance) => ApiError::Internal(format!("ledger: insufficient balance {balance}")),
        ledger::Error::Storage(m) => ApiError::Internal(format!("ledger: {m}")),
    }
}

/// The kind of message that proves a phone: it goes to that phone by SMS, never elsewhere.
pub const SIGN_IN_CODE: &str = "sign-in-code";

/// Queues a notice to the person with this phone through `wenming:notify/notify` on `db`'s
/// connection, so it is queued if and only if the caller's transaction commits. When the
/// person has bound WeChat, keeps notices there (`wechat_bindings.notify_channel`) and the
/// deployment gave the kind a template message (`wechat_templates`), it is queued on the
/// `wechat` channel to their openid with the phone kept as its fallback (`delivery` sends it by
/// SMS if WeChat refuses: [`fall_back_to_sms`]); otherwise by SMS. Sign-in codes always go by SMS.
///
/// A suppressed message (a repeat, the daily cap) is an outcome, not an error. A recipient or
/// parameter notify refuses is logged and answered `Ok(None)`: a transition must not fail because
/// someone cannot be texted. Only a storage failure is an error (and rolls the caller back).
pub fn sms(
    db: &Db,
    recipient: &str,
    template: &str,
    params: Vec<(String, String)>,
    idempotency_key: String,
    now: i64,
) -> Result<Option<Outcome>, ApiError> {
    if template != SIGN_IN_CODE {
        if let Some(openid) = wechat_recipient(db, recipient, template)? {
            let outcome = queue(db, Channel::Wechat, &openid, template, params, idempotency_key.clone(), now)?;
            if outcome == Some(Outcome::Queued) {
                db.exec(
                    "UPDATE outbox SET fallback_recipient = ? WHERE idempotency_key = ?",
                    &[Value::Text(recipient.to_string()), Value::Text(idempotency_key)],
                )?;
            }
            return Ok(outcome);
        }
    }
    queue(db, Channel::Sms, recipient, template, params, idempotency_key, now)
}

/// The openid a notice of `template` to `phone` goes to instead of SMS, if any (see [`sms`]).
fn wechat_recipient(db: &Db, phone: &str, template: &str) -> Result<Option<String>, ApiError> {
    let row = db.query_one(
        "SELECT b.openid FROM accounts a JOIN wechat_bindings b ON b.account_id = a.id
         WHERE a.phone = ? AND a.active = 1 AND b.notify_channel = 'wechat'
           AND EXISTS (SELECT 1 FROM wechat_templates t WHERE t.kind = ?)",
        &[Value::Text(phone.to_string()), Value::Text(template.to_string())],
    )?;
    row.map(|r| r.str("openid")).transpose()
}

/// A WeChat message that failed for good (`outbox_id`, already marked `failed`) goes again by
/// SMS to the phone it was queued for: the same kind and parameters, through notify (so the
/// limits hold), under the key `<key>:sms` (so it is queued once however often this is asked).
/// `None` when the row is not a failed WeChat message with a phone to fall back to.
pub fn fall_back_to_sms(db: &Db, outbox_id: i64, now: i64) -> Result<Option<Outcome>, ApiError> {
    let Some(row) = db.query_one(
        "SELECT template, params, idempotency_key, fallback_recipient FROM outbox
         WHERE id = ? AND channel = 'wechat' AND status = 'failed' AND fallback_recipient IS NOT NULL",
        &[Value::Integer(outbox_id)],
    )?
    else {
        return Ok(None);
    };
    let params: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.str("params")?).map_err(|e| ApiError::Internal(format!("outbox.params: {e}")))?;
    let params =
        params.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect();
    let key = format!("{}:sms", row.str("idempotency_key")?);
    queue(db, Channel::Sms, &row.str("fallback_recipient")?, &row.str("template")?, params, key, now)
}

fn queue(
    db: &Db,
    channel: Channel,
    recipient: &str,
    template: &str,
    params: Vec<(String, String)>,
    idempotency_key: String,
    now: i64,
) -> Result<Option<Outcome>, ApiError> {
    let message =
        Message { channel, recipient: recipient.to_string(), template: template.to_string(), params, idempotency_key };
    match notify::queue(db.connection(), &message, now) {
        Ok(outcome) => Ok(Some(outcome)),
        Err(notify::Error::Invalid((field, why))) => {
            eprintln!("notify refused {template} ({}): {field}: {why}", message.idempotency_key);
            Ok(None)
        }
        Err(notify::Error::Storage(m)) => Err(ApiError::Internal(format!("notify: {m}"))),
    }
}

/// Whether `account_id` leads team `team_id`. Leadership is the team's `leader_account_id` and
/// nothing else: the `team-leader` role only lets a leader read volunteers at the team's org.
pub fn leads_team(db: &Db, account_id: i64, team_id: i64) -> Result<bool, ApiError> {
    Ok(db
        .query_one(
            "SELECT 1 AS x FROM teams WHERE id = ? AND leader_account_id = ?",
            &[Value::Integer(team_id), Value::Integer(account_id)],
        )?
        .is_some())
}

/// Whether `account_id` leads an active team of the org `org_id` (so the `team-leader` role
/// there cannot be revoked without giving the team another leader first).
pub fn leads_team_at(db: &Db, account_id: i64, org_id: i64) -> Result<bool, ApiError> {
    Ok(db
        .query_one(
            "SELECT 1 AS x FROM teams WHERE leader_account_id = ? AND org_id = ? AND active = 1 LIMIT 1",
            &[Value::Integer(account_id), Value::Integer(org_id)],
        )?
        .is_some())
}

/// The teams `account_id` leads (see [`leads_team`]), by id.
pub fn led_teams(db: &Db, account_id: i64) -> Result<Vec<i64>, ApiError> {
    db.query("SELECT id FROM teams WHERE leader_account_id = ? ORDER BY id", &[Value::Integer(account_id)])?
        .iter()
        .map(|r| r.i64("id"))
        .collect()
}
