//! Rewards (礼遇) through the real product (`spin.toml`), against `docs/reward-api.md`: star
//! levels proposed when confirmed hours cross a threshold, shown publicly and confirmed only
//! after the notice period; the catalogue; redemption that debits points through the ledger and
//! takes stock in one transaction (exactly one winner for the last item, one debit per
//! Idempotency-Key, nothing changed on any refusal); handover against the pickup code;
//! cancellation with a refund; honours decided by a second staff member; scoping by station.
//!
//! Set-up is all through the API (`wenming_tests::town`): volunteers earn hours and points by the
//! self-report flow (reported by the volunteer, approved by station A's admin: one point per hour
//! at the default coefficient). Time moves with `X-Wenming-Now`; balances, stock and rows are
//! read back from the database with rusqlite.

use wenming_tests::{
    count, id, json, open_db, scalar, shanghai_rfc3339, town, unix_now, Json, Reply, SignedInVolunteer, Town, DAY, HOUR,
};

/// The ledger balance of `kind` for a volunteer (0 without entries).
fn balance(t: &Town, volunteer_id: i64, kind: &str) -> i64 {
    scalar::<i64>(
        t,
        "SELECT COALESCE((SELECT balance_after FROM ledger_entries WHERE volunteer_id = ?1 AND kind = ?2
                          ORDER BY id DESC LIMIT 1), 0)",
        rusqlite::params![volunteer_id, kind],
    )
}

