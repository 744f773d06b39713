//! Dispatch (中心派单 → 志愿者接单): the `dispatch` part of `docs/demand-api.md`.
//!
//! Staff with `dispatch-orders` work a queue of submitted orders in their subtree (priority
//! first, then the soonest deadline), ask for ranked team suggestions with the reason for each,
//! and route an order: dispatch it to one team, open it for grabbing by several, forward a
//! petition or dispute to a department, reject or cancel it. Team leaders (checked against
//! `teams.leader_account_id`) grab, accept, decline, assign volunteers, start and complete;
//! department handlers answer and close what was forwarded to them. Orders not accepted by their
//! deadline are escalated to the owning org's parent, lazily on any request here and by an
//! explicit sweep.
//!
//! Every status change goes through `demand_flow::transition` (the one state machine, with its
//! conditional update: of concurrent grabs exactly one wins); this component never writes
//! `demands.status` itself. Authentication and authorisation go through
//! `wenming:platform/identity`; notifications go only through `wenming:platform/notify`, and the
//! hours a completed order earns only through `wenming:platform/ledger` ([`service`]), both on
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

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/workflow-step",
    runtime_path: "spin_sdk::wit_bindgen::rt",
    with: { "spin:sqlite/sqlite@3.0.0": spin_sdk::wit::spin::sqlite::sqlite },
});

pub mod access;
pub mod act;
pub mod department;
pub mod escalate;
pub mod input;
pub mod notices;
pub mod order;
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

/// Path and method → handler. The path is matched first (404), then the method (405 with
/// `Allow`), then the session (401), so a probe learns nothing about sessions from a bad path.
fn route(req: &Request) -> Result<Response, ApiError> {
    let path = req.path().trim_end_matches('/');
    let rest = path.strip_prefix("/api/v1/dispatch/").ok_or_else(|| ApiError::NotFound("no such endpoint".into()))?;
    let segments: Vec<&str> = rest.split('/').collect();
    let method = req.method().to_string();
    let only = |allowed: &'static str| {
        if allowed == method {
            access::authenticate(req)
        } else {
            Err(ApiError::MethodNotAllowed(allowed))
        }
    };
    let demand = |id: &str| input::path_id(id, "order");
    match segments.as_slice() {
        ["queue"] => queue::list(req, &only("GET")?),
        ["escalate"] => escalate::handle(req, &only("POST")?),
        ["team-orders"] => team::list(req, &only("GET")?),
        ["department-items"] => department::list(req, &only("GET")?),
        // The contract writes these as `.../reply` and `.../close` under the departments
        // heading; both spellings reach the same handler.
        ["department-items", id, "reply"] | ["demands", id, "reply"] => {
            let p = only("POST")?;
            department::reply(req, &p, demand(id)?)
        }
        ["department-items", id, "close"] | ["demands", id, "close"] => {
            let p = only("POST")?;
            department::close(req, &p, demand(id)?)
        }
        ["demands", id] => {
            let p = only("GET")?;
            queue::detail(req, &p, demand(id)?)
        }
        ["demands", id, "suggestions"] => {
            let p = only("GET")?;
            suggest::handle(req, &p, demand(id)?)
        }
        ["demands", id, action] => {
            let id = demand(id)?;
            match *action {
                "dispatch" => route::dispatch(req, &only("POST")?, id),
                "open-for-grab" => route::open_for_grab(req, &only("POST")?, id),
                "forward" => route::forward(req, &only("POST")?, id),
                "reject" => route::reject(req, &only("POST")?, id),
                "cancel" => route::cancel(req, &only("POST")?, id),
                "grab" => team::grab(req, &only("POST")?, id),
                "accept" => team::accept(req, &only("POST")?, id),
                "decline" => team::decline(req, &only("POST")?, id),
                "assign" => team::assign(req, &only("POST")?, id),
                "start" => team::start(req, &only("POST")?, id),
                "complete" => team::complete(req, &only("POST")?, id),
                _ => Err(ApiError::NotFound("no such endpoint".into())),
            }
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
