//! Sign-in, sessions and SMS codes against the shared database.
//!
//! Refusals that must still change the database (a failed password counted, a wrong code's
//! attempt recorded) are returned *inside* `Ok` from a transaction, so it commits; `Err` from a
//! transaction always rolls back.

use kit::throttle::{self, Budget};
use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

use crate::attempts::{self, Reservation};
use crate::bindings::{Error, Grant, IssuedCode, Principal, Role, Session};
use crate::rules::{Rules, SIGN_INS, SIGN_IN_BUDGET, SMS_CODES, SMS_CODE_BUDGET};
use crate::secrets;

/// How long a session lasts: one working day, so a shared office PC is not signed in overnight.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// How long an SMS code is valid.
pub const CODE_SECONDS: i64 = 5 * 60;
/// Minimum gap between two codes to one phone (SMS costs money, and floods annoy).
pub const CODE_INTERVAL_SECONDS: i64 = 60;
/// Codes per phone in any 24 hours.
pub const CODES_PER_DAY: i64 = 10;
/// Wrong guesses that burn a code: 5 in 1,000,000 keeps guessing hopeless.
pub const CODE_ATTEMPTS: i64 = 5;

const DAY_SECONDS: i64 = 24 * 3600;
/// One message for an unknown phone, a staff account without a password and a wrong password,
/// so the answer does not tell which phones have accounts.
const WRONG_PASSWORD: &str = "phone or password is wrong";
const WRONG_CODE: &str = "the code is wrong, used or expired; request a new one";
const NO_SESSION: &str = "sign in first: the session is missing, expired or revoked";

/// A well-formed argon2id hash (default parameters) that no known password matches: verified
/// against when the phone has no account or no password, so those answers take as long as a
/// wrong password does and timing does not tell which phones have accounts.
const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$eEhzUVl6MUl3b2RwRWZZTg$PBhtLuwhF5r3u3KkwO6s+CBVKM+FpZ4jRGMpOnj7H7I";

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn check_phone(phone: &str) -> Result<(), Error> {
    if kit::valid_phone(phone) {
        Ok(())
    } else {
        Err(Error::Invalid(("phone".into(), "must be an 11-digit mainland mobile number, e.g. 13812345678".into())))
    }
}

/// A stored role name as the interface's role. `domain::Role` is the one table of names; this
/// component exports its own copy of the WIT enum, whose cases correspond one to one (the match
/// is exhaustive, so a role added to the domain fails to compile here until the WIT has it).
fn parse_role(name: &str) -> Option<Role> {
    use domain::Role as R;
    Some(match R::parse(name).ok()? {
        R::CentreAdmin => Role::CentreAdmin,
        R::InstituteAdmin => Role::InstituteAdmin,
        R::StationAdmin => Role::StationAdmin,
        R::TeamLeader => Role::TeamLeader,
        R::Volunteer => Role::Volunteer,
        R::Citizen => Role::Citizen,
        R::DepartmentHandler => Role::DepartmentHandler,
        R::Auditor => Role::Auditor,
    })
}

