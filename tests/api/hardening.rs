//! Holding up under abuse (issue 13), against the product (`spin.toml`): bodies only as
//! `application/json` (a cross-site form cannot send that without a preflight), no JSON key
//! named twice, the security headers on pages and API answers (every component's JSON, the
//! edge's own and CSV downloads never sniffed), and names that hide no bidi or zero-width
//! characters.
//!
//! Each refusal is checked to have written nothing: the outbox, the sessions and the orgs are
//! counted before and after.

use wenming_tests::{count, json, raw_exchange, scalar, volunteer_registration, Centre, County, Edge, Json, Reply};

/// `POST path` with `body` sent byte for byte as `content_type` (none when `None`), signed in as
/// `token` when given.
async fn post_raw(edge: &Edge, token: Option<&str>, path: &str, content_type: Option<&str>, body: &str) -> Reply {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(value) = &authorization {
        headers.push(("authorization", value));
    }
    if let Some(value) = content_type {
        headers.push(("content-type", value));
    }
    edge.request("POST", path, &headers, body.to_owned()).await
}

fn written(c: &Centre) -> (i64, i64, i64) {
    (
        count(&c.edge, "SELECT count(*) FROM outbox", []),
        count(&c.edge, "SELECT count(*) FROM sessions", []),
        count(&c.edge, "SELECT count(*) FROM orgs", []),
    )
}

fn assert_refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.error_code(), code, "{}", reply.text());
    assert!(reply.header("content-type").unwrap_or_default().starts_with("application/json"), "{:?}", reply.headers);
}

#[tokio::test]
async fn json_sent_as_anything_but_application_json_is_415_and_writes_nothing() {
    let c = Centre::new().await;
    let code_body = json!({ "phone": "13700000011" }).to_string();
    let org_body = json!({ "parent_id": c.centre, "name": "城关镇", "level": "institute" }).to_string();
    let before = written(&c);

    // Act: what a cross-site form can send without a preflight, and no type at all.
    let mut replies = Vec::new();
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("text/plain; charset=utf-8"), None]
    {
        replies.push(post_raw(&c.edge, None, "/api/v1/sms-codes", content_type, &code_body).await);
    }
    let sign_in = post_raw(
        &c.edge,
        None,
        "/api/v1/sessions",
        Some("text/plain"),
        &json!({ "phone": "13700000011", "code": "000000" }).to_string(),
    )
    .await;
    let staff = post_raw(&c.edge, Some(&c.admin), "/api/v1/orgs", Some("text/plain"), &org_body).await;

    // Assert
    for reply in replies.iter().chain([&sign_in, &staff]) {
        assert_refused(reply, 415, "unsupported_media_type");
    }
    assert_eq!(written(&c), before, "no code queued, no session, no org");

    // The same bodies as application/json, parameters allowed, are served.
    let asked = post_raw(&c.edge, None, "/api/v1/sms-codes", Some("application/json; charset=utf-8"), &code_body).await;
    let made = post_raw(&c.edge, Some(&c.admin), "/api/v1/orgs", Some("Application/JSON"), &org_body).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    assert_eq!(made.status, 201, "{}", made.text());
}

#[tokio::test]
async fn a_json_key_named_twice_is_400_and_writes_nothing() {
    let c = Centre::new().await;
    let before = written(&c);

    let codes = post_raw(
        &c.edge,
        None,
        "/api/v1/sms-codes",
        Some("application/json"),
        r#"{"phone": "13700000012", "phone": "13700000013"}"#,
    )
    .await;
    let sign_in = post_raw(
        &c.edge,
        None,
        "/api/v1/sessions",
        Some("application/json"),
        r#"{"phone": "13700000012", "code": "000000", "code": "111111"}"#,
    )
    .await;
    // Escaped, the key is the same key.
    let staff = post_raw(
        &c.edge,
        Some(&c.admin),
        "/api/v1/orgs",
        Some("application/json"),
        &format!(r#"{{"parent_id": {}, "name": "甲", "\u006eame": "乙", "level": "institute"}}"#, c.centre),
    )
    .await;

    for reply in [&codes, &sign_in, &staff] {
        assert_refused(reply, 400, "malformed");
        assert!(reply.text().contains("duplicate key"), "{}", reply.text());
    }
    assert_eq!(written(&c), before, "no code queued, no session, no org");
}

#[tokio::test]
async fn api_answers_are_never_sniffed() {
    let c = Centre::new().await;

    let ok = c.edge.get_as(&c.admin, "/api/v1/me").await;
    let refused = c.edge.get("/api/v1/me").await;

    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(refused.status, 401, "{}", refused.text());
    for reply in [&ok, &refused] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{:?}", reply.headers);
    }
}

