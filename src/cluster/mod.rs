//! A Ballista cluster that knows kpiql (issue 17): the scheduler
//! and executor processes embedded in the kpiql binary with kpiql's
//! functions registered, and a client session that sends its plans there
//! (DESIGN §5 "Ballista cluster").
//!
//! The business-time functions travel with their calendars ([`codec`]).
//! Known gaps: executors build no object store for `s3://` lakes or the
//! sample lake yet ([`check_lake`] refuses them).

pub mod codec;

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::execution::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionConfig;

/// kpiql's functions (KPI aggregates, staffing, targets, feedback, and
/// the business-time functions without calendars) registered in `state`.
/// (The calendars arrive with each plan, [`codec`].)
pub fn register_functions(state: &mut SessionState) -> datafusion::error::Result<()> {
    crate::functions::register_every(state, Arc::new(crate::calendar::Calendars::default()))
}

/// The scheduler's session: Ballista's default with kpiql's functions
/// added after it (building a state replaces the function list).
pub fn scheduler_session(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    register_functions(&mut state)?;
    Ok(state)
}

/// An executor's functions: Ballista's defaults and kpiql's.
pub fn executor_registry() -> datafusion::error::Result<BallistaFunctionRegistry> {
    let mut registry = BallistaFunctionRegistry::default();
    // DataFusion's defaults too: Ballista's list lacks the nested ones
    // (`generate_series`, `array_has`, ...), which `staffing` uses.
    let mut state = SessionStateBuilder::new().with_default_features().build();
    register_functions(&mut state)?;
    for (name, f) in state.scalar_functions() {
        registry
            .scalar_functions
            .insert(name.clone(), Arc::clone(f));
    }
    for (name, f) in state.aggregate_functions() {
        registry
            .aggregate_functions
            .insert(name.clone(), Arc::clone(f));
    }
    Ok(registry)
}

/// Runs a scheduler on `bind` until the process ends.
pub async fn run_scheduler(bind: SocketAddr) -> anyhow::Result<()> {
    init_logging();
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        override_session_builder: Some(Arc::new(scheduler_session)),
        override_logical_codec: Some(Arc::new(codec::Logical::default())),
        override_physical_codec: Some(Arc::new(codec::Physical::default())),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await?;
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config)).await?;
    Ok(())
}

/// How to run an executor.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler.
    pub scheduler: SocketAddr,
    /// Where this executor listens (its Flight port; gRPC on the next).
    pub bind: SocketAddr,
    /// Tasks at once.
    pub concurrent_tasks: usize,
    /// Shuffle files.
    pub work_dir: Option<String>,
    /// Memory pool size in bytes.
    pub memory_limit: Option<u64>,
}

/// Runs an executor until the process ends.
pub async fn run_executor(options: &ExecutorOptions) -> anyhow::Result<()> {
    init_logging();
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: Some(options.bind.ip().to_string()),
        port: options.bind.port(),
        grpc_port: options.bind.port().saturating_add(1),
        scheduler_host: options.scheduler.ip().to_string(),
        scheduler_port: options.scheduler.port(),
        vcores: options.concurrent_tasks,
        work_dir: options.work_dir.clone(),
        memory_pool_size: options.memory_limit,
        print_thread_info: false,
        override_function_registry: Some(Arc::new(executor_registry()?)),
        override_logical_codec: Some(Arc::new(codec::Logical::default())),
        override_physical_codec: Some(Arc::new(codec::Physical::default())),
        ..Default::default()
    };
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

/// A client state sending its plans to the scheduler at `url`
/// (`df://host:port`), with `config`; the caller installs the lake and
/// functions afterwards (the upgrade replaces the function list).
pub fn client_state(url: &str, config: SessionConfig) -> datafusion::error::Result<SessionState> {
    use ballista_core::extension::{SessionConfigExt, SessionStateExt};
    let config = config
        .with_ballista_logical_extension_codec(Arc::new(codec::Logical::default()))
        .with_ballista_physical_extension_codec(Arc::new(codec::Physical::default()));
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    state.upgrade_for_ballista(scheduler_url(url)?)
}

/// Refuses a lake the executors cannot read: only a folder every process
/// sees at the same path works today. The built-in sample lake lives in
/// this process's memory; `s3://` lakes need object stores built on each
/// executor, which kpiql does not do yet (issue 17's note).
pub fn check_lake(location: &crate::lake::Location) -> datafusion::error::Result<()> {
    use crate::lake::Location;
    let why = match location {
        Location::Local(_) => return Ok(()),
        Location::Sample => "the built-in sample lake is in this process's memory only",
        Location::Remote(_) => "s3:// lakes are not read by executors yet",
    };
    Err(datafusion::error::DataFusionError::Configuration(format!(
        "--cluster needs a lake folder every scheduler and executor sees at the same path \
         (--data /shared/lake): {why}"
    )))
}

/// `df://host:port` as the scheduler's gRPC URL, `http://host:port`.
pub fn scheduler_url(url: &str) -> datafusion::error::Result<String> {
    let bad = |why: &str| {
        datafusion::error::DataFusionError::Configuration(format!(
            "--cluster {url:?}: {why}; expected df://HOST:PORT, e.g. df://127.0.0.1:50050"
        ))
    };
    let rest = url
        .strip_prefix("df://")
        .ok_or_else(|| bad("not a df:// URL"))?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .ok_or_else(|| bad("no port"))?;
    let port: u16 = port.parse().map_err(|_| bad("the port is not a number"))?;
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok(format!("http://{host}:{port}"))
}

/// A logger for the scheduler and executor processes: Ballista's info
/// (executors registered and lost, jobs, tasks) and everything at warn or
/// above, as `LEVEL target: message` lines on stderr.
struct Logger;

impl log::Log for Logger {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.level() <= log::Level::Warn
            || (meta.level() <= log::Level::Info
                && (meta.target().starts_with("ballista") || meta.target().starts_with("kpiql"))
                // Whole plans, at every job.
                && !meta.target().starts_with("ballista_scheduler::state::task_manager"))
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("{} {}: {}", record.level(), record.target(), record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Sends the process's log records to stderr (once; later calls do nothing).
pub fn init_logging() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}
