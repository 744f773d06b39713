//! The check-in burst of `scripts/bench`: one activity, N volunteers signed up, all checking in
//! within seconds at concurrency C — the platform's peak load. Prints one markdown row: check-ins
//! per second, p50 and p99, how many were acknowledged, and how many attendance rows the database
//! holds afterwards (every acknowledged check-in must be there).
//!
//! Usage: `cargo run --release -p wenming-tests --example checkin_burst -- [N] [C]`
//! (defaults 1000 and 256). Needs the product's components built.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wenming_tests::{fresh_state_dir, unix_now, wenming_migrate, workspace_root, Edge};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let volunteers: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(256);
    let manifest = workspace_root().join("spin.toml");

    // Arrange: schema, then everyone seeded straight into the database (the burst is what is
    // measured, not the sign-ups).
    let state = fresh_state_dir();
    let out = wenming_migrate(&[
        std::ffi::OsStr::new("-f"),
        manifest.as_os_str(),
        std::ffi::OsStr::new("--state-dir"),
        state.path().as_os_str(),
    ]);
    assert!(out.success(), "migrate failed: {}", out.output());
    // The database file the edge will use: the local file, or the one the state dir's sqld
    // serves when WENMING_TEST_BACKEND=sqld.
    let mut tokens = seed(&wenming_tests::default_db_file(state.path()), volunteers + SINGLE);
    let single = tokens.split_off(volunteers as usize);
    let edge = Edge::launch(&manifest)
        .state_dir(state)
        .args(&[
            "--metrics-listen",
            "127.0.0.1:0",
            // Every check-in comes from this one client, as from a proxy in front of the edge: the
            // per-client connection cap (64) would turn the burst into 429s.
            "--max-connections-per-client",
            "0",
        ])
        .start();
    let metrics = edge
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Metrics ").map(str::to_string))
        .expect("the edge prints the metrics URL");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let url = edge.url("/api/v1/checkins");

    // First, single requests: SINGLE more volunteers check in one after another (the latency of
    // one check-in with nothing else running), counting the libSQL server requests they cost.
    let before = server_requests(&metrics).await;
    let mut single_latencies = Vec::new();
    for token in &single {
        let t = Instant::now();
        let r = client
            .post(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "code": "BURST2", "latitude": 30.0001, "longitude": 114.0001 }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "single check-in: {} {}", r.status(), r.text().await.unwrap_or_default());
        single_latencies.push(t.elapsed());
    }
    let per_checkin = (server_requests(&metrics).await - before) / SINGLE as f64;
    single_latencies.sort();
    println!(
        "| single check-in, one at a time ({SINGLE}) | p50 {} | p99 {} | libSQL server requests per check-in: {per_checkin:.1} |",
        ms(single_latencies[SINGLE as usize / 2]),
        ms(single_latencies[(SINGLE as usize * 99) / 100])
    );
    let server_requests_before = server_requests(&metrics).await;

    // Act: everyone checks in at once, at most `concurrency` in flight.
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for token in tokens {
        let (client, url, gate) = (client.clone(), url.clone(), Arc::clone(&gate));
        tasks.push(tokio::spawn(async move {
            let _slot = gate.acquire_owned().await.unwrap();
            let t = Instant::now();
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "code": "BURST2", "latitude": 30.0001, "longitude": 114.0001 }))
                .send()
                .await;
            let elapsed = t.elapsed();
            let (status, body) = match response {
                Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                Err(e) => (0, e.to_string()),
            };
            (status, elapsed, body)
        }));
    }
    let mut latencies = Vec::new();
    let mut acknowledged = 0;
    let mut statuses = std::collections::BTreeMap::new();
    let mut samples = std::collections::BTreeMap::new();
    for task in tasks {
        let (status, elapsed, body) = task.await.unwrap();
        if !(200..300).contains(&status) {
            samples.entry(status).or_insert(body);
        }
        latencies.push(elapsed);
        *statuses.entry(status).or_insert(0) += 1;
        if status == 200 || status == 201 {
            acknowledged += 1;
        }
    }
    let wall = started.elapsed();
    let server_requests = server_requests(&metrics).await - server_requests_before;

    // Assert: every acknowledged check-in is a row.
    let conn = rusqlite::Connection::open(edge.db_path()).unwrap();
    let rows: i64 =
        conn.query_row("SELECT count(*) FROM attendances WHERE activity_id = 1", [], |r| r.get::<_, i64>(0)).unwrap()
            - SINGLE;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "| check-in burst: {volunteers} volunteers, concurrency {concurrency} | {:.0} check-ins/s | {} | {} | {acknowledged} acknowledged, {rows} rows | statuses {:?} |",
        volunteers as f64 / wall.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        statuses
    );
    if server_requests > 0.0 {
        println!(
            "libSQL server requests: {server_requests} for {volunteers} check-ins = {:.1} per check-in",
            server_requests / volunteers as f64
        );
    }
    for (status, body) in &samples {
        eprintln!("sample {status}: {body}");
    }
    if !samples.is_empty() {
        let log = edge.stderr();
        let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).take(3).collect();
        eprintln!("edge errors: {errors:#?}");
    }
    assert_eq!(rows, acknowledged, "every acknowledged check-in must be in the database");
}

