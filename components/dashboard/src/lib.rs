//! Statistics (数据统计) and the big-data screen (大屏): `docs/dashboard-api.md`.
//!
//! Every figure is over one org's subtree and a period of whole days in Asia/Shanghai, and is
//! read from the rollups of `migrations/0019_dashboard.sql` (`stat_daily`, `stat_team_daily`,
//! `stat_people`), which triggers keep in the same transaction as the writes they count and
//! which hold each event at its org *and every ancestor*. So a figure is a primary-key range of
//! at most one row per day, never a walk over check-ins or volunteers: O(days), not O(rows).
//! Check-ins, the peak write, are the exception: the scheduler folds them in
//! (`POST /api/v1/jobs/fold-checkins`, [`checkins`]) and the figures add the minute not yet folded.
//!
//! Modules: [`query`] (which org and which days a request asks for, and who may ask),
//! [`stats`] (the figures), [`checkins`] (the check-in tail and its fold), [`screen`] (read-only
//! screen links and the screen's one read).
//!
//! Staff need read-evaluations at the org (centre, institute and station admins, auditors): a
//! station admin sees the station only. A screen link reads aggregates of its org with the token
//! alone — no names, no phones.

pub mod checkins;
pub mod query;
pub mod screen;
pub mod stats;

use kit::ApiError;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(ApiError::into_response)
}

/// Path and method → handler: 404 for no such path, 405 with `Allow`, then 401 without a
/// session (except the screen's own read, which takes its token instead, and the job, which
/// takes the scheduler's).
fn route(req: &Request) -> Result<Response, ApiError> {
    let segments = kit::api_segments(req)?;
    let method = req.method();
    let only = |allowed: &'static str| kit::allow_method(method, allowed).and_then(|()| kit::authenticate(req));
    match segments.as_slice() {
        ["dashboard", "summary"] => stats::endpoint(req, &only("GET")?, stats::summary),
        ["dashboard", "series"] => stats::endpoint(req, &only("GET")?, stats::series),
        ["dashboard", "funnel"] => stats::endpoint(req, &only("GET")?, stats::funnel),
        ["dashboard", "rankings"] => stats::endpoint(req, &only("GET")?, stats::rankings),
        ["dashboard", "portrait"] => stats::endpoint(req, &only("GET")?, stats::portrait),
        ["dashboard", "categories"] => stats::endpoint(req, &only("GET")?, stats::categories),
        ["dashboard", "rates"] => stats::endpoint(req, &only("GET")?, stats::rates),
        ["dashboard", "live"] => stats::endpoint(req, &only("GET")?, stats::live),
        ["dashboard", "screen-links"] => {
            let p = only("GET, POST")?;
            if matches!(method, Method::Get) {
                screen::list(req, &p)
            } else {
                screen::create(req, &p)
            }
        }
        ["dashboard", "screen-links", id, "revoke"] => {
            screen::revoke(req, &only("POST")?, kit::path_id(id, "screen link")?)
        }
        ["jobs", "fold-checkins"] => kit::allow_method(method, "POST").and_then(|()| checkins::job(req)),
        ["screen", token] => {
            kit::allow_method(method, "GET")?;
            screen::read(req, token)
        }
        _ => Err(ApiError::NotFound("no such endpoint".into())),
    }
}
