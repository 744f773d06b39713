//! One client connection's clock: the header-read timeout, the idle keep-alive timeout, and the
//! quiet logging of bursts (connection cap reached, `accept` failing).
//!
//! hyper's own `header_read_timeout` starts counting whenever it waits for a head, including
//! the idle time between keep-alive requests, so with it the two timeouts cannot differ. The
//! edge keeps its own clock instead: [`Watched`] notes the first byte of a request, [`Busy`]
//! (held by the request and then by its response body) notes when a request is in flight, and
//! [`Watch::expired`] resolves when the connection has overstayed:
//!
//! - a new connection must deliver its first request head within `--header-read-timeout` of
//!   being accepted (sending nothing counts as sending it slowly);
//! - after a response, the client has `--idle-timeout` to start the next request, and from its
//!   first byte `--header-read-timeout` to finish the head;
//! - while a request is in flight (body read, guest run, response written) neither applies: the
//!   body has `--body-read-timeout` (checked where it is read, in the server), the guest its
//!   own budget, `--request-timeout`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Body;

/// Why a connection was closed by its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overstay {
    /// The request head did not arrive in time.
    HeaderRead,
    /// No next request began in time after the last response.
    Idle,
}

impl std::fmt::Display for Overstay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Overstay::HeaderRead => "the request head did not arrive within --header-read-timeout",
            Overstay::Idle => "idle longer than --idle-timeout",
        })
    }
}

