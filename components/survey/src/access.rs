//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there). A survey outside the caller's scope is **404**; an action the
//! caller's roles allow nowhere is **403**. Identity calls happen before a transaction opens.

use kit::ApiError;
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

/// The signed-in principal behind the request's bearer token.
pub fn authenticate(req: &Request) -> Result<Principal, ApiError> {
    let token = kit::bearer(req)
        .ok_or_else(|| ApiError::Unauthenticated("sign in first: send Authorization: Bearer <token>".into()))?;
    identity::authenticate(&token).map_err(identity_error)
}

/// Identity's errors in the one error shape.
pub fn identity_error(e: identity::Error) -> ApiError {
    match e {
        identity::Error::Unauthenticated(m) => ApiError::Unauthenticated(m),
        identity::Error::Locked(secs) | identity::Error::Throttled(secs) => {
            ApiError::Throttled { retry_after: secs, message: "too many requests; try again later".into() }
        }
        identity::Error::Forbidden(m) => ApiError::Forbidden(m),
        identity::Error::Invalid((field, message)) => ApiError::Invalid { field, message },
        identity::Error::Storage(m) => ApiError::Internal(format!("identity: {m}")),
    }
}

/// Whether `p` may do `action` at `org_path`.
pub fn allowed(p: &Principal, action: Action, org_path: &str) -> Result<bool, ApiError> {
    match identity::authorize(p, action, org_path) {
        Ok(()) => Ok(true),
        Err(identity::Error::Forbidden(_)) => Ok(false),
        Err(e) => Err(identity_error(e)),
    }
}

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
