//! Needs surveys (需求调查) through the real product (`spin.toml`), against `docs/survey-api.md`:
//! a centre, institute or station publishes a questionnaire to the people of its subtree, people
//! answer it on their phones, staff read the results and turn needs into work.
//!
//! Covered: every question type's answer validation (422 with `fields` naming each
//! `answers.<key>` / `answers.<key>.<row>`, nothing stored); definition validation on create and
//! update (422 with `field` = the first offender's path and `fields` = every offender, nothing
//! created or changed); display conditions (`show_if`, chained); the one-response rule per
//! person and per household, anonymous surveys included, and `Idempotency-Key` retries; results
//! worked out by hand (counts, one-decimal percentages of those who answered, two-decimal rating
//! averages and distributions, number average/min/max, matrix cells, dates, `by_station`, and
//! `?org_id=` narrowing); text answers paged oldest first; the lifecycle (draft → published →
//! closed, a published questionnaire never changes, audit rows) and the answer window by the
//! request clock (`opens_at` ≤ now < `closes_at`, self-closing); targeting (`outside_audience`
//! for residents and for volunteers-only surveys); staff scoping (404 outside the subtree,
//! auditors read but never write); the CSV export (no personal columns when anonymous, masked
//! phones when identified, formulas defused); links from an option to the demand or menu item it
//! caused, with the target's current title and status.
//!
//! Set-up is all through the API (`county()`, on the harness's `County`): the centre admin makes
//! institute 城关镇 with stations A (东街) and B (西街), and institute 河西镇 with station D; an
//! institute admin at 城关镇, station admins at A and B, and an auditor at the centre. Citizens sign in by SMS code
//! read from the outbox; volunteers are registered by the centre admin and sign in the same way.
//! The product runs with `allow_clock_override`, and every survey request carries
//! `X-Wenming-Now`, so the answer window is tested by moving the request clock (sessions keep
//! real time).

use std::ops::Deref;

use domain::mask::mask_phone;
use wenming_tests::{
    count, entries, id, json, open_db, scalar, shanghai_rfc3339, unix_of, volunteer_registration, County, Json, Person,
    Reply, CLOCK_HEADER, DAY, HOUR, MINUTE, STATION_A, STATION_B,
};

/// The components the survey tests need built (besides the directory's): the survey itself, the
/// demand component for the menu items and demands that links point at, and the dashboard that
/// sets what surveys asked for beside the work done.
const SURVEY_COMPONENTS: [&str; 5] = ["survey", "demand", "dispatch", "notify", "dashboard"];

// ---- The county: the harness's, and what the survey tests add -----------------------------------

/// The harness's [`County`] (centre admin, 城关镇 with stations A (东街) and B (西街); `t0` is the
/// test's "now": survey requests pass `t0 + offset` as `X-Wenming-Now`) with a second institute
/// and the survey staff. Derefs to it.
#[allow(dead_code)]
struct SurveyCounty {
    county: County,
    /// 河西镇新时代文明实践所 and its station D: outside 城关镇's subtree.
    other_institute: i64,
    d: i64,
    /// `institute-admin` at 城关镇.
    inst_admin: Person,
    /// `station-admin` at A and at B.
    admin_a: Person,
    admin_b: Person,
    /// `auditor` at the centre.
    auditor: Person,
}

impl Deref for SurveyCounty {
    type Target = County;
    fn deref(&self) -> &County {
        &self.county
    }
}

/// The product with the clock override, bootstrapped, with the county made through the API.
async fn county() -> SurveyCounty {
    let c = County::with_clock(&SURVEY_COMPONENTS).await;
    let other_institute = id(&c.edge.create_org(&c.admin, c.centre, "河西镇新时代文明实践所", "institute").await);
    let d = id(&c.edge.create_org(&c.admin, other_institute, "河西村实践站", "station").await);
    let inst_admin = c.staff("赵文静", "13922220001", "institute-admin", c.institute).await;
    let admin_a = c.staff("李明华", "13922220002", "station-admin", c.a).await;
    let admin_b = c.staff("王建国", "13922220003", "station-admin", c.b).await;
    let auditor = c.staff("审计员", "13922220004", "auditor", c.centre).await;
    SurveyCounty { county: c, other_institute, d, inst_admin, admin_a, admin_b, auditor }
}

/// The phone of the `i`-th test citizen.
fn citizen_phone(i: u32) -> String {
    format!("1585555{i:04}")
}

impl SurveyCounty {
    /// Citizen `i` (phone `citizen_phone(i)`) signed in by SMS code: a first-time phone becomes
    /// a plain citizen.
    async fn citizen(&self, i: u32) -> Person {
        self.county.citizen(&citizen_phone(i)).await
    }

    /// Volunteer `i` registered at `home` by the centre admin, signed in by SMS code.
    async fn volunteer(&self, i: u32, home: i64) -> Person {
        let phone = format!("1374444{i:04}");
        let birth = format!("1985{:02}{:02}", 1 + i % 12, 1 + i % 28);
        let name = format!("志愿者{i:02}");
        let v =
            self.register(&volunteer_registration(&name, &phone, &birth, 10 + i % 80, i.is_multiple_of(2), home)).await;
        let token = self.edge.sign_in_by_code(&self.admin, &phone).await;
        Person {
            account_id: v["account_id"].as_i64().unwrap_or_else(|| panic!("no account_id in {v}")),
            name,
            phone,
            token,
        }
    }

    /// A request at request time `now` (`token` None: no session).
    async fn at(&self, token: Option<&str>, method: &str, path: &str, now: i64, body: Option<&Json>) -> Reply {
        self.edge.api_at(token, method, path, now, body).await
    }

    async fn get(&self, token: &str, path: &str, now: i64) -> Reply {
        self.at(Some(token), "GET", path, now, None).await
    }

    /// A 200 `GET` as JSON.
    async fn get_ok(&self, token: &str, path: &str, now: i64) -> Json {
        self.edge.get_ok_at(token, path, now).await
    }

    /// `POST /api/v1/surveys` at `t0`, whatever the answer.
    async fn create(&self, token: &str, body: &Json) -> Reply {
        self.at(Some(token), "POST", "/api/v1/surveys", self.t0, Some(body)).await
    }

    /// A draft created by `token` (201): its id.
    async fn draft(&self, token: &str, body: &Json) -> i64 {
        let reply = self.create(token, body).await;
        assert_eq!(reply.status, 201, "POST /api/v1/surveys {body}: {}", reply.text());
        let survey = reply.json();
        assert_eq!(survey["status"], "draft", "a new survey is a draft: {survey}");
        id(&survey)
    }

    /// `POST /api/v1/surveys/{id}/{action}` (publish, close) at `now`, whatever the answer.
    async fn act(&self, token: &str, survey: i64, action: &str, now: i64) -> Reply {
        self.at(Some(token), "POST", &format!("/api/v1/surveys/{survey}/{action}"), now, None).await
    }

    /// Publishes at `t0` (200).
    async fn publish(&self, token: &str, survey: i64) -> Json {
        let reply = self.act(token, survey, "publish", self.t0).await;
        assert_eq!(reply.status, 200, "publishing survey {survey}: {}", reply.text());
        reply.json()
    }

    /// A survey created and published by `token` at `t0`: its id.
    async fn published(&self, token: &str, body: &Json) -> i64 {
        let survey = self.draft(token, body).await;
        self.publish(token, survey).await;
        survey
    }

    /// `PUT /api/v1/surveys/{id}` at `now`, whatever the answer.
    async fn put(&self, token: &str, survey: i64, body: &Json, now: i64) -> Reply {
        self.at(Some(token), "PUT", &format!("/api/v1/surveys/{survey}"), now, Some(body)).await
    }

    /// `GET /api/v1/surveys/{id}` as `token` at `now` (200).
    async fn detail(&self, token: &str, survey: i64, now: i64) -> Json {
        self.get_ok(token, &format!("/api/v1/surveys/{survey}"), now).await
    }

    /// `POST /api/v1/surveys/{id}/responses` by `who` at `now`: `answers`, and `org_id` when
    /// given; whatever the answer.
    async fn submit(&self, who: &Person, survey: i64, answers: &Json, org: Option<i64>, now: i64) -> Reply {
        let mut body = json!({ "answers": answers });
        if let Some(org) = org {
            body["org_id"] = json!(org);
        }
        self.submit_body(who, survey, &body, now).await
    }

    /// `POST /api/v1/surveys/{id}/responses` with a whole body, whatever the answer.
    async fn submit_body(&self, who: &Person, survey: i64, body: &Json, now: i64) -> Reply {
        self.at(Some(&who.token), "POST", &format!("/api/v1/surveys/{survey}/responses"), now, Some(body)).await
    }

    /// A submission that must be taken (201): the answer, checked against the contract's shape.
    async fn answered(&self, who: &Person, survey: i64, answers: &Json, org: Option<i64>, now: i64) -> Json {
        let reply = self.submit(who, survey, answers, org, now).await;
        assert_eq!(reply.status, 201, "response by {} to {survey}: {}", who.phone, reply.text());
        let taken = reply.json();
        assert!(taken["id"].is_i64(), "a response id: {taken}");
        assert_eq!(taken["survey_id"], survey, "{taken}");
        assert_eq!(
            unix_of(taken["submitted_at"].as_str().unwrap_or_else(|| panic!("submitted_at: {taken}"))),
            now,
            "submitted_at is the request time: {taken}"
        );
        taken
    }

    /// `GET /api/v1/surveys/{id}/results[?org_id=]` as `token` at `t0 + 1 minute` (200).
    async fn results(&self, token: &str, survey: i64, org: Option<i64>) -> Json {
        let path = match org {
            Some(org) => format!("/api/v1/surveys/{survey}/results?org_id={org}"),
            None => format!("/api/v1/surveys/{survey}/results"),
        };
        self.get_ok(token, &path, self.t0 + MINUTE).await
    }

    /// Ids of `GET /api/v1/surveys?<query>` as `token` (200), one page of up to 100.
    async fn list_ids(&self, token: &str, query: &str) -> Vec<i64> {
        let sep = if query.is_empty() { "" } else { "&" };
        let page = self.get_ok(token, &format!("/api/v1/surveys?limit=100{sep}{query}"), self.t0).await;
        entries(&page).iter().map(id).collect()
    }

    /// Rows in `survey_responses`, all surveys together.
    fn stored_responses(&self) -> i64 {
        count(self, "SELECT COUNT(*) FROM survey_responses", [])
    }

    /// Audit entries with `action` about `entity` (read by the centre admin).
    async fn audit_entries(&self, action: &str, entity: i64) -> Vec<Json> {
        let reply = self.edge.get_as(&self.admin, &format!("/api/v1/audit?action={action}&limit=100")).await;
        assert_eq!(reply.status, 200, "GET /api/v1/audit: {}", reply.text());
        entries(&reply.json())
            .into_iter()
            .filter(|e| e["action"] == action && e["entity_id"].as_i64() == Some(entity))
            .collect()
    }

    /// A survey body at `org`, open from an hour before `t0` for a week, residents, identified,
    /// one per person, with `sections`. Adjust with `body["field"] = ...`.
    fn body(&self, org: i64, title: &str, sections: Json) -> Json {
        json!({
            "title": title,
            "description": "每一项活动都问需于民：请花两分钟告诉我们您的需求。",
            "org_id": org,
            "audience": "residents",
            "anonymous": false,
            "one_per": "person",
            "opens_at": shanghai_rfc3339(self.t0 - HOUR),
            "closes_at": shanghai_rfc3339(self.t0 + 7 * DAY),
            "sections": sections,
        })
    }

    /// A one-question survey body at `org` (a required yes/no `satisfied`).
    fn simple_body(&self, org: i64, title: &str) -> Json {
        self.body(
            org,
            title,
            json!([{ "title": "总体评价", "questions": [yes_no("satisfied", "您对社区服务满意吗", true)] }]),
        )
    }
}

// ---- Questionnaire and answer helpers -----------------------------------------------------------

/// `[{"key", "label"}, ...]`.
fn choices(pairs: &[(&str, &str)]) -> Json {
    Json::Array(pairs.iter().map(|(k, l)| json!({ "key": k, "label": l })).collect())
}

/// A single-choice question with options `yes` (是) and `no` (否).
fn yes_no(key: &str, title: &str, required: bool) -> Json {
    json!({ "key": key, "type": "single_choice", "title": title, "required": required,
            "options": choices(&[("yes", "是"), ("no", "否")]) })
}

/// `base` with `answers[key] = value`.
fn with(base: &Json, key: &str, value: Json) -> Json {
    let mut out = base.clone();
    out[key] = value;
    out
}

/// `base` without `answers[key]`.
fn without(base: &Json, key: &str) -> Json {
    let mut out = base.clone();
    out.as_object_mut().expect("answers object").remove(key);
    out
}

/// Sets (or adds) the member at JSON `pointer` (`/sections/0/questions/1/show_if`) of `body`.
fn set(body: &mut Json, pointer: &str, value: Json) {
    let (parent, last) = pointer.rsplit_once('/').unwrap_or_else(|| panic!("not a pointer: {pointer}"));
    match body.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent} in the body")) {
        Json::Object(map) => {
            map.insert(last.to_owned(), value);
        }
        Json::Array(items) => {
            let i: usize = last.parse().unwrap_or_else(|_| panic!("not an index: {pointer}"));
            items[i] = value;
        }
        other => panic!("{parent} is neither an object nor an array: {other}"),
    }
}

