//! Slow, idle and greedy clients cannot hold the edge (issue 13): a request head must arrive
//! within `--header-read-timeout`, its body within `--body-read-timeout` (408, and the half-read
//! request never reaches a component), a keep-alive connection may idle for `--idle-timeout`,
//! one client may hold `--max-connections-per-client` connections (more are answered 429 and
//! closed), and beyond `--max-connections` newcomers wait in the listen backlog until a slot
//! frees, so other clients are served. Bounds are generous (seconds against a 1 s timeout): the
//! machine is shared and these assert what happens, not how fast.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use wenming_tests::{
    count, json, parity_manifest, parse_response, product_launch, raw_exchange, Centre, Echo, Edge, Reply,
};

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

/// Connects to `addr` from `from` (any port): loopback is all of 127.0.0.0/8 on Linux, so two
/// addresses there are two clients to the edge.
fn connect_from(from: [u8; 4], addr: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.bind(SocketAddr::from((from, 0))).expect("bind the client address");
        socket.connect(addr).await.expect("connect to the edge")
    });
    let stream = stream.into_std().expect("a std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream
}

/// One `Connection: close` exchange on `stream`: the reply, read until the edge closes.
fn exchange_on(mut stream: TcpStream, request: &[u8]) -> Reply {
    stream.write_all(request).expect("send a request");
    let (bytes, _) = read_until_closed(&mut stream, Duration::from_secs(15)).expect("answered and closed");
    parse_response(&bytes)
}

#[test]
fn one_client_cannot_hold_more_than_its_share_of_connections_and_others_are_served() {
    // Arrange: a header timeout far longer than the test, so nothing but the cap closes a
    // connection; four idle connections from 127.0.0.1 fill its share.
    let edge = Edge::launch(&parity_manifest())
        .args(&["--max-connections-per-client", "4", "--header-read-timeout", "60s"])
        .start();
    let mut idle: Vec<TcpStream> = (0..4).map(|_| connect_from([127, 0, 0, 1], edge.addr)).collect();

    // Act
    let started = Instant::now();
    let mut extra = connect_from([127, 0, 0, 1], edge.addr);
    let refused = read_until_closed(&mut extra, Duration::from_secs(15));
    let other = exchange_on(connect_from([127, 0, 0, 2], edge.addr), NORMAL_REQUEST);

    // Assert: the extra one is told and closed at once, not after any timeout.
    let (bytes, at) = refused.expect("the fifth connection from one client was still open after 15 s");
    assert!(at - started < Duration::from_secs(10), "refused only after {:?}", at - started);
    let refusal = parse_response(&bytes);
    assert_eq!(refusal.status, 429, "{}", refusal.text());
    assert_eq!(refusal.error_code(), "too_many_connections", "{}", refusal.text());
    assert_eq!(refusal.header("retry-after"), Some("1"), "{:?}", refusal.headers);
    assert_served(&other);
    // The client's own four are untouched and still served.
    assert_served(&exchange_on(idle.pop().expect("an idle connection"), NORMAL_REQUEST));
    // The one just closed gave its place back: the same client may connect again.
    let again = (0..50)
        .map(|_| {
            let reply = exchange_on(connect_from([127, 0, 0, 1], edge.addr), NORMAL_REQUEST);
            if reply.status != 200 {
                thread::sleep(Duration::from_millis(100));
            }
            reply
        })
        .find(|reply| reply.status == 200);
    assert!(again.is_some(), "a closed connection's place never came back");
    let warnings = edge.stderr().lines().filter(|l| l.contains("(--max-connections-per-client)")).count();
    assert_eq!(warnings, 1, "refusals are logged once per burst; stderr:\n{}", edge.stderr());
    drop(idle);
}

#[tokio::test]
async fn a_trickled_body_is_answered_408_after_the_body_timeout_writes_nothing_and_others_are_served() {
    // Arrange: a signed-in admin about to create an org, sending the body a byte at a time, far
    // slower than a 1 s body timeout allows.
    let c = Centre::on(product_launch(false).args(&["--body-read-timeout", "1s"]).start()).await;
    let orgs_before = count(&c.edge, "SELECT count(*) FROM orgs", []);
    let body = format!("{:<200}", json!({ "parent_id": c.centre, "name": "慢慢镇", "level": "institute" }));
    let head = format!(
        "POST /api/v1/orgs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        c.admin,
        body.len()
    );
    let addr = c.edge.addr;

    // Act
    let slow = thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).expect("connect to the edge");
        stream.write_all(head.as_bytes()).expect("send the head");
        let mut writer = stream.try_clone().expect("a second handle");
        let trickle = thread::spawn(move || {
            for byte in body.as_bytes() {
                // Stops when the edge has closed the connection.
                if writer.write_all(std::slice::from_ref(byte)).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
        });
        let sent = Instant::now();
        let closed = read_until_closed(&mut stream, Duration::from_secs(15)).map(|(bytes, at)| (bytes, at - sent));
        drop(stream);
        trickle.join().expect("the trickle thread");
        closed
    });
    let status = c.edge.get("/api/v1/status").await;
    let closed = slow.join().expect("the slow client thread");

    // Assert
    assert_eq!(status.status, 200, "another client is served meanwhile: {}", status.text());
    let (bytes, after) = closed.expect("the trickled request was still open 15 s after a 1 s body timeout");
    let reply = parse_response(&bytes);
    assert_eq!(reply.status, 408, "{}", reply.text());
    assert_eq!(reply.error_code(), "request_timeout", "{}", reply.text());
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{:?}", reply.headers);
    assert!(after >= Duration::from_millis(900), "answered after {after:?}, before the 1 s body timeout");
    assert!(after < Duration::from_secs(15), "answered after {after:?}");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM orgs", []), orgs_before, "the half-read create wrote nothing");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM orgs WHERE name = ?1", ["慢慢镇"]), 0);
}
