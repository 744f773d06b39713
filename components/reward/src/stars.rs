//! Star levels (星级): proposals when the confirmed minutes cross a threshold, the public notice
//! (公示), staff confirmation after it (or rejection), and a volunteer's star with its history.
//!
//! Proposing happens inside a write transaction (`BEGIN IMMEDIATE`): "the highest level reached
//! is above every confirmed or open level" is read and acted on under the lock, and
//! `UNIQUE (volunteer_id, level)` holds one proposal per level even so. Minutes come from the
//! ledger's balance, never from the ledger's table.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::{self, Fields};
use crate::ledger_tx;
use crate::rules::{self, StarRules};
use crate::volunteer::{self, Volunteer};
use kit::identity::{Action, Principal};
use kit::ledger::Kind;

/// Proposal statuses, for `?status=`.
pub const STATUSES: [&str; 4] = ["proposed", "confirmed", "rejected", "superseded"];

/// One row of `star_levels` with its volunteer.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub id: i64,
    pub volunteer_id: i64,
    pub volunteer_account_id: i64,
    pub volunteer_no: String,
    pub name: String,
    pub home_org_id: i64,
    pub home_org_name: String,
    pub home_path: String,
    pub level: i64,
    pub threshold_h: i64,
    pub minutes_at_proposal: i64,
    pub status: String,
    pub proposed_at: i64,
    pub proposed_by: Option<i64>,
    pub notice_ends_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub minutes_at_decision: Option<i64>,
    pub reason: Option<String>,
}

const SELECT: &str = "SELECT s.id, s.volunteer_id, v.account_id, v.volunteer_no, v.real_name, v.home_org_id,
        o.name AS home_org_name, o.path AS home_path, s.level, s.threshold_h, s.minutes_at_proposal, s.status,
        s.proposed_at, s.proposed_by, s.notice_ends_at, s.decided_by, s.decided_at, s.minutes_at_decision, s.reason
    FROM star_levels s JOIN volunteers v ON v.id = s.volunteer_id JOIN orgs o ON o.id = v.home_org_id";

impl Proposal {
    fn from_row(r: &Row) -> Result<Proposal, ApiError> {
        Ok(Proposal {
            id: r.i64("id")?,
            volunteer_id: r.i64("volunteer_id")?,
            volunteer_account_id: r.i64("account_id")?,
            volunteer_no: r.str("volunteer_no")?,
            name: r.str("real_name")?,
            home_org_id: r.i64("home_org_id")?,
            home_org_name: r.str("home_org_name")?,
            home_path: r.str("home_path")?,
            level: r.i64("level")?,
            threshold_h: r.i64("threshold_h")?,
            minutes_at_proposal: r.i64("minutes_at_proposal")?,
            status: r.str("status")?,
            proposed_at: r.i64("proposed_at")?,
            proposed_by: r.opt_i64("proposed_by")?,
            notice_ends_at: r.i64("notice_ends_at")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?,
            minutes_at_decision: r.opt_i64("minutes_at_decision")?,
            reason: r.opt_str("reason")?,
        })
    }

    pub fn load(db: &Db, id: i64) -> Result<Option<Proposal>, ApiError> {
        db.query_one(&format!("{SELECT} WHERE s.id = ?"), &[Value::Integer(id)])?
            .map(|r| Proposal::from_row(&r))
            .transpose()
    }

    fn query(db: &Db, filter: &str, params: &[Value]) -> Result<Vec<Proposal>, ApiError> {
        db.query(&format!("{SELECT} WHERE {filter}"), params)?.iter().map(Proposal::from_row).collect()
    }

    /// The staff and volunteer view.
    pub fn json(&self, now: i64) -> Json {
        json!({
            "id": self.id,
            "volunteer_id": self.volunteer_id,
            "volunteer_no": self.volunteer_no,
            "name": self.name,
            "home_org": { "id": self.home_org_id, "name": self.home_org_name },
            "level": self.level,
            "threshold_h": self.threshold_h,
            "minutes_at_proposal": self.minutes_at_proposal,
            "status": self.status,
            "proposed_at": kit::time::rfc3339(self.proposed_at),
            "notice_ends_at": kit::time::rfc3339(self.notice_ends_at),
            "in_notice": self.status == "proposed" && now < self.notice_ends_at,
            "proposed_by": self.proposed_by,
            "decided_by": self.decided_by,
            "decided_at": kit::time::opt_rfc3339(self.decided_at),
            "minutes_at_decision": self.minutes_at_decision,
            "reason": self.reason,
        })
    }