/// The `field`s of a 422's `fields` list (in `error`, or beside it).
fn problem_fields(reply: &Reply) -> Vec<String> {
    let v = reply.json();
    let list = v["error"]["fields"]
        .as_array()
        .or_else(|| v["fields"].as_array())
        .unwrap_or_else(|| panic!("a 422 without a fields list: {v}"));
    list.iter()
        .map(|f| f["field"].as_str().unwrap_or_else(|| panic!("a fields entry without field: {f}")).to_owned())
        .collect()
}

/// `error.message` (empty if absent).
fn error_message(reply: &Reply) -> String {
    reply.json()["error"]["message"].as_str().unwrap_or_default().to_owned()
}

/// Whether `field` is `expected` or (with `nested`) a path inside it (`expected.` / `expected[`).
fn names(field: &str, expected: &str, nested: bool) -> bool {
    field == expected
        || (nested && (field.starts_with(&format!("{expected}.")) || field.starts_with(&format!("{expected}["))))
}

/// Asserts `reply` is 422 whose `fields` name `expected` (exactly, or with `nested` a path inside
/// it), and — `only` — nothing outside `only` (so a valid answer beside the bad one is not blamed).
fn assert_refused(what: &str, reply: &Reply, expected: &str, nested: bool, only: &str) {
    assert_eq!(reply.status, 422, "{what}: expected 422, got {} {}", reply.status, reply.text());
    let fields = problem_fields(reply);
    assert!(fields.iter().any(|f| names(f, expected, nested)), "{what}: fields should name {expected}: {fields:?}");
    assert!(fields.iter().all(|f| names(f, only, true)), "{what}: only {only} is wrong, yet fields are {fields:?}");
    assert!(
        names(&reply.error_field(), only, true),
        "{what}: `field` should be the first offender, inside {only}: {}",
        reply.text()
    );
}

/// A JSON number as f64.
fn num(v: &Json, what: &str) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

fn assert_num(v: &Json, expected: f64, what: &str) {
    let got = num(v, what);
    assert!((got - expected).abs() < 1e-9, "{what}: expected {expected}, got {got}");
}

/// The results entry of question `key`.
fn question<'a>(results: &'a Json, key: &str) -> &'a Json {
    results["questions"]
        .as_array()
        .unwrap_or_else(|| panic!("results without questions: {results}"))
        .iter()
        .find(|q| q["key"] == key)
        .unwrap_or_else(|| panic!("no question {key} in the results: {results}"))
}

fn answered_count(results: &Json, key: &str) -> i64 {
    question(results, key)["answered"]
        .as_i64()
        .unwrap_or_else(|| panic!("{key}: no integer answered: {}", question(results, key)))
}

/// Asserts option `opt` of choice question `key` has `count` and `percent`.
fn assert_option(results: &Json, key: &str, opt: &str, count: i64, percent: f64) {
    let q = question(results, key);
    let o = q["options"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: no options: {q}"))
        .iter()
        .find(|o| o["key"] == opt)
        .unwrap_or_else(|| panic!("{key}: no option {opt} (every option is listed, even unchosen): {q}"));
    assert_eq!(o["count"].as_i64(), Some(count), "{key}.{opt} count: {q}");
    assert_num(&o["percent"], percent, &format!("{key}.{opt} percent ({q})"));
}

/// Asserts cell (`row`, `col`) of matrix `key`: the row's `answered`, the cell's count and percent.
fn assert_cell(results: &Json, key: &str, row: &str, row_answered: i64, col: &str, count: i64, percent: f64) {
    let q = question(results, key);
    let r = q["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: no rows: {q}"))
        .iter()
        .find(|r| r["key"] == row)
        .unwrap_or_else(|| panic!("{key}: no row {row}: {q}"));
    assert_eq!(r["answered"].as_i64(), Some(row_answered), "{key}.{row} answered: {r}");
    let c = r["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}.{row}: no columns: {r}"))
        .iter()
        .find(|c| c["key"] == col)
        .unwrap_or_else(|| panic!("{key}.{row}: no column {col} (every column is listed): {r}"));
    assert_eq!(c["count"].as_i64(), Some(count), "{key}.{row}.{col} count: {r}");
    assert_num(&c["percent"], percent, &format!("{key}.{row}.{col} percent ({r})"));
}

/// The rating distribution of `key` as (value, count), in the order given.
fn distribution(results: &Json, key: &str) -> Vec<(i64, i64)> {
    let q = question(results, key);
    q["distribution"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: no distribution: {q}"))
        .iter()
        .map(|e| (e["value"].as_i64().expect("value"), e["count"].as_i64().expect("count")))
        .collect()
}

/// `by_station` responses of `org` (0 when it is not listed).
fn station_responses(results: &Json, org: i64) -> i64 {
    results["by_station"]
        .as_array()
        .unwrap_or_else(|| panic!("results without by_station: {results}"))
        .iter()
        .find(|s| s["org_id"] == org)
        .map(|s| s["responses"].as_i64().expect("responses"))
        .unwrap_or(0)
}

/// RFC 4180 CSV (quoted cells with `""`, commas and newlines inside quotes; a leading BOM
/// dropped) → rows of cells.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The CSV row whose cell `col` is `value`.
fn row_with<'a>(rows: &'a [Vec<String>], col: usize, value: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r.get(col).map(String::as_str) == Some(value))
        .unwrap_or_else(|| panic!("no row with {value} in column {col}: {rows:?}"))
}

// ---- 1. Answer validation, type by type -----------------------------------------------------------

/// Every question type, in two sections (paths and keys as the tests below expect).
fn all_types_sections() -> Json {
    json!([
        { "title": "基本情况", "description": "关于您和您的家庭", "questions": [
            { "key": "age_group", "type": "single_choice", "title": "您的年龄段", "required": true,
              "options": choices(&[("young", "青年"), ("middle", "中年"), ("senior", "老年")]) },
            { "key": "needs", "type": "multiple_choice", "title": "您最需要哪些服务（选2至3项）", "required": true,
              "options": choices(&[("meals", "助餐"), ("health", "健康义诊"), ("culture", "文化活动"), ("legal", "法律咨询")]),
              "min_selections": 2, "max_selections": 3 },
            { "key": "nickname", "type": "short_text", "title": "怎么称呼您", "max_length": 10 },
            { "key": "story", "type": "long_text", "title": "说说您家的情况", "max_length": 50 },
            { "key": "household_size", "type": "number", "title": "家庭常住人口", "required": true,
              "min": 1, "max": 10, "integer": true },
            { "key": "budget", "type": "number", "title": "每月愿意承担的助餐费用（元）", "min": 0, "max": 100 }
        ]},
        { "title": "服务评价", "questions": [
            { "key": "satisfaction", "type": "rating", "title": "对实践站的总体满意度", "required": true, "scale": 5 },
            { "key": "recommend", "type": "rating", "title": "向邻居推荐实践站的可能性", "scale": 10 },
            { "key": "services", "type": "matrix", "title": "各项服务评价", "required": true,
              "rows": choices(&[("meals", "助餐点"), ("clinic", "卫生室")]),
              "columns": choices(&[("good", "满意"), ("ok", "一般"), ("bad", "不满意")]) },
            { "key": "facilities", "type": "matrix", "title": "设施使用情况",
              "rows": choices(&[("park", "口袋公园"), ("library", "农家书屋")]),
              "columns": choices(&[("yes", "用过"), ("no", "没用过")]) },
            { "key": "visit_date", "type": "date", "title": "最近一次到站日期",
              "min_date": "2026-01-01", "max_date": "2026-12-31" }
        ]}
    ])
}

#[tokio::test]
async fn every_bad_answer_of_each_question_type_is_422_naming_the_answer_and_nothing_is_stored() {
    // Arrange
    let c = county().await;
    let t = c.t0;
    let survey =
        c.published(&c.inst_admin.token, &c.body(c.institute, "城关镇居民需求调查", all_types_sections())).await;
    let citizen = c.citizen(1).await;
    // A valid answer to everything: 10 Chinese characters fill the 10-character nickname, the
    // long text has a newline, the optional matrix leaves a row out, the number is fractional.
    let base = json!({
        "age_group": "senior",
        "needs": ["meals", "health"],
        "nickname": "张阿姨家的老大哥们好",
        "story": "老伴行动不便，\n子女在外地工作。",
        "household_size": 3,
        "budget": 12.5,
        "satisfaction": 4,
        "recommend": 10,
        "services": { "meals": "good", "clinic": "ok" },
        "facilities": { "park": "yes" },
        "visit_date": "2026-06-01",
    });
    let long_story: String = "长".repeat(51);
    // (what, answers, the field that must be named, whether a deeper path also counts, the key
    // whose answer is wrong)
    let cases: Vec<(&str, Json, &str, bool, &str)> = vec![
        // single_choice
        ("unknown option", with(&base, "age_group", json!("elderly")), "answers.age_group", false, "answers.age_group"),
        (
            "an array for a single choice",
            with(&base, "age_group", json!(["senior"])),
            "answers.age_group",
            false,
            "answers.age_group",
        ),
        (
            "missing required single choice",
            without(&base, "age_group"),
            "answers.age_group",
            false,
            "answers.age_group",
        ),
        // multiple_choice: 2..3 distinct known keys
        ("one selection, min 2", with(&base, "needs", json!(["meals"])), "answers.needs", false, "answers.needs"),
        ("no selection", with(&base, "needs", json!([])), "answers.needs", false, "answers.needs"),
        (
            "four selections, max 3",
            with(&base, "needs", json!(["meals", "health", "culture", "legal"])),
            "answers.needs",
            false,
            "answers.needs",
        ),
        (
            "a repeated selection",
            with(&base, "needs", json!(["meals", "meals"])),
            "answers.needs",
            false,
            "answers.needs",
        ),
        (
            "an unknown selection",
            with(&base, "needs", json!(["meals", "karaoke"])),
            "answers.needs",
            false,
            "answers.needs",
        ),
        (
            "a string for a multiple choice",
            with(&base, "needs", json!("meals")),
            "answers.needs",
            false,
            "answers.needs",
        ),
        // short_text: one line, ≤ 10 characters
        (
            "11 characters, max 10",
            with(&base, "nickname", json!("张阿姨家的老大哥们好啊")),
            "answers.nickname",
            false,
            "answers.nickname",
        ),
        (
            "a newline in a short text",
            with(&base, "nickname", json!("张阿姨\n李大爷")),
            "answers.nickname",
            false,
            "answers.nickname",
        ),
        ("a number for a short text", with(&base, "nickname", json!(5)), "answers.nickname", false, "answers.nickname"),
        // long_text: ≤ 50 characters
        ("51 characters, max 50", with(&base, "story", json!(long_story)), "answers.story", false, "answers.story"),
        // number: integer 1..10
        (
            "below min",
            with(&base, "household_size", json!(0)),
            "answers.household_size",
            false,
            "answers.household_size",
        ),
        (
            "above max",
            with(&base, "household_size", json!(11)),
            "answers.household_size",
            false,
            "answers.household_size",
        ),
        (
            "a fraction for an integer",
            with(&base, "household_size", json!(2.5)),
            "answers.household_size",
            false,
            "answers.household_size",
        ),
        (
            "a string for a number",
            with(&base, "household_size", json!("3")),
            "answers.household_size",
            false,
            "answers.household_size",
        ),
        (
            "missing required number",
            without(&base, "household_size"),
            "answers.household_size",
            false,
            "answers.household_size",
        ),
        // number: 0..100, fractions allowed
        ("a fraction below min", with(&base, "budget", json!(-0.5)), "answers.budget", false, "answers.budget"),
        ("a fraction above max", with(&base, "budget", json!(100.5)), "answers.budget", false, "answers.budget"),
        // rating 1..5 and 1..10
        ("rating 0", with(&base, "satisfaction", json!(0)), "answers.satisfaction", false, "answers.satisfaction"),
        (
            "rating 6 on a scale of 5",
            with(&base, "satisfaction", json!(6)),
            "answers.satisfaction",
            false,
            "answers.satisfaction",
        ),
        (
            "a fractional rating",
            with(&base, "satisfaction", json!(3.5)),
            "answers.satisfaction",
            false,
            "answers.satisfaction",
        ),
        (
            "a string rating",
            with(&base, "satisfaction", json!("5")),
            "answers.satisfaction",
            false,
            "answers.satisfaction",
        ),
        (
            "rating 11 on a scale of 10",
            with(&base, "recommend", json!(11)),
            "answers.recommend",
            false,
            "answers.recommend",
        ),
        // matrix (required): every row, known columns
        (
            "an unknown column in a row",
            with(&base, "services", json!({ "meals": "excellent", "clinic": "ok" })),
            "answers.services.meals",
            false,
            "answers.services",
        ),
        (
            "a required matrix missing a row",
            with(&base, "services", json!({ "meals": "good" })),
            "answers.services.clinic",
            false,
            "answers.services",
        ),
        (
            "an unknown row",
            with(&base, "services", json!({ "meals": "good", "clinic": "ok", "garden": "ok" })),
            "answers.services",
            true,
            "answers.services",
        ),
        ("a string for a matrix", with(&base, "services", json!("good")), "answers.services", true, "answers.services"),
        ("missing required matrix", without(&base, "services"), "answers.services", true, "answers.services"),
        // matrix (optional): rows may be left out, but not all of them
        (
            "an empty object for an optional matrix",
            with(&base, "facilities", json!({})),
            "answers.facilities",
            false,
            "answers.facilities",
        ),
        (
            "an unknown column in an optional matrix",
            with(&base, "facilities", json!({ "park": "maybe" })),
            "answers.facilities.park",
            false,
            "answers.facilities",
        ),
        // date: YYYY-MM-DD in 2026
        (
            "a date before min_date",
            with(&base, "visit_date", json!("2025-12-31")),
            "answers.visit_date",
            false,
            "answers.visit_date",
        ),
        (
            "a date after max_date",
            with(&base, "visit_date", json!("2027-01-01")),
            "answers.visit_date",
            false,
            "answers.visit_date",
        ),
        (
            "a day that does not exist",
            with(&base, "visit_date", json!("2026-02-30")),
            "answers.visit_date",
            false,
            "answers.visit_date",
        ),
        (
            "slashes instead of dashes",
            with(&base, "visit_date", json!("2026/06/01")),
            "answers.visit_date",
            false,
            "answers.visit_date",
        ),
        (
            "no leading zeros",
            with(&base, "visit_date", json!("2026-6-1")),
            "answers.visit_date",
            false,
            "answers.visit_date",
        ),
        // unknown question
        (
            "an unknown question key",
            with(&base, "favourite_colour", json!("red")),
            "answers.favourite_colour",
            false,
            "answers.favourite_colour",
        ),
    ];

    // Act + Assert: each refused, naming only the bad answer
    for (i, (what, answers, expected, nested, only)) in cases.iter().enumerate() {
        let reply = c.submit(&citizen, survey, answers, Some(c.a), t + 1 + i as i64).await;
        assert_refused(what, &reply, expected, *nested, only);
    }

    // Act: several problems at once
    let mut many = without(&base, "age_group");
    many["needs"] = json!(["meals", "health", "culture", "legal"]);
    many["satisfaction"] = json!(6);
    many["services"] = json!({ "meals": "excellent", "clinic": "ok" });
    many["favourite_colour"] = json!("red");
    let reply = c.submit(&citizen, survey, &many, Some(c.a), t + 100).await;

    // Assert: every problem listed, the valid answers not blamed
    assert_eq!(reply.status, 422, "{}", reply.text());
    let fields = problem_fields(&reply);
    for expected in [
        "answers.age_group",
        "answers.needs",
        "answers.satisfaction",
        "answers.services.meals",
        "answers.favourite_colour",
    ] {
        assert!(fields.iter().any(|f| f == expected), "{expected} missing from {fields:?}");
    }
    for untouched in [
        "answers.nickname",
        "answers.story",
        "answers.household_size",
        "answers.budget",
        "answers.recommend",
        "answers.facilities",
        "answers.visit_date",
        "answers.services.clinic",
    ] {
        assert!(!fields.iter().any(|f| names(f, untouched, true)), "{untouched} was valid: {fields:?}");
    }
    assert!(fields.contains(&reply.error_field()), "`field` is one of `fields`: {}", reply.text());

    // Assert: nothing stored by any refusal
    assert_eq!(c.stored_responses(), 0, "refused submissions store nothing");
    let results = c.results(&c.inst_admin.token, survey, None).await;
    assert_eq!(results["responses"], 0, "{results}");
    assert_eq!(c.detail(&c.inst_admin.token, survey, t + 200).await["responses"], 0);

    // Act + Assert: the valid answer is taken (so the refusals were for the reasons given)
    c.answered(&citizen, survey, &base, Some(c.a), t + 300).await;
    assert_eq!(c.stored_responses(), 1);
    let results = c.results(&c.inst_admin.token, survey, None).await;
    assert_eq!(results["responses"], 1, "{results}");
    assert_eq!(answered_count(&results, "nickname"), 1, "{results}");
    assert_eq!(answered_count(&results, "facilities"), 1, "{results}");
    assert_num(&question(&results, "budget")["average"], 12.5, "budget average");
    assert_eq!(distribution(&results, "recommend").len(), 10, "a 10-point scale has 10 values: {results}");
}

