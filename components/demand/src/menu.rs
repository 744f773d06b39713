//! The service menu (服务菜单) of a centre: what citizens may order, and how fast each urgency
//! must be accepted.
//!
//! - `GET /api/v1/service-menu?centre=<org id>` — anyone signed in: the active items grouped by
//!   category → `{"centre_org_id", "categories": [{"category", "items": [item...]}]}`. Without
//!   `centre`, the county's first active centre (as a citizen's sign-in does). With
//!   `include_inactive=true` (manage-service-menu at the centre) withdrawn items are listed too,
//!   so they can be brought back.
//! - `GET /api/v1/service-menu/{id}` — one item, active or not (orders keep pointing at it).
//! - `POST /api/v1/service-menu` `{"centre_org_id", "category", "name", "kind",
//!   "deadline_normal_s", "deadline_urgent_s", "deadline_critical_s"}` (manage-service-menu at
//!   the centre) → 201 item; `Idempotency-Key`; audited `service_menu.create`. Same category and
//!   name at the centre → 409 `name_taken`.
//! - `PATCH /api/v1/service-menu/{id}` `{"name"?, "deadline_*_s"?, "active"?}` → 200 item;
//!   audited `service_menu.update` with before and after.
//!
//! Deadlines are whole seconds from 1 to a year, and a more urgent order never gets longer:
//! `critical ≤ urgent ≤ normal` (422 on the field that breaks it). The kind is fixed at creation
//! because it decides where orders go (teams or departments) and orders already placed copied it.

use kit::{ApiError, Db, Row};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, rfc3339, Fields};
use kit::identity::{Action, Principal};

/// The kinds of service, and where their orders go.
pub const KINDS: [&str; 3] = ["welfare", "petition", "dispute"];
/// The longest deadline an item may set: a year.
const MAX_DEADLINE_S: i64 = 366 * 86_400;
const CATEGORY_CHARS: usize = 50;
const NAME_CHARS: usize = 100;

/// One menu item.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub centre_org_id: i64,
    pub centre_path: String,
    pub category: String,
    pub name: String,
    pub kind: String,
    pub deadline_normal_s: i64,
    pub deadline_urgent_s: i64,
    pub deadline_critical_s: i64,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT m.id, m.centre_org_id, o.path AS centre_path, m.category, m.name, m.kind,
        m.deadline_normal_s, m.deadline_urgent_s, m.deadline_critical_s, m.active, m.created_at, m.updated_at
    FROM service_menu_items m JOIN orgs o ON o.id = m.centre_org_id";

impl Item {
    fn from_row(r: &Row) -> Result<Item, ApiError> {
        Ok(Item {
            id: r.i64("id")?,
            centre_org_id: r.i64("centre_org_id")?,
            centre_path: r.str("centre_path")?,
            category: r.str("category")?,
            name: r.str("name")?,
            kind: r.str("kind")?,
            deadline_normal_s: r.i64("deadline_normal_s")?,
            deadline_urgent_s: r.i64("deadline_urgent_s")?,
            deadline_critical_s: r.i64("deadline_critical_s")?,
            active: r.i64("active")? == 1,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
        })
    }

    /// The item with `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Item>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE m.id = ?"), &[Value::Integer(id)])?
            .map(|r| Item::from_row(&r))
            .transpose()
    }

    /// The item's JSON.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "centre_org_id": self.centre_org_id,
            "category": self.category,
            "name": self.name,
            "kind": self.kind,
            "deadline_normal_s": self.deadline_normal_s,
            "deadline_urgent_s": self.deadline_urgent_s,
            "deadline_critical_s": self.deadline_critical_s,
            "active": self.active,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// The deadline for an urgency (`normal`, `urgent`, `critical`).
    pub fn deadline_s(&self, urgency: &str) -> i64 {
        match urgency {
            "critical" => self.deadline_critical_s,
            "urgent" => self.deadline_urgent_s,
            _ => self.deadline_normal_s,
        }
    }
}

