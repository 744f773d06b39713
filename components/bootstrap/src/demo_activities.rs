//! The demo's activities (活动), for `POST /demo`: a handful across stations and categories, in
//! every state the schema knows, written the way the `activity` and `checkin` components would
//! have left them:
//!
//! - finished: one with attendances in every condition — confirmed, one corrected (with its
//!   reason), one closed automatically after a forgotten check-out and one left early (both
//!   awaiting the organiser), and no-shows; and one wholly confirmed;
//! - running now, with a rotating check-in code and volunteers checked in;
//! - upcoming: one full, with a waitlist and a cancellation whose place went to the first of the
//!   waitlist; one by invitation;
//! - pending (two), rejected (with the reason) and cancelled.
//!
//! Times are relative to the seeding moment, on the `+08:00` clock, so the demo always has
//! something running, something to sign up for and something to confirm. Confirmed minutes reach
//! the ledger only through `wenming:ledger/ledger` (`credit-service`, key `attendance:<id>`),
//! on this request's connection, inside the seeding transaction: a failed seed leaves no hours
//! behind. Activity codes, invitation codes and rotating-code keys are random, as approval makes
//! them; everything else comes from a fixed seed.

use std::collections::HashSet;

use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::demo::{Rng, Team, Volunteer, INSTITUTE_ADMIN, STATION_ADMIN, TEAM_LEADER};
use kit::ledger::{self, Source};

/// Letters an activity code is made of (no `0 O 1 I`), as in the `activity` component.
pub const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;
const INVITATION_LEN: usize = 8;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// An org of the demo county by its short name (town or village).
pub struct Place {
    pub short: &'static str,
    pub id: i64,
    pub path: String,
}

/// What the rest of the demo made, for the activities to use.
pub struct County<'a> {
    pub now: i64,
    pub centre_path: &'a str,
    pub centre_admin: i64,
    /// Staff account ids, in `demo::STAFF` order.
    pub staff: &'a [i64],
    pub orgs: &'a [Place],
    /// In `demo::TEAMS` order.
    pub teams: &'a [Team],
    /// The approved volunteer organisation.
    pub organisation: i64,
    pub volunteers: &'a [Volunteer],
}

/// What was seeded: the summary (audited with the rest) and the codes (for the operator only).
pub struct Seeded {
    pub summary: Json,
    pub codes: Json,
}

// ---- randomness and time -----------------------------------------------------------------

fn random_bytes(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(buf)
}

/// `len` random letters of [`CODE_ALPHABET`] (32 letters: five bits of a byte, no bias).
fn random_code(len: usize) -> Result<String, ApiError> {
    Ok(random_bytes(len)?.iter().map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)])).collect())
}

/// A 256-bit key for the rotating check-in code, hex-encoded.
fn random_secret() -> Result<String, ApiError> {
    Ok(hex::encode(random_bytes(32)?))
}

/// The `+08:00` wall clock around the seeding moment.
struct Clock {
    /// Today's midnight in `+08:00`, as unix seconds.
    midnight: i64,
}

impl Clock {
    fn new(now: i64) -> Clock {
        Clock { midnight: domain::Date::of(now).start() }
    }

    /// `day` days from today at `hour:minute`.
    fn at(&self, day: i64, hour: i64, minute: i64) -> i64 {
        self.midnight + day * DAY + hour * HOUR + minute * MINUTE
    }
}

// ---- minutes, as `checkin` computes them ----------------------------------------------------

/// The deployment's `hours.rounding`: `[upper, rounded]` steps for the minutes past the hour.
struct Rounding(Vec<(i64, i64)>);

impl Rounding {
    fn load(db: &Db) -> Result<Rounding, ApiError> {
        let Some(value) = kit::settings::get(db, "hours.rounding")? else {
            return Ok(Rounding(vec![(15, 0), (45, 30), (60, 60)]));
        };
        let steps: Vec<(i64, i64)> = serde_json::from_str(&value)
            .map_err(|e| ApiError::Internal(format!("deployment settings: hours.rounding: {e}")))?;
        if steps.is_empty() {
            return Err(ApiError::Internal("deployment settings: hours.rounding is empty".into()));
        }
        Ok(Rounding(steps))
    }

