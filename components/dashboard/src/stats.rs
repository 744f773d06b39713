//! The figures. Each takes the org, the period and the request's clock and reads the rollups of
//! `migrations/0019_dashboard.sql` by primary key: a period's sum for one org is one range of at
//! most one row per day and key; check-ins add their unfolded tail (`crate::checkins`). Counts of small tables (teams, stations, organisations; the
//! county has hundreds) are counted directly on their path range.

use std::collections::{BTreeMap, HashMap};

use kit::identity::Principal;
use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::checkins;
use crate::query::{self, degrees, Org, Period};

/// A figure: the org, the period and the request's clock in, a JSON object out.
pub type Figure = fn(&Db, &Org, Period, i64) -> Result<Json, ApiError>;

/// Cells of the portrait with fewer people than this (but some) are suppressed: shown as null
/// with `suppressed: true`, so that no one is singled out by a small group.
pub const SUPPRESS_BELOW: i64 = 5;

/// The signed-in endpoints: `?org=&from=&to=` → `{"org", "period", ...figure}`.
pub fn endpoint(req: &Request, p: &Principal, figure: Figure) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let period = Period::from_request(req, now)?;
    let db = Db::open()?;
    let org = query::root(req, p, &db)?;
    Ok(kit::json(200, &with_context(&org, period, figure(&db, &org, period, now)?)))
}

/// `figure` with `org` and `period` added in front.
pub fn with_context(org: &Org, period: Period, figure: Json) -> Json {
    let mut out = json!({ "org": org.json(), "period": period.json() });
    if let (Some(out), Json::Object(fields)) = (out.as_object_mut(), figure) {
        out.extend(fields);
    }
    out
}

/// The period's sum of each of `metrics` for `org_id`'s subtree (0 for none), over every key;
/// check-ins with the unfolded tail added (`checkins`), in the same statement.
fn sums(db: &Db, org_id: i64, metrics: &[&str], period: Period) -> Result<HashMap<String, i64>, ApiError> {
    let marks = (4..4 + metrics.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let mut params = vec![Value::Integer(org_id), Value::Integer(period.from), Value::Integer(period.to)];
    params.extend(metrics.iter().map(|m| Value::Text((*m).into())));
    let tail = if metrics.contains(&"checkins") {
        format!("UNION ALL {}", checkins::tail_days("?1", "?2", "?3"))
    } else {
        String::new()
    };
    let rows = db.query(
        &format!(
            "SELECT metric, COALESCE(SUM(n), 0) AS n FROM (
                 SELECT metric, day, n FROM stat_daily
                 WHERE org_id = ?1 AND metric IN ({marks}) AND day BETWEEN ?2 AND ?3
                 {tail})
             GROUP BY metric"
        ),
        &params,
    )?;
    let mut out: HashMap<String, i64> = metrics.iter().map(|m| ((*m).to_string(), 0)).collect();
    for r in rows {
        out.insert(r.str("metric")?, r.i64("n")?);
    }
    Ok(out)
}

/// The period's sum of `metric` per key (category), for `org_id`'s subtree.
fn by_key(db: &Db, org_id: i64, metric: &str, period: Period) -> Result<BTreeMap<String, i64>, ApiError> {
    let rows = db.query(
        "SELECT key, SUM(n) AS n FROM stat_daily WHERE org_id = ? AND metric = ? AND day BETWEEN ? AND ?
         GROUP BY key",
        &[Value::Integer(org_id), Value::Text(metric.into()), Value::Integer(period.from), Value::Integer(period.to)],
    )?;
    let mut out = BTreeMap::new();
    for r in rows {
        let n = r.i64("n")?;
        if n != 0 {
            out.insert(r.str("key")?, n);
        }
    }
    Ok(out)
}

/// Today's volunteers in `org_id`'s subtree per bucket of `dim`.
fn people(db: &Db, org_id: i64, dim: &str) -> Result<BTreeMap<String, i64>, ApiError> {
    let rows = db.query(
        "SELECT bucket, n FROM stat_people WHERE org_id = ? AND dim = ? AND n > 0",
        &[Value::Integer(org_id), Value::Text(dim.into())],
    )?;
    rows.iter().map(|r| Ok((r.str("bucket")?, r.i64("n")?))).collect()
}

