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

/// Queues an SMS through `wenming:notify/notify` on `db`'s connection, so it is queued if and
/// only if the caller's transaction commits. A suppressed message (a repeat, the daily cap) is
/// an outcome, not an error. A recipient or parameter notify refuses is logged and answered
/// `Ok(None)`: a transition must not fail because someone cannot be texted. Only a storage
/// failure is an error (and rolls the caller back).
pub fn sms(
    db: &Db,
    recipient: &str,
    template: &str,
    params: Vec<(String, String)>,
    idempotency_key: String,
    now: i64,
) -> Result<Option<Outcome>, ApiError> {
    let message = Message {
        channel: Channel::Sms,
        recipient: recipient.to_string(),
        template: template.to_string(),
        params,
        idempotency_key,
    };
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