/// The account and its grants at active orgs (a deactivated org's roles lapse with it).
fn load_principal(db: &Db, account_id: i64, name: String) -> Result<Principal, ApiError> {
    let rows = db.query(
        "SELECT g.role, g.org_id, o.path FROM role_grants g JOIN orgs o ON o.id = g.org_id
         WHERE g.account_id = ? AND o.active = 1 ORDER BY g.id",
        &[Value::Integer(account_id)],
    )?;
    let grants = rows
        .iter()
        .map(|r| {
            let role = r.str("role")?;
            Ok(Grant {
                role: parse_role(&role).ok_or_else(|| ApiError::Internal(format!("unknown role {role:?}")))?,
                org_id: r.i64("org_id")?,
                org_path: r.str("path")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Principal { account_id, name, grants })
}

pub fn authenticate(db: &Db, bearer: &str) -> Result<Principal, Error> {
    if bearer.is_empty() {
        return Err(Error::Unauthenticated(NO_SESSION.into()));
    }
    let row = db.query_one(
        "SELECT a.id, a.name FROM sessions s JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.active = 1",
        &[text(&secrets::sha256_hex(bearer)), Value::Integer(kit::now())],
    )?;
    let Some(row) = row else {
        return Err(Error::Unauthenticated(NO_SESSION.into()));
    };
    Ok(load_principal(db, row.i64("id")?, row.str("name")?)?)
}

/// Stores a session for `token` (only its hash) and returns it with the principal.
fn start_session(db: &Db, account_id: i64, name: String, token: String) -> Result<Session, ApiError> {
    let now = kit::now();
    let expires_at = now + SESSION_SECONDS;
    db.exec(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        &[
            text(&secrets::sha256_hex(&token)),
            Value::Integer(account_id),
            Value::Integer(now),
            Value::Integer(expires_at),
        ],
    )?;
    let principal = load_principal(db, account_id, name)?;
    Ok(Session { token, expires_at, principal })
}

fn seconds_left(until: i64, now: i64) -> u64 {
    (until - now).max(1) as u64
}

/// Password sign-in in three steps: reserve (refuse if this client is locked out or the
/// account-wide delay has not passed; else take a password-check slot and count the attempt as a
/// failure, in one write transaction: `attempts::reserve`), verify with argon2 outside any
/// transaction (it is deliberately slow, and the write lock must not be held while it runs),
/// settle (give the slot back; a success clears this client's count and the account-wide delay,
/// a failure stays counted). While refused every attempt, right password or wrong, gets the same
/// 429 before any check, so the answer does not tell which guess was right. When every slot is
/// taken the sign-in waits for one, briefly, then answers 503 with nothing counted.
pub fn sign_in_password(db: &Db, phone: &str, password: &str, client: &str) -> Result<Session, Error> {
    let wrong = || Error::Unauthenticated(WRONG_PASSWORD.into());
    let rules = Rules::load(db)?;
    let (account, slot) = reserve_waiting(db, &rules, phone, client)?;
    let checked = check_password(account.as_ref(), password);
    // Given back whatever the check found, before anything else can fail.
    attempts::release(db, slot);
    let matches = checked?;
    let Some(account) = account else {
        return Err(wrong());
    };
    if !matches || account.i64("active")? != 1 {
        // Already counted when it was reserved.
        return Err(wrong());
    }
    let id = account.i64("id")?;
    let token = secrets::new_token()?;
    Ok(db.transaction(|db| {
        attempts::clear_failures(db, id, client)?;
        start_session(db, id, account.str("name")?, token)
    })?)
}

/// Whether `password` is `account`'s. No account, or one without a password, is checked against
/// the dummy hash: as slow as a real check, so timing does not tell which phones have accounts.
fn check_password(account: Option<&kit::Row>, password: &str) -> Result<bool, ApiError> {
    match account.map(|a| a.opt_str("password_hash")).transpose()?.flatten() {
        Some(phc) => Ok(secrets::verify_password(password, &phc)),
        None => {
            secrets::verify_password(password, DUMMY_PHC);
            Ok(false)
        }
    }
}

/// Reserves the attempt, waiting for a password-check slot up to `argon2_wait_ms`: a flood
/// queues here instead of piling argon2 runs onto the cores, then gets 503 with nothing counted.
/// While waiting it only reads (50–100 ms apart, jittered so waiters do not come back at once);
/// the write transaction is tried again only when a slot has come free.
fn reserve_waiting(
    db: &Db,
    rules: &Rules,
    phone: &str,
    client: &str,
) -> Result<(Option<kit::Row>, attempts::Slot), Error> {
    let started = std::time::Instant::now();
    loop {
        match db.transaction(|db| attempts::reserve(db, rules, phone, client, kit::now()))? {
            Reservation::Reserved(account, slot) => return Ok((account, slot)),
            Reservation::Locked(seconds) => return Err(Error::Locked(seconds)),
            Reservation::NoSlot => {}
        }
        loop {
            let waited = started.elapsed().as_millis() as i64;
            if waited >= rules.argon2_wait_ms {
                return Err(Error::Busy(1));
            }
            let jitter = u64::from(secrets::random_bytes::<1>()?[0]) % 50;
            let pause = (50 + jitter).min((rules.argon2_wait_ms - waited) as u64);
            std::thread::sleep(std::time::Duration::from_millis(pause));
            if attempts::slot_free(db, rules, kit::now())? {
                break;
            }
        }
    }
}

/// Issues a code for `phone` within the per-phone limits and `client`'s and everyone's budget
/// (`throttle.sms_codes.*`), on the caller's connection and inside its transaction (which makes
/// "count, then insert" exact); the caller queues the code through notify in that same
/// transaction. Every refusal is an error, so the caller rolls back whatever was counted.
pub fn request_sign_in_code(db: &Db, phone: &str, client: &str) -> Result<IssuedCode, Error> {
    check_phone(phone)?;
    let code = secrets::new_code()?;
    let now = kit::now();
    let budget = Budget::load(db, SMS_CODES, SMS_CODE_BUDGET)?;
    throttle::take(db, SMS_CODES, client, &budget, now)?;
    let recent = db
        .query_one(
            "SELECT COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last
             FROM sms_codes WHERE phone = ? AND created_at > ?",
            &[text(phone), Value::Integer(now - DAY_SECONDS)],
        )?
        .ok_or_else(|| ApiError::Internal("COUNT returned no row".into()))?;
    if let Some(last) = recent.opt_i64("last")? {
        if now - last < CODE_INTERVAL_SECONDS {
            return Err(Error::Throttled(seconds_left(last + CODE_INTERVAL_SECONDS, now)));
        }
    }
    if recent.i64("n")? >= CODES_PER_DAY {
        let first = recent.i64("first")?;
        return Err(Error::Throttled(seconds_left(first + DAY_SECONDS, now)));
    }
    let id = db.insert(
        "INSERT INTO sms_codes (phone, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
        &[
            text(phone),
            text(&secrets::sha256_hex(&format!("{phone}:{code}"))),
            Value::Integer(now),
            Value::Integer(now + CODE_SECONDS),
        ],
    )?;
    Ok(IssuedCode { id, code })
}

/// Sign-in with an SMS code, counted against the sign-in budget (`throttle.sign_ins.*`) in the
/// same transaction that records a wrong guess; a sign-in refused by the budget changes nothing.
pub fn sign_in_code(db: &Db, phone: &str, code: &str, client: &str) -> Result<Session, Error> {
    check_phone(phone)?;
    let wrong = || Error::Unauthenticated(WRONG_CODE.into());
    let token = secrets::new_token()?;
    db.transaction(|db| {
        let now = kit::now();
        let budget = Budget::load(db, SIGN_INS, SIGN_IN_BUDGET)?;
        throttle::take(db, SIGN_INS, client, &budget, now)?;
        let newest = db.query_one(
            "SELECT id, code_hash, attempts FROM sms_codes
             WHERE phone = ? AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1",
            &[text(phone), Value::Integer(now)],
        )?;
        let Some(newest) = newest else {
            return Ok(Err(wrong()));
        };
        let code_id = newest.i64("id")?;
        if newest.i64("attempts")? >= CODE_ATTEMPTS {
            return Ok(Err(wrong()));
        }
        let given = secrets::sha256_hex(&format!("{phone}:{code}"));
        if !secrets::same(&given, &newest.str("code_hash")?) {
            db.exec("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ?", &[Value::Integer(code_id)])?;
            return Ok(Err(wrong()));
        }
        db.exec("UPDATE sms_codes SET used_at = ? WHERE id = ?", &[Value::Integer(now), Value::Integer(code_id)])?;
        let existing = db.query_one(
            "SELECT id, name, active, password_hash IS NOT NULL AS has_password, delayed_until FROM accounts WHERE phone = ?",
            &[text(phone)],
        )?;
        let (account_id, name) = match existing {
            Some(a) if a.i64("active")? != 1 => {
                return Ok(Err(Error::Unauthenticated("this account has been deactivated".into())));
            }
            // A code must not be a way around a password and its lockout: staff with a password
            // sign in with it (the code is spent either way, so it cannot be tried again).
            Some(a) if a.i64("has_password")? == 1 => {
                let delayed = a.opt_i64("delayed_until")?.filter(|until| *until > now);
                if let Some(until) = attempts::locked_until(db, a.i64("id")?, client, now)?.or(delayed) {
                    return Ok(Err(Error::Locked(seconds_left(until, now))));
                }
                return Ok(Err(Error::Unauthenticated(
                    "this account signs in with its password, not a code".into(),
                )));
            }
            Some(a) => (a.i64("id")?, a.str("name")?),
            None => create_citizen(db, phone, now)?,
        };
        Ok(Ok(start_session(db, account_id, name, token)?))
    })?
}

/// A first-time phone becomes a citizen of the county: an account named after the last four
/// digits (people can rename themselves later), with `citizen` at the first active centre.
fn create_citizen(db: &Db, phone: &str, now: i64) -> Result<(i64, String), ApiError> {
    let name = format!("群众{}", &phone[phone.len() - 4..]);
    let id = db.insert(
        "INSERT INTO accounts (name, phone, created_at, updated_at) VALUES (?, ?, ?, ?)",
        &[text(&name), text(phone), Value::Integer(now), Value::Integer(now)],
    )?;
    let centre = db.query_one("SELECT id FROM orgs WHERE level = 'centre' AND active = 1 ORDER BY id LIMIT 1", &[])?;
    // Before bootstrap there is no centre: the account exists, with no role until one is granted.
    if let Some(centre) = centre {
        db.exec(
            "INSERT INTO role_grants (account_id, role, org_id, created_at) VALUES (?, 'citizen', ?, ?)",
            &[Value::Integer(id), Value::Integer(centre.i64("id")?), Value::Integer(now)],
        )?;
    }
    Ok((id, name))
}

/// The account bound to `openid` signs in without a code: WeChat has just told the caller who
/// this follower is. A deactivated account is refused like any other sign-in.
pub fn sign_in_wechat(db: &Db, openid: &str) -> Result<Option<Session>, Error> {
    let bound = db.query_one(
        "SELECT a.id, a.name, a.active FROM wechat_bindings b JOIN accounts a ON a.id = b.account_id WHERE b.openid = ?",
        &[text(openid)],
    )?;
    let Some(account) = bound else { return Ok(None) };
    if account.i64("active")? != 1 {
        return Err(Error::Unauthenticated("this account has been deactivated".into()));
    }
    let token = secrets::new_token()?;
    Ok(Some(start_session(db, account.i64("id")?, account.str("name")?, token)?))
}

pub fn sign_out(db: &Db, bearer: &str) -> Result<(), Error> {
    let changed = db.exec(
        "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
        &[Value::Integer(kit::now()), text(&secrets::sha256_hex(bearer)), Value::Integer(kit::now())],
    )?;
    if changed == 0 {
        return Err(Error::Unauthenticated(NO_SESSION.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(kit::valid_phone("13812345678"));
        assert!(kit::valid_phone("19912345678"));
        assert!(!kit::valid_phone("12812345678"));
        assert!(!kit::valid_phone("1381234567"));
        assert!(!kit::valid_phone("138123456789"));
        assert!(!kit::valid_phone("1381234567a"));
        assert!(!kit::valid_phone("２3812345678"));
    }

    #[test]
    fn roles_round_trip() {
        for role in domain::Role::ALL {
            assert_eq!(kit::wit_name(&parse_role(role.as_str()).unwrap()), role.as_str());
        }
        assert!(parse_role("admin").is_none());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(!secrets::verify_password("anything", DUMMY_PHC));
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_PHC).is_ok());
    }
}
