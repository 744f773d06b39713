//! The survey burst of `scripts/bench`: a county-wide questionnaire pushed to phones and
//! answered by N residents within minutes, at concurrency C, then the staff's results page and
//! CSV export read over all N responses. Prints markdown rows: submissions per second, p50 and
//! p99, acknowledged against stored responses (every acknowledged answer must be a row), and the
//! latency of `GET /results` (p50 and p99 over 20 reads) and of the CSV export.
//!
//! Usage: `cargo run --release -p wenming-tests --example survey_burst -- [N] [C]` (defaults
//! 1000 and 256). Needs the product's components built.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wenming_tests::{fresh_state_dir, unix_now, wenming_migrate, workspace_root, Edge};

/// The questionnaire: one question of each countable type, plus a condition.
fn sections() -> serde_json::Value {
    let opts = |keys: &[&str]| keys.iter().map(|k| json!({"key": k, "label": k})).collect::<Vec<_>>();
    json!([{"title": "需求", "questions": [
        {"key": "needs", "type": "multiple_choice", "title": "需要的服务", "required": true, "min_selections": 1, "max_selections": 3,
         "options": opts(&["phone", "elder", "homework", "policy", "culture"])},
        {"key": "time", "type": "single_choice", "title": "方便的时间", "required": true, "options": opts(&["weekday", "evening", "weekend"])},
        {"key": "score", "type": "rating", "title": "满意度", "scale": 5, "required": true},
        {"key": "age", "type": "number", "title": "年龄", "min": 0, "max": 120, "integer": true},
        {"key": "venues", "type": "matrix", "title": "场所评价", "rows": opts(&["library", "square"]), "columns": opts(&["good", "fair", "poor"])},
        {"key": "idea", "type": "long_text", "title": "建议", "show_if": {"question": "time", "any_of": ["weekend"]}},
    ]}])
}

