//! Admission: at most `--max-instances` guest instances alive at once, a bounded queue of
//! requests waiting for one (`--max-queue`, each waiting up to `--queue-timeout`), and beyond
//! that an immediate 503 with `Retry-After` — the limit Spin leaves out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{error_response, Body};

/// Bounded admission: a permit per live instance, and a counted queue in front of it.
pub(crate) struct Admission {
    permits: Arc<Semaphore>,
    limit: usize,
    waiting: AtomicUsize,
    max_queue: usize,
    queue_timeout: Duration,
}

impl Admission {
    /// Room for `max_instances` live instances and `max_queue` waiting requests.
    pub(crate) fn new(max_instances: usize, max_queue: usize, queue_timeout: Duration) -> Admission {
        Admission {
            permits: Arc::new(Semaphore::new(max_instances)),
            limit: max_instances,
            waiting: AtomicUsize::new(0),
            max_queue,
            queue_timeout,
        }
    }

    /// A permit to run one instance, or `None` when the queue is full or the wait ran out.
    pub(crate) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
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

    /// Instances alive right now.
    pub(crate) fn in_use(&self) -> usize {
        self.limit.saturating_sub(self.permits.available_permits())
    }

    /// The instance cap.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Requests waiting for an instance right now.
    pub(crate) fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
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

/// The answer when no instance is free: load, not a fault, so the client is asked to retry.
pub(crate) fn overloaded() -> Response<Body> {
    let mut resp = error_response(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "the server is busy; retry shortly");
    resp.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}
