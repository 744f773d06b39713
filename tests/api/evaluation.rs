//! Evaluation (群众评单, 三级评估, 以评促建) through the real product (`spin.toml`), against
//! `docs/evaluation-api.md`: ratings of activities and projects, work evaluations by scheme with
//! server-computed totals, thematic grading by weighted rater groups, the index and rankings
//! among siblings, and who may do and see what.
//!
//! Set-up: the harness's `town()` (through the API): a centre, institute 城关镇 with stations A
//! (东街) and B (西街) and their station admins, a team at A and its leader; here we add an
//! institute admin, and where needed a second institute. Volunteers are registered by the centre
//! admin and sign in by SMS code. The product runs with `allow_clock_override`; requests that
//! depend on time carry `X-Wenming-Now`.
//!
//! The index test arranges its platform data (activities, attendances, orders and their
//! acceptance events) by inserting rows into the test's fresh database with `open_db` — the API
//! path to forty timed orders in a past month is very long — while the ratings go through the
//! API at a past request time. Every expected number is worked out by hand in the comments.

use wenming_tests::{
    activity_base_time, count, id, json, open_db, town, Json, Reply, SignedInVolunteer, Town, DAY, HOUR,
};

/// 2026-10-01T00:00:00+08:00: the start of the period `2026-10`.
const OCT: i64 = 1_790_784_000;
const INSTITUTE_ADMIN_PHONE: &str = "13911110009";

fn expect(reply: &Reply, status: u16, what: &str) -> Json {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    reply.json()
}

/// The institute admin of 城关镇 (manage-evaluations there).
async fn institute_admin(t: &Town) -> String {
    t.staff("城关镇所长", INSTITUTE_ADMIN_PHONE, "institute-admin", t.institute).await.token
}

/// An activity of the town's team at A, approved, with `volunteers` signed up; starts at `start`.
async fn activity_with(t: &Town, start: i64, volunteers: &[&SignedInVolunteer]) -> i64 {
    let approved = t.approved_activity(&t.activity_body("陪伴老人", start, start + 2 * HOUR, 10)).await;
    for v in volunteers {
        t.sign_up(id(&approved), v).await;
    }
    id(&approved)
}

#[tokio::test]
async fn a_participant_rates_an_activity_once_and_a_non_participant_cannot_rate_as_one() {
    // Arrange: an activity at A; v0 and v1 sign up, only v0 checks in; a citizen was served.
    let t = town().await;
    let vs = t.volunteers(0, 2, t.a).await;
    let start = activity_base_time();
    let activity = activity_with(&t, start, &[&vs[0], &vs[1]]).await;
    let code: String = open_db(&t.edge.db_path())
        .query_row("SELECT code FROM activities WHERE id = ?1", [activity], |r| r.get(0))
        .unwrap();
    expect(
        &t.edge.post_at(&vs[0].token, "/api/v1/checkins", start + 60, &json!({"code": code})).await,
        201,
        "check-in",
    );
    let citizen = t.edge.sign_in_by_code(&t.admin, "13722220001").await;
    let rate = |level: &str, who: &str| json!({"activity_id": activity, "as": who, "level": level});

    // Act + Assert: before the start nobody rates.
    let early = t.edge.post_at(&vs[0].token, "/api/v1/ratings", start - HOUR, &rate("satisfied", "participant")).await;
    assert_eq!((early.status, early.error_code()), (409, "not_started".into()), "{}", early.text());

    // The participant rates once; the second time is 409 and one row stays.
    let first =
        t.edge.post_at(&vs[0].token, "/api/v1/ratings", start + HOUR, &rate("very_satisfied", "participant")).await;
    let first = expect(&first, 201, "first rating");
    assert_eq!((first["as"].as_str(), first["points"].as_i64()), (Some("participant"), Some(100)));
    let again = t.edge.post_at(&vs[0].token, "/api/v1/ratings", start + HOUR, &rate("dissatisfied", "citizen")).await;
    assert_eq!((again.status, again.error_code()), (409, "already_rated".into()), "{}", again.text());
    assert_eq!(count(&t, "SELECT count(*) FROM eval_ratings", []), 1);

    // v1 signed up but never attended: not a participant (403), nothing stored.
    let refused =
        t.edge.post_at(&vs[1].token, "/api/v1/ratings", start + HOUR, &rate("satisfied", "participant")).await;
    assert_eq!((refused.status, refused.error_code()), (403, "not_participant".into()), "{}", refused.text());
    assert_eq!(count(&t, "SELECT count(*) FROM eval_ratings", []), 1);

    // Project-only scores on an activity are refused; the citizen rates as citizen.
    let mut extra = rate("satisfied", "citizen");
    extra["recognition"] = json!(5);
    let bad = t.edge.post_at(&citizen, "/api/v1/ratings", start + HOUR, &extra).await;
    assert_eq!((bad.status, bad.error_field()), (422, "recognition".into()), "{}", bad.text());
    expect(
        &t.edge.post_at(&citizen, "/api/v1/ratings", start + HOUR, &rate("basically_satisfied", "citizen")).await,
        201,
        "citizen",
    );

    // The summary: very_satisfied 1, basically_satisfied 1 → satisfaction (1+0)/2 = 0.5,
    // score (100 + 60)/2 = 80; by group: participant 1 (100), citizen 1 (60).
    let s = expect(
        &t.edge.get_as(&t.admin_a, &format!("/api/v1/ratings/summary?activity={activity}")).await,
        200,
        "summary",
    );
    assert_eq!(s["n"], 2);
    assert_eq!(s["counts"], json!({"very_satisfied": 1, "satisfied": 0, "basically_satisfied": 1, "dissatisfied": 0}));
    assert_eq!((s["satisfaction_rate"].as_f64(), s["score"].as_f64()), (Some(0.5), Some(80.0)));
    assert_eq!(
        (s["by_group"]["participant"]["score"].as_f64(), s["by_group"]["citizen"]["score"].as_f64()),
        (Some(100.0), Some(60.0))
    );
    // Station B's admin does not see A's activity (404); a volunteer has no read-evaluations (403).
    assert_eq!(t.edge.get_as(&t.admin_b, &format!("/api/v1/ratings/summary?activity={activity}")).await.status, 404);
    assert_eq!(t.edge.get_as(&vs[1].token, &format!("/api/v1/ratings/summary?activity={activity}")).await.status, 403);
    let list =
        expect(&t.edge.get_as(&t.admin_a, &format!("/api/v1/ratings?activity={activity}&limit=1")).await, 200, "list");
    assert_eq!((list["items"].as_array().unwrap().len(), list["next_cursor"].as_i64()), (1, Some(id(&first))));
}

