//! The wasmtime engine: configured once, shared by every component.
//!
//! 1. The pooling allocator keeps instance slots (memories, tables, fiber stacks) reserved, so a
//!    per-request instance costs a few microseconds instead of mmap/munmap calls.
//! 2. Epoch interruption lets a ticker thread stop a guest stuck in a loop: the deadline is
//!    counted in ticks of [`EPOCH_TICK`].
//! 3. Compiled components are cached on disk, keyed by the wasm's hash and the engine's
//!    compatibility hash, so a restart does not pay Cranelift again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. A guest's timeout is enforced to within one tick; shorter ticks
/// cost a little more CPU in the ticker thread and in the guest's epoch checks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Pool slots per component instance. A composed component (a step plus its library
/// components) is several core instances, memories and tables per request: the product's
/// `checkin` (checkin + identity + ledger) needs about a dozen core instances. Slots cost
/// virtual address space and a little bookkeeping, not resident memory, so they are generous.
const CORE_INSTANCES_PER_INSTANCE: u32 = 32;
const MEMORIES_PER_INSTANCE: u32 = 8;
const TABLES_PER_INSTANCE: u32 = 16;

/// Engine settings that depend on the serving limits.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Instances that may exist at once. Each slot reserves address space (not memory) for its
    /// linear memories; raising it costs virtual address space only.
    pub max_instances: u32,
    /// Linear-memory ceiling per memory in the pool, in bytes.
    pub max_memory_bytes: usize,
    /// Turn the pooling allocator off (e.g. where virtual address space is scarce).
    pub pooling: bool,
}

/// Builds the shared engine.
pub fn build(settings: &EngineSettings) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if settings.pooling {
        let slots = settings.max_instances + settings.max_instances / 4 + 8;
        let mut pool = PoolingAllocationConfig::new();
        // Slots beyond the instance cap cover instances still being torn down as new ones start.
        pool.total_component_instances(slots);
        pool.total_core_instances(slots * CORE_INSTANCES_PER_INSTANCE);
        pool.total_memories(slots * MEMORIES_PER_INSTANCE);
        pool.total_tables(slots * TABLES_PER_INSTANCE);
        pool.total_stacks(slots);
        pool.max_memory_size(settings.max_memory_bytes);
        // Pages kept resident between uses: saves page faults on the next instance in the slot
        // at the cost of that much RSS per idle slot.
        pool.linear_memory_keep_resident(2 << 20);
        pool.table_keep_resident(512 << 10);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config).map_err(anyhow::Error::from).context("configuring the wasmtime engine")
}

/// Starts the thread that advances the epoch. It stops when the engine is dropped elsewhere
/// (the thread holds only a weak reference).
pub fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        })
        .expect("spawning the epoch ticker thread");
}

/// Number of epoch ticks in a duration, at least one.
pub fn ticks(d: Duration) -> u64 {
    (d.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// Compiles components, reusing earlier compilations from a cache folder.
pub struct Compiler {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    engine_key: String,
}

impl Compiler {
    /// A compiler whose artefacts live in `cache_dir` (none: always compile).
    pub fn new(engine: &Engine, cache_dir: Option<PathBuf>) -> Compiler {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Compiler { engine: engine.clone(), cache_dir, engine_key: format!("{:016x}", h.finish()) }
    }

    /// The engine components are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a component's bytes; `wasm_path` names them in messages.
    pub fn load(&self, bytes: &[u8], wasm_path: &Path) -> anyhow::Result<Component> {
        let Some(dir) = &self.cache_dir else {
            return Component::new(&self.engine, bytes)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("compiling {}", wasm_path.display()));
        };
        let digest = hex::encode(Sha256::digest(bytes));
        let cached = dir.join(format!("{digest}-{}.cwasm", self.engine_key));
        if cached.exists() {
            // SAFETY: the file was written by `precompile_component` of an engine with the same
            // compatibility hash (it is in the name) into a folder only this program writes.
            match unsafe { Component::deserialize_file(&self.engine, &cached) } {
                Ok(c) => return Ok(c),
                Err(e) => tracing::warn!(file = %cached.display(), "ignoring unusable compile cache entry: {e:#}"),
            }
        }
        let compiled = self
            .engine
            .precompile_component(bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling {}", wasm_path.display()))?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating cache dir {}", dir.display()))?;
        // Write then rename, so a concurrent start never reads half a file.
        let tmp = dir.join(format!(".{digest}-{}.{}.tmp", self.engine_key, std::process::id()));
        std::fs::write(&tmp, &compiled).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &cached).with_context(|| format!("writing {}", cached.display()))?;
        // SAFETY: as above; the bytes were just produced by this engine.
        unsafe { Component::deserialize(&self.engine, &compiled) }
            .map_err(anyhow::Error::from)
            .with_context(|| format!("loading compiled {}", wasm_path.display()))
    }
}
