//! The ledger library (`wenming:ledger/ledger`) composed into a step: postings follow the
//! caller's transaction, keys post once, balances never go negative, entries are append-only,
//! and points come from minutes at the category's coefficient.

use serde_json::Value as Json;
use wenming_tests::{app_manifest, require_components, workspace_root, Edge};

async fn start() -> Edge {
    require_components(&["ledger", "ledger_probe"]);
    let migrations = workspace_root().join("migrations");
    let edge = Edge::start(&app_manifest("ledger"), &["--migrations", migrations.to_str().unwrap()]);
    let setup = edge.request("POST", "/setup", &[], Vec::new()).await;
    assert_eq!(setup.status, 200, "{}", setup.text());
    edge
}

async fn post(edge: &Edge, query: &str) -> (u16, Json) {
    let reply = edge.request("POST", &format!("/post?{query}"), &[], Vec::new()).await;
    (reply.status, reply.json())
}

async fn balance(edge: &Edge, kind: &str) -> i64 {
    edge.get_json(&format!("/balance?kind={kind}"), 200).await["balance"].as_i64().unwrap()
}

#[tokio::test]
async fn a_posting_commits_and_rolls_back_with_the_callers_transaction() {
    let edge = start().await;

    let (committed, _) = post(&edge, "amount=50&key=a&then=commit").await;
    let (rolled_back, entry) = post(&edge, "amount=30&key=b&then=rollback").await;
    let after = balance(&edge, "points").await;

    assert_eq!(committed, 200);
    assert_eq!(rolled_back, 200, "the post itself succeeded: {entry}");
    assert_eq!(entry["balance_after"], 80, "inside the transaction it saw its own write");
    assert_eq!(after, 50, "the rolled-back posting left nothing behind");
}

#[tokio::test]
async fn the_same_key_posts_once() {
    let edge = start().await;

    let (_, first) = post(&edge, "amount=40&key=same").await;
    let (_, second) = post(&edge, "amount=40&key=same").await;

    assert_eq!(first["id"], second["id"], "a retry returns the first entry");
    assert_eq!(balance(&edge, "points").await, 40);
}

#[tokio::test]
async fn a_debit_larger_than_the_balance_is_refused_and_changes_nothing() {
    let edge = start().await;
    post(&edge, "amount=10&key=credit").await;

    let (status, body) = post(&edge, "amount=-11&key=debit").await;
    let (exact, _) = post(&edge, "amount=-10&key=debit-exact").await;

    assert_eq!(status, 409);
    assert_eq!(body["error"], "insufficient");
    assert_eq!(body["balance"], 10);
    assert_eq!(exact, 200);
    assert_eq!(balance(&edge, "points").await, 0);
}

#[tokio::test]
async fn concurrent_debits_never_overdraw() {
    let edge = start().await;
    post(&edge, "amount=5&key=credit").await;

    let mut tasks = Vec::new();
    for i in 0..12 {
        let url = edge.url(&format!("/post?amount=-1&key=debit-{i}"));
        tasks.push(tokio::spawn(
            async move { reqwest::Client::new().post(url).send().await.unwrap().status().as_u16() },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }

    assert_eq!(ok, 5, "exactly the balance's worth of debits succeed");
    assert_eq!(balance(&edge, "points").await, 0);
}

#[tokio::test]
async fn entries_are_append_only() {
    let edge = start().await;
    post(&edge, "amount=7&key=x").await;

    let tamper = edge.request("POST", "/tamper", &[], Vec::new()).await;

    assert_eq!(tamper.status, 409, "{}", tamper.text());
    assert!(tamper.text().contains("append-only"), "{}", tamper.text());
    assert_eq!(balance(&edge, "points").await, 7);
}

#[tokio::test]
async fn service_credits_minutes_and_points_at_the_coefficient() {
    let edge = start().await;

    // Default coefficient: 1 point per hour, whole points rounded down.
    let reply = edge.request("POST", "/credit?minutes=150&category=any&key=svc", &[], Vec::new()).await;
    let again = edge.request("POST", "/credit?minutes=150&category=any&key=svc", &[], Vec::new()).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["minutes"]["amount"], 150);
    assert_eq!(reply.json()["points"]["amount"], 2);
    assert_eq!(again.status, 200);
    assert_eq!(balance(&edge, "minutes").await, 150, "the retry credited nothing more");
    assert_eq!(balance(&edge, "points").await, 2);
}

#[tokio::test]
async fn service_that_earns_no_points_posts_minutes_only() {
    let edge = start().await;

    let reply = edge.request("POST", "/credit?minutes=20&category=any&key=short", &[], Vec::new()).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["points"], Json::Null);
    assert_eq!(balance(&edge, "minutes").await, 20);
    assert_eq!(balance(&edge, "points").await, 0);
}
