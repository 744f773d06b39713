//! Who is calling and what they may see, all through `wenming:platform/identity` (the permission
//! table lives there, never here).
//!
//! The rule for resources addressed by URL: outside the caller's scope is **404** (its existence
//! is not revealed); an action the caller's roles allow nowhere is **403**. Identity calls are
//! made before a transaction opens, never inside one.

use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();

/// `p`'s scopes for `action` as disjoint half-open path ranges (nested scopes collapse into the
/// outer one); empty when the roles allow `action` nowhere.
pub fn scope_ranges(p: &Principal, action: Action) -> Vec<(String, String)> {
    ranges(&identity::scopes(p, action))
}

/// Scopes (materialised paths) → disjoint half-open path ranges.
pub fn ranges(scopes: &[String]) -> Vec<(String, String)> {
    let mut paths: Vec<String> = scopes.iter().map(|s| format!("{}/", s.trim_end_matches('/'))).collect();
    paths.sort();
    paths.dedup();
    let mut outer: Vec<String> = Vec::new();
    for p in paths {
        if !outer.iter().any(|o| p.starts_with(o.as_str())) {
            outer.push(p);
        }
    }
    outer.iter().map(|p| kit::subtree_bounds(p)).collect()
}

/// `((col >= ? AND col < ?) OR ...)` for `ranges`, pushing the bounds onto `params` (`(0)` when
/// there are none, which matches nothing).
pub fn range_sql(column: &str, ranges: &[(String, String)], params: &mut Vec<Value>) -> String {
    if ranges.is_empty() {
        return "(0)".into();
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
    fn nested_scopes_collapse() {
        assert_eq!(
            ranges(&s(&["/1/4/17/", "/1/4/", "/1/5"])),
            vec![("/1/4/".into(), "/1/40".into()), ("/1/5/".into(), "/1/50".into())]
        );
        assert_eq!(ranges(&s(&["/1/4/", "/1/40/"])).len(), 2);
    }

    #[test]
    fn no_scope_matches_nothing() {
        let mut params = Vec::new();
        assert_eq!(range_sql("o.path", &[], &mut params), "(0)");
        assert!(params.is_empty());
        let sql = range_sql("o.path", &ranges(&s(&["/1/4/", "/1/5/"])), &mut params);
        assert_eq!(sql, "((o.path >= ? AND o.path < ?) OR (o.path >= ? AND o.path < ?))");
        assert_eq!(params.len(), 4);
    }
}
