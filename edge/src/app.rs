//! Loading an application: the manifest's triggers become a router, each component is compiled
//! (once, cached) and pre-instantiated against the host's linker, and each component's files are
//! staged for a read-only mount.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use wasmtime::component::Linker;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::compose;
use crate::engine::Compiler;
use crate::kv::Stores;
use crate::manifest::{App, Component, ComponentRef, FileMount, RouteSpec, Source, StaticResponse};
use crate::outbound::AllowedHosts;
use crate::routing::{Router, Target};
use crate::sqlite::Databases;
use crate::state::HostState;
use crate::variables::{AppVariables, ComponentVariables};

/// A component ready to serve requests.
pub struct LoadedComponent {
    /// Component id from the manifest.
    pub id: String,
    /// Pre-instantiated: imports resolved once, so a request only allocates and runs.
    pub pre: ProxyPre<HostState>,
    /// Environment variables: the manifest's `environment`, then the command line's `-e`.
    pub env: Vec<(String, String)>,
    /// Folder mounted read-only at `/`, if the component has `files`.
    pub mount: Option<PathBuf>,
    /// SQLite labels the component may open.
    pub sqlite_allowed: Arc<HashSet<String>>,
    /// The component's resolved variables.
    pub variables: ComponentVariables,
    /// Where the component may send HTTP requests.
    pub allowed_hosts: Arc<AllowedHosts>,
    /// Key-value store labels the component may open.
    pub kv_allowed: Arc<HashSet<String>>,
}

/// An application ready to serve.
pub struct LoadedApp {
    /// `[application] name`.
    pub name: String,
    /// `[application] version`.
    pub version: Option<String>,
    /// Public routes.
    pub router: Router,
    /// Components by id.
    pub components: HashMap<String, Arc<LoadedComponent>>,
    /// `static_response` triggers by trigger index.
    pub statics: HashMap<usize, StaticResponse>,
    /// The configured databases.
    pub databases: Databases,
    /// The configured key-value stores.
    pub stores: Stores,
    /// The engine every component runs on.
    pub engine: Engine,
}

/// What loading needs besides the manifest.
pub struct LoadOptions<'a> {
    /// `-e KEY=VALUE` from the command line.
    pub extra_env: &'a [(String, String)],
    /// Where staged files live (`None`: a temporary folder).
    pub state_dir: Option<&'a Path>,
    /// The application's variables, resolved.
    pub variables: &'a AppVariables,
}

/// The id Spin gives a component defined inline in a trigger.
fn inline_id(index: usize) -> String {
    format!("inline-component{index}")
}

/// Loads every HTTP-triggered component of `app`.
pub fn load(
    app: &App,
    engine: &Engine,
    compiler: &Compiler,
    linker: &Linker<HostState>,
    databases: Databases,
    stores: Stores,
    options: &LoadOptions<'_>,
) -> anyhow::Result<LoadedApp> {
    let m = &app.manifest;
    for name in m.trigger.other.keys() {
        tracing::warn!("trigger type {name:?} is not served by this edge; only HTTP triggers run");
    }

    // Triggers → routes, and the set of components they need.
    let mut routes = Vec::new();
    let mut statics = HashMap::new();
    let mut needed: BTreeMap<String, Component> = BTreeMap::new();
    for (i, trigger) in m.trigger.http.iter().enumerate() {
        let target = match (&trigger.component, &trigger.static_response) {
            (Some(ComponentRef::Id(id)), _) => {
                needed.insert(id.clone(), m.component[id].clone());
                Target::Component(id.clone())
            }
            (Some(ComponentRef::Inline(c)), _) => {
                let id = trigger.id.clone().unwrap_or_else(|| inline_id(i));
                needed.insert(id.clone(), (**c).clone());
                Target::Component(id)
            }
            (None, Some(s)) => {
                statics.insert(i, s.clone());
                Target::Static(i)
            }
            (None, None) => unreachable!("validated in the manifest"),
        };
        if let RouteSpec::Path(route) = &trigger.route {
            routes.push((route.clone(), target));
        }
    }
    let (router, duplicates) = Router::build(routes);
    for d in duplicates {
        tracing::warn!(route = %d.route, replaced = ?d.replaced, effective = ?d.effective, "duplicate route: the last one wins");
    }
    for r in router.routes() {
        if r.pattern.is_reserved() {
            tracing::warn!(route = %r.pattern.raw, "route is under /.well-known/spin, which the host handles first; it is unreachable");
        }
    }

    // Spin refuses to start when a component names a database nobody configured.
    let missing: Vec<String> =
        needed.values().flat_map(|c| c.sqlite_databases.iter()).filter(|l| !databases.contains(l)).cloned().collect();
    if !missing.is_empty() {
        bail!(
            "One or more components use SQLite databases which are not defined: {}. Define them in the runtime config file",
            missing.join(", ")
        );
    }

    let missing: Vec<String> =
        needed.values().flat_map(|c| c.key_value_stores.iter()).filter(|l| !stores.contains(l)).cloned().collect();
    if !missing.is_empty() {
        bail!(
            "One or more components use key-value stores which are not defined: {}. Define them in the runtime config file",
            missing.join(", ")
        );
    }

    let mut components = HashMap::new();
    for (id, c) in &needed {
        let loaded = load_component(app, id, c, compiler, linker, options)
            .with_context(|| format!("loading component {id:?}"))?;
        components.insert(id.clone(), Arc::new(loaded));
    }

    Ok(LoadedApp {
        name: m.application.name.clone(),
        version: m.application.version.clone(),
        router,
        components,
        statics,
        databases,
        stores,
        engine: engine.clone(),
    })
}

