//! Check-in and check-out (签到签退), service minutes, hours confirmation onto the ledger,
//! self-reports and service records through the real product (`spin.toml`), against
//! `docs/activity-api.md`: the radius and the time window, the rotating 30-second code, the
//! server's minutes with the default rounding, forgotten check-outs closed automatically, nobody
//! confirming their own hours, the ledger posting once, and records that agree with the ledger.
//!
//! Set-up is all through the API (`wenming_tests::town`): staff register the volunteers, who sign
//! in by SMS code read from the outbox; the team leader applies, station A's admin approves, the
//! volunteers sign up. Time moves with `X-Wenming-Now` (the product runs with
//! `allow_clock_override`); the database is read back with rusqlite.

use domain::mask::{mask_id_number, mask_phone};
use domain::Date;
use wenming_tests::{
    activity_base_time, count, id, json, open_db, shanghai_rfc3339, town, unix_now, Json, Reply, SignedInVolunteer,
    Town, DAY, HOUR, MINUTE, TOWN_STAFF_PASSWORD,
};

/// The activities with a place are at 30°N 120°E with a 200 m check-in radius.
const LAT: f64 = 30.0;
const LON: f64 = 120.0;
const RADIUS_M: i64 = 200;
/// `checkin.opens_before_s` and `checkout.grace_s` defaults (migrations/0004_activities.sql).
const OPENS_BEFORE_S: i64 = 1800;
const GRACE_S: i64 = 7200;

/// Haversine distance in metres on the mean earth radius.
fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> i64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    (6_371_008.8 * 2.0 * a.sqrt().asin()).round() as i64
}

/// An approved activity `starts_at..ends_at` with the given place (or none) and `dynamic_code`,
/// every one of `volunteers` signed up and confirmed. Returns `(activity id, activity code)`.
async fn activity_with(
    t: &Town,
    title: &str,
    starts_at: i64,
    ends_at: i64,
    placed: bool,
    dynamic_code: bool,
    volunteers: &[SignedInVolunteer],
) -> (i64, String) {
    let mut body = t.activity_body(title, starts_at, ends_at, 50);
    if placed {
        body["latitude"] = json!(LAT);
        body["longitude"] = json!(LON);
        body["radius_m"] = json!(RADIUS_M);
    }
    body["dynamic_code"] = json!(dynamic_code);
    let approved = t.approved_activity(&body).await;
    let activity = id(&approved);
    for v in volunteers {
        let signup = t.sign_up(activity, v).await;
        assert_eq!(signup["status"], "confirmed", "{signup}");
    }
    (activity, approved["code"].as_str().expect("code").to_owned())
}

async fn check_in(t: &Town, v: &SignedInVolunteer, now: i64, body: Json) -> Reply {
    t.edge.post_at(&v.token, "/api/v1/checkins", now, &body).await
}

async fn check_out(t: &Town, v: &SignedInVolunteer, code: &str, now: i64) -> Reply {
    t.edge.post_at(&v.token, "/api/v1/checkouts", now, &json!({ "code": code })).await
}

fn attendances(t: &Town, activity: i64) -> i64 {
    count(t, "SELECT count(*) FROM attendances WHERE activity_id = ?1", [activity])
}

/// `(checked_out_at, auto_closed, minutes)` of `v`'s attendance at `activity`.
fn attendance_row(t: &Town, activity: i64, v: &SignedInVolunteer) -> (Option<i64>, i64, Option<i64>) {
    open_db(&t.edge.db_path())
        .query_row(
            "SELECT checked_out_at, auto_closed, minutes FROM attendances WHERE activity_id = ?1 AND volunteer_id = ?2",
            [activity, v.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|e| panic!("attendance of {} at {activity}: {e}", v.id))
}

/// `v`'s ledger entries as `(kind, amount, source, idempotency_key)`, by id.
fn ledger(t: &Town, volunteer_id: i64) -> Vec<(String, i64, String, String)> {
    let conn = open_db(&t.edge.db_path());
    let mut stmt = conn
        .prepare("SELECT kind, amount, source, idempotency_key FROM ledger_entries WHERE volunteer_id = ?1 ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([volunteer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

fn entry(kind: &str, amount: i64, source: &str, key: &str) -> (String, i64, String, String) {
    (kind.to_owned(), amount, source.to_owned(), key.to_owned())
}

/// A station-A admin who is also a volunteer at A (one account, both roles), signed in by
/// password: proves that "not your own hours" is about the person, not the role.
async fn admin_volunteer(t: &Town, i: usize) -> SignedInVolunteer {
    let phone = "13911110009";
    let (account_id, _) =
        t.edge.create_staff(&t.admin, "兼职站长", phone, TOWN_STAFF_PASSWORD, "station-admin", t.a).await;
    let v = t.register_volunteer_with_phone(i, phone, t.a).await;
    assert_eq!(v["account_id"], account_id, "the volunteer record is on the staff account: {v}");
    let token = t.edge.sign_in(phone, TOWN_STAFF_PASSWORD).await;
    SignedInVolunteer {
        id: id(&v),
        account_id,
        name: v["real_name"].as_str().unwrap_or_default().to_owned(),
        phone: phone.to_owned(),
        id_number: wenming_tests::volunteer_id_number(i),
        token,
    }
}

// ---- Check-in: place, window, rotating code ------------------------------------------------------

#[tokio::test]
async fn checking_in_outside_the_radius_is_refused_with_the_distance_and_records_nothing() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "定点签到", s, s + 3 * HOUR, true, false, std::slice::from_ref(&v)).await;
    let far = (LAT + 0.005, LON);
    let expected = haversine_m(far.0, far.1, LAT, LON);
    assert!(expected > RADIUS_M + 300, "the test point is well outside: {expected} m");

    let reply = check_in(&t, &v, s, json!({ "code": code, "latitude": far.0, "longitude": far.1 })).await;
    let no_position = check_in(&t, &v, s, json!({ "code": code })).await;

    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), "location", "{}", reply.text());
    let error = &reply.json()["error"];
    let distance = error["distance_m"].as_i64().unwrap_or_else(|| panic!("the refusal carries the distance: {error}"));
    assert!((distance - expected).abs() <= 1, "distance {distance} m, expected about {expected} m");
    assert_eq!(no_position.status, 422, "a placed activity needs a position: {}", no_position.text());
    assert_eq!(no_position.error_field(), "location");
    assert_eq!(attendances(&t, activity), 0, "no attendance row");
}

