//! Activities (活动) and sign-ups (报名) through the real product (`spin.toml`), against
//! `docs/activity-api.md`: application validation, approval with the activity code, who may
//! approve, capacity under concurrent sign-ups, waitlist promotion, overlap, the sign-up
//! deadline and invitation-only activities.
//!
//! Set-up is all through the API (`wenming_tests::town`): the centre admin makes an institute
//! with stations A and B and their station admins, a team at A, and registers volunteers, who
//! sign in by SMS code read from the outbox. The team leader applies; A's admin approves. The
//! request clock is moved with `X-Wenming-Now` (the product runs with `allow_clock_override`).

use std::collections::HashSet;

use domain::mask::mask_phone;
use wenming_tests::{
    activity_base_time, count, id, json, open_db, row_count, shanghai_rfc3339, town, Json, SignedInVolunteer, Town,
    DAY, HOUR,
};

const ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `(status, code, decided_by)` of activity `id` in the database.
fn activity_row(t: &Town, id: i64) -> (String, Option<String>, Option<i64>) {
    open_db(&t.edge.db_path())
        .query_row("SELECT status, code, decided_by FROM activities WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap_or_else(|e| panic!("activity {id}: {e}"))
}

/// `(status, position, cancelled_at)` of `volunteer`'s sign-up to `activity`, if any.
fn signup_row(t: &Town, activity: i64, volunteer: i64) -> Option<(String, i64, Option<i64>)> {
    let conn = open_db(&t.edge.db_path());
    let mut stmt = conn
        .prepare("SELECT status, position, cancelled_at FROM signups WHERE activity_id = ?1 AND volunteer_id = ?2")
        .unwrap();
    let mut rows = stmt.query_map([activity, volunteer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    rows.next().map(|r| r.unwrap())
}

fn status_of(t: &Town, activity: i64, v: &SignedInVolunteer) -> String {
    signup_row(t, activity, v.id).unwrap_or_else(|| panic!("no sign-up of volunteer {} to {activity}", v.id)).0
}

// ---- Application and approval ----------------------------------------------------------------

#[tokio::test]
async fn an_application_with_bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let t = town().await;
    let base = activity_base_time();
    let good = t.activity_body("敬老院陪伴", base, base + 2 * HOUR, 10);
    let placed = |mut b: Json| {
        b["latitude"] = json!(30.0);
        b["longitude"] = json!(120.0);
        b["radius_m"] = json!(200);
        b
    };
    let mut cases: Vec<(&str, Json)> = Vec::new();
    let mut b = good.clone();
    b["ends_at"] = json!(shanghai_rfc3339(base - HOUR));
    cases.push(("ends_at", b));
    let mut b = good.clone();
    b["signup_deadline"] = json!(shanghai_rfc3339(base + 60));
    cases.push(("signup_deadline", b));
    let mut b = placed(good.clone());
    b["latitude"] = json!(91.0);
    cases.push(("latitude", b));
    let mut b = placed(good.clone());
    b["longitude"] = json!(-180.5);
    cases.push(("longitude", b));
    let mut b = placed(good.clone());
    b["radius_m"] = json!(5);
    cases.push(("radius_m", b));
    let mut b = placed(good.clone());
    b["radius_m"] = json!(5001);
    cases.push(("radius_m", b));
    let mut b = placed(good.clone());
    b.as_object_mut().unwrap().remove("radius_m");
    cases.push(("radius_m", b));
    let mut b = good.clone();
    b["capacity"] = json!(0);
    cases.push(("capacity", b));
    let mut b = good.clone();
    b["capacity"] = json!(10_001);
    cases.push(("capacity", b));
    let mut b = good.clone();
    b["visibility"] = json!("friends");
    cases.push(("visibility", b));
    let mut b = good.clone();
    b["starts_at"] = json!("next tuesday");
    cases.push(("starts_at", b));

    let mut seen = Vec::new();
    for (field, body) in &cases {
        let reply = t.edge.post_as(&t.leader, "/api/v1/activities", body).await;
        seen.push((*field, reply.status, reply.error_field(), reply.text()));
    }

    for (field, status, got, text) in &seen {
        assert_eq!(*status, 422, "expected 422 for a bad {field}: {text}");
        assert_eq!(got, field, "the 422 names the field: {text}");
    }
    assert_eq!(row_count(&t.edge.db_path(), "activities"), 0, "no activity was written");
    assert_eq!(
        count(&t, "SELECT count(*) FROM audit_log WHERE action LIKE 'activity.%'", []),
        0,
        "no audit row either"
    );
    // The same body with nothing wrong is accepted, so the refusals were about the fields.
    let reply = t.edge.post_as(&t.leader, "/api/v1/activities", &placed(good)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["status"], "pending");
}

#[tokio::test]
async fn only_the_team_leader_or_the_orgs_admins_may_apply() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let base = activity_base_time();
    let for_team = t.activity_body("队伍活动", base, base + HOUR, 10);
    let mut for_station = for_team.clone();
    for_station.as_object_mut().unwrap().remove("team_id");

    let volunteer_for_team = t.edge.post_as(&v.token, "/api/v1/activities", &for_team).await;
    let volunteer_for_station = t.edge.post_as(&v.token, "/api/v1/activities", &for_station).await;
    let leader_for_station = t.edge.post_as(&t.leader, "/api/v1/activities", &for_station).await;
    let b_admin_at_a = t.edge.post_as(&t.admin_b, "/api/v1/activities", &for_station).await;

    for (who, reply) in [
        ("a volunteer for the team", &volunteer_for_team),
        ("a volunteer for the station", &volunteer_for_station),
        ("the team leader without team_id", &leader_for_station),
        ("station B's admin at station A", &b_admin_at_a),
    ] {
        assert_eq!(reply.status, 403, "{who}: {}", reply.text());
    }
    assert_eq!(row_count(&t.edge.db_path(), "activities"), 0);
    let admin = t.edge.post_as(&t.admin_a, "/api/v1/activities", &for_station).await;
    assert_eq!(admin.status, 201, "station A's admin applies for A: {}", admin.text());
    assert_eq!(admin.json()["applicant_id"], t.admin_a_id);
}

#[tokio::test]
async fn an_application_and_a_sign_up_retried_with_the_same_idempotency_key_happen_once() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let base = activity_base_time();
    let body = t.activity_body("重试", base, base + HOUR, 10);
    let key = [("idempotency-key", "apply-retry-1")];

    let first = t.edge.api(Some(&t.leader), "POST", "/api/v1/activities", &key, Some(&body)).await;
    let retry = t.edge.api(Some(&t.leader), "POST", "/api/v1/activities", &key, Some(&body)).await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(id(&retry.json()), id(&first.json()), "the retry answers the first activity");
    assert_eq!(row_count(&t.edge.db_path(), "activities"), 1);
    let activity = id(&first.json());
    let approved = t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/activities/{activity}/approve")).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let path = format!("/api/v1/activities/{activity}/signups");
    let key = [("idempotency-key", "signup-retry-1")];
    let s1 = t.edge.api(Some(&v.token), "POST", &path, &key, Some(&json!({}))).await;
    let s2 = t.edge.api(Some(&v.token), "POST", &path, &key, Some(&json!({}))).await;
    assert_eq!(s1.status, 201, "{}", s1.text());
    assert_eq!(s2.status, 201, "the saved answer, not already_signed_up: {}", s2.text());
    assert_eq!(id(&s2.json()), id(&s1.json()));
    assert_eq!(count(&t, "SELECT count(*) FROM signups WHERE activity_id = ?1", [activity]), 1);
}

