//! Operational metrics in Prometheus' text format, served on a separate admin listener
//! (`--metrics-listen`) so that they are never one of the application's routes.
//!
//! Requests by component and status, a latency histogram per component, instances in use, the
//! admission queue's depth, and database pool use; and for the scheduler's jobs, runs by
//! outcome, their durations, the counts each run reported, skipped ticks and the last success. Counters are atomics or one short lock per
//! request; rendering happens only when scraped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    /// Cumulative counts are computed at render time; each slot counts its own bucket only.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let slot = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Gauges read at scrape time from the parts of the edge that own them.
pub struct Gauges {
    /// Instances alive now.
    pub instances_in_use: usize,
    /// The instance cap.
    pub instances_limit: usize,
    /// Requests waiting for an instance.
    pub queue_depth: usize,
    /// Per database label: (connections lent to guests now, idle connections in the pool).
    pub databases: Vec<(String, usize, usize)>,
    /// Per libSQL-server database label: HTTP requests sent to the server so far.
    pub server_requests: Vec<(String, u64)>,
}

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobOutcome {
    /// The route answered 2xx.
    Ok,
    /// Anything else (a refusal, a failed guest, an overloaded edge).
    Failed,
}

impl JobOutcome {
    fn label(self) -> &'static str {
        match self {
            JobOutcome::Ok => "ok",
            JobOutcome::Failed => "failed",
        }
    }
}

/// One job's numbers.
#[derive(Default)]
struct JobStats {
    runs: std::collections::BTreeMap<JobOutcome, u64>,
    duration: std::sync::Arc<Histogram>,
    /// Each count the job reported (`escalated`, `closed`...), summed over runs.
    items: std::collections::BTreeMap<String, u64>,
    skipped: u64,
    last_success_unix: Option<f64>,
}

/// Request counters and latencies, and the scheduler's job numbers.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, u16), u64>>,
    latency: Mutex<HashMap<String, std::sync::Arc<Histogram>>>,
    jobs: Mutex<std::collections::BTreeMap<String, JobStats>>,
}

impl Metrics {
    /// Records one finished request (`component` is `-` when no component ran).
    pub fn record(&self, component: &str, status: u16, elapsed: Duration) {
        *self.requests.lock().expect("metrics lock").entry((component.to_string(), status)).or_default() += 1;
        let histogram = {
            let mut map = self.latency.lock().expect("metrics lock");
            std::sync::Arc::clone(map.entry(component.to_string()).or_default())
        };
        histogram.observe(elapsed);
    }

    /// Records one scheduled run of `job`: how it ended, how long it took, and the counts it
    /// reported (negative counts are not counts and are ignored).
    pub fn record_job(&self, job: &str, outcome: JobOutcome, elapsed: Duration, counts: &[(String, i64)]) {
        let mut jobs = self.jobs.lock().expect("metrics lock");
        let stats = jobs.entry(job.to_string()).or_default();
        *stats.runs.entry(outcome).or_default() += 1;
        stats.duration.observe(elapsed);
        for (name, n) in counts {
            *stats.items.entry(name.clone()).or_default() += u64::try_from(*n).unwrap_or(0);
        }
        if outcome == JobOutcome::Ok {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            stats.last_success_unix = Some(now.as_secs_f64());
        }
    }

    /// Records ticks of `job` that passed while its previous run was still going.
    pub fn record_skipped(&self, job: &str, ticks: u64) {
        self.jobs.lock().expect("metrics lock").entry(job.to_string()).or_default().skipped += ticks;
    }

    /// Renders everything in Prometheus' text exposition format.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP wenming_requests_total Requests answered, by component and status.\n");
        out.push_str("# TYPE wenming_requests_total counter\n");
        let mut requests: Vec<_> = self.requests.lock().expect("metrics lock").clone().into_iter().collect();
        requests.sort();
        for ((component, status), n) in requests {
            let _ =
                writeln!(out, "wenming_requests_total{{component=\"{}\",status=\"{status}\"}} {n}", escape(&component));
        }