    fn apply(&self, minutes: i64) -> i64 {
        let minutes = minutes.max(0);
        let (hours, rest) = (minutes / 60, minutes % 60);
        hours * 60 + self.0.iter().find(|(upper, _)| rest <= *upper).map_or(rest, |(_, r)| *r)
    }
}

/// Minutes for an attendance: the attended span clipped to the schedule, capped at its
/// duration, rounded, capped again (the rule of `checkin`'s `minutes::attended`).
fn attended(checked_in_at: i64, checked_out_at: i64, starts_at: i64, ends_at: i64, rounding: &Rounding) -> i64 {
    let scheduled = ((ends_at - starts_at) / 60).max(0);
    let raw = ((checked_out_at.min(ends_at) - checked_in_at.max(starts_at)).max(0) / 60).min(scheduled);
    rounding.apply(raw).min(scheduled)
}

// ---- rows -------------------------------------------------------------------------------------

/// How an application was decided.
enum Decision {
    Pending,
    Approved {
        by: i64,
        at: i64,
    },
    Rejected {
        by: i64,
        at: i64,
        reason: &'static str,
    },
    /// Approved, then called off.
    Cancelled {
        by: i64,
        approved_at: i64,
        cancelled_at: i64,
    },
}

/// An activity to insert.
struct New<'a> {
    title: &'static str,
    category: &'static str,
    description: &'static str,
    at: &'a Place,
    applicant: i64,
    team: Option<i64>,
    organisation: Option<i64>,
    address: &'static str,
    /// Degrees and the check-in radius in metres.
    place: Option<(f64, f64, i64)>,
    starts_at: i64,
    ends_at: i64,
    signup_deadline: i64,
    capacity: i64,
    min_age: Option<i64>,
    skills: &'static [&'static str],
    invitation: bool,
    dynamic_code: bool,
    created_at: i64,
    decision: Decision,
}

/// An inserted activity.
struct Activity {
    id: i64,
    title: &'static str,
    category: &'static str,
    org_path: String,
    starts_at: i64,
    ends_at: i64,
    status: &'static str,
    code: Option<String>,
    invitation_code: Option<String>,
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

fn opt_text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, text)
}

/// An audit row at a given time (the seeded events happened in the past).
#[allow(clippy::too_many_arguments)]
fn audit_at(
    db: &Db,
    at: i64,
    actor: i64,
    action: &str,
    entity: &str,
    entity_id: i64,
    org_path: &str,
    before: Option<&Json>,
    after: &Json,
) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, org_path, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(at),
            Value::Integer(actor),
            text(action),
            text(entity),
            Value::Integer(entity_id),
            text(org_path),
            before.map_or(Value::Null, |b| Value::Text(b.to_string())),
            Value::Text(after.to_string()),
        ],
    )?;
    Ok(())
}

/// An activity code no activity has yet.
fn unique_code(db: &Db, issued: &mut HashSet<String>) -> Result<String, ApiError> {
    for _ in 0..16 {
        let code = random_code(CODE_LEN)?;
        let taken = db.query_one("SELECT 1 AS one FROM activities WHERE code = ?", &[text(&code)])?.is_some();
        if !taken && issued.insert(code.clone()) {
            return Ok(code);
        }
    }
    Err(ApiError::Internal("no unique activity code after 16 draws".into()))
}

