//! Staff accounts and role grants: `POST/GET /api/v1/accounts`, `GET /api/v1/accounts/{id}`,
//! `POST /api/v1/accounts/{id}/roles`, `DELETE /api/v1/accounts/{id}/roles/{grant_id}`.
//!
//! An account belongs to no org; it is visible to an admin through the roles it holds in the
//! admin's subtrees. Phones are always masked here.

use kit::{ApiError, Db, Page, Row};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, not_found};
use crate::input::{self, Fields};
use crate::orgs;
use domain::Role;
use kit::identity::{self, Action};
use kit::{identity_error, Scope};

/// `{"name", "phone", "password"?}` → 201 `{"id", "name", "phone"}` (masked); manage-accounts
/// somewhere. Without a password the person signs in by SMS code.
pub fn create(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let scope = caller.scope_or_forbidden(Action::ManageAccounts)?;
    let mut body = Fields::from_request(req, &["name", "phone", "password"])?;
    let name = body.raw("name")?;
    let phone = body.raw("phone")?;
    let password = body.opt_str("password")?;
    let name = input::name("name", &name)?;
    let phone = input::phone("phone", &phone)?;
    // Hashing is slow and needs no database: done before taking the write lock.
    let password_hash = match password {
        Some(p) if p.len() > 256 => {
            return Err(ApiError::invalid("password", "password must be at most 256 characters"))
        }
        Some(p) => Some(identity::hash_password(&p).map_err(|e| match identity_error(e) {
            ApiError::Invalid { message, .. } => ApiError::invalid("password", message),
            other => other,
        })?),
        None => None,
    };

    let db = Db::open()?;
    crate::idempotent_create(req, &db, &caller, |db| {
        if db.query_one("SELECT id FROM accounts WHERE phone = ?", &[Value::Text(phone.clone())])?.is_some() {
            return Err(phone_taken());
        }
        let now = kit::now();
        let id = db
            .insert(
                "INSERT INTO accounts (name, phone, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                &[
                    Value::Text(name.clone()),
                    Value::Text(phone.clone()),
                    password_hash.clone().map_or(Value::Null, Value::Text),
                    Value::Integer(now),
                    Value::Integer(now),
                ],
            )
            .map_err(|e| if kit::unique_violation(&e) == Some("accounts.phone") { phone_taken() } else { e })?;
        let after = serde_json::json!({ "id": id, "name": name, "phone": kit::mask_phone(&phone) });
        // An account has no org of its own; file the entry under the creator's outermost subtree
        // so the auditors who can see that subtree see it.
        let filed_under = scope.roots()[0].as_str();
        kit::audit(db, caller.account_id(), "account.create", "account", Some(id), filed_under, None, Some(&after))?;
        Ok((201, after))
    })
}

fn phone_taken() -> ApiError {
    ApiError::conflict("phone_taken", "an account with this phone already exists")
}

/// The admin role that may only be held at one level, and that level.
fn admin_level(role: Role) -> Option<&'static str> {
    match role {
        Role::CentreAdmin => Some("centre"),
        Role::InstituteAdmin => Some("institute"),
        Role::StationAdmin => Some("station"),
        _ => None,
    }
}

