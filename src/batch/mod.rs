//! `kpiql batch`: reports published as tables into a lake, atomically.
//!
//! Each report's rows carry a leading `period` column (the period's key:
//! `2026-10` for a calendar month, else `START_END`), and every table is
//! partitioned by it. A run computes one period and replaces that period in
//! the table, leaving the others, so re-running a period never duplicates
//! rows. How a table is published depends on its format:
//!
//! - [`delta`]: a Delta Lake table; the commit is the publish.
//! - [`parquet`]: plain Parquet, staged under a hidden name and published by
//!   an atomic directory exchange (local) or a manifest written last (S3).
//!
//! Every table gets a `_manifest.json` describing the run that last wrote it.

mod delta;
mod lock;
mod manifest;
mod parquet;
mod period;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{col, lit};
use object_store::ObjectStore;
use url::Url;

pub use crate::store::register_s3_logstore;
use manifest::MANIFEST;
pub use manifest::{InputEntry, Manifest};
pub use period::Period;

use datafusion::prelude::SessionContext;

use crate::lake::ParquetFile;
use crate::reports::{Query, bind, valid_name};
use crate::store::{Place, StorageOptions, store_for};

/// The column every published row starts with.
pub const PERIOD_COLUMN: &str = "period";

/// How report tables are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// A Delta Lake table (readable by Spark, Trino, DuckDB, Databricks).
    Delta,
    /// Plain Parquet files under hive `period=` folders, with a manifest.
    Parquet,
}

impl TableFormat {
    /// The name used in flags and manifests.
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Delta => "delta",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// Where report tables go: a local folder or an `s3://` prefix.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The destination as a URL ending in `/`.
    pub url: Url,
    /// The local folder, when it is one.
    pub local: Option<PathBuf>,
    /// The store holding it, rooted at the bucket or the filesystem root.
    pub store: Arc<dyn ObjectStore>,
}

impl Destination {
    /// Understands `--out`: `s3://bucket/prefix` or a local folder, taken
    /// as the folder it is or will be ([`resolved`]: symbolic links
    /// resolved). Nothing is created here: [`run`] checks the destination
    /// first, then creates a missing folder.
    pub fn parse(text: &str, options: &StorageOptions) -> anyhow::Result<Destination> {
        let (url, local) = match Place::parse(text).context("--out")? {
            Place::Local(path) => {
                let path = resolved(&path)
                    .with_context(|| format!("cannot open --out folder {}", path.display()))?;
                let url = Url::from_directory_path(&path)
                    .map_err(|()| anyhow::anyhow!("--out {text}: not an absolute path"))?;
                (url, Some(path))
            }
            Place::Remote(url) => (url, None),
        };
        let store = store_for(&url, options)?;
        Ok(Destination { url, local, store })
    }

    /// Creates a missing local folder; it must then be the folder
    /// [`Destination::parse`] resolved (the checks were made on that one).
    fn create(&self) -> anyhow::Result<()> {
        let Some(path) = &self.local else {
            return Ok(());
        };
        std::fs::create_dir_all(path)
            .with_context(|| format!("cannot create --out folder {}", path.display()))?;
        let now = std::fs::canonicalize(path)
            .with_context(|| format!("cannot open --out folder {}", path.display()))?;
        if &now != path {
            anyhow::bail!(
                "--out folder {} is {} once created (a symbolic link changed meanwhile?); \
                 run again",
                path.display(),
                now.display()
            );
        }
        Ok(())
    }

    /// Refuses a destination that lies inside a table, or is one: a folder
    /// from DEST up to the root (or the bucket) holding `_delta_log/` or a
    /// kpiql `_manifest.json`. Each report table would be a folder inside
    /// that table, which its own runs replace whole (Parquet) or vacuum
    /// (Delta), deleting the tables inside; and publishing those would
    /// rewrite files of the outer one.
    async fn refuse_inside_table(&self) -> anyhow::Result<()> {
        for (url, folder) in self.folders_up_to_dest()? {
            if let Some(marker) = table_marker(self.store.as_ref(), &folder).await? {
                let whose = if url == self.url {
                    "is itself a table".to_string()
                } else {
                    format!("lies inside the table {url}")
                };
                anyhow::bail!(
                    "--out {} {whose} (it holds {marker}): report tables published there would \
                     be folders inside a table, which its runs replace or vacuum whole, so they \
                     would be lost; choose an --out outside {url}",
                    self.url
                );
            }
        }
        Ok(())
    }

