//! Path and query values and body helpers. Pure: no database, no identity calls.

use kit::ApiError;
use spin_sdk::http::Request;

use crate::model::Period;

pub use kit::{idempotency_key, path_id, query_id, request_fingerprint, Fields};

/// The evaluation component's own body getter; the common ones are [`kit::Fields`]'.
pub trait EvaluationFields {
    /// A required period (`2026-11`, `2026-Q4`, `2026`).
    fn period(&mut self, name: &str) -> Result<Period, ApiError>;
}

impl EvaluationFields for Fields {
    fn period(&mut self, name: &str) -> Result<Period, ApiError> {
        let s = self.raw(name)?;
        Period::parse(&s).ok_or_else(|| period_error(name))
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
