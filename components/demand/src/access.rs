//! Who is calling and what they may do where, all through `wenming:platform/identity` (the
//! permission table lives there, never here).
//!
//! The rule for resources addressed by URL: outside the caller's scope is **404** (its existence
//! is not revealed); an action the caller's roles allow nowhere is **403**. Identity calls are
//! made before a transaction opens, never inside one.

use spin_sdk::sqlite3::Value;

use crate::wenming::platform::identity::{self, Action, Principal};

kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();

/// Whether `p`'s roles allow `action` anywhere.
pub fn has_any(p: &Principal, action: Action) -> bool {
    !identity::scopes(p, action).is_empty()
}

/// `p`'s scopes for `action` as half-open path ranges (identity already drops nested scopes);
/// empty when the roles allow `action` nowhere.
pub fn scope_ranges(p: &Principal, action: Action) -> Vec<(String, String)> {
    identity::scopes(p, action).iter().map(|s| kit::subtree_bounds(s)).collect()
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

    #[test]
    fn no_scope_matches_nothing() {
        let mut params = Vec::new();
        assert_eq!(range_sql("o.path", &[], &mut params), "(0)");
        assert!(params.is_empty());
        let ranges = vec![kit::subtree_bounds("/1/4/"), kit::subtree_bounds("/1/5/")];
        let sql = range_sql("o.path", &ranges, &mut params);
        assert_eq!(sql, "((o.path >= ? AND o.path < ?) OR (o.path >= ? AND o.path < ?))");
        assert_eq!(params.len(), 4);
    }
}
