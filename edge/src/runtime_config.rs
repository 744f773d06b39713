//! `runtime-config.toml` in Spin's format: where each SQLite database (and later each key-value
//! store) lives. Unknown top-level keys are refused, as Spin refuses them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// The parts of a runtime config the edge understands.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Overrides the state dir (`""` means none: in-memory defaults).
    #[serde(default)]
    pub state_dir: Option<String>,
    /// Where Spin writes component logs; accepted for compatibility.
    #[serde(default)]
    pub log_dir: Option<String>,
    /// `[sqlite_database.<label>]`.
    #[serde(default)]
    pub sqlite_database: BTreeMap<String, SqliteConfig>,
    /// `[key_value_store.<label>]`; accepted so Spin configs load, served in a later issue.
    #[serde(default)]
    pub key_value_store: BTreeMap<String, toml::Table>,
    /// `[[variables_provider]]` / `[[config_provider]]`; accepted for compatibility.
    #[serde(default, alias = "config_provider")]
    pub variables_provider: Vec<toml::Table>,
    /// Connection limits for outbound HTTP etc.; accepted for compatibility.
    #[serde(default)]
    pub outbound_networking: Option<toml::Table>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub outbound_http: Option<toml::Table>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub max_instance_memory: Option<u64>,
    /// `[llm_compute]`: accepted so a Spin config loads; the edge serves no LLM interface, so a
    /// component importing one is refused at load instead.
    #[serde(default)]
    pub llm_compute: Option<toml::Table>,
}

/// One SQLite database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SqliteConfig {
    /// A local file (Spin's `type = "spin"`); no path means an in-memory database.
    Spin {
        /// Relative paths resolve against the current working directory, as in Spin.
        #[serde(default)]
        path: Option<PathBuf>,
        /// Spin ≥ 4.0.2 knob; the edge never allows attaching files, so only `false` is accepted.
        #[serde(default)]
        allow_attach_file: bool,
    },
    /// A libSQL server (sqld / Turso) over HTTP(S).
    Libsql {
        /// `http://` or `https://` URL.
        url: String,
        /// Auth token (may be empty).
        token: String,
    },
}

impl RuntimeConfig {
    /// Reads and checks a runtime config file.
    pub fn load(path: &Path) -> anyhow::Result<RuntimeConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading runtime config {}", path.display()))?;
        let config: RuntimeConfig =
            toml::from_str(&text).with_context(|| format!("parsing runtime config {}", path.display()))?;
        for (label, db) in &config.sqlite_database {
            match db {
                SqliteConfig::Libsql { url, .. } if !(url.starts_with("https://") || url.starts_with("http://")) => {
                    bail!("sqlite_database.{label}: URL does not start with 'https://' or 'http://': {url}")
                }
                SqliteConfig::Spin { allow_attach_file: true, .. } => {
                    bail!("sqlite_database.{label}: allow_attach_file = true is not supported")
                }
                _ => {}
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_and_libsql_databases_parse() {
        let c: RuntimeConfig = toml::from_str(
            r#"
[sqlite_database.default]
type = "spin"
path = "data/x.db"
[sqlite_database.shared]
type = "libsql"
url = "https://db.example"
token = ""
"#,
        )
        .unwrap();
        assert_eq!(
            c.sqlite_database["default"],
            SqliteConfig::Spin { path: Some("data/x.db".into()), allow_attach_file: false }
        );
        assert!(matches!(c.sqlite_database["shared"], SqliteConfig::Libsql { .. }));
    }

    #[test]
    fn libsql_needs_a_token_and_no_unknown_keys() {
        assert!(
            toml::from_str::<RuntimeConfig>("[sqlite_database.x]\ntype = \"libsql\"\nurl = \"https://a\"\n").is_err()
        );
        assert!(toml::from_str::<RuntimeConfig>("nope = 1\n").is_err());
    }
}
