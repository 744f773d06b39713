//! Signing in and out: `POST /api/v1/sessions`, `POST /api/v1/sms-codes`,
//! `DELETE /api/v1/sessions/current`, `GET /api/v1/me`. Passwords, codes, lockouts and throttles
//! are identity's; this module shapes requests and answers, and queues an issued code through
//! notify (the only way into the outbox) in the transaction that stored it.

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access::{self, roles_json};
use crate::input::{self, Fields};
use kit::identity::{self, Session};
use kit::identity_error;
use kit::notify::Outcome;

/// `{"phone", "password"}` for staff, `{"phone", "code"}` for citizens and volunteers.
pub fn create(req: &Request) -> Result<Response, ApiError> {
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
    let session = match (password, code) {
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
    .map_err(identity_error)?;
    Ok(kit::json(201, &session_json(&session)))
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

/// Revokes the caller's own session; the token is refused from then on.
pub fn delete_current(req: &Request) -> Result<Response, ApiError> {
    let caller = access::caller(req)?;
    identity::sign_out(Db::open()?.connection(), &caller.token).map_err(identity_error)?;
    Ok(Response::builder().status(204).build())
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
    Ok(kit::json(
        200,
        &serde_json::json!({
            "id": p.account_id,
            "name": account.str("name")?,
            "phone": account.str("phone")?,
            "created_at": input::rfc3339(account.i64("created_at")?),
            "roles": roles_json(p),
        }),
    ))
}