/// `wenming_db_server_requests_total` for the default database (0 on a local file).
async fn server_requests(metrics_url: &str) -> f64 {
    let text = reqwest::get(metrics_url).await.expect("scrape").text().await.expect("metrics body");
    text.lines()
        .find_map(|l| l.strip_prefix("wenming_db_server_requests_total{database=\"default\"}"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Volunteers who check in one at a time before the burst.
const SINGLE: i64 = 100;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Seeds the centre, a town and a station under it, a team at the station, one approved activity
/// of that team at the station (code BURST2, a 500 m radius, running now; at a station three
/// levels deep, as a county's activities are, so the statistics rollups of
/// migrations/0019_dashboard.sql do their real work per check-in: one counter per ancestor and
/// the team's) and
/// `n` volunteers, each confirmed for it and holding a session; returns their bearer tokens.
fn seed(db: &std::path::Path, n: i64) -> Vec<String> {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    let now = unix_now();
    tx.execute_batch(&format!(
        "INSERT INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (1, NULL, 'centre', '压测中心', '/1/', 0, 0);
         INSERT INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (2, 1, 'institute', '压测所', '/1/2/', 0, 0);
         INSERT INTO orgs (id, parent_id, level, name, path, created_at, updated_at) VALUES (3, 2, 'station', '压测站', '/1/2/3/', 0, 0);
         INSERT INTO accounts (id, name, phone, created_at, updated_at) VALUES (1, '组织者', '13700000000', 0, 0);
         INSERT INTO teams (id, org_id, name, leader_account_id, created_at, updated_at) VALUES (1, 3, '压测队', 1, 0, 0);
         INSERT INTO activities (id, org_id, team_id, applicant_id, title, category, latitude_e6, longitude_e6, radius_m, starts_at, ends_at,
                                 capacity, signup_deadline, visibility, status, code, created_at, updated_at)
         VALUES (1, 3, 1, 1, '压测活动', '便民服务', 30000000, 114000000, 500, {start}, {end}, {n}, {start}, 'public', 'approved', 'BURST2', 0, 0);",
        start = now - 60,
        end = now + 7200,
    ))
    .unwrap();
    let mut tokens = Vec::with_capacity(n as usize);
    for i in 0..n {
        let account = 100 + i;
        let phone = format!("136{:08}", i);
        tx.execute(
            "INSERT INTO accounts (id, name, phone, created_at, updated_at) VALUES (?1, ?2, ?3, 0, 0)",
            rusqlite::params![account, format!("志愿者{i}"), phone],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO volunteers (id, account_id, volunteer_no, real_name, gender, birth_date, phone, id_number, home_org_id, created_at, updated_at)
             VALUES (?1, ?1, ?2, ?3, 'male', '1990-01-01', ?4, ?5, 1, 0, 0)",
            rusqlite::params![account, format!("WM2026{:06}", i), format!("志愿者{i}"), phone, format!("ID{:016}", i)],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO role_grants (account_id, role, org_id, created_at) VALUES (?1, 'volunteer', 1, 0)",
            rusqlite::params![account],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO signups (activity_id, volunteer_id, status, position, starts_at, ends_at, created_at)
             VALUES (1, ?1, 'confirmed', ?2, ?3, ?4, 0)",
            rusqlite::params![account, i + 1, now - 60, now + 7200],
        )
        .unwrap();
        let token = format!("burst-token-{i:06}-{}", now);
        tx.execute(
            "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![hex::encode(Sha256::digest(token.as_bytes())), account, now, now + 3600],
        )
        .unwrap();
        tokens.push(token);
    }
    tx.commit().unwrap();
    tokens
}
