//! What the account answers: menu clicks and keywords lead into the platform — the needs surveys
//! open now (需求调查), the next public activities (志愿活动), where to order a service (群众点单) —
//! from what the database holds at that moment. Nothing is written: the callback only reads.

use domain::Timestamp;
use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::message::Kind;

/// The menu keys the account's custom menu (自定义菜单) is set up with.
pub const MENU_ORDER: &str = "MENU_ORDER_DEMAND";
pub const MENU_SURVEYS: &str = "MENU_SURVEYS";
pub const MENU_ACTIVITIES: &str = "MENU_ACTIVITIES";
pub const MENU_HELP: &str = "MENU_HELP";

/// WeChat shows at most about 2,048 bytes of a text reply; lists stop at five entries.
const LIST: i64 = 5;

/// The reply text for `kind`, or `None` where WeChat expects none (menu links, unfollowing).
pub fn reply(db: &Db, base_url: &str, now: i64, kind: &Kind) -> Result<Option<String>, ApiError> {
    let base = base_url.trim_end_matches('/');
    let text = match kind {
        Kind::View { .. } | Kind::Unsubscribe | Kind::TemplateSent { .. } => return Ok(None),
        Kind::Click { key } => match key.as_str() {
            MENU_ORDER => order(base),
            MENU_SURVEYS => surveys(db, base, now)?,
            MENU_ACTIVITIES => activities(db, base, now)?,
            _ => help(),
        },
        Kind::Text { content, .. } => {
            let c = content.trim();
            if c.contains("点单") || c.contains("下单") || c.contains("求助") {
                order(base)
            } else if c.contains("问卷") || c.contains("调查") {
                surveys(db, base, now)?
            } else if c.contains("活动") {
                activities(db, base, now)?
            } else {
                help()
            }
        }
        Kind::Subscribe { scene } => {
            let place = match scene {
                Some(s) => station_of_scene(db, s)?.map(|name| format!("您扫描的是{name}的二维码。\n")),
                None => None,
            };
            format!("感谢关注新时代文明实践志愿服务平台！\n{}{}", place.unwrap_or_default(), help())
        }
        Kind::Scan { scene } => match station_of_scene(db, scene)? {
            Some(name) => format!("欢迎来到{name}。\n{}", help()),
            None => help(),
        },
        Kind::Other { .. } => help(),
    };
    Ok(Some(text))
}

fn help() -> String {
    "回复“点单”：需要志愿服务，告诉我们\n回复“问卷”：正在进行的需求调查\n回复“活动”：近期志愿活动".to_string()
}

fn order(base: &str) -> String {
    format!(
        "群众点单：告诉我们您需要什么服务（助老、助残、政策咨询……），中心会派志愿服务队上门。\n请打开 {base}/ 用手机号和短信验证码登录后点单。"
    )
}

fn surveys(db: &Db, base: &str, now: i64) -> Result<String, ApiError> {
    let rows = db.query(
        "SELECT id, title, closes_at FROM surveys WHERE status = 'published' AND opens_at <= ? AND closes_at > ? \
         ORDER BY closes_at, id LIMIT ?",
        &[Value::Integer(now), Value::Integer(now), Value::Integer(LIST)],
    )?;
    if rows.is_empty() {
        return Ok("现在没有正在进行的需求调查，感谢关注。".to_string());
    }
    let mut out = String::from("正在进行的需求调查：");
    for r in &rows {
        out.push_str(&format!(
            "\n· {}（{}截止）\n{base}/survey.html?id={}",
            r.str("title")?,
            local_minute(r.i64("closes_at")?),
            r.i64("id")?
        ));
    }
    Ok(out)
}

fn activities(db: &Db, base: &str, now: i64) -> Result<String, ApiError> {
    let rows = db.query(
        "SELECT title, address, starts_at FROM activities \
         WHERE status = 'approved' AND visibility = 'public' AND ends_at > ? ORDER BY starts_at, id LIMIT ?",
        &[Value::Integer(now), Value::Integer(LIST)],
    )?;
    if rows.is_empty() {
        return Ok("近期没有公开招募的志愿活动，感谢关注。".to_string());
    }
    let mut out = String::from("近期志愿活动：");
    for r in &rows {
        out.push_str(&format!("\n· {} {}", local_minute(r.i64("starts_at")?), r.str("title")?));
        let address = r.opt_str("address")?.unwrap_or_default();
        if !address.is_empty() {
            out.push_str(&format!("（{address}）"));
        }
    }
    out.push_str(&format!("\n报名请登录 {base}/"));
    Ok(out)
}

/// `station_<id>` (a station's QR code) → that active org's name.
fn station_of_scene(db: &Db, scene: &str) -> Result<Option<String>, ApiError> {
    let Some(id) = scene.strip_prefix("station_").and_then(|n| n.parse::<i64>().ok()) else {
        return Ok(None);
    };
    db.query_one("SELECT name FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(id)])?
        .map(|r| r.str("name"))
        .transpose()
}

/// `MM-DD HH:MM` in Asia/Shanghai: short enough for a chat line.
fn local_minute(t: i64) -> String {
    let at = Timestamp::from_unix(t);
    let day = at.date();
    format!("{:02}-{:02} {}", day.month(), day.day(), at.clock())
}

#[cfg(test)]
mod tests {
    #[test]
    fn minutes_are_shown_in_shanghai() {
        // 2026-05-01T01:05:00Z is 09:05 in Shanghai.
        assert_eq!(super::local_minute(1_777_597_500), "05-01 09:05");
    }
}
