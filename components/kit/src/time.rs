//! Times as the platform shows and accepts them: unix seconds in the database, RFC 3339 in
//! Asia/Shanghai on the wire. The one implementation is `domain::time`; this adds the JSON form.

use serde_json::Value;

pub use domain::time::{parse_rfc3339, restore_offset_plus, rfc3339};

/// An optional time column as RFC 3339, or null.
pub fn opt_rfc3339(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, |s| Value::String(rfc3339(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_times_are_strings_or_null() {
        assert_eq!(opt_rfc3339(None), Value::Null);
        assert_eq!(opt_rfc3339(Some(0)), Value::String("1970-01-01T08:00:00+08:00".into()));
    }
}