/// `critical ≤ urgent ≤ normal`, else the field that breaks it.
pub fn check_deadlines(normal: i64, urgent: i64, critical: i64) -> Result<(), ApiError> {
    if urgent > normal {
        return Err(ApiError::invalid("deadline_urgent_s", "an urgent order must not get longer than a normal one"));
    }
    if critical > urgent {
        return Err(ApiError::invalid(
            "deadline_critical_s",
            "a critical order must not get longer than an urgent one",
        ));
    }
    Ok(())
}

/// The active centre with `id` (or the first active centre), as `(id, path)`.
fn centre(db: &Db, id: Option<i64>) -> Result<Option<(i64, String)>, ApiError> {
    let row = match id {
        Some(id) => db.query_one(
            "SELECT id, path FROM orgs WHERE id = ? AND level = 'centre' AND active = 1",
            &[Value::Integer(id)],
        )?,
        None => {
            db.query_one("SELECT id, path FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1", &[])?
        }
    };
    row.map(|r| Ok((r.i64("id")?, r.str("path")?))).transpose()
}

/// A UNIQUE failure → 409 `name_taken`; anything else unchanged.
fn name_conflict(e: ApiError) -> ApiError {
    match kit::unique_violation(&e) {
        Some(c) if c.starts_with("service_menu_items.") => {
            ApiError::conflict("name_taken", "this centre's menu already has an item with this category and name")
        }
        _ => e,
    }
}

/// `GET /api/v1/service-menu`.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let wanted = input::query_id(req, "centre")?;
    let include_inactive = input::query_bool(req, "include_inactive")?.unwrap_or(false);
    let db = Db::open()?;
    let (centre_id, centre_path) =
        centre(&db, wanted)?.ok_or_else(|| ApiError::NotFound("no such active centre".into()))?;
    if include_inactive {
        kit::gate(p, Action::ManageServiceMenu, &centre_path, "centre")?;
    }
    let rows = db.query(
        &format!("{SELECT} WHERE m.centre_org_id = ? AND (m.active = 1 OR ?) ORDER BY m.category, m.id"),
        &[Value::Integer(centre_id), Value::Integer(i64::from(include_inactive))],
    )?;
    let mut categories: Vec<serde_json::Value> = Vec::new();
    let mut current: Option<(String, Vec<serde_json::Value>)> = None;
    for r in &rows {
        let item = Item::from_row(r)?;
        match &mut current {
            Some((category, items)) if *category == item.category => items.push(item.json()),
            _ => {
                if let Some((category, items)) = current.take() {
                    categories.push(json!({ "category": category, "items": items }));
                }
                current = Some((item.category.clone(), vec![item.json()]));
            }
        }
    }
    if let Some((category, items)) = current {
        categories.push(json!({ "category": category, "items": items }));
    }
    Ok(kit::json(200, &json!({ "centre_org_id": centre_id, "categories": categories })))
}

/// `GET /api/v1/service-menu/{id}`.
pub fn get(id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let item = Item::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such service menu item".into()))?;
    Ok(kit::json(200, &item.json()))
}

/// `POST /api/v1/service-menu`.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(
        req,
        &["centre_org_id", "category", "name", "kind", "deadline_normal_s", "deadline_urgent_s", "deadline_critical_s"],
    )?;
    let centre_org_id = f.id("centre_org_id")?;
    let category = f.line("category", CATEGORY_CHARS)?;
    let name = f.line("name", NAME_CHARS)?;
    let kind = f.choice("kind", &KINDS)?;
    let normal = f.int("deadline_normal_s", 1..=MAX_DEADLINE_S)?;
    let urgent = f.int("deadline_urgent_s", 1..=MAX_DEADLINE_S)?;
    let critical = f.int("deadline_critical_s", 1..=MAX_DEADLINE_S)?;
    check_deadlines(normal, urgent, critical)?;
    let now = kit::request_now(req);

    let db = Db::open()?;
    let (centre_id, centre_path) = centre(&db, Some(centre_org_id))?
        .ok_or_else(|| ApiError::invalid("centre_org_id", "must be an active centre (the menu belongs to a centre)"))?;
    kit::gate(p, Action::ManageServiceMenu, &centre_path, "centre")?;

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let id = db
            .insert(
                "INSERT INTO service_menu_items (centre_org_id, category, name, kind, deadline_normal_s, deadline_urgent_s,
                     deadline_critical_s, active, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                &[
                    Value::Integer(centre_id),
                    Value::Text(category.clone()),
                    Value::Text(name.clone()),
                    Value::Text(kind.into()),
                    Value::Integer(normal),
                    Value::Integer(urgent),
                    Value::Integer(critical),
                    Value::Integer(now),
                    Value::Integer(now),
                ],
            )
            .map_err(name_conflict)?;
        let item = Item::by_id(db, id)?.ok_or_else(|| ApiError::Internal("the new item vanished".into()))?;
        let shown = item.json();
        kit::audit(
            db,
            p.account_id,
            "service_menu.create",
            "service_menu_item",
            Some(id),
            &centre_path,
            None,
            Some(&shown),
        )?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}

