//! The one error shape: `{"error": {"code": "...", "message": "...", "field": "..."}}`.

use spin_sdk::http::Response;

/// Every error a handler returns; each variant names its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is not well-formed (bad JSON, wrong types).
    #[error("{0}")]
    Malformed(String),
    /// 400 with a machine code, for a malformed request the client should tell apart (e.g.
    /// `invalid_return`: a return path that is not one of the platform's own).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no session, or an expired or revoked one.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: signed in, but not allowed here.
    #[error("{0}")]
    Forbidden(String),
    /// 403 with a machine code, for a refusal the client should tell apart (e.g.
    /// `outside_audience`: this person is not who the survey asks).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// 404: no such resource (or not one the caller may see).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("use {0}")]
    MethodNotAllowed(&'static str),
    /// 409: conflicts with the current state (duplicate, wrong state); `code` says which.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 410: what the request relies on has run out or was used (e.g. `binding_expired`: the
    /// ten minutes to bind a WeChat sign-in to an account have passed); start again.
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// 413: the body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 415: a body sent as something other than `application/json`. Refused before it is read,
    /// so a cross-site HTML form (which can only send `text/plain`, `multipart/form-data` or
    /// `application/x-www-form-urlencoded` without a preflight) cannot drive an endpoint.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid; `field` names the offending field.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 422 for several fields at once (a questionnaire, a submission): `field` is the first,
    /// `fields` lists every `(field, message)`. Never empty.
    #[error("{} fields are invalid; the first: {}: {}", .0.len(), .0[0].0, .0[0].1)]
    InvalidFields(Vec<(String, String)>),
    /// 429: throttled; retry after this many seconds.
    #[error("{message}")]
    Throttled { retry_after: u64, message: String },
    /// 503: too busy right now (every sign-in slot taken, the database's write lock not free
    /// in time); nothing was changed, so the client may simply retry after this many seconds.
    #[error("{message}")]
    Busy { retry_after: u64, message: String },
    /// 500: something failed inside; the message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid { field: field.to_string(), message: message.into() }
    }

    /// A 422 for every `(field, message)` in `list`, even a single one, so a form reads one
    /// shape (`fields`) whatever the count.
    pub fn invalid_fields(list: Vec<(String, String)>) -> ApiError {
        if list.is_empty() {
            return ApiError::invalid("body", "is invalid");
        }
        ApiError::InvalidFields(list)
    }

    /// A 409 with a machine code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict { code, message: message.into() }
    }

    /// The field a 422 names (the first, when it names several); `None` for any other error.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            ApiError::InvalidFields(list) => list.first().map(|(field, _)| field.as_str()),
            _ => None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Malformed(_) | ApiError::BadRequest { .. } => 400,
            ApiError::Unauthenticated(_) => 401,
            ApiError::Forbidden(_) | ApiError::Refused { .. } => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::Gone { .. } => 410,
            ApiError::TooLarge(_) => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Invalid { .. } | ApiError::InvalidFields(_) => 422,
            ApiError::Throttled { .. } => 429,
            ApiError::Busy { .. } => 503,
            ApiError::Internal(_) => 500,
        }
    }

    fn code(&self) -> &str {
        match self {
            ApiError::Malformed(_) => "malformed",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Refused { code, .. } => code,
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::BadRequest { code, .. } | ApiError::Gone { code, .. } => code,
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid { .. } | ApiError::InvalidFields(_) => "invalid",
            ApiError::Throttled { .. } => "throttled",
            ApiError::Busy { .. } => "busy",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The response, in the one error shape. Internal details go to the log, not the client.
    pub fn into_response(self) -> Response {
        let message = match &self {
            ApiError::Internal(detail) => {
                eprintln!("internal error: {detail}");
                "something went wrong; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        let mut error = serde_json::json!({ "code": self.code(), "message": message });
        if let ApiError::Invalid { field, .. } = &self {
            error["field"] = serde_json::Value::String(field.clone());
        }
        if let ApiError::InvalidFields(list) = &self {
            error["field"] = serde_json::Value::String(list[0].0.clone());
            error["fields"] = list.iter().map(|(f, m)| serde_json::json!({ "field": f, "message": m })).collect();
        }
        let mut builder = Response::builder();
        builder
            .status(self.status())
            .header("content-type", "application/json")
            .header("x-content-type-options", "nosniff");
        if let ApiError::Throttled { retry_after, .. } | ApiError::Busy { retry_after, .. } = &self {
            builder.header("retry-after", retry_after.to_string());
        }
        if let ApiError::MethodNotAllowed(allowed) = &self {
            builder.header("allow", *allowed);
        }
        builder.body(serde_json::json!({ "error": error }).to_string()).build()
    }
}

impl ApiError {
    /// The 503 for a moment of overload: nothing was done, retry after `retry_after` seconds.
    pub fn busy(retry_after: u64) -> ApiError {
        ApiError::Busy { retry_after: retry_after.max(1), message: "the server is busy; retry in a moment".into() }
    }
}

/// Seconds a client is told to wait when the database's write lock was not free in time: the
/// lock is held for milliseconds at a time, so the queue in front of it is what a retry waits for.
const DATABASE_BUSY_RETRY_S: u64 = 2;

/// Whether a database error means "another writer holds the lock, and the busy timeout ran out":
/// Spin and the edge both send every SQLite failure as `io(<message>)`, so the message is all
/// there is to go by (SQLite's own wording for SQLITE_BUSY and SQLITE_LOCKED).
fn is_busy(e: &spin_sdk::sqlite3::Error) -> bool {
    match e {
        spin_sdk::sqlite3::Error::Io(message) => {
            let m = message.to_ascii_lowercase();
            m.contains("database is locked") || m.contains("database is busy") || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// A database failure: a busy or locked database is a 503 `busy` with `Retry-After` (a flood of
/// writers is load, not a fault, and the statement changed nothing), anything else a 500.
impl From<spin_sdk::sqlite3::Error> for ApiError {
    fn from(e: spin_sdk::sqlite3::Error) -> Self {
        if is_busy(&e) {
            eprintln!("database busy: {e:?}");
            return ApiError::busy(DATABASE_BUSY_RETRY_S);
        }
        ApiError::Internal(format!("database: {e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_sdk::sqlite3::Error as DbError;

    #[test]
    fn a_locked_database_is_busy_and_anything_else_internal() {
        for busy in ["database is locked", "SqliteFailure(..., Some(\"database is locked\"))", "database is busy"] {
            let e = ApiError::from(DbError::Io(busy.into()));
            assert_eq!((e.status(), e.code()), (503, "busy"), "{busy}");
        }
        for other in [DbError::Io("UNIQUE constraint failed: accounts.phone".into()), DbError::DatabaseFull] {
            assert_eq!(ApiError::from(other).status(), 500);
        }
    }
}