#[tokio::test]
async fn checking_in_before_the_window_opens_or_after_the_end_is_outside_the_window() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let s = activity_base_time();
    let e = s + 3 * HOUR;
    let (activity, code) = activity_with(&t, "时间窗口", s, e, false, false, &v).await;

    let too_early = check_in(&t, &v[0], s - OPENS_BEFORE_S - MINUTE, json!({ "code": code })).await;
    let too_late = check_in(&t, &v[0], e + MINUTE, json!({ "code": code })).await;

    for (when, reply) in [("before opening", &too_early), ("after the end", &too_late)] {
        assert_eq!(reply.status, 409, "{when}: {}", reply.text());
        assert_eq!(reply.error_code(), "outside_window", "{when}: {}", reply.text());
    }
    assert_eq!(attendances(&t, activity), 0, "no attendance row");
    // Inside the window (just after it opens, and just before the end) check-in works.
    let early_ok = check_in(&t, &v[0], s - OPENS_BEFORE_S + MINUTE, json!({ "code": code })).await;
    let late_ok = check_in(&t, &v[1], e - MINUTE, json!({ "code": code })).await;
    assert_eq!(early_ok.status, 201, "{}", early_ok.text());
    assert_eq!(late_ok.status, 201, "{}", late_ok.text());
}

#[tokio::test]
async fn checking_in_inside_the_radius_records_the_distance_and_twice_is_the_same_attendance() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "定点签到", s, s + 3 * HOUR, true, false, std::slice::from_ref(&v)).await;
    let near = (LAT + 0.001, LON + 0.0005);
    let expected = haversine_m(near.0, near.1, LAT, LON);
    assert!(expected < RADIUS_M, "{expected}");

    let first =
        check_in(&t, &v, s - 5 * MINUTE, json!({ "code": code, "latitude": near.0, "longitude": near.1 })).await;
    let second = check_in(&t, &v, s + 5 * MINUTE, json!({ "code": code, "latitude": LAT, "longitude": LON })).await;

    assert_eq!(first.status, 201, "{}", first.text());
    let first = first.json();
    let recorded = first["check_in_distance_m"].as_i64().unwrap_or_else(|| panic!("no distance: {first}"));
    assert!((recorded - expected).abs() <= 1, "answered {recorded} m, expected about {expected} m");
    assert_eq!(first["checked_in_at"], shanghai_rfc3339(s - 5 * MINUTE), "RFC 3339 in +08:00: {first}");
    assert_eq!(second.status, 200, "a repeated check-in answers 200 with the first attendance: {}", second.text());
    let second = second.json();
    assert_eq!(second["id"], first["id"], "the same attendance");
    assert_eq!(second["checked_in_at"], first["checked_in_at"], "unchanged: {second}");
    assert_eq!(attendances(&t, activity), 1, "one row");
    let (at, distance): (i64, i64) = open_db(&t.edge.db_path())
        .query_row(
            "SELECT checked_in_at, check_in_distance_m FROM attendances WHERE activity_id = ?1",
            [activity],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(at, s - 5 * MINUTE, "the first check-in's time is kept");
    assert_eq!(distance, recorded, "the distance is recorded in the database");
}

#[tokio::test]
async fn checking_out_far_from_the_place_is_recorded_and_flagged_for_the_organiser() {
    // Arrange: checked in at the place.
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "离场签退", s, s + 3 * HOUR, true, false, std::slice::from_ref(&v)).await;
    let r = check_in(&t, &v, s, json!({ "code": code, "latitude": LAT, "longitude": LON })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let far = (LAT + 0.02, LON);
    let expected = haversine_m(far.0, far.1, LAT, LON);
    assert!(expected > RADIUS_M, "{expected}");

    // Act: the volunteer checks out from 2 km away, early.
    let out = t
        .edge
        .post_at(
            &v.token,
            "/api/v1/checkouts",
            s + 2 * HOUR,
            &json!({ "code": code, "latitude": far.0, "longitude": far.1 }),
        )
        .await;
    let listed =
        t.edge.get_at(&t.admin_a, &format!("/api/v1/activities/{activity}/attendances"), s + 2 * HOUR + MINUTE).await;

    // Assert: not refused (people leave from wherever the work ended), but the distance is kept
    // and the organiser sees the flags before confirming.
    assert_eq!(out.status, 200, "{}", out.text());
    let recorded = out.json()["check_out_distance_m"].as_i64().unwrap_or_else(|| panic!("{}", out.text()));
    assert!((recorded - expected).abs() <= 1, "recorded {recorded} m, expected about {expected} m");
    assert_eq!(listed.status, 200, "{}", listed.text());
    let flags = listed.json()["items"][0]["flags"].clone();
    assert!(flags.as_array().unwrap().contains(&json!("checked_out_outside_radius")), "{flags}");
    assert!(flags.as_array().unwrap().contains(&json!("left_early")), "{flags}");
    assert_eq!(attendance_row(&t, activity, &v), (Some(s + 2 * HOUR), 0, Some(120)), "minutes to the check-out");
}

#[tokio::test]
async fn a_volunteer_not_confirmed_for_the_activity_cannot_check_in() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "未报名", s, s + HOUR, false, false, &v[..1]).await;

    let stranger = check_in(&t, &v[1], s, json!({ "code": code })).await;

    assert_eq!(stranger.status, 403, "{}", stranger.text());
    assert_eq!(attendances(&t, activity), 0);
}

#[tokio::test]
async fn the_rotating_code_works_now_and_in_the_next_window_but_not_61_seconds_later() {
    let t = town().await;
    let v = t.volunteers(0, 4, t.a).await;
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "动态码", s, s + 3 * HOUR, false, true, &v).await;
    let t0 = s + 7; // inside a 30-second window, not at its edge
    let shown = t.edge.get_at(&t.admin_a, &format!("/api/v1/activities/{activity}/dynamic-code"), t0).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    let shown = shown.json();
    let dynamic = shown["code"].as_str().unwrap_or_else(|| panic!("no code: {shown}")).to_owned();
    assert!(dynamic.len() == 6 && dynamic.bytes().all(|b| b.is_ascii_digit()), "{dynamic}");
    assert!(shown["valid_for_s"].as_i64().is_some_and(|s| (1..=30).contains(&s)), "{shown}");

    let now = check_in(&t, &v[0], t0, json!({ "code": code, "dynamic_code": dynamic })).await;
    let next_window = check_in(&t, &v[1], t0 + 30, json!({ "code": code, "dynamic_code": dynamic })).await;
    let stale = check_in(&t, &v[2], t0 + 61, json!({ "code": code, "dynamic_code": dynamic })).await;
    let missing = check_in(&t, &v[3], t0, json!({ "code": code })).await;

    assert_eq!(now.status, 201, "{}", now.text());
    assert_eq!(next_window.status, 201, "the previous window's code still works: {}", next_window.text());
    assert_eq!(stale.status, 422, "{}", stale.text());
    assert_eq!(stale.error_field(), "dynamic_code", "{}", stale.text());
    assert_eq!(missing.status, 422, "{}", missing.text());
    assert_eq!(missing.error_field(), "dynamic_code", "{}", missing.text());
    assert_eq!(attendances(&t, activity), 2, "only the two accepted check-ins wrote rows");
    // The code shown at that later moment works, so the refusal was the stale code's.
    let fresh = t.edge.get_at(&t.admin_a, &format!("/api/v1/activities/{activity}/dynamic-code"), t0 + 61).await.json()
        ["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let retry = check_in(&t, &v[2], t0 + 61, json!({ "code": code, "dynamic_code": fresh })).await;
    assert_eq!(retry.status, 201, "{}", retry.text());
}

