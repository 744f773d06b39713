//! SQLite parity (spin-facts.md §1d, §2) through the `dbprobe` component: exact value
//! round-trips on both guest APIs, permission and error variants, transactions across `execute`
//! calls on one connection, and rollback when a guest traps or hangs mid-transaction.

use wenming_tests::{json, parity_manifest, row_count, Edge, Json};

/// Starts the parity app and creates the `items` table.
async fn edge_with_items_table(extra_args: &[&str]) -> Edge {
    let edge = Edge::start(&parity_manifest(), extra_args);
    let setup = edge.get_json("/db/v3/setup", 200).await;
    assert_eq!(setup["ok"], true, "setup failed: {setup}");
    edge
}

async fn count(edge: &Edge) -> i64 {
    let reply = edge.get_json("/db/v3/count", 200).await;
    reply["count"].as_i64().unwrap_or_else(|| panic!("no count in {reply}"))
}

async fn insert(edge: &Edge, name: &str) -> Json {
    edge.get_json(&format!("/db/v3/insert?name={name}"), 200).await
}

fn tagged(kind: &str, value: Json) -> Json {
    json!({ "type": kind, "value": value })
}

/// Checks one `/db/v*/types` answer: every value with its exact type and bits.
fn assert_types_round_trip(reply: &Json) {
    let literals = &reply["literals"];
    assert_eq!(
        literals["columns"],
        json!(["1", "2.5", "'x'", "x'00ff'", "NULL"]),
        "column names of the literal SELECT"
    );
    let row = &literals["rows"][0];
    assert_eq!(literals["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(row[0], tagged("integer", json!(1)));
    assert_eq!(row[1]["type"], "real");
    assert_eq!(row[1]["bits"], format!("{:016x}", 2.5f64.to_bits()));
    assert_eq!(row[2], tagged("text", json!("x")));
    assert_eq!(row[3], tagged("blob", json!([0, 255])));
    assert_eq!(row[4], tagged("null", Json::Null));

    let params = &reply["params"];
    assert_eq!(params["columns"].as_array().map(Vec::len), Some(5));
    let row = &params["rows"][0];
    assert_eq!(row[0], tagged("integer", json!(i64::MAX)));
    assert_eq!(row[0]["value"].as_i64(), Some(i64::MAX), "i64::MAX must not lose precision");
    assert_eq!(row[1]["type"], "real");
    assert_eq!(row[1]["bits"], format!("{:016x}", (-0.5f64).to_bits()));
    assert_eq!(row[2], tagged("text", json!("汉字")));
    assert_eq!(row[3], tagged("blob", json!([0, 1, 255])));
    assert_eq!(row[4], tagged("null", Json::Null));
}

#[tokio::test]
async fn sqlite_v3_values_round_trip_exactly() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get_json("/db/v3/types", 200).await;

    // Assert
    assert_types_round_trip(&reply);
}

#[tokio::test]
async fn sqlite_v2_values_round_trip_exactly() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get_json("/db/v2/types", 200).await;

    // Assert
    assert_types_round_trip(&reply);
}

#[tokio::test]
async fn opening_an_unlisted_database_is_access_denied_on_v3_and_v2() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let v3 = edge.get_json("/db/v3/denied", 200).await;
    let v2 = edge.get_json("/db/v2/denied", 200).await;
    let default = edge.get_json("/db/v3/default-only", 200).await;

    // Assert
    assert_eq!(v3["opened"], false);
    assert_eq!(v3["error"], "access-denied", "v3: {v3}");
    assert_eq!(v2["opened"], false);
    assert_eq!(v2["error"], "access-denied", "v2: {v2}");
    assert_eq!(default["opened"], true, "the listed label must open: {default}");
}

