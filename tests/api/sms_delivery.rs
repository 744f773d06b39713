//! SMS delivery end to end (`components/delivery`, `docs/delivery-api.md`): fake Tencent and
//! Aliyun servers on 127.0.0.1 ([`FakeSms`]) check every request's signature and answer as each
//! test scripts; the product sends sign-in codes at once and other notices with the
//! `deliver-outbox` job, classifies per-number errors, fails over, never sends one message twice
//! (also when a run dies mid-send), and applies delivery receipts once.

use std::time::Duration;

use wenming_tests::{
    count, json, open_db, product_launch, scalar, unix_now, with_jobs, Edge, FakeSms, Flavour, Json, Reply, Script,
    SCHEDULER_TOKEN,
};

const SCHEDULER: &str = SCHEDULER_TOKEN;
const RECEIPTS: &str = "receipt-token-for-tests-abcdef";

/// The product sending through `primary` (and `fallback`), templates given ids, the clock
/// movable, the job and hooks configured.
fn sender(primary: &FakeSms, fallback: Option<&FakeSms>, extra: &[&str]) -> Edge {
    let name = |f: &FakeSms| match f.flavour {
        Flavour::Tencent => "tencent",
        Flavour::Aliyun => "aliyun",
    };
    // The harness's job setup: the token set, the edge's own schedule off (its deliver-outbox
    // run at start-up would otherwise send behind the test's back).
    let mut launch = with_jobs(product_launch(false))
        .env("SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE", "true")
        .env("SPIN_VARIABLE_SMS_RECEIPT_TOKEN", RECEIPTS)
        .env("SPIN_VARIABLE_SMS_PROVIDER", name(primary))
        .args(extra);
    for fake in std::iter::once(primary).chain(fallback) {
        for (k, v) in fake.variables() {
            launch = launch.env(k, v);
        }
    }
    if let Some(f) = fallback {
        launch = launch.env("SPIN_VARIABLE_SMS_FALLBACK_PROVIDER", name(f));
    }
    let edge = launch.start();
    // Each deployment registers its own template ids with the provider; these are the tests'.
    open_db(&edge.db_path()).execute("UPDATE sms_templates SET template_id = provider || '-' || kind", []).unwrap();
    edge
}

/// A notice as notify queues it (the steps that queue them have their own tests).
fn queue_notice(edge: &Edge, phone: &str, key: &str, at: i64) -> i64 {
    let db = open_db(&edge.db_path());
    db.execute(
        "INSERT INTO outbox (channel, recipient, template, params, idempotency_key, status, created_at)
         VALUES ('sms', ?1, 'case-status', '{\"case_no\":\"(2026)调123号\",\"status\":\"已受理\"}', ?2, 'queued', ?3)",
        rusqlite::params![phone, key, at],
    )
    .unwrap();
    db.last_insert_rowid()
}

async fn run_job(edge: &Edge, now: i64) -> Reply {
    let auth = format!("Bearer {SCHEDULER}");
    let now = now.to_string();
    edge.request("POST", "/api/v1/jobs/deliver-outbox", &[("authorization", &auth), ("x-wenming-now", &now)], "").await
}

async fn run_ok(edge: &Edge, now: i64) -> Json {
    let reply = run_job(edge, now).await;
    assert_eq!(reply.status, 200, "deliver-outbox: {}", reply.text());
    reply.json()
}

