//! Path and query values, and the questionnaire body of create and edit. Pure helpers: no
//! database, no identity calls.

use kit::ApiError;
use serde_json::Value;
use spin_sdk::http::Request;
use survey_model::{FieldError, Questionnaire};

pub use kit::{idempotency_key, path_id, query_id, request_fingerprint, Fields};

/// The model's problems in the one error shape (422 with `fields`).
pub fn model_errors(errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid_fields(errors.into_iter().map(|e| (e.field, e.message)).collect())
}

/// Who a survey asks.
pub const AUDIENCES: [&str; 2] = ["residents", "volunteers"];
/// What one response stands for.
pub const ONE_PER: [&str; 2] = ["person", "household"];

/// A questionnaire as created or replaced: everything but its id and state.
#[derive(Debug, Clone)]
pub struct Definition {
    pub title: String,
    pub description: String,
    pub org_id: i64,
    pub audience: &'static str,
    pub anonymous: bool,
    pub one_per: &'static str,
    pub opens_at: i64,
    pub closes_at: i64,
    pub questionnaire: Questionnaire,
}

impl Definition {
    /// Reads and checks the body of `POST /surveys` and `PUT /surveys/{id}`. Every problem is
    /// reported at once (422 with `fields`), scalar fields and sections alike, so a form can mark
    /// them all; malformed JSON and unknown top-level fields still stop at the first.
    pub fn from_request(req: &Request) -> Result<Definition, ApiError> {
        let mut f = Fields::from_request(
            req,
            &[
                "title",
                "description",
                "org_id",
                "audience",
                "anonymous",
                "one_per",
                "opens_at",
                "closes_at",
                "sections",
            ],
        )?;
        let mut problems: Vec<(String, String)> = Vec::new();
        let pr = &mut problems;
        let title = note(pr, f.line("title", 200))?;
        let description = note(pr, f.opt_text("description", 2000))?.flatten().unwrap_or_default();
        let org_id = note(pr, f.id("org_id"))?;
        let audience = note(pr, f.opt_choice("audience", &AUDIENCES))?.flatten().unwrap_or("residents");
        let anonymous = note(pr, f.opt_bool("anonymous"))?.flatten().unwrap_or(false);
        let one_per = note(pr, f.opt_choice("one_per", &ONE_PER))?.flatten().unwrap_or("person");
        let opens_at = note(pr, f.time("opens_at"))?;
        let closes_at = note(pr, f.time("closes_at"))?;
        if let (Some(open), Some(close)) = (opens_at, closes_at) {
            if close <= open {
                problems.push(("closes_at".into(), "must be after opens_at".into()));
            }
        }
        let sections = f.take("sections").unwrap_or(Value::Null);
        let questionnaire = match Questionnaire::parse(&sections) {
            Ok(q) => Some(q),
            Err(errors) => {
                problems.extend(errors.into_iter().map(|e| (e.field, e.message)));
                None
            }
        };
        match (title, org_id, opens_at, closes_at, questionnaire) {
            (Some(title), Some(org_id), Some(opens_at), Some(closes_at), Some(questionnaire))
                if problems.is_empty() =>
            {
                Ok(Definition {
                    title,
                    description,
                    org_id,
                    audience,
                    anonymous,
                    one_per,
                    opens_at,
                    closes_at,
                    questionnaire,
                })
            }
            _ => Err(ApiError::invalid_fields(problems)),
        }
    }
}

/// A field's value, or — when it is invalid — `None` with the problem noted; anything other
/// than a 422 (a 400, a failure) still stops at once.
fn note<T>(problems: &mut Vec<(String, String)>, r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::Invalid { field, message }) => {
            problems.push((field, message));
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_positive_integers_or_not_found() {
        assert_eq!(path_id("12", "survey").unwrap(), 12);
        for bad in ["0", "-1", "x", "1.5", ""] {
            assert_eq!(path_id(bad, "survey").unwrap_err().status(), 404, "{bad}");
        }
    }

    #[test]
    fn model_errors_keep_every_field() {
        let e = model_errors(vec![
            FieldError { field: "answers.a".into(), message: "is required".into() },
            FieldError { field: "answers.b".into(), message: "must be a number".into() },
        ]);
        assert_eq!(e.status(), 422);
        match e {
            ApiError::InvalidFields(list) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
