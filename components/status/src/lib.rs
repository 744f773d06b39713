//! `GET /api/v1/status`: whether the platform is up and which migrations the database is on.
//! County staff and uptime checks read it; it is also the simplest proof that a component reaches
//! the shared libSQL database.

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::{Connection, Value};

#[http_component]
fn handle(req: Request) -> Response {
    if *req.method() != Method::Get {
        return error(405, "method_not_allowed", "use GET");
    }
    match status() {
        Ok(body) => json(200, body),
        Err(e) => {
            eprintln!("status: {e:#}");
            error(503, "database_unavailable", "the database cannot be read")
        }
    }
}

fn status() -> anyhow::Result<serde_json::Value> {
    let db = Connection::open_default()?;
    let result = db.execute(
        "SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1",
        &[],
    )?;
    let latest = result.rows().next().map(|row| {
        serde_json::json!({
            "version": row.get::<i64>("version"),
            "name": row.get::<&str>("name"),
        })
    });
    let county = db.execute(
        "SELECT value FROM deployment_settings WHERE key = ?",
        &[Value::Text("county_name".into())],
    )?;
    let county = county.rows().next().and_then(|r| r.get::<&str>("value").map(str::to_string));
    Ok(serde_json::json!({
        "status": "ok",
        "county": county,
        "schema": latest,
    }))
}

fn json(status: u16, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn error(status: u16, code: &str, message: &str) -> Response {
    json(status, serde_json::json!({ "error": { "code": code, "message": message } }))
}
