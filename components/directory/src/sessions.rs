//! Signing in and out: `POST /api/v1/sessions`, `POST /api/v1/sessions/browser` (the console's
//! cookie, see `kit::session`), `POST /api/v1/sms-codes`, `DELETE /api/v1/sessions/current`,
//! `GET /api/v1/me`. Passwords, codes, lockouts and throttles
//! are identity's; this module shapes requests and answers, and queues an issued code through
//! notify (the only way into the outbox) in the transaction that stored it.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, roles_json};
use crate::input::{self, Fields};
use kit::identity::{self, Action, Session};
use kit::identity_error;
use kit::notify::Outcome;

/// `{"phone", "password"}` for staff, `{"phone", "code"}` for citizens and volunteers.
pub fn create(req: &Request) -> Result<Response, ApiError> {
    let session = sign_in(req)?;
    Ok(kit::json(201, &session_json(&session)))
}

/// The console's sign-in: the same body and refusals as [`create`], but the token goes into the
/// `HttpOnly` session cookie and never into the body, which carries the session's CSRF token
/// instead (page scripts can read the body, never the cookie).
pub fn create_browser(req: &Request) -> Result<Response, ApiError> {
    let session = sign_in(req)?;
    Ok(kit::browser_session(&session, kit::request_now(req)))
}

/// Checks the body and signs in by password or code (identity counts failures and locks).
fn sign_in(req: &Request) -> Result<Session, ApiError> {
    let mut body = Fields::from_request(req, &["phone", "password", "code"])?;
    let phone = body.raw("phone")?;
    let password = body.opt_str("password")?;
    let code = body.opt_str("code")?;
    let phone = phone.trim();
    if phone.is_empty() || phone.len() > 32 {
        return Err(ApiError::invalid("phone", "phone must be 1 to 32 characters"));
    }
    let db = Db::open()?;
    let client = kit::client_key(req);
    match (password, code) {
        (Some(password), None) => {
            // Staff phones are not format-checked here: a malformed one is simply a wrong phone,
            // answered with the same 401 as any other so nothing is learned from the difference.
            if password.is_empty() || password.len() > 256 {
                return Err(ApiError::invalid("password", "password must be 1 to 256 characters"));
            }
            identity::sign_in_password(db.connection(), phone, &password, &client)
        }
        (None, Some(code)) => {
            // A code only ever goes to a well-formed number, so a malformed one cannot match.
            input::phone("phone", phone)?;
            let code = code.trim();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid("code", "code is the 6 digits sent by SMS"));
            }
            identity::sign_in_code(db.connection(), phone, code, &client)
        }
        (Some(_), Some(_)) => return Err(ApiError::invalid("code", "send either password or code, not both")),
        (None, None) => return Err(ApiError::invalid("password", "password (staff) or code (SMS) is required")),
    }
    .map_err(identity_error)
}

fn session_json(session: &Session) -> serde_json::Value {
    let p = &session.principal;
    serde_json::json!({
        "token": session.token,
        "expires_at": input::rfc3339(session.expires_at),
        "account": { "id": p.account_id, "name": p.name, "roles": roles_json(p) },
    })
}

/// `{"phone"}` → 202: identity issues a sign-in code (throttled per phone, per client and in
/// all: 429 with `Retry-After`, nothing stored or queued) and it is queued
/// through notify in the same transaction, so a code exists only if its message is queued. With
/// `sms_provider = none` admins read it in the outbox.
pub fn request_code(req: &Request) -> Result<Response, ApiError> {
    let phone = Fields::from_request(req, &["phone"])?.raw("phone")?;
    let phone = input::phone("phone", &phone)?;
    let db = Db::open()?;
    let client = kit::client_key(req);
    let key = db.transaction(|db| {
        // Throttled per phone, per client and in all; any refusal rolls the whole request back.
        let issued = identity::request_sign_in_code(db.connection(), &phone, &client).map_err(identity_error)?;
        let key = format!("sign-in-code:{}", issued.id);
        let params = vec![("code".to_string(), issued.code)];
        match kit::sms(db, &phone, "sign-in-code", params, key.clone(), kit::now())? {
            Some(Outcome::Queued) => Ok(key),
            // The recipient's daily message cap is reached: no code that cannot be sent.
            Some(Outcome::SuppressedDailyCap) => Err(ApiError::Throttled {
                retry_after: 3600,
                message: "too many messages to this phone today; try again later".into(),
            }),
            outcome => Err(ApiError::Internal(format!("the sign-in code was not queued: {outcome:?}"))),
        }
    })?;
    send_now(&db, &key);
    Ok(kit::json(202, &serde_json::json!({ "sent": true })))
}