    /// DEST and the folders above it, from the top: the existing ones of a
    /// local DEST (a missing one holds nothing), every prefix of an S3 one
    /// down from the bucket.
    fn folders_up_to_dest(&self) -> anyhow::Result<Vec<(Url, object_store::path::Path)>> {
        let mut urls = Vec::new();
        match &self.local {
            Some(path) => {
                for folder in path.ancestors().filter(|f| f.is_dir()) {
                    urls.push(Url::from_directory_path(folder).map_err(|()| {
                        anyhow::anyhow!("{} is not an absolute path", folder.display())
                    })?);
                }
                urls.reverse();
            }
            None => {
                let mut url = Url::parse(&self.url[..url::Position::BeforePath])?;
                urls.push(url.clone());
                let path = self.url.path().trim_matches('/').to_string();
                for part in path.split('/').filter(|p| !p.is_empty()) {
                    url = url.join(&format!("{part}/"))?;
                    urls.push(url.clone());
                }
            }
        }
        urls.into_iter()
            .map(|u| {
                let path = object_store::path::Path::from_url_path(u.path())?;
                Ok((u, path))
            })
            .collect()
    }

    /// Refuses `report`'s table folder when a folder inside it holds a
    /// table (`_delta_log/` or a `_manifest.json` below the table's own
    /// level): publishing replaces or vacuums everything in the folder that
    /// is not the table's own, and that table would go with it.
    async fn refuse_tables_inside(&self, report: &str) -> anyhow::Result<()> {
        use futures::TryStreamExt;
        let table = self.table_path(report)?;
        let mut objects = self.store.list(Some(&table));
        while let Some(object) = objects.try_next().await? {
            let Some(parts) = object.location.prefix_match(&table) else {
                continue;
            };
            let parts: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
            let last = parts.len().saturating_sub(1);
            let found = parts.iter().enumerate().skip(1).find_map(|(i, part)| {
                if part == delta::LOG {
                    Some((i, "_delta_log/"))
                } else if part == MANIFEST && i == last {
                    Some((i, MANIFEST))
                } else {
                    None
                }
            });
            if let Some((depth, marker)) = found {
                let outer = self.table_url(report)?;
                let inner = outer.join(&format!("{}/", parts[..depth].join("/")))?;
                anyhow::bail!(
                    "{outer} holds another table, {inner} (it has {marker}): publishing {outer} \
                     replaces or vacuums everything in it that is not its own, so that table \
                     would be lost; publish the two to folders outside each other"
                );
            }
        }
        Ok(())
    }

    /// The URL of a report's table, `DEST/<report>/`. A name that is not
    /// `[A-Za-z0-9_]+` is refused here too (report headers are checked when
    /// loaded): `..`, `/`, `#` or `?` would point outside DEST, or make the
    /// folder written and the URL vacuumed differ.
    pub fn table_url(&self, report: &str) -> anyhow::Result<Url> {
        if !valid_name(report) {
            anyhow::bail!(
                "report name {report:?} cannot name a table: names are letters, digits and _ ([A-Za-z0-9_]+)"
            );
        }
        let url = self.url.join(&format!("{report}/"))?;
        // A safety net for the above: nothing is ever published outside DEST.
        if !url.as_str().starts_with(self.url.as_str()) || url == self.url {
            anyhow::bail!(
                "the table of report {report:?} would not be inside {}",
                self.url
            );
        }
        Ok(url)
    }

