//! Hours earned by serving an order (接单 → 完成 → 志愿服务时长): the volunteers and minutes a
//! completion report (结项报告) gives, checked, and credited to `wenming:ledger/ledger`.
//!
//! The report names who served and for how long, in one of two shapes:
//!
//! - `"volunteers": [{"volunteer_id", "minutes"}, ...]` — each volunteer's own minutes;
//! - `"volunteer_ids": [...]` with `"minutes"` — every listed volunteer served that long (the
//!   shape the contract had before minutes reached the ledger; it still works unchanged).
//!
//! Rules, each a 422 naming the field the volunteers came in:
//!
//! - every volunteer is **assigned to the order** (`POST .../assign`) and still an approved,
//!   active member of the order's team — the assignment is the team's own record of who went,
//!   made before the service; completion cannot credit someone nobody assigned;
//! - minutes are positive whole minutes, at most [`MAX_MINUTES`] (a day) per volunteer per
//!   order. The order's clock time cannot be the cap: leaders often tap 开始 and 完成 together
//!   after the visit, so the span between the two says nothing about the service. A day bounds a
//!   mistyped value (a week typed as minutes) while covering any one visit; longer care is
//!   several orders, or an activity with check-in;
//! - nobody credits their own hours (403), as with attendances: a leader who served too is
//!   credited by reporting others only, or by a staff correction.
//!
//! Crediting happens inside the completion's transaction, on its connection: the ledger's
//! `credit-service` posts the minutes and the points they earn at the order's service category
//! (the menu item's category, the same coefficient table activities use). Source `order`,
//! source id the completion's timeline entry (`demand_events.id`, which names the order), key
//! `order:<order id>:volunteer:<volunteer id>`. So a volunteer is credited once per order: a
//! retried completion posts nothing, and when a reopened order is completed again only
//! volunteers not credited before are posted (a changed amount for one already credited is a
//! ledger correction by staff, never a second credit).

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::input::{DispatchFields, Fields};
use crate::order::Order;
use kit::identity::Principal;
use kit::ledger::{self, Source};

/// Most minutes one volunteer is credited for one order: a day.
pub const MAX_MINUTES: i64 = 24 * 60;

/// Most volunteers on one order.
pub const MAX_VOLUNTEERS: usize = 50;

/// One volunteer's service on an order, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub volunteer_id: i64,
    pub minutes: i64,
}

/// Who served and how long, with the body field they came in (the 422s name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub field: &'static str,
    pub served: Vec<Served>,
}

/// A reported volunteer, checked: assigned to the order, with their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub volunteer_id: i64,
    pub volunteer_no: String,
    pub minutes: i64,
}

impl Report {
    /// The report's volunteers from the body: `volunteers`, or `volunteer_ids` with `minutes`.
    pub fn from_fields(f: &mut Fields) -> Result<Report, ApiError> {
        if f.present("volunteers") {
            if let Some(other) = ["volunteer_ids", "minutes"].into_iter().find(|n| f.has(n)) {
                return Err(ApiError::invalid(
                    other,
                    "send either `volunteers` (each with minutes) or `volunteer_ids` with `minutes`, not both",
                ));
            }
            let list = f.take("volunteers").unwrap_or(Json::Null);
            return Ok(Report { field: "volunteers", served: parse_list(&list)? });
        }
        let ids = f.ids("volunteer_ids", MAX_VOLUNTEERS)?;
        let minutes = f.int("minutes", 1..=MAX_MINUTES)?;
        Ok(Report {
            field: "volunteer_ids",
            served: ids.into_iter().map(|volunteer_id| Served { volunteer_id, minutes }).collect(),
        })
    }

