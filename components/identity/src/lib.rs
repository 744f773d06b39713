//! Library component exporting `wenming:platform/identity`: who is calling (sessions, password
//! and SMS-code sign-in) and what they may do where (the permission table). Every step component
//! imports it, so sign-in rules and the table have one implementation.
//!
//! It has no HTTP trigger; the edge composes it into the components that list it under
//! `[component.<id>.dependencies]`, and it reaches the shared database with the importer's
//! permissions (`dependencies_inherit_configuration = true`).

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/identity-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

mod permissions;
mod secrets;
mod sessions;

/// The interface's types under a short name.
mod bindings {
    pub use crate::exports::wenming::platform::identity::{Action, Error, Grant, Guest, Principal, Role, Session};
}

use bindings::{Action, Error, Guest, Principal, Session};
use kit::{ApiError, Db};

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated(m) => Error::Unauthenticated(m),
            ApiError::Forbidden(m) => Error::Forbidden(m),
            ApiError::Invalid { field, message } => Error::Invalid((field, message)),
            ApiError::Throttled { retry_after, .. } => Error::Throttled(retry_after),
            other => Error::Storage(other.to_string()),
        }
    }
}

struct Identity;

impl Guest for Identity {
    fn authenticate(bearer: String) -> Result<Principal, Error> {
        sessions::authenticate(&Db::open()?, &bearer)
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

    fn sign_in_password(phone: String, password: String) -> Result<Session, Error> {
        sessions::sign_in_password(&Db::open()?, &phone, &password)
    }

    fn request_sign_in_code(phone: String) -> Result<(), Error> {
        sessions::request_sign_in_code(&Db::open()?, &phone)
    }

    fn sign_in_code(phone: String, code: String) -> Result<Session, Error> {
        sessions::sign_in_code(&Db::open()?, &phone, &code)
    }

    fn sign_out(bearer: String) -> Result<(), Error> {
        sessions::sign_out(&Db::open()?, &bearer)
    }

    fn hash_password(password: String) -> Result<String, Error> {
        secrets::hash_password(&password)
    }
}

export!(Identity);
