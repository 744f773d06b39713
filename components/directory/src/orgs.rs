//! The org tree: `POST/GET /api/v1/orgs`, `GET /api/v1/orgs/tree`, `GET/PATCH /api/v1/orgs/{id}`,
//! `POST /api/v1/orgs/{id}/deactivate`, and the public `GET /api/v1/orgs/{id}/public`.
//!
//! Each org's `path` is the materialised path of ids ('/1/4/17/'), fixed at creation (orgs never
//! move), so a subtree is one range on the unique index over `path`.

use std::collections::HashMap;

use kit::{ApiError, Db, Page, Row};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, not_found, Caller};
use crate::input::{self, Fields};
use kit::identity::Action;
use kit::Scope;

const COLUMNS: &str =
    "id, parent_id, level, name, path, active, address, latitude_e6, longitude_e6, population, created_at, updated_at";

/// City → centre → institute → station → point.
const LEVELS: [&str; 5] = ["city", "centre", "institute", "station", "point"];

/// One org row.
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub level: String,
    pub name: String,
    pub path: String,
    pub active: bool,
    pub address: String,
    /// (latitude, longitude) in micro-degrees, when entered.
    pub coordinates: Option<(i64, i64)>,
    pub population: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Org {
    fn from_row(row: &Row) -> Result<Org, ApiError> {
        Ok(Org {
            id: row.i64("id")?,
            parent_id: row.opt_i64("parent_id")?,
            level: row.str("level")?,
            name: row.str("name")?,
            path: row.str("path")?,
            active: row.i64("active")? == 1,
            address: row.str("address")?,
            coordinates: match (row.opt_i64("latitude_e6")?, row.opt_i64("longitude_e6")?) {
                (Some(lat), Some(lng)) => Some((lat, lng)),
                _ => None,
            },
            population: row.opt_i64("population")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "parent_id": self.parent_id,
            "level": self.level,
            "name": self.name,
            "path": self.path,
            "active": self.active,
            "address": self.address,
            "latitude": self.coordinates.map(|c| c.0 as f64 / 1_000_000.0),
            "longitude": self.coordinates.map(|c| c.1 as f64 / 1_000_000.0),
            "population": self.population,
            "created_at": input::rfc3339(self.created_at),
            "updated_at": input::rfc3339(self.updated_at),
        })
    }
}

/// The org with this id, whether or not the caller may see it.
pub fn find(db: &Db, id: i64) -> Result<Option<Org>, ApiError> {
    db.query_one(&format!("SELECT {COLUMNS} FROM orgs WHERE id = ?"), &[Value::Integer(id)])?
        .map(|row| Org::from_row(&row))
        .transpose()
}

/// The org with this id if the caller may see it; otherwise the same 404 as for no org at all.
pub fn visible(db: &Db, caller: &Caller, id: i64) -> Result<Org, ApiError> {
    find(db, id)?.filter(|org| caller.readable().contains(&org.path)).ok_or_else(|| not_found("org"))
}

/// `GET /api/v1/orgs/{id}/public` — no session. What a station's printed code (扫码点单, 扫码注册)
/// must show before anyone signs in: the place's name, level, its parent's name and address.
/// Citizens cannot read orgs, so this is the one org read open to everyone, and it says nothing
/// a notice board at the door would not: no path, coordinates, population or people. Inactive
/// and unknown orgs are the same 404, so a withdrawn code reads as unknown.
pub fn public(id: &str) -> Result<Response, ApiError> {
    let id = input::path_id(id, "org")?;
    let db = Db::open()?;
    let row = db.query_one(
        "SELECT o.id, o.level, o.name, o.address, p.id AS parent_id, p.name AS parent_name \
         FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id WHERE o.id = ? AND o.active = 1",
        &[Value::Integer(id)],
    )?;
    let r = row.ok_or_else(|| not_found("org"))?;
    let parent = match r.opt_i64("parent_id")? {
        Some(pid) => serde_json::json!({"id": pid, "name": r.str("parent_name")?}),
        None => serde_json::Value::Null,
    };
    Ok(kit::json(
        200,
        &serde_json::json!({
            "id": r.i64("id")?, "level": r.str("level")?, "name": r.str("name")?,
            "address": r.str("address")?, "parent": parent,
        }),
    ))
}

