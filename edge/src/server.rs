//! The HTTP server: accept, route, admit, run the guest, answer, log.
//!
//! Every request that reaches a component gets a fresh instance (as Spin gives WASIp2
//! components), created from its `ProxyPre` inside a pooled slot. In front of that sit the limits
//! Spin leaves out: a body cap (413), a cap on live instances with a bounded wait queue (503 and
//! `Retry-After` when full), and a per-request time budget enforced both on the clock (a guest
//! waiting on I/O) and by epoch interruption (a guest spinning on the CPU).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpView};

use crate::app::{LoadedApp, LoadedComponent};
use crate::headers;
use crate::kv::KvCtx;
use crate::metrics::{Gauges, Metrics};
use crate::outbound::{ChainFuture, OutboundPolicy, ServiceChain};
use crate::routing::{Route, RouteMatch, RoutePattern, Target};
use crate::sqlite::host::SqliteCtx;
use crate::state::HostState;

/// Limits and addresses for serving.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Longest a guest may run for one request, on the clock and on the CPU.
    pub request_timeout: Duration,
    /// Guest instances alive at once; each holds a pooled slot and its memory.
    pub max_instances: usize,
    /// Requests that may wait for an instance; beyond that the edge answers 503 at once.
    pub max_queue: usize,
    /// Longest a request waits in the queue before a 503.
    pub queue_timeout: Duration,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Linear memory one instance may grow to, in bytes.
    pub max_instance_memory: usize,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// Where `/metrics` is served, apart from the application (`None`: nowhere).
    pub metrics_listen: Option<SocketAddr>,
}

/// Bounded admission: a permit per live instance, and a counted queue in front of it.
struct Admission {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
    queue_timeout: Duration,
}

impl Admission {
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = Arc::clone(&self.permits).try_acquire_owned() {
            return Some(p);
        }
        // The place in the queue is given back on every way out, including a client that hangs
        // up while queued: hyper then drops this future mid-await, and a counter decremented
        // after the await would leak until the queue looked full for good.
        let place = QueuePlace::take(&self.waiting);
        if place.ahead >= self.max_queue {
            return None;
        }
        let permit = tokio::time::timeout(self.queue_timeout, Arc::clone(&self.permits).acquire_owned()).await;
        permit.ok().and_then(Result::ok)
    }
}

/// One request's place in the admission queue; leaving it (by any path) frees the place.
struct QueuePlace<'a> {
    waiting: &'a AtomicUsize,
    /// How many were waiting before this one.
    ahead: usize,
}

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize) -> Self {
        QueuePlace { waiting, ahead: waiting.fetch_add(1, Ordering::SeqCst) }
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A bound server, ready to run.
pub struct Server {
    app: Arc<LoadedApp>,
    options: ServeOptions,
    admission: Admission,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
}

type Body = HyperOutgoingBody;

impl Server {
    /// Binds the listening socket.
    pub async fn bind(app: LoadedApp, options: ServeOptions) -> anyhow::Result<Server> {
        let listener =
            TcpListener::bind(options.listen).await.with_context(|| format!("listening on {}", options.listen))?;
        let admission = Admission {
            permits: Arc::new(Semaphore::new(options.max_instances)),
            waiting: AtomicUsize::new(0),
            max_queue: options.max_queue,
            queue_timeout: options.queue_timeout,
        };
        let metrics_listener = match options.metrics_listen {
            Some(addr) => {
                Some(TcpListener::bind(addr).await.with_context(|| format!("listening for metrics on {addr}"))?)
            }
            None => None,
        };
        Ok(Server { app: Arc::new(app), options, admission, listener, metrics_listener })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listener.local_addr().context("reading the bound address")
    }

    /// The metrics listener's address, if there is one.
    pub fn metrics_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        self.metrics_listener.as_ref().map(|l| l.local_addr().context("reading the metrics address")).transpose()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests (up to the grace
    /// period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let grace = self.options.shutdown_grace;
        let listener = self.listener;
        let (app, options, admission) = (self.app, self.options, self.admission);
        let server =
            Arc::new_cyclic(|me| ServerInner { app, options, admission, metrics: Metrics::default(), me: me.clone() });
        let metrics_task = self.metrics_listener.map(|l| tokio::spawn(serve_metrics(l, Arc::clone(&server))));
        tokio::pin!(shutdown);
        loop {
            let (stream, client) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Running out of file descriptors must not stop the server.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&server);
            let service = hyper::service::service_fn(move |req| {
                let server = Arc::clone(&server);
                async move { Ok::<_, std::convert::Infallible>(server.handle(req, client).await) }
            });
            let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%client, "connection ended with an error: {e}");
                }
            });
        }
        drop(listener);
        if let Some(task) = metrics_task {
            task.abort();
        }
        tracing::info!("shutting down: finishing in-flight requests");
        tokio::select! {
            _ = graceful.shutdown() => tracing::info!("all connections closed"),
            _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
        }
        Ok(())
    }
}