// ---- 2. Definition validation -------------------------------------------------------------------

#[tokio::test]
async fn a_definition_that_breaks_a_rule_is_422_naming_every_offender_and_creates_or_changes_nothing() {
    // Arrange
    let c = county().await;
    let token = c.inst_admin.token.clone();
    let good = c.body(c.institute, "城关镇居民需求调查", all_types_sections());
    let q = |s: usize, i: usize| format!("/sections/{s}/questions/{i}");
    let path = |s: usize, i: usize, rest: &str| format!("sections[{s}].questions[{i}]{rest}");
    // Mutations of `good`: (what, JSON pointer, new value, the field that must be named, whether
    // a deeper path also counts)
    let edit = |pointer: String, value: Json| {
        let mut body = good.clone();
        set(&mut body, &pointer, value);
        body
    };
    let many_sections: Vec<Json> = (0..21)
        .map(|i| json!({ "title": format!("第{i}部分"), "questions": [yes_no(&format!("q{i}"), "是否", false)] }))
        .collect();
    let too_many_questions = json!([
        { "title": "一", "questions": (0..100).map(|i| yes_no(&format!("a{i}"), "是否", false)).collect::<Vec<_>>() },
        { "title": "二", "questions": (0..101).map(|i| yes_no(&format!("b{i}"), "是否", false)).collect::<Vec<_>>() },
    ]);
    let cases: Vec<(&str, Json, Vec<String>, bool)> = vec![
        ("a question key used twice", edit(format!("{}/key", q(1, 0)), json!("age_group")), vec![path(1, 0, "")], true),
        (
            "show_if naming a later question",
            edit(format!("{}/show_if", q(0, 0)), json!({ "question": "needs", "any_of": ["meals"] })),
            vec![path(0, 0, ".show_if")],
            true,
        ),
        (
            "show_if naming an unknown question",
            edit(format!("{}/show_if", q(0, 1)), json!({ "question": "nope", "any_of": ["yes"] })),
            vec![path(0, 1, ".show_if")],
            true,
        ),
        (
            "show_if naming a non-choice question",
            edit(format!("{}/show_if", q(1, 0)), json!({ "question": "household_size", "any_of": ["3"] })),
            vec![path(1, 0, ".show_if")],
            true,
        ),
        (
            "show_if with an option the question lacks",
            edit(format!("{}/show_if", q(0, 1)), json!({ "question": "age_group", "any_of": ["teen"] })),
            vec![path(0, 1, ".show_if")],
            true,
        ),
        ("rating scale 7", edit(format!("{}/scale", q(1, 0)), json!(7)), vec![path(1, 0, ".scale")], false),
        (
            "a single choice with one option",
            edit(format!("{}/options", q(0, 0)), choices(&[("only", "唯一")])),
            vec![path(0, 0, ".options")],
            true,
        ),
        (
            "two options with one key",
            edit(format!("{}/options", q(0, 0)), choices(&[("a", "甲"), ("a", "乙")])),
            vec![path(0, 0, ".options")],
            true,
        ),
        ("a key with a space", edit(format!("{}/key", q(0, 2)), json!("nick name")), vec![path(0, 2, ".key")], false),
        (
            "a 41-character key",
            edit(format!("{}/key", q(0, 2)), json!("k".repeat(41))),
            vec![path(0, 2, ".key")],
            false,
        ),
        (
            "short_text max_length 201",
            edit(format!("{}/max_length", q(0, 2)), json!(201)),
            vec![path(0, 2, ".max_length")],
            false,
        ),
        (
            "long_text max_length 5001",
            edit(format!("{}/max_length", q(0, 3)), json!(5001)),
            vec![path(0, 3, ".max_length")],
            false,
        ),
        (
            "a matrix with one column",
            edit(format!("{}/columns", q(1, 2)), choices(&[("good", "满意")])),
            vec![path(1, 2, ".columns")],
            true,
        ),
        ("a matrix with no rows", edit(format!("{}/rows", q(1, 2)), json!([])), vec![path(1, 2, ".rows")], true),
        ("an unknown type", edit(format!("{}/type", q(0, 2)), json!("slider")), vec![path(0, 2, ".type")], false),
        (
            "a min_date that is not a date",
            edit(format!("{}/min_date", q(1, 4)), json!("2026-13-01")),
            vec![path(1, 4, ".min_date")],
            false,
        ),
        ("no sections", edit("/sections".into(), json!([])), vec!["sections".into()], false),
        ("21 sections", edit("/sections".into(), Json::Array(many_sections)), vec!["sections".into()], true),
        ("201 questions", edit("/sections".into(), too_many_questions), vec!["sections".into()], true),
        ("an unknown audience", edit("/audience".into(), json!("everyone")), vec!["audience".into()], false),
        ("an unknown one_per", edit("/one_per".into(), json!("family")), vec!["one_per".into()], false),
        (
            "opens_at equal to closes_at",
            edit("/opens_at".into(), json!(shanghai_rfc3339(c.t0 + 7 * DAY))),
            vec!["opens_at".into(), "closes_at".into()],
            false,
        ),
    ];

    // Act + Assert: each refused, naming its offender
    for (what, body, expected, nested) in &cases {
        let reply = c.create(&token, body).await;
        assert_eq!(reply.status, 422, "{what}: expected 422, got {} {}", reply.status, reply.text());
        let fields = problem_fields(&reply);
        assert!(
            expected.iter().any(|e| names(&reply.error_field(), e, *nested)),
            "{what}: `field` should name one of {expected:?}: {}",
            reply.text()
        );
        assert!(
            fields.iter().any(|f| expected.iter().any(|e| names(f, e, *nested))),
            "{what}: fields should name one of {expected:?}: {fields:?}"
        );
    }

    // Act: three offenders at once, in document order
    let mut three = good.clone();
    set(&mut three, &format!("{}/scale", q(1, 0)), json!(7)); // sections[1].questions[0]
    set(&mut three, &format!("{}/key", q(1, 2)), json!("needs")); // sections[1].questions[2]
    set(&mut three, &format!("{}/show_if", q(0, 1)), json!({ "question": "satisfaction", "any_of": ["5"] })); // sections[0].questions[1]
    let reply = c.create(&token, &three).await;

    // Assert: `field` is the first, `fields` all three
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert!(
        names(&reply.error_field(), &path(0, 1, ".show_if"), true),
        "`field` is the first offender in document order: {}",
        reply.text()
    );
    let fields = problem_fields(&reply);
    for expected in [path(0, 1, ".show_if"), path(1, 0, ".scale"), path(1, 2, "")] {
        assert!(fields.iter().any(|f| names(f, &expected, true)), "{expected} missing from {fields:?}");
    }

    // Assert: nothing created
    assert!(c.list_ids(&c.admin, "").await.is_empty(), "refused definitions create no survey");

    // Arrange: a draft, then a bad update of it
    let draft = c.draft(&token, &good).await;
    let before = c.detail(&token, draft, c.t0).await;
    let mut bad = edit(format!("{}/scale", q(1, 0)), json!(7));
    bad["title"] = json!("改过的标题");

    // Act
    let reply = c.put(&token, draft, &bad, c.t0 + 10).await;

    // Assert: refused, the draft as it was
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), path(1, 0, ".scale"), "{}", reply.text());
    let after = c.detail(&token, draft, c.t0 + 20).await;
    assert_eq!(after["title"], before["title"], "a refused update changes nothing");
    assert_eq!(after["sections"], before["sections"], "a refused update changes nothing");
    assert_eq!(c.list_ids(&c.admin, "").await, vec![draft]);
}

// ---- 3. Display conditions ----------------------------------------------------------------------

