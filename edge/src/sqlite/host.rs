//! The guest-facing SQLite interfaces: `fermyon:spin/sqlite@2.0.0` (spin_sdk::sqlite) and
//! `spin:sqlite/sqlite@3.0.0` (spin_sdk::sqlite3). Both share one connection type; they differ
//! only in their generated value and error types.
//!
//! Checks come in Spin's order: a label the component may not use is `access-denied` even when
//! the database exists; only then is a missing database `no-such-database`.

use std::collections::HashSet;
use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};

use super::{Databases, PooledConnection};

/// Spin's cap on connections one instance may hold open at once.
const MAX_CONNECTIONS_PER_INSTANCE: usize = 256;

/// Generated host bindings for the Spin SQLite interfaces.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wenming:edge/sqlite",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/sqlite.connection": super::GuestConnection,
            "spin:sqlite/sqlite.connection": super::GuestConnection,
        },
    });
}

use bindings::fermyon::spin::sqlite as v2;
use bindings::spin::sqlite::sqlite as v3;

/// A guest's open connection.
pub struct GuestConnection {
    // Field order matters: the connection (and with it any open transaction, rolled back as it
    // closes) goes before the write turn is handed on.
    pooled: PooledConnection,
    write_turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Whether this guest has run a statement on the connection: until it has, rowid and
    /// changes are 0, as on the fresh connection Spin opens, not the previous user's numbers.
    ran: bool,
}

/// What a statement does, as far as write scheduling and connection reuse care.
#[derive(Debug, PartialEq, Eq)]
enum TxStatement {
    /// `BEGIN IMMEDIATE` / `BEGIN EXCLUSIVE`: takes the database's write lock now.
    BeginWrite,
    /// `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO`): may end the transaction.
    End,
    /// `ATTACH`: refused, as Spin does unless `allow_attach_file` is set (the edge never sets
    /// it): a guest must not reach files beside its database.
    Attach,
    /// `PRAGMA`, `DETACH`, `CREATE TEMP ...`: change the connection itself, so it must not be
    /// lent to another request afterwards (Spin gives every `open` a new connection).
    Stateful,
    Other,
}

/// The first words of `sql`, upper-cased, after leading whitespace and comments.
fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail);
        } else {
            break;
        }
    }
    rest.split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

fn classify(sql: &str) -> TxStatement {
    let words = leading_words(sql, 3);
    let word = |i: usize| words.get(i).map(String::as_str);
    match word(0) {
        Some("BEGIN") if matches!(word(1), Some("IMMEDIATE" | "EXCLUSIVE")) => TxStatement::BeginWrite,
        Some("COMMIT" | "END") => TxStatement::End,
        Some("ROLLBACK") if word(1) != Some("TO") && !(word(1) == Some("TRANSACTION") && word(2) == Some("TO")) => {
            TxStatement::End
        }
        Some("ATTACH") => TxStatement::Attach,
        Some("PRAGMA" | "DETACH") => TxStatement::Stateful,
        Some("CREATE") if matches!(word(1), Some("TEMP" | "TEMPORARY")) => TxStatement::Stateful,
        _ => TxStatement::Other,
    }
}

/// Per-instance SQLite state: which labels this component may open, and how many it has open.
pub struct SqliteCtx {
    databases: Databases,
    allowed: Arc<HashSet<String>>,
    open: usize,
}

impl SqliteCtx {
    /// State for one instance of a component allowed to use `allowed`.
    pub fn new(databases: Databases, allowed: Arc<HashSet<String>>) -> SqliteCtx {
        SqliteCtx { databases, allowed, open: 0 }
    }
}

/// What the host traits need from the store: the SQLite state and the resource table.
pub trait SqliteView: Send {
    /// The SQLite state and the resource table, borrowed together.
    fn sqlite(&mut self) -> (&mut SqliteCtx, &mut ResourceTable);
}

/// Errors common to both interface versions, mapped to each version's variant.
enum DbError {
    NoSuchDatabase,
    AccessDenied,
    InvalidConnection,
    Io(String),
}

/// The SQLite state and resource table of one store, borrowed together; both interface
/// versions are implemented on it.
pub struct SqliteHostView<'a> {
    ctx: &'a mut SqliteCtx,
    table: &'a mut ResourceTable,
}

