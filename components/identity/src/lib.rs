//! Library component exporting `wenming:identity/identity`: who is calling (sessions, password
//! and SMS-code sign-in) and what they may do where (the permission table). Every step component
//! imports it, so sign-in rules and the table have one implementation.
//!
//! It has no HTTP trigger; the edge (or Spin) composes it into the components that list it under
//! `[component.<id>.dependencies]`. Like the ledger and notify it opens no connection of its
//! own: every function that reads or writes works on the caller's borrowed connection, so a
//! request costs one connection and `authenticate` may run inside the caller's transaction.
//! Sign-in codes are issued here and queued by the caller through notify (a library cannot
//! import another library on Spin), in the caller's transaction.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/identity-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
    with: { "spin:sqlite/sqlite@3.0.0": spin_sdk::wit::spin::sqlite::sqlite },
    generate_all,
});

mod attempts;
mod permissions;
mod rules;
mod secrets;
mod sessions;

/// The interface's types under a short name.
mod bindings {
    pub use crate::exports::wenming::identity::identity::{
        Action, Error, Grant, Guest, IssuedCode, Principal, Role, Session,
    };
}

use bindings::{Action, Error, Guest, IssuedCode, Principal, Session};
use kit::{ApiError, Db};
use spin_sdk::sqlite3::Connection;

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated(m) => Error::Unauthenticated(m),
            ApiError::Forbidden(m) => Error::Forbidden(m),
            ApiError::Invalid { field, message } => Error::Invalid((field, message)),
            ApiError::Throttled { retry_after, .. } => Error::Throttled(retry_after),
            ApiError::Busy { retry_after, .. } => Error::Busy(retry_after),
            other => Error::Storage(other.to_string()),
        }
    }
}

struct Identity;

impl Guest for Identity {
    fn authenticate(db: &Connection, bearer: String) -> Result<Principal, Error> {
        Db::borrowed(db, |db| sessions::authenticate(db, &bearer))
    }

    fn authorize(who: Principal, action: Action, org_path: String) -> Result<(), Error> {
        if permissions::permits(&who, action, &org_path) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("your roles do not allow {} here", kit::wit_name(&action))))
        }
    }

    fn scopes(who: Principal, action: Action) -> Vec<String> {
        permissions::scopes(&who, action)
    }

    fn sign_in_password(db: &Connection, phone: String, password: String, client: String) -> Result<Session, Error> {
        Db::borrowed(db, |db| sessions::sign_in_password(db, &phone, &password, &client))
    }

    fn request_sign_in_code(db: &Connection, phone: String, client: String) -> Result<IssuedCode, Error> {
        Db::borrowed(db, |db| sessions::request_sign_in_code(db, &phone, &client))
    }

    fn sign_in_code(db: &Connection, phone: String, code: String, client: String) -> Result<Session, Error> {
        Db::borrowed(db, |db| sessions::sign_in_code(db, &phone, &code, &client))
    }

    fn sign_in_wechat(db: &Connection, openid: String) -> Result<Option<Session>, Error> {
        Db::borrowed(db, |db| sessions::sign_in_wechat(db, &openid))
    }

    fn sign_out(db: &Connection, bearer: String) -> Result<(), Error> {
        Db::borrowed(db, |db| sessions::sign_out(db, &bearer))
    }

    fn hash_password(password: String) -> Result<String, Error> {
        secrets::hash_password(&password)
    }
}

export!(Identity);