#[tokio::test]
async fn a_hidden_question_may_not_be_answered_and_is_never_required_and_a_shown_one_is() {
    // Arrange: has_elder → elder_needs (when yes) → meal_time (when meals is among the needs)
    let c = county().await;
    let t = c.t0;
    let sections = json!([{ "title": "家庭情况", "questions": [
        yes_no("has_elder", "家中是否有65岁以上老人", true),
        { "key": "elder_needs", "type": "multiple_choice", "title": "老人需要哪些帮助", "required": true,
          "options": choices(&[("meals", "助餐"), ("clean", "保洁"), ("medical", "陪诊")]),
          "show_if": { "question": "has_elder", "any_of": ["yes"] } },
        { "key": "meal_time", "type": "single_choice", "title": "希望哪一餐送餐", "required": true,
          "options": choices(&[("noon", "午餐"), ("evening", "晚餐")]),
          "show_if": { "question": "elder_needs", "any_of": ["meals"] } },
        { "key": "comment", "type": "short_text", "title": "其他想说的" }
    ]}]);
    let survey = c.published(&c.inst_admin.token, &c.body(c.institute, "城关镇老年人需求摸底", sections)).await;
    let c1 = c.citizen(1).await;
    let c2 = c.citizen(2).await;
    let c3 = c.citizen(3).await;
    let refused: Vec<(&str, Json, &str)> = vec![
        (
            "needs answered when there is no elder",
            json!({ "has_elder": "no", "elder_needs": ["clean"] }),
            "answers.elder_needs",
        ),
        (
            "meal time answered when the needs question itself is hidden",
            json!({ "has_elder": "no", "meal_time": "noon" }),
            "answers.meal_time",
        ),
        ("needs missing when there is an elder", json!({ "has_elder": "yes" }), "answers.elder_needs"),
        (
            "meal time answered without meals among the needs",
            json!({ "has_elder": "yes", "elder_needs": ["clean"], "meal_time": "noon" }),
            "answers.meal_time",
        ),
        (
            "meal time missing with meals among the needs",
            json!({ "has_elder": "yes", "elder_needs": ["clean", "meals"] }),
            "answers.meal_time",
        ),
    ];

    // Act + Assert: each refused, naming exactly the one question
    for (i, (what, answers, field)) in refused.iter().enumerate() {
        let reply = c.submit(&c1, survey, answers, Some(c.a), t + 1 + i as i64).await;
        assert_eq!(reply.status, 422, "{what}: {}", reply.text());
        assert_eq!(problem_fields(&reply), vec![field.to_string()], "{what}: {}", reply.text());
    }
    assert_eq!(c.stored_responses(), 0, "refused submissions store nothing");

    // Act: hidden required questions left out are fine; shown ones answered
    c.answered(&c1, survey, &json!({ "has_elder": "no", "comment": "家里没有老人" }), Some(c.a), t + 10).await;
    c.answered(
        &c2,
        survey,
        &json!({ "has_elder": "yes", "elder_needs": ["medical", "meals"], "meal_time": "evening" }),
        Some(c.a),
        t + 11,
    )
    .await;
    c.answered(&c3, survey, &json!({ "has_elder": "yes", "elder_needs": ["clean"] }), Some(c.b), t + 12).await;

    // Assert: 3 responses. has_elder: yes 2/3 = 66.7 %, no 1/3 = 33.3 %. elder_needs answered by
    // the 2 who saw it: meals 1/2, clean 1/2, medical 1/2 = 50.0 % each. meal_time answered by 1:
    // evening 1/1 = 100.0 %, noon 0.
    assert_eq!(c.stored_responses(), 3);
    let results = c.results(&c.inst_admin.token, survey, None).await;
    assert_eq!(results["responses"], 3, "{results}");
    assert_eq!(answered_count(&results, "has_elder"), 3);
    assert_option(&results, "has_elder", "yes", 2, 66.7);
    assert_option(&results, "has_elder", "no", 1, 33.3);
    assert_eq!(answered_count(&results, "elder_needs"), 2);
    assert_option(&results, "elder_needs", "meals", 1, 50.0);
    assert_option(&results, "elder_needs", "clean", 1, 50.0);
    assert_option(&results, "elder_needs", "medical", 1, 50.0);
    assert_eq!(answered_count(&results, "meal_time"), 1);
    assert_option(&results, "meal_time", "evening", 1, 100.0);
    assert_option(&results, "meal_time", "noon", 0, 0.0);
    assert_eq!(answered_count(&results, "comment"), 1);
}

// ---- 4. One response per person / household, idempotency ---------------------------------------------

#[tokio::test]
async fn each_person_and_each_household_answers_once_and_a_retried_submission_is_stored_once() {
    // Arrange
    let c = county().await;
    let t = c.t0;
    let admin = &c.inst_admin.token;
    let per_person = c.published(admin, &c.simple_body(c.institute, "社区服务满意度")).await;
    let mut anonymous_body = c.simple_body(c.institute, "匿名意见征集");
    anonymous_body["anonymous"] = json!(true);
    let anonymous = c.published(admin, &anonymous_body).await;
    let mut household_body = c.simple_body(c.institute, "入户需求调查");
    household_body["one_per"] = json!("household");
    let household = c.published(admin, &household_body).await;
    let c1 = c.citizen(1).await;
    let c2 = c.citizen(2).await;
    let c3 = c.citizen(3).await;
    let c4 = c.citizen(4).await;
    let yes = json!({ "satisfied": "yes" });
    let no = json!({ "satisfied": "no" });

    // Act + Assert: a second response by the same person, with other answers
    c.answered(&c1, per_person, &yes, Some(c.a), t + 1).await;
    let again = c.submit(&c1, per_person, &no, Some(c.a), t + 2).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error_code(), "already_answered", "{}", again.text());
    assert_eq!(c.stored_responses(), 1);
    let results = c.results(admin, per_person, None).await;
    assert_eq!(results["responses"], 1, "{results}");
    assert_option(&results, "satisfied", "yes", 1, 100.0);
    assert_option(&results, "satisfied", "no", 0, 0.0);

    // Act + Assert: a retry with the same Idempotency-Key is the same 201
    let body = json!({ "answers": yes, "org_id": c.b });
    let now = (t + 3).to_string();
    let headers = [(CLOCK_HEADER, now.as_str()), ("idempotency-key", "survey-retry-1")];
    let path = format!("/api/v1/surveys/{per_person}/responses");
    let first = c.edge.api(Some(&c2.token), "POST", &path, &headers, Some(&body)).await;
    let retry = c.edge.api(Some(&c2.token), "POST", &path, &headers, Some(&body)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(retry.status, 201, "the saved answer, not already_answered: {}", retry.text());
    assert_eq!(id(&retry.json()), id(&first.json()), "the same response");
    assert_eq!(retry.json()["submitted_at"], first.json()["submitted_at"]);
    assert_eq!(c.stored_responses(), 2, "the retry stored nothing");
    let fresh = c.submit(&c2, per_person, &yes, Some(c.b), t + 4).await;
    assert_eq!(fresh.status, 409, "without the key it is a second response: {}", fresh.text());
    assert_eq!(fresh.error_code(), "already_answered");
    assert_eq!(c.results(admin, per_person, None).await["responses"], 2);

    // Act + Assert: anonymous surveys still take one response per person
    c.answered(&c1, anonymous, &yes, Some(c.a), t + 5).await;
    let again = c.submit(&c1, anonymous, &no, Some(c.a), t + 6).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.error_code(), "already_answered", "{}", again.text());
    assert_eq!(c.stored_responses(), 3);

    // Act + Assert: households
    let keyless = c.submit(&c3, household, &yes, Some(c.a), t + 7).await;
    assert_eq!(keyless.status, 422, "a household survey needs household_key: {}", keyless.text());
    assert!(
        keyless.error_field() == "household_key" || problem_fields(&keyless).iter().any(|f| f == "household_key"),
        "{}",
        keyless.text()
    );
    assert_eq!(c.stored_responses(), 3);
    let home = |key: &str, answers: &Json, org: i64| json!({ "answers": answers, "org_id": org, "household_key": key });
    let taken = c.submit_body(&c3, household, &home("东街12号楼3单元", &yes, c.a), t + 8).await;
    assert_eq!(taken.status, 201, "{}", taken.text());
    let same_home = c.submit_body(&c4, household, &home("东街12号楼3单元", &no, c.a), t + 9).await;
    assert_eq!(same_home.status, 409, "a second member of the household: {}", same_home.text());
    assert_eq!(same_home.error_code(), "already_answered", "{}", same_home.text());
    let other_home = c.submit_body(&c4, household, &home("西街5号院", &no, c.b), t + 10).await;
    assert_eq!(other_home.status, 201, "another household: {}", other_home.text());
    let moved = c.submit_body(&c3, household, &home("东街新建小区", &no, c.a), t + 11).await;
    assert_eq!(moved.status, 409, "one per person besides one per household: {}", moved.text());
    assert_eq!(moved.error_code(), "already_answered", "{}", moved.text());
    assert_eq!(c.stored_responses(), 5);
    let results = c.results(admin, household, None).await;
    assert_eq!(results["responses"], 2, "{results}");
    assert_option(&results, "satisfied", "yes", 1, 50.0);
    assert_option(&results, "satisfied", "no", 1, 50.0);
}

// ---- 5. Results ------------------------------------------------------------------------------------

/// The results survey: two sections of choices, a number, a rating, a matrix, a date, a text.
fn results_sections() -> Json {
    json!([
        { "title": "基本情况", "questions": [
            { "key": "age_group", "type": "single_choice", "title": "您的年龄段", "required": true,
              "options": choices(&[("young", "青年"), ("middle", "中年"), ("senior", "老年")]) },
            { "key": "needs", "type": "multiple_choice", "title": "您最需要哪些服务", "required": true,
              "options": choices(&[("meals", "助餐"), ("health", "健康义诊"), ("culture", "文化活动"), ("legal", "法律咨询")]),
              "max_selections": 2 },
            { "key": "household_size", "type": "number", "title": "家庭常住人口", "min": 1, "max": 10, "integer": true },
            { "key": "transport", "type": "single_choice", "title": "您怎么来实践站",
              "options": choices(&[("bus", "公交"), ("walk", "步行")]) }
        ]},
        { "title": "评价与建议", "questions": [
            { "key": "satisfaction", "type": "rating", "title": "总体满意度", "required": true, "scale": 5 },
            { "key": "services", "type": "matrix", "title": "各项服务评价",
              "rows": choices(&[("meals", "助餐点"), ("clinic", "卫生室")]),
              "columns": choices(&[("good", "满意"), ("ok", "一般"), ("bad", "不满意")]) },
            { "key": "visit_date", "type": "date", "title": "最近一次到站日期" },
            { "key": "suggestion", "type": "long_text", "title": "您的建议" }
        ]}
    ])
}

/// The question keys of `results_sections()`, in order.
const RESULTS_KEYS: [&str; 8] =
    ["age_group", "needs", "household_size", "transport", "satisfaction", "services", "visit_date", "suggestion"];

/// A published identified results survey at the institute (by its admin) and its six
/// respondents' answers, submitted at `t0 + 1..=6`:
///
/// | who            | lives | age    | needs          | size | transport | sat | services             | date       | suggestion        |
/// |----------------|-------|--------|----------------|------|-----------|-----|----------------------|------------|-------------------|
/// | citizen 1      | A     | senior | meals, health  | 2    | bus       | 5   | meals=good clinic=ok | 2026-03-01 | 希望增加助餐点    |
/// | citizen 2      | A     | senior | meals          | 1    | walk      | 4   | meals=good           | 2026-05-20 |                   |
/// | citizen 3      | A     | middle | health, culture| 4    |           | 3   | meals=ok clinic=bad  |            | 卫生室周末也开门  |
/// | volunteer 1    | A*    | young  | culture        | 3    | bus       | 5   |                      | 2026-02-14 |                   |
/// | citizen 4      | B     | senior | meals, legal   | 5    |           | 2   | clinic=bad           | 2026-07-01 | =1+1 法律咨询     |
/// | citizen 5      | B     | middle | meals          |      |           | 4   | meals=bad clinic=ok  |            |                   |
///
/// (* the volunteer's home station; the volunteer gives no `org_id`.)
/// Returns the survey id and the respondents in that order.
async fn answered_results_survey(c: &SurveyCounty, anonymous: bool) -> (i64, Vec<Person>) {
    let mut body = c.body(c.institute, "2026年城关镇居民需求调查", results_sections());
    body["anonymous"] = json!(anonymous);
    let survey = c.published(&c.inst_admin.token, &body).await;
    let people = vec![
        c.citizen(1).await,
        c.citizen(2).await,
        c.citizen(3).await,
        c.volunteer(1, c.a).await,
        c.citizen(4).await,
        c.citizen(5).await,
    ];
    let answers = [
        (
            json!({ "age_group": "senior", "needs": ["meals", "health"], "household_size": 2, "transport": "bus",
                 "satisfaction": 5, "services": { "meals": "good", "clinic": "ok" }, "visit_date": "2026-03-01",
                 "suggestion": "希望增加助餐点" }),
            Some(c.a),
        ),
        (
            json!({ "age_group": "senior", "needs": ["meals"], "household_size": 1, "transport": "walk",
                 "satisfaction": 4, "services": { "meals": "good" }, "visit_date": "2026-05-20" }),
            Some(c.a),
        ),
        (
            json!({ "age_group": "middle", "needs": ["health", "culture"], "household_size": 4,
                 "satisfaction": 3, "services": { "meals": "ok", "clinic": "bad" },
                 "suggestion": "卫生室周末也开门" }),
            Some(c.a),
        ),
        (
            json!({ "age_group": "young", "needs": ["culture"], "household_size": 3, "transport": "bus",
                 "satisfaction": 5, "visit_date": "2026-02-14" }),
            None,
        ),
        (
            json!({ "age_group": "senior", "needs": ["meals", "legal"], "household_size": 5,
                 "satisfaction": 2, "services": { "clinic": "bad" }, "visit_date": "2026-07-01",
                 "suggestion": "=1+1 法律咨询" }),
            Some(c.b),
        ),
        (
            json!({ "age_group": "middle", "needs": ["meals"],
                 "satisfaction": 4, "services": { "meals": "bad", "clinic": "ok" } }),
            Some(c.b),
        ),
    ];
    for (i, (who, (answers, org))) in people.iter().zip(answers).enumerate() {
        c.answered(who, survey, &answers, org, c.t0 + 1 + i as i64).await;
    }
    (survey, people)
}

