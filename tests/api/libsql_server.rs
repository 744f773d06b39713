//! The product on a libSQL server (issue 18): a real sqld 0.24.32 per test, whatever the run's
//! backend. Start-up against a stopped server, a wrong token or a bad URL fails with one line
//! naming the database; the product migrates, bootstraps and serves from the server; a request
//! while the server is down fails cleanly and the edge recovers when it is back; a schema applied
//! by hand is adopted when it matches the migrations and refused when it does not.

use std::path::Path;

use wenming_tests::*;

fn product_args(state_dir: &Path) -> Vec<std::ffi::OsString> {
    vec!["-f".into(), product_manifest().into_os_string(), "--state-dir".into(), state_dir.as_os_str().to_owned()]
}

/// Asserts a failed start said what is wrong in one line naming the database, and did not panic.
fn assert_one_line_naming_default(output: &str, expected: &str) {
    let line = output.lines().find(|l| l.contains("error:")).unwrap_or_else(|| panic!("no error line in:\n{output}"));
    assert!(line.contains("database default (libSQL server "), "{line}");
    assert!(line.contains(expected), "expected {expected:?} in {line}");
    assert!(!output.contains("panicked"), "{output}");
}

#[test]
fn starting_against_a_stopped_server_fails_with_one_line_naming_the_database() {
    // Arrange: a server that ran once, then stopped.
    let (state, sqld) = state_dir_on_sqld();
    sqld.stop();

    // Act
    let migrate = wenming_migrate(&product_args(state.path()));
    let up = Edge::launch(&product_manifest()).state_dir(state).try_start();

    // Assert
    assert!(!migrate.success());
    assert_one_line_naming_default(&migrate.output(), "cannot reach the server");
    let exited = up.err().expect("up must not serve without its database");
    assert_one_line_naming_default(&exited.output(), "cannot reach the server");
}

#[test]
fn a_wrong_token_is_refused_at_start_up_with_one_line() {
    // Arrange: sqld with authentication on; the runtime config carries the wrong token.
    let state = tempfile::Builder::new().prefix("wenming-state-").tempdir().unwrap();
    let sqld = start_sqld(state.path(), &["--http-auth", "basic:d2VubWluZzpyaWdodA=="]);
    write_runtime_config(state.path(), &sqld.url, "not-the-token");

    // Act
    let migrate = wenming_migrate(&product_args(state.path()));

    // Assert
    assert!(!migrate.success());
    assert_one_line_naming_default(&migrate.output(), "refused the token (HTTP 401)");
}

#[test]
fn a_bad_url_is_refused_at_start_up_with_one_line() {
    let state = tempfile::Builder::new().prefix("wenming-state-").tempdir().unwrap();
    write_runtime_config(state.path(), "http://user:secret@127.0.0.1:1", "");

    let call = bootstrap_centre_admin(state.path());

    assert!(!call.success());
    assert_one_line_naming_default(&call.output(), "bad URL");
    assert!(!call.output().contains("secret"), "the password in the URL is not repeated: {}", call.output());
}

#[tokio::test]
async fn the_product_migrates_bootstraps_and_serves_from_sqld_and_survives_a_server_restart() {
    // Arrange: the documented sequence for a server: migrate, bootstrap, then serve.
    let (state, sqld) = state_dir_on_sqld();
    let migrate = wenming_migrate(&product_args(state.path()));
    assert!(migrate.success(), "{}", migrate.output());
    let centre = bootstrap_centre_admin(state.path());
    assert!(centre.success(), "{}", centre.output());
    let state_path = state.path().to_path_buf();
    let edge = Edge::launch(&product_manifest()).state_dir(state).start();

    // Act + Assert: the centre admin bootstrapped on the server signs in.
    let token = edge.sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    assert_eq!(edge.get_as(&token, "/api/v1/orgs/tree").await.status, 200);
    let on_server: i64 = rusqlite::Connection::open(sqld.db_file())
        .unwrap()
        .query_row("SELECT count(*) FROM accounts WHERE phone = ?1", [CENTRE_ADMIN_PHONE], |r| r.get(0))
        .unwrap();
    assert_eq!(on_server, 1, "the account lives in the server's database");

    // The server goes away: requests fail cleanly (an error status, never a hang or a crash).
    sqld.stop();
    let down = edge.get_as(&token, "/api/v1/orgs/tree").await;
    assert!(down.status >= 500, "{} {}", down.status, down.text());

    // It comes back on the same address: the edge reconnects by itself.
    let _back = sqld.restart(&state_path);
    let again = edge.get_as(&token, "/api/v1/orgs/tree").await;
    assert_eq!(again.status, 200, "{}", again.text());
}

