//! Connections to local database files, on the SQLite C API that libSQL bundles.
//!
//! Why not `libsql::Connection`: libSQL 0.10 reads a TEXT value through `CStr`, so text holding
//! U+0000 comes back cut at the NUL (`'志愿 ✓ \0x'` reads as `'志愿 ✓ '`), where Spin returns it
//! whole. SQLite stores such text whole and reports its length; this module reads every value
//! by that length, and otherwise does what libSQL's local connection does — the same open flags,
//! one prepared statement per call, the same error text (`SQLite failure: `…``) — so guests see
//! no other change.

use std::ffi::{c_char, c_int, CStr, CString};
use std::path::Path;
use std::ptr;

use libsql::ffi;

/// A failure of the SQLite C API, with SQLite's own message.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// SQLite refused or failed; the text is `sqlite3_errmsg`. Shown as libSQL shows it, since
    /// guests match on it.
    #[error("SQLite failure: `{0}`")]
    Sqlite(String),
    /// The path or the SQL cannot be handed to SQLite (an interior NUL, or too long).
    #[error("{0}")]
    Argument(String),
}

/// One open connection to a local database file.
pub struct LocalConnection {
    raw: *mut ffi::sqlite3,
}

// SAFETY: every connection is opened with SQLITE_OPEN_FULLMUTEX (SQLite's serialized mode, in a
// library built thread-safe), so SQLite itself serialises calls on the handle from any thread.
unsafe impl Send for LocalConnection {}
// SAFETY: as above.
unsafe impl Sync for LocalConnection {}

impl Drop for LocalConnection {
    fn drop(&mut self) {
        // SAFETY: `raw` came from sqlite3_open_v2 and is closed exactly once, here. close_v2
        // defers the close until statements still open are finalised; none outlive a call.
        unsafe {
            ffi::sqlite3_close_v2(self.raw);
        }
    }
}

/// A prepared statement, finalised when dropped.
struct Prepared {
    raw: *mut ffi::sqlite3_stmt,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: `raw` came from sqlite3_prepare_v2 (or is null, which finalize accepts).
        unsafe {
            ffi::sqlite3_finalize(self.raw);
        }
    }
}

/// A value read from or bound into a statement.
pub type Value = libsql::Value;

impl LocalConnection {
    /// Opens (creating if needed) the database file at `path`, read-write.
    pub fn open(path: &Path) -> Result<LocalConnection, LocalError> {
        let name = path.to_str().ok_or_else(|| LocalError::Argument(format!("{} is not UTF-8", path.display())))?;
        let c_name = CString::new(name).map_err(|_| LocalError::Argument(format!("{name:?} holds a NUL")))?;
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_FULLMUTEX;
        let mut raw = ptr::null_mut();
        // SAFETY: `c_name` is a NUL-terminated string alive for the call; `raw` is an out pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(c_name.as_ptr(), &mut raw, flags, ptr::null()) };
        // Even a failed open usually allocates a handle, which carries the message and must be
        // closed: the Drop of this value does both.
        let conn = LocalConnection { raw };
        if rc != ffi::SQLITE_OK {
            let message = if raw.is_null() { format!("out of memory opening {name}") } else { conn.errmsg() };
            return Err(LocalError::Sqlite(message));
        }
        Ok(conn)
    }

    fn errmsg(&self) -> String {
        // SAFETY: the handle is open; sqlite3_errmsg returns a NUL-terminated string owned by
        // SQLite, valid until the next call on the handle, and copied at once.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.raw)) }.to_string_lossy().into_owned()
    }

    fn failure(&self) -> LocalError {
        LocalError::Sqlite(self.errmsg())
    }

