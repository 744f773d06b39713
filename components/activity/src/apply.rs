//! `POST /api/v1/activities`: apply for an activity (活动申报) → `pending`, for the owning org's
//! admins to approve.
//!
//! Who applies, and on whose behalf:
//! - `team_id`: the team's leader (or manage-teams at the team's org), hosting at the team's org
//!   or below it;
//! - `organisation_id`: an approved volunteer organisation's applicant (or manage-teams at
//!   `org_id`), hosting at the organisation's org or below it;
//! - neither: staff with manage-teams at `org_id`.
//!
//! Everything is validated before anything is written; the insert and its audit row are one
//! transaction, and a retry with the same `Idempotency-Key` gets the first answer.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities;
use crate::input::{self, ActivityFields, Fields};
use kit::identity::Principal;

const FIELDS: &[&str] = &[
    "title",
    "category",
    "description",
    "org_id",
    "team_id",
    "organisation_id",
    "address",
    "latitude",
    "longitude",
    "radius_m",
    "starts_at",
    "ends_at",
    "signup_deadline",
    "capacity",
    "min_age",
    "required_skills",
    "visibility",
    "dynamic_code",
];

/// The longest activity: a month. Longer "activities" are programmes, and would block every
/// other sign-up of their volunteers through the overlap rule.
pub const MAX_DURATION_S: i64 = 31 * 86_400;

/// A validated application, ready to insert.
struct Application {
    title: String,
    category: String,
    description: String,
    org_id: i64,
    team_id: Option<i64>,
    organisation_id: Option<i64>,
    address: String,
    place: Option<(i64, i64, i64)>,
    starts_at: i64,
    ends_at: i64,
    signup_deadline: i64,
    capacity: i64,
    min_age: Option<i64>,
    required_skills: Vec<String>,
    visibility: &'static str,
    dynamic_code: bool,
}

/// Degrees → integer microdegrees (the database keeps no floats in records).
fn micro(deg: f64) -> i64 {
    (deg * 1e6).round() as i64
}

fn validate(req: &Request, now: i64) -> Result<Application, ApiError> {
    let mut f = Fields::from_request(req, FIELDS)?;
    let title = f.line("title", 100)?;
    let category = f.line("category", 50)?;
    let description = f.text("description", 5000)?;
    let org_id = f.id("org_id")?;
    let team_id = f.opt_id("team_id")?;
    let organisation_id = f.opt_id("organisation_id")?;
    if team_id.is_some() && organisation_id.is_some() {
        return Err(ApiError::invalid("organisation_id", "apply for a team or for an organisation, not both"));
    }
    let address = f.line("address", 200)?;

    // A place and a check-in radius come together or not at all (the schema's CHECK says the
    // same); name the first one missing.
    let sent = ["latitude", "longitude", "radius_m"].map(|k| f.present(k));
    if sent.iter().any(|s| *s) {
        if let Some(i) = sent.iter().position(|s| !*s) {
            let missing = ["latitude", "longitude", "radius_m"][i];
            return Err(ApiError::invalid(
                missing,
                "latitude, longitude and radius_m come together: give all three or none",
            ));
        }
    }
    let latitude = f.opt_number("latitude", -90.0..=90.0)?;
    let longitude = f.opt_number("longitude", -180.0..=180.0)?;
    let radius = f.opt_int("radius_m", 10..=5000)?;
    let place = match (latitude, longitude, radius) {
        (Some(lat), Some(lon), Some(r)) => Some((micro(lat), micro(lon), r)),
        _ => None,
    };

    let starts_at = f.activity_time("starts_at")?;
    let ends_at = f.activity_time("ends_at")?;
    let signup_deadline = f.activity_time("signup_deadline")?;
    if starts_at <= now {
        return Err(ApiError::invalid("starts_at", "must be in the future"));
    }
    if ends_at <= starts_at {
        return Err(ApiError::invalid("ends_at", "must be after starts_at"));
    }
    if ends_at - starts_at > MAX_DURATION_S {
        return Err(ApiError::invalid("ends_at", "an activity lasts at most 31 days"));
    }
    if signup_deadline > starts_at {
        return Err(ApiError::invalid("signup_deadline", "must be no later than starts_at"));
    }
    if signup_deadline <= now {
        return Err(ApiError::invalid("signup_deadline", "must be in the future"));
    }

    let capacity = f.opt_int("capacity", 1..=10_000)?.ok_or_else(|| ApiError::invalid("capacity", "is required"))?;
    let min_age = f.opt_int("min_age", 1..=100)?;
    let required_skills = f.opt_labels("required_skills", 20, 30)?.unwrap_or_default();
    let visibility = f.choice("visibility", &["public", "invitation"])?;
    let dynamic_code = f.opt_bool("dynamic_code")?.unwrap_or(false);
    Ok(Application {
        title,
        category,
        description,
        org_id,
        team_id,
        organisation_id,
        address,
        place,
        starts_at,
        ends_at,
        signup_deadline,
        capacity,
        min_age,
        required_skills,
        visibility,
        dynamic_code,
    })
}

/// Whether `path` is `root` or below it.
fn within(root: &str, path: &str) -> bool {
    path.starts_with(root)
}

