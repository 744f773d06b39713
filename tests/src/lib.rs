//! The harness of Wenming's end-to-end suite (`api/main.rs`, one module per area).
//!
//! Every test starts its own `wenming up` child process on `127.0.0.1:0` with a fresh state
//! directory, learns the address from the `Serving http://<addr>` line on stdout, and talks to it
//! over real HTTP. The binary is `$WENMING_BIN`, else `<workspace>/target/release/wenming`; the
//! fixture apps under `tests/apps/` need their components built first (`scripts/test` does it):
//!
//! ```text
//! source scripts/lib.sh && build_components && build_edge
//! cargo test --release -p wenming-tests
//! ```
//!
//! A tour, in the order a test meets it:
//!
//! - [`spawn`]: where the binary and the fixture apps are; [`Edge`] (a running edge, killed on
//!   drop), [`Launch`] (environment, arguments, an existing state dir), [`Exited`] (a failed
//!   start), [`wenming_migrate`].
//! - [`http`]: [`Reply`], requests through the edge's client, and byte-for-byte exchanges
//!   ([`raw_exchange`], [`parse_response`] with chunked decoding).
//! - [`parity`]: the Spin-parity fixtures: [`parity_manifest`], [`Echo`], [`Upstream`].
//! - [`db`]: reading the edge's SQLite files: [`open_db`], [`row_count`], [`count`],
//!   [`schema_migrations`].
//! - [`product`]: the Wenming app bootstrapped ([`start_product`], [`product_launch`],
//!   [`wenming_call`]), bearer requests ([`Edge::get_as`] …), sign-in by password and by SMS
//!   code read from the outbox, the request clock ([`Edge::get_at`] …).
//! - [`county`]: the one county fixture ([`County`]: centre → institute → stations A and B) and
//!   what areas add to it ([`Town`] with station admins and a team; staff, citizens, volunteers,
//!   teams, departments, menu items, activities).
//! - [`sms`]: a fake Tencent Cloud SMS / Aliyun Dysmsapi on 127.0.0.1 ([`FakeSms`]) that checks
//!   each request's signature and answers as scripted.
//! - [`wechat`]: a fake WeChat server API on 127.0.0.1 ([`FakeWechat`]): `stable_token` and the
//!   JS-SDK ticket, every call recorded.
//! - [`json`], [`time`], [`people`]: small helpers: ids and lists of an answer, unix seconds and
//!   RFC 3339 in Asia/Shanghai, valid resident ID numbers. The rules behind the last two (the
//!   calendar, check characters, phones, masks) are the `domain` crate's, which tests also use
//!   directly: the same code the components run, never a copy.
//!
//! - [`backend`]: the local file, or a real libSQL server per state dir when
//!   `WENMING_TEST_BACKEND=sqld` ([`on_sqld`], [`start_sqld`]).
//!
//! Everything is re-exported here, so a test names it as `wenming_tests::Edge`.

pub mod backend;
pub mod county;
pub mod db;
pub mod http;
pub mod json;
pub mod parity;
pub mod people;
pub mod product;
pub mod sms;
pub mod spawn;
pub mod time;
pub mod wechat;

pub use backend::*;
pub use county::*;
pub use db::*;
pub use http::*;
pub use json::*;
pub use parity::*;
pub use people::*;
pub use product::*;
pub use sms::*;
pub use spawn::*;
pub use time::*;
pub use wechat::*;
