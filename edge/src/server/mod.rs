//! The HTTP server: accept, route, admit, run the guest, answer, log.
//!
//! A request meets, in order: the body cap (413), the router ([`crate::routing`], Spin's
//! precedence), Spin's request view ([`crate::request_view`]), [`admission`] (the instance cap
//! and its bounded queue: 503 and `Retry-After` when full) and [`guest`] execution (a fresh
//! instance within the time budget). [`chaining`] runs `*.spin.internal` requests from guests,
//! and `wenming call`, in-process.
//!
//! [`jobs`] runs the manifest's schedule ([`crate::schedule`]): each job is a request through
//! the same path, made in-process.
//!
//! Before any of that, a connection meets the connection cap (`--max-connections`), the
//! per-client cap ([`per_client`]: `--max-connections-per-client`) and its own clock
//! ([`connection`]: `--header-read-timeout`, `--idle-timeout`), so slow, idle or greedy clients
//! cannot hold every descriptor the process has; a request's body must then arrive within
//! `--body-read-timeout` (408), before any instance is taken for it.

mod admission;
mod chaining;
mod connection;
mod guest;
mod jobs;
mod per_client;

use std::future::Future;
use std::net::SocketAddr;
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
use tokio::sync::Semaphore;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::LoadedApp;
use crate::metrics::{Gauges, Metrics};
use crate::request_view;
use crate::routing::Target;
use crate::schedule::Schedule;
use admission::Admission;
pub use chaining::call;
use connection::{Burst, Watch};
use per_client::PerClient;

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
    /// Longest a client may take to send a request head (from accept for the first request,
    /// from its first byte for later ones); then the connection is closed.
    pub header_read_timeout: Duration,
    /// Longest a keep-alive connection may sit between a response and the next request.
    pub idle_timeout: Duration,
    /// Client connections open at once; beyond it new ones wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one client (IPv4 address, IPv6 /64) may hold; beyond it 429 and closed.
    /// 0: no per-client cap.
    pub max_connections_per_client: usize,
    /// Longest a request body may take to arrive after its head; then 408 and the connection
    /// closed.
    pub body_read_timeout: Duration,
}

/// How long the connection cap must go unhit before a burst of waits counts as over (and the
/// next one is logged again).
const CAP_BURST_QUIET: Duration = Duration::from_secs(30);

/// A bound server, ready to run.
pub struct Server {
    app: Arc<LoadedApp>,
    options: ServeOptions,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    schedule: Option<Schedule>,
}

pub(crate) type Body = HyperOutgoingBody;

impl Server {
    /// Binds the listening socket.
    pub async fn bind(app: LoadedApp, options: ServeOptions) -> anyhow::Result<Server> {
        let listener =
            TcpListener::bind(options.listen).await.with_context(|| format!("listening on {}", options.listen))?;
        let metrics_listener = match options.metrics_listen {
            Some(addr) => {
                Some(TcpListener::bind(addr).await.with_context(|| format!("listening for metrics on {addr}"))?)
            }
            None => None,
        };
        Ok(Server { app: Arc::new(app), options, listener, metrics_listener, schedule: None })
    }

