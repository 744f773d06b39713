//! Guest execution: one fresh instance per request (as Spin gives WASIp2 components), created
//! from the component's `ProxyPre` in a pooled slot, running `wasi:http/incoming-handler` within
//! the request's time budget — on the clock (a guest waiting on I/O) and by epoch interruption
//! (a guest spinning on the CPU).
//!
//! A guest that fails — traps, runs out of time, answers with an error code or returns without
//! a response — gets Spin's answer: 500 with an empty body. The cause goes to the log only.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::{Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpView};

use super::{admission, full, Body, ServerInner};
use crate::app::LoadedComponent;
use crate::kv::KvCtx;
use crate::outbound::{OutboundPolicy, ServiceChain};
use crate::sqlite::host::SqliteCtx;
use crate::state::HostState;

/// Spin's answer for a guest that failed: 500, no body.
fn guest_failed() -> Response<Body> {
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp
}

impl ServerInner {
    /// Runs one fresh instance of `component` on `request` (already in Spin's view); `permit`
    /// is the admission slot, held until the instance is gone.
    pub(super) async fn run_guest<B>(
        &self,
        component: &Arc<LoadedComponent>,
        request: Request<B>,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let mut store = match self.new_store(component) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(component = %component.id, "preparing the instance: {e:#}");
                return guest_failed();
            }
        };
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let prepared = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .and_then(|req| Ok((req, store.data_mut().http().new_response_outparam(sender)?)));
        let (req, out) = match prepared {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(component = %component.id, "preparing the request: {e:#}");
                return guest_failed();
            }
        };
        let pre = component.pre.clone();
        let timeout = self.options.request_timeout;
        let id = component.id.clone();
        // The guest runs in its own task so that it may keep streaming the body after the
        // response head is sent; the permit is held until the instance is gone.
        let task = tokio::spawn(async move {
            let _permit = permit;
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy.wasi_http_incoming_handler().call_handle(&mut store, req, out).await
            };
            match tokio::time::timeout(timeout, run).await {
                Ok(result) => result,
                Err(_) => Err(wasmtime::format_err!("request timed out after {timeout:?}")),
            }
        });
        match receiver.await {
            Ok(Ok(resp)) => resp,
            Ok(Err(code)) => {
                tracing::warn!(component = %id, "guest answered with an error: {code:?}");
                guest_failed()
            }
            Err(_) => {
                let outcome = task.await;
                // Out of pooled instance slots is load, not a fault: ask the client to retry.
                if let Ok(Err(e)) = &outcome {
                    if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
                        tracing::warn!(component = %id, "{e}");
                        return admission::overloaded();
                    }
                }
                let why = match outcome {
                    Ok(Ok(())) => "the component returned without a response".to_string(),
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(e) => format!("{e}"),
                };
                tracing::error!(component = %id, "{why}");
                guest_failed()
            }
        }
    }

    /// The store for one instance: what the component may reach, its memory cap and its
    /// deadline.
    fn new_store(&self, component: &LoadedComponent) -> anyhow::Result<Store<HostState>> {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stdout().inherit_stderr();
        for (k, v) in &component.env {
            wasi.env(k, v);
        }
        if let Some(dir) = &component.mount {
            wasi.preopened_dir(dir, "/", FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("mounting {}", dir.display()))?;
        }
        let state = HostState {
            table: wasmtime::component::ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            outbound: OutboundPolicy::new(
                Arc::clone(&component.allowed_hosts),
                self.me.upgrade().map(|me| me as Arc<dyn ServiceChain>),
            ),
            sqlite: SqliteCtx::new(self.app.databases.clone(), Arc::clone(&component.sqlite_allowed)),
            variables: component.variables.clone(),
            kv: KvCtx::new(self.app.stores.clone(), Arc::clone(&component.kv_allowed)),
            limits: StoreLimitsBuilder::new().memory_size(self.options.max_instance_memory).build(),
        };
        let mut store = Store::new(&self.app.engine, state);
        store.limiter(|s| &mut s.limits);
        // Yield to the scheduler every tick so one busy guest cannot starve a worker thread, and
        // trap once the request's time is up.
        let deadline = Instant::now() + self.options.request_timeout;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                wasmtime::bail!("request timed out (CPU)")
            }
            Ok(UpdateDeadline::Yield(1))
        });
        Ok(store)
    }
}
