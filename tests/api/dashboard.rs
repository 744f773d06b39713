//! Statistics and the big-data screen (`docs/dashboard-api.md`) on a small county built through
//! the API, every figure worked out by hand below:
//!
//! ```text
//! centre ─ 城关镇所 ─ A 东街站 (population 1000; team T; volunteers v0..v6: 4 men, 3 women)
//!                  └ B 西街站 (population  500;         volunteers v7 woman, v8 man)
//! all nine born in 1990, skill 助老, no star.
//! day D (Asia/Shanghai), s = 09:00:
//!   X1 at A by T, 助老, s..s+2h: v0 v1 v2 check in at s; v0 checks out at s+2h, 120 minutes confirmed
//!   X2 at B, 环保, s+1h..s+3h: v7 checks in at s+1h
//!   X3 at A, applied, never approved (counts nowhere)
//!   O1 助老 at A by citizen 1, s+10m: dispatched to T s+20m, accepted s+40m (30 min), v1 assigned,
//!      completed s+70m (60 min after the order) with v1's 120 minutes, rated 满意
//!   O2 助老 at A by citizen 2, s+15m: dispatched s+25m, accepted s+55m (40 min)
//!   O3 环保 at B by citizen 1, s+20m: only placed
//! ```
//!
//! So over [today, D] the centre has 9 volunteers, 1 team, 2 stations, 2 activities, 4 check-ins,
//! 240 minutes (v0's 120 by the activity, v1's 120 by the order) and 3 orders; its funnel is
//! 3 → 2 → 2 → 1 completed → 1 rated (1 satisfied), response (30 + 40) / 2 = 35 min, completion
//! 60 min. Station A's admin sees A alone, B's admin B alone.

use domain::Date;
use sha2::{Digest, Sha256};
use wenming_tests::{
    activity_base_time, count, id, json, open_db, scalar, unix_now, County, Json, Person, SignedInVolunteer, Town,
    HOUR, MINUTE, SCHEDULER_TOKEN,
};

const COMPONENTS: [&str; 7] = ["activity", "checkin", "ledger", "demand", "dispatch", "notify", "dashboard"];

struct Small {
    t: Town,
    /// 09:00 on day D in Asia/Shanghai.
    s: i64,
    /// `?from=<today>&to=<D>`.
    period: String,
    day_d: String,
    v: Vec<SignedInVolunteer>,
    x1: i64,
    x2: i64,
}

/// 09:00 Asia/Shanghai on the day after `activity_base_time()` (a week ahead), so every event of
/// day D falls between 09:00 and 12:00 there.
fn nine_am_of_day_d() -> i64 {
    let day = Date::of(activity_base_time()).add_days(1).expect("a day");
    day.start() + 9 * HOUR
}

async fn patch_org(t: &Town, org: i64, body: &Json) -> Json {
    let reply = t.edge.patch_as(&t.admin, &format!("/api/v1/orgs/{org}"), body).await;
    assert_eq!(reply.status, 200, "PATCH org {org} {body}: {}", reply.text());
    reply.json()
}

async fn ok(t: &Town, token: &str, path: &str, now: i64) -> Json {
    t.edge.get_ok_at(token, path, now).await
}

