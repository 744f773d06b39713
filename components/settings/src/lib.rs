//! Library component exporting `wenming:settings/settings`: deployment settings from the shared
//! database's `deployment_settings` table, read through `kit::settings` — the one reader and
//! writer of that table, which steps (and the `notify` library, which cannot import this one on
//! Spin) call directly on their own connection. This component serves the same reads over WIT.
//!
//! It has no HTTP trigger; the edge (or Spin) composes it into the components that list it under
//! `[component.<id>.dependencies]`. It reaches the database only when the importing component
//! grants its permissions (`dependencies_inherit_configuration = true`).

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/settings-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

use exports::wenming::settings::settings::{Error, Guest};
use spin_sdk::sqlite3::{Connection, Error as DbError};

struct Settings;

impl Guest for Settings {
    fn get(key: String) -> Result<Option<String>, Error> {
        // Its own connection, with the importer's permissions: an isolated dependency is told
        // `access-denied` here.
        let conn = Connection::open_default().map_err(to_error)?;
        kit::Db::borrowed(&conn, |db| kit::settings::get(db, &key)).map_err(|e| Error::Storage(e.to_string()))
    }
}

fn to_error(e: DbError) -> Error {
    match e {
        DbError::AccessDenied => Error::AccessDenied,
        other => Error::Storage(format!("{other:?}")),
    }
}

export!(Settings);
