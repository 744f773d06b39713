//! The deployment's settings (`GET /api/v1/settings`, `PUT /api/v1/settings/{key}`; the rules
//! are `kit::settings::registry`): listed with value, default, range and Chinese label; changed
//! only by the centre's admins, checked (422 beside `value`, nothing written), audited, and
//! read by the steps on their next request.

use wenming_tests::{count, json, scalar, town, Centre, STAFF_PASSWORD};

fn item<'a>(list: &'a wenming_tests::Json, key: &str) -> &'a wenming_tests::Json {
    list["items"].as_array().unwrap().iter().find(|i| i["key"] == key).unwrap_or_else(|| panic!("{key} not listed"))
}

fn stored(c: &Centre, key: &str) -> String {
    scalar::<String>(c, "SELECT value FROM deployment_settings WHERE key = ?1", [key])
}

#[tokio::test]
async fn the_centre_admin_sees_every_setting_with_its_value_default_and_range() {
    // Arrange
    let c = Centre::new().await;

    // Act
    let reply = c.edge.get_as(&c.admin, "/api/v1/settings").await;

    // Assert
    assert_eq!(reply.status, 200, "{}", reply.text());
    let list = reply.json();
    let grace = item(&list, "checkout.grace_s");
    assert_eq!(grace["value"], "7200");
    assert_eq!(grace["default"], "7200");
    assert_eq!(grace["is_default"], true);
    assert_eq!((grace["min"].as_i64(), grace["max"].as_i64()), (Some(0), Some(7 * 86_400)));
    assert_eq!((grace["type"].as_str(), grace["unit"].as_str()), (Some("integer"), Some("秒")));
    assert_eq!(grace["label"], "签退宽限时间");
    assert_eq!(grace["group_label"], "签到与服务时长");
    assert_eq!(item(&list, "hours.rounding")["type"], "rounding");
    assert_eq!(item(&list, "reward.star_thresholds_h")["value"], "100,300,600,1000,1500");
    // Unset in the database: shown with its default.
    let pickup = item(&list, "reward.pickup_days");
    assert_eq!((pickup["value"].as_str(), pickup["updated_at"].is_null()), (Some("30"), true));
    for key in ["county_name", "demand.auto_close_s", "throttle.sms_codes.global", "identity.lock_failures"] {
        item(&list, key);
    }
}

#[tokio::test]
async fn a_value_out_of_range_is_refused_beside_the_field_and_changes_nothing() {
    // Arrange
    let c = Centre::new().await;
    let audits_before = count(&c, "SELECT COUNT(*) FROM audit_log WHERE action = 'setting.update'", []);

    // Act
    let negative = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/checkout.grace_s", &[], Some(&json!({ "value": -5 })))
        .await;
    let words = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/checkout.grace_s", &[], Some(&json!({ "value": "2h" })))
        .await;
    let rounding = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/hours.rounding", &[], Some(&json!({ "value": "[[15,0]]" })))
        .await;
    let stars = c
        .edge
        .api(
            Some(&c.admin),
            "PUT",
            "/api/v1/settings/reward.star_thresholds_h",
            &[],
            Some(&json!({ "value": "300,100" })),
        )
        .await;
    let unknown =
        c.edge.api(Some(&c.admin), "PUT", "/api/v1/settings/no.such", &[], Some(&json!({ "value": "1" }))).await;
    let missing = c.edge.api(Some(&c.admin), "PUT", "/api/v1/settings/checkout.grace_s", &[], Some(&json!({}))).await;
    let extra = c
        .edge
        .api(
            Some(&c.admin),
            "PUT",
            "/api/v1/settings/checkout.grace_s",
            &[],
            Some(&json!({ "value": "1", "other": 1 })),
        )
        .await;

    // Assert
    for reply in [&negative, &words, &rounding, &stars, &missing] {
        assert_eq!((reply.status, reply.error_field().as_str()), (422, "value"), "{}", reply.text());
    }
    assert!(negative.json()["error"]["message"].as_str().unwrap().contains("0 到 604800"), "{}", negative.text());
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert!(extra.status == 400 || extra.status == 422, "{}", extra.text());
    assert_eq!(stored(&c, "checkout.grace_s"), "7200");
    assert_eq!(stored(&c, "hours.rounding"), "[[15,0],[45,30],[60,60]]");
    assert_eq!(stored(&c, "reward.star_thresholds_h"), "100,300,600,1000,1500");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM deployment_settings WHERE key = 'no.such'", []), 0);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM audit_log WHERE action = 'setting.update'", []), audits_before);
}

#[tokio::test]
async fn a_changed_setting_takes_effect_on_the_next_request_and_is_audited_once() {
    // Arrange: a staff member whose account the changed lock rule will guard.
    let c = Centre::new().await;
    let clerk = c.staff("文书", "13912340001", "auditor", c.centre).await;

    // Act: two failures now lock (default five); the name is trimmed; the same value twice.
    let lock = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/identity.lock_failures", &[], Some(&json!({ "value": " 2 " })))
        .await;
    let again = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/identity.lock_failures", &[], Some(&json!({ "value": 2 })))
        .await;
    let name = c
        .edge
        .api(
            Some(&c.admin),
            "PUT",
            "/api/v1/settings/county_name",
            &[],
            Some(&json!({ "value": " 某某县新时代文明实践中心 " })),
        )
        .await;
    let first = c.edge.try_sign_in(&clerk.phone, "wrong-password-1").await;
    let second = c.edge.try_sign_in(&clerk.phone, "wrong-password-2").await;
    let right = c.edge.try_sign_in(&clerk.phone, STAFF_PASSWORD).await;
    let status = c.edge.get_json("/api/v1/status", 200).await;

    // Assert
    assert_eq!(lock.status, 200, "{}", lock.text());
    assert_eq!((lock.json()["value"].as_str(), lock.json()["is_default"].as_bool()), (Some("2"), Some(false)));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(name.status, 200, "{}", name.text());
    assert_eq!(stored(&c, "identity.lock_failures"), "2");
    assert_eq!((first.status, second.status == 401 || second.status == 429), (401, true));
    assert_eq!(right.status, 429, "locked after two failures: {}", right.text());
    assert_eq!(status["county"], "某某县新时代文明实践中心");
    // One audit entry per real change, naming the key with the value before and after.
    let audits =
        count(&c, "SELECT COUNT(*) FROM audit_log WHERE action = 'setting.update' AND actor_id = ?1", [c.admin_id]);
    assert_eq!(audits, 2);
    let after = scalar::<String>(
        &c,
        "SELECT after FROM audit_log WHERE action = 'setting.update' AND after LIKE '%identity.lock_failures%'",
        [],
    );
    assert!(after.contains("\"value\":\"2\""), "{after}");
}

#[tokio::test]
async fn only_the_centres_admins_see_or_change_the_settings() {
    // Arrange
    let t = town().await;

    // Act
    let read = t.edge.get_as(&t.admin_a, "/api/v1/settings").await;
    let write = t
        .edge
        .api(Some(&t.admin_a), "PUT", "/api/v1/settings/checkout.grace_s", &[], Some(&json!({ "value": "60" })))
        .await;
    let anonymous = t.edge.api(None, "GET", "/api/v1/settings", &[], None).await;

    // Assert
    assert_eq!(read.status, 403, "{}", read.text());
    assert_eq!(write.status, 403, "{}", write.text());
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert_eq!(stored(&t, "checkout.grace_s"), "7200");
}
