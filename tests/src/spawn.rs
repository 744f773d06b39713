//! Spawning the edge: where the `wenming` binary and the fixture apps are, `Edge` (a running
//! `wenming up` on `127.0.0.1:0` with a fresh state dir, killed on drop), `Launch` (its settings:
//! environment, arguments, an existing state dir), `Exited` (a start that failed), and one-shot
//! `wenming` commands (`wenming_migrate`; `wenming call` is in `product`).

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::http::REQUEST_TIMEOUT;

/// How long `Edge::start` waits for the `Serving http://…` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The Cargo workspace root (`tests/..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/apps/<name>/spin.toml`.
pub fn app_manifest(name: &str) -> PathBuf {
    workspace_root().join("tests/apps").join(name).join("spin.toml")
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

pub(crate) fn capture<R: Read + Send + 'static>(stream: R, lines: Option<mpsc::Sender<String>>) -> Captured {
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
    pub(crate) client: reqwest::Client,
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
            .args(crate::backend::runtime_config_args(state_dir.path(), &args))
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

    /// The default SQLite database file: `<state-dir>/sqlite_db.db`, or the file the state dir's
    /// sqld serves when the run is on sqld (see [`crate::backend`]).
    pub fn db_path(&self) -> PathBuf {
        crate::backend::default_db_file(self.state_dir.path())
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
    let dir = tempfile::Builder::new().prefix("wenming-state-").tempdir().expect("create temp state dir");
    crate::backend::prepare_state_dir(dir.path());
    dir
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
    let mut command = Command::new(wenming_bin());
    let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.as_ref().to_os_string()).collect();
    command.arg("migrate");
    // On sqld, the state dir's runtime config goes along, as for `up` and `call`.
    let state_dir = args.iter().position(|a| a == "--state-dir").and_then(|i| args.get(i + 1));
    if let Some(dir) = state_dir {
        command.args(crate::backend::runtime_config_args(Path::new(dir), &args));
    }
    command.args(&args);
    run_to_completion(command, "wenming migrate", Duration::from_secs(60))
}

/// Runs a one-shot command with its output captured; panics with that output if it is still
/// running after `limit`.
pub(crate) fn run_to_completion(mut command: Command, what: &str, limit: Duration) -> CommandOutput {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let stdout = capture(child.stdout.take().unwrap(), None);
    let stderr = capture(child.stderr.take().unwrap(), None);
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("wait for {what}: {e}")) {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish in {} s\n--- stdout ---\n{}\n--- stderr ---\n{}",
                limit.as_secs(),
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
}
