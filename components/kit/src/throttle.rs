//! Rate limits: a budget per client and a global one, for endpoints anyone can call and that
//! cost something (an SMS is a paid message, a password check is 50 ms of a core).
//!
//! Counters live in `throttle_counters` (see `migrations/0011_abuse.sql`), one row per
//! `(name, client)` plus `(name, '*')` for the global budget, each a fixed window that starts at
//! the first request after the previous window ended. [`take`] counts and checks in one
//! conditional upsert per counter, inside the caller's transaction, so concurrent requests
//! cannot overshoot a budget they all read before it was spent, and a refused request (by this
//! budget or by anything later in the same transaction) leaves no count behind.
//!
//! Budgets are deployment settings, read through [`crate::settings`]:
//! `throttle.<name>.per_client`, `throttle.<name>.global` (requests per window) and
//! `throttle.<name>.window_s`.

use spin_sdk::sqlite3::Value;

use crate::settings::{registry, Pairs};
use crate::{ApiError, Db};

/// The client key of the global counter (client keys are IP addresses or prefixes, never `*`).
const EVERYONE: &str = "*";

/// How many requests one client, and everyone together, may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests per window from one client ([`crate::client_key`]).
    pub per_client: i64,
    /// Requests per window from all clients together.
    pub global: i64,
    /// The window's length in seconds.
    pub window_s: i64,
}

impl Budget {
    /// The budget named `name`, from the deployment's settings; `defaults` for what is unset.
    /// A value set out of range is a deployment error (500), never silently replaced.
    pub fn load(db: &Db, name: &str, defaults: Budget) -> Result<Budget, ApiError> {
        let keys = Budget::keys(name);
        let pairs = Pairs::load(db, &keys.iter().map(String::as_str).collect::<Vec<_>>())?;
        Budget::from_pairs(&pairs, name, defaults).map_err(|e| ApiError::Internal(format!("deployment setting {e}")))
    }

    /// The setting keys of budget `name`: per client, global, window.
    pub fn keys(name: &str) -> [String; 3] {
        [format!("throttle.{name}.per_client"), format!("throttle.{name}.global"), format!("throttle.{name}.window_s")]
    }

    fn from_pairs(pairs: &Pairs, name: &str, defaults: Budget) -> Result<Budget, String> {
        let [per_client, global, window_s] = Budget::keys(name);
        Ok(Budget {
            // The registry's ranges, shared by every budget and checked by the settings API.
            per_client: pairs.int(&per_client, defaults.per_client, registry::THROTTLE_PER_CLIENT)?,
            global: pairs.int(&global, defaults.global, registry::THROTTLE_GLOBAL)?,
            window_s: pairs.int(&window_s, defaults.window_s, registry::THROTTLE_WINDOW_S)?,
        })
    }
}

/// Counts one request of `client` against budget `name`, or refuses it with 429 `throttled` and
/// `Retry-After` (the end of the window that is full) without counting it. Call it inside the
/// request's write transaction, before the work it guards: the per-client count is undone with
/// the transaction when the global budget (or anything after) refuses.
pub fn take(db: &Db, name: &str, client: &str, budget: &Budget, now: i64) -> Result<(), ApiError> {
    if let Some(wait) = count(db, name, client, budget.per_client, budget.window_s, now)? {
        return Err(ApiError::Throttled {
            retry_after: wait,
            message: format!("too many requests from your network; try again in {wait} s"),
        });
    }
    if let Some(wait) = count(db, name, EVERYONE, budget.global, budget.window_s, now)? {
        return Err(ApiError::Throttled {
            retry_after: wait,
            message: format!("too many requests right now; try again in {wait} s"),
        });
    }
    prune_when_a_window_starts(db, name, budget.window_s, now)
}

/// Deletes the per-client counters of `name` whose window has ended, once per global window
/// (when its first request has just been counted): clients come and go, so without this the table
/// would keep one row for every address ever seen. At most the global budget's worth of rows is
/// written per window (a refused request leaves none), so each sweep is bounded too.
fn prune_when_a_window_starts(db: &Db, name: &str, window_s: i64, now: i64) -> Result<(), ApiError> {
    let everyone = [Value::Text(name.to_string()), Value::Text(EVERYONE.to_string())];
    let hits = db.query_one("SELECT hits FROM throttle_counters WHERE name = ? AND client = ?", &everyone)?;
    if hits.map(|r| r.i64("hits")).transpose()? == Some(1) {
        db.exec(
            "DELETE FROM throttle_counters WHERE name = ? AND client <> ? AND window_start + ? <= ?",
            &[everyone[0].clone(), everyone[1].clone(), Value::Integer(window_s), Value::Integer(now)],
        )?;
    }
    Ok(())
}

/// One counter of `name` for `client` (a client key, or any other key a limit is kept per, such
/// as check-in's `<activity>:<volunteer>`): counts one hit and answers `None`, or, when `max` hits
/// already fell in the live window, changes nothing and answers the seconds until it ends.
pub fn count(db: &Db, name: &str, client: &str, max: i64, window_s: i64, now: i64) -> Result<Option<u64>, ApiError> {
    let key = [Value::Text(name.to_string()), Value::Text(client.to_string())];
    // A window that has ended restarts at 1; a live one counts up while below `max`. The WHERE
    // makes a full window change nothing (0 rows), which is the refusal.
    let counted = db.exec(
        "INSERT INTO throttle_counters (name, client, window_start, hits) VALUES (?, ?, ?, 1)
         ON CONFLICT (name, client) DO UPDATE SET
             hits = CASE WHEN window_start + ?4 <= excluded.window_start THEN 1 ELSE hits + 1 END,
             window_start = CASE WHEN window_start + ?4 <= excluded.window_start
                                 THEN excluded.window_start ELSE window_start END
         WHERE window_start + ?4 <= excluded.window_start OR hits < ?5",
        &[key[0].clone(), key[1].clone(), Value::Integer(now), Value::Integer(window_s), Value::Integer(max)],
    )?;
    if counted == 1 {
        return Ok(None);
    }
    let started = db
        .query_one("SELECT window_start FROM throttle_counters WHERE name = ? AND client = ?", &key)?
        .map(|r| r.i64("window_start"))
        .transpose()?
        .unwrap_or(now);
    Ok(Some((started + window_s - now).max(1) as u64))
}

/// Gives back one hit [`count`] took (a check that turned out not to count against the limit,
/// e.g. a right code); never below zero.
pub fn refund(db: &Db, name: &str, client: &str) -> Result<(), ApiError> {
    db.exec(
        "UPDATE throttle_counters SET hits = hits - 1 WHERE name = ? AND client = ? AND hits > 0",
        &[Value::Text(name.to_string()), Value::Text(client.to_string())],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        Pairs(v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    const DEFAULTS: Budget = Budget { per_client: 5, global: 100, window_s: 3600 };

    #[test]
    fn budgets_read_their_three_keys_and_default_what_is_unset() {
        let set = pairs(&[("throttle.sms_codes.per_client", "2"), ("throttle.sms_codes.window_s", "60")]);
        assert_eq!(
            Budget::from_pairs(&set, "sms_codes", DEFAULTS),
            Ok(Budget { per_client: 2, global: 100, window_s: 60 })
        );
        assert_eq!(Budget::from_pairs(&set, "sign_ins", DEFAULTS), Ok(DEFAULTS), "another budget's keys");
        let zero = pairs(&[("throttle.sms_codes.global", "0")]);
        assert!(Budget::from_pairs(&zero, "sms_codes", DEFAULTS).unwrap_err().contains("throttle.sms_codes.global"));
    }
}