/// `(name, value)` every answer of the `web` component carries.
const PAGE_HEADERS: [(&str, &str); 3] =
    [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "same-origin")];

#[tokio::test]
async fn pages_and_their_files_carry_a_self_only_policy_and_never_inline_code() {
    let c = Centre::new().await;

    let mut replies = Vec::new();
    for path in ["/", "/index.html", "/index.js", "/index.css", "/m/", "/m/surveys/1", "/no-such-page"] {
        replies.push((path, c.edge.get(path).await));
    }

    for (path, reply) in &replies {
        let expected = if *path == "/no-such-page" { 404 } else { 200 };
        assert_eq!(reply.status, expected, "{path}: {}", reply.text());
        for (name, value) in PAGE_HEADERS {
            assert_eq!(reply.header(name), Some(value), "{path}: {name} in {:?}", reply.headers);
        }
        let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        // The phone app may also load Tencent's JS-SDK (wx.getLocation inside WeChat), nothing else.
        let scripts =
            if path.starts_with("/m/") { "script-src 'self' https://res.wx.qq.com" } else { "script-src 'self'" };
        for directive in ["default-src 'self'", scripts, "style-src 'self'", "frame-ancestors 'none'"] {
            assert!(csp.split(';').any(|d| d.trim() == directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
    }
    // The policy forbids inline code, so the pages must have none, or they would stop working.
    for (path, reply) in
        replies.iter().filter(|(p, _)| p.ends_with(".html") || p.ends_with('/') || p.starts_with("/m/"))
    {
        let html = reply.text();
        assert!(!html.contains("<script>") && !html.contains("<style>") && !html.contains(" style="), "{path}");
        assert!(!html.contains(" onclick=") && !html.contains(" onload="), "{path}");
    }
    let page = |p: &str| replies.iter().find(|(path, _)| *path == p).map(|(_, r)| r).expect("fetched");
    assert!(page("/index.js").header("content-type").unwrap_or_default().starts_with("text/javascript"));
    assert!(page("/index.css").header("content-type").unwrap_or_default().starts_with("text/css"));
    // The phone app (where the survey page now lives) loads its code from files only.
    assert!(
        page("/m/surveys/1").text().contains(r#"<script type="module" crossorigin src="/assets/"#),
        "{}",
        page("/m/surveys/1").text()
    );
}

/// The wall screen alone may draw images from other https origins (the deployment's own map tile
/// service, `screen.tile_url`); its scripts and connections stay same-origin, and every other
/// page keeps images to its own origin.
#[tokio::test]
async fn only_the_wall_screen_may_show_images_from_another_https_origin() {
    let c = Centre::new().await;
    let screen = c.edge.get("/screen.html").await;
    assert_eq!(screen.status, 200, "{}", screen.text());
    let csp = screen.header("content-security-policy").expect("a policy").to_string();
    let directive = |csp: &str, name: &str| {
        csp.split(';').map(str::trim).find(|d| d.starts_with(name)).unwrap_or_default().to_string()
    };
    assert_eq!(directive(&csp, "img-src"), "img-src 'self' data: https:", "{csp}");
    for name in ["script-src", "connect-src", "default-src"] {
        assert_eq!(directive(&csp, name), format!("{name} 'self'"), "{csp}");
    }
    for path in ["/console/", "/m/", "/"] {
        let other = c.edge.get(path).await;
        let csp = other.header("content-security-policy").expect("a policy").to_string();
        assert_eq!(directive(&csp, "img-src"), "img-src 'self' data:", "{path}: {csp}");
    }
}

#[tokio::test]
async fn every_components_json_answers_and_the_edges_own_are_never_sniffed() {
    // Arrange: a county, so lists have something to list.
    let c = County::new().await;
    let admin = Some(c.admin.as_str());
    let mediation = json!({ "case_no": "x" });

    // Act: an answer from every component, successes and refusals alike.
    let cases: [(&str, &str, Option<&str>, Option<&Json>); 19] = [
        ("GET", "/api/v1/status", None, None),
        ("POST", "/api/v1/status", None, None),
        ("GET", "/api/v1/me", admin, None),
        ("GET", "/api/v1/me", None, None),
        ("GET", "/api/v1/orgs/999999", admin, None),
        ("GET", "/api/v1/volunteers", admin, None),
        ("GET", "/api/v1/teams/999999", admin, None),
        ("GET", "/api/v1/activities", admin, None),
        ("GET", "/api/v1/activities/999999/attendances", admin, None),
        ("POST", "/api/v1/checkins", admin, Some(&mediation)),
        ("GET", "/api/v1/service-menu", admin, None),
        ("GET", "/api/v1/demands/999999", admin, None),
        ("GET", "/api/v1/dispatch/999999", admin, None),
        ("GET", "/api/v1/surveys", admin, None),
        ("GET", "/api/v1/rewards", admin, None),
        ("GET", "/api/v1/ratings/999999", admin, None),
        ("POST", "/hooks/mediation", None, Some(&mediation)),
        ("GET", "/wechat/callback", None, None),
        ("GET", "/api/v1/evaluation/nothing-here", admin, None),
    ];
    let mut replies = Vec::new();
    for (method, path, token, body) in cases {
        replies.push((format!("{method} {path}"), c.edge.api(token, method, path, &[], body).await));
    }
    // The edge answers a body declared too large itself, before any component.
    let (too_large, _) = raw_exchange(
        c.edge.addr,
        b"POST /api/v1/orgs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 999999999\r\nConnection: close\r\n\r\n",
    );
    replies.push(("POST /api/v1/orgs (too large)".into(), too_large));

    // Assert
    let statuses: Vec<(&str, u16)> = replies.iter().map(|(what, r)| (what.as_str(), r.status)).collect();
    assert!(statuses.iter().any(|(_, s)| (200..300).contains(s)), "{statuses:?}");
    assert!(statuses.iter().any(|(_, s)| (400..500).contains(s)), "{statuses:?}");
    assert!(statuses.iter().any(|(_, s)| *s == 413), "{statuses:?}");
    for (what, reply) in &replies {
        assert!(reply.status < 500, "{what}: {} {}", reply.status, reply.text());
        let content_type = reply.header("content-type").unwrap_or_default();
        assert!(content_type.starts_with("application/json"), "{what}: {content_type} {}", reply.text());
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}: {:?}", reply.headers);
    }
}

#[tokio::test]
async fn csv_downloads_are_never_sniffed() {
    let c = County::new().await;

    let volunteers = c.edge.get_as(&c.admin, "/api/v1/volunteers/export.csv").await;
    let records = c.edge.get_as(&c.admin, "/api/v1/records.csv").await;

    for reply in [&volunteers, &records] {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(reply.header("content-type").unwrap_or_default().starts_with("text/csv"), "{:?}", reply.headers);
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{:?}", reply.headers);
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{:?}", reply.headers);
    }
}

#[tokio::test]
async fn names_holding_bidi_or_zero_width_characters_are_422_naming_the_field_and_change_nothing() {
    // Arrange
    let c = County::new().await;
    let org_name = || scalar::<String>(&c.edge, "SELECT name FROM orgs WHERE id = ?1", [c.a]);
    let (name_before, volunteers_before) = (org_name(), count(&c.edge, "SELECT count(*) FROM volunteers", []));

    // Act: "东街站" that reads reversed after the override; a volunteer whose name hides a
    // zero-width space, so it looks like another volunteer's.
    let renamed =
        c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{}", c.a), &json!({ "name": "东街\u{202E}站" })).await;
    let body = volunteer_registration("张\u{200B}三", "13700000021", "19900101", 11, true, c.a);
    let registered = c.edge.post_as(&c.admin, "/api/v1/volunteers", &body).await;

    // Assert
    for (reply, field) in [(&renamed, "name"), (&registered, "real_name")] {
        assert_refused(reply, 422, "invalid");
        assert_eq!(reply.error_field(), field, "{}", reply.text());
        assert!(reply.text().contains("U+"), "the message names the character: {}", reply.text());
    }
    assert_eq!(org_name(), name_before, "the org keeps its name");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM volunteers", []), volunteers_before, "nobody was registered");
    // The same requests without the invisible characters go through.
    let clean = c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{}", c.a), &json!({ "name": "东街站" })).await;
    assert_eq!(clean.status, 200, "{}", clean.text());
    let body = volunteer_registration("张三", "13700000021", "19900101", 11, true, c.a);
    assert_eq!(c.edge.post_as(&c.admin, "/api/v1/volunteers", &body).await.status, 201);
}