#[tokio::test]
async fn results_count_each_answer_as_a_share_of_those_who_answered_and_narrow_to_a_station() {
    // Arrange
    let c = county().await;
    let (survey, _) = answered_results_survey(&c, false).await;

    // Act
    let all = c.results(&c.inst_admin.token, survey, None).await;
    let at_a = c.results(&c.inst_admin.token, survey, Some(c.a)).await;
    let at_b = c.results(&c.inst_admin.token, survey, Some(c.b)).await;
    let by_auditor = c.results(&c.auditor.token, survey, None).await;

    // Assert: the whole survey — 6 responses, 4 living at A and 2 at B
    assert_eq!(all["survey_id"], survey, "{all}");
    assert_eq!(all["responses"], 6, "{all}");
    assert_eq!(c.detail(&c.inst_admin.token, survey, c.t0 + MINUTE).await["responses"], 6);
    assert_eq!(station_responses(&all, c.a), 4, "by_station A: {all}");
    assert_eq!(station_responses(&all, c.b), 2, "by_station B: {all}");
    let listed: i64 = all["by_station"].as_array().unwrap().iter().map(|s| s["responses"].as_i64().unwrap()).sum();
    assert_eq!(listed, 6, "by_station adds up to the responses: {all}");
    let a_entry = all["by_station"].as_array().unwrap().iter().find(|s| s["org_id"] == c.a).unwrap();
    assert_eq!(a_entry["name"], STATION_A, "{a_entry}");
    let keys: Vec<&str> = all["questions"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap()).collect();
    assert_eq!(keys, RESULTS_KEYS, "every question, in order");
    for key in RESULTS_KEYS {
        let q = question(&all, key);
        assert!(q["title"].is_string() && q["type"].is_string(), "{q}");
        assert_eq!(q["links"], json!([]), "no work linked yet: {q}");
    }
    // age_group, 6 answered: senior 3 → 50.0 %, middle 2 → 33.3 %, young 1 → 16.7 %
    assert_eq!(question(&all, "age_group")["type"], "single_choice");
    assert_eq!(answered_count(&all, "age_group"), 6);
    assert_option(&all, "age_group", "senior", 3, 50.0);
    assert_option(&all, "age_group", "middle", 2, 33.3);
    assert_option(&all, "age_group", "young", 1, 16.7);
    // needs, 6 answered (shares sum past 100): meals 4 → 66.7, health 2 → 33.3, culture 2 → 33.3,
    // legal 1 → 16.7
    assert_eq!(answered_count(&all, "needs"), 6);
    assert_option(&all, "needs", "meals", 4, 66.7);
    assert_option(&all, "needs", "health", 2, 33.3);
    assert_option(&all, "needs", "culture", 2, 33.3);
    assert_option(&all, "needs", "legal", 1, 16.7);
    // transport, answered by 3 of the 6: bus 2 → 66.7 (of 3, not 33.3 of 6), walk 1 → 33.3
    assert_eq!(answered_count(&all, "transport"), 3);
    assert_option(&all, "transport", "bus", 2, 66.7);
    assert_option(&all, "transport", "walk", 1, 33.3);
    // household_size, 5 answered: 2 + 1 + 4 + 3 + 5 = 15 → average 3, min 1, max 5
    assert_eq!(answered_count(&all, "household_size"), 5);
    let size = question(&all, "household_size");
    assert_num(&size["average"], 3.0, "household_size average");
    assert_num(&size["min"], 1.0, "household_size min");
    assert_num(&size["max"], 5.0, "household_size max");
    // satisfaction: 5 + 4 + 3 + 5 + 2 + 4 = 23, 23 / 6 = 3.8333… → 3.83; 1:0 2:1 3:1 4:2 5:2
    assert_eq!(answered_count(&all, "satisfaction"), 6);
    assert_num(&question(&all, "satisfaction")["average"], 3.83, "satisfaction average");
    assert_eq!(distribution(&all, "satisfaction"), vec![(1, 0), (2, 1), (3, 1), (4, 2), (5, 2)]);
    // services, answered by 5 (not the volunteer). Row meals, 4 answered: good 2 → 50.0,
    // ok 1 → 25.0, bad 1 → 25.0. Row clinic, 4 answered: good 0 → 0.0, ok 2 → 50.0, bad 2 → 50.0
    assert_eq!(answered_count(&all, "services"), 5);
    assert_cell(&all, "services", "meals", 4, "good", 2, 50.0);
    assert_cell(&all, "services", "meals", 4, "ok", 1, 25.0);
    assert_cell(&all, "services", "meals", 4, "bad", 1, 25.0);
    assert_cell(&all, "services", "clinic", 4, "good", 0, 0.0);
    assert_cell(&all, "services", "clinic", 4, "ok", 2, 50.0);
    assert_cell(&all, "services", "clinic", 4, "bad", 2, 50.0);
    // visit_date, 4 answered: 2026-02-14 … 2026-07-01
    assert_eq!(answered_count(&all, "visit_date"), 4);
    assert_eq!(question(&all, "visit_date")["earliest"], "2026-02-14");
    assert_eq!(question(&all, "visit_date")["latest"], "2026-07-01");
    // suggestion: 3 answered, texts are paged elsewhere
    assert_eq!(answered_count(&all, "suggestion"), 3);

    // Assert: narrowed to A (citizens 1–3, the volunteer): 4 responses
    assert_eq!(at_a["responses"], 4, "{at_a}");
    assert_eq!(at_a["org_id"], c.a, "{at_a}");
    assert_eq!(station_responses(&at_a, c.a), 4);
    assert_eq!(station_responses(&at_a, c.b), 0, "narrowed to A, B is out: {at_a}");
    // age: senior 2/4 → 50.0, middle 1/4 → 25.0, young 1/4 → 25.0
    assert_option(&at_a, "age_group", "senior", 2, 50.0);
    assert_option(&at_a, "age_group", "middle", 1, 25.0);
    assert_option(&at_a, "age_group", "young", 1, 25.0);
    // needs: meals 2, health 2, culture 2 of 4 → 50.0 each; legal 0 → 0.0
    assert_option(&at_a, "needs", "meals", 2, 50.0);
    assert_option(&at_a, "needs", "health", 2, 50.0);
    assert_option(&at_a, "needs", "culture", 2, 50.0);
    assert_option(&at_a, "needs", "legal", 0, 0.0);
    // satisfaction: (5 + 4 + 3 + 5) / 4 = 4.25; 3:1 4:1 5:2
    assert_num(&question(&at_a, "satisfaction")["average"], 4.25, "satisfaction average at A");
    assert_eq!(distribution(&at_a, "satisfaction"), vec![(1, 0), (2, 0), (3, 1), (4, 1), (5, 2)]);
    // household_size: 2, 1, 4, 3 → average 2.5, min 1, max 4
    assert_eq!(answered_count(&at_a, "household_size"), 4);
    assert_num(&question(&at_a, "household_size")["average"], 2.5, "household_size average at A");
    assert_num(&question(&at_a, "household_size")["max"], 4.0, "household_size max at A");
    // services: 3 answered; meals row good 2/3 → 66.7, ok 1/3 → 33.3; clinic row ok 1/2, bad 1/2
    assert_eq!(answered_count(&at_a, "services"), 3);
    assert_cell(&at_a, "services", "meals", 3, "good", 2, 66.7);
    assert_cell(&at_a, "services", "meals", 3, "ok", 1, 33.3);
    assert_cell(&at_a, "services", "clinic", 2, "bad", 1, 50.0);
    // dates: 2026-02-14 … 2026-05-20; suggestions 2
    assert_eq!(question(&at_a, "visit_date")["latest"], "2026-05-20");
    assert_eq!(answered_count(&at_a, "suggestion"), 2);

    // Assert: narrowed to B (citizens 4 and 5): 2 responses
    assert_eq!(at_b["responses"], 2, "{at_b}");
    assert_eq!(station_responses(&at_b, c.a), 0, "narrowed to B, A is out: {at_b}");
    assert_eq!(station_responses(&at_b, c.b), 2);
    assert_option(&at_b, "age_group", "senior", 1, 50.0);
    assert_option(&at_b, "age_group", "young", 0, 0.0);
    // needs: meals 2/2 → 100.0, legal 1/2 → 50.0
    assert_option(&at_b, "needs", "meals", 2, 100.0);
    assert_option(&at_b, "needs", "legal", 1, 50.0);
    // satisfaction: (2 + 4) / 2 = 3; 2:1 4:1
    assert_num(&question(&at_b, "satisfaction")["average"], 3.0, "satisfaction average at B");
    assert_eq!(distribution(&at_b, "satisfaction"), vec![(1, 0), (2, 1), (3, 0), (4, 1), (5, 0)]);
    // household_size: only citizen 4's 5
    assert_eq!(answered_count(&at_b, "household_size"), 1);
    assert_num(&question(&at_b, "household_size")["min"], 5.0, "household_size min at B");
    assert_num(&question(&at_b, "household_size")["average"], 5.0, "household_size average at B");
    // transport: nobody at B answered
    assert_eq!(answered_count(&at_b, "transport"), 0);
    // services: meals row only citizen 5 (bad 1/1 → 100.0); clinic row bad 1/2, ok 1/2
    assert_cell(&at_b, "services", "meals", 1, "bad", 1, 100.0);
    assert_cell(&at_b, "services", "clinic", 2, "bad", 1, 50.0);
    assert_cell(&at_b, "services", "clinic", 2, "ok", 1, 50.0);
    // dates: only 2026-07-01
    assert_eq!(question(&at_b, "visit_date")["earliest"], "2026-07-01");
    assert_eq!(question(&at_b, "visit_date")["latest"], "2026-07-01");

    // Assert: the auditor (at the centre) reads the same numbers
    assert_eq!(by_auditor["responses"], 6, "{by_auditor}");
    assert_eq!(by_auditor["questions"], all["questions"]);
}

// ---- 11. Text answers ------------------------------------------------------------------------------

#[tokio::test]
async fn text_answers_are_paged_oldest_first_with_where_the_respondent_lives() {
    // Arrange
    let c = county().await;
    let (survey, _) = answered_results_survey(&c, false).await;
    let path = format!("/api/v1/surveys/{survey}/results/texts?question=suggestion&limit=2");

    // Act
    let first = c.get_ok(&c.inst_admin.token, &path, c.t0 + MINUTE).await;
    let cursor = match &first["next_cursor"] {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        other => panic!("a full first page has a next_cursor: {other} in {first}"),
    };
    let second = c.get_ok(&c.inst_admin.token, &format!("{path}&cursor={cursor}"), c.t0 + MINUTE).await;

    // Assert: citizens 1 and 3 (station A), then citizen 4 (station B); newest last
    let page1 = entries(&first);
    let page2 = entries(&second);
    assert_eq!(page1.len(), 2, "{first}");
    assert_eq!(page2.len(), 1, "{second}");
    assert!(second["next_cursor"].is_null(), "the last page: {second}");
    let all: Vec<&Json> = page1.iter().chain(page2.iter()).collect();
    let texts: Vec<&str> = all.iter().map(|i| i["text"].as_str().unwrap_or_default()).collect();
    assert_eq!(texts, vec!["希望增加助餐点", "卫生室周末也开门", "=1+1 法律咨询"]);
    let orgs: Vec<i64> = all.iter().map(|i| i["org_id"].as_i64().unwrap_or_default()).collect();
    assert_eq!(orgs, vec![c.a, c.a, c.b]);
    let times: Vec<i64> = all.iter().map(|i| unix_of(i["submitted_at"].as_str().expect("submitted_at"))).collect();
    assert_eq!(times, vec![c.t0 + 1, c.t0 + 3, c.t0 + 5], "when each was submitted");
    let item_ids: Vec<i64> = all.iter().map(|i| id(i)).collect();
    let mut unique = item_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "three distinct items: {item_ids:?}");
}

// ---- 6. Lifecycle --------------------------------------------------------------------------------