    /// Refuses `report`'s table folder when it holds anything, outside
    /// `kept` (a subfolder only kpiql's own killed runs write), though it
    /// lacks `marker`, the mark of a kpiql table: publishing there would
    /// replace or vacuum someone else's files. Names a file found.
    pub(crate) async fn refuse_foreign(
        &self,
        report: &str,
        kept: Option<&str>,
        marker: &str,
    ) -> anyhow::Result<()> {
        use futures::TryStreamExt;
        let table = self.table_path(report)?;
        let kept = kept.map(|k| table.clone().join(k));
        let found = self
            .store
            .list(Some(&table))
            .try_filter(|m| {
                let ours = kept
                    .as_ref()
                    .is_some_and(|k| m.location.prefix_match(k).is_some());
                futures::future::ready(!ours)
            })
            .try_next()
            .await?;
        if let Some(object) = found {
            anyhow::bail!(
                "{} holds {} but no {marker}: it was not written by kpiql batch and is left alone; \
                 choose another --out or move those files",
                self.table_url(report)?,
                object.location
            );
        }
        Ok(())
    }

    /// The object-store path of a report's table (no trailing `/`).
    pub fn table_path(&self, report: &str) -> anyhow::Result<object_store::path::Path> {
        Ok(object_store::path::Path::from_url_path(
            self.table_url(report)?.path(),
        )?)
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// The reports, in order.
    pub reports: Vec<Query>,
    /// `--from` (the reports' `$start`).
    pub from: Option<String>,
    /// `--to` (the reports' `$end`).
    pub to: Option<String>,
    /// `--param name=value`, given to each report that has the parameter.
    pub params: Vec<(String, String)>,
    /// Columns to partition by after `period`, for reports that have them.
    pub partition_by: Vec<String>,
    /// The table format.
    pub format: TableFormat,
    /// Delta only: data files no longer in the table, and files of killed
    /// runs, are deleted once older than this many hours (Delta's vacuum).
    pub retain_hours: u32,
    /// Keep each report's rows in [`Published::result`] (for HTML pages).
    pub keep_results: bool,
}

/// The stages of one report, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Running the report's query.
    Query,
    /// Writing the new files (staged, not yet visible).
    Write,
    /// Making the new files the table's content.
    Publish,
    /// Removing what earlier or killed runs left behind.
    Cleanup,
}

impl Stage {
    /// A word for the stage.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Query => "query",
            Stage::Write => "write",
            Stage::Publish => "publish",
            Stage::Cleanup => "cleanup",
        }
    }
}

/// Progress callbacks; the CLI draws bars, tests and libraries may ignore them.
pub trait Progress: Send + Sync {
    /// A report entered a stage.
    fn stage(&self, report: &str, stage: Stage);
    /// A report was published.
    fn done(&self, report: &str, published: &Published);
    /// A note for the user (e.g. a partition column a report lacks).
    fn note(&self, text: &str);
}

/// What publishing one report did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The report.
    pub report: String,
    /// The table, as a URL.
    pub table: String,
    /// The period replaced.
    pub period: Period,
    /// Rows written for the period.
    pub rows: usize,
    /// Bytes of the files written.
    pub bytes: u64,
    /// Bytes the query spilled to disk under the memory limit.
    pub spilled_bytes: usize,
    /// The rows published, without the period column, when the job keeps
    /// them ([`Job::keep_results`]).
    pub result: Option<Kept>,
}

/// A report's published rows and the parameters they were computed with.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The report's own columns (no `period`).
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// The bound parameters.
    pub params: crate::reports::ParamValues,
}

impl Kept {
    fn of(computed: &Computed) -> anyhow::Result<Kept> {
        // Column 0 is the period, which the report itself does not have.
        let own: Vec<usize> = (1..computed.schema.fields().len()).collect();
        Ok(Kept {
            schema: Arc::new(computed.schema.project(&own)?),
            batches: computed
                .batches
                .iter()
                .map(|b| b.project(&own))
                .collect::<Result<_, _>>()?,
            params: computed.params.clone(),
        })
    }
}

/// A report that could not be published, named with its destination.
#[derive(Debug, thiserror::Error)]
#[error("report {report} was not published to {destination}: {detail}")]
pub struct BatchError {
    /// The report.
    pub report: String,
    /// Its table.
    pub destination: String,
    /// What went wrong, with its causes.
    pub detail: String,
}

/// The lake a batch reads: a session with its tables, and the files they
/// read (listed in every manifest).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The session with the lake's tables, views and functions.
    pub ctx: &'a SessionContext,
    /// The lake's Parquet files.
    pub inputs: &'a [ParquetFile],
    /// The tables read, with their format and Delta version.
    pub read: &'a [crate::lake::TableRead],
    /// KPI targets: each report gets its `_target` and `_status` columns.
    pub targets: Option<&'a crate::targets::Targets>,
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("session_id", &self.ctx.session_id())
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

