//! Queueing notifications through `wenming:notify/notify` — the only way this component sends
//! anything — on this component's own connection, inside the transition's transaction: a message
//! is queued exactly when the transition commits, and a retried transition (same event) queues
//! nothing new.
//!
//! Keys are `order:<id>:<template>:<event id>` (the timeline entry the message reports), with
//! `:<account id>` appended when one event notifies several people (escalation to every admin of
//! an org), since one key queues once.
//!
//! Limits never fail a transition: a suppressed message is reported by notify, not raised, and a
//! recipient notify refuses as invalid (a malformed stored phone) is logged and skipped — the
//! order must still move. Only a storage failure rolls the transition back.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::input;
use crate::order::Order;
use kit::notify::Outcome;

/// Templates this component queues.
pub const DISPATCHED: &str = "order-dispatched";
pub const ACCEPTED: &str = "order-accepted";
pub const COMPLETED: &str = "order-completed";
pub const REPLIED: &str = "order-replied";
pub const ESCALATED: &str = "order-escalated";
pub const CANCELLED: &str = "order-cancelled";

/// The idempotency key for `template` about `order_id`'s event `event_id`.
pub fn key(order_id: i64, template: &str, event_id: i64) -> String {
    format!("order:{order_id}:{template}:{event_id}")
}

/// Queues one SMS. `Ok(None)` when notify refused the message as invalid (logged, skipped).
pub fn sms(
    db: &Db,
    recipient: &str,
    template: &str,
    params: Vec<(String, String)>,
    key: String,
    now: i64,
) -> Result<Option<Outcome>, ApiError> {
    kit::sms(db, recipient, template, params, key, now)
}

/// The parameters every order message starts with: which order, what service. No personal data:
/// the recipient looks the rest up in the app.
pub fn order_params(order: &Order) -> Vec<(String, String)> {
    vec![("order_id".into(), order.id.to_string()), ("item".into(), order.item_name.clone())]
}

/// An account's phone, if the account is active.
pub fn account_phone(db: &Db, account_id: i64) -> Result<Option<String>, ApiError> {
    db.query_one("SELECT phone FROM accounts WHERE id = ? AND active = 1", &[Value::Integer(account_id)])?
        .map(|r| r.str("phone"))
        .transpose()
}

/// Tells the citizen who placed `order` about timeline entry `event` (the id
/// `demand_flow::transition` returned).
pub fn to_citizen(
    db: &Db,
    order: &Order,
    template: &str,
    mut extra: Vec<(String, String)>,
    event: i64,
    now: i64,
) -> Result<(), ApiError> {
    let Some(phone) = account_phone(db, order.citizen_id)? else { return Ok(()) };
    let mut params = order_params(order);
    params.append(&mut extra);
    sms(db, &phone, template, params, key(order.id, template, event), now)?;
    Ok(())
}

/// Tells the leader of `team_id` that `order` was dispatched to the team (timeline entry `event`).
pub fn dispatched_to_leader(db: &Db, order: &Order, team_id: i64, event: i64, now: i64) -> Result<(), ApiError> {
    let row = db.query_one(
        "SELECT a.phone, t.name FROM teams t JOIN accounts a ON a.id = t.leader_account_id WHERE t.id = ? AND a.active = 1",
        &[Value::Integer(team_id)],
    )?;
    let Some(row) = row else { return Ok(()) };
    let mut params = order_params(order);
    params.push(("team".into(), row.str("name")?));
    params.push(("urgency".into(), order.urgency.clone()));
    params.push(("deadline".into(), input::rfc3339(order.deadline_at)));
    sms(db, &row.str("phone")?, DISPATCHED, params, key(order.id, DISPATCHED, event), now)?;
    Ok(())
}