    /// The public notice (公示): who, where, which level, for how many hours. No contact data.
    fn notice_json(&self) -> Json {
        json!({
            "id": self.id,
            "volunteer_no": self.volunteer_no,
            "name": self.name,
            "home_org": { "id": self.home_org_id, "name": self.home_org_name },
            "level": self.level,
            "threshold_h": self.threshold_h,
            "hours": hours(self.minutes_at_proposal),
            "proposed_at": kit::time::rfc3339(self.proposed_at),
            "notice_ends_at": kit::time::rfc3339(self.notice_ends_at),
        })
    }

    fn audit_json(&self) -> Json {
        json!({ "id": self.id, "volunteer_id": self.volunteer_id, "level": self.level, "status": self.status,
                "minutes_at_decision": self.minutes_at_decision, "reason": self.reason })
    }
}

/// Minutes as hours with one decimal, for display only (storage is whole minutes).
pub fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 6.0).round() / 10.0
}

/// Proposes the highest level `volunteer_id`'s minutes reach, when it is above every confirmed
/// and open level and was never proposed before. Call inside a transaction. The new proposal's
/// id, if one was made.
pub fn propose(db: &Db, r: &StarRules, volunteer_id: i64, now: i64, by: Option<i64>) -> Result<Option<i64>, ApiError> {
    let minutes = ledger_tx::balance(db, volunteer_id, Kind::Minutes)?;
    let level = r.level_for(minutes);
    let Some(threshold) = r.threshold_h(level) else {
        return Ok(None);
    };
    let top = db
        .query_one(
            "SELECT COALESCE(MAX(level), 0) AS top FROM star_levels
             WHERE volunteer_id = ? AND status IN ('proposed', 'confirmed')",
            &[Value::Integer(volunteer_id)],
        )?
        .map_or(Ok(0), |row| row.i64("top"))?;
    if level <= top {
        return Ok(None);
    }
    // OR IGNORE: a level rejected before is not proposed again.
    let changed = db.exec(
        "INSERT OR IGNORE INTO star_levels (volunteer_id, level, threshold_h, minutes_at_proposal, proposed_at,
             proposed_by, notice_ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(volunteer_id),
            Value::Integer(level),
            Value::Integer(threshold),
            Value::Integer(minutes),
            Value::Integer(now),
            by.map_or(Value::Null, Value::Integer),
            Value::Integer(r.notice_ends(now)),
        ],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(Some(db.connection().last_insert_rowid()))
}

/// `GET /api/v1/stars/thresholds`.
pub fn thresholds() -> Result<Response, ApiError> {
    let r = StarRules::load(&Db::open()?)?;
    Ok(kit::json(200, &json!({ "thresholds_h": r.thresholds_h, "notice_days": r.notice_days })))
}

/// `PUT /api/v1/stars/thresholds`: manage-rewards at a centre (or city) org; these are the
/// deployment's settings.
pub fn set_thresholds(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["thresholds_h", "notice_days"])?;
    let thresholds = match f.take("thresholds_h") {
        None => None,
        Some(Json::Array(items)) => {
            let values = items
                .iter()
                .map(Json::as_i64)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::invalid("thresholds_h", "must be an array of whole hours"))?;
            rules::check_thresholds(&values).map_err(|e| ApiError::invalid("thresholds_h", e))?;
            Some(values)
        }
        Some(_) => return Err(ApiError::invalid("thresholds_h", "must be an array of whole hours")),
    };
    let notice = f.opt_int("notice_days", 0..=rules::MAX_NOTICE_DAYS)?;
    if thresholds.is_none() && notice.is_none() {
        return Err(ApiError::invalid("thresholds_h", "give thresholds_h, notice_days or both"));
    }
    let db = Db::open()?;
    let centres =
        db.query("SELECT path FROM orgs WHERE level IN ('city', 'centre') AND active = 1 ORDER BY path", &[])?;
    let mut at = None;
    for row in centres {
        let path = row.str("path")?;
        if kit::allowed(p, Action::ManageRewards, &path)? {
            at = Some(path);
            break;
        }
    }
    let at = at.ok_or_else(|| {
        ApiError::Forbidden("star thresholds are the deployment's: manage-rewards at the centre is needed".into())
    })?;
    let body = db.transaction(|db| {
        let before = StarRules::load(db)?;
        let after = StarRules {
            thresholds_h: thresholds.clone().unwrap_or_else(|| before.thresholds_h.clone()),
            notice_days: notice.unwrap_or(before.notice_days),
        };
        for (key, value) in [
            (rules::THRESHOLDS_KEY, rules::format_thresholds(&after.thresholds_h)),
            (rules::NOTICE_KEY, after.notice_days.to_string()),
        ] {
            kit::settings::set(db, key, &value, kit::now())?;
        }
        let show = |r: &StarRules| json!({ "thresholds_h": r.thresholds_h, "notice_days": r.notice_days });
        kit::audit(
            db,
            p.account_id,
            "star.thresholds",
            "settings",
            None,
            &at,
            Some(&show(&before)),
            Some(&show(&after)),
        )?;
        Ok(show(&after))
    })?;
    Ok(kit::json(200, &body))
}

