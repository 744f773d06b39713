//! Ordering (点单): `POST /api/v1/demands`.
//!
//! `{"menu_item_id", "org_id", "description", "address", "latitude"?, "longitude"?, "urgency",
//! "preferred_time"?, "contact_name", "contact_phone", "citizen_phone"?}` → 201 order,
//! `submitted`, with its first timeline entry (`demand_flow::record`).
//!
//! - Who: a signed-in person orders for themself; with `citizen_phone`, staff with
//!   `order-for-citizens` at `org_id` order on that citizen's behalf (the account is found, or
//!   created as a citizen — see [`crate::citizens`]). Such orders are audited
//!   (`demand.create`) and the citizen is told by SMS (`order-received`), since they did not
//!   place it themself.
//! - Where: the item must be active; `org_id` an active org inside the item's centre (the order
//!   is owned there, and that org's staff and its ancestors' dispatch it).
//! - Grading: `priority` from the urgency (1/2/3, `demand_flow::priority`), and `deadline_at` =
//!   now + the item's deadline for that urgency.
//! - Near-duplicates: the same citizen ordering the same item again while an earlier order is
//!   still open and was created within `demand.duplicate_window_s` → 409 `duplicate` with
//!   `"existing_id"` in the error, and nothing is created. Checked inside the write transaction,
//!   so two simultaneous clicks cannot both get through.
//! - `Idempotency-Key` replays the first answer.

use std::cell::Cell;

use demand_flow::Status;
use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::citizens;
use crate::input::{self, DemandFields, Fields};
use crate::menu::Item;
use crate::notices;
use crate::order::{Order, OrderExt as _, View};
use crate::settings::Rules;
use kit::identity::{Action, Principal};

/// The urgencies (一般/较急/紧急).
pub const URGENCIES: [&str; 3] = ["normal", "urgent", "critical"];

/// A checked order body.
struct Body {
    menu_item_id: i64,
    org_id: i64,
    description: String,
    address: String,
    coordinates: Option<(i64, i64)>,
    urgency: &'static str,
    preferred_time: String,
    contact_name: String,
    contact_phone: String,
    citizen_phone: Option<String>,
}

fn parse(req: &Request) -> Result<Body, ApiError> {
    let mut f = Fields::from_request(
        req,
        &[
            "menu_item_id",
            "org_id",
            "description",
            "address",
            "latitude",
            "longitude",
            "urgency",
            "preferred_time",
            "contact_name",
            "contact_phone",
            "citizen_phone",
        ],
    )?;
    let menu_item_id = f.id("menu_item_id")?;
    let org_id = f.id("org_id")?;
    let description = f.text("description", 2000)?;
    let address = f.line("address", 200)?;
    let latitude = f.opt_number("latitude", -90.0..=90.0)?;
    let longitude = f.opt_number("longitude", -180.0..=180.0)?;
    // A point needs both halves: one alone cannot be placed on a map.
    let coordinates = match (latitude, longitude) {
        (Some(lat), Some(lon)) => Some(((lat * 1_000_000.0).round() as i64, (lon * 1_000_000.0).round() as i64)),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::invalid("longitude", "is required with latitude")),
        (None, Some(_)) => return Err(ApiError::invalid("latitude", "is required with longitude")),
    };
    let urgency = f.choice("urgency", &URGENCIES)?;
    let preferred_time = f.opt_line("preferred_time", 100)?.unwrap_or_default();
    let contact_name = f.line("contact_name", 50)?;
    let contact_phone = f.contact_phone("contact_phone")?;
    let citizen_phone = f.opt_phone("citizen_phone")?.map(domain::Phone::into_string);
    Ok(Body {
        menu_item_id,
        org_id,
        description,
        address,
        coordinates,
        urgency,
        preferred_time,
        contact_name,
        contact_phone,
        citizen_phone,
    })
}

