//! A database on a libSQL server (sqld, Turso), spoken to in Hrana 3 over HTTP.
//!
//! Why not the `libsql` crate's remote client: in 0.10 it re-renders statements before sending
//! them (keywords used as column names came back upper-cased), its query path leaves
//! `last_insert_rowid()` at 0, it needs a caller-supplied connector for plain HTTP, and a check-in
//! cost 26 round trips through it. Hrana itself is a small JSON protocol; speaking it directly
//! sends each statement as written, takes the row id and change count from the server's answer to
//! that statement, and costs one HTTP request per statement.
//!
//! One guest connection is one server-side stream (a server connection): the baton each answer
//! carries names it for the next request, so `BEGIN` … `COMMIT` across `execute` calls runs on one
//! connection, as on a local file. Every request also asks `get_autocommit`, in the same round
//! trip, so the edge knows whether a transaction is open without parsing SQL.
//!
//! A transaction's `BEGIN` is not sent on its own: it waits for the statement after it and goes
//! in the same request, as a Hrana `batch` whose second step runs only if the `BEGIN` succeeded
//! (a pipeline runs every request whatever became of the ones before, which must not let a write
//! commit on its own when `BEGIN` failed). A `BEGIN` followed directly by `COMMIT` or `ROLLBACK`
//! sends nothing. The guest sees what it would on a file, except that a `BEGIN` that fails
//! (`BEGIN IMMEDIATE` against a busy writer) reports its error on the statement after it.
//!
//! Streams outside a transaction go back to a small pool when the guest drops its connection,
//! as local connections do: the next guest's first statement needs no new server connection, and
//! no close request is spent per guest connection. A stream left inside a transaction (the guest
//! dropped it, trapped or timed out) is closed, which rolls the transaction back on the server.

mod hrana;
mod http;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use hrana::{PipelineRequest, PipelineResponse, StreamRequest, StreamResponse, StreamResult};

/// The Hrana endpoint: version 3 has `get_autocommit`; sqld ≥ 0.22 and Turso serve it.
const PIPELINE: &str = "/v3/pipeline";

/// How long a pooled stream is trusted to be alive. sqld drops a stream idle for 10 s; reusing
/// one close to that risks a request on an expired baton. Older streams are left to expire.
const MAX_STREAM_IDLE: Duration = Duration::from_secs(5);

/// Idle streams kept per database (each is a connection held open on the server).
const MAX_IDLE_STREAMS: usize = 64;

/// Why a request to the server failed (not a statement's own SQL error).
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No TCP/TLS/HTTP connection could be made or kept.
    #[error("cannot reach the server: {reason}")]
    Unreachable {
        /// What the network said.
        reason: String,
    },
    /// The server refused the token (HTTP 401/403).
    #[error("the server refused the token (HTTP {status}); check `token` in the runtime config")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// Any other non-200 answer.
    #[error("the server answered HTTP {status}: {body}")]
    Status {
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer was not the Hrana the edge expects.
    #[error("malformed answer from the server: {detail}")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
    /// No whole answer in time.
    #[error("no answer from the server within {seconds}s")]
    Timeout {
        /// The limit.
        seconds: u64,
    },
}

/// A failure at start-up, naming the database and the server, as the one line `wenming` prints.
#[derive(Debug, thiserror::Error)]
#[error("database {label} (libSQL server {url}): {reason}")]
pub struct OpenError {
    label: String,
    url: String,
    reason: String,
}

/// The URL for messages, with any `user:password@` cut out: error lines end up in logs.
fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}***{}", &url[..scheme_end + 3], &url[at..]),
        _ => url.to_string(),
    }
}

/// A stream's state between requests.
#[derive(Debug, Default)]
struct Stream {
    /// `None` before the first request (the server opens a stream) and after it closed one.
    baton: Option<String>,
    /// Whether no transaction is open.
    autocommit: bool,
    /// When the last answer came.
    last_used: Option<Instant>,
    /// A `BEGIN` the guest ran that waits to go out with the next statement.
    pending_begin: Option<String>,
}

/// One configured libSQL server database.
pub struct RemoteDatabase {
    label: String,
    client: Arc<http::Client>,
    idle: Mutex<Vec<Stream>>,
}

impl RemoteDatabase {
    /// Checks the URL and token and that the server answers, so a wrong configuration stops
    /// start-up (`wenming up`, `migrate`, `call`) with one line instead of failing per request.
    pub async fn open(label: &str, url: &str, token: &str) -> Result<Arc<RemoteDatabase>, OpenError> {
        let fail = |reason: String| OpenError { label: label.to_string(), url: without_credentials(url), reason };
        let endpoint = http::Endpoint::parse(url).map_err(|e| fail(format!("bad URL: {e}")))?;
        let client = http::Client::new(endpoint, token).map_err(&fail)?;
        let db = Arc::new(RemoteDatabase {
            label: label.to_string(),
            client: Arc::new(client),
            idle: Mutex::new(Vec::new()),
        });
        let conn = db.connect();
        conn.run("SELECT 1", Vec::new()).await.map_err(|e| fail(e.to_string()))?;
        db.put_back(&conn);
        Ok(db)
    }

