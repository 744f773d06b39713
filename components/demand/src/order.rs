//! An order as this component reads it, the order JSON of the contract, and who may see it.
//!
//! Visibility (`GET /api/v1/demands/{id}` and everything addressed by an order id): the citizen
//! whose order it is; staff with `dispatch-orders` at the order's org (escalation goes to the
//! parent org, which is an ancestor, so the same subtree check covers it); the leader of the
//! assigned team (and, while it is open for grabbing, of each team asked to grab it); the
//! handlers of the department it was forwarded to. Anyone else gets 404 — in particular a citizen
//! can never tell another citizen's order from one that does not exist.

use demand_flow::order::Phone;
pub use demand_flow::order::{Order, SELECT};
use demand_flow::Status;
use kit::time::opt_rfc3339;
use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::sqlite3::Value;

use kit::identity::{Action, Principal};

/// What `demand` adds to the shared [`Order`]: its reads, its JSON and the reopened deadline.
pub trait OrderExt: Sized {
    /// The order with `id`, which must exist (it was just written or read in this transaction).
    fn reload(db: &Db, id: i64) -> Result<Self, ApiError>;
    /// The order JSON of the contract plus `citizen_id` and `completed_at`. `unmasked`: the
    /// caller is the citizen or dispatches it; everyone else sees the contact phone masked.
    fn json(&self, unmasked: bool) -> serde_json::Value;
    /// What an audit row may show: ids, the state, and the contact phone masked.
    fn audit_json(&self) -> serde_json::Value;
    /// The item's deadline (seconds to be accepted) for this order's urgency.
    fn deadline_s(&self) -> i64;
}

impl OrderExt for Order {
    fn reload(db: &Db, id: i64) -> Result<Order, ApiError> {
        Order::load(db, id)?.ok_or_else(|| ApiError::Internal(format!("order {id} vanished")))
    }

    fn json(&self, unmasked: bool) -> serde_json::Value {
        self.contract_json_with(
            Phone::whole_if(unmasked),
            [("citizen_id", json!(self.citizen_id)), ("completed_at", opt_rfc3339(self.completed_at))],
        )
    }

    fn audit_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "kind": self.kind,
            "menu_item_id": self.menu_item_id,
            "org_id": self.org_id,
            "citizen_id": self.citizen_id,
            "urgency": self.urgency,
            "contact_name": self.contact_name,
            "contact_phone": kit::mask_phone(&self.contact_phone),
            "team_id": self.team_id,
            "department_id": self.department_id,
        })
    }

    fn deadline_s(&self) -> i64 {
        let (normal, urgent, critical) = self.item_deadlines;
        match self.urgency.as_str() {
            "critical" => critical,
            "urgent" => urgent,
            _ => normal,
        }
    }
}

/// How the caller stands to an order; they may see it when any of these holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct View {
    /// The caller is the citizen whose order it is.
    pub citizen: bool,
    /// The caller has dispatch-orders at the order's org.
    pub dispatcher: bool,
    /// The caller leads the assigned team (or a team asked to grab it while open).
    pub team_leader: bool,
    /// The caller handles the department it was forwarded to.
    pub handler: bool,
}

impl View {
    /// Whether the caller may see the order at all.
    pub fn visible(&self) -> bool {
        self.citizen || self.dispatcher || self.team_leader || self.handler
    }

    /// Whether the caller sees the order as a citizen (staff shown by role, not name).
    pub fn as_citizen(&self) -> bool {
        self.citizen && !(self.dispatcher || self.team_leader || self.handler)
    }

    /// Whether the contact phone is shown whole: to the citizen and to those who dispatch it.
    pub fn unmasked(&self) -> bool {
        self.citizen || self.dispatcher
    }

    /// How `p` stands to `order`. Identity is asked only when the cheaper answers do not
    /// already decide.
    pub fn of(db: &Db, p: &Principal, order: &Order) -> Result<View, ApiError> {
        let me = Value::Integer(p.account_id);
        let led = kit::led_teams(db, p.account_id)?;
        let team_leader = order.team_id.is_some_and(|team| led.contains(&team))
            || (order.status == Status::Open && !led.is_empty() && {
                let grab =
                    db.query("SELECT team_id FROM demand_grab_teams WHERE demand_id = ?", &[Value::Integer(order.id)])?;
                grab.iter().map(|r| r.i64("team_id")).collect::<Result<Vec<_>, _>>()?.iter().any(|t| led.contains(t))
            });
        let handler = match order.department_id {
            Some(dep) => db
                .query_one(
                    "SELECT 1 AS x FROM department_handlers WHERE department_id = ? AND account_id = ?",
                    &[Value::Integer(dep), me],
                )?
                .is_some(),
            None => false,
        };
        Ok(View {
            citizen: order.citizen_id == p.account_id,
            dispatcher: kit::allowed(p, Action::DispatchOrders, &order.org_path)?,
            team_leader,
            handler,
        })
    }
}

/// The order `id` and how `p` stands to it; 404 when it does not exist or `p` may not see it
/// (the same answer, so ids cannot be probed).
pub fn visible(db: &Db, p: &Principal, id: i64) -> Result<(Order, View), ApiError> {
    let not_found = || ApiError::NotFound("no such order".into());
    let order = Order::load(db, id)?.ok_or_else(not_found)?;
    let view = View::of(db, p, &order)?;
    if !view.visible() {
        return Err(not_found());
    }
    Ok((order, view))
}

/// [`visible`], after closing the order if it sat completed and unrated past
/// `demand.auto_close_s` (any request touching an order does that first): the order as it is
/// now, and how `p` stands to it.
pub fn touch(db: &Db, p: &Principal, id: i64, now: i64) -> Result<(Order, View), ApiError> {
    let (_, view) = visible(db, p, id)?;
    let rules = crate::settings::Rules::load(db)?;
    crate::auto_close::sweep(db, &rules, now, crate::auto_close::Among::Order(id))?;
    Ok((Order::reload(db, id)?, view))
}