/// Runs every report of `job` against the lake of `source` and publishes
/// each to `dest`. Stops at the first report that fails; the reports
/// published before it stay published (each report is atomic on its own).
pub async fn run(
    source: Source<'_>,
    dest: &Destination,
    job: &Job,
    progress: &dyn Progress,
) -> Result<Vec<Published>, BatchError> {
    let run = manifest::RunInfo::start(source.inputs, source.read, job);
    let failed = |report: &Query, e: anyhow::Error| BatchError {
        report: report.name.clone(),
        destination: dest.table_url(&report.name).map_or_else(
            |_| format!("{}{}/", dest.url, report.name),
            |u| u.to_string(),
        ),
        detail: format!("{e:#}"),
    };
    // Before anything is written, DEST itself included: no table inside
    // another (issue 30: an outer table's vacuum deleted an inner one).
    for (i, report) in job.reports.iter().enumerate() {
        let checked = async {
            if i == 0 {
                dest.refuse_inside_table().await?;
            }
            dest.refuse_tables_inside(&report.name).await
        };
        checked.await.map_err(|e| failed(report, e))?;
    }
    let mut published = Vec::new();
    for report in &job.reports {
        let result = run_one(
            source.ctx,
            source.targets,
            dest,
            job,
            &run,
            report,
            progress,
        )
        .await
        .map_err(|e| failed(report, e))?;
        progress.done(&report.name, &result);
        published.push(result);
    }
    Ok(published)
}

/// Whether `folder` is a table: `_delta_log/` (any Delta table) or a
/// kpiql `_manifest.json` (a `_manifest.json` that is not one is someone
/// else's file, not a table). Names the mark.
async fn table_marker(
    store: &dyn ObjectStore,
    folder: &object_store::path::Path,
) -> anyhow::Result<Option<&'static str>> {
    use futures::TryStreamExt;
    let log = folder.clone().join(delta::LOG);
    if store.list(Some(&log)).try_next().await?.is_some() {
        return Ok(Some("_delta_log/"));
    }
    if Manifest::is_at(store, &folder.clone().join(MANIFEST)).await? {
        return Ok(Some("a kpiql _manifest.json"));
    }
    Ok(None)
}

/// Where the local folder `path` is, or will be once created, without
/// creating anything: absolute, each existing part with its symbolic links
/// resolved (as `canonicalize` would), `..` applied after them.
fn resolved(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path)?;
    let mut resolved = PathBuf::from("/");
    let mut exists = true;
    for part in absolute.components() {
        match part {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if exists {
                    match std::fs::canonicalize(&resolved) {
                        Ok(real) => resolved = real,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => exists = false,
                        Err(e) => {
                            return Err(e)
                                .with_context(|| format!("cannot open {}", resolved.display()));
                        }
                    }
                }
            }
        }
    }
    Ok(resolved)
}

/// The rows of one report for one period, ready to write.
pub(crate) struct Computed {
    pub period: Period,
    pub params: Vec<(String, ScalarValue)>,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub partition_by: Vec<String>,
    pub spilled_bytes: usize,
}

