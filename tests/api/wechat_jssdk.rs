//! The official account's server API credentials and the JS-SDK signature, against a fake
//! WeChat server API (`wenming_tests::FakeWechat`): the access token (`stable_token`) and the
//! `jsapi_ticket` fetched once and cached, once under twenty concurrent pages, an expired token
//! refreshed once and the call retried, the page URL checked before anything is fetched, and
//! neither the AppSecret nor a token nor a ticket in the edge's output.

use sha1::{Digest, Sha1};
use wenming_tests::{percent_encode, product_launch, unix_now, Edge, FakeWechat, Json, WechatCall};

const BASE: &str = "https://wm.example.org";

fn account(fake: &FakeWechat) -> Edge {
    let mut launch = product_launch(false).env("SPIN_VARIABLE_PUBLIC_BASE_URL", BASE);
    for (name, value) in fake.variables() {
        launch = launch.env(name, value);
    }
    launch.start()
}

fn config_path(page: &str) -> String {
    format!("/api/v1/wechat/js-sdk-config?url={}", percent_encode(page))
}

/// WeChat's rule, written here from its documentation: sha1 over the four fields in this order.
fn expected_signature(ticket: &str, config: &Json) -> String {
    let string1 = format!(
        "jsapi_ticket={ticket}&noncestr={}&timestamp={}&url={}",
        config["nonce_str"].as_str().unwrap(),
        config["timestamp"].as_i64().unwrap(),
        config["url"].as_str().unwrap()
    );
    Sha1::digest(string1.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn token(n: u64) -> String {
    format!("fake-access-token-{n}-Xq3LpW9s")
}

fn assert_nothing_secret_in_output(edge: &Edge, fake: &FakeWechat) {
    let output = format!("{}{}", edge.stdout(), edge.stderr());
    for secret in [fake.app_secret.as_str(), &token(1), &token(2), &FakeWechat::ticket(1)] {
        assert!(!output.contains(secret), "{secret} appears in the edge's output");
    }
}

#[tokio::test]
async fn a_platform_page_is_signed_with_the_ticket_and_the_ticket_is_cached() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let page = format!("{BASE}/m/survey.html?id=7&from=menu#answers");

    // Act
    let first = edge.get(&config_path(&page)).await;
    let second = edge.get(&config_path(&format!("{BASE}/m/activities.html"))).await;

    // Assert: the signature over the page without its fragment, with the ticket WeChat issued.
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let config = first.json();
    assert_eq!(config["app_id"], fake.app_id.as_str());
    assert_eq!(config["url"], format!("{BASE}/m/survey.html?id=7&from=menu"));
    assert_eq!(config["nonce_str"].as_str().unwrap().len(), 16);
    assert!((config["timestamp"].as_i64().unwrap() - unix_now()).abs() < 60, "{config}");
    assert_eq!(config["signature"], expected_signature(&FakeWechat::ticket(1), &config));
    assert_eq!(second.status, 200, "{}", second.text());
    let config2 = second.json();
    assert_eq!(config2["signature"], expected_signature(&FakeWechat::ticket(1), &config2));
    assert_ne!(config2["nonce_str"], config["nonce_str"]);
    // WeChat was asked once for each, whatever the number of pages.
    assert_eq!(
        fake.calls(),
        vec![WechatCall::StableToken { force_refresh: false }, WechatCall::Ticket { access_token: token(1) }]
    );
    assert_nothing_secret_in_output(&edge, &fake);
}

#[tokio::test]
async fn twenty_concurrent_pages_fetch_the_token_and_the_ticket_once() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);

    // Act: twenty pages at once on a cold cache.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = edge.url(&config_path(&format!("{BASE}/m/page-{i}.html")));
        tasks.push(tokio::spawn(async move {
            let reply = reqwest::Client::builder().no_proxy().build().unwrap().get(url).send().await.expect("request");
            (reply.status().as_u16(), reply.json::<Json>().await.unwrap_or(Json::Null))
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    // Assert: every page signed with the one ticket; one token and one ticket fetched.
    for (status, config) in &answers {
        assert_eq!(*status, 200, "{config}");
        assert_eq!(config["signature"], expected_signature(&FakeWechat::ticket(1), config));
    }
    assert_eq!(
        fake.calls(),
        vec![WechatCall::StableToken { force_refresh: false }, WechatCall::Ticket { access_token: token(1) }]
    );
    assert_nothing_secret_in_output(&edge, &fake);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried() {
    // Arrange: the first token is already expired when used (42001).
    let fake = FakeWechat::start();
    fake.expire_first_token();
    let edge = account(&fake);

    // Act
    let reply = edge.get(&config_path(&format!("{BASE}/m/index.html"))).await;
    let again = edge.get(&config_path(&format!("{BASE}/m/index.html"))).await;

    // Assert: a forced refresh, the ticket asked again with the new token, then cached.
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["signature"], expected_signature(&FakeWechat::ticket(1), &reply.json()));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        fake.calls(),
        vec![
            WechatCall::StableToken { force_refresh: false },
            WechatCall::Ticket { access_token: token(1) },
            WechatCall::StableToken { force_refresh: true },
            WechatCall::Ticket { access_token: token(2) },
        ]
    );
    assert_nothing_secret_in_output(&edge, &fake);
}

#[tokio::test]
async fn pages_elsewhere_are_refused_before_wechat_is_asked() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);

    // Act
    let elsewhere = edge.get(&config_path("https://wm.example.org.evil.cn/m/a.html")).await;
    let userinfo = edge.get(&config_path("https://wm.example.org@evil.cn/")).await;
    let missing = edge.get("/api/v1/wechat/js-sdk-config").await;
    let posted = edge.request("POST", &config_path(&format!("{BASE}/")), &[], "").await;
    let unknown = edge.get("/api/v1/wechat/nothing-here").await;

    // Assert
    for reply in [&elsewhere, &userinfo, &missing] {
        assert_eq!(reply.status, 422, "{}", reply.text());
        assert_eq!(reply.error_field(), "url", "{}", reply.text());
    }
    assert_eq!(posted.status, 405, "{}", posted.text());
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(fake.calls(), vec![]);
}