#[tokio::test]
async fn a_draft_is_private_a_published_survey_never_changes_and_a_closed_one_takes_no_answers() {
    // Arrange
    let c = county().await;
    let t = c.t0;
    let admin = c.inst_admin.token.clone();
    let body = c.simple_body(c.institute, "社区服务满意度（草稿）");
    let created = c.create(&admin, &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let survey = id(&created);
    let form_path = format!("/api/v1/surveys/{survey}/form");
    let c1 = c.citizen(1).await;
    let c2 = c.citizen(2).await;
    let yes = json!({ "satisfied": "yes" });

    // Assert: a draft, private
    assert_eq!(created["status"], "draft", "{created}");
    assert_eq!(created["accepting"], false, "{created}");
    assert_eq!(created["responses"], 0, "{created}");
    assert_eq!(created["org"]["id"], c.institute, "{created}");
    assert_eq!(created["org"]["name"], "城关镇新时代文明实践所", "{created}");
    assert!(created["published_at"].is_null(), "{created}");
    let form = c.at(None, "GET", &form_path, t, None).await;
    assert_eq!(form.status, 404, "a draft's form: {}", form.text());
    let early = c.submit(&c1, survey, &yes, Some(c.a), t + 1).await;
    assert!(early.status == 404 || early.status == 409, "answering a draft is refused: {}", early.text());
    assert_eq!(c.stored_responses(), 0);

    // Act: a draft may be rewritten
    let mut rewritten = c.simple_body(c.institute, "社区服务满意度调查");
    rewritten["sections"][0]["questions"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "key": "wish", "type": "short_text", "title": "最希望增加的服务" }));
    let put = c.put(&admin, survey, &rewritten, t + 2).await;

    // Assert
    assert_eq!(put.status, 200, "PUT on a draft: {}", put.text());
    let draft = c.detail(&admin, survey, t + 3).await;
    assert_eq!(draft["title"], "社区服务满意度调查", "{draft}");
    assert_eq!(draft["sections"][0]["questions"].as_array().map(Vec::len), Some(2), "{draft}");

    // Act: publish
    let published = c.act(&admin, survey, "publish", t + 10).await;

    // Assert
    assert_eq!(published.status, 200, "{}", published.text());
    let published = published.json();
    assert_eq!(published["status"], "published", "{published}");
    assert_eq!(published["accepting"], true, "{published}");
    assert_eq!(unix_of(published["published_at"].as_str().expect("published_at")), t + 10);
    let twice = c.act(&admin, survey, "publish", t + 11).await;
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert_eq!(twice.error_code(), "wrong_state", "{}", twice.text());
    assert!(error_message(&twice).contains("published"), "the message names the state: {}", twice.text());
    // The public form, no session needed
    let form = c.at(None, "GET", &form_path, t + 12, None).await;
    assert_eq!(form.status, 200, "{}", form.text());
    let form = form.json();
    assert_eq!(form["id"], survey, "{form}");
    assert_eq!(form["title"], "社区服务满意度调查", "{form}");
    assert_eq!(form["status"], "published", "{form}");
    assert_eq!(form["accepting"], true, "{form}");
    assert_eq!(form["audience"], "residents", "{form}");
    assert_eq!(form["anonymous"], false, "{form}");
    assert_eq!(form["one_per"], "person", "{form}");
    assert!(
        form["org"] == "城关镇新时代文明实践所" || form["org"]["name"] == "城关镇新时代文明实践所",
        "the org's name: {form}"
    );
    let form_keys: Vec<&str> = form["sections"][0]["questions"]
        .as_array()
        .unwrap_or_else(|| panic!("form sections: {form}"))
        .iter()
        .map(|q| q["key"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(form_keys, vec!["satisfied", "wish"]);
    assert_eq!(form["sections"][0]["questions"][0]["options"][1]["label"], "否", "{form}");

    // Act: a published survey's questions never change
    let before = c.detail(&admin, survey, t + 13).await;
    let mut changed = rewritten.clone();
    changed["title"] = json!("改过的标题");
    changed["sections"][0]["questions"][0]["options"] = choices(&[("a", "很满意"), ("b", "不满意")]);
    let put = c.put(&admin, survey, &changed, t + 14).await;

    // Assert
    assert_eq!(put.status, 409, "{}", put.text());
    assert_eq!(put.error_code(), "wrong_state", "{}", put.text());
    let after = c.detail(&admin, survey, t + 15).await;
    assert_eq!(after["title"], before["title"]);
    assert_eq!(after["sections"], before["sections"]);

    // Act: answered while open, then closed
    c.answered(&c1, survey, &yes, Some(c.a), t + 20).await;
    let closed = c.act(&admin, survey, "close", t + 30).await;

    // Assert
    assert_eq!(closed.status, 200, "{}", closed.text());
    let closed = closed.json();
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["accepting"], false, "{closed}");
    assert_eq!(closed["responses"], 1, "{closed}");
    assert_eq!(unix_of(closed["closed_at"].as_str().expect("closed_at")), t + 30);
    let late = c.submit(&c2, survey, &yes, Some(c.a), t + 40).await;
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.error_code(), "not_accepting", "{}", late.text());
    assert_eq!(c.stored_responses(), 1, "nothing stored after the close");
    for action in ["close", "publish"] {
        let reply = c.act(&admin, survey, action, t + 50).await;
        assert_eq!(reply.status, 409, "{action} of a closed survey: {}", reply.text());
        assert_eq!(reply.error_code(), "wrong_state", "{}", reply.text());
        assert!(error_message(&reply).contains("closed"), "the message names the state: {}", reply.text());
    }
    let put = c.put(&admin, survey, &changed, t + 51).await;
    assert_eq!(put.status, 409, "{}", put.text());
    assert_eq!(put.error_code(), "wrong_state", "{}", put.text());
    let form = c.at(None, "GET", &form_path, t + 52, None).await;
    assert_eq!(form.status, 200, "{}", form.text());
    assert_eq!(form.json()["status"], "closed");
    assert_eq!(form.json()["accepting"], false);
    assert_eq!(c.detail(&admin, survey, t + 53).await["title"], "社区服务满意度调查");

    // Assert: one audit row per write that happened, none for the refused ones
    for action in ["survey.create", "survey.update", "survey.publish", "survey.close"] {
        let rows = c.audit_entries(action, survey).await;
        assert_eq!(rows.len(), 1, "{action} audited once: {rows:?}");
    }
}

#[tokio::test]
async fn answers_are_taken_from_opens_at_until_closes_at_by_the_request_clock() {
    // Arrange: open from t0 + 1 h until t0 + 1 day
    let c = county().await;
    let t = c.t0;
    let admin = c.inst_admin.token.clone();
    let mut body = c.simple_body(c.institute, "周末活动意向调查");
    body["opens_at"] = json!(shanghai_rfc3339(t + HOUR));
    body["closes_at"] = json!(shanghai_rfc3339(t + DAY));
    let survey = c.draft(&admin, &body).await;
    let published = c.publish(&admin, survey).await;
    let people = [c.citizen(1).await, c.citizen(2).await, c.citizen(3).await];
    let yes = json!({ "satisfied": "yes" });

    // Assert: published but not yet open
    assert_eq!(published["status"], "published", "{published}");
    assert_eq!(published["accepting"], false, "before opens_at: {published}");

    // Act + Assert: one second before opening, at opening, one second before closing, at closing
    let before = c.submit(&people[0], survey, &yes, Some(c.a), t + HOUR - 1).await;
    assert_eq!(before.status, 409, "{}", before.text());
    assert_eq!(before.error_code(), "not_accepting", "{}", before.text());
    c.answered(&people[0], survey, &yes, Some(c.a), t + HOUR).await;
    c.answered(&people[1], survey, &yes, Some(c.b), t + DAY - 1).await;
    let after = c.submit(&people[2], survey, &yes, Some(c.a), t + DAY).await;
    assert_eq!(after.status, 409, "{}", after.text());
    assert_eq!(after.error_code(), "not_accepting", "{}", after.text());
    assert_eq!(c.stored_responses(), 2);

    // Assert: it closed itself
    let open = c.detail(&admin, survey, t + DAY - 1).await;
    assert_eq!(open["status"], "published", "{open}");
    assert_eq!(open["accepting"], true, "{open}");
    let past = c.detail(&admin, survey, t + DAY).await;
    assert_eq!(past["status"], "closed", "past closes_at it is shown closed: {past}");
    assert_eq!(past["accepting"], false, "{past}");
    let form = c.at(None, "GET", &format!("/api/v1/surveys/{survey}/form"), t + DAY + MINUTE, None).await;
    assert_eq!(form.status, 200, "{}", form.text());
    assert_eq!(form.json()["accepting"], false);

    // Act: publishing a draft whose closes_at has passed
    let mut stale = c.simple_body(c.institute, "过期的调查");
    stale["opens_at"] = json!(shanghai_rfc3339(t - 2 * HOUR));
    stale["closes_at"] = json!(shanghai_rfc3339(t + HOUR));
    let stale = c.draft(&admin, &stale).await;
    let reply = c.act(&admin, stale, "publish", t + 2 * HOUR).await;

    // Assert
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(reply.error_field(), "closes_at", "{}", reply.text());
    assert_eq!(c.detail(&admin, stale, t + 2 * HOUR).await["status"], "draft");
    assert!(c.audit_entries("survey.publish", stale).await.is_empty(), "a refused publish is not audited");
}

// ---- 7. Targeting --------------------------------------------------------------------------------

#[tokio::test]
async fn only_people_living_in_the_subtree_answer_and_a_volunteers_survey_only_volunteers() {
    // Arrange: a residents survey at station A; a volunteers survey at the institute
    let c = county().await;
    let t = c.t0;
    let at_a = c.published(&c.admin_a.token, &c.simple_body(c.a, "东街社区居民需求调查")).await;
    let mut volunteers_body = c.simple_body(c.institute, "城关镇志愿者需求调查");
    volunteers_body["audience"] = json!("volunteers");
    let for_volunteers = c.published(&c.inst_admin.token, &volunteers_body).await;
    let c1 = c.citizen(1).await;
    let c2 = c.citizen(2).await;
    let v_a = c.volunteer(1, c.a).await;
    let v_b = c.volunteer(2, c.b).await;
    let v_d = c.volunteer(3, c.d).await;
    let yes = json!({ "satisfied": "yes" });

    // Act + Assert: residents — the org a citizen gives must lie under A
    for (what, org) in
        [("station B", c.b), ("station D of another institute", c.d), ("the institute above A", c.institute)]
    {
        let reply = c.submit(&c1, at_a, &yes, Some(org), t + 1).await;
        assert_eq!(reply.status, 403, "a citizen of {what}: {}", reply.text());
        assert_eq!(reply.error_code(), "outside_audience", "{what}: {}", reply.text());
    }
    let nowhere = c.submit(&c2, at_a, &yes, None, t + 2).await;
    assert!(
        nowhere.status == 403 || nowhere.status == 422,
        "a citizen who says nothing of where they live is refused: {}",
        nowhere.text()
    );
    let v_outside = c.submit(&v_b, at_a, &yes, None, t + 3).await;
    assert_eq!(v_outside.status, 403, "a volunteer living at B: {}", v_outside.text());
    assert_eq!(v_outside.error_code(), "outside_audience", "{}", v_outside.text());
    let v_claims_a = c.submit(&v_b, at_a, &yes, Some(c.a), t + 3).await;
    assert_eq!(v_claims_a.status, 422, "a volunteer at home in B naming A: {}", v_claims_a.text());
    assert_eq!(v_claims_a.error_field(), "org_id", "{}", v_claims_a.text());
    assert_eq!(c.stored_responses(), 0, "refusals store nothing");
    c.answered(&c1, at_a, &yes, Some(c.a), t + 4).await;
    c.answered(&v_a, at_a, &yes, None, t + 5).await;
    let unsigned = c
        .at(
            None,
            "POST",
            &format!("/api/v1/surveys/{at_a}/responses"),
            t + 6,
            Some(&json!({ "answers": yes, "org_id": c.a })),
        )
        .await;
    assert_eq!(unsigned.status, 401, "answering needs a session: {}", unsigned.text());

    // Act + Assert: volunteers only
    let citizen = c.submit(&c2, for_volunteers, &yes, Some(c.a), t + 7).await;
    assert_eq!(citizen.status, 403, "a plain citizen: {}", citizen.text());
    assert_eq!(citizen.error_code(), "outside_audience", "{}", citizen.text());
    let far = c.submit(&v_d, for_volunteers, &yes, None, t + 8).await;
    assert_eq!(far.status, 403, "a volunteer of another institute: {}", far.text());
    assert_eq!(far.error_code(), "outside_audience", "{}", far.text());
    c.answered(&v_a, for_volunteers, &yes, None, t + 9).await;
    c.answered(&v_b, for_volunteers, &yes, None, t + 10).await;

    // Assert: stored where they live
    assert_eq!(c.stored_responses(), 4);
    let results = c.results(&c.admin_a.token, at_a, None).await;
    assert_eq!(results["responses"], 2, "{results}");
    assert_eq!(station_responses(&results, c.a), 2, "{results}");
    let results = c.results(&c.inst_admin.token, for_volunteers, None).await;
    assert_eq!(results["responses"], 2, "{results}");
    assert_eq!(station_responses(&results, c.a), 1, "the volunteer at home in A: {results}");
    assert_eq!(station_responses(&results, c.b), 1, "the volunteer at home in B: {results}");
}

