//! The activity resource: one row with its org and sign-up counts, its JSON shape, and who may
//! see it.
//!
//! Visibility, one rule for the list and for one activity:
//! - approved public activities: anyone, with or without a session;
//! - every status: the admins of the activity's org (`manage-teams` there) and the applicant;
//! - a volunteer who signed up (even since cancelled) keeps seeing it;
//! - an approved invitation-only activity: whoever presents its invitation code.
//!
//! The activity code, QR payload and invitation code are shown only to managers and the
//! applicant (the organiser puts them on the poster); the dynamic-code key is never shown.

use kit::{ApiError, Db, Row};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::codes;
use kit::identity::Principal;

/// Every activity column the API shows, with its org, applicant unit and sign-up counts (the
/// counts read the `signups (activity_id, status, position)` index).
pub const SELECT: &str = "SELECT a.id, a.org_id, a.applicant_id, a.team_id, a.organisation_id, a.title, a.category,
        a.description, a.address, a.latitude_e6, a.longitude_e6, a.radius_m, a.starts_at, a.ends_at, a.capacity,
        a.signup_deadline, a.min_age, a.required_skills, a.visibility, a.invitation_code, a.dynamic_code, a.status,
        a.reject_reason, a.code, a.decided_by, a.decided_at, a.created_at, a.updated_at,
        o.name AS org_name, o.path AS org_path, t.name AS team_name, g.name AS organisation_name,
        (SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id AND s.status = 'confirmed') AS confirmed_count,
        (SELECT COUNT(*) FROM signups s WHERE s.activity_id = a.id AND s.status = 'waitlisted') AS waitlisted_count
    FROM activities a
    JOIN orgs o ON o.id = a.org_id
    LEFT JOIN teams t ON t.id = a.team_id
    LEFT JOIN organisations g ON g.id = a.organisation_id";

/// One activity as read from the database.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: i64,
    pub org_id: i64,
    pub applicant_id: i64,
    pub team_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub title: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub latitude_e6: Option<i64>,
    pub longitude_e6: Option<i64>,
    pub radius_m: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: i64,
    pub signup_deadline: i64,
    pub min_age: Option<i64>,
    pub required_skills: Vec<String>,
    pub visibility: String,
    pub invitation_code: Option<String>,
    pub dynamic_code: bool,
    pub status: String,
    pub reject_reason: Option<String>,
    pub code: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub org_name: String,
    pub org_path: String,
    pub team_name: Option<String>,
    pub organisation_name: Option<String>,
    pub confirmed: i64,
    pub waitlisted: i64,
}

impl Activity {
    pub fn from_row(r: &Row) -> Result<Activity, ApiError> {
        Ok(Activity {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            applicant_id: r.i64("applicant_id")?,
            team_id: r.opt_i64("team_id")?,
            organisation_id: r.opt_i64("organisation_id")?,
            title: r.str("title")?,
            category: r.str("category")?,
            description: r.str("description")?,
            address: r.str("address")?,
            latitude_e6: r.opt_i64("latitude_e6")?,
            longitude_e6: r.opt_i64("longitude_e6")?,
            radius_m: r.opt_i64("radius_m")?,
            starts_at: r.i64("starts_at")?,
            ends_at: r.i64("ends_at")?,
            capacity: r.i64("capacity")?,
            signup_deadline: r.i64("signup_deadline")?,
            min_age: r.opt_i64("min_age")?,
            required_skills: serde_json::from_str(&r.str("required_skills")?).unwrap_or_default(),
            visibility: r.str("visibility")?,
            invitation_code: r.opt_str("invitation_code")?,
            dynamic_code: r.i64("dynamic_code")? == 1,
            status: r.str("status")?,
            reject_reason: r.opt_str("reject_reason")?,
            code: r.opt_str("code")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?,
            created_at: r.i64("created_at")?,
            updated_at: r.i64("updated_at")?,
            org_name: r.str("org_name")?,
            org_path: r.str("org_path")?,
            team_name: r.opt_str("team_name")?,
            organisation_name: r.opt_str("organisation_name")?,
            confirmed: r.i64("confirmed_count")?,
            waitlisted: r.i64("waitlisted_count")?,
        })
    }

    /// Whether this is open to everyone: approved and public.
    pub fn is_public(&self) -> bool {
        self.status == "approved" && self.visibility == "public"
    }

