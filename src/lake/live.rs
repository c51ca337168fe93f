//! Tables that follow the lake while a server runs (`serve`, issue 30):
//! each scan lists the table's files again, checks the ones it has not
//! seen at their current version against the contract (as
//! [`super::Lake::open`] checks every file at start), and has DataFusion
//! read exactly that listing.
//!
//! Why: DataFusion 55's runtime has a list-files cache with no expiry by
//! default (`CacheManagerConfig`: 1 MiB, TTL none), filled by a listing
//! table's first scan. A server kept the listing of its first query: a
//! file added later was never read, and a file removed later failed every
//! query that read rows ("object not found") while `count(*)` went on
//! answering from the removed file's footer.
//!
//! How a scan reads only what was checked: the fresh listing replaces the
//! table's entry in that cache just before the listing table plans (the
//! key DataFusion's own `insert_into` invalidates), so DataFusion lists
//! nothing itself; then the files of the plan are compared with the
//! verdicts, so a file the cache did not deliver (an evicted entry, a
//! file that arrived in between) is checked too, never read unchecked.
//! Footers of files that changed or went away are dropped from the
//! metadata cache; kpiql's listing tables keep no statistics cache, so
//! a plan's statistics come from the footers of the files it lists.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::Constraints;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::cache::TableScopedPath;
use datafusion::execution::cache::cache_manager::CachedFileList;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};

use super::formats::partitioned;
use super::location::is_parquet;
use super::{FileProblem, LakeError, Location, ParquetFile, Table, TableSource, check};

/// A table of the lake whose files are listed at every scan.
#[derive(Debug)]
pub struct LiveTable {
    table: Table,
    location: Location,
    /// The table's folder (`…/<table>/`) or single file.
    url: ListingTableUrl,
    /// DataFusion's listing table over `url`, which plans the scans.
    inner: Arc<dyn TableProvider>,
    /// The verdict on each file seen, for the version seen.
    seen: Mutex<HashMap<Path, Verdict>>,
    /// A Delta table: its files are read from its log at every scan, at
    /// the version `as_of` names (else the latest).
    delta: bool,
    as_of: Option<super::formats::delta::AsOf>,
}

#[derive(Debug, Clone)]
struct Verdict {
    meta: ObjectMeta,
    /// Empty when the file follows the contract.
    problems: Vec<FileProblem>,
}

