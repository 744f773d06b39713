//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query values. Pure helpers: no database, no identity calls, so every
//! input is checked before anything is written.

use kit::fields::positive;
use kit::ApiError;
use serde_json::Value;

pub use kit::time::rfc3339;
pub use kit::{idempotency_key, path_id, query_choice, query_id, request_fingerprint, Fields};

/// The dispatch component's own body getter; the common ones are [`kit::Fields`]'.
pub trait DispatchFields {
    /// A required list of 1 to `max` distinct positive ids (duplicates are dropped, order kept).
    fn ids(&mut self, name: &str, max: usize) -> Result<Vec<i64>, ApiError>;
}

impl DispatchFields for Fields {
    fn ids(&mut self, name: &str, max: usize) -> Result<Vec<i64>, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"reason": "  ", "team_ids": [3, 3, "x"], "minutes": 0, "extra": 1});
        assert_eq!(
            Fields::from_value(body.clone(), &["reason", "team_ids", "minutes"]).err().unwrap().field(),
            Some("extra")
        );
        let mut f = Fields::from_value(body, &["reason", "team_ids", "minutes", "extra"]).unwrap();
        assert_eq!(f.text("reason", 10).unwrap_err().field(), Some("reason"));
        assert_eq!(f.ids("team_ids", 5).unwrap_err().field(), Some("team_ids"));
        assert_eq!(f.int("minutes", 1..=10).unwrap_err().field(), Some("minutes"));
        assert_eq!(f.id("team_id").unwrap_err().field(), Some("team_id"));
    }

    #[test]
    fn id_lists_drop_duplicates_and_refuse_empty_or_long_ones() {
        let mut f =
            Fields::from_value(serde_json::json!({"a": [3, 1, 3], "b": [], "c": [1, 2, 3]}), &["a", "b", "c"]).unwrap();
        assert_eq!(f.ids("a", 5).unwrap(), vec![3, 1]);
        assert_eq!(f.ids("b", 5).unwrap_err().field(), Some("b"));
        assert_eq!(f.ids("c", 2).unwrap_err().field(), Some("c"));
    }
}