/// `checkin.code_attempts` and `checkin.code_lockout_s` defaults
/// (counted by kit::throttle, migration 0014).
const CODE_ATTEMPTS: i64 = 5;
const CODE_LOCKOUT_S: i64 = 600;

async fn rotating_code_at(t: &Town, activity: i64, now: i64) -> String {
    let shown = t.edge.get_at(&t.admin_a, &format!("/api/v1/activities/{activity}/dynamic-code"), now).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.header("cache-control"), Some("no-store"), "{:?}", shown.headers);
    assert_eq!(shown.header("x-content-type-options"), Some("nosniff"), "{:?}", shown.headers);
    shown.json()["code"].as_str().unwrap_or_else(|| panic!("no code: {}", shown.text())).to_owned()
}

#[tokio::test]
async fn wrong_rotating_codes_are_limited_per_volunteer_and_activity_until_the_window_passes() {
    let t = town().await;
    let v = t.volunteers(0, 2, t.a).await;
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "猜码", s, s + 3 * HOUR, false, true, &v).await;
    let t0 = s + 7;
    let right = rotating_code_at(&t, activity, t0).await;
    let previous = rotating_code_at(&t, activity, t0 - 30).await;
    // A code that is neither this window's nor the previous one's: a wrong guess.
    let wrong =
        (0..1_000_000).map(|n| format!("{n:06}")).find(|c| *c != right && *c != previous).expect("a wrong code");

    // Act: the limit's worth of wrong guesses, then the right code in the same window.
    let mut guesses = Vec::new();
    for i in 0..CODE_ATTEMPTS {
        guesses.push(check_in(&t, &v[0], t0 + i, json!({ "code": code, "dynamic_code": wrong })).await);
    }
    let locked = check_in(&t, &v[0], t0 + 10, json!({ "code": code, "dynamic_code": right })).await;
    // Another volunteer of the same activity has attempts of their own.
    let other = check_in(&t, &v[1], t0 + 10, json!({ "code": code, "dynamic_code": right })).await;

    // Assert
    for g in &guesses {
        assert_eq!(g.status, 422, "{}", g.text());
        assert_eq!(g.error_field(), "dynamic_code", "{}", g.text());
    }
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert_eq!(locked.error_code(), "throttled", "{}", locked.text());
    let retry_after: i64 = locked.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert_eq!(retry_after, CODE_LOCKOUT_S - 10, "the window started at the first guess");
    assert_eq!(other.status, 201, "{}", other.text());
    let (window_start, attempts): (i64, i64) = open_db(&t.edge.db_path())
        .query_row(
            "SELECT window_start, hits FROM throttle_counters WHERE name = 'checkin_code' AND client = ?1 || ':' || ?2",
            [activity, v[0].id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the attempts row");
    assert_eq!((window_start, attempts), (t0, CODE_ATTEMPTS), "the wrong guesses, counted; the refused one not");
    assert_eq!(count(&t, "SELECT count(*) FROM attendances WHERE volunteer_id = ?1", [v[0].id]), 0);

    // Once the window has passed, the code shown then works.
    let later = t0 + CODE_LOCKOUT_S;
    let still_locked = check_in(&t, &v[0], later - 1, json!({ "code": code, "dynamic_code": right })).await;
    assert_eq!(still_locked.status, 429, "{}", still_locked.text());
    let fresh = rotating_code_at(&t, activity, later).await;
    let after = check_in(&t, &v[0], later, json!({ "code": code, "dynamic_code": fresh })).await;
    assert_eq!(after.status, 201, "{}", after.text());
    assert_eq!(attendances(&t, activity), 2);
}

#[tokio::test]
async fn concurrent_wrong_rotating_codes_are_counted_and_refused_past_the_limit() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "并发猜码", s, s + 3 * HOUR, false, true, std::slice::from_ref(&v)).await;
    let t0 = s + 7;
    let right = rotating_code_at(&t, activity, t0).await;
    let previous = rotating_code_at(&t, activity, t0 - 30).await;

    // Act: twenty different wrong guesses at once, as a guessing script would send them.
    let mut tasks = Vec::new();
    for guess in (0..1_000_000).map(|n| format!("{n:06}")).filter(|c| *c != right && *c != previous).take(20) {
        let url = t.edge.url("/api/v1/checkins");
        let token = v.token.clone();
        let body = json!({ "code": code, "dynamic_code": guess }).to_string();
        tasks.push(tokio::spawn(async move {
            let reply = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("x-wenming-now", t0.to_string())
                .body(body)
                .send()
                .await
                .expect("check-in request");
            let retry_after = reply.headers().contains_key("retry-after");
            (reply.status().as_u16(), retry_after)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    // Assert: exactly the limit's worth were compared (422); every other one got the one 429.
    let wrong = answers.iter().filter(|(status, _)| *status == 422).count() as i64;
    let throttled = answers.iter().filter(|(status, retry)| *status == 429 && *retry).count() as i64;
    assert_eq!((wrong, throttled), (CODE_ATTEMPTS, 20 - CODE_ATTEMPTS), "{answers:?}");
    let attempts = count(
        &t,
        "SELECT hits FROM throttle_counters WHERE name = 'checkin_code' AND client = ?1 || ':' || ?2",
        [activity, v.id],
    );
    assert_eq!(attempts, CODE_ATTEMPTS);
    assert_eq!(attendances(&t, activity), 0);
}

// ---- Check-out and minutes -------------------------------------------------------------------------

#[tokio::test]
async fn checking_out_without_checking_in_is_a_conflict() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) = activity_with(&t, "未签到", s, s + 2 * HOUR, false, false, std::slice::from_ref(&v)).await;

    let reply = check_out(&t, &v, &code, s + HOUR).await;

    assert_eq!(reply.status, 409, "{}", reply.text());
    assert_eq!(reply.error_code(), "not_checked_in", "{}", reply.text());
    assert_eq!(attendances(&t, activity), 0);
}

#[tokio::test]
async fn minutes_are_computed_by_the_server_with_the_default_rounding_and_capped_at_the_schedule() {
    let t = town().await;
    let v = t.volunteers(0, 4, t.a).await;
    let s = activity_base_time();
    let e = s + 3 * HOUR; // 180 scheduled minutes
    let (activity, code) = activity_with(&t, "时长计算", s, e, false, false, &v).await;
    for (i, vol) in v.iter().enumerate() {
        let at = if i == 3 { s - 20 * MINUTE } else { s };
        let r = check_in(&t, vol, at, json!({ "code": code })).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }

    let eighty = check_out(&t, &v[0], &code, s + 80 * MINUTE).await;
    let twenty = check_out(&t, &v[1], &code, s + 20 * MINUTE).await;
    let ten = check_out(&t, &v[2], &code, s + 10 * MINUTE).await;
    let after_end = check_out(&t, &v[3], &code, e + 30 * MINUTE).await;
    let again = check_out(&t, &v[0], &code, s + 150 * MINUTE).await;

    for (reply, minutes, what) in [
        (&eighty, 90, "1 h 20 min → 90"),
        (&twenty, 30, "20 min → 30"),
        (&ten, 0, "10 min → 0"),
        (&after_end, 180, "early in, late out → the scheduled 180"),
    ] {
        assert_eq!(reply.status, 200, "{what}: {}", reply.text());
        assert_eq!(reply.json()["minutes"], minutes, "{what}: {}", reply.text());
    }
    let stored: Vec<i64> = v.iter().map(|vol| attendance_row(&t, activity, vol).2.expect("minutes")).collect();
    assert_eq!(stored, vec![90, 30, 0, 180], "minutes in the database");
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["minutes"], 90, "checking out twice returns the first result");
    assert_eq!(attendance_row(&t, activity, &v[0]).0, Some(s + 80 * MINUTE), "the first check-out time is kept");
}

