//! Request bodies field by field (so a 422 always names the field), path and query values, and
//! times in `+08:00`. Pure helpers: no database, no identity calls, so every input is checked
//! before anything is written.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

/// A JSON object body whose fields are taken one at a time. Unknown fields are refused up front:
/// a misspelt `team_id` must not silently become "no team".
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
    /// fields are all optional, such as accept and start).
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

    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    /// A required free text (a reason, a reply, a summary): trimmed, 1 to `max` characters,
    /// newlines allowed, no other control characters.
    pub fn text(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        self.opt_text(name, max)?.filter(|s| !s.is_empty()).ok_or_else(|| ApiError::invalid(name, "is required"))
    }

    /// An optional free text, trimmed; blank is the same as absent.
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let s = match self.take(name) {
            None => return Ok(None),
            Some(Value::String(s)) => s,
            Some(_) => return Err(ApiError::invalid(name, "must be a string")),
        };
        let s = s.trim().replace("\r\n", "\n");
        if s.chars().count() > max {
            return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(ApiError::invalid(name, "must not contain control characters"));
        }
        Ok(Some(s).filter(|s| !s.is_empty()))
    }

    /// A required id: a positive integer.
    pub fn id(&mut self, name: &str) -> Result<i64, ApiError> {
        match self.take(name) {
            None => Err(ApiError::invalid(name, "is required")),
            Some(v) => positive(&v).ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
        }
    }

    /// A required list of 1 to `max` distinct positive ids (duplicates are dropped, order kept).
    pub fn ids(&mut self, name: &str, max: usize) -> Result<Vec<i64>, ApiError> {
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

    /// A required whole number in `range`.
    pub fn int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
        match self.take(name) {
            None => Err(ApiError::invalid(name, "is required")),
            Some(v) => v.as_i64().filter(|n| range.contains(n)).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
            }),
        }
    }
}

fn positive(v: &Value) -> Option<i64> {
    v.as_i64().filter(|n| *n > 0)
}

/// A positive id from a path segment; anything else names no resource (404).
pub fn path_id(segment: &str, what: &str) -> Result<i64, ApiError> {
    segment.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::NotFound(format!("no such {what}")))
}

/// An optional positive-id query parameter; anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
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

/// An optional query parameter that must be one of `allowed`; anything else is a 422 naming it.
pub fn query_choice(req: &Request, name: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .copied()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of {}", allowed.join(", ")))),
    }
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body (FNV-1a), so a
/// key reused for a different team or reason is refused rather than replayed.
pub fn request_fingerprint(req: &Request) -> String {
    let hash = req.body().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{} {} #{hash:016x}", req.method(), req.path())
}

/// China Standard Time, the only zone the platform shows.
const CST_OFFSET: i64 = 8 * 3600;

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds → RFC 3339 in `+08:00`.
pub fn rfc3339(secs: i64) -> String {
    let local = secs + CST_OFFSET;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let t = local.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", t / 3600, t % 3600 / 60, t % 60)
}

/// An optional time column as RFC 3339, or null.
pub fn opt_rfc3339(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, |s| Value::String(rfc3339(s)))
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
    fn times_are_shown_in_china_standard_time() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339(1_709_222_400), "2024-03-01T00:00:00+08:00");
        assert_eq!(opt_rfc3339(None), Value::Null);
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"reason": "  ", "team_ids": [3, 3, "x"], "minutes": 0, "extra": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["reason", "team_ids", "minutes"]).err().unwrap()), "extra");
        let mut f = Fields::from_value(body, &["reason", "team_ids", "minutes", "extra"]).unwrap();
        assert_eq!(field(f.text("reason", 10).unwrap_err()), "reason");
        assert_eq!(field(f.ids("team_ids", 5).unwrap_err()), "team_ids");
        assert_eq!(field(f.int("minutes", 1..=10).unwrap_err()), "minutes");
        assert_eq!(field(f.id("team_id").unwrap_err()), "team_id");
    }

    #[test]
    fn id_lists_drop_duplicates_and_refuse_empty_or_long_ones() {
        let mut f = Fields::from_value(serde_json::json!({"a": [3, 1, 3], "b": [], "c": [1, 2, 3]}), &["a", "b", "c"]).unwrap();
        assert_eq!(f.ids("a", 5).unwrap(), vec![3, 1]);
        assert_eq!(field(f.ids("b", 5).unwrap_err()), "b");
        assert_eq!(field(f.ids("c", 2).unwrap_err()), "c");
    }
}
