//! The reward catalogue (礼遇): what an org's love supermarket (爱心超市) and service coupons
//! offer for points. Staff with manage-rewards keep items at their orgs; a volunteer sees the
//! active items of their home org and every org above it.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input::{self, Fields};
use crate::volunteer::Volunteer;
use kit::identity::{self, Action, Principal};

/// What an item is.
pub const KINDS: [&str; 3] = ["goods", "service", "honour"];
/// Every field of an item as created; `PATCH` takes any of them but `org_id`.
const FIELDS: [&str; 10] = [
    "org_id",
    "name",
    "kind",
    "description",
    "points_price",
    "stock",
    "min_star",
    "valid_from",
    "valid_until",
    "active",
];
const MAX_PRICE: i64 = 100_000;
const MAX_STOCK: i64 = 1_000_000;

/// A catalogue item with its org.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub points_price: i64,
    pub stock: i64,
    pub min_star: i64,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT i.id, i.org_id, o.name AS org_name, i.org_path, i.name, i.kind, i.description,
        i.points_price, i.stock, i.min_star, i.valid_from, i.valid_until, i.active, i.created_at, i.updated_at
    FROM reward_items i JOIN orgs o ON o.id = i.org_id";

impl Item {
    fn from_row(r: &Row) -> Result<Item, ApiError> {
        Ok(Item {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            name: r.str("name")?,
            kind: r.str("kind")?,
            description: r.str("description")?,
            points_price: r.i64("points_price")?,
            stock: r.i64("stock")?,
            min_star: r.i64("min_star")?,
            valid_from: r.opt_i64("valid_from")?,
            valid_until: r.opt_i64("valid_until")?,
            active: r.i64("active")? == 1,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
        })
    }

    pub fn load(db: &Db, id: i64) -> Result<Option<Item>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE i.id = ?"), &[Value::Integer(id)])?
            .map(|r| Item::from_row(&r))
            .transpose()
    }

    /// Active and inside its validity window at `now` (stock aside).
    pub fn on_offer(&self, now: i64) -> bool {
        self.active && self.valid_from.is_none_or(|f| now >= f) && self.valid_until.is_none_or(|u| now < u)
    }

    pub fn json(&self, now: i64) -> Json {
        json!({
            "id": self.id,
            "org": { "id": self.org_id, "name": self.org_name },
            "org_id": self.org_id,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "points_price": self.points_price,
            "stock": self.stock,
            "min_star": self.min_star,
            "valid_from": kit::time::opt_rfc3339(self.valid_from),
            "valid_until": kit::time::opt_rfc3339(self.valid_until),
            "active": self.active,
            "available": self.on_offer(now) && self.stock > 0,
            "created_at": kit::time::rfc3339(self.created_at),
            "updated_at": kit::time::rfc3339(self.updated_at),
        })
    }

    fn audit_json(&self) -> Json {
        json!({ "name": self.name, "kind": self.kind, "points_price": self.points_price, "stock": self.stock,
                "min_star": self.min_star, "valid_from": self.valid_from, "valid_until": self.valid_until,
                "active": self.active })
    }

    /// Whether `v` (a volunteer) may see and redeem this item: active, at their home org or above.
    pub fn offered_to(&self, v: &Volunteer) -> bool {
        self.active && access::ancestors(&v.home_path).contains(&self.org_path)
    }
}

/// The editable fields, as sent (each `None` when absent).
#[derive(Debug, Default)]
struct Changes {
    name: Option<String>,
    kind: Option<&'static str>,
    description: Option<String>,
    points_price: Option<i64>,
    stock: Option<i64>,
    min_star: Option<i64>,
    valid_from: Option<Option<i64>>,
    valid_until: Option<Option<i64>>,
    active: Option<bool>,
}

impl Changes {
    fn read(f: &mut Fields) -> Result<Changes, ApiError> {
        Ok(Changes {
            name: f.opt_line("name", 60)?,
            kind: f.opt_choice("kind", &KINDS)?,
            description: f.opt_text("description", 1000)?,
            points_price: f.opt_int("points_price", 0..=MAX_PRICE)?,
            stock: f.opt_int("stock", 0..=MAX_STOCK)?,
            min_star: f.opt_int("min_star", 0..=10)?,
            valid_from: f.clearable_time("valid_from")?,
            valid_until: f.clearable_time("valid_until")?,
            active: f.opt_bool("active")?,
        })
    }
}

fn check_window(from: Option<i64>, until: Option<i64>) -> Result<(), ApiError> {
    match (from, until) {
        (Some(f), Some(u)) if f >= u => Err(ApiError::invalid("valid_until", "must be after valid_from")),
        _ => Ok(()),
    }
}

fn duplicate(e: ApiError) -> ApiError {
    if kit::unique_violation(&e).is_some() {
        ApiError::conflict("duplicate", "this org already has an item of that name")
    } else {
        e
    }
}