/// `{"parent_id", "name", "level"}` → 201 org; manage-orgs at the parent.
pub fn create(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let mut body = Fields::from_request(req, &["parent_id", "name", "level"])?;
    let parent_id = body.id("parent_id")?;
    let name = body.raw("name")?;
    let level = body.raw("level")?;
    let name = input::name("name", &name)?;
    if !LEVELS.contains(&level.as_str()) {
        return Err(ApiError::invalid("level", format!("level must be one of {}", LEVELS.join(", "))));
    }

    let db = Db::open()?;
    let parent = visible(&db, &caller, parent_id)?;
    caller.require(Action::ManageOrgs, &parent.path, "org")?;
    match child_level(&parent.level) {
        Some(expected) if expected == level => {}
        Some(expected) => {
            return Err(ApiError::invalid(
                "level",
                format!("the parent is level {}, so the new org must be level {expected}", parent.level),
            ))
        }
        None => return Err(ApiError::invalid("level", "a point has no child orgs")),
    }

    crate::idempotent_create(req, &db, &caller, |db| {
        // Re-read inside the write lock: the parent may have been deactivated meanwhile.
        let parent = find(db, parent.id)?.ok_or_else(|| not_found("org"))?;
        if !parent.active {
            return Err(ApiError::conflict("wrong_state", "the parent org is inactive"));
        }
        sibling_name_free(db, parent.id, &name, None)?;
        // The path embeds the new id, so take it now; BEGIN IMMEDIATE holds the write lock, so no
        // one else can take the same id before our INSERT.
        let id = db
            .query_one("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM orgs", &[])?
            .ok_or_else(|| ApiError::Internal("no max id".into()))?
            .i64("id")?;
        let path = kit::org_path(&parent.path)?.child(id).to_string();
        let now = kit::now();
        db.exec(
            "INSERT INTO orgs (id, parent_id, level, name, path, active, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            &[
                Value::Integer(id),
                Value::Integer(parent.id),
                Value::Text(level.clone()),
                Value::Text(name.clone()),
                Value::Text(path.clone()),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )
        .map_err(name_taken)?;
        let org = find(db, id)?.ok_or_else(|| ApiError::Internal("org vanished".into()))?;
        let after = org.json();
        kit::audit(db, caller.account_id(), "org.create", "org", Some(id), &path, None, Some(&after))?;
        Ok((201, after))
    })
}

fn child_level(level: &str) -> Option<&'static str> {
    let i = LEVELS.iter().position(|l| *l == level)?;
    LEVELS.get(i + 1).copied()
}

fn sibling_name_free(db: &Db, parent_id: i64, name: &str, except: Option<i64>) -> Result<(), ApiError> {
    let taken = db.query_one(
        "SELECT id FROM orgs WHERE parent_id = ? AND name = ? AND id != ?",
        &[Value::Integer(parent_id), Value::Text(name.to_string()), Value::Integer(except.unwrap_or(0))],
    )?;
    match taken {
        Some(_) => Err(ApiError::conflict("name_taken", format!("a sibling org is already named {name}"))),
        None => Ok(()),
    }
}

fn name_taken(e: ApiError) -> ApiError {
    match kit::unique_violation(&e) {
        Some(c) if c.starts_with("orgs.parent_id") || c.starts_with("orgs.name") => {
            ApiError::conflict("name_taken", "a sibling org already has this name")
        }
        _ => e,
    }
}

/// `?under=&level=&q=&active=&limit=&cursor=` → the orgs the caller may see, by id.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let page = Page::from_request(req)?;
    let under = input::query_id(req, "under")?;
    let level = kit::query_param(req, "level").filter(|l| !l.is_empty());
    if let Some(level) = &level {
        if !LEVELS.contains(&level.as_str()) {
            return Err(ApiError::invalid("level", format!("level must be one of {}", LEVELS.join(", "))));
        }
    }
    let q = kit::query_param(req, "q").map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    let active = input::query_bool(req, "active")?;

    let db = Db::open()?;
    let scope = match under {
        Some(id) => Scope::from_paths(&[visible(&db, &caller, id)?.path]),
        None => caller.readable().clone(),
    };
    let mut filters = String::new();
    let mut params = vec![Value::Integer(page.after)];
    if let Some(level) = level {
        filters.push_str(" AND level = ?");
        params.push(Value::Text(level));
    }
    if let Some(q) = q {
        filters.push_str(" AND name LIKE ? ESCAPE '\\'");
        params.push(Value::Text(input::like_pattern(&q)));
    }
    if let Some(active) = active {
        filters.push_str(" AND active = ?");
        params.push(Value::Integer(i64::from(active)));
    }
    params.push(Value::Integer(page.limit));
    let rows = scope.page(&db, "orgs", "path", page.limit, &params, |scoped| {
        format!("SELECT {COLUMNS} FROM orgs WHERE {scoped} AND id > ?{filters} ORDER BY id LIMIT ?")
    })?;
    let orgs = rows.iter().map(Org::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = orgs.last().map(|o| o.id);
    Ok(kit::json(200, &page.envelope(orgs.iter().map(Org::json).collect(), last)))
}

