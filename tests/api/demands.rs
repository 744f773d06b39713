//! The demand-order loop through the real product (`spin.toml`), against `docs/demand-api.md`:
//! 群众点单 → 中心派单 → 志愿者接单 → 群众评单. The whole loop with its timeline and messages,
//! forbidden transitions (409 `wrong_state`, nothing changed), grading and the queue order,
//! near-duplicates, concurrent grabs, escalation past the deadline, decline, who sees what
//! (citizens, department handlers), team suggestions, the outbox's idempotency and limits, and
//! auto-close.
//!
//! Set-up is all through the API (`desk()`, on the harness's `County`): the centre admin makes an
//! institute with stations A and B, an institute admin and A's station admin, the service menu, a
//! team at A whose leader is a volunteer (with two approved members), two departments with a handler each; citizens
//! sign in by SMS code read from the outbox. The product runs with `allow_clock_override`, and
//! every demand/dispatch request carries `X-Wenming-Now`, so deadlines, escalation, the 30 s
//! repeat window and auto-close are tested by moving the request clock (sessions keep real time).

use std::collections::HashSet;
use std::ops::Deref;

use wenming_tests::{
    count, entries, id, ids, json, open_db, scalar, unix_of, volunteer_registration, County, Json, Person, Reply,
    CENTRE_ADMIN_PHONE, CLOCK_HEADER, DAY, HOUR, MINUTE, STAFF_PASSWORD,
};

/// The components the demand loop needs built (besides the directory's).
const DEMAND_COMPONENTS: [&str; 3] = ["demand", "dispatch", "notify"];

/// Deadlines (seconds to be accepted) of the menu items the desk creates.
const CARE_DEADLINES: (i64, i64, i64) = (DAY, 4 * HOUR, HOUR); // 助老 / 上门陪护
const MEALS_DEADLINES: (i64, i64, i64) = (2 * HOUR, HOUR, 30 * MINUTE); // 助老 / 代购送餐
const PETITION_DEADLINES: (i64, i64, i64) = (3 * DAY, DAY, 4 * HOUR); // 信访 / 噪声扰民投诉

// ---- The desk: the harness's county and what the demand loop adds ---------------------------------

/// A volunteer signed in by SMS code.
#[allow(dead_code)]
#[derive(Debug, Clone)]
struct Member {
    volunteer_id: i64,
    account_id: i64,
    token: String,
}

/// A team and its leader (a volunteer too).
#[derive(Debug, Clone)]
struct Team {
    id: i64,
    leader: Person,
}

/// The harness's [`County`] (centre admin, institute, stations A and B; `t0` is the test's "now":
/// requests pass `t0 + offset` as `X-Wenming-Now`) with what the demand loop adds. Derefs to it.
#[allow(dead_code)]
struct Desk {
    county: County,
    /// `institute-admin` at the institute (the parent of A: escalations go here).
    inst_admin: Person,
    /// `station-admin` at A, the dispatcher in most tests (a personal name citizens never see).
    admin_a: Person,
    /// 助老 / 上门陪护 (welfare), `CARE_DEADLINES`.
    care: i64,
    /// 助老 / 代购送餐 (welfare), `MEALS_DEADLINES`.
    meals: i64,
    /// 信访 / 噪声扰民投诉 (petition), `PETITION_DEADLINES`.
    petition: i64,
    /// The team at A (categories 助老, 环保), led by a volunteer.
    team: Team,
    /// Two approved members of `team`.
    members: Vec<Member>,
    /// 县住建局 at the centre and its handler; 县生态环境局 and its handler.
    dept: i64,
    handler: Person,
    other_dept: i64,
    other_handler: Person,
    /// A citizen signed in by SMS code.
    citizen: Person,
}

impl Deref for Desk {
    type Target = County;
    fn deref(&self) -> &County {
        &self.county
    }
}

/// The product with the clock override, bootstrapped, with the whole desk made through the API.
async fn desk() -> Desk {
    let c = County::with_clock(&DEMAND_COMPONENTS).await;
    let inst_admin = c.staff("赵文静", "13922220001", "institute-admin", c.institute).await;
    let admin_a = c.staff("李明华", "13922220002", "station-admin", c.a).await;

    let care = c.menu_item("助老", "上门陪护", "welfare", CARE_DEADLINES).await;
    let meals = c.menu_item("助老", "代购送餐", "welfare", MEALS_DEADLINES).await;
    let petition = c.menu_item("信访", "噪声扰民投诉", "petition", PETITION_DEADLINES).await;

    let team = make_team(&c, c.a, "东街邻里服务队", &["助老", "环保"], 0).await;
    let mut members = Vec::new();
    for i in 1..=2 {
        members.push(member(&c, &team, c.a, i).await);
    }

    let (dept, handler) = c.department(c.centre, "县住建局", "王志强", "13966660001").await;
    let (other_dept, other_handler) = c.department(c.centre, "县生态环境局", "陈海燕", "13966660002").await;
    let citizen = c.citizen("15855550001").await;
    Desk {
        county: c,
        inst_admin,
        admin_a,
        care,
        meals,
        petition,
        team,
        members,
        dept,
        handler,
        other_dept,
        other_handler,
        citizen,
    }
}

/// Registers volunteer `i` (phone `phone`, valid resident ID, born in 1985) at `home` as the
/// centre admin.
async fn register_volunteer(c: &County, i: u32, name: &str, phone: &str, home: i64) -> Json {
    let birth = format!("1985{:02}{:02}", 1 + i % 12, 1 + i % 28);
    c.register(&volunteer_registration(name, phone, &birth, 10 + i % 80, i.is_multiple_of(2), home)).await
}

/// A team at `org` with `categories`, led by a new volunteer (account with a password, then
/// registered as a volunteer) — `i` picks the leader's phone and ID number.
async fn make_team(c: &County, org: i64, name: &str, categories: &[&str], i: u32) -> Team {
    let leader_name = format!("队长{}", ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"][i as usize % 8]);
    let phone = format!("1393333{:04}", i);
    let account_id = c.account(&leader_name, &phone).await;
    register_volunteer(c, 40 + i, &leader_name, &phone, org).await;
    let team = c.team(org, name, account_id, categories).await;
    let token = c.edge.sign_in(&phone, STAFF_PASSWORD).await;
    Team { id: team, leader: Person { account_id, name: leader_name, phone, token } }
}

/// Volunteer `i` registered at `home`, signed in by SMS code, joined `team`, approved by its
/// leader.
async fn member(c: &County, team: &Team, home: i64, i: u32) -> Member {
    let phone = format!("1374444{:04}", i);
    let v = register_volunteer(c, i, &format!("队员{i}"), &phone, home).await;
    let token = c.edge.sign_in_by_code(&c.admin, &phone).await;
    let joined = c.edge.post_empty_as(&token, &format!("/api/v1/teams/{}/members", team.id)).await;
    assert_eq!(joined.status, 201, "joining team {}: {}", team.id, joined.text());
    let volunteer_id = id(&v);
    let approved = c
        .edge
        .post_empty_as(&team.leader.token, &format!("/api/v1/teams/{}/members/{volunteer_id}/approve", team.id))
        .await;
    assert_eq!(approved.status, 200, "approving {volunteer_id}: {}", approved.text());
    Member {
        volunteer_id,
        account_id: v["account_id"].as_i64().unwrap_or_else(|| panic!("no account_id in {v}")),
        token,
    }
}

/// The `existing_id` of a 409 `duplicate` (in `error`, or beside it).
fn existing_id(reply: &Reply) -> Option<i64> {
    let v = reply.json();
    v["error"]["existing_id"].as_i64().or_else(|| v["existing_id"].as_i64())
}

/// A stored order, read from the database.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: String,
    citizen_id: i64,
    team_id: Option<i64>,
    department_id: Option<i64>,
    priority: i64,
    deadline_at: i64,
    escalated_at: Option<i64>,
    escalated_to: Option<i64>,
    report: Option<String>,
    reply: Option<String>,
    rating: Option<String>,
    rating_comment: Option<String>,
    completed_at: Option<i64>,
    updated_at: i64,
}

/// One timeline entry, read from the database.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: i64,
    at: i64,
    actor: Option<i64>,
    from: Option<String>,
    to: String,
    note: String,
}

/// Everything a forbidden move must leave alone.
#[derive(Debug, PartialEq)]
struct Snapshot {
    row: Row,
    events: usize,
    outbox: i64,
    assignees: i64,
    grab_teams: i64,
    demands: i64,
}

impl Desk {
    /// A request at request time `now`.
    async fn at(&self, token: &str, method: &str, path: &str, now: i64, body: Option<&Json>) -> Reply {
        self.edge.api_at(Some(token), method, path, now, body).await
    }

    async fn get(&self, token: &str, path: &str, now: i64) -> Reply {
        self.at(token, "GET", path, now, None).await
    }

    async fn post(&self, token: &str, path: &str, now: i64, body: &Json) -> Reply {
        self.at(token, "POST", path, now, Some(body)).await
    }

    /// A 200 `GET` as JSON.
    async fn get_ok(&self, token: &str, path: &str, now: i64) -> Json {
        self.edge.get_ok_at(token, path, now).await
    }

    /// An order body for `item` at station A (contact phone: `who`'s).
    fn order_body(&self, who: &Person, item: i64, urgency: &str) -> Json {
        json!({
            "menu_item_id": item,
            "org_id": self.a,
            "description": "独居老人行动不便，需要志愿者上门帮忙",
            "address": "东街社区12号楼3单元",
            "latitude": 30.274,
            "longitude": 120.155,
            "urgency": urgency,
            "preferred_time": "工作日上午",
            "contact_name": "张阿姨",
            "contact_phone": who.phone,
        })
    }

