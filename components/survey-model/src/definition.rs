//! A questionnaire's sections and questions, parsed from JSON with every problem reported.

use serde_json::{json, Map, Value};

use domain::unicode;

use crate::{is_date, is_key, FieldError};

/// Most sections in one questionnaire.
pub const MAX_SECTIONS: usize = 20;
/// Most questions in one questionnaire, over all sections.
pub const MAX_QUESTIONS: usize = 200;

/// A parsed questionnaire: its sections in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    /// The sections, in the order a respondent sees them.
    pub sections: Vec<Section>,
}

/// A titled group of questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub description: String,
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Unique within the questionnaire; answers are keyed by it.
    pub key: String,
    pub title: String,
    pub description: String,
    /// Must be answered when shown.
    pub required: bool,
    pub kind: Kind,
    /// Shown only when this holds.
    pub show_if: Option<Condition>,
}

/// An option of a choice question, or a row or column of a matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub key: String,
    pub label: String,
}

/// A question's type and its type's settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    SingleChoice { options: Vec<Choice> },
    MultipleChoice { options: Vec<Choice>, min_selections: usize, max_selections: usize },
    ShortText { max_length: usize },
    LongText { max_length: usize },
    Number { min: Option<f64>, max: Option<f64>, integer: bool },
    Rating { scale: i64 },
    Matrix { rows: Vec<Choice>, columns: Vec<Choice> },
    Date { min_date: Option<String>, max_date: Option<String> },
}

/// A display condition: shown only when the earlier choice question `question` is shown and
/// its answer is (or includes) one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

impl Kind {
    /// The type's name in the API.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::SingleChoice { .. } => "single_choice",
            Kind::MultipleChoice { .. } => "multiple_choice",
            Kind::ShortText { .. } => "short_text",
            Kind::LongText { .. } => "long_text",
            Kind::Number { .. } => "number",
            Kind::Rating { .. } => "rating",
            Kind::Matrix { .. } => "matrix",
            Kind::Date { .. } => "date",
        }
    }

    /// The options of a choice question.
    pub fn options(&self) -> Option<&[Choice]> {
        match self {
            Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } => Some(options),
            _ => None,
        }
    }

    /// Whether answers are free text (paged in results rather than counted).
    pub fn is_text(&self) -> bool {
        matches!(self, Kind::ShortText { .. } | Kind::LongText { .. })
    }
}

impl Questionnaire {
    /// Parses the `sections` array of a definition. Every problem is reported, each with its
    /// path under `sections`.
    pub fn parse(sections: &Value) -> Result<Questionnaire, Vec<FieldError>> {
        let mut p = Parser { errors: Vec::new(), seen: Vec::new() };
        let parsed = p.sections(sections);
        if p.errors.is_empty() {
            Ok(Questionnaire { sections: parsed })
        } else {
            Err(p.errors)
        }
    }

    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// The question with `key`.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }

