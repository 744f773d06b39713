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

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (years 1900–2100).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2100).contains(&y) && (1..=days).contains(&d)
}

#[cfg(test)]
mod tests;
