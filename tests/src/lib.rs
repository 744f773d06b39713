//! Harness for Wenming's end-to-end Spin-parity tests.
//!
//! Every test starts its own `wenming up` child process on `127.0.0.1:0` with a fresh state
//! directory, learns the address from the `Serving http://<addr>` line on stdout, and talks to it
//! over real HTTP. The binary is `$WENMING_BIN`, else `<workspace>/target/release/wenming`; the
//! fixture apps under `tests/apps/` need `echo.wasm` and `dbprobe.wasm` (and, for the
//! `capabilities/*` apps, `capabilities.wasm`) built first:
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 -p echo -p dbprobe -p capabilities
//! cargo build --release -p wenming-edge
//! cargo test --release -p wenming-tests
//! ```
//!
//! `Edge::launch` starts an edge with extra environment variables or on an existing state dir;
//! `Edge::stop` hands the state dir back for a restart. `Upstream` is a tiny local HTTP server
//! that counts what reaches it, for the outbound-HTTP tests.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub use serde_json::{json, Value as Json};

/// How long `Edge::start` waits for the `Serving http://…` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for any single HTTP exchange in the tests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The Cargo workspace root (`tests/..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/apps/<name>/spin.toml`.
pub fn app_manifest(name: &str) -> PathBuf {
    workspace_root().join("tests/apps").join(name).join("spin.toml")
}

/// The parity fixture app.
pub fn parity_manifest() -> PathBuf {
    app_manifest("parity")
}

/// The `wenming` binary under test.
pub fn wenming_bin() -> PathBuf {
    let bin = match std::env::var_os("WENMING_BIN") {
        Some(path) => PathBuf::from(path),
        None => workspace_root().join("target/release/wenming"),
    };
    assert!(
        bin.is_file(),
        "wenming binary not found at {} (set WENMING_BIN or run `cargo build --release -p wenming-edge`)",
        bin.display()
    );
    bin
}

/// The wasmtime compilation cache shared by all test edges (keeps start-up fast).
pub fn cache_dir() -> PathBuf {
    workspace_root().join("target/wenming-test-cache")
}

fn assert_components_built() {
    require_components(&["echo", "dbprobe"]);
}

/// Panics with the build command unless `target/wasm32-wasip2/release/<name>.wasm` exists for
/// every name (for fixtures that use components beyond echo and dbprobe).
pub fn require_components(names: &[&str]) {
    for name in names {
        let wasm = workspace_root().join(format!("target/wasm32-wasip2/release/{name}.wasm"));
        assert!(
            wasm.is_file(),
            "{} is missing: run `cargo build --release --target wasm32-wasip2 -p {name}`",
            wasm.display()
        );
    }
}

/// Variables of the test process that would change what an edge does; a child edge never
/// inherits them, so only what a test passes with `Launch::env` applies.
fn is_edge_setting(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with("SPIN_VARIABLE_") || name == "RUNTIME_CONFIG_FILE"
}

/// Shared, growing copy of a child's output stream.
type Captured = Arc<Mutex<String>>;

fn capture<R: Read + Send + 'static>(stream: R, lines: Option<mpsc::Sender<String>>) -> Captured {
    let captured: Captured = Arc::default();
    let sink = Arc::clone(&captured);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    sink.lock().unwrap().push_str(&line);
                    if let Some(tx) = &lines {
                        let _ = tx.send(line.trim_end().to_owned());
                    }
                }
            }
        }
    });
    captured
}

/// A `wenming` process that exited (or was never ready) instead of serving.
#[derive(Debug)]
pub struct Exited {
    pub status: Option<ExitStatus>,
    /// The state dir the attempt used, kept so the test can inspect it.
    pub state_dir: TempDir,
    pub stdout: String,
    pub stderr: String,
}

impl Exited {
    /// stdout and stderr together, for message assertions.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A running `wenming up`, killed on drop.
pub struct Edge {
    pub addr: SocketAddr,
    pub state_dir: TempDir,
    child: Child,
    stdout: Captured,
    stderr: Captured,
    client: reqwest::Client,
}

impl Edge {
    /// Starts `wenming up -f <manifest>` with a fresh state dir; panics if it does not serve.
    pub fn start(manifest: &Path, extra_args: &[&str]) -> Edge {
        Self::launch(manifest).args(extra_args).start()
    }

    /// Like `start`, but returns the exit status and output if the edge exits instead.
    pub fn try_start(manifest: &Path, extra_args: &[&str]) -> Result<Edge, Exited> {
        Self::launch(manifest).args(extra_args).try_start()
    }

