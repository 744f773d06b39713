//! Reserving a password attempt before argon2 runs: the lock of the account for this client,
//! the account-wide delay, the sign-in rate limits and a password-check slot, all decided and
//! written in one write transaction (see `migrations/0011_abuse.sql`).
//!
//! `BEGIN IMMEDIATE` holds the database's write lock from the first read, so what is read here
//! cannot change before it is written: concurrent attempts are counted one after another, and no
//! number of them checks more passwords than the rules allow. Every refusal is decided before
//! anything is written, so a refused attempt changes nothing.

use kit::throttle::{self, Budget};
use kit::{ApiError, Db, Row};
use spin_sdk::sqlite3::Value;

use crate::rules::{Rules, SIGN_INS, SIGN_IN_BUDGET};

/// How long a slot stays taken if its holder never gives it back (a trap, a timeout): longer
/// than any password check, shorter than anyone would wait.
const SLOT_HOLD_S: i64 = 10;

/// A taken password-check slot; give it back with [`release`].
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    slot: i64,
    held_until: i64,
}

/// What reserving a password attempt found.
pub enum Reservation {
    /// The attempt may be checked: the account's row (`None`: no account has this phone, check
    /// against the dummy hash anyway) and the slot to give back afterwards. Already counted as a
    /// failure.
    Reserved(Option<Row>, Slot),
    /// This client is locked out of the account, or the account-wide delay has not passed:
    /// seconds to wait. Nothing was counted.
    Locked(u64),
    /// Every password-check slot is taken; nothing was counted.
    NoSlot,
}

/// Reserves one password attempt on `phone`'s account from `client` at `now`, inside the
/// caller's transaction. Refusals come back as `Ok` with nothing written; a rate limit that
/// refuses is an `Err` (429), which the caller's transaction rolls back.
pub fn reserve(db: &Db, rules: &Rules, phone: &str, client: &str, now: i64) -> Result<Reservation, ApiError> {
    let account = db.query_one(
        "SELECT id, name, password_hash, active, failed_sign_ins, delayed_until FROM accounts WHERE phone = ?",
        &[Value::Text(phone.to_string())],
    )?;
    if let Some(account) = &account {
        if let Some(until) = locked_until(db, account.i64("id")?, client, now)? {
            return Ok(Reservation::Locked(seconds_until(until, now)));
        }
        if let Some(until) = account.opt_i64("delayed_until")?.filter(|until| *until > now) {
            return Ok(Reservation::Locked(seconds_until(until, now)));
        }
    }
    let Some(free) = free_slot(db, rules, now)? else {
        return Ok(Reservation::NoSlot);
    };
    let budget = Budget::load(db, SIGN_INS, SIGN_IN_BUDGET)?;
    throttle::take(db, SIGN_INS, client, &budget, now)?;
    let slot = Slot { slot: free, held_until: now + SLOT_HOLD_S };
    db.exec(
        "UPDATE argon2_slots SET held_until = ? WHERE slot = ?",
        &[Value::Integer(slot.held_until), Value::Integer(slot.slot)],
    )?;
    if let Some(account) = &account {
        count_failure(db, rules, account, client, now)?;
    }
    Ok(Reservation::Reserved(account, slot))
}

/// When `client`'s lock on `account_id` ends, if it is locked now (for the code sign-in too: a
/// code must not be a way around a password's lock).
pub fn locked_until(db: &Db, account_id: i64, client: &str, now: i64) -> Result<Option<i64>, ApiError> {
    let row = db.query_one(
        "SELECT locked_until FROM sign_in_locks WHERE account_id = ? AND client = ?",
        &[Value::Integer(account_id), Value::Text(client.to_string())],
    )?;
    Ok(row.map(|r| r.opt_i64("locked_until")).transpose()?.flatten().filter(|until| *until > now))
}

/// Counts the attempt as a failure before it is checked, for this client and account-wide. The
/// failure that reaches `lock_failures` locks this client out (its count restarts for the next
/// window); past `delay_after` account-wide, the next attempt from anyone must wait.
fn count_failure(db: &Db, rules: &Rules, account: &Row, client: &str, now: i64) -> Result<(), ApiError> {
    let id = account.i64("id")?;
    db.exec(
        "INSERT INTO sign_in_locks (account_id, client, failures, locked_until)
         VALUES (?1, ?2, CASE WHEN 1 >= ?3 THEN 0 ELSE 1 END, CASE WHEN 1 >= ?3 THEN ?4 END)
         ON CONFLICT (account_id, client) DO UPDATE SET
             failures = CASE WHEN failures + 1 >= ?3 THEN 0 ELSE failures + 1 END,
             locked_until = CASE WHEN failures + 1 >= ?3 THEN ?4 ELSE NULL END",
        &[
            Value::Integer(id),
            Value::Text(client.to_string()),
            Value::Integer(rules.lock_failures),
            Value::Integer(now + rules.lock_s),
        ],
    )?;
    let failures = account.i64("failed_sign_ins")? + 1;
    let delayed_until = rules.delay_after_failures(failures).map(|delay| now + delay);
    db.exec(
        "UPDATE accounts SET failed_sign_ins = ?, delayed_until = ? WHERE id = ?",
        &[Value::Integer(failures), delayed_until.map_or(Value::Null, Value::Integer), Value::Integer(id)],
    )?;
    Ok(())
}

/// The holder proved the password from `client`: its lock count and the account-wide count and
/// delay restart. Other clients' locks stay: they were earned by someone else's guesses.
pub fn clear_failures(db: &Db, account_id: i64, client: &str) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM sign_in_locks WHERE account_id = ? AND client = ?",
        &[Value::Integer(account_id), Value::Text(client.to_string())],
    )?;
    db.exec(
        "UPDATE accounts SET failed_sign_ins = 0, delayed_until = NULL WHERE id = ?",
        &[Value::Integer(account_id)],
    )?;
    Ok(())
}

/// Whether a slot is free now: a plain read (no write lock), so that sign-ins waiting for a slot
/// do not queue for the database's write lock just to look.
pub fn slot_free(db: &Db, rules: &Rules, now: i64) -> Result<bool, ApiError> {
    Ok(free_slot(db, rules, now)?.is_some())
}

/// The lowest free slot among the first `argon2_slots`.
fn free_slot(db: &Db, rules: &Rules, now: i64) -> Result<Option<i64>, ApiError> {
    db.query_one(
        "SELECT slot FROM argon2_slots WHERE slot <= ? AND held_until <= ? ORDER BY slot LIMIT 1",
        &[Value::Integer(rules.argon2_slots), Value::Integer(now)],
    )?
    .map(|r| r.i64("slot"))
    .transpose()
}

/// Gives a slot back after its check (only if still ours: an expired slot may have been taken
/// again). A failure to give it back is logged, not answered: the check is done, its answer
/// stands, and the slot frees itself at `held_until`.
pub fn release(db: &Db, slot: Slot) {
    let released = db.exec(
        "UPDATE argon2_slots SET held_until = 0 WHERE slot = ? AND held_until = ?",
        &[Value::Integer(slot.slot), Value::Integer(slot.held_until)],
    );
    if let Err(e) = released {
        eprintln!("argon2 slot {} not given back (it expires by itself): {e}", slot.slot);
    }
}

fn seconds_until(until: i64, now: i64) -> u64 {
    (until - now).max(1) as u64
}
