//! 群众评单 for activities and projects: participants and the people served rate once each;
//! results are counted per activity, project, team or org subtree.
//!
//! One rating per rater and subject is the table's UNIQUE constraint (an `INSERT ... ON CONFLICT
//! DO NOTHING` that changed nothing is the 409), so two taps racing from one phone cannot both
//! count. Who is a participant is checked against what the platform recorded: an attendance at
//! the activity, or approved membership of the project's team.

use kit::{ApiError, Db, Page};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::Org;
use crate::input::{self, Fields};
use crate::model::{self, RatingTally};
use kit::identity::{Action, Principal};

/// What is rated: `(kind, id, org id, org path, team id)`.
struct Subject {
    kind: &'static str,
    id: i64,
    org_id: i64,
    org_path: String,
    team_id: Option<i64>,
}

fn activity(db: &Db, id: i64, now: i64) -> Result<Subject, ApiError> {
    let row = db.query_one(
        "SELECT a.org_id, o.path, a.team_id, a.starts_at FROM activities a JOIN orgs o ON o.id = a.org_id \
         WHERE a.id = ? AND a.status = 'approved'",
        &[Value::Integer(id)],
    )?;
    let r = row.ok_or_else(|| ApiError::invalid("activity_id", "no such approved activity"))?;
    if r.i64("starts_at")? > now {
        return Err(ApiError::conflict("not_started", "an activity can be rated once it has started"));
    }
    Ok(Subject {
        kind: "activity",
        id,
        org_id: r.i64("org_id")?,
        org_path: r.str("path")?,
        team_id: r.opt_i64("team_id")?,
    })
}

fn project(db: &Db, id: i64, now: i64) -> Result<Subject, ApiError> {
    let row = db.query_one(
        "SELECT org_id, org_path, team_id, starts_on FROM eval_projects WHERE id = ?",
        &[Value::Integer(id)],
    )?;
    let r = row.ok_or_else(|| ApiError::invalid("project_id", "no such project"))?;
    // A project's start date was checked when it was saved; were it ever unreadable, the project
    // counts as started rather than locking its ratings out.
    let starts = domain::Date::parse(&r.str("starts_on")?).map_or(i64::MIN, domain::Date::start);
    if starts > now {
        return Err(ApiError::conflict("not_started", "a project can be rated once it has started"));
    }
    Ok(Subject {
        kind: "project",
        id,
        org_id: r.i64("org_id")?,
        org_path: r.str("org_path")?,
        team_id: r.opt_i64("team_id")?,
    })
}

/// Whether `account` took part: an attendance at the activity, or approved membership of the
/// project's team.
fn took_part(db: &Db, s: &Subject, account: i64) -> Result<bool, ApiError> {
    let row = if s.kind == "activity" {
        db.query_one(
            "SELECT 1 AS x FROM attendances t JOIN volunteers v ON v.id = t.volunteer_id WHERE t.activity_id = ? AND v.account_id = ?",
            &[Value::Integer(s.id), Value::Integer(account)],
        )?
    } else {
        let Some(team) = s.team_id else { return Ok(false) };
        db.query_one(
            "SELECT 1 AS x FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id \
             WHERE m.team_id = ? AND m.status = 'approved' AND v.account_id = ?",
            &[Value::Integer(team), Value::Integer(account)],
        )?
    };
    Ok(row.is_some())
}