fn row(edge: &Edge, id: i64) -> (String, Option<String>, Option<String>, i64, Option<String>, i64) {
    open_db(&edge.db_path())
        .query_row(
            "SELECT status, provider, provider_ref, attempts, error_class, next_attempt_at FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap()
}

async fn request_code(edge: &Edge, phone: &str) -> i64 {
    let asked = edge.api(None, "POST", "/api/v1/sms-codes", &[], Some(&json!({ "phone": phone }))).await;
    assert_eq!(asked.status, 202, "{}", asked.text());
    scalar(edge, "SELECT max(id) FROM outbox WHERE recipient = ?1 AND template = 'sign-in-code'", [phone])
}

#[tokio::test]
async fn a_sign_in_code_is_sent_at_once_signed_and_the_person_can_sign_in_with_it() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let edge = sender(&tencent, None, &[]);
    let phone = "13800001111";

    let id = request_code(&edge, phone).await;

    // Sent before the 202 came back, no job run needed.
    let got = tencent.received_for(phone);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].valid, "the fake refused the request: {}", got[0].problem);
    assert_eq!(got[0].phone, "+8613800001111");
    assert_eq!(got[0].template_id, "tencent-sign-in-code");
    assert_eq!(got[0].sign_name, "文明实践");
    assert_eq!(got[0].key, format!("sign-in-code:{}", scalar::<i64>(&edge, "SELECT max(id) FROM sms_codes", [])));
    let (status, provider, serial, attempts, error, _) = row(&edge, id);
    assert_eq!((status.as_str(), provider.as_deref(), attempts, error), ("sent", Some("tencent"), 1, None));
    assert_eq!(serial, got[0].serial);

    // The code that reached the phone signs the person in.
    let code = got[0].params[0].as_str().unwrap().to_string();
    let session = edge.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": phone, "code": code }))).await;
    assert_eq!(session.status, 201, "{}", session.text());

    // A later job run does not send it again.
    let report = run_ok(&edge, unix_now()).await;
    assert_eq!(report["claimed"], 0);
    assert_eq!(tencent.received_for(phone).len(), 1);
}

#[tokio::test]
async fn notices_go_out_with_the_job_run_and_only_the_scheduler_may_run_it() {
    let aliyun = FakeSms::start(Flavour::Aliyun);
    let edge = sender(&aliyun, None, &[]);
    let now = unix_now();
    let id = queue_notice(&edge, "13800002222", "mediation:e1:applicant:13800002222", now);

    // Without the scheduler's token: 403 and nothing runs.
    let refused = edge.request("POST", "/api/v1/jobs/deliver-outbox", &[], "").await;
    assert_eq!((refused.status, refused.error_code().as_str()), (403, "not_scheduler"));
    let wrong = edge.request("POST", "/api/v1/jobs/deliver-outbox", &[("authorization", "Bearer nope")], "").await;
    assert_eq!(wrong.status, 403);
    assert_eq!(row(&edge, id).0, "queued");
    assert!(aliyun.received().is_empty());

    let report = run_ok(&edge, now).await;
    assert_eq!((report["claimed"].as_i64(), report["sent"].as_i64()), (Some(1), Some(1)), "{report}");
    let got = aliyun.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].valid, "the fake refused the request: {}", got[0].problem);
    assert_eq!(got[0].phone, "13800002222");
    assert_eq!(got[0].template_id, "aliyun-case-status");
    assert_eq!(got[0].params, json!({ "case_no": "(2026)调123号", "status": "已受理" }));
    assert_eq!(got[0].key, "mediation:e1:applicant:13800002222");
    let (status, provider, biz_id, ..) = row(&edge, id);
    assert_eq!((status.as_str(), provider.as_deref()), ("sent", Some("aliyun")));
    assert_eq!(biz_id, got[0].serial);

    // Staff see it in the outbox with its delivery state.
    let admin = edge.sign_in_centre_admin().await;
    let outbox = edge.get_as(&admin, "/api/v1/outbox?recipient=13800002222").await.json();
    assert_eq!(outbox["items"][0]["status"], "sent");
    assert_eq!(outbox["items"][0]["provider"], "aliyun");
    assert_eq!(outbox["items"][0]["attempts"], 1);
}

