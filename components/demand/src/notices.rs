//! Messages to citizens, only through `wenming:notify/notify` (`kit::sms`), on this component's own
//! connection inside the transition's transaction: a message is queued if and only if the
//! change it reports commits.
//!
//! Keys follow the contract, `order:<id>:<template>:<event id>` — the timeline entry that caused
//! the message — so a retried request never texts twice, while a second, real event (an order
//! cancelled after being reopened) gets its own message.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

/// Queues an SMS to `phone` about order `order_id`. A suppressed message (repeat, daily cap) is
/// not an error; neither is a recipient the outbox refuses (an old account's odd phone): the
/// citizen's order must not fail because a text cannot be sent, so that is logged instead. Only
/// a database failure rolls the caller back.
pub fn sms(
    db: &Db,
    phone: &str,
    template: &str,
    order_id: i64,
    event_id: i64,
    params: &[(&str, String)],
    now: i64,
) -> Result<(), ApiError> {
    let params = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    kit::sms(db, phone, template, params, format!("order:{order_id}:{template}:{event_id}"), now)?;
    Ok(())
}

/// The newest timeline entry of order `id` — inside the caller's transaction, the one just
/// written by `demand_flow::record` or `demand_flow::transition`.
pub fn last_event_id(db: &Db, id: i64) -> Result<i64, ApiError> {
    db.query_one("SELECT MAX(id) AS id FROM demand_events WHERE demand_id = ?", &[Value::Integer(id)])?
        .and_then(|r| r.opt_i64("id").transpose())
        .transpose()?
        .ok_or_else(|| ApiError::Internal(format!("order {id} has no timeline")))
}
