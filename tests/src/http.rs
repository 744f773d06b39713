//! Raw HTTP: `Reply` (an answer as the tests see it: status, every header in order, the body),
//! requests through the edge's HTTP client, and byte-for-byte exchanges over a fresh TCP
//! connection (`raw_exchange`, `parse_response` with chunked decoding) for what a client library
//! would normalise.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::{Edge, Json};

/// Upper bound for any single HTTP exchange in the tests.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Edge {
    /// `GET path`, no headers.
    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], Vec::new()).await
    }

    /// GET and parse the echo/dbprobe JSON answer, asserting the status first.
    pub async fn get_json(&self, path: &str, expected_status: u16) -> Json {
        let reply = self.get(path).await;
        assert_eq!(reply.status, expected_status, "GET {path}: unexpected status; body: {}", reply.text());
        reply.json()
    }

    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("valid method");
        let mut builder = self.client.request(method, self.url(path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response =
            builder.body(body.into()).send().await.unwrap_or_else(|e| panic!("request to {path} failed: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.bytes().await.unwrap_or_else(|e| panic!("reading body of {path} failed: {e}")).to_vec();
        Reply { status, headers, body }
    }

    /// Sends `request` byte-for-byte over a fresh TCP connection (for Host/forged headers and
    /// chunked bodies that an HTTP client would normalise). Returns the reply and the local
    /// address of the connection, i.e. what the edge must report as `spin-client-addr`.
    pub fn raw(&self, request: &[u8]) -> (Reply, SocketAddr) {
        raw_exchange(self.addr, request)
    }
}

/// An HTTP response as the tests see it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Every header entry in order (names lower-case), repeated names kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_all(name).into_iter().next()
    }

    /// All values of header `name`, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

impl Reply {
    /// `error.code` of an error answer (empty if absent).
    pub fn error_code(&self) -> String {
        self.error_part("code")
    }

    /// `error.field` of a 422 answer (empty if absent).
    pub fn error_field(&self) -> String {
        self.error_part("field")
    }

    fn error_part(&self, name: &str) -> String {
        serde_json::from_slice::<Json>(&self.body)
            .ok()
            .and_then(|v| v["error"][name].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for query values).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One raw HTTP/1.1 exchange: writes `request` verbatim, reads until the server closes.
/// Send `Connection: close` in `request`.
pub fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (Reply, SocketAddr) {
    let mut stream = TcpStream::connect(addr).expect("connect to edge");
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).unwrap();
    let local = stream.local_addr().unwrap();
    stream.write_all(request).expect("write raw request");
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A server that answers before reading the whole request may reset the connection
            // after its response: keep what arrived.
            Err(_) if !bytes.is_empty() => break,
            Err(e) => panic!("reading raw response failed before any byte arrived: {e}"),
        }
    }
    (parse_response(&bytes), local)
}

/// Parses an HTTP/1.1 response (Content-Length, chunked, or until-close body).
pub fn parse_response(bytes: &[u8]) -> Reply {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header terminator in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[head_end + 4..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        decode_chunked(rest)
    } else if let Some(len) =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse::<usize>().ok())
    {
        rest[..len.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    Reply { status, headers, body }
}

fn decode_chunked(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            break;
        };
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_decoded() {
        let reply = parse_response(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-a: 1\r\nx-a: 2\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, b"abcde");
        assert_eq!(reply.header_all("X-A"), vec!["1", "2"]);
    }
}
