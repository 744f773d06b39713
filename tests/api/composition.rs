//! Component dependencies: a step component imports a `wenming:settings` interface that a
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
    // The highest `NNNN_` prefix, not the number of files: branches take numbers ahead of
    // merging, so the folder may have a gap for a while.
    let latest = std::fs::read_dir(workspace_root().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .filter_map(|p| p.file_name()?.to_str()?.split('_').next()?.parse::<u64>().ok())
        .max()
        .unwrap();
    assert_eq!(status["schema"]["version"], latest, "{status}");
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
        .replace(
            "\"wenming:settings/settings@0.1.0\" = { component",
            "\"wenming:settings/nothing@0.1.0\" = { component",
        )
        .replace("../../../target", &format!("{}/target", workspace_root().display()));
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).unwrap();

    let exited = Edge::try_start(&path, &[]).err().expect("the edge must refuse to start");

    let output = exited.output();
    assert!(output.contains("wenming:settings/nothing"), "{output}");
    assert!(output.contains("doesn't match any imports"), "{output}");
}

/// What Spin 4 refuses, the edge refuses: two dependency entries of one component that name the
/// same package (here `fermyon:spin`, from two different components) stop start-up with Spin's
/// message, naming the component and the package.
#[tokio::test]
async fn two_dependencies_of_one_package_stop_start_up_as_in_spin() {
    require_components(&["capabilities", "echo", "dbprobe"]);

    let exited =
        Edge::try_start(&app_manifest("dependency-conflict"), &[]).err().expect("the edge must refuse to start");

    let output = exited.output();
    assert!(output.contains("failed to resolve dependencies for component \"conflicted\""), "{output}");
    assert!(output.contains("package 'fermyon:spin' has already been registered in the graph"), "{output}");
    assert!(!output.contains("Serving http://"), "{output}");
}

/// The same guest with one package-level entry for the package is not refused for the package:
/// it gets as far as looking for the exports (which this stand-in dependency lacks). A
/// package-level entry that does export them loads and serves: `/granular` above.
#[tokio::test]
async fn one_entry_for_the_whole_package_passes_the_package_rule() {
    require_components(&["capabilities", "echo"]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(app_manifest("dependency-conflict"))
        .unwrap()
        .replace("\"fermyon:spin/variables\" = {", "\"fermyon:spin\" = {")
        .lines()
        .filter(|l| !l.starts_with("\"fermyon:spin/key-value\""))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("../../../target", &format!("{}/target", workspace_root().display()));
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).unwrap();

    let exited = Edge::try_start(&path, &[]).err().expect("echo.wasm exports nothing the guest imports");

    let output = exited.output();
    assert!(!output.contains("has already been registered"), "{output}");
    assert!(output.contains("doesn't export \"fermyon:spin/"), "{output}");
}
