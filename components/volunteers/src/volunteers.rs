//! `/api/v1/volunteers`: registration, the scoped (masked) list and CSV export, one volunteer,
//! and edits.
//!
//! Masking: lists and the export always mask phone and ID number (and show only the birth year,
//! since the full birth date would give back eight of the ID number's masked digits). One
//! volunteer is shown whole to themself and to `read-volunteers-unmasked` at their home org.

use kit::{ApiError, Db, Page, Row};
use serde_json::{json, Value as Json};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use domain::{Date, Gender, ResidentId};

use crate::access::{self, Org};
use crate::input::{self, Fields, VolunteerFields};
use kit::identity::{Action, Principal};

const SELECT: &str = "SELECT v.id, v.account_id, v.volunteer_no, v.real_name, v.gender, v.birth_date, v.phone,
        v.id_number, v.skills, v.service_area, v.home_org_id, v.status, v.created_at, v.updated_at,
        o.path AS org_path, o.name AS org_name
    FROM volunteers v JOIN orgs o ON o.id = v.home_org_id";

/// Skills a volunteer lists: at most this many, each at most `SKILL_CHARS` characters.
const MAX_SKILLS: usize = 20;
const SKILL_CHARS: usize = 30;
const SERVICE_AREA_CHARS: usize = 100;
const NAME_CHARS: usize = 50;

/// One volunteer row with its home org.
#[derive(Debug, Clone)]
pub struct Volunteer {
    pub id: i64,
    pub account_id: i64,
    pub volunteer_no: String,
    pub real_name: String,
    pub gender: String,
    pub birth_date: String,
    pub phone: String,
    pub id_number: String,
    pub skills: Vec<String>,
    pub service_area: String,
    pub home_org_id: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub org_path: String,
    pub org_name: String,
}

impl Volunteer {
    fn from_row(r: &Row) -> Result<Volunteer, ApiError> {
        Ok(Volunteer {
            id: r.i64("id")?,
            account_id: r.i64("account_id")?,
            volunteer_no: r.str("volunteer_no")?,
            real_name: r.str("real_name")?,
            gender: r.str("gender")?,
            birth_date: r.str("birth_date")?,
            phone: r.str("phone")?,
            id_number: r.str("id_number")?,
            skills: input::string_list(&r.str("skills")?),
            service_area: r.str("service_area")?,
            home_org_id: r.i64("home_org_id")?,
            status: r.str("status")?,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
            org_path: r.str("org_path")?,
            org_name: r.str("org_name")?,
        })
    }

    /// The API shape; `whole` shows phone, ID number and birth date unmasked.
    pub fn json(&self, whole: bool) -> Json {
        let birth_year: Option<i64> = self.birth_date.get(..4).and_then(|y| y.parse().ok());
        json!({
            "id": self.id,
            "volunteer_no": self.volunteer_no,
            "account_id": self.account_id,
            "real_name": self.real_name,
            "gender": self.gender,
            "birth_date": if whole { Json::String(self.birth_date.clone()) } else { Json::Null },
            "birth_year": birth_year,
            "phone": if whole { self.phone.clone() } else { kit::mask_phone(&self.phone) },
            "id_number": if whole { self.id_number.clone() } else { kit::mask_id_number(&self.id_number) },
            "skills": self.skills,
            "service_area": self.service_area,
            "home_org_id": self.home_org_id,
            "home_org_name": self.org_name,
            "status": self.status,
            "masked": !whole,
            "created_at": input::rfc3339(self.created_at),
            "updated_at": input::rfc3339(self.updated_at),
        })
    }
}

/// The volunteer with `id`, if any.
pub fn load(db: &Db, id: i64) -> Result<Option<Volunteer>, ApiError> {
    db.query_one(&format!("{SELECT} WHERE v.id = ?"), &[Value::Integer(id)])?
        .map(|r| Volunteer::from_row(&r))
        .transpose()
}

/// The volunteer record of an account, if it has one.
pub fn of_account(db: &Db, account_id: i64) -> Result<Option<Volunteer>, ApiError> {
    db.query_one(&format!("{SELECT} WHERE v.account_id = ?"), &[Value::Integer(account_id)])?
        .map(|r| Volunteer::from_row(&r))
        .transpose()
}

