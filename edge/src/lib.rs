//! Wenming's API edge: a wasmtime host that serves a Spin application (`spin.toml`) the way
//! `spin up` does, on libSQL, in one small binary for a county VM.
//!
//! A tour, in the order a request meets them:
//! - [`manifest`] parses `spin.toml` strictly; [`runtime_config`] says where databases live.
//! - [`engine`] configures wasmtime (pooling, epochs) and caches compiled components;
//!   [`app`] compiles and pre-instantiates each component and stages its files;
//!   [`compose`] plugs component dependencies into their importers.
//! - [`host`] lists what the host provides to components and builds the linker for it.
//! - [`server`] accepts (within the connection caps, overall and per client, and the header,
//!   idle and body-read timeouts), applies the limits (admission), and runs one fresh instance per request
//!   (guest execution) or per chained call (service chaining); [`routing`] picks the component
//!   with Spin's precedence and [`request_view`] shows the request to the guest as Spin does.
//! - [`state`] is the per-request store data; [`sqlite`] serves Spin's SQLite interfaces on
//!   pooled connections (local files through the SQLite that libSQL bundles, or a libSQL
//!   server over Hrana/HTTP), [`kv`] its key-value stores; [`outbound`] decides what a guest may send out.
//! - [`variables`] resolves `[variables]` and serves them to components.
//! - [`metrics`] counts requests and latencies for the admin listener.
//! - [`migrate`] applies versioned SQL migrations before serving; [`adopt`] verifies and records
//!   a schema that was applied by hand.
//! - [`schedule`] reads the periodic jobs declared under `[application.tool.wenming]`; [`setup`]
//!   makes the first-run setup code when the app declares one there and still needs it.
#![deny(missing_docs)]

pub mod adopt;
pub mod app;
pub mod cli;
pub mod compose;
pub mod engine;
pub mod host;
pub mod kv;
pub mod manifest;
pub mod metrics;
pub mod migrate;
pub mod outbound;
pub mod request_view;
pub mod routing;
pub mod runtime_config;
pub mod schedule;
pub mod server;
pub mod setup;
pub mod sqlite;
pub mod state;
pub mod variables;
