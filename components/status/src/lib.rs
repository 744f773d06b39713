//! `GET /api/v1/status`: whether the platform is up, which migrations the database is on, and
//! which county this deployment serves. County staff and uptime checks read it; it is also the
//! simplest proof that a component reaches the shared libSQL database, and that a step component
//! reaches a library component (`wenming:settings/settings`) composed into it.

use bindings::settings;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::Connection;

#[http_component]
fn handle(req: Request) -> Response {
    if *req.method() != Method::Get {
        let mut resp = error(405, "method_not_allowed", "use GET");
        resp.set_header("allow", "GET");
        return resp;
    }
    match status() {
        Ok(body) => json(200, body),
        Err(e) => {
            eprintln!("status: {e:#}");
            error(503, "unavailable", &format!("{e:#}"))
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

fn json(status: u16, body: serde_json::Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string()).build()
}

fn error(status: u16, code: &str, message: &str) -> Response {
    json(status, serde_json::json!({ "error": { "code": code, "message": message } }))
}
