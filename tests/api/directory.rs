//! The directory and identity through the real product (`spin.toml`), bootstrapped as an
//! operator does it: sessions (password, SMS code, lockout, sign-out, expiry), the org tree and
//! its levels, subtree isolation between stations, role-grant rules, the audit log, idempotent
//! creates, pagination, and the demo county. The contract is `docs/directory-api.md`.

use std::collections::HashSet;

use domain::phone::is_mobile;
use domain::ResidentId;
use wenming_tests::{
    count, id, items, json, open_db, row_count, scalar, start_product, start_product_with_demo, unix_now, Centre,
    County, Json, CENTRE_ADMIN_NAME, CENTRE_ADMIN_PASSWORD, CENTRE_ADMIN_PHONE, CENTRE_NAME,
    DEMO_INSTITUTE_ADMIN_PASSWORD, DEMO_INSTITUTE_ADMIN_PHONE, HOUR, STAFF_PASSWORD,
};

/// Finds the node with `id` anywhere in a tree answer (an object or a list of roots).
fn find_node(tree: &Json, id: i64) -> Option<&Json> {
    match tree {
        Json::Array(nodes) => nodes.iter().find_map(|n| find_node(n, id)),
        Json::Object(_) => {
            if tree["id"].as_i64() == Some(id) {
                return Some(tree);
            }
            find_node(&tree["children"], id)
        }
        _ => None,
    }
}

fn child_ids(node: &Json) -> Vec<i64> {
    node["children"].as_array().unwrap_or_else(|| panic!("node has no children array: {node}")).iter().map(id).collect()
}

/// The actor's account id of an audit entry: `actor.id`, `actor_id` or `actor` as a number.
fn actor_of(entry: &Json) -> Option<i64> {
    entry["actor"]["id"].as_i64().or_else(|| entry["actor_id"].as_i64()).or_else(|| entry["actor"].as_i64())
}

/// `before`/`after` of an audit entry as JSON (parsed if the API returned it as text).
fn audit_json(entry: &Json, key: &str) -> Json {
    match &entry[key] {
        Json::String(text) => serde_json::from_str(text).unwrap_or(Json::String(text.clone())),
        other => other.clone(),
    }
}

// ---- Sessions -------------------------------------------------------------------------------

#[tokio::test]
async fn a_password_sign_in_gives_a_token_that_works_on_me() {
    let edge = start_product();

    let reply = edge.try_sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    let session = reply.json();
    let token = session["token"].as_str().unwrap_or_default().to_owned();
    let me = edge.get_as(&token, "/api/v1/me").await;

    assert_eq!(reply.status, 201, "{session}");
    assert!(token.len() >= 20, "a long random token: {session}");
    let expires_at = session["expires_at"].as_str().expect("expires_at is RFC 3339 text");
    assert!(expires_at.ends_with("+08:00"), "times are +08:00: {expires_at}");
    assert_eq!(session["account"]["name"], CENTRE_ADMIN_NAME);
    let roles = session["account"]["roles"].as_array().expect("roles");
    assert!(
        roles.iter().any(|r| r["role"] == "centre-admin" && r["org_id"].is_i64() && r["org_path"].is_string()),
        "{session}"
    );
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    let me_id = me["id"].as_i64().or_else(|| me["account"]["id"].as_i64());
    assert_eq!(me_id, session["account"]["id"].as_i64(), "{me}");
    assert!(me.to_string().contains("centre-admin"), "/me lists the roles: {me}");
    // Only the token's hash is stored.
    let db = open_db(&edge.db_path());
    let stored: Vec<String> = db
        .prepare("SELECT token_hash FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "the token itself is never stored");
    assert!(!stored[0].contains(&token));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_phone_get_the_same_401() {
    let edge = start_product();

    let wrong = edge.try_sign_in(CENTRE_ADMIN_PHONE, "not-the-password").await;
    let unknown = edge.try_sign_in("13911112222", "not-the-password").await;

    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(unknown.status, 401, "{}", unknown.text());
    assert_eq!(
        wrong.json()["error"]["message"],
        unknown.json()["error"]["message"],
        "the same message for both, so phones cannot be probed"
    );
    assert!(!wrong.json()["error"]["code"].as_str().unwrap_or_default().is_empty());
    assert_eq!(row_count(&edge.db_path(), "sessions"), 0);
    let failed = count(&edge, "SELECT failed_sign_ins FROM accounts WHERE phone = ?1", [CENTRE_ADMIN_PHONE]);
    assert_eq!(failed, 1, "the failure is counted");
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let edge = start_product();

    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(edge.try_sign_in(CENTRE_ADMIN_PHONE, "guessing-wrong").await.status);
    }
    let right = edge.try_sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    let now = unix_now();

    assert_eq!(&statuses[..4], &[401, 401, 401, 401], "{statuses:?}");
    assert!(statuses[4] == 401 || statuses[4] == 429, "the fifth failure: {statuses:?}");
    assert_eq!(right.status, 429, "locked: even the right password is refused: {}", right.text());
    let retry_after: i64 = right
        .header("retry-after")
        .unwrap_or_else(|| panic!("429 without Retry-After: {:?}", right.headers))
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60).contains(&retry_after), "Retry-After {retry_after}");
    // The lock is this client's (the test's address) on the account: see `abuse.rs` for others.
    let locked_until: Option<i64> = open_db(&edge.db_path())
        .query_row(
            "SELECT l.locked_until FROM sign_in_locks l JOIN accounts a ON a.id = l.account_id
             WHERE a.phone = ?1 AND l.client = '127.0.0.1'",
            [CENTRE_ADMIN_PHONE],
            |r| r.get(0),
        )
        .unwrap();
    let locked_until = locked_until.expect("sign_in_locks.locked_until is set");
    assert!(
        locked_until > now + 14 * 60 && locked_until <= now + 15 * 60 + 5,
        "locked for 15 minutes: locked_until {locked_until}, now {now}"
    );
    assert_eq!(row_count(&edge.db_path(), "sessions"), 0, "no session was started");
}

