//! Request bodies field by field (so a 422 always names the field), path and query ids, times in
//! `+08:00` both ways, CSV and HTML escaping. Pure helpers: no database, no identity calls.

use kit::ApiError;
use serde_json::{Map, Value};
use spin_sdk::http::Request;

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
    /// fields are all optional, such as confirm).
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

    /// An optional field as sent (null is absent), for values parsed elsewhere.
    pub fn opt_value(&mut self, name: &str) -> Option<Value> {
        self.take(name)
    }

    /// An optional string, untrimmed.
    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>, ApiError> {
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

    /// An optional number (a coordinate), finite.
    pub fn opt_f64(&mut self, name: &str) -> Result<Option<f64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_f64().filter(|f| f.is_finite()).map(Some).ok_or_else(|| ApiError::invalid(name, "must be a number")),
        }
    }

    /// A required time, RFC 3339 (`2026-05-01T09:00:00+08:00`), as unix seconds.
    pub fn time(&mut self, name: &str) -> Result<i64, ApiError> {
        let s = self.opt_str(name)?.ok_or_else(|| ApiError::invalid(name, "is required"))?;
        parse_rfc3339(s.trim()).ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 time such as 2026-05-01T09:00:00+08:00"))
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

/// Which end of a day a bare date in a `from`/`to` filter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// 00:00:00 that day (a `from`).
    Start,
    /// 23:59:59 that day (a `to`, inclusive).
    End,
}

/// An optional time filter: RFC 3339, or a date `YYYY-MM-DD` in `+08:00`.
pub fn query_time(req: &Request, name: &str, end: DayEnd) -> Result<Option<i64>, ApiError> {
    match kit::query_param(req, name).map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => parse_filter_time(&v, end)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "must be a date YYYY-MM-DD or an RFC 3339 time")),
    }
}

/// The pure part of [`query_time`].
pub fn parse_filter_time(v: &str, end: DayEnd) -> Option<i64> {
    if v.len() == 10 {
        let day = parse_date(v)?;
        let start = day * 86_400 - CST_OFFSET;
        return Some(match end {
            DayEnd::Start => start,
            DayEnd::End => start + 86_399,
        });
    }
    parse_rfc3339(v)
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body.
pub fn request_fingerprint(req: &Request) -> String {
    let hash = req.body().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{} {} #{hash:016x}", req.method(), req.path())
}

/// China Standard Time, the only zone the platform shows.
pub const CST_OFFSET: i64 = 8 * 3600;

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// (year, month, day) → days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `YYYY-MM-DD` → days since the epoch, if it is a real date (years 1900–9999).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let y = i64::from(y);
    if y < 1900 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`) → unix seconds; fractions are dropped.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    if s.len() < 20 || !s.is_char_boundary(10) {
        return None;
    }
    let days = parse_date(&s[..10])?;
    let rest = &s[10..];
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    if rest.len() < 9 || !rest.is_char_boundary(8) {
        return None;
    }
    let (clock, mut zone) = rest.split_at(8);
    let cb = clock.as_bytes();
    if cb[2] != b':' || cb[5] != b':' {
        return None;
    }
    let (h, mi, sec) = (digits(&clock[0..2])?, digits(&clock[3..5])?, digits(&clock[6..8])?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if let Some(frac) = zone.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        zone = &frac[n..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && z.as_bytes()[3] == b':' => {
            let (oh, om) = (digits(&z[1..3])?, digits(&z[4..6])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if z.starts_with('-') { -o } else { o }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec.min(59));
    Some(secs - offset)
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

/// Unix seconds → the date `YYYY-MM-DD` in `+08:00`.
pub fn date(secs: i64) -> String {
    let (y, m, d) = civil_from_days((secs + CST_OFFSET).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Unix seconds → `HH:MM` in `+08:00`.
pub fn clock(secs: i64) -> String {
    let t = (secs + CST_OFFSET).rem_euclid(86_400);
    format!("{:02}:{:02}", t / 3600, t % 3600 / 60)
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or when it starts
/// with a character a spreadsheet would run as a formula, which is then prefixed with `'`.
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

/// Text made safe inside HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_china_standard_time() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339(1_709_222_400), "2024-03-01T00:00:00+08:00");
        for t in [0, 1_709_222_399, 1_780_000_000, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
        assert_eq!(parse_rfc3339("2024-02-29T16:00:00Z"), Some(1_709_222_400));
        assert_eq!(parse_rfc3339("2024-02-29T16:00:00.123Z"), Some(1_709_222_400));
        assert_eq!(parse_rfc3339("2024-02-29T11:00:00-05:00"), Some(1_709_222_400));
        assert_eq!(date(1_709_222_399), "2024-02-29");
        assert_eq!(date(1_709_222_400), "2024-03-01");
        assert_eq!(clock(1_709_222_400 + 9 * 3600 + 5 * 60), "09:05");
    }

    #[test]
    fn bad_times_are_refused() {
        for bad in ["", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00", "2024-01-01 00:00", "2024-01-01T00:00:00+8:00", "2024-01-01T00:00:00.Z", "１２３４-01-01T00:00:00Z", "2024-01-01T00:00:00+0é00", "2024-01-01T00:00é00Z", "1800-01-01T00:00:00Z"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_filters_cover_whole_days_in_beijing() {
        let from = parse_filter_time("2024-03-01", DayEnd::Start).unwrap();
        let to = parse_filter_time("2024-03-01", DayEnd::End).unwrap();
        assert_eq!(rfc3339(from), "2024-03-01T00:00:00+08:00");
        assert_eq!(rfc3339(to), "2024-03-01T23:59:59+08:00");
        assert_eq!(parse_filter_time("2024-03-01T10:00:00+08:00", DayEnd::End), Some(from + 10 * 3600));
        assert_eq!(parse_filter_time("yesterday", DayEnd::Start), None);
    }

    #[test]
    fn csv_and_html_are_escaped() {
        assert_eq!(csv_row(&["a", "b,c", "=1+1"]), "a,\"b,c\",\"'=1+1\"\r\n");
        assert_eq!(html_escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let field = |e: ApiError| match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let body = serde_json::json!({"code": "  ", "minutes": -3, "latitude": "x", "extra": 1});
        assert_eq!(field(Fields::from_value(body.clone(), &["code", "minutes", "latitude"]).err().unwrap()), "extra");
        let mut f = Fields::from_value(body, &["code", "minutes", "latitude", "extra"]).unwrap();
        assert_eq!(field(f.line("code", 10).unwrap_err()), "code");
        assert_eq!(field(f.opt_int("minutes", 0..=10).unwrap_err()), "minutes");
        assert_eq!(field(f.opt_f64("latitude").unwrap_err()), "latitude");
        assert_eq!(field(f.time("missing").unwrap_err()), "missing");
    }
}
