//! WeChat web sign-in (网页授权, `snsapi_base`) and the openid bound to an account, against the
//! fake WeChat server (`FakeWechat`: its `sns/oauth2/access_token` checks the AppID, AppSecret,
//! grant type and the code — unknown, spent or older than five minutes — as WeChat does).
//!
//! A browser here is a cookie jar the test keeps by hand: the start sets the state cookie, the
//! callback reads it; WeChat's authorize page is the fake's `authorize`, which hands out the code
//! the browser would bring back.

use serde_json::json;
use wenming_tests::{count, percent_encode, product_launch, scalar, Edge, FakeWechat, Json, Reply, WechatCall};

pub(crate) const BASE: &str = "https://wm.example.org";
pub(crate) const AUTHORIZE: &str = "https://open.weixin.example";
pub(crate) const FOLLOWER: &str = "oWx3f8Kd2Lq9-follower-A1";
pub(crate) const OTHER_FOLLOWER: &str = "oWx3f8Kd2Lq9-follower-B2";

fn account(fake: &FakeWechat) -> Edge {
    let mut launch = product_launch(false)
        .env("SPIN_VARIABLE_PUBLIC_BASE_URL", BASE)
        .env("SPIN_VARIABLE_WECHAT_OAUTH_BASE", AUTHORIZE)
        .env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true");
    for (name, value) in fake.variables() {
        launch = launch.env(name, value);
    }
    launch.start()
}

/// `name=value` of the `Set-Cookie` for `name` in `reply`, if any.
pub(crate) fn cookie(reply: &Reply, name: &str) -> Option<(String, String)> {
    reply.header_all("set-cookie").into_iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| (format!("{}={}", k.trim(), v.trim()), c.to_string()))
    })
}

/// A query parameter of a URL (not decoded).
pub(crate) fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
}

/// A browser opening `return` from WeChat: the start, then WeChat's authorize page for
/// `openid`. Returns the state cookie (`name=value`) and the callback path WeChat redirects to.
pub(crate) async fn open_in_wechat(
    edge: &Edge,
    fake: &FakeWechat,
    ret: &str,
    openid: &str,
    snapshot: bool,
) -> (String, String) {
    let start = edge.get(&format!("/api/v1/wechat/oauth/start?return={}", percent_encode(ret))).await;
    assert_eq!(start.status, 302, "{}", start.text());
    let location = start.header("location").expect("location").to_string();
    let state = param(&location, "state").expect("state");
    let (state_cookie, _) = cookie(&start, "wenming_wx_state").expect("state cookie");
    let code = fake.authorize(openid, snapshot);
    (state_cookie, format!("/api/v1/wechat/oauth/callback?code={code}&state={state}"))
}

pub(crate) async fn get_with_cookie(edge: &Edge, path: &str, cookie: &str) -> Reply {
    edge.request("GET", path, &[("cookie", cookie)], Vec::new()).await
}

