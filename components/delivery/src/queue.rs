//! The outbox as a delivery queue: claiming messages, recording what became of them.
//!
//! # Never twice for one idempotency key
//!
//! A message is claimed right before its provider is called: one `UPDATE` moves it
//! `queued → sending` with this run's claim id and a lease, and commits. Only a `queued` row can
//! be claimed, and SQLite runs one write at a time, so two runs (the scheduler's and a sign-in
//! code's "send it now") never both hold one message. The answer is recorded with
//! `WHERE claim = ?`.
//!
//! If the run dies after the provider took the message but before the answer is recorded (a
//! killed instance, a timeout, a lost database), the row stays `sending`. It is never picked
//! again: a later run finds it past its lease and marks it `failed` with `error_class =
//! 'unknown'` — the outcome is not known, and sending again could text the person twice. The
//! provider still has our key (Tencent `SessionContext`, Aliyun `OutId`), so a receipt that names
//! it settles the row (see `receipts`). The cost of this choice is that such a message may be
//! lost, never doubled; staff see it in the outbox with its error.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::classify::{self, Class};

/// How long a claim holds: far longer than one provider call (and than the edge's request
/// timeout), so a row still `sending` after it belongs to a dead run.
pub const LEASE_S: i64 = 600;

/// A claimed message.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub template: String,
    /// The JSON object text notify stored.
    pub params: String,
    pub key: String,
    /// Provider calls including this one.
    pub attempts: i64,
}

/// Rows left `sending` by a dead run: failed, outcome unknown, never resent.
pub fn expire_leases(db: &Db, now: i64) -> Result<u64, ApiError> {
    db.exec(
        "UPDATE outbox SET status = 'failed', error_class = 'unknown', claim = NULL, updated_at = ?,
                last_error = 'the delivery run ended before the provider''s answer was recorded; not resent'
         WHERE status = 'sending' AND lease_until < ?",
        &[Value::Integer(now), Value::Integer(now)],
    )
}

/// Claims up to `limit` due messages of `channel` (`sms` or `wechat`; or only message `only`),
/// oldest first, in one write. The run claims one at a time (`limit` 1), right before each call.
pub fn claim(
    db: &Db,
    claim: &str,
    channel: &str,
    now: i64,
    limit: i64,
    only: Option<i64>,
) -> Result<Vec<Claimed>, ApiError> {
    let mut params = vec![
        Value::Text(claim.to_string()),
        Value::Integer(now + LEASE_S),
        Value::Integer(now),
        Value::Text(channel.to_string()),
        Value::Integer(now),
    ];
    let mut pick = "SELECT id FROM outbox WHERE channel = ? AND status = 'queued' AND next_attempt_at <= ?".to_string();
    if let Some(id) = only {
        pick.push_str(" AND id = ?");
        params.push(Value::Integer(id));
    }
    pick.push_str(" ORDER BY id LIMIT ?");
    params.push(Value::Integer(limit));
    db.exec(
        &format!(
            "UPDATE outbox SET status = 'sending', claim = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
             WHERE id IN ({pick})"
        ),
        &params,
    )?;
    db.query(
        "SELECT id, recipient, template, params, idempotency_key, attempts FROM outbox WHERE claim = ? ORDER BY id",
        &[Value::Text(claim.to_string())],
    )?
    .iter()
    .map(|r| {
        Ok(Claimed {
            id: r.i64("id")?,
            recipient: r.str("recipient")?,
            template: r.str("template")?,
            params: r.str("params")?,
            key: r.str("idempotency_key")?,
            attempts: r.i64("attempts")?,
        })
    })
    .collect()
}

/// The provider took the message.
pub fn sent(db: &Db, m: &Claimed, claim: &str, provider: &str, reference: &str, now: i64) -> Result<(), ApiError> {
    db.exec(
        "UPDATE outbox SET status = 'sent', provider = ?, provider_ref = ?, sent_at = ?, updated_at = ?,
                claim = NULL, lease_until = NULL, error_class = NULL, last_error = NULL
         WHERE id = ? AND claim = ?",
        &[
            Value::Text(provider.into()),
            Value::Text(reference.into()),
            Value::Integer(now),
            Value::Integer(now),
            Value::Integer(m.id),
            Value::Text(claim.into()),
        ],
    )?;
    Ok(())
}

/// What a refusal does to the message: back to `queued` after a wait, or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAt(i64),
    Fail,
}

/// Pure: the next step for a message refused with `class` after `attempts` calls.
pub fn next_step(class: Class, attempts: i64, now: i64) -> Next {
    match class {
        Class::Permanent => Next::Fail,
        _ if attempts >= classify::MAX_ATTEMPTS => Next::Fail,
        Class::Retry { after } => Next::RetryAt(now + after),
        Class::Alert => Next::RetryAt(now + classify::ALERT_HOLD_S),
    }
}

/// The message was refused (or no provider could take it); `error` is `<code>: <message>`.
pub fn refused(
    db: &Db,
    m: &Claimed,
    claim: &str,
    provider: Option<&str>,
    class: Class,
    error: &str,
    now: i64,
) -> Result<Next, ApiError> {
    let next = next_step(class, m.attempts, now);
    let (status, at) = match next {
        Next::RetryAt(at) => ("queued", at),
        Next::Fail => ("failed", now),
    };
    db.exec(
        "UPDATE outbox SET status = ?, next_attempt_at = ?, provider = COALESCE(?, provider), error_class = ?,
                last_error = ?, updated_at = ?, claim = NULL, lease_until = NULL
         WHERE id = ? AND claim = ?",
        &[
            Value::Text(status.into()),
            Value::Integer(at),
            provider.map_or(Value::Null, |p| Value::Text(p.into())),
            Value::Text(class.as_str().into()),
            Value::Text(error.chars().take(500).collect()),
            Value::Integer(now),
            Value::Integer(m.id),
            Value::Text(claim.into()),
        ],
    )?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_wait_or_fail() {
        assert_eq!(next_step(Class::Retry { after: 30 }, 1, 1_000), Next::RetryAt(1_030));
        assert_eq!(next_step(Class::Alert, 1, 1_000), Next::RetryAt(1_000 + classify::ALERT_HOLD_S));
        assert_eq!(next_step(Class::Permanent, 1, 1_000), Next::Fail);
        assert_eq!(next_step(Class::Retry { after: 30 }, classify::MAX_ATTEMPTS, 1_000), Next::Fail);
    }
}