/// `{"role", "org_id"}` → 201 grant; manage-accounts at the org.
pub fn grant(req: &Request, account_id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let account_id = input::path_id(account_id, "account")?;
    let mut body = Fields::from_request(req, &["role", "org_id"])?;
    let role_text = body.raw("role")?;
    let org_id = body.id("org_id")?;
    let role = Role::parse(&role_text).map_err(|_| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::invalid("role", format!("role must be one of {}", all.join(", ")))
    })?;

    let db = Db::open()?;
    let org = orgs::visible(&db, &caller, org_id)?;
    caller.require(Action::ManageAccounts, &org.path, "org")?;
    if let Some(level) = admin_level(role) {
        if org.level != level {
            return Err(ApiError::invalid(
                "role",
                format!("{role_text} is held only at level {level}; this org is level {}", org.level),
            ));
        }
    }
    if db.query_one("SELECT id FROM accounts WHERE id = ?", &[Value::Integer(account_id)])?.is_none() {
        return Err(not_found("account"));
    }
    // Someone else's staff is not the caller's to take on (see `kit::works_elsewhere`).
    let scope = identity::scopes(&caller.principal, Action::ManageAccounts);
    if kit::works_elsewhere(&db, account_id, &scope)? {
        return Err(not_found("account"));
    }

    crate::idempotent_create(req, &db, &caller, |db| {
        let org = orgs::find(db, org.id)?.ok_or_else(|| not_found("org"))?;
        if !org.active {
            return Err(ApiError::conflict("wrong_state", "roles cannot be granted at an inactive org"));
        }
        let account = db
            .query_one("SELECT active FROM accounts WHERE id = ?", &[Value::Integer(account_id)])?
            .ok_or_else(|| not_found("account"))?;
        if account.i64("active")? != 1 {
            return Err(ApiError::conflict("wrong_state", "the account is inactive"));
        }
        let existing = db.query_one(
            "SELECT id FROM role_grants WHERE account_id = ? AND role = ? AND org_id = ?",
            &[Value::Integer(account_id), Value::Text(role_text.clone()), Value::Integer(org.id)],
        )?;
        if existing.is_some() {
            return Err(ApiError::conflict("already_granted", "the account already holds this role here"));
        }
        let id = insert_grant(db, account_id, role, org.id, caller.account_id())?;
        let after = grant_json(&find_grant(db, id)?.ok_or_else(|| not_found("role grant"))?)?;
        kit::audit(db, caller.account_id(), "role.grant", "role_grant", Some(id), &org.path, None, Some(&after))?;
        Ok((201, after))
    })
}

/// Inserts a grant (the caller has checked it is new and allowed); its id.
pub fn insert_grant(db: &Db, account_id: i64, role: Role, org_id: i64, granted_by: i64) -> Result<i64, ApiError> {
    db.insert(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, created_at) VALUES (?, ?, ?, ?, ?)",
        &[
            Value::Integer(account_id),
            Value::Text(role.as_str().into()),
            Value::Integer(org_id),
            Value::Integer(granted_by),
            Value::Integer(kit::now()),
        ],
    )
}

const GRANT_COLUMNS: &str = "g.id, g.account_id, g.role, g.org_id, o.path AS org_path, o.name AS org_name, \
                             g.granted_by, g.created_at";

pub fn find_grant(db: &Db, id: i64) -> Result<Option<Row>, ApiError> {
    db.query_one(
        &format!("SELECT {GRANT_COLUMNS} FROM role_grants g JOIN orgs o ON o.id = g.org_id WHERE g.id = ?"),
        &[Value::Integer(id)],
    )
}

pub fn grant_json(row: &Row) -> Result<serde_json::Value, ApiError> {
    Ok(serde_json::json!({
        "id": row.i64("id")?,
        "account_id": row.i64("account_id")?,
        "role": row.str("role")?,
        "org_id": row.i64("org_id")?,
        "org_path": row.str("org_path")?,
        "org_name": row.str("org_name")?,
        "granted_by": row.opt_i64("granted_by")?,
        "created_at": input::rfc3339(row.i64("created_at")?),
    }))
}

