//! Library component exporting `wenming:ledger/ledger`: the append-only service-minutes and
//! points ledgers. Every step credits and debits through it, and only through it.
//!
//! It works on the caller's connection (a borrowed `spin:sqlite` connection), so its entries
//! commit or roll back with the caller's transaction. Callers post inside `BEGIN IMMEDIATE`;
//! that write lock is what makes "read the last balance, append the next" exact under
//! concurrency, and the table's CHECK keeps a balance from going negative regardless.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/ledger-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
    with: { "spin:sqlite/sqlite@3.0.0": spin_sdk::wit::spin::sqlite::sqlite },
    generate_all,
});

use exports::wenming::ledger::ledger::{Entry, Error, Guest, Kind, Posting, Source};
use spin_sdk::sqlite3::{Connection, Value};

struct Ledger;

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Minutes => "minutes",
        Kind::Points => "points",
    }
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Activity => "activity",
        Source::Order => "order",
        Source::SelfReport => "self-report",
        Source::Redemption => "redemption",
        Source::Refund => "refund",
        Source::Correction => "correction",
    }
}

fn parse_kind(s: &str) -> Result<Kind, Error> {
    match s {
        "minutes" => Ok(Kind::Minutes),
        "points" => Ok(Kind::Points),
        other => Err(Error::Storage(format!("unknown kind {other}"))),
    }
}

fn parse_source(s: &str) -> Result<Source, Error> {
    Ok(match s {
        "activity" => Source::Activity,
        "order" => Source::Order,
        "self-report" => Source::SelfReport,
        "redemption" => Source::Redemption,
        "refund" => Source::Refund,
        "correction" => Source::Correction,
        other => return Err(Error::Storage(format!("unknown source {other}"))),
    })
}

fn storage(e: spin_sdk::sqlite3::Error) -> Error {
    Error::Storage(format!("{e:?}"))
}

const ENTRY_COLUMNS: &str = "id, volunteer_id, kind, amount, balance_after, source, source_id, actor_id, at, note";

