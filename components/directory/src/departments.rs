//! Government departments that petitions are forwarded to, and their handlers:
//! `POST/GET /api/v1/departments`, `GET /api/v1/departments/{id}`,
//! `POST /api/v1/departments/{id}/handlers`.

use kit::{ApiError, Db, Page, Row};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, not_found};
use crate::accounts;
use crate::input::{self, Fields};
use crate::orgs;
use domain::Role;
use kit::identity::Action;
use kit::Scope;

const COLUMNS: &str = "d.id, d.org_id, o.path AS org_path, o.name AS org_name, d.name, d.active, d.created_at";

/// `{"org_id", "name"}` → 201 department; manage-departments at the org.
pub fn create(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let mut body = Fields::from_request(req, &["org_id", "name"])?;
    let org_id = body.id("org_id")?;
    let name = body.raw("name")?;
    let name = input::name("name", &name)?;
    let db = Db::open()?;
    let org = orgs::visible(&db, &caller, org_id)?;
    caller.require(Action::ManageDepartments, &org.path, "org")?;

    crate::idempotent_create(req, &db, &caller, |db| {
        let org = orgs::find(db, org.id)?.ok_or_else(|| not_found("org"))?;
        if !org.active {
            return Err(ApiError::conflict("wrong_state", "departments cannot be added to an inactive org"));
        }
        let taken = db.query_one(
            "SELECT id FROM departments WHERE org_id = ? AND name = ?",
            &[Value::Integer(org.id), Value::Text(name.clone())],
        )?;
        if taken.is_some() {
            return Err(name_taken());
        }
        let id = db
            .insert(
                "INSERT INTO departments (org_id, name, created_at) VALUES (?, ?, ?)",
                &[Value::Integer(org.id), Value::Text(name.clone()), Value::Integer(kit::now())],
            )
            .map_err(|e| if kit::unique_violation(&e).is_some() { name_taken() } else { e })?;
        let after = json(db, &find(db, id)?.ok_or_else(|| not_found("department"))?)?;
        kit::audit(
            db,
            caller.account_id(),
            "department.create",
            "department",
            Some(id),
            &org.path,
            None,
            Some(&after),
        )?;
        Ok((201, after))
    })
}

fn name_taken() -> ApiError {
    ApiError::conflict("name_taken", "this org already has a department with this name")
}

fn find(db: &Db, id: i64) -> Result<Option<Row>, ApiError> {
    db.query_one(
        &format!("SELECT {COLUMNS} FROM departments d JOIN orgs o ON o.id = d.org_id WHERE d.id = ?"),
        &[Value::Integer(id)],
    )
}

/// Department JSON with its handlers.
fn json(db: &Db, row: &Row) -> Result<serde_json::Value, ApiError> {
    Ok(with_handlers(db, std::slice::from_ref(row))?.remove(0))
}

fn with_handlers(db: &Db, rows: &[Row]) -> Result<Vec<serde_json::Value>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.i64("id")).collect::<Result<_, _>>()?;
    let placeholders = vec!["?"; ids.len()].join(", ");
    let handlers = db.query(
        &format!(
            "SELECT h.department_id, a.id, a.name FROM department_handlers h JOIN accounts a ON a.id = h.account_id
             WHERE h.department_id IN ({placeholders}) ORDER BY a.id"
        ),
        &ids.iter().map(|id| Value::Integer(*id)).collect::<Vec<_>>(),
    )?;
    rows.iter()
        .map(|r| {
            let id = r.i64("id")?;
            let handlers = handlers
                .iter()
                .filter(|h| h.i64("department_id").ok() == Some(id))
                .map(|h| Ok(serde_json::json!({ "account_id": h.i64("id")?, "name": h.str("name")? })))
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(serde_json::json!({
                "id": id,
                "org_id": r.i64("org_id")?,
                "org_path": r.str("org_path")?,
                "org_name": r.str("org_name")?,
                "name": r.str("name")?,
                "active": r.i64("active")? == 1,
                "created_at": input::rfc3339(r.i64("created_at")?),
                "handlers": handlers,
            }))
        })
        .collect()
}

