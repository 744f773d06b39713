//! Library component exporting `wenming:notify/notify`: the notification outbox. Every step
//! queues SMS and WeChat messages through it, and only through it, so the limits hold
//! everywhere (the `notify` section of `docs/demand-api.md`):
//!
//! 1. the same idempotency key queues once (`duplicate`);
//! 2. the identical message — channel, recipient, template and parameters — to the same
//!    recipient within 30 seconds is dropped (`suppressed-repeat`), so a double click or a
//!    retried transition does not text someone twice;
//! 3. a recipient who already had `notify.daily_cap` messages (default 10) in the last 24 hours
//!    gets no more (`suppressed-daily-cap`);
//! 4. otherwise the message is inserted into `outbox` (`queued`).
//!
//! A suppressed message is an outcome, never an error: a transition must not fail because
//! someone was not texted. Only invalid fields and database failures are errors.
//!
//! Like the ledger, it works on the caller's borrowed `spin:sqlite` connection, so a message is
//! queued if and only if the caller's transaction commits; callers queue inside `BEGIN
//! IMMEDIATE`, which makes "count, then insert" exact under concurrency. Time is the caller's
//! `now` (its `kit::request_now`), never read here.
//!
//! Modules: [`message`] (checking fields, the ordered parameter object) and [`limits`] (the
//! windows and the cap setting) are pure; this file holds the queries.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/notify-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
    with: { "spin:sqlite/sqlite@3.0.0": spin_sdk::wit::spin::sqlite::sqlite },
    generate_all,
});

pub mod limits;
pub mod message;

use exports::wenming::notify::notify::{Channel, Error, Guest, Message, Outcome};
use message::Checked;
use spin_sdk::sqlite3::{Connection, Value};

struct Notify;

fn storage(e: spin_sdk::sqlite3::Error) -> Error {
    Error::Storage(format!("{e:?}"))
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// The first column of the first row as an integer (a COUNT or an id), if any.
fn first_integer(db: &Connection, sql: &str, params: &[Value]) -> Result<Option<i64>, Error> {
    let result = db.execute(sql, params).map_err(storage)?;
    Ok(match result.rows.first().and_then(|r| r.values.first()) {
        Some(Value::Integer(n)) => Some(*n),
        _ => None,
    })
}

/// The deployment's cap (`notify.daily_cap`), read through `kit::settings` on the caller's
/// connection (inside its transaction). Unset → the default; a present but unreadable value is a
/// deployment error, not silently replaced — nobody chose the default, and guessing could flood
/// people (or silence them).
fn daily_cap(db: &Connection) -> Result<i64, Error> {
    kit::Db::borrowed(db, |db| {
        kit::settings::int(
            db,
            "notify.daily_cap",
            limits::DEFAULT_DAILY_CAP,
            kit::settings::registry::range("notify.daily_cap"),
        )
    })
    .map_err(|e| Error::Storage(format!("deployment settings: {e}")))
}

fn queue(db: &Connection, m: &Checked, now: i64) -> Result<Outcome, Error> {
    // 1. The key first: a retry of something already queued is a duplicate even if the limits
    //    would now refuse it.
    let seen = first_integer(db, "SELECT id FROM outbox WHERE idempotency_key = ?", &[text(&m.idempotency_key)])?;
    if seen.is_some() {
        return Ok(Outcome::Duplicate);
    }
    // 2. The identical message to this recipient in the last 30 seconds.
    let (lo, hi) = limits::window(now, limits::REPEAT_WINDOW_S);
    let repeat = first_integer(
        db,
        "SELECT id FROM outbox WHERE recipient = ? AND created_at > ? AND created_at <= ?
             AND channel = ? AND template = ? AND params = ? LIMIT 1",
        &[
            text(&m.recipient),
            Value::Integer(lo),
            Value::Integer(hi),
            text(m.channel.as_str()),
            text(&m.template),
            text(&m.params),
        ],
    )?;
    if repeat.is_some() {
        return Ok(Outcome::SuppressedRepeat);
    }
    // 3. Everything this recipient was sent in the last 24 hours, on any channel and from any
    //    step (sign-in codes included): the cap protects the person, not a template.
    let cap = daily_cap(db)?;
    let (lo, hi) = limits::window(now, limits::DAY_S);
    let today = first_integer(
        db,
        "SELECT COUNT(*) FROM outbox WHERE recipient = ? AND created_at > ? AND created_at <= ?",
        &[text(&m.recipient), Value::Integer(lo), Value::Integer(hi)],
    )?
    .unwrap_or(0);
    if today >= cap {
        return Ok(Outcome::SuppressedDailyCap);
    }
    // 4. Queue it. A caller outside a transaction could race another with the same key; the
    //    UNIQUE index settles that, and the loser is told it was a duplicate.
    let inserted = db.execute(
        "INSERT INTO outbox (channel, recipient, template, params, idempotency_key, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'queued', ?)",
        &[
            text(m.channel.as_str()),
            text(&m.recipient),
            text(&m.template),
            text(&m.params),
            text(&m.idempotency_key),
            Value::Integer(now),
        ],
    );
    match inserted {
        Ok(_) => Ok(Outcome::Queued),
        Err(e) if format!("{e:?}").contains("UNIQUE constraint failed") => Ok(Outcome::Duplicate),
        Err(e) => Err(storage(e)),
    }
}

impl Guest for Notify {
    fn queue(db: &Connection, message: Message, now: i64) -> Result<Outcome, Error> {
        let channel = match message.channel {
            Channel::Sms => message::Channel::Sms,
            Channel::Wechat => message::Channel::Wechat,
        };
        let checked =
            message::check(channel, &message.recipient, &message.template, &message.params, &message.idempotency_key)
                .map_err(Error::Invalid)?;
        queue(db, &checked, now)
    }
}

export!(Notify);
