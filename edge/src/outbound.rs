//! Outbound HTTP from guests (`wasi:http/outgoing-handler`).
//!
//! Spin sends a request only to hosts a component lists in `allowed_outbound_hosts`. Until the
//! allow-list is implemented, the edge refuses every outbound request with the WASI
//! `HTTP-request-denied` error: nothing leaves the machine that the manifest did not allow.

use std::future::Future;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Decides whether a guest's outbound request may be sent.
#[derive(Default)]
pub struct OutboundPolicy;

/// A future the wasi-http machinery awaits for an I/O result.
type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send> {
        tracing::warn!(uri = %request.uri().authority().map(|a| a.as_str()).unwrap_or(""), "outbound HTTP refused: not allowed");
        Box::new(async { Err(Error::HttpRequestDenied) })
    }
}
