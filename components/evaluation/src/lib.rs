//! Evaluation (群众评单, 三级评估, 以评促建): `docs/evaluation-api.md`. People rate what was done
//! for them; institutes and stations are evaluated from the level above by published schemes;
//! an index computed from what the platform already recorded ranks siblings, every number shown
//! with the inputs it came from.
//!
//! The arithmetic is pure and tested apart in [`model`] (rating points and rates, periods in
//! +08:00, scheme checks and totals, thematic results, indicator scores, the index, ranking
//! order); the other modules gather inputs with SQL and store what people decide. "Once per
//! rater" rules are UNIQUE constraints, not read-then-write checks. Authentication and
//! authorisation go through `wenming:identity/identity`; time is `kit::request_now`.
//!
//! Modules: [`ratings`] (rate an activity or project, list, summaries), [`rateable`] (what the
//! caller may rate, with their ratings), [`projects`]
//! (志愿服务项目), [`schemes`] (work and thematic schemes, raters, results), [`work`] (work
//! evaluations), [`thematic`] (thematic grades), [`index`] (index, rankings, settings), and the
//! plumbing [`access`], [`input`].

pub mod access;
pub mod index;
pub mod input;
pub mod model;
pub mod projects;
pub mod rateable;
pub mod ratings;
pub mod schemes;
pub mod thematic;
pub mod work;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The path is matched first (404), then the method (405 with
/// `Allow`), then the session (401). Every endpoint needs a session.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let only = |allowed: &'static str| kit::allow_method(method, allowed).and_then(|()| kit::authenticate(req));
    let get = matches!(method, Method::Get);
    match segments.as_slice() {
        ["ratings"] => {
            let p = only("GET, POST")?;
            if get {
                ratings::list(req, &p)
            } else {
                ratings::rate(req, &p)
            }
        }
        ["ratings", "rateable"] => rateable::list(req, &only("GET")?),
        ["ratings", "summary"] => ratings::summary(req, &only("GET")?),
        ["projects"] => {
            let p = only("GET, POST")?;
            if get {
                projects::list(req, &p)
            } else {
                projects::create(req, &p)
            }
        }
        ["projects", id] => projects::detail(req, &only("GET")?, input::path_id(id, "project")?),
        ["evaluation", "schemes"] => {
            let p = only("GET, POST")?;
            if get {
                schemes::list(req, &p)
            } else {
                schemes::create(req, &p)
            }
        }
        ["evaluation", "schemes", id] => schemes::detail(req, &only("GET")?, input::path_id(id, "scheme")?),
        ["evaluation", "schemes", id, "raters"] => {
            let p = only("GET, POST")?;
            let id = input::path_id(id, "scheme")?;
            if get {
                schemes::raters(req, &p, id)
            } else {
                schemes::register_rater(req, &p, id)
            }
        }
        ["evaluation", "schemes", id, "results"] => schemes::results(req, &only("GET")?, input::path_id(id, "scheme")?),
        ["evaluation", "work-evaluations"] => {
            let p = only("GET, POST")?;
            if get {
                work::list(req, &p)
            } else {
                work::create(req, &p)
            }
        }
        ["evaluation", "work-evaluations", id] => work::detail(req, &only("GET")?, input::path_id(id, "evaluation")?),
        ["evaluation", "thematic-grades"] => thematic::grade(req, &only("POST")?),
        ["evaluation", "index"] => index::one(req, &only("GET")?),
        ["evaluation", "rankings"] => index::rankings(req, &only("GET")?),
        ["evaluation", "settings"] => {
            let p = only("GET, PUT")?;
            if get {
                index::get_settings(req, &p)
            } else {
                index::put_settings(req, &p)
            }
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