#[tokio::test]
async fn concurrent_guesses_are_counted_before_they_are_checked_and_an_admin_unlocks_the_account() {
    // Arrange: a station admin at A is the target; the admin at B is someone who may not unlock.
    let c = County::new().await;
    let target = c.staff("东街站长", "13600000001", "station-admin", c.a).await;
    let outsider = c.staff("西街站长", "13600000002", "station-admin", c.b).await;
    let url = c.edge.url("/api/v1/sessions");
    let client = reqwest::Client::new();
    const RIGHT_AT: usize = 20;

    // Act: 40 wrong passwords at once, and the right one sent among them.
    let mut tasks = Vec::new();
    for i in 0..41 {
        let password = if i == RIGHT_AT { STAFF_PASSWORD } else { "guessing-wrong" };
        let body = json!({ "phone": target.phone, "password": password });
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let reply = client.post(url).json(&body).send().await.expect("sign-in sent");
            let status = reply.status().as_u16();
            let retry_after = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (status, retry_after, reply.text().await.expect("body"))
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("sign-in task"));
    }

    // Assert: at most five passwords were checked in the window; every other attempt, the right
    // one included, got the one locked answer. Only if the right one was among the first five
    // (and so checked) may it sign in, which restarts the window.
    let right = replies[RIGHT_AT].clone();
    let checked_wrong = replies.iter().filter(|(status, _, _)| *status == 401).count();
    let limit = if right.0 == 201 { 2 * 5 - 1 } else { 5 };
    assert!(checked_wrong <= limit, "{checked_wrong} wrong passwords checked: {replies:?}");
    assert!(right.0 == 201 || right.0 == 429, "the right password: {right:?}");
    let refused: Vec<_> = replies.iter().filter(|(status, _, _)| ![401, 201].contains(status)).collect();
    assert!(refused.len() >= 41 - 10, "{replies:?}");
    for (status, retry_after, body) in &refused {
        assert_eq!(*status, 429, "{body}");
        let retry_after: i64 = retry_after.as_deref().expect("429 with Retry-After").parse().unwrap();
        assert!((1..=15 * 60).contains(&retry_after), "Retry-After {retry_after}");
        assert_eq!(body, &refused[0].2, "one answer for every attempt while locked");
    }
    if right.0 == 201 {
        // The lock was lifted by the holder; lock it again the slow way for the rest.
        for _ in 0..5 {
            c.edge.try_sign_in(&target.phone, "guessing-wrong").await;
        }
    }
    let locked_until: Option<i64> =
        scalar(&c.edge, "SELECT max(locked_until) FROM sign_in_locks WHERE account_id = ?1", [target.account_id]);
    assert!(locked_until.expect("sign_in_locks.locked_until is set") > unix_now(), "the account is locked");
    let still_locked = c.edge.try_sign_in(&target.phone, STAFF_PASSWORD).await;
    assert_eq!(still_locked.status, 429, "{}", still_locked.text());
    assert_eq!(still_locked.text(), refused[0].2, "the right password gets the same answer");

    // Act: someone without manage-accounts over the account tries to unlock it; then the centre admin.
    let unlock = format!("/api/v1/accounts/{}/unlock", target.account_id);
    let by_outsider = c.edge.post_empty_as(&outsider.token, &unlock).await;
    let by_admin = c.edge.post_empty_as(&c.admin, &unlock).await;
    let signed_in = c.edge.try_sign_in(&target.phone, STAFF_PASSWORD).await;

    // Assert: the outsider cannot tell the account exists and changed nothing; the admin's unlock
    // clears the lock, is audited, and the right password signs in.
    assert_eq!(by_outsider.status, 404, "{}", by_outsider.text());
    assert_eq!(by_admin.status, 200, "{}", by_admin.text());
    assert_eq!(by_admin.json()["id"], target.account_id);
    assert_eq!(signed_in.status, 201, "{}", signed_in.text());
    let unlocks = count(
        &c.edge,
        "SELECT count(*) FROM audit_log WHERE action = 'account.unlock' AND entity = 'account' AND entity_id = ?1 AND actor_id = ?2",
        [target.account_id, c.admin_id],
    );
    assert_eq!(unlocks, 1, "the unlock is audited once (the outsider's refusal is not)");
    let before: String = scalar(&c.edge, "SELECT before FROM audit_log WHERE action = 'account.unlock'", []);
    assert!(before.contains("\"locked\":true"), "the audit shows the lock it lifted: {before}");
}

#[tokio::test]
async fn signing_out_ends_that_session_only() {
    let edge = start_product();
    let first = edge.sign_in_centre_admin().await;
    let second = edge.sign_in_centre_admin().await;

    let out = edge.delete_as(&first, "/api/v1/sessions/current").await;
    let after_first = edge.get_as(&first, "/api/v1/me").await;
    let after_second = edge.get_as(&second, "/api/v1/me").await;

    assert_eq!(out.status, 204, "{}", out.text());
    assert_eq!(after_first.status, 401, "{}", after_first.text());
    assert_eq!(after_second.status, 200, "another session of the same account still works");
    let revoked = count(&edge, "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL", []);
    assert_eq!(revoked, 1);
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let edge = start_product();
    let token = edge.sign_in_centre_admin().await;
    assert_eq!(edge.get_as(&token, "/api/v1/me").await.status, 200);

    open_db(&edge.db_path()).execute("UPDATE sessions SET expires_at = ?1", [unix_now() - 60]).unwrap();
    let reply = edge.get_as(&token, "/api/v1/me").await;

    assert_eq!(reply.status, 401, "{}", reply.text());
    assert_eq!(reply.error_code(), "unauthenticated", "{}", reply.text());
}

#[tokio::test]
async fn a_garbage_token_or_no_token_is_401_everywhere() {
    let edge = start_product();

    let garbage = edge.get_as("not-a-real-token", "/api/v1/me").await;
    let none = edge.api(None, "GET", "/api/v1/me", &[], None).await;
    let basic = edge.api(None, "GET", "/api/v1/me", &[("authorization", "Basic YWRtaW46YWRtaW4=")], None).await;
    let orgs = edge.api(None, "GET", "/api/v1/orgs", &[], None).await;
    let create = edge
        .api(None, "POST", "/api/v1/orgs", &[], Some(&json!({"parent_id": 1, "name": "x", "level": "institute"})))
        .await;
    let volunteers = edge.api(None, "GET", "/api/v1/volunteers", &[], None).await;
    let audit = edge.get_as("not-a-real-token", "/api/v1/audit").await;

    for (what, reply) in [
        ("garbage", &garbage),
        ("none", &none),
        ("basic", &basic),
        ("orgs", &orgs),
        ("create", &create),
        ("volunteers", &volunteers),
        ("audit", &audit),
    ] {
        assert_eq!(reply.status, 401, "{what}: {}", reply.text());
        assert!(reply.json()["error"]["message"].is_string(), "{what}: the error shape: {}", reply.text());
    }
    assert_eq!(row_count(&edge.db_path(), "orgs"), 1, "nothing was created");
}

