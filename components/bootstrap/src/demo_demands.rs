//! The demo county's service menu (服务菜单) and demand orders (群众点单) in every state, each
//! with a coherent timeline written through `demand_flow` (the one timeline writer): an order is
//! inserted `submitted` with its first entry ([`demand_flow::record`]), then moved step by step
//! with [`demand_flow::transition`] at times in the past, by the people who would have done it.

use demand_flow::{Status, Transition};
use kit::{ApiError, Db};
use serde_json::{json, Value as Json};
use spin_sdk::sqlite3::Value;

use crate::demo::{Team, Volunteer};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// (category, kind, items, deadlines normal/urgent/critical in seconds).
const MENU: [(&str, &str, &[&str], [i64; 3]); 8] = [
    ("理论宣讲", "welfare", &["政策宣讲进村组", "党史学习教育讲座", "惠民政策解读"], [3 * DAY, DAY, 4 * HOUR]),
    ("教育服务", "welfare", &["四点半课堂课业辅导", "留守儿童陪伴", "家庭教育指导"], [3 * DAY, DAY, 4 * HOUR]),
    ("文化服务", "welfare", &["文艺演出进村", "送书上门", "广场舞教学"], [3 * DAY, DAY, 4 * HOUR]),
    ("科技科普", "welfare", &["农技指导", "防诈骗知识讲座", "智能手机使用教学"], [3 * DAY, DAY, 4 * HOUR]),
    ("健身体育", "welfare", &["健身器材使用指导", "老年人健身操教学"], [3 * DAY, DAY, 4 * HOUR]),
    ("便民服务", "welfare", &["家电维修", "理发义剪", "代购代办", "助老助残上门服务"], [2 * DAY, 12 * HOUR, 2 * HOUR]),
    ("信访投诉", "petition", &["群众来信来访", "环境卫生投诉", "公共设施报修投诉"], [5 * DAY, 2 * DAY, DAY]),
    ("矛盾纠纷调解", "dispute", &["邻里纠纷调解"], [3 * DAY, DAY, 6 * HOUR]),
];

/// What the rest of the demo made, for the orders to use.
pub struct County<'a> {
    pub now: i64,
    pub centre_id: i64,
    pub centre_admin: i64,
    pub station_admin: i64,
    pub department: i64,
    pub department_handler: i64,
    pub teams: &'a [Team],
    pub volunteers: &'a [Volunteer],
}

/// One order's story: what was ordered, by whom, and the moves it made.
struct Story {
    item: (&'static str, &'static str),
    /// Index into the citizens chosen below.
    citizen: usize,
    description: &'static str,
    urgency: &'static str,
    /// Seconds before now the order was placed.
    age: i64,
    steps: &'static [Step],
}

