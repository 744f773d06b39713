//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there). A survey outside the caller's scope is **404**; an action the
//! caller's roles allow nowhere is **403**. Identity calls happen before a transaction opens.

use kit::ApiError;
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();

/// `Ok` when `p` may `action` at `org_path`; else 403 when the roles allow it nowhere, 404
/// when only this place is out of reach (and whether `what` exists is not said).
pub fn gate(p: &Principal, action: Action, org_path: &str, what: &str) -> Result<(), ApiError> {
    if allowed(p, action, org_path)? {
        return Ok(());
    }
    if identity::scopes(p, action).is_empty() {
        Err(ApiError::Forbidden(format!("your roles do not allow {}", kit::wit_name(&action))))
    } else {
        Err(ApiError::NotFound(format!("no such {what}")))
    }
}

/// `((col >= ? AND col < ?) OR ...)` over `p`'s scopes for `action`, pushing the bounds onto
/// `params`; `None` when the roles allow `action` nowhere.
pub fn scope_sql(p: &Principal, action: Action, column: &str, params: &mut Vec<Value>) -> Option<String> {
    let scopes = identity::scopes(p, action);
    if scopes.is_empty() {
        return None;
    }
    let parts: Vec<String> = scopes
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
