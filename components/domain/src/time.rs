//! Instants: unix seconds in the database, RFC 3339 on the wire, shown in Asia/Shanghai.
//!
//! The zone is compiled in from the IANA database by `jiff::tz::get!` rather than assumed to be a
//! fixed `+08:00`: Asia/Shanghai has been `+08:00` since September 1991, so every time the
//! platform shows reads as before, and the few instants in 1986–1991 summers that had daylight
//! saving time are shown with the offset they really had. Only this one zone is embedded (a
//! few hundred bytes), not the whole database, since it is the only zone the platform shows.
//!
//! Clients may send any offset. The accepted text is exactly
//! `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)` with a year from 1900 to 9999: the
//! offset is required (guessing a zone is how a 9 o'clock activity ends up at 17 o'clock),
//! fractions of a second are dropped (the database keeps whole seconds), and a leap second `:60`
//! is read as `:59` (unix time has no leap seconds).

use std::fmt;
use std::str::FromStr;

use jiff::civil;
use jiff::tz::{self, Offset, TimeZone};

use crate::ascii_number;
use crate::date::Date;

/// Asia/Shanghai, the only zone the platform shows.
pub static SHANGHAI: TimeZone = tz::get!("Asia/Shanghai");

/// Why a text is not an RFC 3339 time; the message is shown to the person who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not laid out as `YYYY-MM-DDTHH:MM:SS` followed by an offset.
    #[error("must be an RFC 3339 time such as 2026-05-01T09:00:00+08:00")]
    Shape,
    /// The date part is not a day on the calendar, or its year is outside 1900–9999.
    #[error("the date is not a real calendar day from 1900 on")]
    Date,
    /// The clock part is past 23:59:60.
    #[error("the time of day is not a real clock time")]
    Clock,
    /// The offset is missing or not `Z` or `±HH:MM` within a day.
    #[error("the time needs an offset: Z or ±HH:MM, e.g. +08:00")]
    Offset,
}

/// An instant, to the second. Stored as unix seconds; its [`Display`](fmt::Display) is RFC 3339
/// in Asia/Shanghai.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest year a time may be written with.
    pub const MIN_YEAR: i16 = 1900;

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z (a database column).
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Unix seconds, for the database.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 with any offset (the module docs give the exact grammar).
    pub fn parse(s: &str) -> Result<Timestamp, TimeError> {
        let b = s.as_bytes();
        // 19 bytes of date and clock; what follows (nothing, if the offset was left out) is read
        // below so that a missing offset is reported as such.
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(TimeError::Shape);
        }
        let field = |r: std::ops::Range<usize>| ascii_number(&b[r]).ok_or(TimeError::Shape);
        let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
        let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
        let mut rest = &b[19..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err(TimeError::Shape);
            }
            rest = &fraction[n..];
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let hours = ascii_number(&[*h1, *h2]).ok_or(TimeError::Offset)?;
                let minutes = ascii_number(&[*m1, *m2]).ok_or(TimeError::Offset)?;
                if hours > 23 || minutes > 59 {
                    return Err(TimeError::Offset);
                }
                let seconds = (hours * 3600 + minutes * 60) as i32;
                if *sign == b'-' {
                    -seconds
                } else {
                    seconds
                }
            }
            _ => return Err(TimeError::Offset),
        };
        let date = Date::from_parts(year, month, day).ok_or(TimeError::Date)?;
        if hour > 23 || minute > 59 || second > 60 {
            return Err(TimeError::Clock);
        }
        let local = date.civil().at(hour as i8, minute as i8, second.min(59) as i8, 0);
        let offset = Offset::from_seconds(offset).map_err(|_| TimeError::Offset)?;
        // Years 1900–9999 with an offset under a day are all inside jiff's range.
        let instant = offset.to_timestamp(local).map_err(|_| TimeError::Date)?;
        Ok(Timestamp(instant.as_second()))
    }

    /// The Asia/Shanghai calendar day this instant falls on.
    pub fn date(self) -> Date {
        Date::from_civil(self.local().date())
    }

    /// `HH:MM` on the Asia/Shanghai clock (for notices and printed sheets).
    pub fn clock(self) -> String {
        let t = self.local();
        format!("{:02}:{:02}", t.hour(), t.minute())
    }

    /// The instant as jiff sees it. Unix seconds beyond jiff's range (years ±9999) are clamped to
    /// its ends: no column holds such a value, and showing one must not fail a whole response.
    fn jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.0).unwrap_or(if self.0 < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
    }

    /// The wall-clock reading in Asia/Shanghai.
    fn local(self) -> civil::DateTime {
        SHANGHAI.to_datetime(self.jiff())
    }
}

/// RFC 3339 in Asia/Shanghai, e.g. `2026-05-01T09:00:00+08:00`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let instant = self.jiff();
        let t = SHANGHAI.to_datetime(instant);
        let offset = SHANGHAI.to_offset(instant).seconds();
        let sign = if offset < 0 { '-' } else { '+' };
        let (oh, om) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{oh:02}:{om:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse(s)
    }
}

