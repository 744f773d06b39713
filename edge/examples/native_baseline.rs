//! The native baseline for `scripts/bench`: the bench component's two endpoints written as a
//! plain hyper handler over the edge's own connection pool and query path. The difference between
//! this and the edge serving `tests/components/bench` is the cost of WebAssembly (instantiation,
//! the component boundary, copying values across it), and nothing else.
//!
//! Usage: `native_baseline <listen-addr> <state-dir> <migrations-dir>`

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use wenming_edge::sqlite::{Database, Databases, SqliteSettings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let state_dir = std::path::PathBuf::from(args.next().context("state dir argument")?);
    let migrations = std::path::PathBuf::from(args.next().context("migrations dir argument")?);
    std::fs::create_dir_all(&state_dir)?;
    let dbs = Databases::open(&Default::default(), Some(&state_dir), &SqliteSettings::default()).await?;
    let db = Arc::clone(dbs.get("default").context("default database")?);
    wenming_edge::migrate::apply(&db, &wenming_edge::migrate::discover(&migrations)?).await?;

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("Serving http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(Arc::clone(&db), req));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn handle(db: Arc<Database>, req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match req.uri().path() {
        "/bench/hello" => (200, "hello".to_string()),
        "/bench/db" => match insert_and_select(&db).await {
            Ok(id) => (200, id.to_string()),
            Err(e) => (500, e),
        },
        _ => (404, "not found".to_string()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).expect("valid status");
    Ok(resp)
}

async fn insert_and_select(db: &Arc<Database>) -> Result<i64, String> {
    let key = format!("{:016x}", rand_key());
    let pooled = db.checkout().await.map_err(|e| e.to_string())?;
    let conn = pooled.conn();
    db.run(
        conn,
        "INSERT INTO bench_items (k, v) VALUES (?, ?)".into(),
        vec![libsql::Value::Text(key.clone()), libsql::Value::Integer(1)],
    )
    .await?;
    let out = db.run(conn, "SELECT id, v FROM bench_items WHERE k = ?".into(), vec![libsql::Value::Text(key)]).await?;
    match out.rows.first().and_then(|r| r.first()) {
        Some(libsql::Value::Integer(id)) => Ok(*id),
        _ => Ok(-1),
    }
}

fn rand_key() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
