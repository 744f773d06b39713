//! SQLite for components, on libSQL: a local file (the embedded default) or a libSQL server.
//!
//! Spin opens a fresh database connection for every guest `open`. The edge keeps a small pool of
//! tuned connections per database instead (see `edge-notes.md`: opening per request costs a WAL
//! checkpoint on every close), while keeping Spin's observable semantics: one guest connection is
//! one database connection for its whole life, so `BEGIN`/`COMMIT` across `execute` calls works,
//! and a connection that comes back with a transaction still open is closed, never reused — SQLite
//! rolls the transaction back as it closes.

pub mod host;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::runtime_config::SqliteConfig;

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
    /// (default 2 MiB at most); more than the number of concurrent instances is never used.
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
    Local,
    Remote,
}

/// One configured database and its idle connections.
pub struct Database {
    label: String,
    backend: Backend,
    db: libsql::Database,
    settings: SqliteSettings,
    idle: Mutex<Vec<libsql::Connection>>,
    /// Connections lent out right now (for metrics).
    in_use: std::sync::atomic::AtomicUsize,
    /// Turns for write transactions on a local file (see `host.rs`); `None` for remote servers,
    /// which do their own locking.
    write_turns: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Database {
    async fn open(label: &str, config: &SqliteConfig, settings: &SqliteSettings) -> anyhow::Result<Database> {
        let (backend, db) = match config {
            SqliteConfig::Spin { path, .. } => {
                let path = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating folder for database {label}: {}", parent.display()))?;
                }
                let db = libsql::Builder::new_local(&path)
                    .build()
                    .await
                    .with_context(|| format!("opening database {label} at {}", path.display()))?;
                (Backend::Local, db)
            }
            SqliteConfig::Libsql { url, token } => {
                let db = libsql::Builder::new_remote(url.clone(), token.clone())
                    .build()
                    .await
                    .with_context(|| format!("configuring libSQL server for database {label}"))?;
                (Backend::Remote, db)
            }
        };
        let database = Database {
            label: label.to_string(),
            backend: if matches!(backend, Backend::Local) { Backend::Local } else { Backend::Remote },
            db,
            settings: settings.clone(),
            idle: Mutex::new(Vec::new()),
            in_use: std::sync::atomic::AtomicUsize::new(0),
            write_turns: matches!(backend, Backend::Local).then(|| Arc::new(tokio::sync::Mutex::new(()))),
        };
        if matches!(database.backend, Backend::Local) {
            // WAL is a property of the file: set it once and check that it took. A pragma that is
            // sent but never stepped does nothing, so read the answer back.
            let conn = database.connect().await?;
            let mode = query_one_text(&conn, "PRAGMA journal_mode=WAL").await?;
            if mode != "wal" && mode != "memory" {
                bail!("database {label}: journal_mode is {mode:?}, expected wal");
            }
            database.put_back(conn);
        }
        Ok(database)
    }

    /// A new, tuned connection.
    async fn connect(&self) -> anyhow::Result<libsql::Connection> {
        let conn = self.db.connect().with_context(|| format!("connecting to database {}", self.label))?;
        if matches!(self.backend, Backend::Local) {
            conn.busy_timeout(self.settings.busy_timeout)
                .with_context(|| format!("setting busy_timeout on {}", self.label))?;
            let sync = match self.settings.synchronous {
                Synchronous::Normal => "PRAGMA synchronous=NORMAL",
                Synchronous::Full => "PRAGMA synchronous=FULL",
            };
            for pragma in [sync, "PRAGMA foreign_keys=ON"] {
                step_all(&conn, pragma).await.with_context(|| format!("{pragma} on {}", self.label))?;
            }
        }
        Ok(conn)
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

    fn put_back(&self, conn: libsql::Connection) {
        // A remote server's streams expire when idle, so, as Spin does, every `open` of a
        // remote database gets a new connection and it is closed after use.
        if matches!(self.backend, Backend::Remote) {
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

    /// Idle connections right now (for metrics and tests).
    pub fn idle_count(&self) -> usize {
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
    pub async fn run(
        &self,
        conn: &libsql::Connection,
        sql: String,
        params: Vec<libsql::Value>,
    ) -> Result<QueryOutput, String> {
        match self.backend {
            // Local libSQL calls block the thread (and may wait up to busy_timeout for a lock):
            // keep them off the async workers.
            Backend::Local => {
                let conn = conn.clone();
                let handle = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || handle.block_on(run_query(&conn, &sql, params)))
                    .await
                    .map_err(|e| format!("internal runtime error: {e}"))?
            }
            Backend::Remote => run_query(conn, &sql, params).await,
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
        let conn = self.connect().await?;
        let tx = conn.transaction().await.with_context(|| format!("beginning a transaction on {}", self.label))?;
        tx.execute_batch(script).await?;
        tx.execute(then, params).await?;
        tx.commit().await.with_context(|| format!("committing on {}", self.label))?;
        Ok(())
    }

    /// The label this database is known by.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A connection on loan from a database's pool; returned (or closed) when dropped.
pub struct PooledConnection {
    conn: Option<libsql::Connection>,
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
    pub fn conn(&self) -> &libsql::Connection {
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

async fn run_query(conn: &libsql::Connection, sql: &str, params: Vec<libsql::Value>) -> Result<QueryOutput, String> {
    let mut rows = conn.query(sql, params).await.map_err(|e| e.to_string())?;
    let n = rows.column_count();
    let columns = (0..n).map(|i| rows.column_name(i).unwrap_or_default().to_string()).collect();
    let mut out = QueryOutput { columns, rows: Vec::new() };
    let mut bytes = 0usize;
    while let Some(row) = rows.next().await.map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(n as usize);
        for i in 0..n {
            let v = row.get_value(i).map_err(|e| e.to_string())?;
            bytes += match &v {
                libsql::Value::Text(s) => s.len(),
                libsql::Value::Blob(b) => b.len(),
                _ => 8,
            };
            values.push(v);
        }
        if bytes > MAX_RESULT_BYTES {
            return Err(format!("query result exceeds limit of {MAX_RESULT_BYTES} bytes"));
        }
        out.rows.push(values);
    }
    Ok(out)
}

async fn step_all(conn: &libsql::Connection, sql: &str) -> anyhow::Result<()> {
    let mut rows = conn.query(sql, ()).await?;
    while rows.next().await?.is_some() {}
    Ok(())
}

async fn query_one_text(conn: &libsql::Connection, sql: &str) -> anyhow::Result<String> {
    let mut rows = conn.query(sql, ()).await?;
    let row = rows.next().await?.with_context(|| format!("{sql} returned no row"))?;
    let value: String = row.get(0)?;
    while rows.next().await?.is_some() {}
    Ok(value)
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
