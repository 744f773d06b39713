//! Component dependencies, Spin 3 style (`[component.<id>.dependencies]`), composed at load with
//! `wac-graph` as Spin composes them.
//!
//! Each dependency is instantiated and its export plugged into the importing component's
//! matching import (after a subtype check); the importer's exports are re-exported, and every
//! import left unsatisfied becomes an import of the composed component, served by the host.
//!
//! Permissions: a dependency gets no capabilities unless the importer grants them
//! (`dependencies_inherit_configuration = true`, or Spin 4's per-dependency
//! `inherit_configuration = true | [keys]`). Spin does this by composing a deny-all adapter in
//! front of the dependency; the edge renames the dependency's capability imports to
//! `wenming-deny:<ns>-<pkg>/<iface>` imports instead, which [`add_denials`] serves: `open`-style
//! calls answer `access-denied`, environment and preopens are empty, anything else traps. The
//! importer's own imports are untouched.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context};
use wac_graph::types::{Package, SubtypeChecker};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Linker, ResourceType, Val};

use crate::manifest::{App, Component, Source};

/// Prefix of the renamed imports through which a dependency reaches a denied capability.
pub const DENY_NAMESPACE: &str = "wenming-deny:";

/// Capability imports and the manifest key that grants each (for per-key inheritance).
const CAPABILITIES: &[(&str, &str)] = &[
    ("fermyon:spin/sqlite", "sqlite_databases"),
    ("spin:sqlite/", "sqlite_databases"),
    ("fermyon:spin/key-value", "key_value_stores"),
    ("spin:key-value/", "key_value_stores"),
    ("wasi:keyvalue/", "key_value_stores"),
    ("fermyon:spin/variables", "variables"),
    ("spin:variables/", "variables"),
    ("wasi:config/", "variables"),
    ("wasi:http/outgoing-handler", "allowed_outbound_hosts"),
    ("wasi:sockets/", "allowed_outbound_hosts"),
    ("fermyon:spin/", "allowed_outbound_hosts"),
    ("spin:", "allowed_outbound_hosts"),
    ("wasi:cli/environment", "environment"),
    ("wasi:filesystem/preopens", "files"),
];

/// Which capabilities a dependency inherits from its importer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inherit {
    All,
    Only(Vec<String>),
}

impl Inherit {
    /// The manifest key that grants `import`, if `import` is a capability this does not grant.
    fn denies(&self, import: &str) -> bool {
        let Some((_, key)) = CAPABILITIES.iter().find(|(prefix, _)| import.starts_with(prefix)) else {
            return false;
        };
        match self {
            Inherit::All => false,
            Inherit::Only(keys) => !keys.iter().any(|k| k == key),
        }
    }
}

/// A dependency name from the manifest: `ns:pkg`, `ns:pkg@ver`, `ns:pkg/iface`, `ns:pkg/iface@ver`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InterfaceName {
    package: String,
    interface: Option<String>,
    version: Option<String>,
}

impl InterfaceName {
    fn parse(s: &str) -> anyhow::Result<InterfaceName> {
        let (head, version) = match s.split_once('@') {
            Some((h, v)) => (h, Some(v.to_string())),
            None => (s, None),
        };
        let (package, interface) = match head.split_once('/') {
            Some((p, i)) => (p.to_string(), Some(i.to_string())),
            None => (head.to_string(), None),
        };
        if !package.contains(':') {
            bail!("dependency name {s:?} must name a package (`ns:pkg` or `ns:pkg/interface`)");
        }
        Ok(InterfaceName { package, interface, version })
    }

    /// Whether an import name is covered by this dependency name.
    fn matches(&self, import: &str) -> bool {
        let Ok(import) = InterfaceName::parse(import) else { return false };
        import.package == self.package
            && self.interface.as_ref().is_none_or(|i| import.interface.as_ref() == Some(i))
            && self.version.as_ref().is_none_or(|v| import.version.as_ref() == Some(v))
    }
}

/// One `[component.x.dependencies]` entry, resolved.
struct Dependency {
    wasm: Vec<u8>,
    export: Option<String>,
    inherit: Inherit,
}

