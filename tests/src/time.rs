//! Time as the tests need it: now, a start time for test activities, and RFC 3339 in
//! Asia/Shanghai both ways (the calendar arithmetic written once, here).

/// Seconds in a minute, an hour, a day.
pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// Asia/Shanghai's offset from UTC (no daylight saving).
const SHANGHAI_OFFSET_S: i64 = 8 * HOUR;

/// Now, in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// A whole hour about a week from now (unix seconds): a start time for test activities that is
/// in the future for the real clock too, and a multiple of 30 s (a dynamic-code window edge).
pub fn activity_base_time() -> i64 {
    (unix_now() / 3600 + 24 * 7) * 3600
}

/// Unix seconds → RFC 3339 in Asia/Shanghai (`2026-05-01T09:00:00+08:00`).
pub fn shanghai_rfc3339(unix: i64) -> String {
    let local = unix + SHANGHAI_OFFSET_S;
    let (days, secs) = (local.div_euclid(DAY), local.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The current year in Asia/Shanghai.
pub fn shanghai_year() -> i64 {
    civil_from_days((unix_now() + SHANGHAI_OFFSET_S).div_euclid(DAY)).0
}

/// RFC 3339 (`2026-05-01T09:00:00+08:00`, or `Z`, fractions allowed) → unix seconds.
pub fn unix_of(rfc3339: &str) -> i64 {
    assert!(rfc3339.len() >= 20, "not an RFC 3339 time: {rfc3339}");
    let num = |r: std::ops::Range<usize>| -> i64 {
        rfc3339[r].parse().unwrap_or_else(|_| panic!("not an RFC 3339 time: {rfc3339}"))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    let mut rest = &rfc3339[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let h: i64 = rest[1..3].parse().expect("offset hours");
            let m: i64 = rest[4..6].parse().expect("offset minutes");
            sign * (h * 3600 + m * 60)
        }
    };
    days_from_civil(y, m, d) * DAY + hh * 3600 + mm * 60 + ss - offset
}

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's civil-from-days.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01; Howard Hinnant's days-from-civil.
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
    fn shanghai_times_round_trip() {
        assert_eq!(shanghai_rfc3339(1_790_784_000), "2026-10-01T00:00:00+08:00");
        assert_eq!(unix_of("2026-10-01T00:00:00+08:00"), 1_790_784_000);
        assert_eq!(unix_of("2026-09-30T16:00:00Z"), 1_790_784_000);
        assert_eq!(unix_of("2026-09-30T16:00:00.250Z"), 1_790_784_000);
        for t in [0, 951_782_400, 1_709_251_199, 4_102_444_800] {
            assert_eq!(unix_of(&shanghai_rfc3339(t)), t);
        }
    }
}
