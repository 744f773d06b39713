//! `echo`: a test component for Wenming's Spin-parity suite.
//!
//! It answers every request with `200` (or `?status=N`) and a JSON picture of what the guest saw:
//! method, the full URI, path+query, every header entry in order (raw `IncomingRequest`, so
//! repeated headers stay visible), all environment variables, the body length and the contents of
//! `/hello.txt` if a `files` mount provides it.
//!
//! Query switches for the edge's failure paths: `?trap=1` panics, `?loop=1` spins forever,
//! `?sleep_ms=N` sleeps before answering. See README.md.

use std::collections::BTreeMap;

use serde_json::json;
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest) -> anyhow::Result<Response> {
    let method = req.method().to_string();
    let uri = req.uri();
    let path_with_query = req.path_with_query().unwrap_or_default();
    let headers: Vec<(String, String)> = {
        let fields = req.headers();
        let entries = fields
            .entries()
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), String::from_utf8_lossy(&value).into_owned()))
            .collect();
        drop(fields);
        entries
    };
    let query = path_with_query.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
    let param = |key: &str| {
        query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v.to_owned())
    };

    let body = req.into_body().await?;

    if param("trap").as_deref() == Some("1") {
        panic!("echo: trap requested by ?trap=1");
    }
    if param("loop").as_deref() == Some("1") {
        busy_loop_forever();
    }
    if let Some(ms) = param("sleep_ms").and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let status: u16 = param("status").and_then(|v| v.parse().ok()).unwrap_or(200);

    let env: BTreeMap<String, String> = std::env::vars().collect();
    let file = std::fs::read_to_string("/hello.txt").ok();

    let picture = json!({
        "method": method,
        "uri": uri,
        "path_with_query": path_with_query,
        "headers": headers,
        "env": env,
        "body_len": body.len(),
        "file": file,
    });
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&picture)?)
        .build())
}

/// Burns CPU without ever yielding to the host: only an epoch/fuel interrupt can stop it.
fn busy_loop_forever() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}
