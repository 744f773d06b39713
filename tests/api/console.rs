//! The staff console's foundation through the real product: the browser session (an `HttpOnly`
//! cookie from `POST /api/v1/sessions/browser`, with a CSRF token echoed on unsafe methods) and
//! the console served from `web/dist` (single-page fallback, cache rules, the page policy).
//! The browser journeys themselves are `web/e2e/` (Chromium), run by `scripts/test`.

use wenming_tests::{count, json, Centre, Edge, Reply, CENTRE_ADMIN_PASSWORD, CENTRE_ADMIN_PHONE};

/// A console sign-in: the answer, the cookie pair to send back (`wenming_session=…`) and the
/// CSRF token.
async fn browser_sign_in(edge: &Edge) -> (Reply, String, String) {
    let body = json!({ "phone": CENTRE_ADMIN_PHONE, "password": CENTRE_ADMIN_PASSWORD });
    let reply = edge.api(None, "POST", "/api/v1/sessions/browser", &[], Some(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let set_cookie = reply.header("set-cookie").expect("a set-cookie header").to_owned();
    let pair = set_cookie.split(';').next().unwrap().trim().to_owned();
    let csrf = reply.json()["csrf_token"].as_str().expect("csrf_token").to_owned();
    (reply, pair, csrf)
}

/// `method path` with the cookie (and the CSRF header when given) and a JSON body.
async fn by_cookie(
    edge: &Edge,
    cookie: &str,
    csrf: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&wenming_tests::Json>,
) -> Reply {
    let mut headers = vec![("cookie", cookie)];
    if let Some(token) = csrf {
        headers.push(("x-csrf-token", token));
    }
    edge.api(None, method, path, &headers, body).await
}

#[tokio::test]
async fn a_browser_sign_in_keeps_the_token_in_an_http_only_cookie_that_works_on_me() {
    // Arrange
    let c = Centre::new().await;

    // Act
    let (reply, cookie, csrf) = browser_sign_in(&c.edge).await;
    let me = by_cookie(&c.edge, &cookie, None, "GET", "/api/v1/me", None).await;

    // Assert: the token is in the cookie only, with every attribute a browser session needs.
    let set_cookie = reply.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.split(';').any(|a| a.trim() == attribute), "{attribute} missing from {set_cookie}");
    }
    assert!(cookie.starts_with("wenming_session=") && cookie.len() > "wenming_session=".len() + 20, "{cookie}");
    let body = reply.json();
    assert!(body.get("token").is_none(), "the body must not carry the token: {body}");
    assert_eq!(body["account"]["name"], "中心管理员");
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["phone"], CENTRE_ADMIN_PHONE);
    assert_eq!(me["csrf_token"].as_str(), Some(csrf.as_str()), "a reloaded console learns its CSRF token again");
    let actions: Vec<&str> = me["actions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(actions.contains(&"manage-orgs") && actions.contains(&"read-outbox"), "{actions:?}");
}

#[tokio::test]
async fn an_unsafe_request_by_cookie_is_refused_without_the_right_csrf_token() {
    // Arrange
    let c = Centre::new().await;
    let (_, cookie, csrf) = browser_sign_in(&c.edge).await;
    let org = |name: &str| json!({ "parent_id": c.centre, "name": name, "level": "institute" });

    // Act
    let missing = by_cookie(&c.edge, &cookie, None, "POST", "/api/v1/orgs", Some(&org("无令牌镇"))).await;
    let wrong =
        by_cookie(&c.edge, &cookie, Some(&"0".repeat(64)), "POST", "/api/v1/orgs", Some(&org("错令牌镇"))).await;
    let right = by_cookie(&c.edge, &cookie, Some(&csrf), "POST", "/api/v1/orgs", Some(&org("城关镇"))).await;

    // Assert
    assert_eq!((missing.status, missing.error_code().as_str()), (403, "csrf_token_missing"), "{}", missing.text());
    assert_eq!((wrong.status, wrong.error_code().as_str()), (403, "csrf_token_invalid"), "{}", wrong.text());
    assert_eq!(right.status, 201, "{}", right.text());
    let named = |name: &str| count(&c.edge, "SELECT COUNT(*) FROM orgs WHERE name = ?1", [name]);
    assert_eq!((named("无令牌镇"), named("错令牌镇"), named("城关镇")), (0, 0, 1));
}

