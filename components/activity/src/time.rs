//! Times and dates without a time crate: the database keeps unix seconds (UTC), JSON shows
//! RFC 3339 in `+08:00` (China Standard Time, the only zone the platform shows), and clients may
//! send RFC 3339 with any offset. Birth dates are `YYYY-MM-DD` text, compared in `+08:00`.
//!
//! The calendar arithmetic and the RFC 3339 rendering are `kit::time`'s; parsing stays here
//! because activities accept only years 2000–2999 (anything else is a typo in this domain).

/// An optional time as RFC 3339, or null.
pub use kit::time::opt_rfc3339 as format_opt;
/// Unix seconds → RFC 3339 in `+08:00`, e.g. `2026-05-01T09:00:00+08:00`.
pub use kit::time::rfc3339 as format;
pub use kit::time::{civil_from_days, days_from_civil, days_in_month, CST_OFFSET};

const DAY: i64 = 86_400;

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, b| n.checked_mul(10)?.checked_add(u32::from(b - b'0')))
}

/// RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` or a space between date and time)
/// → unix seconds. The offset is required: a time without one is ambiguous, and guessing the
/// zone is how a 9 o'clock activity ends up at 17 o'clock. Fractions of a second are dropped.
/// Years 2000–2999 only: anything else is a typo in this domain.
pub fn parse(s: &str) -> Option<i64> {
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
    let (y, m, d) = (i64::from(digits(&b[0..4])?), digits(&b[5..7])?, digits(&b[8..10])?);
    let (hh, mm, ss) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    if !(2000..=2999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in_month(y, m)
        || hh > 23
        || mm > 59
        || ss > 59
    {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (oh, om) = (i64::from(digits(&[*h1, *h2])?), i64::from(digits(&[*m1, *m2])?));
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let local = days_from_civil(y, m, d) * DAY + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
    Some(local - offset)
}

/// A `YYYY-MM-DD` date → (year, month, day), if it is a real date.
pub fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (i64::from(digits(&b[0..4])?), digits(&b[5..7])?, digits(&b[8..10])?);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

/// Whole years of age on the (`+08:00`) calendar day of `at`, for someone born on `birth`.
pub fn age_on(birth: (i64, u32, u32), at: i64) -> i64 {
    let (y, m, d) = civil_from_days((at + CST_OFFSET).div_euclid(DAY));
    let (by, bm, bd) = birth;
    // Born on 29 February: the birthday falls on 1 March in common years (as Chinese ID practice
    // and most law count it), which (m, d) < (bm, bd) gives without a special case.
    y - by - i64::from((m, d) < (bm, bd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(format(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(format(1_709_222_400), "2024-03-01T00:00:00+08:00");
        assert_eq!(format(1_709_222_399), "2024-02-29T23:59:59+08:00");
    }

    #[test]
    fn parses_any_offset() {
        let t = 1_777_597_200; // 2026-05-01T01:00:00Z
        assert_eq!(parse("2026-05-01T09:00:00+08:00"), Some(t));
        assert_eq!(parse("2026-05-01T01:00:00Z"), Some(t));
        assert_eq!(parse("2026-05-01t01:00:00.123z"), Some(t));
        assert_eq!(parse("2026-04-30T21:00:00-04:00"), Some(t));
        assert_eq!(parse("2026-05-01 09:00:00+08:00"), Some(t));
        assert_eq!(format(t), "2026-05-01T09:00:00+08:00");
        for bad in [
            "2026-05-01T09:00:00",
            "2026-05-01",
            "2026-02-29T09:00:00+08:00",
            "2026-05-01T24:00:00+08:00",
            "2026-05-01T09:00:60+08:00",
            "2026-05-01T09:00:00+0800",
            "2026-05-01T09:00:00.+08:00",
            "1999-05-01T09:00:00+08:00",
            "2026-5-01T09:00:00+08:00",
            "２０２６-05-01T09:00:00+08:00",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("2024-02-29T09:00:00+08:00").is_some());
    }

    #[test]
    fn round_trips() {
        for t in [946_684_800, 1_709_222_399, 1_777_597_200, 4_102_444_800] {
            assert_eq!(parse(&format(t)), Some(t));
        }
    }

    #[test]
    fn ages_count_whole_years_in_beijing() {
        let birth = parse_date("2008-05-01").unwrap();
        // 2026-04-30T16:00:00Z is already 1 May in Beijing: 18 that day.
        assert_eq!(age_on(birth, parse("2026-04-30T23:59:59+08:00").unwrap()), 17);
        assert_eq!(age_on(birth, parse("2026-04-30T16:00:00Z").unwrap()), 18);
        let leap = parse_date("2008-02-29").unwrap();
        assert_eq!(age_on(leap, parse("2026-02-28T12:00:00+08:00").unwrap()), 17);
        assert_eq!(age_on(leap, parse("2026-03-01T12:00:00+08:00").unwrap()), 18);
        assert_eq!(parse_date("2023-02-29"), None);
    }
}