#[tokio::test]
async fn minutes_sent_by_the_client_are_not_taken() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (activity, code) =
        activity_with(&t, "客户端时长", s, s + 3 * HOUR, false, false, std::slice::from_ref(&v)).await;
    check_in(&t, &v, s, json!({ "code": code })).await;

    let reply =
        t.edge.post_at(&v.token, "/api/v1/checkouts", s + 60 * MINUTE, &json!({ "code": code, "minutes": 999 })).await;

    assert!(reply.status == 422 || reply.status == 200, "{}", reply.text());
    let minutes = attendance_row(&t, activity, &v).2;
    assert!(minutes.is_none() || minutes == Some(60), "the server's minutes or none, never 999: {minutes:?}");
}

// ---- Forgotten check-outs --------------------------------------------------------------------------

#[tokio::test]
async fn a_forgotten_check_out_is_closed_after_the_grace_and_the_organisers_correction_is_audited() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let e = s + 2 * HOUR + 10 * MINUTE; // 130 scheduled minutes, 120 once rounded
    let (activity, code) = activity_with(&t, "忘记签退", s, e, false, false, std::slice::from_ref(&v)).await;
    let r = check_in(&t, &v, s, json!({ "code": code })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let attendance = id(&r.json());
    let list = format!("/api/v1/activities/{activity}/attendances");
    let early = t.edge.get_at(&t.admin_a, &list, e + GRACE_S - MINUTE).await;
    assert_eq!(early.status, 200, "{}", early.text());
    assert_eq!(attendance_row(&t, activity, &v), (None, 0, None), "still open within the grace");

    let touched = t.edge.get_at(&t.admin_a, &list, e + GRACE_S + MINUTE).await;

    assert_eq!(touched.status, 200, "{}", touched.text());
    let listed = touched.json();
    let item = &listed["items"][0];
    assert_eq!(item["auto_closed"], true, "{listed}");
    assert_eq!(item["minutes"], 120, "{listed}");
    assert_eq!(attendance_row(&t, activity, &v), (Some(e), 1, Some(120)), "closed at the end, flagged, rounded");

    // The organiser corrects it: a reason is required, and the correction is audited.
    let confirm = format!("/api/v1/attendances/{attendance}/confirm");
    let no_reason = t.edge.post_at(&t.admin_a, &confirm, e + GRACE_S + 2 * MINUTE, &json!({ "minutes": 130 })).await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.text());
    assert_eq!(no_reason.error_field(), "reason");
    assert!(ledger(&t, v.id).is_empty(), "nothing posted without a reason");
    let corrected = t
        .edge
        .post_at(
            &t.admin_a,
            &confirm,
            e + GRACE_S + 3 * MINUTE,
            &json!({ "minutes": 130, "reason": "志愿者忘记签退，实际全程在岗" }),
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text());
    let (confirmed, reason, by): (i64, String, i64) = open_db(&t.edge.db_path())
        .query_row(
            "SELECT confirmed_minutes, correction_reason, confirmed_by FROM attendances WHERE id = ?1",
            [attendance],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((confirmed, reason.as_str(), by), (130, "志愿者忘记签退，实际全程在岗", t.admin_a_id));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM audit_log WHERE entity = 'attendance' AND entity_id = ?1 AND actor_id = ?2
               AND action = 'attendance.correct' AND after LIKE '%忘记签退%'",
            [attendance, t.admin_a_id]
        ),
        1,
        "the correction is audited with its reason"
    );
    assert_eq!(
        ledger(&t, v.id).iter().filter(|(k, ..)| k == "minutes").map(|(_, a, ..)| *a).collect::<Vec<_>>(),
        vec![130],
        "the corrected minutes reach the ledger"
    );
}

