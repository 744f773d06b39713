//! Screen links (大屏链接): a read-only, revocable link per org for a wall display that nobody
//! signs in to. The token is shown once, at creation; only its SHA-256 is stored, so a copy of
//! the database opens no screen. The screen reads aggregates only — counts, rates, org and team
//! names, activity titles and places — never a person's name or phone.

use kit::identity::{Action, Principal};
use kit::{ApiError, Db, Fields, Row, Scope};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::query::{Org, Period};
use crate::stats;

/// How often the screen page asks again (seconds): the figures are daily and the live list
/// moves by the minute, so a minute is fresh enough and costs one read per screen per minute.
pub const REFRESH_S: i64 = 60;
/// The days a screen shows: the last 30, today included.
pub const SCREEN_DAYS: i64 = 30;

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A new token: 32 bytes from the host's CSPRNG, hex.
fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

const COLUMNS: &str = "l.id, l.org_id, o.name AS org_name, o.path, l.label, l.created_at, l.revoked_at";

fn link_json(r: &Row) -> Result<Json, ApiError> {
    Ok(json!({
        "id": r.i64("id")?,
        "org_id": r.i64("org_id")?,
        "org_name": r.str("org_name")?,
        "label": r.str("label")?,
        "created_at": kit::time::rfc3339(r.i64("created_at")?),
        "revoked_at": kit::time::opt_rfc3339(r.opt_i64("revoked_at")?),
    }))
}

/// `POST /api/v1/dashboard/screen-links {"org_id", "label"}` → 201 with the `token` and the
/// page's `path` (shown this once). Needs manage-orgs at the org. Each call makes a new link
/// (a retried call makes a second link, which the list shows and which can be revoked): the
/// token cannot be replayed from a stored answer, since no answer holding it is ever stored.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut body = Fields::from_request(req, &["org_id", "label"])?;
    let org_id = body.id("org_id")?;
    let label = body.line("label", 40)?;
    let db = Db::open()?;
    let org = Org::load(&db, org_id)?.ok_or_else(|| ApiError::NotFound("no such org".into()))?;
    kit::gate(p, Action::ManageOrgs, &org.path, "org")?;
    let token = new_token()?;
    let now = kit::request_now(req);
    let link = db.transaction(|db| {
        let id = db.insert(
            "INSERT INTO screen_links (org_id, label, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                Value::Integer(org.id),
                Value::Text(label.clone()),
                Value::Text(sha256_hex(&token)),
                Value::Integer(p.account_id),
                Value::Integer(now),
            ],
        )?;
        let row = db
            .query_one(
                &format!("SELECT {COLUMNS} FROM screen_links l JOIN orgs o ON o.id = l.org_id WHERE l.id = ?"),
                &[Value::Integer(id)],
            )?
            .ok_or_else(|| ApiError::Internal("the screen link vanished".into()))?;
        let after = link_json(&row)?;
        kit::audit(db, p.account_id, "screen_link.create", "screen_link", Some(id), &org.path, None, Some(&after))?;
        Ok(after)
    })?;
    let mut answer = link;
    answer["token"] = json!(token);
    answer["path"] = json!(format!("/screen.html#{token}"));
    Ok(kit::json(201, &answer))
}

/// `GET /api/v1/dashboard/screen-links?org=` → the links of the orgs where the caller holds
/// manage-orgs (or of one org in it), newest first, revoked ones included. Tokens are never
/// shown again.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let within = match kit::query_id(req, "org")? {
        Some(id) => Some(Org::load(&db, id)?.ok_or_else(|| ApiError::NotFound("no such org".into()))?.path),
        None => None,
    };
    let scope = Scope::listing(p, Action::ManageOrgs, within.as_deref())?;
    let mut params = Vec::new();
    let condition = scope.condition("o.path", &mut params);
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM screen_links l JOIN orgs o ON o.id = l.org_id WHERE {condition}
             ORDER BY l.id DESC LIMIT 200"
        ),
        &params,
    )?;
    let items = rows.iter().map(link_json).collect::<Result<Vec<_>, _>>()?;
    Ok(kit::json(200, &json!({ "items": items })))
}

/// `POST /api/v1/dashboard/screen-links/{id}/revoke` → the link, revoked: its screen stops on
/// its next refresh. Revoking again answers the same and changes nothing.
pub fn revoke(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let now = kit::request_now(req);
    let link = db.transaction(|db| {
        let select = format!("SELECT {COLUMNS} FROM screen_links l JOIN orgs o ON o.id = l.org_id WHERE l.id = ?");
        let row = db
            .query_one(&select, &[Value::Integer(id)])?
            .ok_or_else(|| ApiError::NotFound("no such screen link".into()))?;
        kit::gate(p, Action::ManageOrgs, &row.str("path")?, "screen link")?;
        if row.opt_i64("revoked_at")?.is_some() {
            return link_json(&row);
        }
        db.exec(
            "UPDATE screen_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
            &[Value::Integer(now), Value::Integer(p.account_id), Value::Integer(id)],
        )?;
        let before = link_json(&row)?;
        let after_row =
            db.query_one(&select, &[Value::Integer(id)])?.ok_or_else(|| ApiError::Internal("gone".into()))?;
        let after = link_json(&after_row)?;
        kit::audit(
            db,
            p.account_id,
            "screen_link.revoke",
            "screen_link",
            Some(id),
            &row.str("path")?,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })?;
    Ok(kit::json(200, &link))
}

/// `GET /api/v1/screen/{token}` → everything the screen shows for the link's org over the last
/// [`SCREEN_DAYS`] days, in one read: 404 for an unknown or revoked token (the same answer, so
/// a guess learns nothing).
pub fn read(req: &Request, token: &str) -> Result<Response, ApiError> {
    let gone = || ApiError::NotFound("no such screen link, or it was revoked".into());
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let db = Db::open()?;
    let org_id = db
        .query_one(
            "SELECT org_id FROM screen_links WHERE token_hash = ? AND revoked_at IS NULL",
            &[Value::Text(sha256_hex(&token.to_ascii_lowercase()))],
        )?
        .ok_or_else(gone)?
        .i64("org_id")?;
    let org = Org::load(&db, org_id)?.ok_or_else(gone)?;
    let now = kit::request_now(req);
    let period = Period::last(SCREEN_DAYS, now);
    let mut out = stats::with_context(&org, period, json!({}));
    let parts: [(&str, stats::Figure); 8] = [
        ("summary", stats::summary),
        ("series", stats::series),
        ("funnel", stats::funnel),
        ("rankings", stats::rankings),
        ("portrait", stats::portrait),
        ("categories", stats::categories),
        ("rates", stats::rates),
        ("live", stats::live),
    ];
    for (name, figure) in parts {
        out[name] = figure(&db, &org, period, now)?;
    }
    out["generated_at"] = json!(kit::time::rfc3339(now));
    out["refresh_s"] = json!(REFRESH_S);
    let mut resp = kit::json(200, &out);
    resp.set_header("cache-control", "no-store");
    Ok(resp)
}