pub(crate) async fn bind(edge: &Edge, pending: &str, body: &Json) -> Reply {
    edge.request(
        "POST",
        "/api/v1/wechat/bindings",
        &[("cookie", pending), ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

/// An SMS code sent to `phone` (read from the outbox as the centre admin).
pub(crate) async fn sms_code(edge: &Edge, admin: &str, phone: &str) -> String {
    let asked = edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    edge.latest_sign_in_code(admin, phone).await
}

/// The whole first visit of `openid`: opened in WeChat, unknown, bound to `phone` by SMS code.
/// Returns the binding's answer.
pub(crate) async fn bind_by_code(edge: &Edge, fake: &FakeWechat, admin: &str, openid: &str, phone: &str) -> Reply {
    let (state_cookie, callback) = open_in_wechat(edge, fake, "/m/activities", openid, false).await;
    let back = get_with_cookie(edge, &callback, &state_cookie).await;
    assert_eq!(back.status, 303, "{}", back.text());
    let (pending, _) = cookie(&back, "wenming_wx_bind").expect("pending-binding cookie");
    let code = sms_code(edge, admin, phone).await;
    bind(edge, &pending, &json!({ "phone": phone, "code": code })).await
}

#[tokio::test]
async fn the_start_sends_the_browser_to_wechat_with_a_state_bound_to_it() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);

    // Act
    let start = edge.get("/api/v1/wechat/oauth/start?return=%2Fm%2Factivities%3Fid%3D3").await;

    // Assert: WeChat's documented URL, the redirect back to this site, and a one-time state.
    assert_eq!(start.status, 302, "{}", start.text());
    let location = start.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{AUTHORIZE}/connect/oauth2/authorize?appid={}&", fake.app_id)),
        "{location}"
    );
    assert!(location.ends_with("#wechat_redirect"), "{location}");
    assert_eq!(
        param(location, "redirect_uri").unwrap(),
        percent_encode(&format!("{BASE}/api/v1/wechat/oauth/callback"))
    );
    assert_eq!(param(location, "response_type").as_deref(), Some("code"));
    assert_eq!(param(location, "scope").as_deref(), Some("snsapi_base"));
    let state = param(location, "state").unwrap();
    assert!(state.len() >= 16 && state.len() <= 128 && state.bytes().all(|b| b.is_ascii_alphanumeric()), "{state}");
    let (_, set_cookie) = cookie(&start, "wenming_wx_state").expect("state cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/api/v1/wechat"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert_eq!(
        scalar::<String>(&edge, "SELECT return_path FROM wechat_oauth_states WHERE state = ?1", [&state]),
        "/m/activities?id=3"
    );
    // The browser's half is kept only as a hash.
    let browser = set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_oauth_states WHERE browser_hash = ?1", [&browser]), 0);
    assert_eq!(fake.calls(), vec![], "WeChat's server is not asked before the person comes back");
}

#[tokio::test]
async fn return_paths_off_the_site_are_refused() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);

    // Act / Assert
    for bad in ["//evil.com", "https://evil.com/", "/\\evil.com", "m/activities", ""] {
        let reply = edge.get(&format!("/api/v1/wechat/oauth/start?return={}", percent_encode(bad))).await;
        assert_eq!((reply.status, reply.error_code().as_str()), (400, "invalid_return"), "{bad:?}: {}", reply.text());
        assert!(reply.header("location").is_none());
    }
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_oauth_states", []), 0);
}

#[tokio::test]
async fn an_unknown_follower_binds_once_with_an_sms_code_and_is_signed_in() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/activities?id=3", FOLLOWER, false).await;

    // Act 1: WeChat sends the browser back; the openid is nobody's yet.
    let back = get_with_cookie(&edge, &callback, &state_cookie).await;

    // Assert 1: to the binding page with a pending cookie; nothing bound, nobody signed in.
    assert_eq!(back.status, 303, "{}", back.text());
    assert_eq!(back.header("location"), Some("/m/bind?return=/m/activities%3Fid%3D3"));
    let (pending, set_pending) = cookie(&back, "wenming_wx_bind").expect("pending cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Max-Age=600"] {
        assert!(set_pending.contains(attribute), "{set_pending}");
    }
    assert!(cookie(&back, "wenming_session").is_none());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_pending_bindings WHERE openid = ?1", [FOLLOWER]), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
    assert_eq!(fake.calls().iter().filter(|c| matches!(c, WechatCall::OauthToken { .. })).count(), 1);

    // Act 2: the person proves a phone with an SMS code.
    let code = sms_code(&edge, &admin, "13700002222").await;
    let wrong = bind(&edge, &pending, &json!({ "phone": "13700002222", "code": "000000" })).await;
    let bound = bind(&edge, &pending, &json!({ "phone": "13700002222", "code": code })).await;

    // Assert 2: a wrong code binds nothing; the right one binds once and signs in like the
    // console's browser sign-in (the token only in the cookie).
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(bound.status, 201, "{}", bound.text());
    let body = bound.json();
    assert_eq!(body["csrf_token"].as_str().unwrap().len(), 64);
    assert!(body.get("token").is_none(), "{body}");
    let account_id = body["account"]["id"].as_i64().unwrap();
    let (session, set_session) = cookie(&bound, "wenming_session").expect("session cookie");
    assert!(set_session.contains("HttpOnly") && set_session.contains("SameSite=Strict"), "{set_session}");
    assert_eq!(
        scalar::<i64>(&edge, "SELECT account_id FROM wechat_bindings WHERE openid = ?1", [FOLLOWER]),
        account_id
    );
    assert_eq!(scalar::<String>(&edge, "SELECT phone FROM accounts WHERE id = ?1", [account_id]), "13700002222");
    assert_eq!(
        count(
            &edge,
            "SELECT count(*) FROM audit_log WHERE action = 'wechat.bind' AND entity_id = ?1 AND actor_id = ?1",
            [account_id]
        ),
        1
    );
    let me = get_with_cookie(&edge, "/api/v1/me", &session).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(
        (me.json()["wechat_bound"].clone(), me.json()["notify_channel"].clone()),
        (json!(true), json!("wechat"))
    );

    // Act 3 / Assert 3: the pending binding is spent; replaying it binds nothing more.
    let again = bind(&edge, &pending, &json!({ "phone": "13700003333", "code": "123456" })).await;
    assert_eq!((again.status, again.error_code().as_str()), (410, "binding_expired"), "{}", again.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 1);
}

