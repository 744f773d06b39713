//! `GET/POST /api/v1/setup`: the first run from a browser. A fresh deployment has no centre
//! admin and nobody who could make one through the API; the operator has a one-time setup code
//! instead (the secret variable `setup_code`: `wenming up` makes one and prints it when no centre
//! admin exists and none is set; on Spin the operator sets `SPIN_VARIABLE_SETUP_CODE`). With it,
//! the console's setup page creates the centre and its first admin through the same function as
//! `wenming call bootstrap POST /centre-admin`.
//!
//! Guarded in this order: the attempt is counted against a rate limit (committed on its own, so a
//! wrong code still counts), a deployment that has its centre admin answers 409 `already_set_up`
//! (the route is dead from then on, whatever code is sent), no code configured is 403
//! `not_configured`, and a wrong code is 422 on `setup_code`, compared in constant time.

use kit::throttle::{self, Budget};
use kit::{ApiError, Db};
use serde::Deserialize;
use spin_sdk::http::{Method, Request};

use crate::{centre_admin_exists, create_centre_admin, CentreAdminBody};

/// The variable that holds the code.
const CODE_VARIABLE: &str = "setup_code";

/// Setup attempts: a person mistyping the code has plenty; a guesser gets 10 per 10 minutes from
/// one address and 100 from everyone, hopeless against a 60-bit code.
const SETUP_BUDGET: Budget = Budget { per_client: 10, global: 100, window_s: 600 };

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    setup_code: String,
    centre_name: String,
    admin_name: String,
    phone: String,
    password: String,
}

pub fn handle(req: &Request) -> Result<(u16, serde_json::Value), ApiError> {
    match req.method() {
        Method::Get => status(),
        Method::Post => setup(req),
        _ => Err(ApiError::MethodNotAllowed("GET, POST")),
    }
}

fn configured_code() -> String {
    normalised(&spin_sdk::variables::get(CODE_VARIABLE).unwrap_or_default())
}

/// A code as typed: the edge prints it in groups (`ABC-DEF-…`), people add spaces or type lower
/// case; none of that is part of the code.
fn normalised(code: &str) -> String {
    code.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).collect::<String>().to_ascii_uppercase()
}

/// `GET`: whether the deployment still needs its first admin (the console then offers the setup
/// page) and whether a setup code is configured. Tells nothing else.
fn status() -> Result<(u16, serde_json::Value), ApiError> {
    let db = Db::open()?;
    let needed = !centre_admin_exists(&db)?;
    Ok((200, serde_json::json!({ "needed": needed, "code_configured": needed && !configured_code().is_empty() })))
}

fn already_set_up() -> ApiError {
    ApiError::conflict("already_set_up", "this deployment already has its centre admin; sign in instead")
}

/// `POST {setup_code, centre_name, admin_name, phone, password}` → 201 as `/centre-admin`.
fn setup(req: &Request) -> Result<(u16, serde_json::Value), ApiError> {
    let body: SetupBody = kit::parse_body(req)?;
    let db = Db::open()?;
    let client = kit::client_key(req);
    let now = kit::request_now(req);
    // Its own transaction: the count must stay when the code turns out wrong.
    db.transaction(|db| throttle::take(db, "setup", &client, &SETUP_BUDGET, now))?;
    if centre_admin_exists(&db)? {
        return Err(already_set_up());
    }
    let expected = configured_code();
    if expected.is_empty() {
        return Err(ApiError::Refused {
            code: "not_configured",
            message: "setup from the browser is off: the deployment sets no setup_code".into(),
        });
    }
    if !kit::jobs::same_secret(&normalised(&body.setup_code), &expected) {
        return Err(ApiError::invalid("setup_code", "the setup code is wrong"));
    }
    let admin = CentreAdminBody {
        centre_name: body.centre_name,
        admin_name: body.admin_name,
        phone: body.phone,
        password: body.password,
    };
    create_centre_admin(admin).map_err(|e| match e {
        ApiError::Conflict { code: "already_bootstrapped", .. } => already_set_up(),
        other => other,
    })
}
