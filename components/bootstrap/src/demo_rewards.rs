//! The demo county's rewards (礼遇), for `POST /demo`, written the way the `reward` component
//! (docs/reward-api.md) would have left them:
//!
//! - a few veteran volunteers (registered long ago, one of them at the station) whose earlier service was reported and
//!   approved as self-reports (自主申报), credited through the ledger (`credit-service`, key
//!   `self-report:<id>`) like the `checkin` component does — so some volunteers really have the
//!   hours for a star;
//! - star levels from those hours at the deployment's thresholds: one confirmed, one proposed
//!   whose notice (公示) has ended and waits for staff, one in its notice period now (with a
//!   lower level confirmed before);
//! - the love supermarket (爱心超市) at the centre and at one station: goods (香皂 10 分, 卷纸
//!   75 分 …), service coupons and an honour certificate;
//! - redemptions in every state — reserved (with a pickup code), handed over, cancelled with the
//!   points refunded — each taking stock and debiting points through the ledger (`post`, keys
//!   `redemption:<id>` and `refund:redemption:<id>`) on this connection;
//! - honour lists (最美志愿者, 优秀志愿者): approved ones and one nomination waiting for a
//!   second staff member.

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::demo::Volunteer;
use kit::ledger::{self, Kind, Posting, Source};

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// One veteran's reported day of service: 09:00–17:00.
const REPORT_MINUTES: i64 = 480;
/// The most reports one veteran gets, whatever the thresholds.
const MAX_REPORTS: i64 = 200;

/// What the rest of the demo made, for the rewards to use.
pub struct County<'a> {
    pub now: i64,
    pub centre_id: i64,
    pub centre_path: &'a str,
    pub centre_admin: i64,
    /// An institute and its admin (honours there, approved by the centre admin).
    pub institute_id: i64,
    pub institute_path: &'a str,
    pub institute_admin: i64,
    /// A station with its own supermarket, and its admin (handovers there).
    pub station_id: i64,
    pub station_path: &'a str,
    pub station_admin: i64,
    pub volunteers: &'a [Volunteer],
}

/// A catalogue item: (name, kind, points, stock, min star, description).
type ItemSpec = (&'static str, &'static str, i64, i64, i64, &'static str);

const CENTRE_ITEMS: [ItemSpec; 7] = [
    ("香皂", "goods", 10, 50, 0, "爱心超市日用品"),
    ("卷纸", "goods", 75, 20, 0, "爱心超市日用品，一提十卷"),
    ("洗衣液", "goods", 48, 30, 0, "爱心超市日用品，2 千克装"),
    ("《乡村振兴故事》图书", "goods", 78, 10, 0, "新时代文明实践读本"),
    ("理发服务券", "service", 20, 40, 0, "县便民服务志愿服务队提供，凭券理发一次"),
    ("家电维修服务券", "service", 30, 15, 1, "一星及以上志愿者，上门维修小家电一次"),
    ("星级志愿者荣誉证书", "honour", 0, 100, 1, "由县新时代文明实践中心颁发"),
];

const STATION_ITEMS: [ItemSpec; 3] = [
    ("香皂", "goods", 10, 20, 0, "东关社区爱心超市"),
    ("卷纸", "goods", 75, 5, 0, "东关社区爱心超市"),
    ("四点半课堂文具包", "goods", 15, 10, 0, "捐给社区四点半课堂的孩子"),
];

fn balance(db: &Db, volunteer_id: i64, kind: Kind) -> Result<i64, ApiError> {
    ledger::balance(db.connection(), volunteer_id, kind).map_err(kit::ledger_error)
}

/// The deployment's star thresholds and notice days (the `reward` component's settings, with
/// its defaults).
fn star_rules(db: &Db) -> Result<(Vec<i64>, i64), ApiError> {
    let setting = |key: &str| kit::settings::get(db, key);
    let thresholds = match setting("reward.star_thresholds_h")? {
        None => vec![100, 300, 600, 1000, 1500],
        Some(v) => v
            .split(',')
            .map(|s| s.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::Internal(format!("reward.star_thresholds_h is not a list of hours: {v:?}")))?,
    };
    let notice = match setting("reward.notice_days")? {
        None => 5,
        Some(v) => v.trim().parse().map_err(|_| ApiError::Internal(format!("reward.notice_days: {v:?}")))?,
    };
    Ok((thresholds, notice))
}

fn level_for(thresholds: &[i64], minutes: i64) -> i64 {
    thresholds.iter().take_while(|h| minutes >= **h * 60).count() as i64
}

/// Midnight (Asia/Shanghai) of the day holding `t`.
fn cst_midnight(t: i64) -> i64 {
    domain::Date::of(t).start()
}

/// `reports` approved self-reports of 8 hours for `v`, every other day from the day after they
/// joined and ending before `before`, credited through the ledger. How many were made.
fn veteran_service(db: &Db, c: &County, v: &Volunteer, reports: i64, before: i64) -> Result<i64, ApiError> {
    let home = db
        .query_one("SELECT id FROM orgs WHERE path = ?", &[Value::Text(v.home_path.clone())])?
        .ok_or_else(|| ApiError::Internal("a demo volunteer's home org is missing".into()))?
        .i64("id")?;
    let first = cst_midnight(v.joined) + DAY + 9 * HOUR;
    let mut made = 0;
    for k in 0..reports {
        let started = first + k * 2 * DAY;
        let ended = started + REPORT_MINUTES * 60;
        if ended + DAY >= before {
            break;
        }
        let id = db.insert(
            "INSERT INTO self_reports (volunteer_id, org_id, title, category, description, started_at, ended_at,
                 minutes, status, decided_by, decided_at, created_at)
             VALUES (?, ?, '社区助老志愿服务', '助老', '为社区独居老人打扫卫生、代购生活用品（历史服务补录）', ?, ?, ?,
                 'approved', ?, ?, ?)",
            &[
                Value::Integer(v.id),
                Value::Integer(home),
                Value::Integer(started),
                Value::Integer(ended),
                Value::Integer(REPORT_MINUTES),
                Value::Integer(c.centre_admin),
                Value::Integer(ended + DAY),
                Value::Integer(ended),
            ],
        )?;
        ledger::credit_service(
            db.connection(),
            v.id,
            REPORT_MINUTES,
            "助老",
            Source::SelfReport,
            id,
            c.centre_admin,
            &format!("self-report:{id}"),
        )
        .map_err(kit::ledger_error)?;
        made += 1;
    }
    Ok(made)
}