/// → 204; manage-accounts at the grant's org. The last centre admin of a centre stays (409
/// `last_admin`): nobody could grant it again without the bootstrap.
pub fn revoke(req: &Request, account_id: &str, grant_id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let account_id = input::path_id(account_id, "account")?;
    let grant_id = input::path_id(grant_id, "role grant")?;
    let db = Db::open()?;
    let grant = find_grant(&db, grant_id)?
        .filter(|g| g.i64("account_id").ok() == Some(account_id))
        .ok_or_else(|| not_found("role grant"))?;
    let org_path = grant.str("org_path")?;
    caller.require(Action::ManageAccounts, &org_path, "role grant")?;

    db.transaction(|db| {
        let grant = find_grant(db, grant_id)?.ok_or_else(|| not_found("role grant"))?;
        let role = grant.str("role")?;
        let org_id = grant.i64("org_id")?;
        let mut before = grant_json(&grant)?;
        match role.as_str() {
            "centre-admin" => {
                let others = db.query_one(
                    "SELECT COUNT(*) AS n FROM role_grants g JOIN accounts a ON a.id = g.account_id
                     WHERE g.role = 'centre-admin' AND g.org_id = ? AND g.id != ? AND a.active = 1",
                    &[Value::Integer(org_id), Value::Integer(grant_id)],
                )?;
                if others.map_or(Ok(0), |r| r.i64("n"))? == 0 {
                    return Err(ApiError::conflict("last_admin", "this is the centre's last centre admin"));
                }
            }
            // Leadership is read from `teams`, so revoking the role alone would not end it.
            "team-leader" if kit::leads_team_at(db, account_id, org_id)? => {
                return Err(ApiError::conflict(
                    "wrong_state",
                    "the account leads a team here: give the team another leader first",
                ));
            }
            // The role and the handler lists say the same thing; they go together.
            "department-handler" => {
                let departments = db.query(
                    "SELECT h.department_id FROM department_handlers h JOIN departments d ON d.id = h.department_id
                     WHERE h.account_id = ? AND d.org_id = ?",
                    &[Value::Integer(account_id), Value::Integer(org_id)],
                )?;
                let ids: Vec<i64> = departments.iter().map(|r| r.i64("department_id")).collect::<Result<_, _>>()?;
                for id in &ids {
                    db.exec(
                        "DELETE FROM department_handlers WHERE department_id = ? AND account_id = ?",
                        &[Value::Integer(*id), Value::Integer(account_id)],
                    )?;
                }
                before["handler_of_departments"] = ids.into();
            }
            _ => {}
        }
        db.exec("DELETE FROM role_grants WHERE id = ?", &[Value::Integer(grant_id)])?;
        kit::audit(db, caller.account_id(), "role.revoke", "role_grant", Some(grant_id), &org_path, Some(&before), None)
    })?;
    Ok(Response::builder().status(204).build())
}

/// `?org=<id>&limit=&cursor=` → accounts holding a role in the caller's manage-accounts subtrees
/// (or under `org`), each with the roles it holds there.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let page = Page::from_request(req)?;
    let org = input::query_id(req, "org")?;
    let mut scope = caller.scope_or_forbidden(Action::ManageAccounts)?;
    let db = Db::open()?;
    if let Some(org) = org {
        let org = orgs::visible(&db, &caller, org)?;
        caller.require(Action::ManageAccounts, &org.path, "org")?;
        scope = Scope::from_paths(&[org.path]);
    }
    let mut params = vec![Value::Integer(page.after)];
    let scoped = scope.condition("o.path", &mut params);
    params.push(Value::Integer(page.limit));
    let grants = "role_grants g JOIN orgs o ON o.id = g.org_id";
    let sql = if scope.is_large(&db, grants, "o.path")? {
        // Most accounts qualify: walk accounts in id order and stop when the page is full.
        format!(
            "SELECT a.id, a.name, a.phone, a.active, a.created_at FROM accounts a
             WHERE a.id > ? AND EXISTS (SELECT 1 FROM {grants} WHERE g.account_id = a.id AND {scoped})
             ORDER BY a.id LIMIT ?"
        )
    } else {
        // Few qualify: gather them from the subtrees' grants (path index, then grants by org).
        format!(
            "SELECT a.id, a.name, a.phone, a.active, a.created_at FROM accounts a
             WHERE a.id > ? AND a.id IN (SELECT g.account_id FROM {grants} WHERE {scoped})
             ORDER BY a.id LIMIT ?"
        )
    };
    let rows = db.query(&sql, &params)?;
    let items = with_roles(&db, &rows, &scope)?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// One account, if it holds a role the caller manages (or is the caller).
pub fn get(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "account")?;
    let db = Db::open()?;
    let scope = if id == caller.account_id() {
        // Everyone may see their own account and every role they hold.
        Scope::from_paths(&caller.principal.grants.iter().map(|g| g.org_path.clone()).collect::<Vec<_>>())
    } else {
        caller.scope(Action::ManageAccounts)
    };
    let row = db
        .query_one("SELECT id, name, phone, active, created_at FROM accounts WHERE id = ?", &[Value::Integer(id)])?
        .ok_or_else(|| not_found("account"))?;
    let item = with_roles(&db, &[row], &scope)?.pop().ok_or_else(|| not_found("account"))?;
    if id != caller.account_id() && item["roles"].as_array().is_none_or(Vec::is_empty) {
        return Err(not_found("account"));
    }
    Ok(kit::json(200, &item))
}