        out.push_str("# HELP wenming_request_duration_seconds Time from request to response head, by component.\n");
        out.push_str("# TYPE wenming_request_duration_seconds histogram\n");
        let mut latency: Vec<_> = self
            .latency
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|(k, v)| (k.clone(), std::sync::Arc::clone(v)))
            .collect();
        latency.sort_by(|a, b| a.0.cmp(&b.0));
        for (component, h) in latency {
            histogram(&mut out, "wenming_request_duration_seconds", "component", &component, &h);
        }

        gauge(&mut out, "wenming_instances_in_use", "Component instances alive now.", gauges.instances_in_use);
        gauge(
            &mut out,
            "wenming_instances_limit",
            "Most component instances alive at once (--max-instances).",
            gauges.instances_limit,
        );
        gauge(&mut out, "wenming_queue_depth", "Requests waiting for a free instance.", gauges.queue_depth);
        out.push_str("# HELP wenming_db_connections_in_use Database connections lent to guests now.\n");
        out.push_str("# TYPE wenming_db_connections_in_use gauge\n");
        for (label, in_use, _) in &gauges.databases {
            let _ = writeln!(out, "wenming_db_connections_in_use{{database=\"{}\"}} {in_use}", escape(label));
        }
        out.push_str("# HELP wenming_db_connections_idle Idle connections kept in the pool.\n");
        out.push_str("# TYPE wenming_db_connections_idle gauge\n");
        for (label, _, idle) in &gauges.databases {
            let _ = writeln!(out, "wenming_db_connections_idle{{database=\"{}\"}} {idle}", escape(label));
        }
        out.push_str("# HELP wenming_db_server_requests_total HTTP requests sent to a libSQL server.\n");
        out.push_str("# TYPE wenming_db_server_requests_total counter\n");
        for (label, n) in &gauges.server_requests {
            let _ = writeln!(out, "wenming_db_server_requests_total{{database=\"{}\"}} {n}", escape(label));
        }
        self.render_jobs(&mut out);
        out
    }

    fn render_jobs(&self, out: &mut String) {
        let jobs = self.jobs.lock().expect("metrics lock");
        out.push_str("# HELP wenming_job_runs_total Scheduled job runs, by job and outcome.\n");
        out.push_str("# TYPE wenming_job_runs_total counter\n");
        for (job, stats) in jobs.iter() {
            for (outcome, n) in &stats.runs {
                let _ = writeln!(
                    out,
                    "wenming_job_runs_total{{job=\"{}\",outcome=\"{}\"}} {n}",
                    escape(job),
                    outcome.label()
                );
            }
        }
        out.push_str("# HELP wenming_job_duration_seconds Time one scheduled run took, by job.\n");
        out.push_str("# TYPE wenming_job_duration_seconds histogram\n");
        for (job, stats) in jobs.iter() {
            histogram(out, "wenming_job_duration_seconds", "job", job, &stats.duration);
        }
        out.push_str("# HELP wenming_job_items_total What scheduled runs reported doing, by job and count.\n");
        out.push_str("# TYPE wenming_job_items_total counter\n");
        for (job, stats) in jobs.iter() {
            for (item, n) in &stats.items {
                let _ =
                    writeln!(out, "wenming_job_items_total{{job=\"{}\",item=\"{}\"}} {n}", escape(job), escape(item));
            }
        }
        out.push_str("# HELP wenming_job_ticks_skipped_total Ticks skipped because the previous run was going.\n");
        out.push_str("# TYPE wenming_job_ticks_skipped_total counter\n");
        for (job, stats) in jobs.iter() {
            let _ = writeln!(out, "wenming_job_ticks_skipped_total{{job=\"{}\"}} {}", escape(job), stats.skipped);
        }
        out.push_str("# HELP wenming_job_last_success_timestamp_seconds When a job last ran successfully.\n");
        out.push_str("# TYPE wenming_job_last_success_timestamp_seconds gauge\n");
        for (job, stats) in jobs.iter() {
            if let Some(at) = stats.last_success_unix {
                let _ = writeln!(out, "wenming_job_last_success_timestamp_seconds{{job=\"{}\"}} {at}", escape(job));
            }
        }
    }
}

