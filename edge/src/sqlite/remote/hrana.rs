//! The slice of Hrana 3 over HTTP (`POST /v3/pipeline`) the edge speaks: JSON bodies, one
//! pipeline per HTTP request, a baton naming the server-side stream between requests.
//!
//! Statements go out exactly as the guest wrote them, so column names, quoting and keywords used
//! as names (`last`, `key`, `action`) reach SQLite untouched; values are typed on the wire, so
//! integers, reals, text (NUL included) and blobs come back as they went in.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A value as Hrana carries it. Integers travel as decimal strings (JSON numbers lose precision
/// past 2^53); blobs as base64, which sqld writes without padding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Integer {
        /// Decimal digits.
        #[serde(with = "integer_text")]
        value: i64,
    },
    /// A finite real.
    Float {
        /// The number.
        value: f64,
    },
    /// UTF-8 text.
    Text {
        /// The text.
        value: String,
    },
    /// Bytes.
    Blob {
        /// Base64 of the bytes.
        base64: String,
    },
}

mod integer_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Base64 that reads padded and unpadded input alike (sqld omits the padding).
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

impl Value {
    /// The wire form of a guest's value. JSON has no NaN or infinity, so those are refused
    /// rather than silently stored as something else.
    pub fn from_sql(v: libsql::Value) -> Result<Value, String> {
        Ok(match v {
            libsql::Value::Null => Value::Null,
            libsql::Value::Integer(value) => Value::Integer { value },
            libsql::Value::Real(value) if value.is_finite() => Value::Float { value },
            libsql::Value::Real(value) => {
                return Err(format!("the real value {value} cannot be sent to a libSQL server (JSON has no {value})"))
            }
            libsql::Value::Text(value) => Value::Text { value },
            libsql::Value::Blob(bytes) => Value::Blob { base64: BASE64.encode(bytes) },
        })
    }

    /// The guest's form of a value the server sent.
    pub fn into_sql(self) -> Result<libsql::Value, String> {
        Ok(match self {
            Value::Null => libsql::Value::Null,
            Value::Integer { value } => libsql::Value::Integer(value),
            Value::Float { value } => libsql::Value::Real(value),
            Value::Text { value } => libsql::Value::Text(value),
            Value::Blob { base64 } => {
                libsql::Value::Blob(BASE64.decode(base64).map_err(|e| format!("malformed blob from the server: {e}"))?)
            }
        })
    }
}

/// The body of one `POST /v3/pipeline`.
#[derive(Debug, Serialize)]
pub struct PipelineRequest<'a> {
    /// The stream to continue; `None` opens a new one.
    pub baton: Option<&'a str>,
    /// Run in order, each whatever became of the ones before.
    pub requests: Vec<StreamRequest<'a>>,
}

/// One request inside a pipeline.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamRequest<'a> {
    /// One statement, with its rows.
    Execute {
        /// The statement.
        stmt: Stmt<'a>,
    },
    /// Several statements separated by `;`, no rows (migrations).
    Sequence {
        /// The script.
        sql: &'a str,
    },
    /// Statements run in order, each only when its condition holds (a deferred `BEGIN` and the
    /// statement after it: the statement must not run if the `BEGIN` failed).
    Batch {
        /// The steps.
        batch: Batch<'a>,
    },
    /// Whether the stream is outside a transaction.
    GetAutocommit,
    /// Ends the stream; an open transaction is rolled back.
    Close,
}

/// A statement and its positional arguments.
#[derive(Debug, Serialize)]
pub struct Stmt<'a> {
    /// The SQL as the guest wrote it.
    pub sql: &'a str,
    /// `?1`, `?2`, ... in order.
    pub args: Vec<Value>,
    /// Rows are always wanted: the guest gets whatever the statement returns.
    pub want_rows: bool,
}

/// A batch's steps.
#[derive(Debug, Serialize)]
pub struct Batch<'a> {
    /// In order.
    pub steps: Vec<BatchStep<'a>>,
}

/// One step of a batch.
#[derive(Debug, Serialize)]
pub struct BatchStep<'a> {
    /// When absent, the step always runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<BatchCond>,
    /// The statement.
    pub stmt: Stmt<'a>,
}

/// When a batch step runs (the one condition the edge needs).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchCond {
    /// Only if step `step` succeeded.
    Ok {
        /// The step's index.
        step: u32,
    },
}

/// What a batch produced: per step a result or an error (both `None` for a step skipped).
#[derive(Debug, Deserialize)]
pub struct BatchResult {
    /// Results, one per step.
    pub step_results: Vec<Option<StmtResult>>,
    /// Errors, one per step.
    pub step_errors: Vec<Option<ServerError>>,
}

