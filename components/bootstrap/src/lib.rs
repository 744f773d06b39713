//! Bootstrap: the first centre admin (`POST /centre-admin`) and a believable demo county
//! (`POST /demo`). A fresh deployment has nobody who could create the first admin through the
//! API, so this component sits on a private route that only an operator on the machine reaches,
//! with `wenming call bootstrap POST /centre-admin --body '{...}'`.
//!
//! Passwords are hashed by the identity component (imported as `wenming:identity/identity`), so
//! the hashing rules stay in one place. The demo's confirmed service hours are credited through
//! the ledger (imported as `wenming:ledger/ledger`), on this component's own connection and
//! inside its transaction, like every other step that credits hours.

mod demo;
mod demo_activities;
mod demo_demands;
mod demo_evaluation;
mod demo_rewards;
mod demo_surveys;
mod setup;

use domain::{OrgPath, Role};
use kit::{identity, identity_error};
use kit::{ApiError, Db};
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::Value;

#[http_component]
fn handle(req: Request) -> Response {
    match route(&req) {
        Ok((status, body)) => kit::json(status, &body),
        Err(e) => e.into_response(),
    }
}

fn route(req: &Request) -> Result<(u16, serde_json::Value), ApiError> {
    // The one public route, `/api/v1/setup` (the first run from a browser, guarded by the setup
    // code), is dispatched on the request's own path before anything else: on Spin a client may
    // send its own `spin-path-info`, which must never lead a public request to `/centre-admin`
    // or `/demo`.
    if req.path().starts_with("/api/") {
        return match req.path().trim_end_matches('/') {
            "/api/v1/setup" => setup::handle(req),
            _ => Err(ApiError::NotFound("no such endpoint".into())),
        };
    }
    // A private route has no prefix, so the path is the whole request path; `spin-path-info` is
    // read first so the component also works behind a public `/prefix/...` route in tests.
    let path = req
        .header("spin-path-info")
        .and_then(|h| h.as_str())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| req.path().to_string());
    let path = path.trim_end_matches('/');
    let post = *req.method() == Method::Post;
    match path {
        "/centre-admin" if post => centre_admin(req),
        "/demo" if post => demo::seed(),
        "/centre-admin" | "/demo" => Err(ApiError::MethodNotAllowed("POST")),
        _ => Err(ApiError::NotFound("bootstrap serves POST /centre-admin and POST /demo".into())),
    }
}

/// A trimmed, non-empty name of at most 64 characters.
fn name_field(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 64 {
        return Err(ApiError::invalid(field, "must be 1 to 64 characters"));
    }
    Ok(value.to_string())
}

/// Inserts an org below `parent` (`None` for a root) and gives it its materialised path, which
/// needs the new id: insert under a placeholder path, then set the real one.
pub(crate) fn insert_org(
    db: &Db,
    parent: Option<(i64, &str)>,
    level: &str,
    name: &str,
    now: i64,
) -> Result<(i64, String), ApiError> {
    let id = db.insert(
        "INSERT INTO orgs (parent_id, level, name, path, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)",
        &[
            parent.map_or(Value::Null, |(id, _)| Value::Integer(id)),
            Value::Text(level.into()),
            Value::Text(name.into()),
            Value::Integer(now),
            Value::Integer(now),
        ],
    )?;
    let path = match parent {
        Some((_, parent_path)) => kit::org_path(parent_path)?.child(id),
        None => OrgPath::root(id),
    }
    .to_string();
    db.exec("UPDATE orgs SET path = ? WHERE id = ?", &[Value::Text(path.clone()), Value::Integer(id)])?;
    Ok((id, path))
}

/// Inserts an account; a phone already in use is a 409 naming it.
pub(crate) fn insert_account(
    db: &Db,
    name: &str,
    phone: &str,
    password_hash: Option<&str>,
    now: i64,
) -> Result<i64, ApiError> {
    db.insert(
        "INSERT INTO accounts (name, phone, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        &[
            Value::Text(name.into()),
            Value::Text(phone.into()),
            password_hash.map_or(Value::Null, |h| Value::Text(h.into())),
            Value::Integer(now),
            Value::Integer(now),
        ],
    )
    // libSQL quotes the column in backticks, which `kit::unique_violation` leaves on the name.
    .map_err(|e| match kit::unique_violation(&e).map(|c| c.trim_end_matches('`')) {
        Some("accounts.phone") => ApiError::conflict(
            "phone_taken",
            format!("an account with phone {} already exists", kit::mask_phone(phone)),
        ),
        _ => e,
    })
}

