//! Redemption (积分兑换): a volunteer spends points on a catalogue item, collects it with a
//! pickup code at the counter, or cancels before that and gets the points back.
//!
//! Redeeming is one transaction (`BEGIN IMMEDIATE`, through `kit::idempotent`): the stock is
//! taken with `UPDATE ... SET stock = stock - ? WHERE id = ? AND stock >= ?`, the redemption is
//! stored, and the points are debited through the ledger on the same connection under
//! `redemption:<id>`. Whatever fails — no stock, too few points, the database — rolls back all
//! three, so stock and balance never go below zero even when volunteers race for the last item.
//! Cancelling refunds under `refund:redemption:<id>` and returns the stock, also atomically; a
//! reservation nobody collects within `reward.pickup_days` expires the same way ([`release`],
//! one rule for both), by the scheduler's `POST /api/v1/jobs/expire-reservations`.

use std::cell::Cell;

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::catalogue::Item;
use crate::input::{self, Fields};
use crate::ledger_tx::{self, Debit};
use crate::rules;
use crate::volunteer::{self, Volunteer};
use kit::identity::{Action, Principal};
use kit::ledger::Source;

/// The deployment setting: days a reservation waits for collection before it expires.
pub const PICKUP_DAYS_KEY: &str = "reward.pickup_days";
/// Without the setting: a month.
pub const DEFAULT_PICKUP_DAYS: i64 = 30;

/// The reason an expired reservation carries (`cancelled_by` is NULL: time released it).
pub const EXPIRED_REASON: &str = "expired: not collected in time";

/// Reservations one job run expires at most (the next run takes the rest).
pub const EXPIRE_LIMIT: i64 = 500;

/// Redemption statuses, for `?status=`.
pub const STATUSES: [&str; 3] = ["reserved", "handed_over", "cancelled"];

/// A redemption with its item and volunteer.
#[derive(Debug, Clone)]
pub struct Redemption {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub item_kind: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub volunteer_id: i64,
    pub volunteer_account_id: i64,
    pub quantity: i64,
    pub points: i64,
    pub status: String,
    pub pickup_code: String,
    pub created_at: i64,
    pub handed_over_at: Option<i64>,
    pub handed_over_by: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancelled_by: Option<i64>,
    pub cancel_reason: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.item_id, i.name AS item_name, i.kind AS item_kind, i.org_id, o.name AS org_name,
        r.org_path, r.volunteer_id, v.account_id, r.quantity, r.points, r.status, r.pickup_code, r.created_at,
        r.handed_over_at, r.handed_over_by, r.cancelled_at, r.cancelled_by, r.cancel_reason
    FROM redemptions r JOIN reward_items i ON i.id = r.item_id JOIN orgs o ON o.id = i.org_id
        JOIN volunteers v ON v.id = r.volunteer_id";

impl Redemption {
    fn from_row(r: &Row) -> Result<Redemption, ApiError> {
        Ok(Redemption {
            id: r.i64("id")?,
            item_id: r.i64("item_id")?,
            item_name: r.str("item_name")?,
            item_kind: r.str("item_kind")?,
            org_id: r.i64("org_id")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            volunteer_id: r.i64("volunteer_id")?,
            volunteer_account_id: r.i64("account_id")?,
            quantity: r.i64("quantity")?,
            points: r.i64("points")?,
            status: r.str("status")?,
            pickup_code: r.str("pickup_code")?,
            created_at: r.i64("created_at")?,
            handed_over_at: r.opt_i64("handed_over_at")?,
            handed_over_by: r.opt_i64("handed_over_by")?,
            cancelled_at: r.opt_i64("cancelled_at")?,
            cancelled_by: r.opt_i64("cancelled_by")?,
            cancel_reason: r.opt_str("cancel_reason")?,
        })
    }

    pub fn load(db: &Db, id: i64) -> Result<Option<Redemption>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE r.id = ?"), &[Value::Integer(id)])?
            .map(|r| Redemption::from_row(&r))
            .transpose()
    }

