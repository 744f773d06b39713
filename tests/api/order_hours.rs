//! Hours earned by serving an order reach the ledger (docs/demand-api.md, "Hours from orders"):
//! when a team completes an order (接单 → 完成), each assigned volunteer's reported minutes are
//! credited as service minutes and points (source `order`) in the completion's transaction, once
//! per volunteer per order, and show on the volunteer's service record, star and balances.
//!
//! Set-up through the API on the `Town` county: a care item (助老) on the centre's menu, two or
//! three volunteers who joined the town's team and were approved by its leader, a citizen who
//! orders; station A's admin dispatches. The deployment earns 2 points an hour for 助老
//! (`points_coefficients`, set in the database as a deployment would), so points differ from the
//! default and rounding down shows. Every request carries `X-Wenming-Now`.

use wenming_tests::{
    id, json, open_db, require_components, town, unix_now, Json, Reply, SignedInVolunteer, Town, CLOCK_HEADER, DAY,
    HOUR, MINUTE, TOWN_LEADER_PHONE,
};

/// What the loop needs besides the activity components `town()` checks.
const COMPONENTS: [&str; 5] = ["demand", "dispatch", "notify", "ledger", "reward"];
/// Points per hour for 助老 in this deployment, in hundredths.
const CARE_PER_HOUR_X100: i64 = 200;

/// The town with what ordering needs.
struct Desk {
    t: Town,
    care: i64,
    citizen: String,
    members: Vec<SignedInVolunteer>,
    /// The request clock's start.
    t0: i64,
}

/// The points `minutes` earn for 助老 here: whole points, rounded down.
fn care_points(minutes: i64) -> i64 {
    minutes * CARE_PER_HOUR_X100 / 6000
}

async fn desk(members: usize) -> Desk {
    require_components(&COMPONENTS);
    let t = town().await;
    let t0 = unix_now();
    let body = json!({
        "centre_org_id": t.centre,
        "category": "助老",
        "name": "上门陪护",
        "kind": "welfare",
        "deadline_normal_s": DAY,
        "deadline_urgent_s": 4 * HOUR,
        "deadline_critical_s": HOUR,
    });
    let item = t.edge.post_as(&t.admin, "/api/v1/service-menu", &body).await;
    assert_eq!(item.status, 201, "POST /api/v1/service-menu: {}", item.text());
    let care = id(&item.json());
    open_db(&t.edge.db_path())
        .execute("INSERT INTO points_coefficients (category, per_hour_x100) VALUES ('助老', ?1)", [CARE_PER_HOUR_X100])
        .expect("the deployment's coefficient for 助老");

    let members = t.volunteers(1, members, t.a).await;
    for v in &members {
        let joined = t.edge.post_empty_as(&v.token, &format!("/api/v1/teams/{}/members", t.team)).await;
        assert_eq!(joined.status, 201, "volunteer {} joins the team: {}", v.id, joined.text());
        let approved =
            t.edge.post_empty_as(&t.leader, &format!("/api/v1/teams/{}/members/{}/approve", t.team, v.id)).await;
        assert_eq!(approved.status, 200, "the leader approves {}: {}", v.id, approved.text());
    }
    let citizen = t.edge.sign_in_by_code(&t.admin, "15866660001").await;
    Desk { t, care, citizen, members, t0 }
}

impl Desk {
    async fn post(&self, token: &str, path: &str, now: i64, body: &Json, key: Option<&str>) -> Reply {
        let now = now.to_string();
        let mut headers = vec![(CLOCK_HEADER, now.as_str())];
        if let Some(key) = key {
            headers.push(("idempotency-key", key));
        }
        self.t.edge.api(Some(token), "POST", path, &headers, Some(body)).await
    }