#[tokio::test]
async fn per_number_errors_retry_with_backoff_fail_for_good_or_wait_for_an_operator() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let edge = sender(&tencent, None, &[]);
    let t0 = unix_now();
    tencent.answer("13800000001", &[Script::Refuse("LimitExceeded.PhoneNumberThirtySecondLimit")]);
    tencent.answer("13800000002", &[Script::Refuse("InvalidParameterValue.IncorrectPhoneNumber")]);
    tencent.answer("13800000003", &[Script::Refuse("FailedOperation.TemplateIncorrectOrUnapproved")]);
    let limited = queue_notice(&edge, "13800000001", "k1", t0);
    let invalid = queue_notice(&edge, "13800000002", "k2", t0);
    let unapproved = queue_notice(&edge, "13800000003", "k3", t0);

    let report = run_ok(&edge, t0).await;
    assert_eq!(
        (report["retrying"].as_i64(), report["failed"].as_i64(), report["held_for_operator"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "{report}"
    );
    let r = row(&edge, limited);
    assert_eq!((r.0.as_str(), r.4.as_deref(), r.5), ("queued", Some("retry"), t0 + 30));
    let r = row(&edge, invalid);
    assert_eq!((r.0.as_str(), r.4.as_deref()), ("failed", Some("permanent")));
    let r = row(&edge, unapproved);
    assert_eq!((r.0.as_str(), r.4.as_deref(), r.5), ("queued", Some("alert"), t0 + 3_600));
    let last_error: String = scalar(&edge, "SELECT last_error FROM outbox WHERE id = ?1", [unapproved]);
    assert!(last_error.starts_with("FailedOperation.TemplateIncorrectOrUnapproved"), "{last_error}");

    // Before the backoff ends nothing is sent again.
    let report = run_ok(&edge, t0 + 10).await;
    assert_eq!(report["claimed"], 0);
    assert_eq!(tencent.received().len(), 3);

    // After it, the limited one goes out (second attempt); the failed one never again.
    let report = run_ok(&edge, t0 + 31).await;
    assert_eq!((report["claimed"].as_i64(), report["sent"].as_i64()), (Some(1), Some(1)));
    let r = row(&edge, limited);
    assert_eq!((r.0.as_str(), r.3, r.4), ("sent", 2, None));
    assert_eq!(tencent.received_for("13800000002").len(), 1);
}

#[tokio::test]
async fn the_second_provider_takes_over_when_the_first_fails_as_a_whole() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let aliyun = FakeSms::start(Flavour::Aliyun);
    let edge = sender(&tencent, Some(&aliyun), &[]);
    let t0 = unix_now();
    tencent.answer_all(Script::Outage);
    let id = queue_notice(&edge, "13800003333", "k-failover", t0);

    let report = run_ok(&edge, t0).await;
    assert_eq!((report["sent"].as_i64(), report["failed_over"].as_i64()), (Some(1), Some(1)), "{report}");
    assert_eq!(tencent.received().len(), 1);
    assert_eq!(aliyun.received().len(), 1);
    assert!(aliyun.received()[0].valid, "{}", aliyun.received()[0].problem);
    let (status, provider, biz, ..) = row(&edge, id);
    assert_eq!((status.as_str(), provider.as_deref()), ("sent", Some("aliyun")));
    assert_eq!(biz, aliyun.received()[0].serial);

    // Both down: the message waits with backoff and the reason, and is sent by neither.
    aliyun.answer_all(Script::Error("isp.SYSTEM_ERROR"));
    let id = queue_notice(&edge, "13800004444", "k-both-down", t0);
    run_ok(&edge, t0).await;
    let r = row(&edge, id);
    assert_eq!((r.0.as_str(), r.4.as_deref(), r.5), ("queued", Some("retry"), t0 + 60));
}

