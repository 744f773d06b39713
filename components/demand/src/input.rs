//! Request bodies field by field (so a 422 always names the field), path and query values,
//! idempotency fingerprints, phones, and times in `+08:00`. Pure helpers: no database, no
//! identity calls.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

/// A JSON object body whose fields are taken one at a time. Unknown fields are refused up front
/// (a typo such as `urgancy` must not silently become the default).
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

    /// A required free text (newlines allowed), trimmed, 1 to `max` characters.
    pub fn text(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        match self.opt_text(name, max)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::invalid(name, "is required")),
        }
    }

    /// An optional free text (newlines allowed), trimmed, at most `max` characters; may be empty.
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        let s = s.trim().replace("\r\n", "\n");
        if s.chars().count() > max {
            return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(ApiError::invalid(name, "must not contain control characters"));
        }
        Ok(Some(s))
    }

    /// A required id: a positive integer.
    pub fn id(&mut self, name: &str) -> Result<i64, ApiError> {
        match self.take(name) {
            None => Err(ApiError::invalid(name, "is required")),
            Some(v) => v.as_i64().filter(|n| *n > 0).ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
        }
    }

    /// An optional whole number in `range`.
    pub fn opt_int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_i64().filter(|n| range.contains(n)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required whole number in `range`.
    pub fn int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
        self.opt_int(name, range)?.ok_or_else(|| ApiError::invalid(name, "is required"))
    }

    /// An optional true/false.
    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }

    /// An optional number in `range` (a coordinate).
    pub fn opt_f64(&mut self, name: &str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_f64().filter(|f| f.is_finite() && range.contains(f)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required choice among `choices`.
    pub fn choice(&mut self, name: &str, choices: &[&'static str]) -> Result<&'static str, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        choices
            .iter()
            .find(|c| **c == s.trim())
            .copied()
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of: {}", choices.join(", "))))
    }

    /// An optional mobile number (an account's phone), `^1[3-9]\d{9}$`.
    pub fn opt_mobile(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else { return Ok(None) };
        let s = s.trim().to_string();
        if valid_mobile(&s) {
            Ok(Some(s))
        } else {
            Err(ApiError::invalid(name, "must be a mobile number such as 13812345678"))
        }
    }

    /// A required contact number: a mobile, or a landline such as `0571-87654321` (many older
    /// people are reached at home).
    pub fn contact_phone(&mut self, name: &str) -> Result<String, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        let s = s.trim().to_string();
        if valid_mobile(&s) || valid_landline(&s) {
            Ok(s)
        } else {
            Err(ApiError::invalid(name, "must be a mobile number such as 13812345678 or a landline such as 0571-87654321"))
        }
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

/// A mainland mobile number, the rule accounts are created with.
pub fn valid_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// A mainland landline: area code `0` + 2–3 digits, an optional `-`, then 7–8 digits.
pub fn valid_landline(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let dashes = s.chars().filter(|c| *c == '-').count();
    let area_ok = match s.split_once('-') {
        Some((area, _)) => (3..=4).contains(&area.len()),
        None => true,
    };
    dashes <= 1
        && area_ok
        && digits.starts_with('0')
        && (10..=12).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A positive id from a path segment; anything else names no resource (404).
pub fn path_id(segment: &str, what: &str) -> Result<i64, ApiError> {
    segment.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::NotFound(format!("no such {what}")))
}

/// An optional positive-id query parameter; anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
    }
}

/// An optional `true`/`false` query parameter.
pub fn query_bool(req: &Request, name: &str) -> Result<bool, ApiError> {
    match kit::query_param(req, name).as_deref().map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body, so a key
/// reused for a different order is refused rather than answered with the first order.
pub fn request_fingerprint(req: &Request) -> String {
    let hash = req.body().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{} {} #{hash:016x}", req.method(), req.path())
}

/// China Standard Time, the only zone the platform shows.
pub const CST_OFFSET: i64 = 8 * 3600;

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

    #[test]
    fn times_are_shown_in_china_standard_time() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339(1_709_222_400), "2024-03-01T00:00:00+08:00");
    }

    #[test]
    fn phones() {
        assert!(valid_mobile("13812345678"));
        assert!(!valid_mobile("12812345678"));
        assert!(!valid_mobile("1381234567"));
        for ok in ["0571-87654321", "057187654321", "010-1234567", "0101234567"] {
            assert!(valid_landline(ok), "{ok}");
        }
        for bad in ["87654321", "0571--87654321", "05718-7654321", "0571-8765432a", "13812345678"] {
            assert!(!valid_landline(bad), "{bad}");
        }
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let field = |e: ApiError| match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let body = serde_json::json!({"urgency": "soon", "latitude": 91, "rating": 3, "extra": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["urgency", "latitude", "rating"]).err().unwrap()), "extra");
        let mut f = Fields::from_value(body, &["urgency", "latitude", "rating", "extra"]).unwrap();
        assert_eq!(field(f.choice("urgency", &["normal", "urgent"]).unwrap_err()), "urgency");
        assert_eq!(field(f.opt_f64("latitude", -90.0..=90.0).unwrap_err()), "latitude");
        assert_eq!(field(f.choice("rating", &["satisfied"]).unwrap_err()), "rating");
        assert_eq!(field(f.line("missing", 10).unwrap_err()), "missing");
        assert_eq!(field(f.text("description", 10).unwrap_err()), "description");
    }
}
