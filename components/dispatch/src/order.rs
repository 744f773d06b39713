//! An order as dispatch reads it (with its owning org and menu item), and the order JSON of the
//! contract, with `contact_phone` masked unless the caller dispatches it.

use demand_flow::order::Phone;
pub use demand_flow::order::{Order, SELECT};
use demand_flow::Status;
use kit::time::opt_rfc3339;
use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

/// The states in which an order is still waiting to be accepted, so its deadline matters.
pub const AWAITING: [Status; 3] = [Status::Submitted, Status::Dispatched, Status::Open];

/// `'submitted', 'dispatched', 'open'` for SQL, kept next to [`AWAITING`] so they cannot drift.
pub const AWAITING_SQL: &str = "'submitted', 'dispatched', 'open'";

/// What `dispatch` adds to the shared [`Order`]: overdue-ness and its JSON.
pub trait OrderExt: Sized {
    /// Like [`Order::load`], for a row that must exist (read again inside a transaction after
    /// it was found outside).
    fn reload(db: &Db, id: i64) -> Result<Self, ApiError>;
    /// Still waiting to be accepted and past its deadline.
    fn overdue(&self, now: i64) -> bool;
    /// The order JSON of the contract, plus `org_name`, `overdue` and `escalated_at`.
    /// `unmasked`: the caller dispatches it (or is the citizen); everyone else sees the contact
    /// phone masked.
    fn json(&self, unmasked: bool, now: i64) -> Json;
    /// The masked JSON for the audit log (personal data never goes there whole).
    fn audit_json(&self, now: i64) -> Json {
        self.json(false, now)
    }
}

impl OrderExt for Order {
    fn reload(db: &Db, id: i64) -> Result<Order, ApiError> {
        Order::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such order".into()))
    }

    fn overdue(&self, now: i64) -> bool {
        AWAITING.contains(&self.status) && now >= self.deadline_at
    }

    fn json(&self, unmasked: bool, now: i64) -> Json {
        self.contract_json_with(
            Phone::whole_if(unmasked),
            [
                ("org_name", json!(self.org_name)),
                ("overdue", json!(self.overdue(now))),
                ("escalated_at", opt_rfc3339(self.escalated_at)),
            ],
        )
    }
}

/// The ids of the orgs on a materialised path, root first: `/1/4/17/` → `[1, 4, 17]`.
pub fn path_ids(path: &str) -> Vec<i64> {
    domain::OrgPath::parse(path).map(|p| p.ids()).unwrap_or_default()
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
    match (domain::OrgPath::parse(path), domain::OrgPath::parse(root)) {
        (Ok(path), Ok(root)) => root.contains(&path),
        _ => false,
    }
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