#[tokio::test]
async fn without_an_app_secret_the_endpoint_is_not_configured_and_a_wrong_one_is_not_logged() {
    // Arrange
    let fake = FakeWechat::start();
    let unconfigured = product_launch(false).env("SPIN_VARIABLE_WECHAT_API_BASE", &fake.url).start();
    let wrong = product_launch(false)
        .env("SPIN_VARIABLE_PUBLIC_BASE_URL", BASE)
        .env("SPIN_VARIABLE_WECHAT_API_BASE", &fake.url)
        .env("SPIN_VARIABLE_WECHAT_APP_ID", &fake.app_id)
        .env("SPIN_VARIABLE_WECHAT_APP_SECRET", "not-the-secret-9f8e7d")
        .start();

    // Act
    let none = unconfigured.get(&config_path("http://127.0.0.1:3000/")).await;
    let refused = wrong.get(&config_path(&format!("{BASE}/"))).await;

    // Assert: 403 before WeChat is asked; a refusal is the operator's 500, logged without the secret.
    assert_eq!(none.status, 403, "{}", none.text());
    assert_eq!(none.error_code(), "not_configured");
    assert_eq!(refused.status, 500, "{}", refused.text());
    assert_eq!(fake.calls(), vec![WechatCall::StableToken { force_refresh: false }]);
    // The edge's output reaches the harness through a pipe read on another thread: on a loaded
    // machine the line can arrive a moment after the answer, so wait for it (up to 5 s).
    let output = || format!("{}{}", wrong.stdout(), wrong.stderr());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !output().contains("40125") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let output = output();
    assert!(output.contains("40125"), "the operator is told why: {output}");
    assert!(!output.contains("not-the-secret-9f8e7d"));
}

#[tokio::test]
async fn a_client_asking_too_often_is_throttled_before_anything_is_signed() {
    // Arrange: the centre's admin lowers the per-client budget to three a minute.
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let set = edge
        .api(
            Some(&admin),
            "PUT",
            "/api/v1/settings/throttle.js_sdk.per_client",
            &[],
            Some(&serde_json::json!({ "value": 3 })),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let page = config_path(&format!("{BASE}/m/checkin.html"));

    // Act
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(edge.get(&page).await);
    }

    // Assert: three signed, the fourth 429 with Retry-After; the ticket was fetched once.
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429], "{}", answers[3].text());
    assert_eq!(answers[3].error_code(), "throttled");
    let wait: i64 = answers[3].header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        wenming_tests::count(
            &edge,
            "SELECT count(*) FROM throttle_counters WHERE name = 'js_sdk' AND client <> '*'",
            []
        ),
        1
    );
    assert_eq!(fake.calls().iter().filter(|c| matches!(c, WechatCall::Ticket { .. })).count(), 1);
}