/// `(amount, source, idempotency_key)` of a volunteer's points entries, oldest first.
fn points_entries(t: &Town, volunteer_id: i64) -> Vec<(i64, String, String)> {
    let conn = open_db(&t.edge.db_path());
    let mut stmt = conn
        .prepare("SELECT amount, source, idempotency_key FROM ledger_entries WHERE volunteer_id = ?1 AND kind = 'points' ORDER BY id")
        .unwrap();
    let rows = stmt.query_map([volunteer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    rows.collect::<Result<Vec<_>, _>>().unwrap()
}

fn stock(t: &Town, item: i64) -> i64 {
    scalar::<i64>(t, "SELECT stock FROM reward_items WHERE id = ?1", [item])
}

/// `hours` of self-reported service by `v`, approved by station A's admin: `hours` × 60
/// minutes and `hours` points on the ledger. `slot` keeps each volunteer's reports apart.
async fn give_hours(t: &Town, v: &SignedInVolunteer, hours: i64, slot: i64) {
    let now = unix_now();
    let start = now - 30 * DAY + slot * DAY;
    let body = json!({
        "org_id": t.a, "title": "社区助老服务", "category": "助老", "description": "陪伴老人",
        "started_at": shanghai_rfc3339(start),
        "ended_at": shanghai_rfc3339(start + hours * HOUR),
    });
    let reported = t.edge.post_at(&v.token, "/api/v1/self-reports", now, &body).await;
    assert_eq!(reported.status, 201, "self-report: {}", reported.text());
    let report = id(&reported.json());
    let approved = t.edge.post_at(&t.admin_a, &format!("/api/v1/self-reports/{report}/approve"), now, &json!({})).await;
    assert_eq!(approved.status, 200, "approve self-report: {}", approved.text());
}

/// Thresholds of 2 and 5 hours and a 5-day notice, set by the centre admin.
async fn small_thresholds(t: &Town) {
    let reply = t
        .edge
        .api(
            Some(&t.admin),
            "PUT",
            "/api/v1/stars/thresholds",
            &[],
            Some(&json!({ "thresholds_h": [2, 5], "notice_days": 5 })),
        )
        .await;
    assert_eq!(reply.status, 200, "PUT thresholds: {}", reply.text());
}

/// A catalogue item at `org` made by `token` (201 expected); its id.
async fn item(t: &Town, token: &str, org: i64, name: &str, price: i64, stock: i64, min_star: i64) -> i64 {
    let body = json!({ "org_id": org, "name": name, "kind": "goods", "points_price": price, "stock": stock,
                       "min_star": min_star, "description": "爱心超市" });
    let reply = t.edge.post_as(token, "/api/v1/rewards", &body).await;
    assert_eq!(reply.status, 201, "POST /api/v1/rewards {body}: {}", reply.text());
    id(&reply.json())
}

async fn redeem(t: &Town, v: &SignedInVolunteer, item: i64, key: Option<&str>) -> Reply {
    let mut headers = Vec::new();
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    t.edge.api(Some(&v.token), "POST", "/api/v1/redemptions", &headers, Some(&json!({ "item_id": item }))).await
}

// ---- Star levels ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_star_upgrade_is_proposed_when_hours_cross_a_threshold_and_confirmed_only_after_the_notice() {
    // Arrange: thresholds 2 h / 5 h, a volunteer with 1 h, then 3 h
    let t = town().await;
    small_thresholds(&t).await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 1, 0).await;
    let star_path = format!("/api/v1/volunteers/{}/star", v.id);
    let below = t.edge.get_as(&v.token, &star_path).await;
    assert_eq!(below.status, 200, "{}", below.text());
    assert_eq!(below.json()["open"], json!([]), "nothing proposed below the first threshold: {}", below.text());
    assert_eq!(below.json()["next"], json!({ "level": 1, "threshold_h": 2, "minutes_to_go": 60 }));
    give_hours(&t, &v, 2, 1).await;
    let now = unix_now();

    // Act: reading the star proposes lazily; staff confirm during and after the notice
    let read = t.edge.get_at(&v.token, &star_path, now).await;
    let notices = t.edge.api(None, "GET", "/api/v1/stars/notices", &[], None).await;
    let proposal = id(&read.json()["open"][0]);
    let confirm_path = format!("/api/v1/stars/proposals/{proposal}/confirm");
    let early = t.edge.post_at(&t.admin_a, &confirm_path, now + 5 * DAY - 60, &json!({})).await;
    let status_after_early = count(&t, "SELECT count(*) FROM star_levels WHERE status = 'confirmed'", []);
    let own = t.edge.post_at(&v.token, &confirm_path, now + 6 * DAY, &json!({})).await;
    let confirmed = t.edge.post_at(&t.admin_a, &confirm_path, now + 5 * DAY + 60, &json!({})).await;
    let again = t.edge.post_at(&t.admin_a, &confirm_path, now + 5 * DAY + 120, &json!({})).await;
    let after = t.edge.get_at(&v.token, &star_path, now + 6 * DAY).await;

    // Assert
    assert_eq!(read.status, 200, "{}", read.text());
    let read = read.json();
    assert_eq!(read["minutes"], 180, "{read}");
    assert_eq!(read["star"], 0, "not yet confirmed: {read}");
    assert_eq!(read["open"][0]["level"], 1, "{read}");
    assert_eq!(read["open"][0]["minutes_at_proposal"], 180, "{read}");
    assert_eq!(read["open"][0]["in_notice"], true, "{read}");
    assert_eq!(notices.status, 200, "the notice list is public: {}", notices.text());
    let listed: Vec<i64> = notices.json()["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed, vec![proposal], "shown publicly during the notice: {}", notices.text());
    assert_eq!(early.status, 409, "{}", early.text());
    assert_eq!(early.error_code(), "notice_period", "{}", early.text());
    assert_eq!(status_after_early, 0, "nothing confirmed during the notice");
    assert_eq!(own.status, 403, "a volunteer without manage-rewards cannot confirm: {}", own.text());
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    assert_eq!(confirmed.json()["status"], "confirmed");
    assert_eq!(again.status, 200, "confirming twice answers the same: {}", again.text());
    let after = after.json();
    assert_eq!(after["star"], 1, "{after}");
    assert_eq!(after["next"], json!({ "level": 2, "threshold_h": 5, "minutes_to_go": 120 }), "{after}");
    let history = after["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{after}");
    assert_eq!(history[0]["status"], "confirmed");
    assert_eq!(history[0]["decided_by"], t.admin_a_id, "who confirmed: {after}");
    assert_eq!(history[0]["minutes_at_decision"], 180, "hours at the time: {after}");
    assert_eq!(history[0]["decided_at"], shanghai_rfc3339(now + 5 * DAY + 60));
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'star.confirm'", []), 1);
}

#[tokio::test]
async fn the_sweep_proposes_in_the_callers_area_only_once_and_a_rejected_level_is_not_proposed_again() {
    // Arrange: one volunteer over the first threshold at A, one at B
    let t = town().await;
    small_thresholds(&t).await;
    let at_a = t.volunteers(0, 1, t.a).await.remove(0);
    let at_b = t.volunteers(1, 1, t.b).await.remove(0);
    give_hours(&t, &at_a, 3, 0).await;
    give_hours(&t, &at_b, 3, 0).await;

    // Act
    let first = t.edge.post_as(&t.admin_a, "/api/v1/stars/sweep", &json!({})).await;
    let second = t.edge.post_as(&t.admin_a, "/api/v1/stars/sweep", &json!({})).await;
    let proposal = id(&first.json()["proposed"][0]);
    let seen_by_b = t.edge.get_as(&t.admin_b, &format!("/api/v1/stars/proposals/{proposal}")).await;
    let b_list = t.edge.get_as(&t.admin_b, "/api/v1/stars/proposals").await;
    let no_reason = t.edge.post_as(&t.admin_a, &format!("/api/v1/stars/proposals/{proposal}/reject"), &json!({})).await;
    let rejected = t
        .edge
        .post_as(
            &t.admin_a,
            &format!("/api/v1/stars/proposals/{proposal}/reject"),
            &json!({ "reason": "时长存疑，待核实" }),
        )
        .await;
    let read = t.edge.get_as(&at_a.token, &format!("/api/v1/volunteers/{}/star", at_a.id)).await;

    // Assert
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(first["examined"], 1, "only A's volunteers: {first}");
    assert_eq!(first["proposed"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first["proposed"][0]["volunteer_id"], at_a.id);
    assert_eq!(second.json()["proposed"], json!([]), "nothing proposed twice: {}", second.text());
    assert_eq!(seen_by_b.status, 404, "another station's admin does not see it: {}", seen_by_b.text());
    assert_eq!(b_list.json()["items"], json!([]), "{}", b_list.text());
    assert_eq!(no_reason.status, 422, "{}", no_reason.text());
    assert_eq!(no_reason.error_field(), "reason");
    assert_eq!(rejected.status, 200, "{}", rejected.text());
    assert_eq!(rejected.json()["reason"], "时长存疑，待核实");
    let read = read.json();
    assert_eq!(read["open"], json!([]), "a rejected level is not proposed again: {read}");
    assert_eq!(read["star"], 0);
    assert_eq!(count(&t, "SELECT count(*) FROM star_levels WHERE volunteer_id = ?1", [at_b.id]), 0);
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action IN ('star.sweep', 'star.reject')", []), 3);
}

#[tokio::test]
async fn thresholds_are_validated_and_only_the_centre_may_change_them() {
    let t = town().await;

    let by_station = t
        .edge
        .api(Some(&t.admin_a), "PUT", "/api/v1/stars/thresholds", &[], Some(&json!({ "thresholds_h": [1, 2] })))
        .await;
    let decreasing = t
        .edge
        .api(Some(&t.admin), "PUT", "/api/v1/stars/thresholds", &[], Some(&json!({ "thresholds_h": [5, 2] })))
        .await;
    let defaults = t.edge.get_as(&t.admin_a, "/api/v1/stars/thresholds").await;

    assert_eq!(by_station.status, 403, "{}", by_station.text());
    assert_eq!(decreasing.status, 422, "{}", decreasing.text());
    assert_eq!(decreasing.error_field(), "thresholds_h");
    assert_eq!(defaults.json(), json!({ "thresholds_h": [100, 300, 600, 1000, 1500], "notice_days": 5 }));
}

// ---- Redemption ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_five_volunteers_redeeming_the_last_item_at_once_exactly_one_wins_and_pays_once() {
    // Arrange: five volunteers with 10 points each; one 10-point item left
    let t = town().await;
    let vs = t.volunteers(0, 5, t.a).await;
    for v in &vs {
        give_hours(&t, v, 10, 0).await;
    }
    let soap = item(&t, &t.admin, t.centre, "香皂", 10, 1, 0).await;

    // Act
    let (r0, r1, r2, r3, r4) = tokio::join!(
        redeem(&t, &vs[0], soap, None),
        redeem(&t, &vs[1], soap, None),
        redeem(&t, &vs[2], soap, None),
        redeem(&t, &vs[3], soap, None),
        redeem(&t, &vs[4], soap, None),
    );
    let replies = [r0, r1, r2, r3, r4];

    // Assert
    let winners: Vec<usize> = (0..5).filter(|&i| replies[i].status == 201).collect();
    assert_eq!(winners.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>());
    let w = winners[0];
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| *i != w) {
        assert_eq!(reply.status, 409, "loser {i}: {}", reply.text());
        assert_eq!(reply.error_code(), "out_of_stock", "loser {i}: {}", reply.text());
        assert_eq!(balance(&t, vs[i].id, "points"), 10, "loser {i} keeps every point");
    }
    assert_eq!(stock(&t, soap), 0);
    assert_eq!(balance(&t, vs[w].id, "points"), 0, "the winner paid");
    let debits: Vec<_> = points_entries(&t, vs[w].id).into_iter().filter(|e| e.1 == "redemption").collect();
    let redemption = id(&replies[w].json());
    assert_eq!(debits, vec![(-10, "redemption".to_owned(), format!("redemption:{redemption}"))], "debited once");
    assert_eq!(count(&t, "SELECT count(*) FROM redemptions", []), 1);
    assert_eq!(count(&t, "SELECT count(*) FROM ledger_entries WHERE source = 'redemption'", []), 1);
}