/// The path of an active org, if any.
pub fn org_path(db: &Db, org_id: i64) -> Result<Option<String>, ApiError> {
    db.query_one("SELECT path FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(org_id)])?
        .map(|r| r.str("path"))
        .transpose()
}

/// An `org_id` filter: its subtree condition on `column` (pushed onto `params`), or 422.
fn under(db: &Db, org_id: Option<i64>, column: &str, params: &mut Vec<Value>) -> Result<String, ApiError> {
    let Some(org_id) = org_id else {
        return Ok(String::new());
    };
    let path = org_path(db, org_id)?.ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
    let (lo, hi) = kit::org_path(&path)?.subtree_bounds();
    params.push(Value::Text(lo));
    params.push(Value::Text(hi));
    Ok(format!(" AND {column} >= ? AND {column} < ?"))
}

/// `POST /api/v1/stars/sweep {"org_id"?}`: proposes every upgrade due in the caller's
/// manage-rewards scope (narrowed to `org_id`'s subtree).
pub fn sweep(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let mut f = Fields::from_optional_request(req, &["org_id"])?;
    let org_id = f.opt_id("org_id")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ManageRewards)?.condition("o.path", &mut params);
    let audit_path = match org_id {
        Some(id) => {
            let path = org_path(&db, id)?.ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?;
            if !kit::allowed(p, Action::ManageRewards, &path)? {
                return Err(ApiError::Forbidden("you may sweep only in your own area".into()));
            }
            path
        }
        None => kit::identity::scopes(p, Action::ManageRewards).remove(0),
    };
    let narrow = under(&db, org_id, "o.path", &mut params)?;
    let rules = StarRules::load(&db)?;
    let body = db.transaction(|db| {
        let volunteers = Volunteer::active_where(db, &format!("{scope}{narrow}"), &params)?;
        let mut proposed = Vec::new();
        for v in &volunteers {
            if let Some(id) = propose(db, &rules, v.id, now, Some(p.account_id))? {
                let made = Proposal::load(db, id)?.ok_or_else(|| ApiError::Internal("the proposal vanished".into()))?;
                proposed.push(made.json(now));
            }
        }
        let summary = json!({ "org_id": org_id, "examined": volunteers.len(), "proposed": proposed.len() });
        kit::audit(db, p.account_id, "star.sweep", "star_level", None, &audit_path, None, Some(&summary))?;
        Ok(json!({ "examined": volunteers.len(), "proposed": proposed }))
    })?;
    Ok(kit::json(200, &body))
}

/// `POST /api/v1/jobs/propose-stars` (the scheduler only): [`propose`] for every active
/// volunteer, as the staff sweep does for a scope, in one transaction; not audited (no person
/// proposed them: `proposed_by` stays NULL, as when a star is read). → 200 `{"job":
/// "propose-stars", "proposed": n}`; a repeat finds every level already proposed and answers 0.
pub fn job(req: &Request) -> Result<Response, ApiError> {
    let now = kit::jobs::start(req)?;
    let db = Db::open()?;
    let rules = StarRules::load(&db)?;
    let proposed = db.transaction(|db| {
        let mut proposed = 0;
        for v in Volunteer::active_where(db, "1 = 1", &[])? {
            if propose(db, &rules, v.id, now, None)?.is_some() {
                proposed += 1;
            }
        }
        Ok(proposed)
    })?;
    Ok(kit::jobs::report("propose-stars", &[("proposed", proposed)]))
}