/// `POST /api/v1/ratings` → 201 the rating.
pub fn rate(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    crate::access::refuse_auditor(p)?;
    let now = kit::request_now(req);
    let mut f = Fields::from_request(
        req,
        &["activity_id", "project_id", "as", "level", "recognition", "participation", "comment"],
    )?;
    let activity_id = f.opt_id("activity_id")?;
    let project_id = f.opt_id("project_id")?;
    let group = f.choice("as", &["participant", "citizen"])?;
    let level = f.choice("level", &model::LEVELS)?;
    let recognition = f.opt_int("recognition", 1..=5)?;
    let participation = f.opt_int("participation", 1..=5)?;
    let comment = f.opt_text("comment", 500)?.unwrap_or_default();
    let db = Db::open()?;
    let s = match (activity_id, project_id) {
        (Some(a), None) => activity(&db, a, now)?,
        (None, Some(pr)) => project(&db, pr, now)?,
        _ => return Err(ApiError::invalid("activity_id", "give exactly one of activity_id and project_id")),
    };
    let (recognition, participation) = match (s.kind, recognition, participation) {
        ("project", Some(r), Some(pa)) => (Value::Integer(r), Value::Integer(pa)),
        ("project", None, _) => return Err(ApiError::invalid("recognition", "is required for a project: 1 to 5")),
        ("project", _, None) => return Err(ApiError::invalid("participation", "is required for a project: 1 to 5")),
        (_, Some(_), _) => return Err(ApiError::invalid("recognition", "is for projects only")),
        (_, _, Some(_)) => return Err(ApiError::invalid("participation", "is for projects only")),
        _ => (Value::Null, Value::Null),
    };
    if group == "participant" && !took_part(&db, &s, p.account_id)? {
        return Err(ApiError::Refused {
            code: "not_participant",
            message: format!(
                "you have no record of taking part in this {}; rate as citizen if you were served",
                s.kind
            ),
        });
    }
    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let changed = db.exec(
            "INSERT INTO eval_ratings (subject, subject_id, org_id, org_path, team_id, rater_id, rater_group, level, \
             recognition, participation, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[
                Value::Text(s.kind.into()),
                Value::Integer(s.id),
                Value::Integer(s.org_id),
                Value::Text(s.org_path.clone()),
                s.team_id.map_or(Value::Null, Value::Integer),
                Value::Integer(p.account_id),
                Value::Text(group.into()),
                Value::Text(level.into()),
                recognition.clone(),
                participation.clone(),
                Value::Text(comment.clone()),
                Value::Integer(now),
            ],
        )?;
        if changed == 0 {
            return Err(ApiError::conflict("already_rated", format!("you have already rated this {}", s.kind)));
        }
        let id = db.connection().last_insert_rowid();
        let row = db.query_one(&format!("SELECT {COLUMNS} FROM eval_ratings WHERE id = ?"), &[Value::Integer(id)])?;
        Ok((201, rating_json(&row.ok_or_else(|| ApiError::Internal("the new rating vanished".into()))?)?))
    })?;
    Ok(kit::json(status, &body))
}

const COLUMNS: &str =
    "id, subject, subject_id, org_id, team_id, rater_group, level, recognition, participation, comment, created_at";

/// A rating as shown: who rated is not (a rating is an opinion, not a record about a person).
fn rating_json(r: &kit::Row) -> Result<Json, ApiError> {
    Ok(json!({
        "id": r.i64("id")?, "subject": r.str("subject")?, "subject_id": r.i64("subject_id")?, "org_id": r.i64("org_id")?,
        "team_id": r.opt_i64("team_id")?, "as": r.str("rater_group")?, "level": r.str("level")?,
        "points": model::rating_points(&r.str("level")?), "recognition": r.opt_i64("recognition")?,
        "participation": r.opt_i64("participation")?, "comment": r.str("comment")?,
        "created_at": kit::time::rfc3339(r.i64("created_at")?),
    }))
}

/// The subject filter of list and summary: `(where sql, params, org path to gate on, subject json)`.
type Filter = (String, Vec<Value>, String, Json);

