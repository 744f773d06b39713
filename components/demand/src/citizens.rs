//! The citizen an order is for, when staff order on someone's behalf (点单 at a counter or by
//! phone): found by phone, or created the way a first SMS sign-in creates one — an account
//! named `群众` + the phone's last four digits, no password, with `citizen` at the centre — so
//! the person can later sign in with a code and follow the order themself.

use kit::{ApiError, Db};
use serde_json::json;
use spin_sdk::sqlite3::Value;

/// The account behind a phone, if any: `(id, active)`.
pub fn find(db: &Db, phone: &str) -> Result<Option<(i64, bool)>, ApiError> {
    db.query_one("SELECT id, active FROM accounts WHERE phone = ?", &[Value::Text(phone.to_string())])?
        .map(|r| Ok((r.i64("id")?, r.i64("active")? == 1)))
        .transpose()
}

/// Creates a citizen account for `phone` with `citizen` at the centre `(centre_id,
/// centre_path)`, inside the caller's transaction; both writes are audited under the staff
/// member who caused them. Returns the new account id.
pub fn create(db: &Db, actor_id: i64, phone: &str, centre: (i64, &str), now: i64) -> Result<i64, ApiError> {
    let (centre_id, centre_path) = centre;
    let tail: String = phone.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let name = format!("群众{tail}");
    let id = db.insert(
        "INSERT INTO accounts (name, phone, created_at, updated_at) VALUES (?, ?, ?, ?)",
        &[Value::Text(name.clone()), Value::Text(phone.to_string()), Value::Integer(now), Value::Integer(now)],
    )?;
    kit::audit(
        db,
        actor_id,
        "account.create",
        "account",
        Some(id),
        centre_path,
        None,
        Some(&json!({ "id": id, "name": name, "phone": kit::mask_phone(phone) })),
    )?;
    let grant = db.insert(
        "INSERT INTO role_grants (account_id, role, org_id, granted_by, created_at) VALUES (?, 'citizen', ?, ?, ?)",
        &[Value::Integer(id), Value::Integer(centre_id), Value::Integer(actor_id), Value::Integer(now)],
    )?;
    kit::audit(
        db,
        actor_id,
        "role.grant",
        "role_grant",
        Some(grant),
        centre_path,
        None,
        Some(&json!({ "id": grant, "account_id": id, "role": "citizen", "org_id": centre_id })),
    )?;
    Ok(id)
}