impl Computed {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

async fn run_one(
    ctx: &SessionContext,
    targets: Option<&crate::targets::Targets>,
    dest: &Destination,
    job: &Job,
    run: &manifest::RunInfo,
    report: &Query,
    progress: &dyn Progress,
) -> anyhow::Result<Published> {
    // Before any work: a bad name must not cost a query.
    dest.table_url(&report.name)?;
    progress.stage(&report.name, Stage::Query);
    let computed = compute(ctx, targets, job, report, progress).await?;
    test_pause(&report.name, "computed").await;
    // Computing only reads the lake; the lock covers the table's publish
    // and clean-up, from reading its current state to the last delete.
    dest.create()?;
    let lock = lock::acquire(dest, &report.name, &run.id).await?;
    let published = match job.format {
        TableFormat::Parquet => {
            parquet::publish(ctx, dest, run, report, &computed, &lock, progress).await
        }
        TableFormat::Delta => {
            delta::publish(dest, job, run, report, &computed, &lock, progress).await
        }
    };
    let released = lock.release().await;
    let (bytes, table) = published?;
    released?;
    Ok(Published {
        report: report.name.clone(),
        table,
        rows: computed.rows(),
        period: computed.period.clone(),
        bytes,
        spilled_bytes: computed.spilled_bytes,
        result: if job.keep_results {
            Some(Kept::of(&computed)?)
        } else {
            None
        },
    })
}

/// Binds the report's parameters, runs it and prepends the period column.
async fn compute(
    ctx: &SessionContext,
    targets: Option<&crate::targets::Targets>,
    job: &Job,
    report: &Query,
    progress: &dyn Progress,
) -> anyhow::Result<Computed> {
    let has = |name: &str| report.params.iter().any(|p| p.name == name);
    let from = job.from.as_deref().filter(|_| has("start"));
    let to = job.to.as_deref().filter(|_| has("end"));
    let given: Vec<_> = job
        .params
        .iter()
        .filter(|(name, _)| has(name))
        .cloned()
        .collect();
    let params = bind(ctx, report, from, to, &given).await?;
    for warning in crate::reports::check_warnings(ctx, report, &params).await? {
        progress.note(&format!("report {}: {warning}", report.name));
    }
    let period = Period::of(&params);
    if report.columns.iter().any(|c| c.name == PERIOD_COLUMN) {
        anyhow::bail!(
            "the report has a column named {PERIOD_COLUMN}, which batch tables use for the period; rename it"
        );
    }
    let mut partition_by = vec![PERIOD_COLUMN.to_string()];
    for name in &job.partition_by {
        if report.columns.iter().any(|c| &c.name == name) {
            partition_by.push(name.clone());
        } else {
            progress.note(&format!(
                "report {} has no column {name}: partitioned by {PERIOD_COLUMN} only",
                report.name
            ));
        }
    }
    let df = crate::reports::plan(ctx, report, params.clone(), targets)
        .await
        .context("planning the report")?;
    let mut columns = vec![lit(period.key.clone()).alias(PERIOD_COLUMN)];
    columns.extend(df.schema().columns().into_iter().map(|c| col(c.clone())));
    let df = df.select(columns)?;
    let plan = df.create_physical_plan().await?;
    let task = ctx.task_ctx();
    let batches = datafusion::physical_plan::collect(Arc::clone(&plan), task)
        .await
        .context("running the report")?;
    Ok(Computed {
        period,
        params,
        schema: plan.schema(),
        batches,
        partition_by,
        spilled_bytes: spilled(&plan),
    })
}

/// Bytes spilled by a plan and its children.
fn spilled(plan: &Arc<dyn ExecutionPlan>) -> usize {
    plan.metrics().and_then(|m| m.spilled_bytes()).unwrap_or(0)
        + plan.children().into_iter().map(spilled).sum::<usize>()
}

/// The test-only variable of [`test_pause`].
pub const TEST_PAUSE_VAR: &str = "KPIQL_TEST_ONLY_PAUSE_AT";

/// How long [`test_pause`] waits before the run goes on.
pub const TEST_PAUSE: std::time::Duration = std::time::Duration::from_secs(30);

/// A test hook for the kill tests: with `KPIQL_TEST_ONLY_PAUSE_AT=REPORT:POINT`
/// the run stops at that point, printing `paused at REPORT:POINT` on
/// stderr, so a test can kill it there, and goes on after [`TEST_PAUSE`]
/// (bounded, so a variable left set by mistake costs half a minute, said on
/// stderr, and never hangs a job). Points: `computed` (nothing written
/// yet), `staged` (new files written, not published), `committed` (Delta
/// only: committed, its manifest not yet written), `published` (published
/// with its manifest, not cleaned up).
pub(crate) async fn test_pause(report: &str, point: &str) {
    if let Ok(at) = std::env::var(TEST_PAUSE_VAR)
        && at == format!("{report}:{point}")
    {
        eprintln!(
            "paused at {at} (the test hook {TEST_PAUSE_VAR} is set; going on in {} s)",
            TEST_PAUSE.as_secs()
        );
        tokio::time::sleep(TEST_PAUSE).await;
    }
}