    async fn try_order(&self, who: &Person, item: i64, urgency: &str, now: i64) -> Reply {
        self.post(&who.token, "/api/v1/demands", now, &self.order_body(who, item, urgency)).await
    }

    /// `who` orders `item` at station A at `now` (201): the order.
    async fn order(&self, who: &Person, item: i64, urgency: &str, now: i64) -> Json {
        self.county.order(who, &self.order_body(who, item, urgency), Some(now)).await
    }

    /// `POST /api/v1/dispatch/demands/{id}/{action}`, whatever the answer.
    async fn dispatch_try(&self, token: &str, order: i64, action: &str, now: i64, body: &Json) -> Reply {
        self.post(token, &format!("/api/v1/dispatch/demands/{order}/{action}"), now, body).await
    }

    /// `POST /api/v1/dispatch/demands/{id}/{action}` that must be answered 200.
    async fn dispatch(&self, token: &str, order: i64, action: &str, now: i64, body: &Json) -> Json {
        let reply = self.dispatch_try(token, order, action, now, body).await;
        assert_eq!(reply.status, 200, "{action} of order {order}: {}", reply.text());
        reply.json()
    }

    /// `POST /api/v1/demands/{id}/{action}` (the citizen's side), whatever the answer.
    async fn citizen_try(&self, token: &str, order: i64, action: &str, now: i64, body: &Json) -> Reply {
        self.post(token, &format!("/api/v1/demands/{order}/{action}"), now, body).await
    }

    /// Station A's admin dispatches `order` to `team` at `now`.
    async fn send_to(&self, order: i64, team: &Team, now: i64) -> Json {
        self.dispatch(&self.admin_a.token, order, "dispatch", now, &json!({ "team_id": team.id })).await
    }

    /// The citizen's new care order brought to `completed` by the desk's team: dispatched at
    /// `now`, accepted, assigned both members, started and completed a minute apart. Returns the
    /// order id and the time of completion.
    async fn completed_order(&self, who: &Person, item: i64, now: i64) -> (i64, i64) {
        let order = id(&self.order(who, item, "normal", now).await);
        self.send_to(order, &self.team, now + MINUTE).await;
        let leader = &self.team.leader.token;
        self.dispatch(leader, order, "accept", now + 2 * MINUTE, &json!({})).await;
        self.dispatch(leader, order, "assign", now + 3 * MINUTE, &json!({ "volunteer_ids": self.member_ids() })).await;
        self.dispatch(leader, order, "start", now + 4 * MINUTE, &json!({})).await;
        self.dispatch(leader, order, "complete", now + 5 * MINUTE, &self.report()).await;
        (order, now + 5 * MINUTE)
    }

    fn member_ids(&self) -> Vec<i64> {
        self.members.iter().map(|m| m.volunteer_id).collect()
    }

    fn report(&self) -> Json {
        json!({ "summary": "上门打扫卫生并陪老人聊天两小时", "volunteer_ids": self.member_ids(), "minutes": 120 })
    }

    /// The order's row.
    fn row(&self, order: i64) -> Row {
        open_db(&self.edge.db_path())
            .query_row(
                "SELECT status, citizen_id, team_id, department_id, priority, deadline_at, escalated_at,
                        escalated_to, report, reply, rating, rating_comment, completed_at, updated_at
                 FROM demands WHERE id = ?1",
                [order],
                |r| {
                    Ok(Row {
                        status: r.get(0)?,
                        citizen_id: r.get(1)?,
                        team_id: r.get(2)?,
                        department_id: r.get(3)?,
                        priority: r.get(4)?,
                        deadline_at: r.get(5)?,
                        escalated_at: r.get(6)?,
                        escalated_to: r.get(7)?,
                        report: r.get(8)?,
                        reply: r.get(9)?,
                        rating: r.get(10)?,
                        rating_comment: r.get(11)?,
                        completed_at: r.get(12)?,
                        updated_at: r.get(13)?,
                    })
                },
            )
            .unwrap_or_else(|e| panic!("order {order}: {e}"))
    }