async fn small_county() -> Small {
    let t = Town::on(County::with_clock(&COMPONENTS).await).await;
    let s = nine_am_of_day_d();
    let today = Date::of(unix_now()).to_string();
    let day_d = Date::of(s).to_string();
    patch_org(
        &t,
        t.a,
        &json!({ "population": 1000, "address": "东街社区服务中心", "latitude": 30.27, "longitude": 120.15 }),
    )
    .await;
    patch_org(&t, t.b, &json!({ "population": 500 })).await;

    let mut v = t.volunteers(0, 7, t.a).await;
    v.extend(t.volunteers(7, 2, t.b).await);

    // X1 at A by the team: v0..v3 sign up; v0, v1, v2 check in; v0 out after two hours, confirmed.
    let x1_body = t.activity_body("敬老院陪伴", s, s + 2 * HOUR, 50);
    let x1 = t.approved_activity(&x1_body).await;
    let (x1, x1_code) = (id(&x1), x1["code"].as_str().expect("code").to_owned());
    for vol in &v[0..4] {
        t.sign_up(x1, vol).await;
    }
    for vol in &v[0..3] {
        let r = t.edge.post_at(&vol.token, "/api/v1/checkins", s, &json!({ "code": x1_code })).await;
        assert_eq!(r.status, 201, "check-in of {}: {}", vol.phone, r.text());
    }
    let out = t.edge.post_at(&v[0].token, "/api/v1/checkouts", s + 2 * HOUR, &json!({ "code": x1_code })).await;
    assert_eq!(out.json()["minutes"], 120, "{}", out.text());
    let confirm = format!("/api/v1/attendances/{}/confirm", id(&out.json()));
    let confirmed = t.edge.post_at(&t.admin_a, &confirm, s + 2 * HOUR + MINUTE, &json!({})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());

    // X2 at B, applied by B's admin and approved by the centre: v7 checks in.
    let mut x2_body = t.activity_body("河道清洁", s + HOUR, s + 3 * HOUR, 20);
    x2_body["org_id"] = json!(t.b);
    x2_body["team_id"] = Json::Null;
    x2_body["category"] = json!("环保");
    x2_body["address"] = json!("西街河道");
    let applied = t.edge.post_as(&t.admin_b, "/api/v1/activities", &x2_body).await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    let x2 = id(&applied.json());
    let approved = t.edge.post_empty_as(&t.admin, &format!("/api/v1/activities/{x2}/approve")).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let x2_code = approved.json()["code"].as_str().expect("code").to_owned();
    t.sign_up(x2, &v[7]).await;
    let r = t.edge.post_at(&v[7].token, "/api/v1/checkins", s + HOUR, &json!({ "code": x2_code })).await;
    assert_eq!(r.status, 201, "{}", r.text());

    // X3: applied, never approved.
    t.apply(&t.activity_body("未批准的活动", s, s + HOUR, 10)).await;

    // Orders.
    let care = t.menu_item("助老", "上门陪护", "welfare", (3 * HOUR, HOUR, 30 * MINUTE)).await;
    let clean = t.menu_item("环保", "垃圾清运", "welfare", (3 * HOUR, HOUR, 30 * MINUTE)).await;
    let c1 = t.citizen("15855550001").await;
    let c2 = t.citizen("15855550002").await;
    let order = |who: &Person, item: i64, org: i64| {
        json!({
            "menu_item_id": item, "org_id": org, "description": "需要志愿者上门帮忙", "address": "东街12号",
            "urgency": "normal", "contact_name": "张阿姨", "contact_phone": who.phone,
        })
    };
    let o1 = id(&t.order(&c1, &order(&c1, care, t.a), Some(s + 10 * MINUTE)).await);
    let o2 = id(&t.order(&c2, &order(&c2, care, t.a), Some(s + 15 * MINUTE)).await);
    t.order(&c1, &order(&c1, clean, t.b), Some(s + 20 * MINUTE)).await;
    let act = |token: String, order: i64, action: &'static str, at: i64, body: Json| {
        let edge = &t.edge;
        async move {
            let r = edge.post_at(&token, &format!("/api/v1/dispatch/demands/{order}/{action}"), at, &body).await;
            assert_eq!(r.status, 200, "{action} of {order}: {}", r.text());
        }
    };
    act(t.admin_a.clone(), o1, "dispatch", s + 20 * MINUTE, json!({ "team_id": t.team })).await;
    act(t.admin_a.clone(), o2, "dispatch", s + 25 * MINUTE, json!({ "team_id": t.team })).await;
    act(t.leader.clone(), o1, "accept", s + 40 * MINUTE, json!({})).await;
    act(t.leader.clone(), o2, "accept", s + 55 * MINUTE, json!({})).await;
    // v1 joins the team (approved by its leader) and serves O1.
    let joined = t.edge.post_empty_as(&v[1].token, &format!("/api/v1/teams/{}/members", t.team)).await;
    assert_eq!(joined.status, 201, "{}", joined.text());
    let member =
        t.edge.post_empty_as(&t.leader, &format!("/api/v1/teams/{}/members/{}/approve", t.team, v[1].id)).await;
    assert_eq!(member.status, 200, "{}", member.text());
    act(t.leader.clone(), o1, "assign", s + 45 * MINUTE, json!({ "volunteer_ids": [v[1].id] })).await;
    act(t.leader.clone(), o1, "start", s + 50 * MINUTE, json!({})).await;
    let report = json!({ "summary": "上门陪护两小时", "volunteer_ids": [v[1].id], "minutes": 120 });
    act(t.leader.clone(), o1, "complete", s + 70 * MINUTE, report).await;
    let rated = t
        .edge
        .post_at(&c1.token, &format!("/api/v1/demands/{o1}/rate"), s + 80 * MINUTE, &json!({ "rating": "satisfied" }))
        .await;
    assert_eq!(rated.status, 200, "{}", rated.text());

    Small { t, s, period: format!("from={today}&to={day_d}"), day_d, v, x1, x2 }
}