fn resolve_dependency(app: &App, c: &Component, name: &str, spec: &toml::Value) -> anyhow::Result<Dependency> {
    let table = match spec {
        toml::Value::Table(t) => t,
        toml::Value::String(v) => {
            bail!("dependency {name:?} = {v:?} comes from a registry; the edge composes local components only")
        }
        _ => bail!("dependency {name:?} must be a table"),
    };
    for key in table.keys() {
        if !["path", "component", "export", "inherit_configuration", "url", "digest", "version", "registry", "package"]
            .contains(&key.as_str())
        {
            bail!("dependency {name:?}: unknown key {key:?}");
        }
    }
    let str_of = |k: &str| table.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let path = if let Some(p) = str_of("path") {
        app.dir.join(p)
    } else if let Some(id) = str_of("component") {
        let other = app
            .manifest
            .component
            .get(&id)
            .with_context(|| format!("dependency {name:?} names component {id:?}, which is not defined"))?;
        match &other.source {
            Source::Local(p) => app.dir.join(p),
            _ => bail!("dependency {name:?}: component {id:?} must have a local source"),
        }
    } else {
        bail!("dependency {name:?}: only `path = ...` and `component = ...` dependencies are supported by this edge");
    };
    let wasm = std::fs::read(&path).with_context(|| format!("reading dependency {name:?} from {}", path.display()))?;
    let inherit = match table.get("inherit_configuration") {
        None if c.dependencies_inherit_configuration => Inherit::All,
        None => Inherit::Only(Vec::new()),
        Some(toml::Value::Boolean(true)) => Inherit::All,
        Some(toml::Value::Boolean(false)) => Inherit::Only(Vec::new()),
        Some(toml::Value::Array(keys)) => Inherit::Only(
            keys.iter()
                .map(|k| k.as_str().map(str::to_string).context("inherit_configuration entries are strings"))
                .collect::<anyhow::Result<_>>()?,
        ),
        Some(_) => bail!("dependency {name:?}: inherit_configuration must be a boolean or a list"),
    };
    Ok(Dependency { wasm, export: str_of("export"), inherit })
}

/// Why an application's dependencies cannot be composed the way Spin composes them.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Two dependency entries of one component name the same package. Spin registers each
    /// dependency in its composition graph under the entry's package name (`ns:pkg`, without
    /// interface or version), and a graph holds one package per name, so Spin refuses such a
    /// component at start-up — even when both entries come from the same component. A single
    /// package-level entry (`"ns:pkg" = ...`) is how one component supplies several interfaces.
    #[error(
        "failed to resolve dependencies for component {component:?}: package '{package}' has already been \
         registered in the graph (dependencies {first:?} and {second:?} both name it; Spin allows one \
         dependency per package: give each library its own package, or satisfy the package with one \
         `\"{package}\" = ...` entry)"
    )]
    PackageRegisteredTwice {
        /// The importing component.
        component: String,
        /// The package both entries name.
        package: String,
        /// The entry that registered the package first.
        first: String,
        /// The entry refused.
        second: String,
    },
}

/// A dependency registered in the composition graph (Spin's `DependencyInfo`).
struct Registered {
    name: String,
    node: NodeId,
    world: wac_graph::types::WorldId,
    export: Option<String>,
    /// The importer's imports this dependency satisfies.
    imports: Vec<String>,
}

/// Composes `main` (component `id`) with its dependencies; returns the composed component.
///
/// The steps and their order follow Spin's composer (`crates/compose/src/lib.rs`,
/// `Composer::compose`): every dependency is matched to imports and registered first (so an
/// unmatched name or a package named twice is reported before any export is looked at), then
/// conflicting imports are refused, then each import is plugged after a subtype check.
pub fn compose(app: &App, id: &str, c: &Component, main: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let main_pkg = Package::from_bytes(id, None, main, graph.types_mut()).context("reading the component")?;
    let main_world = main_pkg.ty();
    let main_pkg = graph.register_package(main_pkg)?;
    let main_inst = graph.instantiate(main_pkg);
    let imports: Vec<String> = graph.types()[main_world].imports.keys().cloned().collect();

    let mut registered: Vec<Registered> = Vec::new();
    let mut packages: HashMap<String, String> = HashMap::new();
    let mut deny_nodes: HashMap<String, NodeId> = HashMap::new();
    for (name, spec) in &c.dependencies {
        let wanted = InterfaceName::parse(name)?;
        let matched: Vec<String> = imports.iter().filter(|imp| wanted.matches(imp)).cloned().collect();
        if matched.is_empty() {
            bail!("dependency {name:?} doesn't match any imports of component {id:?}");
        }
        let dep = resolve_dependency(app, c, name, spec)?;
        register_package_name(&mut packages, id, name, &wanted)?;
        let pkg = Package::from_bytes(&wanted.package, None, dep.wasm, graph.types_mut())
            .with_context(|| format!("reading dependency {name:?}"))?;
        let dep_world = pkg.ty();
        let pkg = graph.register_package(pkg)?;
        let dep_inst = graph.instantiate(pkg);
        isolate(&mut graph, &mut deny_nodes, name, &dep.inherit, dep_world, dep_inst)?;
        registered.push(Registered {
            name: name.clone(),
            node: dep_inst,
            world: dep_world,
            export: dep.export,
            imports: matched,
        });
    }

    let mut satisfied: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for dep in &registered {
        for import in &dep.imports {
            satisfied.entry(import.as_str()).or_default().push(dep.name.as_str());
        }
    }
    let conflicts: Vec<String> = satisfied
        .iter()
        .filter(|(_, deps)| deps.len() > 1)
        .map(|(import, deps)| format!("import '{import}' satisfied by dependencies: '{}'", deps.join(", ")))
        .collect();
    if !conflicts.is_empty() {
        bail!("component {id:?} has dependency conflicts: {}", conflicts.join("; "));
    }

    for dep in &registered {
        let name = &dep.name;
        for import in &dep.imports {
            let export = dep.export.clone().unwrap_or_else(|| import.clone());
            let Some(export_ty) = graph.types()[dep.world].exports.get(&export).copied() else {
                bail!("dependency {name:?} doesn't export {export:?} to satisfy import {import:?}");
            };
            let import_ty = graph.types()[main_world].imports[import];
            let mut cache = Default::default();
            SubtypeChecker::new(&mut cache)
                .is_subtype(export_ty, graph.types(), import_ty, graph.types())
                .with_context(|| {
                    format!("dependency {name:?} exports {export:?}, which is not compatible with import {import:?}")
                })?;
            let alias = graph.alias_instance_export(dep.node, &export)?;
            graph.set_instantiation_argument(main_inst, import, alias)?;
        }
    }

    let exports: Vec<String> = graph.types()[main_world].exports.keys().cloned().collect();
    for export in exports {
        let alias = graph.alias_instance_export(main_inst, &export)?;
        graph.export(alias, &export)?;
    }
    graph.encode(EncodeOptions::default()).context("encoding the composed component")
}

