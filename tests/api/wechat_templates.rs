//! Template messages (模板消息) as a notify channel, against the fake WeChat server
//! (`message/template/send` checks the token, that `touser` follows the account, the template id
//! and the data's keys and shape): staff give a message kind its template; a notice to a person
//! who bound WeChat goes by template first, through the delivery queue; WeChat's refusal (43004)
//! or its failed report (TEMPLATESENDJOBFINISH) sends the notice by SMS instead, once; an
//! expired token is refreshed once however many sends need it at the same time.

use serde_json::json;
use sha1::{Digest, Sha1};
use wenming_tests::{
    count, product_launch, scalar, unix_now, with_jobs, Edge, FakeWechat, Json, Reply, WechatCall, SCHEDULER_TOKEN,
};

use crate::wechat_sign_in::{as_browser, bind_by_code, AUTHORIZE, BASE, FOLLOWER};

const WECHAT_TOKEN: &str = "wm_callback_token_42";
const TEMPLATE_ID: &str = "Xk9_order_received_Tpl01";
const PHONE: &str = "13700002222";

fn account(fake: &FakeWechat) -> Edge {
    let mut launch = with_jobs(product_launch(false))
        .env("SPIN_VARIABLE_PUBLIC_BASE_URL", BASE)
        .env("SPIN_VARIABLE_WECHAT_OAUTH_BASE", AUTHORIZE)
        .env("SPIN_VARIABLE_WECHAT_TOKEN", WECHAT_TOKEN)
        .env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true");
    for (name, value) in fake.variables() {
        launch = launch.env(name, value);
    }
    launch.start()
}

fn the_template() -> Json {
    json!({
        "template_id": TEMPLATE_ID,
        "fields": [
            { "key": "character_string1", "param": "order_id" },
            { "key": "thing2", "param": "service" },
            { "key": "time3", "param": "deadline" },
        ],
    })
}

/// A bound follower with a template for `order-received`, and a station to order at.
struct Setup {
    fake: FakeWechat,
    edge: Edge,
    admin: String,
    station: i64,
    item: i64,
    /// The bound citizen's browser (the binding's answer: cookie and CSRF token).
    person: Reply,
}

async fn setup() -> Setup {
    let fake = FakeWechat::start();
    fake.follow(FOLLOWER);
    fake.add_template(TEMPLATE_ID, &["character_string1", "thing2", "time3"]);
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let bound = bind_by_code(&edge, &fake, &admin, FOLLOWER, PHONE).await;
    assert_eq!(bound.status, 201, "{}", bound.text());
    let put =
        edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&the_template())).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let centre = edge.get_as(&admin, "/api/v1/me").await.json()["roles"][0]["org_id"].as_i64().unwrap();
    let institute =
        edge.create_org(&admin, centre, "城关镇新时代文明实践所", "institute").await["id"].as_i64().unwrap();
    let station =
        edge.create_org(&admin, institute, "东关社区新时代文明实践站", "station").await["id"].as_i64().unwrap();
    let item = json!({
        "centre_org_id": centre, "category": "助老", "name": "上门陪护", "kind": "welfare",
        "deadline_normal_s": 86400, "deadline_urgent_s": 14400, "deadline_critical_s": 3600,
    });
    let item = edge.post_as(&admin, "/api/v1/service-menu", &item).await;
    assert_eq!(item.status, 201, "{}", item.text());
    Setup { fake, edge, admin, station, item: item.json()["id"].as_i64().unwrap(), person: bound }
}

impl Setup {
    /// The centre admin orders for the bound citizen (by phone): notify queues `order-received`
    /// to them. The order's id.
    async fn order_for_citizen(&self, description: &str) -> i64 {
        self.order_item_for_citizen(self.item, description).await
    }

    async fn order_item_for_citizen(&self, item: i64, description: &str) -> i64 {
        let body = json!({
            "menu_item_id": item, "org_id": self.station, "description": description,
            "address": "东街社区12号楼3单元", "latitude": 30.274, "longitude": 120.155, "urgency": "normal",
            "preferred_time": "工作日上午", "contact_name": "张阿姨", "contact_phone": PHONE, "citizen_phone": PHONE,
        });
        let reply = self.edge.post_as(&self.admin, "/api/v1/demands", &body).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["id"].as_i64().unwrap()
    }

    async fn deliver(&self) -> Json {
        self.edge.job_ok("deliver-outbox", unix_now()).await
    }