#[tokio::test]
async fn my_attendances_list_newest_first_with_the_forgotten_check_out_closed_and_only_mine() {
    let t = town().await;
    let mut vs = t.volunteers(0, 2, t.a).await;
    let (v, other) = (vs.remove(0), vs.remove(0));
    let s = activity_base_time();
    let both = [v.clone(), other.clone()];
    let (first, code1) = activity_with(&t, "助老陪伴", s, s + 2 * HOUR, false, false, &both).await;
    check_in(&t, &v, s, json!({ "code": code1 })).await;
    let att1 = id(&check_out(&t, &v, &code1, s + 2 * HOUR).await.json());
    let c = t.edge.post_at(&t.admin_a, &format!("/api/v1/attendances/{att1}/confirm"), s + 3 * HOUR, &json!({})).await;
    assert_eq!(c.status, 200, "{}", c.text());
    check_in(&t, &other, s, json!({ "code": code1 })).await;
    let (s2, e2) = (s + 5 * HOUR, s + 7 * HOUR);
    let (second, code2) = activity_with(&t, "忘记签退的活动", s2, e2, false, false, std::slice::from_ref(&v)).await;
    let r = check_in(&t, &v, s2, json!({ "code": code2 })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let att2 = id(&r.json());
    assert_eq!(attendance_row(&t, second, &v), (None, 0, None), "still open before anybody looks");

    let later = e2 + GRACE_S + MINUTE;
    let mine = t.edge.get_ok_at(&v.token, "/api/v1/attendances/mine", later).await;
    let theirs = t.edge.get_ok_at(&other.token, "/api/v1/attendances/mine", later).await;

    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.iter().map(id).collect::<Vec<_>>(), vec![att2, att1], "newest first: {mine}");
    assert_eq!(mine["next_cursor"], Json::Null);
    let forgotten = &items[0];
    assert_eq!(forgotten["activity"]["title"], "忘记签退的活动", "{forgotten}");
    assert_eq!(forgotten["activity"]["address"], "东街社区活动中心");
    assert_eq!(forgotten["activity"]["org_name"], wenming_tests::STATION_A);
    assert_eq!(forgotten["activity"]["ends_at"], shanghai_rfc3339(e2));
    assert_eq!((forgotten["auto_closed"].clone(), forgotten["status"].clone()), (json!(true), json!("checked_out")));
    assert_eq!(forgotten["checked_out_at"], shanghai_rfc3339(e2), "closed at the activity's end");
    assert_eq!(forgotten["minutes"], 120);
    assert_eq!(forgotten["confirmed_minutes"], Json::Null, "awaiting the organiser");
    assert!(forgotten["flags"].as_array().unwrap().contains(&json!("auto_closed")), "{forgotten}");
    assert_eq!(attendance_row(&t, second, &v), (Some(e2), 1, Some(120)), "the read closed the forgotten check-out");
    let confirmed = &items[1];
    assert_eq!(confirmed["activity_id"], first);
    assert_eq!((confirmed["status"].clone(), confirmed["confirmed_minutes"].clone()), (json!("confirmed"), json!(120)));
    assert_eq!(confirmed["auto_closed"], false);
    let their_items = theirs["items"].as_array().expect("items");
    assert_eq!(their_items.len(), 1, "only their own: {theirs}");
    assert_eq!(their_items[0]["volunteer_id"], other.id);

    // Paging: one a page, newest first, the cursor bounding from above.
    let p1 = t.edge.get_ok_at(&v.token, "/api/v1/attendances/mine?limit=1", later).await;
    assert_eq!(id(&p1["items"][0]), att2);
    assert_eq!(p1["next_cursor"], att2);
    let p2 = t.edge.get_ok_at(&v.token, &format!("/api/v1/attendances/mine?limit=1&cursor={att2}"), later).await;
    assert_eq!(id(&p2["items"][0]), att1);
    let p3 = t.edge.get_ok_at(&v.token, &format!("/api/v1/attendances/mine?limit=1&cursor={att1}"), later).await;
    assert_eq!(p3["items"], json!([]));
}

#[tokio::test]
async fn my_attendances_are_for_volunteers_only_and_bad_paging_is_refused() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);

    let anonymous = t.edge.api(None, "GET", "/api/v1/attendances/mine", &[], None).await;
    let staff = t.edge.get_as(&t.admin_a, "/api/v1/attendances/mine").await;
    let bad_limit = t.edge.get_as(&v.token, "/api/v1/attendances/mine?limit=0").await;
    let bad_cursor = t.edge.get_as(&v.token, "/api/v1/attendances/mine?cursor=x").await;
    let post = t.edge.post_as(&v.token, "/api/v1/attendances/mine", &json!({})).await;
    let empty = t.edge.get_as(&v.token, "/api/v1/attendances/mine").await;

    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert_eq!(staff.status, 403, "a station admin who is no volunteer: {}", staff.text());
    assert_eq!((bad_limit.status, bad_limit.error_field()), (422, "limit".to_owned()));
    assert_eq!((bad_cursor.status, bad_cursor.error_field()), (422, "cursor".to_owned()));
    assert_eq!(post.status, 405, "{}", post.text());
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json(), json!({ "items": [], "next_cursor": null }));
}

#[tokio::test]
async fn the_explicit_close_attendance_closes_forgotten_check_outs() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let e = s + 2 * HOUR;
    let (activity, code) = activity_with(&t, "显式关闭", s, e, false, false, std::slice::from_ref(&v)).await;
    check_in(&t, &v, s + 30 * MINUTE, json!({ "code": code })).await;
    let path = format!("/api/v1/activities/{activity}/close-attendance");

    let too_soon = t.edge.post_at(&t.admin_a, &path, e + MINUTE, &json!({})).await;
    let due = t.edge.post_at(&t.admin_a, &path, e + GRACE_S + MINUTE, &json!({})).await;

    assert_eq!(too_soon.status, 409, "{}", too_soon.text());
    assert_eq!(due.status, 200, "{}", due.text());
    assert_eq!(attendance_row(&t, activity, &v), (Some(e), 1, Some(90)), "90 minutes from 30 min late to the end");
}

// ---- Confirmation and the ledger ---------------------------------------------------------------------

#[tokio::test]
async fn confirming_hours_posts_minutes_and_points_to_the_ledger_once() {
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let e = s + 2 * HOUR;
    let (_, code) = activity_with(&t, "确认时长", s, e, false, false, std::slice::from_ref(&v)).await;
    check_in(&t, &v, s, json!({ "code": code })).await;
    let out = check_out(&t, &v, &code, e).await;
    assert_eq!(out.json()["minutes"], 120, "{}", out.text());
    let attendance = id(&out.json());
    let path = format!("/api/v1/attendances/{attendance}/confirm");
    let key = format!("attendance:{attendance}");

    let first = t.edge.post_at(&t.admin_a, &path, e + MINUTE, &json!({})).await;
    let second = t.edge.post_at(&t.admin_a, &path, e + 2 * MINUTE, &json!({})).await;
    let different =
        t.edge.post_at(&t.admin_a, &path, e + 3 * MINUTE, &json!({ "minutes": 60, "reason": "改一下" })).await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["confirmed_minutes"], 120);
    assert_eq!(second.status, 200, "confirming again returns the first result: {}", second.text());
    assert_eq!(second.json()["confirmed_minutes"], 120);
    assert_eq!(different.status, 409, "{}", different.text());
    assert_eq!(different.error_code(), "already_confirmed");
    assert_eq!(
        ledger(&t, v.id),
        vec![entry("minutes", 120, "activity", &key), entry("points", 2, "activity", &key)],
        "one minutes entry and one points entry (1 point per hour by default)"
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM audit_log WHERE action = 'attendance.confirm' AND entity_id = ?1",
            [attendance]
        ),
        1
    );
}