    /// The canonical JSON of the sections (what is stored and served): every setting explicit.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.sections
                .iter()
                .map(|s| {
                    json!({
                        "title": s.title,
                        "description": s.description,
                        "questions": s.questions.iter().map(Question::to_json).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    }
}

fn choices_json(choices: &[Choice]) -> Value {
    Value::Array(choices.iter().map(|c| json!({ "key": c.key, "label": c.label })).collect())
}

impl Question {
    fn to_json(&self) -> Value {
        let mut q = json!({
            "key": self.key,
            "type": self.kind.name(),
            "title": self.title,
            "description": self.description,
            "required": self.required,
        });
        let extra = match &self.kind {
            Kind::SingleChoice { options } => json!({ "options": choices_json(options) }),
            Kind::MultipleChoice { options, min_selections, max_selections } => json!({
                "options": choices_json(options),
                "min_selections": min_selections,
                "max_selections": max_selections,
            }),
            Kind::ShortText { max_length } | Kind::LongText { max_length } => {
                json!({ "max_length": max_length })
            }
            Kind::Number { min, max, integer } => {
                json!({ "min": min, "max": max, "integer": integer })
            }
            Kind::Rating { scale } => json!({ "scale": scale }),
            Kind::Matrix { rows, columns } => {
                json!({ "rows": choices_json(rows), "columns": choices_json(columns) })
            }
            Kind::Date { min_date, max_date } => {
                json!({ "min_date": min_date, "max_date": max_date })
            }
        };
        if let (Value::Object(q), Value::Object(extra)) = (&mut q, extra) {
            q.extend(extra);
        }
        if let Some(c) = &self.show_if {
            q["show_if"] = json!({ "question": c.question, "any_of": c.any_of });
        }
        q
    }
}

/// Collects problems while walking the definition; `seen` is every question key so far with
/// its options (for choice questions), which is what a display condition may refer to.
struct Parser {
    errors: Vec<FieldError>,
    seen: Vec<(String, Option<Vec<String>>)>,
}

/// The fields each object may carry (anything else is a typo, refused).
const SECTION_FIELDS: &[&str] = &["title", "description", "questions"];
const QUESTION_COMMON: &[&str] = &["key", "type", "title", "description", "required", "show_if"];

impl Parser {
    fn err(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn sections(&mut self, v: &Value) -> Vec<Section> {
        let Some(list) = v.as_array() else {
            self.err("sections", "must be an array of sections");
            return Vec::new();
        };
        if list.is_empty() || list.len() > MAX_SECTIONS {
            self.err("sections", format!("must have 1 to {MAX_SECTIONS} sections"));
        }
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let path = format!("sections[{i}]");
            if let Some(section) = self.section(&path, s) {
                out.push(section);
            }
        }
        let total: usize = out.iter().map(|s| s.questions.len()).sum();
        if total > MAX_QUESTIONS {
            self.err("sections", format!("must have at most {MAX_QUESTIONS} questions in all"));
        }
        out
    }

    fn object<'a>(&mut self, path: &str, v: &'a Value, allowed: &[&str]) -> Option<&'a Map<String, Value>> {
        let Some(map) = v.as_object() else {
            self.err(path, "must be an object");
            return None;
        };
        for k in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.err(format!("{path}.{k}"), format!("unknown field; expected one of: {}", allowed.join(", ")));
        }
        Some(map)
    }

