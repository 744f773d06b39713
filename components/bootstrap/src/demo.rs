//! `POST /demo`: a believable county under the centre — towns (所), villages and communities
//! (站), a few points (点), service teams, ~300 volunteers with valid resident IDs, staff for each
//! role, volunteer organisations awaiting review and one department.
//!
//! It also seeds activities in every state, with sign-ups, attendances and confirmed hours on the
//! ledger: see [`crate::demo_activities`].
//!
//! The data comes from a fixed seed, so every demo database looks the same and the documented
//! staff sign-ins always work (only the activity codes, invitation codes and rotating-code keys
//! are random, as real approvals make them). Only the staff get argon2 passwords (a handful of
//! hashes); volunteers sign in with SMS codes, so seeding stays well under a second of database
//! work.

use std::collections::HashSet;

use domain::{Date, ResidentId, Role};
use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::demo_activities::{self, Place};
use crate::{insert_account, insert_grant, insert_org};
use kit::identity;
use kit::identity_error;

/// Towns (乡镇) and their villages and communities (村/社区): one institute each, one station per
/// village.
const TOWNS: [(&str, [&str; 3]); 4] = [
    ("城关镇", ["东关社区", "西街社区", "北门村"]),
    ("青山镇", ["青山村", "石桥村", "柳树湾村"]),
    ("河西乡", ["河西村", "沙河村", "杨庄村"]),
    ("桃源镇", ["桃源社区", "李家坪村", "花溪村"]),
];

/// Practice points (实践点) under some stations: (village, point name).
const POINTS: [(&str, &str); 4] = [
    ("东关社区", "东关社区文化广场实践点"),
    ("北门村", "北门村农家书屋实践点"),
    ("石桥村", "石桥村党群服务中心实践点"),
    ("桃源社区", "桃源社区老年活动中心实践点"),
];

/// A staff member of the demo: stable sign-ins, documented in the response and the README.
struct Staff {
    name: &'static str,
    phone: &'static str,
    password: &'static str,
    role: Role,
    /// Where the role is held: `None` for the centre, else a town or village name.
    at: Option<&'static str>,
}

const STAFF: [Staff; 5] = [
    Staff {
        name: "王建国",
        phone: "13800000001",
        password: "wenming-demo-1",
        role: Role::InstituteAdmin,
        at: Some("城关镇"),
    },
    Staff {
        name: "李秀英",
        phone: "13800000002",
        password: "wenming-demo-2",
        role: Role::StationAdmin,
        at: Some("东关社区"),
    },
    Staff { name: "张明", phone: "13800000003", password: "wenming-demo-3", role: Role::Auditor, at: None },
    Staff {
        name: "刘志强",
        phone: "13800000004",
        password: "wenming-demo-4",
        role: Role::TeamLeader,
        at: Some("城关镇"),
    },
    Staff { name: "陈芳", phone: "13800000005", password: "wenming-demo-5", role: Role::DepartmentHandler, at: None },
];
pub(crate) const INSTITUTE_ADMIN: usize = 0;
pub(crate) const STATION_ADMIN: usize = 1;
pub(crate) const TEAM_LEADER: usize = 3;
const DEPARTMENT_HANDLER: usize = 4;
const DEPARTMENT: &str = "县信访局";
/// The team leader is also a volunteer, at this village.
const TEAM_LEADER_HOME: &str = "东关社区";

/// Service teams: (where: town, village or `None` for the centre; name; categories). The first is
/// led by the demo team leader; the others by one of their own volunteers.
const TEAMS: [(Option<&str>, &str, &[&str]); 6] = [
    (Some("城关镇"), "城关镇理论宣讲志愿服务队", &["理论宣讲"]),
    (Some("东关社区"), "东关社区四点半课堂志愿服务队", &["教育服务"]),
    (Some("青山镇"), "青山镇文艺轻骑兵志愿服务队", &["文化服务"]),
    (Some("河西乡"), "河西乡科技科普志愿服务队", &["科技科普"]),
    (Some("桃源镇"), "桃源镇全民健身志愿服务队", &["健身体育"]),
    (None, "县便民服务志愿服务队", &["便民服务", "文化服务"]),
];

/// A volunteer organisation (志愿组织) that applied to join.
struct Organisation {
    /// A town, or `None` for the centre.
    at: Option<&'static str>,
    name: &'static str,
    contact: &'static str,
    phone: &'static str,
    description: &'static str,
    /// Two wait for review so reviewers have something to do; one is already in.
    approved: bool,
}