#[tokio::test]
async fn approval_issues_a_six_character_code_from_the_contract_alphabet_and_is_audited() {
    let t = town().await;
    let base = activity_base_time();
    let pending = t.apply(&t.activity_body("垃圾分类宣传", base, base + 2 * HOUR, 10)).await;
    let activity = id(&pending);
    assert_eq!(pending["status"], "pending");
    assert_eq!(activity_row(&t, activity).1, None, "no code before approval");

    let reply = t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/activities/{activity}/approve")).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let approved = reply.json();
    assert_eq!(approved["status"], "approved");
    let code = approved["code"].as_str().unwrap_or_else(|| panic!("no code in {approved}")).to_owned();
    assert_eq!(code.chars().count(), 6, "six characters: {code}");
    assert!(code.chars().all(|c| ALPHABET.contains(c)), "{code} uses only {ALPHABET}");
    assert_eq!(approved["qr_payload"], format!("wenming://checkin?code={code}"));
    let (status, stored, decided_by) = activity_row(&t, activity);
    assert_eq!(status, "approved");
    assert_eq!(stored.as_deref(), Some(code.as_str()), "the code is stored");
    assert_eq!(decided_by, Some(t.admin_a_id));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM audit_log WHERE action = 'activity.approve' AND entity_id = ?1 AND actor_id = ?2",
            [activity, t.admin_a_id]
        ),
        1,
        "the approval is audited"
    );
}