#[tokio::test]
async fn moving_ones_home_after_a_survey_is_published_neither_lets_one_in_nor_shuts_one_out() {
    // Arrange: a volunteer at home in B and one at home in A; a residents survey at A, published.
    let c = county().await;
    let t = c.t0;
    let from_b = c.volunteer(1, c.b).await;
    let from_a = c.volunteer(2, c.a).await;
    let at_a = c.published(&c.admin_a.token, &c.simple_body(c.a, "东街社区居民需求调查")).await;
    let yes = json!({ "satisfied": "yes" });
    let volunteer_id =
        |p: &Person| -> i64 { scalar(&c.edge, "SELECT id FROM volunteers WHERE account_id = ?1", [p.account_id]) };

    // Act: each moves their own home across (B → A, A → B) after publication, then answers.
    for (who, to) in [(&from_b, c.a), (&from_a, c.b)] {
        let path = format!("/api/v1/volunteers/{}", volunteer_id(who));
        let moved = c.edge.patch_as(&who.token, &path, &json!({ "home_org_id": to })).await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
    let mover_in = c.submit(&from_b, at_a, &yes, None, t + 5).await;
    let mover_out = c.submit(&from_a, at_a, &yes, None, t + 6).await;

    // Assert: each is counted where they lived when the survey was published; the history of
    // homes was recorded by the move itself.
    assert_eq!(mover_in.status, 403, "moved into A after publication: {}", mover_in.text());
    assert_eq!(mover_in.error_code(), "outside_audience", "{}", mover_in.text());
    assert_eq!(mover_out.status, 201, "lived in A when it was published: {}", mover_out.text());
    assert_eq!(c.stored_responses(), 1);
    let results = c.results(&c.admin_a.token, at_a, None).await;
    assert_eq!(station_responses(&results, c.a), 1, "counted at A, where they lived: {results}");
    let homes = count(&c.edge, "SELECT count(*) FROM volunteer_homes WHERE volunteer_id = ?1", [volunteer_id(&from_b)]);
    assert_eq!(homes, 2, "registration and the move");
}

#[tokio::test]
async fn answers_from_a_practice_point_are_counted_at_the_station_above_it() {
    // Arrange: a practice point (点) under station A; a county survey; three citizens.
    let c = county().await;
    let t = c.t0;
    let point = c
        .edge
        .post_as(&c.admin, "/api/v1/orgs", &json!({ "parent_id": c.a, "name": "东街文化广场实践点", "level": "point" }))
        .await;
    assert_eq!(point.status, 201, "{}", point.text());
    let point = id(&point.json());
    let survey = c.published(&c.admin, &c.simple_body(c.centre, "全县居民需求调查")).await;
    let yes = json!({ "satisfied": "yes" });
    c.answered(&c.citizen(1).await, survey, &yes, Some(point), t + 1).await;
    c.answered(&c.citizen(2).await, survey, &yes, Some(c.a), t + 2).await;
    c.answered(&c.citizen(3).await, survey, &yes, Some(c.institute), t + 3).await;

    // Act
    let results = c.results(&c.admin, survey, None).await;

    // Assert: the point's answer is A's; the institute-level answer keeps a row of its own.
    assert_eq!(results["responses"], 3, "{results}");
    assert_eq!(station_responses(&results, c.a), 2, "{results}");
    assert_eq!(station_responses(&results, point), 0, "no row for the point: {results}");
    assert_eq!(station_responses(&results, c.institute), 1, "{results}");
    assert_eq!(results["by_station"].as_array().map(Vec::len), Some(2), "{results}");
}

// ---- 8. Staff scoping --------------------------------------------------------------------------------

#[tokio::test]
async fn staff_see_surveys_only_in_their_subtree_and_an_auditor_reads_results_but_never_writes() {
    // Arrange: a published survey at A, a draft at B, a draft at the institute
    let c = county().await;
    let t = c.t0;
    let at_a = c.published(&c.admin_a.token, &c.simple_body(c.a, "东街社区居民需求调查")).await;
    let at_b = c.draft(&c.admin_b.token, &c.simple_body(c.b, "西街社区居民需求调查")).await;
    let mut two_questions = c.simple_body(c.institute, "城关镇需求调查");
    two_questions["sections"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "title": "补充", "questions": [yes_no("again", "愿意再参加调查吗", false)] }));
    let at_institute = c.draft(&c.inst_admin.token, &two_questions).await;
    let citizen = c.citizen(1).await;
    c.answered(&citizen, at_a, &json!({ "satisfied": "yes" }), Some(c.a), t + 1).await;

    // Act + Assert: B's admin sees nothing of A's survey
    let b = &c.admin_b.token;
    for path in [
        format!("/api/v1/surveys/{at_a}"),
        format!("/api/v1/surveys/{at_a}/results"),
        format!("/api/v1/surveys/{at_a}/results/texts?question=satisfied"),
        format!("/api/v1/surveys/{at_a}/responses.csv"),
        format!("/api/v1/surveys/{at_a}/links"),
    ] {
        let reply = c.get(b, &path, t + 2).await;
        assert_eq!(reply.status, 404, "GET {path} by B's admin: {}", reply.text());
    }
    for action in ["publish", "close"] {
        let reply = c.act(b, at_a, action, t + 3).await;
        assert_eq!(reply.status, 404, "{action} by B's admin: {}", reply.text());
    }
    let put = c.put(b, at_a, &c.simple_body(c.a, "被改掉的标题"), t + 4).await;
    assert_eq!(put.status, 404, "PUT by B's admin: {}", put.text());
    assert_eq!(c.list_ids(b, "").await, vec![at_b], "B's admin lists only B's survey");
    // …and A's admin sees nothing above A
    let above = c.get(&c.admin_a.token, &format!("/api/v1/surveys/{at_institute}"), t + 5).await;
    assert_eq!(above.status, 404, "the institute's survey by A's admin: {}", above.text());
    assert_eq!(c.list_ids(&c.admin_a.token, "").await, vec![at_a]);
    // …while the institute admin sees all three, still as they were
    assert_eq!(c.list_ids(&c.inst_admin.token, "").await, vec![at_a, at_b, at_institute]);
    let a_survey = c.detail(&c.inst_admin.token, at_a, t + 6).await;
    assert_eq!(a_survey["title"], "东街社区居民需求调查");
    assert_eq!(a_survey["status"], "published");
    assert_eq!(a_survey["responses"], 1);
    // B's admin cannot create a survey at A
    let refused = c.create(b, &c.simple_body(c.a, "越权的调查")).await;
    assert!(refused.status == 403 || refused.status == 404, "creating outside one's subtree: {}", refused.text());

    // Act + Assert: the auditor reads everything, writes nothing
    let auditor = &c.auditor.token;
    assert_eq!(c.list_ids(auditor, "").await, vec![at_a, at_b, at_institute]);
    let results = c.results(auditor, at_a, None).await;
    assert_eq!(results["responses"], 1, "{results}");
    let csv = c.get(auditor, &format!("/api/v1/surveys/{at_a}/responses.csv"), t + 7).await;
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(c.get(auditor, &format!("/api/v1/surveys/{at_a}/links"), t + 7).await.status, 200);
    let create = c.create(auditor, &c.simple_body(c.institute, "审计员的调查")).await;
    assert_eq!(create.status, 403, "an auditor cannot create: {}", create.text());
    let publish = c.act(auditor, at_institute, "publish", t + 8).await;
    assert_eq!(publish.status, 403, "an auditor cannot publish: {}", publish.text());
    let close = c.act(auditor, at_a, "close", t + 8).await;
    assert_eq!(close.status, 403, "an auditor cannot close: {}", close.text());
    let put = c.put(auditor, at_b, &c.simple_body(c.b, "审计员改的"), t + 9).await;
    assert_eq!(put.status, 403, "an auditor cannot edit: {}", put.text());
    assert_eq!(
        c.list_ids(&c.admin, "").await,
        vec![at_a, at_b, at_institute],
        "no survey was created by the refused calls"
    );
    assert_eq!(c.detail(&c.admin, at_institute, t + 10).await["status"], "draft");
    assert_eq!(c.detail(&c.admin, at_a, t + 10).await["status"], "published");
    assert_eq!(c.detail(&c.admin, at_b, t + 10).await["title"], "西街社区居民需求调查");

    // Act + Assert: a citizen holds neither permission
    let list = c.get(&citizen.token, "/api/v1/surveys", t + 11).await;
    assert_eq!(list.status, 403, "{}", list.text());
    let results = c.get(&citizen.token, &format!("/api/v1/surveys/{at_a}/results"), t + 11).await;
    assert_eq!(results.status, 403, "{}", results.text());

    // Act + Assert: list filters, page size and item shape
    assert_eq!(c.list_ids(&c.admin, "status=draft").await, vec![at_b, at_institute]);
    assert_eq!(c.list_ids(&c.admin, "status=published").await, vec![at_a]);
    assert_eq!(c.list_ids(&c.admin, &format!("under={}", c.b)).await, vec![at_b]);
    assert_eq!(c.list_ids(&c.admin, &format!("under={}", c.d)).await, Vec::<i64>::new());
    let page = c.get_ok(&c.admin, "/api/v1/surveys?limit=2", t + 12).await;
    assert_eq!(entries(&page).iter().map(id).collect::<Vec<_>>(), vec![at_a, at_b]);
    let next = match &page["next_cursor"] {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        other => panic!("a full page has a next_cursor: {other}"),
    };
    let rest = c.get_ok(&c.admin, &format!("/api/v1/surveys?limit=2&cursor={next}"), t + 12).await;
    assert_eq!(entries(&rest).iter().map(id).collect::<Vec<_>>(), vec![at_institute]);
    let item = entries(&page).into_iter().next().unwrap();
    assert!(item.get("sections").is_none(), "list items carry no sections: {item}");
    assert_eq!(item["questions"], 1, "{item}");
    let item = entries(&rest).into_iter().next().unwrap();
    assert_eq!(item["questions"], 2, "two questions over two sections: {item}");
}

// ---- 9. CSV export --------------------------------------------------------------------------------

#[tokio::test]
async fn the_csv_has_one_row_per_response_masked_phones_only_when_identified_and_defused_formulas() {
    // Arrange: the identified results survey, and an anonymous survey answered by the same people
    let c = county().await;
    let (survey, people) = answered_results_survey(&c, false).await;
    let mut anonymous_body = c.body(c.institute, "匿名意见征集", results_sections());
    anonymous_body["anonymous"] = json!(true);
    let anonymous = c.published(&c.inst_admin.token, &anonymous_body).await;
    for (i, who) in people.iter().take(2).enumerate() {
        let answers = json!({ "age_group": "senior", "needs": ["meals"], "satisfaction": 3,
                              "suggestion": format!("匿名建议{i}") });
        c.answered(who, anonymous, &answers, Some(c.a), c.t0 + 20 + i as i64).await;
    }

    // Act
    let csv = c.get(&c.inst_admin.token, &format!("/api/v1/surveys/{survey}/responses.csv"), c.t0 + MINUTE).await;
    let anon_csv =
        c.get(&c.inst_admin.token, &format!("/api/v1/surveys/{anonymous}/responses.csv"), c.t0 + MINUTE).await;

    // Assert: identified — the columns, one row per response, masked phones
    assert_eq!(csv.status, 200, "{}", csv.text());
    let text = csv.text();
    let rows = parse_csv(&text);
    let mut expected_header = vec!["response_id", "submitted_at", "org", "respondent", "phone"];
    expected_header.extend(RESULTS_KEYS);
    assert_eq!(rows[0], expected_header, "the header");
    assert_eq!(rows.len(), 7, "a header and six responses: {text}");
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    for who in &people {
        assert!(!text.contains(&who.phone), "the whole phone {} never appears: {text}", who.phone);
    }
    let row_of = |who: &Person| row_with(&rows, col("phone"), &mask_phone(&who.phone));
    // citizen 1: 老年; 助餐;健康义诊; 2; 公交; 5; meals=good;clinic=ok; 2026-03-01; text
    let r1 = row_of(&people[0]);
    assert_eq!(r1[col("phone")], "158****0001");
    assert_eq!(r1[col("org")], STATION_A, "{r1:?}");
    assert!(!r1[col("response_id")].is_empty() && !r1[col("submitted_at")].is_empty(), "{r1:?}");
    assert_eq!(r1[col("age_group")], "老年", "choices as labels: {r1:?}");
    let mut needs: Vec<&str> = r1[col("needs")].split(';').collect();
    needs.sort();
    let mut expected_needs = vec!["助餐", "健康义诊"];
    expected_needs.sort();
    assert_eq!(needs, expected_needs, "labels joined with ';': {r1:?}");
    assert_num(&json!(r1[col("household_size")].parse::<f64>().unwrap_or(-1.0)), 2.0, "household_size cell");
    assert_eq!(r1[col("transport")], "公交");
    assert_eq!(r1[col("satisfaction")], "5");
    let services = &r1[col("services")];
    assert!(
        services == "meals=good;clinic=ok" || services == "助餐点=满意;卫生室=一般",
        "a matrix as row=column;…: {services}"
    );
    assert_eq!(r1[col("visit_date")], "2026-03-01");
    assert_eq!(r1[col("suggestion")], "希望增加助餐点");
    // the volunteer: lives at A, left services and suggestion blank
    let rv = row_of(&people[3]);
    assert_eq!(rv[col("org")], STATION_A, "{rv:?}");
    assert_eq!(rv[col("services")], "", "{rv:?}");
    assert_eq!(rv[col("suggestion")], "", "{rv:?}");
    // citizen 4: at B; the text that starts with '=' is defused
    let r4 = row_of(&people[4]);
    assert_eq!(r4[col("org")], STATION_B, "{r4:?}");
    let cell = &r4[col("suggestion")];
    assert!(cell.contains("=1+1 法律咨询"), "the text is kept: {cell}");
    assert!(!cell.starts_with('='), "a spreadsheet must not run it as a formula: {cell:?}");
    let mut response_ids: Vec<&String> = rows[1..].iter().map(|r| &r[col("response_id")]).collect();
    response_ids.sort();
    response_ids.dedup();
    assert_eq!(response_ids.len(), 6, "six distinct responses");

    // Assert: anonymous — no personal columns, no personal data
    assert_eq!(anon_csv.status, 200, "{}", anon_csv.text());
    let anon_text = anon_csv.text();
    let anon_rows = parse_csv(&anon_text);
    let mut anon_header = vec!["response_id", "submitted_at", "org"];
    anon_header.extend(RESULTS_KEYS);
    assert_eq!(anon_rows[0], anon_header, "no respondent or phone columns");
    assert_eq!(anon_rows.len(), 3, "a header and two responses: {anon_text}");
    for who in people.iter().take(2) {
        assert!(!anon_text.contains(&who.phone), "{anon_text}");
        assert!(!anon_text.contains(&mask_phone(&who.phone)), "not even masked: {anon_text}");
        if !who.name.is_empty() {
            assert!(!anon_text.contains(&who.name), "no names: {anon_text}");
        }
    }
    let suggestions: Vec<&str> = anon_rows[1..].iter().map(|r| r[anon_header.len() - 1].as_str()).collect();
    assert!(suggestions.contains(&"匿名建议0") && suggestions.contains(&"匿名建议1"), "{anon_text}");
    // …nor in the text answers
    let texts = c
        .get_ok(
            &c.inst_admin.token,
            &format!("/api/v1/surveys/{anonymous}/results/texts?question=suggestion"),
            c.t0 + MINUTE,
        )
        .await;
    let rendered = texts.to_string();
    for who in people.iter().take(2) {
        assert!(!rendered.contains(&mask_phone(&who.phone)) && !rendered.contains(&who.phone), "{rendered}");
    }
    assert_eq!(entries(&texts).len(), 2, "{texts}");
}