#[tokio::test]
async fn a_volunteer_who_also_manages_the_station_cannot_confirm_their_own_hours() {
    let t = town().await;
    let other = t.volunteers(0, 1, t.a).await.remove(0);
    let me = admin_volunteer(&t, 5).await;
    let s = activity_base_time();
    let e = s + 2 * HOUR;
    let (activity, code) = activity_with(&t, "自己确认", s, e, false, false, &[me.clone(), other.clone()]).await;
    for v in [&me, &other] {
        assert_eq!(check_in(&t, v, s, json!({ "code": code })).await.status, 201);
        assert_eq!(check_out(&t, v, &code, e).await.status, 200);
    }
    let att = |v: &SignedInVolunteer| {
        count(&t, "SELECT id FROM attendances WHERE activity_id = ?1 AND volunteer_id = ?2", [activity, v.id])
    };
    let (mine, theirs) = (att(&me), att(&other));

    let own = t.edge.post_at(&me.token, &format!("/api/v1/attendances/{mine}/confirm"), e + MINUTE, &json!({})).await;
    let someone_elses =
        t.edge.post_at(&me.token, &format!("/api/v1/attendances/{theirs}/confirm"), e + MINUTE, &json!({})).await;

    assert_eq!(own.status, 403, "{}", own.text());
    assert_eq!(
        count(&t, "SELECT count(*) FROM attendances WHERE id = ?1 AND confirmed_at IS NULL", [mine]),
        1,
        "still unconfirmed"
    );
    assert!(ledger(&t, me.id).is_empty(), "nothing on their ledger");
    assert_eq!(someone_elses.status, 200, "they do manage the station: {}", someone_elses.text());
    assert_eq!(ledger(&t, other.id).len(), 2);
}