impl SqliteHostView<'_> {
    async fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<GuestConnection>, DbError>> {
        if !self.ctx.allowed.contains(&label) {
            return Ok(Err(DbError::AccessDenied));
        }
        let Some(db) = self.ctx.databases.get(&label).cloned() else {
            return Ok(Err(DbError::NoSuchDatabase));
        };
        if self.ctx.open >= MAX_CONNECTIONS_PER_INSTANCE {
            return Ok(Err(DbError::Io("too many connections opened".into())));
        }
        let pooled = match db.checkout().await {
            Ok(p) => p,
            Err(e) => return Ok(Err(DbError::Io(format!("{e:#}")))),
        };
        self.ctx.open += 1;
        Ok(Ok(self.table.push(GuestConnection { pooled, write_turn: None, ran: false })?))
    }

    async fn execute(
        &mut self,
        conn: &Resource<GuestConnection>,
        sql: String,
        params: Vec<libsql::Value>,
    ) -> wasmtime::Result<Result<super::QueryOutput, DbError>> {
        let Ok(guest) = self.table.get_mut(conn) else {
            return Ok(Err(DbError::InvalidConnection));
        };
        let kind = classify(&sql);
        if kind == TxStatement::Attach {
            return Ok(Err(DbError::Io("not authorized: ATTACH is not allowed on this database".into())));
        }
        if kind == TxStatement::Stateful {
            guest.pooled.retire();
        }
        guest.ran = true;
        let db = Arc::clone(guest.pooled.database());
        let handle = guest.pooled.conn().clone();
        // Write transactions take turns in-process (FIFO) before asking SQLite for its lock:
        // SQLite's busy handler makes a waiting writer sleep in growing steps, so under a burst
        // the lock sits free while waiters doze. Waiting here wakes the next one on commit.
        // The wait is bounded like SQLite's own: a guest holding the turn on another connection
        // of its own would otherwise wait for itself until the request timed out.
        if kind == TxStatement::BeginWrite && guest.write_turn.is_none() {
            match tokio::time::timeout(db.busy_timeout(), db.write_turn()).await {
                Ok(turn) => {
                    if let Ok(guest) = self.table.get_mut(conn) {
                        guest.write_turn = turn;
                    }
                }
                Err(_) => return Ok(Err(DbError::Io("database is locked".into()))),
            }
        }
        let result = db.run(&handle, sql, params).await.map_err(DbError::Io);
        let done = match kind {
            TxStatement::End => handle.is_autocommit(),
            // A BEGIN that failed leaves no transaction to wait for.
            TxStatement::BeginWrite => result.is_err() && handle.is_autocommit(),
            TxStatement::Other | TxStatement::Stateful | TxStatement::Attach => false,
        };
        if done {
            if let Ok(guest) = self.table.get_mut(conn) {
                guest.write_turn = None;
            }
        }
        Ok(result)
    }

    fn close(&mut self, conn: Resource<GuestConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        self.ctx.open = self.ctx.open.saturating_sub(1);
        Ok(())
    }
}

/// Converts between libSQL values and one interface version's value type; both versions have the
/// same shape, so one macro writes the mapping for each.
macro_rules! version_impl {
    ($m:ident) => {
        impl From<DbError> for $m::Error {
            fn from(e: DbError) -> Self {
                match e {
                    DbError::NoSuchDatabase => $m::Error::NoSuchDatabase,
                    DbError::AccessDenied => $m::Error::AccessDenied,
                    DbError::InvalidConnection => $m::Error::InvalidConnection,
                    DbError::Io(s) => $m::Error::Io(s),
                }
            }
        }

        impl From<$m::Value> for libsql::Value {
            fn from(v: $m::Value) -> Self {
                match v {
                    $m::Value::Integer(i) => libsql::Value::Integer(i),
                    $m::Value::Real(f) => libsql::Value::Real(f),
                    $m::Value::Text(s) => libsql::Value::Text(s),
                    $m::Value::Blob(b) => libsql::Value::Blob(b),
                    $m::Value::Null => libsql::Value::Null,
                }
            }
        }

        impl From<libsql::Value> for $m::Value {
            fn from(v: libsql::Value) -> Self {
                match v {
                    libsql::Value::Integer(i) => $m::Value::Integer(i),
                    libsql::Value::Real(f) => $m::Value::Real(f),
                    libsql::Value::Text(s) => $m::Value::Text(s),
                    libsql::Value::Blob(b) => $m::Value::Blob(b),
                    libsql::Value::Null => $m::Value::Null,
                }
            }
        }

        impl From<super::QueryOutput> for $m::QueryResult {
            fn from(q: super::QueryOutput) -> Self {
                $m::QueryResult {
                    columns: q.columns,
                    rows: q
                        .rows
                        .into_iter()
                        .map(|r| $m::RowResult { values: r.into_iter().map(Into::into).collect() })
                        .collect(),
                }
            }
        }
    };
}

version_impl!(v2);
version_impl!(v3);

/// Marks [`SqliteHostView`] as the data the generated `add_to_linker` functions hand out.
struct SqliteHost;

