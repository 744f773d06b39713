//! Check-ins (签到) in the statistics: folded into the rollups by the scheduler, not by a trigger
//! in the check-in's transaction (`migrations/0020_fold_checkins.sql` says why: check-ins are the
//! peak write, and the trigger's upserts under the write lock cost the burst a quarter).
//!
//! The rollups hold the check-ins up to a watermark (`stat_watermarks`, name `checkins`: the
//! highest attendance id folded). Everything after it is the *tail*, and every figure that counts
//! check-ins adds the tail to the folded counters, in the same statement (one snapshot: a fold
//! committing between two reads could otherwise count a check-in twice or not at all). So the
//! figures are exact whether or not the job has run; the job only keeps the tail short — a
//! minute of check-ins — which keeps the reads cheap. This module is the one place that says
//! what the tail is and how a check-in is counted (the day, the orgs, the team), for the reads
//! and for the fold alike.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

/// The day of a check-in in Asia/Shanghai (+08:00, no daylight saving), as the rollups key it.
const DAY: &str = "(t.checked_in_at + 28800) / 86400";

/// The tail, one row per check-in and ancestor of its activity's org (the org itself included):
/// `t` the attendance, `x` its activity, `a.ancestor_id` the org it counts for. `FROM` and
/// `WHERE` only; callers append `AND …`. CROSS JOIN fixes the join order: the tail is a range of
/// the attendances' integer primary key and must drive the join, whatever the planner's
/// statistics say about the (large) tables behind it.
const TAIL_PER_ORG: &str = "FROM attendances t CROSS JOIN activities x CROSS JOIN org_ancestors a
     WHERE x.id = t.activity_id AND a.org_id = x.org_id
       AND t.id > (SELECT last_id FROM stat_watermarks WHERE name = 'checkins')";

/// The tail, one row per check-in at an activity a team hosts (`x.team_id`).
const TAIL_PER_TEAM: &str = "FROM attendances t CROSS JOIN activities x
     WHERE x.id = t.activity_id AND x.team_id IS NOT NULL
       AND t.id > (SELECT last_id FROM stat_watermarks WHERE name = 'checkins')";

/// A `SELECT` of `(metric, day, n)` rows: the tail's check-ins in the subtree of org `org`, per
/// day from `from` to `to` (SQL expressions, usually parameters such as `?1`), with metric
/// `'checkins'` — the shape of `stat_daily`'s rows, to `UNION ALL` with them.
pub fn tail_days(org: &str, from: &str, to: &str) -> String {
    format!(
        "SELECT 'checkins' AS metric, {DAY} AS day, COUNT(*) AS n {TAIL_PER_ORG}
           AND a.ancestor_id = {org} AND {DAY} BETWEEN {from} AND {to} GROUP BY 2"
    )
}

/// A `SELECT` of `(team_id, n)` rows: the tail's check-ins per team on the days from `from` to
/// `to` (SQL expressions).
pub fn tail_teams(from: &str, to: &str) -> String {
    format!(
        "SELECT x.team_id AS team_id, COUNT(*) AS n {TAIL_PER_TEAM}
           AND {DAY} BETWEEN {from} AND {to} GROUP BY x.team_id"
    )
}

/// Check-ins one job run folds at most (an id range this long), so a run after a long quiet
/// spell (the scheduler off, a county loaded in bulk) stays a short transaction; the scheduler's
/// next runs take the rest.
pub const BATCH: i64 = 5_000;

/// What one fold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folded {
    /// Check-ins added to the rollups.
    pub checkins: i64,
    /// Whether check-ins after this batch remain unfolded.
    pub more: bool,
}

/// Folds the check-ins after the watermark, [`BATCH`] ids at most, into `stat_daily` (per
/// ancestor org and day) and `stat_team_daily` (per team and day; its triggers keep the months),
/// and moves the watermark past them — in one write transaction, so a fold is all or nothing and
/// two folds cannot take the same check-ins: the second reads the watermark the first moved.
/// Reads that ran before see the check-ins in the tail, reads after in the rollups, never both.
pub fn fold(db: &Db) -> Result<Folded, ApiError> {
    db.transaction(|db| {
        let marks = db
            .query_one(
                "SELECT w.last_id AS last_id, (SELECT COALESCE(MAX(id), 0) FROM attendances) AS top
                 FROM stat_watermarks w WHERE w.name = 'checkins'",
                &[],
            )?
            .ok_or_else(|| ApiError::Internal("stat_watermarks has no 'checkins' row (migration 0020)".into()))?;
        let (last, top) = (marks.i64("last_id")?, marks.i64("top")?);
        if top <= last {
            return Ok(Folded { checkins: 0, more: false });
        }
        let upto = top.min(last + BATCH);
        let bound = [Value::Integer(upto)];
        db.exec(
            &format!(
                "INSERT INTO stat_daily (org_id, metric, day, key, n)
                 SELECT a.ancestor_id, 'checkins', {DAY}, '', COUNT(*) {TAIL_PER_ORG} AND t.id <= ?1
                 GROUP BY 1, 3
                 ON CONFLICT (org_id, metric, day, key) DO UPDATE SET n = n + excluded.n"
            ),
            &bound,
        )?;
        db.exec(
            &format!(
                "INSERT INTO stat_team_daily (team_id, metric, day, n)
                 SELECT x.team_id, 'checkins', {DAY}, COUNT(*) {TAIL_PER_TEAM} AND t.id <= ?1
                 GROUP BY 1, 3
                 ON CONFLICT (team_id, day, metric) DO UPDATE SET n = n + excluded.n"
            ),
            &bound,
        )?;
        let checkins = db
            .query_one(
                "SELECT COUNT(*) AS n FROM attendances WHERE id > ?1 AND id <= ?2",
                &[Value::Integer(last), Value::Integer(upto)],
            )?
            .map_or(Ok(0), |r| r.i64("n"))?;
        db.exec("UPDATE stat_watermarks SET last_id = ?1 WHERE name = 'checkins'", &bound)?;
        Ok(Folded { checkins, more: upto < top })
    })
}

/// `POST /api/v1/jobs/fold-checkins` (the scheduler only, `kit::jobs`): one [`fold`]. → 200
/// `{"job": "fold-checkins", "folded": n, "more": 0 | 1}`; `more` 1 when this run left check-ins
/// for the next (a repeat with nothing new answers zeros).
pub fn job(req: &Request) -> Result<Response, ApiError> {
    kit::jobs::start(req)?;
    let folded = fold(&Db::open()?)?;
    Ok(kit::jobs::report("fold-checkins", &[("folded", folded.checkins), ("more", i64::from(folded.more))]))
}