#[tokio::test]
async fn an_sms_code_signs_a_citizen_in_once() {
    let c = Centre::new().await;
    let phone = "13700000001";

    let asked = c.edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await;
    let code = c.edge.latest_sign_in_code(&c.admin, phone).await;
    let signed_in =
        c.edge.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": phone, "code": code }))).await;
    let again = c.edge.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": phone, "code": code }))).await;

    assert_eq!(asked.status, 202, "{}", asked.text());
    assert_eq!(asked.json()["sent"], true);
    assert_eq!(signed_in.status, 201, "{}", signed_in.text());
    let session = signed_in.json();
    let roles: Vec<&str> =
        session["account"]["roles"].as_array().expect("roles").iter().filter_map(|r| r["role"].as_str()).collect();
    assert_eq!(roles, vec!["citizen"], "a new phone becomes a citizen: {session}");
    let token = session["token"].as_str().unwrap();
    assert_eq!(c.edge.get_as(token, "/api/v1/me").await.status, 200);
    assert_eq!(again.status, 401, "a code works once: {}", again.text());
    let db = open_db(&c.edge.db_path());
    let accounts: i64 = db.query_row("SELECT count(*) FROM accounts WHERE phone = ?1", [phone], |r| r.get(0)).unwrap();
    assert_eq!(accounts, 1);
    let (hash, used): (String, Option<i64>) = db
        .query_row("SELECT code_hash, used_at FROM sms_codes WHERE phone = ?1", [phone], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_ne!(hash, code, "codes are stored hashed");
    assert!(used.is_some(), "the code is marked used");
}

#[tokio::test]
async fn a_second_code_within_a_minute_is_throttled() {
    let c = Centre::new().await;
    let phone = "13700000002";
    let ask = || async { c.edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await };

    let first = ask().await;
    let second = ask().await;

    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(second.status, 429, "{}", second.text());
    let retry_after: i64 =
        second.header("retry-after").expect("Retry-After on a throttled code").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let queued =
        count(&c.edge, "SELECT count(*) FROM outbox WHERE recipient = ?1 AND template = 'sign-in-code'", [phone]);
    assert_eq!(queued, 1, "one code queued, not two");
}

/// Notify's daily cap (`notify.daily_cap`, 10 messages a day per recipient) counts every message
/// a phone was sent, so a phone that already had its ten today is refused a sign-in code rather
/// than issued one that is never sent; a phone with nine gets its code as the tenth.
#[tokio::test]
async fn a_phone_that_reached_the_daily_message_cap_is_refused_a_sign_in_code() {
    let c = Centre::new().await;
    let (capped, below) = ("13700000011", "13700000012");
    let cap: String = scalar(&c.edge, "SELECT value FROM deployment_settings WHERE key = 'notify.daily_cap'", []);
    assert_eq!(cap, "10", "the default cap");
    let db = open_db(&c.edge.db_path());
    for (phone, earlier) in [(capped, 10), (below, 9)] {
        for i in 0..earlier {
            db.execute(
                "INSERT INTO outbox (channel, recipient, template, params, idempotency_key, status, created_at)
                 VALUES ('sms', ?1, 'order-accepted', '{}', ?2, 'sent', ?3)",
                rusqlite::params![phone, format!("earlier:{phone}:{i}"), unix_now() - (i + 1) * HOUR],
            )
            .expect("an earlier message today");
        }
    }
    let edge = &c.edge;
    let ask = move |phone: &'static str| async move {
        edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await
    };

    let refused = ask(capped).await;
    let issued = ask(below).await;

    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.error_code(), "throttled", "{}", refused.text());
    let retry_after: i64 = refused.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    let codes = |phone: &str| count(&c.edge, "SELECT count(*) FROM sms_codes WHERE phone = ?1", [phone]);
    let messages = |phone: &str| count(&c.edge, "SELECT count(*) FROM outbox WHERE recipient = ?1", [phone]);
    let code_messages = |phone: &str| {
        count(&c.edge, "SELECT count(*) FROM outbox WHERE recipient = ?1 AND template = 'sign-in-code'", [phone])
    };
    assert_eq!(codes(capped), 0, "no code issued that could not be sent");
    assert_eq!((messages(capped), code_messages(capped)), (10, 0), "nothing more queued for the capped phone");
    assert_eq!(issued.status, 202, "nine earlier messages leave room for one: {}", issued.text());
    assert_eq!(codes(below), 1);
    assert_eq!((messages(below), code_messages(below)), (10, 1), "the code is the tenth message");
}

#[tokio::test]
async fn an_invalid_phone_gets_no_code() {
    let edge = start_product();

    let mut replies = Vec::new();
    for phone in ["12345678901", "1380013800", "138001380001", "abcdefghijk"] {
        replies.push(edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await);
    }

    for reply in &replies {
        assert_eq!(reply.status, 422, "{}", reply.text());
        assert_eq!(reply.error_field(), "phone", "{}", reply.text());
    }
    assert_eq!(row_count(&edge.db_path(), "outbox"), 0);
    assert_eq!(row_count(&edge.db_path(), "sms_codes"), 0);
}

// ---- The org tree ---------------------------------------------------------------------------

#[tokio::test]
async fn the_centre_admin_builds_an_institute_a_station_and_a_point_and_the_tree_nests_them() {
    let c = Centre::new().await;

    let institute = c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await;
    let station = c.edge.create_org(&c.admin, id(&institute), "东街社区实践站", "station").await;
    let point = c.edge.create_org(&c.admin, id(&station), "东街小学实践点", "point").await;
    let tree = c.edge.get_as(&c.admin, &format!("/api/v1/orgs/tree?under={}", c.centre)).await;

    assert_eq!(institute["level"], "institute");
    assert_eq!(institute["parent_id"], c.centre);
    assert_eq!(station["parent_id"], id(&institute));
    assert_eq!(point["level"], "point");
    assert_eq!(point["active"], true);
    assert!(point["created_at"].as_str().is_some_and(|t| t.ends_with("+08:00")), "{point}");
    assert_eq!(
        point["path"].as_str().unwrap(),
        format!("{}{}/", station["path"].as_str().unwrap(), id(&point)),
        "materialised path: {point}"
    );
    assert_eq!(tree.status, 200, "{}", tree.text());
    let tree = tree.json();
    let root = find_node(&tree, c.centre).unwrap_or_else(|| panic!("centre missing: {tree}"));
    assert_eq!(root["name"], CENTRE_NAME);
    assert_eq!(child_ids(root), vec![id(&institute)]);
    let inst = find_node(root, id(&institute)).unwrap();
    assert_eq!(child_ids(inst), vec![id(&station)]);
    let st = find_node(inst, id(&station)).unwrap();
    assert_eq!(child_ids(st), vec![id(&point)]);
    let pt = find_node(st, id(&point)).unwrap();
    assert_eq!(pt["level"], "point");
    assert_eq!(pt["name"], "东街小学实践点");
    assert_eq!(pt["active"], true);
    assert_eq!(row_count(&c.edge.db_path(), "orgs"), 4);
}

