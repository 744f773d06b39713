//! `GET /api/v1/demands/{id}/timeline` — the order's history, oldest first, to whoever may see
//! the order: `{"items": [{"at", "from", "to", "note", "actor", "actor_role"}]}`.
//!
//! `actor` is the person's name for staff viewers. A citizen sees their own name, but staff only
//! by role (`实践站管理员`, `服务队长`...): they are owed an answer from the station, not the
//! private name of whoever clicked. `actor_role` gives the same role as a code
//! (`station-admin`, `team-leader`, `department-handler`, `citizen`...) for everyone, and
//! `system` with a null `actor` for escalation and auto-close.
//!
//! The role shown is the one the person acted in for *this* order: the leader of a team it was
//! sent to, the handler of the department it was forwarded to, else the admin role held closest
//! above the order's org.

use std::collections::HashMap;

use domain::{OrgPath, Role};
use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::input::rfc3339;
use crate::order::{self, Order};
use kit::identity::Principal;

/// The label a citizen sees for a role code.
pub fn label(role: &str) -> &'static str {
    match role {
        "centre-admin" => "中心管理员",
        "institute-admin" => "实践所管理员",
        "station-admin" => "实践站管理员",
        "team-leader" => "服务队长",
        "department-handler" => "职能部门",
        "volunteer" => "志愿者",
        "auditor" => "审计员",
        "citizen" => "群众",
        _ => "工作人员",
    }
}

/// Which role `actor` acted in on `order`: see the module docs.
fn role_of(db: &Db, order: &Order, actor: i64) -> Result<&'static str, ApiError> {
    if actor == order.citizen_id {
        return Ok(Role::Citizen.as_str());
    }
    let me = Value::Integer(actor);
    let led = kit::led_teams(db, actor)?;
    if !led.is_empty() {
        let grab =
            db.query("SELECT team_id FROM demand_grab_teams WHERE demand_id = ?", &[Value::Integer(order.id)])?;
        let grab = grab.iter().map(|r| r.i64("team_id")).collect::<Result<Vec<_>, _>>()?;
        if led.iter().any(|t| order.team_id == Some(*t) || grab.contains(t)) {
            return Ok(Role::TeamLeader.as_str());
        }
    }
    if let Some(dep) = order.department_id {
        let handles = db.query_one(
            "SELECT 1 AS x FROM department_handlers WHERE department_id = ? AND account_id = ?",
            &[Value::Integer(dep), me.clone()],
        )?;
        if handles.is_some() {
            return Ok(Role::DepartmentHandler.as_str());
        }
    }
    let rows = db.query(
        "SELECT g.role, o.path FROM role_grants g JOIN orgs o ON o.id = g.org_id WHERE g.account_id = ?",
        &[me],
    )?;
    let mut grants: Vec<(Role, OrgPath)> = Vec::new();
    for r in &rows {
        // A name that is no role (none is stored) matches nothing, as any unknown text would.
        if let Ok(role) = Role::parse(&r.str("role")?) {
            grants.push((role, kit::org_path(&r.str("path")?)?));
        }
    }
    // Deepest org first: the admin closest above the order is the one who acted for it; at the
    // same depth, the first grant.
    grants.sort_by_key(|(_, path)| std::cmp::Reverse(path.depth()));
    let at = kit::org_path(&order.org_path)?;
    if let Some((role, _)) = grants.iter().find(|(role, path)| role.is_admin() && path.contains(&at)) {
        return Ok(role.as_str());
    }
    // Someone acting on an order outside their admin subtree (a team leader after the team was
    // cleared by a decline, say): whichever staff role they hold.
    let held = [
        Role::TeamLeader,
        Role::DepartmentHandler,
        Role::StationAdmin,
        Role::InstituteAdmin,
        Role::CentreAdmin,
        Role::Auditor,
    ];
    Ok(held.into_iter().find(|wanted| grants.iter().any(|(role, _)| role == wanted)).map_or("staff", Role::as_str))
}

/// `GET /api/v1/demands/{id}/timeline`.
pub fn handle(req: &Request, p: &Principal, id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let (order, view) = order::touch(&db, p, id, now)?;
    let as_citizen = view.as_citizen();

    let rows = db.query(
        "SELECT e.at, e.from_status, e.to_status, e.note, e.actor_id, a.name AS actor_name
         FROM demand_events e LEFT JOIN accounts a ON a.id = e.actor_id
         WHERE e.demand_id = ? ORDER BY e.id",
        &[Value::Integer(id)],
    )?;
    // One role lookup per person, however many entries they made.
    let mut roles: HashMap<i64, &'static str> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let (actor, actor_role) = match r.opt_i64("actor_id")? {
            None => (serde_json::Value::Null, "system"),
            Some(actor_id) => {
                let role = match roles.get(&actor_id) {
                    Some(role) => *role,
                    None => {
                        let role = role_of(&db, &order, actor_id)?;
                        roles.insert(actor_id, role);
                        role
                    }
                };
                let name = r.opt_str("actor_name")?.unwrap_or_default();
                let shown = if as_citizen && role != "citizen" { label(role).to_string() } else { name };
                (json!(shown), role)
            }
        };
        items.push(json!({
            "at": rfc3339(r.i64("at")?),
            "from": r.opt_str("from_status")?,
            "to": r.str("to_status")?,
            "note": r.str("note")?,
            "actor": actor,
            "actor_role": actor_role,
        }));
    }
    let notices = notices(&db, &order, as_citizen)?;
    Ok(kit::json(200, &json!({ "items": items, "notices": notices })))
}

/// The order's SMS notices and whether each was delivered (`delivery` keeps the status). Keys
/// are `order:<id>:<template>:<event>`, so the order's messages are one range of the unique key
/// index. A citizen sees the notices sent to them; staff see every notice, recipients masked.
fn notices(db: &Db, order: &Order, as_citizen: bool) -> Result<Vec<serde_json::Value>, ApiError> {
    let rows = db.query(
        "SELECT template, recipient, status, created_at, sent_at, delivered_at FROM outbox
         WHERE idempotency_key >= ? AND idempotency_key < ? ORDER BY id",
        &[Value::Text(format!("order:{}:", order.id)), Value::Text(format!("order:{};", order.id))],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let recipient = r.str("recipient")?;
        if as_citizen && recipient != order.citizen_phone {
            continue;
        }
        out.push(json!({
            "template": r.str("template")?,
            "recipient": kit::mask_phone(&recipient),
            "status": r.str("status")?,
            "queued_at": rfc3339(r.i64("created_at")?),
            "sent_at": r.opt_i64("sent_at")?.map(rfc3339),
            "delivered_at": r.opt_i64("delivered_at")?.map(rfc3339),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn every_role_has_a_label_and_unknowns_are_staff() {
        for role in ["centre-admin", "institute-admin", "station-admin", "team-leader", "department-handler", "citizen"]
        {
            assert_ne!(label(role), "工作人员", "{role}");
        }
        assert_eq!(label("staff"), "工作人员");
    }
}
