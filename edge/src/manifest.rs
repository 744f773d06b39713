//! `spin.toml` (manifest v2): the subset of Spin's schema the edge serves, parsed as strictly as
//! Spin parses it (`deny_unknown_fields` on every table, so a typo is a load error, not a silent
//! default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

/// A parsed and validated manifest, with the folder its relative paths resolve against.
#[derive(Debug, Clone)]
pub struct App {
    /// Folder holding the manifest; component sources and files are relative to it.
    pub dir: PathBuf,
    /// The manifest as written.
    pub manifest: Manifest,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, Component>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub targets: Vec<String>,
    /// Trigger-global settings (e.g. redis); accepted and ignored, as the edge serves HTTP only.
    #[serde(default)]
    pub trigger: Option<toml::Table>,
    /// Tools' own settings (`[application.tool.<tool>]`), which Spin ignores; the edge reads
    /// `[application.tool.wenming]` (its schedule, [`crate::schedule`]).
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
}

/// An application variable (`[variables]`): either a default or `required = true`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Variable {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[allow(missing_docs)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    /// Other trigger types are not served by the edge; they are kept so that a manifest using
    /// them still parses and a clear warning can be given.
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: RouteSpec,
    #[serde(default)]
    pub component: Option<ComponentRef>,
    #[serde(default)]
    pub executor: Option<toml::Table>,
    #[serde(default)]
    pub static_response: Option<StaticResponse>,
}

/// `route = "/path/..."` or `route = { private = true }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum RouteSpec {
    Path(String),
    Private(PrivateRoute),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PrivateRoute {
    pub private: bool,
}

/// A trigger names a component by id or defines one inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum ComponentRef {
    Id(String),
    Inline(Box<Component>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StaticResponse {
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Component {
    pub source: Source,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<FileMount>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub targets: Option<Vec<String>>,
    #[serde(default)]
    pub build: Option<toml::Table>,
    #[serde(default)]
    pub tool: Option<toml::Table>,
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub profile: Option<toml::Table>,
}

/// Where a component's wasm comes from. The edge runs local files; the other forms parse (the
/// manifest stays valid for Spin) but are refused at load with a clear message.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum Source {
    Local(String),
    Remote { url: String, digest: String },
    Registry { registry: Option<String>, package: String, version: String },
}

/// `files = ["glob/**/*", { source = "dir", destination = "/dir" }]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum FileMount {
    Pattern(String),
    Placement { source: String, destination: String },
}

impl App {
    /// Reads `spin.toml` from a file, or from a folder holding one.
    pub fn load(from: &Path) -> anyhow::Result<App> {
        let file = if from.is_dir() { from.join("spin.toml") } else { from.to_path_buf() };
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading manifest {}", file.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("parsing manifest {}", file.display()))?;
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let app = App { dir, manifest };
        app.validate().with_context(|| format!("invalid manifest {}", file.display()))?;
        Ok(app)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let m = &self.manifest;
        if m.spin_manifest_version != 2 {
            bail!("spin_manifest_version must be 2, got {}", m.spin_manifest_version);
        }
        for (name, var) in &m.variables {
            if !crate::variables::is_valid_name(name) {
                bail!("variable name {name:?} must be lower_snake_case");
            }
            if var.default.is_some() == var.required {
                bail!("variable {name:?} must have either a default or `required = true`");
            }
        }
        for id in m.component.keys() {
            if !is_kebab_case(id) {
                bail!("component id {id:?} must be kebab-case");
            }
        }
        for (i, t) in m.trigger.http.iter().enumerate() {
            if let RouteSpec::Private(p) = &t.route {
                if !p.private {
                    bail!("trigger {i}: `route = {{ private = false }}` is not allowed; give a path");
                }
            }
            match (&t.component, &t.static_response) {
                (Some(_), Some(_)) => {
                    bail!("trigger {i}: `component` and `static_response` are mutually exclusive")
                }
                (None, None) => bail!("trigger {i}: needs a `component` or a `static_response`"),
                (Some(ComponentRef::Id(id)), None) if !m.component.contains_key(id) => {
                    bail!("trigger {i} names component {id:?}, which is not defined")
                }
                _ => {}
            }
            if let Some(exec) = &t.executor {
                match exec.get("type").and_then(|v| v.as_str()) {
                    None | Some("http") | Some("spin") => {}
                    Some(other) => bail!("trigger {i}: executor type {other:?} is not supported by this edge"),
                }
            }
        }
        Ok(())
    }

    /// The name Spin reports in `/.well-known/spin/info`.
    pub fn name(&self) -> &str {
        &self.manifest.application.name
    }
}

fn is_kebab_case(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<App> {
        let manifest: Manifest = toml::from_str(text)?;
        let app = App { dir: PathBuf::from("."), manifest };
        app.validate()?;
        Ok(app)
    }

    const BASE: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
"#;

    #[test]
    fn a_minimal_manifest_parses() {
        let app = parse(BASE).unwrap();
        assert_eq!(app.name(), "t");
        assert_eq!(app.manifest.trigger.http.len(), 1);
    }

    #[test]
    fn an_unknown_component_key_is_an_error() {
        let text = format!("{BASE}sqlite_database = [\"default\"]\n");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn private_false_is_refused() {
        let text = BASE.replace("route = \"/...\"", "route = { private = false }");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn a_trigger_naming_a_missing_component_is_refused() {
        let text = BASE.replace("component = \"web\"", "component = \"nope\"");
        assert!(parse(&text).unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn a_variable_needs_a_default_or_required() {
        let text = format!("{BASE}\n[variables]\ntoken = {{ secret = true }}\n");
        assert!(parse(&text).is_err());
    }
}
