//! Path and query values and this component's field getters. Pure helpers: no database, no
//! identity calls.

use kit::ApiError;
use spin_sdk::http::Request;

pub use kit::{idempotency_key, path_id, query_id, query_param, request_fingerprint};

kit::component_fields!();

impl Fields {
    /// An optional RFC 3339 time (null clears it: `Some(None)`); absent is `None`.
    pub fn opt_time(&mut self, name: &str) -> Result<Option<Option<i64>>, ApiError> {
        if !self.has(name) {
            return Ok(None);
        }
        match self.opt_str(name)? {
            None => Ok(Some(None)),
            Some(s) => kit::time::parse_rfc3339(s.trim())
                .map(|t| Some(Some(t)))
                .ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 time such as 2026-12-01T08:00:00+08:00")),
        }
    }

    /// An optional value from a closed list.
    pub fn opt_choice(&mut self, name: &str, choices: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        let Some(s) = self.opt_str(name)? else {
            return Ok(None);
        };
        choice(name, s.trim(), choices).map(Some)
    }
}

/// `value` if it is one of `choices`, else a 422 naming `name`.
pub fn choice(name: &str, value: &str, choices: &[&'static str]) -> Result<&'static str, ApiError> {
    choices
        .iter()
        .find(|c| **c == value)
        .copied()
        .ok_or_else(|| ApiError::invalid(name, format!("must be one of: {}", choices.join(", "))))
}

/// An optional `?name=` filter from a closed list.
pub fn query_choice(req: &Request, name: &str, choices: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
    match query_param(req, name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => choice(name, v.trim(), choices).map(Some),
    }
}

/// An optional one-line `?name=` filter (at most 60 characters).
pub fn query_text(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    match query_param(req, name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => kit::fields::check_line(name, &v, 60).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_name_the_field() {
        assert_eq!(choice("kind", "goods", &["goods", "service"]).unwrap(), "goods");
        match choice("kind", "cash", &["goods", "service"]).unwrap_err() {
            ApiError::Invalid { field, .. } => assert_eq!(field, "kind"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn times_are_parsed_and_null_clears() {
        let body = serde_json::json!({"a": "2026-12-01T08:00:00+08:00", "b": null, "c": "tomorrow"});
        let mut f = Fields::from_value(body, &["a", "b", "c"]).unwrap();
        assert_eq!(f.opt_time("a").unwrap(), Some(Some(1_796_083_200)));
        assert_eq!(f.opt_time("b").unwrap(), Some(None));
        assert_eq!(f.opt_time("missing").unwrap(), None);
        assert_eq!(f.opt_time("c").unwrap_err().status(), 422);
    }
}
