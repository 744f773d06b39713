//! The request's clock. Time windows, deadlines and automatic check-outs are tested by moving
//! time, so a request may carry `X-Wenming-Now: <unix seconds>` — honoured only when the
//! deployment sets the variable `allow_clock_override` to `true` (tests do; the product manifest
//! defaults it to `false`, where the header is ignored).

use spin_sdk::http::Request;

/// Now for this request, in unix seconds (UTC).
pub fn request_now(req: &Request) -> i64 {
    let allowed = spin_sdk::variables::get("allow_clock_override").is_ok_and(|v| v == "true");
    if allowed {
        if let Some(t) = req.header("x-wenming-now").and_then(|h| h.as_str()).and_then(|s| s.trim().parse::<i64>().ok())
        {
            return t;
        }
    }
    crate::now()
}
