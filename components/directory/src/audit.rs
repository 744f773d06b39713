//! `GET /api/v1/audit`: the admin actions recorded in the caller's read-audit subtrees. Entries
//! were masked when written, so they are shown as stored.

use kit::{ApiError, Db, Page};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::input;
use crate::orgs;
use kit::identity::Action;
use kit::Scope;

/// `?org=&action=&since=&until=&limit=&cursor=`: `since <= at < until`, times as RFC 3339 or
/// unix seconds; by id.
pub fn list(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let page = Page::from_request(req)?;
    let mut scope = caller.scope_or_forbidden(Action::ReadAudit)?;
    let org = input::query_id(req, "org")?;
    let action = kit::query_param(req, "action").map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if action.as_ref().is_some_and(|a| a.len() > 64) {
        return Err(ApiError::invalid("action", "action is at most 64 characters"));
    }
    let since = input::query_time(req, "since")?;
    let until = input::query_time(req, "until")?;
    if let (Some(since), Some(until)) = (since, until) {
        if until < since {
            return Err(ApiError::invalid("until", "until must not be before since"));
        }
    }

    let db = Db::open()?;
    if let Some(org) = org {
        let org = orgs::visible(&db, &caller, org)?;
        caller.require(Action::ReadAudit, &org.path, "org")?;
        scope = Scope::from_paths(&[org.path]);
    }
    let mut filters = String::new();
    let mut params = vec![Value::Integer(page.after)];
    if let Some(action) = action {
        filters.push_str(" AND l.action = ?");
        params.push(Value::Text(action));
    }
    if let Some(since) = since {
        filters.push_str(" AND l.at >= ?");
        params.push(Value::Integer(since));
    }
    if let Some(until) = until {
        filters.push_str(" AND l.at < ?");
        params.push(Value::Integer(until));
    }
    params.push(Value::Integer(page.limit));
    let rows = scope.page(&db, "audit_log l", "l.org_path", page.limit, &params, |scoped| {
        format!(
            "SELECT l.id, l.at, l.actor_id, a.name AS actor_name, l.action, l.entity, l.entity_id, l.org_path,
                    l.before, l.after
             FROM audit_log l JOIN accounts a ON a.id = l.actor_id
             WHERE {scoped} AND l.id > ?{filters} ORDER BY l.id LIMIT ?"
        )
    })?;
    let stored = |text: Option<String>| -> serde_json::Value {
        text.map_or(serde_json::Value::Null, |t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
    };
    let items = rows
        .iter()
        .map(|r| {
            Ok(serde_json::json!({
                "id": r.i64("id")?,
                "at": input::rfc3339(r.i64("at")?),
                "actor": { "id": r.i64("actor_id")?, "name": r.str("actor_name")? },
                "action": r.str("action")?,
                "entity": r.str("entity")?,
                "entity_id": r.opt_i64("entity_id")?,
                "org_path": r.str("org_path")?,
                "before": stored(r.opt_str("before")?),
                "after": stored(r.opt_str("after")?),
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let last = rows.last().map(|r| r.i64("id")).transpose()?;
    Ok(kit::json(200, &page.envelope(items, last)))
}
