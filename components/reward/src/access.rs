//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there). Something outside the caller's scope is **404**; an action the
//! caller's roles allow nowhere is **403**. Identity calls happen before a transaction opens
//! where they can, so the write lock is held for database work only.

use kit::ApiError;
use spin_sdk::http::Request;

use crate::wenming::platform::identity::Principal;

kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();

/// The principal when a bearer token is sent (public endpoints that show more to staff).
pub fn optional(req: &Request) -> Result<Option<Principal>, ApiError> {
    if kit::bearer(req).is_none() {
        return Ok(None);
    }
    authenticate(req).map(Some)
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
