//! `POST /api/v1/demands/{id}/cancel` `{"reason"}` → 200 order, `cancelled`.
//!
//! - The citizen may cancel their own order before a team accepts it (`submitted`,
//!   `dispatched`, `open`); once accepted, people are on their way, so only staff may call it
//!   off (409 `wrong_state` for the citizen).
//! - Staff with `dispatch-orders` at the order's org may cancel whatever the state machine
//!   allows (also `accepted`); that is audited (`demand.cancel`) and the citizen is told by SMS
//!   (`order-cancelled`, with the reason), since they did not ask for it.
//! - Anyone else who may see the order (a team leader, a department handler) → 403.
//!
//! The reason becomes the timeline note. The move itself is `demand_flow::transition`, which
//! refuses (409) if the order changed state since it was read.

use demand_flow::{Status, Transition};
use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};

use crate::input::Fields;
use crate::notices;
use crate::order::{self, Order, OrderExt as _};
use kit::identity::Principal;

/// The states a citizen may still cancel from: before acceptance.
pub const CITIZEN_MAY_CANCEL: [Status; 3] = [Status::Submitted, Status::Dispatched, Status::Open];

/// `POST /api/v1/demands/{id}/cancel`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reason"])?;
    let reason = f.text("reason", 500)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (order, view) = order::touch(&db, p, id, now)?;

    let body = if view.dispatcher {
        db.transaction(|db| {
            let moved = demand_flow::transition(
                db,
                id,
                order.status,
                Transition::Cancel,
                Some(p.account_id),
                &reason,
                now,
                &[],
            )?;
            let after = Order::reload(db, id)?;
            let mut audited = after.audit_json();
            audited["reason"] = serde_json::json!(reason);
            kit::audit(
                db,
                p.account_id,
                "demand.cancel",
                "demand",
                Some(id),
                &order.org_path,
                Some(&order.audit_json()),
                Some(&audited),
            )?;
            // Staff cancelling their own order as a citizen need not be told.
            if order.citizen_id != p.account_id {
                notices::sms(
                    db,
                    &order.citizen_phone,
                    "order-cancelled",
                    id,
                    moved.event_id,
                    &[("order_id", id.to_string()), ("service", order.item_name.clone()), ("reason", reason.clone())],
                    now,
                )?;
            }
            Ok(after.json(view.unmasked()))
        })?
    } else if view.citizen {
        if matches!(order.status, Status::Accepted | Status::InService) {
            return Err(ApiError::conflict(
                "wrong_state",
                format!(
                    "the order is {}: a team has accepted it, so ask the centre to cancel it",
                    order.status.as_str()
                ),
            ));
        }
        if !CITIZEN_MAY_CANCEL.contains(&order.status) {
            return Err(ApiError::conflict(
                "wrong_state",
                format!("cannot cancel an order that is {}", order.status.as_str()),
            ));
        }
        db.transaction(|db| {
            demand_flow::transition(db, id, order.status, Transition::Cancel, Some(p.account_id), &reason, now, &[])?;
            Ok(Order::reload(db, id)?.json(view.unmasked()))
        })?
    } else {
        return Err(ApiError::Forbidden(
            "only the citizen who ordered, or staff who dispatch it, may cancel an order".into(),
        ));
    };
    Ok(kit::json(200, &body))
}
