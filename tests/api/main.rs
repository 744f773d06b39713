//! The end-to-end suite: one test binary, one module per area (zero-to-production's `tests/api/`).
//!
//! Every test starts its own `wenming` edge on `127.0.0.1:0` with a fresh state dir through the
//! harness in `src/` (the `wenming_tests` library) and drives it over HTTP. A test's full name is
//! `<module>::<test>`, so `cargo test --release -p wenming-tests --test api -- checkin::` runs
//! one area.
//!
//! To add an area: put `<area>.rs` in this folder and add `mod <area>;` below (keep the list
//! sorted). Its `use wenming_tests::{...}` lines work unchanged.

// The Spin-parity suites: the edge serving the fixture apps under `apps/`.
mod call;
mod composition;
mod headers;
mod key_value;
mod ledger;
mod limits;
mod metrics;
mod migrations;
mod outbound;
mod routing;
mod shutdown;
mod slow_clients;
mod sqlite;
mod variables;

// The product: `spin.toml` bootstrapped and driven as its users are.
mod abuse;
mod activities;
mod checkin;
mod console;
mod dashboard;
mod demands;
mod directory;
mod evaluation;
mod hardening;
mod jobs;
mod libsql_server;
mod mediation;
mod openapi;
mod order_hours;
mod rewards;
mod settings;
mod setup;
mod sms_delivery;
mod surveys;
mod volunteers;
mod wechat;
mod wechat_jssdk;
mod wechat_menu;
mod wechat_sign_in;
mod wechat_templates;