fn entry_from(values: &[Value]) -> Result<Entry, Error> {
    let int = |i: usize| match values.get(i) {
        Some(Value::Integer(v)) => Ok(*v),
        other => Err(Error::Storage(format!("column {i}: expected integer, got {other:?}"))),
    };
    let text = |i: usize| match values.get(i) {
        Some(Value::Text(v)) => Ok(v.clone()),
        other => Err(Error::Storage(format!("column {i}: expected text, got {other:?}"))),
    };
    Ok(Entry {
        id: int(0)?,
        volunteer_id: int(1)?,
        kind: parse_kind(&text(2)?)?,
        amount: int(3)?,
        balance_after: int(4)?,
        source: parse_source(&text(5)?)?,
        source_id: int(6)?,
        actor_id: int(7)?,
        at: int(8)?,
        note: text(9)?,
    })
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

fn balance_of(db: &Connection, volunteer_id: i64, kind: Kind) -> Result<i64, Error> {
    let rows = db
        .execute(
            "SELECT balance_after FROM ledger_entries WHERE volunteer_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
            &[Value::Integer(volunteer_id), Value::Text(kind_name(kind).into())],
        )
        .map_err(storage)?;
    Ok(match rows.rows.first().and_then(|r| r.values.first()) {
        Some(Value::Integer(b)) => *b,
        _ => 0,
    })
}

fn post(db: &Connection, p: &Posting) -> Result<Entry, Error> {
    if p.amount == 0 {
        return Err(Error::Invalid(("amount".into(), "amount must not be zero".into())));
    }
    if p.idempotency_key.is_empty() || p.idempotency_key.len() > 200 {
        return Err(Error::Invalid(("idempotency_key".into(), "must be 1 to 200 characters".into())));
    }
    // A retry with the same key returns the entry it made the first time.
    let existing = db
        .execute(
            &format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idempotency_key = ? AND kind = ?"),
            &[Value::Text(p.idempotency_key.clone()), Value::Text(kind_name(p.kind).into())],
        )
        .map_err(storage)?;
    if let Some(row) = existing.rows.first() {
        return entry_from(&row.values);
    }
    let balance = balance_of(db, p.volunteer_id, p.kind)?;
    let after = balance
        .checked_add(p.amount)
        .ok_or_else(|| Error::Invalid(("amount".into(), "amount is out of range".into())))?;
    if after < 0 {
        return Err(Error::Insufficient(balance));
    }
    db.execute(
        "INSERT INTO ledger_entries (volunteer_id, kind, amount, balance_after, source, source_id, actor_id, idempotency_key, note, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(p.volunteer_id),
            Value::Text(kind_name(p.kind).into()),
            Value::Integer(p.amount),
            Value::Integer(after),
            Value::Text(source_name(p.source).into()),
            Value::Integer(p.source_id),
            Value::Integer(p.actor_id),
            Value::Text(p.idempotency_key.clone()),
            Value::Text(p.note.clone()),
            Value::Integer(now()),
        ],
    )
    .map_err(storage)?;
    let id = db.last_insert_rowid();
    let row = db
        .execute(&format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE id = ?"), &[Value::Integer(id)])
        .map_err(storage)?;
    let values = &row.rows.first().ok_or_else(|| Error::Storage("posted entry vanished".into()))?.values;
    entry_from(values)
}

/// Points per hour for a category, in hundredths (the '*' row when the category has none).
fn coefficient_x100(db: &Connection, category: &str) -> Result<i64, Error> {
    let rows = db
        .execute(
            "SELECT per_hour_x100 FROM points_coefficients WHERE category IN (?, '*') ORDER BY category = '*' LIMIT 1",
            &[Value::Text(category.to_string())],
        )
        .map_err(storage)?;
    Ok(match rows.rows.first().and_then(|r| r.values.first()) {
        Some(Value::Integer(c)) => *c,
        _ => 0,
    })
}

impl Guest for Ledger {
    fn post(db: &Connection, posting: Posting) -> Result<Entry, Error> {
        post(db, &posting)
    }

    fn credit_service(
        db: &Connection,
        volunteer_id: i64,
        minutes: i64,
        category: String,
        source: Source,
        source_id: i64,
        actor_id: i64,
        idempotency_key: String,
    ) -> Result<(Entry, Option<Entry>), Error> {
        if minutes <= 0 {
            return Err(Error::Invalid(("minutes".into(), "confirmed minutes must be positive".into())));
        }
        let minutes_entry = post(
            db,
            &Posting {
                volunteer_id,
                kind: Kind::Minutes,
                amount: minutes,
                source,
                source_id,
                actor_id,
                idempotency_key: idempotency_key.clone(),
                note: category.clone(),
            },
        )?;
        let points = minutes * coefficient_x100(db, &category)? / 6000;
        // A ledger entry is never zero: service that earns no points posts minutes only.
        let points_entry = if points > 0 {
            Some(post(
                db,
                &Posting {
                    volunteer_id,
                    kind: Kind::Points,
                    amount: points,
                    source,
                    source_id,
                    actor_id,
                    idempotency_key,
                    note: category,
                },
            )?)
        } else {
            None
        };
        Ok((minutes_entry, points_entry))
    }

    fn balance(db: &Connection, volunteer_id: i64, kind: Kind) -> Result<i64, Error> {
        balance_of(db, volunteer_id, kind)
    }

    fn history(db: &Connection, volunteer_id: i64, kind: Kind, after_id: i64, limit: u32) -> Result<Vec<Entry>, Error> {
        let limit = i64::from(limit.clamp(1, 100));
        let rows = db
            .execute(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE volunteer_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?"
                ),
                &[
                    Value::Integer(volunteer_id),
                    Value::Text(kind_name(kind).into()),
                    Value::Integer(after_id),
                    Value::Integer(limit),
                ],
            )
            .map_err(storage)?;
        rows.rows.iter().map(|r| entry_from(&r.values)).collect()
    }
}

export!(Ledger);
