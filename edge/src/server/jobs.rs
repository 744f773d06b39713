//! The scheduler: runs each job of the manifest's schedule ([`crate::schedule`]) every
//! `every`, as a `POST` to its route with the scheduler's Bearer token, through
//! [`ServerInner::handle`] — the path every client request takes (routing, body cap, admission,
//! request timeout, access log, request metrics), only without a socket.
//!
//! - One task per job, and a run is awaited before the next tick is taken, so one job never
//!   runs twice at once. Ticks that pass meanwhile are skipped (tokio's `Skip`), not queued, and
//!   counted in the metrics: a slow run delays the job, it does not pile runs up.
//! - A missed tick (the edge was down) or a doubled one (two edges on one database, or a
//!   CronJob as well) is harmless because every job route is idempotent: it changes only what
//!   is due, under conditional updates, and answers 0 when there is nothing left.
//! - The first run is at start-up, so an edge that was down catches up at once.
//! - Each run's answer (`{"job": ..., "<count>": n}`) goes to the log and to the metrics.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Method, Request};
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::ServerInner;
use crate::metrics::JobOutcome;
use crate::schedule::{Job, Schedule};

/// What the guest sees as the scheduler's address (`spin-client-addr`): this host.
const SCHEDULER_CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// The most of a job's answer read for its counts; a job answers a few dozen bytes.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// The running schedule.
pub(super) struct Scheduler {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Scheduler {
    /// Starts one task per job.
    pub(super) fn start(server: &Arc<ServerInner>, schedule: Schedule) -> Scheduler {
        let (stop, stopped) = watch::channel(false);
        let token: Arc<str> = Arc::from(schedule.token.as_str());
        let tasks = schedule
            .jobs
            .into_iter()
            .map(|job| {
                tracing::info!(job = %job.name, route = %job.route, every = %humantime::format_duration(job.every), "scheduled");
                tokio::spawn(run_job(Arc::clone(server), job, Arc::clone(&token), stopped.clone()))
            })
            .collect();
        Scheduler { stop, tasks }
    }

    /// Takes no new ticks and waits for runs in progress to finish.
    pub(super) async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn run_job(server: Arc<ServerInner>, job: Job, token: Arc<str>, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(job.every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last: Option<tokio::time::Instant> = None;
    loop {
        let tick = tokio::select! {
            tick = ticks.tick() => tick,
            _ = stopped.changed() => return,
        };
        if *stopped.borrow() {
            return;
        }
        if let Some(last) = last {
            let gap = tick.duration_since(last).as_nanos() / job.every.as_nanos().max(1);
            let skipped = u64::try_from(gap.saturating_sub(1)).unwrap_or(u64::MAX);
            if skipped > 0 {
                server.metrics.record_skipped(&job.name, skipped);
            }
        }
        last = Some(tick);
        run_once(&server, &job, &token).await;
    }
}

/// One run: the request, its answer's counts, the log line and the metrics.
async fn run_once(server: &ServerInner, job: &Job, token: &str) {
    let started = Instant::now();
    let request = Request::builder()
        .method(Method::POST)
        .uri(job.route.as_str())
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::USER_AGENT, "wenming-scheduler")
        .body(Full::new(Bytes::new()));
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            // The route was checked at start-up; this cannot happen, but must not panic.
            tracing::error!(job = %job.name, "building the job's request: {e}");
            server.metrics.record_job(&job.name, JobOutcome::Failed, started.elapsed(), &[]);
            return;
        }
    };
    let response = server.handle(request, SCHEDULER_CLIENT).await;
    let status = response.status();
    let answer = match Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            tracing::warn!(job = %job.name, "reading the job's answer: {e}");
            Bytes::new()
        }
    };
    let elapsed = started.elapsed();
    if status.is_success() {
        let counts = counts(&answer);
        let said = counts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
        tracing::info!(target: "jobs", "{} ok {said} duration_ms={:.2}", job.name, ms(elapsed));
        server.metrics.record_job(&job.name, JobOutcome::Ok, elapsed, &counts);
    } else {
        // The error shape's code says why (not_configured, not_scheduler, overloaded...).
        let code = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .unwrap_or_default();
        tracing::warn!(target: "jobs", "{} failed status={} code={code} duration_ms={:.2}", job.name, status.as_u16(), ms(elapsed));
        server.metrics.record_job(&job.name, JobOutcome::Failed, elapsed, &[]);
    }
}

/// The whole-number fields of a job's answer (`{"job": "x", "closed": 2}` → `closed = 2`).
fn counts(answer: &[u8]) -> Vec<(String, i64)> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice::<serde_json::Value>(answer) else {
        return Vec::new();
    };
    fields.into_iter().filter_map(|(k, v)| v.as_i64().map(|n| (k, n))).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::counts;

    #[test]
    fn counts_are_the_whole_number_fields_of_the_answer() {
        let got = counts(br#"{"job":"expire-reservations","expired":2,"points_refunded":150,"note":"x","ratio":0.5}"#);
        assert_eq!(got, vec![("expired".to_string(), 2), ("points_refunded".to_string(), 150)]);
        assert!(counts(b"not json").is_empty());
    }
}
