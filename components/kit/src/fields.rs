//! Request bodies taken field by field, so every 422 names its field. Unknown fields are refused
//! up front: a misspelt `urgancy` must not silently become the default.
//!
//! Every getter more than one component needs is here, once, with the vocabulary's types
//! (`domain`'s phones, dates and times). A getter only one component has lives beside that
//! component, as a small extension trait on [`Fields`].

use std::ops::RangeInclusive;

use domain::{Date, Phone, Timestamp};
use serde_json::{Map, Value};
use spin_sdk::http::Request;

use domain::unicode;

use crate::ApiError;

/// A JSON object body whose fields are taken one at a time.
#[derive(Debug, Default)]
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// The body as an object with only `allowed` keys: bad JSON → 400; not an object or an
    /// unknown key → 422.
    pub fn from_request(req: &Request, allowed: &[&str]) -> Result<Fields, ApiError> {
        let body: Value = crate::parse_body(req)?;
        Fields::from_value(body, allowed)
    }

    /// Like [`Fields::from_request`], but an empty (or all-whitespace) body is an empty object,
    /// for requests whose fields are all optional.
    pub fn from_optional_request(req: &Request, allowed: &[&str]) -> Result<Fields, ApiError> {
        if req.body().iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields::default());
        }
        Fields::from_request(req, allowed)
    }

    /// The checks of [`Fields::from_request`] on an already parsed value.
    pub fn from_value(body: Value, allowed: &[&str]) -> Result<Fields, ApiError> {
        let Value::Object(map) = body else {
            return Err(ApiError::invalid("body", "the body must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let expected = if allowed.is_empty() {
                "unknown field; this request takes no fields".to_string()
            } else {
                format!("unknown field; expected one of: {}", allowed.join(", "))
            };
            return Err(ApiError::invalid(unknown, expected));
        }
        Ok(Fields { map })
    }

    /// Whether no field was sent.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether `name` was sent (even as null).
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Whether `name` was sent with a non-null value.
    pub fn present(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    /// The raw value of `name`, if sent and not null (for a component's own getters).
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    /// An optional string, untrimmed.
    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(name, "must be a string")),
        }
    }

    /// A required string, untrimmed (for values parsed by a newtype).
    pub fn raw(&mut self, name: &str) -> Result<String, ApiError> {
        self.opt_str(name)?.ok_or_else(|| required(name))
    }

    /// A required one-line text: trimmed, 1 to `max` characters, no control characters and no
    /// invisible formatting ([`crate::unicode`]).
    pub fn line(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        self.opt_line(name, max)?.ok_or_else(|| required(name))
    }

    /// An optional one-line text; present but blank is refused.
    pub fn opt_line(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else {
            return Ok(None);
        };
        check_line(name, &s, max).map(Some)
    }

    /// A required free text (newlines allowed), trimmed, 1 to `max` characters, no bidi
    /// controls. Present but blank is `must not be blank`, as for [`Fields::line`].
    pub fn text(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        match self.opt_text(name, max)? {
            None => Err(required(name)),
            Some(s) if s.is_empty() => Err(ApiError::invalid(name, "must not be blank")),
            Some(s) => Ok(s),
        }
    }

    /// An optional free text (newlines allowed, `\r\n` becomes `\n`), trimmed, at most `max`
    /// characters, no control characters but newline and tab, no bidi controls (they reorder
    /// what a reader sees after them); may be empty.
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else {
            return Ok(None);
        };
        check_text(name, &s, max).map(Some)
    }

    /// An optional id: a positive integer.
    pub fn opt_id(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => positive(&v).map(Some).ok_or_else(|| ApiError::invalid(name, "must be a positive integer id")),
        }
    }

    /// A required id: a positive integer.
    pub fn id(&mut self, name: &str) -> Result<i64, ApiError> {
        self.opt_id(name)?.ok_or_else(|| required(name))
    }

    /// An optional whole number in `range` (a JSON integer; `5.0` and `"5"` are refused).
    pub fn opt_int(&mut self, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_i64().filter(|n| range.contains(n)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required whole number in `range`.
    pub fn int(&mut self, name: &str, range: RangeInclusive<i64>) -> Result<i64, ApiError> {
        self.opt_int(name, range)?.ok_or_else(|| required(name))
    }

    /// An optional true/false.
    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }

    /// An optional finite number in `range` (a coordinate, a distance).
    pub fn opt_number(&mut self, name: &str, range: RangeInclusive<f64>) -> Result<Option<f64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_f64().filter(|n| n.is_finite() && range.contains(n)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required value from the closed list `options`, surrounding whitespace forgiven.
    pub fn choice(&mut self, name: &str, options: &[&'static str]) -> Result<&'static str, ApiError> {
        self.opt_choice(name, options)?.ok_or_else(|| required(name))
    }

    /// An optional value from the closed list `options`.
    pub fn opt_choice(&mut self, name: &str, options: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        self.opt_str(name)?.map(|s| one_of(name, s.trim(), options)).transpose()
    }

    /// An optional list of short labels (skills, categories): at most `max_items`, each one line of
    /// 1 to `max_chars` characters; duplicates are dropped, order kept.
    pub fn opt_labels(
        &mut self,
        name: &str,
        max_items: usize,
        max_chars: usize,
    ) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.take(name) else { return Ok(None) };
        let Value::Array(items) = v else {
            return Err(ApiError::invalid(name, "must be a list of strings"));
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let Value::String(s) = item else {
                return Err(ApiError::invalid(name, "must be a list of strings"));
            };
            let s = check_line(name, &s, max_chars)?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        if out.len() > max_items {
            return Err(ApiError::invalid(name, format!("at most {max_items} entries")));
        }
        Ok(Some(out))
    }

    /// A required RFC 3339 time with an offset (`domain::time`'s grammar) → unix seconds; the 422
    /// says what is wrong with it.
    pub fn time(&mut self, name: &str) -> Result<i64, ApiError> {
        let s = self.raw(name)?;
        Timestamp::parse(s.trim()).map(Timestamp::unix).map_err(|e| ApiError::invalid(name, e.to_string()))
    }

    /// An optional time that null clears (for edits): absent is `None`, null is `Some(None)`, a
    /// time is `Some(Some(unix seconds))`.
    pub fn clearable_time(&mut self, name: &str) -> Result<Option<Option<i64>>, ApiError> {
        if !self.has(name) {
            return Ok(None);
        }
        if !self.present(name) {
            self.map.remove(name);
            return Ok(Some(None));
        }
        self.time(name).map(|t| Some(Some(t)))
    }

    /// A required calendar date `YYYY-MM-DD` (`domain::Date`).
    pub fn date(&mut self, name: &str) -> Result<Date, ApiError> {
        let s = self.raw(name)?;
        Date::parse(s.trim()).map_err(|e| ApiError::invalid(name, e.to_string()))
    }

    /// A required mainland mobile number (`domain::Phone`), surrounding whitespace forgiven.
    pub fn phone(&mut self, name: &str) -> Result<Phone, ApiError> {
        self.opt_phone(name)?.ok_or_else(|| required(name))
    }

    /// An optional mainland mobile number.
    pub fn opt_phone(&mut self, name: &str) -> Result<Option<Phone>, ApiError> {
        self.opt_str(name)?
            .map(|s| Phone::parse(s.trim()).map_err(|e| ApiError::invalid(name, e.to_string())))
            .transpose()
    }
}

/// `value` if it is one of `options`, else a 422 naming `name` and listing them (for bodies and
/// query filters alike).
pub fn one_of(name: &str, value: &str, options: &[&'static str]) -> Result<&'static str, ApiError> {
    options
        .iter()
        .find(|o| **o == value)
        .copied()
        .ok_or_else(|| ApiError::invalid(name, format!("must be one of: {}", options.join(", "))))
}

/// The 422 for a missing required field.
pub fn required(name: &str) -> ApiError {
    ApiError::invalid(name, "is required")
}

/// A positive integer id in a JSON value.
pub fn positive(v: &Value) -> Option<i64> {
    v.as_i64().filter(|n| *n > 0)
}

/// A one-line text: trimmed, 1 to `max` characters, no control characters, no invisible
/// formatting (bidi controls, zero-width characters and the other format characters of
/// [`crate::unicode`]: they make a name read as another, or two names look the same).
pub fn check_line(name: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::invalid(name, "must not be blank"));
    }
    if s.chars().count() > max {
        return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::invalid(name, "must be one line without control characters"));
    }
    if let Some(problem) = unicode::line_problem(s) {
        return Err(ApiError::invalid(name, problem));
    }
    Ok(s.to_string())
}

/// A free text: trimmed, `\r\n` made `\n`, at most `max` characters (may be empty), no control
/// characters but newline and tab, no bidi controls (they reorder what a reader sees after
/// them). For texts nested where [`Fields`] does not reach.
pub fn check_text(name: &str, s: &str, max: usize) -> Result<String, ApiError> {
    let s = s.trim().replace("\r\n", "\n");
    if s.chars().count() > max {
        return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(name, "must not contain control characters"));
    }
    if let Some(problem) = unicode::text_problem(&s) {
        return Err(ApiError::invalid(name, problem));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        assert_eq!(Fields::from_value(json!({"a": 1, "extra": 1}), &["a"]).unwrap_err().field(), Some("extra"));
        assert_eq!(Fields::from_value(json!([1]), &["a"]).unwrap_err().field(), Some("body"));
        assert_eq!(Fields::from_value(json!({"a": 1}), &[]).unwrap_err().field(), Some("a"));
        let f = Fields::from_value(json!({"a": null}), &["a"]).unwrap();
        assert!(f.has("a") && !f.present("a") && !f.is_empty());
    }

    #[test]
    fn getters_name_what_is_wrong() {
        let body = json!({"name": "  ", "n": 11, "id": 0, "ok": "yes", "note": 5, "two": "a\nb"});
        let mut f = Fields::from_value(body, &["name", "n", "id", "ok", "note", "two"]).unwrap();
        assert_eq!(f.line("name", 10).unwrap_err().field(), Some("name"));
        assert_eq!(f.int("n", 1..=10).unwrap_err().field(), Some("n"));
        assert_eq!(f.id("id").unwrap_err().field(), Some("id"));
        assert_eq!(f.opt_bool("ok").unwrap_err().field(), Some("ok"));
        assert_eq!(f.opt_text("note", 10).unwrap_err().field(), Some("note"));
        assert_eq!(f.opt_line("two", 10).unwrap_err().field(), Some("two"));
        assert_eq!(f.text("missing", 10).unwrap_err().field(), Some("missing"));
    }

    #[test]
    fn one_line_texts_refuse_invisible_formatting_and_name_the_field() {
        let spoofs = [
            "张三\u{202E}gnp.exe",
            "东\u{200B}街站",
            "\u{2066}李四\u{2069}",
            "王\u{200F}五",
            "赵\u{061C}六",
            "team\u{FEFF}",
            "a\u{2060}b",
            "soft\u{00AD}hyphen",
            "tag\u{E0041}",
            "two\u{2028}lines",
        ];
        for spoof in spoofs {
            let mut f = Fields::from_value(json!({ "name": spoof }), &["name"]).unwrap();
            let err = f.line("name", 50).unwrap_err();
            assert_eq!((err.status(), err.field()), (422, Some("name")), "{spoof:?}");
            assert!(err.to_string().contains("U+"), "the message names the character: {err}");
            assert!(check_line("q", spoof, 50).is_err(), "query texts too: {spoof:?}");
        }
        let mut f =
            Fields::from_value(json!({ "name": "阿卜杜拉·买买提", "title": "❤\u{FE0F} 助老" }), &["name", "title"])
                .unwrap();
        assert_eq!(f.line("name", 50).unwrap(), "阿卜杜拉·买买提");
        assert_eq!(f.line("title", 50).unwrap(), "❤\u{FE0F} 助老");
        let mut labels = Fields::from_value(json!({ "skills": ["助老", "医\u{200D}疗"] }), &["skills"]).unwrap();
        assert_eq!(labels.opt_labels("skills", 5, 10).unwrap_err().field(), Some("skills"));
    }

    #[test]
    fn free_texts_refuse_bidi_controls_but_keep_what_prose_needs() {
        for spoof in ["note \u{202E}txt.exe", "a\u{2067}b", "line one\nline \u{202D}two"] {
            let mut f = Fields::from_value(json!({ "note": spoof }), &["note"]).unwrap();
            let err = f.opt_text("note", 100).unwrap_err();
            assert_eq!((err.status(), err.field()), (422, Some("note")), "{spoof:?}");
            let mut f = Fields::from_value(json!({ "note": spoof }), &["note"]).unwrap();
            assert_eq!(f.text("note", 100).unwrap_err().field(), Some("note"), "{spoof:?}");
        }
        // A family emoji is joined by zero-width joiners; a mark may sit in mixed-direction prose.
        let prose = "谢谢 👨\u{200D}👩\u{200D}👧\nabc\u{200E} 123";
        let mut f = Fields::from_value(json!({ "note": prose }), &["note"]).unwrap();
        assert_eq!(f.text("note", 100).unwrap(), prose);
    }

    #[test]
    fn values_are_trimmed_and_checked() {
        let body = json!({"line": " hi ", "text": " a\r\nb ", "blank": " ", "id": 7, "n": 3, "b": true});
        let mut f = Fields::from_value(body, &["line", "text", "blank", "id", "n", "b"]).unwrap();
        assert_eq!(f.line("line", 10).unwrap(), "hi");
        assert_eq!(f.opt_text("text", 10).unwrap().as_deref(), Some("a\nb"));
        assert_eq!(f.opt_text("blank", 10).unwrap().as_deref(), Some(""));
        assert_eq!(f.opt_id("id").unwrap(), Some(7));
        assert_eq!(f.opt_int("n", 1..=5).unwrap(), Some(3));
        assert_eq!(f.opt_bool("b").unwrap(), Some(true));
        assert_eq!(f.opt_id("id").unwrap(), None, "taken fields are gone");
    }

    #[test]
    fn vocabulary_getters_read_domain_types() {
        let body = json!({
            "kind": " goods ", "bad_kind": "cash", "tags": ["a", " a", "b"], "lat": 91.0, "lon": 120.5,
            "at": "2026-05-01T09:00:00+08:00", "no_offset": "2026-05-01T09:00:00", "cleared": null,
            "birth": "1990-02-28", "bad_birth": "1990-02-30", "phone": " 13812345678 ", "bad_phone": "12812345678",
        });
        let names = [
            "kind",
            "bad_kind",
            "tags",
            "lat",
            "lon",
            "at",
            "no_offset",
            "cleared",
            "birth",
            "bad_birth",
            "phone",
            "bad_phone",
        ];
        let mut f = Fields::from_value(body, &names).unwrap();
        assert_eq!(f.choice("kind", &["goods", "service"]).unwrap(), "goods");
        assert_eq!(f.opt_choice("bad_kind", &["goods"]).unwrap_err().field(), Some("bad_kind"));
        assert_eq!(f.opt_labels("tags", 5, 10).unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(f.opt_number("lat", -90.0..=90.0).unwrap_err().field(), Some("lat"));
        assert_eq!(f.opt_number("lon", -180.0..=180.0).unwrap(), Some(120.5));
        assert_eq!(f.clearable_time("at").unwrap(), Some(Some(1_777_597_200)));
        assert_eq!(f.time("no_offset").unwrap_err().field(), Some("no_offset"));
        assert_eq!(f.clearable_time("cleared").unwrap(), Some(None));
        assert_eq!(f.clearable_time("never_sent").unwrap(), None);
        assert_eq!(f.date("birth").unwrap().to_string(), "1990-02-28");
        assert_eq!(f.date("bad_birth").unwrap_err().field(), Some("bad_birth"));
        assert_eq!(f.phone("phone").unwrap().as_str(), "13812345678");
        assert_eq!(f.opt_phone("bad_phone").unwrap_err().field(), Some("bad_phone"));
        assert_eq!(f.opt_phone("phone").unwrap(), None, "taken fields are gone");
    }

    #[test]
    fn text_tells_blank_from_missing_and_folds_crlf() {
        let mut f = Fields::from_value(json!({"blank": " ", "crlf": "a\r\nb", "cr": "a\rb"}), &["blank", "crlf", "cr"])
            .unwrap();
        match f.text("blank", 10).unwrap_err() {
            ApiError::Invalid { message, .. } => assert_eq!(message, "must not be blank"),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.text("crlf", 10).unwrap(), "a\nb");
        assert_eq!(f.text("cr", 10).unwrap_err().field(), Some("cr"));
    }
}
