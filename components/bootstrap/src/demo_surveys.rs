//! The demo county's needs surveys (需求调查): a published county-wide survey that volunteers
//! have answered, a closed anonymous one at 城关镇, and a draft at 东关社区 — each questionnaire
//! and every answer checked by `survey-model`, the same rules the `survey` component applies, so
//! the demo holds nothing the API would refuse. One option of the county survey is linked to
//! the service-menu item it led to.

use kit::{ApiError, Db};
use serde_json::{json, Map, Value as Json};
use spin_sdk::sqlite3::Value;
use survey_model::Questionnaire;

use crate::demo::{Rng, Volunteer};

const DAY: i64 = 86_400;

/// What the rest of the demo made, for the surveys to use.
pub struct County<'a> {
    pub now: i64,
    pub centre_id: i64,
    pub centre_path: &'a str,
    pub centre_admin: i64,
    pub volunteers: &'a [Volunteer],
}

fn needs_questionnaire() -> Json {
    json!([
        {"title": "您的需求", "questions": [
            {"key": "services", "type": "multiple_choice", "title": "您最希望身边有哪些志愿服务？", "required": true,
             "max_selections": 3, "options": [
                {"key": "phone", "label": "智能手机使用教学"}, {"key": "elder", "label": "助老助残上门服务"},
                {"key": "homework", "label": "四点半课堂课业辅导"}, {"key": "policy", "label": "惠民政策解读"},
                {"key": "culture", "label": "文艺演出进村"}, {"key": "other", "label": "其他"}]},
            {"key": "other_need", "type": "short_text", "title": "请写下其他需求", "required": true,
             "show_if": {"question": "services", "any_of": ["other"]}},
            {"key": "time", "type": "single_choice", "title": "您方便参加活动的时间", "required": true, "options": [
                {"key": "weekday", "label": "工作日白天"}, {"key": "evening", "label": "工作日晚上"}, {"key": "weekend", "label": "周末"}]},
        ]},
        {"title": "评价与建议", "questions": [
            {"key": "satisfaction", "type": "rating", "title": "您对本村（社区）文明实践站的满意度", "scale": 5, "required": true},
            {"key": "venues", "type": "matrix", "title": "您对以下场所的评价", "rows": [
                {"key": "library", "label": "农家书屋"}, {"key": "square", "label": "文化广场"}],
             "columns": [{"key": "good", "label": "满意"}, {"key": "fair", "label": "一般"}, {"key": "poor", "label": "不满意"}]},
            {"key": "suggestion", "type": "long_text", "title": "意见和建议"},
        ]},
    ])
}

fn volunteer_questionnaire() -> Json {
    json!([{"title": "服务体验", "questions": [
        {"key": "hours", "type": "number", "title": "您每月能参加志愿服务的小时数", "min": 0, "max": 200, "integer": true, "required": true},
        {"key": "training", "type": "single_choice", "title": "您是否需要服务技能培训？", "required": true,
         "options": [{"key": "yes", "label": "需要"}, {"key": "no", "label": "不需要"}]},
        {"key": "when", "type": "date", "title": "您希望培训的日期", "show_if": {"question": "training", "any_of": ["yes"]}},
    ]}])
}

const SUGGESTIONS: [&str; 4] = [
    "希望多组织一些针对老年人的智能手机培训。",
    "文化广场晚上的照明需要改善。",
    "建议周末开放农家书屋。",
    "希望志愿服务活动提前在群里通知。",
];