#[tokio::test]
async fn approved_activities_get_distinct_codes_and_invitation_only_ones_an_eight_character_invitation_code() {
    let t = town().await;
    let base = activity_base_time();
    let mut codes = HashSet::new();

    for i in 0..8 {
        let mut body = t.activity_body(&format!("活动{i}"), base + i * 3 * HOUR, base + i * 3 * HOUR + HOUR, 5);
        if i == 0 {
            body["visibility"] = json!("invitation");
        }
        let a = t.approved_activity(&body).await;
        let code = a["code"].as_str().expect("code").to_owned();
        assert!(code.len() == 6 && code.chars().all(|c| ALPHABET.contains(c)), "{code}");
        codes.insert(code);
        if i == 0 {
            let invitation = a["invitation_code"]
                .as_str()
                .unwrap_or_else(|| panic!("no invitation_code for an invitation-only activity: {a}"));
            assert_eq!(invitation.chars().count(), 8, "{invitation}");
        } else {
            assert_eq!(a["invitation_code"], Json::Null, "a public activity has no invitation code: {a}");
        }
    }

    assert_eq!(codes.len(), 8, "every activity code is unique: {codes:?}");
}

#[tokio::test]
async fn approving_twice_is_a_wrong_state_conflict_and_keeps_the_first_code() {
    let t = town().await;
    let base = activity_base_time();
    let approved = t.approved_activity(&t.activity_body("义诊", base, base + 2 * HOUR, 10)).await;
    let activity = id(&approved);
    let first = activity_row(&t, activity).1;

    let again = t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/activities/{activity}/approve")).await;
    let reject = t
        .edge
        .post_as(&t.admin_a, &format!("/api/v1/activities/{activity}/reject"), &json!({ "reason": "改期" }))
        .await;

    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error_code(), "wrong_state", "{}", again.text());
    assert_eq!(reject.status, 409, "rejecting an approved activity: {}", reject.text());
    assert_eq!(reject.error_code(), "wrong_state");
    let (status, code, _) = activity_row(&t, activity);
    assert_eq!(status, "approved");
    assert_eq!(code, first, "the code did not change");
    assert_eq!(
        count(&t, "SELECT count(*) FROM audit_log WHERE action = 'activity.approve' AND entity_id = ?1", [activity]),
        1
    );
}