fn insert_activity(db: &Db, a: New<'_>, issued: &mut HashSet<String>) -> Result<Activity, ApiError> {
    let (status, decided_by, decided_at, updated_at, reject_reason) = match a.decision {
        Decision::Pending => ("pending", None, None, a.created_at, None),
        Decision::Approved { by, at } => ("approved", Some(by), Some(at), at, None),
        Decision::Rejected { by, at, reason } => ("rejected", Some(by), Some(at), at, Some(reason)),
        Decision::Cancelled { by, approved_at, cancelled_at } => {
            ("cancelled", Some(by), Some(approved_at), cancelled_at, None)
        }
    };
    // Approval issues the code, the invitation code and the rotating-code key; a cancelled
    // activity was approved first and keeps its code (codes are never reused).
    let was_approved = matches!(status, "approved" | "cancelled");
    let code = if was_approved { Some(unique_code(db, issued)?) } else { None };
    let invitation_code = if was_approved && a.invitation { Some(random_code(INVITATION_LEN)?) } else { None };
    let secret = if was_approved { Some(random_secret()?) } else { None };
    let micro = |deg: f64| (deg * 1e6).round() as i64;
    let id = db.insert(
        "INSERT INTO activities (org_id, applicant_id, team_id, organisation_id, title, category, description, address,
             latitude_e6, longitude_e6, radius_m, starts_at, ends_at, capacity, signup_deadline, min_age, required_skills,
             visibility, invitation_code, dynamic_code, dynamic_secret, status, reject_reason, code, decided_by, decided_at,
             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(a.at.id),
            Value::Integer(a.applicant),
            opt_int(a.team),
            opt_int(a.organisation),
            text(a.title),
            text(a.category),
            text(a.description),
            text(a.address),
            opt_int(a.place.map(|(lat, _, _)| micro(lat))),
            opt_int(a.place.map(|(_, lon, _)| micro(lon))),
            opt_int(a.place.map(|(_, _, r)| r)),
            Value::Integer(a.starts_at),
            Value::Integer(a.ends_at),
            Value::Integer(a.capacity),
            Value::Integer(a.signup_deadline),
            opt_int(a.min_age),
            Value::Text(json!(a.skills).to_string()),
            text(if a.invitation { "invitation" } else { "public" }),
            opt_text(invitation_code.as_deref()),
            Value::Integer(i64::from(a.dynamic_code)),
            opt_text(secret.as_deref()),
            text(status),
            opt_text(reject_reason),
            opt_text(code.as_deref()),
            opt_int(decided_by),
            opt_int(decided_at),
            Value::Integer(a.created_at),
            Value::Integer(updated_at),
        ],
    )?;
    let shown = |status: &str| json!({ "id": id, "title": a.title, "category": a.category, "org_id": a.at.id, "status": status });
    audit_at(db, a.created_at, a.applicant, "activity.apply", "activity", id, &a.at.path, None, &shown("pending"))?;
    match a.decision {
        Decision::Pending => {}
        Decision::Approved { by, at } | Decision::Cancelled { by, approved_at: at, .. } => {
            audit_at(
                db,
                at,
                by,
                "activity.approve",
                "activity",
                id,
                &a.at.path,
                Some(&shown("pending")),
                &shown("approved"),
            )?;
        }
        Decision::Rejected { by, at, reason } => {
            let mut after = shown("rejected");
            after["reject_reason"] = json!(reason);
            audit_at(db, at, by, "activity.reject", "activity", id, &a.at.path, Some(&shown("pending")), &after)?;
        }
    }
    Ok(Activity {
        id,
        title: a.title,
        category: a.category,
        org_path: a.at.path.clone(),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        status,
        code,
        invitation_code,
    })
}

/// A sign-up; `position` is the arrival ticket that orders the waitlist.
fn sign_up(
    db: &Db,
    a: &Activity,
    volunteer: &Volunteer,
    status: &str,
    position: i64,
    created_at: i64,
    cancelled_at: Option<i64>,
) -> Result<i64, ApiError> {
    db.insert(
        "INSERT INTO signups (activity_id, volunteer_id, status, position, starts_at, ends_at, created_at, cancelled_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(a.id),
            Value::Integer(volunteer.id),
            text(status),
            Value::Integer(position),
            Value::Integer(a.starts_at),
            Value::Integer(a.ends_at),
            Value::Integer(created_at),
            opt_int(cancelled_at),
        ],
    )
}

/// How one volunteer attended.
struct Attendance {
    checked_in_at: i64,
    in_distance: Option<i64>,
    /// Check-out time and distance; `None` while still checked in.
    out: Option<(i64, Option<i64>)>,
    auto_closed: bool,
}

/// Inserts the attendance with the server's minutes; returns its id and those minutes.
fn attend(
    db: &Db,
    a: &Activity,
    volunteer: &Volunteer,
    att: &Attendance,
    rounding: &Rounding,
) -> Result<(i64, Option<i64>), ApiError> {
    let minutes = att.out.map(|(out, _)| attended(att.checked_in_at, out, a.starts_at, a.ends_at, rounding));
    let id = db.insert(
        "INSERT INTO attendances (activity_id, volunteer_id, checked_in_at, check_in_distance_m, checked_out_at,
             check_out_distance_m, auto_closed, minutes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(a.id),
            Value::Integer(volunteer.id),
            Value::Integer(att.checked_in_at),
            opt_int(att.in_distance),
            opt_int(att.out.map(|(out, _)| out)),
            opt_int(att.out.and_then(|(_, d)| d)),
            Value::Integer(i64::from(att.auto_closed)),
            opt_int(minutes),
        ],
    )?;
    Ok((id, minutes))
}

