//! Request bodies field by field (so a 422 always names the field; the common getters are
//! `kit::Fields`), path and query values, and phones. Pure helpers: no database, no identity
//! calls.

use domain::phone::is_mobile;
use kit::ApiError;

pub use kit::time::rfc3339;
pub use kit::{idempotency_key, path_id, query_bool, query_id, request_fingerprint, Fields};

/// The demand component's own body getter; the common ones are [`kit::Fields`]'.
pub trait DemandFields {
    /// A required contact number: a mobile, or a landline such as `0571-87654321` (many older
    /// people are reached at home).
    fn contact_phone(&mut self, name: &str) -> Result<String, ApiError>;
}

impl DemandFields for Fields {
    fn contact_phone(&mut self, name: &str) -> Result<String, ApiError> {
        let s = self.raw(name)?;
        let s = s.trim().to_string();
        if is_mobile(&s) || valid_landline(&s) {
            Ok(s)
        } else {
            Err(ApiError::invalid(
                name,
                "must be a mobile number such as 13812345678 or a landline such as 0571-87654321",
            ))
        }
    }
}

/// A mainland landline: area code `0` + 2–3 digits, an optional `-`, then 7–8 digits.
pub fn valid_landline(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let dashes = s.chars().filter(|c| *c == '-').count();
    let area_ok = match s.split_once('-') {
        Some((area, _)) => (3..=4).contains(&area.len()),
        None => true,
    };
    dashes <= 1
        && area_ok
        && digits.starts_with('0')
        && (10..=12).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(is_mobile("13812345678"));
        assert!(!is_mobile("12812345678"));
        assert!(!is_mobile("1381234567"));
        for ok in ["0571-87654321", "057187654321", "010-1234567", "0101234567"] {
            assert!(valid_landline(ok), "{ok}");
        }
        for bad in ["87654321", "0571--87654321", "05718-7654321", "0571-8765432a", "13812345678"] {
            assert!(!valid_landline(bad), "{bad}");
        }
    }

    #[test]
    fn fields_name_what_is_wrong() {
        let body = serde_json::json!({"urgency": "soon", "latitude": 91, "rating": 3, "extra": 1});
        assert_eq!(
            Fields::from_value(body.clone(), &["urgency", "latitude", "rating"]).err().unwrap().field(),
            Some("extra")
        );
        let mut f = Fields::from_value(body, &["urgency", "latitude", "rating", "extra"]).unwrap();
        assert_eq!(f.choice("urgency", &["normal", "urgent"]).unwrap_err().field(), Some("urgency"));
        assert_eq!(f.opt_number("latitude", -90.0..=90.0).unwrap_err().field(), Some("latitude"));
        assert_eq!(f.choice("rating", &["satisfied"]).unwrap_err().field(), Some("rating"));
        assert_eq!(f.line("missing", 10).unwrap_err().field(), Some("missing"));
        assert_eq!(f.text("description", 10).unwrap_err().field(), Some("description"));
    }
}
