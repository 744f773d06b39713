//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query values. Pure helpers: no database, no identity calls.

use kit::fields::check_line;
use kit::ApiError;
use serde_json::Value;
use spin_sdk::http::Request;

use domain::{Date, Phone};

pub use kit::time::{opt_rfc3339, rfc3339};
pub use kit::{idempotency_key, request_fingerprint};

// The common getters are `kit::Fields`'; these are the volunteer register's own.
kit::component_fields!();

impl Fields {
    /// An optional free text (newlines allowed), trimmed, at most `max` characters; may be empty.
    /// Unlike [`kit::Fields::opt_text`], a CR is refused before `\r\n` is folded.
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        let s = s.trim().to_string();
        if s.chars().count() > max {
            return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(ApiError::invalid(name, "must not contain control characters"));
        }
        Ok(Some(s.replace("\r\n", "\n")))
    }

    /// An optional one-line text that may be empty (e.g. clearing a service area).
    pub fn opt_line_or_empty(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        if s.trim().is_empty() {
            return Ok(Some(String::new()));
        }
        check_line(name, &s, max).map(Some)
    }

    /// A required mobile number.
    pub fn phone(&mut self, name: &str) -> Result<Phone, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        Phone::parse(s.trim())
            .map_err(|_| ApiError::invalid(name, "must be a mainland mobile number: 11 digits starting 13–19"))
    }

    /// A required date `YYYY-MM-DD`.
    pub fn date(&mut self, name: &str) -> Result<Date, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        Date::parse(&s).map_err(|_| ApiError::invalid(name, "must be a real date written YYYY-MM-DD (from 1900)"))
    }

    /// An optional list of short labels (skills, categories): at most `max_items`, each one line of
    /// 1 to `max_chars` characters; duplicates are dropped, order kept.
    pub fn labels(&mut self, name: &str, max_items: usize, max_chars: usize) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.take(name) else { return Ok(None) };
        let Value::Array(items) = v else {
            return Err(ApiError::invalid(name, "must be a list of strings"));
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let Value::String(s) = item else {
                return Err(ApiError::invalid(name, "must be a list of strings"));
            };
            let s = check_line(name, &s, max_chars)?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        if out.len() > max_items {
            return Err(ApiError::invalid(name, format!("at most {max_items} entries")));
        }
        Ok(Some(out))
    }
}

pub use kit::path_id;

/// An optional positive-id query parameter (`?org=`); anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name) {
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

/// An optional short text query parameter (`?q=`, `?skill=`): trimmed, at most `max` characters.
pub fn query_text(req: &Request, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(ApiError::invalid(name, format!("must be one line of at most {max} characters")))
        }
        Some(v) => Ok(Some(v)),
    }
}

/// `%`, `_` and `\` escaped for `LIKE ... ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A JSON text column holding a list of strings (skills, categories); anything else is empty.
pub fn string_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_standard_time() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        // 2024-02-29T16:00:00Z is already the next day in Beijing.
        assert_eq!(rfc3339(1_709_222_400), "2024-03-01T00:00:00+08:00");
        assert_eq!(rfc3339(1_709_222_399), "2024-02-29T23:59:59+08:00");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let field = |e: ApiError| match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let body = serde_json::json!({"name": "  ", "n": -3, "tags": ["a", "a", "b"], "extra": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["name", "n", "tags"]).err().unwrap()), "extra");
        let mut f = Fields::from_value(body, &["name", "n", "tags", "extra"]).unwrap();
        assert_eq!(field(f.line("name", 10).unwrap_err()), "name");
        assert_eq!(field(f.id("n").unwrap_err()), "n");
        assert_eq!(f.labels("tags", 5, 10).unwrap().unwrap(), vec!["a", "b"]);
        assert_eq!(field(f.line("missing", 10).unwrap_err()), "missing");
        assert_eq!(field(Fields::from_value(serde_json::json!([1]), &[]).err().unwrap()), "body");
    }
}
