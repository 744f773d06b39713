//! The shared database through `spin:sqlite`: typed rows, transactions, idempotency, audit.
//!
//! One connection per request: [`Db::open`] hands every caller in a component instance (one
//! instance serves one request) the same connection, so authentication, the handler and the
//! library calls it makes (identity, ledger, notify borrow it) share one checkout from the
//! host's pool, and anything may run inside the handler's transaction. A library component
//! wraps the connection its caller lends it with [`Db::borrowed`].

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::rc::Rc;

use domain::{OrgPath, Role};
use spin_sdk::sqlite3::{Connection, Value};

use crate::ApiError;

/// One row, with its columns by name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Rc<Vec<String>>,
    values: Vec<Value>,
}

impl Row {
    fn value(&self, name: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == name)?;
        self.values.get(i)
    }

    /// An integer column; missing or NULL is an internal error (the query is ours).
    pub fn i64(&self, name: &str) -> Result<i64, ApiError> {
        self.opt_i64(name)?.ok_or_else(|| ApiError::Internal(format!("column {name} is NULL")))
    }

    /// A nullable integer column.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            Some(Value::Integer(i)) => Ok(Some(*i)),
            Some(Value::Null) => Ok(None),
            other => Err(ApiError::Internal(format!("column {name}: expected integer, got {other:?}"))),
        }
    }

    /// A text column; missing or NULL is an internal error.
    pub fn str(&self, name: &str) -> Result<String, ApiError> {
        self.opt_str(name)?.ok_or_else(|| ApiError::Internal(format!("column {name} is NULL")))
    }

    /// A nullable text column.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.value(name) {
            Some(Value::Text(s)) => Ok(Some(s.clone())),
            Some(Value::Null) => Ok(None),
            other => Err(ApiError::Internal(format!("column {name}: expected text, got {other:?}"))),
        }
    }

    /// A real column (integers are widened).
    pub fn f64(&self, name: &str) -> Result<f64, ApiError> {
        match self.value(name) {
            Some(Value::Real(f)) => Ok(*f),
            Some(Value::Integer(i)) => Ok(*i as f64),
            other => Err(ApiError::Internal(format!("column {name}: expected real, got {other:?}"))),
        }
    }
}

/// A connection to the `default` database.
pub struct Db {
    conn: Handle,
}

/// Who owns the connection behind a [`Db`].
enum Handle {
    /// The request's connection, shared by every `Db::open` in this instance.
    Shared(Rc<Connection>),
    /// A connection the caller of a library component lent it. Never dropped here: dropping an
    /// imported resource would close the caller's connection.
    Borrowed(ManuallyDrop<Connection>),
}

thread_local! {
    /// The request's connection, opened on first use. A component instance serves one request
    /// and is then thrown away, so this never outlives the request.
    static REQUEST_CONNECTION: RefCell<Option<Rc<Connection>>> = const { RefCell::new(None) };
}

impl Db {
    /// The request's connection to the `default` database (opened on the first call).
    pub fn open() -> Result<Db, ApiError> {
        let existing = REQUEST_CONNECTION.with(|c| c.borrow().clone());
        let conn = match existing {
            Some(conn) => conn,
            None => {
                let conn = Rc::new(Connection::open_default()?);
                REQUEST_CONNECTION.with(|c| *c.borrow_mut() = Some(Rc::clone(&conn)));
                conn
            }
        };
        Ok(Db { conn: Handle::Shared(conn) })
    }

    /// Runs `f` on a `Db` over `conn`, a connection a library component's caller lent it
    /// (`borrow<connection>` in WIT), so the library's reads and writes join the caller's
    /// transaction. `f` sees only `&Db`, so the wrapper cannot outlive the borrow.
    pub fn borrowed<T>(conn: &Connection, f: impl FnOnce(&Db) -> T) -> T {
        // SAFETY: the handle is the caller's live resource for the whole call, and
        // `ManuallyDrop` keeps this copy from dropping (closing) it.
        let copy = unsafe { Connection::from_handle(conn.handle()) };
        let db = Db { conn: Handle::Borrowed(ManuallyDrop::new(copy)) };
        f(&db)
    }

    /// The underlying connection, to lend to a library component (identity, the ledger,
    /// notify) so its reads and writes join this connection's transaction.
    pub fn connection(&self) -> &Connection {
        match &self.conn {
            Handle::Shared(conn) => conn,
            Handle::Borrowed(conn) => conn,
        }
    }

