//! Needs surveys (需求调查): `docs/survey-api.md`. "每一项活动都问需于民" — a centre, institute or
//! station asks the people of its subtree what they need, watches the answers arrive, and
//! follows each need to the work it caused.
//!
//! What a valid questionnaire and a valid submission are is `survey-model`'s (pure, shared with
//! the demo seeding); this component stores, scopes and counts. A survey goes draft → published
//! → closed; a published one past its closing time counts as closed without anyone writing it.
//! One response per person (and per household when asked) is held by primary keys, not by a
//! read-then-write check. Authentication and authorisation go through
//! `wenming:identity/identity`; time is `kit::request_now`.
//!
//! Modules: [`surveys`] (create, edit, publish, close, list, detail), [`respond`] (the public
//! form, submitting), [`results`] (counts, averages, texts, CSV), [`links`] (need → work), and
//! the plumbing [`survey`] (loading and the JSON) and [`input`]; identity through `kit`.

pub mod input;
pub mod links;
pub mod respond;
pub mod results;
pub mod survey;
pub mod surveys;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler. The path is matched first (404), then the method (405 with
/// `Allow`), then the session (401). The form is the one endpoint without a session: it is
/// what a phone opens from a WeChat menu before anyone signs in.
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let allow = |allowed: &'static str| kit::allow_method(method, allowed);
    let only = |allowed: &'static str| allow(allowed).and_then(|()| kit::authenticate(req));
    let survey_id = |id: &str| input::path_id(id, "survey");
    match segments.as_slice() {
        // The scheduler's job: its own gate (the scheduler token), no session.
        ["jobs", "survey-windows"] => kit::allow_method(method, "POST").and_then(|()| surveys::job(req)),
        ["surveys"] => {
            let p = only("GET, POST")?;
            match method {
                Method::Get => surveys::list(req, &p),
                _ => surveys::create(req, &p),
            }
        }
        ["surveys", id] => {
            let p = only("GET, PUT")?;
            let id = survey_id(id)?;
            match method {
                Method::Get => surveys::detail(req, &p, id),
                _ => surveys::update(req, &p, id),
            }
        }
        ["surveys", id, "publish"] => surveys::publish(req, &only("POST")?, survey_id(id)?),
        ["surveys", id, "close"] => surveys::close(req, &only("POST")?, survey_id(id)?),
        ["surveys", id, "form"] => {
            allow("GET")?;
            let id = survey_id(id)?;
            respond::form(req, id)
        }
        ["surveys", id, "responses"] => respond::submit(req, &only("POST")?, survey_id(id)?),
        ["surveys", id, "responses.csv"] => results::csv(req, &only("GET")?, survey_id(id)?),
        ["surveys", id, "results"] => results::summary(req, &only("GET")?, survey_id(id)?),
        ["surveys", id, "results", "texts"] => results::texts(req, &only("GET")?, survey_id(id)?),
        ["surveys", id, "links"] => {
            let p = only("GET, POST")?;
            let id = survey_id(id)?;
            match method {
                Method::Get => links::list(req, &p, id),
                _ => links::create(req, &p, id),
            }
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
