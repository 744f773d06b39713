//! Volunteers (志愿者), service teams (服务队伍) and their membership, and volunteer organisations
//! (志愿组织): the `volunteers` part of `docs/directory-api.md`.
//!
//! Every request is authenticated and authorised through `wenming:identity/identity` (imported,
//! composed in by the edge); this component holds no permission table of its own. Lists are
//! scoped with `identity::scopes` and one indexed path range per scope (`kit::Scope` over
//! `orgs.path`); a resource outside the caller's scope is 404. Phone and ID numbers are masked in
//! every list and export and shown whole only to the volunteer themself and to
//! `read-volunteers-unmasked` at their home org. Writes validate everything first, then run in
//! one transaction with their audit row (`kit::audit`, personal data masked); retryable creates
//! honour `Idempotency-Key` (`kit::idempotent`).
//!
//! Modules: [`volunteers`], [`teams`], [`organisations`] (one per resource), [`access`] (identity and scope), [`input`] (bodies,
//! times, CSV).

pub mod access;
pub mod input;
pub mod organisations;
pub mod teams;
pub mod volunteers;

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
        ["volunteers"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => volunteers::list(req, &p),
                _ => volunteers::register(req, &p),
            }
        }
        ["volunteers", "export.csv"] => volunteers::export(req, &only("GET")?),
        ["volunteers", "mine"] => volunteers::mine(&only("GET")?),
        ["volunteers", id] => {
            let p = only("GET, PATCH")?;
            let id = input::path_id(id, "volunteer")?;
            match method {
                Method::Get => volunteers::get(&p, id),
                _ => volunteers::update(req, &p, id),
            }
        }
        ["teams"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => teams::list(req, &p),
                _ => teams::create(req, &p),
            }
        }
        ["teams", "joinable"] => teams::joinable(req, &only("GET")?),
        ["teams", id] => {
            let p = only("GET")?;
            teams::get(&p, input::path_id(id, "team")?)
        }
        ["teams", id, "members"] => {
            let p = only("GET, POST, DELETE")?;
            let id = input::path_id(id, "team")?;
            match method {
                Method::Get => teams::members(req, &p, id),
                Method::Delete => teams::withdraw(req, &p, id),
                _ => teams::join(req, &p, id),
            }
        }
        ["teams", id, "members", volunteer_id, decision @ ("approve" | "reject")] => {
            let p = only("POST")?;
            let id = input::path_id(id, "team")?;
            let volunteer_id = input::path_id(volunteer_id, "membership request")?;
            teams::decide(req, &p, id, volunteer_id, *decision == "approve")
        }
        ["organisations"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => organisations::list(req, &p),
                _ => organisations::apply(req, &p),
            }
        }
        ["organisations", id] => {
            let p = only("GET")?;
            organisations::get(&p, input::path_id(id, "organisation")?)
        }
        ["organisations", id, decision @ ("approve" | "reject")] => {
            let p = only("POST")?;
            organisations::decide(req, &p, input::path_id(id, "organisation")?, *decision == "approve")
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
