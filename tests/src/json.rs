//! Reading JSON answers: `json!` and `Json` (re-exported from `serde_json`), the `id` of a
//! created thing, and the entries of a list answer.

pub use serde_json::{json, Value as Json};

/// The integer `id` of an answer; panics (showing the answer) if it has none.
pub fn id(v: &Json) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no integer id in {v}"))
}

/// The `items` array of a list answer; panics if there is none.
pub fn items(v: &Json) -> &Vec<Json> {
    v["items"].as_array().unwrap_or_else(|| panic!("no items array in {v}"))
}

/// The entries of a list answer: `{"items": [...]}` (the convention) or a bare array.
pub fn entries(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(items) => items.clone(),
        _ => v["items"].as_array().unwrap_or_else(|| panic!("neither an array nor an items list: {v}")).clone(),
    }
}

/// The ids of a list answer's entries, in order.
pub fn ids(v: &Json) -> Vec<i64> {
    entries(v).iter().map(id).collect()
}
