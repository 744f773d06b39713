//! What callers may do to activities, in `kit`'s vocabulary (identity through
//! `wenming:identity/identity`; the permission table lives there, never here).
//!
//! Activities are managed with `manage-teams` at the activity's org (the owning org's admins);
//! the applicant also sees their own application. A resource addressed by URL that the caller
//! may not see is **404** (its existence is not revealed); an action the caller's roles allow
//! nowhere is **403**.

use kit::ApiError;

use kit::identity::Action;

/// The action that manages activities at an org: approve, reject, see every status and the
/// codes, read the sign-up list. A caller who may see an activity but not manage it is refused
/// with 403, one who may not see it with 404 (`kit::deny_seen`).
pub const MANAGE: Action = Action::ManageTeams;

/// The one 404 for an activity, whether missing or hidden.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such activity".into())
}