#[tokio::test]
async fn every_figure_of_a_small_county_matches_the_hand_count_and_each_station_sees_only_itself() {
    let c = small_county().await;
    let (t, s, p) = (&c.t, c.s, &c.period);
    let now = s + 90 * MINUTE;

    // Headline counts, centre.
    let sum = ok(t, &t.admin, &format!("/api/v1/dashboard/summary?{p}"), now).await;
    assert_eq!(sum["org"]["id"], t.centre, "{sum}");
    assert_eq!(
        (
            &sum["volunteers"],
            &sum["new_volunteers"],
            &sum["teams"],
            &sum["organisations"],
            &sum["stations"],
            &sum["activities"],
            &sum["checkins"],
            &sum["minutes"],
            &sum["minutes_per_volunteer"],
            &sum["orders"],
        ),
        (
            &json!(9),
            &json!(9),
            &json!(1),
            &json!(0),
            &json!(2),
            &json!(2),
            &json!(4),
            &json!(240),
            &json!(26),
            &json!(3)
        ),
        "{sum}"
    );

    // Station A's admin: A alone, without asking; B and the centre are not theirs.
    let a = ok(t, &t.admin_a, &format!("/api/v1/dashboard/summary?{p}"), now).await;
    assert_eq!(a["org"]["id"], t.a);
    assert_eq!(
        (&a["volunteers"], &a["teams"], &a["stations"], &a["activities"], &a["checkins"], &a["minutes"], &a["orders"]),
        (&json!(7), &json!(1), &json!(1), &json!(1), &json!(3), &json!(240), &json!(2)),
        "{a}"
    );
    for other in [t.b, t.centre, t.institute] {
        let r = t.edge.get_at(&t.admin_a, &format!("/api/v1/dashboard/summary?org={other}&{p}"), now).await;
        assert_eq!(r.status, 404, "org {other} for A's admin: {}", r.text());
    }
    let b = ok(t, &t.admin_b, &format!("/api/v1/dashboard/summary?{p}"), now).await;
    assert_eq!(
        (&b["volunteers"], &b["teams"], &b["activities"], &b["checkins"], &b["minutes"], &b["orders"]),
        (&json!(2), &json!(0), &json!(1), &json!(1), &json!(0), &json!(1)),
        "{b}"
    );
    // The team leader holds no role that reads statistics.
    let r = t.edge.get_at(&t.leader, &format!("/api/v1/dashboard/summary?{p}"), now).await;
    assert_eq!(r.status, 403, "{}", r.text());

    // Day D in the daily series; the registrations and the ledger's postings (made today, on
    // the real clock: the ledger stamps when it posts) add up to nine and 240.
    let series = ok(t, &t.admin, &format!("/api/v1/dashboard/series?{p}"), now).await;
    let days = series["days"].as_array().expect("days");
    let d = days.iter().find(|x| x["date"] == c.day_d.as_str()).expect("day D");
    assert_eq!(
        d,
        &json!({ "date": c.day_d, "volunteers": 0, "activities": 2, "checkins": 4, "minutes": 0, "orders": 3 })
    );
    assert_eq!(days.iter().map(|x| x["volunteers"].as_i64().unwrap()).sum::<i64>(), 9);
    assert_eq!(days.iter().map(|x| x["minutes"].as_i64().unwrap()).sum::<i64>(), 240);
    assert_eq!(days.len() as i64, series["period"]["days"].as_i64().unwrap());

    // The 四单 funnel.
    let f = ok(t, &t.admin, &format!("/api/v1/dashboard/funnel?{p}"), now).await;
    assert_eq!(
        (&f["ordered"], &f["dispatched"], &f["accepted"], &f["completed"], &f["rated"], &f["satisfied"]),
        (&json!(3), &json!(2), &json!(2), &json!(1), &json!(1), &json!(1)),
        "{f}"
    );
    assert_eq!((&f["avg_response_minutes"], &f["avg_completion_minutes"]), (&json!(35), &json!(60)), "{f}");

    // Rankings under the institute: A before B (more minutes); registration per 100 residents.
    let r = ok(t, &t.admin, &format!("/api/v1/dashboard/rankings?org={}&{p}", t.institute), now).await;
    let orgs = r["orgs"].as_array().expect("orgs");
    assert_eq!(orgs.len(), 2, "{r}");
    assert_eq!(
        (&orgs[0]["id"], &orgs[0]["volunteers"], &orgs[0]["registration_rate"], &orgs[0]["activities"]),
        (&json!(t.a), &json!(7), &json!(0.7), &json!(1))
    );
    assert_eq!(
        (&orgs[0]["checkins"], &orgs[0]["minutes"], &orgs[0]["satisfaction"], &orgs[0]["latitude"]),
        (&json!(3), &json!(240), &json!(100.0), &json!(30.27))
    );
    assert_eq!(
        (&orgs[1]["id"], &orgs[1]["volunteers"], &orgs[1]["registration_rate"], &orgs[1]["checkins"]),
        (&json!(t.b), &json!(2), &json!(0.4), &json!(1))
    );
    assert_eq!((&orgs[1]["minutes"], &orgs[1]["satisfaction"]), (&json!(0), &Json::Null));
    let teams = r["teams"].as_array().expect("teams");
    assert_eq!(teams.len(), 1);
    assert_eq!(
        (
            &teams[0]["id"],
            &teams[0]["activities"],
            &teams[0]["checkins"],
            &teams[0]["orders_completed"],
            &teams[0]["satisfaction"]
        ),
        (&json!(t.team), &json!(1), &json!(3), &json!(1), &json!(100.0))
    );

    // The same team figures when the period is whole months (read from the monthly rollup) or
    // a whole month plus days (both).
    let first = Date::of(s).first_of_month();
    let last = first.add_months(1).and_then(|d| d.add_days(-1)).expect("a month end");
    let before = first.add_months(-1).expect("a month before");
    for query in [format!("from={first}&to={last}"), format!("from={before}&to={}", c.day_d)] {
        let r = ok(t, &t.admin, &format!("/api/v1/dashboard/rankings?{query}"), now).await;
        let team = &r["teams"][0];
        assert_eq!(
            (&team["activities"], &team["checkins"], &team["orders_completed"], &team["satisfaction"]),
            (&json!(1), &json!(3), &json!(1), &json!(100.0)),
            "{query}: {r}"
        );
    }

    // Categories against demand.
    let cat = ok(t, &t.admin, &format!("/api/v1/dashboard/categories?{p}"), now).await;
    assert_eq!(
        cat["items"],
        json!([
            { "category": "助老", "activities": 1, "activity_share": 50.0, "orders": 2, "order_share": 66.7,
              "survey_responses": 0, "survey_share": null },
            { "category": "环保", "activities": 1, "activity_share": 50.0, "orders": 1, "order_share": 33.3,
              "survey_responses": 0, "survey_share": null },
        ])
    );

    // The four rates: both stations used; 3 orders per 1,500 residents (the stations' sum) =
    // 20.0 per 10,000; 4 check-ins per 9 volunteers = 44.4 per 100; 1 of 1 rated satisfied.
    let rates = ok(t, &t.admin, &format!("/api/v1/dashboard/rates?{p}"), now).await;
    assert_eq!(rates["venue_use"], json!({ "numerator": 2, "denominator": 2, "value": 100.0 }));
    assert_eq!(rates["demand"], json!({ "numerator": 3, "denominator": 1500, "value": 20.0 }));
    assert_eq!(rates["participation"], json!({ "numerator": 4, "denominator": 9, "value": 44.4 }));
    assert_eq!(rates["satisfaction"], json!({ "numerator": 1, "denominator": 1, "value": 100.0 }));
    let rates_b = ok(t, &t.admin_b, &format!("/api/v1/dashboard/rates?{p}"), now).await;
    assert_eq!(rates_b["demand"], json!({ "numerator": 1, "denominator": 500, "value": 20.0 }));
    assert_eq!(rates_b["satisfaction"], json!({ "numerator": 0, "denominator": 0, "value": null }));

    // Activities under way at s+90m: X2 (started later) then X1, with their places and counts.
    let live = ok(t, &t.admin, &format!("/api/v1/dashboard/live?{p}"), now).await;
    let items = live["items"].as_array().expect("items");
    assert_eq!(
        items.iter().map(|i| (i["id"].as_i64().unwrap(), i["checked_in"].as_i64().unwrap())).collect::<Vec<_>>(),
        vec![(c.x2, 1), (c.x1, 3)]
    );
    assert_eq!((&items[0]["address"], &items[0]["org_name"]), (&json!("西街河道"), &json!("西街社区实践站")));
    let later = ok(t, &t.admin, &format!("/api/v1/dashboard/live?{p}"), s + 150 * MINUTE).await;
    assert_eq!(later["items"].as_array().unwrap().len(), 1, "X1 has ended: {later}");
    let live_a = ok(t, &t.admin_a, "/api/v1/dashboard/live", now).await;
    assert_eq!(live_a["items"].as_array().unwrap().len(), 1, "A sees X1 only: {live_a}");
    assert!(c.v.len() == 9);
}

