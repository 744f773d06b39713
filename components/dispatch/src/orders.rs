//! `GET /api/v1/dispatch/orders?under=&from=&to=&stage=&limit=&cursor=` (dispatch-orders): the
//! orders *placed* in a period of whole days (Asia/Shanghai, both ends included) in the caller's
//! scope that reached a stage of the 四单 — the rows behind each number of the statistics' funnel
//! (`docs/dashboard-api.md`), counted the same way: an order is in a stage once it has ever
//! reached it, however often it was declined and re-dispatched since. Newest first by id.

use domain::Date;
use kit::identity::Principal;
use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input;
use crate::order::{self, Order, OrderExt as _};

/// The funnel's stages, in order.
pub const STAGES: [&str; 6] = ["ordered", "dispatched", "accepted", "completed", "rated", "satisfied"];

/// The longest period, as the statistics allow (five years).
const MAX_DAYS: i64 = 1830;

/// What an order must have done to be in `stage` (SQL over `d`, the order).
fn stage_condition(stage: &str) -> &'static str {
    match stage {
        "dispatched" => {
            " AND EXISTS (SELECT 1 FROM demand_events e WHERE e.demand_id = d.id AND e.to_status IN ('dispatched', 'open'))"
        }
        "accepted" => " AND EXISTS (SELECT 1 FROM demand_events e WHERE e.demand_id = d.id AND e.to_status = 'accepted')",
        "completed" => {
            " AND EXISTS (SELECT 1 FROM demand_events e WHERE e.demand_id = d.id AND e.to_status = 'completed')"
        }
        "rated" => " AND d.rating IS NOT NULL",
        "satisfied" => " AND d.rating IN ('very_satisfied', 'satisfied')",
        _ => "",
    }
}

/// A required whole day `YYYY-MM-DD`, 422 naming `name` otherwise.
fn day(req: &Request, name: &str) -> Result<Date, ApiError> {
    let text = kit::query_filter(req, name).ok_or_else(|| ApiError::invalid(name, format!("{name} is required")))?;
    Date::parse(&text).map_err(|_| ApiError::invalid(name, format!("{name} must be a date YYYY-MM-DD")))
}

pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let under = input::query_id(req, "under")?;
    let stage = input::query_choice(req, "stage", &STAGES)?.unwrap_or("ordered");
    let (from, to) = (day(req, "from")?, day(req, "to")?);
    let (start, end) =
        (from.start(), to.add_days(1).ok_or_else(|| ApiError::invalid("to", "to is out of range"))?.start());
    if end <= start {
        return Err(ApiError::invalid("to", "to must not be before from"));
    }
    if (end - start) / 86_400 > MAX_DAYS {
        return Err(ApiError::invalid("from", format!("the period is at most {MAX_DAYS} days")));
    }

    let now = kit::request_now(req);
    let db = Db::open()?;
    let scope = crate::queue::dispatch_scope(&db, p, under)?;
    let mut params = Vec::new();
    // `+o.path` keeps SQLite from driving the query by the orgs' path index, which for a centre
    // gathers every order of the county and sorts them all; walking orders newest first and
    // stopping at the page's end costs at most one pass over `demands` (BENCHMARKS.md).
    let scoped = scope.condition("+o.path", &mut params);
    let mut sql = format!("{} WHERE {scoped} AND d.created_at >= ? AND d.created_at < ?", order::SELECT);
    params.extend([Value::Integer(start), Value::Integer(end)]);
    sql.push_str(stage_condition(stage));
    if page.after > 0 {
        sql.push_str(" AND d.id < ?");
        params.push(Value::Integer(page.after));
    }
    sql.push_str(" ORDER BY d.id DESC LIMIT ?");
    params.push(Value::Integer(page.limit));

    let orders = db.query(&sql, &params)?.iter().map(Order::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = orders.last().map(|o| o.id);
    // Everything listed is in the caller's dispatch scope, so contact phones are shown whole.
    let items = orders.iter().map(|o| o.json(true, now)).collect();
    Ok(kit::json(200, &page.envelope(items, last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_but_the_first_narrows_the_orders() {
        assert_eq!(stage_condition("ordered"), "");
        for stage in &STAGES[1..] {
            assert!(stage_condition(stage).starts_with(" AND "), "{stage}");
        }
    }
}