#[tokio::test]
async fn an_org_at_the_wrong_level_is_refused_with_field_level() {
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await);
    let station = id(&c.edge.create_org(&c.admin, institute, "东街社区实践站", "station").await);
    let point = id(&c.edge.create_org(&c.admin, station, "东街小学实践点", "point").await);

    let mut replies = Vec::new();
    for (parent, level) in [
        (c.centre, "station"),
        (c.centre, "point"),
        (institute, "point"),
        (institute, "institute"),
        (point, "point"),
        (c.centre, "galaxy"),
    ] {
        let body = json!({ "parent_id": parent, "name": "错层级", "level": level });
        replies.push((level, c.edge.post_as(&c.admin, "/api/v1/orgs", &body).await));
    }

    for (level, reply) in &replies {
        assert_eq!(reply.status, 422, "{level}: {}", reply.text());
        assert_eq!(reply.error_field(), "level", "{level}: {}", reply.text());
    }
    assert_eq!(count(&c.edge, "SELECT count(*) FROM orgs WHERE name = '错层级'", []), 0);
}

#[tokio::test]
async fn a_sibling_name_is_taken_once_but_cousins_may_share_it() {
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await);
    let other = id(&c.edge.create_org(&c.admin, c.centre, "河口镇新时代文明实践所", "institute").await);
    c.edge.create_org(&c.admin, institute, "中心社区实践站", "station").await;

    let duplicate = c
        .edge
        .post_as(
            &c.admin,
            "/api/v1/orgs",
            &json!({ "parent_id": institute, "name": "中心社区实践站", "level": "station" }),
        )
        .await;
    let cousin = c
        .edge
        .post_as(&c.admin, "/api/v1/orgs", &json!({ "parent_id": other, "name": "中心社区实践站", "level": "station" }))
        .await;

    assert_eq!(duplicate.status, 409, "{}", duplicate.text());
    assert_eq!(duplicate.error_code(), "name_taken", "{}", duplicate.text());
    assert_eq!(cousin.status, 201, "{}", cousin.text());
    assert_eq!(count(&c.edge, "SELECT count(*) FROM orgs WHERE name = '中心社区实践站'", []), 2);
}

#[tokio::test]
async fn renaming_an_org_changes_its_name_and_nothing_else() {
    let c = Centre::new().await;
    let institute = c.edge.create_org(&c.admin, c.centre, "城关镇实践所", "institute").await;
    let iid = id(&institute);

    let renamed =
        c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{iid}"), &json!({ "name": "城关镇新时代文明实践所" })).await;
    let read = c.edge.get_as(&c.admin, &format!("/api/v1/orgs/{iid}")).await;
    let empty = c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{iid}"), &json!({ "name": "   " })).await;

    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(read.status, 200, "{}", read.text());
    let read = read.json();
    assert_eq!(read["name"], "城关镇新时代文明实践所");
    assert_eq!(read["path"], institute["path"]);
    assert_eq!(read["level"], "institute");
    assert_eq!(read["parent_id"], c.centre);
    assert_eq!(empty.status, 422, "an empty name: {}", empty.text());
    assert_eq!(empty.error_field(), "name");
    assert_eq!(scalar::<String>(&c.edge, "SELECT name FROM orgs WHERE id = ?1", [iid]), "城关镇新时代文明实践所");
}

#[tokio::test]
async fn an_org_with_active_children_cannot_be_deactivated() {
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await);
    let station = id(&c.edge.create_org(&c.admin, institute, "东街社区实践站", "station").await);

    let refused = c.edge.post_empty_as(&c.admin, &format!("/api/v1/orgs/{institute}/deactivate")).await;
    let still_active = count(&c.edge, "SELECT active FROM orgs WHERE id = ?1", [institute]);
    let leaf = c.edge.post_empty_as(&c.admin, &format!("/api/v1/orgs/{station}/deactivate")).await;
    let then_parent = c.edge.post_empty_as(&c.admin, &format!("/api/v1/orgs/{institute}/deactivate")).await;

    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.error_code(), "wrong_state", "{}", refused.text());
    assert_eq!(still_active, 1, "a refused deactivation changes nothing");
    assert_eq!(leaf.status, 200, "{}", leaf.text());
    assert_eq!(leaf.json()["active"], false);
    assert_eq!(then_parent.status, 200, "no active children left: {}", then_parent.text());
    assert_eq!(count(&c.edge, "SELECT active FROM orgs WHERE id = ?1", [station]), 0);
    assert_eq!(count(&c.edge, "SELECT active FROM orgs WHERE id = ?1", [institute]), 0);
}

#[tokio::test]
async fn anyone_reads_a_stations_public_name_and_address_but_nothing_of_inactive_or_unknown_orgs() {
    // Arrange: a station with an address under an institute, and a second station deactivated.
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await);
    let station = id(&c.edge.create_org(&c.admin, institute, "东街社区新时代文明实践站", "station").await);
    let gone = id(&c.edge.create_org(&c.admin, institute, "西街社区新时代文明实践站", "station").await);
    let edit = json!({"address": "城关镇东街12号", "latitude": 25.1, "longitude": 117.2, "population": 3200});
    assert_eq!(c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{station}"), &edit).await.status, 200);
    assert_eq!(c.edge.post_empty_as(&c.admin, &format!("/api/v1/orgs/{gone}/deactivate")).await.status, 200);

    // Act: nobody signed in (a code scanned before sign-in).
    let read = c.edge.get(&format!("/api/v1/orgs/{station}/public")).await;
    let inactive = c.edge.get(&format!("/api/v1/orgs/{gone}/public")).await;
    let unknown = c.edge.get("/api/v1/orgs/999999/public").await;
    let garbage = c.edge.get("/api/v1/orgs/abc/public").await;

    // Assert: the name, level, parent and address, and nothing else (no path, coordinates or
    // population); inactive and unknown orgs the same 404; a write 405.
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(
        read.json(),
        json!({"id": station, "level": "station", "name": "东街社区新时代文明实践站", "address": "城关镇东街12号",
            "parent": {"id": institute, "name": "城关镇新时代文明实践所"}})
    );
    for r in [&inactive, &unknown, &garbage] {
        assert_eq!((r.status, r.error_code()), (404, "not_found".to_string()), "{}", r.text());
    }
    assert_eq!(inactive.text(), unknown.text(), "an inactive org reads as unknown");
    assert_eq!(c.edge.post_empty_as(&c.admin, &format!("/api/v1/orgs/{station}/public")).await.status, 405);
    let centre = c.edge.get(&format!("/api/v1/orgs/{}/public", c.centre)).await.json();
    assert_eq!((centre["level"].as_str(), centre["parent"].clone()), (Some("centre"), Json::Null));
}

