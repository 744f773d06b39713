//! The SMS backlog of `BENCHMARKS.md`: N queued notices (default 10,000) drained by the
//! `deliver-outbox` job against the fake Tencent provider (`wenming_tests::FakeSms`, which checks
//! every TC3 signature) on the same machine. The job is called back to back, as a scheduler
//! that is behind would; each run sends up to 100 messages, one signed request each. Prints a
//! markdown row: messages per second, runs, and what was checked (every message `sent`, each
//! idempotency key received exactly once, every signature valid).
//!
//! Usage: `cargo run --release -p wenming-tests --example sms_backlog -- [N]`. Needs the
//! product's components built.

use std::collections::HashSet;
use std::time::Instant;

use wenming_tests::{open_db, product_launch, unix_now, FakeSms, Flavour};

const SCHEDULER: &str = "bench-scheduler-token-0123456789abcdef";

#[tokio::main]
async fn main() {
    let n: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let fake = FakeSms::start(Flavour::Tencent);
    let mut launch = product_launch(false)
        .env("SPIN_VARIABLE_SMS_PROVIDER", "tencent")
        .env("SPIN_VARIABLE_SCHEDULER_TOKEN", SCHEDULER);
    for (k, v) in fake.variables() {
        launch = launch.env(k, v);
    }
    let edge = launch.start();

    // Arrange: templates and the backlog, straight into the database (queueing is not measured).
    let now = unix_now();
    {
        let mut db = open_db(&edge.db_path());
        let tx = db.transaction().unwrap();
        tx.execute("UPDATE sms_templates SET template_id = '1110'", []).unwrap();
        for i in 0..n {
            tx.execute(
                "INSERT INTO outbox (channel, recipient, template, params, idempotency_key, status, created_at)
                 VALUES ('sms', ?1, 'case-status', '{\"case_no\":\"(2026)调1号\",\"status\":\"已受理\"}', ?2, 'queued', ?3)",
                rusqlite::params![format!("139{:08}", i), format!("bench:{i}"), now],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    // Act: run the job until nothing is due.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    let mut runs = 0;
    loop {
        let reply = client
            .post(edge.url("/api/v1/jobs/deliver-outbox"))
            .bearer_auth(SCHEDULER)
            .send()
            .await
            .expect("deliver-outbox");
        assert_eq!(reply.status().as_u16(), 200);
        let body: serde_json::Value = reply.json().await.unwrap();
        runs += 1;
        if body["report"]["still_due"].as_i64() == Some(0) {
            break;
        }
    }
    let elapsed = started.elapsed();

    // Check: every message sent, each key received once, every signature valid.
    let sent: i64 = open_db(&edge.db_path())
        .query_row("SELECT count(*) FROM outbox WHERE status = 'sent'", [], |r| r.get(0))
        .unwrap();
    let received = fake.received();
    let keys: HashSet<&str> = received.iter().map(|r| r.key.as_str()).collect();
    let valid = received.iter().filter(|r| r.valid).count();
    println!("| messages | runs | time | rate | checked |");
    println!("|---|---|---|---|---|");
    println!(
        "| {n} | {runs} | {:.1} s | {:.0} messages/s | {sent} sent, {} requests, {} distinct keys, {valid} valid signatures |",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        received.len(),
        keys.len(),
    );
    assert_eq!((sent, received.len(), keys.len(), valid), (n, n as usize, n as usize, n as usize));
}
