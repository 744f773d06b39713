//! The questionnaire model of needs surveys (需求调查), with no I/O: the `survey` component stores
//! and serves what this crate accepts, and the demo seeding builds its surveys through it too, so
//! there is one definition of what a valid questionnaire and a valid submission are.
//!
//! - [`Questionnaire::parse`] turns the `sections` of a definition into typed questions, or every
//!   problem with its JSON path (`sections[0].questions[2].options`).
//! - [`Questionnaire::check`] takes a submission's `answers` object and returns the canonical
//!   answers and one [`Cell`] per countable value (what results aggregate in SQL), or every
//!   problem (`answers.<key>`, `answers.<key>.<row>`). Display conditions are evaluated here, in
//!   question order, so "hidden" means the same thing to the form, the check and the results.
//!
//! The rules are the contract's, `docs/survey-api.md`.

mod answers;
mod definition;

pub use answers::{Cell, Checked};
pub use definition::{Choice, Condition, Kind, Question, Questionnaire, Section};

/// One problem with a definition or a submission: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The offending field, e.g. `answers.q3` or `sections[0].questions[1].key`.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// Whether `s` is a usable key: 1–40 characters of `[A-Za-z0-9_-]`.
pub fn is_key(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (`domain::Date`) of the years
/// 1900–2100 (a later one in a questionnaire is a typo).
pub fn is_date(s: &str) -> bool {
    domain::Date::parse(s).is_ok_and(|d| d.year() <= 2100)
}

#[cfg(test)]
mod tests;
