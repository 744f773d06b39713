//! Demand orders (群众点单): the `demand` part of `docs/demand-api.md` — the service menu, and
//! the citizen's side of an order.
//!
//! A centre keeps a service menu (服务菜单) of welfare services, petitions and disputes, each
//! with how fast an order must be accepted per urgency. A citizen orders from it for themself,
//! or staff order on a citizen's behalf (finding or creating the citizen's account); the order
//! is graded (priority and deadline from the urgency), a near-duplicate of a still-open order is
//! refused with the existing order's id, and it enters the queue `submitted`. The citizen follows
//! their orders and their timelines (staff shown by role), cancels before a team accepts, rates a
//! completed order (closing it) or reopens it. A completed order left unrated closes by itself
//! after `demand.auto_close_s` — lazily whenever a request here touches it, and by an explicit
//! sweep for staff. Dispatching, the team's side and departments are the `dispatch` component.
//!
//! Every status change goes through `demand_flow::transition` (and the first timeline entry
//! through `demand_flow::record`): this component never writes `demands.status` itself.
//! Authentication and authorisation go through `wenming:identity/identity`; messages to citizens
//! only through `wenming:notify/notify`, inside the transaction of the change they report.
//! Time is `kit::request_now` everywhere.
//!
//! Modules: one per resource or transition — [`menu`], [`place`] (ordering), [`views`] (mine,
//! detail), [`timeline`], [`cancel`], [`rate`], [`reopen`], [`auto_close`] — and the plumbing
//! (identity through `kit`), [`order`] (loading, the order JSON, who may see it), [`citizens`]
//! (find or create the citizen), [`notices`] (the notify wrapper), [`settings`], [`input`].

pub mod auto_close;
pub mod cancel;
pub mod citizens;
pub mod input;
pub mod menu;
pub mod notices;
pub mod order;
pub mod place;
pub mod rate;
pub mod reopen;
pub mod settings;
pub mod timeline;
pub mod views;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The path is matched first (404), then the method (405 with
/// `Allow`), then the session (401), so a probe learns nothing about sessions from a bad path.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let only = |allowed: &'static str| kit::allow_method(method, allowed).and_then(|()| kit::authenticate(req));
    let order_id = |id: &str| input::path_id(id, "order");
    match segments.as_slice() {
        // The scheduler's job: its own gate (the scheduler token), no session.
        ["jobs", "auto-close-orders"] => kit::allow_method(method, "POST").and_then(|()| auto_close::job(req)),
        ["service-menu"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => menu::list(req, &p),
                _ => menu::create(req, &p),
            }
        }
        ["service-menu", id] => {
            let p = only("GET, PATCH")?;
            let id = input::path_id(id, "service menu item")?;
            match method {
                Method::Get => menu::get(id),
                _ => menu::update(req, &p, id),
            }
        }
        ["demands"] => place::handle(req, &only("POST")?),
        ["demands", "mine"] => views::mine(req, &only("GET")?),
        ["demands", "auto-close"] => auto_close::handle(req, &only("POST")?),
        ["demands", id] => {
            let p = only("GET")?;
            let id = order_id(id)?;
            views::detail(req, &p, id)
        }
        ["demands", id, "timeline"] => {
            let p = only("GET")?;
            let id = order_id(id)?;
            timeline::handle(req, &p, id)
        }
        ["demands", id, "cancel"] => {
            let p = only("POST")?;
            let id = order_id(id)?;
            cancel::handle(req, &p, id)
        }
        ["demands", id, "rate"] => {
            let p = only("POST")?;
            let id = order_id(id)?;
            rate::handle(req, &p, id)
        }
        ["demands", id, "reopen"] => {
            let p = only("POST")?;
            let id = order_id(id)?;
            reopen::handle(req, &p, id)
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