#[tokio::test]
async fn a_station_admin_of_another_station_cannot_approve_or_reject_and_the_status_is_unchanged() {
    let t = town().await;
    let base = activity_base_time();
    let activity = id(&t.apply(&t.activity_body("东街清扫", base, base + 2 * HOUR, 10)).await);

    let approve = t.edge.post_empty_as(&t.admin_b, &format!("/api/v1/activities/{activity}/approve")).await;
    let reject = t
        .edge
        .post_as(&t.admin_b, &format!("/api/v1/activities/{activity}/reject"), &json!({ "reason": "不行" }))
        .await;
    let by_leader = t.edge.post_empty_as(&t.leader, &format!("/api/v1/activities/{activity}/approve")).await;

    for (who, reply) in
        [("B's admin approving", &approve), ("B's admin rejecting", &reject), ("the applicant", &by_leader)]
    {
        assert!(
            reply.status == 404 || reply.status == 403,
            "{who}: expected 404/403, got {}: {}",
            reply.status,
            reply.text()
        );
    }
    assert_eq!(activity_row(&t, activity), ("pending".to_owned(), None, None), "still pending, no code");
    assert_eq!(
        count(&t, "SELECT count(*) FROM audit_log WHERE action IN ('activity.approve', 'activity.reject')", []),
        0
    );
    // The station's own admin can, so the refusals were about who asked.
    let own = t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/activities/{activity}/approve")).await;
    assert_eq!(own.status, 200, "{}", own.text());
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_is_audited() {
    let t = town().await;
    let base = activity_base_time();
    let activity = id(&t.apply(&t.activity_body("待驳回", base, base + HOUR, 10)).await);
    let path = format!("/api/v1/activities/{activity}/reject");

    let bare = t.edge.post_as(&t.admin_a, &path, &json!({})).await;
    let status_after_bare = activity_row(&t, activity).0;
    let reasoned = t.edge.post_as(&t.admin_a, &path, &json!({ "reason": "时间与社区大会冲突" })).await;

    assert_eq!(bare.status, 422, "{}", bare.text());
    assert_eq!(bare.error_field(), "reason");
    assert_eq!(status_after_bare, "pending");
    assert_eq!(reasoned.status, 200, "{}", reasoned.text());
    assert_eq!(reasoned.json()["status"], "rejected");
    let (status, code, _) = activity_row(&t, activity);
    assert_eq!((status.as_str(), code), ("rejected", None), "a rejected activity gets no code");
    assert_eq!(
        count(&t, "SELECT count(*) FROM activities WHERE id = ?1 AND reject_reason = '时间与社区大会冲突'", [activity]),
        1
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM audit_log WHERE action = 'activity.reject' AND entity_id = ?1", [activity]),
        1
    );
}

#[tokio::test]
async fn without_a_session_only_approved_public_activities_are_listed_or_shown() {
    let t = town().await;
    let base = activity_base_time();
    let public = id(&t.approved_activity(&t.activity_body("公开活动", base, base + HOUR, 10)).await);
    let pending = id(&t.apply(&t.activity_body("待审活动", base, base + HOUR, 10)).await);
    let mut body = t.activity_body("邀请活动", base, base + HOUR, 10);
    body["visibility"] = json!("invitation");
    let invitation = id(&t.approved_activity(&body).await);

    let list = t.edge.api(None, "GET", "/api/v1/activities?limit=100", &[], None).await;
    let shown_public = t.edge.api(None, "GET", &format!("/api/v1/activities/{public}"), &[], None).await;
    let shown_pending = t.edge.api(None, "GET", &format!("/api/v1/activities/{pending}"), &[], None).await;
    let shown_invitation = t.edge.api(None, "GET", &format!("/api/v1/activities/{invitation}"), &[], None).await;
    let managed = t.edge.get_as(&t.admin_a, "/api/v1/activities?limit=100").await;

    assert_eq!(list.status, 200, "{}", list.text());
    let ids: Vec<i64> = list.json()["items"].as_array().expect("items").iter().map(id).collect();
    assert_eq!(ids, vec![public], "anonymous list: approved public only");
    assert_eq!(shown_public.status, 200);
    assert_eq!(
        shown_public.json()["code"],
        Json::Null,
        "the activity code is not shown to anyone: {}",
        shown_public.text()
    );
    assert_eq!(shown_pending.status, 404, "{}", shown_pending.text());
    assert_eq!(shown_invitation.status, 404, "{}", shown_invitation.text());
    assert_eq!(managed.status, 200);
    let mut managed_ids: Vec<i64> = managed.json()["items"].as_array().expect("items").iter().map(id).collect();
    managed_ids.sort();
    assert_eq!(managed_ids, vec![public, pending, invitation], "the station's admin sees all three");
}

// ---- Sign-ups --------------------------------------------------------------------------------

#[tokio::test]
async fn a_volunteer_younger_than_the_minimum_age_is_refused() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0); // born in 1990
    let base = activity_base_time();
    let mut body = t.activity_body("年龄限制", base, base + HOUR, 5);
    body["min_age"] = json!(60);
    let activity = id(&t.approved_activity(&body).await);

    let reply = t.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{activity}/signups")).await;

    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), "min_age", "{}", reply.text());
    assert_eq!(signup_row(&t, activity, v.id), None);
}

