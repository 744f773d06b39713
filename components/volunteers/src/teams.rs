//! `/api/v1/teams`: service teams under an org, their leaders, and membership requests that the
//! leader (or manage-teams at the team's org) approves or rejects.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input::{self, Fields};
use crate::volunteers;
use kit::identity::{Action, Principal};

const SELECT: &str = "SELECT t.id, t.org_id, t.name, t.leader_account_id, t.categories, t.active, t.created_at,
        t.updated_at, o.name AS org_name, o.path AS org_path, a.name AS leader_name
    FROM teams t JOIN orgs o ON o.id = t.org_id JOIN accounts a ON a.id = t.leader_account_id";

const MEMBER_SELECT: &str = "SELECT m.team_id, m.volunteer_id, m.status, m.requested_at, m.decided_at, m.decided_by,
        v.volunteer_no, v.real_name, v.phone
    FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id";

const NAME_CHARS: usize = 50;
const MAX_CATEGORIES: usize = 10;
const CATEGORY_CHARS: usize = 30;

/// One team with its org and leader.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub leader_account_id: i64,
    pub categories: Vec<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub org_name: String,
    pub org_path: String,
    pub leader_name: String,
}

impl Team {
    fn from_row(r: &Row) -> Result<Team, ApiError> {
        Ok(Team {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            name: r.str("name")?,
            leader_account_id: r.i64("leader_account_id")?,
            categories: input::string_list(&r.str("categories")?),
            active: r.i64("active")? == 1,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            leader_name: r.str("leader_name")?,
        })
    }

    /// The API shape.
    pub fn json(&self) -> Json {
        json!({
            "id": self.id,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "name": self.name,
            "leader_account_id": self.leader_account_id,
            "leader_name": self.leader_name,
            "categories": self.categories,
            "active": self.active,
            "created_at": input::rfc3339(self.created_at),
            "updated_at": input::rfc3339(self.updated_at),
        })
    }
}

fn load(db: &Db, id: i64) -> Result<Option<Team>, ApiError> {
    db.query_one(&format!("{SELECT} WHERE t.id = ?"), &[Value::Integer(id)])?.map(|r| Team::from_row(&r)).transpose()
}

/// A membership (masked phone: members are listed).
fn member_json(r: &Row) -> Result<Json, ApiError> {
    Ok(json!({
        "team_id": r.i64("team_id")?,
        "volunteer_id": r.i64("volunteer_id")?,
        "volunteer_no": r.str("volunteer_no")?,
        "real_name": r.str("real_name")?,
        "phone": kit::mask_phone(&r.str("phone")?),
        "status": r.str("status")?,
        "requested_at": input::rfc3339(r.i64("requested_at")?),
        "decided_at": input::opt_rfc3339(r.opt_i64("decided_at")?),
        "decided_by": r.opt_i64("decided_by")?,
    }))
}

fn load_member(db: &Db, team_id: i64, volunteer_id: i64) -> Result<Option<Row>, ApiError> {
    db.query_one(
        &format!("{MEMBER_SELECT} WHERE m.team_id = ? AND m.volunteer_id = ?"),
        &[Value::Integer(team_id), Value::Integer(volunteer_id)],
    )
}