    /// The answer; the pickup code only for the volunteer who redeemed (staff must be shown it).
    pub fn json(&self, viewer_account_id: i64) -> Json {
        let mut out = json!({
            "id": self.id,
            "item": { "id": self.item_id, "name": self.item_name, "kind": self.item_kind },
            "org": { "id": self.org_id, "name": self.org_name },
            "volunteer_id": self.volunteer_id,
            "quantity": self.quantity,
            "points": self.points,
            "status": self.status,
            "created_at": kit::time::rfc3339(self.created_at),
            "handed_over_at": kit::time::opt_rfc3339(self.handed_over_at),
            "handed_over_by": self.handed_over_by,
            "cancelled_at": kit::time::opt_rfc3339(self.cancelled_at),
            "cancelled_by": self.cancelled_by,
            "cancel_reason": self.cancel_reason,
            // Cancelled by nobody: the reservation lapsed uncollected ([`expire_due`]).
            "expired": self.status == "cancelled" && self.cancelled_by.is_none(),
        });
        if viewer_account_id == self.volunteer_account_id {
            out["pickup_code"] = Json::String(self.pickup_code.clone());
        }
        out
    }

    fn audit_json(&self) -> Json {
        json!({ "item_id": self.item_id, "volunteer_id": self.volunteer_id, "quantity": self.quantity,
                "points": self.points, "status": self.status, "cancel_reason": self.cancel_reason })
    }
}

/// `POST /api/v1/redemptions {"item_id", "quantity"?}` by a volunteer → 201 with the pickup code.
pub fn redeem(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["item_id", "quantity"])?;
    let item_id = f.id("item_id")?;
    let quantity = f.opt_int("quantity", 1..=10)?.unwrap_or(1);
    let db = Db::open()?;
    let v = Volunteer::by_account(&db, p.account_id)?.filter(|v| v.status == "active").ok_or_else(|| {
        ApiError::Refused { code: "not_a_volunteer", message: "only active volunteers redeem points".into() }
    })?;
    let key = input::idempotency_key(req);
    // The shortfall travels beside the error: the one error shape has no place for it.
    let short = Cell::new(None);
    let result = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        // Checked under the write lock, so a retry replays its answer before any of this.
        let item = Item::load(db, item_id)?
            .filter(|i| i.offered_to(&v))
            .ok_or_else(|| ApiError::NotFound("no such reward".into()))?;
        if !item.on_offer(now) {
            return Err(ApiError::conflict("not_available", "this reward is not on offer now"));
        }
        let star = volunteer::current_star(db, v.id)?;
        if star < item.min_star {
            return Err(ApiError::Refused {
                code: "star_too_low",
                message: format!("this reward needs star level {}; yours is {star}", item.min_star),
            });
        }
        let taken = db.exec(
            "UPDATE reward_items SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?",
            &[Value::Integer(quantity), Value::Integer(now), Value::Integer(item.id), Value::Integer(quantity)],
        )?;
        if taken == 0 {
            return Err(ApiError::conflict("out_of_stock", format!("fewer than {quantity} left of {}", item.name)));
        }
        let points = item.points_price * quantity;
        let code = rules::new_pickup_code()?;
        let id = db.insert(
            "INSERT INTO redemptions (item_id, volunteer_id, org_path, quantity, points, pickup_code, ledger_key,
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(item.id),
                Value::Integer(v.id),
                Value::Text(item.org_path.clone()),
                Value::Integer(quantity),
                Value::Integer(points),
                Value::Text(code),
                // Placeholder until the id is known; replaced two lines down, in this transaction.
                Value::Text(format!("redemption:new:{}:{now}", v.id)),
                Value::Integer(now),
            ],
        )?;
        let ledger_key = format!("redemption:{id}");
        db.exec(
            "UPDATE redemptions SET ledger_key = ? WHERE id = ?",
            &[Value::Text(ledger_key.clone()), Value::Integer(id)],
        )?;
        if points > 0 {
            let debit = ledger_tx::post_points(
                db,
                v.id,
                -points,
                Source::Redemption,
                id,
                p.account_id,
                &ledger_key,
                &item.name,
            )?;
            if let Debit::Insufficient(balance) = debit {
                short.set(Some(balance));
                return Err(ApiError::conflict(
                    "insufficient_points",
                    format!("this needs {points} points; the balance is {balance}"),
                ));
            }
        }
        let r = Redemption::load(db, id)?.ok_or_else(|| ApiError::Internal("the redemption vanished".into()))?;
        Ok((201, r.json(p.account_id)))
    });
    match result {
        Ok((status, body)) => Ok(kit::json(status, &body)),
        Err(e @ ApiError::Conflict { code: "insufficient_points", .. }) => {
            let body = json!({ "error": {
                "code": "insufficient_points", "message": e.to_string(), "balance": short.get() } });
            Ok(kit::json(409, &body))
        }
        Err(e) => Err(e),
    }
}

