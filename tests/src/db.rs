//! Database inspection: the edge's SQLite files opened directly (`open_db`), to check what
//! migrations and guests wrote: one value of a query (`count`, `scalar`), row counts, the
//! migration records.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Edge;

/// Whatever has the product's database: an `Edge`, or a fixture that holds one.
pub trait HasDb {
    /// `<state-dir>/sqlite_db.db`.
    fn db(&self) -> PathBuf;
}

impl HasDb for Edge {
    fn db(&self) -> PathBuf {
        self.db_path()
    }
}

/// A fixture that extends another (derefs to it) has the same database: a `Town` its `County`'s.
impl<T: Deref<Target = U>, U: HasDb + ?Sized> HasDb for T {
    fn db(&self) -> PathBuf {
        (**self).db()
    }
}

/// The one value of a one-row, one-column query (`SELECT name FROM orgs WHERE id = ?1`).
pub fn scalar<T: rusqlite::types::FromSql>(on: &impl HasDb, sql: &str, params: impl rusqlite::Params) -> T {
    open_db(&on.db()).query_row(sql, params, |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The number a query such as `SELECT count(*) FROM attendances WHERE activity_id = ?1` returns.
pub fn count(on: &impl HasDb, sql: &str, params: impl rusqlite::Params) -> i64 {
    scalar(on, sql, params)
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
