//! The rows every transition reads: the activity (with its org and hosting team), the calling
//! volunteer, and the rule for who manages an activity's attendance.

use kit::{ApiError, Db, Row};
use spin_sdk::sqlite3::Value;

use kit::identity::{Action, Principal};

/// An activity as check-in needs it.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    /// The account that applied for it (the organiser on site).
    pub applicant_id: i64,
    /// The hosting team, if a team hosts it (its leader is an organiser: `kit::leads_team`).
    pub team_id: Option<i64>,
    pub title: String,
    pub category: String,
    pub address: String,
    /// The place, in microdegrees, and the check-in radius: all three or none.
    pub place: Option<(i64, i64, i64)>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub dynamic_code: bool,
    pub dynamic_secret: Option<String>,
    pub status: String,
}

const ACTIVITY_SELECT: &str = "SELECT a.id, a.org_id, o.path AS org_path, o.name AS org_name, a.applicant_id,
        a.team_id, a.title, a.category, a.address,
        a.latitude_e6, a.longitude_e6, a.radius_m, a.starts_at, a.ends_at,
        a.dynamic_code, a.dynamic_secret, a.status
    FROM activities a JOIN orgs o ON o.id = a.org_id";

impl Activity {
    fn from_row(r: &Row) -> Result<Activity, ApiError> {
        let place = match (r.opt_i64("latitude_e6")?, r.opt_i64("longitude_e6")?, r.opt_i64("radius_m")?) {
            (Some(lat), Some(lon), Some(radius)) => Some((lat, lon, radius)),
            _ => None,
        };
        Ok(Activity {
            id: r.i64("id")?,
            org_id: r.i64("org_id")?,
            org_path: r.str("org_path")?,
            org_name: r.str("org_name")?,
            applicant_id: r.i64("applicant_id")?,
            team_id: r.opt_i64("team_id")?,
            title: r.str("title")?,
            category: r.str("category")?,
            address: r.str("address")?,
            place,
            starts_at: r.i64("starts_at")?,
            ends_at: r.i64("ends_at")?,
            dynamic_code: r.i64("dynamic_code")? == 1,
            dynamic_secret: r.opt_str("dynamic_secret")?,
            status: r.str("status")?,
        })
    }

    /// The activity with `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Activity>, ApiError> {
        db.query_one(&format!("{ACTIVITY_SELECT} WHERE a.id = ?"), &[Value::Integer(id)])?
            .map(|r| Activity::from_row(&r))
            .transpose()
    }

    /// The activity whose code (活动码) is `code`, if any.
    pub fn by_code(db: &Db, code: &str) -> Result<Option<Activity>, ApiError> {
        db.query_one(&format!("{ACTIVITY_SELECT} WHERE a.code = ?"), &[Value::Text(code.to_string())])?
            .map(|r| Activity::from_row(&r))
            .transpose()
    }

    /// The scheduled duration in whole minutes.
    pub fn scheduled_minutes(&self) -> i64 {
        crate::minutes::scheduled(self.starts_at, self.ends_at)
    }
}

/// Whether `p` manages `act`'s attendance: manage-teams at the activity's org (its admins, as in
/// the `activity` component), or, when `organiser_too`, the organiser on site — the applicant or
/// the hosting team's leader — who shows the rotating code, watches check-ins and closes the
/// day, but does not confirm hours. Otherwise 403 when `p`'s roles allow manage-teams nowhere,
/// else 404.
pub fn require_manager(db: &Db, p: &Principal, act: &Activity, organiser_too: bool) -> Result<(), ApiError> {
    if organiser_too && act.applicant_id == p.account_id {
        return Ok(());
    }
    if let (true, Some(team)) = (organiser_too, act.team_id) {
        if kit::leads_team(db, p.account_id, team)? {
            return Ok(());
        }
    }
    if kit::allowed(p, Action::ManageTeams, &act.org_path)? {
        return Ok(());
    }
    Err(kit::deny(p, Action::ManageTeams, "activity"))
}

/// A volunteer (志愿者) as the records and check-in need them.
#[derive(Debug, Clone)]
pub struct Volunteer {
    pub id: i64,
    pub account_id: i64,
    pub volunteer_no: String,
    pub real_name: String,
    pub phone: String,
    pub id_number: String,
    pub home_org_path: String,
    pub home_org_name: String,
    pub active: bool,
}

const VOLUNTEER_SELECT: &str = "SELECT v.id, v.account_id, v.volunteer_no, v.real_name, v.phone, v.id_number,
        v.status, o.path AS home_org_path, o.name AS home_org_name
    FROM volunteers v JOIN orgs o ON o.id = v.home_org_id";

impl Volunteer {
    fn from_row(r: &Row) -> Result<Volunteer, ApiError> {
        Ok(Volunteer {
            id: r.i64("id")?,
            account_id: r.i64("account_id")?,
            volunteer_no: r.str("volunteer_no")?,
            real_name: r.str("real_name")?,
            phone: r.str("phone")?,
            id_number: r.str("id_number")?,
            home_org_path: r.str("home_org_path")?,
            home_org_name: r.str("home_org_name")?,
            active: r.str("status")? == "active",
        })
    }

    /// The volunteer with `id`, if any.
    pub fn by_id(db: &Db, id: i64) -> Result<Option<Volunteer>, ApiError> {
        db.query_one(&format!("{VOLUNTEER_SELECT} WHERE v.id = ?"), &[Value::Integer(id)])?
            .map(|r| Volunteer::from_row(&r))
            .transpose()
    }

    /// The volunteer profile of an account, if it has one.
    pub fn of_account(db: &Db, account_id: i64) -> Result<Option<Volunteer>, ApiError> {
        db.query_one(&format!("{VOLUNTEER_SELECT} WHERE v.account_id = ?"), &[Value::Integer(account_id)])?
            .map(|r| Volunteer::from_row(&r))
            .transpose()
    }

    /// The caller's own active volunteer profile, else 403.
    pub fn caller(db: &Db, p: &Principal) -> Result<Volunteer, ApiError> {
        match Volunteer::of_account(db, p.account_id)? {
            Some(v) if v.active => Ok(v),
            Some(_) => Err(ApiError::Forbidden("this volunteer is suspended".into())),
            None => {
                Err(ApiError::Forbidden("only registered volunteers may do this; register as a volunteer first".into()))
            }
        }
    }
}