const ORGANISATIONS: [Organisation; 3] = [
    Organisation {
        at: Some("城关镇"),
        name: "城关镇爱心妈妈志愿者协会",
        contact: "赵丽",
        phone: "13700000001",
        description: "关爱留守儿童，开展课业辅导和亲子阅读。",
        approved: false,
    },
    Organisation {
        at: Some("青山镇"),
        name: "青山镇蓝天救援队",
        contact: "孙强",
        phone: "13700000002",
        description: "山地搜救、防汛抢险和应急救护培训。",
        approved: false,
    },
    Organisation {
        at: None,
        name: "县义工联合会",
        contact: "周敏",
        phone: "13700000003",
        description: "全县义工队伍的联络与培训。",
        approved: true,
    },
];

const VOLUNTEERS: usize = 300;
const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const MALE_NAMES: [&str; 30] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇",
    "浩", "建华", "志刚", "国强", "海涛", "文杰", "俊峰", "志明", "永福", "德胜", "家豪",
];
const FEMALE_NAMES: [&str; 30] = [
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玉兰", "红梅", "晓燕", "丹", "萍", "婷", "雪",
    "琳", "慧", "颖", "春梅", "秀兰", "美玲", "丽娟", "佳怡", "欣怡", "雨涵", "梓涵", "淑珍", "凤英",
];
const SKILLS: [&str; 16] = [
    "理论宣讲",
    "文艺演出",
    "医疗护理",
    "法律咨询",
    "心理疏导",
    "助老助残",
    "环境保护",
    "科普讲解",
    "体育健身",
    "家电维修",
    "摄影摄像",
    "教育辅导",
    "交通劝导",
    "应急救援",
    "书法绘画",
    "农技指导",
];
/// Region codes (the first 6 ID digits): most people were born in the county, some nearby.
const REGIONS: [&str; 4] = ["430121", "430121", "430124", "430181"];

/// A small deterministic generator (SplitMix64): the same county every time.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
}

/// One generated person.
struct Person {
    name: String,
    gender: &'static str,
    birth_date: String,
    id_number: String,
}

fn person(rng: &mut Rng, used_ids: &mut HashSet<String>, i: usize, fixed_name: Option<&str>, male: bool) -> Person {
    let surname = SURNAMES[(rng.next() % 30) as usize];
    let given = if male { MALE_NAMES[i * 7 % 30] } else { FEMALE_NAMES[i * 11 % 30] };
    let name = fixed_name.map_or_else(|| format!("{surname}{given}"), str::to_string);
    loop {
        let year = rng.range(1958, 2006);
        let month = rng.range(1, 12);
        let month_of_birth = Date::from_parts(year, month, 1).expect("years 1958–2006 have every month");
        let day = rng.range(1, u32::from(month_of_birth.days_in_month()));
        let birth = Date::from_parts(year, month, day).expect("a day of that month");
        // Sequence digits: two free, the third odd for men and even for women.
        let gender_digit = rng.range(0, 4) * 2 + u32::from(male);
        let sequence = rng.range(0, 99) * 10 + gender_digit;
        let region = REGIONS[(rng.next() % REGIONS.len() as u64) as usize];
        let id_number = ResidentId::build(region, birth, sequence as u16).expect("17 digits by construction");
        let id_number = id_number.as_str().to_string();
        if used_ids.insert(id_number.clone()) {
            return Person {
                name,
                gender: if male { "male" } else { "female" },
                birth_date: birth.to_string(),
                id_number,
            };
        }
    }
}

/// Orgs made so far, by their short name (town or village), with paths.
struct Org {
    id: i64,
    path: String,
    short: &'static str,
}

fn find<'a>(orgs: &'a [Org], short: &str) -> Result<&'a Org, ApiError> {
    orgs.iter().find(|o| o.short == short).ok_or_else(|| ApiError::Internal(format!("demo org {short} missing")))
}

pub(crate) struct Volunteer {
    pub(crate) id: i64,
    pub(crate) account_id: i64,
    pub(crate) home_path: String,
    /// When they registered: they serve only after that.
    pub(crate) joined: i64,
}

/// A service team as the demo activities need it.
pub(crate) struct Team {
    pub(crate) id: i64,
    pub(crate) leader_account_id: i64,
}

