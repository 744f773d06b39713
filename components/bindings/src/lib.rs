//! The bindings of the interfaces Wenming's library components export —
//! `wenming:identity/identity`, `wenming:ledger/ledger`, `wenming:notify/notify` and
//! `wenming:settings/settings` — generated here once (world `wenming:platform/platform-imports`)
//! so every step component and `kit` name the same `Principal`, `ledger::Error` and so on.
//!
//! A component that links this crate imports only the functions it calls: the componentizer
//! keeps the imports the core module uses, so a step that never posts to the ledger does not
//! import it (and needs no ledger dependency in `spin.toml`).
//!
//! `spin:sqlite` is mapped onto `spin_sdk`'s own bindings, so a `spin_sdk::sqlite3::Connection`
//! is the `connection` the ledger, notify and identity functions borrow.

#![deny(missing_docs)]

#[allow(missing_docs)]
mod generated {
    spin_sdk::wit_bindgen::generate!({
        path: "../../wit",
        world: "wenming:platform/platform-imports",
        runtime_path: "spin_sdk::wit_bindgen::rt",
        with: { "spin:sqlite/sqlite@3.0.0": spin_sdk::wit::spin::sqlite::sqlite },
        generate_all,
    });
}

/// `wenming:identity/identity`: who is calling and what they may do where.
pub use generated::wenming::identity::identity;
/// `wenming:ledger/ledger`: the append-only minutes and points ledgers.
pub use generated::wenming::ledger::ledger;
/// `wenming:notify/notify`: the notification outbox.
pub use generated::wenming::notify::notify;
/// `wenming:settings/settings`: the deployment's settings.
pub use generated::wenming::settings::settings;