#[tokio::test]
async fn a_run_that_dies_after_the_provider_took_the_message_never_sends_it_again() {
    let aliyun = FakeSms::start(Flavour::Aliyun);
    // The provider answers after the edge has given up on the run (request timeout 2 s).
    let edge = sender(&aliyun, None, &["--request-timeout", "2s"]);
    let t0 = unix_now();
    aliyun.answer("13800005555", &[Script::Hang(Duration::from_secs(4))]);
    let id = queue_notice(&edge, "13800005555", "k-crash", t0);
    let next = queue_notice(&edge, "13800005556", "k-after-crash", t0);

    let died = run_job(&edge, t0).await;
    assert_ne!(died.status, 200, "the run should have been cut off: {}", died.text());
    assert_eq!(aliyun.received().len(), 1, "the provider got the message");
    let (status, provider, reference, ..) = row(&edge, id);
    assert_eq!((status.as_str(), provider, reference), ("sending", None, None));
    // Only the message in flight is in doubt: the next one was never claimed.
    assert_eq!(row(&edge, next).0, "queued");

    // Runs before and after the lease: never sent again; after it, failed with the outcome unknown.
    let report = run_ok(&edge, t0 + 5).await;
    assert_eq!((report["claimed"].as_i64(), report["sent"].as_i64()), (Some(1), Some(1)), "{report}");
    assert_eq!(row(&edge, next).0, "sent");
    let report = run_ok(&edge, t0 + 601).await;
    assert_eq!(report["lease_expired"], 1, "{report}");
    run_ok(&edge, t0 + 10_000).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(aliyun.received_for("13800005555").len(), 1, "sent twice");
    let r = row(&edge, id);
    assert_eq!((r.0.as_str(), r.4.as_deref()), ("failed", Some("unknown")));

    // The provider's receipt names our key (OutId): it settles the message.
    let biz = aliyun.received()[0].serial.clone().unwrap();
    let receipt = json!([{ "phone_number": "13800005555", "send_time": "2026-12-06 10:00:00",
        "report_time": "2026-12-06 10:00:05", "success": true, "err_code": "DELIVERED", "err_msg": "用户接收成功",
        "sms_size": "1", "biz_id": biz, "out_id": "k-crash" }]);
    let reply = edge.request("POST", &format!("/hooks/sms/aliyun/{RECEIPTS}"), &[], receipt.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "code": 0, "msg": "成功" }));
    let (status, provider, reference, ..) = row(&edge, id);
    assert_eq!((status.as_str(), provider.as_deref(), reference), ("delivered", Some("aliyun"), Some(biz)));
}

#[tokio::test]
async fn receipts_are_applied_once_and_bad_ones_change_nothing() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let edge = sender(&tencent, None, &[]);
    let id = request_code(&edge, "13800006666").await;
    let serial = tencent.received_for("13800006666")[0].serial.clone().unwrap();
    let receipt = |sid: &str, status: &str| {
        json!({ "user_receive_time": "2026-12-06 10:00:05", "nationcode": "86", "mobile": "13800006666",
            "report_status": status, "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": sid })
    };
    let batch = json!([receipt(&serial, "SUCCESS"), receipt("never-sent-serial", "SUCCESS")]).to_string();

    // A wrong token: 404, and the batch is not looked at.
    let wrong = edge.request("POST", "/hooks/sms/tencent/not-the-token", &[], batch.clone()).await;
    assert_eq!(wrong.status, 404);
    let unknown = edge.request("POST", &format!("/hooks/sms/unknown/{RECEIPTS}"), &[], batch.clone()).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_receipts", []), 0);
    assert_eq!(row(&edge, id).0, "sent");

    // Malformed: 400, nothing changes — not even the well-formed receipt beside the bad one.
    let path = format!("/hooks/sms/tencent/{RECEIPTS}");
    for bad in [
        "{}".to_string(),
        "not json".to_string(),
        json!([receipt(&serial, "SUCCESS"), { "report_status": "SUCCESS" }]).to_string(),
        json!([receipt(&serial, "MAYBE")]).to_string(),
        json!([receipt("", "SUCCESS")]).to_string(),
    ] {
        let reply = edge.request("POST", &path, &[], bad.clone()).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
        assert_eq!(count(&edge, "SELECT count(*) FROM sms_receipts", []), 0);
        assert_eq!(row(&edge, id).0, "sent");
    }

    // Applied: delivered; the unknown serial is recorded unmatched and answered success.
    let reply = edge.request("POST", &path, &[], batch.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({ "result": 0, "errmsg": "OK" }));
    assert_eq!(row(&edge, id).0, "delivered");
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_receipts WHERE outbox_id = ?1", [id]), 1);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_receipts WHERE outbox_id IS NULL", []), 1);
    let delivered_at: i64 = scalar(&edge, "SELECT delivered_at FROM outbox WHERE id = ?1", [id]);

    // Pushed again (or a late FAIL for the same serial): answered the same, nothing changes.
    let again = edge.request("POST", &path, &[], batch).await;
    assert_eq!(again.status, 200);
    let late_fail = json!([receipt(&serial, "FAIL")]).to_string();
    assert_eq!(edge.request("POST", &path, &[], late_fail).await.status, 200);
    assert_eq!(count(&edge, "SELECT count(*) FROM sms_receipts", []), 2);
    assert_eq!(row(&edge, id).0, "delivered");
    assert_eq!(scalar::<i64>(&edge, "SELECT delivered_at FROM outbox WHERE id = ?1", [id]), delivered_at);
}