/// Unix seconds → RFC 3339 in Asia/Shanghai.
pub fn rfc3339(secs: i64) -> String {
    Timestamp::from_unix(secs).to_string()
}

/// RFC 3339 → unix seconds, if it is one (see [`Timestamp::parse`]).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    Timestamp::parse(s).ok().map(Timestamp::unix)
}

/// A time from a query string whose offset's `+` arrived as a space (a client that forgot to
/// percent-encode it): `2026-05-01T09:00:00 08:00` → `2026-05-01T09:00:00+08:00`. A time has no
/// space after its 19th character, so nothing else changes; non-ASCII input is left alone.
pub fn restore_offset_plus(v: String) -> String {
    match v.get(19..) {
        Some(tail) if tail.contains(' ') => format!("{}{}", &v[..19], tail.replace(' ', "+")),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_shanghai() {
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        // 2024-02-29T16:00:00Z is already the next day in Beijing.
        assert_eq!(rfc3339(1_709_222_400), "2024-03-01T00:00:00+08:00");
        assert_eq!(rfc3339(1_709_222_399), "2024-02-29T23:59:59+08:00");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T08:00:00+08:00");
        // Shanghai kept daylight saving time in the summers of 1986–1991.
        assert_eq!(rfc3339(584_000_000), "1988-07-04T15:13:20+09:00");
        assert_eq!(Timestamp::from_unix(1_709_222_400 + 9 * 3600 + 5 * 60).clock(), "09:05");
    }

    #[test]
    fn any_offset_is_read() {
        let t = 1_777_597_200; // 2026-05-01T01:00:00Z
        for s in [
            "2026-05-01T09:00:00+08:00",
            "2026-05-01T01:00:00Z",
            "2026-05-01t01:00:00.123z",
            "2026-04-30T21:00:00-04:00",
            "2026-05-01 09:00:00+08:00",
            "2026-05-01T09:00:00.123456789012+08:00",
            "2026-05-01T00:59:60Z",
        ] {
            assert_eq!(parse_rfc3339(s), Some(t - i64::from(s.contains(":60"))), "{s}");
        }
        assert_eq!(parse_rfc3339("1900-01-01T00:00:00Z"), Some(-2_208_988_800));
        assert_eq!("2024-02-29T16:00:00Z".parse::<Timestamp>(), Ok(Timestamp::from_unix(1_709_222_400)));
    }

    #[test]
    fn times_round_trip() {
        for secs in [0, 951_782_400, 1_709_222_399, 1_767_225_599, 1_777_597_200, 4_102_444_800, 584_000_000] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs), "{secs}");
        }
    }

    #[test]
    fn bad_times_are_refused_with_the_reason() {
        for (bad, why) in [
            ("", TimeError::Shape),
            ("2024-03-01", TimeError::Shape),
            ("2024-3-01T00:00:00+08:00", TimeError::Shape),
            ("２０２４-03-01T00:00:00Z", TimeError::Shape),
            ("2024-01-01T00:00é00Z", TimeError::Shape),
            ("2024-03-01T00:00:00.Z", TimeError::Shape),
            ("2024-01-01 00:00", TimeError::Shape),
            ("2024-02-30T00:00:00+08:00", TimeError::Date),
            ("2023-02-29T00:00:00Z", TimeError::Date),
            ("2024-13-01T00:00:00Z", TimeError::Date),
            ("1899-12-31T00:00:00Z", TimeError::Date),
            ("2024-03-01T24:00:00Z", TimeError::Clock),
            ("2024-03-01T00:60:00Z", TimeError::Clock),
            ("2024-03-01T00:00:61Z", TimeError::Clock),
            ("2024-03-01T00:00:00", TimeError::Offset),
            ("2024-03-01T00:00:00+0800", TimeError::Offset),
            ("2024-03-01T00:00:00+8:00", TimeError::Offset),
            ("2024-03-01T00:00:00+24:00", TimeError::Offset),
            ("2024-01-01T00:00:00+0é00", TimeError::Offset),
            ("2024-03-01T00:00:00Z ", TimeError::Offset),
        ] {
            assert_eq!(Timestamp::parse(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn an_unencoded_plus_is_restored() {
        assert_eq!(restore_offset_plus("2026-05-01T09:00:00 08:00".into()), "2026-05-01T09:00:00+08:00");
        assert_eq!(restore_offset_plus("2026-05-01T09:00:00-04:00".into()), "2026-05-01T09:00:00-04:00");
        assert_eq!(restore_offset_plus("2026-05-01".into()), "2026-05-01");
        assert_eq!(restore_offset_plus("二〇二六年五月一日 上午九点".into()), "二〇二六年五月一日 上午九点");
    }

    #[test]
    fn unix_seconds_out_of_range_still_show() {
        assert!(rfc3339(i64::MAX).starts_with("9999-12-"));
        assert!(rfc3339(i64::MIN).starts_with("-9999-01-"));
    }
}
