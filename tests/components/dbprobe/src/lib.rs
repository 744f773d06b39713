//! `dbprobe`: a test component for Wenming's Spin-parity suite.
//!
//! Mounted at `/db/...` with `sqlite_databases = ["default"]`, it drives SQLite through both
//! guest APIs — `spin_sdk::sqlite3` (`spin:sqlite/sqlite@3.0.0`) and `spin_sdk::sqlite`
//! (`fermyon:spin/sqlite@2.0.0`) — and answers JSON that reports values with explicit type tags
//! and errors by their WIT variant name, so the tests can check exact round-trips, permission
//! checks, transactions across `execute` calls, and rollback after a trap or a timeout.
//! The routes are listed in README.md.

use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::{http_component, sqlite, sqlite3};

/// JSON renderings of one SQLite interface's values, errors and query results.
macro_rules! json_helpers {
    ($name:ident, $($module:ident)::+) => {
        mod $name {
            use serde_json::{json, Value as Json};
            use $($module)::+ as db;

            pub fn value(v: &db::Value) -> Json {
                match v {
                    db::Value::Integer(i) => json!({ "type": "integer", "value": i }),
                    db::Value::Real(f) => json!({
                        "type": "real",
                        "value": f,
                        "bits": format!("{:016x}", f.to_bits()),
                    }),
                    db::Value::Text(s) => json!({ "type": "text", "value": s }),
                    db::Value::Blob(b) => json!({ "type": "blob", "value": b }),
                    db::Value::Null => json!({ "type": "null", "value": null }),
                }
            }

            pub fn error(e: db::Error) -> Json {
                let (name, message) = match e {
                    db::Error::NoSuchDatabase => ("no-such-database", None),
                    db::Error::AccessDenied => ("access-denied", None),
                    db::Error::InvalidConnection => ("invalid-connection", None),
                    db::Error::DatabaseFull => ("database-full", None),
                    db::Error::Io(m) => ("io", Some(m)),
                };
                json!({ "error": name, "message": message })
            }

            pub fn result(r: &db::QueryResult) -> Json {
                let rows: Vec<Vec<Json>> = r
                    .rows
                    .iter()
                    .map(|row| row.values.iter().map(value).collect())
                    .collect();
                json!({ "columns": r.columns, "rows": rows })
            }
        }
    };
}

json_helpers!(v3json, spin_sdk::sqlite3);
json_helpers!(v2json, spin_sdk::sqlite);

type Outcome = Result<Json, Json>;

#[http_component]
fn handle(req: Request) -> Response {
    let path = req.path().to_owned();
    let query = req.query().to_owned();
    let outcome = match path.as_str() {
        "/db/v3/types" => v3_types(),
        "/db/v2/types" => v2_types(),
        "/db/v3/denied" => Ok(opened(sqlite3::Connection::open("other").map_err(v3json::error))),
        "/db/v2/denied" => Ok(opened(sqlite::Connection::open("other").map_err(v2json::error))),
        "/db/v3/default-only" => Ok(opened(sqlite3::Connection::open("default").map_err(v3json::error))),
        "/db/v3/error" => syntax_error(),
        "/db/v3/nul" => v3_nul_text(),
        "/db/v2/nul" => v2_nul_text(),
        "/db/v3/setup" => setup(),
        "/db/v3/insert" => insert(query_param(&query, "name").unwrap_or("unnamed")),
        "/db/v3/count" => open3().and_then(|c| count3(&c)).map(|n| json!({ "count": n })),
        "/db/v2/count" => count_v2(),
        "/db/v3/sql" => run_sql(&percent_decode(query_param(&query, "q").unwrap_or(""))),
        "/db/v3/fresh" => {
            open3().map(|db| json!({ "last_insert_rowid": db.last_insert_rowid(), "changes": db.changes() }))
        }
        "/db/v3/two-writers" => two_writers(),
        "/db/v3/txn" => txn_rollback(),
        "/db/v3/commit" => txn_commit(),
        "/db/v3/trap-in-txn" => {
            begin_and_insert("trap-in-txn");
            panic!("dbprobe: trap with an open transaction");
        }
        "/db/v3/hang-in-txn" => {
            begin_and_insert("hang-in-txn");
            busy_loop_forever();
        }
        other => {
            return json_response(404, json!({ "error": "no such probe", "path": other }));
        }
    };
    match outcome {
        Ok(body) => json_response(200, body),
        Err(body) => json_response(500, body),
    }
}