/// `POST /api/v1/volunteers`: a citizen registers themself (their account's phone), or staff
/// with manage-volunteers at `home_org_id` register anyone (creating the account if the phone is
/// new). Grants `volunteer` at the home org; assigns `WM` + year + 6-digit sequence.
pub fn register(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(
        req,
        &["real_name", "gender", "birth_date", "phone", "id_number", "skills", "service_area", "home_org_id"],
    )?;
    let real_name = f.line("real_name", NAME_CHARS)?;
    let gender = Gender::parse(&f.raw("gender")?)
        .ok_or_else(|| ApiError::invalid("gender", "must be \"male\" or \"female\""))?;
    let birth_date = f.date("birth_date")?;
    let phone = f.phone("phone")?;
    let id_number =
        ResidentId::parse(&f.raw("id_number")?).map_err(|e| ApiError::invalid("id_number", e.to_string()))?;
    let skills = f.opt_labels("skills", MAX_SKILLS, SKILL_CHARS)?.unwrap_or_default();
    let service_area = f.opt_line_or_empty("service_area", SERVICE_AREA_CHARS)?.unwrap_or_default();
    let home_org_id = f.id("home_org_id")?;

    let now = kit::now();
    let today = Date::of(now);
    if birth_date > today {
        return Err(ApiError::invalid("birth_date", "must not be in the future"));
    }
    if id_number.birth_date() != birth_date {
        return Err(ApiError::invalid("birth_date", "does not match the birth date in the ID number"));
    }
    if id_number.gender() != gender {
        return Err(ApiError::invalid("gender", "does not match the gender digit of the ID number"));
    }

    let db = Db::open()?;
    let org = access::visible_org(&db, p, home_org_id, "home_org_id")?;
    let staff = kit::allowed(p, Action::ManageVolunteers, &org.path)?;
    if !staff {
        let own = db
            .query_one("SELECT phone FROM accounts WHERE id = ?", &[Value::Integer(p.account_id)])?
            .map(|r| r.str("phone"))
            .transpose()?;
        if own.as_deref() != Some(phone.as_str()) {
            return Err(ApiError::Forbidden(
                "you may register only yourself (with your account's phone); registering others needs manage-volunteers at the home org".into(),
            ));
        }
    }

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        // The org may have been deactivated since it was read.
        let org = access::active_org(db, org.id, "home_org_id")?;
        let account_id =
            match db.query_one("SELECT id FROM accounts WHERE phone = ?", &[Value::Text(phone.as_str().into())])? {
                Some(row) => row.i64("id")?,
                None => db.insert(
                    "INSERT INTO accounts (name, phone, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    &[
                        Value::Text(real_name.clone()),
                        Value::Text(phone.as_str().into()),
                        Value::Integer(now),
                        Value::Integer(now),
                    ],
                )?,
            };
        let volunteer_no = next_volunteer_no(db, today.year())?;
        let skills_json = serde_json::to_string(&skills).map_err(|e| ApiError::Internal(e.to_string()))?;
        let id = db
            .insert(
                "INSERT INTO volunteers (account_id, volunteer_no, real_name, gender, birth_date, phone, id_number,
                     skills, service_area, home_org_id, status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                &[
                    Value::Integer(account_id),
                    Value::Text(volunteer_no),
                    Value::Text(real_name.clone()),
                    Value::Text(gender.as_str().into()),
                    Value::Text(birth_date.to_string()),
                    Value::Text(phone.as_str().into()),
                    Value::Text(id_number.as_str().into()),
                    Value::Text(skills_json),
                    Value::Text(service_area.clone()),
                    Value::Integer(org.id),
                    Value::Integer(now),
                    Value::Integer(now),
                ],
            )
            .map_err(register_conflict)?;
        // Registering grants a role, so it refuses someone else's staff as granting roles and
        // naming team leaders do (`kit::works_elsewhere`), with the leader path's answer (422 on
        // the field that names the person). Checked after the insert so that an account already
        // registered is still the 409 above; the error rolls the transaction back, so nothing
        // is written. A new phone, a plain citizen and the caller themself pass.
        if account_id != p.account_id
            && kit::works_elsewhere(db, account_id, &kit::identity::scopes(p, Action::ManageVolunteers))?
        {
            return Err(ApiError::invalid("phone", "belongs to an account you may not register"));
        }
        access::grant_role(db, p.account_id, account_id, "volunteer", &org)?;
        let v = load(db, id)?.ok_or_else(|| ApiError::Internal("the new volunteer vanished".into()))?;
        // Masked here too: this body is kept for Idempotency-Key replays.
        let shown = v.json(false);
        kit::audit(db, p.account_id, "volunteer.register", "volunteer", Some(id), &org.path, None, Some(&shown))?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}

/// A UNIQUE failure on insert → the 409 the contract names; anything else unchanged.
fn register_conflict(e: ApiError) -> ApiError {
    let column = kit::unique_violation(&e).map(str::to_string);
    match column.as_deref() {
        Some(c) if c.starts_with("volunteers.phone") => {
            ApiError::conflict("phone_taken", "this phone is already registered to a volunteer")
        }
        Some(c) if c.starts_with("volunteers.account_id") => {
            ApiError::conflict("phone_taken", "the account with this phone is already registered as a volunteer")
        }
        Some(c) if c.starts_with("volunteers.id_number") => {
            ApiError::conflict("id_number_taken", "this ID number is already registered to a volunteer")
        }
        _ => e,
    }
}

