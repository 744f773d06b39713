//! The first-run setup code. A fresh deployment has no administrator, and the product's setup
//! page (`POST /api/v1/setup` in the app) must not be an open door: it takes a one-time code held
//! in a secret variable. When the manifest declares
//!
//! ```toml
//! [application.tool.wenming.setup]
//! variable = "setup_code"                  # the secret variable the app checks
//! needed = "SELECT NOT EXISTS (SELECT 1 FROM role_grants WHERE role = 'centre-admin')"
//! ```
//!
//! `wenming up` asks the default database `needed` after migrating; when it answers true and the
//! operator gave the variable no value (`SPIN_VARIABLE_<NAME>` unset or empty), the edge makes a
//! random code, prints it on its console (the one place only the operator sees) and supplies it
//! as the variable's value for this run. A restart makes a new one. On Spin, which ignores tool
//! tables, the operator sets `SPIN_VARIABLE_SETUP_CODE` instead: nothing here is a capability
//! only the edge has. The code is printed once and never logged.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context};
use serde::Deserialize;

/// The table under `[application.tool.wenming]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SetupDecl {
    /// The `[variables]` entry that holds the code.
    pub variable: String,
    /// A query on the default database answering one row with a true (non-zero) value while the
    /// deployment still needs its setup.
    pub needed: String,
}

/// Letters and digits nobody confuses when reading them off a console (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 12 characters of 31: about 59 bits, hopeless to guess at the app's rate limit.
const CODE_LEN: usize = 12;

/// The declaration in `tool`, if any; a malformed one stops start-up.
pub fn from_manifest(tool: &BTreeMap<String, toml::Table>) -> anyhow::Result<Option<SetupDecl>> {
    let Some(table) = tool.get(crate::schedule::TOOL).and_then(|t| t.get("setup")) else { return Ok(None) };
    let decl: SetupDecl = table
        .clone()
        .try_into()
        .context("[application.tool.wenming.setup] must be { variable = \"...\", needed = \"SELECT ...\" }")?;
    if decl.variable.is_empty() || decl.needed.trim().is_empty() {
        bail!("[application.tool.wenming.setup] needs a variable and a query");
    }
    Ok(Some(decl))
}

/// A fresh random code.
pub fn new_code() -> anyhow::Result<String> {
    let mut bytes = [0u8; CODE_LEN];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading randomness for the setup code")?;
    // 256 is not a multiple of 31; the bias (at most 1 in 8 towards the first letters) costs
    // well under a bit of the code's 59.
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// Four groups of three, as printed for a person to type.
pub fn grouped(code: &str) -> String {
    code.as_bytes().chunks(3).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_unambiguous_characters_and_differ() {
        let (a, b) = (new_code().unwrap(), new_code().unwrap());
        assert_eq!(a.len(), CODE_LEN);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
        assert_eq!(grouped("ABCDEFGHJKMN"), "ABC-DEF-GHJ-KMN");
    }

    #[test]
    fn the_declaration_is_read_strictly() {
        let tool = |text: &str| -> BTreeMap<String, toml::Table> {
            BTreeMap::from([("wenming".to_string(), toml::from_str(text).unwrap())])
        };
        let decl = from_manifest(&tool("[setup]\nvariable = \"setup_code\"\nneeded = \"SELECT 1\"\n")).unwrap();
        assert_eq!(decl.map(|d| d.variable), Some("setup_code".into()));
        assert!(from_manifest(&tool("[setup]\nvariable = \"setup_code\"\n")).is_err());
        assert!(from_manifest(&tool("[setup]\nvariable = \"x\"\nneeded = \"SELECT 1\"\nextra = 1\n")).is_err());
        assert_eq!(from_manifest(&tool("[other]\n")).unwrap(), None);
    }
}
