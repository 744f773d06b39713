//! Activities (活动): application (活动申报), approval with the activity code (活动码), listing
//! and search, sign-up (报名) with capacity and waitlist, and cancellation with promotion — the
//! `activity` part of `docs/activity-api.md`. Check-in, hours and records are `checkin`'s.
//!
//! Every request is authenticated and authorised through `wenming:identity/identity` (imported,
//! composed in by the edge); this component keeps no permission table. Activities are managed
//! with `manage-teams` at their org. Reading approved public activities needs no session.
//! Writes validate everything first, then run in one `BEGIN IMMEDIATE` transaction (with their
//! audit row where they are admin actions); the ones a client may retry honour
//! `Idempotency-Key`. The clock is [`kit::request_now`], so tests can move it.
//!
//! Modules: [`apply`], [`review`] (approve/reject), [`list`] (search, one activity),
//! [`signup`], [`cancel`], [`signups`] (reading sign-ups) — one per transition or view — and
//! [`activities`] (the resource and who sees it), [`access`] (identity and scope), [`codes`]
//! (random codes), [`input`] (bodies and queries;
//! times, dates and ages are `domain`'s).

pub mod access;
pub mod activities;
pub mod apply;
pub mod cancel;
pub mod codes;
pub mod input;
pub mod list;
pub mod review;
pub mod signup;
pub mod signups;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The method is checked (405 with `Allow`) before the session
/// (401), and the session before anything else. The activity reads take an optional session.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let check = |allowed: &'static str| kit::allow_method(method, allowed);
    let only = |allowed: &'static str| check(allowed).and_then(|()| kit::authenticate(req));
    let id = |s: &str| input::path_id(s, "activity");
    match segments.as_slice() {
        ["activities"] => {
            check("GET, POST")?;
            match method {
                Method::Get => list::list(req),
                _ => apply::apply(req, &kit::authenticate(req)?),
            }
        }
        ["activities", a] => {
            check("GET")?;
            list::get(req, id(a)?)
        }
        ["activities", a, decision @ ("approve" | "reject")] => {
            let p = only("POST")?;
            review::decide(req, &p, id(a)?, *decision == "approve")
        }
        ["activities", a, "signups"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => signups::list(req, &p, id(a)?),
                _ => signup::sign_up(req, &p, id(a)?),
            }
        }
        ["activities", a, "signups", "mine"] => {
            let p = only("GET, DELETE")?;
            match method {
                Method::Get => signups::mine(&p, id(a)?),
                _ => cancel::cancel(req, &p, id(a)?),
            }
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