    /// A required one-line text of 1 to `max` characters, trimmed.
    fn line(&mut self, path: &str, map: &Map<String, Value>, name: &str, max: usize) -> String {
        match map.get(name) {
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    self.err(format!("{path}.{name}"), "must not be blank");
                } else if s.chars().count() > max {
                    self.err(format!("{path}.{name}"), format!("must be at most {max} characters"));
                } else if s.chars().any(char::is_control) {
                    self.err(format!("{path}.{name}"), "must be one line without control characters");
                } else if let Some(problem) = unicode::line_problem(s) {
                    self.err(format!("{path}.{name}"), problem);
                }
                s.to_string()
            }
            None | Some(Value::Null) => {
                self.err(format!("{path}.{name}"), "is required");
                String::new()
            }
            Some(_) => {
                self.err(format!("{path}.{name}"), "must be a string");
                String::new()
            }
        }
    }

    /// An optional free text (newlines allowed) of at most 2000 characters; absent is empty.
    fn description(&mut self, path: &str, map: &Map<String, Value>) -> String {
        match map.get("description") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => {
                let s = s.trim().replace("\r\n", "\n");
                if s.chars().count() > 2000 {
                    self.err(format!("{path}.description"), "must be at most 2000 characters");
                } else if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    self.err(format!("{path}.description"), "must not contain control characters");
                } else if let Some(problem) = unicode::text_problem(&s) {
                    self.err(format!("{path}.description"), problem);
                }
                s
            }
            Some(_) => {
                self.err(format!("{path}.description"), "must be a string");
                String::new()
            }
        }
    }

    fn section(&mut self, path: &str, v: &Value) -> Option<Section> {
        let map = self.object(path, v, SECTION_FIELDS)?;
        let title = self.line(path, map, "title", 200);
        let description = self.description(path, map);
        let mut questions = Vec::new();
        match map.get("questions").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => {
                for (i, q) in list.iter().enumerate() {
                    if let Some(q) = self.question(&format!("{path}.questions[{i}]"), q) {
                        questions.push(q);
                    }
                }
            }
            _ => self.err(format!("{path}.questions"), "must be a non-empty array of questions"),
        }
        Some(Section { title, description, questions })
    }

    fn question(&mut self, path: &str, v: &Value) -> Option<Question> {
        let kind_name = v.get("type").and_then(Value::as_str).unwrap_or_default();
        let extra: &[&str] = match kind_name {
            "single_choice" => &["options"],
            "multiple_choice" => &["options", "min_selections", "max_selections"],
            "short_text" | "long_text" => &["max_length"],
            "number" => &["min", "max", "integer"],
            "rating" => &["scale"],
            "matrix" => &["rows", "columns"],
            "date" => &["min_date", "max_date"],
            _ => &[],
        };
        // With an unknown type, which fields belong is unknown too: only the type is reported.
        let known = !extra.is_empty();
        let allowed: Vec<&str> = QUESTION_COMMON.iter().chain(extra).copied().collect();
        let map = if known {
            self.object(path, v, &allowed)?
        } else {
            let Some(map) = v.as_object() else {
                self.err(path, "must be an object");
                return None;
            };
            map
        };
        let key = match map.get("key").and_then(Value::as_str) {
            Some(k) if is_key(k) => k.to_string(),
            _ => {
                self.err(format!("{path}.key"), "must be 1 to 40 characters of letters, digits, _ and -");
                String::new()
            }
        };
        if !key.is_empty() && self.seen.iter().any(|(k, _)| *k == key) {
            self.err(format!("{path}.key"), format!("`{key}` is used by an earlier question"));
        }
        let title = self.line(path, map, "title", 500);
        let description = self.description(path, map);
        let required = match map.get("required") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err(format!("{path}.required"), "must be true or false");
                false
            }
        };
        let show_if = match map.get("show_if") {
            None | Some(Value::Null) => None,
            Some(c) => self.condition(&format!("{path}.show_if"), c),
        };
        let kind = self.kind(path, kind_name, map);
        let options = kind.as_ref().and_then(Kind::options).map(|o| o.iter().map(|c| c.key.clone()).collect());
        if !key.is_empty() {
            self.seen.push((key.clone(), options));
        }
        Some(Question { key, title, description, required, kind: kind?, show_if })
    }

    fn condition(&mut self, path: &str, v: &Value) -> Option<Condition> {
        let map = self.object(path, v, &["question", "any_of"])?;
        let Some(target) = map.get("question").and_then(Value::as_str) else {
            self.err(format!("{path}.question"), "must name an earlier choice question");
            return None;
        };
        let Some(options) = self.seen.iter().find(|(k, _)| k == target).map(|(_, o)| o.clone()) else {
            self.err(format!("{path}.question"), format!("`{target}` is not an earlier question"));
            return None;
        };
        let Some(options) = options else {
            self.err(format!("{path}.question"), format!("`{target}` is not a choice question"));
            return None;
        };
        let any_of: Vec<String> = match map.get("any_of").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => list.iter().map(|o| o.as_str().unwrap_or_default().to_string()).collect(),
            _ => {
                self.err(format!("{path}.any_of"), "must be a non-empty array of option keys");
                return None;
            }
        };
        if let Some(bad) = any_of.iter().find(|o| !options.contains(o)) {
            self.err(format!("{path}.any_of"), format!("`{bad}` is not an option of `{target}`"));
            return None;
        }
        Some(Condition { question: target.to_string(), any_of })
    }

    fn choices(&mut self, path: &str, map: &Map<String, Value>, name: &str, range: (usize, usize)) -> Vec<Choice> {
        let field = format!("{path}.{name}");
        let Some(list) = map.get(name).and_then(Value::as_array) else {
            self.err(field, format!("must be an array of {} to {} {{\"key\", \"label\"}} objects", range.0, range.1));
            return Vec::new();
        };
        if list.len() < range.0 || list.len() > range.1 {
            self.err(field.clone(), format!("must have {} to {} entries", range.0, range.1));
        }
        let mut out: Vec<Choice> = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let cpath = format!("{field}[{i}]");
            let Some(cmap) = self.object(&cpath, c, &["key", "label"]) else {
                continue;
            };
            let key = match cmap.get("key").and_then(Value::as_str) {
                Some(k) if is_key(k) => k.to_string(),
                _ => {
                    self.err(format!("{cpath}.key"), "must be 1 to 40 characters of letters, digits, _ and -");
                    continue;
                }
            };
            let label = self.line(&cpath, cmap, "label", 200);
            if out.iter().any(|c| c.key == key) {
                self.err(format!("{cpath}.key"), format!("`{key}` is used twice"));
                continue;
            }
            out.push(Choice { key, label });
        }
        out
    }

    /// An optional whole number in `range`.
    fn count(&mut self, path: &str, map: &Map<String, Value>, name: &str, range: (i64, i64)) -> Option<i64> {
        match map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().filter(|n| (range.0..=range.1).contains(n)) {
                Some(n) => Some(n),
                None => {
                    self.err(
                        format!("{path}.{name}"),
                        format!("must be a whole number from {} to {}", range.0, range.1),
                    );
                    None
                }
            },
        }
    }

    fn number(&mut self, path: &str, map: &Map<String, Value>, name: &str) -> Option<f64> {
        match map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64().filter(|f| f.is_finite() && f.abs() <= 1e12) {
                Some(f) => Some(f),
                None => {
                    self.err(format!("{path}.{name}"), "must be a number (at most 10^12 in size)");
                    None
                }
            },
        }
    }

    fn date(&mut self, path: &str, map: &Map<String, Value>, name: &str) -> Option<String> {
        match map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if is_date(s) => Some(s.clone()),
            Some(_) => {
                self.err(format!("{path}.{name}"), "must be a date written YYYY-MM-DD");
                None
            }
        }
    }

    fn kind(&mut self, path: &str, name: &str, map: &Map<String, Value>) -> Option<Kind> {
        let before = self.errors.len();
        let kind = match name {
            "single_choice" => Kind::SingleChoice { options: self.choices(path, map, "options", (2, 50)) },
            "multiple_choice" => {
                let options = self.choices(path, map, "options", (2, 50));
                let n = options.len().max(1) as i64;
                let min = self.count(path, map, "min_selections", (1, n)).unwrap_or(1);
                let max = self.count(path, map, "max_selections", (1, n)).unwrap_or(n);
                if max < min {
                    self.err(format!("{path}.max_selections"), "must not be below min_selections");
                }
                Kind::MultipleChoice { options, min_selections: min as usize, max_selections: max as usize }
            }
            "short_text" => {
                Kind::ShortText { max_length: self.count(path, map, "max_length", (1, 200)).unwrap_or(200) as usize }
            }
            "long_text" => {
                Kind::LongText { max_length: self.count(path, map, "max_length", (1, 5000)).unwrap_or(2000) as usize }
            }
            "number" => {
                let min = self.number(path, map, "min");
                let max = self.number(path, map, "max");
                if let (Some(lo), Some(hi)) = (min, max) {
                    if hi < lo {
                        self.err(format!("{path}.max"), "must not be below min");
                    }
                }
                let integer = match map.get("integer") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => {
                        self.err(format!("{path}.integer"), "must be true or false");
                        false
                    }
                };
                Kind::Number { min, max, integer }
            }
            "rating" => match map.get("scale").and_then(Value::as_i64) {
                Some(scale @ (5 | 10)) => Kind::Rating { scale },
                _ => {
                    self.err(format!("{path}.scale"), "must be 5 or 10");
                    return None;
                }
            },
            "matrix" => Kind::Matrix {
                rows: self.choices(path, map, "rows", (1, 30)),
                columns: self.choices(path, map, "columns", (2, 10)),
            },
            "date" => {
                let min_date = self.date(path, map, "min_date");
                let max_date = self.date(path, map, "max_date");
                if let (Some(lo), Some(hi)) = (&min_date, &max_date) {
                    if hi < lo {
                        self.err(format!("{path}.max_date"), "must not be before min_date");
                    }
                }
                Kind::Date { min_date, max_date }
            }
            _ => {
                self.err(
                    format!("{path}.type"),
                    "must be one of: single_choice, multiple_choice, short_text, long_text, number, rating, matrix, date",
                );
                return None;
            }
        };
        (self.errors.len() == before).then_some(kind)
    }
}