/// One `star_levels` row: `decided` is `(status, by, at)` or `None` for an open proposal.
#[allow(clippy::too_many_arguments)]
fn star_row(
    db: &Db,
    volunteer_id: i64,
    level: i64,
    threshold_h: i64,
    minutes: i64,
    proposed_at: i64,
    notice_days: i64,
    decided: Option<(&str, i64, i64)>,
) -> Result<i64, ApiError> {
    let id = db.insert(
        "INSERT INTO star_levels (volunteer_id, level, threshold_h, minutes_at_proposal, status, proposed_at,
             proposed_by, notice_ends_at, decided_by, decided_at, minutes_at_decision)
         VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        &[
            Value::Integer(volunteer_id),
            Value::Integer(level),
            Value::Integer(threshold_h),
            Value::Integer(minutes),
            Value::Text(decided.map_or("proposed", |d| d.0).into()),
            Value::Integer(proposed_at),
            Value::Integer(proposed_at + notice_days * DAY),
            decided.map_or(Value::Null, |d| Value::Integer(d.1)),
            decided.map_or(Value::Null, |d| Value::Integer(d.2)),
            decided.map_or(Value::Null, |_| Value::Integer(minutes)),
        ],
    )?;
    Ok(id)
}

fn insert_item(db: &Db, org: (i64, &str), spec: &ItemSpec, by: i64, now: i64) -> Result<i64, ApiError> {
    let (name, kind, price, stock, min_star, description) = *spec;
    // Service coupons run for a quarter; goods and honours have no window.
    let until = if kind == "service" { Value::Integer(now + 90 * DAY) } else { Value::Null };
    db.insert(
        "INSERT INTO reward_items (org_id, org_path, name, kind, description, points_price, stock, min_star,
             valid_from, valid_until, active, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        &[
            Value::Integer(org.0),
            Value::Text(org.1.into()),
            Value::Text(name.into()),
            Value::Text(kind.into()),
            Value::Text(description.into()),
            Value::Integer(price),
            Value::Integer(stock),
            Value::Integer(min_star),
            Value::Integer(now - 30 * DAY),
            until,
            Value::Integer(by),
            Value::Integer(now - 30 * DAY),
            Value::Integer(now - 30 * DAY),
        ],
    )
}

fn pickup_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    Ok(format!("{:08}", u64::from_le_bytes(bytes) % 100_000_000))
}

