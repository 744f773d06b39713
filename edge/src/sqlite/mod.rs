//! SQLite for components, on libSQL: a local file (the embedded default, through [`local`]) or a
//! libSQL server such as sqld or Turso (Hrana over HTTP, through [`remote`]).
//!
//! Spin opens a fresh database connection for every guest `open`. The edge keeps a small pool of
//! tuned connections per database instead (see `edge-notes.md`: opening per request costs a WAL
//! checkpoint on every close), while keeping Spin's observable semantics: one guest connection is
//! one database connection for its whole life, so `BEGIN`/`COMMIT` across `execute` calls works,
//! and a connection that comes back with a transaction still open is closed, never reused — SQLite
//! rolls the transaction back as it closes.

pub mod host;
pub mod local;
pub mod remote;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::runtime_config::SqliteConfig;
use local::LocalConnection;
use remote::{RemoteConnection, RemoteDatabase};

/// How hard local commits are pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// With WAL, loses nothing on an application crash; an OS crash or power cut may roll back
    /// the last commits. About 100x cheaper per commit than FULL on this machine kind.
    Normal,
    /// An fsync per commit: nothing acknowledged is ever lost.
    Full,
}

/// Tunables for local databases.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    /// `PRAGMA synchronous`.
    pub synchronous: Synchronous,
    /// How long a connection waits for another's write lock before `database is locked`.
    pub busy_timeout: Duration,
    /// Idle connections kept per database. Each costs a file handle and SQLite's page cache
    /// (default 2 MiB at most); more than the number of concurrent instances is never used, so
    /// `wenming up` keeps `--max-instances` of them.
    pub max_idle: usize,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings { synchronous: Synchronous::Normal, busy_timeout: Duration::from_secs(5), max_idle: 64 }
    }
}

/// Rows a single `execute` may return, in bytes, before it is refused (Spin's cap is 128 MiB;
/// ours is lower because a county VM has little memory to spare per request).
const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;

/// Where one database lives.
enum Backend {
    /// A file (or `:memory:`), opened connection by connection.
    Local(PathBuf),
    /// A libSQL server.
    Remote(Arc<RemoteDatabase>),
}

/// One connection, to either kind of database. Clones share the connection.
#[derive(Clone)]
pub enum Connection {
    /// A connection to a local file.
    Local(Arc<LocalConnection>),
    /// A stream to a libSQL server.
    Remote(Arc<RemoteConnection>),
}