#[tokio::test]
async fn a_bound_follower_signs_in_silently_without_an_sms() {
    // Arrange: bound once by SMS code.
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let bound = bind_by_code(&edge, &fake, &admin, FOLLOWER, "13700002222").await;
    assert_eq!(bound.status, 201, "{}", bound.text());
    let account_id = bound.json()["account"]["id"].as_i64().unwrap();
    let messages_before = count(&edge, "SELECT count(*) FROM outbox", []);
    let codes_before = count(&edge, "SELECT count(*) FROM sms_codes", []);

    // Act: another day, another browser, opened from the account's menu.
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/orders", FOLLOWER, false).await;
    let back = get_with_cookie(&edge, &callback, &state_cookie).await;

    // Assert: straight to the page, signed in; no SMS code asked for or queued.
    assert_eq!(back.status, 303, "{}", back.text());
    assert_eq!(back.header("location"), Some("/m/orders"));
    let (session, _) = cookie(&back, "wenming_session").expect("session cookie");
    let me = get_with_cookie(&edge, "/api/v1/me", &session).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["id"].as_i64(), Some(account_id));
    assert_eq!(count(&edge, "SELECT count(*) FROM outbox", []), messages_before);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_codes", []), codes_before);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_pending_bindings WHERE used_at IS NULL", []), 0);
}

#[tokio::test]
async fn an_openid_is_bound_to_one_account_and_an_account_to_one_openid() {
    // Arrange: two tabs of one follower both reach the binding page before either binds; the
    // first binds the centre admin's (password) account.
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let admin_id = edge.get_as(&admin, "/api/v1/me").await.json()["id"].as_i64().unwrap();
    let (s1, c1) = open_in_wechat(&edge, &fake, "/m/", FOLLOWER, false).await;
    let (s2, c2) = open_in_wechat(&edge, &fake, "/m/", FOLLOWER, false).await;
    let (tab1, _) = cookie(&get_with_cookie(&edge, &c1, &s1).await, "wenming_wx_bind").unwrap();
    let (tab2, _) = cookie(&get_with_cookie(&edge, &c2, &s2).await, "wenming_wx_bind").unwrap();
    let admin_login =
        json!({ "phone": wenming_tests::CENTRE_ADMIN_PHONE, "password": wenming_tests::CENTRE_ADMIN_PASSWORD });
    let first = bind(&edge, &tab1, &admin_login).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let code = sms_code(&edge, &admin, "13700003333").await;

    // Act 1: the second tab tries another phone for the same openid.
    let second = bind(&edge, &tab2, &json!({ "phone": "13700003333", "code": code })).await;

    // Assert 1: refused before the code is spent; that phone gets no account and no binding.
    assert_eq!((second.status, second.error_code().as_str()), (409, "openid_already_bound"), "{}", second.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM accounts WHERE phone = '13700003333'", []), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_codes WHERE used_at IS NOT NULL", []), 0);

    // Act 2: another follower tries to bind the account that is already bound.
    let live_before =
        count(&edge, "SELECT count(*) FROM sessions WHERE account_id = ?1 AND revoked_at IS NULL", [admin_id]);
    let (s3, c3) = open_in_wechat(&edge, &fake, "/m/", OTHER_FOLLOWER, false).await;
    let (tab3, _) = cookie(&get_with_cookie(&edge, &c3, &s3).await, "wenming_wx_bind").unwrap();
    let stranger = bind(&edge, &tab3, &admin_login).await;

    // Assert 2: 409, one binding each way, and the session that proved the account is revoked.
    assert_eq!(
        (stranger.status, stranger.error_code().as_str()),
        (409, "account_already_bound"),
        "{}",
        stranger.text()
    );
    assert!(cookie(&stranger, "wenming_session").is_none());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings WHERE openid = ?1", [OTHER_FOLLOWER]), 0);
    assert_eq!(
        count(&edge, "SELECT count(*) FROM sessions WHERE account_id = ?1 AND revoked_at IS NULL", [admin_id]),
        live_before,
        "the refused binding leaves nobody signed in"
    );
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action = 'wechat.bind'", []), 1);
    // The refused binding's pending openid is still unbound and its cookie not spent: the person
    // may bind another account with it.
    assert_eq!(
        count(
            &edge,
            "SELECT count(*) FROM wechat_pending_bindings WHERE openid = ?1 AND used_at IS NULL",
            [OTHER_FOLLOWER]
        ),
        1
    );
}