// ---- 10. Links from needs to work --------------------------------------------------------------------

/// A welfare item on the service menu (201): its id.
async fn menu_item(c: &SurveyCounty, category: &str, name: &str) -> i64 {
    c.menu_item(category, name, "welfare", (DAY, 4 * HOUR, HOUR)).await
}

/// A demand for `item` at `org` ordered by `who` (201): its id.
async fn demand(c: &SurveyCounty, who: &Person, item: i64, org: i64) -> i64 {
    let body = json!({
        "menu_item_id": item,
        "org_id": org,
        "description": "独居老人行动不便，希望每天有人送午餐",
        "address": "东街社区12号楼3单元",
        "urgency": "normal",
        "contact_name": "张阿姨",
        "contact_phone": who.phone,
    });
    id(&c.order(who, &body, None).await)
}

#[tokio::test]
async fn what_linked_answers_asked_for_counts_per_service_category_on_the_dashboard_once_per_response() {
    // Arrange: the results survey (needs: c1 meals+health, c2 meals, c3 health+culture,
    // v1 culture, c4 meals+legal, c5 meals; c4 and c5 live at B), with 助餐 and 法律咨询 linked to
    // two 助老 items and 健康义诊 to a 健康 item; 文化活动 is linked to nothing.
    let c = county().await;
    let t = c.t0;
    let meals = menu_item(&c, "助老", "助餐服务").await;
    let legal = menu_item(&c, "助老", "老年法律援助").await;
    let health = menu_item(&c, "健康", "健康义诊").await;
    let (survey, _) = answered_results_survey(&c, false).await;
    let links_path = format!("/api/v1/surveys/{survey}/links");
    for (option, item) in [("meals", meals), ("legal", legal), ("health", health)] {
        let body = json!({ "question": "needs", "option": option, "target": "service_menu_item", "target_id": item });
        let made = c.at(Some(&c.inst_admin.token), "POST", &links_path, t + 100, Some(&body)).await;
        assert_eq!(made.status, 201, "{}", made.text());
    }
    let day = domain::Date::of(t).to_string();
    let path = format!("/api/v1/dashboard/categories?from={day}&to={day}");

    // Act
    let centre = c.at(Some(&c.admin), "GET", &path, t + 200, None).await;
    let at_b = c.at(Some(&c.admin_b.token), "GET", &path, t + 200, None).await;

    // Assert (categories in code-point order, 健 before 助): 助老 is asked for by c1, c2, c4 (once, though two of her options point there) and
    // c5; 健康 by c1 and c3. Station B sees only its residents, c4 and c5.
    assert_eq!(centre.status, 200, "{}", centre.text());
    let centre = centre.json();
    assert_eq!(centre["survey_responses"], 6, "{centre}");
    assert_eq!(
        centre["items"],
        json!([
            { "category": "健康", "activities": 0, "activity_share": null, "orders": 0, "order_share": null,
              "survey_responses": 2, "survey_share": 33.3 },
            { "category": "助老", "activities": 0, "activity_share": null, "orders": 0, "order_share": null,
              "survey_responses": 4, "survey_share": 66.7 },
        ])
    );
    assert_eq!(at_b.status, 200, "{}", at_b.text());
    let at_b = at_b.json();
    assert_eq!(at_b["survey_responses"], 2, "{at_b}");
    assert_eq!(at_b["items"][0]["category"], "助老", "{at_b}");
    assert_eq!(at_b["items"][0]["survey_responses"], 2, "{at_b}");
    assert_eq!(at_b["items"][0]["survey_share"], 100.0, "{at_b}");
    // The day after: nothing was submitted then.
    let next = domain::Date::of(t + DAY).to_string();
    let later = c
        .at(Some(&c.admin), "GET", &format!("/api/v1/dashboard/categories?from={next}&to={next}"), t + DAY, None)
        .await;
    assert_eq!(later.json()["survey_responses"], 0, "{}", later.text());
}

#[tokio::test]
async fn an_option_links_to_the_demand_or_menu_item_it_caused_and_links_follow_the_targets_title_and_status() {
    // Arrange
    let c = county().await;
    let t = c.t0;
    let meals = menu_item(&c, "助老", "助餐服务").await;
    // (citizens 1–5 answer the results survey below)
    let resident = c.citizen(11).await;
    let far_resident = c.citizen(12).await;
    let demand_at_a = demand(&c, &resident, meals, c.a).await;
    let demand_at_d = demand(&c, &far_resident, meals, c.d).await;
    let (survey, _) = answered_results_survey(&c, false).await;
    let admin = c.inst_admin.token.clone();
    let links_path = format!("/api/v1/surveys/{survey}/links");
    let link = |target: &str, target_id: i64| {
        json!({ "question": "needs", "option": "meals", "target": target, "target_id": target_id,
                "note": "三分之二的居民需要助餐" })
    };

    // Act
    let to_menu = c.at(Some(&admin), "POST", &links_path, t + 100, Some(&link("service_menu_item", meals))).await;
    let to_demand = c.at(Some(&admin), "POST", &links_path, t + 101, Some(&link("demand", demand_at_a))).await;

    // Assert: the links as made
    assert_eq!(to_menu.status, 201, "{}", to_menu.text());
    let to_menu = to_menu.json();
    assert!(to_menu["id"].is_i64(), "{to_menu}");
    assert_eq!(to_menu["question"], "needs", "{to_menu}");
    assert_eq!(to_menu["option"], "meals", "{to_menu}");
    assert_eq!(to_menu["target"], "service_menu_item", "{to_menu}");
    assert_eq!(to_menu["target_id"], meals, "{to_menu}");
    assert_eq!(to_menu["note"], "三分之二的居民需要助餐", "{to_menu}");
    assert!(to_menu["title"].as_str().unwrap_or_default().contains("助餐服务"), "the item's name: {to_menu}");
    assert_eq!(to_demand.status, 201, "{}", to_demand.text());
    let to_demand = to_demand.json();
    assert_eq!(to_demand["target"], "demand", "{to_demand}");
    assert_eq!(to_demand["target_id"], demand_at_a, "{to_demand}");
    assert_eq!(to_demand["status"], "submitted", "the demand's status: {to_demand}");
    assert!(!to_demand["title"].as_str().unwrap_or_default().is_empty(), "a title: {to_demand}");

    // Act + Assert: refused links
    let refusals: Vec<(&str, Json, u16, &str)> = vec![
        ("the same link twice", link("service_menu_item", meals), 409, "duplicate"),
        ("a menu item that does not exist", link("service_menu_item", 999_999), 422, "target_id"),
        ("a demand that does not exist", link("demand", 999_999), 422, "target_id"),
        ("a demand outside the caller's scope", link("demand", demand_at_d), 422, "target_id"),
        (
            "an unknown question",
            json!({ "question": "nope", "target": "demand", "target_id": demand_at_a }),
            422,
            "question",
        ),
        (
            "an option the question lacks",
            json!({ "question": "needs", "option": "karaoke", "target": "demand", "target_id": demand_at_a }),
            422,
            "option",
        ),
    ];
    for (i, (what, body, status, code_or_field)) in refusals.iter().enumerate() {
        let reply = c.at(Some(&admin), "POST", &links_path, t + 110 + i as i64, Some(body)).await;
        assert_eq!(reply.status, *status, "{what}: {}", reply.text());
        if *status == 409 {
            assert_eq!(reply.error_code(), *code_or_field, "{what}: {}", reply.text());
        } else {
            assert_eq!(reply.error_field(), *code_or_field, "{what}: {}", reply.text());
        }
    }
    let by_auditor =
        c.at(Some(&c.auditor.token), "POST", &links_path, t + 120, Some(&link("demand", demand_at_a))).await;
    assert_eq!(by_auditor.status, 403, "an auditor cannot link: {}", by_auditor.text());
    let by_b = c.at(Some(&c.admin_b.token), "POST", &links_path, t + 121, Some(&link("demand", demand_at_a))).await;
    assert_eq!(by_b.status, 404, "B's admin does not see the institute's survey: {}", by_b.text());

    // Assert: exactly the two links, on the needs question only, audited
    let listed = entries(&c.get_ok(&c.auditor.token, &links_path, t + 130).await);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let results = c.results(&admin, survey, None).await;
    let needs_links = question(&results, "needs")["links"].as_array().cloned().unwrap_or_default();
    assert_eq!(needs_links.len(), 2, "the needs question shows its work: {results}");
    let mut targets: Vec<(String, i64)> = needs_links
        .iter()
        .map(|l| (l["target"].as_str().unwrap_or_default().to_owned(), l["target_id"].as_i64().unwrap_or_default()))
        .collect();
    targets.sort();
    assert_eq!(targets, vec![("demand".to_owned(), demand_at_a), ("service_menu_item".to_owned(), meals)]);
    assert_eq!(question(&results, "age_group")["links"], json!([]), "{results}");
    assert_eq!(c.audit_entries("survey.link", survey).await.len(), 2, "one audit row per link made");

    // Act: the work moves on — the item is renamed, the demand cancelled
    let renamed =
        c.edge.patch_as(&c.admin, &format!("/api/v1/service-menu/{meals}"), &json!({ "name": "老年助餐配送" })).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let cancelled = c
        .edge
        .post_as(
            &resident.token,
            &format!("/api/v1/demands/{demand_at_a}/cancel"),
            &json!({ "reason": "已有亲属照顾" }),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    let listed = entries(&c.get_ok(&admin, &links_path, t + 140).await);

    // Assert: the links show the targets as they are now
    let find = |target: &str| {
        listed.iter().find(|l| l["target"] == target).unwrap_or_else(|| panic!("no {target} link in {listed:?}"))
    };
    assert!(
        find("service_menu_item")["title"].as_str().unwrap_or_default().contains("老年助餐配送"),
        "the item's current name: {listed:?}"
    );
    assert_eq!(find("demand")["status"], "cancelled", "the demand's current status: {listed:?}");
    assert_eq!(find("demand")["question"], "needs");
    assert_eq!(find("demand")["option"], "meals");
}

// ---- The scheduler's job ---------------------------------------------------------------------------

#[tokio::test]
async fn the_window_job_opens_and_closes_a_survey_at_its_times_once_each() {
    // Arrange: published now, opening in an hour, closing in two days
    let c = county().await;
    let t = c.t0;
    let mut body = c.simple_body(c.a, "按时开放的调查");
    body["opens_at"] = json!(shanghai_rfc3339(t + HOUR));
    body["closes_at"] = json!(shanghai_rfc3339(t + 2 * DAY));
    let survey = c.published(&c.admin, &body).await;
    let stored = |c: &SurveyCounty| {
        open_db(&c.edge.db_path())
            .query_row("SELECT status, opened_at, closed_at FROM surveys WHERE id = ?1", [survey], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<i64>>(2)?))
            })
            .unwrap()
    };

    // Act and assert: before opening nothing; at opening, opened once; at closing, closed once
    let before = c.edge.job_ok("survey-windows", t + HOUR - 60).await;
    assert_eq!((before["opened"].as_i64(), before["closed"].as_i64()), (Some(0), Some(0)), "{before}");
    assert_eq!(stored(&c), ("published".to_owned(), None, None));

    let opened = c.edge.job_ok("survey-windows", t + HOUR + 1).await;
    let again = c.edge.job_ok("survey-windows", t + HOUR + 2).await;
    assert_eq!((opened["opened"].as_i64(), opened["closed"].as_i64()), (Some(1), Some(0)), "{opened}");
    assert_eq!((again["opened"].as_i64(), again["closed"].as_i64()), (Some(0), Some(0)), "{again}");
    assert_eq!(stored(&c), ("published".to_owned(), Some(t + HOUR), None));

    let closed = c.edge.job_ok("survey-windows", t + 2 * DAY + 1).await;
    let after = c.edge.job_ok("survey-windows", t + 2 * DAY + 2).await;
    assert_eq!((closed["opened"].as_i64(), closed["closed"].as_i64()), (Some(0), Some(1)), "{closed}");
    assert_eq!((after["opened"].as_i64(), after["closed"].as_i64()), (Some(0), Some(0)), "{after}");
    assert_eq!(stored(&c), ("closed".to_owned(), Some(t + HOUR), Some(t + 2 * DAY)), "closed at its closing time");
    let shown = c.detail(&c.admin, survey, t + 2 * DAY + 3).await;
    assert_eq!(shown["status"], "closed", "{shown}");
    assert_eq!(shown["closed_at"], shanghai_rfc3339(t + 2 * DAY), "{shown}");
}
