//! Service records (志愿服务记录): what a volunteer has confirmed service for.
//!
//! An entry is an attendance the organiser confirmed, an approved self-report, or an order a team
//! completed (`kind` `order`, `id` the order's): 活动名称 (title; for an order, the service
//! menu item), 日期 (date), 地点 (address; never a citizen's home for an order), 服务内容
//! (category and description; for an order, the completion summary), 时长 (minutes and hours),
//! 组织者 (the hosting org; for an order, the station it belongs to) and 记录人 (the account that
//! confirmed, approved or completed it). An order's minutes are the ledger's `order` credit for
//! the volunteer (posted by `dispatch` at completion), so the record shows what was credited.
//! The totals are the ledger's balances, never a sum computed here.
//!
//! - `GET /api/v1/volunteers/{id}/record` — JSON; the volunteer themself, or read-volunteers at
//!   their home org (404 outside scope, 403 when the roles allow it nowhere).
//! - `GET /api/v1/volunteers/{id}/record.html` — the same as a printable page headed
//!   「志愿服务平台记录（非证明）」, saying it is a platform record and not a certificate (证明).
//! - `GET /api/v1/records.csv?volunteer=&team=&activity=&from=&to=` — entries as CSV, phone and ID
//!   number masked, ordered by date. Scoped: entries of volunteers whose home org, or of service
//!   hosted by an org, where the caller has read-volunteers, plus the caller's own. `team` means
//!   the team's approved members; `from`/`to` filter the service date (a date `YYYY-MM-DD` in
//!   `+08:00`, to inclusive, or an RFC 3339 time).

use kit::{ApiError, Db, Row};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, html_escape, opt_rfc3339, rfc3339, DayEnd};
use crate::ledger_tx;
use crate::minutes::hours_text;
use crate::model::Volunteer;
use kit::identity::{Action, Principal};
use kit::ledger::Kind;

/// The heading every printable record carries.
pub const HEADING: &str = "志愿服务平台记录（非证明）";
/// What the record is, and what it is not.
pub const NOTICE: &str =
    "本页为志愿服务平台记录，仅供查阅，不是志愿服务证明（证明须由志愿服务组织依法出具）。This is a platform record, not a certificate.";

/// Confirmed attendances, approved self-reports and credited orders, one shape, with the
/// volunteer's data. An order's credit points (`source_id`) at its completion's timeline entry;
/// its service ran from the last start (`in_service`) before that completion.
const ENTRIES: &str = "SELECT e.*, v.volunteer_no, v.real_name, v.phone, v.id_number, ho.path AS home_org_path
    FROM (
        SELECT 'activity' AS kind, att.id AS entry_id, att.volunteer_id, a.id AS activity_id, a.title,
               a.starts_at AS started_at, a.ends_at AS ended_at, a.address, a.category,
               a.description AS content, att.confirmed_minutes AS minutes, o.name AS org_name,
               o.path AS org_path, rec.name AS recorder, att.confirmed_at AS recorded_at
          FROM attendances att
          JOIN activities a ON a.id = att.activity_id
          JOIN orgs o ON o.id = a.org_id
          LEFT JOIN accounts rec ON rec.id = att.confirmed_by
         WHERE att.confirmed_at IS NOT NULL
        UNION ALL
        SELECT 'self-report', sr.id, sr.volunteer_id, NULL, sr.title, sr.started_at, sr.ended_at, '',
               sr.category, sr.description, sr.minutes, o.name, o.path, rec.name, sr.decided_at
          FROM self_reports sr
          JOIN orgs o ON o.id = sr.org_id
          LEFT JOIN accounts rec ON rec.id = sr.decided_by
         WHERE sr.status = 'approved'
        UNION ALL
        SELECT 'order', d.id, l.volunteer_id, NULL, m.name,
               COALESCE((SELECT MAX(s.at) FROM demand_events s
                          WHERE s.demand_id = d.id AND s.to_status = 'in_service' AND s.id < ev.id), ev.at),
               ev.at, '', m.category,
               COALESCE(CASE WHEN json_valid(d.report) THEN CAST(json_extract(d.report, '$.summary') AS TEXT) END, ''),
               l.amount, o.name, o.path, rec.name, ev.at
          FROM ledger_entries l
          JOIN demand_events ev ON ev.id = l.source_id
          JOIN demands d ON d.id = ev.demand_id
          JOIN service_menu_items m ON m.id = d.menu_item_id
          JOIN orgs o ON o.id = d.org_id
          LEFT JOIN accounts rec ON rec.id = l.actor_id
         WHERE l.source = 'order' AND l.kind = 'minutes' AND l.amount > 0
    ) e
    JOIN volunteers v ON v.id = e.volunteer_id
    JOIN orgs ho ON ho.id = v.home_org_id";

/// One record entry.
#[derive(Debug, Clone)]
struct Entry {
    kind: String,
    id: i64,
    activity_id: Option<i64>,
    title: String,
    started_at: i64,
    ended_at: i64,
    address: String,
    category: String,
    content: String,
    minutes: i64,
    org_name: String,
    recorder: String,
    recorded_at: Option<i64>,
    volunteer_no: String,
    real_name: String,
    phone: String,
    id_number: String,
}