    /// How long a statement waits for another connection's lock before `database is locked`.
    pub fn busy_timeout(&self, timeout: std::time::Duration) -> Result<(), LocalError> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the handle is open.
        match unsafe { ffi::sqlite3_busy_timeout(self.raw, ms) } {
            ffi::SQLITE_OK => Ok(()),
            _ => Err(self.failure()),
        }
    }

    /// Whether no transaction is open on this connection.
    pub fn is_autocommit(&self) -> bool {
        // SAFETY: the handle is open.
        unsafe { ffi::sqlite3_get_autocommit(self.raw) != 0 }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    pub fn changes(&self) -> u64 {
        // SAFETY: the handle is open.
        unsafe { ffi::sqlite3_changes64(self.raw) as u64 }
    }

    /// The rowid of the last successful INSERT.
    pub fn last_insert_rowid(&self) -> i64 {
        // SAFETY: the handle is open.
        unsafe { ffi::sqlite3_last_insert_rowid(self.raw) }
    }

    /// Runs a script of statements without parameters (migrations), stopping at the first error.
    pub fn execute_batch(&self, sql: &str) -> Result<(), LocalError> {
        let c_sql = CString::new(sql).map_err(|_| LocalError::Argument("the SQL holds a NUL".into()))?;
        // SAFETY: the handle is open and `c_sql` NUL-terminated; no callback, and the error
        // message is read from the handle instead of the out pointer.
        let rc = unsafe { ffi::sqlite3_exec(self.raw, c_sql.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
        match rc {
            ffi::SQLITE_OK => Ok(()),
            _ => Err(self.failure()),
        }
    }

    /// Runs the first statement of `sql` with positional `params` and reads every row;
    /// `on_row` sees each row's values and may stop the query with an error (the size cap).
    pub fn query(
        &self,
        sql: &str,
        params: &[Value],
        mut on_row: impl FnMut(&[Value]) -> Result<(), String>,
    ) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
        let len = c_int::try_from(sql.len()).map_err(|_| "the SQL statement is too long".to_string())?;
        let mut stmt = Prepared { raw: ptr::null_mut() };
        let mut tail: *const c_char = ptr::null();
        // SAFETY: `sql` is valid for `len` bytes (no NUL terminator needed when the length is
        // given); `stmt.raw` and `tail` are out pointers.
        let rc = unsafe { ffi::sqlite3_prepare_v2(self.raw, sql.as_ptr().cast(), len, &mut stmt.raw, &mut tail) };
        if rc != ffi::SQLITE_OK {
            return Err(self.failure().to_string());
        }
        if stmt.raw.is_null() {
            // Only whitespace or comments: libSQL reports this as a failed step.
            return Err(self.failure().to_string());
        }
        for (i, param) in params.iter().enumerate() {
            // A parameter beyond the statement's placeholders binds nothing and the statement
            // runs with what it has: the behaviour guests had on libSQL's local connection,
            // kept unchanged by this module (whether Spin's in-process SQLite refuses it instead
            // is an open parity question, noted on issue 12).
            let index = c_int::try_from(i + 1).unwrap_or(c_int::MAX);
            // SAFETY: the statement is prepared; text and blob bytes are copied by SQLite
            // (SQLITE_TRANSIENT) before the call returns.
            unsafe {
                match param {
                    Value::Null => ffi::sqlite3_bind_null(stmt.raw, index),
                    Value::Integer(v) => ffi::sqlite3_bind_int64(stmt.raw, index, *v),
                    Value::Real(v) => ffi::sqlite3_bind_double(stmt.raw, index, *v),
                    Value::Text(s) => match c_int::try_from(s.len()) {
                        Ok(n) => ffi::sqlite3_bind_text(stmt.raw, index, s.as_ptr().cast(), n, ffi::SQLITE_TRANSIENT()),
                        Err(_) => return Err("a text parameter is too long".into()),
                    },
                    Value::Blob(b) => match c_int::try_from(b.len()) {
                        Ok(n) => ffi::sqlite3_bind_blob(stmt.raw, index, b.as_ptr().cast(), n, ffi::SQLITE_TRANSIENT()),
                        Err(_) => return Err("a blob parameter is too long".into()),
                    },
                };
            }
        }
        // SAFETY: the statement is prepared.
        let n = unsafe { ffi::sqlite3_column_count(stmt.raw) };
        let columns = (0..n).map(|i| column_name(&stmt, i)).collect();
        let mut rows = Vec::new();
        loop {
            // SAFETY: the statement is prepared.
            match unsafe { ffi::sqlite3_step(stmt.raw) } {
                ffi::SQLITE_ROW => {
                    let row: Vec<Value> = (0..n).map(|i| column_value(&stmt, i)).collect();
                    on_row(&row)?;
                    rows.push(row);
                }
                ffi::SQLITE_DONE => return Ok((columns, rows)),
                _ => return Err(self.failure().to_string()),
            }
        }
    }
}

fn column_name(stmt: &Prepared, i: c_int) -> String {
    // SAFETY: the statement is prepared and `i` is below its column count; the name is a
    // NUL-terminated string owned by SQLite (null only when out of memory), copied at once.
    let name = unsafe { ffi::sqlite3_column_name(stmt.raw, i) };
    if name.is_null() {
        return String::new();
    }
    // SAFETY: as above.
    unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned()
}

/// The value of column `i` of the current row, read by its length (NULs included).
fn column_value(stmt: &Prepared, i: c_int) -> Value {
    // SAFETY (whole function): the statement is on a row and `i` is below its column count.
    // The type is read first and then the matching accessor, before sqlite3_column_bytes, as
    // SQLite's documentation prescribes; the bytes are copied before the next call on the
    // statement.
    unsafe {
        match ffi::sqlite3_column_type(stmt.raw, i) {
            ffi::SQLITE_INTEGER => Value::Integer(ffi::sqlite3_column_int64(stmt.raw, i)),
            ffi::SQLITE_FLOAT => Value::Real(ffi::sqlite3_column_double(stmt.raw, i)),
            ffi::SQLITE_TEXT => {
                let text = ffi::sqlite3_column_text(stmt.raw, i);
                let bytes = column_bytes(text, ffi::sqlite3_column_bytes(stmt.raw, i));
                // SQLite text is UTF-8 unless a blob was cast to TEXT; a guest's string must
                // be UTF-8, so such bytes are replaced rather than trusted.
                Value::Text(String::from_utf8_lossy(bytes).into_owned())
            }
            ffi::SQLITE_BLOB => {
                let blob = ffi::sqlite3_column_blob(stmt.raw, i);
                Value::Blob(column_bytes(blob.cast(), ffi::sqlite3_column_bytes(stmt.raw, i)).to_vec())
            }
            _ => Value::Null,
        }
    }
}

/// The `len` bytes at `data` (none when SQLite returned no pointer, as for an empty blob).
///
/// # Safety
/// `data` must be null or valid for `len` bytes until the returned slice is dropped.
unsafe fn column_bytes<'a>(data: *const u8, len: c_int) -> &'a [u8] {
    match usize::try_from(len) {
        Ok(len) if len > 0 && !data.is_null() => std::slice::from_raw_parts(data, len),
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> LocalConnection {
        LocalConnection::open(Path::new(":memory:")).unwrap()
    }

    fn all(conn: &LocalConnection, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
        conn.query(sql, params, |_| Ok(())).unwrap().1
    }

    #[test]
    fn text_with_a_nul_comes_back_whole_from_parameters_and_literals() {
        let conn = scratch();
        conn.execute_batch("CREATE TABLE t(v TEXT)").unwrap();
        let text = "志愿 ✓ \0x".to_string();

        all(&conn, "INSERT INTO t VALUES (?1)", &[Value::Text(text.clone())]);
        let stored = all(&conn, "SELECT v, length(CAST(v AS BLOB)) FROM t", &[]);
        let literal = all(&conn, "SELECT '志愿 ✓ ' || char(0) || 'x'", &[]);

        assert_eq!(stored, vec![vec![Value::Text(text.clone()), Value::Integer(text.len() as i64)]]);
        assert_eq!(literal, vec![vec![Value::Text(text)]]);
    }

    #[test]
    fn every_type_round_trips_and_errors_read_as_libsql_writes_them() {
        let conn = scratch();
        let params = [Value::Integer(i64::MAX), Value::Real(-0.5), Value::Blob(vec![0, 1, 255]), Value::Null];
        let (columns, rows) = conn.query("SELECT ?1 AS i, ?2, ?3, ?4, x''", &params, |_| Ok(())).unwrap();

        assert_eq!(columns, ["i", "?2", "?3", "?4", "x''"]);
        let mut expected = params.to_vec();
        expected.push(Value::Blob(Vec::new()));
        assert_eq!(rows, vec![expected]);
        assert_eq!(
            conn.query("SELEC nonsense", &[], |_| Ok(())).unwrap_err(),
            "SQLite failure: `near \"SELEC\": syntax error`"
        );
        assert!(conn.is_autocommit());
    }
}