    /// Starts with an existing state dir (e.g. one that `wenming migrate` already touched).
    pub fn try_start_in(manifest: &Path, state_dir: TempDir, extra_args: &[&str]) -> Result<Edge, Exited> {
        Self::launch(manifest).state_dir(state_dir).args(extra_args).try_start()
    }

    /// A start with more settings: environment variables for the child, an existing state dir.
    pub fn launch(manifest: &Path) -> Launch {
        Launch { manifest: manifest.to_path_buf(), state_dir: None, args: Vec::new(), env: Vec::new() }
    }

    fn spawn(launch: Launch) -> Result<Edge, Exited> {
        assert_components_built();
        let Launch { manifest, state_dir, args, env } = launch;
        let state_dir = state_dir.unwrap_or_else(fresh_state_dir);
        let mut command = Command::new(wenming_bin());
        command
            .arg("up")
            .arg("-f")
            .arg(&manifest)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(state_dir.path())
            .arg("--cache-dir")
            .arg(cache_dir())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os().filter(|(n, _)| is_edge_setting(n)) {
            command.env_remove(name);
        }
        command.envs(env);
        let mut child = command.spawn().expect("spawn wenming up");

        let (tx, rx) = mpsc::channel();
        let stdout = capture(child.stdout.take().unwrap(), Some(tx));
        let stderr = capture(child.stderr.take().unwrap(), None);

        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    if let Some(addr) = parse_serving_line(&line) {
                        break Some(addr);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() >= deadline {
                        break None;
                    }
                }
                // stdout closed: the process is exiting.
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            }
            if let Ok(Some(_)) = child.try_wait() {
                break None;
            }
        };

        let Some(addr) = addr else {
            // Give an exiting process up to 5 s to finish, then make sure it is gone.
            let grace = Instant::now() + Duration::from_secs(5);
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() < grace => std::thread::sleep(Duration::from_millis(20)),
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break None;
                    }
                }
            };
            std::thread::sleep(Duration::from_millis(100)); // let the readers drain
            let stdout = stdout.lock().unwrap().clone();
            let stderr = stderr.lock().unwrap().clone();
            return Err(Exited { status, state_dir, stdout, stderr });
        };

        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client");
        Ok(Edge { addr, state_dir, child, stdout, stderr, client })
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The default SQLite database file: `<state-dir>/sqlite_db.db`.
    pub fn db_path(&self) -> PathBuf {
        self.state_dir.path().join("sqlite_db.db")
    }

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

    /// Everything the edge wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything the edge wrote to stderr so far (the access log goes there).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for a stderr line satisfying `pred`; returns it.
    pub async fn wait_for_stderr_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.stderr().lines().find(|l| pred(l)) {
                return Some(line.to_owned());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM, as a service manager stopping the edge would.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the child to exit; its exit status, or `None` if it is still up.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True while the child process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the edge (SIGKILL, as a crash would) and hands back its state dir, so a second edge
    /// can be started on the same data with `Edge::launch(..).state_dir(dir)`.
    pub fn stop(mut self) -> TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // `Edge` implements Drop, so the field cannot be moved out; leave an empty dir behind.
        std::mem::replace(&mut self.state_dir, fresh_state_dir())
    }
}