#[tokio::test]
async fn a_self_report_approved_by_staff_reaches_the_ledger_and_the_reporter_cannot_approve_it() {
    let t = town().await;
    let me = admin_volunteer(&t, 6).await;
    let started = (unix_now() / HOUR - 30) * HOUR;
    let body = json!({
        "org_id": t.a,
        "title": "自发清理河道垃圾",
        "category": "环保",
        "description": "和邻居一起清理东街河道",
        "started_at": shanghai_rfc3339(started),
        "ended_at": shanghai_rfc3339(started + 2 * HOUR),
    });
    let created = t.edge.post_as(&me.token, "/api/v1/self-reports", &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let report = created.json();
    assert_eq!(report["status"], "pending");
    let approve = format!("/api/v1/self-reports/{}/approve", id(&report));

    let own = t.edge.post_empty_as(&me.token, &approve).await;
    let own_status = count(&t, "SELECT count(*) FROM self_reports WHERE id = ?1 AND status = 'pending'", [id(&report)]);
    let own_ledger = ledger(&t, me.id);
    let staff = t.edge.post_empty_as(&t.admin_a, &approve).await;

    assert_eq!(own.status, 403, "{}", own.text());
    assert_eq!(own_status, 1, "still pending after the reporter's attempt");
    assert!(own_ledger.is_empty(), "nothing posted by the reporter's attempt");
    assert_eq!(staff.status, 200, "{}", staff.text());
    assert_eq!(staff.json()["status"], "approved");
    let key = format!("self-report:{}", id(&report));
    assert_eq!(
        ledger(&t, me.id),
        vec![entry("minutes", 120, "self-report", &key), entry("points", 2, "self-report", &key)]
    );
    let again = t.edge.post_empty_as(&t.admin_a, &approve).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(ledger(&t, me.id).len(), 2, "approving twice posts once");
}

#[tokio::test]
async fn mine_true_lists_only_the_callers_own_self_reports_even_for_a_station_admin() {
    let t = town().await;
    let me = admin_volunteer(&t, 6).await;
    let other = t.volunteers(0, 1, t.a).await.remove(0);
    let started = (unix_now() / HOUR - 30) * HOUR;
    let report = |title: &str, from: i64| {
        json!({
            "org_id": t.a, "title": title, "category": "宣传", "description": "",
            "started_at": shanghai_rfc3339(from), "ended_at": shanghai_rfc3339(from + HOUR),
        })
    };
    let mine = t.edge.post_as(&me.token, "/api/v1/self-reports", &report("我的申报", started)).await;
    assert_eq!(mine.status, 201, "{}", mine.text());
    let theirs = t.edge.post_as(&other.token, "/api/v1/self-reports", &report("别人的申报", started)).await;
    assert_eq!(theirs.status, 201, "{}", theirs.text());

    let all = t.edge.get_as(&me.token, "/api/v1/self-reports").await;
    let only_mine = t.edge.get_as(&me.token, "/api/v1/self-reports?mine=true").await;
    let bad = t.edge.get_as(&me.token, "/api/v1/self-reports?mine=maybe").await;
    let staff_only = t.edge.get_as(&t.admin_b, "/api/v1/self-reports?mine=true").await;

    let titles = |r: &Reply| -> Vec<String> {
        r.json()["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(titles(&all), vec!["我的申报", "别人的申报"], "a station admin sees the station's too");
    assert_eq!(titles(&only_mine), vec!["我的申报"]);
    assert_eq!((bad.status, bad.error_field()), (422, "mine".to_owned()));
    assert_eq!(staff_only.status, 403, "no volunteer, nothing of their own: {}", staff_only.text());
}

// ---- Records ---------------------------------------------------------------------------------------

/// A volunteer with one confirmed attendance (120 min), one approved self-report (60 min) and
/// one attendance checked out but not confirmed (not on the record).
async fn volunteer_with_history(t: &Town) -> SignedInVolunteer {
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let (_, code) = activity_with(t, "助老服务", s, s + 2 * HOUR, false, false, std::slice::from_ref(&v)).await;
    check_in(t, &v, s, json!({ "code": code })).await;
    let att = id(&check_out(t, &v, &code, s + 2 * HOUR).await.json());
    let c = t.edge.post_at(&t.admin_a, &format!("/api/v1/attendances/{att}/confirm"), s + 3 * HOUR, &json!({})).await;
    assert_eq!(c.status, 200, "{}", c.text());
    let (_, code2) =
        activity_with(t, "未确认活动", s + 5 * HOUR, s + 7 * HOUR, false, false, std::slice::from_ref(&v)).await;
    check_in(t, &v, s + 5 * HOUR, json!({ "code": code2 })).await;
    assert_eq!(check_out(t, &v, &code2, s + 7 * HOUR).await.status, 200);
    let started = (unix_now() / HOUR - 30) * HOUR;
    let report = t
        .edge
        .post_as(
            &v.token,
            "/api/v1/self-reports",
            &json!({
                "org_id": t.a, "title": "社区宣传", "category": "宣传", "description": "张贴海报",
                "started_at": shanghai_rfc3339(started), "ended_at": shanghai_rfc3339(started + HOUR),
            }),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.text());
    let approved =
        t.edge.post_empty_as(&t.admin_a, &format!("/api/v1/self-reports/{}/approve", id(&report.json()))).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    v
}

#[tokio::test]
async fn the_service_record_lists_the_confirmed_entries_with_totals_equal_to_the_ledger() {
    let t = town().await;
    let v = volunteer_with_history(&t).await;
    let sum = |kind: &str| {
        count(
            &t,
            "SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE volunteer_id = ?1 AND kind = ?2",
            rusqlite::params![v.id, kind],
        )
    };

    let reply = t.edge.get_as(&v.token, &format!("/api/v1/volunteers/{}/record", v.id)).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let record = reply.json();
    let entries = record["entries"].as_array().unwrap_or_else(|| panic!("no entries: {record}"));
    let mut titles: Vec<&str> = entries.iter().map(|e| e["title"].as_str().unwrap_or_default()).collect();
    titles.sort();
    assert_eq!(titles, vec!["助老服务", "社区宣传"], "confirmed entries only: {record}");
    let activity = entries.iter().find(|e| e["title"] == "助老服务").unwrap();
    assert_eq!(activity["minutes"], 120, "{activity}");
    assert_eq!(activity["organiser"], "东街社区实践站", "{activity}");
    assert_eq!(activity["recorder"], "东街站长", "{activity}");
    assert_eq!(sum("minutes"), 180);
    assert_eq!(record["totals"]["minutes"], sum("minutes"), "{record}");
    assert_eq!(record["totals"]["points"], sum("points"), "{record}");
    // Station A's admin (read-volunteers at the home org) may read it too; B's may not.
    let by_a = t.edge.get_as(&t.admin_a, &format!("/api/v1/volunteers/{}/record", v.id)).await;
    let by_b = t.edge.get_as(&t.admin_b, &format!("/api/v1/volunteers/{}/record", v.id)).await;
    assert_eq!(by_a.status, 200, "{}", by_a.text());
    assert_eq!(by_b.status, 404, "{}", by_b.text());
}

#[tokio::test]
async fn the_records_csv_masks_phone_and_id_and_the_printable_page_says_it_is_not_a_certificate() {
    let t = town().await;
    let v = volunteer_with_history(&t).await;
    let (masked_phone, masked_id) = (mask_phone(&v.phone), mask_id_number(&v.id_number));

    let csv = t.edge.get_as(&t.admin, &format!("/api/v1/records.csv?volunteer={}", v.id)).await;
    let html = t.edge.get_as(&v.token, &format!("/api/v1/volunteers/{}/record.html", v.id)).await;

    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"), "{:?}", csv.headers);
    let text = csv.text();
    assert_eq!(text.lines().count(), 3, "a header and the two confirmed entries:\n{text}");
    assert!(text.contains(&masked_phone), "masked phone {masked_phone} in:\n{text}");
    assert!(text.contains(&masked_id), "masked ID {masked_id} in:\n{text}");
    assert!(!text.contains(&v.phone), "no whole phone in:\n{text}");
    assert!(!text.contains(&v.id_number), "no whole ID number in:\n{text}");
    assert_eq!(html.status, 200, "{}", html.text());
    assert!(html.header("content-type").unwrap_or_default().starts_with("text/html"));
    let page = html.text();
    assert!(page.contains("非证明"), "the page says 非证明");
    assert!(page.contains("志愿服务平台记录（非证明）"), "headed 志愿服务平台记录（非证明）");
    assert!(page.contains("助老服务") && page.contains("社区宣传"), "the entries are on the page");
    assert!(!page.contains("未确认活动"), "unconfirmed service is not");
}

/// `GET /api/v1/records.csv?<query>` as the centre admin: the rows as `(real_name, title, date,
/// minutes)` in the export's order (200 and the header asserted).
async fn csv_rows(t: &Town, query: &str) -> Vec<(String, String, String, i64)> {
    let path = format!("/api/v1/records.csv?{query}");
    let reply = t.edge.get_as(&t.admin, &path).await;
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    let text = reply.text();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    let (name, title, date, minutes) = (col("real_name"), col("title"), col("date"), col("minutes"));
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), header.len(), "one field per column (nothing quoted here): {line}");
            let m = f[minutes].parse().unwrap_or_else(|_| panic!("minutes in {line}"));
            (f[name].to_owned(), f[title].to_owned(), f[date].to_owned(), m)
        })
        .collect()
}

