//! The mediation webhook (诉前调解/人民调解 → 短信通知): `POST /hooks/mediation` receives a status
//! event of a mediation case from the court's or a township centre's platform, signed with a
//! shared secret. Each event is recorded once (its `event_id`; a retried delivery answers the
//! same and changes nothing), a case only moves forward (see [`status`]), and the parties are
//! told by SMS through `wenming:notify/notify` in neutral words — the case number and a status
//! label, no court name and no "调解", which SMS review refuses and which alarms people when the
//! court is not the sender. When the event names the case's handler (承办人员), they are told of
//! every status change too. Staff read cases in their scope with their timelines and the status
//! of every notice ([`cases`]). Contract: `docs/mediation.md`.

pub mod cases;
pub mod status;
pub mod webhook;

use kit::ApiError;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// The webhook (signed by the platform, no session), then staff's reading of cases (path, then
/// method, then session).
fn route(req: &Request) -> Result<Response, ApiError> {
    if req.path().trim_end_matches('/') == "/hooks/mediation" {
        return webhook::handle(req);
    }
    let segments = kit::api_segments(req)?;
    let only = |allowed: &'static str| kit::allow_method(req.method(), allowed).and_then(|()| kit::authenticate(req));
    match segments.as_slice() {
        ["mediation", "cases"] => cases::list(req, &only("GET")?),
        ["mediation", "cases", id] => {
            let p = only("GET")?;
            cases::detail(&p, kit::path_id(id, "case")?)
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
