//! Path and query values and body helpers. Pure: no database, no identity calls.

use kit::ApiError;
use spin_sdk::http::Request;

use crate::model::Period;

pub use kit::{idempotency_key, path_id, query_id, request_fingerprint};

kit::component_fields!();

impl Fields {
    /// A required choice among `choices`.
    pub fn choice(&mut self, name: &str, choices: &[&'static str]) -> Result<&'static str, ApiError> {
        let s = self.raw(name)?;
        choices
            .iter()
            .find(|c| **c == s.trim())
            .copied()
            .ok_or_else(|| ApiError::invalid(name, format!("must be one of: {}", choices.join(", "))))
    }

    /// A required period (`2026-11`, `2026-Q4`, `2026`).
    pub fn period(&mut self, name: &str) -> Result<Period, ApiError> {
        let s = self.raw(name)?;
        Period::parse(&s).ok_or_else(|| period_error(name))
    }

    /// A required `YYYY-MM-DD` date, returned as given.
    pub fn date(&mut self, name: &str) -> Result<String, ApiError> {
        let s = self.raw(name)?;
        let s = s.trim();
        domain::Date::parse(s).map(|_| s.to_string()).map_err(|_| ApiError::invalid(name, "must be a date YYYY-MM-DD"))
    }
}

fn period_error(name: &str) -> ApiError {
    ApiError::invalid(name, "must be a month (2026-11), a quarter (2026-Q4) or a year (2026)")
}

/// The required query parameter `period`.
pub fn query_period(req: &Request) -> Result<Period, ApiError> {
    let s = kit::query_param(req, "period")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("period", "is required"))?;
    Period::parse(&s).ok_or_else(|| period_error("period"))
}

/// An optional query parameter `period`.
pub fn opt_query_period(req: &Request) -> Result<Option<Period>, ApiError> {
    match kit::query_param(req, "period").filter(|s| !s.trim().is_empty()) {
        None => Ok(None),
        Some(s) => Period::parse(&s).map(Some).ok_or_else(|| period_error("period")),
    }
}

/// A required positive-id query parameter.
pub fn required_id(req: &Request, name: &str) -> Result<i64, ApiError> {
    query_id(req, name)?.ok_or_else(|| ApiError::invalid(name, "is required"))
}

/// The model's problems in the one error shape (422 with `fields`).
pub fn problems(list: Vec<(String, String)>) -> ApiError {
    ApiError::invalid_fields(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_positive_integers_or_not_found() {
        assert_eq!(path_id("12", "scheme").unwrap(), 12);
        for bad in ["0", "-1", "x", ""] {
            assert_eq!(path_id(bad, "scheme").unwrap_err().status(), 404, "{bad}");
        }
    }

    #[test]
    fn choices_and_periods_name_their_field() {
        let mut f =
            Fields::from_value(serde_json::json!({"level": "great", "period": "2026-13"}), &["level", "period"])
                .unwrap();
        assert_eq!(f.choice("level", &crate::model::LEVELS).unwrap_err().status(), 422);
        assert_eq!(f.period("period").unwrap_err().to_string(), period_error("period").to_string());
    }
}
