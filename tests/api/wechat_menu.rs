//! The custom menu (自定义菜单) as data: the centre admin stores it (checked against WeChat's
//! rules, audited) and pushes it with `menu/create` to the fake WeChat server API; an invalid
//! menu changes nothing, a push without a menu calls nobody, an expired token is refreshed once,
//! and only the centre's admins may touch it.

use wenming_tests::{count, json, product_launch, scalar, Edge, FakeWechat, Json, WechatCall};

fn account(fake: &FakeWechat) -> Edge {
    let mut launch = product_launch(false).env("SPIN_VARIABLE_PUBLIC_BASE_URL", "https://wm.example.org");
    for (name, value) in fake.variables() {
        launch = launch.env(name, value);
    }
    launch.start()
}

fn the_menu() -> Json {
    json!({"button": [
        {"type": "click", "name": "需求调查", "key": "MENU_SURVEYS"},
        {"type": "click", "name": "志愿活动", "key": "MENU_ACTIVITIES"},
        {"name": "服务", "sub_button": [
            {"type": "click", "name": "群众点单", "key": "MENU_ORDER_DEMAND"},
            {"type": "view", "name": "我的服务记录", "url": "https://wm.example.org/m/records.html"}
        ]}
    ]})
}

fn token(n: u64) -> String {
    format!("fake-access-token-{n}-Xq3LpW9s")
}

#[tokio::test]
async fn the_centre_admin_stores_the_menu_and_pushes_it_with_menu_create() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;

    // Act
    let stored = edge.api(Some(&admin), "PUT", "/api/v1/wechat/menu", &[], Some(&the_menu())).await;
    let pushed = edge.post_as(&admin, "/api/v1/wechat/menu/push", &json!({})).await;
    let read = edge.get_as(&admin, "/api/v1/wechat/menu").await;

    // Assert: WeChat received exactly the stored menu with the account's token.
    assert_eq!(stored.status, 200, "{}", stored.text());
    assert_eq!(stored.json()["menu"], the_menu());
    assert!(stored.json()["pushed_at"].is_null());
    assert_eq!(pushed.status, 200, "{}", pushed.text());
    assert!(pushed.json()["pushed_at"].is_string(), "{}", pushed.text());
    assert_eq!(read.json()["menu"], the_menu());
    let calls = fake.calls();
    assert_eq!(calls[0], WechatCall::StableToken { force_refresh: false });
    let WechatCall::MenuCreate { access_token, body } = &calls[1] else { panic!("{calls:?}") };
    assert_eq!(access_token, &token(1));
    assert_eq!(serde_json::from_str::<Json>(body).unwrap(), the_menu());
    assert_eq!(calls.len(), 2);
    // In the database and the audit log.
    let kept: String = scalar(&edge, "SELECT menu FROM wechat_menu WHERE id = 1", ());
    assert_eq!(serde_json::from_str::<Json>(&kept).unwrap(), the_menu());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_menu WHERE pushed_at IS NOT NULL", ()), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action = 'wechat-menu.set'", ()), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action = 'wechat-menu.push'", ()), 1);
}

#[tokio::test]
async fn an_invalid_menu_changes_nothing_and_nothing_is_pushed_without_one() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let four = json!({"button": [
        {"type": "click", "name": "a", "key": "A"}, {"type": "click", "name": "b", "key": "B"},
        {"type": "click", "name": "c", "key": "C"}, {"type": "click", "name": "d", "key": "D"}
    ]});
    let long_name = json!({"button": [{"type": "click", "name": "一二三四五六", "key": "A"}]});
    let bad_url =
        json!({"button": [{"name": "x", "sub_button": [{"type": "view", "name": "y", "url": "javascript:alert(1)"}]}]});

    // Act
    let too_many = edge.api(Some(&admin), "PUT", "/api/v1/wechat/menu", &[], Some(&four)).await;
    let too_long = edge.api(Some(&admin), "PUT", "/api/v1/wechat/menu", &[], Some(&long_name)).await;
    let not_http = edge.api(Some(&admin), "PUT", "/api/v1/wechat/menu", &[], Some(&bad_url)).await;
    let push = edge.post_as(&admin, "/api/v1/wechat/menu/push", &json!({})).await;

    // Assert
    assert_eq!((too_many.status, too_many.error_field().as_str()), (422, "button"), "{}", too_many.text());
    assert_eq!((too_long.status, too_long.error_field().as_str()), (422, "button[0].name"), "{}", too_long.text());
    assert_eq!(
        (not_http.status, not_http.error_field().as_str()),
        (422, "button[0].sub_button[0].url"),
        "{}",
        not_http.text()
    );
    assert_eq!(push.status, 409, "{}", push.text());
    assert_eq!(push.error_code(), "no_menu");
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_menu", ()), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action LIKE 'wechat-menu.%'", ()), 0);
    assert_eq!(fake.calls(), vec![]);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_for_the_push() {
    // Arrange
    let fake = FakeWechat::start();
    fake.expire_first_token();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let stored = edge.api(Some(&admin), "PUT", "/api/v1/wechat/menu", &[], Some(&the_menu())).await;
    assert_eq!(stored.status, 200, "{}", stored.text());

    // Act
    let pushed = edge.post_as(&admin, "/api/v1/wechat/menu/push", &json!({})).await;

    // Assert
    assert_eq!(pushed.status, 200, "{}", pushed.text());
    let tokens: Vec<(String, bool)> = fake
        .calls()
        .into_iter()
        .map(|c| match c {
            WechatCall::StableToken { force_refresh } => ("stable_token".to_string(), force_refresh),
            WechatCall::MenuCreate { access_token, .. } => (access_token, false),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        tokens,
        vec![("stable_token".into(), false), (token(1), false), ("stable_token".into(), true), (token(2), false)]
    );
}

#[tokio::test]
async fn only_the_centres_admins_keep_the_menu() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let citizen = edge.sign_in_by_code(&admin, "13700001111").await;

    // Act
    let anonymous = edge.api(None, "PUT", "/api/v1/wechat/menu", &[], Some(&the_menu())).await;
    let by_citizen = edge.api(Some(&citizen), "PUT", "/api/v1/wechat/menu", &[], Some(&the_menu())).await;
    let push_by_citizen = edge.post_as(&citizen, "/api/v1/wechat/menu/push", &json!({})).await;
    let read_by_citizen = edge.get_as(&citizen, "/api/v1/wechat/menu").await;

    // Assert
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    for reply in [&by_citizen, &push_by_citizen, &read_by_citizen] {
        assert_eq!(reply.status, 403, "{}", reply.text());
    }
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_menu", ()), 0);
    assert_eq!(fake.calls(), vec![]);
}
