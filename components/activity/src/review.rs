//! `POST /api/v1/activities/{id}/approve` and `/reject` `{"reason"}`: the owning org's admins
//! (manage-teams at the activity's org) decide a pending application.
//!
//! Approval issues the activity code (活动码): 6 random letters of [`codes::ALPHABET`], unique
//! across all activities. With 32^6 ≈ 10^9 codes a clash is rare but certain to happen one day,
//! so the UNIQUE constraint on `activities.code` decides and a clash draws again. Invitation-only
//! activities also get their invitation code, and every approved activity gets the key of its
//! rotating dynamic check-in code (used by `checkin` when `dynamic_code` is on).
//!
//! Both decisions are audited (`activity.approve`, `activity.reject`) in the same transaction,
//! and only a pending application can be decided (else 409 `wrong_state`).

use kit::{ApiError, Db};
use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::Value;

use crate::access;
use crate::activities::{self, Viewer};
use crate::codes;
use crate::input::{self, Fields};
use kit::identity::Principal;

/// Draws before giving up on a unique code: at a billion codes, needing more than a few means
/// something else is wrong (the table is not what we think), so fail loudly instead of looping.
const CODE_ATTEMPTS: usize = 16;

/// Sets a fresh unique activity code on `id`; returns it.
fn issue_code(db: &Db, id: i64) -> Result<String, ApiError> {
    for _ in 0..CODE_ATTEMPTS {
        let code = codes::code(codes::ACTIVITY_CODE_LEN)?;
        // A failed statement is undone on its own (SQLite's default ABORT), leaving the
        // transaction open for the next draw.
        match db.exec("UPDATE activities SET code = ? WHERE id = ?", &[Value::Text(code.clone()), Value::Integer(id)]) {
            Ok(_) => return Ok(code),
            Err(e) if kit::unique_violation(&e) == Some("activities.code") => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::Internal(format!("no unique activity code after {CODE_ATTEMPTS} draws")))
}

/// Approve (`approve = true`) or reject the activity `id`.
pub fn decide(req: &Request, p: &Principal, id: i64, approve: bool) -> Result<Response, ApiError> {
    let mut f = Fields::from_optional_request(req, &["reason"])?;
    let reason = f.opt_line("reason", 500)?;
    if !approve && reason.is_none() {
        return Err(ApiError::invalid("reason", "a rejection needs a reason"));
    }
    let now = kit::request_now(req);
    let db = Db::open()?;
    let viewer = Viewer::new(&db, Some(p.clone()))?;
    let current = activities::load(&db, id)?.ok_or_else(access::not_found)?;
    if !viewer.manages(&current) {
        let visible = viewer.sees(&db, &current, None)?;
        return Err(kit::deny_seen(p, access::MANAGE, visible, "activity"));
    }
    let action = if approve { "activity.approve" } else { "activity.reject" };

    let key = input::idempotency_key(req);
    let (status, body) = kit::idempotent(&db, p.account_id, key.as_deref(), &input::request_fingerprint(req), |db| {
        // Read again under the write lock: two admins deciding at once must not both succeed.
        let before = activities::load(db, id)?.ok_or_else(access::not_found)?;
        if before.status != "pending" {
            return Err(ApiError::conflict(
                "wrong_state",
                format!("only a pending application can be decided; this one is {}", before.status),
            ));
        }
        if approve {
            let invitation = if before.visibility == "invitation" {
                Value::Text(codes::code(codes::INVITATION_CODE_LEN)?)
            } else {
                Value::Null
            };
            db.exec(
                "UPDATE activities SET status = 'approved', invitation_code = ?, dynamic_secret = ?, reject_reason = NULL,
                     decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                &[
                    invitation,
                    Value::Text(codes::secret()?),
                    Value::Integer(p.account_id),
                    Value::Integer(now),
                    Value::Integer(now),
                    Value::Integer(id),
                ],
            )?;
            issue_code(db, id)?;
        } else {
            db.exec(
                "UPDATE activities SET status = 'rejected', reject_reason = ?, decided_by = ?, decided_at = ?, updated_at = ?
                 WHERE id = ?",
                &[
                    reason.clone().map_or(Value::Null, Value::Text),
                    Value::Integer(p.account_id),
                    Value::Integer(now),
                    Value::Integer(now),
                    Value::Integer(id),
                ],
            )?;
        }
        let after = activities::load(db, id)?.ok_or_else(|| ApiError::Internal("the activity vanished".into()))?;
        let (before_json, mut after_json) = (before.json(true), after.json(true));
        if let (Some(r), true) = (&reason, approve) {
            // An approval's note is kept in the audit trail only; the activity has no column for it.
            after_json["approval_note"] = serde_json::Value::String(r.clone());
        }
        kit::audit(
            db,
            p.account_id,
            action,
            "activity",
            Some(id),
            &after.org_path,
            Some(&before_json),
            Some(&after_json),
        )?;
        Ok((200, after.json(true)))
    })?;
    Ok(kit::json(status, &body))
}
