//! Who is calling and what they may see, all through `wenming:platform/identity` (the permission
//! table lives there, never here).
//!
//! Activities are managed with `manage-teams` at the activity's org (the owning org's admins);
//! the applicant also sees their own application. A resource addressed by URL that the caller
//! may not see is **404** (its existence is not revealed); an action the caller's roles allow
//! nowhere is **403**. Identity calls are made before a transaction opens, never inside one:
//! identity reaches the same database, and must not wait on a lock this request holds.

use kit::ApiError;
use spin_sdk::http::Request;
use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();

/// The action that manages activities at an org: approve, reject, see every status and the
/// codes, read the sign-up list.
pub const MANAGE: Action = Action::ManageTeams;

/// The principal when the request carries a session, `None` when it carries none. A token that
/// is sent but expired or revoked is still a 401: silently answering as an anonymous caller
/// would hide the caller's own applications without telling them why.
pub fn optional(req: &Request) -> Result<Option<Principal>, ApiError> {
    if req.header("authorization").is_none() {
        return Ok(None);
    }
    authenticate(req).map(Some)
}

/// The refusal for an activity `p` may see but not manage, or may not see at all: 403 when
/// `p`'s roles allow managing activities nowhere, else 404 (outside `p`'s scope, and that it
/// exists is not said).
pub fn deny(p: &Principal, visible: bool) -> ApiError {
    if visible || identity::scopes(p, MANAGE).is_empty() {
        ApiError::Forbidden("only the admins of the activity's org may do this (manage-teams)".into())
    } else {
        not_found()
    }
}

/// The one 404 for an activity, whether missing or hidden.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such activity".into())
}

/// Scopes (materialised paths) → disjoint half-open path ranges, optionally intersected with the
/// subtree at `within` (an `?under=` filter). Nested scopes collapse into the outer one, so a row
/// is never matched twice.
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

/// Whether `path` lies in one of `ranges`.
pub fn in_ranges(path: &str, ranges: &[(String, String)]) -> bool {
    ranges.iter().any(|(lo, hi)| path >= lo.as_str() && path < hi.as_str())
}

/// `(col >= ? AND col < ?) OR ...` for `ranges` (or a false condition for none), pushing the
/// bounds onto `params`: one indexed range per scope, never a recursive walk.
pub fn range_sql(column: &str, ranges: &[(String, String)], params: &mut Vec<Value>) -> String {
    if ranges.is_empty() {
        return "0".into();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn nested_scopes_collapse_and_filters_narrow() {
        assert_eq!(
            ranges(&s(&["/1/4/17/", "/1/4/", "/1/5/"]), None),
            vec![("/1/4/".into(), "/1/40".into()), ("/1/5/".into(), "/1/50".into())]
        );
        assert_eq!(ranges(&s(&["/1/4/"]), Some("/1/4/17/")), vec![("/1/4/17/".into(), "/1/4/170".into())]);
        assert!(ranges(&s(&["/1/4/"]), Some("/1/40/")).is_empty());
        let r = ranges(&s(&["/1/4/"]), None);
        assert!(in_ranges("/1/4/17/", &r));
        assert!(!in_ranges("/1/40/", &r));
    }

    #[test]
    fn no_ranges_match_nothing() {
        let mut params = Vec::new();
        assert_eq!(range_sql("o.path", &[], &mut params), "0");
        assert!(params.is_empty());
    }
}
