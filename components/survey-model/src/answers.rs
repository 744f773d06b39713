//! Checking a submission against its questionnaire: display conditions first, then each shown
//! question's answer by its type. Every problem is collected, so one refusal names them all.

use std::collections::HashMap;

use serde_json::{Map, Value};

use domain::unicode;

use crate::{is_date, FieldError, Kind, Question, Questionnaire};

/// A submission that passed: what to store, and what to count.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The answers as stored: shown, answered questions only, texts trimmed.
    pub answers: Map<String, Value>,
    /// One row per countable value, in question order.
    pub cells: Vec<Cell>,
}

/// One countable value of one answer, stored as a row so results are SQL aggregates:
/// a chosen option (`option`), a matrix row's column (`option` = row, `text` = column), a text
/// or date (`text`), a number or rating (`number`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub question: String,
    pub option: Option<String>,
    pub text: Option<String>,
    pub number: Option<f64>,
}

impl Cell {
    fn option(q: &Question, key: &str) -> Cell {
        Cell { question: q.key.clone(), option: Some(key.to_string()), text: None, number: None }
    }
    fn text(q: &Question, text: String) -> Cell {
        Cell { question: q.key.clone(), option: None, text: Some(text), number: None }
    }
    fn number(q: &Question, n: f64) -> Cell {
        Cell { question: q.key.clone(), option: None, text: None, number: Some(n) }
    }
}

impl Questionnaire {
    /// Which questions are shown for `answers`, by key. A condition looks at an earlier choice
    /// question: shown itself, and answered with one of the listed options.
    pub fn shown(&self, answers: &Map<String, Value>) -> HashMap<&str, bool> {
        let mut shown: HashMap<&str, bool> = HashMap::new();
        for q in self.questions() {
            let visible = match &q.show_if {
                None => true,
                Some(c) => {
                    shown.get(c.question.as_str()).copied().unwrap_or(false)
                        && match answers.get(&c.question) {
                            Some(Value::String(o)) => c.any_of.contains(o),
                            Some(Value::Array(list)) => {
                                list.iter().filter_map(Value::as_str).any(|o| c.any_of.iter().any(|a| a == o))
                            }
                            _ => false,
                        }
                }
            };
            shown.insert(q.key.as_str(), visible);
        }
        shown
    }

    /// Checks a submission's `answers` object. Unknown keys, answers to hidden questions,
    /// missing required answers and answers of the wrong type or out of range are all refused,
    /// each under `answers.<key>`.
    pub fn check(&self, answers: &Value) -> Result<Checked, Vec<FieldError>> {
        let Some(map) = answers.as_object() else {
            return Err(vec![FieldError::new("answers", "must be an object of question key → answer")]);
        };
        let mut errors = Vec::new();
        for key in map.keys().filter(|k| self.question(k).is_none()) {
            errors.push(FieldError::new(format!("answers.{key}"), "no such question in this survey"));
        }
        let shown = self.shown(map);
        let mut stored = Map::new();
        let mut cells = Vec::new();
        for q in self.questions() {
            let field = format!("answers.{}", q.key);
            let answer = map.get(&q.key).filter(|v| !v.is_null());
            let visible = shown.get(q.key.as_str()).copied().unwrap_or(false);
            match answer {
                None if visible && q.required => errors.push(FieldError::new(field, "is required")),
                None => {}
                Some(_) if !visible => {
                    errors.push(FieldError::new(field, "this question is not shown for your earlier answers"))
                }
                Some(v) => match check_one(q, v, &field) {
                    Ok((value, mut c)) => {
                        stored.insert(q.key.clone(), value);
                        cells.append(&mut c);
                    }
                    Err(mut e) => errors.append(&mut e),
                },
            }
        }
        if errors.is_empty() {
            Ok(Checked { answers: stored, cells })
        } else {
            Err(errors)
        }
    }
}

type Answer = (Value, Vec<Cell>);

fn one(field: &str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError::new(field, message)]
}

