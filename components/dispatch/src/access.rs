//! Who is calling, and how they relate to an order — all permission questions go to
//! `wenming:platform/identity` (the table lives there, never here); team leadership is the one
//! exception the contract names, checked against `teams.leader_account_id`.
//!
//! The rule for an order addressed by URL: one the caller cannot see at all is **404** (that it
//! exists is not revealed), unless the caller's roles never allow the action anywhere (**403**);
//! one the caller can see but may not act on this way is **403**. Identity calls are made before
//! a transaction opens, never inside one.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::order::Order;
use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();

/// Whether `p`'s roles allow `action` anywhere at all.
pub fn allowed_anywhere(p: &Principal, action: Action) -> bool {
    !identity::scopes(p, action).is_empty()
}

/// 403 for an action `p`'s roles allow nowhere.
pub fn never(action: Action) -> ApiError {
    ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action)))
}

/// `p`'s scopes for `action` as disjoint half-open path ranges (nested scopes collapse into the
/// outer one, so an order is never listed twice); empty when the roles allow `action` nowhere.
pub fn scope_ranges(p: &Principal, action: Action) -> Vec<(String, String)> {
    ranges(&identity::scopes(p, action))
}

/// Scopes (materialised paths) → disjoint half-open path ranges.
pub fn ranges(scopes: &[String]) -> Vec<(String, String)> {
    let mut paths: Vec<String> = scopes.iter().map(|s| format!("{}/", s.trim_end_matches('/'))).collect();
    paths.sort();
    paths.dedup();
    let mut outer: Vec<String> = Vec::new();
    for p in paths {
        if !outer.iter().any(|o| p.starts_with(o.as_str())) {
            outer.push(p);
        }
    }
    outer.iter().map(|p| kit::subtree_bounds(p)).collect()
}

/// `((col >= ? AND col < ?) OR ...)` for `ranges`, pushing the bounds onto `params` (`(0)` when
/// there are none, which matches nothing).
pub fn range_sql(column: &str, ranges: &[(String, String)], params: &mut Vec<Value>) -> String {
    if ranges.is_empty() {
        return "(0)".into();
    }
    let parts: Vec<String> = ranges
        .iter()
        .map(|(lo, hi)| {
            params.push(Value::Text(lo.clone()));
            params.push(Value::Text(hi.clone()));
            format!("({column} >= ? AND {column} < ?)")
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

/// The ids of the teams `account_id` leads (active or not: a deactivated team's leader still
/// sees and finishes the work already accepted).
pub fn led_teams(db: &Db, account_id: i64) -> Result<Vec<i64>, ApiError> {
    db.query("SELECT id FROM teams WHERE leader_account_id = ? ORDER BY id", &[Value::Integer(account_id)])?
        .iter()
        .map(|r| r.i64("id"))
        .collect()
}

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
    /// Reads how `p` relates to `order` (identity calls: outside any transaction).
    pub fn of(db: &Db, p: &Principal, order: &Order) -> Result<Relation, ApiError> {
        let dispatcher = allowed(p, Action::DispatchOrders, &order.org_path)?;
        let led = led_teams(db, p.account_id)?;
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
        Work::Dispatch => Ok(allowed_anywhere(p, Action::DispatchOrders)),
        Work::Team => led_teams(db, p.account_id).map(|t| !t.is_empty()),
        Work::Department => Ok(allowed_anywhere(p, Action::HandleDepartmentItems)),
    };
    match anywhere {
        Err(e) => e,
        Ok(true) => ApiError::NotFound("no such order".into()),
        Ok(false) => match work {
            Work::Dispatch => never(Action::DispatchOrders),
            Work::Team => ApiError::Forbidden("you lead no team".into()),
            Work::Department => never(Action::HandleDepartmentItems),
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
        Some(r) => allowed(p, Action::HandleDepartmentItems, &r.str("path")?),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn nested_scopes_collapse() {
        assert_eq!(
            ranges(&s(&["/1/4/17/", "/1/4/", "/1/5"])),
            vec![("/1/4/".into(), "/1/40".into()), ("/1/5/".into(), "/1/50".into())]
        );
    }

    #[test]
    fn no_scope_matches_nothing() {
        let mut params = Vec::new();
        assert_eq!(range_sql("o.path", &[], &mut params), "(0)");
        assert!(params.is_empty());
    }
}
