//! Key-value stores (spin-facts.md §1a `key_value_stores`, §1c `[key_value_store.<label>]`)
//! through the `capabilities` component: set/get/delete/exists/keys, the built-in `default` store
//! in `<state-dir>/sqlite_key_value.db`, a runtime-config store whose path is relative to the
//! config file, per-store keys, `access-denied` for unlisted labels, the start-up error for an
//! unconfigured label, and persistence across a restart on the same state dir.

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use wenming_tests::{app_manifest, json, open_db, require_components, Edge, Json};

fn manifest() -> PathBuf {
    require_components(&["capabilities"]);
    app_manifest("capabilities/key-value")
}

/// A runtime config in a temp dir that defines `other` at `kv/other.db` (relative to the file).
struct RuntimeConfig {
    dir: TempDir,
}

impl RuntimeConfig {
    fn new() -> RuntimeConfig {
        let dir = tempfile::Builder::new().prefix("wenming-rc-").tempdir().expect("temp dir for the runtime config");
        std::fs::write(
            dir.path().join("runtime-config.toml"),
            "[key_value_store.other]\ntype = \"spin\"\npath = \"kv/other.db\"\n",
        )
        .expect("write runtime config");
        RuntimeConfig { dir }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("runtime-config.toml")
    }

    /// Where `other` must live: beside the config file, not in the working or state dir.
    fn other_db(&self) -> PathBuf {
        self.dir.path().join("kv/other.db")
    }

    fn args(&self) -> Vec<String> {
        vec!["--runtime-config-file".to_owned(), self.file().to_str().unwrap().to_owned()]
    }
}

fn start(rc: &RuntimeConfig) -> Edge {
    Edge::launch(&manifest()).args(&rc.args()).start()
}

async fn kv(edge: &Edge, op: &str, query: &str) -> Json {
    edge.get_json(&format!("/kv/{op}?{query}"), 200).await
}

async fn set(edge: &Edge, store: &str, key: &str, value: &str) {
    let path = format!("/kv/set?store={store}&key={key}");
    let reply = edge.request("POST", &path, &[], value.as_bytes().to_vec()).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    assert_eq!(reply.json(), json!({ "ok": true }), "{path}");
}

async fn get(edge: &Edge, store: &str, key: &str) -> Json {
    let reply = kv(edge, "get", &format!("store={store}&key={key}")).await;
    assert!(reply.get("ok").is_some(), "get {store}/{key} failed: {reply}");
    reply["ok"].clone()
}

async fn exists(edge: &Edge, store: &str, key: &str) -> Json {
    kv(edge, "exists", &format!("store={store}&key={key}")).await
}

async fn keys(edge: &Edge, store: &str) -> Vec<String> {
    let reply = kv(edge, "keys", &format!("store={store}")).await;
    let mut keys: Vec<String> = reply["ok"]
        .as_array()
        .unwrap_or_else(|| panic!("keys of {store} failed: {reply}"))
        .iter()
        .map(|k| k.as_str().expect("string key").to_owned())
        .collect();
    keys.sort();
    keys
}

/// Rows of Spin's key-value table, `spin_key_value(store, key, value)`, for one key.
fn stored_value(db: &Path, key: &str) -> Option<Vec<u8>> {
    let conn = open_db(db);
    conn.query_row("SELECT value FROM spin_key_value WHERE key = ?1", [key], |row| row.get::<_, Vec<u8>>(0)).ok()
}

#[tokio::test]
async fn set_get_exists_keys_and_delete_work_across_requests_on_the_default_store() {
    // Arrange
    let rc = RuntimeConfig::new();
    let edge = start(&rc);
    set(&edge, "default", "apple", "red").await;
    set(&edge, "default", "pear", "green").await;
    set(&edge, "default", "apple", "crimson").await; // overwrite
    set(&edge, "default", "plum", "紫色").await;
    set(&edge, "default", "empty", "").await;

    // Act
    let apple = get(&edge, "default", "apple").await;
    let plum = get(&edge, "default", "plum").await;
    let empty = get(&edge, "default", "empty").await;
    let listed = keys(&edge, "default").await;
    let pear_exists = exists(&edge, "default", "pear").await;
    let deleted = kv(&edge, "delete", "store=default&key=pear").await;
    let pear_after = get(&edge, "default", "pear").await;
    let pear_exists_after = exists(&edge, "default", "pear").await;
    let listed_after = keys(&edge, "default").await;
    let missing_delete = kv(&edge, "delete", "store=default&key=never-set").await;

    // Assert
    assert_eq!(apple, "crimson", "the second set must replace the value");
    assert_eq!(plum, "紫色", "values are bytes, UTF-8 survives");
    assert_eq!(empty, "", "an empty value is a value, not an absent key");
    assert_eq!(listed, ["apple", "empty", "pear", "plum"]);
    assert_eq!(pear_exists, json!({ "ok": true }));
    assert_eq!(deleted, json!({ "ok": true }));
    assert_eq!(pear_after, Json::Null, "a deleted key reads as none");
    assert_eq!(pear_exists_after, json!({ "ok": false }));
    assert_eq!(listed_after, ["apple", "empty", "plum"]);
    assert_eq!(missing_delete, json!({ "ok": true }), "deleting an absent key is not an error");
    let db = edge.state_dir.path().join("sqlite_key_value.db");
    assert!(db.is_file(), "default store must be {}", db.display());
    assert_eq!(stored_value(&db, "apple").as_deref(), Some(&b"crimson"[..]));
    assert_eq!(stored_value(&db, "pear"), None);
}

