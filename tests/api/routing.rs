//! Routing parity with Spin (spin-facts.md §1a): precedence, duplicates, private routes,
//! static responses, the reserved `/.well-known/spin/` prefix and the access log.

use std::time::Duration;

use wenming_tests::{app_manifest, parity_manifest, Echo, Edge};

/// Which component (by `environment.WHO`) answers `path` in the parity app.
async fn who_answers(edge: &Edge, path: &str) -> String {
    let reply = edge.get(path).await;
    assert_eq!(reply.status, 200, "GET {path} answered {}: {}", reply.status, reply.text());
    Echo::from_reply(&reply).who()
}

#[tokio::test]
async fn routes_follow_spin_precedence_table() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);
    let table = [
        // exact
        ("/cart", "cart"),
        ("/cart/", "cart"), // routefinder tolerates one trailing slash on exact routes
        ("/cart/x", "catch-all"),
        // trailing wildcard vs exact vs named wildcard
        ("/users", "users-any"),
        ("/users/", "users-any"),
        ("/users/42", "users-any"),
        ("/users/admin", "users-admin"),
        ("/users/admin/", "users-admin"),
        ("/users/admin/x", "users-any"),
        ("/users/1/cart", "user-cart"),
        ("/users/1/cart/", "user-cart"),
        ("/users/1/cart/items/3", "user-cart"),
        ("/users/admin/cart/x", "user-cart"), // `:userid` beats `...` at segment 2
        ("/users/1/carts", "users-any"),
        // longest prefix wins among trailing wildcards
        ("/one", "one"),
        ("/one/two", "one"),
        ("/one/two/three", "one-two-three"),
        ("/one/two/three/four", "one-two-three"),
        ("/one/two/threes", "one"),
        ("/onex", "catch-all"),
        // first differing segment decides: exact `b` beats `:x` even though `/a/:x/c` is exact-length
        ("/a/b/c", "a-b-any"),
        ("/a/b", "a-b-any"),
        ("/a/z/c", "a-x-c"),
        ("/a/z/d", "catch-all"),
        // catch-all
        ("/", "catch-all"),
        ("/nowhere/deep/path", "catch-all"),
    ];

    // Act
    let mut answered = Vec::new();
    for (path, _) in &table {
        answered.push((*path, who_answers(&edge, path).await));
    }

    // Assert
    let mismatches: Vec<String> = table
        .iter()
        .zip(&answered)
        .filter(|((_, want), (_, got))| want != got)
        .map(|((path, want), (_, got))| format!("{path}: want {want}, got {got}"))
        .collect();
    assert!(mismatches.is_empty(), "routing differs from Spin:\n{}", mismatches.join("\n"));
}

#[tokio::test]
async fn named_wildcards_arrive_as_path_match_headers() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let a = Echo::from_reply(&edge.get("/a/zed/c").await);
    let user = Echo::from_reply(&edge.get("/users/admin/cart/list").await);

    // Assert
    assert_eq!(a.who(), "a-x-c");
    assert_eq!(a.header("spin-path-match-x"), "zed");
    assert_eq!(user.who(), "user-cart");
    assert_eq!(user.header("spin-path-match-userid"), "admin");
}

#[tokio::test]
async fn duplicate_route_is_served_by_the_last_trigger() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let who = who_answers(&edge, "/dup").await;

    // Assert
    assert_eq!(who, "dup-second", "identical route strings: the last trigger must win");
}

#[tokio::test]
async fn private_route_is_not_reachable_from_outside() {
    // Arrange: an app whose only public route is /hello, plus a private trigger.
    let edge = Edge::start(&app_manifest("no-catch-all"), &[]);

    // Act
    let hello = edge.get("/hello").await;
    let probes = ["/", "/hidden", "/hidden/", "/hidden/x", "/private", "/hello/x"];
    let mut statuses = Vec::new();
    for path in probes {
        statuses.push((path, edge.get(path).await.status));
    }

    // Assert
    assert_eq!(Echo::from_reply(&hello).who(), "hello", "control: the public route works");
    for (path, status) in statuses {
        assert_eq!(status, 404, "GET {path} must not reach anything (private/unmatched)");
    }
}

#[tokio::test]
async fn private_component_never_answers_even_with_a_catch_all() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let answers = [who_answers(&edge, "/hidden").await, who_answers(&edge, "/hidden/x").await];

    // Assert
    assert_eq!(answers, ["catch-all", "catch-all"]);
}

#[tokio::test]
async fn unmatched_path_is_404() {
    // Arrange
    let edge = Edge::start(&app_manifest("no-catch-all"), &[]);

    // Act
    let reply = edge.get("/nothing/here").await;

    // Assert
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn static_response_returns_its_status_headers_and_body() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get("/static").await;

    // Assert
    assert_eq!(reply.status, 418);
    assert_eq!(reply.header("x-static"), Some("teapot"));
    assert_eq!(reply.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(reply.text(), "short and stout\n");
}

#[tokio::test]
async fn health_endpoint_answers_ok_before_any_route() {
    // Arrange: the parity app has a `/...` catch-all that would otherwise take this path.
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get("/.well-known/spin/health").await;

    // Assert
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "OK");
}

#[tokio::test]
async fn info_endpoint_reports_application_name_and_version() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get("/.well-known/spin/info").await;

    // Assert
    assert_eq!(reply.status, 200);
    let info = reply.json();
    assert_eq!(info["name"], "wenming-parity");
    assert_eq!(info["version"], "0.3.1");
}

#[tokio::test]
async fn other_reserved_paths_are_404_not_the_catch_all() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let nope = edge.get("/.well-known/spin/nope").await;
    let deeper = edge.get("/.well-known/spin/health/extra").await;

    // Assert
    assert_eq!(nope.status, 404, "body: {}", nope.text());
    assert_eq!(deeper.status, 404, "body: {}", deeper.text());
    // Outside the reserved prefix the catch-all still applies.
    assert_eq!(who_answers(&edge, "/.well-known/other").await, "catch-all");
}

#[tokio::test]
async fn access_log_line_names_method_path_component_and_status() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let ok = edge.request("PUT", "/users/admin", &[], "x").await;
    let teapot = edge.get("/one/two/three/?status=418").await;

    // Assert
    assert_eq!(ok.status, 200);
    assert_eq!(teapot.status, 418);
    let admin_line = edge
        .wait_for_stderr_line(Duration::from_secs(3), |l| {
            l.contains("PUT") && l.contains("/users/admin") && l.contains("users-admin") && l.contains("200")
        })
        .await;
    assert!(admin_line.is_some(), "no access-log line for PUT /users/admin; stderr:\n{}", edge.stderr());
    let teapot_line = edge
        .wait_for_stderr_line(Duration::from_secs(3), |l| {
            l.contains("GET") && l.contains("/one/two/three/") && l.contains("one-two-three") && l.contains("418")
        })
        .await;
    assert!(teapot_line.is_some(), "no access-log line for the 418; stderr:\n{}", edge.stderr());
}
