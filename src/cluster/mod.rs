//! A Ballista cluster that knows kpiql (issue 17): the scheduler
//! and executor processes embedded in the kpiql binary with kpiql's
//! functions registered, and a client session that sends its plans there
//! (DESIGN §5 "Ballista cluster").
//!
//! The business-time functions travel with their calendars ([`codec`]).
//! Object stores do not travel: the scheduler and every executor make the
//! store of an `s3://` bucket from their own environment on first use
//! ([`crate::store::EnvStores`]). The built-in sample lake lives in the
//! client's memory and cannot be shipped ([`check_lake`] refuses it).
//! A statement reading a table the client holds runs in the client
//! (`Routed`); `report(...)` is shipped as the report's own plan.

pub mod codec;
pub mod listen;

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::execution::SessionState;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionConfig;

/// kpiql's functions (KPI aggregates, staffing, targets, feedback, and
/// the business-time functions without calendars) registered in `state`.
/// (The calendars arrive with each plan, [`codec`].)
pub fn register_functions(state: &mut SessionState) -> datafusion::error::Result<()> {
    crate::functions::register_every(state, Arc::new(crate::calendar::Calendars::default()))
}

/// The scheduler's session: Ballista's default with kpiql's functions
/// added after it (building a state replaces the function list), and
/// object stores made from the environment (it lists a lake's files).
pub fn scheduler_session(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let state = ballista_core::utils::default_session_builder(config)?;
    let mut state = SessionStateBuilder::new_from_existing(state)
        .with_runtime_env(runtime_env(None)?)
        .build();
    register_functions(&mut state)?;
    Ok(state)
}

/// One registry per process, so an S3 client is made once per bucket.
fn env_stores() -> Arc<crate::store::EnvStores> {
    static STORES: std::sync::OnceLock<Arc<crate::store::EnvStores>> = std::sync::OnceLock::new();
    Arc::clone(STORES.get_or_init(Default::default))
}

/// A runtime whose object stores come from [`env_stores`], spilling to
/// `work_dir` when given.
fn runtime_env(work_dir: Option<&str>) -> datafusion::error::Result<Arc<RuntimeEnv>> {
    let mut builder = RuntimeEnvBuilder::new().with_object_store_registry(env_stores());
    if let Some(dir) = work_dir {
        builder = builder.with_temp_file_path(dir);
    }
    Ok(Arc::new(builder.build()?))
}

/// How often an executor tells the scheduler it is alive (Ballista's
/// default is a minute). How long the scheduler waits without word before
/// it counts an executor lost is `kpiql scheduler --executor-timeout`
/// (Ballista's default: three minutes), at least three heartbeats.
pub const HEARTBEAT_SECONDS: u64 = 5;

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

/// How to run a scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Where it listens.
    pub bind: SocketAddr,
    /// Silence after which an executor is counted lost; at least three
    /// heartbeats ([`HEARTBEAT_SECONDS`]).
    pub executor_timeout: std::time::Duration,
}

/// Runs a scheduler until the process ends.
pub async fn run_scheduler(options: &SchedulerOptions) -> anyhow::Result<()> {
    let bind = options.bind;
    let lost_after = options
        .executor_timeout
        .as_secs()
        .max(3 * HEARTBEAT_SECONDS);
    init_logging();
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        override_session_builder: Some(Arc::new(scheduler_session)),
        executor_timeout_seconds: lost_after,
        // With no executor left, running jobs fail after as long again
        // (Ballista's default waits three minutes) instead of waiting for
        // one to come back.
        no_executors_grace_period_seconds: lost_after,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECONDS,
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
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        override_runtime_producer: Some({
            let work_dir = options.work_dir.clone();
            Arc::new(move |_: &SessionConfig| runtime_env(work_dir.as_deref()))
        }),
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
    // Ballista's defaults first (the upgrade below leaves a config it has
    // seen alone), then two of them changed, measured on Ballista 55:
    // - the static planner, not adaptive planning: with adaptive planning,
    //   a job that loses an executor rolls its stages back and then rejects
    //   the surviving executors' task statuses ("Can't find active stage to
    //   update stage outputs"), so it never ends; the static planner re-runs
    //   the lost tasks and finishes;
    // - hash joins, not Ballista's sort-merge default, as in-process: the
    //   hash join's dynamic filter is what keeps the ticket reports to the
    //   period within a stage, and DataFusion 55's sort-merge join fails a
    //   filtered outer join whose filter reads a non-null column of the
    //   padded side ("Column 'created_at' is declared as non-nullable but
    //   contains null values"). A hash join's build side does not spill.
    let mut config = config.upgrade_for_ballista();
    config = config
        .set_bool(
            ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED,
            false,
        )
        .set_bool("datafusion.optimizer.prefer_hash_join", true);
    let config = config
        .with_ballista_logical_extension_codec(Arc::new(codec::Logical::default()))
        .with_ballista_physical_extension_codec(Arc::new(codec::Physical::default()));
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let state = state.upgrade_for_ballista(scheduler_url(url)?)?;
    let cluster = Arc::clone(state.query_planner());
    Ok(SessionStateBuilder::new_from_existing(state)
        .with_query_planner(Arc::new(Routed { cluster }))
        .build())
}