    /// The API shape. `full` (managers and the applicant) adds the activity code, its QR payload
    /// and the invitation code.
    pub fn json(&self, full: bool) -> Json {
        let degrees = |e6: Option<i64>| e6.map_or(Json::Null, |v| json!(v as f64 / 1e6));
        let secret = |v: Option<String>| if full { v.map_or(Json::Null, Json::String) } else { Json::Null };
        json!({
            "id": self.id,
            "org_id": self.org_id,
            "org_name": self.org_name,
            "applicant_id": self.applicant_id,
            "team_id": self.team_id,
            "team_name": self.team_name,
            "organisation_id": self.organisation_id,
            "organisation_name": self.organisation_name,
            "title": self.title,
            "category": self.category,
            "description": self.description,
            "address": self.address,
            "latitude": degrees(self.latitude_e6),
            "longitude": degrees(self.longitude_e6),
            "radius_m": self.radius_m,
            "starts_at": kit::time::rfc3339(self.starts_at),
            "ends_at": kit::time::rfc3339(self.ends_at),
            "signup_deadline": kit::time::rfc3339(self.signup_deadline),
            "capacity": self.capacity,
            "confirmed": self.confirmed,
            "waitlisted": self.waitlisted,
            "min_age": self.min_age,
            "required_skills": self.required_skills,
            "visibility": self.visibility,
            "dynamic_code": self.dynamic_code,
            "status": self.status,
            "reject_reason": self.reject_reason,
            "code": secret(self.code.clone()),
            "qr_payload": secret(self.code.as_deref().map(codes::qr_payload)),
            "invitation_code": secret(self.invitation_code.clone()),
            "decided_by": self.decided_by,
            "decided_at": kit::time::opt_rfc3339(self.decided_at),
            "created_at": kit::time::rfc3339(self.created_at),
            "updated_at": kit::time::rfc3339(self.updated_at),
        })
    }
}

/// The activity with `id`, if it exists (whoever may see it).
pub fn load(db: &Db, id: i64) -> Result<Option<Activity>, ApiError> {
    db.query_one(&format!("{SELECT} WHERE a.id = ?"), &[Value::Integer(id)])?
        .map(|r| Activity::from_row(&r))
        .transpose()
}

/// The caller as visibility needs them: their session (if any), where they manage activities,
/// and their volunteer record (if they are one). Built once per request.
pub struct Viewer {
    pub principal: Option<Principal>,
    pub manage: kit::Scope,
    pub volunteer_id: Option<i64>,
}

impl Viewer {
    pub fn new(db: &Db, principal: Option<Principal>) -> Result<Viewer, ApiError> {
        let (manage, volunteer_id) = match &principal {
            None => (kit::Scope::default(), None),
            Some(p) => (
                kit::Scope::of(p, access::MANAGE),
                db.query_one("SELECT id FROM volunteers WHERE account_id = ?", &[Value::Integer(p.account_id)])?
                    .map(|r| r.i64("id"))
                    .transpose()?,
            ),
        };
        Ok(Viewer { principal, manage, volunteer_id })
    }

    /// The caller's account id, if signed in.
    pub fn account_id(&self) -> Option<i64> {
        self.principal.as_ref().map(|p| p.account_id)
    }

    /// Whether the caller manages `a` (`manage-teams` at its org).
    pub fn manages(&self, a: &Activity) -> bool {
        self.manage.contains(&a.org_path)
    }

    /// Whether the caller sees the codes of `a`: its managers and its applicant.
    pub fn full(&self, a: &Activity) -> bool {
        self.manages(a) || self.account_id() == Some(a.applicant_id)
    }

    /// Whether the caller may see `a` at all (the module's rule). `invitation` is a code the
    /// caller presented, if any.
    pub fn sees(&self, db: &Db, a: &Activity, invitation: Option<&str>) -> Result<bool, ApiError> {
        if a.is_public() || self.full(a) {
            return Ok(true);
        }
        if a.status == "approved" {
            if let (Some(given), Some(code)) = (invitation, a.invitation_code.as_deref()) {
                if codes::same(given, code) {
                    return Ok(true);
                }
            }
        }
        match self.volunteer_id {
            None => Ok(false),
            Some(v) => Ok(db
                .query_one(
                    "SELECT 1 AS x FROM signups WHERE activity_id = ? AND volunteer_id = ?",
                    &[Value::Integer(a.id), Value::Integer(v)],
                )?
                .is_some()),
        }
    }

    /// The SQL condition (on `a` and `o`) for "the caller may see this row", pushing its
    /// parameters: the list's half of the module's rule (invitation codes are not listable).
    pub fn visible_sql(&self, params: &mut Vec<Value>) -> String {
        let mut any = vec!["(a.status = 'approved' AND a.visibility = 'public')".to_string()];
        if !self.manage.is_empty() {
            any.push(self.manage.condition("o.path", params));
        }
        if let Some(account) = self.account_id() {
            any.push("a.applicant_id = ?".into());
            params.push(Value::Integer(account));
        }
        if let Some(v) = self.volunteer_id {
            any.push("EXISTS (SELECT 1 FROM signups s WHERE s.activity_id = a.id AND s.volunteer_id = ?)".into());
            params.push(Value::Integer(v));
        }
        format!("({})", any.join(" OR "))
    }
}