#[tokio::test]
async fn thirty_concurrent_sign_ups_for_three_places_confirm_exactly_three_and_waitlist_the_rest() {
    let t = town().await;
    let volunteers = t.volunteers(0, 30, t.a).await;
    let base = activity_base_time();
    let activity = id(&t.approved_activity(&t.activity_body("热门活动", base, base + 2 * HOUR, 3)).await);

    let mut tasks = Vec::new();
    for v in &volunteers {
        let url = t.edge.url(&format!("/api/v1/activities/{activity}/signups"));
        let token = v.token.clone();
        tasks.push(tokio::spawn(async move {
            let reply = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("sign-up request");
            let status = reply.status().as_u16();
            let body: Json = reply.json().await.unwrap_or(Json::Null);
            (status, body)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    for (status, body) in &answers {
        assert_eq!(*status, 201, "every sign-up is accepted (confirmed or waitlisted): {body}");
    }
    let confirmed_answers = answers.iter().filter(|(_, b)| b["status"] == "confirmed").count();
    assert_eq!(confirmed_answers, 3, "three answers say confirmed");
    let places: HashSet<i64> = answers
        .iter()
        .filter(|(_, b)| b["status"] == "waitlisted")
        .map(|(_, b)| b["position"].as_i64().unwrap_or_else(|| panic!("waitlisted without a position: {b}")))
        .collect();
    assert_eq!(places, (1..=27).collect::<HashSet<_>>(), "waitlist places 1..=27, each once");

    assert_eq!(
        count(&t, "SELECT count(*) FROM signups WHERE activity_id = ?1 AND status = 'confirmed'", [activity]),
        3,
        "the database holds exactly capacity confirmed sign-ups"
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM signups WHERE activity_id = ?1 AND status = 'waitlisted'", [activity]),
        27
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(DISTINCT position) FROM signups WHERE activity_id = ?1 AND status = 'waitlisted'",
            [activity]
        ),
        27,
        "waitlisted sign-ups have distinct positions"
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM signups w WHERE w.activity_id = ?1 AND w.status = 'waitlisted'
               AND w.position < (SELECT max(position) FROM signups c WHERE c.activity_id = ?1 AND c.status = 'confirmed')",
            [activity]
        ),
        0,
        "the confirmed ones came first: no waitlisted position is ahead of a confirmed one"
    );
}

#[tokio::test]
async fn cancelling_a_confirmed_sign_up_promotes_the_lowest_waitlist_position() {
    let t = town().await;
    let v = t.volunteers(0, 3, t.a).await;
    let base = activity_base_time();
    let activity = id(&t.approved_activity(&t.activity_body("一个名额", base, base + 2 * HOUR, 1)).await);
    t.sign_up(activity, &v[0]).await; // confirmed
    t.sign_up(activity, &v[1]).await; // waitlisted first
    t.sign_up(activity, &v[2]).await; // waitlisted second
                                      // v1 leaves the waitlist and joins again: same sign-up row (lower id than v2's) but now at
                                      // the back of the queue, so "first waitlisted" must mean position, not row order.
    let left = t.edge.delete_as(&v[1].token, &format!("/api/v1/activities/{activity}/signups/mine")).await;
    assert_eq!(left.status, 200, "{}", left.text());
    assert_eq!(left.json()["promoted_volunteer_id"], Json::Null, "a waitlisted cancellation promotes no one");
    let back = t.sign_up(activity, &v[1]).await;
    assert_eq!(back["status"], "waitlisted");
    assert_eq!(back["position"], 2, "back of the queue: {back}");
    let (p1, p2) = (signup_row(&t, activity, v[1].id).unwrap().1, signup_row(&t, activity, v[2].id).unwrap().1);
    assert!(p2 < p1, "v2 now waits ahead of v1 ({p2} < {p1})");

    let reply = t.edge.delete_as(&v[0].token, &format!("/api/v1/activities/{activity}/signups/mine")).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["promoted_volunteer_id"], v[2].id, "the lowest position is promoted: {body}");
    assert_eq!(status_of(&t, activity, &v[0]), "cancelled");
    assert_eq!(status_of(&t, activity, &v[2]), "confirmed", "lowest waitlist position promoted");
    assert_eq!(status_of(&t, activity, &v[1]), "waitlisted", "the later one still waits");
    assert_eq!(
        count(&t, "SELECT count(*) FROM signups WHERE activity_id = ?1 AND status = 'confirmed'", [activity]),
        1,
        "capacity still holds"
    );
}

#[tokio::test]
async fn a_sign_up_overlapping_another_of_the_volunteers_is_refused_and_writes_nothing() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let base = activity_base_time();
    let morning = id(&t.approved_activity(&t.activity_body("上午", base, base + 3 * HOUR, 5)).await);
    let overlapping = id(&t.approved_activity(&t.activity_body("中午", base + 2 * HOUR, base + 4 * HOUR, 5)).await);
    let adjacent = id(&t.approved_activity(&t.activity_body("下午", base + 3 * HOUR, base + 5 * HOUR, 5)).await);
    t.sign_up(morning, &v).await;

    let clash = t.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{overlapping}/signups")).await;
    let next = t.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{adjacent}/signups")).await;

    assert_eq!(clash.status, 409, "{}", clash.text());
    assert_eq!(clash.error_code(), "overlap", "{}", clash.text());
    assert_eq!(signup_row(&t, overlapping, v.id), None, "no sign-up row for the refused one");
    assert_eq!(next.status, 201, "an activity starting when the other ends does not overlap: {}", next.text());
}

#[tokio::test]
async fn a_waitlisted_sign_up_also_blocks_an_overlapping_one() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let base = activity_base_time();
    let full = id(&t.approved_activity(&t.activity_body("满员", base, base + 2 * HOUR, 1)).await);
    let other = id(&t.approved_activity(&t.activity_body("同时段", base + HOUR, base + 3 * HOUR, 5)).await);
    t.sign_up(full, &v[0]).await;
    let waiting = t.sign_up(full, &v[1]).await;
    assert_eq!(waiting["status"], "waitlisted");

    let clash = t.edge.post_empty_as(&v[1].token, &format!("/api/v1/activities/{other}/signups")).await;

    assert_eq!(clash.status, 409, "{}", clash.text());
    assert_eq!(clash.error_code(), "overlap");
    assert_eq!(signup_row(&t, other, v[1].id), None);
}