/// `GET /api/v1/redemptions?status=&org_id=&limit=&cursor=`: the caller's own plus those of
/// items in their manage-rewards scope.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = input::query_choice(req, "status", &STATUSES)?;
    let org_id = input::query_id(req, "org_id")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let mut reach = Vec::new();
    let managed = kit::Scope::of(p, Action::ManageRewards);
    if !managed.is_empty() {
        reach.push(managed.condition("r.org_path", &mut params));
    }
    if let Some(v) = Volunteer::by_account(&db, p.account_id)? {
        reach.push("r.volunteer_id = ?".to_string());
        params.push(Value::Integer(v.id));
    }
    if reach.is_empty() {
        return Ok(kit::json(200, &page.envelope(Vec::new(), None)));
    }
    let mut sql = format!("{SELECT} WHERE ({}) AND r.id > ?", reach.join(" OR "));
    params.push(Value::Integer(page.after));
    if let Some(s) = status {
        sql.push_str(" AND r.status = ?");
        params.push(Value::Text(s.into()));
    }
    if let Some(org_id) = org_id {
        sql.push_str(" AND i.org_id = ?");
        params.push(Value::Integer(org_id));
    }
    sql.push_str(" ORDER BY r.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?.iter().map(Redemption::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = rows.last().map(|r| r.id);
    Ok(kit::json(200, &page.envelope(rows.iter().map(|r| r.json(p.account_id)).collect(), last)))
}

/// The redemption `id` if `p` redeemed it (`true`) or manages rewards at its item's org
/// (`false`); else 404.
fn visible(db: &Db, p: &Principal, id: i64) -> Result<(Redemption, bool), ApiError> {
    let r = Redemption::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such redemption".into()))?;
    if r.volunteer_account_id == p.account_id {
        return Ok((r, true));
    }
    if kit::allowed(p, Action::ManageRewards, &r.org_path)? {
        return Ok((r, false));
    }
    Err(ApiError::NotFound("no such redemption".into()))
}

/// `GET /api/v1/redemptions/{id}`.
pub fn detail(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let (r, _) = visible(&db, p, id)?;
    Ok(kit::json(200, &r.json(p.account_id)))
}