#[tokio::test]
async fn a_retried_redemption_with_the_same_idempotency_key_debits_once_and_answers_the_same() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 20, 0).await;
    let paper = item(&t, &t.admin_a, t.a, "卷纸", 8, 5, 0).await;

    let first = redeem(&t, &v, paper, Some("redeem-paper-1")).await;
    let retry = redeem(&t, &v, paper, Some("redeem-paper-1")).await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(retry.json(), first.json(), "the same answer, pickup code included");
    let code = first.json()["pickup_code"].as_str().unwrap().to_owned();
    assert!(code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert_eq!(balance(&t, v.id, "points"), 12, "20 − 8, once");
    assert_eq!(stock(&t, paper), 4);
    assert_eq!(count(&t, "SELECT count(*) FROM redemptions", []), 1);
}

#[tokio::test]
async fn redeeming_with_too_few_points_is_409_with_the_balance_and_changes_nothing() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 5, 0).await;
    let paper = item(&t, &t.admin, t.centre, "卷纸", 75, 3, 0).await;

    let reply = redeem(&t, &v, paper, None).await;

    assert_eq!(reply.status, 409, "{}", reply.text());
    assert_eq!(reply.error_code(), "insufficient_points");
    assert_eq!(reply.json()["error"]["balance"], 5, "{}", reply.text());
    assert_eq!(stock(&t, paper), 3, "the stock taken is put back by the rollback");
    assert_eq!(balance(&t, v.id, "points"), 5);
    assert_eq!(count(&t, "SELECT count(*) FROM redemptions", []), 0);
}