fn json_response(status: u16, body: Json) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string()).build()
}

fn query_param<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn opened<C>(result: Result<C, Json>) -> Json {
    match result {
        Ok(_) => json!({ "opened": true }),
        Err(mut e) => {
            e["opened"] = json!(false);
            e
        }
    }
}

const LITERALS: &str = "SELECT 1, 2.5, 'x', x'00ff', NULL";
const PARAMS: &str = "SELECT ?, ?, ?, ?, ?";

fn v3_types() -> Outcome {
    use sqlite3::Value;
    let db = open3()?;
    let literals = db.execute(LITERALS, &[]).map_err(v3json::error)?;
    let params = [
        Value::Integer(i64::MAX),
        Value::Real(-0.5),
        Value::Text("汉字".to_owned()),
        Value::Blob(vec![0, 1, 255]),
        Value::Null,
    ];
    let echoed = db.execute(PARAMS, &params).map_err(v3json::error)?;
    Ok(json!({
        "literals": v3json::result(&literals),
        "params": v3json::result(&echoed),
    }))
}

fn v2_types() -> Outcome {
    use sqlite::Value;
    let db = sqlite::Connection::open("default").map_err(v2json::error)?;
    let literals = db.execute(LITERALS, &[]).map_err(v2json::error)?;
    let params = [
        Value::Integer(i64::MAX),
        Value::Real(-0.5),
        Value::Text("汉字".to_owned()),
        Value::Blob(vec![0, 1, 255]),
        Value::Null,
    ];
    let echoed = db.execute(PARAMS, &params).map_err(v2json::error)?;
    Ok(json!({
        "literals": v2json::result(&literals),
        "params": v2json::result(&echoed),
    }))
}

/// Text holding U+0000 in the middle: SQLite stores it whole, and a host that reads text as a
/// C string would cut it at the NUL.
const NUL_TEXT: &str = "志愿 ✓ \0x";
const NUL_TABLE: &str = "CREATE TABLE IF NOT EXISTS nul_texts(api TEXT PRIMARY KEY, v TEXT NOT NULL)";
const NUL_INSERT: &str = "INSERT OR REPLACE INTO nul_texts(api, v) VALUES (?, ?)";
/// The stored text, and its length in bytes as SQLite counts it (no guest-side conversion).
const NUL_READ: &str = "SELECT v, length(CAST(v AS BLOB)) FROM nul_texts WHERE api = ?";
/// The same text made by SQL, never passing through a parameter.
const NUL_LITERAL: &str = "SELECT '志愿 ✓ ' || char(0) || 'x'";

fn v3_nul_text() -> Outcome {
    use sqlite3::Value;
    let db = open3()?;
    exec3(&db, NUL_TABLE, &[])?;
    exec3(&db, NUL_INSERT, &[Value::Text("v3".into()), Value::Text(NUL_TEXT.into())])?;
    let read = exec3(&db, NUL_READ, &[Value::Text("v3".into())])?;
    let literal = exec3(&db, NUL_LITERAL, &[])?;
    Ok(json!({ "read": v3json::result(&read), "literal": v3json::result(&literal) }))
}

fn v2_nul_text() -> Outcome {
    use sqlite::Value;
    let db = sqlite::Connection::open("default").map_err(v2json::error)?;
    let run = |sql: &str, params: &[Value]| db.execute(sql, params).map_err(v2json::error);
    run(NUL_TABLE, &[])?;
    run(NUL_INSERT, &[Value::Text("v2".into()), Value::Text(NUL_TEXT.into())])?;
    let read = run(NUL_READ, &[Value::Text("v2".into())])?;
    let literal = run(NUL_LITERAL, &[])?;
    Ok(json!({ "read": v2json::result(&read), "literal": v2json::result(&literal) }))
}

fn open3() -> Result<sqlite3::Connection, Json> {
    sqlite3::Connection::open("default").map_err(v3json::error)
}

fn exec3(db: &sqlite3::Connection, sql: &str, params: &[sqlite3::Value]) -> Result<sqlite3::QueryResult, Json> {
    db.execute(sql, params).map_err(|e| {
        let mut e = v3json::error(e);
        e["statement"] = json!(sql);
        e
    })
}