    /// Inside the transaction: every reported volunteer is assigned to `order_id` and an
    /// approved, active member of `team_id`, and none is `p`. In the report's order.
    pub fn check(&self, db: &Db, p: &Principal, order_id: i64, team_id: i64) -> Result<Vec<Checked>, ApiError> {
        let marks = vec!["?"; self.served.len()].join(", ");
        let mut params = vec![Value::Integer(team_id), Value::Integer(order_id)];
        params.extend(self.served.iter().map(|s| Value::Integer(s.volunteer_id)));
        let found = db
            .query(
                &format!(
                    "SELECT v.id, v.volunteer_no, v.account_id
                       FROM demand_assignees a
                       JOIN volunteers v ON v.id = a.volunteer_id
                       JOIN team_members m ON m.volunteer_id = v.id AND m.team_id = ? AND m.status = 'approved'
                      WHERE a.demand_id = ? AND v.status = 'active' AND v.id IN ({marks})"
                ),
                &params,
            )?
            .iter()
            .map(|r| Ok((r.i64("id")?, r.str("volunteer_no")?, r.i64("account_id")?)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        let mut checked = Vec::with_capacity(self.served.len());
        for s in &self.served {
            let Some((_, no, account)) = found.iter().find(|(id, _, _)| *id == s.volunteer_id) else {
                return Err(ApiError::invalid(
                    self.field,
                    format!(
                        "volunteer {} is not assigned to this order as an approved, active member of its team; assign them first",
                        s.volunteer_id
                    ),
                ));
            };
            if *account == p.account_id {
                return Err(ApiError::Forbidden("no one may report their own service minutes".into()));
            }
            checked.push(Checked { volunteer_id: s.volunteer_id, volunteer_no: no.clone(), minutes: s.minutes });
        }
        Ok(checked)
    }
}

/// The stored completion report (结项报告). `volunteer_ids`, `volunteer_nos` and `minutes` keep
/// the shape orders were stored in before; `minutes` is the longest anyone served (with the
/// one-`minutes` request shape, exactly what was sent); `volunteers` has each one's minutes.
pub fn report_json(summary: &str, checked: &[Checked]) -> Json {
    json!({
        "summary": summary,
        "volunteer_ids": checked.iter().map(|c| c.volunteer_id).collect::<Vec<_>>(),
        "volunteer_nos": checked.iter().map(|c| c.volunteer_no.as_str()).collect::<Vec<_>>(),
        "minutes": checked.iter().map(|c| c.minutes).max().unwrap_or_default(),
        "volunteers": checked
            .iter()
            .map(|c| json!({ "volunteer_id": c.volunteer_id, "volunteer_no": c.volunteer_no, "minutes": c.minutes }))
            .collect::<Vec<_>>(),
    })
}

/// The ledger key of `volunteer_id`'s service on `order_id`: one credit per volunteer per order.
pub fn key(order_id: i64, volunteer_id: i64) -> String {
    format!("order:{order_id}:volunteer:{volunteer_id}")
}

/// Inside the completion's transaction, on its connection: credits each volunteer's minutes
/// (and the points they earn at the order's category) from timeline entry `event_id`, by `actor`.
pub fn credit(db: &Db, order: &Order, checked: &[Checked], event_id: i64, actor: i64) -> Result<(), ApiError> {
    for c in checked {
        let key = key(order.id, c.volunteer_id);
        let (minutes, _points) = ledger::credit_service(
            db.connection(),
            c.volunteer_id,
            c.minutes,
            &order.item_category,
            Source::Order,
            event_id,
            actor,
            &key,
        )
        .map_err(kit::ledger_error)?;
        if minutes.source_id != event_id {
            // Credited by an earlier completion of this order (it was reopened since): the
            // ledger returned that entry and posted nothing. Logged so a changed amount can be
            // corrected on purpose.
            eprintln!(
                "order {}: volunteer {} was credited {} minutes by completion {}; {} reported now, nothing posted",
                order.id, c.volunteer_id, minutes.amount, minutes.source_id, c.minutes
            );
        }
    }
    Ok(())
}

/// The `volunteers` list: 1 to [`MAX_VOLUNTEERS`] objects `{"volunteer_id", "minutes"}`, each
/// volunteer once, minutes 1 to [`MAX_MINUTES`]. Errors name the entry (`volunteers[1].minutes`).
pub fn parse_list(list: &Json) -> Result<Vec<Served>, ApiError> {
    const FIELD: &str = "volunteers";
    let Json::Array(items) = list else {
        return Err(ApiError::invalid(FIELD, "must be a list of {\"volunteer_id\", \"minutes\"}"));
    };
    if items.is_empty() {
        return Err(ApiError::invalid(FIELD, "must name at least one volunteer"));
    }
    if items.len() > MAX_VOLUNTEERS {
        return Err(ApiError::invalid(FIELD, format!("may name at most {MAX_VOLUNTEERS}")));
    }
    let mut served: Vec<Served> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |name: &str| format!("{FIELD}[{i}].{name}");
        let Json::Object(map) = item else {
            return Err(ApiError::invalid(&format!("{FIELD}[{i}]"), "must be {\"volunteer_id\", \"minutes\"}"));
        };
        if let Some(unknown) = map.keys().find(|k| !matches!(k.as_str(), "volunteer_id" | "minutes")) {
            return Err(ApiError::invalid(&at(unknown), "unknown field; expected volunteer_id, minutes"));
        }
        let volunteer_id = map
            .get("volunteer_id")
            .and_then(kit::fields::positive)
            .ok_or_else(|| ApiError::invalid(&at("volunteer_id"), "must be a positive integer id"))?;
        let minutes =
            map.get("minutes").and_then(Json::as_i64).filter(|m| (1..=MAX_MINUTES).contains(m)).ok_or_else(|| {
                ApiError::invalid(&at("minutes"), format!("must be a whole number of minutes from 1 to {MAX_MINUTES}"))
            })?;
        if served.iter().any(|s| s.volunteer_id == volunteer_id) {
            return Err(ApiError::invalid(&at("volunteer_id"), format!("volunteer {volunteer_id} is listed twice")));
        }
        served.push(Served { volunteer_id, minutes });
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_volunteer_comes_with_their_own_minutes() {
        let list = json!([{"volunteer_id": 4, "minutes": 90}, {"minutes": 30, "volunteer_id": 7}]);
        assert_eq!(
            parse_list(&list).unwrap(),
            vec![Served { volunteer_id: 4, minutes: 90 }, Served { volunteer_id: 7, minutes: 30 }]
        );
    }

    #[test]
    fn a_bad_entry_is_named_by_its_place() {
        for (list, expected) in [
            (json!({}), "volunteers"),
            (json!([]), "volunteers"),
            (json!([5]), "volunteers[0]"),
            (json!([{"volunteer_id": 4, "minutes": 0}]), "volunteers[0].minutes"),
            (json!([{"volunteer_id": 4, "minutes": MAX_MINUTES + 1}]), "volunteers[0].minutes"),
            (json!([{"volunteer_id": 4, "minutes": 1.5}]), "volunteers[0].minutes"),
            (json!([{"volunteer_id": 4, "minutes": "60"}]), "volunteers[0].minutes"),
            (
                json!([{"volunteer_id": 4, "minutes": 60}, {"volunteer_id": 0, "minutes": 60}]),
                "volunteers[1].volunteer_id",
            ),
            (
                json!([{"volunteer_id": 4, "minutes": 60}, {"volunteer_id": 4, "minutes": 30}]),
                "volunteers[1].volunteer_id",
            ),
            (json!([{"volunteer_id": 4, "minutes": 60, "points": 9}]), "volunteers[0].points"),
        ] {
            assert_eq!(parse_list(&list).unwrap_err().field(), Some(expected), "{list}");
        }
        let many: Vec<Json> =
            (1..=MAX_VOLUNTEERS as i64 + 1).map(|i| json!({"volunteer_id": i, "minutes": 5})).collect();
        assert_eq!(parse_list(&Json::Array(many)).unwrap_err().field(), Some("volunteers"));
    }

    #[test]
    fn the_two_request_shapes_are_one_or_the_other() {
        let fields =
            |body: Json| Fields::from_value(body, &["summary", "volunteers", "volunteer_ids", "minutes"]).unwrap();
        let same = Report::from_fields(&mut fields(json!({"volunteer_ids": [3, 5, 3], "minutes": 120}))).unwrap();
        assert_eq!(same.field, "volunteer_ids");
        assert_eq!(
            same.served,
            vec![Served { volunteer_id: 3, minutes: 120 }, Served { volunteer_id: 5, minutes: 120 }]
        );
        let each =
            Report::from_fields(&mut fields(json!({"volunteers": [{"volunteer_id": 3, "minutes": 45}]}))).unwrap();
        assert_eq!((each.field, each.served), ("volunteers", vec![Served { volunteer_id: 3, minutes: 45 }]));
        let both = json!({"volunteers": [{"volunteer_id": 3, "minutes": 45}], "minutes": 45});
        assert_eq!(Report::from_fields(&mut fields(both)).unwrap_err().field(), Some("minutes"));
        let too_long = json!({"volunteer_ids": [3], "minutes": MAX_MINUTES + 1});
        assert_eq!(Report::from_fields(&mut fields(too_long)).unwrap_err().field(), Some("minutes"));
        assert_eq!(Report::from_fields(&mut fields(json!({"minutes": 5}))).unwrap_err().field(), Some("volunteer_ids"));
    }

    #[test]
    fn the_stored_report_keeps_its_old_fields_and_adds_each_volunteer() {
        let checked = [
            Checked { volunteer_id: 3, volunteer_no: "V3".into(), minutes: 45 },
            Checked { volunteer_id: 5, volunteer_no: "V5".into(), minutes: 120 },
        ];
        let r = report_json("打扫", &checked);
        assert_eq!(r["volunteer_ids"], json!([3, 5]));
        assert_eq!(r["volunteer_nos"], json!(["V3", "V5"]));
        assert_eq!(r["minutes"], 120);
        assert_eq!(r["volunteers"][0], json!({"volunteer_id": 3, "volunteer_no": "V3", "minutes": 45}));
    }

    #[test]
    fn one_key_per_volunteer_per_order() {
        assert_eq!(key(12, 7), "order:12:volunteer:7");
        assert_ne!(key(12, 7), key(1, 27));
    }
}
