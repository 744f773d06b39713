//! `/metrics` on the admin listener: Prometheus text with requests by component and status,
//! latency histograms, instances in use, queue depth and database pool use — and never on the
//! application's own listener.

use std::time::Duration;

use wenming_tests::{parity_manifest, Edge};

/// Starts the parity app with an admin listener and returns the metrics URL with it.
fn start(extra: &[&str]) -> (Edge, String) {
    let mut args = vec!["--metrics-listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let edge = Edge::start(&parity_manifest(), &args);
    let url = edge
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Metrics ").map(str::to_string))
        .expect("the edge prints the metrics URL");
    (edge, url)
}

async fn scrape(url: &str) -> String {
    reqwest::get(url).await.expect("scrape").text().await.expect("body")
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
}

#[tokio::test]
async fn requests_are_counted_by_component_and_status() {
    let (edge, url) = start(&[]);

    for _ in 0..3 {
        assert_eq!(edge.get("/cart").await.status, 200);
    }
    assert_eq!(edge.get("/.well-known/spin/nope").await.status, 404);
    edge.get("/db/v3/setup").await;
    let text = scrape(&url).await;

    assert_eq!(value(&text, "wenming_requests_total{component=\"cart\",status=\"200\"}"), Some(3.0), "{text}");
    assert_eq!(value(&text, "wenming_requests_total{component=\"-\",status=\"404\"}"), Some(1.0), "{text}");
    assert_eq!(value(&text, "wenming_request_duration_seconds_count{component=\"cart\"}"), Some(3.0), "{text}");
    assert_eq!(
        value(&text, "wenming_request_duration_seconds_bucket{component=\"cart\",le=\"+Inf\"}"),
        Some(3.0),
        "{text}"
    );
    // dbprobe returned its connection to the pool.
    assert_eq!(value(&text, "wenming_db_connections_in_use{database=\"default\"}"), Some(0.0), "{text}");
    assert!(value(&text, "wenming_db_connections_idle{database=\"default\"}").unwrap_or(0.0) >= 1.0, "{text}");
}

#[tokio::test]
async fn instances_in_use_and_queue_depth_show_live_load() {
    let (edge, url) = start(&["--max-instances", "1", "--max-queue", "4", "--queue-timeout", "10s"]);
    let slow = edge.url("/cart?sleep_ms=1500");

    let first = tokio::spawn(reqwest::get(slow.clone()));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = tokio::spawn(reqwest::get(slow));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let busy = scrape(&url).await;
    let (a, b) = (first.await.unwrap().unwrap(), second.await.unwrap().unwrap());
    let idle = scrape(&url).await;

    assert_eq!(value(&busy, "wenming_instances_in_use"), Some(1.0), "{busy}");
    assert_eq!(value(&busy, "wenming_instances_limit"), Some(1.0), "{busy}");
    assert_eq!(value(&busy, "wenming_queue_depth"), Some(1.0), "{busy}");
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(value(&idle, "wenming_instances_in_use"), Some(0.0), "{idle}");
    assert_eq!(value(&idle, "wenming_queue_depth"), Some(0.0), "{idle}");
}

#[tokio::test]
async fn metrics_are_not_an_application_route() {
    let (edge, url) = start(&[]);

    let on_app = edge.get("/metrics").await;
    let other_admin_path = reqwest::get(url.replace("/metrics", "/cart")).await.unwrap();

    // On the application listener `/metrics` is just a path: the catch-all component answers.
    assert_eq!(on_app.status, 200);
    assert!(!on_app.text().contains("wenming_requests_total"), "{}", on_app.text());
    assert_eq!(other_admin_path.status(), 404);
}

#[tokio::test]
async fn without_the_flag_there_is_no_admin_listener() {
    let edge = Edge::start(&parity_manifest(), &[]);

    assert!(!edge.stdout().contains("Metrics "), "{}", edge.stdout());
}