#[tokio::test]
async fn lists_page_by_id_with_a_cursor_and_refuse_bad_limits() {
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇新时代文明实践所", "institute").await);
    let mut created = vec![c.centre, institute];
    for n in 1..=3 {
        created.push(id(&c.edge.create_org(&c.admin, institute, &format!("第{n}实践站"), "station").await));
    }

    let first = c.edge.get_as(&c.admin, "/api/v1/orgs?limit=2").await.json();
    let cursor = first["next_cursor"].as_i64().expect("a full page has a next_cursor");
    let second = c.edge.get_as(&c.admin, &format!("/api/v1/orgs?limit=2&cursor={cursor}")).await.json();
    let all = c.edge.all_pages(&c.admin, "/api/v1/orgs").await;
    let zero = c.edge.get_as(&c.admin, "/api/v1/orgs?limit=0").await;
    let huge = c.edge.get_as(&c.admin, "/api/v1/orgs?limit=101").await;
    let stations = c.edge.get_as(&c.admin, &format!("/api/v1/orgs?under={institute}&level=station")).await.json();

    assert_eq!(items(&first).len(), 2);
    assert_eq!(items(&second).len(), 2);
    let first_ids: Vec<i64> = items(&first).iter().map(id).collect();
    let second_ids: Vec<i64> = items(&second).iter().map(id).collect();
    assert!(
        first_ids[0] < first_ids[1] && first_ids[1] < second_ids[0] && second_ids[0] < second_ids[1],
        "ordered by id: {first_ids:?} {second_ids:?}"
    );
    let mut all_ids: Vec<i64> = all.iter().map(id).collect();
    all_ids.sort();
    created.sort();
    assert_eq!(all_ids, created);
    assert_eq!(zero.status, 422, "{}", zero.text());
    assert_eq!(zero.error_field(), "limit");
    assert_eq!(huge.status, 422, "{}", huge.text());
    assert_eq!(items(&stations).len(), 3);
    assert!(items(&stations).iter().all(|o| o["level"] == "station"));
}

#[tokio::test]
async fn malformed_json_is_400_and_a_wrong_method_is_405() {
    let c = Centre::new().await;

    let malformed =
        c.edge.api(Some(&c.admin), "POST", "/api/v1/orgs", &[("content-type", "application/json")], None).await;
    let broken = c
        .edge
        .request(
            "POST",
            "/api/v1/orgs",
            &[("authorization", &format!("Bearer {}", c.admin)), ("content-type", "application/json")],
            b"{\"parent_id\": 1, \"name\": ".to_vec(),
        )
        .await;
    let wrong_method = c.edge.api(Some(&c.admin), "PUT", "/api/v1/orgs", &[], None).await;

    assert_eq!(malformed.status, 400, "an empty body: {}", malformed.text());
    assert_eq!(broken.status, 400, "{}", broken.text());
    assert!(broken.json()["error"]["code"].is_string());
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.text());
    let allow = wrong_method.header("allow").expect("405 names the allowed methods");
    assert!(allow.contains("GET") && allow.contains("POST"), "Allow: {allow}");
    assert_eq!(row_count(&c.edge.db_path(), "orgs"), 1);
}

// ---- Subtree isolation ----------------------------------------------------------------------

