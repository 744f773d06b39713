//! Requests and responses: JSON in, JSON out, query parameters, bearer tokens, pagination.

use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};

use crate::ApiError;

/// A JSON response with a status.
pub fn json(status: u16, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        // Never sniffed into something a browser would run or render.
        .header("x-content-type-options", "nosniff")
        .body(body.to_string())
        .build()
}

/// Parses the JSON body: a body not sent as `application/json` is 415 (checked before anything
/// is read); malformed JSON, or an object naming a key twice, is 400; well-formed JSON of the
/// wrong shape is 422 with the field serde names.
pub fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let body = req.body();
    if body.is_empty() {
        return Err(ApiError::Malformed("a JSON body is required".into()));
    }
    require_json_content_type(req.header("content-type").and_then(|v| v.as_str()))?;
    // serde_json keeps the last of two equal keys; which one a client meant is not ours to guess,
    // and a proxy or logger that kept the first would see a different request.
    serde_json::from_slice::<NoDuplicateKeys>(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            let text = e.to_string();
            let field = text
                .split('`')
                .nth(1)
                .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"))
                .unwrap_or("body")
                .to_string();
            ApiError::Invalid { field, message: text }
        }
        _ => ApiError::Malformed(format!("the body is not valid JSON: {e}")),
    })
}

/// `Ok` when `content_type` is `application/json`, parameters (`; charset=utf-8`) allowed and
/// case ignored; anything else, or none, is 415 `unsupported_media_type`.
pub fn require_json_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let essence = content_type.map(|v| v.split(';').next().unwrap_or("").trim());
    if essence.is_some_and(|e| e.eq_ignore_ascii_case("application/json")) {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(match content_type {
        None => "send the body with Content-Type: application/json".into(),
        Some(v) => format!("the body must be sent as application/json, not {v:?}"),
    }))
}

/// Any JSON value, walked only to refuse an object that names the same key twice.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeysVisitor)
    }
}

struct NoDuplicateKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeysVisitor {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}

/// A query parameter, percent-decoded (`+` is a space).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let query = req.query();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    // `+` first, so an encoded plus (`%2B`) stays a plus; a `%` not followed by two hex digits
    // is kept as it is, and bytes that are not UTF-8 become U+FFFD.
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// The bearer token of the `Authorization` header.
pub fn bearer(req: &Request) -> Option<String> {
    let value = req.header("authorization")?.as_str()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// Keyset pagination: `?limit=N` (1–100, default 20) and `?cursor=<last id seen>`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows per page.
    pub limit: i64,
    /// Only rows with an id above this.
    pub after: i64,
}

impl Page {
    /// The hard maximum page size.
    pub const MAX: i64 = 100;

    /// Reads `limit` and `cursor` from the query.
    pub fn from_request(req: &Request) -> Result<Page, ApiError> {
        let limit = Self::limit(req)?;
        let after = match query_param(req, "cursor") {
            None => 0,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::invalid("cursor", "cursor must be a value returned as next_cursor"))?,
        };
        Ok(Page { limit, after })
    }

    /// `limit` from the query alone (20 when absent, 1 to [`Page::MAX`]), for the few lists whose
    /// cursor is not an id (e.g. ordered by time across two tables).
    pub fn limit(req: &Request) -> Result<i64, ApiError> {
        match query_param(req, "limit") {
            None => Ok(20),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=Self::MAX).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", format!("limit must be 1 to {}", Self::MAX))),
        }
    }

    /// The `{"items": [...], "next_cursor": ...}` envelope: `next_cursor` is the last id when the
    /// page is full, else null.
    pub fn envelope(&self, items: Vec<serde_json::Value>, last_id: Option<i64>) -> serde_json::Value {
        let next = if items.len() as i64 == self.limit { last_id } else { None };
        serde_json::json!({ "items": items, "next_cursor": next })
    }
}

/// The path under `/api/v1/` split into segments, a trailing slash ignored; any other path is
/// no endpoint (404). Step components match on the slice.
pub fn api_segments(req: &Request) -> Result<Vec<&str>, ApiError> {
    let path = req.path().trim_end_matches('/');
    let rest = path.strip_prefix("/api/v1/").ok_or_else(|| ApiError::NotFound("no such endpoint".into()))?;
    Ok(rest.split('/').collect())
}

/// `Ok` when `method` is one of `allowed` (`"GET, POST"`), else 405 carrying `allowed` as the
/// `Allow` header.
pub fn allow_method(method: &Method, allowed: &'static str) -> Result<(), ApiError> {
    if allowed.split(", ").any(|m| m == method.to_string()) {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed(allowed))
    }
}

