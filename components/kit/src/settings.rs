//! The deployment's settings (`deployment_settings`): the one reader and writer of that table.
//! Steps read their rules here on their own connection (inside their transaction when they are
//! in one); the `settings` library component serves the same reads over WIT.
//!
//! A library component cannot import another on Spin (dependencies are plugged into the
//! importing step only), so `notify` could not go through the `settings` component; a plain
//! function every component links can serve them all.

use spin_sdk::sqlite3::Value;

use crate::{ApiError, Db};

pub mod registry;
pub use registry::{spec, Rounding, Spec};

/// The value of `key`, or `None` when the deployment has not set it.
pub fn get(db: &Db, key: &str) -> Result<Option<String>, ApiError> {
    Ok(get_many(db, &[key])?.pop().map(|(_, v)| v))
}

/// The values of those `keys` the deployment has set, as `(key, value)` pairs.
pub fn get_many(db: &Db, keys: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; keys.len()].join(", ");
    let params: Vec<Value> = keys.iter().map(|k| Value::Text(k.to_string())).collect();
    db.query(&format!("SELECT key, value FROM deployment_settings WHERE key IN ({marks}) ORDER BY key"), &params)?
        .iter()
        .map(|r| {
            let value = match r.opt_str("value") {
                Ok(v) => v.unwrap_or_default(),
                // A number stored without quotes reads as an integer.
                Err(_) => r.i64("value")?.to_string(),
            };
            Ok((r.str("key")?, value))
        })
        .collect()
}

/// A whole-number setting within `range`; `default` when unset. A value that is set but not
/// such a number is a deployment error (500), never silently replaced.
pub fn int(db: &Db, key: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
    Pairs(get_many(db, &[key])?)
        .int(key, default, range)
        .map_err(|e| ApiError::Internal(format!("deployment setting {e}")))
}

/// Settings already read (`(key, value)` pairs from [`get_many`]), for a step's typed rules:
/// pure, so the rules' parsing is unit-tested without a database.
#[derive(Debug, Clone, Default)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The settings `keys` of this deployment.
    pub fn load(db: &Db, keys: &[&str]) -> Result<Pairs, ApiError> {
        get_many(db, keys).map(Pairs)
    }

    /// The trimmed value of `key`, or `None` when unset.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
    }

    /// The registered whole-number setting `key` ([`registry`]): its range, `default` when unset.
    pub fn setting(&self, key: &str, default: i64) -> Result<i64, String> {
        self.int(key, default, registry::range(key))
    }

    /// A whole number within `range`; `default` when unset; an error naming the key and the
    /// allowed range for anything else (the caller decides the status: a deployment error).
    pub fn int(&self, key: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                format!("{key} must be a whole number from {} to {}, not {v:?}", range.start(), range.end())
            }),
        }
    }
}

/// Sets `key` to `value` (inside the caller's transaction, with its audit entry).
pub fn set(db: &Db, key: &str, value: &str, now: i64) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO deployment_settings (key, value, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[Value::Text(key.to_string()), Value::Text(value.to_string()), Value::Integer(now)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Pairs;

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        Pairs(v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn whole_numbers_are_read_trimmed_within_their_range_and_unset_keys_take_the_default() {
        let p = pairs(&[("a", " 600 "), ("b", "-1"), ("c", "7d")]);
        assert_eq!(p.int("a", 5, 0..=1000), Ok(600));
        assert_eq!(p.int("missing", 5, 0..=1000), Ok(5));
        assert!(p.int("a", 5, 0..=599).unwrap_err().contains("from 0 to 599"));
        assert!(p.int("b", 5, 0..=1000).is_err());
        assert!(p.int("c", 5, 0..=1000).unwrap_err().starts_with("c must be"));
    }
}