/// `POST /api/v1/rewards` → 201.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &FIELDS)?;
    let org_id = f.id("org_id")?;
    let c = Changes::read(&mut f)?;
    let name = c.name.clone().ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let kind = c.kind.ok_or_else(|| ApiError::invalid("kind", "is required"))?;
    let price = c.points_price.ok_or_else(|| ApiError::invalid("points_price", "is required"))?;
    let stock = c.stock.ok_or_else(|| ApiError::invalid("stock", "is required"))?;
    let (from, until) = (c.valid_from.flatten(), c.valid_until.flatten());
    check_window(from, until)?;
    let db = Db::open()?;
    let org = db.query_one("SELECT path, level FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(org_id)])?;
    let Some(org) = org else {
        return Err(ApiError::invalid("org_id", "no such active org"));
    };
    let path = org.str("path")?;
    if org.str("level")? == "city" {
        return Err(ApiError::invalid("org_id", "a catalogue belongs to a centre, institute, station or point"));
    }
    if !kit::allowed(p, Action::ManageRewards, &path)? {
        // The org tree is readable by everyone signed in, so there is nothing to hide: 403.
        return Err(ApiError::Forbidden(if identity::scopes(p, Action::ManageRewards).is_empty() {
            "your roles do not allow manage-rewards".into()
        } else {
            "you may keep a catalogue only in your own area".into()
        }));
    }
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let id = db
            .insert(
                "INSERT INTO reward_items (org_id, org_path, name, kind, description, points_price, stock, min_star,
                     valid_from, valid_until, active, created_by, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    Value::Integer(org_id),
                    Value::Text(path.clone()),
                    Value::Text(name.clone()),
                    Value::Text(kind.into()),
                    Value::Text(c.description.clone().unwrap_or_default()),
                    Value::Integer(price),
                    Value::Integer(stock),
                    Value::Integer(c.min_star.unwrap_or(0)),
                    from.map_or(Value::Null, Value::Integer),
                    until.map_or(Value::Null, Value::Integer),
                    Value::Integer(i64::from(c.active.unwrap_or(true))),
                    Value::Integer(p.account_id),
                    Value::Integer(now),
                    Value::Integer(now),
                ],
            )
            .map_err(duplicate)?;
        let item = Item::load(db, id)?.ok_or_else(|| ApiError::Internal("the new item vanished".into()))?;
        kit::audit(db, p.account_id, "reward.create", "reward_item", Some(id), &path, None, Some(&item.audit_json()))?;
        Ok((201, item.json(now)))
    })?;
    Ok(kit::json(status, &body))
}

/// `PATCH /api/v1/rewards/{id}`: manage-rewards at the item's org.
pub fn update(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &FIELDS[1..])?;
    let c = Changes::read(&mut f)?;
    let db = Db::open()?;
    let item = Item::load(&db, id)?;
    kit::gate(p, Action::ManageRewards, item.as_ref().map_or("/-/", |i| i.org_path.as_str()), "reward")?;
    let before = item.ok_or_else(|| ApiError::NotFound("no such reward".into()))?;
    let from = c.valid_from.unwrap_or(before.valid_from);
    let until = c.valid_until.unwrap_or(before.valid_until);
    check_window(from, until)?;
    let body = db.transaction(|db| {
        db.exec(
            "UPDATE reward_items SET name = ?, kind = ?, description = ?, points_price = ?, stock = ?, min_star = ?,
                 valid_from = ?, valid_until = ?, active = ?, updated_at = ? WHERE id = ?",
            &[
                Value::Text(c.name.clone().unwrap_or_else(|| before.name.clone())),
                Value::Text(c.kind.map_or_else(|| before.kind.clone(), str::to_string)),
                Value::Text(c.description.clone().unwrap_or_else(|| before.description.clone())),
                Value::Integer(c.points_price.unwrap_or(before.points_price)),
                Value::Integer(c.stock.unwrap_or(before.stock)),
                Value::Integer(c.min_star.unwrap_or(before.min_star)),
                from.map_or(Value::Null, Value::Integer),
                until.map_or(Value::Null, Value::Integer),
                Value::Integer(i64::from(c.active.unwrap_or(before.active))),
                Value::Integer(now),
                Value::Integer(id),
            ],
        )
        .map_err(duplicate)?;
        let after = Item::load(db, id)?.ok_or_else(|| ApiError::Internal("the item vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            "reward.update",
            "reward_item",
            Some(id),
            &after.org_path,
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )?;
        Ok(after.json(now))
    })?;
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/rewards/{id}`: a manager of its org, or a volunteer it is offered to.
pub fn detail(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let item = Item::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such reward".into()))?;
    let offered = Volunteer::by_account(&db, p.account_id)?.is_some_and(|v| item.offered_to(&v));
    if !offered && !kit::allowed(p, Action::ManageRewards, &item.org_path)? {
        return Err(ApiError::NotFound("no such reward".into()));
    }
    Ok(kit::json(200, &item.json(now)))
}

/// `GET /api/v1/rewards?org_id=&kind=&limit=&cursor=`: what a volunteer may redeem plus what
/// the caller keeps.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let page = Page::from_request(req)?;
    let kind = input::query_choice(req, "kind", &KINDS)?;
    let org_id = input::query_id(req, "org_id")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let mut reach = Vec::new();
    let managed = kit::Scope::of(p, Action::ManageRewards);
    if !managed.is_empty() {
        reach.push(managed.condition("i.org_path", &mut params));
    }
    if let Some(v) = Volunteer::by_account(&db, p.account_id)? {
        let above = access::ancestors(&v.home_path);
        reach.push(format!("(i.active = 1 AND i.org_path IN ({}))", vec!["?"; above.len()].join(", ")));
        params.extend(above.into_iter().map(Value::Text));
    }
    if reach.is_empty() {
        return Ok(kit::json(200, &page.envelope(Vec::new(), None)));
    }
    let mut sql = format!("{SELECT} WHERE ({}) AND i.id > ?", reach.join(" OR "));
    params.push(Value::Integer(page.after));
    if let Some(k) = kind {
        sql.push_str(" AND i.kind = ?");
        params.push(Value::Text(k.into()));
    }
    if let Some(org_id) = org_id {
        sql.push_str(" AND i.org_id = ?");
        params.push(Value::Integer(org_id));
    }
    sql.push_str(" ORDER BY i.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let items = db.query(&sql, &params)?.iter().map(Item::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = items.last().map(|i| i.id);
    Ok(kit::json(200, &page.envelope(items.iter().map(|i| i.json(now)).collect(), last)))
}
