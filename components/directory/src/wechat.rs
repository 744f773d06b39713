//! The account's side of its WeChat binding (the binding itself is made by the `wechat`
//! component at sign-in): `PUT /api/v1/me/notify-channel`, `DELETE /api/v1/me/wechat` (the person
//! unbinds), `DELETE /api/v1/accounts/{id}/wechat` (staff unbind, in their scope), and the two
//! fields `GET /api/v1/me` shows (`wechat_bound`, `notify_channel`). Every unbinding is audited.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, not_found};
use crate::input::{self, Fields};
use kit::identity::Action;

/// The channels a person may choose for notices.
const CHANNELS: [&str; 2] = ["sms", "wechat"];

/// `(wechat_bound, notify_channel)` of an account: an unbound account is on SMS whatever it chose
/// while bound (the choice lives on the binding and goes with it).
pub fn state(db: &Db, account_id: i64) -> Result<(bool, String), ApiError> {
    let row =
        db.query_one("SELECT notify_channel FROM wechat_bindings WHERE account_id = ?", &[Value::Integer(account_id)])?;
    Ok(match row {
        Some(r) => (true, r.str("notify_channel")?),
        None => (false, "sms".to_string()),
    })
}

/// `PUT /api/v1/me/notify-channel {"channel": "sms" | "wechat"}` → 200 `{"notify_channel"}`.
/// WeChat only when bound (409 `wechat_not_bound`); SMS always (an unbound person already is).
pub fn put_channel(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let mut body = Fields::from_request(req, &["channel"])?;
    let channel = body.choice("channel", &CHANNELS)?;
    let db = Db::open()?;
    let account_id = caller.account_id();
    db.transaction(|db| {
        let changed = db.exec(
            "UPDATE wechat_bindings SET notify_channel = ? WHERE account_id = ?",
            &[Value::Text(channel.into()), Value::Integer(account_id)],
        )?;
        if changed == 0 && channel == "wechat" {
            return Err(ApiError::conflict(
                "wechat_not_bound",
                "bind WeChat first (open the platform from the official account) to get notices there",
            ));
        }
        Ok(())
    })?;
    Ok(kit::json(200, &serde_json::json!({ "notify_channel": channel })))
}

/// `DELETE /api/v1/me/wechat` → 204: the caller's own openid is unbound (404 `not_bound` when
/// there is none). Notices go by SMS from then on; signing in from WeChat asks to bind again.
pub fn unbind_self(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let filed_under = caller.principal.grants.first().map_or_else(|| "/".to_string(), |g| g.org_path.clone());
    let db = Db::open()?;
    unbind(&db, caller.account_id(), caller.account_id(), &filed_under)?;
    Ok(Response::builder().status(204).build())
}

/// `DELETE /api/v1/accounts/{id}/wechat` → 204: staff with manage-accounts over one of the
/// account's roles unbind it (a lost phone, a binding made by someone else). Outside the
/// caller's scope the account is a 404, as everywhere in the directory.
pub fn unbind_by_staff(req: &Request, id: &str) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let id = input::path_id(id, "account")?;
    let scope = caller.scope_or_forbidden(Action::ManageAccounts)?;
    let db = Db::open()?;
    let mut params = vec![Value::Integer(id)];
    let condition = scope.condition("o.path", &mut params);
    // Filed under the first in-scope role's org, so the auditors who see the account see it.
    let filed_under = db
        .query_one(
            &format!(
                "SELECT o.path FROM role_grants g JOIN orgs o ON o.id = g.org_id
                 WHERE g.account_id = ? AND {condition} ORDER BY g.id LIMIT 1"
            ),
            &params,
        )?
        .ok_or_else(|| not_found("account"))?
        .str("path")?;
    unbind(&db, caller.account_id(), id, &filed_under)?;
    Ok(Response::builder().status(204).build())
}

fn unbind(db: &Db, actor: i64, account_id: i64, filed_under: &str) -> Result<(), ApiError> {
    db.transaction(|db| {
        let row = db
            .query_one(
                "SELECT openid, notify_channel FROM wechat_bindings WHERE account_id = ?",
                &[Value::Integer(account_id)],
            )?
            .ok_or_else(|| ApiError::NotFound("this account has no WeChat binding".into()))?;
        db.exec("DELETE FROM wechat_bindings WHERE account_id = ?", &[Value::Integer(account_id)])?;
        let before = serde_json::json!({ "openid": row.str("openid")?, "notify_channel": row.str("notify_channel")? });
        kit::audit(db, actor, "wechat.unbind", "account", Some(account_id), filed_under, Some(&before), None)
    })
}