/// Checks that `p` may apply as `app` says; returns nothing, refuses with 422 (a named field is
/// wrong) or 403 (the caller may not apply that way).
fn authorise(db: &Db, p: &Principal, app: &Application, org_path: &str) -> Result<(), ApiError> {
    if let Some(team_id) = app.team_id {
        let team = db
            .query_one(
                "SELECT o.path FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.id = ? AND t.active = 1",
                &[Value::Integer(team_id)],
            )?
            .ok_or_else(|| ApiError::invalid("team_id", "no such active team"))?;
        let team_path = team.str("path")?;
        if !kit::leads_team(db, p.account_id, team_id)? && !kit::allowed(p, access::MANAGE, &team_path)? {
            return Err(ApiError::Forbidden("only the team's leader may apply for it".into()));
        }
        if !within(&team_path, org_path) {
            return Err(ApiError::invalid("org_id", "a team hosts at its own org or one below it"));
        }
        return Ok(());
    }
    if let Some(organisation_id) = app.organisation_id {
        let g = db
            .query_one(
                "SELECT g.status, g.contact_phone, o.path FROM organisations g JOIN orgs o ON o.id = g.org_id WHERE g.id = ?",
                &[Value::Integer(organisation_id)],
            )?
            .ok_or_else(|| ApiError::invalid("organisation_id", "no such organisation"))?;
        if g.str("status")? != "approved" {
            return Err(ApiError::invalid("organisation_id", "the organisation is not approved"));
        }
        if !is_organisation_applicant(db, p, organisation_id, &g.str("contact_phone")?)?
            && !kit::allowed(p, access::MANAGE, org_path)?
        {
            return Err(ApiError::Forbidden("only the organisation's applicant may apply for it".into()));
        }
        if !within(&g.str("path")?, org_path) {
            return Err(ApiError::invalid("org_id", "an organisation hosts at its own org or one below it"));
        }
        return Ok(());
    }
    if !kit::allowed(p, access::MANAGE, org_path)? {
        return Err(ApiError::Forbidden(
            "applying for the org itself needs manage-teams there; team leaders give team_id, organisations organisation_id".into(),
        ));
    }
    Ok(())
}

/// Whether `p` applied for the organisation. The `organisations` table keeps no applicant
/// account, so this is the account behind its `organisation.apply` audit row, or (for rows
/// seeded without one) the account whose phone is its contact phone.
fn is_organisation_applicant(
    db: &Db,
    p: &Principal,
    organisation_id: i64,
    contact_phone: &str,
) -> Result<bool, ApiError> {
    let by_audit = db.query_one(
        "SELECT 1 AS x FROM audit_log WHERE action = 'organisation.apply' AND entity = 'organisation' AND entity_id = ? AND actor_id = ?",
        &[Value::Integer(organisation_id), Value::Integer(p.account_id)],
    )?;
    if by_audit.is_some() {
        return Ok(true);
    }
    let by_phone = db.query_one(
        "SELECT 1 AS x FROM accounts WHERE id = ? AND phone = ?",
        &[Value::Integer(p.account_id), Value::Text(contact_phone.to_string())],
    )?;
    Ok(by_phone.is_some())
}

/// `POST /api/v1/activities` → 201 with the pending activity.
pub fn apply(req: &Request, p: &Principal) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let app = validate(req, now)?;
    let db = Db::open()?;
    let org_path = db
        .query_one("SELECT path FROM orgs WHERE id = ? AND active = 1", &[Value::Integer(app.org_id)])?
        .ok_or_else(|| ApiError::invalid("org_id", "no such active org"))?
        .str("path")?;
    authorise(&db, p, &app, &org_path)?;

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        let (lat, lon, radius) = match app.place {
            Some((lat, lon, r)) => (Value::Integer(lat), Value::Integer(lon), Value::Integer(r)),
            None => (Value::Null, Value::Null, Value::Null),
        };
        let id = db.insert(
            "INSERT INTO activities (org_id, applicant_id, team_id, organisation_id, title, category, description, address,
                 latitude_e6, longitude_e6, radius_m, starts_at, ends_at, capacity, signup_deadline, min_age,
                 required_skills, visibility, dynamic_code, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            &[
                Value::Integer(app.org_id),
                Value::Integer(p.account_id),
                app.team_id.map_or(Value::Null, Value::Integer),
                app.organisation_id.map_or(Value::Null, Value::Integer),
                Value::Text(app.title.clone()),
                Value::Text(app.category.clone()),
                Value::Text(app.description.clone()),
                Value::Text(app.address.clone()),
                lat,
                lon,
                radius,
                Value::Integer(app.starts_at),
                Value::Integer(app.ends_at),
                Value::Integer(app.capacity),
                Value::Integer(app.signup_deadline),
                app.min_age.map_or(Value::Null, Value::Integer),
                Value::Text(serde_json::to_string(&app.required_skills).map_err(|e| ApiError::Internal(e.to_string()))?),
                Value::Text(app.visibility.into()),
                Value::Integer(i64::from(app.dynamic_code)),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )?;
        let shown =
            activities::load(db, id)?.ok_or_else(|| ApiError::Internal("the new activity vanished".into()))?.json(true);
        kit::audit(db, p.account_id, "activity.apply", "activity", Some(id), &org_path, None, Some(&shown))?;
        Ok((201, shown))
    })?;
    Ok(kit::json(status, &body))
}
