//! The command line: `wenming up` takes `spin up`'s flags where they apply (`-f`, `--listen`,
//! `--runtime-config-file`, `--state-dir`, `-e`), so scripts written for one work with the other;
//! the rest are the edge's own limits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::app::{self, LoadOptions};
use crate::engine::{self, Compiler, EngineSettings};
use crate::kv::Stores;
use crate::manifest::App;
use crate::migrate;
use crate::runtime_config::RuntimeConfig;
use crate::schedule::{Off as ScheduleOff, Schedule};
use crate::server::{ServeOptions, Server};
use crate::sqlite::{Databases, SqliteSettings, Synchronous};
use crate::variables::AppVariables;

#[derive(Parser)]
#[command(name = "wenming", version, about = "Serve a Spin application on wasmtime + libSQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the application (like `spin up`).
    Up(UpArgs),
    /// Apply pending migrations to the `default` database and exit.
    Migrate(AppArgs),
    /// Send one request to a component in-process (private routes included), print the answer,
    /// exit non-zero unless it is 2xx.
    Call(CallArgs),
}

/// Where the application and its data are.
#[derive(Args, Clone)]
struct AppArgs {
    /// The manifest (`spin.toml`) or the folder holding it.
    #[arg(short = 'f', long = "from", default_value = ".")]
    from: PathBuf,
    /// Runtime config file (Spin's format): where each database lives.
    #[arg(long, env = "RUNTIME_CONFIG_FILE")]
    runtime_config_file: Option<PathBuf>,
    /// Folder for local state; the `default` database is `<state-dir>/sqlite_db.db`.
    /// Default: `.spin` beside the manifest.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Folder of `NNNN_name.sql` migrations. Default: `migrations/` beside the manifest, if any.
    #[arg(long)]
    migrations: Option<PathBuf>,
    /// `synchronous` for local databases: `normal` (WAL; loses nothing on an application crash,
    /// may lose the last commits on power loss) or `full` (an fsync per commit).
    #[arg(long, value_enum, default_value = "normal")]
    sqlite_synchronous: Synchronous,
}

/// How components run: shared by `up` and `call`.
#[derive(Args)]
struct RuntimeArgs {
    #[command(flatten)]
    app: AppArgs,
    /// Environment variable for every component, `KEY=VALUE`; repeatable.
    #[arg(short = 'e', long = "env", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Folder for compiled components. Default: `$XDG_CACHE_HOME/wenming` or `~/.cache/wenming`.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Do not cache compiled components on disk.
    #[arg(long)]
    disable_cache: bool,
    /// Longest a component may run for one request (e.g. `30s`, `500ms`, `1m 30s`); then it is
    /// stopped and the client gets 500 with an empty body, as Spin answers a failed guest.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Component instances alive at once.
    #[arg(long, default_value_t = 128)]
    max_instances: usize,
    /// Linear memory one instance may use, in bytes.
    #[arg(long, default_value_t = 256 << 20)]
    max_instance_memory: usize,
    /// Turn off wasmtime's pooling allocator (it reserves virtual address space up front).
    #[arg(long)]
    disable_pooling: bool,
}