#[tokio::test]
async fn redeeming_below_the_items_minimum_star_is_refused_with_a_code() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let coupon = item(&t, &t.admin, t.centre, "理发服务券", 5, 3, 2).await;

    let reply = redeem(&t, &v, coupon, None).await;

    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(reply.error_code(), "star_too_low");
    assert_eq!(stock(&t, coupon), 3);
    assert_eq!(balance(&t, v.id, "points"), 10);
}

#[tokio::test]
async fn handover_needs_the_right_pickup_code_and_a_handed_over_item_cannot_be_cancelled() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let soap = item(&t, &t.admin_a, t.a, "香皂", 10, 2, 0).await;
    let redeemed = redeem(&t, &v, soap, None).await.json();
    let r = id(&redeemed);
    let code = redeemed["pickup_code"].as_str().unwrap().to_owned();
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    let path = format!("/api/v1/redemptions/{r}/handover");

    let bad = t.edge.post_as(&t.admin_a, &path, &json!({ "pickup_code": wrong })).await;
    let status_after_bad: String = open_db(&t.edge.db_path())
        .query_row("SELECT status FROM redemptions WHERE id = ?1", [r], |x| x.get(0))
        .unwrap();
    let staff_view = t.edge.get_as(&t.admin_a, &format!("/api/v1/redemptions/{r}")).await;
    let good = t.edge.post_as(&t.admin_a, &path, &json!({ "pickup_code": code })).await;
    let cancel = t.edge.post_empty_as(&v.token, &format!("/api/v1/redemptions/{r}/cancel")).await;

    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_eq!(bad.error_field(), "pickup_code");
    assert_eq!(status_after_bad, "reserved", "a wrong code changes nothing");
    assert!(staff_view.json().get("pickup_code").is_none(), "staff are not shown the code: {}", staff_view.text());
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(good.json()["status"], "handed_over");
    assert_eq!(good.json()["handed_over_by"], t.admin_a_id);
    assert_eq!(cancel.status, 409, "{}", cancel.text());
    assert_eq!(cancel.error_code(), "wrong_state");
    assert_eq!(balance(&t, v.id, "points"), 0, "no refund after handover");
    assert_eq!(stock(&t, soap), 1);
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'redemption.handover'", []), 1);
}