#[tokio::test]
async fn a_station_admin_cannot_see_or_change_another_station() {
    let w = County::new().await;
    let (a, b) = (w.a, w.b);
    let (_, station_admin) =
        w.edge.create_staff(&w.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", a).await;

    let read_b = w.edge.get_as(&station_admin, &format!("/api/v1/orgs/{b}")).await;
    let read_a = w.edge.get_as(&station_admin, &format!("/api/v1/orgs/{a}")).await;
    let rename_b =
        w.edge.patch_as(&station_admin, &format!("/api/v1/orgs/{b}"), &json!({ "name": "被改名的站" })).await;
    let under_b = w
        .edge
        .post_as(&station_admin, "/api/v1/orgs", &json!({ "parent_id": b, "name": "越权实践点", "level": "point" }))
        .await;
    let deactivate_b = w.edge.post_empty_as(&station_admin, &format!("/api/v1/orgs/{b}/deactivate")).await;
    let tree_b = w.edge.get_as(&station_admin, &format!("/api/v1/orgs/tree?under={b}")).await;
    let under_a = w
        .edge
        .post_as(&station_admin, "/api/v1/orgs", &json!({ "parent_id": a, "name": "东街小学实践点", "level": "point" }))
        .await;

    assert_eq!(read_b.status, 404, "another station is not visible: {}", read_b.text());
    assert_eq!(read_a.status, 200, "{}", read_a.text());
    assert!([403, 404].contains(&rename_b.status), "{}", rename_b.text());
    assert!([403, 404].contains(&under_b.status), "{}", under_b.text());
    assert!([403, 404].contains(&deactivate_b.status), "{}", deactivate_b.text());
    assert_eq!(tree_b.status, 404, "{}", tree_b.text());
    assert_eq!(under_a.status, 201, "their own station is theirs to manage: {}", under_a.text());
    assert_eq!(
        scalar::<String>(&w.edge, "SELECT name FROM orgs WHERE id = ?1", [b]),
        "西街社区实践站",
        "B is unchanged"
    );
    assert_eq!(count(&w.edge, "SELECT active FROM orgs WHERE id = ?1", [b]), 1);
    assert_eq!(count(&w.edge, "SELECT count(*) FROM orgs WHERE parent_id = ?1", [b]), 0);
    // The institute above A is not theirs either.
    let rename_up = w
        .edge
        .patch_as(&station_admin, &format!("/api/v1/orgs/{}", w.institute), &json!({ "name": "被改名的所" }))
        .await;
    assert!([403, 404].contains(&rename_up.status), "{}", rename_up.text());
    assert_eq!(
        scalar::<String>(&w.edge, "SELECT name FROM orgs WHERE id = ?1", [w.institute]),
        "城关镇新时代文明实践所"
    );
}

#[tokio::test]
async fn a_station_admin_lists_only_their_own_subtree() {
    let w = County::new().await;
    let (a, b) = (w.a, w.b);
    let point_a = id(&w.edge.create_org(&w.admin, a, "东街小学实践点", "point").await);
    let point_b = id(&w.edge.create_org(&w.admin, b, "西街小学实践点", "point").await);
    let (_, station_admin) =
        w.edge.create_staff(&w.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", a).await;

    let listed = w.edge.all_pages(&station_admin, "/api/v1/orgs").await;
    let tree = w.edge.get_as(&station_admin, &format!("/api/v1/orgs/tree?under={a}")).await;
    let search = w.edge.all_pages(&station_admin, "/api/v1/orgs?q=%E8%A5%BF%E8%A1%97").await; // q=西街

    let ids: HashSet<i64> = listed.iter().map(id).collect();
    assert_eq!(ids, HashSet::from([a, point_a]), "only A's subtree: {listed:?}");
    let a_path: String = scalar(&w, "SELECT path FROM orgs WHERE id = ?1", [a]);
    assert!(listed.iter().all(|o| o["path"].as_str().unwrap().starts_with(&a_path)));
    assert!(!ids.contains(&point_b) && !ids.contains(&b) && !ids.contains(&w.institute));
    assert_eq!(tree.status, 200, "{}", tree.text());
    assert_eq!(child_ids(find_node(&tree.json(), a).expect("A in its tree")), vec![point_a]);
    assert!(search.is_empty(), "a search does not reach B: {search:?}");
}

#[tokio::test]
async fn a_station_admin_cannot_grant_roles_at_another_station() {
    let w = County::new().await;
    let (a, b) = (w.a, w.b);
    let (_, station_admin) =
        w.edge.create_staff(&w.admin, "东街站长", "13600000001", "station-a-pw", "station-admin", a).await;
    let helper = w
        .edge
        .post_as(
            &station_admin,
            "/api/v1/accounts",
            &json!({ "name": "东街干事", "phone": "13600000002", "password": "helper-pw-123" }),
        )
        .await;
    assert_eq!(helper.status, 201, "manage-accounts at A lets them create accounts: {}", helper.text());
    let helper = id(&helper.json());

    let at_b = w
        .edge
        .post_as(
            &station_admin,
            &format!("/api/v1/accounts/{helper}/roles"),
            &json!({ "role": "station-admin", "org_id": b }),
        )
        .await;
    let at_institute = w
        .edge
        .post_as(
            &station_admin,
            &format!("/api/v1/accounts/{helper}/roles"),
            &json!({ "role": "institute-admin", "org_id": w.institute }),
        )
        .await;
    let at_a = w
        .edge
        .post_as(
            &station_admin,
            &format!("/api/v1/accounts/{helper}/roles"),
            &json!({ "role": "auditor", "org_id": a }),
        )
        .await;
    let outbox = w.edge.get_as(&station_admin, "/api/v1/outbox").await;

    assert!([403, 404].contains(&at_b.status), "{}", at_b.text());
    assert!([403, 404].contains(&at_institute.status), "{}", at_institute.text());
    assert_eq!(at_a.status, 201, "{}", at_a.text());
    assert_eq!(count(&w.edge, "SELECT count(*) FROM role_grants WHERE org_id = ?1", [b]), 0);
    assert_eq!(count(&w.edge, "SELECT count(*) FROM role_grants WHERE account_id = ?1", [helper]), 1);
    assert_eq!(outbox.status, 403, "read-outbox is the centre admin's: {}", outbox.text());
}

#[tokio::test]
async fn a_station_admin_cannot_take_on_staff_of_another_station_to_read_their_names() {
    // Arrange: admins at A and at B; a citizen who signed in once by SMS.
    let w = County::new().await;
    let (a, b) = (w.a, w.b);
    let edge = &w.edge;
    let (_, admin_a) = edge.create_staff(&w.admin, "东街站长", "13600000011", "station-a-pw", "station-admin", a).await;
    let (staff_b, _) = edge.create_staff(&w.admin, "西街站长", "13600000012", "station-b-pw", "station-admin", b).await;
    let citizen = edge.session_by_code(&w.admin, "13600000013").await["account"]["id"].as_i64().unwrap();
    let admin_a = admin_a.as_str();
    let grant = |account: i64| async move {
        edge.post_as(admin_a, &format!("/api/v1/accounts/{account}/roles"), &json!({ "role": "auditor", "org_id": a }))
            .await
    };

    // Act
    let taken = grant(staff_b).await;
    let read = edge.get_as(admin_a, &format!("/api/v1/accounts/{staff_b}")).await;
    let recruited = grant(citizen).await;

    // Assert: B's admin stays out of A's reach and lists; a citizen may be recruited.
    assert_eq!(taken.status, 404, "{}", taken.text());
    assert!(!taken.text().contains("西街站长"), "{}", taken.text());
    assert_eq!(read.status, 404, "{}", read.text());
    assert_eq!(count(edge, "SELECT count(*) FROM role_grants WHERE account_id = ?1", [staff_b]), 1);
    assert_eq!(recruited.status, 201, "{}", recruited.text());
    assert_eq!(count(edge, "SELECT count(*) FROM role_grants WHERE account_id = ?1 AND org_id = ?2", [citizen, a]), 1);
}

// ---- Accounts and roles ---------------------------------------------------------------------

#[tokio::test]
async fn admin_roles_are_granted_only_at_their_own_level() {
    let w = County::new().await;
    let (a, edge, admin) = (w.a, &w.edge, &w.admin);
    let account = edge
        .post_as(
            admin,
            "/api/v1/accounts",
            &json!({ "name": "王站长", "phone": "13600000003", "password": "wang-pw-1234" }),
        )
        .await;
    let account = id(&account.json());
    let grant = |role: &'static str, org: i64| async move {
        edge.post_as(admin, &format!("/api/v1/accounts/{account}/roles"), &json!({ "role": role, "org_id": org })).await
    };

    let centre_at_station = grant("centre-admin", a).await;
    let institute_at_station = grant("institute-admin", a).await;
    let station_at_institute = grant("station-admin", w.institute).await;
    let station_at_centre = grant("station-admin", w.centre).await;
    let unknown_role = grant("emperor", a).await;
    let station_at_station = grant("station-admin", a).await;

    for (what, reply) in [
        ("centre-admin at a station", &centre_at_station),
        ("institute-admin at a station", &institute_at_station),
        ("station-admin at an institute", &station_at_institute),
        ("station-admin at a centre", &station_at_centre),
        ("an unknown role", &unknown_role),
    ] {
        assert_eq!(reply.status, 422, "{what}: {}", reply.text());
        assert_eq!(reply.error_field(), "role", "{what}: {}", reply.text());
    }
    assert_eq!(station_at_station.status, 201, "{}", station_at_station.text());
    let roles: Vec<(String, i64)> = open_db(&edge.db_path())
        .prepare("SELECT role, org_id FROM role_grants WHERE account_id = ?1")
        .unwrap()
        .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(roles, vec![("station-admin".to_owned(), a)]);
}

#[tokio::test]
async fn a_phone_has_one_account_and_account_lists_mask_it() {
    let c = Centre::new().await;

    let first = c
        .edge
        .post_as(
            &c.admin,
            "/api/v1/accounts",
            &json!({ "name": "李干事", "phone": "13600000004", "password": "li-pw-12345" }),
        )
        .await;
    let again =
        c.edge.post_as(&c.admin, "/api/v1/accounts", &json!({ "name": "另一个李干事", "phone": "13600000004" })).await;
    let bad_phone =
        c.edge.post_as(&c.admin, "/api/v1/accounts", &json!({ "name": "无效号码", "phone": "02012345678" })).await;
    let account = id(&first.json());
    c.edge
        .post_as(
            &c.admin,
            &format!("/api/v1/accounts/{account}/roles"),
            &json!({ "role": "auditor", "org_id": c.centre }),
        )
        .await;
    let listed = c.edge.get_as(&c.admin, &format!("/api/v1/accounts?org={}", c.centre)).await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["phone"], "136****0004", "masked in the answer");
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error_code(), "phone_taken");
    assert_eq!(bad_phone.status, 422, "{}", bad_phone.text());
    assert_eq!(bad_phone.error_field(), "phone");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM accounts WHERE phone = '13600000004'", []), 1);
    assert_eq!(listed.status, 200, "{}", listed.text());
    let text = listed.text();
    assert!(text.contains("136****0004"), "{text}");
    assert!(!text.contains("13600000004") && !text.contains(CENTRE_ADMIN_PHONE), "phones masked: {text}");
}