#[tokio::test]
async fn project_ratings_carry_recognition_and_participation_and_add_up_by_team_and_org() {
    // Arrange: the institute admin makes a project of A's team; v0 joins the team (approved).
    let t = town().await;
    let manager = institute_admin(&t).await;
    let vs = t.volunteers(0, 2, t.a).await;
    let body = json!({"name": "银龄陪伴计划", "org_id": t.a, "team_id": t.team, "starts_on": "2026-01-01", "ends_on": "2026-12-31"});
    let denied = t.edge.post_as(&t.admin_a, "/api/v1/projects", &body).await;
    assert_eq!(denied.status, 403, "a station admin has no manage-evaluations: {}", denied.text());
    let project = expect(&t.edge.post_as(&manager, "/api/v1/projects", &body).await, 201, "project");
    let taken = t.edge.post_as(&manager, "/api/v1/projects", &body).await;
    assert_eq!((taken.status, taken.error_code()), (409, "name_taken".into()));
    expect(&t.edge.post_empty_as(&vs[0].token, &format!("/api/v1/teams/{}/members", t.team)).await, 201, "join");
    let approve =
        t.edge.post_empty_as(&t.leader, &format!("/api/v1/teams/{}/members/{}/approve", t.team, vs[0].id)).await;
    assert!(approve.status == 200 || approve.status == 201, "approve: {}", approve.text());

    // Act: the member rates as participant, v1 (not a member) as citizen; recognition and
    // participation are required for a project.
    let pid = id(&project);
    let missing = t
        .edge
        .post_as(&vs[1].token, "/api/v1/ratings", &json!({"project_id": pid, "as": "citizen", "level": "satisfied"}))
        .await;
    assert_eq!((missing.status, missing.error_field()), (422, "recognition".into()), "{}", missing.text());
    let not_member =
        json!({"project_id": pid, "as": "participant", "level": "satisfied", "recognition": 4, "participation": 3});
    assert_eq!(t.edge.post_as(&vs[1].token, "/api/v1/ratings", &not_member).await.error_code(), "not_participant");
    let r0 = json!({"project_id": pid, "as": "participant", "level": "very_satisfied", "recognition": 5, "participation": 4});
    expect(&t.edge.post_as(&vs[0].token, "/api/v1/ratings", &r0).await, 201, "member");
    let r1 = json!({"project_id": pid, "as": "citizen", "level": "dissatisfied", "recognition": 2, "participation": 1});
    expect(&t.edge.post_as(&vs[1].token, "/api/v1/ratings", &r1).await, 201, "citizen");

    // Assert: 2 ratings; satisfaction 1/2 = 0.5; score (100+0)/2 = 50; recognition (5+2)/2 = 3.5;
    // participation (4+1)/2 = 2.5 — the same by project, by team and by A's subtree.
    for q in [format!("project={pid}"), format!("team={}", t.team), format!("org={}", t.a)] {
        let s = expect(&t.edge.get_as(&manager, &format!("/api/v1/ratings/summary?{q}")).await, 200, &q);
        assert_eq!(s["n"], 2, "{q}");
        assert_eq!(
            (
                s["satisfaction_rate"].as_f64(),
                s["score"].as_f64(),
                s["recognition_average"].as_f64(),
                s["participation_average"].as_f64()
            ),
            (Some(0.5), Some(50.0), Some(3.5), Some(2.5)),
            "{q}"
        );
    }
    let b = expect(&t.edge.get_as(&manager, &format!("/api/v1/ratings/summary?org={}", t.b)).await, 200, "B");
    assert_eq!((b["n"].as_i64(), b["score"].clone()), (Some(0), Json::Null));
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'project.create'", []), 1);
}

/// A 7-item station scheme (weights 15+15+15+20+10+10+15 = 100) made by the centre admin.
async fn station_scheme(t: &Town) -> Json {
    let body = json!({"centre_id": t.centre, "kind": "work", "name": "2026年实践站工作评估", "target_level": "station", "items": [
        {"key": "org", "title": "组织建设", "weight": 15, "max_points": 10},
        {"key": "venue", "title": "阵地建设", "weight": 15, "max_points": 10, "evidence_required": true},
        {"key": "team", "title": "队伍建设", "weight": 15, "max_points": 10},
        {"key": "activity", "title": "活动开展", "weight": 20, "max_points": 20, "evidence_required": true},
        {"key": "channel", "title": "渠道畅通", "weight": 10, "max_points": 5},
        {"key": "feature", "title": "特色品牌", "weight": 10, "max_points": 10},
        {"key": "satisfaction", "title": "群众满意", "weight": 15, "max_points": 100}]});
    expect(&t.edge.post_as(&t.admin, "/api/v1/evaluation/schemes", &body).await, 201, "scheme")
}

fn scores(values: [f64; 7]) -> Json {
    let keys = ["org", "venue", "team", "activity", "channel", "feature", "satisfaction"];
    keys.iter()
        .zip(values)
        .map(|(k, v)| json!({"item": k, "score": v, "note": "实地查看", "evidence": ["台账2026-10.pdf"]}))
        .collect()
}