struct ServerInner {
    app: Arc<LoadedApp>,
    options: ServeOptions,
    admission: Admission,
    metrics: Metrics,
    /// Lets an instance's outbound hook run another component (local service chaining).
    me: Weak<ServerInner>,
}

/// An answer the edge gives itself, in the project's one error shape.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).map_err(|never| match never {}).boxed_unsync()
}

impl ServerInner {
    async fn handle(&self, req: Request<Incoming>, client: SocketAddr) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        // The query string may carry personal data; the log gets the path only.
        let path = req.uri().path().to_string();
        let (response, component) = self.dispatch(req, client).await;
        self.metrics.record(component.as_deref().unwrap_or("-"), response.status().as_u16(), started.elapsed());
        tracing::info!(
            target: "access",
            "{method} {path} component={} status={} duration_ms={:.2}",
            component.as_deref().unwrap_or("-"),
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        response
    }

    async fn dispatch(&self, req: Request<Incoming>, client: SocketAddr) -> (Response<Body>, Option<String>) {
        let path = req.uri().path().to_string();
        if let Some(resp) = self.well_known(&path) {
            return (resp, None);
        }
        let Some(matched) = self.app.router.route(&path) else {
            return (error_response(StatusCode::NOT_FOUND, "not_found", "no route matches this path"), None);
        };
        let component = match &matched.route.target {
            Target::Static(i) => return (self.static_response(*i), None),
            Target::Component(id) => Arc::clone(&self.app.components[id]),
        };
        let id = Some(component.id.clone());

        let (mut parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.options.max_body_bytes as u64) {
            return (too_large(self.options.max_body_bytes), id);
        }
        let body = match Limited::new(body, self.options.max_body_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                return (too_large(self.options.max_body_bytes), id)
            }
            Err(e) => {
                return (
                    error_response(StatusCode::BAD_REQUEST, "bad_request", &format!("reading the request body: {e}")),
                    id,
                )
            }
        };

        // Spin's view of the request: absolute URI from the Host header, its own headers added.
        let host =
            parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_string();
        let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
        let full_url = format!("http://{host}{path_and_query}");
        parts.uri = match full_url.parse() {
            Ok(uri) => uri,
            Err(_) => return (error_response(StatusCode::BAD_REQUEST, "bad_request", "invalid Host header"), id),
        };
        headers::strip_client_headers(&mut parts.headers);
        parts.headers.remove(http::header::HOST);
        if let Err(e) = headers::add_spin_headers(&mut parts.headers, &full_url, &matched, client) {
            return (error_response(StatusCode::BAD_REQUEST, "bad_request", &format!("{e}")), id);
        }
        let request = Request::from_parts(parts, Full::new(body));

        let Some(permit) = self.admission.admit().await else {
            let mut resp =
                error_response(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "the server is busy; retry shortly");
            resp.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            return (resp, id);
        };
        (self.run_guest(&component, request, Some(permit)).await, id)
    }

    fn well_known(&self, path: &str) -> Option<Response<Body>> {
        let rest = path.strip_prefix("/.well-known/spin")?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        Some(match rest {
            "/health" => Response::new(full("OK")),
            "/info" => {
                let info = serde_json::json!({ "name": self.app.name, "version": self.app.version });
                let mut resp = Response::new(full(info.to_string()));
                resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                resp
            }
            _ => {
                let mut resp = Response::new(full(Bytes::new()));
                *resp.status_mut() = StatusCode::NOT_FOUND;
                resp
            }
        })
    }

    fn static_response(&self, index: usize) -> Response<Body> {
        let s = &self.app.statics[&index];
        let mut resp = Response::new(full(s.body.clone().unwrap_or_default()));
        *resp.status_mut() = StatusCode::from_u16(s.status_code.unwrap_or(200)).unwrap_or(StatusCode::OK);
        for (k, v) in &s.headers {
            if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                resp.headers_mut().append(name, value);
            }
        }
        resp
    }

    /// Runs one fresh instance of `component` on `request`.
    async fn run_guest<B>(
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
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the component could not be started",
                );
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
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the request could not be passed on",
                );
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
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "guest_error", "the component failed")
            }
            Err(_) => {
                let outcome = task.await;
                // Out of pooled instance slots is load, not a fault: ask the client to retry.
                if let Ok(Err(e)) = &outcome {
                    if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
                        tracing::warn!(component = %id, "{e}");
                        let mut resp = error_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "overloaded",
                            "the server is busy; retry shortly",
                        );
                        resp.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                        return resp;
                    }
                }
                let why = match outcome {
                    Ok(Ok(())) => "the component returned without a response".to_string(),
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(e) => format!("{e}"),
                };
                tracing::error!(component = %id, "{why}");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "guest_error", "the component failed")
            }
        }
    }

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