/// A positive id from a path segment, written in plain digits; anything else (`0`, `-1`, `+1`,
/// `1.5`, `x`) names no resource (404).
pub fn path_id(segment: &str, what: &str) -> Result<i64, ApiError> {
    Some(segment)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no such {what}")))
}

/// An optional positive-id query parameter (empty is absent); anything else is a 422 naming it.
pub fn query_id(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    query_filter(req, name)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::invalid(name, "must be a positive integer id"))
        })
        .transpose()
}

/// An optional query parameter, trimmed; empty is absent (`?status=` means no filter).
pub fn query_filter(req: &Request, name: &str) -> Option<String> {
    query_param(req, name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An optional `?name=` filter from the closed list `options`; anything else is a 422 naming it.
pub fn query_choice(req: &Request, name: &str, options: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
    query_filter(req, name).map(|v| crate::fields::one_of(name, &v, options)).transpose()
}

/// An optional one-line text filter (`?q=`, `?skill=`): trimmed, at most `max` characters.
pub fn query_text(req: &Request, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    query_filter(req, name).map(|v| crate::fields::check_line(name, &v, max)).transpose()
}

/// An optional `true`/`false` filter (`1`/`0` too, as forms and scripts send them).
pub fn query_bool(req: &Request, name: &str) -> Result<Option<bool>, ApiError> {
    match query_filter(req, name).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(req: &Request) -> Option<String> {
    req.header("idempotency-key").and_then(|v| v.as_str()).map(str::to_string)
}

/// What a retry must repeat exactly: method, path and a fingerprint of the body, so a key
/// reused for a different body is refused instead of answered with another request's result.
pub fn request_fingerprint(req: &Request) -> String {
    fingerprint(&req.method().to_string(), req.path(), req.body())
}

/// [`request_fingerprint`] from its parts: `METHOD path #<FNV-1a of the body, 16 hex digits>`.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    format!("{method} {path} #{:016x}", fnv1a(body))
}

/// FNV-1a, 64 bits: a fingerprint, not a secret.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Whether the request came through local service chaining (`http://<component>.spin.internal`)
/// rather than from outside: Spin (and the edge) then report the synthetic catch-all route
/// `spin-matched-route: /...`, which no public route of the product is. A component's private
/// endpoints (no public route leads to them) check it too, so one stays private if a route is
/// ever added.
pub fn is_chained(req: &Request) -> bool {
    req.header("spin-matched-route").and_then(|v| v.as_str()).is_some_and(|r| r.trim() == "/...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_application_json_is_a_json_body() {
        for ok in ["application/json", "application/json; charset=utf-8", "Application/JSON ;charset=UTF-8"] {
            assert!(require_json_content_type(Some(ok)).is_ok(), "{ok}");
        }
        for bad in
            [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx"), Some("")]
        {
            assert_eq!(require_json_content_type(bad).unwrap_err().status(), 415, "{bad:?}");
        }
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        let check = |s: &str| serde_json::from_str::<NoDuplicateKeys>(s).is_ok();
        assert!(check(r#"{"a": 1, "b": [{"a": 2}, {"a": 3}], "c": {"d": null}}"#));
        assert!(!check(r#"{"a": 1, "a": 2}"#));
        assert!(!check(r#"{"a": 1, "\u0061": 2}"#), "an escaped key is the same key");
        assert!(!check(r#"{"x": [{"b": 1, "b": 1}]}"#));
        assert!(!check(r#"{"x": {"y": {"z": 1, "z": 2}}}"#));
    }

    #[test]
    fn path_ids_are_plain_positive_integers_or_not_found() {
        assert_eq!(path_id("12", "org").unwrap(), 12);
        for bad in ["0", "-1", "+1", "1.5", "x", "", " 1", "99999999999999999999"] {
            assert_eq!(path_id(bad, "org").unwrap_err().status(), 404, "{bad:?}");
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn fingerprints_differ_by_method_path_and_body() {
        let a = fingerprint("POST", "/api/v1/x", b"{\"a\":1}");
        assert_eq!(a, format!("POST /api/v1/x #{:016x}", fnv1a(b"{\"a\":1}")));
        assert_ne!(a, fingerprint("POST", "/api/v1/x", b"{\"a\":2}"));
        assert_ne!(a, fingerprint("PATCH", "/api/v1/x", b"{\"a\":1}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/y", b"{\"a\":1}"));
    }

    #[test]
    fn query_values_are_percent_decoded_with_plus_as_space() {
        assert_eq!(decode("a+b%2Bc"), "a b+c");
        assert_eq!(decode("%E5%BF%97%E6%84%BF"), "志愿");
        // Not an escape: kept as sent, never a guessed byte.
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%+1"), "%zz% 1");
        assert_eq!(decode("%FF"), "\u{fffd}");
    }
}
