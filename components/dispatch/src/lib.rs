//! Dispatch (中心派单 → 志愿者接单): the `dispatch` part of `docs/demand-api.md`.
//!
//! Staff with `dispatch-orders` work a queue of submitted orders in their subtree (priority
//! first, then the soonest deadline), ask for ranked team suggestions with the reason for each,
//! and route an order: dispatch it to one team, open it for grabbing by several, forward a
//! petition or dispute to a department, reject or cancel it. Team leaders (`kit::leads_team`)
//! grab, accept, decline, assign volunteers, start and complete; department handlers answer and
//! close what was forwarded to them. Orders not accepted by their deadline are escalated to the
//! owning org's parent, lazily on any request here and by an explicit sweep.
//!
//! Every status change goes through `demand_flow::transition` (the one state machine, with its
//! conditional update: of concurrent grabs exactly one wins); this component never writes
//! `demands.status` itself. Authentication and authorisation go through
//! `wenming:identity/identity`; notifications go only through `wenming:notify/notify`, and the
//! hours a completed order earns only through `wenming:ledger/ledger` ([`service`]), both on
//! this component's own connection inside the transition's transaction, so a message is queued
//! and hours are credited if and only if the transition commits. Time is `kit::request_now`
//! everywhere.
//!
//! Modules, one per family of transitions: [`queue`] (the queue and the detail view),
//! [`suggest`] (team ranking, with its pure scoring), [`route`] (dispatch, open-for-grab,
//! forward, reject, cancel), [`team`] (grab, accept, decline, assign, start, complete),
//! [`department`] (items, reply, close), [`escalate`] (lazy and explicit); and the plumbing
//! [`access`] (who may do what to an order), [`order`] (loading and the order JSON), [`act`]
//! (the shape every write shares), [`notices`] (the notify wrapper), [`input`] (fields, ids,
//! times).

pub mod access;
pub mod act;
pub mod department;
pub mod escalate;
pub mod input;
pub mod notices;
pub mod order;
pub mod orders;
pub mod queue;
pub mod route;
pub mod service;
pub mod suggest;
pub mod team;

use kit::ApiError;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler, in the order every component routes: the path (404), then the
/// method (405 with `Allow`), then the session (401), then the id in the path — so a probe learns
/// nothing about sessions from a bad path.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let only = |allowed: &'static str| kit::allow_method(method, allowed).and_then(|()| kit::authenticate(req));
    let demand = |id: &str| input::path_id(id, "order");
    match segments.as_slice() {
        // The scheduler's job: its own gate (the scheduler token), no session.
        ["jobs", "escalate-orders"] => kit::allow_method(method, "POST").and_then(|()| escalate::job(req)),
        ["dispatch", "queue"] => queue::list(req, &only("GET")?),
        ["dispatch", "orders"] => orders::list(req, &only("GET")?),
        ["dispatch", "escalate"] => escalate::handle(req, &only("POST")?),
        ["dispatch", "team-orders"] => team::list(req, &only("GET")?),
        ["dispatch", "department-items"] => department::list(req, &only("GET")?),
        // The contract writes these as `.../reply` and `.../close` under the departments
        // heading; both spellings reach the same handler.
        ["dispatch", "department-items", id, "reply"] | ["dispatch", "demands", id, "reply"] => {
            department::reply(req, &only("POST")?, demand(id)?)
        }
        ["dispatch", "department-items", id, "close"] | ["dispatch", "demands", id, "close"] => {
            department::close(req, &only("POST")?, demand(id)?)
        }
        ["dispatch", "demands", id] => queue::detail(req, &only("GET")?, demand(id)?),
        ["dispatch", "demands", id, "suggestions"] => suggest::handle(req, &only("GET")?, demand(id)?),
        ["dispatch", "demands", id, "dispatch"] => route::dispatch(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "open-for-grab"] => route::open_for_grab(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "forward"] => route::forward(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "reject"] => route::reject(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "cancel"] => route::cancel(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "grab"] => team::grab(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "accept"] => team::accept(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "decline"] => team::decline(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "assign"] => team::assign(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "start"] => team::start(req, &only("POST")?, demand(id)?),
        ["dispatch", "demands", id, "complete"] => team::complete(req, &only("POST")?, demand(id)?),
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
