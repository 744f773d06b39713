//! Reading requests: JSON bodies field by field (so a 422 names the exact field), path ids,
//! query filters, and times in and out.

use kit::ApiError;
use spin_sdk::http::Request;

/// Times are shown in Asia/Shanghai (no daylight saving, so `+08:00` is exact).
pub use kit::time::rfc3339;

/// JSON bodies are [`kit::Fields`]: unknown fields are refused up front, so a typo (or an attempt
/// to set `level` through a rename) is not silently ignored.
pub use kit::Fields;

/// A display name (org, account, department): one line, trimmed, 1–60 characters (kit's rule
/// for a line of text, at the length every directory name shares).
pub fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    kit::fields::check_line(field, raw, 60)
}

/// A mainland mobile number (`domain::Phone`), surrounding whitespace forgiven.
pub fn phone(field: &str, raw: &str) -> Result<String, ApiError> {
    domain::Phone::parse(raw.trim())
        .map(domain::Phone::into_string)
        .map_err(|_| ApiError::invalid(field, "must be an 11-digit mobile number such as 13812345678"))
}

pub use kit::{path_id, query_bool, query_id};

/// An optional time in the query: unix seconds or RFC 3339.
pub fn query_time(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => parse_time(&v).map(Some).ok_or_else(|| {
            ApiError::invalid(name, format!("{name} must be RFC 3339 (2026-03-01T08:00:00+08:00) or unix seconds"))
        }),
    }
}

/// A `LIKE` pattern matching `q` anywhere, with `%`, `_` and `\` taken literally (use with
/// `ESCAPE '\'`).
pub fn like_pattern(q: &str) -> String {
    format!("%{}%", kit::like_escape(q))
}

/// Unix seconds (not negative), or RFC 3339 as `domain::time` reads it → unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    kit::time::parse_rfc3339(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_in_shanghai() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339(1_772_323_200), "2026-03-01T08:00:00+08:00");
        assert_eq!(parse_time("2026-03-01T08:00:00+08:00"), Some(1_772_323_200));
        assert_eq!(parse_time("2026-03-01T00:00:00Z"), Some(1_772_323_200));
        assert_eq!(parse_time("2024-02-29T23:59:59.5+08:00"), Some(1_709_222_399));
        assert_eq!(parse_time("1772323200"), Some(1_772_323_200));
        assert_eq!(parse_time("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn phones_and_patterns() {
        assert_eq!(phone("phone", " 13812345678 ").unwrap(), "13812345678");
        for bad in ["12812345678", "1381234567", "1381234567x"] {
            assert!(phone("phone", bad).is_err(), "{bad}");
        }
        assert_eq!(like_pattern("a%_\\"), "%a\\%\\_\\\\%");
    }
}
