//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query values. Pure helpers: no database, no identity calls.

use kit::fields::check_line;
use kit::ApiError;

pub use kit::time::{opt_rfc3339, rfc3339};
pub use kit::{idempotency_key, like_escape, path_id, query_id, query_text, request_fingerprint, Fields};

/// The volunteer register's own body getter; the common ones are [`kit::Fields`]'.
pub trait VolunteerFields {
    /// An optional one-line text that may be sent empty to clear it (a service area).
    fn opt_line_or_empty(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError>;
}

impl VolunteerFields for Fields {
    fn opt_line_or_empty(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        if s.trim().is_empty() {
            return Ok(Some(String::new()));
        }
        check_line(name, &s, max).map(Some)
    }
}

/// A JSON text column holding a list of strings (skills, categories); anything else is empty.
pub fn string_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"name": "  ", "n": -3, "tags": ["a", "a", "b"], "extra": 1});
        assert_eq!(Fields::from_value(body.clone(), &["name", "n", "tags"]).err().unwrap().field(), Some("extra"));
        let mut f = Fields::from_value(body, &["name", "n", "tags", "extra"]).unwrap();
        assert_eq!(f.line("name", 10).unwrap_err().field(), Some("name"));
        assert_eq!(f.id("n").unwrap_err().field(), Some("n"));
        assert_eq!(f.opt_labels("tags", 5, 10).unwrap().unwrap(), vec!["a", "b"]);
        assert_eq!(f.line("missing", 10).unwrap_err().field(), Some("missing"));
        assert_eq!(Fields::from_value(serde_json::json!([1]), &[]).err().unwrap().field(), Some("body"));
    }
}
