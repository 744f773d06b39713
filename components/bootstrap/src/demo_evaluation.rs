//! The demo county's evaluations (群众评单, 三级评估): a 7-item station work scheme with this
//! quarter's evaluations of a few stations (by the centre admin, and by the 城关镇 institute admin
//! for its own stations), a thematic satisfaction scheme graded by registered 党代表/人大代表 and
//! by citizens, two volunteer projects rated by their team's members and by people served, and
//! participants' ratings of finished activities.
//!
//! Everything is inserted as the `evaluation` component would store it, under the same rules
//! (an evaluator above the org, every item scored within its maximum with evidence where
//! required, one rating per rater and subject). Work totals use the component's formula —
//! Σ score / max_points × weight, in hundredths — re-stated in [`total_centi`] because the
//! component's arithmetic lives inside its own crate (`components/evaluation/src/model.rs`).
//!
//! The rest of the demo is read back from the database (stations, teams, members, attendances),
//! so this module needs only the few ids in [`County`].

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

const DAY: i64 = 86_400;

/// What the rest of the demo made, for the evaluations to use.
pub struct County<'a> {
    pub now: i64,
    pub centre_id: i64,
    pub centre_path: &'a str,
    pub centre_admin: i64,
    /// The demo's institute admin (manage-evaluations at 城关镇).
    pub institute_admin: i64,
}

/// The station work scheme: (key, title, weight, max points, evidence required). Weights sum
/// to 100.
const STATION_ITEMS: [(&str, &str, i64, i64, bool); 7] = [
    ("organisation", "组织建设（站长由村党组织书记担任，有专人负责）", 15, 10, false),
    ("venue", "阵地建设（场所、标识、设施）", 15, 10, true),
    ("team", "队伍建设（志愿服务队伍和骨干）", 15, 10, false),
    ("activity", "活动开展（每月至少一次）", 20, 20, true),
    ("channel", "渠道畅通（需求和活动录入云平台）", 10, 5, false),
    ("feature", "特色品牌", 10, 10, false),
    ("satisfaction", "群众满意度", 15, 100, false),
];

/// Per evaluated station, two evaluators' scores in item order.
const CENTRE_SCORES: [[i64; 7]; 4] =
    [[9, 9, 8, 18, 5, 8, 95], [8, 7, 9, 16, 4, 6, 90], [7, 8, 6, 14, 4, 5, 86], [10, 9, 9, 19, 5, 9, 97]];
const INSTITUTE_SCORES: [[i64; 7]; 2] = [[8, 9, 9, 17, 5, 7, 92], [9, 8, 8, 15, 4, 7, 88]];

/// Σ score / max × weight in hundredths (whole-point scores), rounded: the component's formula.
fn total_centi(scores: &[i64; 7]) -> i64 {
    let total: f64 = STATION_ITEMS.iter().zip(scores).map(|(i, s)| *s as f64 / i.3 as f64 * i.2 as f64).sum();
    (total * 100.0).round() as i64
}

/// `2026-Q4` for `now` in Asia/Shanghai; `None` if the clock is outside 2000–2999.
fn quarter(now: i64) -> Option<String> {
    domain::Period::quarter_of(now).map(domain::Period::label)
}

fn ids(db: &Db, sql: &str, params: &[Value]) -> Result<Vec<i64>, ApiError> {
    db.query(sql, params)?.iter().map(|r| r.i64("id")).collect()
}