/// `POST /api/v1/teams` `{"org_id", "name", "leader_account_id", "categories"}`: manage-teams at
/// the org; also grants `team-leader` at the org to the leader.
pub fn create(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["org_id", "name", "leader_account_id", "categories"])?;
    let org_id = f.id("org_id")?;
    let name = f.line("name", NAME_CHARS)?;
    let leader_id = f.id("leader_account_id")?;
    let categories = f.opt_labels("categories", MAX_CATEGORIES, CATEGORY_CHARS)?.unwrap_or_default();

    if !kit::anywhere(p, Action::ManageTeams) {
        return Err(ApiError::Forbidden("your roles do not allow manage-teams".into()));
    }
    let db = Db::open()?;
    let org = access::visible_org(&db, p, org_id, "org_id")?;
    if !kit::allowed(p, Action::ManageTeams, &org.path)? {
        return Err(ApiError::Forbidden("you may not manage teams at this org".into()));
    }
    let leader_ok = db
        .query_one("SELECT active FROM accounts WHERE id = ?", &[Value::Integer(leader_id)])?
        .map(|r| r.i64("active"))
        .transpose()?
        == Some(1);
    // Someone who works elsewhere is not the caller's to make a leader (the team's answers
    // would show their name).
    let scopes = kit::identity::scopes(p, Action::ManageTeams);
    if !leader_ok || kit::works_elsewhere(&db, leader_id, &scopes)? {
        return Err(ApiError::invalid("leader_account_id", "no such active account"));
    }

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let org = access::active_org(db, org.id, "org_id")?;
        let now = kit::now();
        let categories_json = serde_json::to_string(&categories).map_err(|e| ApiError::Internal(e.to_string()))?;
        let id = db
            .insert(
                "INSERT INTO teams (org_id, name, leader_account_id, categories, active, created_at, updated_at)
                 VALUES (?, ?, ?, ?, 1, ?, ?)",
                &[
                    Value::Integer(org.id),
                    Value::Text(name.clone()),
                    Value::Integer(leader_id),
                    Value::Text(categories_json),
                    Value::Integer(now),
                    Value::Integer(now),
                ],
            )
            .map_err(|e| match kit::unique_violation(&e) {
                Some(c) if c.starts_with("teams.") => {
                    ApiError::conflict("name_taken", "this org already has a team with that name")
                }
                _ => e,
            })?;
        access::grant_role(db, p.account_id, leader_id, "team-leader", &org)?;
        let team = load(db, id)?.ok_or_else(|| ApiError::Internal("the new team vanished".into()))?;
        let shown = team.json();
        kit::audit(db, p.account_id, "team.create", "team", Some(id), &org.path, None, Some(&shown))?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}

/// `GET /api/v1/teams?org=&active=&limit=&cursor=`: teams in the caller's read-directory scope;
/// `active` narrows to active (or stopped) teams, as the statistics count them.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let org = input::query_id(req, "org")?;
    let active = kit::query_bool(req, "active")?;
    let db = Db::open()?;
    let within = access::filter_org(&db, org)?;
    let mut params = Vec::new();
    let scope = kit::Scope::listing(p, Action::ReadDirectory, within.as_deref())?.condition("o.path", &mut params);
    let active_only = match active {
        Some(flag) => {
            params.push(Value::Integer(i64::from(flag)));
            " AND t.active = ?"
        }
        None => "",
    };
    params.push(Value::Integer(page.after));
    params.push(Value::Integer(page.limit));
    let rows = db.query(&format!("{SELECT} WHERE {scope}{active_only} AND t.id > ? ORDER BY t.id LIMIT ?"), &params)?;
    let teams = rows.iter().map(Team::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = teams.last().map(|t| t.id);
    Ok(kit::json(200, &page.envelope(teams.iter().map(Team::json).collect(), last)))
}