    /// HTTP requests sent to the server so far (for metrics: requests per guest request).
    pub fn requests_sent(&self) -> u64 {
        self.client.requests_sent()
    }

    /// Pooled streams right now.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().expect("idle streams lock").len()
    }

    /// The label the database is known by.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A connection: a pooled stream still fresh enough, or a new one (opened by its first
    /// request; no round trip here).
    pub fn connect(self: &Arc<Self>) -> RemoteConnection {
        let stream = {
            let mut idle = self.idle.lock().expect("idle streams lock");
            let now = Instant::now();
            idle.retain(|s| s.last_used.is_some_and(|t| now.duration_since(t) < MAX_STREAM_IDLE));
            idle.pop()
        };
        RemoteConnection {
            stream: tokio::sync::Mutex::new(stream.unwrap_or(Stream { autocommit: true, ..Stream::default() })),
            counters: Mutex::new(Counters::default()),
            db: Arc::clone(self),
        }
    }

    /// Takes a connection back: a stream outside a transaction is kept for the next guest; one
    /// inside a transaction is closed so the server rolls it back.
    pub fn put_back(&self, conn: &RemoteConnection) {
        let Ok(mut stream) = conn.stream.try_lock() else { return };
        let mut stream = std::mem::take(&mut *stream);
        // A `BEGIN` still waiting never reached the server: there is nothing to roll back.
        stream.pending_begin = None;
        if stream.baton.is_none() {
            return;
        }
        if stream.autocommit {
            let mut idle = self.idle.lock().expect("idle streams lock");
            if idle.len() < MAX_IDLE_STREAMS {
                idle.push(stream);
                return;
            }
        } else {
            tracing::warn!(database = %self.label, "libSQL stream dropped inside a transaction; closing it (rolled back)");
        }
        self.close_later(stream);
    }

    /// Closes a stream without making anyone wait for it. Without a runtime (never, in practice)
    /// the server closes it when it expires, with the same rollback.
    pub fn discard(&self, conn: &RemoteConnection) {
        if let Ok(mut stream) = conn.stream.try_lock() {
            let stream = std::mem::take(&mut *stream);
            if stream.baton.is_some() {
                self.close_later(stream);
            }
        }
    }

    fn close_later(&self, stream: Stream) {
        let Some(baton) = stream.baton else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let body =
            match serde_json::to_vec(&PipelineRequest { baton: Some(&baton), requests: vec![StreamRequest::Close] }) {
                Ok(b) => Bytes::from(b),
                Err(_) => return,
            };
        let client = Arc::clone(&self.client);
        let label = self.label.clone();
        runtime.spawn(async move {
            if let Err(e) = client.post(PIPELINE, body).await {
                tracing::debug!(database = %label, error = %e, "closing a libSQL stream failed; the server will expire it");
            }
        });
    }

    /// Sends one pipeline on `stream` and returns its results, advancing the baton.
    async fn pipeline(
        &self,
        stream: &mut Stream,
        requests: Vec<StreamRequest<'_>>,
    ) -> Result<Vec<StreamResult>, RemoteError> {
        let expected = requests.len();
        let body = serde_json::to_vec(&PipelineRequest { baton: stream.baton.as_deref(), requests })
            .map_err(|e| RemoteError::Protocol { detail: e.to_string() })?;
        // Until the answer says otherwise the stream is unknown: an error below leaves it closed.
        stream.baton = None;
        let answer = self.client.post(PIPELINE, Bytes::from(body)).await?;
        match answer.status.as_u16() {
            200 => {}
            status @ (401 | 403) => return Err(RemoteError::Unauthorized { status }),
            status => {
                let text = String::from_utf8_lossy(&answer.body);
                let body = text.chars().take(200).collect::<String>().replace('\n', " ");
                return Err(RemoteError::Status { status, body });
            }
        }
        let parsed: PipelineResponse =
            serde_json::from_slice(&answer.body).map_err(|e| RemoteError::Protocol { detail: format!("{e}") })?;
        if parsed.results.len() != expected {
            return Err(RemoteError::Protocol {
                detail: format!("{} results for {expected} requests", parsed.results.len()),
            });
        }
        stream.baton = parsed.baton;
        stream.last_used = Some(Instant::now());
        Ok(parsed.results)
    }

    /// Runs a migration script and its bookkeeping statement in one transaction on a stream of
    /// its own: `BEGIN` and the script in one request, the record in a second, `COMMIT` in a
    /// third. Hrana runs every request of a pipeline even after one fails, so nothing after a
    /// possibly failing step shares its pipeline; on any failure the stream is closed, which
    /// rolls back.
    pub async fn run_script_in_transaction(
        self: &Arc<Self>,
        script: &str,
        then: &str,
        params: Vec<libsql::Value>,
    ) -> Result<(), String> {
        let conn = self.connect();
        let outcome = async {
            let mut stream = conn.stream.lock().await;
            let results = self
                .pipeline(
                    &mut stream,
                    vec![
                        StreamRequest::Execute {
                            stmt: hrana::Stmt { sql: "BEGIN", args: Vec::new(), want_rows: false },
                        },
                        StreamRequest::Sequence { sql: script },
                    ],
                )
                .await
                .map_err(|e| e.to_string())?;
            for result in results {
                if let StreamResult::Error { error } = result {
                    return Err(hrana::guest_message(&error));
                }
            }
            drop(stream);
            conn.execute(then, params).await?;
            conn.execute("COMMIT", Vec::new()).await?;
            Ok(())
        }
        .await;
        match &outcome {
            Ok(()) => self.put_back(&conn),
            Err(_) => self.discard(&conn),
        }
        outcome
    }
}