fn answers(i: i64) -> serde_json::Value {
    let needs = ["phone", "elder", "homework", "policy", "culture"];
    let time = ["weekday", "evening", "weekend"][(i % 3) as usize];
    let library = ["good", "fair", "poor"][(i % 3) as usize];
    let mut a = json!({
        "needs": [needs[(i % 5) as usize], needs[((i + 2) % 5) as usize]],
        "time": time,
        "score": 1 + i % 5,
        "age": 18 + i % 60,
        "venues": {"library": library, "square": "good"},
    });
    if time == "weekend" {
        a["idea"] = json!(format!("第{i}条建议：周末多组织活动"));
    }
    a
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let residents: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(256);
    let manifest = workspace_root().join("spin.toml");

    // Arrange: schema, then the county, the survey and everyone's session straight into the
    // database (the burst is what is measured, not the sign-ins).
    let state = fresh_state_dir();
    let out = wenming_migrate(&[
        std::ffi::OsStr::new("-f"),
        manifest.as_os_str(),
        std::ffi::OsStr::new("--state-dir"),
        state.path().as_os_str(),
    ]);
    assert!(out.success(), "migrate failed: {}", out.output());
    let (tokens, admin) = seed(&state.path().join("sqlite_db.db"), residents);
    let edge = Edge::launch(&manifest).state_dir(state).start();
    let url = edge.url("/api/v1/surveys/1/responses");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();

    // Act: everyone answers at once, at most `concurrency` in flight.
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let (client, url, gate) = (client.clone(), url.clone(), Arc::clone(&gate));
        tasks.push(tokio::spawn(async move {
            let _slot = gate.acquire_owned().await.unwrap();
            let t = Instant::now();
            let body = json!({"answers": answers(i as i64), "org_id": 2});
            let response = client.post(url).bearer_auth(token).json(&body).send().await;
            let elapsed = t.elapsed();
            let (status, text) = match response {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(e) => (0, e.to_string()),
            };
            (status, elapsed, text)
        }));
    }
    let mut latencies = Vec::new();
    let mut acknowledged = 0;
    let mut statuses = std::collections::BTreeMap::new();
    let mut samples = std::collections::BTreeMap::new();
    for task in tasks {
        let (status, elapsed, text) = task.await.unwrap();
        if status != 201 {
            samples.entry(status).or_insert(text);
        }
        latencies.push(elapsed);
        *statuses.entry(status).or_insert(0) += 1;
        acknowledged += i64::from(status == 201);
    }
    let wall = started.elapsed();
    let conn = rusqlite::Connection::open(edge.db_path()).unwrap();
    let rows: i64 =
        conn.query_row("SELECT count(*) FROM survey_responses WHERE survey_id = 1", [], |r| r.get(0)).unwrap();
    latencies.sort();
    println!(
        "| survey burst: {residents} residents answering, concurrency {concurrency} | {:.0} answers/s | {} | {} | {acknowledged} acknowledged, {rows} rows | statuses {:?} |",
        residents as f64 / wall.as_secs_f64(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        statuses
    );
    for (status, text) in &samples {
        eprintln!("sample {status}: {text}");
    }

    // Then staff read the results over every response, one at a time, as a dashboard would.
    let mut reads = Vec::new();
    let mut respondents = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let r = client.get(edge.url("/api/v1/surveys/1/results")).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        reads.push(t.elapsed());
        respondents = v["responses"].as_i64().unwrap_or(-1);
    }
    reads.sort();
    println!(
        "| survey results over {respondents} responses (GET /results, sequential) | {:.0} reads/s | {} | {} | {respondents} counted | 20 reads |",
        20.0 / reads.iter().map(Duration::as_secs_f64).sum::<f64>(),
        ms(percentile(&reads, 0.50)),
        ms(percentile(&reads, 0.99)),
    );
    let t = Instant::now();
    let r = client.get(edge.url("/api/v1/surveys/1/responses.csv")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    let export = t.elapsed();
    println!(
        "| survey CSV export of {} rows | {:.1} MB | {} | — | one export | — |",
        csv.lines().count() - 1,
        csv.len() as f64 / 1e6,
        ms(export)
    );
    assert_eq!(rows, acknowledged, "every acknowledged answer must be in the database");
    assert_eq!(respondents, rows, "results count every stored response");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn session(tx: &rusqlite::Transaction, account: i64, token: &str, now: i64) {
    tx.execute(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![hex::encode(Sha256::digest(token.as_bytes())), account, now, now + 3600],
    )
    .unwrap();
}

/// Seeds a centre with one station, a centre admin, one published residents survey (id 1) at
/// the centre, and `n` citizens with sessions; returns their tokens and the admin's.
fn seed(db: &std::path::Path, n: i64) -> (Vec<String>, String) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    let now = unix_now();
    tx.execute_batch(
        "INSERT INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (1, NULL, 'centre', '压测中心', '/1/', 0, 0);
         INSERT INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (2, 1, 'station', '压测站', '/1/2/', 0, 0);
         INSERT INTO accounts (id, name, phone, created_at, updated_at) VALUES (1, '中心管理员', '13700000000', 0, 0);
         INSERT INTO role_grants (account_id, role, org_id, created_at) VALUES (1, 'centre-admin', 1, 0);",
    )
    .unwrap();
    tx.execute(
        "INSERT INTO surveys (id, org_id, org_path, title, audience, anonymous, one_per, opens_at, closes_at, definition,
                              status, created_by, created_at, updated_at, published_at)
         VALUES (1, 1, '/1/', '压测调查', 'residents', 0, 'person', ?1, ?2, ?3, 'published', 1, 0, 0, ?1)",
        rusqlite::params![now - 60, now + 7200, sections().to_string()],
    )
    .unwrap();
    let admin = format!("survey-admin-{now}");
    session(&tx, 1, &admin, now);
    let mut tokens = Vec::with_capacity(n as usize);
    for i in 0..n {
        let account = 100 + i;
        tx.execute(
            "INSERT INTO accounts (id, name, phone, created_at, updated_at) VALUES (?1, ?2, ?3, 0, 0)",
            rusqlite::params![account, format!("居民{i}"), format!("135{:08}", i)],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO role_grants (account_id, role, org_id, created_at) VALUES (?1, 'citizen', 1, 0)",
            rusqlite::params![account],
        )
        .unwrap();
        let token = format!("survey-burst-{i:06}-{now}");
        session(&tx, account, &token, now);
        tokens.push(token);
    }
    tx.commit().unwrap();
    (tokens, admin)
}
