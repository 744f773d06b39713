//! Library component exporting `wenming:platform/settings`: deployment settings read from the
//! shared database's `deployment_settings` table. Step components import it instead of reading
//! the table themselves, so the table's shape has one owner.
//!
//! It has no HTTP trigger; the edge (or Spin) composes it into the components that list it under
//! `[component.<id>.dependencies]`. It reaches the database only when the importing component
//! grants its permissions (`dependencies_inherit_configuration = true`).

spin_sdk::wit_bindgen::generate!({
    path: "../../wit",
    world: "wenming:platform/settings-provider",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

use exports::wenming::platform::settings::{Error, Guest};
use spin_sdk::sqlite3::{Connection, Error as DbError, Value};

struct Settings;

impl Guest for Settings {
    fn get(key: String) -> Result<Option<String>, Error> {
        let db = Connection::open_default().map_err(to_error)?;
        let result =
            db.execute("SELECT value FROM deployment_settings WHERE key = ?", &[Value::Text(key)]).map_err(to_error)?;
        let value = result.rows().next().and_then(|row| row.get::<&str>("value").map(str::to_string));
        Ok(value)
    }
}

fn to_error(e: DbError) -> Error {
    match e {
        DbError::AccessDenied => Error::AccessDenied,
        other => Error::Storage(format!("{other:?}")),
    }
}

export!(Settings);