/// `GET /api/v1/stars/proposals?status=&org_id=&limit=&cursor=`: manage-rewards scope.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let page = Page::from_request(req)?;
    let status = input::query_choice(req, "status", &STATUSES)?;
    let org_id = input::query_id(req, "org_id")?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let scope = kit::Scope::required(p, Action::ManageRewards)?.condition("o.path", &mut params);
    let mut filter = format!("{scope} AND s.id > ?");
    params.push(Value::Integer(page.after));
    if let Some(s) = status {
        filter.push_str(" AND s.status = ?");
        params.push(Value::Text(s.into()));
    }
    filter.push_str(&under(&db, org_id, "o.path", &mut params)?);
    filter.push_str(" ORDER BY s.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = Proposal::query(&db, &filter, &params)?;
    let last = rows.last().map(|r| r.id);
    Ok(kit::json(200, &page.envelope(rows.iter().map(|r| r.json(now)).collect(), last)))
}

/// The proposal `id` if `p` is its volunteer or may manage rewards at the volunteer's home org.
fn visible(db: &Db, p: &Principal, id: i64) -> Result<Proposal, ApiError> {
    let s = Proposal::load(db, id)?;
    if let Some(s) = &s {
        if s.volunteer_account_id == p.account_id {
            return Ok(s.clone());
        }
    }
    let path = s.as_ref().map_or("/-/", |s| s.home_path.as_str());
    kit::gate(p, Action::ManageRewards, path, "proposal")?;
    s.ok_or_else(|| ApiError::NotFound("no such proposal".into()))
}

/// `GET /api/v1/stars/proposals/{id}`.
pub fn detail(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    Ok(kit::json(200, &visible(&db, p, id)?.json(now)))
}

/// `POST /api/v1/stars/proposals/{id}/confirm` (after the notice period) or `/reject
/// {"reason"}`: manage-rewards at the volunteer's home org, never the volunteer themself.
pub fn decide(req: &Request, p: &Principal, id: i64, confirm: bool) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let reason = if confirm {
        Fields::from_optional_request(req, &[])?;
        None
    } else {
        let mut f = Fields::from_request(req, &["reason"])?;
        Some(f.text("reason", 500)?)
    };
    let db = Db::open()?;
    let s = Proposal::load(&db, id)?;
    let path = s.as_ref().map_or("/-/", |s| s.home_path.as_str()).to_string();
    kit::gate(p, Action::ManageRewards, &path, "proposal")?;
    let s = s.ok_or_else(|| ApiError::NotFound("no such proposal".into()))?;
    if s.volunteer_account_id == p.account_id {
        return Err(ApiError::Refused { code: "own_star", message: "nobody decides their own star level".into() });
    }
    let target = if confirm { "confirmed" } else { "rejected" };
    let body = db.transaction(|db| {
        let before = Proposal::load(db, id)?.ok_or_else(|| ApiError::NotFound("no such proposal".into()))?;
        if before.status == target {
            return Ok(before.json(now));
        }
        if before.status != "proposed" {
            return Err(ApiError::conflict(
                "wrong_state",
                format!("the proposal is {}: it can no longer be {target}", before.status),
            ));
        }
        let minutes = ledger_tx::balance(db, before.volunteer_id, Kind::Minutes)?;
        if confirm {
            if now < before.notice_ends_at {
                return Err(ApiError::conflict(
                    "notice_period",
                    format!(
                        "the public notice runs until {}; confirm after it",
                        kit::time::rfc3339(before.notice_ends_at)
                    ),
                ));
            }
            if minutes < before.threshold_h * 60 {
                return Err(ApiError::conflict(
                    "below_threshold",
                    format!(
                        "the confirmed hours are now {} h, below the {} h of this level",
                        hours(minutes),
                        before.threshold_h
                    ),
                ));
            }
        }
        db.exec(
            "UPDATE star_levels SET status = ?, decided_by = ?, decided_at = ?, minutes_at_decision = ?, reason = ?
             WHERE id = ? AND status = 'proposed'",
            &[
                Value::Text(target.into()),
                Value::Integer(p.account_id),
                Value::Integer(now),
                Value::Integer(minutes),
                reason.clone().map_or(Value::Null, Value::Text),
                Value::Integer(id),
            ],
        )?;
        if confirm {
            // Lower open proposals are moot once a higher level is confirmed.
            db.exec(
                "UPDATE star_levels SET status = 'superseded', decided_by = ?, decided_at = ?, minutes_at_decision = ?,
                     reason = ? WHERE volunteer_id = ? AND status = 'proposed' AND level < ?",
                &[
                    Value::Integer(p.account_id),
                    Value::Integer(now),
                    Value::Integer(minutes),
                    Value::Text(format!("superseded by level {}", before.level)),
                    Value::Integer(before.volunteer_id),
                    Value::Integer(before.level),
                ],
            )?;
        }
        let after = Proposal::load(db, id)?.ok_or_else(|| ApiError::Internal("the proposal vanished".into()))?;
        let action = if confirm { "star.confirm" } else { "star.reject" };
        kit::audit(
            db,
            p.account_id,
            action,
            "star_level",
            Some(id),
            &path,
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )?;
        Ok(after.json(now))
    })?;
    Ok(kit::json(200, &body))
}

