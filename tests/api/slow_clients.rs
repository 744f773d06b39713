//! Slow and idle clients cannot hold the edge (issue 13): a request head must arrive within
//! `--header-read-timeout`, a keep-alive connection may idle for `--idle-timeout`, and beyond
//! `--max-connections` newcomers wait in the listen backlog until a slot frees, so other
//! clients are served. Bounds are generous (seconds against a 1 s timeout): the machine is
//! shared and these assert what happens, not how fast.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use wenming_tests::{parity_manifest, parse_response, raw_exchange, Echo, Edge, Reply};

const HALF_A_REQUEST_LINE: &[u8] = b"GET /cart HT";
const NORMAL_REQUEST: &[u8] = b"GET /cart HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// Opens a connection and sends half a request line, as a slow client does, and no more.
fn half_open(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect to the edge");
    stream.write_all(HALF_A_REQUEST_LINE).expect("send half a request line");
    stream
}

/// Reads until the edge closes `stream` (EOF or reset); what arrived and when it closed, or
/// `None` if it was still open after `limit`.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Vec<u8>, Instant)> {
    let deadline = Instant::now() + limit;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).expect("set a read timeout");
        match stream.read(&mut buf) {
            Ok(0) => return Some((bytes, Instant::now())),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return None,
            // A reset is a close too.
            Err(_) => return Some((bytes, Instant::now())),
        }
    }
}

fn assert_served(reply: &Reply) {
    assert_eq!(reply.status, 200, "body: {}", reply.text());
    assert_eq!(Echo::from_reply(reply).who(), "cart");
}

#[test]
fn half_a_request_line_is_closed_after_the_header_timeout_while_others_are_served() {
    // Arrange
    let edge = Edge::launch(&parity_manifest()).args(&["--header-read-timeout", "1s"]).start();
    let opened = Instant::now();
    let mut slow = half_open(edge.addr);

    // Act
    let (other, _) = raw_exchange(edge.addr, NORMAL_REQUEST);
    let closed = read_until_closed(&mut slow, Duration::from_secs(15));

    // Assert
    assert_served(&other);
    let (sent_back, at) = closed.expect("the half-sent request was still open 15 s after a 1 s header timeout");
    assert!(sent_back.is_empty(), "a timed-out head gets no answer: {:?}", String::from_utf8_lossy(&sent_back));
    let after = at - opened;
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the 1 s header timeout");
}

#[test]
fn at_the_connection_cap_a_normal_request_waits_for_the_header_timeout_to_free_a_slot() {
    // Arrange: more slow clients than the cap allows, so every slot is held and more wait.
    let edge =
        Edge::launch(&parity_manifest()).args(&["--max-connections", "8", "--header-read-timeout", "1s"]).start();
    let slow: Vec<TcpStream> = (0..20).map(|_| half_open(edge.addr)).collect();

    // Act: the design promises a wait in the backlog, not a refusal: the normal request is
    // accepted once the header timeout has closed the slow connections ahead of it (20 slow at
    // 8 a round is three rounds of 1 s).
    let started = Instant::now();
    let (reply, _) = raw_exchange(edge.addr, NORMAL_REQUEST);
    let waited = started.elapsed();

    // Assert
    assert_served(&reply);
    assert!(waited < Duration::from_secs(20), "served only after {waited:?}");
    let cap_lines = edge.stderr().lines().filter(|l| l.contains("connections open (--max-connections)")).count();
    assert_eq!(cap_lines, 1, "the cap is logged once per burst, not per connection; stderr:\n{}", edge.stderr());
    drop(slow);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // Arrange: a header timeout far longer than the idle one, so the close is the idle rule's.
    let edge = Edge::launch(&parity_manifest()).args(&["--idle-timeout", "1s", "--header-read-timeout", "60s"]).start();
    let mut stream = TcpStream::connect(edge.addr).expect("connect to the edge");

    // Act: one keep-alive request, then silence.
    stream.write_all(b"GET /cart HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("send a request");
    let sent = Instant::now();
    let closed = read_until_closed(&mut stream, Duration::from_secs(20));

    // Assert
    let (bytes, at) = closed.expect("the idle connection was still open 20 s after a 1 s idle timeout");
    assert_served(&parse_response(&bytes));
    let after = at - sent;
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the 1 s idle timeout");
    assert!(after < Duration::from_secs(20), "closed after {after:?}");
}

#[test]
fn a_request_in_flight_is_not_cut_by_the_header_or_idle_timeout() {
    // Arrange: a guest that spins until the 3 s request timeout, past both 1 s timeouts.
    let edge = Edge::launch(&parity_manifest())
        .args(&["--header-read-timeout", "1s", "--idle-timeout", "1s", "--request-timeout", "3s"])
        .start();

    // Act
    let started = Instant::now();
    let (reply, _) =
        raw_exchange(edge.addr, b"GET /cart?loop=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let waited = started.elapsed();

    // Assert: the request timeout's 500, not a connection closed at 1 s.
    assert_eq!(reply.status, 500, "body: {}", reply.text());
    assert!(waited >= Duration::from_millis(2500), "answered after {waited:?}, before the 3 s request timeout");
}