/// The product's migrations folder.
fn product_migrations() -> Vec<(String, String)> {
    let dir = workspace_root().join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

#[test]
fn a_schema_applied_by_hand_is_verified_and_recorded_then_the_rest_is_applied() {
    // Arrange: the first three migrations applied with plain SQLite, as `sqlite3` or
    // `spin up --sqlite @file` would, with no schema_migrations.
    let state = fresh_state_dir();
    let migrations = product_migrations();
    // Let the edge create the database (a file, or the server's namespace) first.
    let first = wenming_migrate(
        &[&product_args(state.path())[..], &["--migrations".into(), empty_dir().into_os_string()]].concat(),
    );
    assert!(first.success(), "{}", first.output());
    {
        let db = open_db(&default_db_file(state.path()));
        db.execute_batch("DROP TABLE schema_migrations").unwrap();
        for (_, sql) in &migrations[..3] {
            db.execute_batch(sql).unwrap();
        }
    }

    // Act
    let migrate = wenming_migrate(&product_args(state.path()));

    // Assert: all recorded, the first three as adopted (not re-run), the rest applied.
    assert!(migrate.success(), "{}", migrate.output());
    let rows = schema_migrations(&default_db_file(state.path()));
    assert_eq!(rows.len(), migrations.len());
    assert!(migrate.output().contains("recorded as applied"), "{}", migrate.output());
    let again = wenming_migrate(&product_args(state.path()));
    assert!(again.success(), "{}", again.output());
}

#[test]
fn a_hand_applied_schema_that_matches_no_migration_prefix_is_refused_by_name() {
    let state = fresh_state_dir();
    let migrations = product_migrations();
    let first = wenming_migrate(
        &[&product_args(state.path())[..], &["--migrations".into(), empty_dir().into_os_string()]].concat(),
    );
    assert!(first.success(), "{}", first.output());
    {
        let db = open_db(&default_db_file(state.path()));
        db.execute_batch("DROP TABLE schema_migrations").unwrap();
        db.execute_batch(&migrations[0].1).unwrap();
        db.execute_batch("CREATE TABLE hand_made (x)").unwrap();
    }

    let migrate = wenming_migrate(&product_args(state.path()));

    assert!(!migrate.success());
    let output = migrate.output();
    assert!(output.contains("database default"), "{output}");
    assert!(
        output.contains("matches no prefix of the migrations (table hand_made is not created by any migration)"),
        "{output}"
    );
    let tables: i64 = open_db(&default_db_file(state.path()))
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'", [], |r| r.get(0))
        .unwrap();
    let recorded: i64 = if tables == 1 {
        open_db(&default_db_file(state.path()))
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap()
    } else {
        0
    };
    assert_eq!(recorded, 0, "nothing is recorded for a schema that was refused");
}

/// An empty migrations folder (kept for the life of the test process).
fn empty_dir() -> std::path::PathBuf {
    let dir = tempfile::Builder::new().prefix("wenming-no-migrations-").tempdir().unwrap();
    dir.keep()
}

/// `wenming_db_server_requests_total` for the default database, from the edge's metrics.
async fn server_requests(metrics: &str) -> u64 {
    let text = reqwest::get(metrics).await.expect("scrape").text().await.expect("metrics body");
    text.lines()
        .find_map(|l| l.strip_prefix("wenming_db_server_requests_total{database=\"default\"}"))
        .and_then(|v| v.trim().parse().ok())
        .expect("the server request counter")
}

#[tokio::test]
async fn a_sign_up_a_check_in_a_check_out_and_a_confirmation_cost_a_counted_few_requests_each() {
    // Only meaningful with the product's database on a server: on the local file nothing is sent.
    if !on_sqld() {
        eprintln!("skipped: needs WENMING_TEST_BACKEND=sqld");
        return;
    }
    // Arrange: the town of the check-in tests, its edge exporting metrics.
    require_components(&ACTIVITY_COMPONENTS);
    let launch = with_jobs(product_launch(false).env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true"))
        .args(&["--metrics-listen", "127.0.0.1:0"]);
    let t = Town::on(Centre::on(launch.start()).await.with_stations().await).await;
    let metrics = t
        .edge
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Metrics ").map(str::to_string))
        .expect("the edge prints the metrics URL");
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let e = s + 2 * HOUR;
    let approved = t.approved_activity(&t.activity_body("计数活动", s, e, 10)).await;
    let (activity, code) = (id(&approved), approved["code"].as_str().expect("code").to_owned());

    // Act: each step on its own, counting what it sent to the server.
    let mut costs = Vec::new();
    let mut before = server_requests(&metrics).await;
    let signup = t.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{activity}/signups")).await;
    assert_eq!(signup.status, 201, "{}", signup.text());
    let mut step = |name: &'static str, now: u64| {
        costs.push((name, now - before));
        before = now;
    };
    step("sign-up", server_requests(&metrics).await);
    let checkin = t.edge.post_at(&v.token, "/api/v1/checkins", s, &json!({ "code": code })).await;
    assert_eq!(checkin.status, 201, "{}", checkin.text());
    step("check-in", server_requests(&metrics).await);
    let checkout = t.edge.post_at(&v.token, "/api/v1/checkouts", e, &json!({ "code": code })).await;
    assert_eq!(checkout.status, 200, "{}", checkout.text());
    step("check-out", server_requests(&metrics).await);
    let attendance = id(&checkout.json());
    let confirm =
        t.edge.post_at(&t.admin_a, &format!("/api/v1/attendances/{attendance}/confirm"), e + HOUR, &json!({})).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    step("confirmation", server_requests(&metrics).await);

    // Assert: every step reached the server and stayed within one request per statement it
    // runs, a transaction's BEGIN riding with the statement after it (BENCHMARKS.md has the
    // figures this prints).
    eprintln!("libSQL server requests: {costs:?}");
    let confirmed: i64 =
        scalar(&t, "SELECT count(*) FROM attendances WHERE id = ?1 AND confirmed_at IS NOT NULL", [attendance]);
    assert_eq!(confirmed, 1, "the confirmation is on the server");
    // The most each step may cost, as measured when the BEGIN started riding with the next
    // statement: one more is a statement added or a round trip lost.
    let most = [("sign-up", 12), ("check-in", 10), ("check-out", 9), ("confirmation", 20)];
    for ((name, cost), (_, limit)) in costs.into_iter().zip(most) {
        assert!((1..=limit).contains(&cost), "{name} cost {cost} requests, at most {limit} expected");
    }
}