fn volunteers_now(db: &Db, org_id: i64) -> Result<i64, ApiError> {
    Ok(people(db, org_id, "total")?.get("").copied().unwrap_or(0))
}

/// How many rows of `table` (with an `org_id`) hang in the subtree of `org`, `extra` a further
/// condition on the table (alias `t`).
fn count_in_subtree(db: &Db, org: &Org, table: &str, extra: &str) -> Result<i64, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    db.query_one(
        &format!(
            "SELECT COUNT(*) AS n FROM {table} t JOIN orgs o ON o.id = t.org_id
             WHERE o.path >= ? AND o.path < ? AND {extra}"
        ),
        &[Value::Text(lo), Value::Text(hi)],
    )?
    .map_or(Ok(0), |r| r.i64("n"))
}

/// Active stations (实践站) in the subtree; the org itself counts when it is one.
fn stations(db: &Db, org: &Org) -> Result<i64, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    db.query_one(
        "SELECT COUNT(*) AS n FROM orgs WHERE path >= ? AND path < ? AND level = 'station' AND active = 1",
        &[Value::Text(lo), Value::Text(hi)],
    )?
    .map_or(Ok(0), |r| r.i64("n"))
}

/// `num / den` as a percentage with one decimal, rounded half up; null when `den` is 0.
pub fn percent(num: i64, den: i64) -> Json {
    ratio(num, den, 100)
}

/// `num * scale / den` with one decimal, rounded half up (integer arithmetic, so the figures
/// tests compute by hand are exact); null when `den` is 0.
pub fn ratio(num: i64, den: i64, scale: i64) -> Json {
    if den <= 0 {
        return Json::Null;
    }
    let tenths = (num * scale * 10 * 2 + den) / (den * 2);
    json!(tenths as f64 / 10.0)
}

/// Whole minutes of `seconds / count`, rounded half up; null when `count` is 0.
fn average_minutes(seconds: i64, count: i64) -> Json {
    if count <= 0 {
        return Json::Null;
    }
    json!((seconds * 2 + count * 60) / (count * 120))
}

/// Headline counts (首页/大屏 顶部): volunteers registered today and new in the period, teams,
/// approved organisations, stations, and the period's activities, check-ins, service minutes
/// and orders.
pub fn summary(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    let s = sums(db, org.id, &["volunteers", "activities", "checkins", "minutes", "orders"], period)?;
    let volunteers = volunteers_now(db, org.id)?;
    Ok(json!({
        "volunteers": volunteers,
        "new_volunteers": s["volunteers"],
        "teams": count_in_subtree(db, org, "teams", "t.active = 1")?,
        "organisations": count_in_subtree(db, org, "organisations", "t.status = 'approved'")?,
        "stations": stations(db, org)?,
        "activities": s["activities"],
        "checkins": s["checkins"],
        "minutes": s["minutes"],
        // 人均时长: the period's service minutes per registered volunteer, whole minutes.
        "minutes_per_volunteer": if volunteers > 0 { json!(s["minutes"] / volunteers) } else { Json::Null },
        "orders": s["orders"],
    }))
}

/// One point per day of the period (days without events are zeros): new volunteers, activities
/// starting, check-ins, service minutes, orders placed.
pub fn series(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    const METRICS: [&str; 5] = ["volunteers", "activities", "checkins", "minutes", "orders"];
    let rows = db.query(
        &format!(
            "SELECT metric, day, SUM(n) AS n FROM (
                 SELECT metric, day, n FROM stat_daily
                 WHERE org_id = ?1 AND metric IN ('volunteers', 'activities', 'checkins', 'minutes', 'orders')
                   AND day BETWEEN ?2 AND ?3
                 UNION ALL {})
             GROUP BY metric, day",
            checkins::tail_days("?1", "?2", "?3")
        ),
        &[Value::Integer(org.id), Value::Integer(period.from), Value::Integer(period.to)],
    )?;
    let mut table: HashMap<(String, i64), i64> = HashMap::new();
    for r in rows {
        table.insert((r.str("metric")?, r.i64("day")?), r.i64("n")?);
    }
    let days: Vec<Json> = (period.from..=period.to)
        .map(|day| {
            let mut point = serde_json::Map::new();
            point.insert("date".into(), json!(Period::date(day).to_string()));
            for m in METRICS {
                point.insert(m.into(), json!(table.get(&(m.to_string(), day)).copied().unwrap_or(0)));
            }
            Json::Object(point)
        })
        .collect();
    Ok(json!({ "days": days }))
}