/// `?under=<id>&depth=` → the subtree as nested `{"id", "name", "level", "active",
/// "children"}`. Without `under`, the caller's own subtree (when they have exactly one).
pub fn tree(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let under = input::query_id(req, "under")?;
    let depth = match kit::query_param(req, "depth").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            d.parse::<usize>()
                .ok()
                .filter(|d| *d <= 10)
                .ok_or_else(|| ApiError::invalid("depth", "depth must be 0 to 10"))?,
        ),
    };

    let db = Db::open()?;
    let root = match under {
        Some(id) => visible(&db, &caller, id)?,
        None => match caller.readable().roots() {
            [] => return Err(ApiError::Forbidden("you hold no role at any org".into())),
            [path] => db
                .query_one(&format!("SELECT {COLUMNS} FROM orgs WHERE path = ?"), &[Value::Text(path.to_string())])?
                .map(|row| Org::from_row(&row))
                .transpose()?
                .ok_or_else(|| not_found("org"))?,
            _ => {
                return Err(ApiError::invalid("under", "you can read several subtrees: say which with ?under=<org id>"))
            }
        },
    };

    // Ordered by path, every org comes after its parent, so one pass can attach children.
    let (lo, hi) = kit::org_path(&root.path)?.subtree_bounds();
    let root_depth = root.path.matches('/').count();
    // A path's depth is its count of '/'; filtering here keeps the rows left out of the tree
    // from crossing into the component at all.
    let max_slashes = depth.map_or(i64::MAX, |d| (root_depth + d) as i64);
    let rows = db.query(
        "SELECT id, parent_id, level, name, path, active FROM orgs
         WHERE path >= ? AND path < ? AND length(path) - length(replace(path, '/', '')) <= ?
         ORDER BY path",
        &[Value::Text(lo), Value::Text(hi), Value::Integer(max_slashes)],
    )?;
    let mut nodes: Vec<Node> = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id = row.i64("id")?;
        let node_active = row.i64("active")? == 1;
        let parent = if id == root.id { None } else { row.opt_i64("parent_id")? };
        let kept = match parent {
            None => id == root.id,
            Some(p) => index.contains_key(&p),
        };
        if !kept {
            continue;
        }
        index.insert(id, nodes.len());
        nodes.push(Node {
            value: serde_json::json!({
                "id": id,
                "name": row.str("name")?,
                "level": row.str("level")?,
                "active": node_active,
            }),
            parent: parent.and_then(|p| index.get(&p).copied()),
            children: Vec::new(),
        });
    }
    // Children have higher indices than their parents, so walking from the end finishes every
    // node's children before the node itself is attached to its parent.
    for i in (1..nodes.len()).rev() {
        let mut node = std::mem::take(&mut nodes[i]);
        node.finish();
        if let Some(p) = node.parent {
            nodes[p].children.push(node.value);
        }
    }
    let mut root_node = nodes.into_iter().next().ok_or_else(|| not_found("org"))?;
    root_node.finish();
    Ok(kit::json(200, &root_node.value))
}

#[derive(Default)]
struct Node {
    value: serde_json::Value,
    parent: Option<usize>,
    children: Vec<serde_json::Value>,
}

impl Node {
    /// Siblings by id, as lists are (path order would put '/1/10/' before '/1/2/').
    fn finish(&mut self) {
        let mut children = std::mem::take(&mut self.children);
        children.sort_by_key(|c| c["id"].as_i64());
        self.value["children"] = serde_json::Value::Array(children);
    }
}

pub fn get(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "org")?;
    let db = Db::open()?;
    Ok(kit::json(200, &visible(&db, &caller, id)?.json()))
}