// ---- Audit ----------------------------------------------------------------------------------

#[tokio::test]
async fn the_centre_admins_writes_are_audited_with_actor_and_before_and_after() {
    let c = Centre::new().await;
    let institute = id(&c.edge.create_org(&c.admin, c.centre, "城关镇实践所", "institute").await);
    c.edge.patch_as(&c.admin, &format!("/api/v1/orgs/{institute}"), &json!({ "name": "城关镇新时代文明实践所" })).await;
    let (staff, _) = c.edge.create_staff(&c.admin, "审计员", "13600000005", "auditor-pw-1", "auditor", c.centre).await;

    let entries = c.edge.all_pages(&c.admin, "/api/v1/audit").await;
    let renames = c.edge.get_as(&c.admin, "/api/v1/audit?action=org.rename").await;

    let find = |action: &str, entity: i64| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["entity_id"].as_i64() == Some(entity))
            .unwrap_or_else(|| panic!("no {action} of {entity} in {entries:?}"))
    };
    let create = find("org.create", institute);
    assert_eq!(actor_of(create), Some(c.admin_id), "{create}");
    assert!(audit_json(create, "before").is_null(), "{create}");
    assert_eq!(audit_json(create, "after")["name"], "城关镇实践所", "{create}");
    let rename = find("org.rename", institute);
    assert_eq!(actor_of(rename), Some(c.admin_id), "{rename}");
    assert_eq!(audit_json(rename, "before")["name"], "城关镇实践所", "{rename}");
    assert_eq!(audit_json(rename, "after")["name"], "城关镇新时代文明实践所", "{rename}");
    let account = find("account.create", staff);
    assert_eq!(actor_of(account), Some(c.admin_id));
    assert!(entries.iter().any(|e| e["action"] == "role.grant"), "{entries:?}");
    assert_eq!(renames.status, 200);
    assert!(items(&renames.json()).iter().all(|e| e["action"] == "org.rename"));
    assert_eq!(items(&renames.json()).len(), 1);
    // Personal data is masked in the log itself.
    let raw: Vec<String> = open_db(&c.edge.db_path())
        .prepare("SELECT coalesce(before, '') || coalesce(after, '') FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(raw.iter().all(|t| !t.contains("13600000005")), "the phone is masked in the audit log: {raw:?}");
    assert!(raw.iter().all(|t| !t.contains("auditor-pw-1")));
}

#[tokio::test]
async fn an_auditor_reads_the_audit_log_and_a_station_admin_cannot() {
    let w = County::new().await;
    let (_, auditor) =
        w.edge.create_staff(&w.admin, "审计员", "13600000006", "auditor-pw-1", "auditor", w.centre).await;
    let (_, station_admin) =
        w.edge.create_staff(&w.admin, "东街站长", "13600000007", "station-a-pw", "station-admin", w.a).await;

    let by_auditor = w.edge.get_as(&auditor, "/api/v1/audit").await;
    let by_station_admin = w.edge.get_as(&station_admin, "/api/v1/audit").await;
    let auditor_writes = w
        .edge
        .post_as(
            &auditor,
            "/api/v1/orgs",
            &json!({ "parent_id": w.institute, "name": "审计员建的站", "level": "station" }),
        )
        .await;

    assert_eq!(by_auditor.status, 200, "{}", by_auditor.text());
    let seen = by_auditor.json();
    assert!(items(&seen).iter().any(|e| e["action"] == "org.create"), "{seen}");
    assert_eq!(by_station_admin.status, 403, "{}", by_station_admin.text());
    assert_eq!(auditor_writes.status, 403, "an auditor only reads: {}", auditor_writes.text());
    assert_eq!(count(&w.edge, "SELECT count(*) FROM orgs WHERE name = '审计员建的站'", []), 0);
}

// ---- Idempotency ----------------------------------------------------------------------------

#[tokio::test]
async fn the_same_idempotency_key_creates_one_org_and_replays_the_answer() {
    let c = Centre::new().await;
    let body = json!({ "parent_id": c.centre, "name": "城关镇新时代文明实践所", "level": "institute" });
    let post = |key: &'static str| {
        let (edge, admin, body) = (&c.edge, &c.admin, &body);
        async move { edge.api(Some(admin), "POST", "/api/v1/orgs", &[("Idempotency-Key", key)], Some(body)).await }
    };

    let first = post("create-chengguan-1").await;
    let retry = post("create-chengguan-1").await;
    let other_key = post("create-chengguan-2").await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(retry.status, 201, "the saved answer: {}", retry.text());
    assert_eq!(first.json(), retry.json(), "the same response");
    assert_eq!(other_key.status, 409, "a new key is a new request: {}", other_key.text());
    assert_eq!(other_key.error_code(), "name_taken");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM orgs WHERE name = '城关镇新时代文明实践所'", []), 1, "one org");
    assert_eq!(count(&c.edge, "SELECT count(*) FROM audit_log WHERE action = 'org.create'", []), 1, "audited once");
}

