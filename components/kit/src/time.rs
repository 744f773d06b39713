//! Times as the platform shows and accepts them: unix seconds in the database, RFC 3339 in
//! `+08:00` (China Standard Time, the only zone shown) on the wire.

use serde_json::Value;

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

/// The number of days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
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
            if z.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec.min(59));
    Some(secs - offset)
}

/// A time from a query string whose offset's `+` arrived as a space (a client that forgot to
/// percent-encode it): `2026-05-01T09:00:00 08:00` → `2026-05-01T09:00:00+08:00`. A time has no
/// space after its 19th character, so nothing else changes; non-ASCII input is left alone.
pub fn restore_offset_plus(v: String) -> String {
    match v.get(19..) {
        Some(tail) if v.is_char_boundary(19) && tail.contains(' ') => format!("{}{}", &v[..19], tail.replace(' ', "+")),
        _ => v,
    }
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
        assert_eq!(opt_rfc3339(None), Value::Null);
        assert_eq!(opt_rfc3339(Some(0)), Value::String("1970-01-01T08:00:00+08:00".into()));
    }

    #[test]
    fn times_round_trip() {
        for secs in [0, 1_709_222_400, 1_767_225_599, 951_782_400] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs));
        }
        assert_eq!(parse_rfc3339("2024-03-01T00:00:00Z"), Some(1_709_251_200));
        assert_eq!(parse_rfc3339("2024-02-29T16:00:00.123-08:00"), Some(1_709_251_200));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn bad_times_are_refused() {
        for bad in [
            "",
            "2024-03-01",
            "2024-02-30T00:00:00+08:00",
            "2024-03-01T24:00:00Z",
            "2024-03-01T00:00:00",
            "2024-03-01T00:00:00+0800",
            "2024-03-01T00:00:00.Z",
            "２０２４-03-01T00:00:00Z",
            "1899-12-31T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
    }
}