/// An answer set for the county survey, varied by `rng`.
fn needs_answers(rng: &mut Rng, i: usize) -> Json {
    let keys = ["phone", "elder", "homework", "policy", "culture"];
    let mut chosen: Vec<&str> = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let k = keys[rng.range(0, 4) as usize];
        if !chosen.contains(&k) {
            chosen.push(k);
        }
    }
    let mut a = Map::new();
    if i.is_multiple_of(11) && chosen.len() < 3 {
        chosen.push("other");
        a.insert("other_need".into(), json!("希望有法律咨询服务"));
    }
    a.insert("services".into(), json!(chosen));
    a.insert("time".into(), json!(["weekday", "evening", "weekend", "weekend"][rng.range(0, 3) as usize]));
    a.insert("satisfaction".into(), json!(rng.range(3, 5)));
    if i.is_multiple_of(2) {
        let col = |r: &mut Rng| ["good", "good", "fair", "poor"][r.range(0, 3) as usize];
        a.insert("venues".into(), json!({"library": col(rng), "square": col(rng)}));
    }
    if i.is_multiple_of(5) {
        a.insert("suggestion".into(), json!(SUGGESTIONS[i / 5 % SUGGESTIONS.len()]));
    }
    Json::Object(a)
}

fn volunteer_answers(rng: &mut Rng) -> Json {
    let training = if rng.range(0, 2) > 0 { "yes" } else { "no" };
    let mut a = json!({"hours": rng.range(2, 30), "training": training});
    if training == "yes" {
        a["when"] = json!(format!("2026-12-{:02}", rng.range(10, 28)));
    }
    a
}

/// One survey row; its definition goes through the model first.
#[allow(clippy::too_many_arguments)]
fn insert_survey(
    db: &Db,
    org: (i64, &str),
    title: &str,
    audience: &str,
    anonymous: bool,
    (opens_at, closes_at): (i64, i64),
    status: &str,
    sections: &Json,
    by: i64,
    now: i64,
) -> Result<(i64, Questionnaire), ApiError> {
    let q = Questionnaire::parse(sections).map_err(|e| ApiError::Internal(format!("demo survey {title}: {e:?}")))?;
    let published = (status != "draft").then_some(opens_at);
    let closed = (status == "closed").then_some(closes_at);
    let id = db.insert(
        "INSERT INTO surveys (org_id, org_path, title, description, audience, anonymous, one_per, opens_at, closes_at, \
         definition, status, created_by, created_at, updated_at, published_at, closed_at) \
         VALUES (?, ?, ?, '', ?, ?, 'person', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(org.0),
            Value::Text(org.1.into()),
            Value::Text(title.into()),
            Value::Text(audience.into()),
            Value::Integer(i64::from(anonymous)),
            Value::Integer(opens_at),
            Value::Integer(closes_at),
            Value::Text(q.to_json().to_string()),
            Value::Text(status.into()),
            Value::Integer(by),
            Value::Integer(opens_at - DAY),
            Value::Integer(now),
            published.map_or(Value::Null, Value::Integer),
            closed.map_or(Value::Null, Value::Integer),
        ],
    )?;
    Ok((id, q))
}

/// One response, checked by the model, with its countable cells.
fn answer(
    db: &Db,
    survey: (i64, &Questionnaire),
    who: (i64, bool),
    home_path: &str,
    answers: &Json,
    at: i64,
) -> Result<(), ApiError> {
    let checked = survey.1.check(answers).map_err(|e| ApiError::Internal(format!("demo answers: {e:?}")))?;
    let home = db
        .query_one("SELECT id FROM orgs WHERE path = ?", &[Value::Text(home_path.into())])?
        .ok_or_else(|| ApiError::Internal(format!("demo org {home_path} missing")))?
        .i64("id")?;
    db.exec(
        "INSERT INTO survey_respondents (survey_id, account_id) VALUES (?, ?)",
        &[Value::Integer(survey.0), Value::Integer(who.0)],
    )?;
    let response = db.insert(
        "INSERT INTO survey_responses (survey_id, account_id, org_id, org_path, answers, submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(survey.0),
            if who.1 { Value::Null } else { Value::Integer(who.0) },
            Value::Integer(home),
            Value::Text(home_path.into()),
            Value::Text(Json::Object(checked.answers).to_string()),
            Value::Integer(at),
        ],
    )?;
    for c in checked.cells {
        let text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
        db.exec(
            "INSERT INTO survey_answers (response_id, survey_id, question, option, text, number) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(response),
                Value::Integer(survey.0),
                Value::Text(c.question),
                text(c.option),
                text(c.text),
                c.number.map_or(Value::Null, Value::Real),
            ],
        )?;
    }
    Ok(())
}

