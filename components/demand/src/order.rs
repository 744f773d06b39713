//! An order as this component reads it, the order JSON of the contract, and who may see it.
//!
//! Visibility (`GET /api/v1/demands/{id}` and everything addressed by an order id): the citizen
//! whose order it is; staff with `dispatch-orders` at the order's org (escalation goes to the
//! parent org, which is an ancestor, so the same subtree check covers it); the leader of the
//! assigned team (and, while it is open for grabbing, of each team asked to grab it); the
//! handlers of the department it was forwarded to. Anyone else gets 404 — in particular a citizen
//! can never tell another citizen's order from one that does not exist.

use demand_flow::Status;
use kit::{ApiError, Db, Row};
use serde_json::json;
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input::{opt_rfc3339, rfc3339};
use crate::wenming::platform::identity::{Action, Principal};

/// One order with what its views and transitions need from the org, the menu item and the
/// citizen's account.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    pub citizen_id: i64,
    pub citizen_phone: String,
    pub created_by: i64,
    pub menu_item_id: i64,
    pub item_category: String,
    pub item_name: String,
    /// The item's deadlines (normal, urgent, critical), for a reopened order's new deadline.
    pub item_deadlines: (i64, i64, i64),
    pub kind: String,
    pub org_id: i64,
    pub org_path: String,
    pub description: String,
    pub address: String,
    pub latitude_e6: Option<i64>,
    pub longitude_e6: Option<i64>,
    pub urgency: String,
    pub priority: i64,
    pub preferred_time: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub status: Status,
    pub deadline_at: i64,
    pub escalated_at: Option<i64>,
    pub escalated_to: Option<i64>,
    pub team_id: Option<i64>,
    pub department_id: Option<i64>,
    pub report: Option<String>,
    pub reply: Option<String>,
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub completed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The SELECT every read of an order shares.
pub const SELECT: &str = "SELECT d.id, d.citizen_id, c.phone AS citizen_phone, d.created_by, d.menu_item_id,
        m.category AS item_category, m.name AS item_name, m.deadline_normal_s, m.deadline_urgent_s,
        m.deadline_critical_s, d.kind, d.org_id, o.path AS org_path, d.description, d.address,
        d.latitude_e6, d.longitude_e6, d.urgency, d.priority, d.preferred_time, d.contact_name,
        d.contact_phone, d.status, d.deadline_at, d.escalated_at, d.escalated_to, d.team_id,
        d.department_id, d.report, d.reply, d.rating, d.rating_comment, d.completed_at,
        d.created_at, d.updated_at
    FROM demands d
    JOIN orgs o ON o.id = d.org_id
    JOIN service_menu_items m ON m.id = d.menu_item_id
    JOIN accounts c ON c.id = d.citizen_id";

impl Order {
    /// An order from a row of [`SELECT`].
    pub fn from_row(r: &Row) -> Result<Order, ApiError> {
        Ok(Order {
            id: r.i64("id")?,
            citizen_id: r.i64("citizen_id")?,
            citizen_phone: r.str("citizen_phone")?,
            created_by: r.i64("created_by")?,
            menu_item_id: r.i64("menu_item_id")?,
            item_category: r.str("item_category")?,
            item_name: r.str("item_name")?,
            item_deadlines: (r.i64("deadline_normal_s")?, r.i64("deadline_urgent_s")?, r.i64("deadline_critical_s")?),
            kind: r.str("kind")?,
            org_id: r.i64("org_id")?,
            org_path: r.str("org_path")?,
            description: r.str("description")?,
            address: r.str("address")?,
            latitude_e6: r.opt_i64("latitude_e6")?,
            longitude_e6: r.opt_i64("longitude_e6")?,
            urgency: r.str("urgency")?,
            priority: r.i64("priority")?,
            preferred_time: r.str("preferred_time")?,
            contact_name: r.str("contact_name")?,
            contact_phone: r.str("contact_phone")?,
            status: Status::parse(&r.str("status")?)?,
            deadline_at: r.i64("deadline_at")?,
            escalated_at: r.opt_i64("escalated_at")?,
            escalated_to: r.opt_i64("escalated_to")?,
            team_id: r.opt_i64("team_id")?,
            department_id: r.opt_i64("department_id")?,
            report: r.opt_str("report")?,
            reply: r.opt_str("reply")?,
            rating: r.opt_str("rating")?,
            rating_comment: r.opt_str("rating_comment")?,
            completed_at: r.opt_i64("completed_at")?,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
        })
    }