#[tokio::test]
async fn signing_up_twice_is_a_conflict() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let base = activity_base_time();
    let activity = id(&t.approved_activity(&t.activity_body("重复报名", base, base + HOUR, 5)).await);
    t.sign_up(activity, &v).await;

    let again = t.edge.post_empty_as(&v.token, &format!("/api/v1/activities/{activity}/signups")).await;

    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error_code(), "already_signed_up");
    assert_eq!(count(&t, "SELECT count(*) FROM signups WHERE activity_id = ?1", [activity]), 1);
}

#[tokio::test]
async fn cancelling_after_the_deadline_is_refused_and_changes_nothing() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let base = activity_base_time();
    let body = t.activity_body("截止后取消", base, base + 2 * HOUR, 1);
    let deadline = base - HOUR; // activity_body's deadline
    let activity = id(&t.approved_activity(&body).await);
    t.sign_up(activity, &v[0]).await;
    t.sign_up(activity, &v[1]).await;
    let before = (signup_row(&t, activity, v[0].id), signup_row(&t, activity, v[1].id));

    let late =
        t.edge.delete_at(&v[0].token, &format!("/api/v1/activities/{activity}/signups/mine"), deadline + 60).await;
    let late_signup =
        t.edge.post_at(&v[1].token, &format!("/api/v1/activities/{activity}/signups"), deadline + 60, &json!({})).await;

    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.error_code(), "signup_closed", "{}", late.text());
    assert_eq!(
        (signup_row(&t, activity, v[0].id), signup_row(&t, activity, v[1].id)),
        before,
        "still confirmed and waitlisted, nobody cancelled or promoted"
    );
    assert_eq!(late_signup.status, 409, "already signed up or closed: {}", late_signup.text());
    // Before the deadline the same cancellation goes through, so the refusal was the deadline's.
    let in_time =
        t.edge.delete_at(&v[0].token, &format!("/api/v1/activities/{activity}/signups/mine"), deadline - 60).await;
    assert_eq!(in_time.status, 200, "{}", in_time.text());
    assert_eq!(status_of(&t, activity, &v[1]), "confirmed");
}

#[tokio::test]
async fn signing_up_after_the_deadline_is_refused() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let base = activity_base_time();
    let activity = id(&t.approved_activity(&t.activity_body("已截止", base, base + HOUR, 5)).await);

    let late =
        t.edge.post_at(&v.token, &format!("/api/v1/activities/{activity}/signups"), base - HOUR + 1, &json!({})).await;

    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.error_code(), "signup_closed", "{}", late.text());
    assert_eq!(signup_row(&t, activity, v.id), None);
}

#[tokio::test]
async fn an_invitation_only_activity_needs_its_invitation_code() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let base = activity_base_time();
    let mut body = t.activity_body("内部培训", base, base + 2 * HOUR, 5);
    body["visibility"] = json!("invitation");
    let approved = t.approved_activity(&body).await;
    let activity = id(&approved);
    let invitation = approved["invitation_code"].as_str().expect("invitation_code").to_owned();
    let path = format!("/api/v1/activities/{activity}/signups");
    let wrong = if invitation.starts_with('A') { "BBBBBBBB" } else { "AAAAAAAA" };

    let without = t.edge.post_empty_as(&v[0].token, &path).await;
    let with_wrong = t.edge.post_as(&v[0].token, &path, &json!({ "invitation_code": wrong })).await;
    let with_right = t.edge.post_as(&v[1].token, &path, &json!({ "invitation_code": invitation })).await;

    assert_eq!(without.status, 403, "{}", without.text());
    assert_eq!(with_wrong.status, 403, "{}", with_wrong.text());
    assert_eq!(signup_row(&t, activity, v[0].id), None, "refused sign-ups write nothing");
    assert_eq!(with_right.status, 201, "{}", with_right.text());
    assert_eq!(with_right.json()["status"], "confirmed");
    assert_eq!(status_of(&t, activity, &v[1]), "confirmed");
}

#[tokio::test]
async fn the_manager_list_of_sign_ups_masks_phones() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let base = activity_base_time();
    let activity = id(&t.approved_activity(&t.activity_body("名单", base, base + HOUR, 1)).await);
    t.sign_up(activity, &v[0]).await;
    t.sign_up(activity, &v[1]).await;

    let reply = t.edge.get_as(&t.admin_a, &format!("/api/v1/activities/{activity}/signups")).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let list = reply.json();
    let items = list["items"].as_array().unwrap_or_else(|| panic!("no items: {list}"));
    assert_eq!(items.len(), 2);
    for (item, v) in items.iter().zip(&v) {
        assert_eq!(item["phone"], mask_phone(&v.phone), "{item}");
        assert!(item["volunteer_no"].as_str().is_some_and(|n| n.starts_with("WM")), "{item}");
    }
    assert!(!reply.text().contains(&v[0].phone), "no whole phone in {}", reply.text());
    assert_eq!(items[1]["status"], "waitlisted");
    assert_eq!(items[1]["position"], 1);
}

