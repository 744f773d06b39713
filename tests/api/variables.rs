//! Application and component variables (spin-facts.md §1a `[variables]`) through the
//! `capabilities` component: templates rendered from defaults and from `SPIN_VARIABLE_<NAME>`,
//! per-component visibility, `invalid-name` / `undefined` errors, start-up failures for a missing
//! required value or an undeclared template reference, and secrets kept out of the edge's output.

use wenming_tests::{app_manifest, require_components, Edge, Exited, Json};

const API_TOKEN: &str = "tok-4b1d93e0-secret-value";
const SIGNING_KEY_DEFAULT: &str = "default-signing-key-7f3a9c";

fn manifest() -> std::path::PathBuf {
    require_components(&["capabilities"]);
    app_manifest("capabilities/variables")
}

/// The variables app with its required `api_token` set, plus `env`.
fn start(env: &[(&str, &str)]) -> Edge {
    let mut launch = Edge::launch(&manifest()).env("SPIN_VARIABLE_API_TOKEN", API_TOKEN);
    for (name, value) in env {
        launch = launch.env(name, value);
    }
    launch.start()
}

/// `variables::get(name)` as seen by the component mounted at `prefix`.
async fn get_var(edge: &Edge, prefix: &str, name: &str) -> Json {
    edge.get_json(&format!("{prefix}/vars/get?name={name}"), 200).await
}

fn expect_start_failure(result: Result<Edge, Exited>) -> Exited {
    match result {
        Ok(edge) => panic!("wenming up started although it should have refused; stdout:\n{}", edge.stdout()),
        Err(exited) => exited,
    }
}

#[tokio::test]
async fn component_variables_render_templates_from_the_defaults() {
    // Arrange
    let edge = start(&[]);

    // Act
    let greeting = get_var(&edge, "", "greeting").await;
    let endpoint = get_var(&edge, "", "endpoint").await;
    let plain = get_var(&edge, "", "plain").await;
    let signing_key = get_var(&edge, "", "signing_key").await;

    // Assert
    assert_eq!(greeting, serde_json::json!({ "ok": "hello, world!" }));
    assert_eq!(
        endpoint["ok"], "https://eu-west-1.db.example/eu-west-1",
        "both `{{{{region}}}}` and `{{{{ region }}}}` render: {endpoint}"
    );
    assert_eq!(plain["ok"], "no template here");
    assert_eq!(signing_key["ok"], SIGNING_KEY_DEFAULT, "a secret's default is served to the guest");
}

#[tokio::test]
async fn the_environment_overrides_a_default_and_fills_a_required_variable() {
    // Arrange
    let edge = start(&[("SPIN_VARIABLE_GREETING_TARGET", "edge"), ("SPIN_VARIABLE_REGION", "ap-east-2")]);

    // Act
    let greeting = get_var(&edge, "", "greeting").await;
    let endpoint = get_var(&edge, "", "endpoint").await;
    let token = get_var(&edge, "", "token").await;

    // Assert
    assert_eq!(greeting["ok"], "hello, edge!", "{greeting}");
    assert_eq!(endpoint["ok"], "https://ap-east-2.db.example/ap-east-2", "{endpoint}");
    assert_eq!(token["ok"], API_TOKEN, "{token}");
}

#[tokio::test]
async fn a_name_outside_the_components_variables_is_undefined() {
    // Arrange
    let edge = start(&[]);

    // Act
    // An application variable the component does not map, a name nobody declares, and a
    // component variable of `reader` asked for by `bare`, which declares none.
    let app_only = get_var(&edge, "", "greeting_target").await;
    let unknown = get_var(&edge, "", "no_such_thing").await;
    let other_component = get_var(&edge, "/bare", "greeting").await;

    // Assert
    assert_eq!(app_only["error"], "undefined", "{app_only}");
    assert_eq!(unknown["error"], "undefined", "{unknown}");
    assert_eq!(other_component["error"], "undefined", "{other_component}");
    assert!(app_only.get("ok").is_none() && other_component.get("ok").is_none());
}

#[tokio::test]
async fn a_name_that_is_not_lower_snake_case_is_an_invalid_name() {
    // Arrange
    let edge = start(&[]);

    // Act
    let dashed = get_var(&edge, "", "Bad-Name").await;
    let upper = get_var(&edge, "", "GREETING").await;
    let leading_digit = get_var(&edge, "", "1greeting").await;

    // Assert
    assert_eq!(dashed["error"], "invalid-name", "{dashed}");
    assert_eq!(upper["error"], "invalid-name", "even a declared name in upper case: {upper}");
    assert_eq!(leading_digit["error"], "invalid-name", "{leading_digit}");
}

/// Spin's `Key::validate` (crates/expressions/src/lib.rs) also refuses a trailing `_` and `__`
/// anywhere ("underscores are allowed; one at a time between other characters").
#[tokio::test]
async fn a_trailing_or_doubled_underscore_is_an_invalid_name() {
    // Arrange
    let edge = start(&[]);

    // Act
    let trailing = get_var(&edge, "", "greeting_").await;
    let doubled = get_var(&edge, "", "signing__key").await;

    // Assert
    assert_eq!(trailing["error"], "invalid-name", "{trailing}");
    assert_eq!(doubled["error"], "invalid-name", "{doubled}");
}

#[tokio::test]
async fn a_required_variable_without_a_value_stops_start_up_and_is_named() {
    // Arrange
    let launch = Edge::launch(&manifest());

    // Act
    let exited = expect_start_failure(launch.try_start());

    // Assert
    assert!(exited.status.is_some_and(|s| !s.success()), "wenming up must exit non-zero, got {:?}", exited.status);
    assert!(exited.stderr.contains("api_token"), "stderr should name the variable:\n{}", exited.stderr);
}

#[tokio::test]
async fn a_template_naming_an_undeclared_variable_stops_start_up() {
    // Arrange
    require_components(&["capabilities"]);
    let launch = Edge::launch(&app_manifest("capabilities/undeclared-variable"));

    // Act
    let exited = expect_start_failure(launch.try_start());

    // Assert
    assert!(exited.status.is_some_and(|s| !s.success()), "wenming up must exit non-zero, got {:?}", exited.status);
    assert!(exited.stderr.contains("missing_region"), "stderr should name the undeclared variable:\n{}", exited.stderr);
}

#[tokio::test]
async fn secret_values_never_appear_in_the_edge_output() {
    // Arrange
    let edge = start(&[]);

    // Act
    let token = get_var(&edge, "", "token").await;
    let signing_key = get_var(&edge, "", "signing_key").await;
    let invalid = get_var(&edge, "", "Bad-Name").await;
    let undefined = get_var(&edge, "/bare", "token").await;
    // The access log is written after the response; wait until the last request is in it.
    edge.wait_for_stderr_line(std::time::Duration::from_secs(5), |l| l.contains("/bare/vars/get")).await;
    let output = format!("{}\n{}", edge.stdout(), edge.stderr());

    // Assert
    assert_eq!(token["ok"], API_TOKEN, "the guest reads the secret: {token}");
    assert_eq!(signing_key["ok"], SIGNING_KEY_DEFAULT);
    assert_eq!(invalid["error"], "invalid-name");
    assert_eq!(undefined["error"], "undefined");
    assert!(!output.contains(API_TOKEN), "the env-supplied secret leaked into the edge's output:\n{output}");
    assert!(!output.contains(SIGNING_KEY_DEFAULT), "the default secret leaked into the edge's output:\n{output}");
}
