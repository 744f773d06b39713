//! The deployment's hours rules from `deployment_settings` (see `migrations/0004_activities.sql`):
//! `checkin.opens_before_s`, `checkout.grace_s` and `hours.rounding`; and the rotating code's
//! attempt limit, `checkin.code_attempts` per `checkin.code_lockout_s` (see
//! `migrations/0010_checkin_code_attempts.sql`). A missing key takes the
//! documented default; a present but invalid one is a deployment error (500, logged), never
//! silently replaced — hours are a legal record and must not be computed by a rule nobody chose.

use kit::settings::Pairs;
use kit::{ApiError, Db};

use crate::minutes::Rounding;

/// How check-in, forgotten check-outs and rounding work in this deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Check-in opens this many seconds before the start.
    pub opens_before_s: i64,
    /// After the end plus this, open attendances are closed automatically.
    pub grace_s: i64,
    /// How service minutes are rounded.
    pub rounding: Rounding,
    /// Rotating-code attempts a volunteer has per activity per window.
    pub code_attempts: i64,
    /// The attempt window's length in seconds; a volunteer who used up the attempts waits until
    /// it ends.
    pub code_lockout_s: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            opens_before_s: 1800,
            grace_s: 7200,
            rounding: Rounding::default(),
            code_attempts: 5,
            code_lockout_s: 600,
        }
    }
}

impl Rules {
    /// Reads the rules from `deployment_settings`.
    pub fn load(db: &Db) -> Result<Rules, ApiError> {
        let pairs = Pairs::load(
            db,
            &[
                "checkin.opens_before_s",
                "checkout.grace_s",
                "hours.rounding",
                "checkin.code_attempts",
                "checkin.code_lockout_s",
            ],
        )?;
        Rules::from_pairs(&pairs).map_err(|e| ApiError::Internal(format!("deployment settings: {e}")))
    }

    /// The rules from `(key, value)` settings: defaults for missing keys, errors for bad values.
    pub fn from_pairs(pairs: &Pairs) -> Result<Rules, String> {
        // Ranges are the registry's (kit::settings::registry), which the settings API checks too.
        let seconds = |key: &str, default: i64| pairs.setting(key, default);
        let defaults = Rules::default();
        Ok(Rules {
            opens_before_s: seconds("checkin.opens_before_s", defaults.opens_before_s)?,
            grace_s: seconds("checkout.grace_s", defaults.grace_s)?,
            rounding: match pairs.get("hours.rounding") {
                None => defaults.rounding,
                Some(v) => Rounding::parse(v)?,
            },
            // At least one attempt, or nobody could ever check in; at most 100 per window keeps a
            // guess at the million codes hopeless (two valid codes: 1 in 5,000 per window).
            code_attempts: pairs.setting("checkin.code_attempts", defaults.code_attempts)?,
            // A minute to a day.
            code_lockout_s: pairs.setting("checkin.code_lockout_s", defaults.code_lockout_s)?,
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
    fn missing_keys_take_the_defaults() {
        assert_eq!(Rules::from_pairs(&Pairs::default()).unwrap(), Rules::default());
    }

    #[test]
    fn the_registry_shows_these_defaults() {
        let registry = |k: &str| kit::settings::spec(k).unwrap().default.to_string();
        let d = Rules::default();
        assert_eq!(registry("checkin.opens_before_s"), d.opens_before_s.to_string());
        assert_eq!(registry("checkout.grace_s"), d.grace_s.to_string());
        assert_eq!(registry("checkin.code_attempts"), d.code_attempts.to_string());
        assert_eq!(registry("checkin.code_lockout_s"), d.code_lockout_s.to_string());
        assert_eq!(Rounding::parse(&registry("hours.rounding")).unwrap(), d.rounding);
    }

    #[test]
    fn set_keys_are_used() {
        let r = Rules::from_pairs(&pairs(&[
            ("checkin.opens_before_s", "600"),
            ("checkout.grace_s", " 0 "),
            ("hours.rounding", "[[29,0],[59,60]]"),
        ]))
        .unwrap();
        assert_eq!((r.opens_before_s, r.grace_s), (600, 0));
        assert_eq!(r.rounding.apply(89), 60);
        assert_eq!(r.rounding.apply(90), 120);
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        for (k, v) in [("checkin.opens_before_s", "-1"), ("checkout.grace_s", "2h"), ("hours.rounding", "[[15,0]]")] {
            assert!(Rules::from_pairs(&pairs(&[(k, v)])).is_err(), "{k}={v}");
        }
    }
}