/// Redeems `quantity` of `item` for `v` at `at`, as `POST /api/v1/redemptions` does: stock
/// taken conditionally, the row, the points debited. `None` when the stock or the points fall
/// short (the demo then simply has one redemption fewer).
fn redeem(db: &Db, item: i64, v: &Volunteer, quantity: i64, at: i64) -> Result<Option<i64>, ApiError> {
    let Some(row) =
        db.query_one("SELECT name, org_path, points_price FROM reward_items WHERE id = ?", &[Value::Integer(item)])?
    else {
        return Ok(None);
    };
    let points = row.i64("points_price")? * quantity;
    if balance(db, v.id, Kind::Points)? < points {
        return Ok(None);
    }
    let taken = db.exec(
        "UPDATE reward_items SET stock = stock - ? WHERE id = ? AND stock >= ?",
        &[Value::Integer(quantity), Value::Integer(item), Value::Integer(quantity)],
    )?;
    if taken == 0 {
        return Ok(None);
    }
    let id = db.insert(
        "INSERT INTO redemptions (item_id, volunteer_id, org_path, quantity, points, pickup_code, ledger_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(item),
            Value::Integer(v.id),
            Value::Text(row.str("org_path")?),
            Value::Integer(quantity),
            Value::Integer(points),
            Value::Text(pickup_code()?),
            Value::Text(format!("redemption:new:{}:{at}", v.id)),
            Value::Integer(at),
        ],
    )?;
    let key = format!("redemption:{id}");
    db.exec("UPDATE redemptions SET ledger_key = ? WHERE id = ?", &[Value::Text(key.clone()), Value::Integer(id)])?;
    if points > 0 {
        ledger::post(
            db.connection(),
            &Posting {
                volunteer_id: v.id,
                kind: Kind::Points,
                amount: -points,
                source: Source::Redemption,
                source_id: id,
                actor_id: v.account_id,
                idempotency_key: key,
                note: row.str("name")?,
            },
        )
        .map_err(kit::ledger_error)?;
    }
    Ok(Some(id))
}

/// Staff hand a redemption over (audited, as the API does).
fn hand_over(db: &Db, id: i64, by: i64, at: i64) -> Result<(), ApiError> {
    db.exec(
        "UPDATE redemptions SET status = 'handed_over', handed_over_at = ?, handed_over_by = ? WHERE id = ?",
        &[Value::Integer(at), Value::Integer(by), Value::Integer(id)],
    )?;
    let path = db
        .query_one("SELECT org_path FROM redemptions WHERE id = ?", &[Value::Integer(id)])?
        .ok_or_else(|| ApiError::Internal("the demo redemption vanished".into()))?
        .str("org_path")?;
    let after = json!({ "status": "handed_over" });
    kit::audit(db, by, "redemption.handover", "redemption", Some(id), &path, None, Some(&after))
}

/// The volunteer cancels before handover: points refunded through the ledger, stock returned.
fn cancel(db: &Db, id: i64, v: &Volunteer, at: i64, reason: &str) -> Result<(), ApiError> {
    let row = db
        .query_one("SELECT item_id, quantity, points FROM redemptions WHERE id = ?", &[Value::Integer(id)])?
        .ok_or_else(|| ApiError::Internal("the demo redemption vanished".into()))?;
    let refund_key = format!("refund:redemption:{id}");
    db.exec(
        "UPDATE redemptions SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, cancel_reason = ?, refund_key = ?
         WHERE id = ?",
        &[
            Value::Integer(at),
            Value::Integer(v.account_id),
            Value::Text(reason.into()),
            Value::Text(refund_key.clone()),
            Value::Integer(id),
        ],
    )?;
    db.exec(
        "UPDATE reward_items SET stock = stock + ? WHERE id = ?",
        &[Value::Integer(row.i64("quantity")?), Value::Integer(row.i64("item_id")?)],
    )?;
    let points = row.i64("points")?;
    if points > 0 {
        ledger::post(
            db.connection(),
            &Posting {
                volunteer_id: v.id,
                kind: Kind::Points,
                amount: points,
                source: Source::Refund,
                source_id: id,
                actor_id: v.account_id,
                idempotency_key: refund_key,
                note: reason.to_string(),
            },
        )
        .map_err(kit::ledger_error)?;
    }
    Ok(())
}

