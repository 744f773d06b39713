//! Request bodies taken field by field, so every 422 names its field. Unknown fields are refused
//! up front: a misspelt `urgancy` must not silently become the default.
//!
//! Components wrap [`Fields`] to add their domain getters (phones, resident ids, dates);
//! everything here is the same in every component.

use serde_json::{Map, Value};
use spin_sdk::http::Request;

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

    /// A required one-line text: trimmed, 1 to `max` characters, no control characters.
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

    /// A required free text (newlines allowed), trimmed, 1 to `max` characters.
    pub fn text(&mut self, name: &str, max: usize) -> Result<String, ApiError> {
        match self.opt_text(name, max)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(required(name)),
        }
    }

    /// An optional free text (newlines allowed, `\r\n` becomes `\n`), trimmed, at most `max`
    /// characters; may be empty.
    pub fn opt_text(&mut self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let Some(s) = self.opt_str(name)? else {
            return Ok(None);
        };
        let s = s.trim().replace("\r\n", "\n");
        if s.chars().count() > max {
            return Err(ApiError::invalid(name, format!("must be at most {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(ApiError::invalid(name, "must not contain control characters"));
        }
        Ok(Some(s))
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
    pub fn opt_int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.as_i64().filter(|n| range.contains(n)).map(Some).ok_or_else(|| {
                ApiError::invalid(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
            }),
        }
    }

    /// A required whole number in `range`.
    pub fn int(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
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
}

/// The 422 for a missing required field.
pub fn required(name: &str) -> ApiError {
    ApiError::invalid(name, "is required")
}

/// A positive integer id in a JSON value.
pub fn positive(v: &Value) -> Option<i64> {
    v.as_i64().filter(|n| *n > 0)
}

/// A one-line text: trimmed, 1 to `max` characters, no control characters.
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
    Ok(s.to_string())
}

/// Declares a component's `Fields`: a wrapper over [`Fields`] (reached through `Deref`, so every
/// common getter is there) to which the component adds its own getters in an `impl Fields`.
#[macro_export]
macro_rules! component_fields {
    () => {
        /// A JSON object body taken field by field: [`kit::Fields`] plus this component's getters.
        pub struct Fields(pub kit::Fields);

        impl std::ops::Deref for Fields {
            type Target = kit::Fields;
            fn deref(&self) -> &kit::Fields {
                &self.0
            }
        }

        impl std::ops::DerefMut for Fields {
            fn deref_mut(&mut self) -> &mut kit::Fields {
                &mut self.0
            }
        }

        #[allow(dead_code)]
        impl Fields {
            /// See [`kit::Fields::from_request`].
            pub fn from_request(req: &spin_sdk::http::Request, allowed: &[&str]) -> Result<Fields, kit::ApiError> {
                kit::Fields::from_request(req, allowed).map(Fields)
            }

            /// See [`kit::Fields::from_optional_request`].
            pub fn from_optional_request(
                req: &spin_sdk::http::Request,
                allowed: &[&str],
            ) -> Result<Fields, kit::ApiError> {
                kit::Fields::from_optional_request(req, allowed).map(Fields)
            }

            /// See [`kit::Fields::from_value`].
            pub fn from_value(body: serde_json::Value, allowed: &[&str]) -> Result<Fields, kit::ApiError> {
                kit::Fields::from_value(body, allowed).map(Fields)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(e: ApiError) -> String {
        match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        assert_eq!(field(Fields::from_value(json!({"a": 1, "extra": 1}), &["a"]).unwrap_err()), "extra");
        assert_eq!(field(Fields::from_value(json!([1]), &["a"]).unwrap_err()), "body");
        assert_eq!(field(Fields::from_value(json!({"a": 1}), &[]).unwrap_err()), "a");
        let f = Fields::from_value(json!({"a": null}), &["a"]).unwrap();
        assert!(f.has("a") && !f.present("a") && !f.is_empty());
    }

    #[test]
    fn getters_name_what_is_wrong() {
        let body = json!({"name": "  ", "n": 11, "id": 0, "ok": "yes", "note": 5, "two": "a\nb"});
        let mut f = Fields::from_value(body, &["name", "n", "id", "ok", "note", "two"]).unwrap();
        assert_eq!(field(f.line("name", 10).unwrap_err()), "name");
        assert_eq!(field(f.int("n", 1..=10).unwrap_err()), "n");
        assert_eq!(field(f.id("id").unwrap_err()), "id");
        assert_eq!(field(f.opt_bool("ok").unwrap_err()), "ok");
        assert_eq!(field(f.opt_text("note", 10).unwrap_err()), "note");
        assert_eq!(field(f.opt_line("two", 10).unwrap_err()), "two");
        assert_eq!(field(f.text("missing", 10).unwrap_err()), "missing");
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
}