#[tokio::test]
async fn a_runtime_config_store_lives_beside_the_config_file() {
    // Arrange
    let rc = RuntimeConfig::new();
    let edge = start(&rc);

    // Act
    let opened = kv(&edge, "open", "store=other").await;
    set(&edge, "other", "ledger", "42").await;
    let ledger = get(&edge, "other", "ledger").await;

    // Assert
    assert_eq!(opened, json!({ "ok": true }));
    assert_eq!(ledger, "42");
    let other = rc.other_db();
    assert!(other.is_file(), "`kv/other.db` must be created beside the runtime config at {}", other.display());
    assert_eq!(stored_value(&other, "ledger").as_deref(), Some(&b"42"[..]));
    let default = edge.state_dir.path().join("sqlite_key_value.db");
    if default.is_file() {
        assert_eq!(stored_value(&default, "ledger"), None, "`other` data must not land in the default store");
    }
}

#[tokio::test]
async fn keys_belong_to_one_store() {
    // Arrange
    let rc = RuntimeConfig::new();
    let edge = start(&rc);
    set(&edge, "default", "shared", "from-default").await;
    set(&edge, "default", "only-default", "1").await;

    // Act
    let in_other_before = get(&edge, "other", "shared").await;
    let exists_in_other = exists(&edge, "other", "shared").await;
    set(&edge, "other", "shared", "from-other").await;
    let in_default = get(&edge, "default", "shared").await;
    let in_other = get(&edge, "other", "shared").await;
    let default_keys = keys(&edge, "default").await;
    let other_keys = keys(&edge, "other").await;
    kv(&edge, "delete", "store=other&key=shared").await;
    let in_default_after_other_delete = get(&edge, "default", "shared").await;

    // Assert
    assert_eq!(in_other_before, Json::Null, "a key set in default must not be seen in other");
    assert_eq!(exists_in_other, json!({ "ok": false }));
    assert_eq!(in_default, "from-default");
    assert_eq!(in_other, "from-other");
    assert_eq!(default_keys, ["only-default", "shared"]);
    assert_eq!(other_keys, ["shared"]);
    assert_eq!(in_default_after_other_delete, "from-default", "deleting in other leaves default alone");
}

#[tokio::test]
async fn opening_a_store_the_component_does_not_list_is_access_denied() {
    // Arrange
    let rc = RuntimeConfig::new();
    let edge = start(&rc);
    set(&edge, "other", "k", "v").await;

    // Act
    // `default-only` lists just `default`; `none` lists nothing; `nowhere` is neither listed
    // nor configured (the permission check comes first).
    let default_only_default = edge.get_json("/default-only/kv/open?store=default", 200).await;
    let default_only_other = edge.get_json("/default-only/kv/get?store=other&key=k", 200).await;
    let none_default = edge.get_json("/none/kv/open?store=default", 200).await;
    let both_nowhere = kv(&edge, "open", "store=nowhere").await;

    // Assert
    assert_eq!(default_only_default, json!({ "ok": true }));
    assert_eq!(default_only_other["error"], "access-denied", "{default_only_other}");
    assert_eq!(default_only_other["during"], "open");
    assert_eq!(none_default["error"], "access-denied", "{none_default}");
    assert_eq!(both_nowhere["error"], "access-denied", "{both_nowhere}");
}

#[tokio::test]
async fn a_listed_store_missing_from_the_runtime_config_stops_start_up() {
    // Arrange: no runtime config, so `other` (listed by `both`) is not defined anywhere.
    let launch = Edge::launch(&manifest());

    // Act
    let result = launch.try_start();

    // Assert
    let exited = match result {
        Ok(edge) => panic!("wenming up started without `other` defined; stdout:\n{}", edge.stdout()),
        Err(exited) => exited,
    };
    assert!(exited.status.is_some_and(|s| !s.success()), "wenming up must exit non-zero, got {:?}", exited.status);
    assert!(exited.stderr.contains("other"), "stderr should name the undefined store:\n{}", exited.stderr);
}

#[tokio::test]
async fn values_survive_a_restart_on_the_same_state_dir() {
    // Arrange
    let rc = RuntimeConfig::new();
    let first = start(&rc);
    set(&first, "default", "visits", "7").await;
    set(&first, "default", "gone", "x").await;
    kv(&first, "delete", "store=default&key=gone").await;
    set(&first, "other", "ledger", "42").await;
    let state_dir = first.stop();

    // Act
    let second = Edge::launch(&manifest()).args(&rc.args()).state_dir(state_dir).start();
    let visits = get(&second, "default", "visits").await;
    let gone = get(&second, "default", "gone").await;
    let ledger = get(&second, "other", "ledger").await;
    let default_keys = keys(&second, "default").await;

    // Assert
    assert_eq!(visits, "7");
    assert_eq!(gone, Json::Null, "a delete must persist too");
    assert_eq!(ledger, "42");
    assert_eq!(default_keys, ["visits"]);
}
