//! Outbound HTTP and local service chaining (spin-facts.md §1a `allowed_outbound_hosts`, private
//! routes; §1b chained-request headers) through the `capabilities` component calling
//! `spin_sdk::http::send`. Real upstreams are tiny local servers (`Upstream`) that count the
//! connections they get, so a refused request is proven never to have left the edge.

use std::time::{Duration, Instant};

use wenming_tests::{app_manifest, percent_encode, require_components, Echo, Edge, Exited, Json, Upstream};

/// What the guest reports for a refused request: `SendError::Http(ErrorCode::HttpRequestDenied)`.
const DENIED: &str = "Http(ErrorCode::HttpRequestDenied)";

fn manifest() -> std::path::PathBuf {
    require_components(&["capabilities", "echo"]);
    app_manifest("capabilities/outbound")
}

/// The outbound app with `upstream_port` set to `upstream`'s port, plus `env`.
fn start(upstream: &Upstream, env: &[(&str, String)]) -> Edge {
    let mut launch = Edge::launch(&manifest()).env("SPIN_VARIABLE_UPSTREAM_PORT", upstream.port().to_string());
    for (name, value) in env {
        launch = launch.env(name, value);
    }
    launch.start()
}

/// Has component `id` GET `url`; returns the guest's report.
async fn call_out(edge: &Edge, id: &str, url: &str) -> Json {
    edge.get_json(&format!("/{id}/out?url={}", percent_encode(url)), 200).await
}

fn assert_denied(reply: &Json, what: &str) {
    assert_eq!(reply["error"], DENIED, "{what} must be refused: {reply}");
}

fn assert_reached(reply: &Json, upstream: &Upstream) {
    assert_eq!(reply["status"], 200, "expected {}'s answer: {reply}", upstream.name);
    assert_eq!(reply["body"], format!("hello from {}", upstream.name), "{reply}");
}

#[tokio::test]
async fn an_allowed_host_reaches_the_upstream_and_the_guest_gets_its_answer() {
    // Arrange
    let upstream = Upstream::start("alpha");
    let edge = start(&upstream, &[]);

    // Act
    let reply = call_out(&edge, "allowed", &upstream.url("/hello/there?x=1&y=two")).await;

    // Assert
    assert_reached(&reply, &upstream);
    let headers = reply["headers"].as_array().expect("headers");
    assert!(
        headers.iter().any(|h| h[0] == "x-upstream" && h[1] == "alpha"),
        "the upstream's headers reach the guest: {reply}"
    );
    let requests = upstream.requests();
    assert_eq!(requests.len(), 1, "exactly one request must arrive: {requests:?}");
    assert!(
        requests[0].starts_with("GET /hello/there?x=1&y=two HTTP/1.1"),
        "path and query must arrive unchanged: {:?}",
        requests[0]
    );
}

#[tokio::test]
async fn a_port_outside_the_allow_list_is_denied_and_never_connected() {
    // Arrange
    let allowed = Upstream::start("alpha");
    let other = Upstream::start("beta");
    let edge = start(&allowed, &[]);

    // Act
    let to_other = call_out(&edge, "allowed", &other.url("/")).await;
    let to_allowed = call_out(&edge, "allowed", &allowed.url("/")).await;

    // Assert
    assert_denied(&to_other, "a port that is not in the list");
    assert_eq!(other.connections(), 0, "the refused server must see no connection at all");
    assert_reached(&to_allowed, &allowed);
    assert_eq!(allowed.connections(), 1);
}

#[tokio::test]
async fn host_names_and_schemes_must_match_the_entry_exactly() {
    // Arrange
    let upstream = Upstream::start("alpha");
    let edge = start(&upstream, &[]);
    let port = upstream.port();

    // Act
    // The entry is `http://127.0.0.1:<port>`: `localhost` is another host name, https another scheme.
    let by_name = call_out(&edge, "allowed", &format!("http://localhost:{port}/")).await;
    let by_https = call_out(&edge, "allowed", &format!("https://127.0.0.1:{port}/")).await;

    // Assert
    assert_denied(&by_name, "localhost when only 127.0.0.1 is listed");
    assert_denied(&by_https, "https when only http is listed");
    assert_eq!(upstream.connections(), 0);
}

#[tokio::test]
async fn a_component_without_allowed_outbound_hosts_is_refused_everything() {
    // Arrange
    let upstream = Upstream::start("alpha");
    let edge = start(&upstream, &[]);

    // Act
    let to_upstream = call_out(&edge, "closed", &upstream.url("/")).await;
    let to_internal = call_out(&edge, "closed", "http://internal.spin.internal/").await;

    // Assert
    assert_denied(&to_upstream, "the upstream, for a component with no allow-list");
    assert_denied(&to_internal, "service chaining, for a component with no allow-list");
    assert_eq!(upstream.connections(), 0);
}

#[tokio::test]
async fn a_star_port_allows_every_port_of_the_host() {
    // Arrange
    let alpha = Upstream::start("alpha");
    let beta = Upstream::start("beta");
    let edge = start(&alpha, &[]);

    // Act
    let to_alpha = call_out(&edge, "any-port", &alpha.url("/")).await;
    let to_beta = call_out(&edge, "any-port", &beta.url("/")).await;

    // Assert
    assert_reached(&to_alpha, &alpha);
    assert_reached(&to_beta, &beta);
    assert_eq!((alpha.connections(), beta.connections()), (1, 1));
}

