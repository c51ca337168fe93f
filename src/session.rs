//! The library's entry point: a DataFusion session with the lake's tables
//! (and, as they land, its views and KPI functions).
//!
//! The CLI, the REPL, batch jobs and any other Rust program get the same
//! session from [`Kpiql::open`]. A program that builds its own
//! `SessionState` (a distributed engine's executor) calls [`install`] on it.

use std::sync::Arc;

use datafusion::execution::SessionState;
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::lake::{
    Lake, LakeError, Listing, Location, ParquetFile, Reading, TableRead, Warning, default_schema,
};
use crate::reports::ReportError;
use crate::store::StorageOptions;

/// Why a lake could not be opened as a session.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The lake itself (location, tables, files).
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// A view file that cannot be registered.
    #[error("cannot register the views: {0}")]
    Views(#[from] ReportError),
    /// An object store that cannot be made.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The engine, while registering.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// A targets file that cannot be used.
    #[error(transparent)]
    Targets(#[from] crate::targets::TargetsError),
    /// A targets file that cannot be read.
    #[error("cannot read the targets file {path}: {source}")]
    TargetsFile {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How to open a lake.
#[derive(Debug, Clone)]
pub struct Options {
    /// The lake (default: the embedded sample).
    pub location: Location,
    /// Bytes of memory the query engine may hold before it spills to disk
    /// (`None`: unbounded).
    pub memory_limit: Option<usize>,
    /// A bound on the engine's memory without `memory_limit`'s spilling
    /// joins: a query that needs more fails (`serve`'s default, DESIGN §5).
    pub memory_bound: Option<usize>,
    /// Parallelism of query execution (`None`: one per core).
    pub threads: Option<usize>,
    /// The report time zone (`--time-zone`; `kpiql.time_zone`).
    pub time_zone: crate::zone::Zone,
    /// Object-store settings for `s3://` locations, after the environment.
    pub storage_options: StorageOptions,
    /// A Ballista scheduler (`df://host:port`) to run queries on.
    pub cluster: Option<String>,
    /// The source whose raw tables the lake holds (`--source`, issue 29):
    /// the contract's tables are its views.
    pub source: Option<Arc<crate::source::Source>>,
    /// How the lake is read: when the tables' files are listed (at open,
    /// or at every scan for a server; a cluster's scheduler lists them
    /// itself), the Delta version read (`--as-of`), tables from elsewhere
    /// (`--table`).
    pub reading: Reading,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            location: Location::Sample,
            memory_limit: None,
            memory_bound: None,
            threads: None,
            time_zone: crate::zone::Zone::UTC,
            storage_options: StorageOptions::new(),
            cluster: None,
            source: None,
            reading: Reading::default(),
        }
    }
}

/// An open lake: the session to run SQL in, and what opening it found.
pub struct Kpiql {
    /// The session with the tables registered.
    pub ctx: SessionContext,
    /// The lake in use.
    pub location: Location,
    /// Non-fatal findings (e.g. a missing optional table).
    pub warnings: Vec<Warning>,
    /// The Parquet files the tables read (batch manifests list them).
    pub inputs: Vec<ParquetFile>,
    /// Every table read, with its format and Delta version.
    pub read: Vec<TableRead>,
}

impl std::fmt::Debug for Kpiql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kpiql")
            .field("session_id", &self.ctx.session_id())
            .field("location", &self.location)
            .field("warnings", &self.warnings)
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

impl Kpiql {
    /// Opens the lake of `options` in a new session configured by
    /// [`session_config`] and [`runtime_env`].
    pub async fn open(options: &Options) -> Result<Kpiql, OpenError> {
        let mut state = match &options.cluster {
            // The upgrade replaces the function list: kpiql's are installed after it.
            Some(url) => {
                crate::cluster::check_lake(&options.location)?;
                crate::cluster::client_state(url, session_config(options))?
            }
            None => {
                let builder = SessionStateBuilder::new()
                    .with_config(session_config(options))
                    .with_runtime_env(runtime_env(options)?)
                    .with_default_features();
                // A join with a bounded build side collects it once; under
                // a memory limit joins that could be large become
                // sort-merge joins, which spill (`crate::joins`).
                builder
                    .with_physical_optimizer_rules(crate::joins::JoinChoice::in_rules(
                        options.memory_limit.is_some(),
                    ))
                    .build()
            }
        };
        if let Location::Remote(url) = &options.location {
            crate::store::register(state.runtime_env(), url, &options.storage_options)?;
        }
        for (_, place) in &options.reading.tables {
            if let crate::store::Place::Remote(url) = place {
                crate::store::register(state.runtime_env(), url, &options.storage_options)?;
            }
        }
        // Ballista ships listing tables only, and its scheduler lists
        // their files itself.
        let mut reading = options.reading.clone();
        if options.cluster.is_some() {
            reading.listing = Listing::AtOpen;
        }
        reading.raw = options.source.is_some();
        let mut installed = install(
            &mut state,
            options.location.clone(),
            &reading,
            options
                .source
                .as_deref()
                .map(|s| (s, options.cluster.is_none())),
        )
        .await?;
        if options.cluster.is_some()
            && !options.storage_options.is_empty()
            && matches!(options.location, Location::Remote(_))
        {
            installed.warnings.push(crate::lake::Warning(
                "--storage-option applies to this process only: the cluster's scheduler and \
                 executors read s3:// with their own AWS_* environment"
                    .to_string(),
            ));
        }
        Ok(Kpiql {
            ctx: SessionContext::new_with_state(state),
            location: options.location.clone(),
            warnings: installed.warnings,
            inputs: installed.inputs,
            read: installed.read,
        })
    }
}

impl Kpiql {
    /// The KPI targets of `file`, else of the lake's `targets.csv` (DESIGN
    /// §4), checked against `reports` and registered as the table
    /// `targets` (which is empty until then). None when neither exists.
    pub async fn load_targets(
        &self,
        file: Option<&std::path::Path>,
        reports: &[crate::targets::ReportColumns],
    ) -> Result<Option<Arc<crate::targets::Targets>>, OpenError> {
        let found = match file {
            Some(path) => {
                let display = path.display().to_string();
                let bytes = std::fs::read(path).map_err(|source| OpenError::TargetsFile {
                    path: display.clone(),
                    source,
                })?;
                Some((display, bytes))
            }
            None => {
                self.location
                    .read_root_file(&self.ctx.state(), "targets.csv")
                    .await?
            }
        };
        let Some((source, bytes)) = found else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|_| crate::targets::TargetsError {
            source_name: source.clone(),
            line: None,
            field: None,
            reason: "not UTF-8 text".to_string(),
        })?;
        let targets = crate::targets::Targets::parse(&text, &source, reports)?;
        let table = datafusion::datasource::MemTable::try_new(
            crate::targets::Targets::schema(),
            vec![vec![targets.batch()?]],
        )?;
        self.ctx.deregister_table("targets")?;
        self.ctx.register_table("targets", Arc::new(table))?;
        Ok(Some(Arc::new(targets)))
    }
}

