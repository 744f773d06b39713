//! Who is calling and what they may see, all through `wenming:platform/identity` (the permission
//! table lives there, never here), plus the org lookups every resource needs.
//!
//! The rule for resources addressed by URL: outside the caller's scope is **404** (its existence
//! is not revealed); an action the caller's roles allow nowhere is **403**. Identity calls are
//! made before a transaction opens, never inside one.

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();

/// The subtree ranges a list may show: `p`'s scopes for `action`, narrowed to the subtree at
/// `within` (an `?org=` filter). Errors: 403 when `p` has no scope at all, 404 when `within`
/// lies outside every scope.
pub fn list_ranges(p: &Principal, action: Action, within: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let scopes = identity::scopes(p, action);
    if scopes.is_empty() {
        return Err(ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action))));
    }
    let ranges = ranges(&scopes, within);
    if ranges.is_empty() {
        return Err(ApiError::NotFound("no such org".into()));
    }
    Ok(ranges)
}

/// Scopes (materialised paths) → disjoint half-open path ranges, optionally intersected with the
/// subtree at `within`. Nested scopes collapse into the outer one.
pub fn ranges(scopes: &[String], within: Option<&str>) -> Vec<(String, String)> {
    let norm = |s: &str| format!("{}/", s.trim_end_matches('/'));
    let mut paths: Vec<String> = scopes
        .iter()
        .map(|s| norm(s))
        .filter_map(|s| match within.map(norm) {
            None => Some(s),
            Some(w) if w.starts_with(&s) => Some(w),
            Some(w) if s.starts_with(&w) => Some(s),
            Some(_) => None,
        })
        .collect();
    paths.sort();
    paths.dedup();
    let mut outer: Vec<String> = Vec::new();
    for p in paths {
        // Sorted, so an ancestor comes before its descendants.
        if !outer.iter().any(|o| p.starts_with(o.as_str())) {
            outer.push(p);
        }
    }
    outer.iter().map(|p| kit::subtree_bounds(p)).collect()
}

/// `(col >= ? AND col < ?) OR ...` for `ranges`, pushing the bounds onto `params`: one indexed
/// range per scope, never a recursive walk.
pub fn range_sql(column: &str, ranges: &[(String, String)], params: &mut Vec<Value>) -> String {
    let parts: Vec<String> = ranges
        .iter()
        .map(|(lo, hi)| {
            params.push(Value::Text(lo.clone()));
            params.push(Value::Text(hi.clone()));
            format!("({column} >= ? AND {column} < ?)")
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

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
        Some(org) if allowed(p, Action::ReadDirectory, &org.path)? => Ok(org),
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

/// Whether `p`'s roles allow `action` anywhere.
pub fn has_any(p: &Principal, action: Action) -> bool {
    !identity::scopes(p, action).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn nested_scopes_collapse() {
        assert_eq!(
            ranges(&s(&["/1/4/17/", "/1/4/", "/1/5/"]), None),
            vec![("/1/4/".into(), "/1/40".into()), ("/1/5/".into(), "/1/50".into())]
        );
        // A sibling whose id shares a prefix is not nested.
        assert_eq!(ranges(&s(&["/1/4/", "/1/40/"]), None).len(), 2);
    }

    #[test]
    fn a_filter_narrows_or_empties() {
        let scopes = s(&["/1/4/", "/1/5/9/"]);
        assert_eq!(ranges(&scopes, Some("/1/4/17/")), vec![("/1/4/17/".into(), "/1/4/170".into())]);
        // Filtering at an ancestor keeps the caller's own scopes only.
        assert_eq!(
            ranges(&scopes, Some("/1/")),
            vec![("/1/4/".into(), "/1/40".into()), ("/1/5/9/".into(), "/1/5/90".into())]
        );
        assert!(ranges(&scopes, Some("/1/6/")).is_empty());
        assert!(ranges(&scopes, Some("/1/40/")).is_empty());
    }

    #[test]
    fn range_sql_binds_every_bound() {
        let mut params = Vec::new();
        let sql = range_sql("o.path", &ranges(&s(&["/1/4/", "/1/5/"]), None), &mut params);
        assert_eq!(sql, "((o.path >= ? AND o.path < ?) OR (o.path >= ? AND o.path < ?))");
        assert_eq!(params.len(), 4);
    }
}