#[tokio::test]
async fn a_work_evaluation_total_is_computed_by_the_server_and_bad_scores_change_nothing() {
    // Arrange
    let t = town().await;
    let manager = institute_admin(&t).await;
    let bad_weights = json!({"centre_id": t.centre, "kind": "work", "name": "x", "target_level": "station",
        "items": [{"key": "a", "title": "a", "weight": 60, "max_points": 10}, {"key": "b", "title": "b", "weight": 30, "max_points": 10}]});
    let refused = t.edge.post_as(&t.admin, "/api/v1/evaluation/schemes", &bad_weights).await;
    assert_eq!((refused.status, refused.error_field()), (422, "items".into()), "{}", refused.text());
    assert_eq!(count(&t, "SELECT count(*) FROM eval_schemes", []), 0);
    let scheme = station_scheme(&t).await;
    let sid = id(&scheme);
    let eval =
        |values: [f64; 7]| json!({"scheme_id": sid, "org_id": t.a, "period": "2026-Q4", "scores": scores(values)});
    let audits = count(&t, "SELECT count(*) FROM audit_log", []);

    // Act + Assert: a score above its maximum, a missing evidence reference, a missing item, and
    // a total sent by the client are all 422 and store nothing.
    let over = t
        .edge
        .post_as(&manager, "/api/v1/evaluation/work-evaluations", &eval([8.0, 11.0, 10.0, 15.0, 4.0, 6.5, 92.0]))
        .await;
    assert_eq!((over.status, over.error_field()), (422, "scores[1].score".into()), "{}", over.text());
    let mut no_evidence = eval([8.0, 9.0, 10.0, 15.0, 4.0, 6.5, 92.0]);
    no_evidence["scores"][3]["evidence"] = json!([]);
    let r = t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &no_evidence).await;
    assert_eq!((r.status, r.error_field()), (422, "scores[3].evidence".into()), "{}", r.text());
    let mut short = eval([8.0, 9.0, 10.0, 15.0, 4.0, 6.5, 92.0]);
    short["scores"].as_array_mut().unwrap().remove(5);
    let r = t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &short).await;
    assert_eq!((r.status, r.error_field()), (422, "scores.feature".into()), "{}", r.text());
    let mut typed = eval([8.0, 9.0, 10.0, 15.0, 4.0, 6.5, 92.0]);
    typed["total"] = json!(100);
    let r = t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &typed).await;
    assert_eq!((r.status, r.error_field()), (422, "total".into()), "{}", r.text());
    assert_eq!(count(&t, "SELECT count(*) FROM eval_work_evaluations", []), 0);
    assert_eq!(count(&t, "SELECT count(*) FROM eval_work_scores", []), 0);
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log", []), audits);

    // The institute admin: 8/10×15 + 9/10×15 + 10/10×15 + 15/20×20 + 4/5×10 + 6.5/10×10 + 92/100×15
    //                    = 12 + 13.5 + 15 + 15 + 8 + 6.5 + 13.8 = 83.8
    // Sent with an Idempotency-Key: the retry gets the same answer and stores nothing twice.
    let body = eval([8.0, 9.0, 10.0, 15.0, 4.0, 6.5, 92.0]);
    let key = [("idempotency-key", "eval-a-2026q4")];
    let a = t.edge.api(Some(&manager), "POST", "/api/v1/evaluation/work-evaluations", &key, Some(&body)).await;
    let a = expect(&a, 201, "institute evaluation");
    assert_eq!(a["total"].as_f64(), Some(83.8));
    assert_eq!(a["items"][6]["contribution"].as_f64(), Some(13.8));
    let retry = t.edge.api(Some(&manager), "POST", "/api/v1/evaluation/work-evaluations", &key, Some(&body)).await;
    assert_eq!(expect(&retry, 201, "retry")["id"], a["id"]);
    assert_eq!(count(&t, "SELECT count(*) FROM eval_work_evaluations", []), 1);
    assert_eq!(count(&t, "SELECT count(*) FROM eval_work_scores", []), 7);
    let again = t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &eval([1.0; 7])).await;
    assert_eq!((again.status, again.error_code()), (409, "already_evaluated".into()));
    // The centre admin: 15 + 15 + 7/10×15 + 18/20×20 + 5/5×10 + 5/10×10 + 80/100×15
    //                 = 15 + 15 + 10.5 + 18 + 10 + 5 + 12 = 85.5
    let c = t
        .edge
        .post_as(&t.admin, "/api/v1/evaluation/work-evaluations", &eval([10.0, 10.0, 7.0, 18.0, 5.0, 5.0, 80.0]))
        .await;
    assert_eq!(expect(&c, 201, "centre evaluation")["total"].as_f64(), Some(85.5));
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'evaluation.work.create'", []), 2);

    // A's result for 2026-Q4 = (83.8 + 85.5) / 2 = 84.65; B is listed, not yet evaluated.
    let res = t.edge.get_as(&t.admin, &format!("/api/v1/evaluation/schemes/{sid}/results?period=2026-Q4")).await;
    let res = expect(&res, 200, "results");
    let items = res["items"].as_array().unwrap();
    let row_a = items.iter().find(|i| i["org"]["id"] == t.a).unwrap();
    assert_eq!((row_a["evaluations"].as_i64(), row_a["average_total"].as_f64()), (Some(2), Some(84.65)));
    // Item averages: org (8+10)/2 = 9, team (10+7)/2 = 8.5.
    assert_eq!(
        (row_a["items"][0]["average_score"].as_f64(), row_a["items"][2]["average_score"].as_f64()),
        (Some(9.0), Some(8.5))
    );
    let row_b = items.iter().find(|i| i["org"]["id"] == t.b).unwrap();
    assert_eq!((row_b["evaluations"].as_i64(), row_b["average_total"].clone()), (Some(0), Json::Null));
}