/// The session settings kpiql relies on.
pub fn session_config(options: &Options) -> SessionConfig {
    let mut config = SessionConfig::new().with_information_schema(true);
    if let Some(threads) = options.threads {
        config = config.with_target_partitions(threads.max(1));
    }
    // Filters are applied while Parquet is decoded, so a join's dynamic
    // filter (the period's tickets, DESIGN §3) drops rows below a grouping
    // whatever the ids look like, not only row groups whose min/max miss.
    // Issue 11: channels and sla at 10M rows went from 16 s to about 1 s.
    config.options_mut().execution.parquet.pushdown_filters = true;
    // A join whose smaller side is up to ~1M rows / 64 MiB (a month's survey
    // answers, a period's ticket ids) builds one hash table and streams the
    // other side through it unpartitioned, instead of hashing and
    // repartitioning every interaction of the lake first (DataFusion's
    // defaults: 128K rows / 1 MiB). Issue 11: team and agent at 10M rows
    // took half the time and less memory.
    config
        .options_mut()
        .optimizer
        .hash_join_single_partition_threshold_rows = 1 << 20;
    config
        .options_mut()
        .optimizer
        .hash_join_single_partition_threshold = 64 << 20;
    // A partial grouping that keeps more than half of its first 100 000
    // rows as groups passes rows on ungrouped (DataFusion's default: more
    // than 0.8). `retention` at 100 M grouped 13.8 M contacts into 8.6 M
    // partial groups (0.62) before grouping them again into 7.65 M
    // customers: 5.4-5.8 s -> 4.6-4.8 s (bench/README.md).
    config
        .options_mut()
        .execution
        .skip_partial_aggregation_probe_ratio_threshold = 0.5;
    // Lakes nest files at any depth (DESIGN §1), not only in hive folders.
    config
        .options_mut()
        .execution
        .listing_table_ignore_subdirectory = false;
    // A join whose build side is bounded in 1 GiB, a quarter of a memory
    // limit, collects it once and stays a hash join (`crate::joins`); the
    // report time zone.
    config.with_option_extension(crate::settings::Settings::new(
        options.memory_limit,
        options.time_zone,
    ))
}

