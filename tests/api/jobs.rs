//! Periodic jobs (`POST /api/v1/jobs/<name>`, each in the component that owns its data) and the
//! edge's scheduler that calls them. Each job's own work is tested with its area (`demands`,
//! `checkin`, `rewards`, `surveys`: done once, a repeat reports 0, the rows show it); here: every
//! job route refuses a caller without the scheduler token (and without a configured token at
//! all), takes no body, and `wenming up` runs the schedule declared in `spin.toml` on its own,
//! through the normal request path, with the runs in `/metrics`.

use std::time::{Duration, Instant};

use wenming_tests::{
    count, id, json, product_launch, start_product, unix_now, Centre, Edge, DAY, HOUR, SCHEDULER_TOKEN,
};

/// Every job the product declares, with the component that owns it.
const JOBS: [(&str, &str); 7] = [
    ("escalate-orders", "dispatch"),
    ("auto-close-orders", "demand"),
    ("close-checkouts", "checkin"),
    ("propose-stars", "reward"),
    ("expire-reservations", "reward"),
    ("survey-windows", "survey"),
    ("fold-checkins", "dashboard"),
];

async fn post_job(edge: &Edge, job: &str, token: Option<&str>) -> wenming_tests::Reply {
    edge.api(token, "POST", &format!("/api/v1/jobs/{job}"), &[], None).await
}

#[tokio::test]
async fn without_a_scheduler_token_in_the_deployment_every_job_is_off() {
    // Arrange: the product as shipped (scheduler_token defaults to empty)
    let edge = start_product();

    for (job, _) in JOBS {
        // Act: even a caller sending some token
        let reply = post_job(&edge, job, Some("anything")).await;

        // Assert
        assert_eq!(reply.status, 403, "{job}: {}", reply.text());
        assert_eq!(reply.error_code(), "not_configured", "{job}: {}", reply.text());
    }
}

#[tokio::test]
async fn every_job_refuses_a_wrong_token_and_a_body_and_answers_the_scheduler_with_its_counts() {
    // Arrange: the token set, the schedule off (the harness's fixtures)
    let c = Centre::with_clock(&["demand", "dispatch", "notify", "reward", "survey", "dashboard"]).await;

    for (job, _) in JOBS {
        // Act
        let none = post_job(&c.edge, job, None).await;
        let wrong = post_job(&c.edge, job, Some("test-scheduler-token-0123456780")).await;
        let body = c
            .edge
            .api(Some(SCHEDULER_TOKEN), "POST", &format!("/api/v1/jobs/{job}"), &[], Some(&json!({ "all": true })))
            .await;
        let get = c.edge.api(Some(SCHEDULER_TOKEN), "GET", &format!("/api/v1/jobs/{job}"), &[], None).await;
        let right = c.edge.job_ok(job, unix_now()).await;

        // Assert
        for refused in [&none, &wrong] {
            assert_eq!(refused.status, 403, "{job}: {}", refused.text());
            assert_eq!(refused.error_code(), "not_scheduler", "{job}: {}", refused.text());
        }
        assert!([400, 422].contains(&body.status), "{job} takes no body: {}", body.text());
        assert_eq!(get.status, 405, "{job}: {}", get.text());
        assert_eq!(get.header("allow"), Some("POST"), "{job}");
        let counts: Vec<_> = right.as_object().unwrap().iter().filter(|(k, _)| *k != "job").collect();
        assert!(!counts.is_empty() && counts.iter().all(|(_, v)| v.as_i64() == Some(0)), "{job}: {right}");
    }
}

/// The value of one series in Prometheus text.
fn series(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
}

#[tokio::test]
async fn the_edge_runs_the_schedule_on_its_own_and_counts_each_run_in_the_metrics() {
    // Arrange: the schedule on, every job every second, metrics on an admin listener
    let edge = product_launch(false)
        .env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true")
        .env("SPIN_VARIABLE_SCHEDULER_TOKEN", SCHEDULER_TOKEN)
        .args(&["--job-every", "1s", "--metrics-listen", "127.0.0.1:0"])
        .start();
    let metrics = edge
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Metrics ").map(str::to_string))
        .expect("the edge prints the metrics URL");
    let c = Centre::on(edge).await.with_stations().await;
    let care = c.menu_item("助老", "上门陪护", "welfare", (DAY, 4 * HOUR, HOUR)).await;
    let citizen = c.citizen("15855550001").await;
    // Ordered two days ago (the request clock): its one-hour deadline passed long since.
    let body = json!({
        "menu_item_id": care, "org_id": c.a, "description": "独居老人行动不便，需要志愿者上门帮忙",
        "address": "东街社区12号楼3单元", "latitude": 30.274, "longitude": 120.155, "urgency": "critical",
        "preferred_time": "工作日上午", "contact_name": "张阿姨", "contact_phone": citizen.phone,
    });
    let order = id(&c.order(&citizen, &body, Some(unix_now() - 2 * DAY)).await);

    // Act: nobody calls anything; wait for the schedule
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&c, "SELECT count(*) FROM demands WHERE id = ?1 AND escalated_at IS NOT NULL", [order]) == 0 {
        assert!(Instant::now() < deadline, "the scheduler never escalated the overdue order");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the run that escalated it finish and be recorded, and at least one more run happen.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let text = reqwest::get(&metrics).await.expect("scrape").text().await.expect("body");

    // Assert: escalated once by the scheduler, every job ran, the runs are in the metrics and
    // in the access log like any request
    assert_eq!(count(&c, "SELECT count(*) FROM demand_events WHERE demand_id = ?1 AND note = 'escalated'", [order]), 1);
    assert_eq!(
        series(&text, "wenming_job_items_total{job=\"escalate-orders\",item=\"escalated\"}"),
        Some(1.0),
        "{text}"
    );
    for (job, component) in JOBS {
        let ok = series(&text, &format!("wenming_job_runs_total{{job=\"{job}\",outcome=\"ok\"}}")).unwrap_or(0.0);
        assert!(ok >= 2.0, "{job} ran on its own, again and again: {text}");
        assert_eq!(
            series(&text, &format!("wenming_job_runs_total{{job=\"{job}\",outcome=\"failed\"}}")),
            None,
            "{text}"
        );
        let timed = series(&text, &format!("wenming_job_duration_seconds_count{{job=\"{job}\"}}")).unwrap_or(0.0);
        assert!(timed >= ok, "{job}: every run timed: {text}");
        let served = series(&text, &format!("wenming_requests_total{{component=\"{component}\",status=\"200\"}}"))
            .unwrap_or(0.0);
        assert!(served >= ok, "{job}: counted as requests to {component}: {text}");
        assert!(series(&text, &format!("wenming_job_last_success_timestamp_seconds{{job=\"{job}\"}}")).is_some());
    }
    let log = c.edge.stderr();
    assert!(
        log.contains("POST /api/v1/jobs/escalate-orders component=dispatch status=200"),
        "the access log shows the scheduler's requests:\n{log}"
    );
    assert!(!log.contains(SCHEDULER_TOKEN), "the token is never logged");
}

#[tokio::test]
async fn an_empty_token_leaves_the_schedule_off_and_says_so() {
    // Arrange and act: the product as shipped, with the schedule declared but no token
    let edge = product_launch(false).args(&["--job-every", "1s"]).start();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Assert: no job request was made
    let log = edge.stderr();
    assert!(log.contains("schedule off"), "{log}");
    assert!(!log.contains("/api/v1/jobs/"), "no job ran:\n{log}");
}