/// What the last statement on a connection reported, kept as SQLite keeps it: the row id stays
/// until another insert changes it.
#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    last_insert_rowid: i64,
    changes: u64,
}

/// One guest connection's stream on the server.
pub struct RemoteConnection {
    stream: tokio::sync::Mutex<Stream>,
    counters: Mutex<Counters>,
    /// The database this stream belongs to.
    db: Arc<RemoteDatabase>,
}

impl RemoteConnection {
    /// Whether no transaction is open.
    pub fn is_autocommit(&self) -> bool {
        self.stream.try_lock().map(|s| s.autocommit && s.pending_begin.is_none()).unwrap_or(false)
    }

    /// `changes()` as the server reported it for the last statement.
    pub fn changes(&self) -> u64 {
        self.counters.lock().expect("counters lock").changes
    }

    /// The row id of the last insert on this connection.
    pub fn last_insert_rowid(&self) -> i64 {
        self.counters.lock().expect("counters lock").last_insert_rowid
    }

    /// Runs one statement: one HTTP request carrying the statement and a `get_autocommit`.
    pub async fn execute(&self, sql: &str, params: Vec<libsql::Value>) -> Result<super::QueryOutput, String> {
        self.run(sql, params).await.map_err(|e| match e {
            RunError::Server(e) => format!("database {}: {e}", self.db.label),
            RunError::Statement(message) => message,
        })
    }

    async fn run(&self, sql: &str, params: Vec<libsql::Value>) -> Result<super::QueryOutput, RunError> {
        let db = &self.db;
        let args = params
            .into_iter()
            .map(hrana::Value::from_sql)
            .collect::<Result<Vec<_>, _>>()
            .map_err(RunError::Statement)?;
        let mut stream = self.stream.lock().await;
        if args.is_empty() {
            match (transaction_verb(sql), stream.pending_begin.is_some()) {
                (Some(TransactionVerb::Begin), false) if stream.autocommit => {
                    stream.pending_begin = Some(sql.to_string());
                    return Ok(super::QueryOutput { columns: Vec::new(), rows: Vec::new() });
                }
                (Some(TransactionVerb::End), true) => {
                    // `BEGIN` then straight away `COMMIT`/`ROLLBACK`: an empty transaction.
                    stream.pending_begin = None;
                    return Ok(super::QueryOutput { columns: Vec::new(), rows: Vec::new() });
                }
                _ => {}
            }
        }
        let begin = stream.pending_begin.take();
        let reused = stream.baton.is_some() && stream.autocommit;
        let requests = || {
            let stmt = hrana::Stmt { sql, args: args.clone(), want_rows: true };
            let first = match &begin {
                None => StreamRequest::Execute { stmt },
                Some(begin) => StreamRequest::Batch {
                    batch: hrana::Batch {
                        steps: vec![
                            hrana::BatchStep {
                                condition: None,
                                stmt: hrana::Stmt { sql: begin, args: Vec::new(), want_rows: false },
                            },
                            hrana::BatchStep { condition: Some(hrana::BatchCond::Ok { step: 0 }), stmt },
                        ],
                    },
                },
            };
            vec![first, StreamRequest::GetAutocommit]
        };
        let results = match db.pipeline(&mut stream, requests()).await {
            // A pooled stream may have expired on the server or the server restarted (it then
            // answers 400/404 for the baton, before running anything). Outside a transaction
            // nothing is lost by starting a new stream, so try once more on one.
            Err(RemoteError::Status { status: 400 | 404, .. }) if reused => {
                stream.baton = None;
                db.pipeline(&mut stream, requests()).await
            }
            other => other,
        };
        let results = results.map_err(RunError::Server)?;
        let mut results = results.into_iter();
        let statement = results.next();
        if let Some(StreamResult::Ok { response: StreamResponse::GetAutocommit { is_autocommit } }) = results.next() {
            stream.autocommit = is_autocommit;
        }
        let result = match statement {
            Some(StreamResult::Ok { response: StreamResponse::Execute { result } }) => result,
            Some(StreamResult::Ok { response: StreamResponse::Batch { result } }) => {
                // The `BEGIN`'s own failure first: the statement then did not run.
                if let Some(error) = result.step_errors.into_iter().take(2).flatten().next() {
                    return Err(RunError::Statement(hrana::guest_message(&error)));
                }
                match result.step_results.into_iter().nth(1).flatten() {
                    Some(result) => result,
                    None => {
                        return Err(RunError::Server(RemoteError::Protocol {
                            detail: "the batch's statement has neither a result nor an error".into(),
                        }))
                    }
                }
            }
            Some(StreamResult::Error { error }) => return Err(RunError::Statement(hrana::guest_message(&error))),
            _ => return Err(RunError::Server(RemoteError::Protocol { detail: "not an execute result".into() })),
        };
        self.output(result)
    }

