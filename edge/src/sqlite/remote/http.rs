//! HTTP/1.1 POSTs to one libSQL server, over plain TCP (`http://`, a local sqld) or rustls
//! (`https://`, Turso), on kept-alive connections: a statement costs one request, not a TCP
//! (and TLS) handshake as well.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::RemoteError;

/// How long dialling (TCP and TLS) may take. A server that is down refuses at once; this bounds
/// one that is unreachable (a dropped route), so a request fails instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one request may wait for its whole answer. Longer than any statement the product
/// runs; a guest's own request timeout usually ends things sooner by dropping the call.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Idle kept-alive connections kept per server. Each is a socket (and a TLS session); more than
/// the number of concurrent statements is never used.
const MAX_IDLE_CONNECTIONS: usize = 64;

/// Where the server is, split out of its URL once.
#[derive(Debug, Clone)]
pub struct Endpoint {
    https: bool,
    /// `host:port`, for dialling and the Host header.
    authority: String,
    host: String,
    /// Path prefix without a trailing `/` (usually empty).
    prefix: String,
}

impl Endpoint {
    /// Parses an `http://` or `https://` URL.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("{e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("the URL must start with http:// or https://".into()),
        };
        let authority = uri.authority().ok_or("the URL has no host")?;
        if authority.as_str().contains('@') {
            return Err("put credentials in `token`, not in the URL".into());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        if uri.query().is_some() {
            return Err("the URL may not carry a query".into());
        }
        Ok(Endpoint {
            https,
            authority: format!("{}:{port}", authority.host()),
            host,
            prefix: uri.path().trim_end_matches('/').to_string(),
        })
    }
}

/// Anything a connection can run over: a TCP stream, or TLS on one.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Kept-alive connections to one server.
pub struct Client {
    endpoint: Endpoint,
    /// `Bearer <token>`, or nothing for an empty token (a sqld without auth).
    authorization: Option<http::HeaderValue>,
    tls: Option<tokio_rustls::TlsConnector>,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    /// Requests written to the server (each attempt counts).
    sent: AtomicU64,
}

/// A whole answer: status and body.
pub struct Answer {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// The body, read to its end.
    pub body: Bytes,
}

impl Client {
    /// A client for `endpoint`; connects lazily.
    pub fn new(endpoint: Endpoint, token: &str) -> Result<Client, String> {
        let authorization = if token.is_empty() {
            None
        } else {
            Some(
                http::HeaderValue::try_from(format!("Bearer {token}"))
                    .map_err(|_| "the token holds characters a header cannot carry")?,
            )
        };
        let tls = if endpoint.https {
            // The ring provider explicitly: it is the one compiled in (wasmtime-wasi-http uses it
            // too), and naming it keeps the choice from depending on feature unification.
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
            let config =
                rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                    .with_safe_default_protocol_versions()
                    .map_err(|e| format!("TLS set-up: {e}"))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
            Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        Ok(Client { endpoint, authorization, tls, idle: Mutex::new(Vec::new()), sent: AtomicU64::new(0) })
    }

    /// Requests sent so far.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Opens a new connection.
    async fn dial(&self) -> Result<SendRequest<Full<Bytes>>, RemoteError> {
        let unreachable = |reason: String| RemoteError::Unreachable { reason };
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.endpoint.authority))
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(e.to_string()))?;
        // Statements are small requests answered at once: do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(self.endpoint.host.clone())
                    .map_err(|e| unreachable(format!("bad TLS server name: {e}")))?;
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, tls.connect(name, tcp))
                    .await
                    .map_err(|_| unreachable("TLS handshake timed out".into()))?
                    .map_err(|e| unreachable(format!("TLS: {e}")))?;
                Box::new(stream)
            }
        };
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| unreachable(format!("HTTP handshake: {e}")))?;
        // The connection task ends when the server closes it or every sender is dropped.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "libSQL server connection ended");
            }
        });
        Ok(sender)
    }

    fn request(&self, path: &str, body: Bytes) -> http::Request<Full<Bytes>> {
        let mut request = http::Request::post(format!("{}{path}", self.endpoint.prefix))
            .header(http::header::HOST, &self.endpoint.authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .expect("a path and static headers make a valid request");
        if let Some(auth) = &self.authorization {
            request.headers_mut().insert(http::header::AUTHORIZATION, auth.clone());
        }
        request
    }

    /// POSTs `body` to `path` and reads the whole answer.
    ///
    /// A kept-alive connection the server has since closed is noticed when the request cannot be
    /// written; only then (the request provably never left) is it sent again on a new connection.
    /// A request that may have reached the server is never repeated: a statement runs at most once.
    pub async fn post(&self, path: &str, body: Bytes) -> Result<Answer, RemoteError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.post_untimed(path, body))
            .await
            .map_err(|_| RemoteError::Timeout { seconds: REQUEST_TIMEOUT.as_secs() })?
    }

    async fn post_untimed(&self, path: &str, body: Bytes) -> Result<Answer, RemoteError> {
        let mut request = self.request(path, body);
        loop {
            let reused = self.idle.lock().expect("idle connections lock").pop();
            let fresh = reused.is_none();
            let mut sender = match reused {
                Some(s) => s,
                None => self.dial().await?,
            };
            if sender.ready().await.is_err() {
                if fresh {
                    return Err(RemoteError::Unreachable { reason: "the connection closed at once".into() });
                }
                continue;
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
            let response = match sender.try_send_request(request).await {
                Ok(r) => r,
                Err(mut e) => match e.take_message() {
                    Some(unsent) if !fresh => {
                        request = unsent;
                        continue;
                    }
                    _ => return Err(RemoteError::Unreachable { reason: e.into_error().to_string() }),
                },
            };
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| RemoteError::Unreachable { reason: format!("reading the answer: {e}") })?
                .to_bytes();
            let mut idle = self.idle.lock().expect("idle connections lock");
            if !sender.is_closed() && idle.len() < MAX_IDLE_CONNECTIONS {
                idle.push(sender);
            }
            return Ok(Answer { status, body });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_what_dialling_needs() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((e.https, e.authority.as_str(), e.prefix.as_str()), (false, "127.0.0.1:8080", ""));
        let e = Endpoint::parse("https://db-org.turso.io/").unwrap();
        assert_eq!((e.https, e.authority.as_str(), e.host.as_str()), (true, "db-org.turso.io:443", "db-org.turso.io"));
        let e = Endpoint::parse("http://[::1]:9000/base/").unwrap();
        assert_eq!((e.authority.as_str(), e.host.as_str(), e.prefix.as_str()), ("[::1]:9000", "::1", "/base"));
    }

    #[test]
    fn urls_the_edge_cannot_use_are_refused() {
        for bad in
            ["libsql://db.turso.io", "http://", "127.0.0.1:8080", "http://u:p@host", "http://h/?x=1", "http://a b"]
        {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