/// The person is waiting for the code: once it is committed, `delivery` is asked to send that
/// one message now (local service chaining, `http://delivery.spin.internal`), through the same
/// claim as the delivery job, so the two never send it twice. Any failure here only delays the
/// code to the next delivery run, so it is logged, not raised. With `sms_provider = none`
/// nothing is sent at all.
fn send_now(db: &Db, key: &str) {
    let provider = spin_sdk::variables::get("sms_provider").unwrap_or_default();
    if provider.trim() == "none" || provider.trim().is_empty() {
        return;
    }
    let id = match db.query_one("SELECT id FROM outbox WHERE idempotency_key = ?", &[Value::Text(key.into())]) {
        Ok(Some(row)) => row.i64("id"),
        Ok(None) => return,
        Err(e) => Err(e),
    };
    let id = match id {
        Ok(id) => id,
        Err(e) => return eprintln!("sign-in code {key}: not handed to delivery: {e:?}"),
    };
    let request =
        spin_sdk::http::Request::post(format!("http://delivery.spin.internal/send-now/{id}"), Vec::new()).build();
    match spin_sdk::http::run(spin_sdk::http::send::<_, spin_sdk::http::Response>(request)) {
        Ok(r) if *r.status() == 200 => {}
        Ok(r) => eprintln!("sign-in code {key}: delivery answered {}", r.status()),
        Err(e) => eprintln!("sign-in code {key}: delivery unreachable: {e}"),
    }
}

/// Revokes the caller's own session; the token is refused from then on. A console session's
/// cookie is cleared too.
pub fn delete_current(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    identity::sign_out(Db::open()?.connection(), &caller.token).map_err(identity_error)?;
    let mut resp = Response::builder().status(204).build();
    if matches!(kit::credential(req), Some(kit::Credential::Cookie(_))) {
        resp.set_header("set-cookie", kit::session::clear_session_cookie_header());
    }
    Ok(resp)
}

/// The signed-in account (its own phone, unmasked: it is theirs) and its roles.
pub fn me(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let db = Db::open()?;
    let account = db
        .query_one(
            "SELECT id, name, phone, created_at FROM accounts WHERE id = ?",
            &[Value::Integer(caller.account_id())],
        )?
        .ok_or_else(|| ApiError::Unauthenticated("this account no longer exists".into()))?;
    let p = &caller.principal;
    let (wechat_bound, notify_channel) = crate::wechat::state(&db, caller.account_id())?;
    let mut me = serde_json::json!({
        "id": p.account_id,
        "name": account.str("name")?,
        "phone": account.str("phone")?,
        "created_at": input::rfc3339(account.i64("created_at")?),
        "roles": roles_json(p),
        "actions": actions(p),
        "wechat_bound": wechat_bound,
        "notify_channel": notify_channel,
    });
    // A console reloaded in the browser has its cookie but no longer the CSRF token it was
    // given at sign-in; it learns it again here (a cross-site page cannot read this answer).
    if let Some(kit::Credential::Cookie(token)) = kit::credential(req) {
        me["csrf_token"] = serde_json::Value::String(kit::csrf_token(&token));
    }
    let mut resp = kit::json(200, &me);
    resp.set_header("cache-control", "no-store");
    Ok(resp)
}