impl ServerInner {
    fn gauges(&self) -> Gauges {
        let limit = self.options.max_instances;
        Gauges {
            instances_in_use: limit.saturating_sub(self.admission.permits.available_permits()),
            instances_limit: limit,
            queue_depth: self.admission.waiting.load(Ordering::SeqCst),
            databases: self
                .app
                .databases
                .iter()
                .map(|db| (db.label().to_string(), db.in_use_count(), db.idle_count()))
                .collect(),
        }
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
    let admission = Admission {
        permits: Arc::new(Semaphore::new(options.max_instances)),
        waiting: AtomicUsize::new(0),
        max_queue: 0,
        queue_timeout: Duration::ZERO,
    };
    let server = Arc::new_cyclic(|me| ServerInner {
        app: Arc::new(app),
        options,
        admission,
        metrics: Metrics::default(),
        me: me.clone(),
    });
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    let mut request = Request::builder()
        .method(method.parse::<http::Method>().with_context(|| format!("bad method {method:?}"))?)
        .uri(format!("http://{component}{}{path}", crate::outbound::SERVICE_CHAINING_SUFFIX));
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !body.is_empty() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync())
        .context("building the request")?;
    let response = server
        .call(component, request)
        .with_context(|| format!("no component {component:?} in this application"))?
        .await
        .map_err(|e| anyhow::anyhow!("{component}: {e:?}"))?;
    let status = response.status().as_u16();
    let body =
        response.into_body().collect().await.map_err(|e| anyhow::anyhow!("reading the answer: {e:?}"))?.to_bytes();
    Ok((status, body))
}

/// Serves `GET /metrics` on the admin listener until aborted.
async fn serve_metrics(listener: TcpListener, server: Arc<ServerInner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let server = Arc::clone(&server);
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let server = Arc::clone(&server);
            async move {
                let resp = if req.uri().path() == "/metrics" && req.method() == http::Method::GET {
                    let mut resp = Response::new(full(server.metrics.render(&server.gauges())));
                    resp.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    );
                    resp
                } else {
                    error_response(StatusCode::NOT_FOUND, "not_found", "the admin listener serves GET /metrics only")
                };
                Ok::<_, std::convert::Infallible>(resp)
            }
        });
        tokio::spawn(async move {
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

impl ServiceChain for ServerInner {
    fn call(&self, component: &str, request: Request<wasmtime_wasi_http::WasiBody>) -> Option<ChainFuture> {
        let component = Arc::clone(self.app.components.get(component)?);
        let me = self.me.upgrade()?;
        Some(Box::pin(async move {
            // What Spin shows a chained component: a synthetic catch-all route, the path as path
            // info, `localhost` for the stripped internal host, and no client address.
            let (mut parts, body) = request.into_parts();
            let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
            let full_url = format!("http://localhost{path_and_query}");
            parts.uri = full_url.parse().map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?;
            let route = Route { pattern: RoutePattern::parse("/..."), target: Target::Component(component.id.clone()) };
            let matched = RouteMatch { route: &route, captures: Vec::new(), path_info: parts.uri.path().to_string() };
            headers::strip_client_headers(&mut parts.headers);
            parts.headers.remove(http::header::HOST);
            headers::add_spin_headers(&mut parts.headers, &full_url, &matched, SocketAddr::from(([0, 0, 0, 0], 0)))
                .map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))?;
            // Chained calls skip admission: their caller already holds an instance slot, and
            // making it wait for a second one could deadlock a full server.
            Ok(me.run_guest(&component, Request::from_parts(parts, body), None).await)
        }))
    }
}

fn too_large(limit: usize) -> Response<Body> {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("request body is larger than {limit} bytes"),
    )
}
