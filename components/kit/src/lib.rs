//! Shared helpers for Wenming's step components. This is a plain library linked into each
//! component at build time, not a component: it holds the HTTP and database plumbing every step
//! would otherwise repeat. Invariants that must hold across steps (identity, ledger, outbox) live
//! in library *components* behind `wit/` instead, where one implementation serves all.
//!
//! - [`ApiError`]: the project's one error shape and its statuses.
//! - [`json`], [`parse_body`], [`query_param`], [`bearer`]: requests and responses.
//! - [`Db`]: a connection with typed row access and [`Db::transaction`].
//! - [`idempotent`]: replay a retried write's saved response.
//! - [`audit`]: record an admin action.
//! - [`mask_phone`], [`mask_id_number`]: personal data in lists.
//! - [`request_now`]: the request's clock (overridable in tests only).

pub mod clock;
pub mod db;
pub mod error;
pub mod http;
pub mod mask;

pub use clock::request_now;
pub use db::{audit, idempotent, subtree_bounds, unique_violation, Db, Row};
pub use error::ApiError;
pub use http::{bearer, json, parse_body, query_param, Page};
pub use mask::{mask_id_number, mask_phone};

/// Now, in unix seconds (UTC).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