/// `PATCH /api/v1/service-menu/{id}`.
pub fn update(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(
        req,
        &["name", "deadline_normal_s", "deadline_urgent_s", "deadline_critical_s", "active"],
    )?;
    if f.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "send at least one of name, deadline_normal_s, deadline_urgent_s, deadline_critical_s, active",
        ));
    }
    let name = f.opt_line("name", NAME_CHARS)?;
    let normal = f.opt_int("deadline_normal_s", 1..=MAX_DEADLINE_S)?;
    let urgent = f.opt_int("deadline_urgent_s", 1..=MAX_DEADLINE_S)?;
    let critical = f.opt_int("deadline_critical_s", 1..=MAX_DEADLINE_S)?;
    let active = f.opt_bool("active")?;
    let now = kit::request_now(req);

    let db = Db::open()?;
    let current = Item::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such service menu item".into()))?;
    // The menu is public to everyone signed in, so refusing with 404 would hide nothing.
    if !kit::allowed(p, Action::ManageServiceMenu, &current.centre_path)? {
        return Err(ApiError::Forbidden("editing this menu needs manage-service-menu at its centre".into()));
    }

    let body = db.transaction(|db| {
        // Read again under the write lock: the merge must start from what is stored now.
        let before = Item::by_id(db, id)?.ok_or_else(|| ApiError::NotFound("no such service menu item".into()))?;
        let normal = normal.unwrap_or(before.deadline_normal_s);
        let urgent = urgent.unwrap_or(before.deadline_urgent_s);
        let critical = critical.unwrap_or(before.deadline_critical_s);
        check_deadlines(normal, urgent, critical)?;
        db.exec(
            "UPDATE service_menu_items SET name = ?, deadline_normal_s = ?, deadline_urgent_s = ?, deadline_critical_s = ?,
                 active = ?, updated_at = ? WHERE id = ?",
            &[
                Value::Text(name.clone().unwrap_or_else(|| before.name.clone())),
                Value::Integer(normal),
                Value::Integer(urgent),
                Value::Integer(critical),
                Value::Integer(i64::from(active.unwrap_or(before.active))),
                Value::Integer(now),
                Value::Integer(id),
            ],
        )
        .map_err(name_conflict)?;
        let after = Item::by_id(db, id)?.ok_or_else(|| ApiError::Internal("the item vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            "service_menu.update",
            "service_menu_item",
            Some(id),
            &before.centre_path,
            Some(&before.json()),
            Some(&after.json()),
        )?;
        Ok(after.json())
    })?;
    Ok(kit::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_urgent_never_waits_longer() {
        assert!(check_deadlines(86_400, 14_400, 3_600).is_ok());
        assert!(check_deadlines(3_600, 3_600, 3_600).is_ok());
        assert_eq!(check_deadlines(3_600, 7_200, 60).unwrap_err().field(), Some("deadline_urgent_s"));
        assert_eq!(check_deadlines(86_400, 3_600, 7_200).unwrap_err().field(), Some("deadline_critical_s"));
    }
}
