//! Request bodies field by field (so every 422 names its field), query parameters, path ids and
//! idempotency fingerprints. Pure helpers: no database, no identity calls.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

use crate::time;

/// A JSON object body whose fields are taken one at a time. Unknown fields are refused up front:
/// a misspelt `capcity` must not silently become the default.
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// The body as an object with only `allowed` keys: bad JSON → 400; not an object or an
    /// unknown key → 422.
    pub fn from_request(req: &Request, allowed: &[&str]) -> Result<Fields, ApiError> {
        let body: Value = kit::parse_body(req)?;
        Fields::from_value(body, allowed)
    }

    /// Like [`Fields::from_request`], but an empty body is an empty object (for requests whose
    /// fields are all optional: approve, sign up).
    pub fn from_optional_request(req: &Request, allowed: &[&str]) -> Result<Fields, ApiError> {
        if req.body().iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields { map: Map::new() });
        }
        Fields::from_request(req, allowed)
    }

    /// The checks of [`Fields::from_request`] on an already parsed value.
    pub fn from_value(body: Value, allowed: &[&str]) -> Result<Fields, ApiError> {
        let Value::Object(map) = body else {
            return Err(ApiError::invalid("body", "the body must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let expected = if allowed.is_empty() {
                "unknown field; this request takes no fields".to_string()
            } else {
                format!("unknown field; expected one of: {}", allowed.join(", "))
            };
            return Err(ApiError::invalid(unknown, expected));
        }
        Ok(Fields { map })
    }

    /// Whether `name` was sent with a non-null value.
    pub fn present(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    fn opt_str(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(name, "must be a string")),
        }
    }

    /// A required one-line text: trimmed, 1 to `max` characters, no control characters.
    pub fn line(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        self.opt_line(name, max)?.ok_or_else(|| ApiError::invalid(name, "is required"))
    }

    /// An optional one-line text; present but blank is refused.
    pub fn opt_line(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        check_line(name, &s, max).map(Some)
    }

    /// A required free text (newlines allowed): trimmed, 1 to `max` characters.
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

    /// An optional positive id.
    pub fn opt_id(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
        }
    }

    /// A required positive id.
    pub fn id(&mut self, name: &str) -> Result<i64, ApiError> {
        self.opt_id(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))
    }

    /// An optional whole number in `range` (a JSON integer; `5.0` and `"5"` are refused).
    pub fn opt_int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))),
        }
    }

    /// An optional finite number in `range`.
    pub fn opt_number(&mut self, name: &str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && range.contains(n))
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, format!("must be a number from {} to {}", range.start(), range.end()))),
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }

    /// A required RFC 3339 time with an offset → unix seconds.
    pub fn time(&mut self, name: &str) -> Result<i64, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        time::parse(s.trim()).ok_or_else(|| {
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

fn check_line(name: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::invalid(name, "must not be blank"));
    }
    if s.chars().count() > max {
        return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::invalid(name, "must be one line without control characters"));
    }
    Ok(s.to_string())
}

/// A positive id from a path segment; anything else names no resource (404).
pub fn path_id(segment: &str, what: &str) -> Result<i64, ApiError> {
    segment
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no such {what}")))
}

/// A query parameter, absent when missing or empty (`?category=` means no filter).
fn query(req: &Request, name: &str) -> Option<String> {
    kit::query_param(req, name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An optional positive-id query parameter; anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    query(req, name)
        .map(|v| v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")))
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
    // Only an ASCII prefix can be a date-time; anything else is simply not a time (and must
    // not be sliced inside a multi-byte character).
    let fixed = match v.get(19..) {
        Some(tail) if v.is_char_boundary(19) && tail.contains(' ') => format!("{}{}", &v[..19], tail.replace(' ', "+")),
        _ => v,
    };
    time::parse(&fixed)
        .map(Some)
        .ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 time with an offset, e.g. 2026-05-01T00:00:00+08:00"))
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

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body, so a key reused
/// for a different body is refused (422) instead of answered with another request's result.
pub fn request_fingerprint(req: &Request) -> String {
    format!("{} {} #{:016x}", req.method(), req.path(), fnv1a(req.body()))
}

/// FNV-1a, 64 bits: a fingerprint, not a secret.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
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
        let body = serde_json::json!({"title": " ", "capacity": 0, "lat": 91.0, "at": "tomorrow", "v": "secret", "x": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["title", "capacity", "lat", "at", "v"]).err().unwrap()), "x");
        let mut f = Fields::from_value(body, &["title", "capacity", "lat", "at", "v", "x"]).unwrap();
        assert_eq!(field(f.line("title", 10).unwrap_err()), "title");
        assert_eq!(field(f.opt_int("capacity", 1..=10).unwrap_err()), "capacity");
        assert_eq!(field(f.opt_number("lat", -90.0..=90.0).unwrap_err()), "lat");
        assert_eq!(field(f.time("at").unwrap_err()), "at");
        assert_eq!(field(f.choice("v", &["public", "invitation"]).unwrap_err()), "v");
        assert_eq!(field(f.time("missing").unwrap_err()), "missing");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
