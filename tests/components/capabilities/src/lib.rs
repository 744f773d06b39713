//! `capabilities`: a test component for Wenming's Spin-parity suite.
//!
//! It drives the host capabilities a manifest grants or withholds — component variables
//! (`spin_sdk::variables`, `fermyon:spin/variables@2.0.0`), key-value stores
//! (`spin_sdk::key_value`, `fermyon:spin/key-value@2.0.0`) and outbound HTTP
//! (`spin_sdk::http::send`, `wasi:http/outgoing-handler`) — and answers JSON that carries either
//! the result (`{"ok": ...}`) or the error by its WIT variant name (`{"error": "access-denied",
//! "detail": ...}`), so the tests in `tests/api/{variables,key_value,outbound}.rs` can assert
//! exactly what the host did.
//!
//! It routes on `spin-path-info` (the part of the path below its trigger's `/...`), so the same
//! component can be mounted at `/` or at `/<prefix>/...`. The routes are listed in README.md.

use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::{self, Store};
use spin_sdk::variables;

/// A route's answer: the value under `ok`, or an error object.
type Outcome = Result<Json, Json>;

#[http_component]
async fn handle(req: Request) -> anyhow::Result<Response> {
    // The sub-path below the trigger's `/...`; the whole path when mounted at `/...` or when a
    // host does not set the header.
    let path = req
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| req.path())
        .to_owned();
    let query = req.query().to_owned();
    let param = |key: &str| query_param(&query, key);
    let store_label = param("store").unwrap_or_else(|| "default".to_owned());
    let key = param("key").unwrap_or_default();

    let outcome: Option<Outcome> = match path.as_str() {
        "/vars/get" => Some(var_get(&param("name").unwrap_or_default())),
        "/kv/open" => Some(open(&store_label).map(|_| json!(true))),
        "/kv/set" => {
            Some(open(&store_label).and_then(|s| s.set(&key, req.body()).map(|()| json!(true)).map_err(kv_error)))
        }
        "/kv/get" => Some(open(&store_label).and_then(|s| {
            s.get(&key).map(|v| v.map_or(Json::Null, |b| json!(String::from_utf8_lossy(&b)))).map_err(kv_error)
        })),
        "/kv/delete" => Some(open(&store_label).and_then(|s| s.delete(&key).map(|()| json!(true)).map_err(kv_error))),
        "/kv/exists" => Some(open(&store_label).and_then(|s| s.exists(&key).map(|b| json!(b)).map_err(kv_error))),
        "/kv/keys" => Some(open(&store_label).and_then(|s| s.get_keys().map(|k| json!(k)).map_err(kv_error))),
        "/out" => {
            let answer = outbound_get(&param("url").unwrap_or_default()).await;
            return Ok(json_response(200, &answer));
        }
        _ => None,
    };
    Ok(match outcome {
        Some(Ok(value)) => json_response(200, &json!({ "ok": value })),
        Some(Err(error)) => json_response(200, &error),
        None => json_response(404, &json!({ "error": "no-such-route", "detail": path })),
    })
}

fn json_response(status: u16, body: &Json) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("JSON serialises"))
        .build()
}

/// `spin_sdk::variables::get(name)`.
fn var_get(name: &str) -> Outcome {
    variables::get(name).map(Json::String).map_err(|e| {
        let (variant, detail) = match e {
            variables::Error::InvalidName(d) => ("invalid-name", d),
            variables::Error::Undefined(d) => ("undefined", d),
            variables::Error::Provider(d) => ("provider", d),
            variables::Error::Other(d) => ("other", d),
        };
        json!({ "error": variant, "detail": detail })
    })
}

/// `Store::open(label)`; an error is reported with `"during": "open"`.
fn open(label: &str) -> Result<Store, Json> {
    Store::open(label).map_err(|e| {
        let mut error = kv_error(e);
        error["during"] = json!("open");
        error
    })
}

fn kv_error(e: key_value::Error) -> Json {
    let (variant, detail) = match e {
        key_value::Error::StoreTableFull => ("store-table-full", None),
        key_value::Error::NoSuchStore => ("no-such-store", None),
        key_value::Error::AccessDenied => ("access-denied", None),
        key_value::Error::Other(d) => ("other", Some(d)),
    };
    json!({ "error": variant, "detail": detail })
}

/// GET `url` with `spin_sdk::http::send`: the answer's status, body and headers (sorted by
/// name), or the `Debug` text of the send error (e.g. `Http(HttpRequestDenied)`).
async fn outbound_get(url: &str) -> Json {
    let request = Request::get(url).build();
    match spin_sdk::http::send::<_, Response>(request).await {
        Ok(response) => {
            let mut headers: Vec<(String, String)> = response
                .headers()
                .map(|(name, value)| {
                    (name.to_ascii_lowercase(), String::from_utf8_lossy(value.as_bytes()).into_owned())
                })
                .collect();
            headers.sort();
            json!({
                "status": response.status(),
                "body": String::from_utf8_lossy(response.body()),
                "headers": headers,
            })
        }
        Err(e) => json!({ "error": format!("{e:?}") }),
    }
}

/// The value of `key` in a query string, with `%XX` escapes decoded (`+` stays `+`).
fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