/// `POST /api/v1/accounts/{id}/unlock` → 200 the account: clears the password lockouts of every
/// client, the account-wide failure count and its delay; manage-accounts over an org where the account holds a role (the scope
/// `GET /accounts/{id}` uses, so an account outside it is 404). Anyone can lock an account by
/// guessing, the only centre admin included; this is how an admin gives it back. Audited as
/// `account.unlock`, with the lock as it was, even when there was none (the admin acted).
pub fn unlock(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "account")?;
    let scope = caller.scope_or_forbidden(Action::ManageAccounts)?;
    let db = Db::open()?;
    let row = db
        .query_one("SELECT id, name, phone, active, created_at FROM accounts WHERE id = ?", &[Value::Integer(id)])?
        .ok_or_else(|| not_found("account"))?;
    let item = with_roles(&db, &[row], &scope)?.pop().ok_or_else(|| not_found("account"))?;
    // Filed under the first in-scope role's org, so the auditors who can see the caller's
    // view of the account see the entry.
    let filed_under = match item["roles"].as_array().and_then(|r| r.first()) {
        Some(role) => role["org_path"].as_str().unwrap_or_default().to_string(),
        None => return Err(not_found("account")),
    };
    db.transaction(|db| {
        let now = kit::now();
        let account = db
            .query_one("SELECT failed_sign_ins, delayed_until FROM accounts WHERE id = ?", &[Value::Integer(id)])?
            .ok_or_else(|| not_found("account"))?;
        // Locks are per client (an outsider's guesses lock only the outsider's address); the
        // audit keeps how many clients were locked out, not who they were.
        let clients_locked = db
            .query_one(
                "SELECT COUNT(*) AS n FROM sign_in_locks WHERE account_id = ? AND locked_until > ?",
                &[Value::Integer(id), Value::Integer(now)],
            )?
            .map_or(Ok(0), |r| r.i64("n"))?;
        let delayed_until = account.opt_i64("delayed_until")?.filter(|until| *until > now);
        let before = serde_json::json!({
            "failed_sign_ins": account.i64("failed_sign_ins")?,
            "locked": clients_locked > 0 || delayed_until.is_some(),
            "clients_locked": clients_locked,
            "delayed_until": delayed_until.map(input::rfc3339),
        });
        db.exec("DELETE FROM sign_in_locks WHERE account_id = ?", &[Value::Integer(id)])?;
        db.exec("UPDATE accounts SET failed_sign_ins = 0, delayed_until = NULL WHERE id = ?", &[Value::Integer(id)])?;
        let after =
            serde_json::json!({ "failed_sign_ins": 0, "locked": false, "clients_locked": 0, "delayed_until": null });
        kit::audit(
            db,
            caller.account_id(),
            "account.unlock",
            "account",
            Some(id),
            &filed_under,
            Some(&before),
            Some(&after),
        )
    })?;
    Ok(kit::json(200, &item))
}

/// Account JSON (phone masked) with the roles each holds inside `scope`.
fn with_roles(db: &Db, accounts: &[Row], scope: &Scope) -> Result<Vec<serde_json::Value>, ApiError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = accounts.iter().map(|r| r.i64("id")).collect::<Result<_, _>>()?;
    let mut params: Vec<Value> = ids.iter().map(|id| Value::Integer(*id)).collect();
    let placeholders = vec!["?"; ids.len()].join(", ");
    let condition = scope.condition("o.path", &mut params);
    let grants = db.query(
        &format!(
            "SELECT {GRANT_COLUMNS} FROM role_grants g JOIN orgs o ON o.id = g.org_id
             WHERE g.account_id IN ({placeholders}) AND {condition} ORDER BY g.id"
        ),
        &params,
    )?;
    accounts
        .iter()
        .map(|a| {
            let id = a.i64("id")?;
            let roles = grants
                .iter()
                .filter(|g| g.i64("account_id").ok() == Some(id))
                .map(grant_json)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(serde_json::json!({
                "id": id,
                "name": a.str("name")?,
                "phone": kit::mask_phone(&a.str("phone")?),
                "active": a.i64("active")? == 1,
                "created_at": input::rfc3339(a.i64("created_at")?),
                "roles": roles,
            }))
        })
        .collect()
}