#[tokio::test]
async fn a_password_account_binds_with_its_password() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let me = edge.get_as(&admin, "/api/v1/me").await.json();
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/", FOLLOWER, false).await;
    let (pending, _) = cookie(&get_with_cookie(&edge, &callback, &state_cookie).await, "wenming_wx_bind").unwrap();

    // Act
    let wrong =
        bind(&edge, &pending, &json!({ "phone": wenming_tests::CENTRE_ADMIN_PHONE, "password": "nope-nope" })).await;
    let bound = bind(
        &edge,
        &pending,
        &json!({ "phone": wenming_tests::CENTRE_ADMIN_PHONE, "password": wenming_tests::CENTRE_ADMIN_PASSWORD }),
    )
    .await;

    // Assert
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(bound.status, 201, "{}", bound.text());
    assert_eq!(
        scalar::<i64>(&edge, "SELECT account_id FROM wechat_bindings WHERE openid = ?1", [FOLLOWER]),
        me["id"].as_i64().unwrap()
    );
    let via: String = scalar(&edge, "SELECT after FROM audit_log WHERE action = 'wechat.bind'", []);
    assert!(via.contains("\"via\":\"password\"") && !via.contains(wenming_tests::CENTRE_ADMIN_PASSWORD), "{via}");
}

#[tokio::test]
async fn a_snapshot_page_user_is_refused() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/activities", "oSnapshotVirtualUser", true).await;

    // Act
    let back = get_with_cookie(&edge, &callback, &state_cookie).await;

    // Assert
    assert_eq!(back.status, 303, "{}", back.text());
    assert_eq!(back.header("location"), Some("/m/sign-in?wechat_error=snapshot_user&return=/m/activities"));
    assert!(cookie(&back, "wenming_session").is_none() && cookie(&back, "wenming_wx_bind").is_none());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_pending_bindings", []), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
}

