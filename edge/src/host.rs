//! What the host provides to components: every interface a guest may import, in one place.
//!
//! | import | served by |
//! |---|---|
//! | `wasi:cli`, `wasi:clocks`, `wasi:filesystem`, `wasi:io`, `wasi:random`, `wasi:sockets` (0.2) | `wasmtime-wasi`; files and environment per component ([`crate::app`]) |
//! | `wasi:http/types`, `wasi:http/outgoing-handler` (0.2) | `wasmtime-wasi-http`, sends through [`crate::outbound`] |
//! | `fermyon:spin/sqlite@2.0.0`, `spin:sqlite/sqlite@3.0.0` | [`crate::sqlite::host`] |
//! | `fermyon:spin/variables@2.0.0` | [`crate::variables`] |
//! | `fermyon:spin/key-value@2.0.0` | [`crate::kv`] |
//! | `wenming-deny:*` (capabilities a dependency was not granted) | [`crate::compose::add_denials`], per component |
//!
//! A component must export `wasi:http/incoming-handler@0.2` (see [`crate::server`]). Anything
//! else it imports makes loading fail with the component and the missing import named.

use anyhow::Context;
use wasmtime::component::Linker;
use wasmtime::Engine;

use crate::state::HostState;

/// A linker with every interface the host provides.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)
        .context("linking wasi:http")?;
    crate::sqlite::host::add_to_linker(&mut linker).map_err(anyhow::Error::from).context("linking SQLite")?;
    crate::variables::add_to_linker(&mut linker).map_err(anyhow::Error::from).context("linking variables")?;
    crate::kv::add_to_linker(&mut linker).map_err(anyhow::Error::from).context("linking key-value")?;
    Ok(linker)
}