/// Records that dependency `name` of component `id` takes its package's place in the graph.
/// Spin's graph key for a dependency is its package name alone (`ns:pkg`), so a second entry of
/// the same package is refused whatever its interface, version or source.
fn register_package_name(
    packages: &mut HashMap<String, String>,
    id: &str,
    name: &str,
    wanted: &InterfaceName,
) -> Result<(), ComposeError> {
    match packages.insert(wanted.package.clone(), name.to_string()) {
        None => Ok(()),
        Some(first) => Err(ComposeError::PackageRegisteredTwice {
            component: id.to_string(),
            package: wanted.package.clone(),
            first,
            second: name.to_string(),
        }),
    }
}

/// Sends each capability the importer does not grant the dependency to a renamed import the
/// host denies.
fn isolate(
    graph: &mut CompositionGraph,
    deny_nodes: &mut HashMap<String, NodeId>,
    name: &str,
    inherit: &Inherit,
    dep_world: wac_graph::types::WorldId,
    dep_inst: NodeId,
) -> anyhow::Result<()> {
    let dep_imports: Vec<(String, wac_graph::types::ItemKind)> =
        graph.types()[dep_world].imports.iter().map(|(n, k)| (n.clone(), *k)).collect();
    tracing::debug!(dependency = %name, imports = ?dep_imports.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ?inherit, "dependency imports");
    for (import, kind) in dep_imports {
        if !inherit.denies(&import) {
            continue;
        }
        let renamed = format!("{DENY_NAMESPACE}{}", import.replacen(':', "-", 1));
        let node = match deny_nodes.get(&renamed) {
            Some(n) => *n,
            None => {
                // wac folds imports of one interface id into one import; an anonymous copy
                // of the interface keeps the denied import separate from the real one.
                let kind = match kind {
                    wac_graph::types::ItemKind::Instance(iid) => {
                        let mut copy = graph.types()[iid].clone();
                        copy.id = None;
                        wac_graph::types::ItemKind::Instance(graph.types_mut().add_interface(copy))
                    }
                    other => other,
                };
                let n = graph.import(renamed.clone(), kind)?;
                deny_nodes.insert(renamed, n);
                n
            }
        };
        graph
            .set_instantiation_argument(dep_inst, &import, node)
            .with_context(|| format!("isolating {import} of dependency {name:?}"))?;
    }
    Ok(())
}

/// A resource a denied capability hands out — never, since every constructor is refused.
struct Denied;

