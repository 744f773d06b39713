//! The org lookups every resource here needs, and role grants. Who is calling and what they may
//! see is `kit`'s (`kit::authenticate`, `kit::gate`, `kit::Scope`), through
//! `wenming:identity/identity`: outside the caller's scope is **404** (its existence is not
//! revealed); an action the caller's roles allow nowhere is **403**.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use kit::identity::{Action, Principal};

/// An org as the resources here need it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub active: bool,
}

/// The org with `id`, if it exists.
pub fn org(db: &Db, id: i64) -> Result<Option<Org>, ApiError> {
    let row = db.query_one("SELECT id, name, path, active FROM orgs WHERE id = ?", &[Value::Integer(id)])?;
    row.map(|r| Ok(Org { id: r.i64("id")?, name: r.str("name")?, path: r.str("path")?, active: r.i64("active")? == 1 }))
        .transpose()
}

/// The active org a body field names, else 422 on that field.
pub fn active_org(db: &Db, id: i64, field: &str) -> Result<Org, ApiError> {
    org(db, id)?.filter(|o| o.active).ok_or_else(|| ApiError::invalid(field, "no such active org"))
}

/// The active org a body field names, as `p` may see it. A missing org and one outside `p`'s
/// read-directory scope get the same 404 (as the directory answers for a parent org), so that
/// another station's org cannot be told from one that does not exist.
pub fn visible_org(db: &Db, p: &Principal, id: i64, field: &str) -> Result<Org, ApiError> {
    match org(db, id)?.filter(|o| o.active) {
        Some(org) if kit::allowed(p, Action::ReadDirectory, &org.path)? => Ok(org),
        _ => Err(ApiError::NotFound(format!("no such active org for {field}"))),
    }
}

/// The org an `?org=` filter names, as a path to narrow a list to; unknown is 404.
pub fn filter_org(db: &Db, id: Option<i64>) -> Result<Option<String>, ApiError> {
    match id {
        None => Ok(None),
        Some(id) => org(db, id)?.map(|o| Some(o.path)).ok_or_else(|| ApiError::NotFound("no such org".into())),
    }
}

/// Grants `role` to `account_id` at `org` unless already held, auditing a new grant as
/// `role.grant`. Runs inside the caller's transaction.
pub fn grant_role(db: &Db, actor_id: i64, account_id: i64, role: &str, org: &Org) -> Result<(), ApiError> {
    let now = kit::now();
    let changed = db.exec(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account_id, role, org_id) DO NOTHING",
        &[
            Value::Integer(account_id),
            Value::Text(role.into()),
            Value::Integer(org.id),
            Value::Integer(actor_id),
            Value::Integer(now),
        ],
    )?;
    if changed == 1 {
        let row = db.query_one(
            "SELECT id FROM role_grants WHERE account_id = ? AND role = ? AND org_id = ?",
            &[Value::Integer(account_id), Value::Text(role.into()), Value::Integer(org.id)],
        )?;
        let id = row.map(|r| r.i64("id")).transpose()?;
        let after = serde_json::json!({ "id": id, "account_id": account_id, "role": role, "org_id": org.id });
        kit::audit(db, actor_id, "role.grant", "role_grant", id, &org.path, None, Some(&after))?;
    }
    Ok(())
}

/// Revokes `role` held by `account_id` at `org`, if held, auditing it as `role.revoke`. Runs
/// inside the caller's transaction.
pub fn revoke_role(db: &Db, actor_id: i64, account_id: i64, role: &str, org: &Org) -> Result<(), ApiError> {
    let params = [Value::Integer(account_id), Value::Text(role.into()), Value::Integer(org.id)];
    let row = db.query_one("SELECT id FROM role_grants WHERE account_id = ? AND role = ? AND org_id = ?", &params)?;
    if let Some(row) = row {
        let id = row.i64("id")?;
        db.exec("DELETE FROM role_grants WHERE id = ?", &[Value::Integer(id)])?;
        let before = serde_json::json!({ "id": id, "account_id": account_id, "role": role, "org_id": org.id });
        kit::audit(db, actor_id, "role.revoke", "role_grant", Some(id), &org.path, Some(&before), None)?;
    }
    Ok(())
}