#[tokio::test]
async fn the_portrait_suppresses_cells_under_five_people() {
    let c = small_county().await;
    let t = &c.t;
    let now = c.s;
    let cells = |v: &Json| -> Vec<(String, Json)> {
        v.as_array().unwrap().iter().map(|c| (c["label"].as_str().unwrap().to_owned(), c["count"].clone())).collect()
    };
    let centre = ok(t, &t.admin, "/api/v1/dashboard/portrait", now).await;
    assert_eq!(centre["volunteers"], 9);
    // Five men are shown, four women are not.
    assert_eq!(cells(&centre["gender"]), vec![("男".into(), json!(5)), ("女".into(), Json::Null)]);
    assert_eq!(centre["gender"][1]["suppressed"], true);
    assert_eq!(
        cells(&centre["age_bands"]),
        vec![
            ("18岁以下".into(), json!(0)),
            ("18–35岁".into(), json!(0)),
            ("36–50岁".into(), json!(9)),
            ("51–60岁".into(), json!(0)),
            ("60岁以上".into(), json!(0)),
        ]
    );
    assert_eq!(cells(&centre["skills"]), vec![("助老".into(), json!(9))]);
    assert_eq!(cells(&centre["stars"]), vec![("无星级".into(), json!(9))]);

    // At A: four men and three women, both suppressed; B's two volunteers: every cell.
    let a = ok(t, &t.admin_a, "/api/v1/dashboard/portrait", now).await;
    assert_eq!(cells(&a["gender"]), vec![("男".into(), Json::Null), ("女".into(), Json::Null)]);
    assert_eq!(cells(&a["skills"]), vec![("助老".into(), json!(7))]);
    let b = ok(t, &t.admin_b, "/api/v1/dashboard/portrait", now).await;
    assert_eq!(cells(&b["skills"]), vec![("助老".into(), Json::Null)]);
    assert_eq!(b["age_bands"][2], json!({ "label": "36–50岁", "count": null, "suppressed": true }));

    // A volunteer moving from A to B moves in the portrait (and nowhere else).
    let moved =
        t.edge.patch_as(&t.admin, &format!("/api/v1/volunteers/{}", c.v[0].id), &json!({ "home_org_id": t.b })).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let a = ok(t, &t.admin_a, "/api/v1/dashboard/portrait", now).await;
    let b = ok(t, &t.admin_b, "/api/v1/dashboard/portrait", now).await;
    assert_eq!((&a["volunteers"], &b["volunteers"]), (&json!(6), &json!(3)));
    assert_eq!(scalar::<i64>(t, "SELECT n FROM stat_people WHERE org_id = ?1 AND dim = 'total'", [t.centre]), 9);
}

#[tokio::test]
async fn bad_periods_and_orgs_are_refused_naming_the_field() {
    let t = Town::on(County::with_clock(&COMPONENTS).await).await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("org=abc", "org"),
    ] {
        let r = t.edge.get_as(&t.admin, &format!("/api/v1/dashboard/summary?{query}")).await;
        assert_eq!((r.status, r.error_field()), (422, field.to_owned()), "{query}: {}", r.text());
    }
    let r = t.edge.get_as(&t.admin, "/api/v1/dashboard/summary?org=99999").await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = t.edge.get("/api/v1/dashboard/summary").await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = t.edge.post_as(&t.admin, "/api/v1/dashboard/summary", &json!({})).await;
    assert_eq!(r.status, 405, "{}", r.text());
}

