//! Reading requests: JSON bodies field by field (so a 422 names the exact field), path ids,
//! query filters, and times in and out.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

/// Times are shown in Asia/Shanghai (no daylight saving, so `+08:00` is exact).
pub use kit::time::rfc3339;

/// A JSON object body. Fields are taken one by one; whatever is left over is an unknown field,
/// refused so that a typo (or an attempt to set `level` through a rename) is not silently ignored.
pub struct Body {
    fields: Map<String, Value>,
}

impl Body {
    pub fn parse(req: &Request) -> Result<Body, ApiError> {
        let value: Value = kit::parse_body(req)?;
        match value {
            Value::Object(fields) => Ok(Body { fields }),
            _ => Err(ApiError::invalid("body", "the body must be a JSON object")),
        }
    }

    fn take(&mut self, field: &str) -> Option<Value> {
        self.fields.remove(field).filter(|v| !v.is_null())
    }

    pub fn opt_str(&mut self, field: &str) -> Result<Option<String>, ApiError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(field, format!("{field} must be a string"))),
        }
    }

    pub fn str(&mut self, field: &str) -> Result<String, ApiError> {
        self.opt_str(field)?.ok_or_else(|| required(field))
    }

    pub fn id(&mut self, field: &str) -> Result<i64, ApiError> {
        match self.take(field) {
            None => Err(required(field)),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::invalid(field, format!("{field} must be a positive integer id"))),
            Some(_) => Err(ApiError::invalid(field, format!("{field} must be a positive integer id"))),
        }
    }

    /// Call after taking every known field.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.fields.keys().next() {
            None => Ok(()),
            Some(field) => Err(ApiError::invalid(field, format!("unknown field {field}"))),
        }
    }
}

fn required(field: &str) -> ApiError {
    ApiError::invalid(field, format!("{field} is required"))
}

/// A display name (org, account, department): trimmed, 1–60 characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(ApiError::invalid(field, format!("{field} must not be empty")));
    }
    if len > 60 {
        return Err(ApiError::invalid(field, format!("{field} must be at most 60 characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, format!("{field} must not contain control characters")));
    }
    Ok(name.to_string())
}

/// A mainland mobile number (`domain::Phone`), surrounding whitespace forgiven.
pub fn phone(field: &str, raw: &str) -> Result<String, ApiError> {
    domain::Phone::parse(raw.trim())
        .map(domain::Phone::into_string)
        .map_err(|_| ApiError::invalid(field, "must be an 11-digit mobile number such as 13812345678"))
}

pub use kit::{path_id, query_id};

/// An optional boolean in the query (`true`/`false`, `1`/`0`).
pub fn query_bool(req: &Request, name: &str) -> Result<Option<bool>, ApiError> {
    match kit::query_param(req, name).as_deref() {
        None | Some("") => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, format!("{name} must be true or false"))),
    }
}

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
