//! Key-value stores for components (`key_value_stores`), served through
//! `fermyon:spin/key-value@2.0.0` and kept in libSQL, one table per store file as Spin keeps them.
//!
//! Labels are checked as for SQLite: a label the component does not list is `access-denied`; a
//! listed label nobody configured stops start-up. `default` always exists:
//! `<state-dir>/sqlite_key_value.db`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use wasmtime::component::{Resource, ResourceTable};

use crate::runtime_config::SqliteConfig;
use crate::sqlite::{Database, Databases, SqliteSettings};

/// Spin's cap on stores one instance may hold open.
const MAX_STORES_PER_INSTANCE: usize = 256;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";

/// Every configured store, by label.
#[derive(Clone, Default)]
pub struct Stores {
    dbs: Databases,
}

impl Stores {
    /// Opens the configured stores. Runtime-config paths are relative to the config file's
    /// folder (as Spin resolves them for key-value, unlike SQLite).
    pub async fn open(
        configured: &BTreeMap<String, toml::Table>,
        config_dir: &Path,
        state_dir: Option<&Path>,
        settings: &SqliteSettings,
    ) -> anyhow::Result<Stores> {
        let mut configs = BTreeMap::new();
        for (label, table) in configured {
            let kind = table.get("type").and_then(|v| v.as_str()).unwrap_or("");
            if kind != "spin" {
                bail!("key_value_store.{label}: type {kind:?} is not supported by this edge (use type = \"spin\")");
            }
            for key in table.keys() {
                if key != "type" && key != "path" {
                    bail!("key_value_store.{label}: unknown key {key:?}");
                }
            }
            let path = match table.get("path") {
                None => None,
                Some(toml::Value::String(p)) => Some(config_dir.join(p)),
                Some(_) => bail!("key_value_store.{label}: path must be a string"),
            };
            configs.insert(label.clone(), SqliteConfig::Spin { path, allow_attach_file: false });
        }
        configs.entry("default".to_string()).or_insert_with(|| SqliteConfig::Spin {
            path: state_dir.map(|d| d.join("sqlite_key_value.db")),
            allow_attach_file: false,
        });
        let dbs = Databases::open(&configs, None, settings).await?;
        for db in dbs.iter() {
            let pooled = db.checkout().await?;
            db.run(pooled.conn(), CREATE_TABLE.into(), Vec::new())
                .await
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("creating the key-value table for store {}", db.label()))?;
        }
        Ok(Stores { dbs })
    }

    /// Whether a label is configured.
    pub fn contains(&self, label: &str) -> bool {
        self.dbs.contains(label)
    }
}

/// A guest's open store.
pub struct GuestStore {
    db: Arc<Database>,
    label: String,
}

/// Per-instance key-value state.
pub struct KvCtx {
    stores: Stores,
    allowed: Arc<HashSet<String>>,
    open: usize,
}

impl KvCtx {
    /// State for one instance of a component allowed to use `allowed`.
    pub fn new(stores: Stores, allowed: Arc<HashSet<String>>) -> KvCtx {
        KvCtx { stores, allowed, open: 0 }
    }
}

/// What the host trait needs from the store data.
pub trait KvView: Send {
    /// The key-value state and the resource table, borrowed together.
    fn kv(&mut self) -> (&mut KvCtx, &mut ResourceTable);
}

/// Generated host bindings for the key-value interface.
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wenming:edge/key-value",
        imports: { default: async | trappable },
        with: { "fermyon:spin/key-value.store": super::GuestStore },
    });
}

use bindings::fermyon::spin::key_value as v2;

/// The key-value state and resource table of one store; the interface is implemented on it.
pub struct KvHostView<'a> {
    ctx: &'a mut KvCtx,
    table: &'a mut ResourceTable,
}