#[tokio::test]
async fn evaluators_work_from_above_and_readers_see_only_their_own_subtree() {
    // Arrange: a second institute 河西镇 with station C; a station scheme and an institute scheme.
    let t = town().await;
    let manager = institute_admin(&t).await;
    let hexi = id(&t.edge.create_org(&t.admin, t.centre, "河西镇新时代文明实践所", "institute").await);
    let c = id(&t.edge.create_org(&t.admin, hexi, "河西村实践站", "station").await);
    let sid = id(&station_scheme(&t).await);
    let inst = json!({"centre_id": t.centre, "kind": "work", "name": "实践所评估", "target_level": "institute",
                      "items": [{"key": "all", "title": "综合", "weight": 100, "max_points": 100}]});
    let inst =
        id(&expect(&t.edge.post_as(&t.admin, "/api/v1/evaluation/schemes", &inst).await, 201, "institute scheme"));
    let on = |org: i64| json!({"scheme_id": sid, "org_id": org, "period": "2026-11", "scores": scores([5.0; 7])});

    // Act + Assert: a station admin cannot evaluate their own station (no manage-evaluations).
    let own = t.edge.post_as(&t.admin_a, "/api/v1/evaluation/work-evaluations", &on(t.a)).await;
    assert_eq!(own.status, 403, "{}", own.text());
    let mut mine = json!({"centre_id": t.centre, "kind": "work", "name": "站自评", "target_level": "station",
                          "items": [{"key": "all", "title": "综合", "weight": 100, "max_points": 100}]});
    assert_eq!(
        t.edge.post_as(&t.admin_a, "/api/v1/evaluation/schemes", &mine).await.status,
        403,
        "schemes are the centre's"
    );
    mine["name"] = json!("所自定");
    assert_eq!(
        t.edge.post_as(&manager, "/api/v1/evaluation/schemes", &mine).await.status,
        403,
        "schemes are the centre's"
    );
    // An institute admin cannot evaluate their own institute, nor a station of another institute.
    let self_eval = json!({"scheme_id": inst, "org_id": t.institute, "period": "2026-11", "scores": [{"item": "all", "score": 100}]});
    let r = t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &self_eval).await;
    assert_eq!((r.status, r.error_code()), (403, "own_org".into()), "{}", r.text());
    assert_eq!(t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &on(c)).await.status, 403);
    // A station is not an institute scheme's target.
    let wrong = json!({"scheme_id": inst, "org_id": t.a, "period": "2026-11", "scores": [{"item": "all", "score": 1}]});
    assert_eq!(t.edge.post_as(&t.admin, "/api/v1/evaluation/work-evaluations", &wrong).await.error_field(), "org_id");
    assert_eq!(count(&t, "SELECT count(*) FROM eval_work_evaluations", []), 0);

    let ea = id(&expect(&t.edge.post_as(&manager, "/api/v1/evaluation/work-evaluations", &on(t.a)).await, 201, "A"));
    let ec = id(&expect(&t.edge.post_as(&t.admin, "/api/v1/evaluation/work-evaluations", &on(c)).await, 201, "C"));

    // Readers: the institute admin sees A's, not C's (another institute); station B's admin sees
    // neither; station A's admin sees their own station's evaluation.
    let ids = |reply: Reply| -> Vec<i64> { reply.json()["items"].as_array().unwrap().iter().map(id).collect() };
    assert_eq!(ids(t.edge.get_as(&manager, "/api/v1/evaluation/work-evaluations").await), vec![ea]);
    assert_eq!(t.edge.get_as(&manager, &format!("/api/v1/evaluation/work-evaluations/{ec}")).await.status, 404);
    assert_eq!(ids(t.edge.get_as(&t.admin_b, "/api/v1/evaluation/work-evaluations").await), Vec::<i64>::new());
    assert_eq!(t.edge.get_as(&t.admin_b, &format!("/api/v1/evaluation/work-evaluations/{ea}")).await.status, 404);
    assert_eq!(t.edge.get_as(&t.admin_a, &format!("/api/v1/evaluation/work-evaluations/{ea}")).await.status, 200);
    assert_eq!(ids(t.edge.get_as(&t.admin, "/api/v1/evaluation/work-evaluations").await), vec![ea, ec]);
    // Rankings of another institute's stations are out of reach too.
    assert_eq!(
        t.edge.get_as(&manager, &format!("/api/v1/evaluation/rankings?parent={hexi}&period=2026-11")).await.status,
        404
    );
}