/// `POST /api/v1/me/password {"current_password", "new_password"}` → 204: a signed-in staff
/// member changes their own password. The current one is checked by identity's password
/// sign-in, so a wrong guess here counts towards the same lockout as at the sign-in form (five
/// lock the account; then 429); the session that check opens is closed at once. The new
/// password is hashed by identity (at least 8 characters) and the change is audited (never the
/// passwords themselves).
pub fn change_password(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    let mut body = Fields::from_request(req, &["current_password", "new_password"])?;
    let current = body.raw("current_password")?;
    let new = body.raw("new_password")?;
    if current.is_empty() || current.len() > 256 {
        return Err(ApiError::invalid("current_password", "current_password must be 1 to 256 characters"));
    }
    if new.len() > 256 {
        return Err(ApiError::invalid("new_password", "new_password must be at most 256 characters"));
    }
    if new == current {
        return Err(ApiError::invalid("new_password", "the new password must differ from the current one"));
    }
    let hash = identity::hash_password(&new).map_err(|e| match identity_error(e) {
        ApiError::Invalid { message, .. } => ApiError::invalid("new_password", message),
        other => other,
    })?;
    let db = Db::open()?;
    let account_id = caller.account_id();
    let phone = db
        .query_one("SELECT phone FROM accounts WHERE id = ?", &[Value::Integer(account_id)])?
        .ok_or_else(|| ApiError::Unauthenticated("this account no longer exists".into()))?
        .str("phone")?;
    let check = identity::sign_in_password(db.connection(), &phone, &current, &kit::client_key(req)).map_err(|e| {
        match identity_error(e) {
            ApiError::Unauthenticated(_) => ApiError::invalid("current_password", "the current password is wrong"),
            other => other,
        }
    })?;
    identity::sign_out(db.connection(), &check.token).map_err(identity_error)?;
    let filed_under = caller.principal.grants.first().map_or_else(|| "/".to_string(), |g| g.org_path.clone());
    db.transaction(|db| {
        let now = kit::request_now(req);
        db.exec(
            "UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?",
            &[Value::Text(hash.clone()), Value::Integer(now), Value::Integer(account_id)],
        )?;
        kit::audit(db, account_id, "account.password", "account", Some(account_id), &filed_under, None, None)
    })?;
    Ok(Response::builder().status(204).build())
}

/// Every action of `wenming:identity/identity`, so `/me` can say which ones the caller's roles
/// allow somewhere (the console shows a menu only to those who may use it). Identity's
/// permission table decides; this is only the list of names to ask about.
const ACTIONS: [Action; 20] = [
    Action::ReadDirectory,
    Action::ManageOrgs,
    Action::ManageAccounts,
    Action::ReadVolunteers,
    Action::ReadVolunteersUnmasked,
    Action::ManageVolunteers,
    Action::ManageTeams,
    Action::ReviewOrganisations,
    Action::ManageDepartments,
    Action::ReadAudit,
    Action::ReadOutbox,
    Action::ManageServiceMenu,
    Action::OrderForCitizens,
    Action::DispatchOrders,
    Action::HandleDepartmentItems,
    Action::ManageSurveys,
    Action::ReadSurveyResults,
    Action::ManageRewards,
    Action::ManageEvaluations,
    Action::ReadEvaluations,
];

/// The actions `p`'s roles allow somewhere, in the interface's names (`manage-orgs`).
fn actions(p: &identity::Principal) -> Vec<String> {
    ACTIONS.iter().filter(|a| kit::anywhere(p, **a)).map(kit::wit_name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new action in the WIT enum must be added to [`ACTIONS`]: this match stops compiling.
    #[test]
    fn every_action_is_listed() {
        for a in ACTIONS {
            match a {
                Action::ReadDirectory
                | Action::ManageOrgs
                | Action::ManageAccounts
                | Action::ReadVolunteers
                | Action::ReadVolunteersUnmasked
                | Action::ManageVolunteers
                | Action::ManageTeams
                | Action::ReviewOrganisations
                | Action::ManageDepartments
                | Action::ReadAudit
                | Action::ReadOutbox
                | Action::ManageServiceMenu
                | Action::OrderForCitizens
                | Action::DispatchOrders
                | Action::HandleDepartmentItems
                | Action::ManageSurveys
                | Action::ReadSurveyResults
                | Action::ManageRewards
                | Action::ManageEvaluations
                | Action::ReadEvaluations => {}
            }
        }
        assert_eq!(ACTIONS.len(), 20);
    }
}