#[tokio::test]
async fn cancelling_before_handover_refunds_the_points_and_returns_the_stock() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let soap = item(&t, &t.admin, t.centre, "香皂", 10, 2, 0).await;
    let r = id(&redeem(&t, &v, soap, None).await.json());
    assert_eq!((balance(&t, v.id, "points"), stock(&t, soap)), (0, 1), "debited and taken");

    let cancelled =
        t.edge.post_as(&v.token, &format!("/api/v1/redemptions/{r}/cancel"), &json!({ "reason": "不需要了" })).await;
    let twice = t.edge.post_empty_as(&v.token, &format!("/api/v1/redemptions/{r}/cancel")).await;

    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(twice.status, 200, "{}", twice.text());
    assert_eq!(balance(&t, v.id, "points"), 10, "refunded");
    assert_eq!(stock(&t, soap), 2, "returned");
    let refunds: Vec<_> = points_entries(&t, v.id).into_iter().filter(|e| e.1 == "refund").collect();
    assert_eq!(refunds, vec![(10, "refund".to_owned(), format!("refund:redemption:{r}"))], "refunded once");
}

#[tokio::test]
async fn a_station_admin_of_another_station_can_neither_see_nor_hand_over_a_redemption() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let soap = item(&t, &t.admin_a, t.a, "香皂", 10, 2, 0).await;
    let redeemed = redeem(&t, &v, soap, None).await.json();
    let r = id(&redeemed);

    let seen = t.edge.get_as(&t.admin_b, &format!("/api/v1/redemptions/{r}")).await;
    let listed = t.edge.get_as(&t.admin_b, "/api/v1/redemptions").await;
    let item_seen = t.edge.get_as(&t.admin_b, &format!("/api/v1/rewards/{soap}")).await;
    let handed = t
        .edge
        .post_as(
            &t.admin_b,
            &format!("/api/v1/redemptions/{r}/handover"),
            &json!({ "pickup_code": redeemed["pickup_code"] }),
        )
        .await;
    let catalogue_at_a = t
        .edge
        .post_as(
            &t.admin_b,
            "/api/v1/rewards",
            &json!({ "org_id": t.a, "name": "毛巾", "kind": "goods", "points_price": 5, "stock": 1 }),
        )
        .await;
    let a_list = t.edge.get_as(&t.admin_a, "/api/v1/redemptions?status=reserved").await;

    assert_eq!(seen.status, 404, "{}", seen.text());
    assert_eq!(listed.json()["items"], json!([]), "{}", listed.text());
    assert_eq!(item_seen.status, 404, "{}", item_seen.text());
    assert_eq!(handed.status, 404, "{}", handed.text());
    assert_eq!(catalogue_at_a.status, 403, "{}", catalogue_at_a.text());
    let status: String = open_db(&t.edge.db_path())
        .query_row("SELECT status FROM redemptions WHERE id = ?1", [r], |x| x.get(0))
        .unwrap();
    assert_eq!(status, "reserved");
    let a_items: Vec<i64> = a_list.json()["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(a_items, vec![r], "A's admin sees it: {}", a_list.text());
}

