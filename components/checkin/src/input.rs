//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query ids, dates and clock times in `+08:00`, HTML escaping.
//! Pure helpers: no database, no identity calls.

use kit::ApiError;
use spin_sdk::http::Request;

use domain::{Date, Timestamp};
pub use kit::time::{opt_rfc3339, parse_rfc3339, rfc3339};
pub use kit::{idempotency_key, path_id, query_id, request_fingerprint, Fields};

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
    kit::query_filter(req, name)
        .map(|v| {
            parse_filter_time(&kit::time::restore_offset_plus(v), end)
                .ok_or_else(|| ApiError::invalid(name, "must be a date YYYY-MM-DD or an RFC 3339 time"))
        })
        .transpose()
}

/// The pure part of [`query_time`].
pub fn parse_filter_time(v: &str, end: DayEnd) -> Option<i64> {
    if v.len() == 10 {
        let day = Date::parse(v).ok()?;
        return Some(match end {
            DayEnd::Start => day.start(),
            DayEnd::End => day.last_second(),
        });
    }
    parse_rfc3339(v)
}

/// Unix seconds → the date `YYYY-MM-DD` in `+08:00`.
pub fn date(secs: i64) -> String {
    Date::of(secs).to_string()
}

/// Unix seconds → `HH:MM` in `+08:00`.
pub fn clock(secs: i64) -> String {
    Timestamp::from_unix(secs).clock()
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
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00",
            "2024-01-01T00:00:00+8:00",
            "2024-01-01T00:00:00.Z",
            "１２３４-01-01T00:00:00Z",
            "2024-01-01T00:00:00+0é00",
            "2024-01-01T00:00é00Z",
            "1800-01-01T00:00:00Z",
        ] {
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
    fn html_is_escaped() {
        assert_eq!(html_escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"code": "  ", "minutes": -3, "latitude": "x", "extra": 1});
        assert_eq!(
            Fields::from_value(body.clone(), &["code", "minutes", "latitude"]).err().unwrap().field(),
            Some("extra")
        );
        let mut f = Fields::from_value(body, &["code", "minutes", "latitude", "extra"]).unwrap();
        assert_eq!(f.line("code", 10).unwrap_err().field(), Some("code"));
        assert_eq!(f.opt_int("minutes", 0..=10).unwrap_err().field(), Some("minutes"));
        assert_eq!(f.opt_number("latitude", -90.0..=90.0).unwrap_err().field(), Some("latitude"));
        assert_eq!(f.time("missing").unwrap_err().field(), Some("missing"));
    }
}
