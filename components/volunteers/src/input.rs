//! Request bodies field by field (so a 422 always names the field), idempotency fingerprints,
//! times in `+08:00`, and CSV. Pure helpers: no database, no identity calls.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

use crate::resident_id::{Date, Phone};

/// A JSON object body whose fields are taken one at a time. Unknown fields are refused up front
/// (a typo must not be silently ignored).
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

    /// Like [`Fields::from_request`], but an empty body is an empty object (for actions whose
    /// fields are all optional, such as approve).
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

    /// Whether no field was sent.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether `name` was sent (even as null).
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
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

    /// An optional free text (newlines allowed), trimmed, at most `max` characters; may be empty.
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

    /// A required id: a positive integer.
    pub fn id(&mut self, name: &str) -> Result<i64, ApiError> {
        self.opt_id(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))
    }

    /// An optional id.
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

    /// A required mobile number.
    pub fn phone(&mut self, name: &str) -> Result<Phone, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        Phone::parse(&s).ok_or_else(|| ApiError::invalid(name, "must be a mainland mobile number: 11 digits starting 13–19"))
    }

    /// A required date `YYYY-MM-DD`.
    pub fn date(&mut self, name: &str) -> Result<Date, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        Date::parse(&s).ok_or_else(|| ApiError::invalid(name, "must be a real date written YYYY-MM-DD (from 1900)"))
    }

    /// A required string (untrimmed), for values parsed by a newtype.
    pub fn raw(&mut self, name: &str) -> Result<String, ApiError> {
        self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))
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

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body, so a key
/// reused for a different body is refused (422) instead of answered with another request's
/// result.
pub fn request_fingerprint(req: &Request) -> String {
    format!("{} {} #{:016x}", req.method(), req.path(), fnv1a(req.body()))
}

/// FNV-1a, 64 bits: a fingerprint, not a secret.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// China Standard Time, the only zone the platform shows.
pub const CST_OFFSET: i64 = 8 * 3600;

/// Unix seconds → RFC 3339 in `+08:00`.
pub fn rfc3339(secs: i64) -> String {
    let local = secs + CST_OFFSET;
    let (y, m, d) = crate::resident_id::civil_from_days(local.div_euclid(86_400));
    let t = local.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", t / 3600, t % 3600 / 60, t % 60)
}

/// An optional time column as RFC 3339, or null.
pub fn opt_rfc3339(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, |s| Value::String(rfc3339(s)))
}

/// Today's date in `+08:00`.
pub fn today(now: i64) -> Option<Date> {
    Date::from_unix_days((now + CST_OFFSET).div_euclid(86_400))
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or when it starts
/// with a character a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR), which is
/// then also prefixed with `'` so the cell shows as text.
pub fn csv_field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = if formula { format!("'{s}") } else { s.to_string() };
    if formula || s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV record, CRLF-terminated.
pub fn csv_row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| csv_field(f.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
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
        assert_eq!(today(1_709_222_399).unwrap().to_string(), "2024-02-29");
        assert_eq!(today(1_709_222_400).unwrap().to_string(), "2024-03-01");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_row(&["a", "b c", "张三"]), "a,b c,张三\r\n");
        assert_eq!(csv_row(&["a,b", "say \"hi\"", "x\ny"]), "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\"\r\n");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
        assert_eq!(csv_field(""), "");
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

    #[test]
    fn fingerprints_differ_by_body() {
        assert_ne!(fnv1a(b"{\"a\":1}"), fnv1a(b"{\"a\":2}"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
