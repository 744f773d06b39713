//! Which database the edges under test use: the local file (the default) or a real libSQL
//! server, chosen by `WENMING_TEST_BACKEND=sqld`.
//!
//! On sqld, every fresh state dir gets its own sqld (`$WENMING_SQLD`, else the binary
//! `scripts/lib.sh`'s `ensure_sqld` caches under `target/sqld/`), its data under `<state>/sqld/`
//! and a `<state>/runtime-config.toml` pointing `default` at it. The harness passes that config
//! to every `wenming up`, `migrate` and `call` on the state dir, so a test runs unchanged on
//! either backend. A small shell watchdog stops the server once the state dir is removed or the
//! test process is gone, so no sqld outlives its test.
//!
//! Tests read the database through [`crate::db`], which opens the file sqld serves
//! (`<state>/sqld/dbs/default/data`, an ordinary SQLite file in WAL mode): what is checked is
//! what the server committed.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::workspace_root;

/// The file name of the runtime config the harness writes into a state dir on sqld.
pub const RUNTIME_CONFIG: &str = "runtime-config.toml";

/// Whether this run uses a libSQL server.
pub fn on_sqld() -> bool {
    std::env::var("WENMING_TEST_BACKEND").is_ok_and(|v| v == "sqld")
}

/// The sqld binary: `$WENMING_SQLD`, else the one `ensure_sqld` caches.
pub fn sqld_bin() -> PathBuf {
    let bin = std::env::var_os("WENMING_SQLD")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/sqld/sqld-0.24.32"));
    assert!(
        bin.is_file(),
        "sqld not found at {} (run `source scripts/lib.sh && ensure_sqld`, or set WENMING_SQLD)",
        bin.display()
    );
    bin
}

/// A running sqld for one state dir.
#[derive(Debug, Clone)]
pub struct Sqld {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its data folder.
    pub data: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    /// The watchdog shell whose child sqld is.
    watchdog: u32,
}

impl Sqld {
    /// The SQLite file sqld keeps the `default` namespace in.
    pub fn db_file(&self) -> PathBuf {
        self.data.join("dbs/default/data")
    }

    /// Stops the server (its data stays) and waits until its port is closed.
    pub fn stop(&self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.watchdog.to_string()).status();
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            assert!(Instant::now() < deadline, "sqld on port {} did not stop", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server again on the same port and data.
    pub fn restart(&self, dir: &Path) -> Sqld {
        start_sqld_on(dir, Some(self.port), &[])
    }
}

/// A free loopback port (the kernel's pick; released just before sqld binds it).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("pick a free port").port()
}

/// Starts a sqld whose data lives in `<dir>/sqld`, waits until it answers, and returns where it
/// listens. `extra` are more sqld arguments (e.g. `--http-auth`).
pub fn start_sqld(dir: &Path, extra: &[&str]) -> Sqld {
    start_sqld_on(dir, None, extra)
}

/// Like [`start_sqld`], on a given port (to bring a stopped server back where it was).
pub fn start_sqld_on(dir: &Path, port: Option<u16>, extra: &[&str]) -> Sqld {
    let bin = sqld_bin();
    let data = dir.join("sqld");
    for _attempt in 0..3 {
        let port = port.unwrap_or_else(free_port);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // The watchdog: sqld runs as its child; it is killed when the state dir disappears
        // (TempDir dropped) or the test process exits.
        let script = r#"
            "$1" -d "$2" --http-listen-addr "$3" --no-welcome "${@:6}" >>"$4" 2>&1 &
            child=$!
            trap 'kill "$child" 2>/dev/null; exit 0' TERM
            while kill -0 "$5" 2>/dev/null && [ -d "$2" ] && kill -0 "$child" 2>/dev/null; do sleep 0.3; done
            kill "$child" 2>/dev/null
        "#;
        std::fs::create_dir_all(&data).expect("create sqld data dir");
        let watchdog = Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg("sqld-watchdog")
            .arg(&bin)
            .arg(&data)
            .arg(addr.to_string())
            .arg(dir.join("sqld.log"))
            .arg(std::process::id().to_string())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sqld")
            .id();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                && data.join("dbs/default").is_dir()
            {
                return Sqld { url: format!("http://{addr}"), data, port, watchdog };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Most likely another test took the port first: try another.
    }
    let log = std::fs::read_to_string(dir.join("sqld.log")).unwrap_or_default();
    panic!("sqld did not start in {}:\n{log}", dir.display());
}

/// On sqld: starts this state dir's server and writes the runtime config naming it.
pub fn prepare_state_dir(dir: &Path) {
    if on_sqld() {
        // `WENMING_SQLD_ARGS` adds server flags to every such sqld (e.g. its connection limit).
        let extra = std::env::var("WENMING_SQLD_ARGS").unwrap_or_default();
        let extra: Vec<&str> = extra.split_whitespace().collect();
        let sqld = start_sqld(dir, &extra);
        write_runtime_config(dir, &sqld.url, "");
    }
}

/// Writes `<dir>/runtime-config.toml` putting `default` on the libSQL server at `url`; the
/// harness passes it to every `wenming` command on that state dir.
pub fn write_runtime_config(dir: &Path, url: &str, token: &str) -> PathBuf {
    let file = dir.join(RUNTIME_CONFIG);
    let config = format!("[sqlite_database.default]\ntype = \"libsql\"\nurl = \"{url}\"\ntoken = \"{token}\"\n");
    std::fs::write(&file, config).expect("write runtime config");
    file
}

/// A new state dir whose `default` database is on a sqld of its own, whatever the backend of
/// this run (for the tests of the libSQL backend itself).
pub fn state_dir_on_sqld() -> (tempfile::TempDir, Sqld) {
    let dir = tempfile::Builder::new().prefix("wenming-state-").tempdir().expect("create temp state dir");
    let sqld = start_sqld(dir.path(), &[]);
    write_runtime_config(dir.path(), &sqld.url, "");
    (dir, sqld)
}

/// `--runtime-config-file <state>/runtime-config.toml` when the state dir has one (sqld mode)
/// and the caller gives none of its own (a test of runtime configs keeps its own, and with it
/// the local file).
pub fn runtime_config_args(state_dir: &Path, given: &[std::ffi::OsString]) -> Vec<std::ffi::OsString> {
    let file = state_dir.join(RUNTIME_CONFIG);
    if !file.is_file() || given.iter().any(|a| a == "--runtime-config-file") {
        return Vec::new();
    }
    vec!["--runtime-config-file".into(), file.into_os_string()]
}

/// The database file behind a state dir: sqld's file on sqld, `<state>/sqlite_db.db` otherwise.
pub fn default_db_file(state_dir: &Path) -> PathBuf {
    let served = state_dir.join("sqld/dbs/default/data");
    if state_dir.join(RUNTIME_CONFIG).is_file() && served.is_file() {
        return served;
    }
    state_dir.join("sqlite_db.db")
}