fn checks(db: &Db) -> Result<(i64, String, i64), ApiError> {
    if db.query_one("SELECT 1 AS one FROM orgs WHERE level = 'institute' LIMIT 1", &[])?.is_some() {
        return Err(ApiError::conflict(
            "already_seeded",
            "the county already has institutes; the demo seeds an empty one",
        ));
    }
    let centre = db
        .query_one("SELECT id, path FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1", &[])?
        .ok_or_else(no_centre)?;
    let centre_id = centre.i64("id")?;
    let admin = db
        .query_one(
            "SELECT account_id FROM role_grants WHERE role = 'centre-admin' AND org_id = ? ORDER BY id LIMIT 1",
            &[Value::Integer(centre_id)],
        )?
        .ok_or_else(no_centre)?;
    Ok((centre_id, centre.str("path")?, admin.i64("account_id")?))
}

fn no_centre() -> ApiError {
    ApiError::conflict("no_centre", "there is no centre with an admin yet: POST /centre-admin first")
}

pub fn seed() -> Result<(u16, serde_json::Value), ApiError> {
    let db = Db::open()?;
    // Refused before hashing anything; checked again under the write lock below.
    checks(&db)?;
    let hashes = STAFF
        .iter()
        .map(|s| identity::hash_password(s.password).map_err(identity_error))
        .collect::<Result<Vec<_>, _>>()?;
    let (summary, codes) = db.transaction(|db| {
        let (centre_id, centre_path, admin_id) = checks(db)?;
        seed_in(db, centre_id, &centre_path, admin_id, &hashes)
    })?;
    let accounts: Vec<_> = STAFF
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name, "phone": s.phone, "password": s.password, "role": s.role.as_str(),
                "at": s.at.map_or_else(|| "centre".to_string(), str::to_string),
            })
        })
        .collect();
    Ok((
        201,
        serde_json::json!({
            "seeded": summary,
            "accounts": accounts,
            "activities": codes,
            "note": "The centre admin is the one created by POST /centre-admin. Volunteers sign in with SMS codes (POST /api/v1/sms-codes; the code is in the outbox). Activity codes (活动码) are shown to the activities' managers; the running one uses a rotating code (GET /api/v1/activities/{id}/dynamic-code).",
        }),
    ))
}

