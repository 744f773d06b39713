//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query values. Pure helpers: no database, no identity calls, so every
//! input is checked before anything is written.

use kit::fields::positive;
use kit::ApiError;
use serde_json::Value;
use spin_sdk::http::Request;

pub use kit::time::rfc3339;
pub use kit::{idempotency_key, request_fingerprint};

// Unknown fields are refused up front: a misspelt `team_id` must not silently become "no team".
kit::component_fields!();

impl Fields {
    /// An optional free text, trimmed; blank is the same as absent (unlike
    /// [`kit::Fields::opt_text`], which keeps it as empty).
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        Ok(self.0.opt_text(name, max)?.filter(|s| !s.is_empty()))
    }

    /// A required list of 1 to `max` distinct positive ids (duplicates are dropped, order kept).
    pub fn ids(&mut self, name: &str, max: usize) -> Result<Vec<i64>, ApiError> {
        let Some(Value::Array(items)) = self.take(name) else {
            return Err(ApiError::invalid(name, "is required: a list of ids"));
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in &items {
            let id = positive(item).ok_or_else(|| ApiError::invalid(name, "must hold positive integer ids only"))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(ApiError::invalid(name, "must name at least one"));
        }
        if ids.len() > max {
            return Err(ApiError::invalid(name, format!("may name at most {max}")));
        }
        Ok(ids)
    }
}

pub use kit::path_id;

/// An optional positive-id query parameter; anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
    }
}

/// An optional query parameter that must be one of `allowed`; anything else is a 422 naming it.
pub fn query_choice(req: &Request, name: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .copied()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of {}", allowed.join(", ")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: ApiError) -> String {
        match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"reason": "  ", "team_ids": [3, 3, "x"], "minutes": 0, "extra": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["reason", "team_ids", "minutes"]).err().unwrap()), "extra");
        let mut f = Fields::from_value(body, &["reason", "team_ids", "minutes", "extra"]).unwrap();
        assert_eq!(field(f.text("reason", 10).unwrap_err()), "reason");
        assert_eq!(field(f.ids("team_ids", 5).unwrap_err()), "team_ids");
        assert_eq!(field(f.int("minutes", 1..=10).unwrap_err()), "minutes");
        assert_eq!(field(f.id("team_id").unwrap_err()), "team_id");
    }

    #[test]
    fn id_lists_drop_duplicates_and_refuse_empty_or_long_ones() {
        let mut f =
            Fields::from_value(serde_json::json!({"a": [3, 1, 3], "b": [], "c": [1, 2, 3]}), &["a", "b", "c"]).unwrap();
        assert_eq!(f.ids("a", 5).unwrap(), vec![3, 1]);
        assert_eq!(field(f.ids("b", 5).unwrap_err()), "b");
        assert_eq!(field(f.ids("c", 2).unwrap_err()), "c");
    }
}
