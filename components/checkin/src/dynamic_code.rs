//! The rotating check-in code (动态签到码) for activities approved with `dynamic_code`: the
//! organiser's screen shows a 6-digit code that changes every 30 seconds, so a photo of the
//! activity code alone is not enough to check in from elsewhere.
//!
//! The code for window `w = floor(now / 30)` is HMAC-SHA256 keyed with the activity's
//! `dynamic_secret` (its UTF-8 text as the key bytes) over `w` as 8 big-endian bytes, reduced to
//! 6 digits by RFC 4226 dynamic truncation — TOTP (RFC 6238) with SHA-256 and a 30 s step.
//! Check-in accepts the current and the previous window, so a code read just before it rolls
//! over still works. Generation and verification both live here.
//!
//! `GET /api/v1/activities/{id}/dynamic-code` (managers, and the organiser on site: the applicant
//! or the hosting team's leader) → `{"code", "valid_for_s"}`. The `activity` component sets the
//! secret on approval; an activity approved without one gets one on first display.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use kit::{ApiError, Db};
use serde_json::json;
use sha2::Sha256;
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::model::{self, Activity};
use kit::identity::Principal;

/// Seconds each code is shown for.
pub const PERIOD_S: i64 = 30;

/// The window `now` falls in.
pub fn window(now: i64) -> i64 {
    now.div_euclid(PERIOD_S)
}

/// Seconds until the code shown at `now` changes (1–30).
pub fn valid_for_s(now: i64) -> i64 {
    PERIOD_S - now.rem_euclid(PERIOD_S)
}