    /// The order's timeline in the database, oldest first.
    fn events(&self, order: i64) -> Vec<Event> {
        let conn = open_db(&self.edge.db_path());
        let mut stmt = conn
            .prepare(
                "SELECT id, at, actor_id, from_status, to_status, note FROM demand_events
                 WHERE demand_id = ?1 ORDER BY id",
            )
            .unwrap();
        let rows = stmt
            .query_map([order], |r| {
                Ok(Event {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    from: r.get(3)?,
                    to: r.get(4)?,
                    note: r.get(5)?,
                })
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// Outbox rows to `recipient` with `template`.
    fn outbox(&self, recipient: &str, template: &str) -> i64 {
        count(self, "SELECT COUNT(*) FROM outbox WHERE recipient = ?1 AND template = ?2", [recipient, template])
    }

    /// Outbox rows with `template` whose idempotency key is about `order`.
    fn outbox_for(&self, order: i64, template: &str) -> Vec<(String, String, String)> {
        let conn = open_db(&self.edge.db_path());
        let mut stmt = conn
            .prepare(
                "SELECT recipient, idempotency_key, channel FROM outbox
                 WHERE template = ?1 AND idempotency_key LIKE ?2 ORDER BY id",
            )
            .unwrap();
        let rows = stmt
            .query_map(rusqlite::params![template, format!("order:{order}:%")], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    fn snapshot(&self, order: i64) -> Snapshot {
        Snapshot {
            row: self.row(order),
            events: self.events(order).len(),
            outbox: count(self, "SELECT COUNT(*) FROM outbox", []),
            assignees: count(self, "SELECT COUNT(*) FROM demand_assignees WHERE demand_id = ?1", [order]),
            grab_teams: count(self, "SELECT COUNT(*) FROM demand_grab_teams WHERE demand_id = ?1", [order]),
            demands: count(self, "SELECT COUNT(*) FROM demands", []),
        }
    }

    fn account_name(&self, account: i64) -> String {
        open_db(&self.edge.db_path())
            .query_row("SELECT name FROM accounts WHERE id = ?1", [account], |r| r.get(0))
            .unwrap_or_else(|e| panic!("account {account}: {e}"))
    }

    fn setting(&self, key: &str) -> i64 {
        let value: String = open_db(&self.edge.db_path())
            .query_row("SELECT value FROM deployment_settings WHERE key = ?1", [key], |r| r.get(0))
            .unwrap_or_else(|e| panic!("setting {key}: {e}"));
        value.trim().parse().unwrap_or_else(|_| panic!("setting {key} = {value}"))
    }
}

/// The (from, to) pairs of the status-changing entries of an API timeline.
fn moves(timeline: &[Json]) -> Vec<(Option<String>, String)> {
    timeline
        .iter()
        .filter(|e| e["from"] != e["to"])
        .map(|e| (e["from"].as_str().map(str::to_owned), e["to"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn pair(from: Option<&str>, to: &str) -> (Option<String>, String) {
    (from.map(str::to_owned), to.to_owned())
}

// ---- The whole loop ---------------------------------------------------------------------------

#[tokio::test]
async fn an_order_goes_from_the_citizen_through_dispatch_and_service_to_a_rating_and_closes() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let leader = &d.team.leader;

    // Act: 点单
    let placed = d.order(&d.citizen, d.care, "urgent", t).await;
    let order = id(&placed);
    // 派单
    let dispatched = d.send_to(order, &d.team, t + 60).await;
    // 接单
    let accepted = d.dispatch(&leader.token, order, "accept", t + 120, &json!({})).await;
    d.dispatch(&leader.token, order, "assign", t + 180, &json!({ "volunteer_ids": d.member_ids() })).await;
    let started = d.dispatch(&leader.token, order, "start", t + 240, &json!({})).await;
    let completed = d.dispatch(&leader.token, order, "complete", t + 300, &d.report()).await;
    // 评单
    let rated = d
        .citizen_try(
            &d.citizen.token,
            order,
            "rate",
            t + 360,
            &json!({ "rating": "very_satisfied", "comment": "志愿者很耐心" }),
        )
        .await;

    // Assert: every answer showed the state it moved to
    assert_eq!(placed["status"], "submitted", "{placed}");
    assert_eq!(placed["menu_item"]["id"], d.care, "{placed}");
    assert_eq!(placed["menu_item"]["category"], "助老", "{placed}");
    assert_eq!(placed["kind"], "welfare", "{placed}");
    assert_eq!(dispatched["status"], "dispatched", "{dispatched}");
    assert_eq!(dispatched["team_id"], d.team.id, "{dispatched}");
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    assert_eq!(started["status"], "in_service", "{started}");
    assert_eq!(completed["status"], "completed", "{completed}");
    assert_eq!(rated.status, 200, "rate: {}", rated.text());
    let rated = rated.json();
    assert_eq!(rated["status"], "closed", "{rated}");
    assert_eq!(rated["rating"], "very_satisfied", "{rated}");

    // Assert: the row
    let row = d.row(order);
    assert_eq!(row.status, "closed");
    assert_eq!(row.citizen_id, d.citizen.account_id);
    assert_eq!(row.team_id, Some(d.team.id));
    assert_eq!(row.rating.as_deref(), Some("very_satisfied"));
    assert_eq!(row.rating_comment.as_deref(), Some("志愿者很耐心"));
    assert_eq!(row.completed_at, Some(t + 300));
    let report: Json = serde_json::from_str(row.report.as_deref().expect("a report")).expect("report is JSON");
    assert_eq!(report["summary"], "上门打扫卫生并陪老人聊天两小时", "{report}");
    assert_eq!(report["minutes"], 120, "{report}");
    let mut assignees: Vec<i64> = {
        let conn = open_db(&d.edge.db_path());
        let mut stmt = conn
            .prepare("SELECT volunteer_id FROM demand_assignees WHERE demand_id = ?1 ORDER BY volunteer_id")
            .unwrap();
        let rows = stmt.query_map([order], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assignees.sort();
    let mut expected = d.member_ids();
    expected.sort();
    assert_eq!(assignees, expected, "the assigned volunteers");

    // Assert: the timeline, in the database — every step, in order, by whom
    let events: Vec<Event> = d.events(order).into_iter().filter(|e| e.from.as_deref() != Some(e.to.as_str())).collect();
    let steps: Vec<(Option<&str>, &str, Option<i64>, i64)> =
        events.iter().map(|e| (e.from.as_deref(), e.to.as_str(), e.actor, e.at)).collect();
    assert_eq!(
        steps,
        vec![
            (None, "submitted", Some(d.citizen.account_id), t),
            (Some("submitted"), "dispatched", Some(d.admin_a.account_id), t + 60),
            (Some("dispatched"), "accepted", Some(leader.account_id), t + 120),
            (Some("accepted"), "in_service", Some(leader.account_id), t + 240),
            (Some("in_service"), "completed", Some(leader.account_id), t + 300),
            (Some("completed"), "closed", Some(d.citizen.account_id), t + 360),
        ],
        "status-changing timeline entries: {events:#?}"
    );

    // Assert: the timeline through the API — staff see names, the citizen sees it too
    let expected_moves = vec![
        pair(None, "submitted"),
        pair(Some("submitted"), "dispatched"),
        pair(Some("dispatched"), "accepted"),
        pair(Some("accepted"), "in_service"),
        pair(Some("in_service"), "completed"),
        pair(Some("completed"), "closed"),
    ];
    let staff_view = entries(&d.get_ok(&d.admin_a.token, &format!("/api/v1/demands/{order}/timeline"), t + 400).await);
    assert_eq!(moves(&staff_view), expected_moves, "staff timeline: {staff_view:#?}");
    let named: Vec<&Json> = staff_view.iter().filter(|e| e["from"] != e["to"]).collect();
    assert_eq!(named[1]["actor"], d.admin_a.name, "dispatcher as staff see it: {}", named[1]);
    assert_eq!(named[2]["actor"], d.account_name(leader.account_id), "acceptor: {}", named[2]);
    let times: Vec<i64> = staff_view.iter().map(|e| unix_of(e["at"].as_str().expect("at"))).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "timeline out of order: {times:?}");
    assert_eq!(times[0], t, "the first entry's time");

    let citizen_view =
        entries(&d.get_ok(&d.citizen.token, &format!("/api/v1/demands/{order}/timeline"), t + 400).await);
    assert_eq!(moves(&citizen_view), expected_moves, "citizen timeline: {citizen_view:#?}");
    let dispatch_entry = citizen_view.iter().find(|e| e["to"] == "dispatched").unwrap();
    let shown = dispatch_entry["actor"].as_str().unwrap_or_default();
    assert!(
        !shown.is_empty() && !shown.contains(&d.admin_a.name),
        "citizens see staff as their role, not their name: {dispatch_entry}"
    );
    // The timeline shows the order's notices and their delivery state: the citizen only theirs.
    let staff_timeline = d.get_ok(&d.admin_a.token, &format!("/api/v1/demands/{order}/timeline"), t + 400).await;
    let staff_notices = staff_timeline["notices"].as_array().expect("notices").clone();
    assert!(staff_notices.iter().any(|n| n["template"] == "order-dispatched"), "{staff_notices:?}");
    assert!(staff_notices.iter().all(|n| n["status"] == "queued" && n["recipient"].as_str().unwrap().contains("****")));
    let citizen_timeline = d.get_ok(&d.citizen.token, &format!("/api/v1/demands/{order}/timeline"), t + 400).await;
    let citizen_notices: Vec<&str> =
        citizen_timeline["notices"].as_array().unwrap().iter().map(|n| n["template"].as_str().unwrap()).collect();
    assert!(citizen_notices.contains(&"order-completed"), "{citizen_notices:?}");
    assert!(
        !citizen_notices.contains(&"order-dispatched"),
        "the leader's notice is not the citizen's: {citizen_notices:?}"
    );
    let mine = d.get_ok(&d.citizen.token, "/api/v1/demands/mine", t + 400).await;
    assert!(ids(&mine).contains(&order), "/demands/mine lacks {order}: {mine}");

    // Assert: the messages — dispatched to the leader, accepted and completed to the citizen
    let dispatched_msgs = d.outbox_for(order, "order-dispatched");
    assert_eq!(dispatched_msgs.len(), 1, "{dispatched_msgs:?}");
    assert_eq!(dispatched_msgs[0].0, leader.phone, "order-dispatched goes to the leader's phone");
    assert_eq!(dispatched_msgs[0].2, "sms");
    for template in ["order-accepted", "order-completed"] {
        let msgs = d.outbox_for(order, template);
        assert_eq!(msgs.len(), 1, "{template}: {msgs:?}");
        assert_eq!(msgs[0].0, d.citizen.phone, "{template} goes to the citizen");
    }
}

#[tokio::test]
async fn a_member_of_another_team_cannot_be_assigned_and_nothing_is_written() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let other = make_team(&d, d.a, "东街环保服务队", &["环保"], 1).await;
    let outsider = member(&d, &other, d.a, 9).await;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    d.send_to(order, &d.team, t + 10).await;
    d.dispatch(&d.team.leader.token, order, "accept", t + 20, &json!({})).await;
    let before = d.snapshot(order);

    // Act
    let reply = d
        .dispatch_try(
            &d.team.leader.token,
            order,
            "assign",
            t + 30,
            &json!({ "volunteer_ids": [d.members[0].volunteer_id, outsider.volunteer_id] }),
        )
        .await;

    // Assert
    assert_eq!(reply.status, 422, "assigning a non-member: {}", reply.text());
    assert_eq!(reply.error_field(), "volunteer_ids", "{}", reply.text());
    assert_eq!(d.snapshot(order), before, "a refused assignment writes nothing");
}

// ---- Forbidden transitions --------------------------------------------------------------------

/// Asserts `reply` is 409 `wrong_state` and the order (and the outbox) did not change.
fn assert_wrong_state(d: &Desk, what: &str, reply: &Reply, order: i64, before: &Snapshot) {
    assert_eq!(reply.status, 409, "{what}: expected 409, got {}", reply.text());
    assert_eq!(reply.error_code(), "wrong_state", "{what}: {}", reply.text());
    assert_eq!(&d.snapshot(order), before, "{what} changed something");
}

#[tokio::test]
async fn every_forbidden_transition_is_409_wrong_state_and_changes_nothing() {
    // Arrange: orders in several states
    let d = desk().await;
    let t = d.t0;
    let leader: &str = &d.team.leader.token;
    let citizen: &str = &d.citizen.token;
    let dispatcher: &str = &d.admin_a.token;
    let second = d.citizen("15855550002").await;
    let third = d.citizen("15855550003").await;

    let submitted = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let open = id(&d.order(&d.citizen, d.meals, "normal", t).await);
    d.dispatch(dispatcher, open, "open-for-grab", t + 5, &json!({ "team_ids": [d.team.id] })).await;
    let dispatched = id(&d.order(&second, d.care, "normal", t).await);
    d.send_to(dispatched, &d.team, t + 5).await;
    // Grabbed by the team (so the team is listed for grabbing, and the order is theirs).
    let accepted = id(&d.order(&second, d.meals, "normal", t).await);
    d.dispatch(dispatcher, accepted, "open-for-grab", t + 5, &json!({ "team_ids": [d.team.id] })).await;
    d.dispatch(leader, accepted, "grab", t + 6, &json!({ "team_id": d.team.id })).await;
    let in_service = id(&d.order(&third, d.care, "normal", t).await);
    d.send_to(in_service, &d.team, t + 5).await;
    d.dispatch(leader, in_service, "accept", t + 6, &json!({})).await;
    d.dispatch(leader, in_service, "start", t + 7, &json!({})).await;
    let cancelled = id(&d.order(&third, d.meals, "normal", t).await);
    let reply = d.citizen_try(&third.token, cancelled, "cancel", t + 5, &json!({ "reason": "已经解决了" })).await;
    assert_eq!(reply.status, 200, "citizen cancel: {}", reply.text());
    let fourth = d.citizen("15855550004").await;
    let (closed, done) = d.completed_order(&fourth, d.care, t).await;
    let reply = d.citizen_try(&fourth.token, closed, "rate", done + 5, &json!({ "rating": "satisfied" })).await;
    assert_eq!(reply.status, 200, "rate: {}", reply.text());
    for (order, status) in [
        (submitted, "submitted"),
        (open, "open"),
        (dispatched, "dispatched"),
        (accepted, "accepted"),
        (in_service, "in_service"),
        (cancelled, "cancelled"),
        (closed, "closed"),
    ] {
        assert_eq!(d.row(order).status, status, "arranging order {order}");
    }

    let now = t + 600;
    let (second, third, fourth) = (second.token.as_str(), third.token.as_str(), fourth.token.as_str());
    let report = d.report();
    let empty = json!({});
    let rating = json!({ "rating": "satisfied" });
    let reason = json!({ "reason": "测试" });
    let grab = json!({ "team_id": d.team.id });
    let to_team = json!({ "team_id": d.team.id });
    // (what, token, order, side: true = /api/v1/demands, false = /api/v1/dispatch/demands, action, body)
    let cases: Vec<(&str, &str, i64, bool, &str, &Json)> = vec![
        ("rate a submitted order", citizen, submitted, true, "rate", &rating),
        ("rate an in-service order", third, in_service, true, "rate", &rating),
        ("reopen an in-service order", third, in_service, true, "reopen", &reason),
        ("accept an order open for grabbing (not dispatched)", leader, open, false, "accept", &empty),
        ("start an order that was only dispatched", leader, dispatched, false, "start", &empty),
        ("complete an accepted order before it started", leader, accepted, false, "complete", &report),
        ("grab an accepted order", leader, accepted, false, "grab", &grab),
        ("decline an accepted order", leader, accepted, false, "decline", &reason),
        ("accept an accepted order again", leader, accepted, false, "accept", &empty),
        ("dispatch an order already dispatched", dispatcher, dispatched, false, "dispatch", &to_team),
        ("dispatch an order open for grabbing", dispatcher, open, false, "dispatch", &to_team),
        ("citizen cancels after acceptance", second, accepted, true, "cancel", &reason),
        ("dispatch a cancelled order", dispatcher, cancelled, false, "dispatch", &to_team),
        ("cancel a cancelled order", third, cancelled, true, "cancel", &reason),
        ("staff cancel a cancelled order", dispatcher, cancelled, false, "cancel", &reason),
        ("rate a closed order twice", fourth, closed, true, "rate", &rating),
        ("reopen a closed order", fourth, closed, true, "reopen", &reason),
        ("cancel a closed order", dispatcher, closed, false, "cancel", &reason),
        ("start a closed order", leader, closed, false, "start", &empty),
        ("complete a closed order", leader, closed, false, "complete", &report),
    ];

    for (what, token, order, citizen_side, action, body) in cases {
        let before = d.snapshot(order);
        // Act
        let reply = if citizen_side {
            d.citizen_try(token, order, action, now, body).await
        } else {
            d.dispatch_try(token, order, action, now, body).await
        };
        // Assert
        assert_wrong_state(&d, what, &reply, order, &before);
    }
}

#[tokio::test]
async fn a_citizen_may_cancel_before_acceptance_whether_submitted_dispatched_or_open() {
    // Arrange: one order in each state before acceptance
    let d = desk().await;
    let t = d.t0;
    let second = d.citizen("15855550002").await;
    let submitted = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let dispatched = id(&d.order(&d.citizen, d.meals, "normal", t).await);
    d.send_to(dispatched, &d.team, t + 10).await;
    let open = id(&d.order(&second, d.care, "normal", t).await);
    d.dispatch(&d.admin_a.token, open, "open-for-grab", t + 10, &json!({ "team_ids": [d.team.id] })).await;

    for (who, order, from) in
        [(&d.citizen, submitted, "submitted"), (&d.citizen, dispatched, "dispatched"), (&second, open, "open")]
    {
        // Act
        let reply = d.citizen_try(&who.token, order, "cancel", t + 60, &json!({ "reason": "家人已经帮忙解决" })).await;

        // Assert
        assert_eq!(reply.status, 200, "cancelling a {from} order: {}", reply.text());
        assert_eq!(reply.json()["status"], "cancelled", "{}", reply.text());
        assert_eq!(d.row(order).status, "cancelled");
        let last = d.events(order).pop().unwrap();
        assert_eq!((last.from.as_deref(), last.to.as_str()), (Some(from), "cancelled"), "{last:?}");
        assert_eq!(last.actor, Some(who.account_id));
    }
}

#[tokio::test]
async fn staff_cancelling_a_dispatched_order_tells_the_citizen_why_once() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.meals, "normal", t).await);
    d.send_to(order, &d.team, t + 10).await;
    let body = json!({ "reason": "重复下单，已合并到另一单" });

    // Act: the centre cancels from the dispatch desk, and the client retries.
    let reply = d.dispatch_try(&d.admin_a.token, order, "cancel", t + 60, &body).await;
    let retried = d.dispatch_try(&d.admin_a.token, order, "cancel", t + 61, &body).await;

    // Assert
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(d.row(order).status, "cancelled");
    assert_eq!(retried.status, 409, "a cancelled order cannot be cancelled again: {}", retried.text());
    let told = d.outbox_for(order, "order-cancelled");
    assert_eq!(told.len(), 1, "one message: {told:?}");
    assert_eq!(told[0].0, d.citizen.phone, "to the citizen: {told:?}");
    let params: String = scalar(
        &d,
        "SELECT params FROM outbox WHERE template = 'order-cancelled' AND idempotency_key LIKE ?1",
        [format!("order:{order}:%")],
    );
    assert!(params.contains("重复下单"), "with the reason: {params}");
}

// ---- Grading and the queue --------------------------------------------------------------------

#[tokio::test]
async fn urgency_sets_priority_and_deadline_and_the_queue_is_sorted_by_priority_then_deadline() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let mut people = Vec::new();
    for i in 0..5 {
        people.push(d.citizen(&format!("1585555{:04}", 100 + i)).await);
    }
    // Placed in an order unlike the expected queue order, a second apart.
    let plan: [(&Person, i64, &str, i64, i64); 5] = [
        (&people[0], d.care, "normal", 1, CARE_DEADLINES.0),
        (&people[1], d.care, "critical", 3, CARE_DEADLINES.2),
        (&people[2], d.meals, "normal", 1, MEALS_DEADLINES.0),
        (&people[3], d.meals, "critical", 3, MEALS_DEADLINES.2),
        (&people[4], d.care, "urgent", 2, CARE_DEADLINES.1),
    ];

    // Act
    let mut placed = Vec::new();
    for (i, (who, item, urgency, _, _)) in plan.iter().enumerate() {
        placed.push(d.order(who, *item, urgency, t + i as i64).await);
    }
    let queue = d.get_ok(&d.admin_a.token, "/api/v1/dispatch/queue", t + 10).await;

    // Assert: grading, in the answer and in the row
    for (i, ((_, _, urgency, priority, deadline), order)) in plan.iter().zip(&placed).enumerate() {
        let placed_at = t + i as i64;
        assert_eq!(order["urgency"], *urgency, "{order}");
        assert_eq!(order["priority"], *priority, "{urgency}: {order}");
        let shown = unix_of(order["deadline_at"].as_str().unwrap_or_else(|| panic!("no deadline_at: {order}")));
        assert_eq!(shown, placed_at + deadline, "{urgency} deadline: {order}");
        assert!(order["deadline_at"].as_str().unwrap().ends_with("+08:00"), "{order}");
        let row = d.row(id(order));
        assert_eq!((row.priority, row.deadline_at), (*priority, placed_at + deadline), "row of {order}");
        assert_eq!(row.status, "submitted");
    }

    // Assert: the queue — priority high first, then the soonest deadline
    let mut expected: Vec<(i64, i64, i64)> =
        plan.iter().zip(&placed).enumerate().map(|(i, ((_, _, _, p, dl), o))| (id(o), *p, t + i as i64 + dl)).collect();
    expected.sort_by_key(|&(_, p, dl)| (-p, dl));
    let expected: Vec<i64> = expected.into_iter().map(|(id, _, _)| id).collect();
    let got: Vec<i64> = ids(&queue).into_iter().filter(|i| expected.contains(i)).collect();
    assert_eq!(got, expected, "queue order: {queue}");
    for item in entries(&queue) {
        assert_eq!(item["overdue"], false, "{item}");
        assert_eq!(item["escalated"], false, "{item}");
    }
}

#[tokio::test]
async fn a_near_duplicate_order_is_409_duplicate_naming_the_open_order_and_creates_nothing() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let first = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let before = count(&d, "SELECT COUNT(*) FROM demands", []);
    let events_before = count(&d, "SELECT COUNT(*) FROM demand_events", []);

    // Act
    let again = d.try_order(&d.citizen, d.care, "urgent", t + HOUR).await;

    // Assert
    assert_eq!(again.status, 409, "a near-duplicate: {}", again.text());
    assert_eq!(again.error_code(), "duplicate", "{}", again.text());
    assert_eq!(existing_id(&again), Some(first), "existing_id: {}", again.text());
    assert_eq!(count(&d, "SELECT COUNT(*) FROM demands", []), before, "no new order");
    assert_eq!(count(&d, "SELECT COUNT(*) FROM demand_events", []), events_before, "no new timeline entry");

    // Another item is not a duplicate; nor is the same item once the first is no longer open.
    let other_item = d.try_order(&d.citizen, d.meals, "normal", t + HOUR).await;
    assert_eq!(other_item.status, 201, "another item: {}", other_item.text());
    let cancelled =
        d.citizen_try(&d.citizen.token, first, "cancel", t + HOUR + 1, &json!({ "reason": "邻居帮忙了" })).await;
    assert_eq!(cancelled.status, 200, "cancel: {}", cancelled.text());
    let after_cancel = d.try_order(&d.citizen, d.care, "normal", t + HOUR + 2).await;
    assert_eq!(after_cancel.status, 201, "the same item after cancelling: {}", after_cancel.text());
}

#[tokio::test]
async fn an_order_older_than_the_duplicate_window_does_not_block_a_new_one() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let window = d.setting("demand.duplicate_window_s");
    let first = id(&d.order(&d.citizen, d.care, "normal", t).await);

    // Act
    let inside = d.try_order(&d.citizen, d.care, "normal", t + window - 1).await;
    let outside = d.try_order(&d.citizen, d.care, "normal", t + window + 1).await;

    // Assert
    assert_eq!(inside.status, 409, "inside the window: {}", inside.text());
    assert_eq!(existing_id(&inside), Some(first), "{}", inside.text());
    assert_eq!(outside.status, 201, "outside the window: {}", outside.text());
    assert_ne!(id(&outside.json()), first);
}

#[tokio::test]
async fn the_same_idempotency_key_places_one_order() {
    // Arrange
    let d = desk().await;
    let body = d.order_body(&d.citizen, d.care, "normal");
    let now = d.t0.to_string();
    let headers = [(CLOCK_HEADER, now.as_str()), ("idempotency-key", "order-key-1")];

    // Act
    let first = d.edge.api(Some(&d.citizen.token), "POST", "/api/v1/demands", &headers, Some(&body)).await;
    let second = d.edge.api(Some(&d.citizen.token), "POST", "/api/v1/demands", &headers, Some(&body)).await;

    // Assert
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(second.status, 201, "the saved answer: {}", second.text());
    assert_eq!(id(&second.json()), id(&first.json()));
    assert_eq!(count(&d, "SELECT COUNT(*) FROM demands", []), 1);
    assert_eq!(d.events(id(&first.json())).len(), 1, "one timeline entry");
}

// ---- Concurrent grabs -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_five_teams_grabbing_an_open_order_at_once_exactly_one_wins() {
    // Arrange: five teams with five leaders, the order opened to all of them
    let d = desk().await;
    let t = d.t0;
    let mut teams = vec![d.team.clone()];
    for (i, name) in ["东街助老一队", "东街助老二队", "东街助老三队", "东街助老四队"].iter().enumerate()
    {
        teams.push(make_team(&d, d.a, name, &["助老"], 2 + i as u32).await);
    }
    let order = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let team_ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let opened = d.dispatch(&d.admin_a.token, order, "open-for-grab", t + 10, &json!({ "team_ids": team_ids })).await;
    assert_eq!(opened["status"], "open", "{opened}");
    assert_eq!(count(&d, "SELECT COUNT(*) FROM demand_grab_teams WHERE demand_id = ?1", [order]), 5);

    // Act: all five grab at once
    let grab = |i: usize| {
        let (d, team) = (&d, &teams[i]);
        async move {
            let body = json!({ "team_id": team.id });
            d.dispatch_try(&team.leader.token, order, "grab", t + 20, &body).await
        }
    };
    let (r0, r1, r2, r3, r4) = tokio::join!(grab(0), grab(1), grab(2), grab(3), grab(4));
    let replies = [r0, r1, r2, r3, r4];

    // Assert
    let winners: Vec<usize> = (0..5).filter(|&i| replies[i].status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one grab wins: {:?}",
        replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>()
    );
    let winner = winners[0];
    for (i, reply) in replies.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(reply.status, 409, "loser {i}: {}", reply.text());
        assert_eq!(reply.error_code(), "wrong_state", "loser {i}: {}", reply.text());
    }
    assert_eq!(replies[winner].json()["team_id"], teams[winner].id);
    let row = d.row(order);
    assert_eq!(row.status, "accepted");
    assert_eq!(row.team_id, Some(teams[winner].id), "the order's team is the winner's");
    let grabs: Vec<Event> = d.events(order).into_iter().filter(|e| e.to == "accepted").collect();
    assert_eq!(grabs.len(), 1, "one open → accepted entry: {grabs:?}");
    assert_eq!(grabs[0].from.as_deref(), Some("open"));
    assert_eq!(grabs[0].actor, Some(teams[winner].leader.account_id));
}