/// Defines, in `linker`, every `wenming-deny:` import of `component`.
pub fn add_denials<T: 'static>(
    linker: &mut Linker<T>,
    engine: &wasmtime::Engine,
    component: &wasmtime::component::Component,
) -> anyhow::Result<()> {
    let ty = component.component_type();
    for (name, item) in ty.imports(engine) {
        if !name.starts_with(DENY_NAMESPACE) {
            continue;
        }
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            bail!("denied import {name} is not an instance");
        };
        let mut inst = linker.instance(name).map_err(anyhow::Error::from)?;
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    let qualified = format!("{name}#{export}");
                    inst.func_new(export, move |_store, func, _params, results| deny(&qualified, &func, results))
                        .map_err(anyhow::Error::from)?;
                }
                ComponentItem::Resource(_) => {
                    inst.resource(export, ResourceType::host::<Denied>(), |_, _| Ok(()))
                        .map_err(anyhow::Error::from)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The answer a denied capability gives: the interface's own "denied" error where it has one,
/// nothing where the answer is a list or an option, a trap otherwise.
fn deny(what: &str, func: &wasmtime::component::types::ComponentFunc, results: &mut [Val]) -> wasmtime::Result<()> {
    use wasmtime::component::types::Type;
    let Some(result_ty) = func.results().next() else {
        wasmtime::bail!("{what}: this capability was not granted to the dependency");
    };
    let value = match result_ty {
        Type::List(_) => Val::List(Vec::new()),
        Type::Option(_) => Val::Option(None),
        Type::Result(r) => match r.err() {
            Some(Type::Variant(v)) => {
                match v.cases().find(|c| matches!(c.name, "access-denied" | "HTTP-request-denied")) {
                    Some(case) => Val::Result(Err(Some(Box::new(Val::Variant(case.name.to_string(), None))))),
                    None => wasmtime::bail!("{what}: this capability was not granted to the dependency"),
                }
            }
            Some(Type::Enum(e)) if e.names().any(|n| n == "access-denied") => {
                Val::Result(Err(Some(Box::new(Val::Enum("access-denied".to_string())))))
            }
            _ => wasmtime::bail!("{what}: this capability was not granted to the dependency"),
        },
        _ => wasmtime::bail!("{what}: this capability was not granted to the dependency"),
    };
    if let Some(slot) = results.first_mut() {
        *slot = value;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_names_match_imports_as_spin_matches_them() {
        let cases = [
            ("foo:bar/baz@0.1.0", "foo:bar/baz@0.1.0", true),
            ("foo:bar/baz", "foo:bar/baz@0.1.0", true),
            ("foo:bar", "foo:bar/baz@0.1.0", true),
            ("foo:bar@0.1.0", "foo:bar/baz@0.1.0", true),
            ("foo:bar/baz@0.1.0", "foo:bar/baz", false),
            ("foo:bar/baz", "foo:bar/bub@0.1.0", false),
            ("foo:bar", "foo:bub/bib", false),
            ("foo:bar/baz", "foo:bar/baz-bub", false),
        ];
        for (dep, import, expected) in cases {
            assert_eq!(InterfaceName::parse(dep).unwrap().matches(import), expected, "{dep} vs {import}");
        }
        assert!(InterfaceName::parse("plain-name").is_err());
    }

    #[test]
    fn one_dependency_entry_per_package_as_spin_registers_them() {
        let register = |names: &[&str]| {
            let mut packages = HashMap::new();
            names
                .iter()
                .map(|n| register_package_name(&mut packages, "step", n, &InterfaceName::parse(n).unwrap()))
                .collect::<Result<Vec<()>, ComposeError>>()
        };
        assert!(register(&["wenming:identity/identity@0.1.0", "wenming:ledger/ledger@0.1.0"]).is_ok());
        assert!(register(&["wenming:platform"]).is_ok(), "one package-level entry covers every interface");
        for refused in [
            &["wenming:platform/identity", "wenming:platform/ledger"][..],
            &["wenming:platform/identity@0.1.0", "wenming:platform/ledger@0.2.0"][..],
            &["wenming:platform", "wenming:platform/ledger"][..],
        ] {
            let err = register(refused).expect_err("a package named twice is refused").to_string();
            assert!(err.contains("component \"step\""), "{err}");
            assert!(err.contains("package 'wenming:platform' has already been registered in the graph"), "{err}");
        }
    }

    #[test]
    fn inheritance_decides_which_capabilities_are_denied() {
        let none = Inherit::Only(Vec::new());
        assert!(none.denies("spin:sqlite/sqlite@3.0.0"));
        assert!(none.denies("wasi:cli/environment@0.2.6"));
        assert!(!none.denies("wasi:io/streams@0.2.6"));
        assert!(!none.denies("wenming:platform/settings@0.1.0"));
        assert!(!Inherit::All.denies("spin:sqlite/sqlite@3.0.0"));
        let sqlite_only = Inherit::Only(vec!["sqlite_databases".into()]);
        assert!(!sqlite_only.denies("fermyon:spin/sqlite@2.0.0"));
        assert!(sqlite_only.denies("wasi:http/outgoing-handler@0.2.6"));
    }
}