#[tokio::test]
async fn org_address_coordinates_and_population_are_edited_and_bad_values_change_nothing() {
    let t = Town::on(County::with_clock(&COMPONENTS).await).await;
    let path = format!("/api/v1/orgs/{}", t.a);
    let r = t
        .edge
        .patch_as(
            &t.admin_a,
            &path,
            &json!({ "address": "东街1号", "latitude": 30.5, "longitude": 120.25, "population": 3200 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        (&r.json()["address"], &r.json()["latitude"], &r.json()["longitude"], &r.json()["population"]),
        (&json!("东街1号"), &json!(30.5), &json!(120.25), &json!(3200))
    );
    let row: (String, i64, i64, i64) = open_db(&t.edge.db_path())
        .query_row("SELECT address, latitude_e6, longitude_e6, population FROM orgs WHERE id = ?1", [t.a], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(row, ("东街1号".into(), 30_500_000, 120_250_000, 3200));
    assert_eq!(count(&t, "SELECT count(*) FROM audit_log WHERE action = 'org.update' AND entity_id = ?1", [t.a]), 1);

    for (body, field) in [
        (json!({ "latitude": 31.0 }), "longitude"),
        (json!({ "latitude": 91.0, "longitude": 120.0 }), "latitude"),
        (json!({ "population": -1 }), "population"),
        (json!({ "population": "many" }), "population"),
        (json!({ "address": 5 }), "address"),
    ] {
        let r = t.edge.patch_as(&t.admin_a, &path, &body).await;
        assert_eq!((r.status, r.error_field()), (422, field.to_owned()), "{body}: {}", r.text());
    }
    let after: (i64, i64) = open_db(&t.edge.db_path())
        .query_row("SELECT latitude_e6, population FROM orgs WHERE id = ?1", [t.a], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(after, (30_500_000, 3200), "refused edits changed nothing");
    // Another station's admin may not edit A (it is not theirs to see).
    let r = t.edge.patch_as(&t.admin_b, &path, &json!({ "population": 1 })).await;
    assert_eq!(r.status, 404, "{}", r.text());
    // Clearing.
    let r =
        t.edge.patch_as(&t.admin_a, &path, &json!({ "latitude": null, "longitude": null, "population": null })).await;
    assert_eq!((&r.json()["latitude"], &r.json()["population"]), (&Json::Null, &Json::Null), "{}", r.text());
}

#[tokio::test]
async fn a_screen_link_shows_aggregates_without_signing_in_until_it_is_revoked() {
    let c = small_county().await;
    let t = &c.t;
    let now = c.s + 90 * MINUTE;
    let made = t
        .edge
        .post_as(&t.admin, "/api/v1/dashboard/screen-links", &json!({ "org_id": t.centre, "label": "大厅大屏" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let link = made.json();
    let token = link["token"].as_str().expect("token").to_owned();
    assert_eq!(link["path"], format!("/screen.html#{token}"));
    // Only the hash is stored.
    let stored: String = scalar(t, "SELECT token_hash FROM screen_links WHERE id = ?1", [id(&link)]);
    assert_eq!(stored, hex_sha256(&token));
    assert_eq!(count(t, "SELECT count(*) FROM audit_log WHERE after LIKE '%' || ?1 || '%'", [&token]), 0);

    let screen = t.edge.api_at(None, "GET", &format!("/api/v1/screen/{token}"), now, None).await;
    assert_eq!(screen.status, 200, "{}", screen.text());
    let screen = screen.json();
    assert_eq!(
        (&screen["summary"]["volunteers"], &screen["summary"]["checkins"], &screen["summary"]["orders"]),
        (&json!(9), &json!(4), &json!(3)),
        "{screen}"
    );
    assert_eq!(screen["funnel"]["ordered"], 3);
    assert_eq!(screen["refresh_s"], 60);
    // Aggregates only: no volunteer's name or phone anywhere in it.
    let text = screen.to_string();
    for v in &c.v {
        assert!(!text.contains(&v.name) && !text.contains(&v.phone), "{} in the screen", v.name);
    }
    assert!(!text.contains("张阿姨"));

    // B's admin can neither list nor revoke the centre's link.
    let listed = ok(t, &t.admin, "/api/v1/dashboard/screen-links", now).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("token").is_none());
    let listed_b = ok(t, &t.admin_b, "/api/v1/dashboard/screen-links", now).await;
    assert_eq!(listed_b["items"], json!([]));
    let path = format!("/api/v1/dashboard/screen-links/{}/revoke", id(&link));
    let r = t.edge.post_empty_as(&t.admin_b, &path).await;
    assert_eq!(r.status, 404, "{}", r.text());

    let revoked = t.edge.post_empty_as(&t.admin, &path).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert!(revoked.json()["revoked_at"].is_string());
    let again = t.edge.post_empty_as(&t.admin, &path).await;
    assert_eq!(again.json()["revoked_at"], revoked.json()["revoked_at"]);
    let gone = t.edge.api_at(None, "GET", &format!("/api/v1/screen/{token}"), now, None).await;
    assert_eq!(gone.status, 404, "{}", gone.text());
    assert_eq!(count(t, "SELECT count(*) FROM audit_log WHERE action = 'screen_link.revoke'", ()), 1);
    let guess = t.edge.get(&format!("/api/v1/screen/{}", "0".repeat(64))).await;
    assert_eq!(guess.status, 404);
}

// ---- check-ins folded by the scheduler (migration 0020) -----------------------------------------

/// How far the rollups hold check-ins (the fold's watermark).
fn watermark(t: &Town) -> i64 {
    scalar(t, "SELECT last_id FROM stat_watermarks WHERE name = 'checkins'", ())
}

/// The check-in counters in the rollups: (centre's daily sum, teams' daily sum, teams' monthly sum).
fn folded(t: &Town) -> (i64, i64, i64) {
    (
        count(t, "SELECT COALESCE(SUM(n), 0) FROM stat_daily WHERE metric = 'checkins' AND org_id = ?1", [t.centre]),
        count(t, "SELECT COALESCE(SUM(n), 0) FROM stat_team_daily WHERE metric = 'checkins'", ()),
        count(t, "SELECT COALESCE(SUM(n), 0) FROM stat_team_monthly WHERE metric = 'checkins'", ()),
    )
}

/// Every answer that counts check-ins, whole: the summary, series, rankings (days, and whole
/// months plus days for the teams) and rates of the centre, the institute and station A.
async fn checkin_figures(c: &Small, now: i64) -> Vec<Json> {
    let t = &c.t;
    let first = Date::of(c.s).first_of_month();
    let before = first.add_months(-1).expect("a month before");
    let months = format!("from={before}&to={}", c.day_d);
    let mut out = Vec::new();
    for (token, org) in [(&t.admin, t.centre), (&t.admin, t.institute), (&t.admin_a, t.a)] {
        for figure in ["summary", "series", "rankings", "rates"] {
            out.push(ok(t, token, &format!("/api/v1/dashboard/{figure}?org={org}&{}", c.period), now).await);
        }
        out.push(ok(t, token, &format!("/api/v1/dashboard/rankings?org={org}&{months}"), now).await);
    }
    out
}

/// Check-ins per (org, day), per (team, day) and per (team, month) in the rollups that differ from
/// a count of the attendances themselves, either way.
fn rollup_mismatches(t: &Town) -> i64 {
    let day = "(t.checked_in_at + 28800) / 86400";
    let orgs = format!(
        "WITH truth AS (SELECT a.ancestor_id AS k, {day} AS d, COUNT(*) AS n FROM attendances t
                        JOIN activities x ON x.id = t.activity_id JOIN org_ancestors a ON a.org_id = x.org_id GROUP BY 1, 2),
              rollup AS (SELECT org_id AS k, day AS d, n FROM stat_daily WHERE metric = 'checkins' AND n <> 0)"
    );
    let teams = format!(
        "WITH truth AS (SELECT x.team_id AS k, {day} AS d, COUNT(*) AS n FROM attendances t
                        JOIN activities x ON x.id = t.activity_id WHERE x.team_id IS NOT NULL GROUP BY 1, 2),
              rollup AS (SELECT team_id AS k, day AS d, n FROM stat_team_daily WHERE metric = 'checkins' AND n <> 0)"
    );
    let month = |d: &str| {
        format!(
            "CAST(strftime('%Y', {d} * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', {d} * 86400, 'unixepoch') AS INTEGER) - 1"
        )
    };
    let months = format!(
        "WITH truth AS (SELECT x.team_id AS k, {} AS d, COUNT(*) AS n FROM attendances t
                        JOIN activities x ON x.id = t.activity_id WHERE x.team_id IS NOT NULL GROUP BY 1, 2),
              rollup AS (SELECT team_id AS k, month AS d, n FROM stat_team_monthly WHERE metric = 'checkins' AND n <> 0)",
        month(day)
    );
    let compare = " SELECT (SELECT COUNT(*) FROM truth LEFT JOIN rollup r USING (k, d) WHERE r.n IS NOT truth.n)
                        + (SELECT COUNT(*) FROM rollup LEFT JOIN truth r USING (k, d) WHERE r.n IS NOT rollup.n)";
    [orgs, teams, months].iter().map(|with| count(t, &format!("{with}{compare}"), ())).sum()
}

#[tokio::test]
async fn check_in_figures_are_the_same_before_and_after_folding_and_after_folding_twice() {
    // Arrange: the small county; its four check-ins came after the watermark (0 on a new database)
    let c = small_county().await;
    let t = &c.t;
    let now = c.s + 90 * MINUTE;
    assert_eq!((watermark(t), folded(t)), (0, (0, 0, 0)), "nothing folded yet");
    let before = checkin_figures(&c, now).await;
    assert_eq!(before[0]["checkins"], 4, "the summary counts the tail: {}", before[0]);

    // Act: fold, then fold again
    let first = t.edge.job_ok("fold-checkins", now).await;
    let after_one = checkin_figures(&c, now).await;
    let rollups_after_one = folded(t);
    let second = t.edge.job_ok("fold-checkins", now).await;
    let after_two = checkin_figures(&c, now).await;

    // Assert: all four moved into the rollups (centre 4, team T's X1 3, its month 3), the
    // watermark past the last, every figure the same, and the repeat did nothing
    assert_eq!((&first["folded"], &first["more"]), (&json!(4), &json!(0)), "{first}");
    assert_eq!(rollups_after_one, (4, 3, 3));
    assert_eq!(watermark(t), count(t, "SELECT MAX(id) FROM attendances", ()));
    assert_eq!(rollup_mismatches(t), 0);
    assert_eq!(after_one, before);
    assert_eq!((&second["folded"], &second["more"]), (&json!(0), &json!(0)), "{second}");
    assert_eq!(folded(t), (4, 3, 3));
    assert_eq!(after_two, before);

    // A check-in after the fold is counted at once (folded 4 + tail 1), and the same once folded.
    let x1 = t.edge.get_ok_at(&t.admin, &format!("/api/v1/activities/{}", c.x1), now).await;
    let code = x1["code"].as_str().expect("code").to_owned();
    let late = t.edge.post_at(&c.v[3].token, "/api/v1/checkins", c.s + 30 * MINUTE, &json!({ "code": code })).await;
    assert_eq!(late.status, 201, "{}", late.text());
    let with_tail = checkin_figures(&c, now).await;
    assert_eq!(folded(t), (4, 3, 3), "the check-in itself wrote no counter");
    // [0] the centre's summary, [2] its rankings, [3] its rates, [10] station A's summary.
    assert_eq!((&with_tail[0]["checkins"], &with_tail[10]["checkins"]), (&json!(5), &json!(4)));
    assert_eq!(with_tail[2]["teams"][0]["checkins"], 4, "{}", with_tail[2]);
    assert_eq!(with_tail[3]["participation"]["numerator"], 5);
    let third = t.edge.job_ok("fold-checkins", now).await;
    assert_eq!(third["folded"], 1, "{third}");
    assert_eq!(folded(t), (5, 4, 4));
    assert_eq!(checkin_figures(&c, now).await, with_tail);
    assert_eq!(rollup_mismatches(t), 0);
}

#[tokio::test]
async fn the_fold_job_refuses_anyone_but_the_scheduler_and_changes_nothing() {
    let c = small_county().await;
    let t = &c.t;
    let path = "/api/v1/jobs/fold-checkins";

    // Act: no token, a wrong one, a staff session's, a body, a GET
    let none = t.edge.api(None, "POST", path, &[], None).await;
    let wrong = t.edge.api(Some("test-scheduler-token-0123456780"), "POST", path, &[], None).await;
    let staff = t.edge.post_empty_as(&t.admin, path).await;
    let body = t.edge.api(Some(SCHEDULER_TOKEN), "POST", path, &[], Some(&json!({ "all": true }))).await;
    let get = t.edge.api(Some(SCHEDULER_TOKEN), "GET", path, &[], None).await;

    // Assert: refused, and the watermark and the rollups untouched
    for refused in [&none, &wrong, &staff] {
        assert_eq!((refused.status, refused.error_code()), (403, "not_scheduler".into()), "{}", refused.text());
    }
    assert!([400, 422].contains(&body.status), "{}", body.text());
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")), "{}", get.text());
    assert_eq!((watermark(t), folded(t)), (0, (0, 0, 0)));
}

#[tokio::test]
async fn a_long_tail_is_folded_in_batches_that_converge() {
    // Arrange: 600 more approved activities on the seven days up to D at A (by the team) and B
    // (without), each attended by all nine volunteers: 5,400 check-ins after the watermark, more
    // than one batch (5,000), on top of the small county's four
    let c = small_county().await;
    let t = &c.t;
    let now = c.s + 90 * MINUTE;
    {
        let db = open_db(&t.edge.db_path());
        db.execute(
            "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 599)
             INSERT INTO activities (org_id, applicant_id, team_id, title, category, starts_at, ends_at, capacity,
                                     signup_deadline, visibility, status, created_at, updated_at)
             SELECT CASE n % 2 WHEN 0 THEN ?1 ELSE ?2 END, ?3, CASE n % 2 WHEN 0 THEN ?4 END, '活动' || n, '助老',
                    ?5 - (n % 7) * 86400, ?5 - (n % 7) * 86400 + 7200, 50, ?5 - (n % 7) * 86400 - 3600,
                    'public', 'approved', ?5, ?5
             FROM i",
            rusqlite::params![t.a, t.b, t.leader_id, t.team, c.s],
        )
        .unwrap();
        let nine = c.v.iter().map(|v| v.id.to_string()).collect::<Vec<_>>().join(", ");
        db.execute(
            &format!(
                "INSERT INTO attendances (activity_id, volunteer_id, checked_in_at)
                 SELECT x.id, v.id, x.starts_at + 60 FROM activities x, volunteers v
                 WHERE x.title LIKE '活动%' AND v.id IN ({nine})"
            ),
            (),
        )
        .unwrap();
    }
    assert_eq!(count(t, "SELECT COUNT(*) FROM attendances", ()), 5_404);
    let before = checkin_figures(&c, now).await;
    assert_eq!(before[0]["checkins"], 5_404, "{}", before[0]);

    // Act: the scheduler's runs until one says no more remain
    let mut runs = Vec::new();
    loop {
        let r = t.edge.job_ok("fold-checkins", now).await;
        runs.push((r["folded"].as_i64().unwrap(), r["more"].as_i64().unwrap()));
        if r["more"] == 0 || runs.len() > 5 {
            break;
        }
        // Between batches the figures are exact too: part folded, the rest in the tail.
        assert_eq!(checkin_figures(&c, now).await, before);
    }
    let again = t.edge.job_ok("fold-checkins", now).await;

    // Assert: one full batch, then the rest; every counter equals a count of the attendances
    assert_eq!(runs, vec![(5_000, 1), (404, 0)]);
    assert_eq!((&again["folded"], &again["more"]), (&json!(0), &json!(0)), "{again}");
    assert_eq!(folded(t).0, 5_404);
    assert_eq!(rollup_mismatches(t), 0);
    assert_eq!(checkin_figures(&c, now).await, before);
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The deployment's own tile service (`screen.tile_url`, `screen.tile_attribution`): a template
/// that is not https or lacks a placeholder is refused beside `value` and stores nothing; a good
/// one reaches the screen's read and the console's `live` figures as `map`; emptied, `map` is
/// null again (the screen draws the org tree's schematic).
#[tokio::test]
async fn the_tile_service_setting_is_checked_and_carried_to_the_screen_and_the_console() {
    let c = wenming_tests::Centre::new().await;
    let put = |key: &'static str, value: &'static str| {
        let edge = &c.edge;
        let admin = &c.admin;
        async move {
            edge.api(Some(admin), "PUT", &format!("/api/v1/settings/{key}"), &[], Some(&json!({ "value": value })))
                .await
        }
    };
    let stored = |key: &str| count(&c, "SELECT COUNT(*) FROM deployment_settings WHERE key = ?1", [key]);
    for bad in [
        "http://tiles.example.cn/{z}/{x}/{y}.png",
        "https://tiles.example.cn/{z}/{x}.png",
        "https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
        "https://tiles.example.cn/{z}/{x}/{y}.png#top",
    ] {
        let r = put("screen.tile_url", bad).await;
        assert_eq!((r.status, r.error_field()), (422, "value".to_string()), "{bad}: {}", r.text());
    }
    // An empty attribution is allowed (not every service asks for one).
    let empty = put("screen.tile_attribution", "").await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(stored("screen.tile_url"), 0);

    let made = c
        .edge
        .post_as(&c.admin, "/api/v1/dashboard/screen-links", &json!({ "org_id": c.centre, "label": "大厅" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let token = made.json()["token"].as_str().expect("token").to_owned();
    let screen = || async { c.edge.get(&format!("/api/v1/screen/{token}")).await.json() };
    assert_eq!(screen().await["live"]["map"], Json::Null);

    let template = "https://tiles.county.example.cn/{z}/{x}/{y}.png?key=k1";
    let r = c
        .edge
        .api(Some(&c.admin), "PUT", "/api/v1/settings/screen.tile_url", &[], Some(&json!({ "value": template })))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = put("screen.tile_attribution", "© 县测绘 审图号：GS(2024)0001号").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let want = json!({ "tile_url": template, "attribution": "© 县测绘 审图号：GS(2024)0001号" });
    assert_eq!(screen().await["live"]["map"], want);
    let live = c.edge.get_as(&c.admin, "/api/v1/dashboard/live").await;
    assert_eq!(live.status, 200, "{}", live.text());
    assert_eq!(live.json()["map"], want);

    let r = put("screen.tile_url", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(scalar::<String>(&c, "SELECT value FROM deployment_settings WHERE key = 'screen.tile_url'", ()), "");
    assert_eq!(screen().await["live"]["map"], Json::Null);
}

/// The rows behind each funnel stage (`GET /api/v1/dispatch/orders`): O1 reached every stage, O2
/// was accepted, O3 only placed — so 3, 2, 2, 1, 1, 1, as the funnel counts; station B's
/// dispatcher sees only B's O3; a period before the orders lists none; a bad stage or a period
/// backwards is 422 naming the field.
#[tokio::test]
async fn the_orders_behind_each_funnel_stage_are_listed_as_the_funnel_counts_them() {
    let c = small_county().await;
    let (t, p) = (&c.t, &c.period);
    let now = c.s + 90 * MINUTE;
    let funnel = ok(t, &t.admin, &format!("/api/v1/dashboard/funnel?{p}"), now).await;
    let listed = |token: &str, query: String| {
        let edge = &t.edge;
        let token = token.to_owned();
        async move {
            let page = edge.get_ok_at(&token, &format!("/api/v1/dispatch/orders?{query}&limit=100"), now).await;
            page["items"].as_array().expect("items").iter().map(id).collect::<Vec<i64>>()
        }
    };
    let all = listed(&t.admin, p.clone()).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first: {all:?}");
    for (stage, counted) in [
        ("ordered", "ordered"),
        ("dispatched", "dispatched"),
        ("accepted", "accepted"),
        ("completed", "completed"),
        ("rated", "rated"),
        ("satisfied", "satisfied"),
    ] {
        let rows = listed(&t.admin, format!("{p}&stage={stage}")).await;
        assert_eq!(json!(rows.len()), funnel[counted], "{stage}: {rows:?} against {funnel}");
    }
    let completed = listed(&t.admin, format!("{p}&stage=completed")).await;
    assert_eq!(completed, vec![all[2]], "O1, the first placed, is the one completed");
    let b = listed(&t.admin_b, p.clone()).await;
    assert_eq!(b, vec![all[0]], "B's dispatcher: O3 alone");
    let day_before = Date::parse(&c.day_d).unwrap().add_days(-1).unwrap();
    assert_eq!(listed(&t.admin, format!("from={day_before}&to={day_before}")).await, Vec::<i64>::new());

    for (query, field) in [
        (format!("{p}&stage=paid"), "stage"),
        (format!("from={}&to={day_before}", c.day_d), "to"),
        ("to=2026-01-01".to_string(), "from"),
        (format!("from=2020-01-01&to={}", c.day_d), "from"),
    ] {
        let r = t.edge.api_at(Some(&t.admin), "GET", &format!("/api/v1/dispatch/orders?{query}"), now, None).await;
        assert_eq!((r.status, r.error_field()), (422, field.to_string()), "{query}: {}", r.text());
    }
}
