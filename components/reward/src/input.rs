//! Path and query values and request bodies: all of them `kit`'s getters, named here so the
//! handlers read `input::...` like every component's.

pub use kit::{idempotency_key, path_id, query_choice, query_id, query_param, query_text, request_fingerprint, Fields};