fn load_component(
    app: &App,
    id: &str,
    c: &Component,
    compiler: &Compiler,
    linker: &Linker<HostState>,
    options: &LoadOptions<'_>,
) -> anyhow::Result<LoadedComponent> {
    let variables = options.variables.component(&c.variables)?;
    let allowed_hosts =
        Arc::new(AllowedHosts::parse(&c.allowed_outbound_hosts, &c.allowed_http_hosts, options.variables)?);
    let wasm = match &c.source {
        Source::Local(path) => app.dir.join(path),
        Source::Remote { url, .. } => bail!("source {url} is remote; the edge runs local files only"),
        Source::Registry { package, .. } => bail!("source {package} is in a registry; the edge runs local files only"),
    };
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading component {}", wasm.display()))?;
    let composed = !c.dependencies.is_empty();
    let bytes = if composed { compose::compose(app, id, c, bytes)? } else { bytes };
    let component = compiler.load(&bytes, &wasm)?;
    if tracing::enabled!(tracing::Level::DEBUG) {
        let ty = component.component_type();
        let imports: Vec<&str> = ty.imports(compiler.engine()).map(|(name, _)| name).collect();
        tracing::debug!(component = id, ?imports, "imports");
    }
    // A composed component may import denied capabilities for its dependencies; those are
    // defined on a copy of the shared linker, for this component only.
    let mut own_linker;
    let linker = if composed {
        own_linker = linker.clone();
        compose::add_denials(&mut own_linker, compiler.engine(), &component)?;
        &own_linker
    } else {
        linker
    };
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{} imports something this edge does not provide", wasm.display()))?;
    let pre = ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{} does not export wasi:http/incoming-handler@0.2", wasm.display()))?;

    let mut env: Vec<(String, String)> = c.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in options.extra_env {
        env.retain(|(key, _)| key != k);
        env.push((k.clone(), v.clone()));
    }

    let mount = if c.files.is_empty() {
        None
    } else {
        let root = match options.state_dir {
            Some(d) => d.join("mounts"),
            None => std::env::temp_dir().join(format!("wenming-mounts-{}", std::process::id())),
        };
        let dir = root.join(id);
        stage_files(&app.dir, &c.files, &c.exclude_files, &dir).with_context(|| format!("staging files for {id}"))?;
        Some(dir)
    };

    Ok(LoadedComponent {
        id: id.to_string(),
        pre,
        env,
        mount,
        sqlite_allowed: Arc::new(c.sqlite_databases.iter().cloned().collect()),
        variables,
        allowed_hosts,
        kv_allowed: Arc::new(c.key_value_stores.iter().cloned().collect()),
    })
}

/// Copies a component's `files` into `dest`, which becomes its read-only root. Copying (as Spin
/// does for local apps) means a later edit of the source tree cannot change a running app.
fn stage_files(app_dir: &Path, files: &[FileMount], exclude: &[String], dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).with_context(|| format!("clearing {}", dest.display()))?;
    }
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let excluded: Vec<glob::Pattern> = exclude
        .iter()
        .map(|p| glob::Pattern::new(p).with_context(|| format!("bad exclude_files pattern {p:?}")))
        .collect::<anyhow::Result<_>>()?;
    for mount in files {
        match mount {
            FileMount::Pattern(pattern) => {
                let full = app_dir.join(pattern);
                let full = full.to_str().context("file pattern is not UTF-8")?;
                for entry in glob::glob(full).with_context(|| format!("bad files pattern {pattern:?}"))? {
                    let path = entry?;
                    if !path.is_file() {
                        continue;
                    }
                    let rel = path.strip_prefix(app_dir).unwrap_or(&path);
                    if excluded.iter().any(|p| p.matches_path(rel)) {
                        continue;
                    }
                    copy_file(&path, &dest.join(rel))?;
                }
            }
            FileMount::Placement { source, destination } => {
                let from = app_dir.join(source);
                let to = dest.join(destination.trim_start_matches('/'));
                if from.is_dir() {
                    copy_dir(&from, &to)?;
                } else {
                    copy_file(&from, &to)?;
                }
            }
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            copy_file(&path, &target)?;
        }
    }
    Ok(())
}