    /// `POST /api/v1/dispatch/demands/{order}/{action}` at `now`, whatever the answer.
    async fn dispatch_try(&self, token: &str, order: i64, action: &str, now: i64, body: &Json) -> Reply {
        self.post(token, &format!("/api/v1/dispatch/demands/{order}/{action}"), now, body, None).await
    }

    /// The same, answered 200.
    async fn dispatch(&self, token: &str, order: i64, action: &str, now: i64, body: &Json) -> Json {
        let reply = self.dispatch_try(token, order, action, now, body).await;
        assert_eq!(reply.status, 200, "{action} of order {order}: {}", reply.text());
        reply.json()
    }

    /// The citizen's care order at station A, dispatched to the town's team, accepted, the
    /// volunteers `assigned`, started: in service at `now + 4 min`. Returns its id.
    async fn in_service(&self, now: i64, assigned: &[i64]) -> i64 {
        let body = json!({
            "menu_item_id": self.care,
            "org_id": self.t.a,
            "description": "独居老人需要上门陪护",
            "address": "东街社区8号楼",
            "urgency": "normal",
            "contact_name": "王奶奶",
            "contact_phone": "15866660001",
        });
        let placed = self.post(&self.citizen, "/api/v1/demands", now, &body, None).await;
        assert_eq!(placed.status, 201, "POST /api/v1/demands: {}", placed.text());
        let order = id(&placed.json());
        self.to_team_and_start(order, now + MINUTE, assigned).await;
        order
    }

    /// Dispatches a submitted `order` to the team at `now`, accepts, assigns, starts.
    async fn to_team_and_start(&self, order: i64, now: i64, assigned: &[i64]) {
        self.dispatch(&self.t.admin_a, order, "dispatch", now, &json!({ "team_id": self.t.team })).await;
        self.dispatch(&self.t.leader, order, "accept", now + MINUTE, &json!({})).await;
        self.dispatch(&self.t.leader, order, "assign", now + 2 * MINUTE, &json!({ "volunteer_ids": assigned })).await;
        self.dispatch(&self.t.leader, order, "start", now + 3 * MINUTE, &json!({})).await;
    }

    fn db(&self) -> rusqlite::Connection {
        open_db(&self.t.edge.db_path())
    }

