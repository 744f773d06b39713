//! Request bodies field by field (so every 422 names its field; the common getters are
//! `kit::Fields`), query parameters and path ids. Pure helpers: no database, no identity calls.

use kit::ApiError;
use spin_sdk::http::Request;

pub use kit::{idempotency_key, like_escape, path_id, query_id, query_text, request_fingerprint, Fields};

/// The activity component's own body getters; the common ones are [`kit::Fields`]'.
pub trait ActivityFields {
    /// A required RFC 3339 time with an offset → unix seconds, in the years [`parse_time`] allows.
    fn activity_time(&mut self, name: &str) -> Result<i64, ApiError>;

    /// An optional code typed by a person: trimmed and upper-cased (codes are shown in capitals
    /// but people type them in either case).
    fn opt_code(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError>;
}

impl ActivityFields for Fields {
    fn activity_time(&mut self, name: &str) -> Result<i64, ApiError> {
        let s = self.raw(name)?;
        parse_time(s.trim()).ok_or_else(|| {
            ApiError::invalid(name, "must be an RFC 3339 time with an offset, e.g. 2026-05-01T09:00:00+08:00")
        })
    }

    fn opt_code(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() || s.len() > max {
            return Err(ApiError::invalid(name, format!("must be 1 to {max} characters")));
        }
        Ok(Some(s))
    }
}

/// An optional RFC 3339 query parameter → unix seconds. `+` in an offset arrives as a space
/// when the client forgot to percent-encode it; a time cannot contain a space there, so it is
/// read back as `+`.
pub fn query_time(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(v) = kit::query_filter(req, name) else { return Ok(None) };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_what_is_wrong() {
        let body =
            serde_json::json!({"title": " ", "capacity": 0, "lat": 91.0, "at": "tomorrow", "v": "secret", "x": 1});
        assert_eq!(
            Fields::from_value(body.clone(), &["title", "capacity", "lat", "at", "v"]).err().unwrap().field(),
            Some("x")
        );
        let mut f = Fields::from_value(body, &["title", "capacity", "lat", "at", "v", "x"]).unwrap();
        assert_eq!(f.line("title", 10).unwrap_err().field(), Some("title"));
        assert_eq!(f.opt_int("capacity", 1..=10).unwrap_err().field(), Some("capacity"));
        assert_eq!(f.opt_number("lat", -90.0..=90.0).unwrap_err().field(), Some("lat"));
        assert_eq!(f.activity_time("at").unwrap_err().field(), Some("at"));
        assert_eq!(f.choice("v", &["public", "invitation"]).unwrap_err().field(), Some("v"));
        assert_eq!(f.activity_time("missing").unwrap_err().field(), Some("missing"));
    }

    #[test]
    fn activity_times_are_in_years_2000_to_2999() {
        assert_eq!(parse_time("2026-05-01T09:00:00+08:00"), Some(1_777_597_200));
        assert_eq!(parse_time("2026-05-01 01:00:00Z"), Some(1_777_597_200));
        for bad in ["1999-05-01T09:00:00+08:00", "3000-01-01T00:00:00Z", "2026-05-01T09:00:00", "二〇二六", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