#[tokio::test]
async fn bad_catalogue_input_is_refused_and_stores_nothing() {
    let t = town().await;
    let base = json!({ "org_id": t.a, "name": "香皂", "kind": "goods", "points_price": 10, "stock": 3 });
    let mut cases = Vec::new();
    for (field, value) in [
        ("kind", json!("cash")),
        ("points_price", json!(-1)),
        ("stock", json!(-5)),
        ("min_star", json!(11)),
        ("name", json!("  ")),
        ("colour", json!("red")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        cases.push((field, t.edge.post_as(&t.admin_a, "/api/v1/rewards", &body).await));
    }
    let mut window = base.clone();
    window["valid_from"] = json!("2026-12-31T00:00:00+08:00");
    window["valid_until"] = json!("2026-12-01T00:00:00+08:00");
    let backwards = t.edge.post_as(&t.admin_a, "/api/v1/rewards", &window).await;

    for (field, reply) in &cases {
        assert_eq!(reply.status, 422, "{field}: {}", reply.text());
        assert_eq!(reply.error_field(), *field, "{}", reply.text());
    }
    assert_eq!(backwards.status, 422, "{}", backwards.text());
    assert_eq!(backwards.error_field(), "valid_until");
    assert_eq!(count(&t, "SELECT count(*) FROM reward_items", []), 0);
}

// ---- Honours -------------------------------------------------------------------------------------

#[tokio::test]
async fn an_honour_is_approved_by_another_staff_member_never_the_nominator_and_then_listed_publicly() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let body = json!({ "org_id": t.a, "volunteer_id": v.id, "title": "最美志愿者", "period": "2026年度",
                       "reason": "常年陪伴社区独居老人" });
    let nominated = t.edge.post_as(&t.admin_a, "/api/v1/honours", &body).await;
    assert_eq!(nominated.status, 201, "{}", nominated.text());
    let h = id(&nominated.json());

    let public_before = t.edge.api(None, "GET", "/api/v1/honours", &[], None).await;
    let twice = t.edge.post_as(&t.admin_a, "/api/v1/honours", &body).await;
    let by_nominator = t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/honours/{h}/approve")).await;
    let by_other_station = t.edge.post_empty_as(&t.admin_b, &format!("/api/v1/honours/{h}/approve")).await;
    let approved = t.edge.post_empty_as(&t.admin, &format!("/api/v1/honours/{h}/approve")).await;
    let reject_after = t.edge.post_empty_as(&t.admin, &format!("/api/v1/honours/{h}/reject")).await;
    let public_after = t.edge.api(None, "GET", "/api/v1/honours?title=最美志愿者", &[], None).await;

    assert_eq!(public_before.json()["items"], json!([]), "not public before approval");
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert_eq!(twice.error_code(), "duplicate");
    assert_eq!(by_nominator.status, 403, "{}", by_nominator.text());
    assert_eq!(by_nominator.error_code(), "own_nomination");
    assert_eq!(by_other_station.status, 404, "{}", by_other_station.text());
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(reject_after.status, 409, "{}", reject_after.text());
    assert_eq!(reject_after.error_code(), "wrong_state");
    let items = public_after.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    assert_eq!(items[0]["name"], v.name);
    assert_eq!(items[0]["period"], "2026年度");
    assert!(items[0].get("phone").is_none(), "no contact data in public: {items}");
    let decided_by = scalar::<i64>(&t, "SELECT decided_by FROM honours WHERE id = ?1", [h]);
    let centre_admin = scalar::<i64>(&t, "SELECT account_id FROM role_grants WHERE role = 'centre-admin'", []);
    assert_eq!(decided_by, centre_admin);
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action LIKE 'honour.%'", []), 2);
}

// ---- The catalogue and visibility ----------------------------------------------------------------

