//! Time as the tests need it: now, a start time for test activities, and RFC 3339 in
//! Asia/Shanghai both ways. The calendar is the `domain` crate's (`domain::time`,
//! `domain::Date`), the code the components run; these are the harness's short names for it.

use domain::time::Timestamp;

/// Seconds in a minute, an hour, a day.
pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// Now, in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// A whole hour about a week from now (unix seconds): a start time for test activities that is
/// in the future for the real clock too, and a multiple of 30 s (a dynamic-code window edge).
pub fn activity_base_time() -> i64 {
    (unix_now() / HOUR + 24 * 7) * HOUR
}

/// Unix seconds → RFC 3339 in Asia/Shanghai (`2026-05-01T09:00:00+08:00`), as the API shows it.
pub fn shanghai_rfc3339(unix: i64) -> String {
    domain::time::rfc3339(unix)
}

/// RFC 3339 with any offset (fractions allowed) → unix seconds; panics on anything else.
pub fn unix_of(rfc3339: &str) -> i64 {
    Timestamp::parse(rfc3339).unwrap_or_else(|e| panic!("not an RFC 3339 time: {rfc3339}: {e}")).unix()
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
