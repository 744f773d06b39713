//! Messages to citizens, only through `wenming:notify/notify` (`kit::sms`), on this component's own
//! connection inside the transition's transaction: a message is queued if and only if the
//! change it reports commits.
//!
//! Keys follow the contract, `order:<id>:<template>:<event id>` — the timeline entry that caused
//! the message — so a retried request never texts twice, while a second, real event (an order
//! cancelled after being reopened) gets its own message.

use kit::{ApiError, Db};

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