#[tokio::test]
async fn a_thematic_result_weighs_each_rater_group_average() {
    // Arrange: groups 党代表 40, 人大代表 30, 群众 30; two raters registered by the centre admin.
    let t = town().await;
    let body = json!({"centre_id": t.centre, "kind": "thematic", "name": "2026年群众满意度测评", "target_level": "station", "groups": [
        {"key": "party_rep", "title": "党代表", "weight": 40}, {"key": "npc_deputy", "title": "人大代表", "weight": 30},
        {"key": "citizen", "title": "群众", "weight": 30}]});
    let sid = id(&expect(&t.edge.post_as(&t.admin, "/api/v1/evaluation/schemes", &body).await, 201, "thematic scheme"));
    let phones = ["13722220011", "13722220012", "13722220013", "13722220014"];
    let mut tokens = Vec::new();
    for p in phones {
        tokens.push(t.edge.sign_in_by_code(&t.admin, p).await);
    }
    for (phone, group) in [(phones[0], "party_rep"), (phones[1], "npc_deputy")] {
        let r = t
            .edge
            .post_as(
                &t.admin,
                &format!("/api/v1/evaluation/schemes/{sid}/raters"),
                &json!({"phone": phone, "group": group}),
            )
            .await;
        expect(&r, 201, "register rater");
    }
    let bad_group = t
        .edge
        .post_as(
            &t.admin,
            &format!("/api/v1/evaluation/schemes/{sid}/raters"),
            &json!({"phone": phones[2], "group": "mayor"}),
        )
        .await;
    assert_eq!(bad_group.error_field(), "group");

    // Act: 党代表 满意 (100), 人大代表 基本满意 (60), two citizens 满意 and 不满意 (average 50).
    let grade = |g: &str| json!({"scheme_id": sid, "org_id": t.a, "period": "2026-Q4", "grade": g});
    for (token, g) in tokens.iter().zip(["satisfied", "basically_satisfied", "satisfied", "dissatisfied"]) {
        let r = expect(&t.edge.post_as(token, "/api/v1/evaluation/thematic-grades", &grade(g)).await, 201, g);
        assert!(r["group"].is_string());
    }
    let twice = t.edge.post_as(&tokens[0], "/api/v1/evaluation/thematic-grades", &grade("dissatisfied")).await;
    assert_eq!((twice.status, twice.error_code()), (409, "already_rated".into()));
    let institute = json!({"scheme_id": sid, "org_id": t.institute, "period": "2026-Q4", "grade": "satisfied"});
    assert_eq!(
        t.edge.post_as(&tokens[2], "/api/v1/evaluation/thematic-grades", &institute).await.error_field(),
        "org_id"
    );
    assert_eq!(count(&t, "SELECT count(*) FROM eval_thematic_grades", []), 4);

    // Assert: 0.4×100 + 0.3×60 + 0.3×50 = 40 + 18 + 15 = 73, each group's inputs shown.
    let res = expect(
        &t.edge.get_as(&t.admin, &format!("/api/v1/evaluation/schemes/{sid}/results?period=2026-Q4")).await,
        200,
        "results",
    );
    let a = res["items"].as_array().unwrap().iter().find(|i| i["org"]["id"] == t.a).unwrap().clone();
    assert_eq!(a["result"].as_f64(), Some(73.0), "{a}");
    let groups: Vec<(i64, f64)> = a["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["n"].as_i64().unwrap(), g["average"].as_f64().unwrap()))
        .collect();
    assert_eq!(groups, [(1, 100.0), (1, 60.0), (2, 50.0)]);
    assert_eq!(a["groups"][2]["counts"], json!({"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 1}));
}

/// Inserts an approved activity of `team` at `org` starting at `start` with attendances of
/// `volunteers`; returns its id.
fn insert_activity(t: &Town, org: i64, team: i64, start: i64, volunteers: &[i64]) -> i64 {
    let db = open_db(&t.edge.db_path());
    db.execute(
        "INSERT INTO activities (org_id, applicant_id, team_id, title, category, starts_at, ends_at, capacity, signup_deadline, \
         visibility, status, created_at, updated_at) VALUES (?1, ?2, ?3, '活动', '助老', ?4, ?4 + 7200, 50, ?4 - 3600, 'public', 'approved', ?4, ?4)",
        rusqlite::params![org, t.leader_id, team, start],
    )
    .unwrap();
    let activity = db.last_insert_rowid();
    for v in volunteers {
        db.execute(
            "INSERT INTO attendances (activity_id, volunteer_id, checked_in_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![activity, v, start + 60],
        )
        .unwrap();
    }
    activity
}

/// Inserts an order at `org` created at `created`; `accepted` adds the acceptance event.
#[allow(clippy::too_many_arguments)]
fn insert_order(
    t: &Town,
    menu: i64,
    org: i64,
    team: Option<i64>,
    status: &str,
    created: i64,
    accepted: Option<i64>,
    completed: Option<i64>,
    rating: Option<&str>,
) {
    let db = open_db(&t.edge.db_path());
    db.execute(
        "INSERT INTO demands (citizen_id, created_by, menu_item_id, kind, org_id, description, urgency, priority, contact_name, \
         contact_phone, status, deadline_at, team_id, rating, completed_at, created_at, updated_at) \
         VALUES (?1, ?1, ?2, 'welfare', ?3, '需要帮助', 'normal', 1, '张三', '13722229999', ?4, ?5 + 86400, ?6, ?7, ?8, ?5, ?5)",
        rusqlite::params![t.leader_id, menu, org, status, created, team, rating, completed],
    )
    .unwrap();
    let demand = db.last_insert_rowid();
    if let Some(at) = accepted {
        db.execute(
            "INSERT INTO demand_events (demand_id, at, from_status, to_status) VALUES (?1, ?2, 'dispatched', 'accepted')",
            rusqlite::params![demand, at],
        )
        .unwrap();
    }
}

#[tokio::test]
async fn the_index_and_rankings_among_stations_match_numbers_worked_by_hand() {
    // Arrange (period 2026-10; stations A, B of 城关镇, plus C and D with no data at all).
    let t = town().await;
    let c = id(&t.edge.create_org(&t.admin, t.institute, "南街社区实践站", "station").await);
    let d = id(&t.edge.create_org(&t.admin, t.institute, "北街社区实践站", "station").await);
    let team_a2 = expect(
        &t.edge
            .post_as(
                &t.admin,
                "/api/v1/teams",
                &json!({"org_id": t.a, "name": "东街文艺队", "leader_account_id": t.leader_id, "categories": ["文艺"]}),
            )
            .await,
        201,
        "team A2",
    );
    let team_b = expect(
        &t.edge
            .post_as(
                &t.admin,
                "/api/v1/teams",
                &json!({"org_id": t.b, "name": "西街环保队", "leader_account_id": t.leader_id, "categories": ["环保"]}),
            )
            .await,
        201,
        "team B",
    );
    let (team_a, team_b) = (t.team, id(&team_b));
    let _ = team_a2; // A's second team does nothing in October.
    let vs = t.volunteers(0, 4, t.a).await;
    let v: Vec<i64> = vs.iter().map(|v| v.id).collect();
    let menu = {
        let db = open_db(&t.edge.db_path());
        db.execute(
            "INSERT INTO service_menu_items (centre_org_id, category, name, kind, deadline_normal_s, deadline_urgent_s, deadline_critical_s, \
             created_at, updated_at) VALUES (?1, '助老', '上门探访', 'welfare', 86400, 21600, 7200, 0, 0)",
            [t.centre],
        )
        .unwrap();
        db.last_insert_rowid()
    };
    // Station A: activities on 10-10 (3 attended) and 10-20 (2 attended) → 5 attendances; one on
    // 09-20 (outside the period) does not count.
    let a1 = insert_activity(&t, t.a, team_a, OCT + 9 * DAY + 9 * HOUR, &v[..3]);
    insert_activity(&t, t.a, team_a, OCT + 19 * DAY + 9 * HOUR, &v[..2]);
    insert_activity(&t, t.a, team_a, OCT - 11 * DAY, &v[3..]);
    // A's orders: accepted after 6 h and 30 h (both completed and rated: very_satisfied,
    // dissatisfied), one cancelled (left out), one still dispatched.
    let o = OCT + DAY;
    insert_order(
        &t,
        menu,
        t.a,
        Some(team_a),
        "closed",
        o,
        Some(o + 6 * HOUR),
        Some(o + 3 * DAY),
        Some("very_satisfied"),
    );
    insert_order(
        &t,
        menu,
        t.a,
        Some(team_a),
        "closed",
        o + DAY,
        Some(o + DAY + 30 * HOUR),
        Some(o + 5 * DAY),
        Some("dissatisfied"),
    );
    insert_order(&t, menu, t.a, None, "cancelled", o + 5 * DAY, None, None, None);
    insert_order(&t, menu, t.a, None, "dispatched", o + 6 * DAY, None, None, None);
    // Station B: one activity on 10-15 with 4 attendances; orders accepted after 48 h (rated
    // satisfied) and 12 h (completed, not rated).
    insert_activity(&t, t.b, team_b, OCT + 14 * DAY + 9 * HOUR, &v);
    let ob = OCT + 9 * DAY;
    insert_order(
        &t,
        menu,
        t.b,
        Some(team_b),
        "closed",
        ob,
        Some(ob + 48 * HOUR),
        Some(ob + 3 * DAY),
        Some("satisfied"),
    );
    insert_order(
        &t,
        menu,
        t.b,
        Some(team_b),
        "completed",
        ob + DAY,
        Some(ob + DAY + 12 * HOUR),
        Some(ob + 2 * DAY),
        None,
    );
    // Two participants rate A's first activity in October (through the API, at a past time).
    for (who, level) in [(&vs[0], "very_satisfied"), (&vs[1], "satisfied")] {
        let r = t
            .edge
            .post_at(
                &who.token,
                "/api/v1/ratings",
                OCT + 10 * DAY,
                &json!({"activity_id": a1, "as": "participant", "level": level}),
            )
            .await;
        expect(&r, 201, "activity rating");
    }

    // Act
    let ranking = expect(
        &t.edge.get_as(&t.admin, &format!("/api/v1/evaluation/rankings?parent={}&period=2026-10", t.institute)).await,
        200,
        "rankings",
    );

    // Assert (default weights 25/20/25/15/15; station targets 50 attendances, 0.8, 0.95, 24 h, 0.9):
    // A: participation 5/50 → 10; teams 1 of 2 active = 0.5 → 62.5; satisfaction (orders 1 good of
    //    2 + ratings 2 of 2) = 3/4 = 0.75 → 78.95; response (6+30)/2 = 18 h ≤ 24 → 100; completion
    //    2 done of 3 (cancelled left out) = 0.6667 → 74.07.
    //    index = (25×10 + 20×62.5 + 25×78.95 + 15×100 + 15×74.07)/100 = 6084.8/100 = 60.85
    // B: participation 4/50 → 8; teams 1/1 → 100; satisfaction 1/1 → 100; response (48+12)/2 = 30 h
    //    → 100×24/30 = 80; completion 2/2 → 100. index = (200 + 2000 + 2500 + 1200 + 1500)/100 = 74
    // C, D: no data → 0 each, tie broken by org id (C before D).
    let items = ranking["items"].as_array().unwrap();
    let order: Vec<(i64, i64, f64, bool)> = items
        .iter()
        .map(|i| {
            (
                i["rank"].as_i64().unwrap(),
                i["org"]["id"].as_i64().unwrap(),
                i["index"].as_f64().unwrap(),
                i["no_data"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, vec![(1, t.b, 74.0, false), (2, t.a, 60.85, false), (3, c, 0.0, true), (4, d, 0.0, true)]);
    let a = &items[1];
    let score = |k: usize| a["indicators"][k]["score"].as_f64().unwrap();
    assert_eq!([score(0), score(1), score(2), score(3), score(4)], [10.0, 62.5, 78.95, 100.0, 74.07], "{a}");
    assert_eq!(
        a["indicators"][2]["inputs"],
        json!({"orders_rated": 2, "orders_good": 1, "ratings": 2, "ratings_good": 2})
    );
    assert_eq!(a["indicators"][3]["value"].as_f64(), Some(18.0));
    assert_eq!(a["indicators"][4]["inputs"], json!({"orders": 3, "orders_done": 2}));
    assert_eq!(
        (a["indicators"][5]["key"].as_str(), a["indicators"][5]["available"].as_bool()),
        (Some("venue_use"), Some(false))
    );
    assert_eq!(items[1]["indicators"][1]["inputs"], json!({"teams": 2, "active_teams": 1}));

    // The institute itself (target 200 attendances): attendances 9 → 4.5; teams 2 of 3 → 0.6667
    // → 83.33; satisfaction (2 good of 3 orders + 2 of 2 ratings) = 0.8 → 84.21; response
    // (6+30+48+12)/4 = 24 h → 100; completion 4 of 5 = 0.8 → 88.89.
    // index = (25×4.5 + 20×83.33 + 25×84.21 + 15×100 + 15×88.89)/100 = 6717.7/100 = 67.18
    let inst = expect(
        &t.edge.get_as(&t.admin, &format!("/api/v1/evaluation/index?org={}&period=2026-10", t.institute)).await,
        200,
        "index",
    );
    assert_eq!(inst["index"].as_f64(), Some(67.18), "{inst}");
    // November has no activity or order for A: the index is 0; the count and rate indicators
    // say `no_data`, while "0 of A's 2 teams active" is data (a value of 0, not missing).
    let nov = expect(
        &t.edge.get_as(&t.admin_a, &format!("/api/v1/evaluation/index?org={}&period=2026-11", t.a)).await,
        200,
        "A in Nov",
    );
    assert_eq!((nov["index"].as_f64(), nov["no_data"].as_bool()), (Some(0.0), Some(false)));
    let flags: Vec<bool> =
        nov["indicators"].as_array().unwrap()[..5].iter().map(|i| i["no_data"].as_bool().unwrap()).collect();
    assert_eq!(flags, [true, false, true, true, true]);
    assert_eq!(nov["indicators"][1]["value"].as_f64(), Some(0.0));
    assert_eq!(nov["period"]["from"], "2026-11-01T00:00:00+08:00");
    assert_eq!(
        (ranking["period"]["from"].as_str(), ranking["period"]["to"].as_str()),
        (Some("2026-10-01T00:00:00+08:00"), Some("2026-11-01T00:00:00+08:00"))
    );

    // Settings: only manage-evaluations at a centre changes them, every change is checked.
    let mut settings = expect(&t.edge.get_as(&t.admin_a, "/api/v1/evaluation/settings").await, 200, "settings");
    settings["weights"] =
        json!({"participation": 0, "team_activity": 25, "satisfaction": 25, "response_hours": 25, "completion": 25});
    let manager = institute_admin(&t).await;
    assert_eq!(
        t.edge.api(Some(&manager), "PUT", "/api/v1/evaluation/settings", &[], Some(&settings)).await.status,
        403
    );
    let mut bad = settings.clone();
    bad["weights"]["completion"] = json!(30);
    let r = t.edge.api(Some(&t.admin), "PUT", "/api/v1/evaluation/settings", &[], Some(&bad)).await;
    assert_eq!((r.status, r.error_field()), (422, "weights".into()), "{}", r.text());
    expect(
        &t.edge.api(Some(&t.admin), "PUT", "/api/v1/evaluation/settings", &[], Some(&settings)).await,
        200,
        "settings",
    );
    // A = (25×62.5 + 25×78.95 + 25×100 + 25×74.07)/100 = 7888/100 = 78.88; B = (2500+2500+2000+2500)/100 = 95.
    let again = expect(
        &t.edge
            .get_as(&t.admin, &format!("/api/v1/evaluation/rankings?parent={}&period=2026-10&limit=2", t.institute))
            .await,
        200,
        "again",
    );
    let top: Vec<(i64, f64)> = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["org"]["id"].as_i64().unwrap(), i["index"].as_f64().unwrap()))
        .collect();
    assert_eq!(top, vec![(t.b, 95.0), (t.a, 78.88)]);
    assert_eq!(again["next_cursor"], 2);
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'evaluation.settings'", []), 1);
}

#[tokio::test]
async fn the_auditor_reads_the_evaluation_but_never_rates_or_grades() {
    // Arrange: an activity at A under way; a thematic scheme that citizens may grade; an auditor
    // at the centre; a citizen sending the same requests, which are otherwise valid.
    let t = town().await;
    let start = activity_base_time();
    let activity = activity_with(&t, start, &[]).await;
    let body = json!({"centre_id": t.centre, "kind": "thematic", "name": "满意度测评", "target_level": "station",
        "groups": [{"key": "citizen", "title": "群众", "weight": 100}]});
    let sid = id(&expect(&t.edge.post_as(&t.admin, "/api/v1/evaluation/schemes", &body).await, 201, "scheme"));
    let auditor = t.staff("审计员", "13911110021", "auditor", t.centre).await.token;
    let citizen = t.edge.sign_in_by_code(&t.admin, "13722220031").await;
    let rating = json!({"activity_id": activity, "as": "citizen", "level": "very_satisfied"});
    let grade = json!({"scheme_id": sid, "org_id": t.a, "period": "2026-Q4", "grade": "satisfied"});

    // Act
    let rated = t.edge.post_at(&auditor, "/api/v1/ratings", start + HOUR, &rating).await;
    let graded = t.edge.post_as(&auditor, "/api/v1/evaluation/thematic-grades", &grade).await;

    // Assert: refused, nothing stored; the auditor still reads.
    for reply in [&rated, &graded] {
        assert_eq!((reply.status, reply.error_code()), (403, "read_only".into()), "{}", reply.text());
    }
    assert_eq!(count(&t, "SELECT count(*) FROM eval_ratings", []), 0);
    assert_eq!(count(&t, "SELECT count(*) FROM eval_thematic_grades", []), 0);
    let summary = t.edge.get_at(&auditor, &format!("/api/v1/ratings/summary?activity={activity}"), start + HOUR).await;
    assert_eq!(expect(&summary, 200, "the auditor reads")["n"], 0);
    // The same requests from a citizen are served: the refusal was the role's.
    expect(&t.edge.post_at(&citizen, "/api/v1/ratings", start + HOUR, &rating).await, 201, "citizen rating");
    expect(&t.edge.post_as(&citizen, "/api/v1/evaluation/thematic-grades", &grade).await, 201, "citizen grade");
    assert_eq!(count(&t, "SELECT count(*) FROM eval_ratings", []), 1);
    assert_eq!(count(&t, "SELECT count(*) FROM eval_thematic_grades", []), 1);
}

/// The `subject:id` pairs of a rateable page, in order.
fn subjects(page: &Json) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| format!("{}:{}", i["subject"].as_str().unwrap(), i["id"]))
        .collect()
}

#[tokio::test]
async fn my_rateable_list_holds_only_what_i_took_part_in_newest_first_with_my_ratings() {
    // Arrange: at A, v0 attended activities at S and S+1d, v1 those at S+1d and S+2d; v0 also
    // attended one that starts in a week (not yet rateable). A project of A's team (from
    // 2026-01-01) which v0 joined (approved); v1 only asked to join (pending).
    let t = town().await;
    let manager = institute_admin(&t).await;
    let vs = t.volunteers(0, 2, t.a).await;
    let s = activity_base_time();
    let first = insert_activity(&t, t.a, t.team, s, &[vs[0].id]);
    let second = insert_activity(&t, t.a, t.team, s + DAY, &[vs[0].id, vs[1].id]);
    let third = insert_activity(&t, t.a, t.team, s + 2 * DAY, &[vs[1].id]);
    let later = insert_activity(&t, t.a, t.team, s + 10 * DAY, &[vs[0].id]);
    let body = json!({"name": "银龄陪伴计划", "org_id": t.a, "team_id": t.team, "starts_on": "2026-01-01", "ends_on": "2026-12-31"});
    let project = id(&expect(&t.edge.post_as(&manager, "/api/v1/projects", &body).await, 201, "project"));
    for v in &vs {
        expect(&t.edge.post_empty_as(&v.token, &format!("/api/v1/teams/{}/members", t.team)).await, 201, "join");
    }
    let approve =
        t.edge.post_empty_as(&t.leader, &format!("/api/v1/teams/{}/members/{}/approve", t.team, vs[0].id)).await;
    assert!(approve.status == 200 || approve.status == 201, "approve: {}", approve.text());
    let now = s + 3 * DAY;
    let rated = json!({"activity_id": first, "as": "participant", "level": "very_satisfied", "comment": "很好"});
    let rating = expect(&t.edge.post_at(&vs[0].token, "/api/v1/ratings", now, &rated).await, 201, "rate");

    // Act
    let mine = expect(&t.edge.get_at(&vs[0].token, "/api/v1/ratings/rateable", now).await, 200, "v0");
    let theirs = expect(&t.edge.get_at(&vs[1].token, "/api/v1/ratings/rateable", now).await, 200, "v1");

    // Assert: v0 sees her two started activities and the project, newest first (the project
    // started on 2026-01-01 00:00 +08:00), and her rating of the first; nothing of v1's.
    assert_eq!(
        subjects(&mine),
        [format!("activity:{second}"), format!("activity:{first}"), format!("project:{project}")]
    );
    let items = mine["items"].as_array().unwrap();
    assert!(items.iter().all(|i| i["as"] == "participant" && i["org"]["id"] == t.a), "{mine}");
    assert_eq!(items[1]["rating"]["id"], rating["id"]);
    assert_eq!(
        (
            items[1]["rating"]["level"].as_str(),
            items[1]["rating"]["comment"].as_str(),
            items[1]["rating"]["points"].as_i64()
        ),
        (Some("very_satisfied"), Some("很好"), Some(100))
    );
    assert_eq!((items[0]["rating"].clone(), items[2]["rating"].clone()), (Json::Null, Json::Null));
    assert_eq!(items[2]["starts_at"], "2026-01-01T00:00:00+08:00");
    assert_eq!(items[2]["ends_at"], "2027-01-01T00:00:00+08:00");
    assert_eq!(items[2]["name"], "银龄陪伴计划");
    // v1: the two she attended, no rating (v0's is not hers), no project (membership pending).
    assert_eq!(subjects(&theirs), [format!("activity:{third}"), format!("activity:{second}")]);
    assert!(theirs["items"].as_array().unwrap().iter().all(|i| i["rating"].is_null()), "{theirs}");

    // Paging: two, then the last one; the cursor is what the page said.
    let p1 = expect(&t.edge.get_at(&vs[0].token, "/api/v1/ratings/rateable?limit=2", now).await, 200, "page 1");
    assert_eq!(subjects(&p1), subjects(&mine)[..2]);
    let cursor = p1["next_cursor"].as_str().expect("a full page has a cursor").to_owned();
    let p2 = expect(
        &t.edge.get_at(&vs[0].token, &format!("/api/v1/ratings/rateable?limit=2&cursor={cursor}"), now).await,
        200,
        "page 2",
    );
    assert_eq!((subjects(&p2), p2["next_cursor"].clone()), (vec![format!("project:{project}")], Json::Null));

    // One subject (the rate page): hers even before it starts; another's is not there.
    let one = |q: String| {
        let token = vs[0].token.clone();
        let edge = &t.edge;
        async move { expect(&edge.get_at(&token, &format!("/api/v1/ratings/rateable?{q}"), now).await, 200, &q) }
    };
    assert_eq!(subjects(&one(format!("activity={later}")).await), [format!("activity:{later}")]);
    assert_eq!(subjects(&one(format!("activity={first}")).await), [format!("activity:{first}")]);
    assert_eq!(one(format!("activity={third}")).await["items"], json!([]));
    assert_eq!(subjects(&one(format!("project={project}")).await), [format!("project:{project}")]);
    let both =
        t.edge.get_at(&vs[0].token, &format!("/api/v1/ratings/rateable?activity={first}&project={project}"), now).await;
    assert_eq!(both.status, 422, "{}", both.text());

    // Once the project is rated it says so; a second rating is 409 and the list is unchanged.
    let pr =
        json!({"project_id": project, "as": "participant", "level": "satisfied", "recognition": 4, "participation": 5});
    expect(&t.edge.post_at(&vs[0].token, "/api/v1/ratings", now, &pr).await, 201, "project rating");
    let again = t.edge.post_at(&vs[0].token, "/api/v1/ratings", now, &pr).await;
    assert_eq!((again.status, again.error_code()), (409, "already_rated".into()));
    let after = expect(&t.edge.get_at(&vs[0].token, "/api/v1/ratings/rateable", now).await, 200, "after");
    let proj = &after["items"][2]["rating"];
    assert_eq!(
        (proj["level"].as_str(), proj["recognition"].as_i64(), proj["participation"].as_i64()),
        (Some("satisfied"), Some(4), Some(5))
    );
    assert_eq!(count(&t, "SELECT count(*) FROM eval_ratings WHERE rater_id = ?1", [vs[0].account_id]), 2);
}

#[tokio::test]
async fn a_citizen_may_rate_recent_public_activities_where_they_ordered_and_bad_requests_are_refused() {
    // Arrange: a citizen (no volunteer record) ordered a service at A. Public activities at A
    // started 2 and 40 days ago, one at B 2 days ago, one at A tomorrow.
    let t = town().await;
    let citizen = t.edge.sign_in_by_code(&t.admin, "13722220041").await;
    let citizen_id: i64 = wenming_tests::scalar(&t, "SELECT id FROM accounts WHERE phone = '13722220041'", []);
    let db = open_db(&t.edge.db_path());
    db.execute(
        "INSERT INTO service_menu_items (centre_org_id, category, name, kind, deadline_normal_s, deadline_urgent_s, deadline_critical_s, \
         created_at, updated_at) VALUES (?1, '助老', '上门探访', 'welfare', 86400, 21600, 7200, 0, 0)",
        [t.centre],
    )
    .unwrap();
    let menu = db.last_insert_rowid();
    let now = activity_base_time();
    db.execute(
        "INSERT INTO demands (citizen_id, created_by, menu_item_id, kind, org_id, description, urgency, priority, contact_name, \
         contact_phone, status, deadline_at, created_at, updated_at) \
         VALUES (?1, ?1, ?2, 'welfare', ?3, '需要帮助', 'normal', 1, '张三', '13722220041', 'submitted', ?4, ?4, ?4)",
        rusqlite::params![citizen_id, menu, t.a, now - 5 * DAY],
    )
    .unwrap();
    let recent = insert_activity(&t, t.a, t.team, now - 2 * DAY, &[]);
    insert_activity(&t, t.a, t.team, now - 40 * DAY, &[]);
    insert_activity(&t, t.b, t.team, now - 2 * DAY, &[]);
    insert_activity(&t, t.a, t.team, now + DAY, &[]);
    let vs = t.volunteers(0, 1, t.a).await;

    // Act
    let list = expect(&t.edge.get_at(&citizen, "/api/v1/ratings/rateable", now).await, 200, "citizen");
    let volunteer = expect(&t.edge.get_at(&vs[0].token, "/api/v1/ratings/rateable", now).await, 200, "volunteer");

    // Assert: only the recent one at A, to rate as citizen; a volunteer who attended nothing
    // has nothing (citizen suggestions are for people without a volunteer record).
    assert_eq!(subjects(&list), [format!("activity:{recent}")]);
    assert_eq!(list["items"][0]["as"], "citizen");
    assert_eq!(volunteer["items"], json!([]));
    let rate = json!({"activity_id": recent, "as": "citizen", "level": "basically_satisfied"});
    expect(&t.edge.post_at(&citizen, "/api/v1/ratings", now, &rate).await, 201, "citizen rates");
    let after = expect(&t.edge.get_at(&citizen, "/api/v1/ratings/rateable", now).await, 200, "after");
    assert_eq!(
        (after["items"][0]["rating"]["as"].as_str(), after["items"][0]["rating"]["points"].as_i64()),
        (Some("citizen"), Some(60))
    );

    // No session 401; a cursor not given by the API and a bad limit 422 naming the field; an
    // auditor 403 read_only (auditors never rate).
    assert_eq!(t.edge.get("/api/v1/ratings/rateable").await.status, 401);
    for (q, field) in
        [("cursor=12", "cursor"), ("cursor=1.team.2", "cursor"), ("limit=0", "limit"), ("limit=101", "limit")]
    {
        let r = t.edge.get_at(&citizen, &format!("/api/v1/ratings/rateable?{q}"), now).await;
        assert_eq!((r.status, r.error_field()), (422, field.to_string()), "{q}: {}", r.text());
    }
    let auditor = t.staff("审计员", "13911110021", "auditor", t.centre).await.token;
    let r = t.edge.get_at(&auditor, "/api/v1/ratings/rateable", now).await;
    assert_eq!((r.status, r.error_code()), (403, "read_only".into()));
    assert_eq!(t.edge.post_empty_as(&citizen, "/api/v1/ratings/rateable").await.status, 405);
}
