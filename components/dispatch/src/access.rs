//! How a caller relates to an order — all permission questions go to
//! `wenming:identity/identity` through `kit` (the table lives there, never here); team
//! leadership is the one exception the contract names, decided by `kit::leads_team`.
//!
//! The rule for an order addressed by URL: one the caller cannot see at all is **404** (that it
//! exists is not revealed), unless the caller's roles never allow the action anywhere (**403**);
//! one the caller can see but may not act on this way is **403**. Identity works on the request's
//! own connection, so it may be asked inside a transaction too.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::order::Order;
use kit::identity::{Action, Principal};

/// The three kinds of work on an order, each with its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Staff routing (dispatch-orders at the order's org).
    Dispatch,
    /// The team's side (the leader of the order's team, or of a team it is open to).
    Team,
    /// A department's side (handle-department-items, and a handler of the order's department).
    Department,
}

/// How the caller relates to one order.
#[derive(Debug, Clone, Default)]
pub struct Relation {
    /// Holds dispatch-orders at the order's org (or above it).
    pub dispatcher: bool,
    /// The caller leads the order's team.
    pub leads_team: bool,
    /// The teams the caller leads that may grab the order while it is open.
    pub grab_teams: Vec<i64>,
    /// The caller handles the department the order was forwarded to.
    pub handler: bool,
}

impl Relation {
    /// Reads how `p` relates to `order` (identity works on the request's connection, so this may
    /// run inside a transaction too).
    pub fn of(db: &Db, p: &Principal, order: &Order) -> Result<Relation, ApiError> {
        let dispatcher = kit::allowed(p, Action::DispatchOrders, &order.org_path)?;
        let led = kit::led_teams(db, p.account_id)?;
        let leads_team = order.team_id.is_some_and(|t| led.contains(&t));
        let grab_teams = if led.is_empty() {
            Vec::new()
        } else {
            db.query(
                "SELECT team_id FROM demand_grab_teams WHERE demand_id = ? ORDER BY team_id",
                &[Value::Integer(order.id)],
            )?
            .iter()
            .map(|r| r.i64("team_id"))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|t| led.contains(t))
            .collect()
        };
        let handler = match order.department_id {
            None => false,
            Some(dept) => handles(db, p, dept)?,
        };
        Ok(Relation { dispatcher, leads_team, grab_teams, handler })
    }

    /// Whether the caller may see the order at all. A team listed for grabbing sees it only
    /// while it is open; once another team wins, it is none of theirs.
    pub fn visible(&self, order: &Order) -> bool {
        self.dispatcher
            || self.leads_team
            || (order.status == demand_flow::Status::Open && !self.grab_teams.is_empty())
            || self.handler
    }

    /// `Ok` when the caller may do `work` on `order`, else the refusal the module doc describes.
    pub fn require(&self, p: &Principal, db: &Db, order: &Order, work: Work) -> Result<(), ApiError> {
        let permitted = match work {
            Work::Dispatch => self.dispatcher,
            // A team listed for grabbing keeps the right to *try* after the order left `open`,
            // so a grab that lost the race is told 409 `wrong_state`, not 404.
            Work::Team => self.leads_team || !self.grab_teams.is_empty(),
            Work::Department => self.handler,
        };
        if permitted {
            return Ok(());
        }
        if self.visible(order) {
            return Err(ApiError::Forbidden(match work {
                Work::Dispatch => "only staff with dispatch-orders here may route this order".into(),
                Work::Team => "only the leader of the order's team may do this".into(),
                Work::Department => "only a handler of the order's department may do this".into(),
            }));
        }
        Err(unseen(db, p, work))
    }
}

/// The refusal for an order `p` cannot see (or that does not exist — the two look the same):
/// 404, or 403 when `p`'s roles allow `work` nowhere.
pub fn unseen(db: &Db, p: &Principal, work: Work) -> ApiError {
    let anywhere = match work {
        Work::Dispatch => Ok(kit::anywhere(p, Action::DispatchOrders)),
        Work::Team => kit::led_teams(db, p.account_id).map(|t| !t.is_empty()),
        Work::Department => Ok(kit::anywhere(p, Action::HandleDepartmentItems)),
    };
    match anywhere {
        Err(e) => e,
        Ok(true) => ApiError::NotFound("no such order".into()),
        Ok(false) => match work {
            Work::Dispatch => kit::nowhere(Action::DispatchOrders),
            Work::Team => ApiError::Forbidden("you lead no team".into()),
            Work::Department => kit::nowhere(Action::HandleDepartmentItems),
        },
    }
}

/// Whether `p` handles department `dept`: listed among its handlers *and* holding
/// handle-department-items at its org (a revoked role ends the access even if the row stays).
pub fn handles(db: &Db, p: &Principal, dept: i64) -> Result<bool, ApiError> {
    let row = db.query_one(
        "SELECT o.path FROM department_handlers h JOIN departments d ON d.id = h.department_id
         JOIN orgs o ON o.id = d.org_id WHERE h.department_id = ? AND h.account_id = ?",
        &[Value::Integer(dept), Value::Integer(p.account_id)],
    )?;
    match row {
        None => Ok(false),
        Some(r) => kit::allowed(p, Action::HandleDepartmentItems, &r.str("path")?),
    }
}

/// An order the caller may do `work` on: loads it (404 when missing), reads the caller's
/// relation, and refuses as the module doc says.
pub fn order_for(db: &Db, p: &Principal, id: i64, work: Work) -> Result<(Order, Relation), ApiError> {
    let Some(order) = Order::load(db, id)? else { return Err(unseen(db, p, work)) };
    let rel = Relation::of(db, p, &order)?;
    rel.require(p, db, &order, work)?;
    Ok((order, rel))
}
