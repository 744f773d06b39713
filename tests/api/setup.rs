//! The first run without a shell (`POST /api/v1/setup`, in `bootstrap`): a deployment with no
//! centre admin takes its first one from the console's setup page, guarded by the one-time
//! `setup_code` — set by the operator (`SPIN_VARIABLE_SETUP_CODE`, as on Spin) or made and
//! printed by `wenming up` when unset. Wrong codes are refused (and counted against a rate
//! limit), nothing is created; once the centre admin exists the route answers 409 whatever the
//! code, and `wenming up` prints no code.

use wenming_tests::{
    bootstrap_centre_admin, count, fresh_state_dir, json, product_manifest, require_components, Edge, Json,
    PRODUCT_COMPONENTS,
};

const CODE: &str = "K7QP-M2XW-93RT";

fn body(code: &str) -> Json {
    json!({
        "setup_code": code,
        "centre_name": "某某县新时代文明实践中心",
        "admin_name": "王主任",
        "phone": "13712345678",
        "password": "first-admin-pw",
    })
}

fn fresh(code: Option<&str>) -> Edge {
    require_components(&PRODUCT_COMPONENTS);
    let launch = Edge::launch(&product_manifest()).state_dir(fresh_state_dir());
    match code {
        Some(code) => launch.env("SPIN_VARIABLE_SETUP_CODE", code).start(),
        None => launch.start(),
    }
}

fn admins(edge: &Edge) -> i64 {
    count(edge, "SELECT COUNT(*) FROM role_grants WHERE role = 'centre-admin'", [])
}

#[tokio::test]
async fn the_right_code_creates_the_centre_and_its_admin_once() {
    // Arrange
    let edge = fresh(Some("K7QPM2XW93RT"));
    let before = edge.get_json("/api/v1/setup", 200).await;

    // Act: typed as printed (groups, lower case) — the same code.
    let created = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body(&CODE.to_lowercase()))).await;
    let again = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body(CODE))).await;
    let after = edge.get_json("/api/v1/setup", 200).await;
    let token = edge.sign_in("13712345678", "first-admin-pw").await;

    // Assert
    assert_eq!(before, json!({ "needed": true, "code_configured": true }));
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["centre"]["name"], "某某县新时代文明实践中心");
    assert_eq!((again.status, again.error_code().as_str()), (409, "already_set_up"), "{}", again.text());
    assert_eq!(after, json!({ "needed": false, "code_configured": false }));
    assert!(!token.is_empty());
    assert_eq!(admins(&edge), 1);
    assert_eq!(count(&edge, "SELECT COUNT(*) FROM orgs", []), 1);
    assert_eq!(count(&edge, "SELECT COUNT(*) FROM audit_log WHERE action = 'bootstrap.centre-admin'", []), 1);
}

#[tokio::test]
async fn a_wrong_code_or_bad_input_creates_nothing_and_guessing_is_throttled() {
    // Arrange
    let edge = fresh(Some(CODE));

    // Act
    let wrong = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body("AAAA-BBBB-CCCC"))).await;
    let mut bad_phone = body(CODE);
    bad_phone["phone"] = json!("12345");
    let bad_phone = edge.api(None, "POST", "/api/v1/setup", &[], Some(&bad_phone)).await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(edge.api(None, "POST", "/api/v1/setup", &[], Some(&body("WRONG"))).await.status);
    }
    let right_but_throttled = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body(CODE))).await;

    // Assert
    assert_eq!((wrong.status, wrong.error_field().as_str()), (422, "setup_code"), "{}", wrong.text());
    assert_eq!((bad_phone.status, bad_phone.error_field().as_str()), (422, "phone"), "{}", bad_phone.text());
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "ten a window per client: {statuses:?}");
    assert_eq!(right_but_throttled.status, 429, "{}", right_but_throttled.text());
    assert!(right_but_throttled.header("retry-after").is_some());
    assert_eq!(admins(&edge), 0);
    assert_eq!(count(&edge, "SELECT COUNT(*) FROM accounts", []), 0);
}

#[tokio::test]
async fn wenming_up_prints_a_code_when_none_is_set_and_it_works() {
    // Arrange: no SPIN_VARIABLE_SETUP_CODE, no centre admin.
    let edge = fresh(None);
    let stdout = edge.stdout();
    let line =
        stdout.lines().find(|l| l.starts_with("Setup code: ")).unwrap_or_else(|| panic!("no code in:\n{stdout}"));
    let code = line["Setup code: ".len()..].split_whitespace().next().unwrap().to_string();

    // Act
    let created = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body(&code))).await;

    // Assert
    assert_eq!(code.len(), 15, "four groups of three: {code}");
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(admins(&edge), 1);
    assert!(!edge.stderr().contains(&code.replace('-', "")), "the code is never logged");
}

#[tokio::test]
async fn a_deployment_with_its_centre_admin_gets_no_code_and_the_route_is_closed() {
    // Arrange: the admin made on the command line, as scripts do; no code set.
    require_components(&PRODUCT_COMPONENTS);
    let state = fresh_state_dir();
    assert!(bootstrap_centre_admin(state.path()).success());
    let edge = Edge::launch(&product_manifest()).state_dir(state).start();

    // Act
    let status = edge.get_json("/api/v1/setup", 200).await;
    let attempt = edge.api(None, "POST", "/api/v1/setup", &[], Some(&body(""))).await;

    // Assert
    assert!(!edge.stdout().contains("Setup code"), "{}", edge.stdout());
    assert_eq!(status, json!({ "needed": false, "code_configured": false }));
    assert_eq!((attempt.status, attempt.error_code().as_str()), (409, "already_set_up"), "{}", attempt.text());
    assert_eq!(admins(&edge), 1);
}

#[tokio::test]
async fn a_forged_spin_path_info_cannot_reach_the_private_routes() {
    // Arrange: the edge drops client-sent spin-* headers; on Spin the component itself must not
    // let one turn /api/v1/setup into /demo or /centre-admin.
    let edge = fresh(Some(CODE));

    // Act
    let forged = edge.api(None, "POST", "/api/v1/setup", &[("spin-path-info", "/demo")], Some(&body("AAAA"))).await;

    // Assert
    assert_eq!(forged.status, 422, "{}", forged.text());
    assert_eq!(count(&edge, "SELECT COUNT(*) FROM orgs", []), 0);
}
