//! The deployment's sign-in rules (`deployment_settings`, keys and defaults listed in
//! `migrations/0011_abuse.sql`), read once per sign-in through `kit::settings`.

use kit::settings::Pairs;
use kit::throttle::Budget;
use kit::{ApiError, Db};

/// The rate-limit budget of sign-ins (password and code): `throttle.sign_ins.*`.
pub const SIGN_INS: &str = "sign_ins";
/// The rate-limit budget of SMS code requests: `throttle.sms_codes.*`.
pub const SMS_CODES: &str = "sms_codes";

/// Sign-ins per client and in all: enough for a centre's staff behind one office NAT arriving at
/// once, while a flood from one address is cut off within the minute.
pub const SIGN_IN_BUDGET: Budget = Budget { per_client: 100, global: 1000, window_s: 60 };
/// SMS code requests: a volunteer event registering its crowd over one Wi-Fi (or one carrier's
/// shared address) fits in the per-client budget; the global one caps what pumping can cost
/// (300 paid messages per 10 minutes at most).
pub const SMS_CODE_BUDGET: Budget = Budget { per_client: 40, global: 300, window_s: 600 };

/// How password failures are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Consecutive failures from one client that lock the account for that client.
    pub lock_failures: i64,
    /// How long such a lock lasts, in seconds.
    pub lock_s: i64,
    /// Consecutive failures from all clients after which every attempt waits a delay.
    pub delay_after: i64,
    /// The longest account-wide delay, in seconds: the most the holder can be kept waiting.
    pub delay_cap_s: i64,
    /// Password checks that may run at once (argon2 saturates a core each).
    pub argon2_slots: i64,
    /// How long a sign-in waits for a free slot before answering 503.
    pub argon2_wait_ms: i64,
}

impl Rules {
    const DEFAULT: Rules = Rules {
        lock_failures: 5,
        lock_s: 15 * 60,
        delay_after: 10,
        delay_cap_s: 60,
        argon2_slots: 4,
        argon2_wait_ms: 5000,
    };

    const KEYS: [&'static str; 6] = [
        "identity.lock_failures",
        "identity.lock_s",
        "identity.delay_after",
        "identity.delay_cap_s",
        "identity.argon2_slots",
        "identity.argon2_wait_ms",
    ];

    /// This deployment's rules; a value set out of range is a deployment error (500).
    pub fn load(db: &Db) -> Result<Rules, ApiError> {
        Rules::from_pairs(&Pairs::load(db, &Rules::KEYS)?)
            .map_err(|e| ApiError::Internal(format!("deployment setting {e}")))
    }

    fn from_pairs(p: &Pairs) -> Result<Rules, String> {
        let d = Rules::DEFAULT;
        let [lock_failures, lock_s, delay_after, delay_cap_s, argon2_slots, argon2_wait_ms] = Rules::KEYS;
        Ok(Rules {
            // Ranges are the registry's (kit::settings::registry), which the settings API checks.
            lock_failures: p.setting(lock_failures, d.lock_failures)?,
            lock_s: p.setting(lock_s, d.lock_s)?,
            delay_after: p.setting(delay_after, d.delay_after)?,
            delay_cap_s: p.setting(delay_cap_s, d.delay_cap_s)?,
            argon2_slots: p.setting(argon2_slots, d.argon2_slots)?,
            argon2_wait_ms: p.setting(argon2_wait_ms, d.argon2_wait_ms)?,
        })
    }

    /// The account-wide delay after the `failures`-th consecutive failure: none before
    /// `delay_after`, then 1 s, 2 s, 4 s … doubling, never more than `delay_cap_s`.
    pub fn delay_after_failures(&self, failures: i64) -> Option<i64> {
        let past = failures - self.delay_after;
        (past >= 0).then(|| (1_i64 << past.min(30)).min(self.delay_cap_s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        Pairs(v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn unset_rules_take_the_defaults_and_bad_ones_name_their_key() {
        assert_eq!(Rules::from_pairs(&pairs(&[])), Ok(Rules::DEFAULT));
        let set = Rules::from_pairs(&pairs(&[("identity.delay_after", "3"), ("identity.argon2_slots", "1")])).unwrap();
        assert_eq!((set.delay_after, set.argon2_slots, set.lock_failures), (3, 1, 5));
        let err = Rules::from_pairs(&pairs(&[("identity.argon2_slots", "33")])).unwrap_err();
        assert!(err.starts_with("identity.argon2_slots"), "{err}");
    }

    #[test]
    fn the_registry_shows_these_defaults() {
        let registry = |k: &str| kit::settings::spec(k).unwrap().default.parse::<i64>().unwrap();
        let d = Rules::DEFAULT;
        let shown: Vec<i64> = Rules::KEYS.iter().map(|k| registry(k)).collect();
        assert_eq!(shown, [d.lock_failures, d.lock_s, d.delay_after, d.delay_cap_s, d.argon2_slots, d.argon2_wait_ms]);
        for (name, b) in [(SIGN_INS, SIGN_IN_BUDGET), (SMS_CODES, SMS_CODE_BUDGET)] {
            let shown: Vec<i64> = Budget::keys(name).iter().map(|k| registry(k)).collect();
            assert_eq!(shown, [b.per_client, b.global, b.window_s], "{name}");
        }
    }

    #[test]
    fn the_delay_doubles_from_one_second_up_to_the_cap() {
        let r = Rules { delay_after: 10, delay_cap_s: 60, ..Rules::DEFAULT };
        let delays: Vec<_> = (8..=18).map(|f| r.delay_after_failures(f)).collect();
        assert_eq!(
            delays,
            [None, None, Some(1), Some(2), Some(4), Some(8), Some(16), Some(32), Some(60), Some(60), Some(60)]
        );
        assert_eq!(r.delay_after_failures(i64::MAX), Some(60), "no overflow however many failures");
    }
}