#[tokio::test]
async fn sql_syntax_error_is_reported_as_io_with_the_message() {
    // Arrange
    let edge = Edge::start(&parity_manifest(), &[]);

    // Act
    let reply = edge.get_json("/db/v3/error", 200).await;

    // Assert
    assert_eq!(reply["failed"], true);
    assert_eq!(reply["error"], "io", "{reply}");
    let message = reply["message"].as_str().unwrap_or_default();
    assert!(message.contains("syntax error"), "io message should carry SQLite's text: {message:?}");
}

#[tokio::test]
async fn inserts_report_rowid_and_changes_and_persist_across_requests() {
    // Arrange
    let edge = edge_with_items_table(&[]).await;

    // Act
    let first = insert(&edge, "apple").await;
    let second = insert(&edge, "pear").await;
    let total = count(&edge).await;
    let total_v2 = edge.get_json("/db/v2/count", 200).await;

    // Assert
    assert_eq!(first, json!({ "last_insert_rowid": 1, "changes": 1 }));
    assert_eq!(second, json!({ "last_insert_rowid": 2, "changes": 1 }));
    assert_eq!(total, 2);
    assert_eq!(total_v2["count"], 2, "v2 must see the same default database");
    assert_eq!(row_count(&edge.db_path(), "items"), 2, "rows must be in <state-dir>/sqlite_db.db");
}

#[tokio::test]
async fn rollback_on_one_connection_undoes_the_insert() {
    // Arrange
    let edge = edge_with_items_table(&[]).await;
    insert(&edge, "existing").await;

    // Act
    let txn = edge.get_json("/db/v3/txn", 200).await;
    let afterwards = count(&edge).await;

    // Assert
    assert_eq!(txn["before"], 1, "{txn}");
    assert_eq!(txn["during"], 2, "the uncommitted insert is visible on its own connection: {txn}");
    assert_eq!(txn["after"], 1, "ROLLBACK must undo it: {txn}");
    assert_eq!(txn["other_connection_during"], json!({ "count": 1 }), "a second connection sees only committed rows");
    assert_eq!(afterwards, 1);
}

#[tokio::test]
async fn commit_persists_the_insert() {
    // Arrange
    let edge = edge_with_items_table(&[]).await;
    insert(&edge, "existing").await;

    // Act
    let txn = edge.get_json("/db/v3/commit", 200).await;
    let afterwards = count(&edge).await;

    // Assert
    assert_eq!(txn, json!({ "before": 1, "after": 2 }));
    assert_eq!(afterwards, 2);
}

#[tokio::test]
async fn trap_inside_a_transaction_rolls_back_and_the_edge_keeps_serving() {
    // Arrange
    let edge = edge_with_items_table(&[]).await;
    insert(&edge, "existing").await;

    // Act
    let trapped = edge.get("/db/v3/trap-in-txn").await;
    let after_trap = count(&edge).await;
    let next_insert = insert(&edge, "after-trap").await;

    // Assert
    assert_eq!(trapped.status, 500, "a trapping guest answers 500: {}", trapped.text());
    assert_eq!(after_trap, 1, "the uncommitted insert must be rolled back");
    assert_eq!(next_insert["changes"], 1, "the database must not stay locked");
    assert_eq!(count(&edge).await, 2);
}

#[tokio::test]
async fn hang_inside_a_transaction_times_out_rolls_back_and_the_edge_keeps_serving() {
    // Arrange
    let edge = edge_with_items_table(&["--request-timeout", "1s"]).await;
    insert(&edge, "existing").await;

    // Act
    let started = std::time::Instant::now();
    let hung = edge.get("/db/v3/hang-in-txn").await;
    let waited = started.elapsed();
    let after_hang = count(&edge).await;
    let next_insert = insert(&edge, "after-hang").await;

    // Assert
    assert_eq!(hung.status, 500, "a timed-out guest answers 500: {}", hung.text());
    assert!(waited < std::time::Duration::from_secs(10), "timeout took {waited:?}");
    assert_eq!(after_hang, 1, "the uncommitted insert must be rolled back");
    assert_eq!(next_insert["changes"], 1, "the database must not stay locked");
    assert_eq!(count(&edge).await, 2);
}
