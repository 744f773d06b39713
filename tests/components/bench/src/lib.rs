//! Benchmark guest. `GET /bench/hello` answers without touching the database; `POST /bench/db`
//! inserts one row (with an indexed key) and selects it back by that key — the shape of most
//! workflow writes. `edge/examples/native_baseline.rs` does the same natively, so the cost of
//! running it as a component is a ratio.

use std::hash::{BuildHasher, RandomState};

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite3::{Connection, Value};

#[http_component]
fn handle(req: Request) -> Response {
    match req.path() {
        "/bench/hello" => Response::new(200, "hello"),
        "/bench/db" => match insert_and_select() {
            Ok(body) => Response::new(200, body),
            Err(e) => Response::new(500, format!("{e:?}")),
        },
        _ => Response::new(404, "not found"),
    }
}

fn insert_and_select() -> Result<String, spin_sdk::sqlite3::Error> {
    let key = format!("{:016x}", RandomState::new().hash_one(std::time::SystemTime::now()));
    let db = Connection::open_default()?;
    db.execute("INSERT INTO bench_items (k, v) VALUES (?, ?)", &[Value::Text(key.clone()), Value::Integer(1)])?;
    let rows = db.execute("SELECT id, v FROM bench_items WHERE k = ?", &[Value::Text(key)])?;
    let id = rows.rows().next().and_then(|r| r.get::<i64>("id")).unwrap_or(-1);
    Ok(id.to_string())
}