#[tokio::test]
async fn the_records_csv_filters_by_activity_team_volunteer_and_service_date() {
    // Arrange: two volunteers with confirmed hours at two activities two days apart; v0 is an
    // approved member of the team, v1 only asked to join; one more attendance is not confirmed.
    let t = town().await;
    let v = t.volunteers(0, 3, t.a).await;
    let (v0, v1, v2) = (&v[0], &v[1], &v[2]);
    let s = activity_base_time();
    let s2 = s + 2 * DAY;
    let (x, code_x) = activity_with(&t, "助老服务", s, s + 2 * HOUR, false, false, &v[..2]).await;
    let (y, code_y) = activity_with(&t, "河道清理", s2, s2 + HOUR, false, false, &v).await;
    for (who, code, from, to) in [
        (v0, &code_x, s, s + 2 * HOUR),
        (v1, &code_x, s + HOUR, s + 2 * HOUR),
        (v0, &code_y, s2, s2 + HOUR),
        (v1, &code_y, s2, s2 + HOUR),
        (v2, &code_y, s2, s2 + HOUR),
    ] {
        assert_eq!(check_in(&t, who, from, json!({ "code": code })).await.status, 201);
        let out = check_out(&t, who, code, to).await;
        assert_eq!(out.status, 200, "{}", out.text());
        if who.id != v2.id {
            let att = id(&out.json());
            let c = t
                .edge
                .post_at(&t.admin_a, &format!("/api/v1/attendances/{att}/confirm"), to + MINUTE, &json!({}))
                .await;
            assert_eq!(c.status, 200, "{}", c.text());
        }
    }
    let joined = t.edge.post_empty_as(&v0.token, &format!("/api/v1/teams/{}/members", t.team)).await;
    assert_eq!(joined.status, 201, "{}", joined.text());
    let approved =
        t.edge.post_empty_as(&t.leader, &format!("/api/v1/teams/{}/members/{}/approve", t.team, v0.id)).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let asked = t.edge.post_empty_as(&v1.token, &format!("/api/v1/teams/{}/members", t.team)).await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM attendances WHERE confirmed_at IS NOT NULL AND activity_id IN (?1, ?2)",
            [x, y]
        ),
        4,
        "four confirmed attendances"
    );
    let (d1, d2) = (Date::of(s).to_string(), Date::of(s2).to_string());
    let row = |v: &SignedInVolunteer, title: &str, date: &str, minutes: i64| {
        (v.name.clone(), title.to_owned(), date.to_owned(), minutes)
    };
    let (v0x, v1x) = (row(v0, "助老服务", &d1, 120), row(v1, "助老服务", &d1, 60));
    let (v0y, v1y) = (row(v0, "河道清理", &d2, 60), row(v1, "河道清理", &d2, 60));
    let same_day = |mut rows: Vec<(String, String, String, i64)>| {
        rows.sort();
        rows
    };

    // Act
    let all = csv_rows(&t, "").await;
    let at_x = csv_rows(&t, &format!("activity={x}")).await;
    let at_y = csv_rows(&t, &format!("activity={y}")).await;
    let of_v1 = csv_rows(&t, &format!("volunteer={}", v1.id)).await;
    let of_team = csv_rows(&t, &format!("team={}", t.team)).await;
    let from_d2 = csv_rows(&t, &format!("from={d2}")).await;
    let to_d1 = csv_rows(&t, &format!("to={d1}")).await;
    let on_d1 = csv_rows(&t, &format!("from={d1}&to={d1}")).await;
    let from_time = csv_rows(&t, &format!("from={}", shanghai_rfc3339(s + MINUTE).replace('+', "%2B"))).await;
    // An unencoded `+` (as people type it) arrives as a space and still means +08:00.
    let from_time_typed = csv_rows(&t, &format!("from={}", shanghai_rfc3339(s + MINUTE))).await;
    let v0_at_y = csv_rows(&t, &format!("volunteer={}&activity={y}", v0.id)).await;
    let team_on_d1 = csv_rows(&t, &format!("team={}&from={d1}&to={d1}", t.team)).await;
    let nothing = csv_rows(&t, &format!("volunteer={}&activity={x}", v2.id)).await;

    // Assert (rows of the same start time are compared as sets)
    assert_eq!(all.len(), 4, "the four confirmed entries, not v2's unconfirmed one: {all:?}");
    assert_eq!(same_day(all[..2].to_vec()), same_day(vec![v0x.clone(), v1x.clone()]), "day 1 first");
    assert_eq!(same_day(all[2..].to_vec()), same_day(vec![v0y.clone(), v1y.clone()]), "then day 2");
    assert_eq!(same_day(at_x), same_day(vec![v0x.clone(), v1x.clone()]), "activity=X");
    assert_eq!(same_day(at_y), same_day(vec![v0y.clone(), v1y.clone()]), "activity=Y: v2's is not confirmed");
    assert_eq!(of_v1, vec![v1x.clone(), v1y.clone()], "volunteer=v1, by date");
    assert_eq!(of_team, vec![v0x.clone(), v0y.clone()], "team: approved members only (v1 is pending)");
    assert_eq!(same_day(from_d2), same_day(vec![v0y.clone(), v1y.clone()]), "from a date: that day on");
    assert_eq!(same_day(to_d1), same_day(vec![v0x.clone(), v1x.clone()]), "to a date: up to that day, inclusive");
    assert_eq!(same_day(on_d1), same_day(vec![v0x.clone(), v1x.clone()]), "from = to = one date: that day");
    assert_eq!(same_day(from_time_typed), same_day(from_time.clone()), "from a time typed with a bare +");
    assert_eq!(same_day(from_time), same_day(vec![v0y.clone(), v1y.clone()]), "from an RFC 3339 time");
    assert_eq!(v0_at_y, vec![v0y], "volunteer ∩ activity");
    assert_eq!(team_on_d1, vec![v0x], "team ∩ date range");
    assert!(nothing.is_empty(), "v2 has no confirmed entry at X: {nothing:?}");
}

// ---- The scheduler's job ---------------------------------------------------------------------------

#[tokio::test]
async fn the_close_checkouts_job_closes_forgotten_check_outs_after_the_grace_once() {
    // Arrange: a volunteer checked in half an hour late and never checked out
    let t = town().await;
    let v = t.volunteers(0, 1, t.a).await.remove(0);
    let s = activity_base_time();
    let e = s + 2 * HOUR;
    let (activity, code) = activity_with(&t, "定时关闭", s, e, false, false, std::slice::from_ref(&v)).await;
    assert_eq!(check_in(&t, &v, s + 30 * MINUTE, json!({ "code": code })).await.status, 201);

    // Act: the job inside the grace, after it, and again
    let early = t.edge.job_ok("close-checkouts", e + GRACE_S - MINUTE).await;
    let open = attendance_row(&t, activity, &v);
    let first = t.edge.job_ok("close-checkouts", e + GRACE_S + MINUTE).await;
    let second = t.edge.job_ok("close-checkouts", e + GRACE_S + 2 * MINUTE).await;

    // Assert
    assert_eq!(early["closed"], 0, "volunteers may still check out: {early}");
    assert_eq!(open, (None, 0, None), "still open inside the grace");
    assert_eq!((first["closed"].as_i64(), first["activities"].as_i64()), (Some(1), Some(1)), "{first}");
    assert_eq!(second["closed"], 0, "a repeat finds nothing open: {second}");
    assert_eq!(attendance_row(&t, activity, &v), (Some(e), 1, Some(90)), "closed at the end, flagged, 90 minutes");
}