#[tokio::test]
async fn with_no_provider_nothing_leaves_and_codes_stay_readable_for_admins() {
    let edge = with_jobs(product_launch(false)).start();
    let id = request_code(&edge, "13800007777").await;
    let report = run_ok(&edge, unix_now()).await;
    assert_eq!((report["provider"].as_str(), report["claimed"].as_i64()), (Some("none"), Some(0)));
    assert_eq!(row(&edge, id).0, "queued");
    let admin = edge.sign_in_centre_admin().await;
    assert_eq!(edge.latest_sign_in_code(&admin, "13800007777").await.len(), 6);
    // No receipt token configured: the hooks do not exist.
    let reply = edge.request("POST", "/hooks/sms/tencent/", &[], "[]").await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn a_request_signed_with_the_wrong_secret_is_refused_by_the_provider_and_waits_for_an_operator() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let mut wrong = tencent.clone();
    wrong.key_secret = "not-the-secret".into();
    // The deployment's secret differs from the provider's: every signature fails.
    let edge = sender(&wrong, None, &[]);
    let t0 = unix_now();
    let id = queue_notice(&edge, "13800008888", "k-wrong-key", t0);

    let report = run_ok(&edge, t0).await;
    assert_eq!(report["held_for_operator"], 1, "{report}");
    let got = tencent.received();
    assert_eq!(got.len(), 1);
    assert!(!got[0].valid && got[0].problem.contains("signature"), "{got:?}");
    let r = row(&edge, id);
    assert_eq!((r.0.as_str(), r.4.as_deref()), ("queued", Some("alert")));
    let last_error: String = scalar(&edge, "SELECT last_error FROM outbox WHERE id = ?1", [id]);
    assert!(last_error.starts_with("AuthFailure.SignatureFailure"), "{last_error}");
}

