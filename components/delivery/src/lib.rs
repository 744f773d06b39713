//! SMS delivery (短信下发): the outbox leaves the machine.
//!
//! - `POST /api/v1/jobs/deliver-outbox` — the periodic job (scheduler only, `kit::jobs`): sends
//!   every due `queued` SMS through the deployment's provider ([`run`]).
//! - `POST /send-now/{id}` — reached only by local service chaining (no public route leads
//!   here): `directory` asks for a sign-in code to go at once, after the code's commit. It runs
//!   the same claim as the job, so the two never send one message twice.
//! - `POST /hooks/sms/{tencent|aliyun}/{token}` — delivery receipts ([`receipts`]).
//! - `GET /api/v1/sms-templates`, `PUT /api/v1/sms-templates/{provider}/{kind}`,
//!   `GET /api/v1/outbox/summary` — staff ([`admin`]).
//!
//! Layout: [`sign`] (TC3 and ACS3 signatures, pure), [`provider`] (settings, the `SendSms`
//! requests and answers), [`classify`] (per-number codes → retry / permanent / alert),
//! [`queue`] (claims, outcomes, the at-most-once guarantee), [`run`], [`receipts`], [`admin`].

pub mod admin;
pub mod classify;
pub mod provider;
pub mod queue;
pub mod receipts;
pub mod run;
pub mod sign;
pub mod wechat;

use kit::ApiError;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

use crate::provider::Settings;

#[http_component]
async fn handle(req: Request) -> Response {
    route(&req).await.unwrap_or_else(ApiError::into_response)
}

fn settings() -> Result<Settings, ApiError> {
    Settings::load().map_err(|e| ApiError::Internal(format!("SMS settings: {e}")))
}

async fn route(req: &Request) -> Result<Response, ApiError> {
    let path = req.path().trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "v1", "jobs", "deliver-outbox"] => {
            kit::allow_method(req.method(), "POST")?;
            let now = kit::jobs::start(req)?;
            let limit = match kit::query_param(req, "limit") {
                None => run::MAX_BATCH,
                Some(text) => text
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=run::MAX_BATCH).contains(n))
                    .ok_or_else(|| ApiError::invalid("limit", format!("limit is 1 to {}", run::MAX_BATCH)))?,
            };
            let report = run::deliver(&settings()?, now, limit, None).await?;
            Ok(kit::json(200, &run::report_json(&report)))
        }
        ["send-now", id] if kit::is_chained(req) => {
            kit::allow_method(req.method(), "POST")?;
            let id = kit::path_id(id, "message")?;
            let report = run::deliver(&settings()?, kit::request_now(req), 1, Some(id)).await?;
            Ok(kit::json(200, &run::report_json(&report)))
        }
        ["api", "v1", "sms-templates"] => {
            kit::allow_method(req.method(), "GET")?;
            admin::list_templates(req)
        }
        ["api", "v1", "sms-templates", provider, kind] => {
            kit::allow_method(req.method(), "PUT")?;
            admin::put_template(req, provider, kind)
        }
        ["api", "v1", "outbox", "summary"] => {
            kit::allow_method(req.method(), "GET")?;
            admin::summary(req)
        }
        ["hooks", "sms", provider, token] => {
            kit::allow_method(req.method(), "POST")?;
            receipts::receive(req, provider, token)
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