    /// The order with `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Order>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE d.id = ?"), &[Value::Integer(id)])?.map(|r| Order::from_row(&r)).transpose()
    }

    /// The order with `id`, which must exist (it was just written or read in this transaction).
    pub fn reload(db: &Db, id: i64) -> Result<Order, ApiError> {
        Order::by_id(db, id)?.ok_or_else(|| ApiError::Internal(format!("order {id} vanished")))
    }

    /// The order JSON of the contract. `unmasked`: the caller is the citizen or dispatches it;
    /// everyone else sees the contact phone masked.
    pub fn json(&self, unmasked: bool) -> serde_json::Value {
        let degrees = |e6: Option<i64>| e6.map(|v| v as f64 / 1_000_000.0);
        // The report is stored as a JSON object (结项报告); shown as one, or as the raw text if
        // something else ever wrote it.
        let report = self.report.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| json!(t)));
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "kind": self.kind,
            "menu_item": { "id": self.menu_item_id, "category": self.item_category, "name": self.item_name },
            "org_id": self.org_id,
            "citizen_id": self.citizen_id,
            "description": self.description,
            "address": self.address,
            "latitude": degrees(self.latitude_e6),
            "longitude": degrees(self.longitude_e6),
            "urgency": self.urgency,
            "priority": self.priority,
            "preferred_time": self.preferred_time,
            "contact_name": self.contact_name,
            "contact_phone": if unmasked { self.contact_phone.clone() } else { kit::mask_phone(&self.contact_phone) },
            "deadline_at": rfc3339(self.deadline_at),
            "escalated": self.escalated_at.is_some(),
            "escalated_to": self.escalated_to,
            "team_id": self.team_id,
            "department_id": self.department_id,
            "report": report,
            "reply": self.reply,
            "rating": self.rating,
            "rating_comment": self.rating_comment,
            "completed_at": opt_rfc3339(self.completed_at),
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// What an audit row may show: ids, the state, and the contact phone masked.
    pub fn audit_json(&self) -> serde_json::Value {
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

    /// The item's deadline (seconds to be accepted) for this order's urgency.
    pub fn deadline_s(&self) -> i64 {
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
        let team_leader = match order.team_id {
            Some(team) => db
                .query_one("SELECT 1 AS x FROM teams WHERE id = ? AND leader_account_id = ?", &[Value::Integer(team), me.clone()])?
                .is_some(),
            None => false,
        } || (order.status == Status::Open
            && db
                .query_one(
                    "SELECT 1 AS x FROM demand_grab_teams g JOIN teams t ON t.id = g.team_id
                     WHERE g.demand_id = ? AND t.leader_account_id = ?",
                    &[Value::Integer(order.id), me.clone()],
                )?
                .is_some());
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
            dispatcher: access::allowed(p, Action::DispatchOrders, &order.org_path)?,
            team_leader,
            handler,
        })
    }
}

/// The order `id` and how `p` stands to it; 404 when it does not exist or `p` may not see it
/// (the same answer, so ids cannot be probed).
pub fn visible(db: &Db, p: &Principal, id: i64) -> Result<(Order, View), ApiError> {
    let not_found = || ApiError::NotFound("no such order".into());
    let order = Order::by_id(db, id)?.ok_or_else(not_found)?;
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