// ---- Escalation -------------------------------------------------------------------------------

#[tokio::test]
async fn an_order_not_accepted_by_its_deadline_is_escalated_to_the_parent_org_once() {
    // Arrange: a critical care order (deadline one hour) at station A
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let deadline = t + CARE_DEADLINES.2;
    assert_eq!(d.row(order).deadline_at, deadline);

    // Act: touch the queue just before the deadline, then past it
    d.get_ok(&d.inst_admin.token, "/api/v1/dispatch/queue", deadline - 1).await;
    let early = d.row(order);
    let queue = d.get_ok(&d.inst_admin.token, "/api/v1/dispatch/queue", deadline + 1).await;

    // Assert: not before the deadline
    assert_eq!(early.escalated_at, None, "escalated before its deadline: {early:?}");
    assert_eq!(early.escalated_to, None);

    // Assert: after it — the row, the queue, the detail, the timeline, the message
    let row = d.row(order);
    assert_eq!(row.status, "submitted", "escalation does not change the status");
    assert_eq!(row.escalated_to, Some(d.institute), "escalated to A's parent");
    let at = row.escalated_at.expect("escalated_at");
    assert!((deadline..=deadline + 1).contains(&at), "escalated_at {at}, deadline {deadline}");
    let shown = entries(&queue)
        .into_iter()
        .find(|o| id(o) == order)
        .unwrap_or_else(|| panic!("the parent's staff see the escalated order in the queue: {queue}"));
    assert_eq!(shown["escalated"], true, "{shown}");
    assert_eq!(shown["overdue"], true, "{shown}");
    let detail = d.get_ok(&d.admin_a.token, &format!("/api/v1/demands/{order}"), deadline + 2).await;
    assert_eq!(detail["escalated"], true, "{detail}");
    assert_eq!(detail["escalated_to"], d.institute, "{detail}");
    assert_eq!(detail["status"], "submitted", "{detail}");
    let notes: Vec<Event> = d.events(order).into_iter().filter(|e| e.note == "escalated").collect();
    assert_eq!(notes.len(), 1, "one escalation entry: {notes:?}");
    assert_eq!(notes[0].to, "submitted", "{notes:?}");
    assert_eq!(notes[0].actor, None, "the system escalates");
    let messages = d.outbox_for(order, "order-escalated");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, d.inst_admin.phone, "to the parent org's admin");
    assert_eq!(d.outbox(&d.admin_a.phone, "order-escalated"), 0, "not to the owning station's admin");

    // Act + Assert: touching again escalates nothing more
    d.get_ok(&d.inst_admin.token, "/api/v1/dispatch/queue", deadline + HOUR).await;
    d.get_ok(&d.admin_a.token, &format!("/api/v1/demands/{order}"), deadline + HOUR).await;
    assert_eq!(d.events(order).iter().filter(|e| e.note == "escalated").count(), 1, "escalated once");
    assert_eq!(d.outbox_for(order, "order-escalated").len(), 1, "one message");
    assert_eq!(d.row(order).escalated_at, Some(at));
}