/// `POST /api/v1/demands`.
pub fn handle(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut body = parse(req)?;
    let now = kit::request_now(req);
    let db = Db::open()?;
    // A citizen who fills in their own phone is ordering for themself, not on anyone's behalf.
    if let Some(phone) = &body.citizen_phone {
        let own = db.query_one("SELECT phone FROM accounts WHERE id = ?", &[Value::Integer(p.account_id)])?;
        if own.map(|r| r.str("phone")).transpose()?.as_deref() == Some(phone.as_str()) {
            body.citizen_phone = None;
        }
    }

    let item = Item::by_id(&db, body.menu_item_id)?
        .filter(|i| i.active)
        .ok_or_else(|| ApiError::invalid("menu_item_id", "no such active service menu item"))?;
    let org_path = db
        .query_one("SELECT path FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(body.org_id)])?
        .map(|r| r.str("path"))
        .transpose()?
        .filter(|path| path.starts_with(&item.centre_path))
        .ok_or_else(|| ApiError::invalid("org_id", "must be an active org of the centre whose menu the item is on"))?;
    // On someone's behalf only with order-for-citizens where the need is (403 when the caller's
    // roles allow it nowhere, else 404: another station is not revealed).
    if body.citizen_phone.is_some() {
        kit::gate(p, Action::OrderForCitizens, &org_path, "org")?;
    }
    let dispatcher = kit::allowed(p, Action::DispatchOrders, &org_path)?;
    let rules = Rules::load(&db)?;

    // Set when the refusal is a near-duplicate, so the 409 can name the existing order.
    let existing = Cell::new(None);
    let key = input::idempotency_key(req);
    let result = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let (citizen_id, created) = match &body.citizen_phone {
            None => (p.account_id, false),
            Some(phone) => match citizens::find(db, phone)? {
                Some((_, false)) => {
                    return Err(ApiError::invalid("citizen_phone", "the account with this phone has been deactivated"));
                }
                Some((id, true)) => (id, false),
                // Created only after the duplicate check could refuse; a new account has no
                // earlier orders, so there is nothing to check for it.
                None => (0, true),
            },
        };
        if !created {
            if let Some(id) = open_duplicate(db, citizen_id, item.id, now - rules.duplicate_window_s)? {
                existing.set(Some(id));
                return Err(ApiError::conflict(
                    "duplicate",
                    format!("order {id} for the same service is still open; follow that one instead of ordering again"),
                ));
            }
        }
        let citizen_id = match (&body.citizen_phone, created) {
            (Some(phone), true) => {
                citizens::create(db, p.account_id, phone, (item.centre_org_id, &item.centre_path), now)?
            }
            _ => citizen_id,
        };
        let id = insert(db, p, &item, &body, citizen_id, now)?;
        let on_behalf = citizen_id != p.account_id;
        let note = if on_behalf { "ordered on the citizen's behalf" } else { "ordered" };
        let event = demand_flow::record(db, id, None, Status::Submitted, Some(p.account_id), note, now)?;
        let order = Order::reload(db, id)?;
        if on_behalf {
            kit::audit(
                db,
                p.account_id,
                "demand.create",
                "demand",
                Some(id),
                &order.org_path,
                None,
                Some(&order.audit_json()),
            )?;
            notices::sms(
                db,
                &order.citizen_phone,
                "order-received",
                id,
                event,
                &[
                    ("order_id", id.to_string()),
                    ("service", item.name.clone()),
                    ("deadline", input::rfc3339(order.deadline_at)),
                ],
                now,
            )?;
        }
        let view = View { citizen: citizen_id == p.account_id, dispatcher, ..View::default() };
        Ok((201, order.json(view.unmasked())))
    });
    match result {
        Ok((status, body)) => Ok(kit::json(status, &body)),
        Err(ApiError::Conflict { code: "duplicate", message }) => Ok(duplicate_response(&message, existing.get())),
        Err(e) => Err(e),
    }
}

/// The newest order of `citizen_id` for `item_id` created after `since` that is still open
/// (`demand_flow::Status::is_open`, the one definition of "still open").
fn open_duplicate(db: &Db, citizen_id: i64, item_id: i64, since: i64) -> Result<Option<i64>, ApiError> {
    let rows = db.query(
        "SELECT id, status FROM demands WHERE citizen_id = ? AND menu_item_id = ? AND created_at > ? ORDER BY id DESC",
        &[Value::Integer(citizen_id), Value::Integer(item_id), Value::Integer(since)],
    )?;
    for r in rows {
        if Status::parse(&r.str("status")?)?.is_open() {
            return Ok(Some(r.i64("id")?));
        }
    }
    Ok(None)
}

fn insert(db: &Db, p: &Principal, item: &Item, b: &Body, citizen_id: i64, now: i64) -> Result<i64, ApiError> {
    let priority =
        demand_flow::priority(b.urgency).ok_or_else(|| ApiError::Internal(format!("no priority for {}", b.urgency)))?;
    let deadline_at = now + item.deadline_s(b.urgency);
    let (lat, lon) = match b.coordinates {
        Some((lat, lon)) => (Value::Integer(lat), Value::Integer(lon)),
        None => (Value::Null, Value::Null),
    };
    db.insert(
        "INSERT INTO demands (citizen_id, created_by, menu_item_id, kind, org_id, description, address, latitude_e6,
             longitude_e6, urgency, priority, preferred_time, contact_name, contact_phone, status, deadline_at,
             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(citizen_id),
            Value::Integer(p.account_id),
            Value::Integer(item.id),
            Value::Text(item.kind.clone()),
            Value::Integer(b.org_id),
            Value::Text(b.description.clone()),
            Value::Text(b.address.clone()),
            lat,
            lon,
            Value::Text(b.urgency.into()),
            Value::Integer(priority),
            Value::Text(b.preferred_time.clone()),
            Value::Text(b.contact_name.clone()),
            Value::Text(b.contact_phone.clone()),
            Value::Text(Status::Submitted.as_str().into()),
            Value::Integer(deadline_at),
            Value::Integer(now),
            Value::Integer(now),
        ],
    )
}

/// The 409 in the one error shape plus `existing_id` — `kit::ApiError` has no place for it, so
/// the body is built here, field for field as `ApiError::into_response` builds it.
fn duplicate_response(message: &str, existing_id: Option<i64>) -> Response {
    let body = json!({ "error": { "code": "duplicate", "message": message, "existing_id": existing_id } });
    kit::json(409, &body)
}