#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    run: RuntimeArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Requests that may wait for a free instance; beyond that the answer is 503 with Retry-After.
    #[arg(long, default_value_t = 1024)]
    max_queue: usize,
    /// Longest a request waits for a free instance before a 503 (e.g. `10s`, `500ms`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    queue_timeout: Duration,
    /// Largest request body accepted, in bytes; larger gets 413.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Serve Prometheus metrics at `http://ADDR/metrics`, apart from the application's routes
    /// (e.g. `127.0.0.1:9090`; keep it off public interfaces). Off when not given.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// How long shutdown (SIGINT/SIGTERM) waits for in-flight requests (e.g. `30s`, `1m`).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    shutdown_grace: Duration,
    /// Longest a client may take to send a whole request head (request line and headers), from
    /// accepting the connection, or from the first byte of a later keep-alive request; then the
    /// connection is closed without an answer. Stops clients that send half a request and hold
    /// the connection; costs a client too slow to send its head in this time its request.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_read_timeout: Duration,
    /// Longest a keep-alive connection may sit idle between a response and the next request;
    /// then it is closed. Shorter frees connection slots sooner; costs clients that pause longer
    /// a new TCP handshake. Keep it longer than a reverse proxy's upstream keep-alive (nginx:
    /// 60s), so the proxy closes first and never sends on a connection the edge just closed.
    #[arg(long, default_value = "75s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Client connections open at once (each holds a file descriptor). Beyond it new connections
    /// are not accepted but wait in the listen backlog until a connection closes, so other
    /// clients see a delay rather than an error and the process keeps descriptors for its
    /// databases. Keep it well under `ulimit -n`; costs clients beyond it that wait.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Connections one client may hold open at once (an IPv4 address, or an IPv6 /64, which one
    /// subscriber usually holds whole); a connection beyond it is answered 429 and closed, so one
    /// client cannot take every `--max-connections` slot from the others. 0 turns it off: do
    /// that (or raise it) behind a reverse proxy, where every connection comes from the proxy.
    /// Costs a crowd behind one NAT address that needs more connections than this.
    #[arg(long, default_value_t = 64)]
    max_connections_per_client: usize,
    /// Longest a client may take to send a request's whole body once its head has arrived; then
    /// the answer is 408 and the connection is closed, and the half-read request never reaches a
    /// component. Stops clients that trickle or stall a body to hold a connection; at the
    /// default, a body of `--max-body-bytes` (1 MiB) needs about 35 KB/s.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    body_read_timeout: Duration,
    /// Run every scheduled job (`[application.tool.wenming.schedule]`) this often instead of
    /// its own `every` (e.g. `2s` in tests and demos; at least 1s).
    #[arg(long, value_parser = parse_duration)]
    job_every: Option<Duration>,
    /// Do not run the schedule (another scheduler, e.g. a CronJob, calls the job routes).
    #[arg(long)]
    no_schedule: bool,
}

/// One request to one component, in-process: how an operator reaches private components (the
/// first centre admin, demo data) without any endpoint being open to the network.
#[derive(Args)]
struct CallArgs {
    #[command(flatten)]
    run: RuntimeArgs,
    /// The component id (private components included).
    component: String,
    /// The HTTP method, e.g. POST.
    method: String,
    /// The path (and query), e.g. /centre-admin.
    path: String,
    /// The request body; `@file` reads it from a file.
    #[arg(long)]
    body: Option<String>,
    /// A request header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))?;
    if k.is_empty() {
        return Err("empty variable name".into());
    }
    Ok((k.to_string(), v.to_string()))
}

/// Parses a duration the way `humantime` writes them: `250ms`, `30s`, `5m`, `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, humantime::DurationError> {
    humantime::parse_duration(s)
}

/// Runs the command line; errors are printed with their whole chain of context.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => up(args).await,
            Command::Migrate(args) => migrate_only(args).await,
            Command::Call(args) => call(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The application, its runtime config and its opened databases.
struct Prepared {
    app: App,
    runtime_config: RuntimeConfig,
    state_dir: Option<PathBuf>,
    databases: Databases,
    settings: SqliteSettings,
}

/// `max_idle`: idle connections kept per database (see [`SqliteSettings::max_idle`]).
async fn prepare(args: &AppArgs, max_idle: usize) -> anyhow::Result<Prepared> {
    let app = App::load(&args.from)?;
    let runtime_config = match &args.runtime_config_file {
        Some(path) => RuntimeConfig::load(path)?,
        None => RuntimeConfig::default(),
    };
    // --state-dir wins over the runtime config's state_dir, which wins over `.spin`.
    let state_dir = match (&args.state_dir, &runtime_config.state_dir) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(dir)) if dir.is_empty() => None,
        (None, Some(dir)) => {
            let base = args.runtime_config_file.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
            Some(base.join(dir))
        }
        (None, None) => Some(app.dir.join(".spin")),
    };
    if let Some(dir) = &state_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating state dir {}", dir.display()))?;
    }
    let settings = SqliteSettings { synchronous: args.sqlite_synchronous, max_idle, ..SqliteSettings::default() };
    let databases = Databases::open(&runtime_config.sqlite_database, state_dir.as_deref(), &settings).await?;
    if let Some(dir) = &state_dir {
        if !runtime_config.sqlite_database.contains_key("default") {
            tracing::info!("storing default SQLite data to {:?}", dir.join("sqlite_db.db"));
        }
    }
    Ok(Prepared { app, runtime_config, state_dir, databases, settings })
}