#[tokio::test]
async fn an_escalation_to_an_org_without_admins_is_told_to_the_nearest_admins_above() {
    // Arrange: the institute above A has lost its only admin.
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let deadline = t + CARE_DEADLINES.2;
    open_db(&d.edge.db_path())
        .execute("DELETE FROM role_grants WHERE account_id = ?1", [d.inst_admin.account_id])
        .unwrap();

    // Act: the centre's desk is opened after the deadline.
    d.get_ok(&d.admin, "/api/v1/dispatch/queue", deadline + 1).await;

    // Assert: still escalated to the institute, and the centre's admin hears of it.
    assert_eq!(d.row(order).escalated_to, Some(d.institute));
    let messages = d.outbox_for(order, "order-escalated");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, CENTRE_ADMIN_PHONE, "the nearest admin above: {messages:?}");
    assert_eq!(d.outbox(&d.inst_admin.phone, "order-escalated"), 0);
}

#[tokio::test]
async fn staff_can_run_escalation_and_an_accepted_order_is_never_escalated() {
    // Arrange: two critical orders; one accepted in time
    let d = desk().await;
    let t = d.t0;
    let second = d.citizen("15855550002").await;
    let waiting = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let served = id(&d.order(&second, d.care, "critical", t).await);
    d.send_to(served, &d.team, t + 60).await;
    d.dispatch(&d.team.leader.token, served, "accept", t + 120, &json!({})).await;

    // Act
    let run = d.post(&d.admin, "/api/v1/dispatch/escalate", t + CARE_DEADLINES.2 + 10, &json!({})).await;

    // Assert
    assert!((200..300).contains(&run.status), "POST /api/v1/dispatch/escalate: {}", run.text());
    assert_eq!(d.row(waiting).escalated_to, Some(d.institute));
    assert_eq!(d.row(served).escalated_at, None, "an accepted order is not escalated");
    assert!(d.events(served).iter().all(|e| e.note != "escalated"));
}

// ---- Decline ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_declined_order_returns_to_the_queue_without_a_team() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    d.send_to(order, &d.team, t + 60).await;
    let leader = &d.team.leader;
    let listed = d.get_ok(&leader.token, &format!("/api/v1/dispatch/team-orders?team_id={}", d.team.id), t + 90).await;
    assert!(ids(&listed).contains(&order), "the leader sees the dispatched order: {listed}");

    // Act
    let declined =
        d.dispatch(&leader.token, order, "decline", t + 120, &json!({ "reason": "队员本周都在外地培训" })).await;

    // Assert
    assert_eq!(declined["status"], "submitted", "{declined}");
    assert!(declined["team_id"].is_null(), "team cleared in the answer: {declined}");
    let row = d.row(order);
    assert_eq!((row.status.as_str(), row.team_id), ("submitted", None));
    let last = d.events(order).pop().unwrap();
    assert_eq!((last.from.as_deref(), last.to.as_str()), (Some("dispatched"), "submitted"));
    assert_eq!(last.actor, Some(leader.account_id));
    assert!(last.note.contains("队员本周都在外地培训"), "the reason is on the timeline: {last:?}");
    let queue = d.get_ok(&d.admin_a.token, "/api/v1/dispatch/queue", t + 130).await;
    assert!(ids(&queue).contains(&order), "back in the queue: {queue}");
    let listed = d.get_ok(&leader.token, &format!("/api/v1/dispatch/team-orders?team_id={}", d.team.id), t + 130).await;
    assert!(!ids(&listed).contains(&order), "no longer the team's: {listed}");
    // And it can be dispatched again.
    let again = d.send_to(order, &d.team, t + 200).await;
    assert_eq!(again["status"], "dispatched", "{again}");
}

