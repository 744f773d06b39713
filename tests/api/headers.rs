//! What the guest sees (spin-facts.md §1b): the `spin-*` headers the edge adds, forged client
//! `spin-*` headers being dropped, the URI, component `environment` / `-e` variables and the
//! `files` mount.

use wenming_tests::{parity_manifest, Echo, Edge};

/// GET `target` over a raw connection with the given extra header lines (each ending in CRLF).
fn raw_get(edge: &Edge, target: &str, header_lines: &str) -> (Echo, std::net::SocketAddr) {
    let request = format!("GET {target} HTTP/1.1\r\n{header_lines}Connection: close\r\n\r\n");
    let (reply, local) = edge.raw(request.as_bytes());
    (Echo::from_reply(&reply), local)
}

#[tokio::test]
async fn spin_headers_match_spin_for_a_named_wildcard_route() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let (echo, client) = raw_get(&edge, "/users/1/cart/items/3/edit?theme=pink", "Host: example.com:8080\r\n");

    // Assert
    assert_eq!(echo.who(), "user-cart");
    let expected = [
        ("spin-full-url", "http://example.com:8080/users/1/cart/items/3/edit?theme=pink".to_owned()),
        ("spin-path-info", "/items/3/edit".to_owned()),
        ("spin-matched-route", "/users/:userid/cart/...".to_owned()),
        ("spin-raw-component-route", "/users/:userid/cart/...".to_owned()),
        ("spin-component-route", "/users/:userid/cart".to_owned()),
        ("spin-base-path", "/".to_owned()),
        ("spin-client-addr", format!("127.0.0.1:{}", client.port())),
        ("spin-path-match-userid", "1".to_owned()),
    ];
    for (name, value) in &expected {
        assert_eq!(&echo.header(name), value, "header {name}");
    }
    let unexpected_spin: Vec<String> = echo
        .header_names()
        .into_iter()
        .filter(|n| n.starts_with("spin-") && !expected.iter().any(|(e, _)| e == n))
        .collect();
    assert!(unexpected_spin.is_empty(), "extra spin-* headers: {unexpected_spin:?}");
    assert_eq!(echo.str_field("uri"), "http://example.com:8080/users/1/cart/items/3/edit?theme=pink");
    assert_eq!(echo.str_field("path_with_query"), "/users/1/cart/items/3/edit?theme=pink");
    assert_eq!(echo.str_field("method"), "GET");
}

#[tokio::test]
async fn host_and_connection_headers_do_not_reach_the_guest() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let (echo, _) = raw_get(&edge, "/cart", "Host: shop.example:9000\r\nX-Kept: yes\r\n");

    // Assert: Host moved into the URI authority, Connection stripped, others kept.
    let names = echo.header_names();
    assert!(!names.iter().any(|n| n == "host"), "guest saw a host header: {names:?}");
    assert!(!names.iter().any(|n| n == "connection"), "guest saw a connection header: {names:?}");
    assert_eq!(echo.header("x-kept"), "yes");
    assert_eq!(echo.str_field("uri"), "http://shop.example:9000/cart");
}

#[tokio::test]
async fn full_url_defaults_to_localhost_without_a_host_header() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let (echo, _) = raw_get(&edge, "/cart?q=1", "");

    // Assert
    assert_eq!(echo.header("spin-full-url"), "http://localhost/cart?q=1");
}