#[tokio::test]
async fn a_bearer_token_wins_over_a_cookie_and_needs_no_csrf_token() {
    // Arrange
    let c = Centre::new().await;
    let (_, cookie, _) = browser_sign_in(&c.edge).await;
    let body = json!({ "parent_id": c.centre, "name": "东城镇", "level": "institute" });
    let bearer = format!("Bearer {}", c.admin);

    // Act
    let reply =
        c.edge.api(None, "POST", "/api/v1/orgs", &[("cookie", &cookie), ("authorization", &bearer)], Some(&body)).await;

    // Assert
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(count(&c.edge, "SELECT COUNT(*) FROM orgs WHERE name = '东城镇'", []), 1);
}

#[tokio::test]
async fn signing_out_by_cookie_clears_the_cookie_and_ends_the_session() {
    // Arrange
    let c = Centre::new().await;
    let (_, cookie, csrf) = browser_sign_in(&c.edge).await;
    let forged = by_cookie(&c.edge, &cookie, None, "DELETE", "/api/v1/sessions/current", None).await;

    // Act
    let out = by_cookie(&c.edge, &cookie, Some(&csrf), "DELETE", "/api/v1/sessions/current", None).await;
    let after = by_cookie(&c.edge, &cookie, None, "GET", "/api/v1/me", None).await;

    // Assert: a cross-site page cannot sign someone out; the holder can, and the cookie dies.
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(out.status, 204, "{}", out.text());
    let cleared = out.header("set-cookie").expect("the cookie is cleared");
    assert!(cleared.starts_with("wenming_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(after.status, 401, "{}", after.text());
}

#[tokio::test]
async fn a_refused_browser_sign_in_sets_no_cookie() {
    // Arrange
    let c = Centre::new().await;
    let body = json!({ "phone": CENTRE_ADMIN_PHONE, "password": "not-the-password" });

    // Act
    let reply = c.edge.api(None, "POST", "/api/v1/sessions/browser", &[], Some(&body)).await;

    // Assert
    assert_eq!(reply.status, 401, "{}", reply.text());
    assert!(reply.header("set-cookie").is_none(), "{:?}", reply.headers);
}

#[tokio::test]
async fn console_routes_serve_the_app_and_hashed_assets_are_cached_for_good() {
    // Arrange
    let c = Centre::new().await;

    // Act
    let index = c.edge.get("/console/").await;
    let deep = c.edge.get("/console/orgs").await;
    let missing_asset = c.edge.get("/console/missing.js").await;
    let html = index.text();
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script src").to_owned();
    let asset = c.edge.get(&script).await;

    // Assert
    assert_eq!(index.status, 200, "{html}");
    assert!(html.contains("文明实践管理后台") && html.contains(r#"<div id="app">"#), "{html}");
    assert!(!html.contains("<script>") && !html.contains("<style>") && !html.contains(" style="), "{html}");
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!((deep.status, deep.text()), (200, html.clone()), "a deep link serves the app");
    assert_eq!(missing_asset.status, 404, "a missing file is not answered with the page");
    assert!(script.starts_with("/assets/"), "{script}");
    assert_eq!(asset.status, 200);
    assert_eq!(asset.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(asset.header("content-type").unwrap_or_default().starts_with("text/javascript"));
    let csp = asset.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn phone_routes_serve_the_phone_app_and_the_old_check_in_and_survey_addresses_redirect_into_it() {
    // Arrange
    let c = Centre::new().await;

    // Act
    let index = c.edge.get("/m/").await;
    let deep = c.edge.get("/m/checkin?code=ABC234").await;
    let missing_asset = c.edge.get("/m/missing.js").await;
    let old = c.edge.get("/checkin.html?code=ABC234").await;
    let old_survey = c.edge.get("/survey.html?id=7").await;
    let survey_without_id = c.edge.get("/survey.html").await;
    let survey_page = c.edge.get("/m/surveys/7").await;
    let font = c.edge.get("/m/vant-icon.woff2").await;
    let html = index.text();

    // Assert
    assert_eq!(index.status, 200, "{html}");
    assert!(html.contains("文明实践 · 志愿服务") && html.contains(r#"<div id="app">"#), "{html}");
    assert!(!html.contains("<script>") && !html.contains("<style>") && !html.contains(" style="), "{html}");
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!((deep.status, deep.text()), (200, html.clone()), "a deep link serves the phone app");
    assert_eq!(missing_asset.status, 404, "a missing file is not answered with the page");
    assert_eq!(old.status, 302, "{}", old.text());
    assert_eq!(old.header("location"), Some("/m/checkin?code=ABC234"));
    // WeChat menus point at /survey.html?id=N: it leads to the app's survey page.
    assert_eq!(old_survey.status, 302, "{}", old_survey.text());
    assert_eq!(old_survey.header("location"), Some("/m/surveys/7"));
    assert_eq!(survey_without_id.header("location"), Some("/m/surveys/"));
    assert_eq!((survey_page.status, survey_page.text()), (200, html.clone()));
    // The icon font is served from this origin (the CSP allows no other).
    assert_eq!(font.status, 200);
    assert_eq!(font.header("content-type"), Some("font/woff2"));
}

#[tokio::test]
async fn a_staff_member_changes_their_own_password_by_cookie() {
    // Arrange
    let c = Centre::new().await;
    let (_, cookie, csrf) = browser_sign_in(&c.edge).await;
    let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new });

    // Act
    let wrong = by_cookie(
        &c.edge,
        &cookie,
        Some(&csrf),
        "POST",
        "/api/v1/me/password",
        Some(&change("nope", "new-password-1")),
    )
    .await;
    let short = by_cookie(
        &c.edge,
        &cookie,
        Some(&csrf),
        "POST",
        "/api/v1/me/password",
        Some(&change(CENTRE_ADMIN_PASSWORD, "short")),
    )
    .await;
    let forged = by_cookie(
        &c.edge,
        &cookie,
        None,
        "POST",
        "/api/v1/me/password",
        Some(&change(CENTRE_ADMIN_PASSWORD, "new-password-1")),
    )
    .await;
    let changed = by_cookie(
        &c.edge,
        &cookie,
        Some(&csrf),
        "POST",
        "/api/v1/me/password",
        Some(&change(CENTRE_ADMIN_PASSWORD, "new-password-1")),
    )
    .await;

    // Assert
    assert_eq!((wrong.status, wrong.error_field().as_str()), (422, "current_password"), "{}", wrong.text());
    assert_eq!((short.status, short.error_field().as_str()), (422, "new_password"), "{}", short.text());
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(changed.status, 204, "{}", changed.text());
    assert_eq!(c.edge.try_sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await.status, 401);
    assert_eq!(c.edge.try_sign_in(CENTRE_ADMIN_PHONE, "new-password-1").await.status, 201);
    assert_eq!(
        by_cookie(&c.edge, &cookie, None, "GET", "/api/v1/me", None).await.status,
        200,
        "this session stays signed in"
    );
    let audited = count(
        &c.edge,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'account.password' AND entity_id = ?1",
        [c.admin_id],
    );
    assert_eq!(audited, 1);
    let leaked = count(&c.edge, "SELECT COUNT(*) FROM audit_log WHERE COALESCE(after, '') LIKE '%new-password%'", []);
    assert_eq!(leaked, 0);
}