#[tokio::test]
async fn a_volunteer_sees_the_active_items_of_their_station_and_above_paged_and_not_another_stations() {
    // Arrange: items at the centre, at A, at B, and an inactive one at A
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let centre = item(&t, &t.admin, t.centre, "香皂", 10, 5, 0).await;
    let at_a = item(&t, &t.admin_a, t.a, "卷纸", 75, 5, 0).await;
    let at_b = item(&t, &t.admin_b, t.b, "洗衣液", 48, 5, 0).await;
    let hidden = item(&t, &t.admin_a, t.a, "旧毛巾", 5, 5, 0).await;
    let off = t.edge.patch_as(&t.admin_a, &format!("/api/v1/rewards/{hidden}"), &json!({ "active": false })).await;
    assert_eq!(off.status, 200, "{}", off.text());

    // Act
    let first = t.edge.get_as(&v.token, "/api/v1/rewards?limit=1").await;
    let cursor = first.json()["next_cursor"].as_i64().expect("a full page has a cursor");
    let rest = t.edge.get_as(&v.token, &format!("/api/v1/rewards?cursor={cursor}")).await;
    let b_item = t.edge.get_as(&v.token, &format!("/api/v1/rewards/{at_b}")).await;
    let b_redeem = redeem(&t, &v, at_b, None).await;
    let staff_a = t.edge.get_as(&t.admin_a, "/api/v1/rewards").await;

    // Assert
    let ids = |r: &Reply| -> Vec<i64> { r.json()["items"].as_array().unwrap().iter().map(id).collect() };
    assert_eq!(ids(&first), vec![centre], "{}", first.text());
    assert_eq!(ids(&rest), vec![at_a], "B's and the inactive item are not offered: {}", rest.text());
    assert_eq!(rest.json()["next_cursor"], Json::Null);
    assert_eq!(b_item.status, 404, "{}", b_item.text());
    assert_eq!(b_redeem.status, 404, "{}", b_redeem.text());
    assert_eq!(ids(&staff_a), vec![at_a, hidden], "A's admin keeps A's items, inactive included: {}", staff_a.text());
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'reward.update'", []), 1);
}

#[tokio::test]
async fn an_item_outside_its_validity_window_is_not_available_and_restocking_makes_it_available_again() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let now = unix_now();
    let body = json!({ "org_id": t.a, "name": "理发服务券", "kind": "service", "points_price": 3, "stock": 0,
                       "valid_from": shanghai_rfc3339(now - DAY),
                       "valid_until": shanghai_rfc3339(now + DAY) });
    let coupon = id(&t.edge.post_as(&t.admin_a, "/api/v1/rewards", &body).await.json());

    let empty =
        t.edge.api_at(Some(&v.token), "POST", "/api/v1/redemptions", now, Some(&json!({ "item_id": coupon }))).await;
    let restocked = t.edge.patch_as(&t.admin_a, &format!("/api/v1/rewards/{coupon}"), &json!({ "stock": 2 })).await;
    let expired = t
        .edge
        .api_at(Some(&v.token), "POST", "/api/v1/redemptions", now + 2 * DAY, Some(&json!({ "item_id": coupon })))
        .await;
    let in_window = t
        .edge
        .api_at(Some(&v.token), "POST", "/api/v1/redemptions", now + HOUR, Some(&json!({ "item_id": coupon })))
        .await;

    assert_eq!(empty.status, 409, "{}", empty.text());
    assert_eq!(empty.error_code(), "out_of_stock");
    assert_eq!(restocked.json()["stock"], 2, "{}", restocked.text());
    assert_eq!(expired.status, 409, "{}", expired.text());
    assert_eq!(expired.error_code(), "not_available");
    assert_eq!(in_window.status, 201, "{}", in_window.text());
    assert_eq!(stock(&t, coupon), 1);
    assert_eq!(balance(&t, v.id, "points"), 7);
}

