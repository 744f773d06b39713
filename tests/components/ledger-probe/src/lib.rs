//! Test guest for the ledger library: posts inside its own transactions on its own connection,
//! so tests can see that ledger entries commit and roll back with the caller.

use bindings::ledger::{self, Kind, Posting, Source};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::{Connection, Value};

fn param(req: &Request, name: &str) -> Option<String> {
    req.query().split('&').find_map(|p| p.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
}

fn kind(req: &Request) -> Kind {
    match param(req, "kind").as_deref() {
        Some("minutes") => Kind::Minutes,
        _ => Kind::Points,
    }
}

fn reply(status: u16, body: serde_json::Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string()).build()
}

fn error_json(e: &ledger::Error) -> serde_json::Value {
    match e {
        ledger::Error::Insufficient(b) => serde_json::json!({ "error": "insufficient", "balance": b }),
        ledger::Error::Invalid((f, m)) => serde_json::json!({ "error": "invalid", "field": f, "message": m }),
        ledger::Error::Storage(m) => serde_json::json!({ "error": "storage", "message": m }),
    }
}

fn entry_json(e: &ledger::Entry) -> serde_json::Value {
    serde_json::json!({ "id": e.id, "amount": e.amount, "balance_after": e.balance_after })
}

#[http_component]
fn handle(req: Request) -> Response {
    let db = match Connection::open_default() {
        Ok(db) => db,
        Err(e) => return reply(500, serde_json::json!({ "error": format!("{e:?}") })),
    };
    match req.path() {
        "/setup" => {
            let statements = [
                "INSERT OR IGNORE INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (1, NULL, 'centre', 'c', '/1/', 0, 0)",
                "INSERT OR IGNORE INTO accounts (id, name, phone, created_at, updated_at) VALUES (1, 'a', '13900000001', 0, 0)",
                "INSERT OR IGNORE INTO volunteers (id, account_id, volunteer_no, real_name, gender, birth_date, phone, id_number, home_org_id, created_at, updated_at)
                 VALUES (1, 1, 'WM2026000001', 'v', 'male', '1990-03-07', '13900000001', '11010119900307123X', 1, 0, 0)",
            ];
            for sql in statements {
                if let Err(e) = db.execute(sql, &[]) {
                    return reply(500, serde_json::json!({ "error": format!("{e:?}") }));
                }
            }
            reply(200, serde_json::json!({ "ok": true }))
        }
        "/post" => {
            let amount: i64 = param(&req, "amount").and_then(|a| a.parse().ok()).unwrap_or(0);
            let posting = Posting {
                volunteer_id: 1,
                kind: kind(&req),
                amount,
                source: if amount < 0 { Source::Redemption } else { Source::Activity },
                source_id: 0,
                actor_id: 1,
                idempotency_key: param(&req, "key").unwrap_or_default(),
                note: String::new(),
            };
            if let Err(e) = db.execute("BEGIN IMMEDIATE", &[]) {
                return reply(500, serde_json::json!({ "error": format!("{e:?}") }));
            }
            let result = ledger::post(&db, &posting);
            let end = if param(&req, "then").as_deref() == Some("rollback") || result.is_err() {
                "ROLLBACK"
            } else {
                "COMMIT"
            };
            if let Err(e) = db.execute(end, &[]) {
                return reply(500, serde_json::json!({ "error": format!("{e:?}") }));
            }
            match result {
                Ok(entry) => reply(200, entry_json(&entry)),
                Err(e) => reply(409, error_json(&e)),
            }
        }
        "/credit" => {
            let minutes: i64 = param(&req, "minutes").and_then(|a| a.parse().ok()).unwrap_or(0);
            let category = param(&req, "category").unwrap_or_default();
            let key = param(&req, "key").unwrap_or_default();
            let _ = db.execute("BEGIN IMMEDIATE", &[]);
            match ledger::credit_service(&db, 1, minutes, &category, Source::Activity, 0, 1, &key) {
                Ok((m, p)) => {
                    let _ = db.execute("COMMIT", &[]);
                    reply(200, serde_json::json!({ "minutes": entry_json(&m), "points": p.as_ref().map(entry_json) }))
                }
                Err(e) => {
                    let _ = db.execute("ROLLBACK", &[]);
                    reply(409, error_json(&e))
                }
            }
        }
        "/balance" => match ledger::balance(&db, 1, kind(&req)) {
            Ok(b) => reply(200, serde_json::json!({ "balance": b })),
            Err(e) => reply(500, error_json(&e)),
        },
        "/tamper" => match db.execute("UPDATE ledger_entries SET amount = amount + 1000", &[Value::Null; 0]) {
            Ok(_) => reply(200, serde_json::json!({ "tampered": true })),
            Err(e) => reply(409, serde_json::json!({ "tampered": false, "error": format!("{e:?}") })),
        },
        _ => reply(404, serde_json::json!({ "error": "no such route" })),
    }
}