/// The timing state of one connection, shared by its reader, its requests and its watchdog.
pub(crate) struct Watch {
    state: Mutex<State>,
    /// Wakes the watchdog when the deadline may have moved.
    changed: Notify,
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

struct State {
    /// Requests whose response has not been fully written yet.
    in_flight: usize,
    /// When the connection started waiting for a request (accepted, or last response done).
    since: Instant,
    /// The first byte of the awaited request, if it has come.
    first_byte: Option<Instant>,
    /// Whether a request has been answered on this connection (the idle rule applies then).
    served: bool,
}

impl Watch {
    pub(crate) fn new(header_read_timeout: Duration, idle_timeout: Duration) -> Arc<Watch> {
        Arc::new(Watch {
            state: Mutex::new(State { in_flight: 0, since: Instant::now(), first_byte: None, served: false }),
            changed: Notify::new(),
            header_read_timeout,
            idle_timeout,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a few plain fields, consistent after any panic; a poisoned lock is fine.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// When the connection must be closed unless something happens first, and why.
    fn deadline(&self) -> Option<(Instant, Overstay)> {
        let s = self.state();
        if s.in_flight > 0 {
            return None;
        }
        Some(match (s.served, s.first_byte) {
            (false, _) => (s.since + self.header_read_timeout, Overstay::HeaderRead),
            (true, Some(first)) => (first + self.header_read_timeout, Overstay::HeaderRead),
            (true, None) => (s.since + self.idle_timeout, Overstay::Idle),
        })
    }

    /// Resolves when the connection has overstayed; never while a request is in flight.
    pub(crate) async fn expired(&self) -> Overstay {
        loop {
            // Taken before reading the deadline: `notify_one` leaves a permit when nobody is
            // waiting, so a change between the read and the await is not missed.
            let changed = self.changed.notified();
            match self.deadline() {
                None => changed.await,
                Some((at, why)) => {
                    if Instant::now() >= at {
                        return why;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
            }
        }
    }

    /// Bytes arrived from the client.
    fn on_read(&self) {
        let mut s = self.state();
        if s.in_flight == 0 && s.first_byte.is_none() {
            s.first_byte = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    /// A request head has been read: the connection is busy until the returned guard (moved
    /// into the response body) is dropped.
    pub(crate) fn busy(self: &Arc<Watch>) -> Busy {
        self.state().in_flight += 1;
        self.changed.notify_one();
        Busy(Arc::clone(self))
    }
}

/// A request in flight; dropping it (response written, or the request abandoned) starts the
/// idle clock.
pub(crate) struct Busy(Arc<Watch>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.in_flight == 0 {
            s.since = Instant::now();
            s.first_byte = None;
            s.served = true;
        }
        drop(s);
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request's [`Busy`] guard until hyper has written it and
/// drops it, so a slow download is not mistaken for an idle connection.
pub(crate) fn hold_until_sent(body: Body, busy: Busy) -> Body {
    use http_body_util::BodyExt;
    Tracked { inner: body, _busy: busy }.boxed_unsync()
}

struct Tracked {
    inner: Body,
    _busy: Busy,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = <Body as HttpBody>::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The client's socket, reporting arriving bytes to its [`Watch`].
pub(crate) struct Watched<S> {
    inner: S,
    watch: Arc<Watch>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, watch: Arc<Watch>) -> Watched<S> {
        Watched { inner, watch }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.on_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A run of like events (the cap reached, `accept` failing) logged once when it starts and once
/// when it ends, instead of once per connection: under attack, per-event lines would flood the
/// log and cost the CPU the edge needs.
#[derive(Default)]
pub(crate) struct Burst {
    started: Option<Instant>,
    last: Option<Instant>,
    count: u64,
}

impl Burst {
    /// Counts one event; `true` when it starts a burst (the one to log).
    pub(crate) fn hit(&mut self) -> bool {
        self.count += 1;
        self.last = Some(Instant::now());
        if self.started.is_none() {
            self.started = Some(Instant::now());
            return true;
        }
        false
    }

    /// Events in the running burst so far.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// How long since the running burst's last event (`None` when no burst is running).
    pub(crate) fn quiet_for(&self) -> Option<Duration> {
        self.started.and(self.last).map(|last| last.elapsed())
    }

    /// Ends a running burst: how many events it held and how long it lasted.
    pub(crate) fn end(&mut self) -> Option<(u64, Duration)> {
        let started = self.started.take()?;
        Some((std::mem::take(&mut self.count), started.elapsed()))
    }
}

/// How long to pause after the `failures`-th `accept` error in a row: 10 ms, doubling to 1 s.
/// EMFILE and ENFILE clear only when connections close, so retrying at once would spin a core.
pub(crate) fn accept_backoff(failures: u64) -> Duration {
    let doublings = failures.saturating_sub(1).min(7) as u32;
    Duration::from_millis(10 << doublings).min(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backoff_doubles_up_to_a_second() {
        assert_eq!(accept_backoff(1), Duration::from_millis(10));
        assert_eq!(accept_backoff(2), Duration::from_millis(20));
        assert_eq!(accept_backoff(7), Duration::from_millis(640));
        assert_eq!(accept_backoff(8), Duration::from_secs(1));
        assert_eq!(accept_backoff(u64::MAX), Duration::from_secs(1));
    }

    #[test]
    fn a_burst_is_reported_once_at_each_end() {
        let mut burst = Burst::default();
        assert!(burst.end().is_none(), "no burst is running yet");
        assert!(burst.quiet_for().is_none());
        assert!(burst.hit());
        assert!(burst.quiet_for().is_some());
        assert!(!burst.hit());
        assert!(!burst.hit());
        assert_eq!(burst.count(), 3);
        assert_eq!(burst.end().map(|(n, _)| n), Some(3));
        assert!(burst.end().is_none());
        assert!(burst.quiet_for().is_none(), "an ended burst is not running");
        assert!(burst.hit(), "the next event starts a new burst");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_gets_the_header_timeout_and_an_idle_one_the_idle_timeout() {
        let watch = Watch::new(Duration::from_secs(2), Duration::from_secs(10));
        let started = Instant::now();
        assert_eq!(watch.expired().await, Overstay::HeaderRead);
        assert_eq!(started.elapsed(), Duration::from_secs(2));

        drop(watch.busy());
        let idle = Instant::now();
        assert_eq!(watch.expired().await, Overstay::Idle);
        assert_eq!(idle.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_byte_of_a_next_request_starts_the_header_clock() {
        let watch = Watch::new(Duration::from_secs(2), Duration::from_secs(60));
        drop(watch.busy());
        tokio::time::advance(Duration::from_secs(5)).await;
        watch.on_read();
        let first_byte = Instant::now();
        assert_eq!(watch.expired().await, Overstay::HeaderRead);
        assert_eq!(first_byte.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_expires_while_a_request_is_in_flight() {
        let watch = Watch::new(Duration::from_secs(1), Duration::from_secs(1));
        let busy = watch.busy();
        let waited = tokio::time::timeout(Duration::from_secs(60), watch.expired()).await;
        assert!(waited.is_err(), "a request in flight is the request timeout's business");
        drop(busy);
        assert_eq!(watch.expired().await, Overstay::Idle);
    }
}