/// The runtime: a spilling memory pool when a limit is given.
pub fn runtime_env(options: &Options) -> Result<Arc<RuntimeEnv>, LakeError> {
    let mut builder = RuntimeEnvBuilder::new();
    if let Some(limit) = options.memory_limit.or(options.memory_bound) {
        builder = builder
            .with_memory_pool(Arc::new(FairSpillPool::new(limit)))
            .with_disk_manager_builder(DiskManagerBuilder::default());
    }
    Ok(builder.build_arc()?)
}

/// What [`install`] found.
#[derive(Debug)]
pub struct Installed {
    /// Non-fatal findings (e.g. a missing optional table).
    pub warnings: Vec<Warning>,
    /// The Parquet files the tables read.
    pub inputs: Vec<ParquetFile>,
    /// Every table read, with its format and Delta version.
    pub read: Vec<TableRead>,
}

/// A session that runs in this process whatever `state` runs on (a
/// cluster's client state plans for Ballista): the same tables, settings
/// and object stores, DataFusion's planner and functions.
pub fn in_process(state: &SessionState) -> SessionState {
    SessionStateBuilder::new()
        // Not a new default catalog: it would replace the shared one.
        .with_config(
            state
                .config()
                .clone()
                .with_create_default_catalog_and_schema(false),
        )
        .with_runtime_env(Arc::clone(state.runtime_env()))
        .with_catalog_list(Arc::clone(state.catalog_list()))
        .with_default_features()
        .build()
}

/// Registers the lake at `location` (tables checked against the contract,
/// read as `reading` says; or, with a `source`, its raw tables and the
/// source's views as the contract's tables, each computed once per session
/// when the flag says so) into `state`'s default schema,
/// the KPI functions, the views, then the analyst's own tables under the
/// names left.
pub async fn install(
    state: &mut SessionState,
    location: Location,
    reading: &Reading,
    source: Option<(&crate::source::Source, bool)>,
) -> Result<Installed, OpenError> {
    let mut lake = Lake::open(state, location, reading).await?;
    let mut warnings = std::mem::take(&mut lake.warnings);
    let schema = default_schema(state)?;
    for (table, provider) in std::mem::take(&mut lake.tables) {
        schema.register_table(table.name().to_string(), provider)?;
    }
    // A source's raw tables, then the contract's tables as its views
    // (issue 29), before the calendars are read from them: the views may
    // use every function but the business-time ones.
    crate::functions::register_but_calendars(state)?;
    if let Some((source, cache)) = source {
        let at = lake.location.clone();
        let place = move |name: &str| at.places_of(name).join(" or ");
        warnings.extend(crate::source::install(state, source, &mut lake.own, &place, cache).await?);
    }
    // The calendars are read once here (small tables; none when absent),
    // by this process even on a cluster: three jobs' worth of latency for
    // a few rows, and an executor lost then would fail the opening.
    let calendars =
        crate::calendar::load(&SessionContext::new_with_state(in_process(state))).await?;
    crate::calendar::functions::register(state, std::sync::Arc::new(calendars))?;
    // Over DataFusion's: the functions that build large values, bounded
    // by this session's memory limit.
    crate::functions::bounded::register(state)?;
    // `targets` is empty until a targets file is loaded (Kpiql::load_targets).
    schema.register_table(
        "targets".to_string(),
        Arc::new(datafusion::datasource::MemTable::try_new(
            crate::targets::Targets::schema(),
            vec![vec![]],
        )?),
    )?;
    crate::reports::register_views(state).await?;
    let mut read = lake.read;
    for own in lake.own {
        if schema.table_exist(&own.name) {
            // A view of kpiql's (`tickets`) or `targets`: theirs is kept.
            warnings.push(Warning(format!(
                "{}: `{}` is a name kpiql uses (a view or the targets table); the table is \
                 not registered: rename it, or add it with --table OTHER_NAME=LOCATION",
                own.read.location, own.name
            )));
            read.retain(|r| r.table != own.name);
            continue;
        }
        schema.register_table(own.name, own.provider)?;
    }
    Ok(Installed {
        warnings,
        inputs: lake.files,
        read,
    })
}