async fn run_migrations(args: &AppArgs, prepared: &Prepared) -> anyhow::Result<()> {
    let dir = match &args.migrations {
        Some(dir) => dir.clone(),
        None => {
            let dir = prepared.app.dir.join("migrations");
            if !dir.is_dir() {
                return Ok(());
            }
            dir
        }
    };
    let migrations = migrate::discover(&dir)?;
    let db = prepared.databases.get("default").context("the default database is missing")?;
    let applied = migrate::apply(db, &migrations).await?;
    tracing::info!(applied = applied.len(), total = migrations.len(), "migrations up to date");
    Ok(())
}

async fn migrate_only(args: AppArgs) -> anyhow::Result<()> {
    // Migrating uses one connection at a time: nothing to keep idle beyond it.
    let prepared = prepare(&args, 1).await?;
    run_migrations(&args, &prepared).await
}

fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("wenming"))
}

/// What the manifest says beyond what components need: the tools' tables (the schedule) and
/// the variables they are rendered with.
struct Declared {
    tool: std::collections::BTreeMap<String, toml::Table>,
    variables: AppVariables,
    /// The setup code this run made ([`crate::setup`]), to print for the operator.
    setup_code: Option<String>,
}

/// The first-run setup code to supply this run: `(SPIN_VARIABLE_<NAME>, code)` when the manifest
/// declares `[application.tool.wenming.setup]`, the operator left the variable without a value,
/// and the app's query says setup is still needed.
async fn offer_setup_code(prepared: &Prepared) -> anyhow::Result<Option<(String, String)>> {
    let Some(decl) = crate::setup::from_manifest(&prepared.app.manifest.application.tool)? else { return Ok(None) };
    if !prepared.app.manifest.variables.contains_key(&decl.variable) {
        bail!("[application.tool.wenming.setup] names variable {:?}, which is not in [variables]", decl.variable);
    }
    let env = format!("SPIN_VARIABLE_{}", decl.variable.to_ascii_uppercase());
    if std::env::var(&env).is_ok_and(|v| !v.trim().is_empty()) {
        return Ok(None);
    }
    let db = prepared.databases.get("default").context("the default database is missing")?;
    let pooled = db.checkout().await?;
    let answer = db
        .run(pooled.conn(), decl.needed.clone(), Vec::new())
        .await
        .map_err(anyhow::Error::msg)
        .context("[application.tool.wenming.setup]: the `needed` query failed")?;
    drop(pooled);
    let needed = matches!(answer.rows.first().and_then(|r| r.first()), Some(libsql::Value::Integer(n)) if *n != 0);
    Ok(if needed { Some((env, crate::setup::new_code()?)) } else { None })
}

/// Loads the application as `up` and `call` run it: migrated, compiled, linked.
/// `offer_setup`: `up` makes the first-run setup code when it is needed; `call` never does.
async fn load(run: &RuntimeArgs, offer_setup: bool) -> anyhow::Result<(crate::app::LoadedApp, Declared)> {
    if run.max_instances == 0 {
        bail!("--max-instances must be at least 1");
    }
    // As many idle connections as instances can run at once: a burst's instances then find
    // their connections kept instead of opening new ones, each of which parses the schema again
    // on its first statement (BENCHMARKS.md, "the check-in burst … folded by the scheduler").
    let prepared = prepare(&run.app, run.max_instances).await?;
    // Resolved before migrating, so a missing required variable stops start-up first.
    let mut variables = AppVariables::resolve(&prepared.app.manifest.variables, |k| std::env::var(k).ok())?;
    run_migrations(&run.app, &prepared).await?;
    let setup = if offer_setup { offer_setup_code(&prepared).await? } else { None };
    if let Some((env, code)) = &setup {
        variables = AppVariables::resolve(&prepared.app.manifest.variables, |k| {
            if k == env {
                Some(code.clone())
            } else {
                std::env::var(k).ok()
            }
        })?;
    }

    let engine = engine::build(&EngineSettings {
        max_instances: u32::try_from(run.max_instances).context("--max-instances is too large")?,
        max_memory_bytes: run.max_instance_memory,
        pooling: !run.disable_pooling,
    })?;
    engine::start_epoch_ticker(&engine);
    let cache_dir = if run.disable_cache { None } else { run.cache_dir.clone().or_else(default_cache_dir) };
    let compiler = Compiler::new(&engine, cache_dir);
    let linker = crate::host::linker(&engine)?;
    let config_dir = run.app.runtime_config_file.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
    let stores = Stores::open(
        &prepared.runtime_config.key_value_store,
        config_dir,
        prepared.state_dir.as_deref(),
        &prepared.settings,
    )
    .await?;

    let loaded = app::load(
        &prepared.app,
        &engine,
        &compiler,
        &linker,
        prepared.databases.clone(),
        stores,
        &LoadOptions { extra_env: &run.env, state_dir: prepared.state_dir.as_deref(), variables: &variables },
    )?;
    Ok((
        loaded,
        Declared { tool: prepared.app.manifest.application.tool.clone(), variables, setup_code: setup.map(|(_, c)| c) },
    ))
}

