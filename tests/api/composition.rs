//! Component dependencies: a step component imports a `wenming:platform` interface that a
//! library component exports; the edge composes them at load, and the library reaches the
//! database only with the importer's permissions.

use wenming_tests::{app_manifest, require_components, workspace_root, Edge};

fn start() -> Edge {
    require_components(&["status", "settings"]);
    let migrations = workspace_root().join("migrations");
    Edge::start(&app_manifest("composition"), &["--migrations", migrations.to_str().unwrap()])
}

#[tokio::test]
async fn a_dependency_that_inherits_reads_the_database_through_the_importer() {
    let edge = start();

    let status = edge.get_json("/inherit", 200).await;

    // The county name comes from the settings library, which read deployment_settings.
    assert_eq!(status["county"], "示范县新时代文明实践中心", "{status}");
    let migrations = std::fs::read_dir(workspace_root().join("migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count();
    assert_eq!(status["schema"]["version"], migrations as u64, "{status}");
}

#[tokio::test]
async fn an_isolated_dependency_is_denied_the_database_while_its_importer_is_not() {
    let edge = start();

    let reply = edge.get("/isolated").await;

    assert_eq!(reply.status, 503, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"]["code"], "unavailable");
    // The importer read schema_migrations itself before asking the library, so the denial is
    // the dependency's alone.
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("access denied"), "{body}");
    // And the edge keeps serving the inheriting composition next to it.
    assert_eq!(edge.get("/inherit").await.status, 200);
}

#[tokio::test]
async fn per_key_inheritance_grants_only_the_keys_listed() {
    let edge = start();

    let status = edge.get_json("/granular", 200).await;

    assert_eq!(status["county"], "示范县新时代文明实践中心", "{status}");
}

#[tokio::test]
async fn a_dependency_matching_no_import_stops_start_up() {
    require_components(&["status", "settings"]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(app_manifest("composition"))
        .unwrap()
        .replace("\"wenming:platform/settings\" = { component", "\"wenming:platform/nothing\" = { component")
        .replace("../../../target", &format!("{}/target", workspace_root().display()));
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).unwrap();

    let exited = Edge::try_start(&path, &[]).err().expect("the edge must refuse to start");

    let output = exited.output();
    assert!(output.contains("wenming:platform/nothing"), "{output}");
    assert!(output.contains("doesn't match any imports"), "{output}");
}
