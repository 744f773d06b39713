//! An order as dispatch reads it (with its owning org and menu item), and the order JSON of the
//! contract, with `contact_phone` masked unless the caller dispatches it.

use demand_flow::Status;
use kit::{ApiError, Db, Row};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::input;

/// The columns every order query selects, so [`Order::from_row`] reads them all.
pub const SELECT: &str = "SELECT d.id, d.citizen_id, d.menu_item_id, d.kind, d.org_id, d.description, d.address,
        d.latitude_e6, d.longitude_e6, d.urgency, d.priority, d.preferred_time, d.contact_name, d.contact_phone,
        d.status, d.deadline_at, d.escalated_at, d.escalated_to, d.team_id, d.department_id, d.report, d.reply,
        d.rating, d.rating_comment, d.created_at, d.updated_at,
        o.path AS org_path, o.name AS org_name, o.level AS org_level, o.parent_id AS org_parent_id,
        m.category AS item_category, m.name AS item_name, m.centre_org_id AS item_centre_id
    FROM demands d JOIN orgs o ON o.id = d.org_id JOIN service_menu_items m ON m.id = d.menu_item_id";

/// The states in which an order is still waiting to be accepted, so its deadline matters.
pub const AWAITING: [Status; 3] = [Status::Submitted, Status::Dispatched, Status::Open];

/// `'submitted', 'dispatched', 'open'` for SQL, kept next to [`AWAITING`] so they cannot drift.
pub const AWAITING_SQL: &str = "'submitted', 'dispatched', 'open'";

/// One order.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    pub citizen_id: i64,
    pub menu_item_id: i64,
    pub kind: String,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub org_level: String,
    pub org_parent_id: Option<i64>,
    pub item_category: String,
    pub item_name: String,
    pub item_centre_id: i64,
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
    pub created_at: i64,
    pub updated_at: i64,
}

impl Order {
    /// One row of [`SELECT`].
    pub fn from_row(r: &Row) -> Result<Order, ApiError> {
        Ok(Order {
            id: r.i64("id")?,
            citizen_id: r.i64("citizen_id")?,
            menu_item_id: r.i64("menu_item_id")?,
            kind: r.str("kind")?,
            org_id: r.i64("org_id")?,
            org_path: r.str("org_path")?,
            org_name: r.str("org_name")?,
            org_level: r.str("org_level")?,
            org_parent_id: r.opt_i64("org_parent_id")?,
            item_category: r.str("item_category")?,
            item_name: r.str("item_name")?,
            item_centre_id: r.i64("item_centre_id")?,
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
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
        })
    }

    /// The order with this id, if any.
    pub fn load(db: &Db, id: i64) -> Result<Option<Order>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE d.id = ?"), &[Value::Integer(id)])?.map(|r| Order::from_row(&r)).transpose()
    }

    /// Like [`Order::load`], for a row that must exist (read again inside a transaction after
    /// it was found outside).
    pub fn reload(db: &Db, id: i64) -> Result<Order, ApiError> {
        Order::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such order".into()))
    }

    /// Still waiting to be accepted and past its deadline.
    pub fn overdue(&self, now: i64) -> bool {
        AWAITING.contains(&self.status) && now >= self.deadline_at
    }

    /// The order JSON of the contract, plus `overdue`. `unmasked`: the caller dispatches it (or
    /// is the citizen); everyone else sees the contact phone masked.
    pub fn json(&self, unmasked: bool, now: i64) -> Json {
        let phone = if unmasked { self.contact_phone.clone() } else { kit::mask_phone(&self.contact_phone) };
        // The report is stored as JSON; a row written by hand that is not JSON is shown as text
        // rather than failing the whole list.
        let report =
            self.report.as_deref().map(|r| serde_json::from_str::<Json>(r).unwrap_or_else(|_| Json::String(r.to_string())));
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "kind": self.kind,
            "menu_item": { "id": self.menu_item_id, "category": self.item_category, "name": self.item_name },
            "org_id": self.org_id,
            "org_name": self.org_name,
            "description": self.description,
            "address": self.address,
            "latitude": self.latitude_e6.map(|v| v as f64 / 1e6),
            "longitude": self.longitude_e6.map(|v| v as f64 / 1e6),
            "urgency": self.urgency,
            "priority": self.priority,
            "preferred_time": self.preferred_time,
            "contact_name": self.contact_name,
            "contact_phone": phone,
            "deadline_at": input::rfc3339(self.deadline_at),
            "overdue": self.overdue(now),
            "escalated": self.escalated_at.is_some(),
            "escalated_at": input::opt_rfc3339(self.escalated_at),
            "escalated_to": self.escalated_to,
            "team_id": self.team_id,
            "department_id": self.department_id,
            "report": report,
            "reply": self.reply,
            "rating": self.rating,
            "rating_comment": self.rating_comment,
            "created_at": input::rfc3339(self.created_at),
            "updated_at": input::rfc3339(self.updated_at),
        })
    }

    /// The masked JSON for the audit log (personal data never goes there whole).
    pub fn audit_json(&self, now: i64) -> Json {
        self.json(false, now)
    }
}

/// The ids of the orgs on a materialised path, root first: `/1/4/17/` → `[1, 4, 17]`.
pub fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|s| s.parse().ok()).collect()
}

/// The owning org's ancestors by level (`centre`, `institute`, `station`), for tree distance and
/// "the order's centre". Read from the path in one query, never a walk up the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    /// (id, path) of the centre above (or at) the org.
    pub centre: Option<(i64, String)>,
    pub institute: Option<(i64, String)>,
    pub station: Option<(i64, String)>,
}

impl Lineage {
    /// The lineage of the org at `path`.
    pub fn of(db: &Db, path: &str) -> Result<Lineage, ApiError> {
        let ids = path_ids(path);
        if ids.is_empty() {
            return Ok(Lineage::default());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let params: Vec<Value> = ids.iter().map(|i| Value::Integer(*i)).collect();
        let rows = db.query(&format!("SELECT id, level, path FROM orgs WHERE id IN ({marks})"), &params)?;
        let mut lineage = Lineage::default();
        for r in rows {
            let entry = Some((r.i64("id")?, r.str("path")?));
            match r.str("level")?.as_str() {
                "centre" => lineage.centre = entry,
                "institute" => lineage.institute = entry,
                "station" => lineage.station = entry,
                _ => {}
            }
        }
        Ok(lineage)
    }
}

/// The path of the centre an order belongs to: the centre above its owning org, or — for an
/// org outside any centre (data entered by hand) — the centre of its menu item.
pub fn centre_path(db: &Db, order: &Order) -> Result<Option<String>, ApiError> {
    if let Some((_, path)) = Lineage::of(db, &order.org_path)?.centre {
        return Ok(Some(path));
    }
    db.query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(order.item_centre_id)])?
        .map(|r| r.str("path"))
        .transpose()
}

/// Whether `path` lies in the subtree at `root` (inclusive).
pub fn within(path: &str, root: &str) -> bool {
    let (lo, hi) = kit::subtree_bounds(root);
    path >= lo.as_str() && path < hi.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_orgs_root_first() {
        assert_eq!(path_ids("/1/4/17/"), vec![1, 4, 17]);
        assert!(path_ids("/").is_empty());
    }

    #[test]
    fn subtrees_are_prefix_ranges() {
        assert!(within("/1/4/17/", "/1/4/"));
        assert!(within("/1/4/", "/1/4/"));
        assert!(!within("/1/40/", "/1/4/"));
        assert!(!within("/1/", "/1/4/"));
    }
}
