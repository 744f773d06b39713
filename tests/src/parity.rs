//! Parity fixtures: the fixture apps' manifests, what the `echo` component reports (`Echo`), a
//! local upstream HTTP server for the outbound tests (`Upstream`), and copying a fixture folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::http::REQUEST_TIMEOUT;
use crate::{app_manifest, Json, Reply};

/// The parity fixture app.
pub fn parity_manifest() -> PathBuf {
    app_manifest("parity")
}

/// What the echo component reports about the request it received.
#[derive(Debug, Clone)]
pub struct Echo(pub Json);

impl Echo {
    pub fn from_reply(reply: &Reply) -> Echo {
        assert_eq!(reply.status, 200, "echo answered {}: {}", reply.status, reply.text());
        Echo(reply.json())
    }

    /// `environment.WHO` of the component that answered.
    pub fn who(&self) -> String {
        self.env("WHO").unwrap_or_else(|| panic!("echo has no WHO: {}", self.0))
    }

    pub fn env(&self, name: &str) -> Option<String> {
        self.0["env"][name].as_str().map(str::to_owned)
    }

    /// All values the guest saw for header `name`, in order.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .expect("headers array")
            .iter()
            .filter(|pair| pair[0].as_str() == Some(name))
            .map(|pair| pair[1].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The single value of header `name`; panics if it is absent or repeated.
    pub fn header(&self, name: &str) -> String {
        let values = self.header_all(name);
        assert_eq!(
            values.len(),
            1,
            "guest should see exactly one `{name}` header, saw {values:?}; all headers: {}",
            self.0["headers"]
        );
        values[0].clone()
    }

    pub fn header_names(&self) -> Vec<String> {
        self.0["headers"]
            .as_array()
            .expect("headers array")
            .iter()
            .map(|pair| pair[0].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn str_field(&self, field: &str) -> String {
        self.0[field].as_str().unwrap_or_else(|| panic!("echo field {field} missing: {}", self.0)).to_owned()
    }
}

/// Copies a directory tree (the fixture `migrations/` folder) so a test can edit the copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy target");
    for entry in std::fs::read_dir(from).expect("read source dir") {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A tiny HTTP/1.1 server on `127.0.0.1:<random port>` for outbound-HTTP tests. It answers every
/// request `200` with body `hello from <name>` and header `x-upstream: <name>`, closes each
/// connection after one exchange, and counts what reached it. It runs on its own thread (with its
/// own tokio runtime), so it serves whatever the test's runtime is doing; dropped, it stops.
pub struct Upstream {
    pub name: String,
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Upstream {
    pub fn start(name: &str) -> Upstream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let (name_, connections_, requests_) = (name.to_owned(), Arc::clone(&connections), Arc::clone(&requests));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("upstream runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        };
                        connections_.fetch_add(1, Ordering::SeqCst);
                        let (name, requests) = (name_.clone(), Arc::clone(&requests_));
                        tokio::spawn(serve_one(stream, name, requests));
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stop => {}
                }
            });
        });
        Upstream { name: name.to_owned(), addr, connections, requests, shutdown: Some(shutdown) }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), path)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The head (request line and headers, `\r\n`-separated) of every request received so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve_one(mut stream: tokio::net::TcpStream, name: String, requests: Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(REQUEST_TIMEOUT, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let end = head.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    requests.lock().unwrap().push(String::from_utf8_lossy(&head[..end]).into_owned());
    let body = format!("hello from {name}");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-upstream: {name}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