/// One honour: nominated by `by`, decided by `decider` (another staff member) or still open.
#[allow(clippy::too_many_arguments)]
fn honour(
    db: &Db,
    org: (i64, &str),
    v: &Volunteer,
    title: &str,
    period: &str,
    reason: &str,
    by: i64,
    decider: Option<i64>,
    at: i64,
) -> Result<(), ApiError> {
    let id = db.insert(
        "INSERT INTO honours (org_id, org_path, volunteer_id, title, period, reason, status, nominated_by,
             nominated_at, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(org.0),
            Value::Text(org.1.into()),
            Value::Integer(v.id),
            Value::Text(title.into()),
            Value::Text(period.into()),
            Value::Text(reason.into()),
            Value::Text(if decider.is_some() { "approved" } else { "nominated" }.into()),
            Value::Integer(by),
            Value::Integer(at),
            decider.map_or(Value::Null, Value::Integer),
            decider.map_or(Value::Null, |_| Value::Integer(at + DAY)),
        ],
    )?;
    let entry = json!({ "volunteer_id": v.id, "title": title, "period": period });
    kit::audit(db, by, "honour.nominate", "honour", Some(id), org.1, None, Some(&entry))?;
    if let Some(d) = decider {
        kit::audit(db, d, "honour.approve", "honour", Some(id), org.1, None, Some(&entry))?;
    }
    Ok(())
}

fn under(v: &Volunteer, path: &str) -> bool {
    v.home_path.starts_with(path)
}