// ---- Demo data ------------------------------------------------------------------------------

#[tokio::test]
async fn the_demo_county_signs_in_and_is_big_enough_and_believable() {
    let edge = start_product_with_demo();

    let institute_admin = edge.try_sign_in(DEMO_INSTITUTE_ADMIN_PHONE, DEMO_INSTITUTE_ADMIN_PASSWORD).await;
    let centre_admin = edge.try_sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    let again = wenming_tests::bootstrap_demo(edge.state_dir.path());

    assert_eq!(institute_admin.status, 201, "README's demo credentials: {}", institute_admin.text());
    let session = institute_admin.json();
    assert!(
        session["account"]["roles"].as_array().unwrap().iter().any(|r| r["role"] == "institute-admin"),
        "{session}"
    );
    assert_eq!(centre_admin.status, 201, "the bootstrapped centre admin still signs in");
    assert!(!again.success(), "seeding twice is refused: {}", again.output());
    assert!(again.output().contains("409"), "{}", again.output());

    let db = open_db(&edge.db_path());
    let stations: i64 =
        db.query_row("SELECT count(*) FROM orgs WHERE level = 'station' AND active = 1", [], |r| r.get(0)).unwrap();
    assert!(stations >= 12, "{stations} stations");
    let mut stmt = db.prepare("SELECT id_number, birth_date, gender, phone, volunteer_no FROM volunteers").unwrap();
    let volunteers: Vec<(String, String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(volunteers.len() >= 300, "{} volunteers", volunteers.len());
    for (id_number, birth_date, gender, phone, volunteer_no) in &volunteers {
        let parsed = ResidentId::parse(id_number).unwrap_or_else(|e| panic!("{id_number}: {e}"));
        assert_eq!(parsed.as_str(), id_number, "stored as the canonical 18 characters");
        assert_eq!(&parsed.birth_date().to_string(), birth_date, "{id_number} vs {birth_date}");
        assert_eq!(parsed.gender().as_str(), gender, "{id_number} vs {gender}");
        assert!(is_mobile(phone), "{phone}");
        assert!(
            volunteer_no.len() == 12
                && volunteer_no.starts_with("WM")
                && volunteer_no[2..].bytes().all(|b| b.is_ascii_digit()),
            "{volunteer_no}"
        );
    }
    let distinct_ids: HashSet<&String> = volunteers.iter().map(|v| &v.0).collect();
    assert_eq!(distinct_ids.len(), volunteers.len());

    // Every README login works, and every workflow step has something to show.
    for n in 2..=5 {
        let (phone, password) = (format!("1380000000{n}"), format!("wenming-demo-{n}"));
        let reply = edge.try_sign_in(&phone, &password).await;
        assert_eq!(reply.status, 201, "README login {phone}: {}", reply.text());
    }
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}")) };
    let statuses = count("SELECT count(DISTINCT status) FROM demands");
    assert!(statuses >= 10, "orders in (nearly) every state: {statuses} states");
    for (what, sql, at_least) in [
        ("approved activities", "SELECT count(*) FROM activities WHERE status = 'approved'", 3),
        ("confirmed hours", "SELECT count(*) FROM attendances WHERE confirmed_at IS NOT NULL", 10),
        ("survey answers", "SELECT count(*) FROM survey_responses", 60),
        ("work evaluations", "SELECT count(*) FROM eval_work_evaluations", 4),
        ("thematic grades", "SELECT count(*) FROM eval_thematic_grades", 3),
        ("ratings", "SELECT count(*) FROM eval_ratings", 5),
        ("catalogue items", "SELECT count(*) FROM reward_items", 5),
        ("redemptions", "SELECT count(*) FROM redemptions", 3),
        ("honours", "SELECT count(*) FROM honours", 1),
        ("star levels", "SELECT count(*) FROM star_levels", 1),
    ] {
        let n = count(sql);
        assert!(n >= at_least, "demo {what}: {n} (at least {at_least})");
    }
}

#[tokio::test]
async fn an_sms_code_is_no_way_around_a_staff_password_or_its_lock() {
    // Arrange: the centre admin has a password; someone holding the phone asks for a code.
    let edge = start_product();
    let admin = edge.sign_in(CENTRE_ADMIN_PHONE, CENTRE_ADMIN_PASSWORD).await;
    let sessions_before = row_count(&edge.db_path(), "sessions");
    let code_sign_in = |code: String| {
        let edge = &edge;
        async move {
            edge.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": CENTRE_ADMIN_PHONE, "code": code })))
                .await
        }
    };
    let asked = edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": CENTRE_ADMIN_PHONE }))).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    let code = edge.latest_sign_in_code(&admin, CENTRE_ADMIN_PHONE).await;

    // Act: the right code for an account with a password.
    let by_code = code_sign_in(code.clone()).await;
    let again = code_sign_in(code).await;

    // Assert: refused, no session made, and the code is spent.
    assert_eq!(by_code.status, 401, "{}", by_code.text());
    assert!(by_code.text().contains("password"), "{}", by_code.text());
    assert_eq!(again.status, 401, "{}", again.text());
    assert_eq!(row_count(&edge.db_path(), "sessions"), sessions_before, "no session from a code");

    // Arrange: the account is locked by wrong passwords; a new code is sent (after the interval).
    for _ in 0..5 {
        edge.try_sign_in(CENTRE_ADMIN_PHONE, "guessing-wrong").await;
    }
    let db = rusqlite::Connection::open(edge.db_path()).unwrap();
    db.execute("UPDATE sms_codes SET created_at = created_at - 3600 WHERE phone = ?1", [CENTRE_ADMIN_PHONE]).unwrap();
    let asked = edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": CENTRE_ADMIN_PHONE }))).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    let code = edge.latest_sign_in_code(&admin, CENTRE_ADMIN_PHONE).await;

    // Act
    let locked = code_sign_in(code).await;

    // Assert: the lock holds against a code too.
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert_eq!(row_count(&edge.db_path(), "sessions"), sessions_before);
}