#[tokio::test]
async fn forged_replayed_and_foreign_states_and_bad_codes_are_refused() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/x", FOLLOWER, false).await;
    let code = param(&callback, "code").unwrap();
    let state = param(&callback, "state").unwrap();

    // Act
    // 1. a state the platform never issued (with some browser's cookie);
    let forged =
        get_with_cookie(&edge, &format!("/api/v1/wechat/oauth/callback?code={code}&state=Forged123"), &state_cookie)
            .await;
    // 2. the real state in another browser (no cookie, or another browser's);
    let foreign = edge.get(&callback).await;
    let (other_cookie, _) = open_in_wechat(&edge, &fake, "/m/y", FOLLOWER, false).await;
    let other_browser = get_with_cookie(&edge, &callback, &other_cookie).await;
    let oauth_calls_before = fake.calls().iter().filter(|c| matches!(c, WechatCall::OauthToken { .. })).count();
    // 3. then the right browser, once, and a replay.
    let right = get_with_cookie(&edge, &callback, &state_cookie).await;
    let replay = get_with_cookie(&edge, &callback, &state_cookie).await;

    // Assert
    let refused = |r: &Reply, why: &str, back: &str| {
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(r.header("location"), Some(format!("/m/sign-in?wechat_error={why}&return={back}").as_str()));
        assert!(cookie(r, "wenming_session").is_none() && cookie(r, "wenming_wx_bind").is_none());
    };
    refused(&forged, "state_invalid", "/m/");
    refused(&foreign, "state_invalid", "/m/");
    refused(&other_browser, "state_invalid", "/m/");
    assert_eq!(oauth_calls_before, 0, "WeChat is never asked for a refused state's code");
    assert_eq!(right.status, 303);
    assert!(right.header("location").unwrap().starts_with("/m/bind?"), "{:?}", right.header("location"));
    refused(&replay, "state_invalid", "/m/");
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_pending_bindings", []), 1);

    // Act / Assert: a code WeChat refuses — spent, expired, unknown — is `code_invalid`.
    let fresh = edge.get("/api/v1/wechat/oauth/start?return=%2Fm%2Fz").await;
    let fresh_state = param(fresh.header("location").unwrap(), "state").unwrap();
    let (fresh_cookie, _) = cookie(&fresh, "wenming_wx_state").unwrap();
    let spent = get_with_cookie(
        &edge,
        &format!("/api/v1/wechat/oauth/callback?code={code}&state={fresh_state}"),
        &fresh_cookie,
    )
    .await;
    refused(&spent, "code_invalid", "/m/z");
    let (s_old, c_old) = open_in_wechat(&edge, &fake, "/m/old", FOLLOWER, false).await;
    fake.age_code(&param(&c_old, "code").unwrap());
    refused(&get_with_cookie(&edge, &c_old, &s_old).await, "code_invalid", "/m/old");
    let (s_unknown, c_unknown) = open_in_wechat(&edge, &fake, "/m/u", FOLLOWER, false).await;
    let unknown = c_unknown.replace(&param(&c_unknown, "code").unwrap(), "NoSuchCode42");
    refused(&get_with_cookie(&edge, &unknown, &s_unknown).await, "code_invalid", "/m/u");
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_pending_bindings", []), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
    assert_eq!(
        count(&edge, "SELECT count(*) FROM wechat_oauth_states WHERE state = ?1 AND used_at IS NOT NULL", [&state]),
        1
    );
}

#[tokio::test]
async fn a_pending_binding_expires_after_ten_minutes() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let (state_cookie, callback) = open_in_wechat(&edge, &fake, "/m/", FOLLOWER, false).await;
    let (pending, _) = cookie(&get_with_cookie(&edge, &callback, &state_cookie).await, "wenming_wx_bind").unwrap();
    let code = sms_code(&edge, &admin, "13700002222").await;
    let later = (wenming_tests::unix_now() + 601).to_string();

    // Act
    let late = edge
        .request(
            "POST",
            "/api/v1/wechat/bindings",
            &[("cookie", &pending), ("content-type", "application/json"), ("x-wenming-now", &later)],
            json!({ "phone": "13700002222", "code": code }).to_string(),
        )
        .await;
    let no_cookie = edge
        .api(None, "POST", "/api/v1/wechat/bindings", &[], Some(&json!({ "phone": "13700002222", "code": code })))
        .await;

    // Assert: nothing bound, and the code was not spent on it.
    assert_eq!((late.status, late.error_code().as_str()), (410, "binding_expired"), "{}", late.text());
    assert_eq!((no_cookie.status, no_cookie.error_code().as_str()), (410, "binding_expired"));
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_codes WHERE used_at IS NOT NULL", []), 0);
}