/// `?org=&limit=&cursor=` → departments in the caller's read-directory subtrees (or under `org`).
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let page = Page::from_request(req)?;
    let org = input::query_id(req, "org")?;
    let db = Db::open()?;
    let scope = match org {
        Some(id) => Scope::from_paths(&[orgs::visible(&db, &caller, id)?.path]),
        None => caller.readable().clone(),
    };
    let from = "departments d JOIN orgs o ON o.id = d.org_id";
    let params = [Value::Integer(page.after), Value::Integer(page.limit)];
    let rows = scope.page(&db, from, "o.path", page.limit, &params, |scoped| {
        format!("SELECT {COLUMNS} FROM {from} WHERE {scoped} AND d.id > ? ORDER BY d.id LIMIT ?")
    })?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    Ok(kit::json(200, &page.envelope(with_handlers(&db, &rows)?, last)))
}

pub fn get(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "department")?;
    let db = Db::open()?;
    let row = visible(&db, &caller, id)?;
    Ok(kit::json(200, &json(&db, &row)?))
}

fn visible(db: &Db, caller: &access::Caller, id: i64) -> Result<Row, ApiError> {
    match find(db, id)? {
        Some(row) if caller.readable().contains(&row.str("org_path")?) => Ok(row),
        _ => Err(not_found("department")),
    }
}

/// `{"account_id"}` → 201 department; manage-departments at its org. Also grants
/// `department-handler` at that org, which is what lets the handler see forwarded petitions.
pub fn add_handler(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "department")?;
    let db = Db::open()?;
    let department = visible(&db, &caller, id)?;
    let org_path = department.str("org_path")?;
    let org_id = department.i64("org_id")?;
    caller.require(Action::ManageDepartments, &org_path, "department")?;
    let account_id = Fields::from_request(req, &["account_id"])?.id("account_id")?;
    if db.query_one("SELECT id FROM accounts WHERE id = ?", &[Value::Integer(account_id)])?.is_none() {
        return Err(ApiError::invalid("account_id", "no such account"));
    }

    crate::idempotent_create(req, &db, &caller, |db| {
        let before = find(db, id)?.ok_or_else(|| not_found("department"))?;
        if before.i64("active")? != 1 {
            return Err(ApiError::conflict("wrong_state", "the department is inactive"));
        }
        let account = db
            .query_one("SELECT active FROM accounts WHERE id = ?", &[Value::Integer(account_id)])?
            .ok_or_else(|| ApiError::invalid("account_id", "no such account"))?;
        if account.i64("active")? != 1 {
            return Err(ApiError::conflict("wrong_state", "the account is inactive"));
        }
        let already = db.query_one(
            "SELECT 1 AS x FROM department_handlers WHERE department_id = ? AND account_id = ?",
            &[Value::Integer(id), Value::Integer(account_id)],
        )?;
        if already.is_some() {
            return Err(ApiError::conflict("already_handler", "the account already handles this department"));
        }
        let before_json = json(db, &before)?;
        db.exec(
            "INSERT INTO department_handlers (department_id, account_id) VALUES (?, ?)",
            &[Value::Integer(id), Value::Integer(account_id)],
        )?;
        let held = db.query_one(
            "SELECT id FROM role_grants WHERE account_id = ? AND role = 'department-handler' AND org_id = ?",
            &[Value::Integer(account_id), Value::Integer(org_id)],
        )?;
        if held.is_none() {
            let grant_id =
                accounts::insert_grant(db, account_id, Role::DepartmentHandler, org_id, caller.account_id())?;
            let grant =
                accounts::grant_json(&accounts::find_grant(db, grant_id)?.ok_or_else(|| not_found("role grant"))?)?;
            kit::audit(
                db,
                caller.account_id(),
                "role.grant",
                "role_grant",
                Some(grant_id),
                &org_path,
                None,
                Some(&grant),
            )?;
        }
        let after = json(db, &find(db, id)?.ok_or_else(|| not_found("department"))?)?;
        kit::audit(
            db,
            caller.account_id(),
            "department.handler.add",
            "department",
            Some(id),
            &org_path,
            Some(&before_json),
            Some(&after),
        )?;
        Ok((201, after))
    })
}