    /// Runs `schedule`'s jobs while serving.
    pub fn with_schedule(mut self, schedule: Schedule) -> Server {
        self.schedule = Some(schedule);
        self
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
        let (cap, header_read_timeout, idle_timeout) =
            (self.options.max_connections, self.options.header_read_timeout, self.options.idle_timeout);
        let per_client = PerClient::new(self.options.max_connections_per_client);
        let per_client_cap = self.options.max_connections_per_client;
        let mut refused = Burst::default();
        let server = ServerInner::new(self.app, self.options, Metrics::default());
        let metrics_task = self.metrics_listener.map(|l| tokio::spawn(serve_metrics(l, Arc::clone(&server))));
        let scheduler = self.schedule.map(|s| jobs::Scheduler::start(&server, s));
        tokio::pin!(shutdown);
        let connections = Arc::new(Semaphore::new(cap));
        let mut at_cap = Burst::default();
        let mut accept_failures = Burst::default();
        loop {
            // At the cap the edge stops accepting rather than accepting and closing: newcomers
            // wait in the kernel's listen backlog (costing the process no descriptor) and are
            // served, in order, as soon as the header or idle timeout frees a slot, where a
            // refusal would fail them outright while the slots' holders keep them.
            let permit = match Arc::clone(&connections).try_acquire_owned() {
                Ok(permit) => {
                    // The burst is over once the cap has not been hit for a while, not at the
                    // first free slot: slow clients closed by their timeout free slots a round
                    // at a time, and a cap held under attack must log once, not every round.
                    if at_cap.quiet_for().is_some_and(|quiet| quiet >= CAP_BURST_QUIET) {
                        if let Some((waits, lasted)) = at_cap.end() {
                            tracing::info!(
                                "open connections back under --max-connections {cap}: {waits} waited for a slot over {}",
                                humantime::format_duration(round_ms(lasted))
                            );
                        }
                    }
                    permit
                }
                Err(_) => {
                    if at_cap.hit() {
                        tracing::warn!(
                            "{cap} connections open (--max-connections): new connections wait in the listen backlog \
                             until one closes"
                        );
                    }
                    tokio::select! {
                        permit = Arc::clone(&connections).acquire_owned() => {
                            permit.context("the connection semaphore is never closed")?
                        }
                        _ = &mut shutdown => break,
                    }
                }
            };
            let (stream, client) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE/ENFILE (out of descriptors) and the like: keep serving the
                        // connections already open, retry after a growing pause instead of
                        // spinning on an error that clears only when something closes.
                        if accept_failures.hit() {
                            tracing::warn!("accept failed: {e}; retrying with backoff (logged once until it recovers)");
                        }
                        let pause = connection::accept_backoff(accept_failures.count());
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => continue,
                            _ = &mut shutdown => break,
                        }
                    }
                },
                _ = &mut shutdown => break,
            };
            if let Some((failures, lasted)) = accept_failures.end() {
                tracing::info!(
                    "accept recovered after {failures} failures over {}",
                    humantime::format_duration(round_ms(lasted))
                );
            }
            if refused.quiet_for().is_some_and(|quiet| quiet >= CAP_BURST_QUIET) {
                if let Some((count, lasted)) = refused.end() {
                    tracing::info!(
                        "{count} connections refused over --max-connections-per-client {per_client_cap} in {}",
                        humantime::format_duration(round_ms(lasted))
                    );
                }
            }
            // Refused after accepting (the descriptor is the client's only way to be told), at
            // once: the global slot taken for it goes back as this iteration ends.
            let Some(client_slot) = per_client.enter(client.ip()) else {
                if refused.hit() {
                    tracing::warn!(
                        "{} holds {per_client_cap} connections (--max-connections-per-client): refusing more \
                         (logged once per burst)",
                        per_client::client_key(client.ip())
                    );
                }
                per_client::refuse(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let watch = Watch::new(header_read_timeout, idle_timeout);
            let server = Arc::clone(&server);
            let requests = Arc::clone(&watch);
            let service = hyper::service::service_fn(move |req| {
                let server = Arc::clone(&server);
                let busy = requests.busy();
                async move {
                    let response = server.handle(req, client).await;
                    Ok::<_, std::convert::Infallible>(response.map(|body| connection::hold_until_sent(body, busy)))
                }
            });
            let io = TokioIo::new(connection::Watched::new(stream, Arc::clone(&watch)));
            let conn = http1::Builder::new().keep_alive(true).serve_connection(io, service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                // The slots are given back when this task ends, however the connection ended.
                let _permit = permit;
                let _client_slot = client_slot;
                tokio::select! {
                    ended = conn => if let Err(e) = ended {
                        tracing::debug!(%client, "connection ended with an error: {e}");
                    },
                    why = watch.expired() => tracing::debug!(%client, "closing the connection: {why}"),
                }
            });
        }
        drop(listener);
        if let Some(task) = metrics_task {
            task.abort();
        }
        tracing::info!("shutting down: finishing in-flight requests");
        // No new job runs from here; a run already going finishes like any in-flight request.
        let jobs_done = async {
            if let Some(scheduler) = scheduler {
                scheduler.stop().await;
            }
        };
        tokio::select! {
            _ = async { tokio::join!(graceful.shutdown(), jobs_done) } => tracing::info!("all connections closed"),
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

impl ServerInner {
    fn new(app: Arc<LoadedApp>, options: ServeOptions, metrics: Metrics) -> Arc<ServerInner> {
        let admission = Admission::new(options.max_instances, options.max_queue, options.queue_timeout);
        Arc::new_cyclic(|me| ServerInner { app, options, admission, metrics, me: me.clone() })
    }
}

/// An answer the edge gives itself, in the project's one error shape.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // As every component's JSON: never sniffed into something a browser would run.
    resp.headers_mut().insert(http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

pub(crate) fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).map_err(|never| match never {}).boxed_unsync()
}

impl ServerInner {
    /// One request, whoever sent it: a client connection or the scheduler ([`jobs`]), so both
    /// meet the same limits and land in the same log and metrics.
    async fn handle<B>(&self, req: Request<B>, client: SocketAddr) -> Response<Body>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
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

    async fn dispatch<B>(&self, req: Request<B>, client: SocketAddr) -> (Response<Body>, Option<String>)
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
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
        // The whole body is read before an instance is taken, so a slow body holds a connection
        // but never an instance; the timeout bounds that too, and a body cut off by it is never
        // seen by a component (no half-read write).
        let reading = Limited::new(body, self.options.max_body_bytes).collect();
        let Ok(read) = tokio::time::timeout(self.options.body_read_timeout, reading).await else {
            return (body_too_slow(self.options.body_read_timeout), id);
        };
        let body = match read {
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
        if let Err(e) = request_view::apply(&mut parts, &host, &matched, client) {
            let message = match e {
                request_view::ViewError::Uri(_) => "invalid Host header".to_string(),
                other => other.to_string(),
            };
            return (error_response(StatusCode::BAD_REQUEST, "bad_request", &message), id);
        }
        let request = Request::from_parts(parts, Full::new(body));

        let Some(permit) = self.admission.admit().await else {
            return (admission::overloaded(), id);
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
}

impl ServerInner {
    fn gauges(&self) -> Gauges {
        Gauges {
            instances_in_use: self.admission.in_use(),
            instances_limit: self.admission.limit(),
            queue_depth: self.admission.queue_depth(),
            databases: self
                .app
                .databases
                .iter()
                .map(|db| (db.label().to_string(), db.in_use_count(), db.idle_count()))
                .collect(),
            server_requests: self
                .app
                .databases
                .iter()
                .filter_map(|db| Some((db.label().to_string(), db.server_requests()?)))
                .collect(),
        }
    }
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

/// A duration to whole milliseconds, for log lines.
fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// The answer to a body that did not arrive in time. `Connection: close` because the rest of the
/// body may still come and would be read as the next request.
fn body_too_slow(limit: Duration) -> Response<Body> {
    let mut resp = error_response(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        &format!("the request body did not arrive within {}", humantime::format_duration(limit)),
    );
    resp.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn too_large(limit: usize) -> Response<Body> {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("request body is larger than {limit} bytes"),
    )
}
