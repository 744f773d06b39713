//! Check-in and hours (签到签退、服务时长) and service records (志愿服务记录): the `checkin`
//! part of `docs/activity-api.md`.
//!
//! A confirmed volunteer checks in with the activity code (within the window, within the radius
//! with the distance recorded, with the rotating 30-second code when the activity uses one) and
//! checks out; the server computes the minutes (clipped to the schedule, capped at its duration,
//! rounded by the deployment's `hours.rounding`). Forgotten check-outs are closed, flagged, once
//! past the end plus `checkout.grace_s` — lazily by any request touching the activity's
//! attendance, or explicitly. The organiser confirms or corrects (with a reason, audited) and the
//! minutes and points reach `wenming:ledger/ledger` in the same transaction; nobody confirms
//! their own. Volunteers self-report other service for approval. Records are JSON, masked CSV and
//! a printable page that says it is a platform record, not a certificate.
//!
//! Authentication and authorisation go through `wenming:identity/identity`; hours and points go
//! only through `wenming:ledger/ledger`, on this component's own connection (see [`ledger_tx`]).
//! Time is `kit::request_now` everywhere.
//!
//! Modules: one per transition — [`checkin`], [`checkout`], [`auto_close`], [`confirm`],
//! [`self_report`], [`records`], [`dynamic_code`] (with its pure TOTP code) — the pure rules
//! [`geo`] (haversine) and [`minutes`] (cap and rounding), and the plumbing (identity through `kit`),
//! [`attendances`], [`model`], [`settings`], [`input`], [`ledger_tx`].

pub mod attendances;
pub mod auto_close;
pub mod checkin;
pub mod checkout;
pub mod confirm;
pub mod dynamic_code;
pub mod geo;
pub mod input;
pub mod ledger_tx;
pub mod minutes;
pub mod model;
pub mod records;
pub mod self_report;
pub mod settings;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The method is checked (405 with `Allow`) before the session
/// (401), and the session before anything else.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let only = |allowed: &'static str| kit::allow_method(method, allowed).and_then(|()| kit::authenticate(req));
    match segments.as_slice() {
        // The scheduler's job: its own gate (the scheduler token), no session.
        ["jobs", "close-checkouts"] => kit::allow_method(method, "POST").and_then(|()| auto_close::job(req)),
        ["checkins"] => checkin::handle(req, &only("POST")?),
        ["checkouts"] => checkout::handle(req, &only("POST")?),
        ["attendances", "mine"] => attendances::mine(req, &only("GET")?),
        ["attendances", id] => {
            let p = only("GET")?;
            attendances::get(req, &p, input::path_id(id, "attendance")?)
        }
        ["attendances", id, "confirm"] => {
            let p = only("POST")?;
            confirm::handle(req, &p, input::path_id(id, "attendance")?)
        }
        ["self-reports"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => self_report::list(req, &p),
                _ => self_report::create(req, &p),
            }
        }
        ["self-reports", id] => {
            let p = only("GET")?;
            self_report::get(&p, input::path_id(id, "self-report")?)
        }
        ["self-reports", id, decision @ ("approve" | "reject")] => {
            let p = only("POST")?;
            self_report::decide(req, &p, input::path_id(id, "self-report")?, *decision == "approve")
        }
        ["records.csv"] => records::csv(req, &only("GET")?),
        ["activities", id, "dynamic-code"] => {
            let p = only("GET")?;
            dynamic_code::handle(req, &p, input::path_id(id, "activity")?)
        }
        ["activities", id, "attendances"] => {
            let p = only("GET")?;
            attendances::list(req, &p, input::path_id(id, "activity")?)
        }
        ["activities", id, "close-attendance"] => {
            let p = only("POST")?;
            auto_close::handle(req, &p, input::path_id(id, "activity")?)
        }
        ["volunteers", id, "record"] => {
            let p = only("GET")?;
            records::json_record(req, &p, input::path_id(id, "volunteer")?)
        }
        ["volunteers", id, "record.html"] => {
            let p = only("GET")?;
            records::html_record(req, &p, input::path_id(id, "volunteer")?)
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