pub fn seed(db: &Db, c: &County) -> Result<Json, ApiError> {
    let now = c.now;
    let (thresholds, notice_days) = star_rules(db)?;
    let (t1, t2) = (thresholds.first().copied().unwrap_or(100), thresholds.get(1).copied().unwrap_or(300));

    // Veterans: the longest-registered volunteers, their past service reported and approved,
    // all of it before the demo's activities (so nothing overlaps).
    let before = db
        .query_one("SELECT MIN(starts_at) AS first FROM activities", &[])?
        .and_then(|r| r.opt_i64("first").ok().flatten())
        .unwrap_or(now)
        .min(now - 7 * DAY);
    // The first is the station's longest-registered volunteer, so its supermarket has a customer.
    let mut by_tenure: Vec<&Volunteer> = c.volunteers.iter().collect();
    by_tenure.sort_by_key(|v| (v.joined, v.id));
    let mut veterans: Vec<&Volunteer> =
        by_tenure.iter().copied().filter(|v| under(v, c.station_path)).take(1).collect();
    veterans.extend(by_tenure.iter().copied().filter(|v| !under(v, c.station_path)).take(4 - veterans.len()));
    // Hours each should reach: past the first threshold (confirmed), just past it (waiting for
    // confirmation), past the second (a higher level in its notice now), and short of any.
    let targets_h = [t1 + 12, t1 + 4, t2 + 20, t1 / 2];
    let mut reports = 0;
    for (v, target) in veterans.iter().zip(targets_h) {
        let have = balance(db, v.id, Kind::Minutes)?;
        let needed = ((target * 60 - have).max(0) + REPORT_MINUTES - 1) / REPORT_MINUTES;
        reports += veteran_service(db, c, v, needed.min(MAX_REPORTS), before)?;
    }

    // Star levels from the hours the veterans now have.
    let (mut confirmed, mut awaiting, mut in_notice) = (0, 0, 0);
    for (k, v) in veterans.iter().enumerate() {
        let minutes = balance(db, v.id, Kind::Minutes)?;
        let level = level_for(&thresholds, minutes);
        if level == 0 {
            continue;
        }
        let threshold = thresholds[level as usize - 1];
        match k {
            0 => {
                let at = now - 40 * DAY;
                let id = star_row(db, v.id, level, threshold, minutes, at, notice_days, None)?;
                let decided_at = at + (notice_days + 1) * DAY;
                db.exec(
                    "UPDATE star_levels SET status = 'confirmed', decided_by = ?, decided_at = ?, minutes_at_decision = ?
                     WHERE id = ?",
                    &[Value::Integer(c.centre_admin), Value::Integer(decided_at), Value::Integer(minutes), Value::Integer(id)],
                )?;
                let after = json!({ "volunteer_id": v.id, "level": level, "status": "confirmed" });
                kit::audit(
                    db,
                    c.centre_admin,
                    "star.confirm",
                    "star_level",
                    Some(id),
                    c.centre_path,
                    None,
                    Some(&after),
                )?;
                confirmed += 1;
            }
            1 => {
                // The notice has run out: staff may confirm it now.
                star_row(db, v.id, level, threshold, minutes, now - (notice_days + 2) * DAY, notice_days, None)?;
                awaiting += 1;
            }
            _ => {
                if level >= 2 {
                    let lower = thresholds[level as usize - 2];
                    let at = now - 60 * DAY;
                    let decided = Some(("confirmed", c.centre_admin, at + (notice_days + 1) * DAY));
                    star_row(db, v.id, level - 1, lower, lower * 60, at, notice_days, decided)?;
                    confirmed += 1;
                }
                // Proposed yesterday: on the public notice (公示) now.
                star_row(db, v.id, level, threshold, minutes, now - DAY, notice_days, None)?;
                in_notice += 1;
            }
        }
    }

    // The love supermarkets.
    let mut centre_items = Vec::new();
    for spec in &CENTRE_ITEMS {
        centre_items.push(insert_item(db, (c.centre_id, c.centre_path), spec, c.centre_admin, now)?);
    }
    let mut station_items = Vec::new();
    for spec in &STATION_ITEMS {
        station_items.push(insert_item(db, (c.station_id, c.station_path), spec, c.station_admin, now)?);
    }

    // Redemptions in every state, by the veterans (who have the points): at the station, handed
    // over by its admin, and at the centre.
    let (mut reserved, mut handed_over, mut cancelled) = (0, 0, 0);
    if let [v0, v1, v2, ..] = veterans.as_slice() {
        if under(v0, c.station_path) {
            if let Some(id) = redeem(db, station_items[0], v0, 2, now - 10 * DAY)? {
                hand_over(db, id, c.station_admin, now - 10 * DAY + 2 * HOUR)?;
                handed_over += 1;
            }
            reserved += i32::from(redeem(db, station_items[1], v0, 1, now - 2 * DAY)?.is_some());
        }
        reserved += i32::from(redeem(db, centre_items[2], v1, 1, now - DAY)?.is_some());
        if let Some(id) = redeem(db, centre_items[4], v2, 1, now - 8 * DAY)? {
            cancel(db, id, v2, now - 7 * DAY, "时间冲突，改天再来")?;
            cancelled += 1;
        }
        if let Some(id) = redeem(db, centre_items[0], v2, 1, now - 5 * DAY)? {
            hand_over(db, id, c.centre_admin, now - 5 * DAY + HOUR)?;
            handed_over += 1;
        }
    }

    // Honour lists.
    let year = domain::Date::of(now).year();
    let period = format!("{year}年度");
    let mut approved = 0;
    let mut nominated = 0;
    let in_institute: Vec<&Volunteer> = c.volunteers.iter().filter(|v| under(v, c.institute_path)).take(3).collect();
    for (v, reason) in in_institute.iter().zip(["常年坚持为空巢老人送餐上门", "组织四点半课堂，辅导留守儿童功课两年"])
    {
        let org = (c.institute_id, c.institute_path);
        honour(db, org, v, "最美志愿者", &period, reason, c.institute_admin, Some(c.centre_admin), now - 12 * DAY)?;
        approved += 1;
    }
    let in_station: Vec<&Volunteer> = c.volunteers.iter().filter(|v| under(v, c.station_path)).take(2).collect();
    if let Some(v) = in_station.first() {
        let reason = "全年参与社区环境整治志愿服务二十余次";
        let org = (c.station_id, c.station_path);
        honour(db, org, v, "优秀志愿者", &period, reason, c.station_admin, Some(c.institute_admin), now - 6 * DAY)?;
        approved += 1;
    }
    if let Some(v) = in_station.get(1) {
        // Waiting for a second staff member (the institute or centre admin) to decide.
        let reason = "疫情防控和防汛期间连续值守";
        honour(db, (c.station_id, c.station_path), v, "优秀志愿者", &period, reason, c.station_admin, None, now - DAY)?;
        nominated += 1;
    }

    Ok(json!({
        "veteran_self_reports": reports,
        "stars": { "confirmed": confirmed, "awaiting_confirmation": awaiting, "in_notice": in_notice },
        "catalogue_items": centre_items.len() + station_items.len(),
        "redemptions": { "reserved": reserved, "handed_over": handed_over, "cancelled": cancelled },
        "honours": { "approved": approved, "nominated": nominated },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_days_follow_the_thresholds_and_china_time() {
        assert_eq!(level_for(&[100, 300], 99 * 60), 0);
        assert_eq!(level_for(&[100, 300], 100 * 60), 1);
        assert_eq!(level_for(&[100, 300], 400 * 60), 2);
        // 2026-12-01 00:10 +08:00 belongs to 2026-12-01, whose midnight is 2026-11-30T16:00Z.
        assert_eq!(cst_midnight(1_796_055_000), 1_796_054_400);
    }
}
