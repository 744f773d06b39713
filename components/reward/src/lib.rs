//! Rewards (礼遇): `docs/reward-api.md`. Service earns recognition three ways — a star level
//! (星级) from confirmed hours, points (积分) spent in the love supermarket (爱心超市) and on
//! service coupons, and honour lists (最美志愿者, 优秀志愿者).
//!
//! Star levels are proposed when the minutes balance crosses a configured threshold (by a staff
//! sweep, or lazily when a star is read), shown publicly for the notice period (公示) and only
//! then confirmed by staff. Redemption takes stock with a conditional update and debits points
//! through `wenming:ledger/ledger` on this component's own connection, in one transaction, so
//! neither stock nor balance can go below zero and a failure leaves both untouched; the
//! volunteer collects with a pickup code, and a cancellation before handover refunds through the
//! ledger and returns the stock. Honours are nominated by one staff member and decided by
//! another. Authentication and authorisation go through `wenming:identity/identity`; time is
//! `kit::request_now`.
//!
//! Modules: one per resource — [`stars`] (proposals, sweep, notices, a volunteer's star),
//! [`catalogue`] (items), [`redemptions`] (redeem, handover, cancel), [`honours`] — the pure rules
//! [`rules`] (thresholds, levels, pickup codes), and the plumbing [`access`], [`input`],
//! [`ledger_tx`], [`volunteer`].

pub mod access;
pub mod catalogue;
pub mod honours;
pub mod input;
pub mod ledger_tx;
pub mod redemptions;
pub mod rules;
pub mod stars;
pub mod volunteer;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The path is matched first (404), then the method (405 with
/// `Allow`), then the session (401). The notice list (公示) and the approved honours are public:
/// publishing them is their point.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let allow = |allowed: &'static str| kit::allow_method(method, allowed);
    let only = |allowed: &'static str| allow(allowed).and_then(|()| kit::authenticate(req));
    match segments.as_slice() {
        // The scheduler's jobs: their own gate (the scheduler token), no session.
        ["jobs", "propose-stars"] => allow("POST").and_then(|()| stars::job(req)),
        ["jobs", "expire-reservations"] => allow("POST").and_then(|()| redemptions::job(req)),
        // Star levels.
        ["stars", "thresholds"] => {
            let p = only("GET, PUT")?;
            match method {
                Method::Get => stars::thresholds(),
                _ => stars::set_thresholds(req, &p),
            }
        }
        ["stars", "sweep"] => stars::sweep(req, &only("POST")?),
        ["stars", "notices"] => {
            allow("GET")?;
            stars::notices(req)
        }
        ["stars", "proposals"] => stars::list(req, &only("GET")?),
        ["stars", "proposals", id] => stars::detail(req, &only("GET")?, input::path_id(id, "proposal")?),
        ["stars", "proposals", id, decision @ ("confirm" | "reject")] => {
            stars::decide(req, &only("POST")?, input::path_id(id, "proposal")?, *decision == "confirm")
        }
        ["volunteers", id, "star"] => stars::volunteer_star(req, &only("GET")?, input::path_id(id, "volunteer")?),
        // The catalogue.
        ["rewards"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => catalogue::list(req, &p),
                _ => catalogue::create(req, &p),
            }
        }
        ["rewards", id] => {
            let p = only("GET, PATCH")?;
            let id = input::path_id(id, "reward")?;
            match method {
                Method::Get => catalogue::detail(req, &p, id),
                _ => catalogue::update(req, &p, id),
            }
        }
        // Redemptions.
        ["redemptions"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => redemptions::list(req, &p),
                _ => redemptions::redeem(req, &p),
            }
        }
        ["redemptions", id] => redemptions::detail(&only("GET")?, input::path_id(id, "redemption")?),
        ["redemptions", id, "handover"] => {
            redemptions::handover(req, &only("POST")?, input::path_id(id, "redemption")?)
        }
        ["redemptions", id, "cancel"] => redemptions::cancel(req, &only("POST")?, input::path_id(id, "redemption")?),
        // Honours.
        ["honours"] => {
            allow("GET, POST")?;
            match method {
                Method::Get => honours::public_list(req),
                _ => honours::nominate(req, &kit::authenticate(req)?),
            }
        }
        ["honours", "nominations"] => honours::nominations(req, &only("GET")?),
        ["honours", id] => {
            allow("GET")?;
            let id = input::path_id(id, "honour")?;
            honours::detail(req, id)
        }
        ["honours", id, decision @ ("approve" | "reject")] => {
            honours::decide(req, &only("POST")?, input::path_id(id, "honour")?, *decision == "approve")
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