/// The 四单 funnel of the orders placed in the period: 点单 (ordered) → 派单 (dispatched or
/// opened for grabbing) → 接单 (accepted) → completed → 评单 (rated), with the average minutes
/// from order to acceptance (response) and to completion.
pub fn funnel(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    let s = sums(
        db,
        org.id,
        &[
            "orders",
            "orders_dispatched",
            "orders_accepted",
            "accept_s",
            "orders_completed",
            "complete_s",
            "orders_rated",
            "orders_good",
        ],
        period,
    )?;
    Ok(json!({
        "ordered": s["orders"],
        "dispatched": s["orders_dispatched"],
        "accepted": s["orders_accepted"],
        "completed": s["orders_completed"],
        "rated": s["orders_rated"],
        "satisfied": s["orders_good"],
        "avg_response_minutes": average_minutes(s["accept_s"], s["orders_accepted"]),
        "avg_completion_minutes": average_minutes(s["complete_s"], s["orders_completed"]),
    }))
}

/// Rankings: the org's direct child orgs (所 under a centre, 站 under a 所) with their
/// registration rate (volunteers registered there per 100 residents entered), activities,
/// check-ins (活动热度), service minutes and 好评率; and the subtree's teams by check-ins, then
/// activities. Each list is sorted best first; ties by id.
pub fn rankings(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    let children = db.query(
        &format!("SELECT {} FROM orgs WHERE parent_id = ? AND active = 1 ORDER BY id", query::ORG_COLUMNS),
        &[Value::Integer(org.id)],
    )?;
    let mut orgs = Vec::with_capacity(children.len());
    for row in &children {
        let child = Org::from_row(row)?;
        let s = sums(db, child.id, &["activities", "checkins", "minutes", "orders_rated", "orders_good"], period)?;
        let volunteers = volunteers_now(db, child.id)?;
        orgs.push(json!({
            "id": child.id,
            "name": child.name,
            "level": child.level,
            "latitude": degrees(child.latitude_e6),
            "longitude": degrees(child.longitude_e6),
            "population": child.population,
            "volunteers": volunteers,
            "registration_rate": child.population.map_or(Json::Null, |p| percent(volunteers, p)),
            "activities": s["activities"],
            "checkins": s["checkins"],
            "minutes": s["minutes"],
            "satisfaction": percent(s["orders_good"], s["orders_rated"]),
        }));
    }
    orgs.sort_by_key(|o| (-o["minutes"].as_i64().unwrap_or(0), o["id"].as_i64().unwrap_or(0)));

    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    // Each team's sums: the days at either end of the period from stat_team_daily, the whole
    // months between from stat_team_monthly; primary-key ranges, bound as ?1..?6.
    // Check-ins add the unfolded tail of the whole period (`u`, joined once per team).
    let team_sum = |metric: &str| {
        let tail = if metric == "checkins" { " + COALESCE(u.n, 0)" } else { "" };
        format!(
            "((SELECT COALESCE(SUM(n), 0) FROM stat_team_daily d WHERE d.team_id = t.id AND d.day BETWEEN ?1 AND ?2
                  AND d.metric = '{metric}')
              + (SELECT COALESCE(SUM(n), 0) FROM stat_team_daily d WHERE d.team_id = t.id AND d.day BETWEEN ?3 AND ?4
                  AND d.metric = '{metric}')
              + (SELECT COALESCE(SUM(n), 0) FROM stat_team_monthly m WHERE m.team_id = t.id
                  AND m.month BETWEEN ?5 AND ?6 AND m.metric = '{metric}'){tail}) AS {metric}"
        )
    };
    let metrics = ["activities", "checkins", "orders_completed", "orders_rated", "orders_good"];
    let sums_sql = metrics.iter().map(|m| team_sum(m)).collect::<Vec<_>>().join(",\n                ");
    let split = MonthSplit::of(period);
    let rows = db.query(
        &format!(
            "SELECT t.id, t.name, o.name AS org_name,
                    {sums_sql}
             FROM teams t JOIN orgs o ON o.id = t.org_id LEFT JOIN ({}) u ON u.team_id = t.id
             WHERE o.path >= ?7 AND o.path < ?8 AND t.active = 1
             ORDER BY checkins DESC, activities DESC, t.id
             LIMIT 10",
            checkins::tail_teams("?9", "?10")
        ),
        &[
            Value::Integer(split.head.0),
            Value::Integer(split.head.1),
            Value::Integer(split.tail.0),
            Value::Integer(split.tail.1),
            Value::Integer(split.months.0),
            Value::Integer(split.months.1),
            Value::Text(lo),
            Value::Text(hi),
            Value::Integer(period.from),
            Value::Integer(period.to),
        ],
    )?;
    let teams = rows
        .iter()
        .map(|r| {
            Ok(json!({
                "id": r.i64("id")?,
                "name": r.str("name")?,
                "org_name": r.str("org_name")?,
                "activities": r.i64("activities")?,
                "checkins": r.i64("checkins")?,
                "orders_completed": r.i64("orders_completed")?,
                "satisfaction": percent(r.i64("orders_good")?, r.i64("orders_rated")?),
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(json!({ "orgs": orgs, "teams": teams }))
}

/// A period as the days before its first whole calendar month, the whole months (as
/// year * 12 + month - 1, the key of `stat_team_monthly`) and the days after the last; an
/// empty range is (1, 0). A period within one month is all days.
#[derive(Debug, PartialEq, Eq)]
pub struct MonthSplit {
    pub head: (i64, i64),
    pub months: (i64, i64),
    pub tail: (i64, i64),
}

const EMPTY: (i64, i64) = (1, 0);

impl MonthSplit {
    fn month_of(day: i64) -> i64 {
        let d = Period::date(day);
        i64::from(d.year()) * 12 + i64::from(d.month()) - 1
    }

    fn first_day(month: i64) -> i64 {
        let date = domain::Date::from_parts((month / 12) as u32, (month % 12 + 1) as u32, 1);
        date.map_or(0, |d| Period::day_of(d.start()))
    }

    pub fn of(period: Period) -> MonthSplit {
        let (mf, mt) = (MonthSplit::month_of(period.from), MonthSplit::month_of(period.to));
        let first_full = if period.from == MonthSplit::first_day(mf) { mf } else { mf + 1 };
        let last_full = if period.to + 1 == MonthSplit::first_day(mt + 1) { mt } else { mt - 1 };
        if first_full > last_full {
            return MonthSplit { head: (period.from, period.to), months: EMPTY, tail: EMPTY };
        }
        let head_end = MonthSplit::first_day(first_full) - 1;
        let tail_start = MonthSplit::first_day(last_full + 1);
        MonthSplit {
            head: if period.from <= head_end { (period.from, head_end) } else { EMPTY },
            months: (first_full, last_full),
            tail: if tail_start <= period.to { (tail_start, period.to) } else { EMPTY },
        }
    }
}

/// A portrait cell: the count, or null and `suppressed` when fewer than [`SUPPRESS_BELOW`]
/// people (but some) are in it.
fn cell(label: &str, n: i64) -> Json {
    if n > 0 && n < SUPPRESS_BELOW {
        json!({ "label": label, "count": Json::Null, "suppressed": true })
    } else {
        json!({ "label": label, "count": n, "suppressed": false })
    }
}

/// Age bands (by year of birth against the current year), as the screens of the seed platforms
/// show them.
const AGE_BANDS: [(&str, i64, i64); 5] =
    [("18岁以下", 0, 17), ("18–35岁", 18, 35), ("36–50岁", 36, 50), ("51–60岁", 51, 60), ("60岁以上", 61, 200)];

/// The portrait (画像) of the volunteers registered in the subtree today: age bands, gender,
/// the ten commonest skills and star levels (无星级 for none). Cells under five people are
/// suppressed; the total is shown as it is (it is the headline figure).
pub fn portrait(db: &Db, org: &Org, _period: Period, now: i64) -> Result<Json, ApiError> {
    let total = volunteers_now(db, org.id)?;
    let year = i64::from(Period::date(Period::day_of(now)).year());
    let mut bands = [0i64; AGE_BANDS.len()];
    for (birth_year, n) in people(db, org.id, "birth_year")? {
        let age = birth_year.parse::<i64>().map(|y| year - y).unwrap_or(-1);
        if let Some(i) = AGE_BANDS.iter().position(|(_, lo, hi)| (*lo..=*hi).contains(&age)) {
            bands[i] += n;
        }
    }
    let ages: Vec<Json> = AGE_BANDS.iter().zip(bands).map(|((label, _, _), n)| cell(label, n)).collect();

    let genders = people(db, org.id, "gender")?;
    let gender = vec![
        cell("男", genders.get("male").copied().unwrap_or(0)),
        cell("女", genders.get("female").copied().unwrap_or(0)),
    ];

    let mut skills: Vec<(String, i64)> = people(db, org.id, "skill")?.into_iter().collect();
    skills.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let skills: Vec<Json> = skills.iter().take(10).map(|(label, n)| cell(label, *n)).collect();

    let star_rows = people(db, org.id, "star")?;
    let mut levels: Vec<(i64, i64)> =
        star_rows.iter().filter_map(|(level, n)| level.parse::<i64>().ok().map(|l| (l, *n))).collect();
    levels.sort();
    let starred: i64 = levels.iter().map(|(_, n)| n).sum();
    let mut stars = vec![cell("无星级", total - starred)];
    stars.extend(levels.iter().map(|(level, n)| cell(&format!("{level}星"), *n)));

    Ok(json!({
        "volunteers": total,
        "suppress_below": SUPPRESS_BELOW,
        "age_bands": ages,
        "gender": gender,
        "skills": skills,
        "stars": stars,
    }))
}

/// The share of each service category among the period's activities, set against its share
/// among what people asked for: the period's orders, and the survey responses submitted in the
/// period whose answers a survey link ties to a service-menu item of that category.
pub fn categories(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    let activities = by_key(db, org.id, "activities", period)?;
    let orders = by_key(db, org.id, "orders", period)?;
    let surveys = survey_demand(db, org, period)?;
    let total_a: i64 = activities.values().sum();
    let total_o: i64 = orders.values().sum();
    let total_s: i64 = surveys.values().sum();
    let mut names: Vec<&String> = activities.keys().chain(orders.keys()).chain(surveys.keys()).collect();
    names.sort();
    names.dedup();
    let items: Vec<Json> = names
        .into_iter()
        .map(|name| {
            let a = activities.get(name).copied().unwrap_or(0);
            let o = orders.get(name).copied().unwrap_or(0);
            let r = surveys.get(name).copied().unwrap_or(0);
            json!({
                "category": name,
                "activities": a,
                "activity_share": percent(a, total_a),
                "orders": o,
                "order_share": percent(o, total_o),
                "survey_responses": r,
                "survey_share": percent(r, total_s),
            })
        })
        .collect();
    Ok(json!({ "activities": total_a, "orders": total_o, "survey_responses": total_s, "items": items }))
}

/// Per service category, the survey responses of people living in the org's subtree, submitted
/// in the period, that asked for it: a response counts for a category when a link from its survey
/// to a menu item of that category covers it — a link from the whole survey, from a question it
/// answered, or from an option it chose. A response counts once per category, however many of its
/// answers point there. Read directly, not from a rollup: responses are few beside check-ins
/// (hundreds to thousands a year), and `survey_answers` is indexed by response.
fn survey_demand(db: &Db, org: &Org, period: Period) -> Result<BTreeMap<String, i64>, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    let (from, to) = period.unix_bounds();
    let rows = db.query(
        "SELECT category, COUNT(*) AS n FROM (
             SELECT DISTINCT r.id, m.category AS category
             FROM survey_responses r
             JOIN survey_links l ON l.survey_id = r.survey_id AND l.target = 'service_menu_item'
             JOIN service_menu_items m ON m.id = l.target_id
             WHERE r.org_path >= ? AND r.org_path < ? AND r.submitted_at >= ? AND r.submitted_at < ?
               AND (l.question = ''
                    OR EXISTS (SELECT 1 FROM survey_answers a
                               WHERE a.response_id = r.id AND a.question = l.question
                                 AND (l.option = '' OR a.option = l.option)))
         ) GROUP BY category",
        &[Value::Text(lo), Value::Text(hi), Value::Integer(from), Value::Integer(to)],
    )?;
    rows.iter().map(|r| Ok((r.str("category")?, r.i64("n")?))).collect()
}

/// `{"numerator", "denominator", "value"}`.
fn rate(num: i64, den: Option<i64>, scale: i64) -> Json {
    json!({
        "numerator": num,
        "denominator": den,
        "value": den.map_or(Json::Null, |d| ratio(num, d, scale)),
    })
}

/// The four rates of the evaluation of practice positions:
/// - 阵地使用率 `venue_use`: % of the subtree's active stations with an activity in the period;
/// - 需求度 `demand`: orders placed in the period per 10,000 residents (the org's population, or
///   else the sum its stations entered; null when none is entered);
/// - 参与度 `participation`: check-ins in the period per 100 registered volunteers;
/// - 好评度 `satisfaction`: % of the period's rated orders rated 满意 or 非常满意.
pub fn rates(db: &Db, org: &Org, period: Period, _now: i64) -> Result<Json, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    // One statement for every station: a probe of the rollup's primary key per station, inside
    // SQLite rather than one host call each.
    let venues = db
        .query_one(
            "SELECT COUNT(*) AS stations,
                    COALESCE(SUM(EXISTS (SELECT 1 FROM stat_daily s WHERE s.org_id = o.id AND s.metric = 'activities'
                                         AND s.day BETWEEN ? AND ? AND s.n > 0)), 0) AS used
             FROM orgs o WHERE o.path >= ? AND o.path < ? AND o.level = 'station' AND o.active = 1",
            &[Value::Integer(period.from), Value::Integer(period.to), Value::Text(lo.clone()), Value::Text(hi.clone())],
        )?
        .ok_or_else(|| ApiError::Internal("no count".into()))?;
    let (stations, used) = (venues.i64("stations")?, venues.i64("used")?);
    let population = match org.population {
        Some(p) => Some(p),
        None => {
            db.query_one(
                "SELECT SUM(population) AS p FROM orgs WHERE path >= ? AND path < ? AND level = 'station' AND active = 1",
                &[Value::Text(lo), Value::Text(hi)],
            )?
            .map_or(Ok(None), |r| r.opt_i64("p"))?
        }
    };
    let s = sums(db, org.id, &["orders", "checkins", "orders_rated", "orders_good"], period)?;
    Ok(json!({
        "venue_use": rate(used, Some(stations), 100),
        "demand": rate(s["orders"], population.filter(|p| *p > 0), 10_000),
        "participation": rate(s["checkins"], Some(volunteers_now(db, org.id)?), 100),
        "satisfaction": rate(s["orders_good"], Some(s["orders_rated"]), 100),
    }))
}

/// How far back an activity under way may have started: activities longer than this are not
/// "under way" on the screen (they are programmes, not events), and the bound keeps the read on
/// the (status, starts_at) index.
const LONGEST_ACTIVITY_S: i64 = 7 * 86_400;

/// Activities under way now (approved, started, not ended) in the subtree, with their places
/// and how many have checked in: at most 50, latest start first. No person is named.
pub fn live(db: &Db, org: &Org, _period: Period, now: i64) -> Result<Json, ApiError> {
    let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
    let rows = db.query(
        "SELECT a.id, a.title, a.category, a.address, a.latitude_e6, a.longitude_e6, a.starts_at, a.ends_at,
                o.id AS org_id, o.name AS org_name,
                (SELECT COUNT(*) FROM attendances t WHERE t.activity_id = a.id) AS checked_in
         FROM activities a JOIN orgs o ON o.id = a.org_id
         WHERE a.status = 'approved' AND a.starts_at BETWEEN ? AND ? AND a.ends_at > ?
           AND o.path >= ? AND o.path < ?
         ORDER BY a.starts_at DESC, a.id DESC LIMIT 50",
        &[
            Value::Integer(now - LONGEST_ACTIVITY_S),
            Value::Integer(now),
            Value::Integer(now),
            Value::Text(lo),
            Value::Text(hi),
        ],
    )?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(json!({
                "id": r.i64("id")?,
                "title": r.str("title")?,
                "category": r.str("category")?,
                "address": r.str("address")?,
                "latitude": degrees(r.opt_i64("latitude_e6")?),
                "longitude": degrees(r.opt_i64("longitude_e6")?),
                "starts_at": kit::time::rfc3339(r.i64("starts_at")?),
                "ends_at": kit::time::rfc3339(r.i64("ends_at")?),
                "org_id": r.i64("org_id")?,
                "org_name": r.str("org_name")?,
                "checked_in": r.i64("checked_in")?,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(json!({ "items": items, "map": map(db)? }))
}

/// The deployment's own tile service for drawing [`live`]'s places on a map (`screen.tile_url`
/// and `screen.tile_attribution`, checked when saved), or null when it has none: then the screen
/// draws the org tree as a schematic. No map data and no provider's address ship with the
/// product: a map shown in China must be an approved one, which only the deployment can choose.
fn map(db: &Db) -> Result<Json, ApiError> {
    let tile_url = kit::settings::get(db, "screen.tile_url")?.unwrap_or_default();
    if tile_url.is_empty() {
        return Ok(Json::Null);
    }
    let attribution = kit::settings::get(db, "screen.tile_attribution")?.unwrap_or_default();
    Ok(json!({ "tile_url": tile_url, "attribution": attribution }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_half_up_to_one_decimal() {
        assert_eq!(percent(2, 3), json!(66.7));
        assert_eq!(percent(1, 8), json!(12.5));
        assert_eq!(percent(0, 0), Json::Null);
        assert_eq!(ratio(3, 20_000, 10_000), json!(1.5));
        assert_eq!(average_minutes(90, 1), json!(2));
        assert_eq!(average_minutes(89, 1), json!(1));
    }

    fn day(s: &str) -> i64 {
        Period::day_of(domain::Date::parse(s).unwrap().start())
    }

    #[test]
    fn a_period_splits_into_end_days_and_whole_months() {
        let p = Period { from: day("2026-01-15"), to: day("2026-04-10") };
        let split = MonthSplit::of(p);
        assert_eq!(split.head, (day("2026-01-15"), day("2026-01-31")));
        assert_eq!(split.months, (2026 * 12 + 1, 2026 * 12 + 2));
        assert_eq!(split.tail, (day("2026-04-01"), day("2026-04-10")));
        let whole = MonthSplit::of(Period { from: day("2026-02-01"), to: day("2026-02-28") });
        assert_eq!((whole.head, whole.months, whole.tail), (EMPTY, (2026 * 12 + 1, 2026 * 12 + 1), EMPTY));
        let inside = MonthSplit::of(Period { from: day("2026-03-02"), to: day("2026-03-30") });
        assert_eq!((inside.head, inside.months), ((day("2026-03-02"), day("2026-03-30")), EMPTY));
        let across = MonthSplit::of(Period { from: day("2026-03-20"), to: day("2026-04-05") });
        assert_eq!((across.head, across.months, across.tail), ((day("2026-03-20"), day("2026-04-05")), EMPTY, EMPTY));
    }

    #[test]
    fn small_cells_are_suppressed_but_zero_and_five_are_not() {
        assert_eq!(cell("x", 4)["count"], Json::Null);
        assert_eq!(cell("x", 5)["count"], json!(5));
        assert_eq!(cell("x", 0)["suppressed"], json!(false));
    }
}
