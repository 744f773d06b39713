//! Points through `wenming:ledger/ledger`, on this component's own `spin:sqlite` connection,
//! so a debit or refund commits or rolls back with the redemption's own writes. Minutes are
//! only read (star levels).

use kit::{ledger_error, ApiError, Db};

use kit::ledger::{self, Kind, Posting, Source};

/// The balance of `kind` for `volunteer_id`.
pub fn balance(db: &Db, volunteer_id: i64, kind: Kind) -> Result<i64, ApiError> {
    ledger::balance(db.connection(), volunteer_id, kind).map_err(ledger_error)
}

/// What a points debit came to.
pub enum Debit {
    Posted,
    /// The balance is smaller than the debit (the balance is given).
    Insufficient(i64),
}

/// Posts `amount` points (positive: a credit; negative: a debit) under `key`. A debit larger
/// than the balance posts nothing and says so.
#[allow(clippy::too_many_arguments)]
pub fn post_points(
    db: &Db,
    volunteer_id: i64,
    amount: i64,
    source: Source,
    source_id: i64,
    actor_id: i64,
    key: &str,
    note: &str,
) -> Result<Debit, ApiError> {
    let posting = Posting {
        volunteer_id,
        kind: Kind::Points,
        amount,
        source,
        source_id,
        actor_id,
        idempotency_key: key.to_string(),
        note: note.to_string(),
    };
    match ledger::post(db.connection(), &posting) {
        Ok(_) => Ok(Debit::Posted),
        Err(ledger::Error::Insufficient(balance)) => Ok(Debit::Insufficient(balance)),
        Err(e) => Err(ledger_error(e)),
    }
}