    /// Every ledger entry of `volunteer`: (kind, amount, balance_after, source, source_id, key).
    fn ledger(&self, volunteer: i64) -> Vec<(String, i64, i64, String, i64, String)> {
        let db = self.db();
        let mut stmt = db
            .prepare(
                "SELECT kind, amount, balance_after, source, source_id, idempotency_key FROM ledger_entries
                 WHERE volunteer_id = ?1 ORDER BY id",
            )
            .unwrap();
        let rows = stmt
            .query_map([volunteer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    fn ledger_rows(&self) -> i64 {
        self.db().query_row("SELECT COUNT(*) FROM ledger_entries", [], |r| r.get(0)).unwrap()
    }

    /// The id of `order`'s timeline entry that moved it to `completed` (the latest one).
    fn completion_event(&self, order: i64) -> i64 {
        self.db()
            .query_row(
                "SELECT MAX(id) FROM demand_events WHERE demand_id = ?1 AND to_status = 'completed'",
                [order],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn status(&self, order: i64) -> String {
        self.db().query_row("SELECT status FROM demands WHERE id = ?1", [order], |r| r.get(0)).unwrap()
    }

    /// `GET /api/v1/volunteers/{id}/record` as the volunteer.
    async fn record(&self, v: &SignedInVolunteer) -> Json {
        let reply = self.t.edge.get_as(&v.token, &format!("/api/v1/volunteers/{}/record", v.id)).await;
        assert_eq!(reply.status, 200, "record of {}: {}", v.id, reply.text());
        reply.json()
    }

    /// The record's `order` entries.
    async fn order_entries(&self, v: &SignedInVolunteer) -> Vec<Json> {
        let record = self.record(v).await;
        let entries = record["entries"].as_array().unwrap_or_else(|| panic!("no entries: {record}")).clone();
        entries.into_iter().filter(|e| e["kind"] == "order").collect()
    }
}

#[tokio::test]
async fn completing_an_order_credits_each_volunteers_minutes_and_points_once() {
    // Arrange: two volunteers assigned to an order in service
    let d = desk(2).await;
    let (first, second) = (&d.members[0], &d.members[1]);
    let t = d.t0;
    let order = d.in_service(t, &[first.id, second.id]).await;
    let report = json!({
        "summary": "陪老人聊天并打扫房间",
        "volunteers": [{ "volunteer_id": first.id, "minutes": 90 }, { "volunteer_id": second.id, "minutes": 45 }],
    });
    let path = format!("/api/v1/dispatch/demands/{order}/complete");

    // Act: complete, then retry the same request (same key), then complete again without one
    let done = d.post(&d.t.leader, &path, t + 10 * MINUTE, &report, Some("complete-1")).await;
    let retried = d.post(&d.t.leader, &path, t + 11 * MINUTE, &report, Some("complete-1")).await;
    let again = d.dispatch_try(&d.t.leader, order, "complete", t + 12 * MINUTE, &report).await;

    // Assert: the answers
    assert_eq!(done.status, 200, "complete: {}", done.text());
    assert_eq!(done.json()["status"], "completed", "{}", done.text());
    assert_eq!(retried.status, 200, "a retry replays: {}", retried.text());
    assert_eq!(retried.json(), done.json(), "the retry's answer is the first one");
    assert_eq!(again.status, 409, "completing a completed order: {}", again.text());
    assert_eq!(again.error_code(), "wrong_state");

    // Assert: the ledger rows — minutes and points, source `order`, from the completion's
    // timeline entry, one key per volunteer per order, posted once
    let event = d.completion_event(order);
    for (v, minutes) in [(first, 90), (second, 45)] {
        let key = format!("order:{order}:volunteer:{}", v.id);
        assert_eq!(
            d.ledger(v.id),
            vec![
                ("minutes".to_owned(), minutes, minutes, "order".to_owned(), event, key.clone()),
                ("points".to_owned(), care_points(minutes), care_points(minutes), "order".to_owned(), event, key),
            ],
            "ledger of volunteer {}",
            v.id
        );
    }
    assert_eq!((care_points(90), care_points(45)), (3, 1), "2 points an hour, rounded down");
    assert_eq!(d.ledger_rows(), 4, "nothing else was posted");

    // Assert: the same request told the citizen through notify, once, keyed by the same entry.
    // With the leader authenticated by identity, one request of `dispatch` has used each of its
    // three dependencies, three WIT packages from three components (`wenming:identity`,
    // `wenming:ledger`, `wenming:notify`): the composition Spin accepts works end to end.
    let told: Vec<(String, String)> = d
        .db()
        .prepare("SELECT recipient, idempotency_key FROM outbox WHERE template = 'order-completed'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(told, vec![("15866660001".to_owned(), format!("order:{order}:order-completed:{event}"))]);

    // Assert: the stored report keeps its fields and has each volunteer's minutes
    let stored: String = d.db().query_row("SELECT report FROM demands WHERE id = ?1", [order], |r| r.get(0)).unwrap();
    let stored: Json = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["summary"], "陪老人聊天并打扫房间", "{stored}");
    assert_eq!(stored["volunteer_ids"], json!([first.id, second.id]), "{stored}");
    assert_eq!(stored["minutes"], 90, "the longest anyone served: {stored}");
    assert_eq!(stored["volunteers"][1]["minutes"], 45, "{stored}");

    // Assert: each volunteer's record shows the order, and its totals are the balances
    for (v, minutes) in [(first, 90), (second, 45)] {
        let record = d.record(v).await;
        let orders = d.order_entries(v).await;
        assert_eq!(orders.len(), 1, "one order entry for {}: {record}", v.id);
        let entry = &orders[0];
        assert_eq!(entry["id"], order, "{entry}");
        assert_eq!(entry["title"], "上门陪护", "{entry}");
        assert_eq!(entry["category"], "助老", "{entry}");
        assert_eq!(entry["content"], "陪老人聊天并打扫房间", "{entry}");
        assert_eq!(entry["minutes"], minutes, "{entry}");
        assert_eq!(entry["address"], "", "a citizen's home is not on a volunteer's record: {entry}");
        assert_eq!(entry["organiser"], "东街社区实践站", "{entry}");
        assert_eq!(entry["recorder"], "服务队长", "{entry}");
        assert_eq!(record["totals"]["minutes"], minutes, "{record}");
        assert_eq!(record["totals"]["points"], care_points(minutes), "{record}");
    }

    // Assert: the star reads the same minutes
    let star = d.t.edge.get_as(&first.token, &format!("/api/v1/volunteers/{}/star", first.id)).await;
    assert_eq!(star.status, 200, "star: {}", star.text());
    assert_eq!(star.json()["minutes"], 90, "{}", star.text());

    // Act: the citizen reopens; the team serves again and reports other minutes
    let reopened = d
        .post(
            &d.citizen,
            &format!("/api/v1/demands/{order}/reopen"),
            t + 20 * MINUTE,
            &json!({ "reason": "还需要帮忙" }),
            None,
        )
        .await;
    assert_eq!(reopened.status, 200, "reopen: {}", reopened.text());
    d.to_team_and_start(order, t + 21 * MINUTE, &[first.id, second.id]).await;
    let report = json!({
        "summary": "再次上门",
        "volunteers": [{ "volunteer_id": first.id, "minutes": 30 }, { "volunteer_id": second.id, "minutes": 30 }],
    });
    d.dispatch(&d.t.leader, order, "complete", t + 30 * MINUTE, &report).await;

    // Assert: each volunteer is credited once per order — nothing new was posted
    assert_eq!(d.status(order), "completed");
    assert_eq!(d.ledger_rows(), 4, "a second completion of the same order posts nothing for the same volunteers");
    assert_eq!(d.ledger(first.id)[0].1, 90, "the first credit stands");
    assert_eq!(d.order_entries(first).await.len(), 1, "still one entry on the record");
}

#[tokio::test]
async fn a_volunteer_not_assigned_to_the_order_is_refused_and_nothing_is_posted() {
    // Arrange: three approved members of the team; only the first two assigned
    let d = desk(3).await;
    let (first, second, third) = (&d.members[0], &d.members[1], &d.members[2]);
    let t = d.t0;
    let order = d.in_service(t, &[first.id, second.id]).await;
    let before = d.ledger_rows();

    // Act: report the unassigned member (in each request shape), or someone in no team at all
    let unassigned = json!({
        "summary": "上门陪护",
        "volunteers": [{ "volunteer_id": first.id, "minutes": 60 }, { "volunteer_id": third.id, "minutes": 60 }],
    });
    let unassigned_ids = json!({ "summary": "上门陪护", "volunteer_ids": [first.id, third.id], "minutes": 60 });
    let outsider = d.t.register_volunteer(40, d.t.b).await;
    let stranger = json!({ "summary": "上门陪护", "volunteer_ids": [id(&outsider)], "minutes": 60 });
    let both_shapes = json!({
        "summary": "上门陪护",
        "volunteers": [{ "volunteer_id": first.id, "minutes": 60 }],
        "minutes": 60,
    });
    let too_long = json!({ "summary": "上门陪护", "volunteers": [{ "volunteer_id": first.id, "minutes": 1441 }] });
    let refused = [
        ("an assigned and an unassigned member", &unassigned, "volunteers"),
        ("the same by volunteer_ids", &unassigned_ids, "volunteer_ids"),
        ("a volunteer of no team", &stranger, "volunteer_ids"),
        ("both request shapes", &both_shapes, "minutes"),
        ("more than a day", &too_long, "volunteers[0].minutes"),
    ];
    for (what, body, field) in refused {
        let reply = d.dispatch_try(&d.t.leader, order, "complete", t + 10 * MINUTE, body).await;

        // Assert: 422 naming the field, the order still in service, nothing posted
        assert_eq!(reply.status, 422, "{what}: {}", reply.text());
        assert_eq!(reply.error_field(), field, "{what}: {}", reply.text());
        assert_eq!(d.status(order), "in_service", "{what}: the order did not move");
        assert_eq!(d.ledger_rows(), before, "{what}: nothing was posted");
    }

    // Act: the same volunteers as one minutes value for each (the older request shape)
    let report = json!({ "summary": "上门陪护两小时", "volunteer_ids": [first.id, second.id], "minutes": 120 });
    d.dispatch(&d.t.leader, order, "complete", t + 11 * MINUTE, &report).await;

    // Assert: each assigned volunteer got the 120 minutes and their points; the third nothing
    for v in [first, second] {
        let rows = d.ledger(v.id);
        assert_eq!(
            rows.iter().map(|r| (r.0.as_str(), r.1)).collect::<Vec<_>>(),
            vec![("minutes", 120), ("points", care_points(120))],
            "ledger of {}",
            v.id
        );
        let record = d.record(v).await;
        assert_eq!(record["totals"]["minutes"], 120, "{record}");
        assert_eq!(record["totals"]["points"], 4, "{record}");
    }
    assert!(d.ledger(third.id).is_empty(), "the unassigned member was credited nothing");
    assert!(d.order_entries(third).await.is_empty(), "and has no order on the record");
}

#[tokio::test]
async fn a_leader_cannot_report_their_own_minutes() {
    // Arrange: the team's leader is a volunteer and an approved member too, assigned with another
    let d = desk(1).await;
    let first = &d.members[0];
    let t = d.t0;
    let leader = d.t.register_volunteer_with_phone(60, TOWN_LEADER_PHONE, d.t.a).await;
    let leader_volunteer = id(&leader);
    let joined = d.t.edge.post_empty_as(&d.t.leader, &format!("/api/v1/teams/{}/members", d.t.team)).await;
    assert_eq!(joined.status, 201, "the leader joins as a volunteer: {}", joined.text());
    let approved =
        d.t.edge
            .post_empty_as(&d.t.leader, &format!("/api/v1/teams/{}/members/{leader_volunteer}/approve", d.t.team))
            .await;
    assert_eq!(approved.status, 200, "approved: {}", approved.text());
    let order = d.in_service(t, &[first.id, leader_volunteer]).await;

    // Act
    let report = json!({
        "summary": "上门陪护",
        "volunteers": [{ "volunteer_id": first.id, "minutes": 60 }, { "volunteer_id": leader_volunteer, "minutes": 60 }],
    });
    let reply = d.dispatch_try(&d.t.leader, order, "complete", t + 10 * MINUTE, &report).await;

    // Assert: refused as nobody confirms their own hours, and nothing moved or was posted
    assert_eq!(reply.status, 403, "reporting one's own minutes: {}", reply.text());
    assert_eq!(d.status(order), "in_service");
    assert_eq!(d.ledger_rows(), 0, "nothing was posted");

    // Act: the leader reports the other volunteer only
    let report = json!({ "summary": "上门陪护", "volunteers": [{ "volunteer_id": first.id, "minutes": 60 }] });
    d.dispatch(&d.t.leader, order, "complete", t + 11 * MINUTE, &report).await;

    // Assert
    assert_eq!(d.ledger(first.id).iter().map(|r| r.1).collect::<Vec<_>>(), vec![60, care_points(60)]);
    assert!(d.ledger(leader_volunteer).is_empty(), "the leader credited themself nothing");
}