    fn template_sends(&self) -> Vec<(String, Json)> {
        self.fake
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                WechatCall::TemplateSend { access_token, body } => {
                    Some((access_token, serde_json::from_str(&body).unwrap()))
                }
                _ => None,
            })
            .collect()
    }

    /// WeChat's signed `TEMPLATESENDJOBFINISH` for `msgid`, sent `at`.
    async fn report(&self, msgid: &str, status: &str, at: i64) -> Reply {
        let ts = at.to_string();
        let nonce = "8675309";
        let mut parts = [WECHAT_TOKEN, ts.as_str(), nonce];
        parts.sort_unstable();
        let signature: String = Sha1::digest(parts.concat().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let body = format!(
            "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[{FOLLOWER}]]></FromUserName><CreateTime>{at}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID><Status><![CDATA[{status}]]></Status></xml>"
        );
        let path = format!("/wechat/callback?signature={signature}&timestamp={ts}&nonce={nonce}&openid={FOLLOWER}");
        self.edge.request("POST", &path, &[("content-type", "text/xml")], body).await
    }
}

fn key_of(order: i64) -> String {
    format!("order:{order}:order-received:%")
}

#[tokio::test]
async fn a_notice_goes_by_template_message_first_and_its_report_marks_it_delivered() {
    // Arrange
    let s = setup().await;

    // Act
    let order = s.order_for_citizen("独居老人行动不便，需要志愿者上门帮忙").await;
    let queued = (
        scalar::<String>(&s.edge, "SELECT channel FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]),
        scalar::<String>(&s.edge, "SELECT recipient FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]),
        scalar::<String>(
            &s.edge,
            "SELECT fallback_recipient FROM outbox WHERE idempotency_key LIKE ?1",
            [key_of(order)],
        ),
    );
    let run = s.deliver().await;

    // Assert: queued on the wechat channel to the openid, the phone kept for a fallback; sent
    // with the account's token, the template's data filled from the notice's parameters.
    assert_eq!(queued, ("wechat".into(), FOLLOWER.into(), PHONE.into()));
    assert_eq!(run["wechat_sent"], 1, "{run}");
    let sends = s.template_sends();
    assert_eq!(sends.len(), 1, "{sends:?}");
    let (token, message) = &sends[0];
    assert_eq!(token, "fake-access-token-1-Xq3LpW9s");
    assert_eq!(message["touser"], FOLLOWER);
    assert_eq!(message["template_id"], TEMPLATE_ID);
    assert_eq!(message["data"]["character_string1"]["value"], order.to_string());
    assert_eq!(message["data"]["thing2"]["value"], "上门陪护");
    let key: String =
        scalar(&s.edge, "SELECT idempotency_key FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]);
    assert_eq!(message["client_msg_id"], key.as_str());
    let (status, provider, msgid): (String, String, String) = wenming_tests::open_db(&s.edge.db_path())
        .query_row("SELECT status, provider, provider_ref FROM outbox WHERE idempotency_key = ?1", [&key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((status.as_str(), provider.as_str(), msgid.as_str()), ("sent", "wechat", "200000001"));
    assert_eq!(
        count(&s.edge, "SELECT count(*) FROM outbox WHERE channel = 'sms' AND template = 'order-received'", []),
        0
    );

    // Act / Assert: WeChat's report marks it delivered; an unknown msgid changes nothing.
    let reported = s.report(&msgid, "success", unix_now()).await;
    assert_eq!((reported.status, reported.text()), (200, "success".to_string()));
    assert_eq!(scalar::<String>(&s.edge, "SELECT status FROM outbox WHERE idempotency_key = ?1", [&key]), "delivered");
    let unknown = s.report("999", "failed:user block", unix_now() + 1).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(count(&s.edge, "SELECT count(*) FROM outbox WHERE status = 'failed'", []), 0);
}

#[tokio::test]
async fn a_follower_who_left_gets_the_notice_by_sms_instead_once() {
    // Arrange
    let s = setup().await;
    s.fake.unfollow(FOLLOWER);
    let order = s.order_for_citizen("独居老人行动不便，需要志愿者上门帮忙").await;
    let key: String =
        scalar(&s.edge, "SELECT idempotency_key FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]);

    // Act
    let run = s.deliver().await;
    let again = s.deliver().await;

    // Assert: both attempts' rows — the template message failed with WeChat's 43004, the same
    // notice queued by SMS to the phone under its own key, once.
    assert_eq!(run["fell_back_to_sms"], 1, "{run}");
    assert_eq!(again["claimed"], 0, "{again}");
    let (status, class, error): (String, String, String) = wenming_tests::open_db(&s.edge.db_path())
        .query_row("SELECT status, error_class, last_error FROM outbox WHERE idempotency_key = ?1", [&key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((status.as_str(), class.as_str()), ("failed", "permanent"));
    assert!(error.starts_with("43004"), "{error}");
    let sms_key = format!("{key}:sms");
    assert_eq!(
        count(&s.edge, "SELECT count(*) FROM outbox WHERE idempotency_key = ?1 AND channel = 'sms' AND recipient = ?2 AND template = 'order-received'", [&sms_key, PHONE]),
        1
    );
    let params: String = scalar(&s.edge, "SELECT params FROM outbox WHERE idempotency_key = ?1", [&sms_key]);
    assert!(params.contains(&format!("\"order_id\":\"{order}\"")), "{params}");
    assert_eq!(s.template_sends().len(), 1, "WeChat was asked once");
}

#[tokio::test]
async fn a_failed_report_sends_the_notice_by_sms_once() {
    // Arrange: sent, then WeChat reports the person blocked it.
    let s = setup().await;
    let order = s.order_for_citizen("独居老人行动不便，需要志愿者上门帮忙").await;
    s.deliver().await;
    let key: String =
        scalar(&s.edge, "SELECT idempotency_key FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]);
    let msgid: String = scalar(&s.edge, "SELECT provider_ref FROM outbox WHERE idempotency_key = ?1", [&key]);
    let at = unix_now();

    // Act: the report, WeChat's retry of it (same CreateTime), and another copy a second later.
    let first = s.report(&msgid, "failed:user block", at).await;
    let retry = s.report(&msgid, "failed:user block", at).await;
    let later = s.report(&msgid, "failed:user block", at + 1).await;

    // Assert
    for r in [&first, &retry, &later] {
        assert_eq!((r.status, r.text()), (200, "success".to_string()));
    }
    let (status, error): (String, String) = wenming_tests::open_db(&s.edge.db_path())
        .query_row("SELECT status, last_error FROM outbox WHERE idempotency_key = ?1", [&key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("failed:user block"), "{error}");
    assert_eq!(
        count(
            &s.edge,
            "SELECT count(*) FROM outbox WHERE idempotency_key = ?1 AND recipient = ?2",
            [format!("{key}:sms"), PHONE.to_string()]
        ),
        1
    );
}

#[tokio::test]
async fn a_person_who_chose_sms_and_a_kind_without_a_template_get_sms() {
    // Arrange
    let s = setup().await;
    let centre = s.edge.get_as(&s.admin, "/api/v1/me").await.json()["roles"][0]["org_id"].as_i64().unwrap();
    let meals = json!({
        "centre_org_id": centre, "category": "助老", "name": "代购送餐", "kind": "welfare",
        "deadline_normal_s": 86400, "deadline_urgent_s": 14400, "deadline_critical_s": 3600,
    });
    let meals = s.edge.post_as(&s.admin, "/api/v1/service-menu", &meals).await.json()["id"].as_i64().unwrap();

    // Act 1: the kind's template is removed (audited); a notice goes by SMS.
    let deleted = s.edge.delete_as(&s.admin, "/api/v1/wechat/templates/order-received").await;
    let first = s.order_for_citizen("独居老人行动不便，需要志愿者上门帮忙").await;
    // Act 2: the template is back, but the person keeps notices on SMS.
    s.edge.api(Some(&s.admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&the_template())).await;
    let chose =
        as_browser(&s.edge, &s.person, "PUT", "/api/v1/me/notify-channel", Some(&json!({ "channel": "sms" }))).await;
    assert_eq!(chose.status, 200, "{}", chose.text());
    let second = s.order_item_for_citizen(meals, "腿脚不便，需要志愿者帮忙买菜送到家").await;

    // Assert
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(count(&s.edge, "SELECT count(*) FROM audit_log WHERE action = 'wechat-template.delete'", []), 1);
    for order in [first, second] {
        assert_eq!(
            scalar::<String>(&s.edge, "SELECT channel FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]),
            "sms"
        );
        assert_eq!(
            scalar::<String>(&s.edge, "SELECT recipient FROM outbox WHERE idempotency_key LIKE ?1", [key_of(order)]),
            PHONE
        );
    }
}

#[tokio::test]
async fn staff_give_a_kind_its_template_checked_and_audited() {
    // Arrange
    let fake = FakeWechat::start();
    let edge = account(&fake);
    let admin = edge.sign_in_centre_admin().await;
    let citizen = edge.sign_in_by_code(&admin, "13700004444").await;
    let mut unknown_param = the_template();
    unknown_param["fields"][1]["param"] = json!("address");
    let mut bad_key = the_template();
    bad_key["fields"][0]["key"] = json!("Thing 2");
    let mut dup = the_template();
    dup["fields"][2]["key"] = json!("thing2");

    // Act
    let list = edge.get_as(&admin, "/api/v1/wechat/templates").await;
    let refused = [
        edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&unknown_param)).await,
        edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&bad_key)).await,
        edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&dup)).await,
    ];
    let code = edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/sign-in-code", &[], Some(&the_template())).await;
    let by_citizen =
        edge.api(Some(&citizen), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&the_template())).await;
    let stored =
        edge.api(Some(&admin), "PUT", "/api/v1/wechat/templates/order-received", &[], Some(&the_template())).await;

    // Assert
    assert_eq!(list.status, 200, "{}", list.text());
    let items = list.json()["items"].as_array().unwrap().clone();
    let received = items.iter().find(|i| i["kind"] == "order-received").expect("order-received listed");
    assert_eq!(received["params"], json!(["order_id", "service", "deadline"]));
    assert!(received["template_id"].is_null());
    assert!(items.iter().all(|i| i["kind"] != "sign-in-code"), "sign-in codes never go by WeChat");
    let fields: Vec<String> = refused.iter().map(|r| format!("{} {}", r.status, r.error_field())).collect();
    assert_eq!(fields, ["422 fields[1].param", "422 fields[0].key", "422 fields[2].key"]);
    assert_eq!(code.status, 404, "{}", code.text());
    assert_eq!(by_citizen.status, 403, "{}", by_citizen.text());
    assert_eq!(stored.status, 200, "{}", stored.text());
    assert_eq!(
        scalar::<String>(&edge, "SELECT template_id FROM wechat_templates WHERE kind = 'order-received'", []),
        TEMPLATE_ID
    );
    assert_eq!(count(&edge, "SELECT count(*) FROM wechat_templates", []), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action = 'wechat-template.set'", []), 1);
}

#[tokio::test]
async fn twenty_concurrent_sends_refresh_an_expired_token_once() {
    // Arrange: twenty followers each with a queued template message (written straight into the
    // outbox: notify's limits are not what this test is about), and a token WeChat will call
    // expired on first use.
    let s = setup().await;
    s.fake.expire_first_token();
    let now = unix_now();
    let db = wenming_tests::open_db(&s.edge.db_path());
    for i in 0..20 {
        let openid = format!("oWx3f8Kd2Lq9-crowd-{i:02}");
        s.fake.follow(&openid);
        let params = json!({ "order_id": (1000 + i).to_string(), "service": "上门陪护", "deadline": "2026-12-07T09:00:00+08:00" });
        db.execute(
            "INSERT INTO outbox (channel, recipient, template, params, idempotency_key, status, created_at, fallback_recipient)
             VALUES ('wechat', ?1, 'order-received', ?2, ?3, 'queued', ?4, ?5)",
            rusqlite::params![openid, params.to_string(), format!("crowd:{i}"), now, format!("137000100{i:02}")],
        )
        .unwrap();
    }

    // Act: twenty delivery runs at once, one message each.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let url = s.edge.url("/api/v1/jobs/deliver-outbox?limit=1");
        tasks.push(tokio::spawn(async move {
            let reply = reqwest::Client::new().post(url).bearer_auth(SCHEDULER_TOKEN).send().await.expect("sent");
            (reply.status().as_u16(), reply.text().await.unwrap_or_default())
        }));
    }
    let mut runs = Vec::new();
    for task in tasks {
        runs.push(task.await.expect("task"));
    }

    // Assert: every message sent; WeChat's token fetched once and force-refreshed exactly once.
    for (status, body) in &runs {
        assert_eq!(*status, 200, "{body}");
    }
    assert_eq!(
        count(&s.edge, "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'crowd:%' AND status = 'sent'", []),
        20
    );
    let tokens: Vec<bool> = s
        .fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            WechatCall::StableToken { force_refresh } => Some(force_refresh),
            _ => None,
        })
        .collect();
    assert_eq!(tokens, vec![false, true], "one fetch, one forced refresh");
    let accepted: Vec<String> =
        s.template_sends().into_iter().map(|(t, _)| t).filter(|t| t.ends_with("-2-Xq3LpW9s")).collect();
    assert_eq!(accepted.len(), 20, "every message went with the refreshed token");
}