/// Formats a bound without a trailing `.0` for whole numbers.
fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn check_one(q: &Question, v: &Value, field: &str) -> Result<Answer, Vec<FieldError>> {
    match &q.kind {
        Kind::SingleChoice { options } => {
            let Some(key) = v.as_str() else {
                return Err(one(field, "must be one option key"));
            };
            if !options.iter().any(|o| o.key == key) {
                return Err(one(field, format!("`{key}` is not an option of this question")));
            }
            Ok((v.clone(), vec![Cell::option(q, key)]))
        }
        Kind::MultipleChoice { options, min_selections, max_selections } => {
            let Some(list) = v.as_array() else {
                return Err(one(field, "must be an array of option keys"));
            };
            let mut keys: Vec<&str> = Vec::with_capacity(list.len());
            for item in list {
                let Some(key) = item.as_str() else {
                    return Err(one(field, "must be an array of option keys"));
                };
                if !options.iter().any(|o| o.key == key) {
                    return Err(one(field, format!("`{key}` is not an option of this question")));
                }
                if keys.contains(&key) {
                    return Err(one(field, format!("`{key}` is chosen twice")));
                }
                keys.push(key);
            }
            if keys.len() < *min_selections || keys.len() > *max_selections {
                return Err(one(field, format!("choose {min_selections} to {max_selections} options")));
            }
            Ok((v.clone(), keys.iter().map(|k| Cell::option(q, k)).collect()))
        }
        Kind::ShortText { max_length } | Kind::LongText { max_length } => {
            let Some(s) = v.as_str() else {
                return Err(one(field, "must be text"));
            };
            let s = s.trim().replace("\r\n", "\n");
            let one_line = matches!(q.kind, Kind::ShortText { .. });
            if s.is_empty() {
                return Err(one(field, "must not be blank (leave the question out instead)"));
            }
            if s.chars().count() > *max_length {
                return Err(one(field, format!("must be at most {max_length} characters")));
            }
            if s.chars().any(|c| c.is_control() && (one_line || (c != '\n' && c != '\t'))) {
                let what = if one_line {
                    "must be one line without control characters"
                } else {
                    "must not contain control characters"
                };
                return Err(one(field, what));
            }
            let hidden = if one_line { unicode::line_problem(&s) } else { unicode::text_problem(&s) };
            if let Some(problem) = hidden {
                return Err(one(field, problem));
            }
            Ok((Value::String(s.clone()), vec![Cell::text(q, s)]))
        }
        Kind::Number { min, max, integer } => {
            let Some(n) = v.as_f64().filter(|n| n.is_finite()) else {
                return Err(one(field, "must be a number"));
            };
            if *integer && !(v.is_i64() || v.is_u64()) {
                return Err(one(field, "must be a whole number"));
            }
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => format!("from {} to {}", show(*lo), show(*hi)),
                    (Some(lo), None) => format!("at least {}", show(*lo)),
                    (None, Some(hi)) => format!("at most {}", show(*hi)),
                    (None, None) => unreachable!("a bound was crossed"),
                };
                return Err(one(field, format!("must be {range}")));
            }
            Ok((v.clone(), vec![Cell::number(q, n)]))
        }
        Kind::Rating { scale } => {
            match v.as_i64().filter(|n| (1..=*scale).contains(n)).filter(|_| v.is_i64() || v.is_u64()) {
                Some(n) => Ok((v.clone(), vec![Cell::number(q, n as f64)])),
                None => Err(one(field, format!("must be a whole number from 1 to {scale}"))),
            }
        }
        Kind::Matrix { rows, columns } => {
            let Some(map) = v.as_object() else {
                return Err(one(field, "must be an object of row key → column key"));
            };
            if map.is_empty() {
                return Err(one(field, "answer at least one row (or leave the question out)"));
            }
            let mut errors = Vec::new();
            for key in map.keys().filter(|k| !rows.iter().any(|r| &r.key == *k)) {
                errors.push(FieldError::new(format!("{field}.{key}"), "no such row"));
            }
            let mut cells = Vec::new();
            for row in rows {
                let rfield = format!("{field}.{}", row.key);
                match map.get(&row.key).filter(|c| !c.is_null()) {
                    None if q.required => errors.push(FieldError::new(rfield, "is required: answer every row")),
                    None => {}
                    Some(c) => match c.as_str() {
                        Some(col) if columns.iter().any(|x| x.key == col) => cells.push(Cell {
                            question: q.key.clone(),
                            option: Some(row.key.clone()),
                            text: Some(col.to_string()),
                            number: None,
                        }),
                        _ => errors.push(FieldError::new(rfield, "must be one column key")),
                    },
                }
            }
            if errors.is_empty() {
                Ok((v.clone(), cells))
            } else {
                Err(errors)
            }
        }
        Kind::Date { min_date, max_date } => {
            let Some(s) = v.as_str().filter(|s| is_date(s)) else {
                return Err(one(field, "must be a date written YYYY-MM-DD"));
            };
            if min_date.as_deref().is_some_and(|lo| s < lo) || max_date.as_deref().is_some_and(|hi| s > hi) {
                let range = match (min_date, max_date) {
                    (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                    (Some(lo), None) => format!("on or after {lo}"),
                    (None, Some(hi)) => format!("on or before {hi}"),
                    (None, None) => unreachable!("a bound was crossed"),
                };
                return Err(one(field, format!("must be {range}")));
            }
            Ok((v.clone(), vec![Cell::text(q, s.to_string())]))
        }
    }
}