/// Seeds the evaluations; returns a summary for the demo's answer.
pub fn seed(db: &Db, county: &County) -> Result<Json, ApiError> {
    let now = county.now;
    let period = quarter(now).ok_or_else(|| ApiError::Internal(format!("no evaluation period holds {now}")))?;
    let (lo, hi) = kit::org_path(county.centre_path)?.subtree_bounds();
    let bounds = [Value::Text(lo), Value::Text(hi)];
    let stations = ids(
        db,
        "SELECT id FROM orgs WHERE level = 'station' AND active = 1 AND path >= ? AND path < ? ORDER BY id",
        &bounds,
    )?;
    if stations.len() < 4 {
        return Err(ApiError::Internal("the demo evaluations need at least four stations".into()));
    }
    let institute_path = db
        .query_one(
            "SELECT o.path FROM role_grants g JOIN orgs o ON o.id = g.org_id WHERE g.account_id = ? AND g.role = 'institute-admin'",
            &[Value::Integer(county.institute_admin)],
        )?
        .ok_or_else(|| ApiError::Internal("the demo institute admin holds no institute".into()))?
        .str("path")?;
    let text = |s: &str| Value::Text(s.to_string());
    let org_path = |id: i64| -> Result<String, ApiError> {
        db.query_one("SELECT path FROM orgs WHERE id = ?", &[Value::Integer(id)])?
            .ok_or_else(|| ApiError::Internal("org vanished".into()))?
            .str("path")
    };

    // The station work scheme and this quarter's evaluations.
    let items: Vec<Json> = STATION_ITEMS
        .iter()
        .map(|(k, t, w, m, e)| json!({"key": k, "title": t, "weight": w, "max_points": m, "evidence_required": e}))
        .collect();
    let scheme = db.insert(
        "INSERT INTO eval_schemes (centre_id, centre_path, kind, name, target_level, definition, created_by, created_at) \
         VALUES (?, ?, 'work', ?, 'station', ?, ?, ?)",
        &[
            Value::Integer(county.centre_id),
            text(county.centre_path),
            text("新时代文明实践站工作评估（七项）"),
            Value::Text(json!({ "items": items }).to_string()),
            Value::Integer(county.centre_admin),
            Value::Integer(now - 30 * DAY),
        ],
    )?;
    let mut evaluations = 0;
    let mut plan: Vec<(i64, i64, [i64; 7])> =
        stations.iter().zip(CENTRE_SCORES).map(|(s, sc)| (*s, county.centre_admin, sc)).collect();
    let own: Vec<i64> =
        stations.iter().copied().filter(|s| org_path(*s).is_ok_and(|p| p.starts_with(&institute_path))).collect();
    plan.extend(own.iter().zip(INSTITUTE_SCORES).map(|(s, sc)| (*s, county.institute_admin, sc)));
    for (n, (station, evaluator, scores)) in plan.iter().enumerate() {
        let path = org_path(*station)?;
        let at = now - (10 - n as i64) * DAY;
        let id = db.insert(
            "INSERT INTO eval_work_evaluations (scheme_id, org_id, org_path, period, evaluator_id, total_centi, comment, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(scheme),
                Value::Integer(*station),
                Value::Text(path.clone()),
                text(&period),
                Value::Integer(*evaluator),
                Value::Integer(total_centi(scores)),
                text("实地考察、材料审核、群众访谈"),
                Value::Integer(at),
            ],
        )?;
        for (item, score) in STATION_ITEMS.iter().zip(scores) {
            let evidence =
                if item.4 { json!([format!("{}台账-{period}.pdf", item.0), "现场照片3张"]) } else { json!([]) };
            db.exec(
                "INSERT INTO eval_work_scores (evaluation_id, item_key, score_centi, note, evidence) VALUES (?, ?, ?, ?, ?)",
                &[Value::Integer(id), text(item.0), Value::Integer(score * 100), text("查阅台账"), Value::Text(evidence.to_string())],
            )?;
        }
        kit::audit(
            db,
            *evaluator,
            "evaluation.work.create",
            "eval_work_evaluation",
            Some(id),
            &path,
            None,
            Some(
                &json!({"scheme_id": scheme, "org_id": station, "period": period, "total": total_centi(scores) as f64 / 100.0}),
            ),
        )?;
        evaluations += 1;
    }

    // A thematic scheme: registered party and NPC representatives, and citizens.
    let groups = json!({"groups": [
        {"key": "party_rep", "title": "党代表", "weight": 40},
        {"key": "npc_deputy", "title": "人大代表", "weight": 30},
        {"key": "citizen", "title": "群众", "weight": 30}]});
    let thematic = db.insert(
        "INSERT INTO eval_schemes (centre_id, centre_path, kind, name, target_level, definition, created_by, created_at) \
         VALUES (?, ?, 'thematic', ?, 'station', ?, ?, ?)",
        &[
            Value::Integer(county.centre_id),
            text(county.centre_path),
            text("文明实践站群众满意度专项测评"),
            Value::Text(groups.to_string()),
            Value::Integer(county.centre_admin),
            Value::Integer(now - 20 * DAY),
        ],
    )?;
    let raters = ids(
        db,
        "SELECT v.account_id AS id FROM volunteers v JOIN orgs o ON o.id = v.home_org_id WHERE o.path >= ? AND o.path < ? \
         ORDER BY v.id LIMIT 10",
        &bounds,
    )?;
    let group_of = |i: usize| match i {
        0 | 1 => "party_rep",
        2 | 3 => "npc_deputy",
        _ => "citizen",
    };
    for (i, account) in raters.iter().enumerate().take(4) {
        db.exec(
            "INSERT INTO eval_scheme_raters (scheme_id, account_id, rater_group, registered_by, registered_at) VALUES (?, ?, ?, ?, ?)",
            &[Value::Integer(thematic), Value::Integer(*account), text(group_of(i)), Value::Integer(county.centre_admin), Value::Integer(now - 19 * DAY)],
        )?;
    }
    let grades = ["satisfied", "satisfied", "basically_satisfied", "satisfied", "dissatisfied"];
    let mut graded = 0;
    for (s, station) in stations.iter().take(3).enumerate() {
        let path = org_path(*station)?;
        for (i, account) in raters.iter().enumerate() {
            db.exec(
                "INSERT INTO eval_thematic_grades (scheme_id, org_id, org_path, period, rater_id, rater_group, grade, comment, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)",
                &[
                    Value::Integer(thematic),
                    Value::Integer(*station),
                    Value::Text(path.clone()),
                    text(&period),
                    Value::Integer(*account),
                    text(group_of(i)),
                    text(grades[(i + s) % grades.len()]),
                    Value::Integer(now - (15 - i as i64) * DAY),
                ],
            )?;
            graded += 1;
        }
    }

    // Two projects of teams with approved members, rated by members and by people served.
    let teams = db.query(
        "SELECT t.id, t.name, t.org_id, o.path FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.active = 1 \
         AND o.path >= ? AND o.path < ? AND EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.status = 'approved') \
         ORDER BY t.id LIMIT 2",
        &bounds,
    )?;
    let mut projects = 0;
    let mut project_ratings = 0;
    let levels = ["very_satisfied", "satisfied", "very_satisfied", "basically_satisfied", "satisfied", "dissatisfied"];
    for (n, t) in teams.iter().enumerate() {
        let (team, org_id, path) = (t.i64("id")?, t.i64("org_id")?, t.str("path")?);
        let name = if n == 0 { "银龄陪伴·助老暖心项目" } else { "四点半课堂·护苗成长项目" };
        let project = db.insert(
            "INSERT INTO eval_projects (org_id, org_path, team_id, name, description, starts_on, ends_on, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(org_id),
                Value::Text(path.clone()),
                Value::Integer(team),
                text(name),
                Value::Text(format!("{}承担的常态化志愿服务项目", t.str("name")?)),
                text("2026-01-01"),
                text("2026-12-31"),
                Value::Integer(county.centre_admin),
                Value::Integer(now - 60 * DAY),
            ],
        )?;
        projects += 1;
        let members = ids(
            db,
            "SELECT v.account_id AS id FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id \
             WHERE m.team_id = ? AND m.status = 'approved' ORDER BY v.id LIMIT 4",
            &[Value::Integer(team)],
        )?;
        let served: Vec<i64> = raters.iter().copied().filter(|a| !members.contains(a)).skip(4).take(3).collect();
        let everyone = members.iter().map(|a| (*a, "participant")).chain(served.iter().map(|a| (*a, "citizen")));
        for (i, (account, group)) in everyone.enumerate() {
            project_ratings += db.exec(
                "INSERT INTO eval_ratings (subject, subject_id, org_id, org_path, team_id, rater_id, rater_group, level, recognition, \
                 participation, comment, created_at) VALUES ('project', ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT DO NOTHING",
                &[
                    Value::Integer(project),
                    Value::Integer(org_id),
                    Value::Text(path.clone()),
                    Value::Integer(team),
                    Value::Integer(account),
                    text(group),
                    text(levels[(i + n) % levels.len()]),
                    Value::Integer(5 - (i as i64 % 3)),
                    Value::Integer(4 - (i as i64 % 2)),
                    Value::Integer(now - (9 - i as i64) * DAY),
                ],
            )?;
        }
    }

    // Participants rate finished activities they attended (one each, a few per activity).
    let attended = db.query(
        "SELECT a.id AS activity, a.org_id, o.path, a.team_id, a.ends_at, v.account_id FROM attendances t \
         JOIN activities a ON a.id = t.activity_id JOIN orgs o ON o.id = a.org_id JOIN volunteers v ON v.id = t.volunteer_id \
         WHERE a.status = 'approved' AND a.ends_at <= ? ORDER BY a.id, t.id",
        &[Value::Integer(now)],
    )?;
    let mut activity_ratings = 0;
    let mut per_activity = (0, 0);
    for (i, r) in attended.iter().enumerate() {
        let activity = r.i64("activity")?;
        per_activity = if per_activity.0 == activity { (activity, per_activity.1 + 1) } else { (activity, 1) };
        if per_activity.1 > 6 {
            continue;
        }
        let changed = db.exec(
            "INSERT INTO eval_ratings (subject, subject_id, org_id, org_path, team_id, rater_id, rater_group, level, comment, created_at) \
             VALUES ('activity', ?, ?, ?, ?, ?, 'participant', ?, '', ?) ON CONFLICT DO NOTHING",
            &[
                Value::Integer(activity),
                Value::Integer(r.i64("org_id")?),
                Value::Text(r.str("path")?),
                r.opt_i64("team_id")?.map_or(Value::Null, Value::Integer),
                Value::Integer(r.i64("account_id")?),
                text(levels[i % levels.len()]),
                Value::Integer((r.i64("ends_at")? + 3600).min(now)),
            ],
        )?;
        activity_ratings += changed;
    }

    Ok(json!({
        "period": period,
        "work_scheme": scheme,
        "work_evaluations": evaluations,
        "thematic_scheme": thematic,
        "thematic_grades": graded,
        "projects": projects,
        "project_ratings": project_ratings,
        "activity_ratings": activity_ratings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_follow_the_component_formula() {
        // 9/10×15 + 9/10×15 + 8/10×15 + 18/20×20 + 5/5×10 + 8/10×10 + 95/100×15
        // = 13.5 + 13.5 + 12 + 18 + 10 + 8 + 14.25 = 89.25
        assert_eq!(total_centi(&CENTRE_SCORES[0]), 8925);
        assert_eq!(STATION_ITEMS.iter().map(|i| i.2).sum::<i64>(), 100);
        assert_eq!(quarter(1_790_784_000).as_deref(), Some("2026-Q4"));
        for scores in CENTRE_SCORES.iter().chain(&INSTITUTE_SCORES) {
            assert!(STATION_ITEMS.iter().zip(scores).all(|(i, s)| (0..=i.3).contains(s)));
        }
    }
}