/// A request from the bound browser: its session cookie, and the CSRF token on unsafe methods.
pub(crate) async fn as_browser(edge: &Edge, signed_in: &Reply, method: &str, path: &str, body: Option<&Json>) -> Reply {
    let (session, _) = cookie(signed_in, "wenming_session").expect("session cookie");
    let csrf = signed_in.json()["csrf_token"].as_str().unwrap().to_string();
    let mut headers = vec![("cookie", session.as_str()), ("x-csrf-token", csrf.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    edge.request(method, path, &headers, body.map(|b| b.to_string()).unwrap_or_default()).await
}

#[tokio::test]
async fn the_person_and_staff_unbind_and_the_channel_follows_the_binding() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let person = bind_by_code(&edge, &fake, &admin, FOLLOWER, "13700002222").await;
    assert_eq!(person.status, 201, "{}", person.text());
    let person_id = person.json()["account"]["id"].as_i64().unwrap();
    let channel = |c: &str| json!({ "channel": c });
    let stored =
        || scalar::<String>(&edge, "SELECT notify_channel FROM wechat_bindings WHERE account_id = ?1", [person_id]);

    // Act / Assert: the person keeps notices on SMS; a bad choice is 422 and changes nothing.
    let sms = as_browser(&edge, &person, "PUT", "/api/v1/me/notify-channel", Some(&channel("sms"))).await;
    assert_eq!((sms.status, sms.json()["notify_channel"].clone()), (200, json!("sms")), "{}", sms.text());
    assert_eq!(stored(), "sms");
    let bad = as_browser(&edge, &person, "PUT", "/api/v1/me/notify-channel", Some(&channel("mail"))).await;
    assert_eq!((bad.status, bad.error_field().as_str()), (422, "channel"), "{}", bad.text());
    assert_eq!(stored(), "sms");

    // The person unbinds; WeChat can no longer be chosen, and /me says so.
    let unbound = as_browser(&edge, &person, "DELETE", "/api/v1/me/wechat", None).await;
    assert_eq!(unbound.status, 204, "{}", unbound.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
    assert_eq!(
        count(
            &edge,
            "SELECT count(*) FROM audit_log WHERE action = 'wechat.unbind' AND actor_id = ?1 AND entity_id = ?1",
            [person_id]
        ),
        1
    );
    let wechat = as_browser(&edge, &person, "PUT", "/api/v1/me/notify-channel", Some(&channel("wechat"))).await;
    assert_eq!((wechat.status, wechat.error_code().as_str()), (409, "wechat_not_bound"), "{}", wechat.text());
    let me = as_browser(&edge, &person, "GET", "/api/v1/me", None).await.json();
    assert_eq!((me["wechat_bound"].clone(), me["notify_channel"].clone()), (json!(false), json!("sms")));
    assert_eq!(as_browser(&edge, &person, "DELETE", "/api/v1/me/wechat", None).await.status, 404);

    // Another follower, bound, is unbound by the centre's admin; a citizen may not unbind anyone.
    let other = bind_by_code(&edge, &fake, &admin, OTHER_FOLLOWER, "13700005555").await;
    assert_eq!(other.status, 201, "{}", other.text());
    let other_id = other.json()["account"]["id"].as_i64().unwrap();
    let refused = as_browser(&edge, &person, "DELETE", &format!("/api/v1/accounts/{other_id}/wechat"), None).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 1);
    let by_staff = edge.delete_as(&admin, &format!("/api/v1/accounts/{other_id}/wechat")).await;
    assert_eq!(by_staff.status, 204, "{}", by_staff.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_bindings", []), 0);
    let admin_id = edge.get_as(&admin, "/api/v1/me").await.json()["id"].as_i64().unwrap();
    let before: String = scalar(
        &edge,
        "SELECT before FROM audit_log WHERE action = 'wechat.unbind' AND actor_id = ?1 AND entity_id = ?2",
        [admin_id, other_id],
    );
    assert!(before.contains(OTHER_FOLLOWER), "{before}");
}

#[tokio::test]
async fn the_sign_in_options_say_what_is_configured() {
    // Arrange
    let fake = FakeWechat::start();
    let configured = account(&fake);
    let bare = product_launch(false).start();

    // Act
    let with = configured.get("/api/v1/sign-in/options").await;
    let without = bare.get("/api/v1/sign-in/options").await;
    let start = bare.get("/api/v1/wechat/oauth/start?return=%2Fm%2F").await;

    // Assert
    assert_eq!((with.status, with.json()), (200, json!({ "wechat": true, "sms": false })), "{}", with.text());
    assert_eq!((without.status, without.json()), (200, json!({ "wechat": false, "sms": false })));
    assert_eq!((start.status, start.error_code().as_str()), (409, "wechat_not_configured"), "{}", start.text());
    assert_eq!(count(&bare, "SELECT count(*) FROM wechat_oauth_states", []), 0);
}