fn count3(db: &sqlite3::Connection) -> Result<i64, Json> {
    let result = exec3(db, "SELECT count(*) FROM items", &[])?;
    match result.rows.first().and_then(|r| r.values.first()) {
        Some(sqlite3::Value::Integer(n)) => Ok(*n),
        _ => Err(json!({ "error": "unexpected count result", "result": v3json::result(&result) })),
    }
}

fn insert_item(db: &sqlite3::Connection, name: &str) -> Result<(), Json> {
    exec3(db, "INSERT INTO items(name) VALUES (?)", &[sqlite3::Value::Text(name.to_owned())]).map(|_| ())
}

fn syntax_error() -> Outcome {
    let db = open3()?;
    Ok(match db.execute("SELEC nonsense", &[]) {
        Ok(r) => json!({ "failed": false, "result": v3json::result(&r) }),
        Err(e) => {
            let mut e = v3json::error(e);
            e["failed"] = json!(true);
            e
        }
    })
}

fn setup() -> Outcome {
    let db = open3()?;
    exec3(&db, "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL)", &[])?;
    Ok(json!({ "ok": true }))
}

fn insert(name: &str) -> Outcome {
    let db = open3()?;
    insert_item(&db, name)?;
    Ok(json!({
        "last_insert_rowid": db.last_insert_rowid(),
        "changes": db.changes(),
    }))
}

fn count_v2() -> Outcome {
    let db = sqlite::Connection::open("default").map_err(v2json::error)?;
    let result = db.execute("SELECT count(*) FROM items", &[]).map_err(v2json::error)?;
    match result.rows.first().and_then(|r| r.values.first()) {
        Some(sqlite::Value::Integer(n)) => Ok(json!({ "count": n })),
        _ => Err(json!({ "error": "unexpected count result", "result": v2json::result(&result) })),
    }
}

/// count → BEGIN → insert → count → (second connection counts) → ROLLBACK → count, all on one
/// connection except the peek.
fn txn_rollback() -> Outcome {
    let db = open3()?;
    let before = count3(&db)?;
    exec3(&db, "BEGIN", &[])?;
    insert_item(&db, "txn-rolled-back")?;
    let during = count3(&db)?;
    let other = match open3() {
        Ok(peer) => match count3(&peer) {
            Ok(n) => json!({ "count": n }),
            Err(e) => e,
        },
        Err(e) => e,
    };
    exec3(&db, "ROLLBACK", &[])?;
    let after = count3(&db)?;
    Ok(json!({
        "before": before,
        "during": during,
        "after": after,
        "other_connection_during": other,
    }))
}

fn txn_commit() -> Outcome {
    let db = open3()?;
    let before = count3(&db)?;
    exec3(&db, "BEGIN", &[])?;
    insert_item(&db, "txn-committed")?;
    exec3(&db, "COMMIT", &[])?;
    let after = count3(&db)?;
    Ok(json!({ "before": before, "after": after }))
}

/// Leaves a transaction open with one uncommitted row; the caller then traps or hangs, and the
/// connection is deliberately leaked so only the host can clean up.
fn begin_and_insert(name: &str) {
    let db = open3().expect("open default");
    exec3(&db, "BEGIN", &[]).expect("BEGIN");
    insert_item(&db, name).expect("insert inside transaction");
    std::mem::forget(db);
}

fn busy_loop_forever() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

/// `%XX` and `+` decoding of a query value (the tests send SQL in `?q=`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs one statement on a fresh `open` and returns its result or error.
fn run_sql(sql: &str) -> Outcome {
    let db = open3()?;
    Ok(match db.execute(sql, &[]) {
        Ok(r) => json!({ "ok": true, "result": v3json::result(&r) }),
        Err(e) => {
            let mut e = v3json::error(e);
            e["ok"] = json!(false);
            e
        }
    })
}

/// One guest, two connections, two write transactions: the second must fail as SQLite's busy
/// timeout would make it (`database is locked`), not wait for the first forever.
fn two_writers() -> Outcome {
    let first = open3()?;
    let second = open3()?;
    exec3(&first, "BEGIN IMMEDIATE", &[])?;
    let outcome = match second.execute("BEGIN IMMEDIATE", &[]) {
        Ok(_) => json!({ "second": "began" }),
        Err(e) => json!({ "second": v3json::error(e) }),
    };
    exec3(&first, "ROLLBACK", &[])?;
    Ok(outcome)
}