/// The 6-digit code of `window` under `secret`.
pub fn code_for_window(secret: &[u8], window: i64) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&(window as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The code to show at `now`.
pub fn current(secret: &[u8], now: i64) -> String {
    code_for_window(secret, window(now))
}

/// Whether `given` is the code of the current or the previous window at `now`.
pub fn accepts(secret: &[u8], now: i64, given: &str) -> bool {
    let w = window(now);
    // Both compared, in time independent of where they differ.
    [w, w - 1].iter().fold(false, |ok, w| ok | same(&code_for_window(secret, *w), given))
}

fn same(a: &str, b: &str) -> bool {
    // `subtle`'s comparison: unequal lengths are false without looking at the bytes.
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// The body's `dynamic_code` as 6 digits: a string, or a number (leading zeros restored).
pub fn normalise(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => {
            let s = s.trim();
            (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
        }
        serde_json::Value::Number(n) => n.as_u64().filter(|n| *n < 1_000_000).map(|n| format!("{n:06}")),
        _ => None,
    }
}

/// The throttle counter rotating-code attempts are kept in (`kit::throttle`), per activity and
/// volunteer.
const ATTEMPTS: &str = "checkin_code";

fn attempt_key(activity_id: i64, volunteer_id: i64) -> String {
    format!("{activity_id}:{volunteer_id}")
}

/// Reserves one attempt at `activity_id`'s rotating code for `volunteer_id` before the code is
/// compared: at most `limit` attempts per window of `window_s` seconds, the window starting at the
/// first attempt after the previous one ended. `kit::throttle::count` counts and checks in one
/// conditional upsert, so concurrent guesses cannot all pass a limit they read before it was
/// reached. Used up → 429 with `Retry-After` until the window ends, whatever the code sent — a
/// right code among the guesses is not told apart.
pub fn reserve_attempt(
    db: &Db,
    activity_id: i64,
    volunteer_id: i64,
    now: i64,
    limit: i64,
    window_s: i64,
) -> Result<(), ApiError> {
    let key = attempt_key(activity_id, volunteer_id);
    match kit::throttle::count(db, ATTEMPTS, &key, limit, window_s, now)? {
        None => Ok(()),
        Some(retry_after) => Err(ApiError::Throttled {
            retry_after,
            message: format!(
                "too many wrong rotating codes for this activity; try again in {retry_after} s with the code shown now"
            ),
        }),
    }
}

/// Gives back the attempt [`reserve_attempt`] took when the code was right: only wrong codes
/// count against the limit.
pub fn refund_attempt(db: &Db, activity_id: i64, volunteer_id: i64) -> Result<(), ApiError> {
    kit::throttle::refund(db, ATTEMPTS, &attempt_key(activity_id, volunteer_id))
}

/// `act`'s secret, created (32 random bytes, hex) if the activity has none yet. Two concurrent
/// first displays agree: only the first write lands, and both read it back.
fn ensure_secret(db: &Db, act: &Activity) -> Result<String, ApiError> {
    if let Some(secret) = &act.dynamic_secret {
        return Ok(secret.clone());
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    db.exec(
        "UPDATE activities SET dynamic_secret = ? WHERE id = ? AND dynamic_secret IS NULL",
        &[Value::Text(hex::encode(bytes)), Value::Integer(act.id)],
    )?;
    db.query_one("SELECT dynamic_secret FROM activities WHERE id = ?", &[Value::Integer(act.id)])?
        .and_then(|r| r.opt_str("dynamic_secret").transpose())
        .transpose()?
        .ok_or_else(|| ApiError::Internal("dynamic secret vanished".into()))
}

/// `GET /api/v1/activities/{id}/dynamic-code`.
pub fn handle(req: &Request, p: &Principal, activity_id: i64) -> Result<Response, ApiError> {
    let now = kit::request_now(req);
    let db = Db::open()?;
    let act = Activity::by_id(&db, activity_id)?.ok_or_else(|| ApiError::NotFound("no such activity".into()))?;
    model::require_manager(&db, p, &act, true)?;
    if !act.dynamic_code {
        return Err(ApiError::conflict("wrong_state", "this activity does not use a rotating check-in code"));
    }
    if act.status != "approved" {
        return Err(ApiError::conflict("wrong_state", format!("the activity is {}, not approved", act.status)));
    }
    let secret = ensure_secret(&db, &act)?;
    let body = json!({
        "activity_id": act.id,
        "code": current(secret.as_bytes(), now),
        "valid_for_s": valid_for_s(now),
    });
    // kit's JSON answer (nosniff included), kept out of every cache: the code is a secret of
    // the venue for its 30 seconds.
    let mut resp = kit::json(200, &body);
    resp.set_header("cache-control", "no-store");
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-256 (32-byte key): T = 59 s → 46119246, T = 1111111109 →
    // 68084774, T = 2000000000 → 90698825 (8 digits; the last 6 are ours).
    const RFC_KEY: &[u8] = b"12345678901234567890123456789012";

    #[test]
    fn matches_the_rfc_6238_sha256_vectors() {
        assert_eq!(current(RFC_KEY, 59), "119246");
        assert_eq!(current(RFC_KEY, 1_111_111_109), "084774");
        assert_eq!(current(RFC_KEY, 2_000_000_000), "698825");
    }

    #[test]
    fn the_current_and_previous_windows_are_accepted() {
        let secret = b"activity secret";
        let now = 1_780_000_015;
        let this = current(secret, now);
        let previous = current(secret, now - PERIOD_S);
        let next = current(secret, now + PERIOD_S);
        let older = current(secret, now - 2 * PERIOD_S);
        assert!(accepts(secret, now, &this));
        assert!(accepts(secret, now, &previous));
        assert!(this != next && !accepts(secret, now, &next) || next == previous);
        assert!(!accepts(secret, now, &older) || older == this || older == previous);
        assert!(!accepts(b"another secret", now, &this) || current(b"another secret", now) == this);
        assert!(!accepts(secret, now, ""));
        assert!(!accepts(secret, now, "12345"));
    }

    #[test]
    fn codes_roll_over_on_the_30_second_boundary() {
        assert_eq!(window(29), 0);
        assert_eq!(window(30), 1);
        assert_eq!(valid_for_s(30), 30);
        assert_eq!(valid_for_s(59), 1);
        assert_eq!(current(b"k", 30), current(b"k", 59));
    }

    #[test]
    fn body_values_are_normalised() {
        assert_eq!(normalise(&json!("012345")), Some("012345".into()));
        assert_eq!(normalise(&json!(12345)), Some("012345".into()));
        assert_eq!(normalise(&json!(" 654321 ")), Some("654321".into()));
        for bad in
            [json!("12345"), json!("1234567"), json!("12a456"), json!(1_000_000), json!(-1), json!(1.5), json!(true)]
        {
            assert_eq!(normalise(&bad), None, "{bad}");
        }
    }
}