#[tokio::test]
async fn a_port_range_includes_its_start_and_excludes_its_end() {
    // Arrange: `http://127.0.0.1:{{ range_lo }}..{{ range_hi }}` with lo/hi = the two ports.
    let a = Upstream::start("alpha");
    let b = Upstream::start("beta");
    let (low, high) = if a.port() < b.port() { (&a, &b) } else { (&b, &a) };
    let edge = start(
        &a,
        &[("SPIN_VARIABLE_RANGE_LO", low.port().to_string()), ("SPIN_VARIABLE_RANGE_HI", high.port().to_string())],
    );

    // Act
    let to_low = call_out(&edge, "ranged", &low.url("/")).await;
    let to_high = call_out(&edge, "ranged", &high.url("/")).await;

    // Assert
    assert_reached(&to_low, low);
    assert_denied(&to_high, "the range's end port (end-exclusive)");
    assert_eq!(low.connections(), 1);
    assert_eq!(high.connections(), 0);
}

#[tokio::test]
async fn service_chaining_reaches_the_private_component_with_spins_headers() {
    // Arrange
    let upstream = Upstream::start("unused");
    let edge = start(&upstream, &[]);

    // Act
    let reply = call_out(&edge, "chain", "http://internal.spin.internal/some/path?x=1").await;

    // Assert
    assert_eq!(reply["status"], 200, "{reply}");
    let body: Json = serde_json::from_str(reply["body"].as_str().expect("body"))
        .unwrap_or_else(|e| panic!("the private echo's answer is not JSON ({e}): {reply}"));
    let echo = Echo(body);
    assert_eq!(echo.who(), "internal");
    assert_eq!(echo.str_field("path_with_query"), "/some/path?x=1");
    assert_eq!(echo.header("spin-path-info"), "/some/path");
    assert_eq!(echo.header("spin-matched-route"), "/...");
    assert_eq!(echo.header("spin-full-url"), "http://localhost/some/path?x=1");
    assert_eq!(echo.header("spin-client-addr"), "0.0.0.0:0");
    assert_eq!(upstream.connections(), 0, "chaining never leaves the process");
}

#[tokio::test]
async fn a_wildcard_spin_internal_entry_also_allows_chaining() {
    // Arrange
    let upstream = Upstream::start("unused");
    let edge = start(&upstream, &[]);

    // Act
    let reply = call_out(&edge, "chain-any", "http://internal.spin.internal/via/wildcard").await;

    // Assert
    assert_eq!(reply["status"], 200, "{reply}");
    let echo = Echo(serde_json::from_str(reply["body"].as_str().expect("body")).expect("echo JSON"));
    assert_eq!(echo.who(), "internal");
    assert_eq!(echo.header("spin-path-info"), "/via/wildcard");
}

#[tokio::test]
async fn chaining_needs_an_entry_for_that_component() {
    // Arrange
    let upstream = Upstream::start("alpha");
    let edge = start(&upstream, &[]);

    // Act
    // `allowed` lists only the upstream; `chain` lists only `internal`, not `allowed`.
    let from_allowed = call_out(&edge, "allowed", "http://internal.spin.internal/").await;
    let chain_to_allowed = call_out(&edge, "chain", "http://allowed.spin.internal/").await;

    // Assert
    assert_denied(&from_allowed, "chaining from a component without a spin.internal entry");
    assert_denied(&chain_to_allowed, "chaining to a component the entry does not name");
}

#[tokio::test]
async fn chaining_to_a_component_that_does_not_exist_fails_quickly() {
    // Arrange
    let upstream = Upstream::start("unused");
    let edge = start(&upstream, &[]);
    let started = Instant::now();

    // Act
    let reply = call_out(&edge, "chain-any", "http://nope.spin.internal/").await;
    let elapsed = started.elapsed();

    // Assert
    let error = reply["error"].as_str().unwrap_or_else(|| panic!("expected an error: {reply}"));
    assert_ne!(error, DENIED, "`*.spin.internal` allows it; the failure is the missing component");
    assert!(elapsed < Duration::from_secs(5), "the error took {elapsed:?}");
    assert_eq!(upstream.connections(), 0);
}

#[tokio::test]
async fn an_allowed_host_template_naming_an_undeclared_variable_stops_start_up() {
    // Arrange
    require_components(&["capabilities"]);
    let launch = Edge::launch(&app_manifest("capabilities/undeclared-host-variable"));

    // Act
    let result: Result<Edge, Exited> = launch.try_start();

    // Assert
    let exited = match result {
        Ok(edge) => panic!("wenming up started with an undeclared variable; stdout:\n{}", edge.stdout()),
        Err(exited) => exited,
    };
    assert!(exited.status.is_some_and(|s| !s.success()), "status {:?}", exited.status);
    assert!(exited.stderr.contains("upstream_host"), "stderr should name the undeclared variable:\n{}", exited.stderr);
}

#[tokio::test]
async fn a_missing_required_upstream_port_stops_start_up() {
    // Arrange: SPIN_VARIABLE_UPSTREAM_PORT is not set.
    let launch = Edge::launch(&manifest());

    // Act
    let result = launch.try_start();

    // Assert
    let exited = match result {
        Ok(edge) => panic!("wenming up started without upstream_port; stdout:\n{}", edge.stdout()),
        Err(exited) => exited,
    };
    assert!(exited.status.is_some_and(|s| !s.success()), "status {:?}", exited.status);
    assert!(exited.stderr.contains("upstream_port"), "stderr:\n{}", exited.stderr);
}