impl Connection {
    /// Whether no transaction is open.
    pub fn is_autocommit(&self) -> bool {
        match self {
            Connection::Local(c) => c.is_autocommit(),
            Connection::Remote(c) => c.is_autocommit(),
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    pub fn changes(&self) -> u64 {
        match self {
            Connection::Local(c) => c.changes(),
            Connection::Remote(c) => c.changes(),
        }
    }

    /// The rowid of the last successful INSERT.
    pub fn last_insert_rowid(&self) -> i64 {
        match self {
            Connection::Local(c) => c.last_insert_rowid(),
            Connection::Remote(c) => c.last_insert_rowid(),
        }
    }
}

/// One configured database and its idle connections.
pub struct Database {
    label: String,
    backend: Backend,
    settings: SqliteSettings,
    idle: Mutex<Vec<Connection>>,
    /// Connections lent out right now (for metrics).
    in_use: std::sync::atomic::AtomicUsize,
    /// Turns for write transactions on a local file (see `host.rs`); `None` for remote servers,
    /// which do their own locking.
    write_turns: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Database {
    async fn open(label: &str, config: &SqliteConfig, settings: &SqliteSettings) -> anyhow::Result<Database> {
        let backend = match config {
            SqliteConfig::Spin { path, .. } => {
                let path = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating folder for database {label}: {}", parent.display()))?;
                }
                Backend::Local(path)
            }
            SqliteConfig::Libsql { url, token } => Backend::Remote(RemoteDatabase::open(label, url, token).await?),
        };
        let local = matches!(backend, Backend::Local(_));
        let database = Database {
            label: label.to_string(),
            backend,
            settings: settings.clone(),
            idle: Mutex::new(Vec::new()),
            in_use: std::sync::atomic::AtomicUsize::new(0),
            // Turns are kept for a server too: this edge's writers then queue in order here
            // instead of each polling the server's lock (sqld answers a busy writer by waiting
            // in SQLite's busy handler). Other edges on the same server still contend there.
            write_turns: Some(Arc::new(tokio::sync::Mutex::new(()))),
        };
        if local {
            // WAL is a property of the file: set it once and check that it took. A pragma that is
            // sent but never stepped does nothing, so read the answer back.
            let conn = database.connect().await?;
            let answer = database.run(&conn, "PRAGMA journal_mode=WAL".into(), Vec::new()).await;
            let mode = match answer.map_err(anyhow::Error::msg)?.rows.first().and_then(|r| r.first()) {
                Some(libsql::Value::Text(mode)) => mode.clone(),
                other => bail!("database {label}: PRAGMA journal_mode answered {other:?}"),
            };
            if mode != "wal" && mode != "memory" {
                bail!("database {label}: journal_mode is {mode:?}, expected wal");
            }
            database.put_back(conn);
        }
        Ok(database)
    }

    /// A new, tuned connection.
    async fn connect(&self) -> anyhow::Result<Connection> {
        match &self.backend {
            Backend::Local(path) => {
                let (path, settings) = (path.clone(), self.settings.clone());
                // Opening touches the file (and may wait for a lock): off the async workers.
                let conn = tokio::task::spawn_blocking(move || -> Result<LocalConnection, local::LocalError> {
                    let conn = LocalConnection::open(&path)?;
                    conn.busy_timeout(settings.busy_timeout)?;
                    let sync = match settings.synchronous {
                        Synchronous::Normal => "PRAGMA synchronous=NORMAL",
                        Synchronous::Full => "PRAGMA synchronous=FULL",
                    };
                    conn.execute_batch(sync)?;
                    conn.execute_batch("PRAGMA foreign_keys=ON")?;
                    Ok(conn)
                })
                .await
                .context("internal runtime error")?
                .with_context(|| format!("connecting to database {}", self.label))?;
                Ok(Connection::Local(Arc::new(conn)))
            }
            // A stream opens with its first statement: nothing to wait for here.
            Backend::Remote(db) => Ok(Connection::Remote(Arc::new(db.connect()))),
        }
    }

    /// Takes an idle connection or makes one.
    pub async fn checkout(self: &Arc<Self>) -> anyhow::Result<PooledConnection> {
        let reused = self.idle.lock().expect("pool lock").pop();
        let conn = match reused {
            Some(c) => c,
            None => self.connect().await?,
        };
        self.in_use.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(PooledConnection { conn: Some(conn), db: Arc::clone(self), reusable: true })
    }

    fn put_back(&self, conn: Connection) {
        // A server-side stream is pooled (or closed, inside a transaction) by its database.
        if let (Backend::Remote(db), Connection::Remote(conn)) = (&self.backend, &conn) {
            db.put_back(conn);
            return;
        }
        // A connection mid-transaction holds locks and uncommitted writes: dropping it closes it,
        // and SQLite rolls the transaction back on close.
        if !conn.is_autocommit() {
            tracing::warn!(database = %self.label, "connection returned inside a transaction; rolled back and closed");
            return;
        }
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < self.settings.max_idle {
            idle.push(conn);
        }
    }

    /// How long a writer waits for the database's lock before `database is locked`.
    pub fn busy_timeout(&self) -> std::time::Duration {
        self.settings.busy_timeout
    }

    /// HTTP requests sent to this database's libSQL server so far; `None` for a local file.
    pub fn server_requests(&self) -> Option<u64> {
        match &self.backend {
            Backend::Remote(db) => Some(db.requests_sent()),
            Backend::Local(_) => None,
        }
    }

    /// Closes a connection that may not be lent again (see [`PooledConnection::retire`]).
    fn discard(&self, conn: Connection) {
        if let (Backend::Remote(db), Connection::Remote(conn)) = (&self.backend, &conn) {
            db.discard(conn);
        }
    }

    /// Idle connections right now (for metrics and tests).
    pub fn idle_count(&self) -> usize {
        if let Backend::Remote(db) = &self.backend {
            return db.idle_count();
        }
        self.idle.lock().expect("pool lock").len()
    }

    /// Waits for this database's turn to run a write transaction; `None` where turns are not
    /// kept (remote databases).
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turns {
            Some(m) => Some(Arc::clone(m).lock_owned().await),
            None => None,
        }
    }

    /// Connections lent out right now.
    pub fn in_use_count(&self) -> usize {
        self.in_use.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs one statement and reads every row, so that no open cursor keeps a read snapshot
    /// alive after the call returns.
    pub async fn run(&self, conn: &Connection, sql: String, params: Vec<libsql::Value>) -> Result<QueryOutput, String> {
        match conn {
            // Local calls block the thread (and may wait up to busy_timeout for a lock): keep
            // them off the async workers.
            Connection::Local(conn) => {
                let conn = Arc::clone(conn);
                tokio::task::spawn_blocking(move || run_local(&conn, &sql, &params))
                    .await
                    .map_err(|e| format!("internal runtime error: {e}"))?
            }
            Connection::Remote(conn) => conn.execute(&sql, params).await,
        }
    }

    /// Runs a multi-statement script in one transaction (migrations). The script and the
    /// bookkeeping statement commit together or not at all.
    pub async fn run_script_in_transaction(
        &self,
        script: &str,
        then: &str,
        params: Vec<libsql::Value>,
    ) -> anyhow::Result<()> {
        let path = match &self.backend {
            Backend::Local(path) => path.clone(),
            Backend::Remote(db) => {
                return db.run_script_in_transaction(script, then, params).await.map_err(anyhow::Error::msg)
            }
        };
        let Connection::Local(conn) = self.connect().await? else {
            bail!("database {}: a local file ({}) gave a remote connection", self.label, path.display());
        };
        let (script, then) = (script.to_string(), then.to_string());
        let label = self.label.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            conn.execute_batch("BEGIN").with_context(|| format!("beginning a transaction on {label}"))?;
            // On an error the connection is dropped with the transaction open, and
            // SQLite rolls it back as it closes.
            conn.execute_batch(&script)?;
            run_local(&conn, &then, &params).map_err(anyhow::Error::msg)?;
            conn.execute_batch("COMMIT").with_context(|| format!("committing on {label}"))?;
            Ok(())
        })
        .await
        .context("internal runtime error")?
    }

