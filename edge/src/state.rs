//! The per-request store data: one small struct with a thin view for each host capability.

use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::kv::{KvCtx, KvView};
use crate::outbound::OutboundPolicy;
use crate::sqlite::host::{SqliteCtx, SqliteView};
use crate::variables::{ComponentVariables, VariablesView};

/// Everything one guest instance may reach, for the life of one request.
pub struct HostState {
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) outbound: OutboundPolicy,
    pub(crate) sqlite: SqliteCtx,
    pub(crate) variables: ComponentVariables,
    pub(crate) kv: KvCtx,
    pub(crate) limits: StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

impl VariablesView for HostState {
    fn variables(&mut self) -> &mut ComponentVariables {
        &mut self.variables
    }
}

impl KvView for HostState {
    fn kv(&mut self) -> (&mut KvCtx, &mut ResourceTable) {
        (&mut self.kv, &mut self.table)
    }
}

impl SqliteView for HostState {
    fn sqlite(&mut self) -> (&mut SqliteCtx, &mut ResourceTable) {
        (&mut self.sqlite, &mut self.table)
    }
}
