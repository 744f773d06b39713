//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there). Something outside the caller's scope is **404**; an action the
//! caller's roles allow nowhere is **403**. Identity calls happen before a transaction opens
//! where they can, so the write lock is held for database work only.

use kit::ApiError;
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();

/// The principal when a bearer token is sent (public endpoints that show more to staff).
pub fn optional(req: &Request) -> Result<Option<Principal>, ApiError> {
    if kit::bearer(req).is_none() {
        return Ok(None);
    }
    authenticate(req).map(Some)
}

/// `Ok` when `p` may `action` at `org_path`; else 403 when the roles allow it nowhere, 404
/// when only this place is out of reach (and whether `what` exists is not said).
pub fn gate(p: &Principal, action: Action, org_path: &str, what: &str) -> Result<(), ApiError> {
    if allowed(p, action, org_path)? {
        return Ok(());
    }
    Err(out_of_reach(p, action, what))
}

/// The refusal for something `p` may not `action` on: 403 when the roles allow it nowhere,
/// else 404 (whether it exists elsewhere is not said).
pub fn out_of_reach(p: &Principal, action: Action, what: &str) -> ApiError {
    if identity::scopes(p, action).is_empty() {
        ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action)))
    } else {
        ApiError::NotFound(format!("no such {what}"))
    }
}

/// `((col >= ? AND col < ?) OR ...)` over `p`'s scopes for `action`, pushing the bounds onto
/// `params`; `None` when the roles allow `action` nowhere.
pub fn scope_sql(p: &Principal, action: Action, column: &str, params: &mut Vec<Value>) -> Option<String> {
    subtree_sql(&identity::scopes(p, action), column, params)
}

/// `((col >= ? AND col < ?) OR ...)` over `paths`; `None` when there are none.
pub fn subtree_sql(paths: &[String], column: &str, params: &mut Vec<Value>) -> Option<String> {
    if paths.is_empty() {
        return None;
    }
    let parts: Vec<String> = paths
        .iter()
        .map(|s| {
            let (lo, hi) = kit::subtree_bounds(s);
            params.push(Value::Text(lo));
            params.push(Value::Text(hi));
            format!("({column} >= ? AND {column} < ?)")
        })
        .collect();
    Some(format!("({})", parts.join(" OR ")))
}

/// The org path and every ancestor's: `/1/4/17/` → `/1/`, `/1/4/`, `/1/4/17/`. A volunteer
/// may redeem at their home org and every org above it (the county's supermarket included).
pub fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::from("/");
    for part in path.split('/').filter(|s| !s.is_empty()) {
        acc.push_str(part);
        acc.push('/');
        out.push(acc.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_root_to_the_org_itself() {
        assert_eq!(ancestors("/1/4/17/"), vec!["/1/", "/1/4/", "/1/4/17/"]);
        assert_eq!(ancestors("/1/"), vec!["/1/"]);
        assert!(ancestors("/").is_empty());
    }
}