/// One labelled histogram's lines (`_bucket` cumulative, `_sum`, `_count`).
fn histogram(out: &mut String, name: &str, label: &str, value: &str, h: &Histogram) {
    let v = escape(value);
    let mut cumulative = 0;
    for (i, bound) in BUCKETS.iter().enumerate() {
        cumulative += h.buckets[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{label}=\"{v}\",le=\"{bound}\"}} {cumulative}");
    }
    cumulative += h.buckets[BUCKETS.len()].load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{{label}=\"{v}\",le=\"+Inf\"}} {cumulative}");
    let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "{name}_sum{{{label}=\"{v}\"}} {sum}");
    let _ = writeln!(out, "{name}_count{{{label}=\"{v}\"}} {cumulative}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: usize) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// Escapes a label value (backslash, quote, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_latencies_render_as_prometheus_text() {
        let m = Metrics::default();
        m.record("status", 200, Duration::from_micros(800));
        m.record("status", 200, Duration::from_millis(30));
        m.record("-", 404, Duration::from_micros(10));
        let text = m.render(&Gauges {
            instances_in_use: 1,
            instances_limit: 8,
            queue_depth: 0,
            databases: vec![("default".into(), 1, 3)],
            server_requests: vec![("shared".into(), 42)],
        });
        assert!(text.contains("wenming_db_server_requests_total{database=\"shared\"} 42"), "{text}");
        assert!(text.contains("wenming_requests_total{component=\"status\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("wenming_requests_total{component=\"-\",status=\"404\"} 1"), "{text}");
        assert!(
            text.contains("wenming_request_duration_seconds_bucket{component=\"status\",le=\"0.001\"} 1"),
            "{text}"
        );
        assert!(text.contains("wenming_request_duration_seconds_bucket{component=\"status\",le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("wenming_request_duration_seconds_count{component=\"status\"} 2"), "{text}");
        assert!(text.contains("wenming_instances_in_use 1"), "{text}");
        assert!(text.contains("wenming_db_connections_idle{database=\"default\"} 3"), "{text}");
    }

    #[test]
    fn job_runs_durations_and_counts_render_per_job() {
        let m = Metrics::default();
        m.record_job("escalate-orders", JobOutcome::Ok, Duration::from_millis(3), &[("escalated".into(), 2)]);
        m.record_job("escalate-orders", JobOutcome::Ok, Duration::from_millis(4), &[("escalated".into(), 0)]);
        m.record_job("escalate-orders", JobOutcome::Failed, Duration::from_millis(1), &[]);
        m.record_skipped("escalate-orders", 3);
        let text = m.render(&Gauges {
            instances_in_use: 0,
            instances_limit: 1,
            queue_depth: 0,
            databases: vec![],
            server_requests: vec![],
        });
        assert!(text.contains("wenming_job_runs_total{job=\"escalate-orders\",outcome=\"ok\"} 2"), "{text}");
        assert!(text.contains("wenming_job_runs_total{job=\"escalate-orders\",outcome=\"failed\"} 1"), "{text}");
        assert!(text.contains("wenming_job_items_total{job=\"escalate-orders\",item=\"escalated\"} 2"), "{text}");
        assert!(text.contains("wenming_job_duration_seconds_count{job=\"escalate-orders\"} 3"), "{text}");
        assert!(text.contains("wenming_job_ticks_skipped_total{job=\"escalate-orders\"} 3"), "{text}");
        assert!(text.contains("wenming_job_last_success_timestamp_seconds{job=\"escalate-orders\"}"), "{text}");
    }
}
