//! `POST /api/v1/demands/{id}/reopen` `{"reason"}` → 200 order, back to `submitted`.
//!
//! The citizen whose order it is, when it is `completed` and they are not satisfied that the
//! need was met (instead of rating it). The order goes back to the dispatch queue as a fresh
//! one: a new deadline (now + the item's deadline for its urgency), no team, not escalated,
//! not completed — otherwise auto-close would count from the old completion and escalation from
//! the old deadline. The old report stays (the timeline says it was contested). The reason,
//! required, is the timeline note.

use demand_flow::Transition;
use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::Fields;
use crate::order::{self, Order, OrderExt as _};
use kit::identity::Principal;

/// `POST /api/v1/demands/{id}/reopen`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["reason"])?;
    let reason = f.text("reason", 500)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (order, view) = order::touch(&db, p, id, now)?;
    if !view.citizen {
        return Err(ApiError::Forbidden("only the citizen who ordered may reopen the order".into()));
    }
    let body = db.transaction(|db| {
        demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Reopen,
            Some(p.account_id),
            &reason,
            now,
            &[
                ("deadline_at = ?", Value::Integer(now + order.deadline_s())),
                ("team_id = ?", Value::Null),
                ("completed_at = ?", Value::Null),
                ("escalated_at = ?", Value::Null),
                ("escalated_to = ?", Value::Null),
            ],
        )?;
        // An earlier grab invitation must not let those teams grab the reopened order unasked.
        db.exec("DELETE FROM demand_grab_teams WHERE demand_id = ?", &[Value::Integer(id)])?;
        Ok(Order::reload(db, id)?.json(view.unmasked()))
    })?;
    Ok(kit::json(200, &body))
}
