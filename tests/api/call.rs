//! `wenming call`: one request to a component in-process, private components included — how an
//! operator reaches bootstrap endpoints that no network route leads to.

use wenming_tests::{parity_manifest, wenming_call};

/// `wenming call` on the parity app: whether it succeeded, its stdout and its stderr.
fn call(state: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = wenming_call(&parity_manifest(), state, args);
    (out.success(), out.stdout, out.stderr)
}

#[test]
fn a_private_component_answers_a_call_with_chaining_headers() {
    let state = tempfile::tempdir().unwrap();

    let (ok, stdout, stderr) =
        call(state.path(), &["hidden", "POST", "/some/path?x=1", "--body", "{\"a\":1}", "-H", "X-Test: yes"]);

    assert!(ok, "{stderr}");
    let echo: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the component's JSON");
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["env"]["WHO"], "hidden");
    assert_eq!(echo["body_len"], 7);
    let headers = echo["headers"].as_array().unwrap();
    let has = |name: &str, value: &str| headers.iter().any(|h| h[0] == name && h[1] == value);
    assert!(has("x-test", "yes"), "{echo}");
    assert!(has("spin-path-info", "/some/path"), "{echo}");
    assert!(has("spin-client-addr", "0.0.0.0:0"), "{echo}");
}

#[test]
fn an_unknown_component_or_a_failing_answer_exits_non_zero() {
    let state = tempfile::tempdir().unwrap();

    let (unknown_ok, _, unknown_err) = call(state.path(), &["nope", "GET", "/"]);
    let (failing_ok, _, failing_err) = call(state.path(), &["hidden", "GET", "/?status=409"]);

    assert!(!unknown_ok);
    assert!(unknown_err.contains("no component \"nope\""), "{unknown_err}");
    assert!(!failing_ok);
    assert!(failing_err.contains("answered 409"), "{failing_err}");
}