/// The body of a pipeline's answer.
#[derive(Debug, Deserialize)]
pub struct PipelineResponse {
    /// The stream's next baton; `None` once the server closed it.
    pub baton: Option<String>,
    /// One per request, in order.
    pub results: Vec<StreamResult>,
}

/// How one request of a pipeline went.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResult {
    /// It ran.
    Ok {
        /// What it answered.
        response: StreamResponse,
    },
    /// It failed; the stream lives on.
    Error {
        /// Why.
        error: ServerError,
    },
}

/// A failed request's reason.
#[derive(Debug, Deserialize)]
pub struct ServerError {
    /// Human text (SQLite's message, prefixed by the server). The machine `code` beside it
    /// (`SQLITE_CONSTRAINT`) is not read: guests see messages, as on a local file.
    pub message: String,
}

/// The answer to one request.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResponse {
    /// To `execute`.
    Execute {
        /// Columns, rows and counters.
        result: StmtResult,
    },
    /// To `sequence`.
    Sequence,
    /// To `batch`.
    Batch {
        /// Each step's outcome.
        result: BatchResult,
    },
    /// To `get_autocommit`.
    GetAutocommit {
        /// Whether no transaction is open.
        is_autocommit: bool,
    },
    /// To `close`.
    Close,
}

/// What one statement produced.
#[derive(Debug, Deserialize)]
pub struct StmtResult {
    /// Column names as SQLite reports them.
    pub cols: Vec<Column>,
    /// Rows of values.
    pub rows: Vec<Vec<Value>>,
    /// `sqlite3_changes()` after the statement.
    pub affected_row_count: u64,
    /// Set when the statement inserted a row; decimal text.
    #[serde(default, with = "optional_integer_text")]
    pub last_insert_rowid: Option<i64>,
}

/// A result column.
#[derive(Debug, Deserialize)]
pub struct Column {
    /// Its name (`None` only for expressions the server could not name).
    pub name: Option<String>,
}

mod optional_integer_text {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

/// SQLite's message in the form the local backend gives it (`SQLite failure: `…``), so guests
/// that read messages (`UNIQUE constraint failed: …`, `database is locked`) see one shape.
pub fn guest_message(error: &ServerError) -> String {
    let text = error.message.strip_prefix("SQLite error: ").unwrap_or(&error.message);
    format!("SQLite failure: `{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_wire_form() {
        let values = vec![
            libsql::Value::Null,
            libsql::Value::Integer(i64::MIN),
            libsql::Value::Integer(9_007_199_254_740_993),
            libsql::Value::Real(2.5),
            libsql::Value::Text("志愿 ✓ \0x".into()),
            libsql::Value::Blob(vec![0, 255, 1]),
            libsql::Value::Blob(Vec::new()),
        ];
        for v in values {
            let json = serde_json::to_string(&Value::from_sql(v.clone()).unwrap()).unwrap();
            let back: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(back.into_sql().unwrap(), v, "{json}");
        }
    }

    #[test]
    fn unpadded_blobs_from_the_server_decode() {
        let v: Value = serde_json::from_str(r#"{"type":"blob","base64":"AP8"}"#).unwrap();
        assert_eq!(v.into_sql().unwrap(), libsql::Value::Blob(vec![0, 255]));
    }

    #[test]
    fn non_finite_reals_are_refused_not_changed() {
        assert!(Value::from_sql(libsql::Value::Real(f64::NAN)).is_err());
        assert!(Value::from_sql(libsql::Value::Real(f64::INFINITY)).is_err());
    }

    #[test]
    fn a_pipeline_answer_as_sqld_writes_it_parses() {
        let body = r#"{"baton":"b1","base_url":null,"results":[
            {"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"last","decltype":"TEXT"}],
              "rows":[[{"type":"text","value":"x"}]],"affected_row_count":1,"last_insert_rowid":"7",
              "replication_index":"2","rows_read":0,"rows_written":1,"query_duration_ms":0.1}}},
            {"type":"ok","response":{"type":"get_autocommit","is_autocommit":false}},
            {"type":"error","error":{"message":"SQLite error: UNIQUE constraint failed: t.a","code":"SQLITE_CONSTRAINT"}}]}"#;
        let answer: PipelineResponse = serde_json::from_str(body).unwrap();
        assert_eq!(answer.baton.as_deref(), Some("b1"));
        let StreamResult::Ok { response: StreamResponse::Execute { result } } = &answer.results[0] else { panic!() };
        assert_eq!(result.cols[0].name.as_deref(), Some("last"));
        assert_eq!(result.last_insert_rowid, Some(7));
        assert!(matches!(
            answer.results[1],
            StreamResult::Ok { response: StreamResponse::GetAutocommit { is_autocommit: false } }
        ));
        let StreamResult::Error { error } = &answer.results[2] else { panic!() };
        assert_eq!(guest_message(error), "SQLite failure: `UNIQUE constraint failed: t.a`");
    }
}