#[derive(Clone, Copy)]
enum Step {
    /// Escalated by the system after the deadline.
    Escalate,
    /// Staff dispatch to team `k`.
    Dispatch(usize, &'static str),
    /// Staff open for grabbing by teams.
    OpenForGrab(&'static [usize]),
    /// The team accepts (team as dispatched).
    Accept,
    /// Team `k` grabs.
    Grab(usize),
    /// The leader assigns `n` approved members.
    Assign(usize),
    Start,
    /// Completed with this summary and minutes (volunteers: the assignees).
    Complete(&'static str, i64),
    /// The citizen rates.
    Rate(&'static str, Option<&'static str>),
    /// Staff forward to the department.
    Forward(&'static str),
    /// The department replies.
    Reply(&'static str),
    /// The department closes the answered item.
    CloseReplied,
    Reject(&'static str),
    /// The citizen cancels.
    Cancel(&'static str),
}

const STORIES: [Story; 16] = [
    Story {
        item: ("便民服务", "助老助残上门服务"),
        citizen: 0,
        description: "家中老人行动不便，需要志愿者上门帮忙打扫卫生、代买药品。",
        urgency: "urgent",
        age: 2 * DAY,
        steps: &[Step::Escalate],
    },
    Story {
        item: ("科技科普", "智能手机使用教学"),
        citizen: 1,
        description: "想学用智能手机视频通话和手机缴费，村里几位老人一起学。",
        urgency: "normal",
        age: 3 * HOUR,
        steps: &[],
    },
    Story {
        item: ("教育服务", "四点半课堂课业辅导"),
        citizen: 2,
        description: "孩子父母在外务工，放学后希望有志愿者辅导作业。",
        urgency: "normal",
        age: 5 * HOUR,
        steps: &[Step::Dispatch(1, "就近派给东关社区四点半课堂志愿服务队")],
    },
    Story {
        item: ("文化服务", "文艺演出进村"),
        citizen: 3,
        description: "村里重阳节想办一场文艺演出，请志愿者来表演节目。",
        urgency: "normal",
        age: 8 * HOUR,
        steps: &[Step::OpenForGrab(&[2, 5])],
    },
    Story {
        item: ("理论宣讲", "惠民政策解读"),
        citizen: 4,
        description: "想了解新农合和养老保险的最新政策，希望有人到村里讲一讲。",
        urgency: "normal",
        age: DAY,
        steps: &[Step::Dispatch(0, ""), Step::Accept, Step::Assign(2)],
    },
    Story {
        item: ("健身体育", "老年人健身操教学"),
        citizen: 5,
        description: "社区老年人想学一套适合老年人的健身操。",
        urgency: "normal",
        age: 2 * DAY,
        steps: &[Step::Dispatch(4, ""), Step::Accept, Step::Assign(3), Step::Start],
    },
    Story {
        item: ("便民服务", "家电维修"),
        citizen: 6,
        description: "家里的电饭煲和电风扇坏了，独居老人不方便送修。",
        urgency: "normal",
        age: 3 * DAY,
        steps: &[
            Step::Dispatch(5, ""),
            Step::Accept,
            Step::Assign(2),
            Step::Start,
            Step::Complete("上门修好了电饭煲和电风扇，检查了家中用电安全。", 90),
        ],
    },
    Story {
        item: ("便民服务", "理发义剪"),
        citizen: 7,
        description: "卧床老人需要上门理发。",
        urgency: "normal",
        age: 9 * DAY,
        steps: &[
            Step::Dispatch(5, ""),
            Step::Accept,
            Step::Assign(1),
            Step::Start,
            Step::Complete("上门为老人理发、修剪指甲。", 60),
            Step::Rate("very_satisfied", Some("志愿者非常耐心，老人很高兴！")),
        ],
    },
    Story {
        item: ("文化服务", "送书上门"),
        citizen: 8,
        description: "孩子想看科普书，希望送几本书到家。",
        urgency: "normal",
        age: 8 * DAY,
        steps: &[
            Step::OpenForGrab(&[2, 5]),
            Step::Grab(2),
            Step::Assign(1),
            Step::Start,
            Step::Complete("送去科普图书 12 册，并办理了农家书屋借阅登记。", 45),
            Step::Rate("satisfied", None),
        ],
    },
    Story {
        item: ("理论宣讲", "政策宣讲进村组"),
        citizen: 9,
        description: "村民小组想听听乡村振兴的政策。",
        urgency: "normal",
        age: 10 * DAY,
        steps: &[
            Step::Dispatch(0, ""),
            Step::Accept,
            Step::Assign(2),
            Step::Start,
            Step::Complete("在村民小组开展乡村振兴政策宣讲，约 40 人参加。", 120),
            Step::Rate("basically_satisfied", Some("讲得不错，时间有点短。")),
        ],
    },
    Story {
        item: ("科技科普", "农技指导"),
        citizen: 10,
        description: "柑橘树叶子发黄，请农技志愿者来看看。",
        urgency: "urgent",
        age: 12 * DAY,
        steps: &[
            Step::Dispatch(3, ""),
            Step::Accept,
            Step::Assign(1),
            Step::Start,
            Step::Complete("现场查看柑橘园，讲解了施肥和病虫害防治。", 80),
            Step::Rate("dissatisfied", Some("来得太晚了，问题没有完全解决。")),
        ],
    },
    Story {
        item: ("信访投诉", "环境卫生投诉"),
        citizen: 11,
        description: "村口垃圾堆放点长期无人清运，气味很大，反映多次未解决。",
        urgency: "urgent",
        age: DAY,
        steps: &[Step::Forward("转县信访局协调处理")],
    },
    Story {
        item: ("信访投诉", "公共设施报修投诉"),
        citizen: 12,
        description: "小区路灯坏了一个多月，晚上出行不安全。",
        urgency: "normal",
        age: 4 * DAY,
        steps: &[Step::Forward("转县信访局"), Step::Reply("已联系镇政府和供电所，路灯将于本周内修复，请您留意。")],
    },
    Story {
        item: ("矛盾纠纷调解", "邻里纠纷调解"),
        citizen: 13,
        description: "想让志愿者帮忙给孩子找份工作。",
        urgency: "normal",
        age: 2 * DAY,
        steps: &[Step::Reject("求职不属于矛盾纠纷调解的范围，请到县人社局就业服务窗口咨询。")],
    },
    Story {
        item: ("教育服务", "家庭教育指导"),
        citizen: 14,
        description: "想请老师指导孩子的学习习惯。",
        urgency: "normal",
        age: 3 * DAY,
        steps: &[Step::Cancel("已经找到亲戚帮忙，不需要了。")],
    },
    Story {
        item: ("信访投诉", "群众来信来访"),
        citizen: 15,
        description: "反映村里农田灌溉水渠堵塞，影响春耕。",
        urgency: "normal",
        age: 6 * DAY,
        steps: &[Step::Forward("转县信访局"), Step::Reply("已协调水利站清淤，水渠已疏通。"), Step::CloseReplied],
    },
];

/// What was seeded, for the summary.
pub fn seed(db: &Db, county: &County<'_>) -> Result<Json, ApiError> {
    let now = county.now;
    let mut items = Vec::new();
    for (category, kind, names, [normal, urgent, critical]) in MENU {
        for name in names {
            let id = db.insert(
                "INSERT INTO service_menu_items (centre_org_id, category, name, kind, deadline_normal_s, deadline_urgent_s,
                     deadline_critical_s, active, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                &[
                    Value::Integer(county.centre_id),
                    Value::Text(category.into()),
                    Value::Text((*name).into()),
                    Value::Text(kind.into()),
                    Value::Integer(normal),
                    Value::Integer(urgent),
                    Value::Integer(critical),
                    Value::Integer(now - 30 * DAY),
                    Value::Integer(now - 30 * DAY),
                ],
            )?;
            items.push((category, *name, kind, [normal, urgent, critical], id));
        }
    }

    // Citizens: volunteers who lead no team, spread over the villages (every 7th), registered
    // long enough before their order.
    let leaders: Vec<i64> = county.teams.iter().map(|t| t.leader_account_id).collect();
    let citizens: Vec<&Volunteer> = county
        .volunteers
        .iter()
        .filter(|v| !leaders.contains(&v.account_id))
        .skip(3)
        .step_by(7)
        .take(STORIES.len())
        .collect();
    if citizens.len() < STORIES.len() {
        return Err(ApiError::Internal("not enough demo volunteers to order services".into()));
    }

    let mut by_status: std::collections::BTreeMap<&'static str, i64> = Default::default();
    for story in &STORIES {
        let &(_, _, kind, deadlines, item_id) = items
            .iter()
            .find(|(c, n, ..)| (*c, *n) == story.item)
            .ok_or_else(|| ApiError::Internal(format!("demo menu item {:?} missing", story.item)))?;
        let citizen = citizens[story.citizen];
        let person = db
            .query_one(
                "SELECT v.real_name, v.phone, v.home_org_id, o.parent_id, o.name AS org_name FROM volunteers v
                 JOIN orgs o ON o.id = v.home_org_id WHERE v.id = ?",
                &[Value::Integer(citizen.id)],
            )?
            .ok_or_else(|| ApiError::Internal("demo citizen vanished".into()))?;
        let org_id = person.i64("home_org_id")?;
        let created = now - story.age;
        let deadline_s = match story.urgency {
            "critical" => deadlines[2],
            "urgent" => deadlines[1],
            _ => deadlines[0],
        };
        let priority = demand_flow::priority(story.urgency).ok_or_else(|| ApiError::Internal("urgency".into()))?;
        let address =
            format!("{}{}号", person.str("org_name")?.trim_end_matches("新时代文明实践站"), 10 + story.citizen * 3);
        let id = db.insert(
            "INSERT INTO demands (citizen_id, created_by, menu_item_id, kind, org_id, description, address, urgency, priority,
                 preferred_time, contact_name, contact_phone, status, deadline_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)",
            &[
                Value::Integer(citizen.account_id),
                Value::Integer(citizen.account_id),
                Value::Integer(item_id),
                Value::Text(kind.into()),
                Value::Integer(org_id),
                Value::Text(story.description.into()),
                Value::Text(address),
                Value::Text(story.urgency.into()),
                Value::Integer(priority),
                Value::Text(if kind == "welfare" { "工作日白天".into() } else { String::new() }),
                Value::Text(person.str("real_name")?),
                Value::Text(person.str("phone")?),
                Value::Integer(created + deadline_s),
                Value::Integer(created),
                Value::Integer(created),
            ],
        )?;
        demand_flow::record(db, id, None, Status::Submitted, Some(citizen.account_id), "ordered", created)?;

        // The steps spread over the order's age, the last a little before now.
        let gap = story.age / (story.steps.len() as i64 + 1);
        let mut status = Status::Submitted;
        let mut team: Option<&Team> = None;
        let mut assignees: Vec<(i64, String)> = Vec::new();
        let staff = if person.str("org_name")?.starts_with("东关社区") {
            county.station_admin
        } else {
            county.centre_admin
        };
        for (n, step) in story.steps.iter().enumerate() {
            let at = created + gap * (n as i64 + 1);
            let from = status;
            let go = move |t: Transition, actor: i64, note: &str, set: &[(&str, Value)]| {
                demand_flow::transition(db, id, from, t, Some(actor), note, at, set).map(|moved| moved.to)
            };
            status = match *step {
                Step::Escalate => {
                    // As the dispatch component does once the deadline passed: the parent org.
                    let at = created + deadline_s + 60;
                    let to = person.opt_i64("parent_id")?.unwrap_or(county.centre_id);
                    db.exec(
                        "UPDATE demands SET escalated_at = ?, escalated_to = ?, updated_at = ? WHERE id = ?",
                        &[Value::Integer(at), Value::Integer(to), Value::Integer(at), Value::Integer(id)],
                    )?;
                    demand_flow::record(db, id, Some(status), status, None, "escalated", at)?;
                    status
                }
                Step::Dispatch(k, note) => {
                    let t = team_at(county, k)?;
                    team = Some(t);
                    go(Transition::Dispatch, staff, note, &[("team_id = ?", Value::Integer(t.id))])?
                }
                Step::OpenForGrab(ks) => {
                    for k in ks {
                        db.exec(
                            "INSERT INTO demand_grab_teams (demand_id, team_id) VALUES (?, ?)",
                            &[Value::Integer(id), Value::Integer(team_at(county, *k)?.id)],
                        )?;
                    }
                    go(Transition::OpenForGrab, staff, "", &[])?
                }
                Step::Accept => {
                    let t = team.ok_or_else(|| ApiError::Internal("accept without a team".into()))?;
                    go(Transition::Accept, t.leader_account_id, "", &[])?
                }
                Step::Grab(k) => {
                    let t = team_at(county, k)?;
                    team = Some(t);
                    go(Transition::Grab, t.leader_account_id, "", &[("team_id = ?", Value::Integer(t.id))])?
                }
                Step::Assign(count) => {
                    let t = team.ok_or_else(|| ApiError::Internal("assign without a team".into()))?;
                    assignees = db
                        .query(
                            "SELECT v.id, v.volunteer_no FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
                             WHERE m.team_id = ? AND m.status = 'approved' AND v.account_id <> ? ORDER BY v.id LIMIT ?",
                            &[Value::Integer(t.id), Value::Integer(t.leader_account_id), Value::Integer(count as i64)],
                        )?
                        .iter()
                        .map(|r| Ok((r.i64("id")?, r.str("volunteer_no")?)))
                        .collect::<Result<_, ApiError>>()?;
                    for (volunteer, _) in &assignees {
                        db.exec(
                            "INSERT INTO demand_assignees (demand_id, volunteer_id) VALUES (?, ?)",
                            &[Value::Integer(id), Value::Integer(*volunteer)],
                        )?;
                    }
                    let numbers: Vec<&str> = assignees.iter().map(|(_, no)| no.as_str()).collect();
                    demand_flow::record(
                        db,
                        id,
                        Some(status),
                        status,
                        Some(t.leader_account_id),
                        &format!("assigned {}", numbers.join(", ")),
                        at,
                    )?;
                    status
                }
                Step::Start => {
                    let t = team.ok_or_else(|| ApiError::Internal("start without a team".into()))?;
                    go(Transition::Start, t.leader_account_id, "", &[])?
                }
                Step::Complete(summary, minutes) => {
                    let t = team.ok_or_else(|| ApiError::Internal("complete without a team".into()))?;
                    let report = json!({
                        "summary": summary,
                        "volunteer_ids": assignees.iter().map(|(id, _)| id).collect::<Vec<_>>(),
                        "volunteer_nos": assignees.iter().map(|(_, no)| no).collect::<Vec<_>>(),
                        "minutes": minutes,
                    });
                    go(
                        Transition::Complete,
                        t.leader_account_id,
                        "",
                        &[("report = ?", Value::Text(report.to_string())), ("completed_at = ?", Value::Integer(at))],
                    )?
                }
                Step::Rate(rating, comment) => go(
                    Transition::Rate,
                    citizen.account_id,
                    "",
                    &[
                        ("rating = ?", Value::Text(rating.into())),
                        ("rating_comment = ?", comment.map_or(Value::Null, |c| Value::Text(c.into()))),
                    ],
                )?,
                Step::Forward(note) => go(
                    Transition::Forward,
                    staff,
                    note,
                    &[("department_id = ?", Value::Integer(county.department)), ("team_id = ?", Value::Null)],
                )?,
                Step::Reply(reply) => {
                    go(Transition::Reply, county.department_handler, "", &[("reply = ?", Value::Text(reply.into()))])?
                }
                Step::CloseReplied => go(Transition::CloseReplied, county.department_handler, "", &[])?,
                Step::Reject(reason) => go(Transition::Reject, staff, reason, &[])?,
                Step::Cancel(reason) => go(Transition::Cancel, citizen.account_id, reason, &[])?,
            };
        }
        *by_status.entry(status.as_str()).or_default() += 1;
    }
    Ok(json!({ "service_menu_items": items.len(), "demands": STORIES.len(), "demands_by_status": by_status }))
}

fn team_at<'t>(county: &County<'t>, k: usize) -> Result<&'t Team, ApiError> {
    county.teams.get(k).ok_or_else(|| ApiError::Internal(format!("demo team {k} missing")))
}
