//! Local service chaining: a guest's request to `http://<component>.spin.internal/...` runs that
//! component in this process (private routes included), as Spin does, and `wenming call` uses
//! the same path to reach a component from the command line.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};

use super::{ServeOptions, ServerInner};
use crate::app::LoadedApp;
use crate::metrics::Metrics;
use crate::outbound::{ChainFuture, ServiceChain, SERVICE_CHAINING_SUFFIX};
use crate::request_view;
use crate::routing::{Route, RouteMatch, RoutePattern, Target};

/// What Spin shows a chained component: a synthetic catch-all route, the path as path info,
/// `localhost` for the stripped internal host, and no client address.
const CHAINED_AUTHORITY: &str = "localhost";
const CHAINED_CLIENT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

impl ServiceChain for ServerInner {
    fn call(&self, component: &str, request: Request<wasmtime_wasi_http::WasiBody>) -> Option<ChainFuture> {
        let component = Arc::clone(self.app.components.get(component)?);
        let me = self.me.upgrade()?;
        Some(Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let route = Route { pattern: RoutePattern::parse("/..."), target: Target::Component(component.id.clone()) };
            let matched = RouteMatch { route: &route, captures: Vec::new(), path_info: parts.uri.path().to_string() };
            request_view::apply(&mut parts, CHAINED_AUTHORITY, &matched, CHAINED_CLIENT).map_err(|e| match e {
                request_view::ViewError::Uri(_) => wasmtime_wasi_http::Error::HttpRequestUriInvalid,
                other => wasmtime_wasi_http::Error::InternalError(Some(other.to_string())),
            })?;
            // Chained calls skip admission: their caller already holds an instance slot, and
            // making it wait for a second one could deadlock a full server.
            Ok(me.run_guest(&component, Request::from_parts(parts, body), None).await)
        }))
    }
}

/// Runs one request through `component` in-process, as local service chaining would, and
/// returns the status and the whole body (`wenming call`).
pub async fn call(
    app: LoadedApp,
    options: ServeOptions,
    component: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> anyhow::Result<(u16, Bytes)> {
    let server = ServerInner::new(Arc::new(app), options, Metrics::default());
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let mut request = Request::builder()
        .method(method.parse::<http::Method>().with_context(|| format!("bad method {method:?}"))?)
        .uri(format!("http://{component}{SERVICE_CHAINING_SUFFIX}{path}"));
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !body.is_empty() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync())
        .context("building the request")?;
    let response = ServiceChain::call(&*server, component, request)
        .with_context(|| format!("no component {component:?} in this application"))?
        .await
        .map_err(|e| anyhow::anyhow!("{component}: {e:?}"))?;
    let status = response.status().as_u16();
    let body =
        response.into_body().collect().await.map_err(|e| anyhow::anyhow!("reading the answer: {e:?}"))?.to_bytes();
    Ok((status, body))
}
