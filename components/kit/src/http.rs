//! Requests and responses: JSON in, JSON out, query parameters, bearer tokens, pagination.

use serde::de::DeserializeOwned;
use spin_sdk::http::{Request, Response};

use crate::ApiError;

/// A JSON response with a status.
pub fn json(status: u16, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// Parses the JSON body: malformed JSON is 400; well-formed JSON of the wrong shape is 422 with
/// the field serde names.
pub fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let body = req.body();
    if body.is_empty() {
        return Err(ApiError::Malformed("a JSON body is required".into()));
    }
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

/// A query parameter, percent-decoded (`+` is a space).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let query = req.query();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        let limit = match query_param(req, "limit") {
            None => 20,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=Self::MAX).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", format!("limit must be 1 to {}", Self::MAX)))?,
        };
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

    /// The `{"items": [...], "next_cursor": ...}` envelope: `next_cursor` is the last id when the
    /// page is full, else null.
    pub fn envelope(&self, items: Vec<serde_json::Value>, last_id: Option<i64>) -> serde_json::Value {
        let next = if items.len() as i64 == self.limit { last_id } else { None };
        serde_json::json!({ "items": items, "next_cursor": next })
    }
}