/// The client's planner: a plan reading only the lake's tables goes to
/// the cluster; a plan reading a table held in this process (the catalog
/// tables a PostgreSQL client asks `serve` about, `information_schema`,
/// `targets`) runs here, where that table is. Ballista's codec ships
/// listing tables and empty tables only (its own error for anything else
/// is an "internal error, please file a bug" from deep in the codec), and
/// a table in this process's memory is small: the whole statement runs
/// here, reading any lake table it joins from the same shared folder or
/// bucket the executors read. `report(...)` on a cluster is the report's
/// own plan ([`crate::reports::function`]), so it goes to the cluster.
#[derive(Debug)]
struct Routed {
    cluster: Arc<dyn datafusion::execution::context::QueryPlanner + Send + Sync>,
}

#[async_trait::async_trait]
impl datafusion::execution::context::QueryPlanner for Routed {
    async fn create_physical_plan(
        &self,
        plan: &datafusion::logical_expr::LogicalPlan,
        state: &dyn datafusion::catalog::Session,
    ) -> datafusion::error::Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        use datafusion::physical_planner::PhysicalPlanner;
        let client = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("not a SessionState".into())
            })?;
        let plan = crate::reports::function::expand(plan.clone(), client).await?;
        if shippable(&plan)? {
            // Ballista passes no dynamic filter: each join's small side
            // bounds the other's keys before the plan is shipped.
            let plan = crate::joins::bounds::restrict(plan, client).await?;
            self.cluster.create_physical_plan(&plan, state).await
        } else {
            datafusion::physical_planner::DefaultPhysicalPlanner::default()
                .create_physical_plan(&plan, state)
                .await
        }
    }
}

/// Every table `plan` reads is one Ballista can ship: only listing
/// tables, views and empty tables travel.
fn shippable(plan: &datafusion::logical_expr::LogicalPlan) -> datafusion::error::Result<bool> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::datasource::listing::ListingTable;
    use datafusion::datasource::{ViewTable, empty::EmptyTable};
    use datafusion::logical_expr::LogicalPlan;
    let mut all = true;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let travels =
                datafusion::catalog::default_table_source::source_as_provider(&scan.source)
                    .is_ok_and(|provider| {
                        provider.downcast_ref::<ListingTable>().is_some()
                            || provider.downcast_ref::<ViewTable>().is_some()
                            || provider.downcast_ref::<EmptyTable>().is_some()
                    });
            if !travels {
                all = false;
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(all)
}

/// Refuses a lake the executors cannot read: the built-in sample lake
/// lives in this process's memory. A folder must be seen by every process
/// at the same path (one machine, a shared file system); an `s3://` lake is
/// read with each process's own `AWS_*` environment.
pub fn check_lake(location: &crate::lake::Location) -> datafusion::error::Result<()> {
    use crate::lake::Location;
    match location {
        Location::Local(_) | Location::Remote(_) => Ok(()),
        Location::Sample => Err(datafusion::error::DataFusionError::Configuration(
            "--cluster needs a lake every scheduler and executor can read: a folder they see \
             at the same path (--data /shared/lake) or s3://bucket/prefix; the built-in sample \
             lake is in this process's memory only (`kpiql generate --out DIR` writes a lake to a folder)"
                .to_string(),
        )),
    }
}

/// Runs `work`, giving up after `timeout` with an error naming the
/// cluster at `url`: a job the cluster cannot finish (a stage Ballista
/// cannot re-run, a job it never ends) must not hang a command or a shell.
pub async fn bounded<T, E: From<anyhow::Error>>(
    url: &str,
    timeout: std::time::Duration,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(E::from(anyhow::anyhow!(
                "the cluster at {url} did not finish within --cluster-timeout {timeout:?}: an \
             executor may be lost or the job stuck (see the scheduler's log)"
            )))
        })
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