/// `GET /api/v1/stars/notices?org_id=&limit=&cursor=` — public: the proposals now in their
/// notice period (公示), so anyone may object before staff confirm.
pub fn notices(req: &Request) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let page = Page::from_request(req)?;
    let org_id = input::query_id(req, "org_id")?;
    let db = Db::open()?;
    let mut params = vec![Value::Integer(now), Value::Integer(page.after)];
    let mut filter = "s.status = 'proposed' AND s.notice_ends_at > ? AND s.id > ?".to_string();
    filter.push_str(&under(&db, org_id, "o.path", &mut params)?);
    filter.push_str(" ORDER BY s.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = Proposal::query(&db, &filter, &params)?;
    let last = rows.last().map(|r| r.id);
    Ok(kit::json(200, &page.envelope(rows.iter().map(Proposal::notice_json).collect(), last)))
}

/// `GET /api/v1/volunteers/{id}/star`: the volunteer themself or read-volunteers at the home
/// org. Proposes an upgrade that is due first, so the answer is never behind the hours.
pub fn volunteer_star(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let v = Volunteer::by_id(&db, id)?;
    match &v {
        Some(v) if v.account_id == p.account_id => {}
        _ => kit::gate(p, Action::ReadVolunteers, v.as_ref().map_or("/-/", |v| v.home_path.as_str()), "volunteer")?,
    }
    let v = v.ok_or_else(|| ApiError::NotFound("no such volunteer".into()))?;
    let rules = StarRules::load(&db)?;
    if v.status == "active" {
        db.transaction(|db| propose(db, &rules, v.id, now, None))?;
    }
    let minutes = ledger_tx::balance(&db, v.id, Kind::Minutes)?;
    let star = volunteer::current_star(&db, v.id)?;
    let history = Proposal::query(&db, "s.volunteer_id = ? ORDER BY s.id", &[Value::Integer(v.id)])?;
    let open: Vec<Json> = history.iter().filter(|s| s.status == "proposed").map(|s| s.json(now)).collect();
    let next = rules
        .next(minutes)
        .map(|(level, h, to_go)| json!({ "level": level, "threshold_h": h, "minutes_to_go": to_go }));
    Ok(kit::json(
        200,
        &json!({
            "volunteer_id": v.id,
            "volunteer_no": v.volunteer_no,
            "home_org": v.home_org_json(),
            "star": star,
            "minutes": minutes,
            "hours": hours(minutes),
            "thresholds_h": rules.thresholds_h,
            "next": next,
            "open": open,
            "history": history.iter().map(|s| s.json(now)).collect::<Vec<_>>(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_shown_with_one_decimal() {
        assert_eq!(hours(0), 0.0);
        assert_eq!(hours(90), 1.5);
        assert_eq!(hours(100), 1.7);
        assert_eq!(hours(6000), 100.0);
    }
}
