//! Application variables (`[variables]`) and component variables (`variables = { k = "{{ v }}" }`),
//! served through `fermyon:spin/variables@2.0.0`.
//!
//! Values come from the environment as Spin's env provider reads them (`SPIN_VARIABLE_<NAME>`,
//! upper-cased), else from the manifest's default. Everything is resolved at start-up: a required
//! variable with no value, or a template naming an undefined variable, stops the edge with an error
//! that names it. Values are never logged; secret ones are not even named with their value in
//! errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::manifest::Variable;

/// Resolved application variables.
#[derive(Debug, Clone, Default)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl AppVariables {
    /// Resolves every application variable from `lookup` (the process environment in
    /// production) and the manifest's defaults.
    pub fn resolve(
        declared: &BTreeMap<String, Variable>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<AppVariables> {
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, var) in declared {
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            match lookup(&env_name).or_else(|| var.default.clone()) {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => missing.push(format!("{name} (set {env_name})")),
            }
        }
        if !missing.is_empty() {
            bail!("required variables have no value: {}", missing.join(", "));
        }
        Ok(AppVariables { values })
    }

    /// Renders a template: text with `{{ name }}` references to application variables.
    pub fn render(&self, template: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").with_context(|| format!("unclosed `{{{{` in {template:?}"))?;
            let name = after[..end].trim();
            if !is_valid_name(name) {
                bail!("invalid variable reference {name:?} in {template:?}");
            }
            let value = self.values.get(name).with_context(|| {
                format!("template {template:?} names variable {name:?}, which is not in [variables]")
            })?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Resolves one component's `variables` table.
    pub fn component(&self, templates: &BTreeMap<String, String>) -> anyhow::Result<ComponentVariables> {
        let mut values = HashMap::new();
        for (name, template) in templates {
            if !is_valid_name(name) {
                bail!("component variable name {name:?} must be lower_snake_case");
            }
            let value = self.render(template).with_context(|| format!("component variable {name:?}"))?;
            values.insert(name.clone(), value);
        }
        Ok(ComponentVariables { values: Arc::new(values) })
    }
}

/// The variables one component may read.
#[derive(Debug, Clone, Default)]
pub struct ComponentVariables {
    values: Arc<HashMap<String, String>>,
}

/// Spin's rule for variable names: lower-case letters, digits and single `_` between them,
/// starting with a letter and not ending in `_`.
pub fn is_valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('_')
        && !name.contains("__")
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Generated host bindings for the variables interface.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wenming:edge/variables",
        imports: { default: async | trappable },
    });
}

use bindings::fermyon::spin::variables as v2;

/// What the host trait needs from the store.
pub trait VariablesView: Send {
    /// This instance's variables.
    fn variables(&mut self) -> &mut ComponentVariables;
}

impl v2::Host for ComponentVariables {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, v2::Error>> {
        if !is_valid_name(&name) {
            return Ok(Err(v2::Error::InvalidName(name)));
        }
        Ok(match self.values.get(&name) {
            Some(v) => Ok(v.clone()),
            None => Err(v2::Error::Undefined(format!("no variable for {name:?}"))),
        })
    }
}

struct VariablesHost;

impl wasmtime::component::HasData for VariablesHost {
    type Data<'a> = &'a mut ComponentVariables;
}

/// Adds the variables interface to a linker.
pub fn add_to_linker<T: VariablesView + 'static>(linker: &mut wasmtime::component::Linker<T>) -> wasmtime::Result<()> {
    v2::add_to_linker::<T, VariablesHost>(linker, |t| t.variables())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(entries: &[(&str, Option<&str>, bool)]) -> BTreeMap<String, Variable> {
        entries
            .iter()
            .map(|(n, d, req)| {
                (
                    n.to_string(),
                    Variable { description: None, default: d.map(str::to_string), required: *req, secret: false },
                )
            })
            .collect()
    }

    #[test]
    fn the_environment_overrides_the_default() {
        let vars = AppVariables::resolve(&declared(&[("api_host", Some("a.example"), false)]), |k| {
            (k == "SPIN_VARIABLE_API_HOST").then(|| "b.example".to_string())
        })
        .unwrap();
        assert_eq!(vars.render("https://{{ api_host }}/x").unwrap(), "https://b.example/x");
    }

    #[test]
    fn a_required_variable_without_a_value_is_named() {
        let err = AppVariables::resolve(&declared(&[("wechat_token", None, true)]), |_| None).unwrap_err();
        assert!(err.to_string().contains("wechat_token"), "{err}");
        assert!(err.to_string().contains("SPIN_VARIABLE_WECHAT_TOKEN"), "{err}");
    }

    #[test]
    fn templates_must_name_declared_variables() {
        let vars = AppVariables::resolve(&declared(&[("a", Some("1"), false)]), |_| None).unwrap();
        assert_eq!(vars.render("{{a}}-{{ a }}").unwrap(), "1-1");
        assert!(vars.render("{{ b }}").is_err());
        assert!(vars.render("{{ a").is_err());
    }

    #[test]
    fn names_follow_spins_rule() {
        for good in ["a", "api_key", "x1_y2"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "_a", "a_", "a__b", "Api", "1a", "a-b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
