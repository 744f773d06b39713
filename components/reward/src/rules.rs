//! The pure rules: star thresholds and notice period (from `deployment_settings`), the level a
//! minutes balance reaches, and pickup codes. No database, no identity calls.

use kit::{ApiError, Db};

/// The setting that holds the thresholds, in whole hours.
pub const THRESHOLDS_KEY: &str = "reward.star_thresholds_h";
/// The setting that holds the notice (公示) period, in days.
pub const NOTICE_KEY: &str = "reward.notice_days";
/// The thresholds when the deployment has not chosen any: 一星 to 五星 (domain §1.2.4).
pub const DEFAULT_THRESHOLDS_H: [i64; 5] = [100, 300, 600, 1000, 1500];
/// The notice period when the deployment has not chosen one.
pub const DEFAULT_NOTICE_DAYS: i64 = 5;
/// The longest notice period (the registry's range, which the settings API checks too).
pub const MAX_NOTICE_DAYS: i64 = 60;
/// The thresholds' rules live with the other settings' checks, so the settings API and this
/// reader accept the same values.
pub use kit::settings::registry::{check_thresholds, format_thresholds, parse_thresholds};

/// How star levels work in this deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarRules {
    /// Level n (1-based) is reached at `thresholds_h[n - 1]` hours; strictly increasing.
    pub thresholds_h: Vec<i64>,
    pub notice_days: i64,
}

impl Default for StarRules {
    fn default() -> Self {
        StarRules { thresholds_h: DEFAULT_THRESHOLDS_H.to_vec(), notice_days: DEFAULT_NOTICE_DAYS }
    }
}

/// Checks a notice period in days.
pub fn check_notice_days(days: i64) -> Result<(), String> {
    if kit::settings::registry::range(NOTICE_KEY).contains(&days) {
        Ok(())
    } else {
        Err(format!("must be a whole number of days from 0 to {MAX_NOTICE_DAYS}"))
    }
}

impl StarRules {
    /// The rules from settings values (`None` when the key is absent): defaults for missing
    /// keys; a present but invalid value is an error, never silently replaced.
    pub fn from_values(thresholds: Option<&str>, notice: Option<&str>) -> Result<StarRules, String> {
        let thresholds_h = match thresholds {
            None => DEFAULT_THRESHOLDS_H.to_vec(),
            Some(t) => parse_thresholds(t).map_err(|e| format!("{THRESHOLDS_KEY}: {e}"))?,
        };
        let notice_days = match notice {
            None => DEFAULT_NOTICE_DAYS,
            Some(n) => {
                let days = n.trim().parse::<i64>().map_err(|_| format!("{NOTICE_KEY}: {n:?} is not a number"))?;
                check_notice_days(days).map_err(|e| format!("{NOTICE_KEY}: {e}"))?;
                days
            }
        };
        Ok(StarRules { thresholds_h, notice_days })
    }

    /// Reads the rules from `deployment_settings` (a bad value is a deployment error: 500).
    pub fn load(db: &Db) -> Result<StarRules, ApiError> {
        let mut thresholds = None;
        let mut notice = None;
        for (key, value) in kit::settings::get_many(db, &[THRESHOLDS_KEY, NOTICE_KEY])? {
            match key.as_str() {
                THRESHOLDS_KEY => thresholds = Some(value),
                _ => notice = Some(value),
            }
        }
        StarRules::from_values(thresholds.as_deref(), notice.as_deref())
            .map_err(|e| ApiError::Internal(format!("deployment settings: {e}")))
    }

    /// The highest level `minutes` reach (0 below the first threshold).
    pub fn level_for(&self, minutes: i64) -> i64 {
        self.thresholds_h.iter().take_while(|h| minutes >= **h * 60).count() as i64
    }

    /// The threshold of `level` (1-based), in hours.
    pub fn threshold_h(&self, level: i64) -> Option<i64> {
        usize::try_from(level).ok().filter(|l| *l >= 1).and_then(|l| self.thresholds_h.get(l - 1)).copied()
    }

    /// The next level above `minutes`: `(level, threshold_h, minutes_to_go)`, or `None` at the top.
    pub fn next(&self, minutes: i64) -> Option<(i64, i64, i64)> {
        let level = self.level_for(minutes) + 1;
        self.threshold_h(level).map(|h| (level, h, h * 60 - minutes))
    }

    /// When a proposal made at `now` leaves its notice period.
    pub fn notice_ends(&self, now: i64) -> i64 {
        now + self.notice_days * 86_400
    }
}

/// Digits in a pickup code: short enough to read out at a counter, long enough not to guess.
pub const PICKUP_CODE_LEN: usize = 8;

/// A fresh random pickup code of [`PICKUP_CODE_LEN`] digits.
pub fn new_pickup_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    Ok(pickup_code_from(u64::from_le_bytes(bytes)))
}

/// The code for a random number: its last eight decimal digits, zero-padded.
pub fn pickup_code_from(n: u64) -> String {
    format!("{:08}", n % 100_000_000)
}

/// Whether `s` looks like a pickup code (eight ASCII digits).
pub fn is_pickup_code(s: &str) -> bool {
    s.len() == PICKUP_CODE_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_shows_these_defaults() {
        let registry = |k: &str| kit::settings::spec(k).unwrap().default.to_string();
        assert_eq!(registry(THRESHOLDS_KEY), format_thresholds(&DEFAULT_THRESHOLDS_H));
        assert_eq!(registry(NOTICE_KEY), DEFAULT_NOTICE_DAYS.to_string());
        assert_eq!(kit::settings::registry::range(NOTICE_KEY), 0..=MAX_NOTICE_DAYS);
        assert_eq!(registry(crate::redemptions::PICKUP_DAYS_KEY), crate::redemptions::DEFAULT_PICKUP_DAYS.to_string());
    }

    #[test]
    fn missing_settings_take_the_defaults_and_bad_ones_are_errors() {
        assert_eq!(StarRules::from_values(None, None).unwrap(), StarRules::default());
        assert_eq!(StarRules::from_values(Some("2,4"), Some("0")).unwrap().notice_days, 0);
        assert!(StarRules::from_values(Some("4,2"), None).is_err());
        assert!(StarRules::from_values(None, Some("-1")).is_err());
        assert!(StarRules::from_values(None, Some("61")).is_err());
    }

    #[test]
    fn the_level_is_the_number_of_thresholds_reached() {
        let r = StarRules::default();
        assert_eq!(r.level_for(0), 0);
        assert_eq!(r.level_for(100 * 60 - 1), 0);
        assert_eq!(r.level_for(100 * 60), 1);
        assert_eq!(r.level_for(599 * 60), 2);
        assert_eq!(r.level_for(1500 * 60), 5);
        assert_eq!(r.level_for(9_000_000), 5);
        assert_eq!(r.next(90 * 60), Some((1, 100, 600)));
        assert_eq!(r.next(1500 * 60), None);
        assert_eq!(r.threshold_h(0), None);
        assert_eq!(r.threshold_h(5), Some(1500));
        assert_eq!(r.notice_ends(1000), 1000 + 5 * 86_400);
    }

    #[test]
    fn pickup_codes_are_eight_digits() {
        assert_eq!(pickup_code_from(42), "00000042");
        assert_eq!(pickup_code_from(u64::MAX), "09551615");
        assert!(is_pickup_code("01234567"));
        for bad in ["1234567", "123456789", "1234567a", "１２３４５６７８"] {
            assert!(!is_pickup_code(bad), "{bad}");
        }
    }
}
