//! `POST /api/v1/demands/{id}/rate` `{"rating", "comment"?}` (评单) → 200 order, `closed`.
//!
//! Only the citizen whose order it is, only when it is `completed`; rating closes it. A second
//! rating is 409 `wrong_state` (the first stands), as is rating an order that auto-closed first
//! — the lazy auto-close runs before the rating is considered, so the outcome does not depend
//! on whether anyone looked at the order in between.

use demand_flow::Transition;
use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::Fields;
use crate::order::{self, Order, OrderExt as _};
use kit::identity::Principal;

/// The ratings (非常满意/满意/基本满意/不满意).
pub const RATINGS: [&str; 4] = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied"];

/// `POST /api/v1/demands/{id}/rate`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["rating", "comment"])?;
    let rating = f.choice("rating", &RATINGS)?;
    let comment = f.opt_text("comment", 500)?.filter(|c| !c.is_empty());
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (order, view) = order::touch(&db, p, id, now)?;
    if !view.citizen {
        return Err(ApiError::Forbidden("only the citizen who ordered may rate the service".into()));
    }
    if order.rating.is_some() {
        return Err(ApiError::conflict("wrong_state", "this order has already been rated"));
    }
    let body = db.transaction(|db| {
        demand_flow::transition(
            db,
            id,
            order.status,
            Transition::Rate,
            Some(p.account_id),
            &format!("rated: {rating}"),
            now,
            &[
                ("rating = ?", Value::Text(rating.into())),
                ("rating_comment = ?", comment.clone().map_or(Value::Null, Value::Text)),
            ],
        )?;
        Ok(Order::reload(db, id)?.json(view.unmasked()))
    })?;
    Ok(kit::json(200, &body))
}