// ---- Who sees what ----------------------------------------------------------------------------

#[tokio::test]
async fn a_citizen_cannot_see_or_touch_another_citizens_order() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let other = d.citizen("15855550009").await;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let before = d.snapshot(order);

    // Act
    let detail = d.get(&other.token, &format!("/api/v1/demands/{order}"), t + 10).await;
    let timeline = d.get(&other.token, &format!("/api/v1/demands/{order}/timeline"), t + 10).await;
    let cancel = d.citizen_try(&other.token, order, "cancel", t + 10, &json!({ "reason": "x" })).await;
    let mine = d.get_ok(&other.token, "/api/v1/demands/mine", t + 10).await;
    let queue = d.get(&other.token, "/api/v1/dispatch/queue", t + 10).await;

    // Assert
    assert_eq!(detail.status, 404, "another citizen's order: {}", detail.text());
    assert_eq!(timeline.status, 404, "another citizen's timeline: {}", timeline.text());
    assert_eq!(cancel.status, 404, "cancelling another citizen's order: {}", cancel.text());
    assert!(!ids(&mine).contains(&order), "not in the other citizen's orders: {mine}");
    assert_eq!(queue.status, 403, "citizens never dispatch: {}", queue.text());
    assert_eq!(d.snapshot(order), before);
    // The owner sees it, with their contact phone whole.
    let own = d.get_ok(&d.citizen.token, &format!("/api/v1/demands/{order}"), t + 10).await;
    assert_eq!(own["contact_phone"], d.citizen.phone, "{own}");
}

#[tokio::test]
async fn the_assigned_leader_sees_the_order_with_the_contact_phone_masked_and_other_leaders_do_not() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let other = make_team(&d, d.a, "东街环保服务队", &["环保"], 1).await;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    d.send_to(order, &d.team, t + 60).await;

    // Act
    let leader_view = d.get(&d.team.leader.token, &format!("/api/v1/demands/{order}"), t + 70).await;
    let other_view = d.get(&other.leader.token, &format!("/api/v1/demands/{order}"), t + 70).await;
    let other_accept = d.dispatch_try(&other.leader.token, order, "accept", t + 70, &json!({})).await;
    let dispatcher_view = d.get_ok(&d.admin_a.token, &format!("/api/v1/demands/{order}"), t + 70).await;

    // Assert
    assert_eq!(leader_view.status, 200, "{}", leader_view.text());
    let shown = leader_view.json()["contact_phone"].as_str().unwrap_or_default().to_owned();
    assert_ne!(shown, d.citizen.phone, "masked for the team leader");
    assert!(shown.contains("****"), "masked like 158****0001: {shown}");
    assert_eq!(other_view.status, 404, "another team's leader: {}", other_view.text());
    assert_eq!(other_accept.status, 404, "another team's leader accepting: {}", other_accept.text());
    assert_eq!(d.row(order).status, "dispatched");
    assert_eq!(dispatcher_view["contact_phone"], d.citizen.phone, "whole for the dispatcher");
}

#[tokio::test]
async fn a_department_handler_sees_only_items_forwarded_to_their_department_and_replies_and_closes() {
    // Arrange: two petitions forwarded to two departments, a welfare order left in the queue
    let d = desk().await;
    let t = d.t0;
    let second = d.citizen("15855550002").await;
    let ours = id(&d.order(&d.citizen, d.petition, "normal", t).await);
    let theirs = id(&d.order(&second, d.petition, "normal", t).await);
    let welfare = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let forwarded = d
        .dispatch(
            &d.admin_a.token,
            ours,
            "forward",
            t + 60,
            &json!({ "department_id": d.dept, "note": "请住建局核实" }),
        )
        .await;
    assert_eq!(forwarded["status"], "forwarded", "{forwarded}");
    assert_eq!(forwarded["department_id"], d.dept, "{forwarded}");
    d.dispatch(&d.admin_a.token, theirs, "forward", t + 60, &json!({ "department_id": d.other_dept })).await;
    let handler = &d.handler.token;

    // Act + Assert: what the handler sees
    let list = d.get_ok(handler, "/api/v1/dispatch/department-items", t + 120).await;
    assert_eq!(ids(&list), vec![ours], "only items forwarded to their department: {list}");
    let own = d.get(handler, &format!("/api/v1/demands/{ours}"), t + 120).await;
    assert_eq!(own.status, 200, "{}", own.text());
    for (what, order) in [("another department's item", theirs), ("a welfare order", welfare)] {
        let reply = d.get(handler, &format!("/api/v1/demands/{order}"), t + 120).await;
        assert_eq!(reply.status, 404, "{what}: {}", reply.text());
        let timeline = d.get(handler, &format!("/api/v1/demands/{order}/timeline"), t + 120).await;
        assert_eq!(timeline.status, 404, "{what} timeline: {}", timeline.text());
    }
    let before = d.snapshot(theirs);
    let meddling = d.dispatch_try(handler, theirs, "reply", t + 130, &json!({ "reply": "不归我们管" })).await;
    assert_eq!(meddling.status, 404, "replying to another department's item: {}", meddling.text());
    assert_eq!(d.snapshot(theirs), before);
    let other_list = d.get_ok(&d.other_handler.token, "/api/v1/dispatch/department-items", t + 120).await;
    assert_eq!(ids(&other_list), vec![theirs], "{other_list}");

    // Act + Assert: reply, then close
    let replied =
        d.dispatch(handler, ours, "reply", t + 200, &json!({ "reply": "已责成施工方夜间停工，请监督" })).await;
    assert_eq!(replied["status"], "replied", "{replied}");
    assert_eq!(replied["reply"], "已责成施工方夜间停工，请监督", "{replied}");
    let row = d.row(ours);
    assert_eq!((row.status.as_str(), row.reply.as_deref()), ("replied", Some("已责成施工方夜间停工，请监督")));
    assert_eq!(row.department_id, Some(d.dept));
    let msgs = d.outbox_for(ours, "order-replied");
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].0, d.citizen.phone, "order-replied goes to the citizen");
    let closed = d.dispatch(handler, ours, "close", t + 300, &json!({})).await;
    assert_eq!(closed["status"], "closed", "{closed}");
    let events = d.events(ours);
    let steps: Vec<(Option<&str>, &str, Option<i64>)> = events
        .iter()
        .filter(|e| e.from.as_deref() != Some(e.to.as_str()))
        .map(|e| (e.from.as_deref(), e.to.as_str(), e.actor))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, "submitted", Some(d.citizen.account_id)),
            (Some("submitted"), "forwarded", Some(d.admin_a.account_id)),
            (Some("forwarded"), "replied", Some(d.handler.account_id)),
            (Some("replied"), "closed", Some(d.handler.account_id)),
        ],
        "{events:#?}"
    );
}

#[tokio::test]
async fn welfare_orders_are_dispatched_and_other_kinds_forwarded_never_the_other_way() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let petition = id(&d.order(&d.citizen, d.petition, "normal", t).await);
    let welfare = id(&d.order(&d.citizen, d.care, "normal", t).await);
    let (p_before, w_before) = (d.snapshot(petition), d.snapshot(welfare));

    // Act
    let dispatch_petition =
        d.dispatch_try(&d.admin_a.token, petition, "dispatch", t + 10, &json!({ "team_id": d.team.id })).await;
    let forward_welfare =
        d.dispatch_try(&d.admin_a.token, welfare, "forward", t + 10, &json!({ "department_id": d.dept })).await;

    // Assert
    assert_eq!(dispatch_petition.status, 422, "dispatching a petition: {}", dispatch_petition.text());
    assert_eq!(dispatch_petition.error_field(), "kind", "{}", dispatch_petition.text());
    assert_eq!(forward_welfare.status, 422, "forwarding a welfare order: {}", forward_welfare.text());
    assert_eq!(forward_welfare.error_field(), "kind", "{}", forward_welfare.text());
    assert_eq!(d.snapshot(petition), p_before);
    assert_eq!(d.snapshot(welfare), w_before);
}

// ---- The service menu -------------------------------------------------------------------------

/// Whether some object anywhere in `v` has `"name": name`.
fn mentions_item(v: &Json, name: &str) -> bool {
    match v {
        Json::Array(items) => items.iter().any(|i| mentions_item(i, name)),
        Json::Object(map) => {
            map.get("name").and_then(Json::as_str) == Some(name) || map.values().any(|i| mentions_item(i, name))
        }
        _ => false,
    }
}