#[tokio::test]
async fn staff_set_template_ids_and_see_delivery_counts() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let edge = sender(&tencent, None, &[]);
    let admin = edge.sign_in_centre_admin().await;

    // The default set lists every kind with its parameters in order.
    let list = edge.get_as(&admin, "/api/v1/sms-templates").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let items = list.json()["items"].as_array().unwrap().clone();
    let code = items.iter().find(|t| t["provider"] == "tencent" && t["kind"] == "sign-in-code").unwrap();
    assert_eq!(code["params"], json!(["code"]));

    // Bad input: 422 naming the field, nothing written.
    for (body, field) in [
        (json!({ "template_id": "", "params": ["code"] }), "template_id"),
        (json!({ "template_id": "12 34", "params": ["code"] }), "template_id"),
        (json!({ "template_id": "1234" }), "params"),
        (json!({ "template_id": "1234", "params": "code" }), "params"),
    ] {
        let reply = edge.api(Some(&admin), "PUT", "/api/v1/sms-templates/tencent/sign-in-code", &[], Some(&body)).await;
        assert_eq!((reply.status, reply.error_field()), (422, field.to_string()), "{body}: {}", reply.text());
    }
    let unknown = edge
        .api(
            Some(&admin),
            "PUT",
            "/api/v1/sms-templates/huawei/sign-in-code",
            &[],
            Some(&json!({ "template_id": "1", "params": [] })),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        scalar::<String>(
            &edge,
            "SELECT template_id FROM sms_templates WHERE provider = 'tencent' AND kind = 'sign-in-code'",
            []
        ),
        "tencent-sign-in-code"
    );
    // Not for those without read-outbox: anonymous 401, a citizen 403.
    let anonymous = edge.api(None, "PUT", "/api/v1/sms-templates/tencent/sign-in-code", &[], Some(&json!({}))).await;
    assert_eq!(anonymous.status, 401);
    request_code(&edge, "13800009998").await;
    let code = tencent.received_for("13800009998")[0].params[0].as_str().unwrap().to_string();
    let session =
        edge.api(None, "POST", "/api/v1/sessions", &[], Some(&json!({ "phone": "13800009998", "code": code }))).await;
    let citizen = session.json()["token"].as_str().unwrap().to_string();
    let refused = edge
        .api(
            Some(&citizen),
            "PUT",
            "/api/v1/sms-templates/tencent/sign-in-code",
            &[],
            Some(&json!({ "template_id": "1", "params": [] })),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(edge.get_as(&citizen, "/api/v1/outbox/summary").await.status, 403);

    let set = edge
        .api(
            Some(&admin),
            "PUT",
            "/api/v1/sms-templates/tencent/sign-in-code",
            &[],
            Some(&json!({ "template_id": "1110", "params": ["code"] })),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(count(&edge, "SELECT count(*) FROM audit_log WHERE action = 'sms-template.set'", []), 1);

    // The next code goes out with the new template id.
    request_code(&edge, "13800009999").await;
    assert_eq!(tencent.received_for("13800009999")[0].template_id, "1110");

    let summary = edge.get_as(&admin, "/api/v1/outbox/summary").await;
    assert_eq!(summary.status, 200, "{}", summary.text());
    let messages = summary.json()["messages"].clone();
    assert!(
        messages.as_array().unwrap().iter().any(|m| m["channel"] == "sms"
            && m["provider"] == "tencent"
            && m["status"] == "sent"
            && m["count"].as_i64() >= Some(1)),
        "{messages}"
    );
}

#[tokio::test]
async fn concurrent_runs_send_each_message_exactly_once() {
    let tencent = FakeSms::start(Flavour::Tencent);
    let edge = sender(&tencent, None, &[]);
    let t0 = unix_now();
    let ids: Vec<i64> =
        (0..30).map(|i| queue_notice(&edge, &format!("1390000{i:04}"), &format!("k-concurrent-{i}"), t0)).collect();

    // Five runs at once, seven messages each: their claims interleave over the backlog.
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let url = edge.url("/api/v1/jobs/deliver-outbox?limit=7");
        tasks.push(tokio::spawn(async move {
            let reply = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .bearer_auth(SCHEDULER)
                .header("x-wenming-now", t0.to_string())
                .send()
                .await
                .expect("deliver-outbox");
            assert_eq!(reply.status().as_u16(), 200);
            let body: Json = reply.json().await.unwrap();
            body["claimed"].as_i64().unwrap()
        }));
    }
    let mut claimed = 0;
    for task in tasks {
        claimed += task.await.unwrap();
    }

    assert_eq!(claimed, 30, "every message claimed by exactly one run");
    let mut keys: Vec<String> = tencent.received().into_iter().map(|r| r.key).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!((before, keys.len()), (30, 30), "each key sent once");
    for id in ids {
        assert_eq!(row(&edge, id).0, "sent");
    }
}
