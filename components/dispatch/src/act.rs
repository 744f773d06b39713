//! The shape every write on an order shares, so no action forgets a step:
//!
//! 1. the body is already validated by the caller (bad input changes nothing);
//! 2. the order is loaded and the caller's right to this kind of work checked, before the
//!    write lock is taken (identity shares this request's connection, so it could be asked
//!    inside the transaction too; asking first keeps the lock for the write alone);
//! 3. the order is escalated first if it is overdue (its own small transaction: escalation is a
//!    fact about time, and must not be undone because this action is refused);
//! 4. one transaction, under `Idempotency-Key` when sent: the order is read again (another
//!    request may have moved it since step 2), the action's own checks and its transition run,
//!    notifications are queued on the same connection, and the audit row records the masked
//!    order before and after;
//! 5. the answer is the order JSON as the caller may see it.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};

use crate::access::{self, Relation, Work};
use crate::escalate;
use crate::input;
use crate::order::{Order, OrderExt as _};
use kit::identity::Principal;

/// Runs `action` (audited as `audit_action`) on order `id` for `p`, who must be allowed `work`.
/// `action` gets the transaction, the order as read inside it, and how the caller relates to it;
/// it makes the transition (through `demand_flow`) and queues the notifications.
pub fn run(
    req: &Request,
    p: &Principal,
    id: i64,
    work: Work,
    audit_action: &str,
    action: impl FnOnce(&Db, &Order, &Relation, i64) -> Result<(), ApiError>,
) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (seen, rel) = access::order_for(&db, p, id, work)?;
    escalate::if_due(&db, &seen, now)?;
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let before = Order::reload(db, id)?;
        action(db, &before, &rel, now)?;
        let after = Order::reload(db, id)?;
        kit::audit(
            db,
            p.account_id,
            audit_action,
            "demand",
            Some(id),
            &before.org_path,
            Some(&before.audit_json(now)),
            Some(&after.audit_json(now)),
        )?;
        Ok((200, after.json(rel.dispatcher, now)))
    })?;
    Ok(kit::json(status, &body))
}