#[tokio::test]
async fn only_the_centre_admin_edits_the_menu_and_everyone_signed_in_sees_its_active_items() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let path = format!("/api/v1/service-menu?centre={}", d.centre);
    let body = json!({
        "centre_org_id": d.centre, "category": "助老", "name": "理发", "kind": "welfare",
        "deadline_normal_s": DAY, "deadline_urgent_s": HOUR, "deadline_critical_s": 600,
    });
    let items_before = count(&d, "SELECT COUNT(*) FROM service_menu_items", []);

    // Act
    let by_station_admin = d.post(&d.admin_a.token, "/api/v1/service-menu", t, &body).await;
    let seen = d.get_ok(&d.citizen.token, &path, t).await;
    let patched = d
        .at(&d.admin, "PATCH", &format!("/api/v1/service-menu/{}", d.meals), t, Some(&json!({ "active": false })))
        .await;
    let seen_after = d.get_ok(&d.citizen.token, &path, t + 1).await;

    // Assert
    assert_eq!(by_station_admin.status, 403, "a station admin may not edit the menu: {}", by_station_admin.text());
    assert_eq!(count(&d, "SELECT COUNT(*) FROM service_menu_items", []), items_before);
    for name in ["上门陪护", "代购送餐", "噪声扰民投诉"] {
        assert!(mentions_item(&seen, name), "{name} on the menu: {seen}");
    }
    assert_eq!(patched.status, 200, "PATCH active=false: {}", patched.text());
    assert!(!mentions_item(&seen_after, "代购送餐"), "an inactive item is not shown: {seen_after}");
    assert!(mentions_item(&seen_after, "上门陪护"), "{seen_after}");
    assert_eq!(count(&d, "SELECT active FROM service_menu_items WHERE id = ?1", [d.meals]), 0);
}

// ---- Suggestions ------------------------------------------------------------------------------

/// The team ids of a suggestions answer, best first, and each suggestion.
fn suggested(v: &Json) -> Vec<(i64, Json)> {
    entries(v)
        .into_iter()
        .map(|s| {
            let team = s["team_id"]
                .as_i64()
                .or_else(|| s["team"]["id"].as_i64())
                .or_else(|| s["id"].as_i64())
                .unwrap_or_else(|| panic!("no team id in suggestion {s}"));
            (team, s)
        })
        .collect()
}

#[tokio::test]
async fn suggestions_prefer_the_team_with_matching_categories_at_the_same_station_and_say_why() {
    // Arrange: the desk's team (助老, at A); 助老 at B; 环保 only, at A
    let d = desk().await;
    let t = d.t0;
    let at_b = make_team(&d, d.b, "西街助老服务队", &["助老"], 1).await;
    let green = make_team(&d, d.a, "东街环保服务队", &["环保"], 2).await;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);

    // Act
    let answer = d.get_ok(&d.admin, &format!("/api/v1/dispatch/demands/{order}/suggestions"), t + 10).await;

    // Assert
    let ranked = suggested(&answer);
    let teams: Vec<i64> = ranked.iter().map(|(t, _)| *t).collect();
    assert_eq!(teams.first(), Some(&d.team.id), "the matching team at the same station first: {answer}");
    for team in [at_b.id, green.id] {
        assert!(teams.contains(&team), "team {team} of the centre is suggested: {answer}");
    }
    assert_eq!(teams.iter().collect::<HashSet<_>>().len(), teams.len(), "each team once: {answer}");
    for (team, s) in &ranked {
        let reason = s["reason"].as_str().unwrap_or_default();
        assert!(!reason.trim().is_empty(), "team {team} has a human reason: {s}");
    }
}

#[tokio::test]
async fn of_two_equally_suited_teams_the_one_with_less_open_work_is_suggested_first() {
    // Arrange: two 助老 teams at A; the desk's team already has an accepted order
    let d = desk().await;
    let t = d.t0;
    let idle = make_team(&d, d.a, "东街助老二队", &["助老"], 1).await;
    let second = d.citizen("15855550002").await;
    let busy = id(&d.order(&second, d.care, "normal", t).await);
    d.send_to(busy, &d.team, t + 10).await;
    d.dispatch(&d.team.leader.token, busy, "accept", t + 20, &json!({})).await;
    let order = id(&d.order(&d.citizen, d.care, "normal", t + 30).await);

    // Act
    let answer = d.get_ok(&d.admin, &format!("/api/v1/dispatch/demands/{order}/suggestions"), t + 40).await;

    // Assert
    let teams: Vec<i64> = suggested(&answer).iter().map(|(t, _)| *t).collect();
    let pos = |team: i64| teams.iter().position(|&t| t == team).unwrap_or_else(|| panic!("{team} missing: {answer}"));
    assert!(pos(idle.id) < pos(d.team.id), "the idle team ranks above the busy one: {answer}");
}

// ---- The outbox: idempotent, rate-limited ----------------------------------------------------

#[tokio::test]
async fn a_replayed_transition_queues_no_second_message_and_keys_name_the_event() {
    // Arrange: an accepted order
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    d.send_to(order, &d.team, t + 60).await;
    d.dispatch(&d.team.leader.token, order, "accept", t + 120, &json!({})).await;
    let accept_event = d.events(order).into_iter().find(|e| e.to == "accepted").expect("an accept entry");

    // Act: the leader's client retries the accept (and the dispatch is retried too)
    let again = d.dispatch_try(&d.team.leader.token, order, "accept", t + 121, &json!({})).await;
    let later = d.dispatch_try(&d.team.leader.token, order, "accept", t + 600, &json!({})).await;

    // Assert
    for reply in [&again, &later] {
        assert_eq!(reply.status, 409, "{}", reply.text());
        assert_eq!(reply.error_code(), "wrong_state", "{}", reply.text());
    }
    let accepted = d.outbox_for(order, "order-accepted");
    assert_eq!(accepted.len(), 1, "one order-accepted: {accepted:?}");
    assert_eq!(accepted[0].1, format!("order:{order}:order-accepted:{}", accept_event.id), "the key");
    assert_eq!(d.outbox(&d.citizen.phone, "order-accepted"), 1);
    let dispatch_event = d.events(order).into_iter().find(|e| e.to == "dispatched").unwrap();
    let dispatched = d.outbox_for(order, "order-dispatched");
    assert_eq!(dispatched.len(), 1, "{dispatched:?}");
    assert_eq!(dispatched[0].1, format!("order:{order}:order-dispatched:{}", dispatch_event.id));
}

#[tokio::test]
async fn the_identical_message_to_the_same_person_within_30_seconds_is_suppressed_but_the_move_happens() {
    // Arrange: an order dispatched to the team at t
    let d = desk().await;
    let t = d.t0;
    let leader = &d.team.leader;
    let order = id(&d.order(&d.citizen, d.care, "normal", t).await);
    d.send_to(order, &d.team, t + 10).await;
    assert_eq!(d.outbox(&leader.phone, "order-dispatched"), 1);

    // Act: declined and dispatched again to the same team 15 s later — the same message
    d.dispatch(&leader.token, order, "decline", t + 15, &json!({ "reason": "人手不够" })).await;
    let again = d.send_to(order, &d.team, t + 25).await;

    // Assert: the move happened, the message was suppressed
    assert_eq!(again["status"], "dispatched", "{again}");
    assert_eq!(d.events(order).iter().filter(|e| e.to == "dispatched").count(), 2);
    assert_eq!(d.outbox(&leader.phone, "order-dispatched"), 1, "suppressed within 30 s");

    // Act: once more, 35 s after the last message that went out (the suppressed one left no row)
    d.dispatch(&leader.token, order, "decline", t + 30, &json!({ "reason": "人手还是不够" })).await;
    d.send_to(order, &d.team, t + 45).await;

    // Assert: queued this time
    assert_eq!(d.events(order).iter().filter(|e| e.to == "dispatched").count(), 3);
    assert_eq!(d.outbox(&leader.phone, "order-dispatched"), 2, "queued again after 30 s");
}

#[tokio::test]
async fn a_recipient_gets_at_most_the_daily_cap_of_messages_and_orders_still_move() {
    // Arrange: cap + 2 orders placed by staff for different citizens
    let d = desk().await;
    let t = d.t0;
    let cap = d.setting("notify.daily_cap");
    let leader = &d.team.leader;
    let already = count(&d, "SELECT COUNT(*) FROM outbox WHERE recipient = ?1", [&leader.phone]);
    assert_eq!(already, 0, "the leader signs in with a password: no messages yet");
    let mut orders = Vec::new();
    for i in 0..cap + 2 {
        let phone = format!("1595555{:04}", i);
        let mut body = d.order_body(&d.citizen, d.care, "normal");
        body["citizen_phone"] = json!(phone);
        body["contact_phone"] = json!(phone);
        let reply = d.post(&d.admin_a.token, "/api/v1/demands", t + i, &body).await;
        assert_eq!(reply.status, 201, "ordering for {phone}: {}", reply.text());
        orders.push(id(&reply.json()));
    }

    // Act
    for (i, order) in orders.iter().enumerate() {
        d.send_to(*order, &d.team, t + 100 + i as i64).await;
    }

    // Assert
    for order in &orders {
        assert_eq!(d.row(*order).status, "dispatched", "order {order} moved");
    }
    assert_eq!(d.outbox(&leader.phone, "order-dispatched"), cap, "no more than the daily cap");
    // A day later the leader hears again.
    let extra = d.citizen("15855550077").await;
    let next = id(&d.order(&extra, d.care, "normal", t + DAY + 200).await);
    d.send_to(next, &d.team, t + DAY + 300).await;
    assert_eq!(d.outbox(&leader.phone, "order-dispatched"), cap + 1, "the cap is per 24 h");
}