/// `POST /api/v1/redemptions/{id}/handover {"pickup_code"}`: staff at the item's org hand the
/// item over against the volunteer's code.
pub fn handover(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_request(req, &["pickup_code"])?;
    let code = f.line("pickup_code", 20)?;
    let db = Db::open()?;
    let r = Redemption::load(&db, id)?;
    kit::gate(p, Action::ManageRewards, r.as_ref().map_or("/-/", |r| r.org_path.as_str()), "redemption")?;
    let body = db.transaction(|db| {
        let before = Redemption::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such redemption".into()))?;
        if before.status == "cancelled" {
            return Err(ApiError::conflict("wrong_state", "the redemption was cancelled"));
        }
        if !rules::is_pickup_code(&code) || code != before.pickup_code {
            return Err(ApiError::invalid("pickup_code", "this is not the redemption's pickup code"));
        }
        if before.status == "handed_over" {
            return Ok(before.json(p.account_id));
        }
        db.exec(
            "UPDATE redemptions SET status = 'handed_over', handed_over_at = ?, handed_over_by = ?
             WHERE id = ? AND status = 'reserved'",
            &[Value::Integer(now), Value::Integer(p.account_id), Value::Integer(id)],
        )?;
        let after = Redemption::load(db, id)?.ok_or_else(|| ApiError::Internal("the redemption vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            "redemption.handover",
            "redemption",
            Some(id),
            &after.org_path,
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )?;
        Ok(after.json(p.account_id))
    })?;
    Ok(kit::json(200, &body))
}

/// `POST /api/v1/redemptions/{id}/cancel {"reason"?}`: the volunteer, or staff at the item's
/// org, before handover: the points come back through the ledger and the stock returns.
pub fn cancel(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_optional_request(req, &["reason"])?;
    let reason = f.opt_text("reason", 500)?.filter(|r| !r.is_empty());
    let db = Db::open()?;
    let (_, own) = visible(&db, p, id)?;
    let body = db.transaction(|db| {
        let before = Redemption::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such redemption".into()))?;
        match before.status.as_str() {
            "cancelled" => return Ok(before.json(p.account_id)),
            "handed_over" => {
                return Err(ApiError::conflict(
                    "wrong_state",
                    "the item was handed over; it can no longer be cancelled",
                ))
            }
            _ => {}
        }
        release(db, &before, now, Some(p.account_id), reason.as_deref(), p.account_id)?;
        let after = Redemption::load(db, id)?.ok_or_else(|| ApiError::Internal("the redemption vanished".into()))?;
        if !own {
            kit::audit(
                db,
                p.account_id,
                "redemption.cancel",
                "redemption",
                Some(id),
                &after.org_path,
                Some(&before.audit_json()),
                Some(&after.audit_json()),
            )?;
        }
        Ok(after.json(p.account_id))
    })?;
    Ok(kit::json(200, &body))
}

/// Releases a reservation that is still `reserved`: marks it cancelled (by `by`, `None` when it
/// expired), returns the stock and refunds the points through the ledger under
/// `refund:redemption:<id>` (the key is UNIQUE there too, so a refund is posted once however
/// often this runs). Call inside a transaction; `false` when it was no longer reserved (handed
/// over or released meanwhile) and nothing changed. The one rule behind a cancellation and an
/// expiry.
pub fn release(
    db: &Db,
    before: &Redemption,
    now: i64,
    by: Option<i64>,
    reason: Option<&str>,
    actor_id: i64,
) -> Result<bool, ApiError> {
    let id = before.id;
    let refund_key = format!("refund:redemption:{id}");
    let changed = db.exec(
        "UPDATE redemptions SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, cancel_reason = ?,
             refund_key = ? WHERE id = ? AND status = 'reserved'",
        &[
            Value::Integer(now),
            by.map_or(Value::Null, Value::Integer),
            reason.map_or(Value::Null, |r| Value::Text(r.into())),
            Value::Text(refund_key.clone()),
            Value::Integer(id),
        ],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    db.exec(
        "UPDATE reward_items SET stock = stock + ?, updated_at = ? WHERE id = ?",
        &[Value::Integer(before.quantity), Value::Integer(now), Value::Integer(before.item_id)],
    )?;
    if before.points > 0 {
        let note = format!("refund of {}", before.item_name);
        let credit = ledger_tx::post_points(
            db,
            before.volunteer_id,
            before.points,
            Source::Refund,
            id,
            actor_id,
            &refund_key,
            &note,
        )?;
        if let Debit::Insufficient(_) = credit {
            return Err(ApiError::Internal("the ledger refused a refund credit".into()));
        }
    }
    Ok(true)
}

/// What one expiry run did.
pub struct Expired {
    pub reservations: i64,
    pub points_refunded: i64,
}

/// Expires every reservation not collected within the deployment's `reward.pickup_days`
/// (default [`DEFAULT_PICKUP_DAYS`]) of redeeming, through [`release`]: stock back, points
/// refunded. The ledger posting names the volunteer's own account as its actor (the entry's
/// actor must be an account, and no staff member decided this). One transaction per run, up to
/// [`EXPIRE_LIMIT`] reservations.
pub fn expire_due(db: &Db, now: i64) -> Result<Expired, ApiError> {
    let days =
        kit::settings::int(db, PICKUP_DAYS_KEY, DEFAULT_PICKUP_DAYS, kit::settings::registry::range(PICKUP_DAYS_KEY))?;
    let cutoff = now - days * 86_400;
    let filter = "r.status = 'reserved' AND r.created_at <= ? ORDER BY r.id LIMIT ?";
    let params = [Value::Integer(cutoff), Value::Integer(EXPIRE_LIMIT)];
    // A read first, so a run with nothing due takes no write lock.
    if db.query_one(&format!("{SELECT} WHERE {filter}"), &params)?.is_none() {
        return Ok(Expired { reservations: 0, points_refunded: 0 });
    }
    db.transaction(|db| {
        let mut done = Expired { reservations: 0, points_refunded: 0 };
        for row in db.query(&format!("{SELECT} WHERE {filter}"), &params)? {
            let r = Redemption::from_row(&row)?;
            if release(db, &r, now, None, Some(EXPIRED_REASON), r.volunteer_account_id)? {
                done.reservations += 1;
                done.points_refunded += r.points;
            }
        }
        Ok(done)
    })
}

/// `POST /api/v1/jobs/expire-reservations` (the scheduler only): [`expire_due`]. → 200
/// `{"job": "expire-reservations", "expired": n, "points_refunded": p}`; a repeat finds nothing
/// due and answers 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let done = expire_due(&Db::open()?, now)?;
    Ok(kit::jobs::report(
        "expire-reservations",
        &[("expired", done.reservations), ("points_refunded", done.points_refunded)],
    ))
}
