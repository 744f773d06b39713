//! A demand order as both `demand` and `dispatch` read it, and the order JSON of the contract
//! (docs/demand-api.md, "Order JSON"). Who may see an order, and what else each component adds
//! to the JSON, stay in the components.

use kit::time::rfc3339;
use kit::{ApiError, Db, Row};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::Status;

/// One order with what either component needs from its org, its menu item and the citizen's
/// account.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    pub citizen_id: i64,
    pub citizen_phone: String,
    pub created_by: i64,
    pub menu_item_id: i64,
    pub item_category: String,
    pub item_name: String,
    /// The centre whose menu the item is on.
    pub item_centre_id: i64,
    /// The item's deadlines (normal, urgent, critical), for a reopened order's new deadline.
    pub item_deadlines: (i64, i64, i64),
    pub kind: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub org_level: String,
    pub org_parent_id: Option<i64>,
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

/// The SELECT every read of an order shares; add a `WHERE` (and `ORDER BY`) after it.
pub const SELECT: &str = "SELECT d.id, d.citizen_id, c.phone AS citizen_phone, d.created_by, d.menu_item_id,
        m.category AS item_category, m.name AS item_name, m.centre_org_id AS item_centre_id,
        m.deadline_normal_s, m.deadline_urgent_s, m.deadline_critical_s,
        d.kind, d.org_id, o.path AS org_path, o.name AS org_name, o.level AS org_level, o.parent_id AS org_parent_id,
        d.description, d.address, d.latitude_e6, d.longitude_e6, d.urgency, d.priority, d.preferred_time,
        d.contact_name, d.contact_phone, d.status, d.deadline_at, d.escalated_at, d.escalated_to, d.team_id,
        d.department_id, d.report, d.reply, d.rating, d.rating_comment, d.completed_at,
        d.created_at, d.updated_at
    FROM demands d
    JOIN orgs o ON o.id = d.org_id
    JOIN service_menu_items m ON m.id = d.menu_item_id
    JOIN accounts c ON c.id = d.citizen_id";

/// Whether the contact phone is shown whole or masked (`138****5678`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phone {
    /// To the citizen whose order it is and to those who dispatch it.
    Whole,
    /// To everyone else, and in the audit log.
    Masked,
}

impl Phone {
    /// [`Phone::Whole`] when `unmasked`, else [`Phone::Masked`].
    pub fn whole_if(unmasked: bool) -> Phone {
        if unmasked {
            Phone::Whole
        } else {
            Phone::Masked
        }
    }
}

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
            item_centre_id: r.i64("item_centre_id")?,
            item_deadlines: (r.i64("deadline_normal_s")?, r.i64("deadline_urgent_s")?, r.i64("deadline_critical_s")?),
            kind: r.str("kind")?,
            org_id: r.i64("org_id")?,
            org_path: r.str("org_path")?,
            org_name: r.str("org_name")?,
            org_level: r.str("org_level")?,
            org_parent_id: r.opt_i64("org_parent_id")?,
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
    pub fn load(db: &Db, id: i64) -> Result<Option<Order>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE d.id = ?"), &[Value::Integer(id)])?
            .map(|r| Order::from_row(&r))
            .transpose()
    }

    /// The order JSON of the contract, with the contact phone shown as `phone` says. Components
    /// add their own fields to the object.
    pub fn contract_json(&self, phone: Phone) -> Json {
        let degrees = |e6: Option<i64>| e6.map(|v| v as f64 / 1_000_000.0);
        // The report is stored as a JSON object (结项报告); shown as one, or as the raw text if
        // something else ever wrote it, rather than failing the whole list.
        let report = self.report.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| json!(t)));
        let contact_phone = match phone {
            Phone::Whole => self.contact_phone.clone(),
            Phone::Masked => kit::mask_phone(&self.contact_phone),
        };
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "kind": self.kind,
            "menu_item": { "id": self.menu_item_id, "category": self.item_category, "name": self.item_name },
            "org_id": self.org_id,
            "description": self.description,
            "address": self.address,
            "latitude": degrees(self.latitude_e6),
            "longitude": degrees(self.longitude_e6),
            "urgency": self.urgency,
            "priority": self.priority,
            "preferred_time": self.preferred_time,
            "contact_name": self.contact_name,
            "contact_phone": contact_phone,
            "deadline_at": rfc3339(self.deadline_at),
            "escalated": self.escalated_at.is_some(),
            "escalated_to": self.escalated_to,
            "team_id": self.team_id,
            "department_id": self.department_id,
            "report": report,
            "reply": self.reply,
            "rating": self.rating,
            "rating_comment": self.rating_comment,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// [`Order::contract_json`] with `extra` fields added (each component's own: `citizen_id`,
    /// `overdue`, ...).
    pub fn contract_json_with(&self, phone: Phone, extra: impl IntoIterator<Item = (&'static str, Json)>) -> Json {
        let mut out = self.contract_json(phone);
        if let Json::Object(map) = &mut out {
            for (k, v) in extra {
                map.insert(k.to_string(), v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order {
            id: 7,
            citizen_id: 3,
            citizen_phone: "13900000000".into(),
            created_by: 3,
            menu_item_id: 2,
            item_category: "助老".into(),
            item_name: "代购".into(),
            item_centre_id: 1,
            item_deadlines: (3600, 1800, 600),
            kind: "welfare".into(),
            org_id: 4,
            org_path: "/1/4/".into(),
            org_name: "Station".into(),
            org_level: "station".into(),
            org_parent_id: Some(1),
            description: "groceries".into(),
            address: "1 Road".into(),
            latitude_e6: Some(30_250_000),
            longitude_e6: None,
            urgency: "normal".into(),
            priority: 1,
            preferred_time: String::new(),
            contact_name: "Li".into(),
            contact_phone: "13812345678".into(),
            status: Status::Submitted,
            deadline_at: 0,
            escalated_at: None,
            escalated_to: None,
            team_id: None,
            department_id: None,
            report: Some("not json".into()),
            reply: None,
            rating: None,
            rating_comment: None,
            completed_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_contact_phone_is_masked_unless_asked_whole() {
        assert_eq!(order().contract_json(Phone::Whole)["contact_phone"], "13812345678");
        assert_eq!(order().contract_json(Phone::Masked)["contact_phone"], "138****5678");
        assert_eq!(Phone::whole_if(true), Phone::Whole);
        assert_eq!(Phone::whole_if(false), Phone::Masked);
    }

    #[test]
    fn the_json_is_the_contract() {
        let j = order().contract_json(Phone::Masked);
        assert_eq!(j["status"], "submitted");
        assert_eq!(j["menu_item"], json!({"id": 2, "category": "助老", "name": "代购"}));
        assert_eq!(j["latitude"], 30.25);
        assert_eq!(j["longitude"], Json::Null);
        assert_eq!(j["deadline_at"], "1970-01-01T08:00:00+08:00");
        assert_eq!(j["escalated"], false);
        assert_eq!(j["report"], "not json", "a report that is not JSON is shown as text");
        assert!(j.get("citizen_id").is_none() && j.get("overdue").is_none());
        let mut o = order();
        o.report = Some(r#"{"summary":"done"}"#.into());
        assert_eq!(o.contract_json(Phone::Masked)["report"]["summary"], "done");
        let extra = o.contract_json_with(Phone::Whole, [("citizen_id", json!(3))]);
        assert_eq!(extra["citizen_id"], 3);
    }
}
