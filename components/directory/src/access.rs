//! Who is calling and where they may act, always through `wenming:identity/identity` (in
//! `kit`'s vocabulary): this component never reads roles to decide a permission itself, so the
//! permission table has one owner.

use std::cell::OnceCell;

use kit::{ApiError, Scope};
use spin_sdk::http::Request;

use kit::identity::{Action, Principal};

/// A signed-in caller: the principal identity resolved from the bearer token.
pub struct Caller {
    pub principal: Principal,
    pub token: String,
    // Most handlers ask "may they see it?" more than once; one call to identity per request.
    readable: OnceCell<Scope>,
}

/// Resolves the session, bearer token or console cookie ([`kit::authenticate`]); a missing,
/// expired or revoked one is a 401.
pub fn caller(req: &Request) -> Result<Caller, ApiError> {
    let principal = kit::authenticate(req)?;
    let token = kit::session_token(req).unwrap_or_default();
    Ok(Caller { principal, token, readable: OnceCell::new() })
}

impl Caller {
    pub fn account_id(&self) -> i64 {
        self.principal.account_id
    }

    /// Where the caller may do `action`, as identity says.
    pub fn scope(&self, action: Action) -> Scope {
        Scope::of(&self.principal, action)
    }

    /// What the caller may see of the directory (org tree, departments).
    pub fn readable(&self) -> &Scope {
        self.readable.get_or_init(|| self.scope(Action::ReadDirectory))
    }

    /// Where the caller may do `action`; 403 when their roles allow it nowhere.
    pub fn scope_or_forbidden(&self, action: Action) -> Result<Scope, ApiError> {
        Scope::required(&self.principal, action)
    }

    /// Whether the caller may do `action` at `path`, for when the answer is not simply 403/404.
    pub fn may(&self, action: Action, path: &str) -> Result<bool, ApiError> {
        kit::allowed(&self.principal, action, path)
    }

    /// May the caller do `action` on the resource (a `what`) at `path`? A resource they cannot
    /// see at all is a 404, so its existence is not revealed; one they can see but not act on is
    /// a 403 ([`kit::deny_seen`]).
    pub fn require(&self, action: Action, path: &str, what: &str) -> Result<(), ApiError> {
        if self.may(action, path)? {
            return Ok(());
        }
        Err(kit::deny_seen(&self.principal, action, self.readable().contains(path), what))
    }
}

/// The 404 for something unknown or invisible: the same words either way.
pub fn not_found(what: &str) -> ApiError {
    ApiError::NotFound(format!("no such {what}"))
}

/// A principal's roles as the API shows them (one definition, in kit).
pub use kit::roles_json;
