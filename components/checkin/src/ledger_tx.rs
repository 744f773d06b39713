//! Posting to the ledger from inside a `kit::Db` transaction: `wenming:ledger/ledger` takes
//! the caller's own `spin:sqlite` connection, so a posting commits or rolls back with the
//! caller's writes.

use kit::{ledger_error, ApiError, Db};

use kit::ledger;

/// Credits confirmed service through the ledger on `db`'s connection (inside its transaction): the minutes and the
/// points they earn, under `key` (a retry with the same key posts nothing new). Zero minutes post nothing (a ledger entry is never zero).
#[allow(clippy::too_many_arguments)]
pub fn credit(
    db: &Db,
    volunteer_id: i64,
    minutes: i64,
    category: &str,
    source: ledger::Source,
    source_id: i64,
    actor_id: i64,
    key: &str,
) -> Result<(), ApiError> {
    if minutes == 0 {
        return Ok(());
    }
    ledger::credit_service(db.connection(), volunteer_id, minutes, category, source, source_id, actor_id, key)
        .map_err(ledger_error)?;
    Ok(())
}

/// The current balance of `kind` for `volunteer_id` (a read; no transaction needed).
pub fn balance(db: &Db, volunteer_id: i64, kind: ledger::Kind) -> Result<i64, ApiError> {
    ledger::balance(db.connection(), volunteer_id, kind).map_err(ledger_error)
}
