//! The deployment's ordering rules from `deployment_settings` (see
//! `migrations/0005_demands.sql`): `demand.duplicate_window_s` and `demand.auto_close_s`. A
//! missing key takes the documented default; a present but invalid one is a deployment error
//! (500, logged), never silently replaced — refusing a citizen's order or closing it unrated
//! must follow a rule somebody chose.

use kit::settings::Pairs;
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

impl Rules {
    /// Reads the rules from `deployment_settings`.
    pub fn load(db: &Db) -> Result<Rules, ApiError> {
        let pairs = Pairs::load(db, &["demand.duplicate_window_s", "demand.auto_close_s"])?;
        Rules::from_pairs(&pairs).map_err(|e| ApiError::Internal(format!("deployment settings: {e}")))
    }

    /// The rules from `(key, value)` settings: defaults for missing keys, errors for bad values.
    pub fn from_pairs(pairs: &Pairs) -> Result<Rules, String> {
        // Ranges are the registry's (kit::settings::registry), which the settings API checks too.
        let seconds = |key: &str, default: i64| pairs.setting(key, default);
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

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        Pairs(v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn missing_keys_take_the_defaults_and_set_keys_are_used() {
        assert_eq!(Rules::from_pairs(&Pairs::default()).unwrap(), Rules::default());
        let r =
            Rules::from_pairs(&pairs(&[("demand.duplicate_window_s", " 600 "), ("demand.auto_close_s", "0")])).unwrap();
        assert_eq!(r, Rules { duplicate_window_s: 600, auto_close_s: 0 });
    }

    #[test]
    fn the_registry_shows_these_defaults() {
        let registry = |k: &str| kit::settings::spec(k).unwrap().default.to_string();
        let d = Rules::default();
        assert_eq!(registry("demand.duplicate_window_s"), d.duplicate_window_s.to_string());
        assert_eq!(registry("demand.auto_close_s"), d.auto_close_s.to_string());
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