fn org(db: &Db, name: &str) -> Result<(i64, String), ApiError> {
    let row = db
        .query_one("SELECT id, path FROM orgs WHERE name = ?", &[Value::Text(name.into())])?
        .ok_or_else(|| ApiError::Internal(format!("demo org {name} missing")))?;
    Ok((row.i64("id")?, row.str("path")?))
}

/// Seeds the surveys; returns counts for the demo summary.
pub fn seed(db: &Db, county: &County) -> Result<Json, ApiError> {
    let now = county.now;
    let mut rng = Rng(0x5355_5256_4559_5321);
    let (needs, q) = insert_survey(
        db,
        (county.centre_id, county.centre_path),
        "2026年度群众文化与志愿服务需求调查",
        "residents",
        false,
        (now - 20 * DAY, now + 40 * DAY),
        "published",
        &needs_questionnaire(),
        county.centre_admin,
        now,
    )?;
    let answered = county.volunteers.len().min(60);
    for (i, v) in county.volunteers.iter().take(answered).enumerate() {
        let at = now - 19 * DAY + (i as i64) * 7 * 3_600;
        answer(db, (needs, &q), (v.account_id, false), &v.home_path, &needs_answers(&mut rng, i), at)?;
    }
    // What the county did about the most asked-for service: a menu item for it.
    if let Some(item) = db.query_one(
        "SELECT id FROM service_menu_items WHERE name = '智能手机使用教学' AND centre_org_id = ?",
        &[Value::Integer(county.centre_id)],
    )? {
        db.exec(
            "INSERT INTO survey_links (survey_id, question, option, target, target_id, note, created_by, created_at) \
             VALUES (?, 'services', 'phone', 'service_menu_item', ?, '根据调查结果加入服务菜单', ?, ?)",
            &[
                Value::Integer(needs),
                Value::Integer(item.i64("id")?),
                Value::Integer(county.centre_admin),
                Value::Integer(now - 2 * DAY),
            ],
        )?;
    }

    let town = org(db, "城关镇新时代文明实践所")?;
    let (closed, vq) = insert_survey(
        db,
        (town.0, &town.1),
        "城关镇志愿者服务体验调查（匿名）",
        "volunteers",
        true,
        (now - 60 * DAY, now - 30 * DAY),
        "closed",
        &volunteer_questionnaire(),
        county.centre_admin,
        now,
    )?;
    let mut closed_answers = 0;
    for (i, v) in county.volunteers.iter().filter(|v| v.home_path.starts_with(&town.1)).take(25).enumerate() {
        answer(
            db,
            (closed, &vq),
            (v.account_id, true),
            &v.home_path,
            &volunteer_answers(&mut rng),
            now - 58 * DAY + i as i64 * 3_600,
        )?;
        closed_answers += 1;
    }

    let station = org(db, "东关社区新时代文明实践站")?;
    insert_survey(
        db,
        (station.0, &station.1),
        "东关社区居民议事会议题征集",
        "residents",
        false,
        (now + DAY, now + 15 * DAY),
        "draft",
        &json!([{"title": "议题", "questions": [
            {"key": "topic", "type": "single_choice", "title": "您最关心的社区议题", "required": true, "options": [
                {"key": "parking", "label": "停车难"}, {"key": "garbage", "label": "垃圾分类"}, {"key": "elderly", "label": "居家养老"}]},
            {"key": "detail", "type": "long_text", "title": "具体说明"},
        ]}]),
        county.centre_admin,
        now,
    )?;
    Ok(json!({ "published": 1, "closed": 1, "draft": 1, "responses": answered + closed_answers }))
}