/// The organiser confirms an attendance (or corrects it, with a reason): the row, the ledger's
/// `credit-service` on this connection under `attendance:<id>`, and the audit row — as
/// `POST /api/v1/attendances/{id}/confirm` does, inside the seeding transaction.
#[allow(clippy::too_many_arguments)]
fn confirm(
    db: &Db,
    a: &Activity,
    attendance_id: i64,
    volunteer: &Volunteer,
    computed: i64,
    minutes: i64,
    reason: Option<&str>,
    by: i64,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE attendances SET confirmed_minutes = ?, correction_reason = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ?",
        &[Value::Integer(minutes), opt_text(reason), Value::Integer(by), Value::Integer(at), Value::Integer(attendance_id)],
    )?;
    let key = format!("attendance:{attendance_id}");
    // A ledger entry is never zero: confirmed zero minutes post nothing.
    if minutes > 0 {
        ledger::credit_service(
            db.connection(),
            volunteer.id,
            minutes,
            a.category,
            Source::Activity,
            attendance_id,
            by,
            &key,
        )
        .map_err(kit::ledger_error)?;
    }
    let before =
        json!({ "activity_id": a.id, "volunteer_id": volunteer.id, "minutes": computed, "confirmed_minutes": null });
    let after = json!({
        "activity_id": a.id, "volunteer_id": volunteer.id, "minutes": computed,
        "confirmed_minutes": minutes, "correction_reason": reason, "ledger_key": key,
    });
    let action = if minutes == computed { "attendance.confirm" } else { "attendance.correct" };
    audit_at(db, at, by, action, "attendance", attendance_id, &a.org_path, Some(&before), &after)
}

// ---- the county's activities ------------------------------------------------------------------

/// Volunteers living under `under`, registered before `before`, not yet taken by another demo
/// activity and leading no team (organisers do not sign up to their own days).
fn pick<'v>(
    county: &County<'v>,
    under: &str,
    n: usize,
    before: i64,
    taken: &mut HashSet<i64>,
) -> Result<Vec<&'v Volunteer>, ApiError> {
    let leaders: HashSet<i64> = county.teams.iter().map(|t| t.leader_account_id).collect();
    let chosen: Vec<&Volunteer> = county
        .volunteers
        .iter()
        .filter(|v| v.home_path.starts_with(under) && v.joined < before && !taken.contains(&v.id))
        .filter(|v| !leaders.contains(&v.account_id) && v.account_id != county.staff[TEAM_LEADER])
        .take(n)
        .collect();
    if chosen.len() < n {
        return Err(ApiError::Internal(format!(
            "only {} demo volunteers under {under} for an activity of {n}",
            chosen.len()
        )));
    }
    taken.extend(chosen.iter().map(|v| v.id));
    Ok(chosen)
}

fn org<'p>(county: &County<'p>, short: &str) -> Result<&'p Place, ApiError> {
    county.orgs.iter().find(|o| o.short == short).ok_or_else(|| ApiError::Internal(format!("demo org {short} missing")))
}

