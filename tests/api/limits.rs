//! The edge's protective limits: request timeout, guest traps, body size, and the bounded
//! instance queue (503 + Retry-After).

use std::time::{Duration, Instant};

use wenming_tests::{parity_manifest, Echo, Edge, Reply};

#[tokio::test]
async fn request_timeout_turns_a_spinning_guest_into_500_and_the_edge_keeps_serving() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &["--request-timeout", "1s"]);

    // Act
    let started = Instant::now();
    let spinning = edge.get("/cart?loop=1").await;
    let waited = started.elapsed();
    let next = edge.get("/cart").await;

    // Assert
    assert_eq!(spinning.status, 500, "body: {}", spinning.text());
    assert!(spinning.body.is_empty(), "a stopped guest's 500 has no body, as a trap's: {:?}", spinning.text());
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "a 1s timeout fired after {waited:?}"
    );
    assert_eq!(Echo::from_reply(&next).who(), "cart", "the edge must keep serving");
}

#[tokio::test]
async fn trapping_guest_answers_500_and_the_edge_keeps_serving() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let trapped = edge.get("/cart?trap=1").await;
    let next = edge.get("/cart").await;

    // Assert
    assert_eq!(trapped.status, 500, "body: {}", trapped.text());
    // Spin answers a trap with an empty 500: no JSON, no content type.
    assert!(trapped.body.is_empty(), "a trap's 500 must have no body, got {:?}", trapped.text());
    assert_eq!(trapped.header("content-type"), None);
    assert_eq!(Echo::from_reply(&next).who(), "cart");
}

#[tokio::test]
async fn body_over_the_limit_is_rejected_with_413_and_smaller_bodies_pass() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &["--max-body-bytes", "1024"]);

    // Act
    let too_big = edge.request("POST", "/cart", &[], vec![b'x'; 2048]).await;
    let small = edge.request("POST", "/cart", &[], vec![b'x'; 512]).await;
    let exact = edge.request("POST", "/cart", &[], vec![b'x'; 1024]).await;

    // Assert
    assert_eq!(too_big.status, 413, "body: {}", too_big.text());
    assert_eq!(Echo::from_reply(&small).0["body_len"], 512);
    assert_eq!(Echo::from_reply(&exact).0["body_len"], 1024, "a body of exactly the limit is allowed");
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_rejected_with_413() {
    // Arrange: no Content-Length, so the edge can only find out by counting.
    let edge = Edge::start(&parity_manifest(), &["--max-body-bytes", "1024"]);
    let chunk = "x".repeat(600);
    let request = format!(
        "POST /cart HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );

    // Act
    let (reply, _) = edge.raw(request.as_bytes());

    // Assert
    assert_eq!(reply.status, 413, "1200 chunked bytes over a 1024 limit; body: {}", reply.text());
}

fn describe(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| format!("{} retry-after={:?} {}", r.status, r.header("retry-after"), r.text()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn full_queue_sheds_load_with_503_and_retry_after() {
    // Arrange: one instance, one waiting slot.
    let edge = Edge::start(&parity_manifest(), &["--max-instances", "1", "--max-queue", "1", "--queue-timeout", "5s"]);

    // Act: three concurrent slow requests -> one runs, one waits, one is shed.
    let path = "/cart?sleep_ms=1500";
    let (a, b, c) = tokio::join!(edge.get(path), edge.get(path), edge.get(path));
    let replies = [a, b, c];
    let after = edge.get("/cart").await;

    // Assert
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let shed: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert_eq!((ok, shed.len()), (2, 1), "replies:\n{}", describe(&replies));
    assert!(shed[0].header("retry-after").is_some(), "503 must carry Retry-After: {:?}", shed[0].headers);
    assert_eq!(Echo::from_reply(&after).who(), "cart", "the edge serves again once idle");
}

#[tokio::test]
async fn request_waiting_longer_than_queue_timeout_gets_503_with_retry_after() {
    // Arrange: one instance, room to queue, but a short wait limit.
    let edge =
        Edge::start(&parity_manifest(), &["--max-instances", "1", "--max-queue", "4", "--queue-timeout", "500ms"]);

    // Act: the second request has to wait ~2s for the instance, longer than 500ms.
    let timed = |path: &'static str| {
        let edge = &edge;
        async move {
            let started = Instant::now();
            let reply = edge.get(path).await;
            (reply, started.elapsed())
        }
    };
    let (a, b) = tokio::join!(timed("/cart?sleep_ms=2000"), timed("/cart?sleep_ms=2000"));
    let replies = [a.0.clone(), b.0.clone()];
    let timings = [(a.0.status, a.1), (b.0.status, b.1)];

    // Assert
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let timed_out: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert_eq!((ok, timed_out.len()), (1, 1), "replies:\n{}", describe(&replies));
    assert!(timed_out[0].header("retry-after").is_some(), "503 must carry Retry-After");
    let shed_after = timings.iter().find(|(s, _)| *s == 503).unwrap().1;
    assert!(
        shed_after >= Duration::from_millis(400) && shed_after < Duration::from_millis(1800),
        "the 503 must come when the 500ms queue timeout expires, not when the instance frees up (took {shed_after:?})"
    );
}