    /// The label this database is known by.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A connection on loan from a database's pool; returned (or closed) when dropped.
pub struct PooledConnection {
    conn: Option<Connection>,
    db: Arc<Database>,
    /// Whether the connection may go back to the pool when the guest is done with it.
    reusable: bool,
}

impl PooledConnection {
    /// Closes this connection when the guest is done instead of lending it again (the guest
    /// changed the connection itself: a pragma, a temporary object, a detached database).
    pub fn retire(&mut self) {
        self.reusable = false;
    }

    /// The underlying connection.
    pub fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }

    /// The database this connection belongs to.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.db.in_use.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            if self.reusable {
                self.db.put_back(conn);
            } else {
                self.db.discard(conn);
            }
        }
    }
}

/// Columns and rows of one statement.
#[derive(Debug, Default)]
pub struct QueryOutput {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of values, one per column.
    pub rows: Vec<Vec<libsql::Value>>,
}

/// Adds a row's size to a running total; refuses once the total passes the cap.
fn count_row(total: &mut usize, row: &[libsql::Value]) -> Result<(), String> {
    for v in row {
        *total += match v {
            libsql::Value::Text(s) => s.len(),
            libsql::Value::Blob(b) => b.len(),
            _ => 8,
        };
    }
    if *total > MAX_RESULT_BYTES {
        return Err(format!("query result exceeds limit of {MAX_RESULT_BYTES} bytes"));
    }
    Ok(())
}

fn run_local(conn: &LocalConnection, sql: &str, params: &[libsql::Value]) -> Result<QueryOutput, String> {
    let mut total = 0usize;
    let (columns, rows) = conn.query(sql, params, |row| count_row(&mut total, row))?;
    Ok(QueryOutput { columns, rows })
}

/// Every database the application may use, by label.
#[derive(Clone, Default)]
pub struct Databases {
    by_label: Arc<HashMap<String, Arc<Database>>>,
}

impl Databases {
    /// Opens the configured databases. `default` always exists: a file under the state dir, or
    /// in memory when there is none.
    pub async fn open(
        configured: &std::collections::BTreeMap<String, SqliteConfig>,
        state_dir: Option<&Path>,
        settings: &SqliteSettings,
    ) -> anyhow::Result<Databases> {
        let mut configs = configured.clone();
        configs.entry("default".to_string()).or_insert_with(|| SqliteConfig::Spin {
            path: state_dir.map(|d| d.join("sqlite_db.db")),
            allow_attach_file: false,
        });
        let mut by_label = HashMap::new();
        for (label, config) in &configs {
            let db = Database::open(label, config, settings).await?;
            by_label.insert(label.clone(), Arc::new(db));
        }
        Ok(Databases { by_label: Arc::new(by_label) })
    }

    /// A database by label.
    pub fn get(&self, label: &str) -> Option<&Arc<Database>> {
        self.by_label.get(label)
    }

    /// Whether a label is configured.
    pub fn contains(&self, label: &str) -> bool {
        self.by_label.contains_key(label)
    }

    /// All databases.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Database>> {
        self.by_label.values()
    }
}
