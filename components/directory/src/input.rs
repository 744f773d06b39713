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

/// A mainland mobile number: `^1[3-9]\d{9}$`.
pub fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b[2..].iter().all(u8::is_ascii_digit)
}

pub fn phone(field: &str, raw: &str) -> Result<String, ApiError> {
    let phone = raw.trim();
    if !is_phone(phone) {
        return Err(ApiError::invalid(field, "must be an 11-digit mobile number such as 13812345678"));
    }
    Ok(phone.to_string())
}

pub use kit::path_id;

/// An optional id in the query (`?org=17`).
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, format!("{name} must be a positive integer id"))),
    }
}

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
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Unix seconds, or RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) → unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let ob = rest.as_bytes();
            if ob.len() != 6 || ob[3] != b':' {
                return None;
            }
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil (proleptic Gregorian, day 0 = 1970-01-01); `parse_time`
// accepts any year, so it keeps its own i64 calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert!(is_phone("13812345678"));
        assert!(!is_phone("12812345678"));
        assert!(!is_phone("1381234567"));
        assert!(!is_phone("1381234567x"));
        assert_eq!(like_pattern("a%_\\"), "%a\\%\\_\\\\%");
    }
}