fn serve_options(args: &UpArgs) -> ServeOptions {
    ServeOptions {
        listen: args.listen,
        request_timeout: args.run.request_timeout,
        max_instances: args.run.max_instances,
        max_queue: args.max_queue,
        queue_timeout: args.queue_timeout,
        max_body_bytes: args.max_body_bytes,
        max_instance_memory: args.run.max_instance_memory,
        shutdown_grace: args.shutdown_grace,
        metrics_listen: args.metrics_listen,
        header_read_timeout: args.header_read_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections,
        max_connections_per_client: args.max_connections_per_client,
        body_read_timeout: args.body_read_timeout,
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    // Checked before loading, which can take a while, so a typo fails at once.
    if args.max_connections == 0 {
        bail!("--max-connections must be at least 1");
    }
    if args.header_read_timeout.is_zero() || args.idle_timeout.is_zero() || args.body_read_timeout.is_zero() {
        bail!("--header-read-timeout, --idle-timeout and --body-read-timeout must be longer than zero");
    }
    if let Some(limit) = open_files_limit() {
        // Databases, the compile cache, the listeners and outbound requests need descriptors too.
        if args.max_connections as u64 + FD_HEADROOM > limit {
            tracing::warn!(
                "--max-connections {} leaves under {FD_HEADROOM} of the {limit} open files allowed \
                 (`ulimit -n`) for databases and the rest: lower it or raise the limit",
                args.max_connections
            );
        }
    }
    let (loaded, declared) = load(&args.run, true).await?;
    // Read before serving, so a mistake in the schedule stops start-up.
    let schedule = if args.no_schedule {
        tracing::info!("schedule off: --no-schedule");
        None
    } else {
        match Schedule::from_manifest(&declared.tool, &declared.variables, args.job_every)? {
            Ok(schedule) => Some(schedule),
            Err(ScheduleOff::NoJobs) => None,
            Err(ScheduleOff::NoToken) => {
                tracing::warn!("schedule off: the scheduler's token is empty (set SPIN_VARIABLE_SCHEDULER_TOKEN)");
                None
            }
        }
    };
    let routes: Vec<String> = loaded
        .router
        .routes()
        .iter()
        .map(|r| format!("  {}: http://{{addr}}{}", target_name(&r.target), r.pattern.normalised))
        .collect();

    let mut server = Server::bind(loaded, serve_options(&args)).await?;
    if let Some(schedule) = schedule {
        server = server.with_schedule(schedule);
    }
    let addr = server.local_addr()?;
    // Scripts and tests wait for the `Serving` line, so everything they read comes before it.
    if let Some(metrics) = server.metrics_addr()? {
        println!("Metrics http://{metrics}/metrics");
    }
    // On the console only: the operator types it into the setup page; never logged.
    if let Some(code) = &declared.setup_code {
        println!(
            "Setup code: {} (first run: open http://{addr}/console/setup to create the centre and its admin)",
            crate::setup::grouped(code)
        );
    }
    println!("Serving http://{addr}");
    println!("Available Routes:");
    for r in routes {
        println!("{}", r.replace("{addr}", &addr.to_string()));
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    server.run(shutdown_signal()).await
}

async fn call(args: CallArgs) -> anyhow::Result<()> {
    let (loaded, _) = load(&args.run, false).await?;
    let body = match &args.body {
        Some(b) => match b.strip_prefix('@') {
            Some(file) => std::fs::read(file).with_context(|| format!("reading body from {file}"))?,
            None => b.clone().into_bytes(),
        },
        None => Vec::new(),
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        let (name, value) = h.split_once(':').with_context(|| format!("header {h:?} must be `Name: value`"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let options = ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        request_timeout: args.run.request_timeout,
        max_instances: args.run.max_instances,
        max_queue: 0,
        queue_timeout: Duration::ZERO,
        max_body_bytes: usize::MAX,
        max_instance_memory: args.run.max_instance_memory,
        shutdown_grace: Duration::ZERO,
        metrics_listen: None,
        // `call` serves no connections; these only complete the options.
        header_read_timeout: Duration::ZERO,
        idle_timeout: Duration::ZERO,
        max_connections: 1,
        max_connections_per_client: 0,
        // A body given on the command line is in memory already; this only completes the options.
        body_read_timeout: Duration::MAX,
    };
    let (status, answer) =
        crate::server::call(loaded, options, &args.component, &args.method, &args.path, &headers, body).await?;
    println!("{}", String::from_utf8_lossy(&answer));
    if !(200..300).contains(&status) {
        bail!("{} {} answered {status}", args.method, args.path);
    }
    Ok(())
}

fn target_name(t: &crate::routing::Target) -> String {
    match t {
        crate::routing::Target::Component(id) => id.clone(),
        crate::routing::Target::Static(i) => format!("static-response-{i}"),
    }
}

/// Descriptors `up` wants left over beside its client connections.
const FD_HEADROOM: u64 = 64;

/// The soft limit on open files (`ulimit -n`), where the system tells it (Linux's
/// `/proc/self/limits`); `None` when unknown or unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&limits)
}

fn parse_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.strip_prefix("Max open files")?.split_whitespace().next()?.parse().ok()
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3").is_err(), "a unit is required");
    }

    #[test]
    fn the_command_line_takes_humantime_durations() {
        let cli = Cli::try_parse_from(["wenming", "up", "--request-timeout", "1m 30s", "--queue-timeout", "250ms"])
            .unwrap_or_else(|e| panic!("{e}"));
        let Command::Up(up) = cli.command else { panic!("expected `up`") };
        assert_eq!(up.run.request_timeout, Duration::from_secs(90));
        assert_eq!(up.queue_timeout, Duration::from_millis(250));
        assert_eq!(up.shutdown_grace, Duration::from_secs(30), "the default parses too");
        assert!(Cli::try_parse_from(["wenming", "up", "--request-timeout", "soon"]).is_err());
    }

    #[test]
    fn the_open_files_limit_is_read_from_proc_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63704                63704                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_files_limit(limits), Some(1024));
        assert_eq!(parse_open_files_limit("Max open files  unlimited  unlimited  files\n"), None);
        assert_eq!(parse_open_files_limit(""), None);
    }

    #[test]
    fn the_connection_limits_have_defaults_and_take_humantime() {
        let cli = Cli::try_parse_from(["wenming", "up"]).unwrap_or_else(|e| panic!("{e}"));
        let Command::Up(up) = cli.command else { panic!("expected `up`") };
        assert_eq!(up.header_read_timeout, Duration::from_secs(10));
        assert_eq!(up.idle_timeout, Duration::from_secs(75));
        assert_eq!(up.max_connections, 512);
        assert_eq!(up.max_connections_per_client, 64);
        assert_eq!(up.body_read_timeout, Duration::from_secs(30));

        let cli = Cli::try_parse_from([
            "wenming",
            "up",
            "--header-read-timeout",
            "1s",
            "--idle-timeout",
            "1m 30s",
            "--max-connections",
            "8",
            "--max-connections-per-client",
            "0",
            "--body-read-timeout",
            "2m",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let Command::Up(up) = cli.command else { panic!("expected `up`") };
        assert_eq!(up.header_read_timeout, Duration::from_secs(1));
        assert_eq!(up.idle_timeout, Duration::from_secs(90));
        assert_eq!(up.max_connections, 8);
        assert_eq!(up.max_connections_per_client, 0, "0 turns the per-client cap off");
        assert_eq!(up.body_read_timeout, Duration::from_secs(120));
    }
}
