//! Graceful shutdown: SIGTERM stops new connections, lets in-flight requests finish, and exits 0.

use std::time::{Duration, Instant};

use wenming_tests::{parity_manifest, Edge};

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_cleanly() {
    let mut edge = Edge::start(&parity_manifest(), &[]);
    let slow = tokio::spawn(reqwest::get(edge.url("/cart?sleep_ms=1500")));
    tokio::time::sleep(Duration::from_millis(400)).await;

    let asked = Instant::now();
    edge.terminate();
    let reply = slow.await.unwrap().expect("the in-flight request gets its answer");
    let status = edge.wait_exit(Duration::from_secs(10));

    assert_eq!(reply.status().as_u16(), 200);
    let body = reply.text().await.unwrap();
    assert!(body.contains("\"WHO\""), "the guest's own answer, not an error: {body}");
    let status = status.expect("the edge exits after draining");
    assert!(status.success(), "exit status {status:?}");
    assert!(asked.elapsed() < Duration::from_secs(10));
    // The listener is closed: nothing new is accepted.
    assert!(reqwest::get(edge.url("/cart")).await.is_err());
}