/// Seeds the activities, their sign-ups and attendances and the confirmed hours.
pub fn seed(db: &Db, county: &County<'_>) -> Result<Seeded, ApiError> {
    let now = county.now;
    let clock = Clock::new(now);
    let rounding = Rounding::load(db)?;
    let mut rng = Rng(0x4143_5449_5649_5459);
    let mut issued = HashSet::new();
    let mut taken = HashSet::new();
    let mut activities: Vec<Activity> = Vec::new();
    let (mut signups, mut waitlisted, mut attendances, mut confirmed, mut credited) = (0, 0, 0, 0, 0);

    let institute_admin = county.staff[INSTITUTE_ADMIN];
    let station_admin = county.staff[STATION_ADMIN];
    let admin = county.centre_admin;
    let team = |k: usize| -> Result<&Team, ApiError> {
        county.teams.get(k).ok_or_else(|| ApiError::Internal(format!("demo team {k} missing")))
    };
    let chengguan = org(county, "城关镇")?;
    let qingshan = org(county, "青山镇")?;

    // 1. Finished five days ago: every attendance condition an organiser meets.
    {
        let (starts_at, ends_at) = (clock.at(-5, 9, 0), clock.at(-5, 11, 30));
        let a = insert_activity(
            db,
            New {
                title: "党的创新理论“微宣讲”进社区",
                category: "理论宣讲",
                description: "宣讲员用群众身边的事讲政策、讲变化，会后开展互动问答和政策咨询。志愿者负责签到引导、会场布置和资料发放。",
                at: org(county, "东关社区")?,
                applicant: team(0)?.leader_account_id,
                team: Some(team(0)?.id),
                organisation: None,
                address: "城关镇东关社区党群服务中心二楼会议室",
                place: Some((28.246_120, 113.082_240, 300)),
                starts_at,
                ends_at,
                signup_deadline: clock.at(-6, 18, 0),
                capacity: 12,
                min_age: None,
                skills: &["理论宣讲"],
                invitation: false,
                dynamic_code: false,
                created_at: clock.at(-14, 10, 12),
                decision: Decision::Approved { by: institute_admin, at: clock.at(-13, 9, 40) },
            },
            &mut issued,
        )?;
        let people = pick(county, &chengguan.path, 9, clock.at(-12, 0, 0), &mut taken)?;
        for (i, v) in people.iter().enumerate() {
            sign_up(db, &a, v, "confirmed", i as i64 + 1, clock.at(-12, 8, 0) + i as i64 * 47 * MINUTE, None)?;
            signups += 1;
        }
        let near = |rng: &mut Rng| Some(i64::from(rng.range(8, 180)));
        let confirm_at = clock.at(-4, 10, 30);
        // (check-in offset from the start in minutes, check-out offset from the end, what happens)
        enum Then {
            Confirm,
            Correct(i64, &'static str),
            AutoClosed,
            Awaiting,
        }
        let plan: [(i64, Option<i64>, Then); 7] = [
            (-12, Some(6), Then::Confirm),
            (-5, Some(0), Then::Confirm),
            (3, Some(2), Then::Confirm),
            (40, Some(1), Then::Correct(150, "现场网络故障，签到延迟；经负责人核实按时到岗，按全程计")),
            (-8, None, Then::AutoClosed),
            (-2, Some(-70), Then::Awaiting),
            (0, Some(-4), Then::Confirm),
        ];
        for (v, (in_offset, out_offset, then)) in people.iter().zip(plan) {
            let checked_in_at = starts_at + in_offset * MINUTE;
            let att = match out_offset {
                Some(off) => Attendance {
                    checked_in_at,
                    in_distance: near(&mut rng),
                    out: Some((ends_at + off * MINUTE, near(&mut rng))),
                    auto_closed: false,
                },
                // Forgot to check out: closed at the end once the grace period passed.
                None => Attendance {
                    checked_in_at,
                    in_distance: near(&mut rng),
                    out: Some((ends_at, None)),
                    auto_closed: true,
                },
            };
            let (id, minutes) = attend(db, &a, v, &att, &rounding)?;
            attendances += 1;
            let computed = minutes.unwrap_or_default();
            match then {
                Then::Confirm => confirm(db, &a, id, v, computed, computed, None, institute_admin, confirm_at)?,
                Then::Correct(to, reason) => confirm(
                    db,
                    &a,
                    id,
                    v,
                    computed,
                    to.min((ends_at - starts_at) / 60),
                    Some(reason),
                    institute_admin,
                    confirm_at,
                )?,
                Then::AutoClosed | Then::Awaiting => continue,
            }
            confirmed += 1;
            credited += db
                .query_one("SELECT confirmed_minutes FROM attendances WHERE id = ?", &[Value::Integer(id)])?
                .map(|r| r.i64("confirmed_minutes"))
                .transpose()?
                .unwrap_or_default();
        }
        activities.push(a);
    }

    // 2. Finished twelve days ago, without a place (no radius), every attendance confirmed.
    {
        let (starts_at, ends_at) = (clock.at(-12, 14, 30), clock.at(-12, 17, 0));
        let a = insert_activity(
            db,
            New {
                title: "文艺轻骑兵走进青山村敬老院",
                category: "文化服务",
                description: "花鼓戏、快板和合唱慰问演出，演出后陪老人聊天、读报，为行动不便的老人送节目到床前。",
                at: org(county, "青山村")?,
                applicant: team(2)?.leader_account_id,
                team: Some(team(2)?.id),
                organisation: None,
                address: "青山镇青山村敬老院",
                place: None,
                starts_at,
                ends_at,
                signup_deadline: clock.at(-13, 12, 0),
                capacity: 8,
                min_age: None,
                skills: &["文艺演出"],
                invitation: false,
                dynamic_code: false,
                created_at: clock.at(-20, 15, 3),
                decision: Decision::Approved { by: admin, at: clock.at(-19, 10, 20) },
            },
            &mut issued,
        )?;
        let people = pick(county, &qingshan.path, 5, clock.at(-18, 0, 0), &mut taken)?;
        for (i, v) in people.iter().enumerate() {
            sign_up(db, &a, v, "confirmed", i as i64 + 1, clock.at(-18, 19, 0) + i as i64 * 95 * MINUTE, None)?;
            signups += 1;
            let att = Attendance {
                checked_in_at: starts_at - (20 - 4 * i as i64) * MINUTE,
                in_distance: None,
                out: Some((ends_at + (3 + i as i64) * MINUTE, None)),
                auto_closed: false,
            };
            let (id, minutes) = attend(db, &a, v, &att, &rounding)?;
            let minutes = minutes.unwrap_or_default();
            confirm(db, &a, id, v, minutes, minutes, None, admin, clock.at(-11, 9, 15))?;
            attendances += 1;
            confirmed += 1;
            credited += minutes;
        }
        activities.push(a);
    }

    // 3. Running now (started an hour ago, on the half hour), with the rotating check-in code:
    //    most of the confirmed volunteers have checked in.
    {
        let starts_at = now.div_euclid(30 * MINUTE) * 30 * MINUTE - HOUR;
        let ends_at = starts_at + 4 * HOUR;
        let a = insert_activity(
            db,
            New {
                title: "青山镇文明实践文艺汇演",
                category: "文化服务",
                description:
                    "广场文艺汇演，节目由各村文艺队出演。志愿者负责舞台保障、秩序维护和观众引导，现场凭动态签到码签到。",
                at: org(county, "石桥村")?,
                applicant: team(2)?.leader_account_id,
                team: Some(team(2)?.id),
                organisation: None,
                address: "青山镇石桥村文化广场",
                place: Some((28.312_740, 113.151_630, 200)),
                starts_at,
                ends_at,
                signup_deadline: starts_at - DAY,
                capacity: 15,
                min_age: None,
                skills: &[],
                invitation: false,
                dynamic_code: true,
                created_at: starts_at - 8 * DAY,
                decision: Decision::Approved { by: admin, at: starts_at - 7 * DAY + 2 * HOUR },
            },
            &mut issued,
        )?;
        let people = pick(county, &qingshan.path, 10, starts_at - 6 * DAY, &mut taken)?;
        for (i, v) in people.iter().enumerate() {
            sign_up(db, &a, v, "confirmed", i as i64 + 1, starts_at - 5 * DAY + i as i64 * 3 * HOUR, None)?;
            signups += 1;
            if i < 7 {
                let att = Attendance {
                    checked_in_at: (starts_at - 25 * MINUTE + i as i64 * 6 * MINUTE).min(now),
                    in_distance: Some(i64::from(rng.range(5, 150))),
                    out: None,
                    auto_closed: false,
                };
                attend(db, &a, v, &att, &rounding)?;
                attendances += 1;
            }
        }
        activities.push(a);
    }

    // 4. In three days, full: a waitlist, and a cancellation whose place went to the first of it.
    {
        let (starts_at, ends_at) = (clock.at(3, 16, 30), clock.at(3, 18, 30));
        let a = insert_activity(
            db,
            New {
                title: "四点半课堂 · 作业辅导与亲子阅读",
                category: "教育服务",
                description:
                    "放学后为双职工家庭和留守儿童辅导作业、陪读绘本。每位志愿者负责 2–3 名小学生，请提前十分钟到达。",
                at: org(county, "东关社区")?,
                applicant: team(1)?.leader_account_id,
                team: Some(team(1)?.id),
                organisation: None,
                address: "东关社区新时代文明实践站 · 四点半课堂教室",
                place: Some((28.246_830, 113.083_510, 150)),
                starts_at,
                ends_at,
                signup_deadline: clock.at(2, 20, 0),
                capacity: 8,
                min_age: Some(18),
                skills: &["教育辅导"],
                invitation: false,
                dynamic_code: false,
                created_at: clock.at(-4, 9, 30),
                decision: Decision::Approved { by: station_admin, at: clock.at(-3, 10, 0) },
            },
            &mut issued,
        )?;
        let people = pick(county, &chengguan.path, 12, clock.at(-4, 0, 0), &mut taken)?;
        let capacity = 8;
        // Arrival 3 cancelled after the list was full: arrival 9, first on the waitlist, took
        // the place in the same step.
        let cancelled = 3;
        for (i, v) in people.iter().enumerate() {
            let position = i as i64 + 1;
            let created_at = now - 40 * HOUR + i as i64 * 3 * HOUR;
            let (status, cancelled_at) = if position == cancelled {
                ("cancelled", Some(now - 2 * HOUR))
            } else if position <= capacity + 1 {
                ("confirmed", None)
            } else {
                waitlisted += 1;
                ("waitlisted", None)
            };
            sign_up(db, &a, v, status, position, created_at, cancelled_at)?;
            signups += 1;
        }
        activities.push(a);
    }

    // 5. In six days, by invitation, hosted by the approved volunteer organisation.
    {
        let (starts_at, ends_at) = (clock.at(6, 9, 0), clock.at(6, 11, 30));
        let a = insert_activity(
            db,
            New {
                title: "应急救护技能培训（邀请制）",
                category: "应急救援",
                description:
                    "心肺复苏、AED 使用和常见外伤包扎实操培训，由县义工联合会持证讲师授课。名额有限，凭邀请码报名。",
                at: org(county, "北门村")?,
                applicant: institute_admin,
                team: None,
                organisation: Some(county.organisation),
                address: "城关镇北门村党群服务中心",
                place: None,
                starts_at,
                ends_at,
                signup_deadline: clock.at(5, 18, 0),
                capacity: 20,
                min_age: Some(18),
                skills: &["应急救援"],
                invitation: true,
                dynamic_code: false,
                created_at: clock.at(-5, 16, 45),
                decision: Decision::Approved { by: admin, at: clock.at(-3, 15, 0) },
            },
            &mut issued,
        )?;
        let people = pick(county, county.centre_path, 4, clock.at(-3, 0, 0), &mut taken)?;
        for (i, v) in people.iter().enumerate() {
            sign_up(db, &a, v, "confirmed", i as i64 + 1, now - 30 * HOUR + i as i64 * 5 * HOUR, None)?;
            signups += 1;
        }
        activities.push(a);
    }

    // 6–7. Awaiting approval.
    activities.push(insert_activity(
        db,
        New {
            title: "全民健身日 · 广场舞展演",
            category: "健身体育",
            description: "各村广场舞队展演和健身知识讲解。志愿者负责场地布置、秩序维护和饮水供应。",
            at: org(county, "桃源社区")?,
            applicant: team(4)?.leader_account_id,
            team: Some(team(4)?.id),
            organisation: None,
            address: "桃源镇桃源社区文化广场",
            place: Some((28.190_510, 113.012_730, 300)),
            starts_at: clock.at(10, 19, 0),
            ends_at: clock.at(10, 21, 0),
            signup_deadline: clock.at(9, 12, 0),
            capacity: 30,
            min_age: None,
            skills: &[],
            invitation: false,
            dynamic_code: false,
            created_at: now - 5 * HOUR,
            decision: Decision::Pending,
        },
        &mut issued,
    )?);
    activities.push(insert_activity(
        db,
        New {
            title: "垃圾分类入户宣传",
            category: "环境保护",
            description: "入户发放垃圾分类指南，讲解四分类投放，协助设置楼栋分类投放点。",
            at: org(county, "西街社区")?,
            applicant: institute_admin,
            team: None,
            organisation: None,
            address: "城关镇西街社区各居民小区",
            place: None,
            starts_at: clock.at(8, 8, 30),
            ends_at: clock.at(8, 11, 0),
            signup_deadline: clock.at(7, 18, 0),
            capacity: 10,
            min_age: None,
            skills: &["环境保护"],
            invitation: false,
            dynamic_code: false,
            created_at: now - DAY,
            decision: Decision::Pending,
        },
        &mut issued,
    )?);

    // 8. Rejected, with the reason the applicant sees.
    activities.push(insert_activity(
        db,
        New {
            title: "城区免费家电维修集市",
            category: "便民服务",
            description: "为居民免费检修小家电、更换配件（配件按成本价），现场讲解安全用电知识。",
            at: chengguan,
            applicant: team(5)?.leader_account_id,
            team: Some(team(5)?.id),
            organisation: None,
            address: "城关镇人民广场东侧",
            place: Some((28.247_900, 113.080_150, 250)),
            starts_at: clock.at(5, 9, 0),
            ends_at: clock.at(5, 12, 0),
            signup_deadline: clock.at(4, 18, 0),
            capacity: 8,
            min_age: None,
            skills: &["家电维修"],
            invitation: false,
            dynamic_code: false,
            created_at: clock.at(-4, 14, 20),
            decision: Decision::Rejected {
                by: admin,
                at: clock.at(-3, 9, 5),
                reason: "与县新时代文明实践周开幕式时间、场地冲突，请调整时间后重新申报",
            },
        },
        &mut issued,
    )?);

    // 9. Approved, then called off.
    activities.push(insert_activity(
        db,
        New {
            title: "花溪河道清理",
            category: "环境保护",
            description: "清理花溪河岸垃圾和漂浮物。（因连日降雨、河道水位上涨，活动已取消。）",
            at: org(county, "花溪村")?,
            applicant: team(4)?.leader_account_id,
            team: Some(team(4)?.id),
            organisation: None,
            address: "桃源镇花溪村花溪河北岸",
            place: Some((28.176_340, 113.027_560, 500)),
            starts_at: clock.at(-2, 8, 0),
            ends_at: clock.at(-2, 11, 0),
            signup_deadline: clock.at(-3, 18, 0),
            capacity: 20,
            min_age: Some(16),
            skills: &[],
            invitation: false,
            dynamic_code: false,
            created_at: clock.at(-10, 11, 0),
            decision: Decision::Cancelled {
                by: admin,
                approved_at: clock.at(-9, 16, 30),
                cancelled_at: clock.at(-3, 7, 50),
            },
        },
        &mut issued,
    )?);

    let count = |status: &str| activities.iter().filter(|a| a.status == status).count();
    let summary = json!({
        "total": activities.len(),
        "pending": count("pending"),
        "approved": count("approved"),
        "rejected": count("rejected"),
        "cancelled": count("cancelled"),
        "signups": signups,
        "waitlisted": waitlisted,
        "attendances": attendances,
        "attendances_confirmed": confirmed,
        "confirmed_minutes": credited,
    });
    let codes = activities
        .iter()
        .map(|a| {
            let mut shown = json!({ "id": a.id, "title": a.title, "status": a.status, "code": a.code });
            if let Some(invitation) = &a.invitation_code {
                shown["invitation_code"] = json!(invitation);
            }
            shown
        })
        .collect();
    Ok(Seeded { summary, codes: Json::Array(codes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_follow_the_checkin_rule() {
        let r = Rounding(vec![(15, 0), (45, 30), (60, 60)]);
        let (s, e) = (1_000 * HOUR, 1_000 * HOUR + 150 * MINUTE);
        assert_eq!(attended(s - 12 * MINUTE, e + 6 * MINUTE, s, e, &r), 150);
        assert_eq!(attended(s + 40 * MINUTE, e, s, e, &r), 120); // 110 → 1 h 50 → 2 h
        assert_eq!(attended(s - 2 * MINUTE, e - 70 * MINUTE, s, e, &r), 90); // 80 → 1 h 30
        assert_eq!(attended(s, e - 4 * MINUTE, s, e, &r), 150); // 146 → 2 h 26 → 2 h 30
        assert_eq!(attended(0, 50 * MINUTE, 0, 50 * MINUTE, &r), 50);
    }

    #[test]
    fn the_clock_is_beijing_time() {
        // 2026-05-01T01:00:00Z is 09:00 in Beijing; its midnight was 2026-04-30T16:00:00Z.
        let c = Clock::new(1_777_597_200);
        assert_eq!(c.at(0, 9, 0), 1_777_597_200);
        assert_eq!(c.at(-1, 0, 0), 1_777_597_200 - 9 * HOUR - DAY);
    }
}