fn filter(db: &Db, req: &Request) -> Result<Option<Filter>, ApiError> {
    let given: Vec<(&str, i64)> = ["activity", "project", "team", "org"]
        .into_iter()
        .map(|k| input::query_id(req, k).map(|v| v.map(|v| (k, v))))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let (kind, id) = match given.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(ApiError::invalid("activity", "give at most one of activity, project, team, org")),
    };
    let missing = || ApiError::NotFound(format!("no such {kind}"));
    Ok(Some(match kind {
        "activity" | "project" => {
            let sql = if kind == "activity" {
                "SELECT o.path, a.title AS name FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?"
            } else {
                "SELECT org_path AS path, name FROM eval_projects WHERE id = ?"
            };
            let r = db.query_one(sql, &[Value::Integer(id)])?.ok_or_else(missing)?;
            (
                "subject = ? AND subject_id = ?".to_string(),
                vec![Value::Text(kind.into()), Value::Integer(id)],
                r.str("path")?,
                json!({"kind": kind, "id": id, "name": r.str("name")?}),
            )
        }
        "team" => {
            let r = db.query_one(
                "SELECT o.path, t.name FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.id = ?",
                &[Value::Integer(id)],
            )?;
            let r = r.ok_or_else(missing)?;
            (
                "team_id = ?".to_string(),
                vec![Value::Integer(id)],
                r.str("path")?,
                json!({"kind": "team", "id": id, "name": r.str("name")?}),
            )
        }
        _ => {
            let org = Org::load(db, id)?.ok_or_else(missing)?;
            let (lo, hi) = kit::org_path(&org.path)?.subtree_bounds();
            (
                "org_path >= ? AND org_path < ?".to_string(),
                vec![Value::Text(lo), Value::Text(hi)],
                org.path.clone(),
                json!({"kind": "org", "id": id, "name": org.name}),
            )
        }
    }))
}

/// Counts ratings matching `where_sql` into a tally.
pub fn tally(db: &Db, where_sql: &str, params: &[Value]) -> Result<RatingTally, ApiError> {
    let mut t = RatingTally::default();
    let rows = db.query(
        &format!(
            "SELECT level, COUNT(*) AS n, COALESCE(SUM(recognition), 0) AS rec, COALESCE(SUM(participation), 0) AS par, \
             COUNT(recognition) AS scored FROM eval_ratings WHERE {where_sql} GROUP BY level"
        ),
        params,
    )?;
    for r in rows {
        t.add(&r.str("level")?, r.i64("n")?);
        t.recognition_sum += r.i64("rec")?;
        t.participation_sum += r.i64("par")?;
        t.scored += r.i64("scored")?;
    }
    Ok(t)
}

/// `GET /api/v1/ratings/summary?activity=|project=|team=|org=&period=`.
pub fn summary(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let period = input::opt_query_period(req)?;
    let db = Db::open()?;
    let (mut sql, mut params, path, subject) =
        filter(&db, req)?.ok_or_else(|| ApiError::invalid("activity", "give one of activity, project, team, org"))?;
    kit::gate(p, Action::ReadEvaluations, &path, subject["kind"].as_str().unwrap_or("subject"))?;
    if let Some(per) = &period {
        sql.push_str(" AND created_at >= ? AND created_at < ?");
        params.extend([Value::Integer(per.start), Value::Integer(per.end)]);
    }
    let mut body = tally(&db, &sql, &params)?.json();
    let mut by_group = serde_json::Map::new();
    for g in ["participant", "citizen"] {
        let mut gp = params.clone();
        gp.push(Value::Text(g.into()));
        by_group.insert(g.into(), tally(&db, &format!("{sql} AND rater_group = ?"), &gp)?.json());
    }
    body["subject"] = subject;
    body["period"] = period.map_or(Json::Null, |p| p.json());
    body["by_group"] = Json::Object(by_group);
    body["points"] = json!({"very_satisfied": 100, "satisfied": 80, "basically_satisfied": 60, "dissatisfied": 0});
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/ratings?activity=|project=|team=|org=&period=&limit=&cursor=` — in the caller's
/// read-evaluations scope, by id.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let period = input::opt_query_period(req)?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ReadEvaluations)?.condition("org_path", &mut params);
    let mut sql = format!("SELECT {COLUMNS} FROM eval_ratings WHERE {scope} AND id > ?");
    params.push(Value::Integer(page.after));
    if let Some((w, ps, path, subject)) = filter(&db, req)? {
        kit::gate(p, Action::ReadEvaluations, &path, subject["kind"].as_str().unwrap_or("subject"))?;
        sql.push_str(&format!(" AND {w}"));
        params.extend(ps);
    }
    if let Some(per) = &period {
        sql.push_str(" AND created_at >= ? AND created_at < ?");
        params.extend([Value::Integer(per.start), Value::Integer(per.end)]);
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    let items = rows.iter().map(rating_json).collect::<Result<Vec<_>, _>>()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}