/// `WM` + year + the next 6-digit sequence of that year (max existing + 1, read inside the
/// registering transaction, which holds the write lock).
fn next_volunteer_no(db: &Db, year: i16) -> Result<String, ApiError> {
    let prefix = format!("WM{year:04}");
    let row = db.query_one(
        "SELECT MAX(volunteer_no) AS last FROM volunteers WHERE volunteer_no >= ? AND volunteer_no < ?",
        &[Value::Text(prefix.clone()), Value::Text(format!("WM{:04}", year + 1))],
    )?;
    let last = match row.map(|r| r.opt_str("last")).transpose()?.flatten() {
        None => 0,
        Some(no) => no
            .get(prefix.len()..)
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| ApiError::Internal(format!("unexpected volunteer_no {no}")))?,
    };
    if last >= 999_999 {
        return Err(ApiError::Internal(format!("volunteer numbers for {year} are used up")));
    }
    Ok(format!("{prefix}{:06}", last + 1))
}

/// The WHERE clause shared by the list and the export: scope ranges, `?skill=`, `?q=` (name
/// contains, or volunteer number starts with).
fn filter(req: &Request, p: &Principal, db: &Db, params: &mut Vec<Value>) -> Result<String, ApiError> {
    let org = input::query_id(req, "org")?;
    let skill = input::query_text(req, "skill", SKILL_CHARS)?;
    let q = input::query_text(req, "q", NAME_CHARS)?;
    let within = access::filter_org(db, org)?;
    let mut sql = kit::Scope::listing(p, Action::ReadVolunteers, within.as_deref())?.condition("o.path", params);
    if let Some(skill) = skill {
        sql.push_str(" AND EXISTS (SELECT 1 FROM json_each(v.skills) s WHERE s.value = ?)");
        params.push(Value::Text(skill));
    }
    if let Some(q) = q {
        sql.push_str(" AND (v.real_name LIKE ? ESCAPE '\\' OR v.volunteer_no LIKE ? ESCAPE '\\')");
        let q = input::like_escape(&q);
        params.push(Value::Text(format!("%{q}%")));
        params.push(Value::Text(format!("{}%", q.to_uppercase())));
    }
    Ok(sql)
}

/// `GET /api/v1/volunteers?org=&skill=&q=&limit=&cursor=`: read-volunteers scope, masked.
pub fn list(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let page = Page::from_request(req)?;
    let db = Db::open()?;
    let mut params = Vec::new();
    let filter = filter(req, p, &db, &mut params)?;
    params.push(Value::Integer(page.after));
    params.push(Value::Integer(page.limit));
    let rows = db.query(&format!("{SELECT} WHERE {filter} AND v.id > ? ORDER BY v.id LIMIT ?"), &params)?;
    let volunteers = rows.iter().map(Volunteer::from_row).collect::<Result<Vec<_>, _>>()?;
    let last = volunteers.last().map(|v| v.id);
    let items = volunteers.iter().map(|v| v.json(false)).collect();
    Ok(kit::json(200, &page.envelope(items, last)))
}

