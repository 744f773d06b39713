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
//! - [`Fields`]: request bodies field by field; [`idempotency_key`], [`request_fingerprint`].
//! - [`time`]: RFC 3339 in `+08:00`; [`csv`]: spreadsheet-safe CSV; [`unicode`]: the invisible
//!   characters names may not hold.
//! - [`access`]: [`authenticate`], [`optional`], [`deny`]/[`gate`], [`Scope`] — identity in the
//!   one vocabulary; [`identity`], [`ledger`], [`notify`], [`settings_api`]: the library
//!   components' bindings, generated once in the `bindings` crate.
//! - [`session`]: the bearer token or the console's cookie (with its CSRF check).
//! - [`jobs`]: the scheduler-only gate in front of every periodic job route.
//! - [`client_key`]: who the client is (its IP, an IPv6 address as its /64); [`throttle`]: rate
//!   limits per client and a global budget, counted in the request's transaction.
//! - [`ledger_error`], [`sms`] (the one way to queue a message), [`leads_team`] (the one rule
//!   for team leadership), [`settings`] (the one reader of `deployment_settings`).

pub mod access;
pub mod client;
pub mod clock;
pub mod csv;
pub mod db;
pub mod error;
pub mod fields;
pub mod http;
pub mod jobs;
pub mod mask;
pub mod platform;
pub mod session;
pub mod settings;
pub mod throttle;
pub mod time;

pub use access::{
    allowed, anywhere, authenticate, deny, deny_seen, gate, identity_error, nowhere, optional, role, roles_json, Scope,
};
pub use bindings::settings as settings_api;
pub use bindings::{identity, ledger, notify};
/// The invisible characters texts may not hold: the `domain` rule, where every crate reaches it.
pub use domain::unicode;
pub use platform::{fall_back_to_sms, leads_team, leads_team_at, led_teams, ledger_error, sms};

pub use client::client_key;
pub use clock::request_now;
pub use db::{audit, idempotent, like_escape, org_path, unique_violation, works_elsewhere, Db, Row};
pub use error::ApiError;
pub use fields::Fields;
pub use http::{
    allow_method, api_segments, bearer, idempotency_key, is_chained, json, parse_body, path_id, query_bool,
    query_choice, query_filter, query_id, query_param, query_text, request_fingerprint, Page,
};
pub use mask::{mask_id_number, mask_phone, valid_phone};
pub use session::{browser_session, credential, csrf_token, session_token, Credential};

/// A WIT enum case's name from its generated Rust `Debug` form: `ReadDirectory` (or, for an
/// imported enum, `Action::ReadDirectory`) → `read-directory`. Keeps messages in the
/// interface's own words without a hand-kept table per component.
pub fn wit_name(value: &impl std::fmt::Debug) -> String {
    let full = format!("{value:?}");
    let debug = full.rsplit("::").next().unwrap_or(&full);
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Now, in unix seconds (UTC).
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[derive(Debug)]
    enum Action {
        ReadVolunteersUnmasked,
        Dispatch,
    }

    #[test]
    fn wit_names_are_kebab_case() {
        assert_eq!(super::wit_name(&Action::ReadVolunteersUnmasked), "read-volunteers-unmasked");
        assert_eq!(super::wit_name(&Action::Dispatch), "dispatch");
        struct Qualified;
        impl std::fmt::Debug for Qualified {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("Action::ManageServiceMenu")
            }
        }
        assert_eq!(super::wit_name(&Qualified), "manage-service-menu");
    }
}
