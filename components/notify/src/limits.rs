//! The two limits that protect a recipient: no identical message twice within
//! [`REPEAT_WINDOW_S`], and at most the deployment's daily cap (`notify.daily_cap` in
//! `deployment_settings`, default [`DEFAULT_DAILY_CAP`]) in any [`DAY_S`]. Pure: no database (the cap is read in `lib.rs`).

/// An identical message to the same recipient within this many seconds is a repeat.
pub const REPEAT_WINDOW_S: i64 = 30;
/// The daily cap counts the recipient's messages in this many seconds before now.
pub const DAY_S: i64 = 86_400;
/// Messages per recipient per day when the deployment has not chosen.
pub const DEFAULT_DAILY_CAP: i64 = 10;

/// The half-open window `(now - seconds, now]` as the bounds for `created_at > ? AND
/// created_at <= ?`. The upper bound matters when tests move the clock back: a message stamped
/// after `now` is not "in the last" anything.
pub fn window(now: i64, seconds: i64) -> (i64, i64) {
    (now.saturating_sub(seconds), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_end_now() {
        assert_eq!(window(1_000, REPEAT_WINDOW_S), (970, 1_000));
        // A message 30 s old is outside the repeat window (created_at > 970 fails at 970).
        let (lo, hi) = window(1_000, REPEAT_WINDOW_S);
        assert!(!(970 > lo && 970 <= hi));
        assert!(971 > lo && 971 <= hi);
    }
}