pub(crate) fn insert_grant(
    db: &Db,
    account_id: i64,
    role: Role,
    org_id: i64,
    granted_by: Option<i64>,
    now: i64,
) -> Result<i64, ApiError> {
    db.insert(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, created_at) VALUES (?, ?, ?, ?, ?)",
        &[
            Value::Integer(account_id),
            Value::Text(role.as_str().into()),
            Value::Integer(org_id),
            granted_by.map_or(Value::Null, Value::Integer),
            Value::Integer(now),
        ],
    )
}

pub(crate) fn centre_admin_exists(db: &Db) -> Result<bool, ApiError> {
    Ok(db.query_one("SELECT 1 AS one FROM role_grants WHERE role = 'centre-admin' LIMIT 1", &[])?.is_some())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CentreAdminBody {
    pub(crate) centre_name: String,
    pub(crate) admin_name: String,
    pub(crate) phone: String,
    pub(crate) password: String,
}

/// `POST /centre-admin`: the centre org, its first admin and the grant, once per deployment.
fn centre_admin(req: &Request) -> Result<(u16, serde_json::Value), ApiError> {
    let body: CentreAdminBody = kit::parse_body(req)?;
    create_centre_admin(body)
}

/// The centre, its first admin and the grant, unless a centre admin exists (409): the one
/// implementation behind `wenming call bootstrap POST /centre-admin` and `POST /api/v1/setup`.
pub(crate) fn create_centre_admin(body: CentreAdminBody) -> Result<(u16, serde_json::Value), ApiError> {
    let db = Db::open()?;
    if centre_admin_exists(&db)? {
        return Err(already_bootstrapped());
    }
    let centre_name = name_field("centre_name", &body.centre_name)?;
    let admin_name = name_field("admin_name", &body.admin_name)?;
    if !kit::valid_phone(&body.phone) {
        return Err(ApiError::invalid("phone", "must be an 11-digit mainland mobile number, e.g. 13812345678"));
    }
    // Hashed before the transaction: argon2 is slow on purpose and must not hold the write lock.
    let hash = identity::hash_password(&body.password).map_err(identity_error)?;
    let (centre_id, centre_path, account_id, grant_id) = db.transaction(|db| {
        // Checked again under the write lock: two operators racing must not make two centres.
        if centre_admin_exists(db)? {
            return Err(already_bootstrapped());
        }
        let now = kit::now();
        let (centre_id, centre_path) = insert_org(db, None, "centre", &centre_name, now)?;
        let account_id = insert_account(db, &admin_name, &body.phone, Some(&hash), now)?;
        let grant_id = insert_grant(db, account_id, Role::CentreAdmin, centre_id, None, now)?;
        let after = serde_json::json!({
            "centre": { "id": centre_id, "name": centre_name, "path": centre_path },
            "account": { "id": account_id, "name": admin_name, "phone": kit::mask_phone(&body.phone) },
            "grant": { "id": grant_id, "role": Role::CentreAdmin.as_str(), "org_id": centre_id },
        });
        kit::audit(
            db,
            account_id,
            "bootstrap.centre-admin",
            "account",
            Some(account_id),
            &centre_path,
            None,
            Some(&after),
        )?;
        Ok((centre_id, centre_path, account_id, grant_id))
    })?;
    Ok((
        201,
        serde_json::json!({
            "centre": { "id": centre_id, "name": centre_name, "level": "centre", "path": centre_path },
            "account": { "id": account_id, "name": admin_name, "phone": kit::mask_phone(&body.phone) },
            "grant": { "id": grant_id, "role": Role::CentreAdmin.as_str(), "org_id": centre_id },
        }),
    ))
}

fn already_bootstrapped() -> ApiError {
    ApiError::conflict("already_bootstrapped", "a centre admin already exists; add more admins through the API")
}