#[tokio::test]
async fn a_volunteers_star_is_seen_by_themself_and_staff_of_their_area_only() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let other = t.volunteers(1, 1, t.b).await.remove(0);
    let path = format!("/api/v1/volunteers/{}/star", v.id);

    let own = t.edge.get_as(&v.token, &path).await;
    let by_a = t.edge.get_as(&t.admin_a, &path).await;
    let by_b = t.edge.get_as(&t.admin_b, &path).await;
    let by_other_volunteer = t.edge.get_as(&other.token, &path).await;

    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json()["star"], 0);
    assert_eq!(own.json()["next"], json!({ "level": 1, "threshold_h": 100, "minutes_to_go": 6000 }));
    assert_eq!(by_a.status, 200, "{}", by_a.text());
    assert_eq!(by_b.status, 404, "{}", by_b.text());
    assert_eq!(
        by_other_volunteer.status,
        403,
        "a plain volunteer may read no one else's: {}",
        by_other_volunteer.text()
    );
}

// ---- The scheduler's jobs ------------------------------------------------------------------------

#[tokio::test]
async fn the_expiry_job_releases_an_uncollected_reservation_with_a_refund_once_and_leaves_a_collected_one() {
    // Arrange: two reservations of 5 points each; the second is collected
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 10, 0).await;
    let soap = item(&t, &t.admin, t.centre, "香皂", 5, 3, 0).await;
    let kept = id(&redeem(&t, &v, soap, None).await.json());
    let collected = redeem(&t, &v, soap, None).await.json();
    let code = collected["pickup_code"].as_str().unwrap().to_owned();
    let handed = t
        .edge
        .post_as(&t.admin, &format!("/api/v1/redemptions/{}/handover", id(&collected)), &json!({ "pickup_code": code }))
        .await;
    assert_eq!(handed.status, 200, "{}", handed.text());
    assert_eq!((balance(&t, v.id, "points"), stock(&t, soap)), (0, 1), "debited twice, two taken");
    let created = scalar::<i64>(&t, "SELECT created_at FROM redemptions WHERE id = ?1", [kept]);
    let expires = created + 30 * DAY; // the default `reward.pickup_days`

    // Act
    let early = t.edge.job_ok("expire-reservations", expires - 60).await;
    let first = t.edge.job_ok("expire-reservations", expires + 1).await;
    let second = t.edge.job_ok("expire-reservations", expires + 2).await;

    // Assert: the uncollected one is released once, the collected one untouched
    assert_eq!(early["expired"], 0, "{early}");
    assert_eq!((first["expired"].as_i64(), first["points_refunded"].as_i64()), (Some(1), Some(5)), "{first}");
    assert_eq!((second["expired"].as_i64(), second["points_refunded"].as_i64()), (Some(0), Some(0)), "{second}");
    assert_eq!(balance(&t, v.id, "points"), 5, "refunded");
    assert_eq!(stock(&t, soap), 2, "returned");
    let refunds: Vec<_> = points_entries(&t, v.id).into_iter().filter(|e| e.1 == "refund").collect();
    assert_eq!(refunds, vec![(5, "refund".to_owned(), format!("refund:redemption:{kept}"))], "refunded once");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM redemptions WHERE id = ?1 AND status = 'cancelled' AND cancelled_by IS NULL",
            [kept]
        ),
        1,
        "released by nobody"
    );
    assert_eq!(count(&t, "SELECT count(*) FROM redemptions WHERE status = 'handed_over'", []), 1);
    let shown = t.edge.get_as(&v.token, &format!("/api/v1/redemptions/{kept}")).await.json();
    assert_eq!((shown["status"].as_str(), shown["expired"].as_bool()), (Some("cancelled"), Some(true)), "{shown}");
}

#[tokio::test]
async fn the_star_job_proposes_a_crossed_level_once_without_a_proposer() {
    // Arrange: thresholds of 2 and 5 hours; 3 hours of service
    let t = town().await;
    small_thresholds(&t).await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    give_hours(&t, &v, 3, 0).await;

    // Act
    let first = t.edge.job_ok("propose-stars", unix_now()).await;
    let second = t.edge.job_ok("propose-stars", unix_now()).await;

    // Assert
    assert_eq!(first["proposed"], 1, "{first}");
    assert_eq!(second["proposed"], 0, "{second}");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM star_levels WHERE volunteer_id = ?1 AND level = 1 AND status = 'proposed'
             AND proposed_by IS NULL",
            [v.id]
        ),
        1
    );
    assert_eq!(count(&t, "SELECT count(*) FROM star_levels", []), 1, "nothing else proposed");
}