/// Found by fuzzing the OpenAPI file: a multi-byte character where a time's offset would start
/// used to panic the component (500). It is just not a time.
#[tokio::test]
async fn a_time_filter_with_multi_byte_text_is_a_field_error_not_a_crash() {
    let edge = wenming_tests::start_product();

    let reply = edge.get("/api/v1/activities?from=aaaaaaaaaaaaaaaaaa%C3%A9%20x").await;

    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.json()["error"]["field"], "from");
}

// ---- Search filters ----------------------------------------------------------------------------

/// `GET /api/v1/activities?<query>&limit=100` as `token` (or anonymously): the listed ids, in
/// the list's order (200 asserted).
async fn listed_ids(t: &Town, token: Option<&str>, query: &str) -> Vec<i64> {
    let path = format!("/api/v1/activities?{query}&limit=100");
    let reply = t.edge.api(token, "GET", &path, &[], None).await;
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    reply.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items for {path}: {}", reply.text()))
        .iter()
        .map(id)
        .collect()
}

/// An RFC 3339 time as a query value (`+` percent-encoded).
fn query_time(unix: i64) -> String {
    shanghai_rfc3339(unix).replace('+', "%2B")
}

#[tokio::test]
async fn the_search_filters_by_subtree_category_time_status_and_text_and_combined_filters_intersect() {
    // Arrange: at station A (the team) and at station B (B's admin), two categories, two days,
    // approved; plus one pending at A.
    let t = town().await;
    let day1 = activity_base_time();
    let day2 = day1 + 2 * DAY;
    let at = |title: &str, category: &str, starts_at: i64, hours: i64| {
        let mut body = t.activity_body(title, starts_at, starts_at + hours * HOUR, 10);
        body["category"] = json!(category);
        body
    };
    let at_b = |mut body: Json| {
        body["org_id"] = json!(t.b);
        body["address"] = json!("西街社区服务中心");
        body.as_object_mut().unwrap().remove("team_id");
        body
    };
    let a1 = id(&t.approved_activity(&at("敬老院陪伴", "助老", day1, 2)).await);
    let a2 = id(&t.approved_activity(&at("河道清理", "环保", day2, 2)).await);
    let mut b1_body = at_b(at("垃圾分类宣传", "环保", day1 + 3 * HOUR, 2));
    b1_body["description"] = json!("在河道旁的小区宣讲垃圾分类");
    let b2_body = {
        let mut b = at_b(at("老人理发", "助老", day2, 2));
        b["address"] = json!("西街河道公园");
        b
    };
    let mut b_ids = Vec::new();
    for body in [&b1_body, &b2_body] {
        let applied = t.edge.post_as(&t.admin_b, "/api/v1/activities", body).await;
        assert_eq!(applied.status, 201, "B's admin applies at B {body}: {}", applied.text());
        let b = id(&applied.json());
        let approved = t.edge.post_empty_as(&t.admin_b, &format!("/api/v1/activities/{b}/approve")).await;
        assert_eq!(approved.status, 200, "B's admin approves {b}: {}", approved.text());
        b_ids.push(b);
    }
    let (b1, b2) = (b_ids[0], b_ids[1]);
    let pending = id(&t.apply(&at("待审助老", "助老", day1, 2)).await);
    assert_eq!(
        count(&t, "SELECT count(*) FROM activities a JOIN orgs o ON o.id = a.org_id WHERE o.id = ?1", [t.b]),
        2,
        "two activities hosted at B"
    );
    let sorted = |mut v: Vec<i64>| {
        v.sort();
        v
    };
    let day1_window = format!("from={}&to={}", query_time(day1 + HOUR), query_time(day1 + DAY));

    // Act
    let everything = listed_ids(&t, None, "").await;
    let under_a = listed_ids(&t, None, &format!("under={}", t.a)).await;
    let under_b = listed_ids(&t, None, &format!("under={}", t.b)).await;
    let under_institute = listed_ids(&t, None, &format!("under={}", t.institute)).await;
    let care = listed_ids(&t, None, "category=%E5%8A%A9%E8%80%81").await; // 助老
    let green = listed_ids(&t, None, "category=%E7%8E%AF%E4%BF%9D").await; // 环保
    let on_day1 = listed_ids(&t, None, &day1_window).await;
    let after_a1_ended =
        listed_ids(&t, None, &format!("from={}&to={}", query_time(day1 + 2 * HOUR), query_time(day1 + DAY))).await;
    let on_day2 = listed_ids(&t, None, &format!("from={}", query_time(day2 - HOUR))).await;
    let before_day2 = listed_ids(&t, None, &format!("to={}", query_time(day2))).await;
    // Started in [day1 +1h, day2 +1h): a1 (started at day1, still running at +1h) is not, b1 is.
    let started_in = listed_ids(
        &t,
        Some(&t.admin),
        &format!("status=approved&started_from={}&to={}", query_time(day1 + HOUR), query_time(day2 + HOUR)),
    )
    .await;
    let started_backwards =
        t.edge.get(&format!("/api/v1/activities?started_from={}&to={}", query_time(day2), query_time(day1))).await;
    let river = listed_ids(&t, None, "q=%E6%B2%B3%E9%81%93").await; // 河道
    let percent = listed_ids(&t, None, "q=%25").await;
    let pending_anonymous = listed_ids(&t, None, "status=pending").await;
    let pending_admin = listed_ids(&t, Some(&t.admin), "status=pending").await;
    let approved_admin = listed_ids(&t, Some(&t.admin), "status=approved").await;
    let under_a_admin = listed_ids(&t, Some(&t.admin_a), &format!("under={}", t.a)).await;
    let care_at_a = listed_ids(&t, None, &format!("under={}&category=%E5%8A%A9%E8%80%81", t.a)).await;
    let green_on_day1 = listed_ids(&t, None, &format!("category=%E7%8E%AF%E4%BF%9D&{day1_window}")).await;
    let river_at_b_on_day2 = listed_ids(
        &t,
        None,
        &format!("under={}&q=%E6%B2%B3%E9%81%93&from={}&to={}", t.b, query_time(day2), query_time(day2 + DAY)),
    )
    .await;
    let care_pending_at_a_admin =
        listed_ids(&t, Some(&t.admin_a), &format!("under={}&category=%E5%8A%A9%E8%80%81&status=pending", t.a)).await;

    // Assert
    assert_eq!(everything, sorted(vec![a1, a2, b1, b2]), "no filter: the four approved public ones, by id");
    assert_eq!(under_a, vec![a1, a2], "under=A");
    assert_eq!(under_b, vec![b1, b2], "under=B");
    assert_eq!(under_institute, sorted(vec![a1, a2, b1, b2]), "under=the institute covers both stations");
    assert_eq!(care, sorted(vec![a1, b2]), "category=助老");
    assert_eq!(green, sorted(vec![a2, b1]), "category=环保");
    assert_eq!(on_day1, sorted(vec![a1, b1]), "[day1 +1h, +1 day): a1 still running at `from` is shown");
    assert_eq!(after_a1_ended, vec![b1], "a1 ends exactly at `from`: [from, to) does not overlap it");
    assert_eq!(on_day2, sorted(vec![a2, b2]), "from alone");
    assert_eq!(before_day2, sorted(vec![a1, b1]), "to alone: day2's activities start at `to`, not before");
    assert_eq!(started_in, sorted(vec![b1, a2, b2]), "started_from: by start, not overlap (a1 began before)");
    assert_eq!((started_backwards.status, started_backwards.error_field()), (422, "to".to_string()));
    assert_eq!(river, sorted(vec![a2, b1, b2]), "q=河道 matches the title (a2), description (b1), address (b2)");
    assert_eq!(percent, Vec::<i64>::new(), "q=% is a literal %, not a wildcard");
    assert_eq!(pending_anonymous, Vec::<i64>::new(), "anonymous callers never see pending ones");
    assert_eq!(pending_admin, vec![pending], "status=pending for the centre admin");
    assert_eq!(approved_admin, sorted(vec![a1, a2, b1, b2]), "status=approved for the centre admin");
    assert_eq!(under_a_admin, sorted(vec![a1, a2, pending]), "A's admin under=A: A's, every status");
    assert_eq!(care_at_a, vec![a1], "under=A ∩ category=助老");
    assert_eq!(green_on_day1, vec![b1], "category=环保 ∩ day1");
    assert_eq!(river_at_b_on_day2, vec![b2], "under=B ∩ q=河道 ∩ day2");
    assert_eq!(care_pending_at_a_admin, vec![pending], "under=A ∩ 助老 ∩ pending");
    let stored: Vec<(i64, String, String)> = {
        let conn = open_db(&t.edge.db_path());
        let mut stmt = conn.prepare("SELECT id, category, status FROM activities ORDER BY id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    let expected: Vec<(i64, String, String)> = vec![
        (a1, "助老".into(), "approved".into()),
        (a2, "环保".into(), "approved".into()),
        (b1, "环保".into(), "approved".into()),
        (b2, "助老".into(), "approved".into()),
        (pending, "助老".into(), "pending".into()),
    ];
    assert_eq!(stored, expected, "the database holds what was arranged");
}