/// `GET /api/v1/volunteers/export.csv?org=&skill=&q=`: the same scope and filters as the list,
/// every matching row, masked, as UTF-8 CSV with a header row.
pub fn export(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    const BATCH: i64 = 500;
    let db = Db::open()?;
    let mut params = Vec::new();
    let filter = filter(req, p, &db, &mut params)?;
    let sql = format!("{SELECT} WHERE {filter} AND v.id > ? ORDER BY v.id LIMIT {BATCH}");
    let mut csv = kit::csv::row(&[
        "volunteer_no",
        "real_name",
        "gender",
        "birth_year",
        "phone",
        "id_number",
        "skills",
        "service_area",
        "home_org",
        "status",
        "registered_at",
    ]);
    let mut after = 0;
    loop {
        let mut batch_params = params.clone();
        batch_params.push(Value::Integer(after));
        let rows = db.query(&sql, &batch_params)?;
        for row in &rows {
            let v = Volunteer::from_row(row)?;
            csv.push_str(&kit::csv::row(&[
                v.volunteer_no.clone(),
                v.real_name.clone(),
                v.gender.clone(),
                v.birth_date.get(..4).unwrap_or_default().to_string(),
                kit::mask_phone(&v.phone),
                kit::mask_id_number(&v.id_number),
                v.skills.join(";"),
                v.service_area.clone(),
                v.org_name.clone(),
                v.status.clone(),
                input::rfc3339(v.created_at),
            ]));
            after = v.id;
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(kit::csv::attachment("volunteers.csv", csv))
}

/// Whether `p` sees `v` whole: the volunteer themself, or read-volunteers-unmasked at the home
/// org.
fn sees_whole(p: &Principal, v: &Volunteer) -> Result<bool, ApiError> {
    Ok(v.account_id == p.account_id || kit::allowed(p, Action::ReadVolunteersUnmasked, &v.org_path)?)
}

/// `GET /api/v1/volunteers/{id}`.
pub fn get(p: &Principal, id: i64) -> Result<Response, ApiError> {
    let db = Db::open()?;
    let Some(v) = load(&db, id)? else {
        return Err(kit::deny(p, Action::ReadVolunteers, "volunteer"));
    };
    let whole = sees_whole(p, &v)?;
    if !whole {
        kit::gate(p, Action::ReadVolunteers, &v.org_path, "volunteer")?;
    }
    Ok(kit::json(200, &v.json(whole)))
}

/// `GET /api/v1/volunteers/mine`: the caller's own volunteer record, whole; 404 when the
/// account has not registered as a volunteer (the phone pages then offer registration).
pub fn mine(p: &Principal) -> Result<Response, ApiError> {
    let db = Db::open()?;
    match of_account(&db, p.account_id)? {
        Some(v) => Ok(kit::json(200, &v.json(true))),
        None => Err(ApiError::NotFound("you have not registered as a volunteer".into())),
    }
}

/// `PATCH /api/v1/volunteers/{id}` `{"skills"?, "service_area"?, "home_org_id"?}`: the volunteer
/// themself, or manage-volunteers at the home org (and at the new one when moving).
pub fn update(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let mut f = Fields::from_request(req, &["skills", "service_area", "home_org_id"])?;
    if f.is_empty() {
        return Err(ApiError::invalid("body", "send at least one of skills, service_area, home_org_id"));
    }
    let skills = f.opt_labels("skills", MAX_SKILLS, SKILL_CHARS)?;
    let service_area = f.opt_line_or_empty("service_area", SERVICE_AREA_CHARS)?;
    let home_org_id = f.opt_id("home_org_id")?;

    let db = Db::open()?;
    let Some(current) = load(&db, id)? else {
        return Err(kit::deny(p, Action::ManageVolunteers, "volunteer"));
    };
    let is_self = current.account_id == p.account_id;
    if !is_self && !kit::allowed(p, Action::ManageVolunteers, &current.org_path)? {
        return Err(kit::deny(p, Action::ManageVolunteers, "volunteer"));
    }
    let new_org: Option<Org> = match home_org_id {
        Some(org_id) if org_id != current.home_org_id => {
            // Volunteers may move themselves anywhere active; staff only where they can see.
            let org = if is_self {
                access::active_org(&db, org_id, "home_org_id")?
            } else {
                access::visible_org(&db, p, org_id, "home_org_id")?
            };
            if !is_self && !kit::allowed(p, Action::ManageVolunteers, &org.path)? {
                return Err(ApiError::Forbidden("you may not manage volunteers at the new home org".into()));
            }
            Some(org)
        }
        _ => None,
    };

    let after = db.transaction(|db| {
        let before = load(db, id)?.ok_or_else(|| ApiError::NotFound("no such volunteer".into()))?;
        let skills = skills.clone().unwrap_or_else(|| before.skills.clone());
        let skills_json = serde_json::to_string(&skills).map_err(|e| ApiError::Internal(e.to_string()))?;
        let service_area = service_area.clone().unwrap_or_else(|| before.service_area.clone());
        let home = match &new_org {
            Some(org) => access::active_org(db, org.id, "home_org_id")?.id,
            None => before.home_org_id,
        };
        db.exec(
            "UPDATE volunteers SET skills = ?, service_area = ?, home_org_id = ?, updated_at = ? WHERE id = ?",
            &[
                Value::Text(skills_json),
                Value::Text(service_area),
                Value::Integer(home),
                Value::Integer(kit::now()),
                Value::Integer(id),
            ],
        )?;
        if let Some(org) = &new_org {
            let old =
                access::org(db, before.home_org_id)?.ok_or_else(|| ApiError::Internal("home org vanished".into()))?;
            access::grant_role(db, p.account_id, before.account_id, "volunteer", org)?;
            access::revoke_role(db, p.account_id, before.account_id, "volunteer", &old)?;
        }
        let after = load(db, id)?.ok_or_else(|| ApiError::Internal("the volunteer vanished".into()))?;
        kit::audit(
            db,
            p.account_id,
            "volunteer.update",
            "volunteer",
            Some(id),
            &before.org_path,
            Some(&before.json(false)),
            Some(&after.json(false)),
        )?;
        Ok(after)
    })?;
    let whole = sees_whole(p, &after)?;
    Ok(kit::json(200, &after.json(whole)))
}