    /// A statement's answer as the guest gets it, its counters kept for `changes()` and
    /// `last_insert_rowid()`.
    fn output(&self, result: hrana::StmtResult) -> Result<super::QueryOutput, RunError> {
        let mut counters = self.counters.lock().expect("counters lock");
        counters.changes = result.affected_row_count;
        if let Some(id) = result.last_insert_rowid {
            counters.last_insert_rowid = id;
        }
        drop(counters);
        let columns = result.cols.into_iter().map(|c| c.name.unwrap_or_default()).collect();
        let mut rows = Vec::with_capacity(result.rows.len());
        let mut total = 0usize;
        for row in result.rows {
            let row = row
                .into_iter()
                .map(hrana::Value::into_sql)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|detail| RunError::Server(RemoteError::Protocol { detail }))?;
            super::count_row(&mut total, &row).map_err(RunError::Statement)?;
            rows.push(row);
        }
        Ok(super::QueryOutput { columns, rows })
    }
}

/// The transaction statements the edge treats specially.
#[derive(Debug, PartialEq, Eq)]
enum TransactionVerb {
    /// `BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] [TRANSACTION]`.
    Begin,
    /// `COMMIT`, `END` or `ROLLBACK`, optionally with `TRANSACTION` (not `ROLLBACK TO`).
    End,
}

/// Whether `sql` is exactly a bare transaction statement; anything else (a savepoint, a named
/// transaction, two statements) is sent as written.
fn transaction_verb(sql: &str) -> Option<TransactionVerb> {
    let sql = sql.trim().trim_end_matches(';').trim_end();
    let words: Vec<String> = sql.split_whitespace().map(|w| w.to_ascii_uppercase()).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["BEGIN"] | ["BEGIN", "TRANSACTION"] => Some(TransactionVerb::Begin),
        ["BEGIN", "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE"]
        | ["BEGIN", "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE", "TRANSACTION"] => Some(TransactionVerb::Begin),
        ["COMMIT" | "END" | "ROLLBACK"] | ["COMMIT" | "END" | "ROLLBACK", "TRANSACTION"] => Some(TransactionVerb::End),
        _ => None,
    }
}

/// How a statement failed: the server could not be asked, or SQLite refused the statement.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Server(RemoteError),
    /// The message as guests see it.
    #[error("{0}")]
    Statement(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_transaction_statements_are_recognised() {
        for sql in ["BEGIN", "begin immediate", " BEGIN IMMEDIATE TRANSACTION; ", "begin\ndeferred"] {
            assert_eq!(transaction_verb(sql), Some(TransactionVerb::Begin), "{sql}");
        }
        for sql in ["COMMIT", "end transaction", "ROLLBACK;"] {
            assert_eq!(transaction_verb(sql), Some(TransactionVerb::End), "{sql}");
        }
        for sql in ["ROLLBACK TO sp", "BEGIN; INSERT INTO t VALUES (1)", "SAVEPOINT a", "SELECT 'BEGIN'", ""] {
            assert_eq!(transaction_verb(sql), None, "{sql}");
        }
    }

    #[test]
    fn credentials_in_a_url_never_reach_a_message() {
        assert_eq!(without_credentials("http://user:secret@127.0.0.1:1"), "http://***@127.0.0.1:1");
        assert_eq!(without_credentials("https://db.turso.io"), "https://db.turso.io");
    }
}