#[tokio::test]
async fn path_info_and_component_route_follow_spin_for_each_route_kind() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);
    // (path, who, spin-path-info, spin-component-route, spin-matched-route)
    let cases = [
        ("/cart", "cart", "", "/cart", "/cart"),
        ("/cart/", "cart", "", "/cart", "/cart"),
        ("/users", "users-any", "", "/users", "/users/..."),
        ("/users/", "users-any", "/", "/users", "/users/..."),
        ("/users/7/edit/", "users-any", "/7/edit/", "/users", "/users/..."),
        ("/users/7?tab=x", "users-any", "/7", "/users", "/users/..."),
        ("/one/two/three/four", "one-two-three", "/four", "/one/two/three", "/one/two/three/..."),
        ("/a/zed/c", "a-x-c", "", "/a/:x/c", "/a/:x/c"),
        ("/", "catch-all", "/", "", "/..."),
        ("/nowhere/deep", "catch-all", "/nowhere/deep", "", "/..."),
    ];

    // Act
    let mut seen = Vec::new();
    for (path, ..) in &cases {
        let echo = Echo::from_reply(&edge.get(path).await);
        seen.push((
            echo.who(),
            echo.header("spin-path-info"),
            echo.header("spin-component-route"),
            echo.header("spin-matched-route"),
            echo.header("spin-raw-component-route"),
        ));
    }

    // Assert
    let mut mismatches = Vec::new();
    for ((path, who, info, component_route, matched), got) in cases.iter().zip(&seen) {
        let want =
            (who.to_string(), info.to_string(), component_route.to_string(), matched.to_string(), matched.to_string());
        if &want != got {
            mismatches.push(format!(
                "{path}: want (who, path-info, component-route, matched-route, raw-route) = {want:?}, got {got:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[tokio::test]
async fn forged_spin_headers_from_the_client_are_dropped() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);
    let forged = "Host: example.com\r\n\
                  spin-client-addr: 6.6.6.6:1\r\n\
                  Spin-Path-Info: /forged\r\n\
                  SPIN-FULL-URL: http://evil.example/\r\n\
                  spin-component-route: /evil\r\n\
                  spin-path-match-userid: 999\r\n\
                  spin-path-match-evil: 1\r\n\
                  X-Multi: a\r\n\
                  X-Multi: b\r\n";

    // Act
    let (echo, client) = raw_get(&edge, "/users/5/cart/x", forged);

    // Assert: exactly one of each, and it is the edge's value.
    assert_eq!(echo.header("spin-client-addr"), format!("127.0.0.1:{}", client.port()));
    assert_eq!(echo.header("spin-path-info"), "/x");
    assert_eq!(echo.header("spin-full-url"), "http://example.com/users/5/cart/x");
    assert_eq!(echo.header("spin-component-route"), "/users/:userid/cart");
    assert_eq!(echo.header("spin-path-match-userid"), "5");
    assert!(
        echo.header_all("spin-path-match-evil").is_empty(),
        "a client-sent spin-* header with no edge counterpart must be dropped, not passed on"
    );
    // Ordinary repeated headers pass through untouched and in order.
    assert_eq!(echo.header_all("x-multi"), vec!["a", "b"]);
}

#[tokio::test]
async fn component_environment_and_cli_env_vars_are_visible() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &["-e", "EXTRA=from-cli", "--env", "WITH_EQUALS=a=b"]);

    // Act
    let cart = Echo::from_reply(&edge.get("/cart").await);
    let users = Echo::from_reply(&edge.get("/users").await);

    // Assert
    assert_eq!(cart.who(), "cart");
    assert_eq!(users.who(), "users-any");
    for echo in [&cart, &users] {
        assert_eq!(echo.env("EXTRA").as_deref(), Some("from-cli"));
        assert_eq!(echo.env("WITH_EQUALS").as_deref(), Some("a=b"));
    }
}

#[tokio::test]
async fn files_mount_is_readable_only_by_its_component() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);
    let expected =
        std::fs::read_to_string(wenming_tests::workspace_root().join("tests/apps/parity/files/hello.txt")).unwrap();

    // Act
    let catch_all = Echo::from_reply(&edge.get("/").await);
    let cart = Echo::from_reply(&edge.get("/cart").await);

    // Assert
    assert_eq!(catch_all.0["file"].as_str(), Some(expected.as_str()));
    assert!(cart.0["file"].is_null(), "cart has no files mount but read: {}", cart.0["file"]);
}

#[tokio::test]
async fn method_and_body_reach_the_guest() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.request("PATCH", "/cart", &[("content-type", "text/plain")], "twelve bytes").await;

    // Assert
    let echo = Echo::from_reply(&reply);
    assert_eq!(echo.str_field("method"), "PATCH");
    assert_eq!(echo.0["body_len"], 12);
    assert_eq!(echo.header("content-type"), "text/plain");
}