impl LiveTable {
    /// The table at `source`, whose files were found to follow the
    /// contract when the lake opened.
    pub fn new(
        table: Table,
        source: &TableSource,
        location: Location,
        as_of: Option<super::formats::delta::AsOf>,
    ) -> Result<LiveTable, LakeError> {
        let seen = source
            .files
            .iter()
            .map(|file| {
                let verdict = Verdict {
                    meta: file.meta.clone(),
                    problems: Vec::new(),
                };
                (file.meta.location.clone(), verdict)
            })
            .collect();
        Ok(LiveTable {
            table,
            location,
            url: ListingTableUrl::parse(&source.url)?,
            // Over the folder even for a Delta table: each scan gives the
            // listing DataFusion plans with (`publish`), and a plan that
            // reads any other file fails (`scan_with_args`).
            inner: super::listing_table_of(table, vec![ListingTableUrl::parse(&source.url)?])?,
            seen: Mutex::new(seen),
            delta: source.delta.is_some(),
            as_of,
        })
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<Path, Verdict>> {
        // A verdict is written whole; one left by a panicked scan is sound.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The table's Parquet files now, as DataFusion would list them; of a
    /// Delta table, its log's files, with what its log says.
    async fn list(
        &self,
        state: &dyn Session,
    ) -> Result<(Vec<ObjectMeta>, Option<super::formats::delta::Snapshot>)> {
        let store = state.runtime_env().object_store(&self.url)?;
        let prefix = self.url.prefix();
        if self.delta {
            let objects: Vec<ObjectMeta> = store.list(Some(prefix)).try_collect().await?;
            let url: &url::Url = self.url.as_ref();
            let places = self.location.table_places(self.table);
            let place = super::formats::delta::Place {
                table: self.table.name(),
                display: &places[0],
                url,
                folder: prefix,
                store: Arc::clone(&store),
                local: matches!(self.location, Location::Local(_)),
            };
            let snapshot = super::formats::delta::snapshot(&place, &objects, self.as_of)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            return Ok((snapshot.files.clone(), Some(snapshot)));
        }
        let mut files = if self.url.is_collection() {
            let ignore = state
                .config_options()
                .execution
                .listing_table_ignore_subdirectory;
            store
                .list(Some(prefix))
                .try_filter(|meta| {
                    let keep =
                        is_parquet(&meta.location) && self.url.contains(&meta.location, ignore);
                    futures::future::ready(keep)
                })
                .try_collect::<Vec<_>>()
                .await?
        } else {
            match store.head(prefix).await {
                Ok(meta) => vec![meta],
                // `<table>.parquet` removed: the table reads as empty.
                Err(object_store::Error::NotFound { .. }) => vec![],
                Err(e) => return Err(e.into()),
            }
        };
        files.sort_by(|a, b| a.location.cmp(&b.location));
        Ok((files, None))
    }

    /// Checks the files of `files` not seen at their current version, and
    /// fails naming every file of `files` that breaks the contract. With
    /// `complete` (`files` is the whole table), files no longer there are
    /// forgotten. `declared` is the schema the files must hold (a
    /// partitioned Delta table's lacks its partition columns).
    async fn judge(
        &self,
        state: &dyn Session,
        files: &[ObjectMeta],
        complete: bool,
        declared: &SchemaRef,
        log: Option<check::Log<'_>>,
    ) -> Result<()> {
        let mut stale = Vec::new();
        let mut unseen = Vec::new();
        {
            let mut seen = self.seen();
            for meta in files {
                match seen.get(&meta.location) {
                    Some(verdict) if same_version(&verdict.meta, meta) => {}
                    Some(_) => {
                        stale.push(meta.location.clone());
                        unseen.push(meta.clone());
                    }
                    None => unseen.push(meta.clone()),
                }
            }
            if complete {
                let now: HashSet<&Path> = files.iter().map(|m| &m.location).collect();
                seen.retain(|path, _| {
                    let there = now.contains(path);
                    if !there {
                        stale.push(path.clone());
                    }
                    there
                });
            }
        }
        // A file rewritten with the same size and time, which DataFusion's
        // footer cache would take for the old one, is read again.
        let footers = state.runtime_env().cache_manager.get_file_metadata_cache();
        for path in &stale {
            footers.remove(path);
        }
        if !unseen.is_empty() {
            let unseen: Vec<ParquetFile> = unseen
                .into_iter()
                .map(|meta| self.location.parquet_file(meta))
                .collect();
            let problems =
                check::check_logged_files(state, self.table, &unseen, declared, log).await;
            if let Some(log) = log
                && problems.iter().any(|p| p.file() == log.display)
            {
                // The log's schema breaks the contract: no file is judged.
                return Err(DataFusionError::External(Box::new(LakeError::Contract {
                    problems,
                })));
            }
            let mut seen = self.seen();
            for file in unseen {
                let problems = problems
                    .iter()
                    .filter(|p| p.file() == file.display)
                    .cloned()
                    .collect();
                seen.insert(
                    file.meta.location.clone(),
                    Verdict {
                        meta: file.meta,
                        problems,
                    },
                );
            }
        }
        let mut problems: Vec<FileProblem> = {
            let seen = self.seen();
            files
                .iter()
                .filter_map(|meta| seen.get(&meta.location))
                .flat_map(|verdict| verdict.problems.iter().cloned())
                .collect()
        };
        if problems.is_empty() {
            return Ok(());
        }
        problems.sort_by(|a, b| a.file().cmp(b.file()));
        Err(DataFusionError::External(Box::new(LakeError::Contract {
            problems,
        })))
    }

    /// Makes `files` the listing DataFusion plans the next scan with.
    fn publish(&self, state: &dyn Session, files: &[ObjectMeta]) {
        // A single file is looked up (`head`) at every scan, not cached.
        if !self.url.is_collection() {
            return;
        }
        let Some(cache) = state.runtime_env().cache_manager.get_list_files_cache() else {
            return;
        };
        let key = TableScopedPath {
            table: self.url.get_table_ref().clone(),
            path: self.url.prefix().clone(),
        };
        if files.is_empty() {
            // The cache refuses an empty listing and would keep the old one.
            cache.remove(&key);
        } else {
            cache.put(&key, CachedFileList::new(files.to_vec()));
        }
    }

    /// Whether every one of `files` was found to follow the contract at
    /// that version.
    fn all_checked(&self, files: &[ObjectMeta]) -> bool {
        let seen = self.seen();
        files.iter().all(|meta| {
            seen.get(&meta.location)
                .is_some_and(|v| same_version(&v.meta, meta) && v.problems.is_empty())
        })
    }
}

/// The same version of a file: what the store says did not change.
fn same_version(a: &ObjectMeta, b: &ObjectMeta) -> bool {
    a.size == b.size
        && a.last_modified == b.last_modified
        && a.e_tag == b.e_tag
        && a.version == b.version
}

/// The files a physical plan reads.
fn files_read(plan: &Arc<dyn ExecutionPlan>) -> Result<Vec<ObjectMeta>> {
    let mut files = Vec::new();
    plan.apply(|node| {
        if let Some(config) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            for group in &config.file_groups {
                files.extend(group.iter().map(|f| f.object_meta.clone()));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(files)
}

#[async_trait::async_trait]
impl TableProvider for LiveTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let args = ScanArgs::default()
            .with_projection(projection.map(|p| p.as_slice()))
            .with_filters(Some(filters))
            .with_limit(limit);
        Ok(self.scan_with_args(state, args).await?.into_inner())
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let (files, snapshot) = self.list(state).await?;
        if self.delta && files.is_empty() {
            // No live file: DataFusion's own listing of the folder would
            // find the removed ones.
            return super::empty_table(self.table)
                .map_err(|e| DataFusionError::External(Box::new(e)))?
                .scan_with_args(state, args)
                .await;
        }
        let external = |e: LakeError| DataFusionError::External(Box::new(e));
        let schema = self.table.schema();
        let source = snapshot.map(|snapshot| TableSource {
            url: self.url.as_str().to_string(),
            files: files
                .iter()
                .map(|meta| self.location.parquet_file(meta.clone()))
                .collect(),
            delta: Some(snapshot),
        });
        let declared = match &source {
            Some(source) => partitioned::file_schema(source, &schema),
            None => Arc::clone(&schema),
        };
        let log = source
            .as_ref()
            .and_then(|s| s.delta.as_ref())
            .map(|s| s.log());
        self.judge(state, &files, true, &declared, log).await?;
        if let Some(source) = source
            .as_ref()
            .filter(|s| partitioned::is_partitioned(s, &schema))
        {
            // Its own listing tables over the log's files, each file
            // with its partition values (formats::partitioned).
            let problems = partitioned::problems(self.table, source, &source.files);
            if !problems.is_empty() {
                return Err(external(LakeError::Contract { problems }));
            }
            return partitioned::provider(self.table.name(), schema, source, source.files.iter())
                .map_err(external)?
                .scan_with_args(state, args)
                .await;
        }
        self.publish(state, &files);
        let scan = self.inner.scan_with_args(state, args).await?;
        let read = files_read(scan.plan())?;
        if self.delta {
            // Only the log's files, whatever DataFusion's cache held.
            let live: HashSet<&Path> = files.iter().map(|f| &f.location).collect();
            if let Some(other) = read.iter().find(|f| !live.contains(&f.location)) {
                return Err(DataFusionError::Internal(format!(
                    "table `{}`: the plan would read {}, which the Delta log does not list",
                    self.table, other.location
                )));
            }
        }
        if !self.all_checked(&read) {
            self.judge(state, &read, false, &declared, log).await?;
        }
        Ok(scan)
    }
}