/// The settings of one `wenming up` start; see `Edge::launch`.
#[must_use = "call start() or try_start()"]
pub struct Launch {
    manifest: PathBuf,
    state_dir: Option<TempDir>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Launch {
    /// Appends command-line arguments after the harness's own.
    pub fn args<S: AsRef<OsStr>>(mut self, args: &[S]) -> Launch {
        self.args.extend(args.iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Sets an environment variable of the child (e.g. `SPIN_VARIABLE_<NAME>`). The test
    /// process's own `SPIN_VARIABLE_*` and `RUNTIME_CONFIG_FILE` are never passed on.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Launch {
        self.env.push((name.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// Serves from an existing state dir instead of a fresh one.
    pub fn state_dir(mut self, dir: TempDir) -> Launch {
        self.state_dir = Some(dir);
        self
    }

    /// Starts the edge; panics with its output if it does not serve.
    pub fn start(self) -> Edge {
        self.try_start().unwrap_or_else(|e| {
            panic!(
                "wenming up did not start (status {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                e.status, e.stdout, e.stderr
            )
        })
    }

    /// Starts the edge, or returns the exit status and output if it exits instead.
    pub fn try_start(self) -> Result<Edge, Exited> {
        Edge::spawn(self)
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_serving_line(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("Serving http://")? + "Serving http://".len()..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A new empty state directory.
pub fn fresh_state_dir() -> TempDir {
    tempfile::Builder::new().prefix("wenming-state-").tempdir().expect("create temp state dir")
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

/// Result of a one-shot `wenming` command.
#[derive(Debug)]
pub struct CommandOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// stdout and stderr together, for message assertions.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `wenming migrate <args…>` to completion (60 s limit).
pub fn wenming_migrate<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CommandOutput {
    let mut child = Command::new(wenming_bin())
        .arg("migrate")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wenming migrate");
    let stdout = capture(child.stdout.take().unwrap(), None);
    let stderr = capture(child.stderr.take().unwrap(), None);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for wenming migrate") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "wenming migrate did not finish in 60 s\n--- stdout ---\n{}\n--- stderr ---\n{}",
                stdout.lock().unwrap(),
                stderr.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(50)); // let the readers drain
    let stdout = stdout.lock().unwrap().clone();
    let stderr = stderr.lock().unwrap().clone();
    CommandOutput { status, stdout, stderr }
}

/// Opens an existing SQLite file (never creates one) to check what the edge wrote. Opened
/// read-write so a WAL-mode database can be read while the edge holds it; the tests only read.
pub fn open_db(path: &Path) -> rusqlite::Connection {
    assert!(path.is_file(), "database file {} does not exist", path.display());
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open database");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

/// Whether `table` exists in the database at `path`.
pub fn table_exists(path: &Path, table: &str) -> bool {
    let conn = open_db(path);
    conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |row| {
        row.get::<_, i64>(0)
    })
    .expect("query sqlite_master")
        > 0
}

/// `SELECT count(*) FROM <table>`.
pub fn row_count(path: &Path, table: &str) -> i64 {
    let conn = open_db(path);
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("count rows of {table}: {e}"))
}

/// Rows of `schema_migrations` as (version, name, checksum, applied_at), ordered by version.
/// `version` is normalised to a number whether it is stored as INTEGER or as text like "0001".
pub fn schema_migrations(path: &Path) -> Vec<MigrationRow> {
    let conn = open_db(path);
    let mut stmt = conn
        .prepare("SELECT version, name, checksum, applied_at FROM schema_migrations")
        .expect("schema_migrations has version, name, checksum, applied_at");
    let mut rows: Vec<MigrationRow> = stmt
        .query_map([], |row| {
            Ok(MigrationRow {
                version: value_to_version(row.get_ref(0)?),
                name: value_to_string(row.get_ref(1)?),
                checksum: value_to_string(row.get_ref(2)?),
                applied_at: value_to_string(row.get_ref(3)?),
            })
        })
        .expect("query schema_migrations")
        .collect::<Result<_, _>>()
        .expect("read schema_migrations");
    rows.sort_by_key(|r| r.version);
    rows
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
}

fn value_to_version(v: rusqlite::types::ValueRef<'_>) -> i64 {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Integer(i) => i,
        ValueRef::Text(t) => {
            let s = String::from_utf8_lossy(t);
            s.trim().parse().unwrap_or_else(|_| panic!("schema_migrations.version {s:?} is not a number"))
        }
        other => panic!("schema_migrations.version has unexpected type {other:?}"),
    }
}

fn value_to_string(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
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

// ---------------------------------------------------------------------------------------------
// The product: the Wenming app itself (`spin.toml` at the workspace root), bootstrapped the way
// an operator does it (`wenming call … bootstrap POST /centre-admin`), driven as its users are:
// bearer sessions from `POST /api/v1/sessions`.
// ---------------------------------------------------------------------------------------------

/// The centre the product harness bootstraps.
pub const CENTRE_NAME: &str = "示范县新时代文明实践中心";
/// The first centre admin the product harness bootstraps.
pub const CENTRE_ADMIN_NAME: &str = "中心管理员";
pub const CENTRE_ADMIN_PHONE: &str = "13900000000";
pub const CENTRE_ADMIN_PASSWORD: &str = "centre-admin-pw";
/// The demo data's institute admin (README's demo credentials).
pub const DEMO_INSTITUTE_ADMIN_PHONE: &str = "13800000001";
pub const DEMO_INSTITUTE_ADMIN_PASSWORD: &str = "wenming-demo-1";

/// The components the directory/identity product tests need built.
pub const PRODUCT_COMPONENTS: [&str; 6] = ["identity", "directory", "volunteers", "bootstrap", "wechat", "mediation"];

/// The product manifest: `$WENMING_PRODUCT_MANIFEST`, else `<workspace>/spin.toml`.
pub fn product_manifest() -> PathBuf {
    match std::env::var_os("WENMING_PRODUCT_MANIFEST") {
        Some(path) => PathBuf::from(path),
        None => workspace_root().join("spin.toml"),
    }
}

/// Runs `wenming call -f <manifest> --state-dir <dir> --cache-dir <cache_dir()> <args…>` to
/// completion (300 s limit): one request to one component in-process, private ones included.
pub fn wenming_call<S: AsRef<OsStr>>(manifest: &Path, state_dir: &Path, args: &[S]) -> CommandOutput {
    let mut child = Command::new(wenming_bin())
        .args(["call", "-f"])
        .arg(manifest)
        .arg("--state-dir")
        .arg(state_dir)
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(args)
        .env_remove("RUNTIME_CONFIG_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wenming call");
    let stdout = capture(child.stdout.take().unwrap(), None);
    let stderr = capture(child.stderr.take().unwrap(), None);
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for wenming call") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "wenming call did not finish in 300 s\n--- stdout ---\n{}\n--- stderr ---\n{}",
                stdout.lock().unwrap(),
                stderr.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(50)); // let the readers drain
    let stdout = stdout.lock().unwrap().clone();
    let stderr = stderr.lock().unwrap().clone();
    CommandOutput { status, stdout, stderr }
}

/// `wenming call … bootstrap POST /centre-admin` with the harness's centre and centre admin.
pub fn bootstrap_centre_admin(state_dir: &Path) -> CommandOutput {
    let body = json!({
        "centre_name": CENTRE_NAME,
        "admin_name": CENTRE_ADMIN_NAME,
        "phone": CENTRE_ADMIN_PHONE,
        "password": CENTRE_ADMIN_PASSWORD,
    })
    .to_string();
    wenming_call(&product_manifest(), state_dir, &["bootstrap", "POST", "/centre-admin", "--body", &body])
}

/// `wenming call … bootstrap POST /demo`: the believable demo county.
pub fn bootstrap_demo(state_dir: &Path) -> CommandOutput {
    wenming_call(&product_manifest(), state_dir, &["bootstrap", "POST", "/demo"])
}

/// A product start on a fresh state dir that is already bootstrapped (centre + centre admin, and
/// the demo data when `demo`); add `.env(..)`/`.args(..)` and `.start()`.
pub fn product_launch(demo: bool) -> Launch {
    require_components(&PRODUCT_COMPONENTS);
    let state_dir = fresh_state_dir();
    let centre = bootstrap_centre_admin(state_dir.path());
    assert!(centre.success(), "bootstrap POST /centre-admin failed ({:?}):\n{}", centre.status, centre.output());
    if demo {
        let seeded = bootstrap_demo(state_dir.path());
        assert!(seeded.success(), "bootstrap POST /demo failed ({:?}):\n{}", seeded.status, seeded.output());
    }
    Edge::launch(&product_manifest()).state_dir(state_dir)
}

/// The product, bootstrapped with the harness's centre admin (no demo data), serving.
pub fn start_product() -> Edge {
    product_launch(false).start()
}

/// The product with the centre admin and the demo data, serving.
pub fn start_product_with_demo() -> Edge {
    product_launch(true).start()
}

/// Now, in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

impl Edge {
    /// A request with `Authorization: Bearer <token>` (when given) and a JSON body (when given,
    /// with `content-type: application/json`), plus `headers`.
    pub async fn api(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Json>,
    ) -> Reply {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut all: Vec<(&str, &str)> = Vec::new();
        if let Some(value) = &authorization {
            all.push(("authorization", value.as_str()));
        }
        if body.is_some() {
            all.push(("content-type", "application/json"));
        }
        all.extend_from_slice(headers);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.request(method, path, &all, bytes).await
    }

    /// `GET` as the holder of `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "GET", path, &[], None).await
    }

    /// `POST` a JSON body as the holder of `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Json) -> Reply {
        self.api(Some(token), "POST", path, &[], Some(body)).await
    }

    /// `POST` with no body (actions such as `/approve`) as the holder of `token`.
    pub async fn post_empty_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "POST", path, &[], None).await
    }

    /// `PATCH` a JSON body as the holder of `token`.
    pub async fn patch_as(&self, token: &str, path: &str, body: &Json) -> Reply {
        self.api(Some(token), "PATCH", path, &[], Some(body)).await
    }

    /// `DELETE` as the holder of `token`.
    pub async fn delete_as(&self, token: &str, path: &str) -> Reply {
        self.api(Some(token), "DELETE", path, &[], None).await
    }

    /// `POST /api/v1/sessions {"phone", "password"}`, whatever the answer.
    pub async fn try_sign_in(&self, phone: &str, password: &str) -> Reply {
        let body = json!({ "phone": phone, "password": password });
        self.api(None, "POST", "/api/v1/sessions", &[], Some(&body)).await
    }

    /// A staff sign-in that must succeed (201): the whole answer (`token`, `expires_at`,
    /// `account`).
    pub async fn session(&self, phone: &str, password: &str) -> Json {
        let reply = self.try_sign_in(phone, password).await;
        assert_eq!(reply.status, 201, "sign-in of {phone} failed: {}", reply.text());
        let session = reply.json();
        assert!(session["token"].is_string(), "no token in {session}");
        session
    }

    /// A staff sign-in that must succeed: the bearer token.
    pub async fn sign_in(&self, phone: &str, password: &str) -> String {
        self.session(phone, password).await["token"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/orgs` that must succeed (201): the new org.
    pub async fn create_org(&self, token: &str, parent_id: i64, name: &str, level: &str) -> Json {
        let body = json!({ "parent_id": parent_id, "name": name, "level": level });
        let reply = self.post_as(token, "/api/v1/orgs", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/orgs {body}: {}", reply.text());
        reply.json()
    }

    /// A staff member made by `admin`: `POST /api/v1/accounts` with a password, then
    /// `POST /api/v1/accounts/{id}/roles {role, org_id}`, then a password sign-in. Returns the
    /// account id and the new member's token.
    pub async fn create_staff(
        &self,
        admin: &str,
        name: &str,
        phone: &str,
        password: &str,
        role: &str,
        org_id: i64,
    ) -> (i64, String) {
        let account = self
            .post_as(admin, "/api/v1/accounts", &json!({ "name": name, "phone": phone, "password": password }))
            .await;
        assert_eq!(account.status, 201, "POST /api/v1/accounts for {phone}: {}", account.text());
        let id = account.json()["id"].as_i64().expect("account id");
        let grant = self
            .post_as(admin, &format!("/api/v1/accounts/{id}/roles"), &json!({ "role": role, "org_id": org_id }))
            .await;
        assert_eq!(grant.status, 201, "granting {role} at {org_id}: {}", grant.text());
        (id, self.sign_in(phone, password).await)
    }

    /// The harness's centre admin's token.
    pub async fn sign_in_centre_admin(&self) -> String {
        self.sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await
    }

    /// The newest `sign-in-code` SMS queued for `phone`, read from `GET /api/v1/outbox` by a
    /// holder of read-outbox (`sms_provider = none` shows codes whole).
    pub async fn latest_sign_in_code(&self, outbox_reader: &str, phone: &str) -> String {
        let reply = self.get_as(outbox_reader, &format!("/api/v1/outbox?recipient={phone}&limit=100")).await;
        assert_eq!(reply.status, 200, "GET /api/v1/outbox: {}", reply.text());
        let outbox = reply.json();
        let items = outbox["items"].as_array().unwrap_or_else(|| panic!("outbox has no items array: {outbox}"));
        let message = items
            .iter()
            .rfind(|m| m["template"] == "sign-in-code" && m["recipient"] == phone)
            .unwrap_or_else(|| panic!("no sign-in-code message to {phone} in the outbox: {outbox}"));
        let params = match &message["params"] {
            Json::String(text) => serde_json::from_str(text).unwrap_or(Json::Null),
            other => other.clone(),
        };
        params["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| params["code"].as_i64().map(|c| c.to_string()))
            .unwrap_or_else(|| panic!("the sign-in-code message has no code: {message}"))
    }

    /// Citizen/volunteer sign-in: `POST /api/v1/sms-codes`, the code from the outbox (read by
    /// `outbox_reader`), then `POST /api/v1/sessions {"phone", "code"}`. The whole session answer.
    pub async fn session_by_code(&self, outbox_reader: &str, phone: &str) -> Json {
        let asked = self.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await;
        assert_eq!(asked.status, 202, "POST /api/v1/sms-codes for {phone}: {}", asked.text());
        let code = self.latest_sign_in_code(outbox_reader, phone).await;
        let reply =
            self.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": phone, "code": code }))).await;
        assert_eq!(reply.status, 201, "code sign-in of {phone} failed: {}", reply.text());
        reply.json()
    }

    /// Like `session_by_code`, the bearer token only.
    pub async fn sign_in_by_code(&self, outbox_reader: &str, phone: &str) -> String {
        self.session_by_code(outbox_reader, phone).await["token"].as_str().expect("token").to_owned()
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

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.
pub fn resident_id_check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    assert_eq!(first17.len(), 17, "17 digits: {first17}");
    let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).expect("a digit") * w).sum();
    CHECK[(sum % 11) as usize] as char
}

/// An 18-character resident ID: `region` (6 digits) + `birth` (YYYYMMDD) + a 2-digit sequence +
/// the gender digit (odd = male) + the check character.
pub fn resident_id(region: &str, birth: &str, seq: u32, male: bool) -> String {
    assert!(region.len() == 6 && birth.len() == 8 && seq < 100);
    let gender_digit = if male { 1 + 2 * (seq % 5) } else { 2 * (seq % 5) };
    let first17 = format!("{region}{birth}{seq:02}{gender_digit}");
    let check = resident_id_check_char(&first17);
    format!("{first17}{check}")
}

/// Whether `id` is 17 digits plus the right check character.
pub fn resident_id_is_valid(id: &str) -> bool {
    id.len() == 18
        && id[..17].bytes().all(|b| b.is_ascii_digit())
        && id[17..].starts_with(resident_id_check_char(&id[..17]))
}

/// Whether `phone` is a mainland mobile number: `^1[3-9]\d{9}$`.
pub fn is_mobile(phone: &str) -> bool {
    let b = phone.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

// ---------------------------------------------------------------------------------------------
// Activities and check-in (`docs/activity-api.md`): the product with the request clock movable
// (`allow_clock_override` + `X-Wenming-Now`), a county with two stations and their admins, a
// team, volunteers registered by staff and signed in by SMS code, and activities applied for by
// the team leader and approved by the station admin — all through the API.
// ---------------------------------------------------------------------------------------------

/// The components the activity/check-in product tests need built (besides `PRODUCT_COMPONENTS`).
pub const ACTIVITY_COMPONENTS: [&str; 3] = ["activity", "checkin", "ledger"];

/// The request-clock header the product honours when `allow_clock_override` is `true`.
pub const CLOCK_HEADER: &str = "x-wenming-now";

/// The product (centre admin bootstrapped) with `SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE=true`, so
/// requests may carry `X-Wenming-Now: <unix seconds>`.
pub fn start_product_with_clock() -> Edge {
    require_components(&ACTIVITY_COMPONENTS);
    product_launch(false).env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true").start()
}

/// A whole hour about a week from now (unix seconds): a start time for test activities that is
/// in the future for the real clock too, and a multiple of 30 s (a dynamic-code window edge).
pub fn activity_base_time() -> i64 {
    (unix_now() / 3600 + 24 * 7) * 3600
}

/// Unix seconds → RFC 3339 in Asia/Shanghai (`2026-05-01T09:00:00+08:00`).
pub fn shanghai_rfc3339(unix: i64) -> String {
    let local = unix + 8 * 3600;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00", secs / 3600, secs / 60 % 60, secs % 60)
}

impl Edge {
    /// Like `api`, with the request clock set to `now` (`X-Wenming-Now`).
    pub async fn api_at(&self, token: Option<&str>, method: &str, path: &str, now: i64, body: Option<&Json>) -> Reply {
        let now = now.to_string();
        self.api(token, method, path, &[(CLOCK_HEADER, now.as_str())], body).await
    }

    /// `GET` as the holder of `token` at request time `now`.
    pub async fn get_at(&self, token: &str, path: &str, now: i64) -> Reply {
        self.api_at(Some(token), "GET", path, now, None).await
    }

    /// `POST` a JSON body as the holder of `token` at request time `now`.
    pub async fn post_at(&self, token: &str, path: &str, now: i64, body: &Json) -> Reply {
        self.api_at(Some(token), "POST", path, now, Some(body)).await
    }

    /// `DELETE` as the holder of `token` at request time `now`.
    pub async fn delete_at(&self, token: &str, path: &str, now: i64) -> Reply {
        self.api_at(Some(token), "DELETE", path, now, None).await
    }
}

/// A volunteer registered by staff and signed in by SMS code.
#[derive(Debug, Clone)]
pub struct SignedInVolunteer {
    /// `volunteers.id`.
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub token: String,
}

/// The county the activity and check-in tests use: the centre admin; an institute with stations
/// A and B, each with its own `station-admin`; a team at A led by a staff member without admin
/// roles. Everything made through the API on the product with the clock override on.
pub struct Town {
    pub edge: Edge,
    /// The centre admin's token (and the outbox reader for SMS codes).
    pub admin: String,
    pub centre: i64,
    pub institute: i64,
    pub a: i64,
    pub b: i64,
    pub admin_a: String,
    pub admin_a_id: i64,
    pub admin_b: String,
    pub admin_b_id: i64,
    pub team: i64,
    pub leader: String,
    pub leader_id: i64,
}

/// Phones the town's staff use; volunteers use `volunteer_phone(i)`.
pub const TOWN_ADMIN_A_PHONE: &str = "13911110001";
pub const TOWN_ADMIN_B_PHONE: &str = "13911110002";
pub const TOWN_LEADER_PHONE: &str = "13911110003";
pub const TOWN_STAFF_PASSWORD: &str = "town-staff-pw-1";

/// The phone of the `i`-th test volunteer.
pub fn volunteer_phone(i: usize) -> String {
    format!("137{:08}", 10_000 + i)
}

/// The birth date (`YYYYMMDD`, in 1990) of the `i`-th test volunteer.
pub fn volunteer_birth(i: usize) -> String {
    format!("1990{:02}{:02}", 1 + (i / 28) % 12, 1 + i % 28)
}

/// The resident ID number of the `i`-th test volunteer (valid, matching birth date and gender).
pub fn volunteer_id_number(i: usize) -> String {
    resident_id("110101", &volunteer_birth(i), (10 + i % 80) as u32, i.is_multiple_of(2))
}

/// Builds the `Town` on a fresh product with the clock override.
pub async fn town() -> Town {
    let edge = start_product_with_clock();
    let session = edge.session(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    let admin = session["token"].as_str().expect("token").to_owned();
    let centre = session["account"]["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["role"] == "centre-admin")
        .unwrap_or_else(|| panic!("no centre-admin role: {session}"))["org_id"]
        .as_i64()
        .expect("org_id");
    let id = |v: Json| v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"));
    let institute = id(edge.create_org(&admin, centre, "城关镇新时代文明实践所", "institute").await);
    let a = id(edge.create_org(&admin, institute, "东街社区实践站", "station").await);
    let b = id(edge.create_org(&admin, institute, "西街社区实践站", "station").await);
    let (admin_a_id, admin_a) =
        edge.create_staff(&admin, "东街站长", TOWN_ADMIN_A_PHONE, TOWN_STAFF_PASSWORD, "station-admin", a).await;
    let (admin_b_id, admin_b) =
        edge.create_staff(&admin, "西街站长", TOWN_ADMIN_B_PHONE, TOWN_STAFF_PASSWORD, "station-admin", b).await;
    let leader = edge
        .post_as(
            &admin,
            "/api/v1/accounts",
            &json!({ "name": "服务队长", "phone": TOWN_LEADER_PHONE, "password": TOWN_STAFF_PASSWORD }),
        )
        .await;
    assert_eq!(leader.status, 201, "POST /api/v1/accounts (leader): {}", leader.text());
    let leader_id = id(leader.json());
    let team = edge
        .post_as(
            &admin,
            "/api/v1/teams",
            &json!({ "org_id": a, "name": "东街邻里服务队", "leader_account_id": leader_id, "categories": ["助老", "环保"] }),
        )
        .await;
    assert_eq!(team.status, 201, "POST /api/v1/teams: {}", team.text());
    let team = id(team.json());
    let leader = edge.sign_in(TOWN_LEADER_PHONE, TOWN_STAFF_PASSWORD).await;
    Town { edge, admin, centre, institute, a, b, admin_a, admin_a_id, admin_b, admin_b_id, team, leader, leader_id }
}

impl Town {
    /// Registers the volunteer `i` (phone `volunteer_phone(i)`, a valid resident ID, born in
    /// 1990) at `home` as the centre admin; returns the registration answer.
    pub async fn register_volunteer(&self, i: usize, home: i64) -> Json {
        self.register_volunteer_with_phone(i, &volunteer_phone(i), home).await
    }

    /// Like `register_volunteer`, with a given phone (e.g. a staff member's, making the staff
    /// account a volunteer too).
    pub async fn register_volunteer_with_phone(&self, i: usize, phone: &str, home: i64) -> Json {
        let birth = volunteer_birth(i);
        let male = i.is_multiple_of(2);
        let body = json!({
            "real_name": format!("志愿者{i:02}"),
            "gender": if male { "male" } else { "female" },
            "birth_date": format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]),
            "phone": phone,
            "id_number": volunteer_id_number(i),
            "skills": ["助老"],
            "service_area": "城关镇东街",
            "home_org_id": home,
        });
        let reply = self.edge.post_as(&self.admin, "/api/v1/volunteers", &body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/volunteers {body}: {}", reply.text());
        reply.json()
    }

    /// Volunteers `first..first + n` registered at `home` and signed in by SMS code (the code read
    /// from the outbox by the centre admin).
    pub async fn volunteers(&self, first: usize, n: usize, home: i64) -> Vec<SignedInVolunteer> {
        let mut out = Vec::with_capacity(n);
        for i in first..first + n {
            let phone = volunteer_phone(i);
            let v = self.register_volunteer(i, home).await;
            let token = self.edge.sign_in_by_code(&self.admin, &phone).await;
            out.push(SignedInVolunteer {
                id: v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}")),
                account_id: v["account_id"].as_i64().unwrap_or_else(|| panic!("no account_id in {v}")),
                name: v["real_name"].as_str().unwrap_or_default().to_owned(),
                phone,
                id_number: volunteer_id_number(i),
                token,
            });
        }
        out
    }

    /// An activity application body hosted by the town's team at station A: `starts_at` →
    /// `ends_at` (unix seconds), sign-up deadline an hour before the start, public, no place.
    /// Adjust with `body["field"] = ...` before applying.
    pub fn activity_body(&self, title: &str, starts_at: i64, ends_at: i64, capacity: i64) -> Json {
        json!({
            "title": title,
            "category": "助老",
            "description": "为社区老人提供陪伴和生活帮助",
            "org_id": self.a,
            "team_id": self.team,
            "address": "东街社区活动中心",
            "starts_at": shanghai_rfc3339(starts_at),
            "ends_at": shanghai_rfc3339(ends_at),
            "signup_deadline": shanghai_rfc3339(starts_at - 3600),
            "capacity": capacity,
            "required_skills": [],
            "visibility": "public",
            "dynamic_code": false,
        })
    }

    /// Applies with `body` as the team leader (201) and approves as station A's admin (200);
    /// returns the approved activity (with `code`).
    pub async fn approved_activity(&self, body: &Json) -> Json {
        let applied = self.edge.post_as(&self.leader, "/api/v1/activities", body).await;
        assert_eq!(applied.status, 201, "POST /api/v1/activities {body}: {}", applied.text());
        let id = applied.json()["id"].as_i64().expect("activity id");
        let approved = self.edge.post_empty_as(&self.admin_a, &format!("/api/v1/activities/{id}/approve")).await;
        assert_eq!(approved.status, 200, "approving activity {id}: {}", approved.text());
        approved.json()
    }

    /// `POST /api/v1/activities/{id}/signups` by `v` that must be answered 201; the answer.
    pub async fn sign_up(&self, activity_id: i64, v: &SignedInVolunteer) -> Json {
        let reply = self.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{activity_id}/signups")).await;
        assert_eq!(reply.status, 201, "sign-up of {} to {activity_id}: {}", v.phone, reply.text());
        reply.json()
    }
}

#[cfg(test)]
mod product_tests {
    use super::*;

    #[test]
    fn resident_id_check_characters_follow_iso_7064() {
        // The standard's published example.
        assert_eq!(resident_id_check_char("11010519491231002"), 'X');
        assert!(resident_id_is_valid("11010519491231002X"));
        assert!(!resident_id_is_valid("110105194912310021"));
        let id = resident_id("110101", "19900307", 12, true);
        assert!(resident_id_is_valid(&id), "{id}");
        assert_eq!(&id[6..14], "19900307");
        assert_eq!(id.as_bytes()[16] % 2, 1, "odd gender digit for a man: {id}");
        let id = resident_id("110101", "19900307", 12, false);
        assert_eq!(id.as_bytes()[16] % 2, 0, "even gender digit for a woman: {id}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_line_yields_the_socket_address() {
        assert_eq!(parse_serving_line("Serving http://127.0.0.1:41234"), Some("127.0.0.1:41234".parse().unwrap()));
        assert_eq!(
            parse_serving_line("Serving http://127.0.0.1:80/ (3 routes)"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(parse_serving_line("Loading app"), None);
    }

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
