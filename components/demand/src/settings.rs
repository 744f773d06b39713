//! The deployment's ordering rules from `deployment_settings` (see
//! `migrations/0005_demands.sql`): `demand.duplicate_window_s` and `demand.auto_close_s`. A
//! missing key takes the documented default; a present but invalid one is a deployment error
//! (500, logged), never silently replaced — refusing a citizen's order or closing it unrated
//! must follow a rule somebody chose.

use kit::{ApiError, Db};

/// How ordering treats near-duplicates and unrated completed orders in this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Same citizen, same item, still open, created within this many seconds → refused.
    pub duplicate_window_s: i64,
    /// A completed order left unrated this long closes by itself.
    pub auto_close_s: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { duplicate_window_s: 86_400, auto_close_s: 604_800 }
    }
}

/// The longest either window may be set to: a year.
const MAX_WINDOW_S: i64 = 366 * 86_400;

impl Rules {
    /// Reads the rules from `deployment_settings`.
    pub fn load(db: &Db) -> Result<Rules, ApiError> {
        let pairs = kit::settings::get_many(db, &["demand.duplicate_window_s", "demand.auto_close_s"])?;
        Rules::from_pairs(&pairs).map_err(|e| ApiError::Internal(format!("deployment settings: {e}")))
    }

    /// The rules from `(key, value)` settings: defaults for missing keys, errors for bad values.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Rules, String> {
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim());
        let seconds = |key: &str, default: i64| -> Result<i64, String> {
            match get(key) {
                None => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=MAX_WINDOW_S).contains(n))
                    .ok_or_else(|| format!("{key} must be whole seconds from 0 to {MAX_WINDOW_S}, not {v:?}")),
            }
        };
        let defaults = Rules::default();
        Ok(Rules {
            duplicate_window_s: seconds("demand.duplicate_window_s", defaults.duplicate_window_s)?,
            auto_close_s: seconds("demand.auto_close_s", defaults.auto_close_s)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn missing_keys_take_the_defaults_and_set_keys_are_used() {
        assert_eq!(Rules::from_pairs(&[]).unwrap(), Rules::default());
        let r =
            Rules::from_pairs(&pairs(&[("demand.duplicate_window_s", " 600 "), ("demand.auto_close_s", "0")])).unwrap();
        assert_eq!(r, Rules { duplicate_window_s: 600, auto_close_s: 0 });
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        for (k, v) in
            [("demand.duplicate_window_s", "-1"), ("demand.auto_close_s", "7d"), ("demand.auto_close_s", "99999999999")]
        {
            assert!(Rules::from_pairs(&pairs(&[(k, v)])).is_err(), "{k}={v}");
        }
    }
}
