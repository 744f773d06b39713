//! Request bodies field by field (so every 422 names its field; the common getters are
//! `kit::Fields`), query parameters and path ids. Pure helpers: no database, no identity calls.

use kit::fields::check_line;
use kit::ApiError;
use serde_json::Value;
use spin_sdk::http::Request;

pub use kit::{idempotency_key, request_fingerprint};

// Unknown fields are refused up front: a misspelt `capcity` must not silently become the
// default. The common getters are `kit::Fields`'; these are the activity component's own.
kit::component_fields!();

impl Fields {
    /// A required free text (newlines allowed): trimmed, 1 to `max` characters.
    /// Unlike [`kit::Fields::text`], blank is `must not be blank` and a lone CR is let through.
    pub fn text(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        let s = s.trim();
        if s.is_empty() {
            return Err(ApiError::invalid(name, "must not be blank"));
        }
        if s.chars().count() > max {
            return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err(ApiError::invalid(name, "must not contain control characters"));
        }
        Ok(s.replace("\r\n", "\n"))
    }

    /// An optional finite number in `range`.
    pub fn opt_number(&mut self, name: &str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_f64().filter(|n| n.is_finite() && range.contains(n)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required RFC 3339 time with an offset → unix seconds.
    pub fn time(&mut self, name: &str) -> Result<i64, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        parse_time(s.trim()).ok_or_else(|| {
            ApiError::invalid(name, "must be an RFC 3339 time with an offset, e.g. 2026-05-01T09:00:00+08:00")
        })
    }

    /// A required choice among `options`.
    pub fn choice(&mut self, name: &str, options: &[&'static str]) -> Result<&'static str, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        options
            .iter()
            .find(|o| **o == s)
            .copied()
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of: {}", options.join(", "))))
    }

    /// An optional list of short labels (skills): at most `max_items`, each one line of 1 to
    /// `max_chars` characters; duplicates dropped, order kept.
    pub fn labels(&mut self, name: &str, max_items: usize, max_chars: usize) -> Result<Vec<String>, ApiError> {
        let Some(v) = self.take(name) else { return Ok(Vec::new()) };
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
        Ok(out)
    }

    /// An optional code typed by a person: trimmed and upper-cased (codes are shown in capitals
    /// but people type them in either case).
    pub fn opt_code(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() || s.len() > max {
            return Err(ApiError::invalid(name, format!("must be 1 to {max} characters")));
        }
        Ok(Some(s))
    }
}

pub use kit::path_id;

/// A query parameter, absent when missing or empty (`?category=` means no filter).
fn query(req: &Request, name: &str) -> Option<String> {
    kit::query_param(req, name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An optional positive-id query parameter; anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    query(req, name)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::invalid(name, "must be a positive integer id"))
        })
        .transpose()
}

/// An optional short text query parameter: one line of at most `max` characters.
pub fn query_text(req: &Request, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    match query(req, name) {
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(ApiError::invalid(name, format!("must be one line of at most {max} characters")))
        }
        other => Ok(other),
    }
}

/// An optional RFC 3339 query parameter → unix seconds. `+` in an offset arrives as a space
/// when the client forgot to percent-encode it; a time cannot contain a space there, so it is
/// read back as `+`.
pub fn query_time(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(v) = query(req, name) else { return Ok(None) };
    parse_time(&kit::time::restore_offset_plus(v)).map(Some).ok_or_else(|| {
        ApiError::invalid(name, "must be an RFC 3339 time with an offset, e.g. 2026-05-01T00:00:00+08:00")
    })
}

/// RFC 3339 with an offset (`domain::time`'s grammar) → unix seconds, if its year as written is
/// 2000–2999: an activity in any other year is a typo in this domain.
pub fn parse_time(s: &str) -> Option<i64> {
    let year = s.get(..4).and_then(|y| y.parse::<u16>().ok())?;
    (2000..=2999).contains(&year).then(|| kit::time::parse_rfc3339(s)).flatten()
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
        let body =
            serde_json::json!({"title": " ", "capacity": 0, "lat": 91.0, "at": "tomorrow", "v": "secret", "x": 1});
        assert_eq!(
            field(Fields::from_value(body.clone(), &["title", "capacity", "lat", "at", "v"]).err().unwrap()),
            "x"
        );
        let mut f = Fields::from_value(body, &["title", "capacity", "lat", "at", "v", "x"]).unwrap();
        assert_eq!(field(f.line("title", 10).unwrap_err()), "title");
        assert_eq!(field(f.opt_int("capacity", 1..=10).unwrap_err()), "capacity");
        assert_eq!(field(f.opt_number("lat", -90.0..=90.0).unwrap_err()), "lat");
        assert_eq!(field(f.time("at").unwrap_err()), "at");
        assert_eq!(field(f.choice("v", &["public", "invitation"]).unwrap_err()), "v");
        assert_eq!(field(f.time("missing").unwrap_err()), "missing");
    }

    #[test]
    fn activity_times_are_in_years_2000_to_2999() {
        assert_eq!(parse_time("2026-05-01T09:00:00+08:00"), Some(1_777_597_200));
        assert_eq!(parse_time("2026-05-01 01:00:00Z"), Some(1_777_597_200));
        for bad in ["1999-05-01T09:00:00+08:00", "3000-01-01T00:00:00Z", "2026-05-01T09:00:00", "二〇二六", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