/// Seeds the county; returns the summary (also audited) and the activity codes (answered to the
/// operator only, never audited: they let whoever holds them check in).
fn seed_in(
    db: &Db,
    centre_id: i64,
    centre_path: &str,
    admin_id: i64,
    hashes: &[String],
) -> Result<(serde_json::Value, serde_json::Value), ApiError> {
    let now = kit::now();
    let mut rng = Rng(0x5745_4E4D_494E_4721);
    let text = |s: &str| Value::Text(s.to_string());

    let mut towns = Vec::new();
    let mut villages = Vec::new();
    let mut points = 0;
    for (town, its_villages) in TOWNS {
        let (id, path) =
            insert_org(db, Some((centre_id, centre_path)), "institute", &format!("{town}新时代文明实践所"), now)?;
        for village in its_villages {
            let (vid, vpath) =
                insert_org(db, Some((id, &path)), "station", &format!("{village}新时代文明实践站"), now)?;
            for (_, point) in POINTS.iter().filter(|(v, _)| *v == village) {
                insert_org(db, Some((vid, &vpath)), "point", point, now)?;
                points += 1;
            }
            villages.push(Org { id: vid, path: vpath, short: village });
        }
        towns.push(Org { id, path, short: town });
    }
    let place = |at: Option<&str>| -> Result<(i64, String), ApiError> {
        match at {
            None => Ok((centre_id, centre_path.to_string())),
            Some(short) => {
                let o = find(&towns, short).or_else(|_| find(&villages, short))?;
                Ok((o.id, o.path.clone()))
            }
        }
    };

    let mut staff_ids = Vec::new();
    for (s, hash) in STAFF.iter().zip(hashes) {
        let id = insert_account(db, s.name, s.phone, Some(hash), now)?;
        let (org_id, _) = place(s.at)?;
        insert_grant(db, id, s.role, org_id, Some(admin_id), now)?;
        staff_ids.push(id);
    }

    let department = db.insert(
        "INSERT INTO departments (org_id, name, created_at) VALUES (?, ?, ?)",
        &[Value::Integer(centre_id), text(DEPARTMENT), Value::Integer(now)],
    )?;
    db.exec(
        "INSERT INTO department_handlers (department_id, account_id) VALUES (?, ?)",
        &[Value::Integer(department), Value::Integer(staff_ids[DEPARTMENT_HANDLER])],
    )?;

    // Volunteers: the demo team leader first (he is one of them), then 300 residents spread over
    // the villages.
    let year = i64::from(Date::of(now).year());
    let mut used_ids = HashSet::new();
    let mut volunteers = Vec::new();
    let total = VOLUNTEERS + 1;
    for i in 0..total {
        let leader = i == 0;
        let male = leader || i % 2 == 1;
        let p = person(&mut rng, &mut used_ids, i, leader.then_some(STAFF[TEAM_LEADER].name), male);
        let home = if leader { find(&villages, TEAM_LEADER_HOME)? } else { &villages[i % villages.len()] };
        let phone = if leader {
            STAFF[TEAM_LEADER].phone.to_string()
        } else {
            // Spread over the 139 range instead of counting up, so lists look like real numbers.
            format!("139{:08}", (12_345_678 + i as u64 * 104_729) % 100_000_000)
        };
        let account_id = if leader { staff_ids[TEAM_LEADER] } else { insert_account(db, &p.name, &phone, None, now)? };
        let mut skills: Vec<&str> = Vec::new();
        for _ in 0..rng.range(1, 3) {
            let s = SKILLS[(rng.next() % SKILLS.len() as u64) as usize];
            if !skills.contains(&s) {
                skills.push(s);
            }
        }
        let joined = now - i64::from(rng.range(0, 400)) * 86_400;
        let id = db.insert(
            "INSERT INTO volunteers (account_id, volunteer_no, real_name, gender, birth_date, phone, id_number,
                                     skills, service_area, home_org_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(account_id),
                text(&format!("WM{year:04}{:06}", i + 1)),
                text(&p.name),
                text(p.gender),
                text(&p.birth_date),
                text(&phone),
                text(&p.id_number),
                text(&serde_json::json!(skills).to_string()),
                text(home.short),
                Value::Integer(home.id),
                Value::Integer(joined),
                Value::Integer(joined),
            ],
        )?;
        insert_grant(db, account_id, Role::Volunteer, home.id, Some(admin_id), joined)?;
        volunteers.push(Volunteer { id, account_id, home_path: home.path.clone(), joined });
    }

    let mut teams = Vec::new();
    let mut memberships = 0;
    let mut pending = 0;
    for (k, (at, name, categories)) in TEAMS.iter().enumerate() {
        let (org_id, org_path) = place(*at)?;
        let in_scope: Vec<&Volunteer> = volunteers.iter().filter(|v| v.home_path.starts_with(&org_path)).collect();
        // The county-wide team draws from everywhere, so it takes every 12th volunteer.
        let members: Vec<&Volunteer> = if at.is_none() {
            in_scope.iter().copied().skip(5).step_by(12).collect()
        } else {
            in_scope.iter().copied().take(24).collect()
        };
        let leader_account = if k == 0 {
            staff_ids[TEAM_LEADER]
        } else {
            // Someone other than the demo team leader, who already leads the first team.
            let leader = members
                .iter()
                .find(|v| v.account_id != staff_ids[TEAM_LEADER])
                .ok_or_else(|| ApiError::Internal(format!("team {name} has no volunteers")))?;
            insert_grant(db, leader.account_id, Role::TeamLeader, org_id, Some(admin_id), now)?;
            leader.account_id
        };
        let team = db.insert(
            "INSERT INTO teams (org_id, name, leader_account_id, categories, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(org_id),
                text(name),
                Value::Integer(leader_account),
                text(&serde_json::json!(categories).to_string()),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )?;
        teams.push(Team { id: team, leader_account_id: leader_account });
        for (n, v) in members.iter().enumerate() {
            // The last two asking to join the demo leader's team wait for his decision, so the
            // team leader has something to approve.
            let waiting = k == 0 && n + 2 >= members.len() && v.account_id != leader_account;
            db.exec(
                "INSERT INTO team_members (team_id, volunteer_id, status, requested_at, decided_at, decided_by)
                 VALUES (?, ?, ?, ?, ?, ?)",
                &[
                    Value::Integer(team),
                    Value::Integer(v.id),
                    text(if waiting { "pending" } else { "approved" }),
                    Value::Integer(now),
                    if waiting { Value::Null } else { Value::Integer(now) },
                    if waiting { Value::Null } else { Value::Integer(leader_account) },
                ],
            )?;
            if waiting {
                pending += 1;
            } else {
                memberships += 1;
            }
        }
    }

    let mut organisations_pending = 0;
    let mut approved_organisation = None;
    for Organisation { at, name, contact, phone, description, approved } in ORGANISATIONS {
        let (org_id, _) = place(at)?;
        let id = db.insert(
            "INSERT INTO organisations (org_id, name, contact_name, contact_phone, description, status, decided_by, decided_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Value::Integer(org_id),
                text(name),
                text(contact),
                text(phone),
                text(description),
                text(if approved { "approved" } else { "pending" }),
                if approved { Value::Integer(admin_id) } else { Value::Null },
                if approved { Value::Integer(now) } else { Value::Null },
                Value::Integer(now),
            ],
        )?;
        organisations_pending += i32::from(!approved);
        if approved {
            approved_organisation = Some(id);
        }
    }
    let approved_organisation =
        approved_organisation.ok_or_else(|| ApiError::Internal("the demo has no approved organisation".into()))?;

    let orgs: Vec<Place> =
        towns.iter().chain(&villages).map(|o| Place { short: o.short, id: o.id, path: o.path.clone() }).collect();
    let activities = demo_activities::seed(
        db,
        &demo_activities::County {
            now,
            centre_path,
            centre_admin: admin_id,
            staff: &staff_ids,
            orgs: &orgs,
            teams: &teams,
            organisation: approved_organisation,
            volunteers: &volunteers,
        },
    )?;
    let demands = crate::demo_demands::seed(
        db,
        &crate::demo_demands::County {
            now,
            centre_id,
            centre_admin: admin_id,
            station_admin: staff_ids[STATION_ADMIN],
            department,
            department_handler: staff_ids[DEPARTMENT_HANDLER],
            teams: &teams,
            volunteers: &volunteers,
        },
    )?;
    let (institute_id, institute_path) = place(Some("城关镇"))?;
    let (station_id, station_path) = place(Some("东关社区"))?;
    let rewards = crate::demo_rewards::seed(
        db,
        &crate::demo_rewards::County {
            now,
            centre_id,
            centre_path,
            centre_admin: admin_id,
            institute_id,
            institute_path: &institute_path,
            institute_admin: staff_ids[INSTITUTE_ADMIN],
            station_id,
            station_path: &station_path,
            station_admin: staff_ids[STATION_ADMIN],
            volunteers: &volunteers,
        },
    )?;
    let surveys = crate::demo_surveys::seed(
        db,
        &crate::demo_surveys::County { now, centre_id, centre_path, centre_admin: admin_id, volunteers: &volunteers },
    )?;
    let evaluation = crate::demo_evaluation::seed(
        db,
        &crate::demo_evaluation::County {
            now,
            centre_id,
            centre_path,
            centre_admin: admin_id,
            institute_admin: staff_ids[INSTITUTE_ADMIN],
        },
    )?;

    let summary = serde_json::json!({
        "institutes": towns.len(),
        "stations": villages.len(),
        "points": points,
        "staff_accounts": STAFF.len(),
        "volunteers": volunteers.len(),
        "teams": TEAMS.len(),
        "team_members_approved": memberships,
        "team_members_pending": pending,
        "organisations_pending": organisations_pending,
        "organisations_approved": ORGANISATIONS.len() as i32 - organisations_pending,
        "departments": 1,
        "activities": activities.summary,
        "demands": demands,
        "surveys": surveys,
        "rewards": rewards,
        "evaluation": evaluation,
    });
    kit::audit(db, admin_id, "demo.seed", "org", Some(centre_id), centre_path, None, Some(&summary))?;
    Ok((summary, activities.codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_have_consistent_ids() {
        let mut rng = Rng(1);
        let mut used = HashSet::new();
        for i in 0..500 {
            let male = i % 2 == 1;
            let p = person(&mut rng, &mut used, i, None, male);
            let id = p.id_number.as_bytes();
            assert_eq!(id.len(), 18);
            assert_eq!(ResidentId::parse(&p.id_number).map(|id| id.birth_date().to_string()), Ok(p.birth_date.clone()));
            assert_eq!(&p.id_number[6..14], p.birth_date.replace('-', ""));
            assert_eq!((id[16] - b'0') % 2 == 1, p.gender == "male");
        }
        assert_eq!(used.len(), 500);
    }

    #[test]
    fn phones_are_unique_and_valid() {
        let phones: HashSet<String> =
            (1..=VOLUNTEERS).map(|i| format!("139{:08}", (12_345_678 + i as u64 * 104_729) % 100_000_000)).collect();
        assert_eq!(phones.len(), VOLUNTEERS);
        assert!(phones.iter().all(|p| kit::valid_phone(p)));
    }
}
