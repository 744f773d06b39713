//! `GET /api/v1/status`: whether the platform is up, which migrations the database is on, and
//! which county this deployment serves. County staff and uptime checks read it; it is also the
//! simplest proof that a component reaches the shared libSQL database, and that a step component
//! reaches a library component (`wenming:settings/settings`) composed into it.
//!
//! Its answers are kit's, like every other component's: the one error shape, and JSON a
//! browser never sniffs into something else (`X-Content-Type-Options: nosniff`).

use bindings::settings;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::Connection;

#[http_component]
fn handle(req: Request) -> Response {
    if *req.method() != Method::Get {
        return ApiError::MethodNotAllowed("GET").into_response();
    }
    match status() {
        Ok(body) => kit::json(200, &body),
        Err(e) => {
            eprintln!("status: {e:#}");
            // 503, not kit's 500: an uptime check should read "not up", and the detail (which
            // part is missing) is what an operator reading it needs.
            kit::json(503, &serde_json::json!({ "error": { "code": "unavailable", "message": format!("{e:#}") } }))
        }
    }
}

fn status() -> anyhow::Result<serde_json::Value> {
    let db = Connection::open_default()?;
    let result = db.execute("SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1", &[])?;
    let latest = result.rows().next().map(|row| {
        serde_json::json!({
            "version": row.get::<i64>("version"),
            "name": row.get::<&str>("name"),
        })
    });
    let county = settings::get("county_name").map_err(|e| match e {
        settings::Error::AccessDenied => anyhow::anyhow!("settings: access denied"),
        settings::Error::Storage(s) => anyhow::anyhow!("settings: {s}"),
    })?;
    Ok(serde_json::json!({
        "status": "ok",
        "county": county,
        "schema": latest,
    }))
}