#[tokio::test]
async fn staff_ordering_for_a_citizen_finds_or_creates_the_citizens_account() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let mut body = d.order_body(&d.citizen, d.care, "normal");
    body["citizen_phone"] = json!(d.citizen.phone);
    let mut new_body = d.order_body(&d.citizen, d.meals, "normal");
    new_body["citizen_phone"] = json!("15955559999");

    // Act
    let existing = d.post(&d.admin_a.token, "/api/v1/demands", t, &body).await;
    let created = d.post(&d.admin_a.token, "/api/v1/demands", t, &new_body).await;

    // Assert
    assert_eq!(existing.status, 201, "{}", existing.text());
    assert_eq!(created.status, 201, "{}", created.text());
    let row = d.row(id(&existing.json()));
    assert_eq!(row.citizen_id, d.citizen.account_id, "the existing citizen's order");
    let created_by: i64 = count(&d, "SELECT created_by FROM demands WHERE id = ?1", [id(&existing.json())]);
    assert_eq!(created_by, d.admin_a.account_id);
    let new_citizen = d.row(id(&created.json())).citizen_id;
    assert_eq!(
        count(&d, "SELECT COUNT(*) FROM role_grants WHERE account_id = ?1 AND role = 'citizen'", [new_citizen]),
        1,
        "a new phone becomes a citizen"
    );
    let mine = d.get_ok(&d.citizen.token, "/api/v1/demands/mine", t + 10).await;
    assert!(ids(&mine).contains(&id(&existing.json())), "the citizen sees the order placed for them: {mine}");
}

// ---- Reopen and auto-close -------------------------------------------------------------------

#[tokio::test]
async fn a_completed_order_left_unrated_is_closed_by_a_later_request() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let after = d.setting("demand.auto_close_s");
    let (order, done) = d.completed_order(&d.citizen, d.care, t).await;

    // Act: a request just before the limit, then one past it
    let early = d.get_ok(&d.citizen.token, &format!("/api/v1/demands/{order}"), done + after - 10).await;
    let late = d.get_ok(&d.citizen.token, &format!("/api/v1/demands/{order}"), done + after + 10).await;

    // Assert
    assert_eq!(early["status"], "completed", "not yet: {early}");
    assert_eq!(late["status"], "closed", "auto-closed: {late}");
    let row = d.row(order);
    assert_eq!(row.status, "closed");
    assert_eq!(row.rating, None, "auto-close does not rate");
    let last = d.events(order).pop().unwrap();
    assert_eq!((last.from.as_deref(), last.to.as_str()), (Some("completed"), "closed"), "{last:?}");
    assert_eq!(last.actor, None, "the system closes");
    assert!(last.note.contains("auto-close"), "the note mentions auto-close: {last:?}");
    let rate =
        d.citizen_try(&d.citizen.token, order, "rate", done + after + 20, &json!({ "rating": "satisfied" })).await;
    assert_eq!(rate.status, 409, "rating an auto-closed order: {}", rate.text());
    assert_eq!(rate.error_code(), "wrong_state");
}

#[tokio::test]
async fn staff_can_run_auto_close_and_it_closes_only_old_completed_orders() {
    // Arrange: one order completed long ago, one just now
    let d = desk().await;
    let t = d.t0;
    let after = d.setting("demand.auto_close_s");
    let second = d.citizen("15855550002").await;
    let (old, old_done) = d.completed_order(&d.citizen, d.care, t).await;
    let (recent, _) = d.completed_order(&second, d.care, old_done + after - HOUR).await;

    // Act
    let run = d.post(&d.admin, "/api/v1/demands/auto-close", old_done + after + 1, &json!({})).await;

    // Assert
    assert!((200..300).contains(&run.status), "POST /api/v1/demands/auto-close: {}", run.text());
    assert_eq!(d.row(old).status, "closed");
    assert_eq!(d.row(recent).status, "completed", "not old enough yet");
    let citizen_run = d.post(&d.citizen.token, "/api/v1/demands/auto-close", old_done + after + 2, &json!({})).await;
    assert_eq!(citizen_run.status, 403, "citizens may not run auto-close: {}", citizen_run.text());
}

#[tokio::test]
async fn reopening_needs_a_reason_and_sends_the_order_back_with_a_new_deadline() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let (order, done) = d.completed_order(&d.citizen, d.care, t).await;
    let before = d.snapshot(order);

    // Act
    let bare = d.citizen_try(&d.citizen.token, order, "reopen", done + 60, &json!({})).await;
    let unchanged = d.snapshot(order);
    let reopened =
        d.citizen_try(&d.citizen.token, order, "reopen", done + HOUR, &json!({ "reason": "厨房还没打扫" })).await;

    // Assert
    assert_eq!(bare.status, 422, "reopen without a reason: {}", bare.text());
    assert_eq!(bare.error_field(), "reason", "{}", bare.text());
    assert_eq!(unchanged, before, "a refused reopen changes nothing");
    assert_eq!(reopened.status, 200, "{}", reopened.text());
    let row = d.row(order);
    assert_eq!(row.status, "submitted");
    assert_eq!(row.deadline_at, done + HOUR + CARE_DEADLINES.0, "a new deadline from now");
    let last = d.events(order).pop().unwrap();
    assert_eq!((last.from.as_deref(), last.to.as_str()), (Some("completed"), "submitted"));
    assert!(last.note.contains("厨房还没打扫"), "{last:?}");
}

// ---- The scheduler's jobs (`POST /api/v1/jobs/...`) ------------------------------------------------

#[tokio::test]
async fn the_escalation_job_escalates_an_overdue_order_once_and_a_repeat_reports_zero() {
    // Arrange: a critical care order (deadline one hour) at station A
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let deadline = t + CARE_DEADLINES.2;

    // Act: the job before the deadline, past it, and again
    let early = d.edge.job_ok("escalate-orders", deadline - 1).await;
    let untouched = d.row(order);
    let first = d.edge.job_ok("escalate-orders", deadline + 1).await;
    let second = d.edge.job_ok("escalate-orders", deadline + 2).await;

    // Assert
    assert_eq!(early["escalated"], 0, "{early}");
    assert_eq!(untouched.escalated_at, None, "escalated before its deadline: {untouched:?}");
    assert_eq!(first["escalated"], 1, "{first}");
    assert_eq!(second["escalated"], 0, "a repeat finds nothing due: {second}");
    let row = d.row(order);
    assert_eq!(row.status, "submitted", "escalation does not change the status");
    assert_eq!(row.escalated_to, Some(d.institute), "escalated to A's parent");
    assert_eq!(row.escalated_at, Some(deadline + 1));
    let notes: Vec<Event> = d.events(order).into_iter().filter(|e| e.note == "escalated").collect();
    assert_eq!(notes.len(), 1, "one escalation entry: {notes:?}");
    assert_eq!(notes[0].actor, None, "time escalated it, not a person: {notes:?}");
    assert_eq!(d.outbox(&d.inst_admin.phone, "order-escalated"), 1, "the parent's admin is told once");
}

#[tokio::test]
async fn a_job_called_without_the_scheduler_token_is_refused_and_changes_nothing() {
    // Arrange: an overdue order
    let d = desk().await;
    let t = d.t0;
    let order = id(&d.order(&d.citizen, d.care, "critical", t).await);
    let late = t + CARE_DEADLINES.2 + 1;

    // Act: no token, a staff session's token, a wrong token, a right token in the wrong scheme
    let none = d.edge.api_at(None, "POST", "/api/v1/jobs/escalate-orders", late, None).await;
    let session = d.edge.api_at(Some(&d.admin), "POST", "/api/v1/jobs/escalate-orders", late, None).await;
    let wrong = d.edge.api_at(Some("not-the-token"), "POST", "/api/v1/jobs/escalate-orders", late, None).await;
    let basic = d
        .edge
        .api(
            None,
            "POST",
            "/api/v1/jobs/escalate-orders",
            &[
                ("authorization", &format!("Basic {}", wenming_tests::SCHEDULER_TOKEN)),
                (CLOCK_HEADER, &late.to_string()),
            ],
            None,
        )
        .await;

    // Assert: 403 not_scheduler each time, and the order is as it was
    for reply in [&none, &session, &wrong, &basic] {
        assert_eq!(reply.status, 403, "{}", reply.text());
        assert_eq!(reply.error_code(), "not_scheduler", "{}", reply.text());
    }
    let row = d.row(order);
    assert_eq!((row.escalated_at, row.escalated_to), (None, None), "nothing escalated: {row:?}");
    assert!(d.events(order).iter().all(|e| e.note != "escalated"), "no escalation entry");
    assert_eq!(d.outbox(&d.inst_admin.phone, "order-escalated"), 0, "nobody told");
}

#[tokio::test]
async fn the_auto_close_job_closes_an_unrated_completed_order_once() {
    // Arrange
    let d = desk().await;
    let t = d.t0;
    let after = d.setting("demand.auto_close_s");
    let (order, done) = d.completed_order(&d.citizen, d.care, t).await;

    // Act
    let early = d.edge.job_ok("auto-close-orders", done + after - 10).await;
    let status_early = d.row(order).status;
    let first = d.edge.job_ok("auto-close-orders", done + after + 10).await;
    let second = d.edge.job_ok("auto-close-orders", done + after + 20).await;

    // Assert
    assert_eq!((early["closed"].as_i64(), status_early.as_str()), (Some(0), "completed"), "{early}");
    assert_eq!(first["closed"], 1, "{first}");
    assert_eq!(second["closed"], 0, "{second}");
    let row = d.row(order);
    assert_eq!(row.status, "closed");
    assert_eq!(row.rating, None, "auto-close does not rate");
    let closing: Vec<Event> = d.events(order).into_iter().filter(|e| e.to == "closed").collect();
    assert_eq!(closing.len(), 1, "closed once: {closing:?}");
    assert_eq!(closing[0].actor, None, "the system closes: {closing:?}");
    assert!(closing[0].note.contains("auto-close"), "{closing:?}");
}