/// `{"name", "address", "latitude", "longitude", "population"}`, each optional (at least one);
/// manage-orgs at the org. `address` may be "" and the coordinates and `population` null to
/// clear them; the coordinates go together (WGS-84 degrees, stored as micro-degrees), and
/// `population` is the residents staff enter for the registration and demand rates.
pub fn update(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "org")?;
    let db = Db::open()?;
    let org = visible(&db, &caller, id)?;
    caller.require(Action::ManageOrgs, &org.path, "org")?;
    let mut body = Fields::from_request(req, &["name", "address", "latitude", "longitude", "population"])?;
    if body.is_empty() {
        return Err(ApiError::invalid("name", "send at least one of name, address, latitude, longitude, population"));
    }
    let name = match body.opt_str("name")? {
        Some(name) => Some(input::name("name", &name)?),
        None => None,
    };
    let address = if body.has("address") { Some(body.opt_text("address", 200)?.unwrap_or_default()) } else { None };
    if address.as_deref().is_some_and(|a| a.contains('\n')) {
        return Err(ApiError::invalid("address", "the address is one line"));
    }
    let coordinates = match (body.has("latitude"), body.has("longitude")) {
        (false, false) => None,
        (true, true) => {
            let lat = body.opt_number("latitude", -90.0..=90.0)?;
            let lng = body.opt_number("longitude", -180.0..=180.0)?;
            match (lat, lng) {
                (Some(lat), Some(lng)) => Some(Some((micro(lat), micro(lng)))),
                (None, None) => Some(None),
                (None, Some(_)) => return Err(ApiError::invalid("latitude", "give both coordinates or clear both")),
                (Some(_), None) => return Err(ApiError::invalid("longitude", "give both coordinates or clear both")),
            }
        }
        (false, true) => return Err(ApiError::invalid("latitude", "give both coordinates or clear both")),
        (true, false) => return Err(ApiError::invalid("longitude", "give both coordinates or clear both")),
    };
    let population = if body.has("population") { Some(body.opt_int("population", 0..=100_000_000)?) } else { None };

    let org = db.transaction(|db| {
        let before = find(db, id)?.ok_or_else(|| not_found("org"))?;
        let mut sets: Vec<&str> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        if let Some(name) = name.as_ref().filter(|n| **n != before.name) {
            if let Some(parent_id) = before.parent_id {
                sibling_name_free(db, parent_id, name, Some(id))?;
            }
            sets.push("name = ?");
            params.push(Value::Text(name.clone()));
        }
        if let Some(address) = address.as_ref().filter(|a| **a != before.address) {
            sets.push("address = ?");
            params.push(Value::Text(address.clone()));
        }
        if let Some(c) = coordinates.filter(|c| *c != before.coordinates) {
            sets.push("latitude_e6 = ?, longitude_e6 = ?");
            params.push(c.map_or(Value::Null, |c| Value::Integer(c.0)));
            params.push(c.map_or(Value::Null, |c| Value::Integer(c.1)));
        }
        if let Some(p) = population.filter(|p| *p != before.population) {
            sets.push("population = ?");
            params.push(p.map_or(Value::Null, Value::Integer));
        }
        if sets.is_empty() {
            return Ok(before);
        }
        params.push(Value::Integer(kit::now()));
        params.push(Value::Integer(id));
        db.exec(&format!("UPDATE orgs SET {}, updated_at = ? WHERE id = ?", sets.join(", ")), &params)
            .map_err(name_taken)?;
        let after = find(db, id)?.ok_or_else(|| not_found("org"))?;
        let action = if name.as_ref().is_some_and(|n| *n != before.name) && sets.len() == 1 {
            "org.rename"
        } else {
            "org.update"
        };
        kit::audit(
            db,
            caller.account_id(),
            action,
            "org",
            Some(id),
            &after.path,
            Some(&before.json()),
            Some(&after.json()),
        )?;
        Ok(after)
    })?;
    Ok(kit::json(200, &org.json()))
}

/// Degrees as whole micro-degrees (about 0.1 m), as activities store their places.
fn micro(degrees: f64) -> i64 {
    (degrees * 1_000_000.0).round() as i64
}

/// Deactivates an org with no active children. It takes manage-orgs at the *parent*: roles held
/// at an inactive org lapse, so an admin could otherwise switch off their own org and with it
/// their own access (a centre admin, the whole county's). Deactivating an inactive org again
/// changes nothing and answers the same, so a retry is harmless.
pub fn deactivate(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "org")?;
    let db = Db::open()?;
    let org = visible(&db, &caller, id)?;
    let parent = match org.parent_id {
        Some(parent_id) => find(&db, parent_id)?,
        None => None,
    };
    let allowed = match &parent {
        Some(parent) => caller.may(Action::ManageOrgs, &parent.path)?,
        None => false,
    };
    if !allowed {
        // The org itself is visible, so this is a 403 even when its parent is not.
        return Err(ApiError::Forbidden("deactivating an org takes manage-orgs at its parent".into()));
    }

    let org = db.transaction(|db| {
        let before = find(db, id)?.ok_or_else(|| not_found("org"))?;
        if !before.active {
            return Ok(before);
        }
        let active_child =
            db.query_one("SELECT id FROM orgs WHERE parent_id = ? AND active = 1 LIMIT 1", &[Value::Integer(id)])?;
        if active_child.is_some() {
            return Err(ApiError::conflict("wrong_state", "deactivate its active child orgs first"));
        }
        db.exec(
            "UPDATE orgs SET active = 0, updated_at = ? WHERE id = ?",
            &[Value::Integer(kit::now()), Value::Integer(id)],
        )?;
        let after = find(db, id)?.ok_or_else(|| not_found("org"))?;
        kit::audit(
            db,
            caller.account_id(),
            "org.deactivate",
            "org",
            Some(id),
            &after.path,
            Some(&before.json()),
            Some(&after.json()),
        )?;
        Ok(after)
    })?;
    Ok(kit::json(200, &org.json()))
}
