//! Periodic jobs are plain HTTP routes (`POST /api/v1/jobs/<name>`) that only a scheduler may
//! call: the edge's own schedule, a Kubernetes CronJob or a crontab line. Spin's cron trigger is
//! experimental and SpinKube's shim rejects it, so a route is the one form every host runs.
//!
//! The scheduler proves itself with the secret variable `scheduler_token`, sent as
//! `Authorization: Bearer <token>`. Every job route calls [`require_scheduler`] first, before it
//! reads anything, so a refused call runs nothing.

use serde_json::{Map, Value as Json};
use spin_sdk::http::{Request, Response};
use subtle::ConstantTimeEq;

use crate::{ApiError, Fields};

/// The variable that holds the scheduler's secret.
pub const TOKEN_VARIABLE: &str = "scheduler_token";

/// Admits the scheduler, or refuses with 403: `not_configured` when the deployment has no
/// `scheduler_token` (jobs are then off: nobody can call them), `not_scheduler` for a missing or
/// wrong token. The comparison takes the same time wherever the tokens differ.
pub fn require_scheduler(req: &Request) -> Result<(), ApiError> {
    let expected = spin_sdk::variables::get(TOKEN_VARIABLE).unwrap_or_default();
    let expected = expected.trim();
    if expected.is_empty() {
        return Err(ApiError::Refused {
            code: "not_configured",
            message: "periodic jobs are off: the deployment sets no scheduler_token".into(),
        });
    }
    let given = crate::bearer(req).unwrap_or_default();
    if !same_secret(&given, expected) {
        return Err(ApiError::Refused {
            code: "not_scheduler",
            message: "only the scheduler may run jobs: send its token as a Bearer token".into(),
        });
    }
    Ok(())
}

/// What every job route does before its work: admits the scheduler ([`require_scheduler`]),
/// refuses a body (jobs take none: anything sent is a mistake worth saying, 400/422) and
/// returns the job's clock ([`crate::request_now`], so tests can move it like any request's).
pub fn start(req: &Request) -> Result<i64, ApiError> {
    require_scheduler(req)?;
    Fields::from_optional_request(req, &[])?;
    Ok(crate::request_now(req))
}

/// A job's answer: `{"job": name, <count>: n, ...}`. Every count says how many things this run
/// changed (so a repeat answers zeros); the edge's scheduler adds them to its metrics.
pub fn report(job: &str, counts: &[(&str, i64)]) -> Response {
    let mut body = Map::new();
    body.insert("job".into(), Json::String(job.into()));
    for (name, n) in counts {
        body.insert((*name).into(), Json::from(*n));
    }
    crate::json(200, &Json::Object(body))
}

/// Constant-time equality of two secrets (a length difference is not hidden; lengths are not
/// secret here, every token the product issues has the same length). Also the setup code's
/// check (`bootstrap`).
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc123", "abc123"));
        assert!(!same_secret("abc124", "abc123"));
        assert!(!same_secret("abc12", "abc123"));
        assert!(!same_secret("", "abc123"));
    }
}