/// `GET /api/v1/teams/joinable?q=&limit=&cursor=` (a registered volunteer, 403 for anyone else):
/// the active teams a volunteer may ask to join (加入队伍) — those of their home org, of the orgs
/// above it (the town's institute, the county centre) and of the orgs below it. Teams at other
/// stations are not offered: service is organised where one lives. Each with its org, categories,
/// approved member count, the leader's name only (a leader's phone is for staff) and the
/// caller's own membership status (`null` when never asked). `q`: name contains. By id.
pub fn joinable(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let q = input::query_text(req, "q", NAME_CHARS)?;
    let db = Db::open()?;
    let me = volunteers::of_account(&db, p.account_id)?
        .ok_or_else(|| ApiError::Forbidden("only registered volunteers may join a team; register first".into()))?;
    let (lo, hi) = kit::org_path(&me.org_path)?.subtree_bounds();
    let mut params = vec![
        Value::Integer(me.id),
        Value::Text(me.org_path.clone()),
        Value::Text(lo),
        Value::Text(hi),
        Value::Integer(page.after),
    ];
    // Ancestors-or-self: the home path starts with the team org's path; below: inside the subtree.
    let mut sql = String::from(
        "SELECT t.id, t.org_id, t.name, t.categories, o.name AS org_name, a.name AS leader_name,
            (SELECT count(*) FROM team_members c WHERE c.team_id = t.id AND c.status = 'approved') AS member_count,
            m.status AS my_status
         FROM teams t JOIN orgs o ON o.id = t.org_id JOIN accounts a ON a.id = t.leader_account_id
         LEFT JOIN team_members m ON m.team_id = t.id AND m.volunteer_id = ?
         WHERE t.active = 1 AND o.active = 1
           AND (substr(?, 1, length(o.path)) = o.path OR (o.path >= ? AND o.path < ?))
           AND t.id > ?",
    );
    if let Some(q) = q {
        sql.push_str(" AND t.name LIKE ? ESCAPE '\\'");
        params.push(Value::Text(format!("%{}%", input::like_escape(&q))));
    }
    sql.push_str(" ORDER BY t.id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(json!({
            "id": r.i64("id")?,
            "name": r.str("name")?,
            "org_id": r.i64("org_id")?,
            "org_name": r.str("org_name")?,
            "categories": input::string_list(&r.str("categories")?),
            "leader_name": r.str("leader_name")?,
            "member_count": r.i64("member_count")?,
            "my_status": r.opt_str("my_status")?,
        }));
    }
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/teams/{id}`: read-directory at the team's org.
pub fn get(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let team = load(&db, id)?.ok_or_else(|| kit::deny(p, Action::ReadDirectory, "team"))?;
    kit::gate(p, Action::ReadDirectory, &team.org_path, "team")?;
    Ok(kit::json(200, &team.json()))
}

/// `POST /api/v1/teams/{id}/members`: the signed-in volunteer asks to join → `pending`. A
/// rejected request may be made again; a pending or approved one is 409 `wrong_state`.
pub fn join(req: &Request, p: &Principal, team_id: i64) -> Result<Response, ApiError> {
    let _no_fields = Fields::from_optional_request(req, &[])?;
    let db = Db::open()?;
    let team = load(&db, team_id)?.ok_or_else(|| ApiError::NotFound("no such team".into()))?;
    if !team.active {
        return Err(ApiError::conflict("wrong_state", "this team is no longer active"));
    }
    let volunteer = volunteers::of_account(&db, p.account_id)?
        .ok_or_else(|| ApiError::Forbidden("only registered volunteers may join a team; register first".into()))?;
    if volunteer.status != "active" {
        return Err(ApiError::conflict("wrong_state", "your volunteer registration is suspended"));
    }

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let now = kit::now();
        let existing = load_member(db, team_id, volunteer.id)?.map(|r| r.str("status")).transpose()?;
        match existing.as_deref() {
            None => {
                db.exec(
                    "INSERT INTO team_members (team_id, volunteer_id, status, requested_at) VALUES (?, ?, 'pending', ?)",
                    &[Value::Integer(team_id), Value::Integer(volunteer.id), Value::Integer(now)],
                )?;
            }
            Some("rejected") => {
                db.exec(
                    "UPDATE team_members SET status = 'pending', requested_at = ?, decided_at = NULL, decided_by = NULL
                     WHERE team_id = ? AND volunteer_id = ?",
                    &[Value::Integer(now), Value::Integer(team_id), Value::Integer(volunteer.id)],
                )?;
            }
            Some("pending") => {
                return Err(ApiError::conflict(
                    "wrong_state",
                    "you have already asked to join; the team leader will decide",
                ))
            }
            Some(_) => return Err(ApiError::conflict("wrong_state", "you are already a member of this team")),
        }
        let row =
            load_member(db, team_id, volunteer.id)?.ok_or_else(|| ApiError::Internal("membership vanished".into()))?;
        let shown = member_json(&row)?;
        kit::audit(db, p.account_id, "team.member.request", "team", Some(team_id), &team.org_path, None, Some(&shown))?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}

/// `DELETE /api/v1/teams/{id}/members`: the signed-in volunteer withdraws their own pending
/// request (audited `team.member.withdraw`) → 204. Nothing pending (never asked, or already
/// withdrawn) → 204 with nothing changed, so a retry is harmless; a request already decided →
/// 409 `wrong_state` (the leader's decision stands; a rejected one may simply be asked again).
pub fn withdraw(req: &Request, p: &Principal, team_id: i64) -> Result<Response, ApiError> {
    let _no_fields = Fields::from_optional_request(req, &[])?;
    let db = Db::open()?;
    let team = load(&db, team_id)?.ok_or_else(|| ApiError::NotFound("no such team".into()))?;
    let volunteer = volunteers::of_account(&db, p.account_id)?
        .ok_or_else(|| ApiError::Forbidden("only registered volunteers have team requests".into()))?;
    db.transaction(|db| {
        let Some(before) = load_member(db, team_id, volunteer.id)? else { return Ok(()) };
        let status = before.str("status")?;
        if status != "pending" {
            return Err(ApiError::conflict("wrong_state", format!("this request was already {status}")));
        }
        let deleted = db.exec(
            "DELETE FROM team_members WHERE team_id = ? AND volunteer_id = ? AND status = 'pending'",
            &[Value::Integer(team_id), Value::Integer(volunteer.id)],
        )?;
        if deleted == 1 {
            let shown = member_json(&before)?;
            kit::audit(
                db,
                p.account_id,
                "team.member.withdraw",
                "team",
                Some(team_id),
                &team.org_path,
                Some(&shown),
                None,
            )?;
        }
        Ok(())
    })?;
    Ok(Response::builder().status(204).build())
}

/// `POST /api/v1/teams/{id}/members/{volunteer_id}/approve` and `/reject`: the team's leader or
/// manage-teams at the team's org; only a pending request can be decided.
pub fn decide(
    req: &Request,
    p: &Principal,
    team_id: i64,
    volunteer_id: i64,
    approve: bool,
) -> Result<Response, ApiError> {
    let _no_fields = Fields::from_optional_request(req, &[])?;
    let db = Db::open()?;
    let team = load(&db, team_id)?.ok_or_else(|| kit::deny(p, Action::ManageTeams, "team"))?;
    if !kit::leads_team(&db, p.account_id, team.id)? && !kit::allowed(p, Action::ManageTeams, &team.org_path)? {
        return Err(kit::deny(p, Action::ManageTeams, "team"));
    }
    let (verdict, action) =
        if approve { ("approved", "team.member.approve") } else { ("rejected", "team.member.reject") };

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let before = load_member(db, team_id, volunteer_id)?
            .ok_or_else(|| ApiError::NotFound("no such membership request".into()))?;
        if before.str("status")? != "pending" {
            return Err(ApiError::conflict(
                "wrong_state",
                format!("this request was already {}", before.str("status")?),
            ));
        }
        db.exec(
            "UPDATE team_members SET status = ?, decided_at = ?, decided_by = ? WHERE team_id = ? AND volunteer_id = ?",
            &[
                Value::Text(verdict.into()),
                Value::Integer(kit::now()),
                Value::Integer(p.account_id),
                Value::Integer(team_id),
                Value::Integer(volunteer_id),
            ],
        )?;
        let after =
            load_member(db, team_id, volunteer_id)?.ok_or_else(|| ApiError::Internal("membership vanished".into()))?;
        let (before, after) = (member_json(&before)?, member_json(&after)?);
        kit::audit(db, p.account_id, action, "team", Some(team_id), &team.org_path, Some(&before), Some(&after))?;
        Ok((200, after))
    })?;
    Ok(kit::json(status, &body))
}

/// `GET /api/v1/teams/{id}/members?status=&limit=&cursor=`: the leader, or read-volunteers or
/// manage-teams at the team's org. Ordered (and paged) by volunteer id; phones masked.
pub fn members(req: &Request, p: &Principal, team_id: i64) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let status = input::query_text(req, "status", 10)?;
    if let Some(s) = &status {
        if !["pending", "approved", "rejected"].contains(&s.as_str()) {
            return Err(ApiError::invalid("status", "must be pending, approved or rejected"));
        }
    }
    let db = Db::open()?;
    let team = load(&db, team_id)?.ok_or_else(|| kit::deny(p, Action::ReadVolunteers, "team"))?;
    let may = kit::leads_team(&db, p.account_id, team.id)?
        || kit::allowed(p, Action::ReadVolunteers, &team.org_path)?
        || kit::allowed(p, Action::ManageTeams, &team.org_path)?;
    if !may {
        return Err(kit::deny(p, Action::ReadVolunteers, "team"));
    }
    let mut params = vec![Value::Integer(team_id), Value::Integer(page.after)];
    let mut sql = format!("{MEMBER_SELECT} WHERE m.team_id = ? AND m.volunteer_id > ?");
    if let Some(s) = status {
        sql.push_str(" AND m.status = ?");
        params.push(Value::Text(s));
    }
    sql.push_str(" ORDER BY m.volunteer_id LIMIT ?");
    params.push(Value::Integer(page.limit));
    let rows = db.query(&sql, &params)?;
    let last = rows.last().map(|r| r.i64("volunteer_id")).transpose()?;
    let items = rows.iter().map(member_json).collect::<Result<Vec<_>, _>>()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}