impl wasmtime::component::HasData for SqliteHost {
    type Data<'a> = SqliteHostView<'a>;
}

impl v2::Host for SqliteHostView<'_> {}

impl v2::HostConnection for SqliteHostView<'_> {
    async fn open(&mut self, database: String) -> wasmtime::Result<Result<Resource<GuestConnection>, v2::Error>> {
        Ok(SqliteHostView::open(self, database).await?.map_err(Into::into))
    }

    async fn execute(
        &mut self,
        conn: Resource<GuestConnection>,
        statement: String,
        parameters: Vec<v2::Value>,
    ) -> wasmtime::Result<Result<v2::QueryResult, v2::Error>> {
        let params = parameters.into_iter().map(Into::into).collect();
        let result = SqliteHostView::execute(self, &conn, statement, params).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn drop(&mut self, conn: Resource<GuestConnection>) -> wasmtime::Result<()> {
        self.close(conn)
    }
}

impl v3::Host for SqliteHostView<'_> {}

impl v3::HostConnection for SqliteHostView<'_> {
    async fn open(&mut self, database: String) -> wasmtime::Result<Result<Resource<GuestConnection>, v3::Error>> {
        Ok(SqliteHostView::open(self, database).await?.map_err(Into::into))
    }

    async fn execute(
        &mut self,
        conn: Resource<GuestConnection>,
        statement: String,
        parameters: Vec<v3::Value>,
    ) -> wasmtime::Result<Result<v3::QueryResult, v3::Error>> {
        let params = parameters.into_iter().map(Into::into).collect();
        let result = SqliteHostView::execute(self, &conn, statement, params).await?;
        Ok(result.map(Into::into).map_err(Into::into))
    }

    async fn last_insert_rowid(&mut self, conn: Resource<GuestConnection>) -> wasmtime::Result<i64> {
        let guest = self.table.get(&conn)?;
        Ok(if guest.ran { guest.pooled.conn().last_insert_rowid() } else { 0 })
    }

    async fn changes(&mut self, conn: Resource<GuestConnection>) -> wasmtime::Result<u64> {
        let guest = self.table.get(&conn)?;
        Ok(if guest.ran { guest.pooled.conn().changes() } else { 0 })
    }

    async fn drop(&mut self, conn: Resource<GuestConnection>) -> wasmtime::Result<()> {
        self.close(conn)
    }
}

fn view<T: SqliteView>(state: &mut T) -> SqliteHostView<'_> {
    let (ctx, table) = state.sqlite();
    SqliteHostView { ctx, table }
}

/// Adds both SQLite interfaces to a linker.
pub fn add_to_linker<T: SqliteView + 'static>(linker: &mut wasmtime::component::Linker<T>) -> wasmtime::Result<()> {
    v2::add_to_linker::<T, SqliteHost>(linker, view::<T>)?;
    v3::add_to_linker::<T, SqliteHost>(linker, view::<T>)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_statements_are_recognised() {
        assert_eq!(classify("BEGIN IMMEDIATE"), TxStatement::BeginWrite);
        assert_eq!(classify("  begin exclusive transaction;"), TxStatement::BeginWrite);
        assert_eq!(classify("BEGIN"), TxStatement::Other);
        assert_eq!(classify("COMMIT"), TxStatement::End);
        assert_eq!(classify("end transaction"), TxStatement::End);
        assert_eq!(classify("ROLLBACK"), TxStatement::End);
        assert_eq!(classify("ROLLBACK TO sp1"), TxStatement::Other);
        assert_eq!(classify("rollback transaction to sp1"), TxStatement::Other);
        assert_eq!(classify("INSERT INTO t VALUES (1)"), TxStatement::Other);
    }

    #[test]
    fn attach_and_connection_changing_statements_are_recognised_behind_comments() {
        assert_eq!(classify("ATTACH DATABASE '/etc/x' AS x"), TxStatement::Attach);
        assert_eq!(classify("  -- note\n /* more */ attach '/tmp/x.db' as x"), TxStatement::Attach);
        assert_eq!(classify("PRAGMA foreign_keys=OFF"), TxStatement::Stateful);
        assert_eq!(classify("detach x"), TxStatement::Stateful);
        assert_eq!(classify("CREATE TEMP TABLE t(a)"), TxStatement::Stateful);
        assert_eq!(classify("create temporary view v as select 1"), TxStatement::Stateful);
        assert_eq!(classify("CREATE TABLE attach(a)"), TxStatement::Other);
        assert_eq!(classify("SELECT 'ATTACH'"), TxStatement::Other);
        assert_eq!(classify("/* unterminated"), TxStatement::Other);
    }
}