impl KvHostView<'_> {
    /// Runs one statement against the store's table, with the store label as `?1`.
    async fn run(
        &mut self,
        store: &Resource<GuestStore>,
        sql: &str,
        mut params: Vec<libsql::Value>,
    ) -> wasmtime::Result<Result<crate::sqlite::QueryOutput, v2::Error>> {
        let s = self.table.get(store)?;
        let (db, label) = (Arc::clone(&s.db), s.label.clone());
        params.insert(0, libsql::Value::Text(label));
        let pooled = match db.checkout().await {
            Ok(p) => p,
            Err(e) => return Ok(Err(v2::Error::Other(format!("{e:#}")))),
        };
        Ok(db.run(pooled.conn(), sql.to_string(), params).await.map_err(v2::Error::Other))
    }
}

impl v2::Host for KvHostView<'_> {}

impl v2::HostStore for KvHostView<'_> {
    async fn open(&mut self, label: String) -> wasmtime::Result<Result<Resource<GuestStore>, v2::Error>> {
        if !self.ctx.allowed.contains(&label) {
            return Ok(Err(v2::Error::AccessDenied));
        }
        let Some(db) = self.ctx.stores.dbs.get(&label).cloned() else {
            return Ok(Err(v2::Error::NoSuchStore));
        };
        if self.ctx.open >= MAX_STORES_PER_INSTANCE {
            return Ok(Err(v2::Error::StoreTableFull));
        }
        self.ctx.open += 1;
        Ok(Ok(self.table.push(GuestStore { db, label })?))
    }

    async fn get(
        &mut self,
        store: Resource<GuestStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, v2::Error>> {
        let out = self
            .run(
                &store,
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                vec![libsql::Value::Text(key)],
            )
            .await?;
        Ok(out.map(|q| match q.rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(libsql::Value::Blob(b)) => Some(b),
            Some(libsql::Value::Text(t)) => Some(t.into_bytes()),
            _ => None,
        }))
    }

    async fn set(
        &mut self,
        store: Resource<GuestStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), v2::Error>> {
        let sql = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                   ON CONFLICT (store, key) DO UPDATE SET value = excluded.value";
        let out = self.run(&store, sql, vec![libsql::Value::Text(key), libsql::Value::Blob(value)]).await?;
        Ok(out.map(|_| ()))
    }

    async fn delete(&mut self, store: Resource<GuestStore>, key: String) -> wasmtime::Result<Result<(), v2::Error>> {
        let out = self
            .run(&store, "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2", vec![libsql::Value::Text(key)])
            .await?;
        Ok(out.map(|_| ()))
    }

    async fn exists(&mut self, store: Resource<GuestStore>, key: String) -> wasmtime::Result<Result<bool, v2::Error>> {
        let out = self
            .run(&store, "SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2", vec![libsql::Value::Text(key)])
            .await?;
        Ok(out.map(|q| !q.rows.is_empty()))
    }

    async fn get_keys(&mut self, store: Resource<GuestStore>) -> wasmtime::Result<Result<Vec<String>, v2::Error>> {
        let out = self.run(&store, "SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key", Vec::new()).await?;
        Ok(out.map(|q| {
            q.rows
                .into_iter()
                .filter_map(|r| match r.into_iter().next() {
                    Some(libsql::Value::Text(k)) => Some(k),
                    _ => None,
                })
                .collect()
        }))
    }

    async fn drop(&mut self, store: Resource<GuestStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.ctx.open = self.ctx.open.saturating_sub(1);
        Ok(())
    }
}

struct KvHost;

impl wasmtime::component::HasData for KvHost {
    type Data<'a> = KvHostView<'a>;
}

fn view<T: KvView>(state: &mut T) -> KvHostView<'_> {
    let (ctx, table) = state.kv();
    KvHostView { ctx, table }
}

/// Adds the key-value interface to a linker.
pub fn add_to_linker<T: KvView + 'static>(linker: &mut wasmtime::component::Linker<T>) -> wasmtime::Result<()> {
    v2::add_to_linker::<T, KvHost>(linker, view::<T>)
}