    /// Runs a query and returns its rows.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ApiError> {
        let result = self.connection().execute(sql, params)?;
        let columns = Rc::new(result.columns.clone());
        Ok(result.rows.into_iter().map(|r| Row { columns: Rc::clone(&columns), values: r.values }).collect())
    }

    /// The first row of a query, if any.
    pub fn query_one(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, ApiError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a statement; returns the number of rows it changed.
    pub fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, ApiError> {
        let conn = self.connection();
        conn.execute(sql, params)?;
        Ok(conn.changes())
    }

    /// Runs an INSERT; returns the new row's id.
    pub fn insert(&self, sql: &str, params: &[Value]) -> Result<i64, ApiError> {
        let conn = self.connection();
        conn.execute(sql, params)?;
        Ok(conn.last_insert_rowid())
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`, so concurrent writers queue on the
    /// lock instead of failing at commit). Any error rolls everything back.
    pub fn transaction<T>(&self, f: impl FnOnce(&Db) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let conn = self.connection();
        conn.execute("BEGIN IMMEDIATE", &[])?;
        match f(self) {
            Ok(v) => {
                if let Err(e) = conn.execute("COMMIT", &[]) {
                    let _rollback = conn.execute("ROLLBACK", &[]);
                    return Err(e.into());
                }
                Ok(v)
            }
            Err(e) => {
                // A failed rollback leaves the transaction open; the host closes the connection
                // (and so rolls back) when the guest drops it.
                let _rollback = conn.execute("ROLLBACK", &[]);
                Err(e)
            }
        }
    }
}

/// The `table.column` a UNIQUE constraint failure names, if `e` is one.
pub fn unique_violation(e: &ApiError) -> Option<&str> {
    match e {
        // SQLite says `UNIQUE constraint failed: accounts.phone`; libSQL quotes the column in
        // backticks; the error's Debug form may add escaped quotes after it.
        ApiError::Internal(msg) => msg.split("UNIQUE constraint failed: ").nth(1).map(|rest| {
            let rest = rest.trim_start_matches('`');
            rest.split(['`', '"', ')', ' ', ',', '\\']).next().unwrap_or(rest)
        }),
        _ => None,
    }
}

/// A materialised org path read from the database (`orgs.path` and its copies). The schema only
/// ever stores parsed paths, so one that does not parse is corrupt data: a 500, never a guess.
pub fn org_path(stored: &str) -> Result<OrgPath, ApiError> {
    OrgPath::parse(stored).map_err(|_| ApiError::Internal(format!("corrupt org path {stored:?}")))
}

/// `%`, `_` and `\` escaped, so that text a person typed is matched literally by
/// `LIKE ... ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `account_id` works outside `scopes`: it holds a role other than `citizen` and none of
/// its roles lies in the subtrees at `scopes`. Such a person is not the caller's to appoint or
/// grant roles to (doing so would put their name in the caller's answers); new accounts and plain
/// citizens are how staff and leaders are recruited.
pub fn works_elsewhere(db: &Db, account_id: i64, scopes: &[String]) -> Result<bool, ApiError> {
    let grants = db.query(
        "SELECT g.role, o.path FROM role_grants g JOIN orgs o ON o.id = g.org_id WHERE g.account_id = ?",
        &[Value::Integer(account_id)],
    )?;
    let scope = crate::Scope::from_paths(scopes);
    let mut elsewhere = false;
    for g in &grants {
        if scope.contains(&g.str("path")?) {
            return Ok(false);
        }
        elsewhere |= g.str("role")? != Role::Citizen.as_str();
    }
    Ok(elsewhere)
}

/// Runs a retryable write once per `(account, key)`: the first call runs `f` and stores its
/// answer in the same transaction; a retry with the same key gets the stored answer and changes
/// nothing. A key reused for a different request is a 422.
pub fn idempotent(
    db: &Db,
    account_id: i64,
    key: Option<&str>,
    request: &str,
    f: impl FnOnce(&Db) -> Result<(u16, serde_json::Value), ApiError>,
) -> Result<(u16, serde_json::Value), ApiError> {
    let Some(key) = key else {
        return db.transaction(f);
    };
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::invalid("Idempotency-Key", "must be 1 to 200 characters"));
    }
    db.transaction(|db| {
        let saved = db.query_one(
            "SELECT request, status, body FROM idempotency WHERE account_id = ? AND key = ?",
            &[Value::Integer(account_id), Value::Text(key.to_string())],
        )?;
        if let Some(row) = saved {
            if row.str("request")? != request {
                return Err(ApiError::invalid("Idempotency-Key", "this key was used for a different request"));
            }
            let body = serde_json::from_str(&row.str("body")?).map_err(|e| ApiError::Internal(e.to_string()))?;
            return Ok((row.i64("status")? as u16, body));
        }
        let (status, body) = f(db)?;
        db.exec(
            "INSERT INTO idempotency (account_id, key, request, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(account_id),
                Value::Text(key.to_string()),
                Value::Text(request.to_string()),
                Value::Integer(i64::from(status)),
                Value::Text(body.to_string()),
                Value::Integer(crate::now()),
            ],
        )?;
        Ok((status, body))
    })
}

/// Records an admin action in the audit log. `before`/`after` must already be masked.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    db: &Db,
    actor_id: i64,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    org_path: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), ApiError> {
    let text = |v: Option<&serde_json::Value>| v.map_or(Value::Null, |v| Value::Text(v.to_string()));
    db.exec(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, org_path, before, after)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(crate::now()),
            Value::Integer(actor_id),
            Value::Text(action.to_string()),
            Value::Text(entity.to_string()),
            entity_id.map_or(Value::Null, Value::Integer),
            Value::Text(org_path.to_string()),
            text(before),
            text(after),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_org_paths_are_parsed_or_refused() {
        assert_eq!(org_path("/1/4/").unwrap().subtree_bounds(), ("/1/4/".to_string(), "/1/40".to_string()));
        assert_eq!(org_path("/1/4").unwrap_err().status(), 500);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn unique_violations_name_their_column() {
        for msg in [
            "database: Io(\"UNIQUE constraint failed: accounts.phone\")",
            "database: Io(\"UNIQUE constraint failed: `accounts.phone`\")",
        ] {
            assert_eq!(unique_violation(&ApiError::Internal(msg.into())), Some("accounts.phone"), "{msg}");
        }
    }
}