impl Entry {
    fn from_row(r: &Row) -> Result<Entry, ApiError> {
        Ok(Entry {
            kind: r.str("kind")?,
            id: r.i64("entry_id")?,
            activity_id: r.opt_i64("activity_id")?,
            title: r.str("title")?,
            started_at: r.i64("started_at")?,
            ended_at: r.i64("ended_at")?,
            address: r.str("address")?,
            category: r.str("category")?,
            content: r.str("content")?,
            minutes: r.i64("minutes")?,
            org_name: r.str("org_name")?,
            recorder: r.opt_str("recorder")?.unwrap_or_default(),
            recorded_at: r.opt_i64("recorded_at")?,
            volunteer_no: r.str("volunteer_no")?,
            real_name: r.str("real_name")?,
            phone: r.str("phone")?,
            id_number: r.str("id_number")?,
        })
    }

    /// 服务内容: the category, and the description when there is one.
    fn service(&self) -> String {
        if self.content.trim().is_empty() {
            self.category.clone()
        } else {
            format!("{}：{}", self.category, self.content.trim())
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "kind": self.kind,
            "id": self.id,
            "activity_id": self.activity_id,
            "title": self.title,
            "date": input::date(self.started_at),
            "started_at": rfc3339(self.started_at),
            "ended_at": rfc3339(self.ended_at),
            "address": self.address,
            "category": self.category,
            "content": self.content,
            "minutes": self.minutes,
            "hours": hours_text(self.minutes).parse::<f64>().unwrap_or_default(),
            "organiser": self.org_name,
            "recorder": self.recorder,
            "recorded_at": opt_rfc3339(self.recorded_at),
        })
    }
}

/// A volunteer's record: who, every entry by date, and the ledger's totals.
struct Record {
    volunteer: Volunteer,
    entries: Vec<Entry>,
    total_minutes: i64,
    points: i64,
}

/// The record of volunteer `id`, if `p` may read it.
fn record(p: &Principal, id: i64) -> Result<Record, ApiError> {
    let db = Db::open()?;
    let volunteer = Volunteer::by_id(&db, id)?.ok_or_else(|| ApiError::NotFound("no such volunteer".into()))?;
    if volunteer.account_id != p.account_id {
        kit::gate(p, Action::ReadVolunteers, &volunteer.home_org_path, "volunteer")?;
    }
    let rows = db.query(
        &format!("{ENTRIES} WHERE e.volunteer_id = ? ORDER BY e.started_at, e.kind, e.entry_id"),
        &[Value::Integer(volunteer.id)],
    )?;
    let entries = rows.iter().map(Entry::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Record {
        total_minutes: ledger_tx::balance(&db, volunteer.id, Kind::Minutes)?,
        points: ledger_tx::balance(&db, volunteer.id, Kind::Points)?,
        volunteer,
        entries,
    })
}

/// `GET /api/v1/volunteers/{id}/record`.
pub fn json_record(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let r = record(p, id)?;
    let body = json!({
        "title": HEADING,
        "notice": NOTICE,
        "volunteer": {
            "id": r.volunteer.id,
            "volunteer_no": r.volunteer.volunteer_no,
            "real_name": r.volunteer.real_name,
            "home_org": r.volunteer.home_org_name,
        },
        "entries": r.entries.iter().map(Entry::json).collect::<Vec<_>>(),
        "totals": {
            "minutes": r.total_minutes,
            "hours": hours_text(r.total_minutes).parse::<f64>().unwrap_or_default(),
            "points": r.points,
            "entries": r.entries.len(),
        },
        "generated_at": rfc3339(kit::request_now(req)),
    });
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/volunteers/{id}/record.html`.
pub fn html_record(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let r = record(p, id)?;
    let e = html_escape;
    let mut rows = String::new();
    for entry in &r.entries {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} 分钟（{} 小时）</td><td>{}</td><td>{}</td></tr>\n",
            e(&entry.title),
            e(&format!(
                "{} {}–{}",
                input::date(entry.started_at),
                input::clock(entry.started_at),
                input::clock(entry.ended_at)
            )),
            e(if entry.address.is_empty() { "—" } else { &entry.address }),
            e(&entry.service()),
            entry.minutes,
            hours_text(entry.minutes),
            e(&entry.org_name),
            e(if entry.recorder.is_empty() { "—" } else { &entry.recorder }),
        ));
    }
    if r.entries.is_empty() {
        rows.push_str("<tr><td colspan=\"7\" class=\"empty\">暂无已确认的服务记录</td></tr>\n");
    }
    let page = format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{heading} · {name}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 1.5em; text-align: center; margin-bottom: .3em; }}
.notice {{ text-align: center; border: 1px solid #999; padding: .5em; margin: 0 auto 1.5em; max-width: 46em; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; }}
dt {{ font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 1em; }}
th, td {{ border: 1px solid #666; padding: .35em .5em; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
.empty {{ text-align: center; color: #666; }}
footer {{ margin-top: 2em; font-size: .85em; color: #444; }}
@media print {{ body {{ margin: 1cm; }} }}
</style>
</head>
<body>
<h1>{heading}</h1>
<p class="notice">{notice}</p>
<dl>
<dt>姓名</dt><dd>{name}</dd>
<dt>志愿者编号</dt><dd>{no}</dd>
<dt>所属组织</dt><dd>{org}</dd>
<dt>累计服务时长</dt><dd>{hours} 小时（{minutes} 分钟）</dd>
<dt>积分</dt><dd>{points}</dd>
<dt>记录条数</dt><dd>{count}</dd>
</dl>
<table>
<thead><tr><th>活动名称</th><th>日期</th><th>地点</th><th>服务内容</th><th>时长</th><th>组织者</th><th>记录人</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
<footer>生成时间：{generated}。{heading}：平台记录，非证明。</footer>
</body>
</html>
"#,
        heading = HEADING,
        notice = e(NOTICE),
        name = e(&r.volunteer.real_name),
        no = e(&r.volunteer.volunteer_no),
        org = e(&r.volunteer.home_org_name),
        hours = hours_text(r.total_minutes),
        minutes = r.total_minutes,
        points = r.points,
        count = r.entries.len(),
        rows = rows,
        generated = rfc3339(kit::request_now(req)),
    );
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
        .header("x-content-type-options", "nosniff")
        .body(page)
        .build())
}

/// `GET /api/v1/records.csv?volunteer=&team=&activity=&from=&to=`.
pub fn csv(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    const BATCH: i64 = 500;
    let volunteer = input::query_id(req, "volunteer")?;
    let team = input::query_id(req, "team")?;
    let activity = input::query_id(req, "activity")?;
    let from = input::query_time(req, "from", DayEnd::Start)?;
    let to = input::query_time(req, "to", DayEnd::End)?;
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(ApiError::invalid("to", "must not be before from"));
        }
    }
    let db = Db::open()?;
    let own = Volunteer::of_account(&db, p.account_id)?.map(|v| v.id);
    let readable = kit::Scope::of(p, Action::ReadVolunteers);
    if own.is_none() && readable.is_empty() {
        return Err(ApiError::Forbidden("your roles do not allow read-volunteers".into()));
    }
    let mut params = Vec::new();
    let home = readable.condition("ho.path", &mut params);
    let host = readable.condition("e.org_path", &mut params);
    params.push(Value::Integer(own.unwrap_or(0)));
    let mut sql = format!("{ENTRIES} WHERE ({home} OR {host} OR e.volunteer_id = ?)");
    if let Some(v) = volunteer {
        sql.push_str(" AND e.volunteer_id = ?");
        params.push(Value::Integer(v));
    }
    if let Some(t) = team {
        sql.push_str(
            " AND e.volunteer_id IN (SELECT volunteer_id FROM team_members WHERE team_id = ? AND status = 'approved')",
        );
        params.push(Value::Integer(t));
    }
    if let Some(a) = activity {
        sql.push_str(" AND e.activity_id = ?");
        params.push(Value::Integer(a));
    }
    if let Some(from) = from {
        sql.push_str(" AND e.started_at >= ?");
        params.push(Value::Integer(from));
    }
    if let Some(to) = to {
        sql.push_str(" AND e.started_at <= ?");
        params.push(Value::Integer(to));
    }
    sql.push_str(&format!(
        " AND (e.started_at, e.kind, e.entry_id) > (?, ?, ?) ORDER BY e.started_at, e.kind, e.entry_id LIMIT {BATCH}"
    ));

    let mut out = String::new();
    out.push_str(&kit::csv::row(&[
        "volunteer_no",
        "real_name",
        "phone",
        "id_number",
        "kind",
        "title",
        "date",
        "started_at",
        "ended_at",
        "address",
        "service",
        "minutes",
        "hours",
        "organiser",
        "recorder",
    ]));
    let mut after: (i64, String, i64) = (i64::MIN, String::new(), 0);
    loop {
        let mut batch = params.clone();
        batch.extend([Value::Integer(after.0), Value::Text(after.1.clone()), Value::Integer(after.2)]);
        let rows = db.query(&sql, &batch)?;
        for r in &rows {
            let entry = Entry::from_row(r)?;
            out.push_str(&kit::csv::row(&[
                entry.volunteer_no.clone(),
                entry.real_name.clone(),
                kit::mask_phone(&entry.phone),
                kit::mask_id_number(&entry.id_number),
                entry.kind.clone(),
                entry.title.clone(),
                input::date(entry.started_at),
                rfc3339(entry.started_at),
                rfc3339(entry.ended_at),
                entry.address.clone(),
                entry.service(),
                entry.minutes.to_string(),
                hours_text(entry.minutes),
                entry.org_name.clone(),
                entry.recorder.clone(),
            ]));
            after = (entry.started_at, entry.kind.clone(), entry.id);
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(kit::csv::attachment("records.csv", out))
}
