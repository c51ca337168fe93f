//! Delta Lake report tables.
//!
//! A run overwrites its period with `replaceWhere period = '<key>'`: the new
//! files and the removal of the period's old files are one commit, so a
//! reader sees the table before or after it. Data files of a killed run are
//! in no commit, so no reader reads them; Delta's vacuum deletes them (and
//! files replaced by newer commits) once older than `--retain-hours`.
//!
//! The manifest is written right after the commit, before the vacuum, and
//! names the version it describes (see [`write_manifest`]).

use std::sync::Arc;

use anyhow::Context;
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::{col, lit};
use deltalake::operations::vacuum::VacuumMode;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError, FilterOp, FilterValue};
use futures::TryStreamExt;
use url::Url;

use super::lock::TableLock;
use super::manifest::{MANIFEST, Manifest, RunInfo, file_entry};
use super::{Computed, Destination, Job, PERIOD_COLUMN, Progress, Stage, test_pause};
use crate::reports::Query;

/// The description of every Delta table kpiql makes: how it knows a table
/// folder is its own to overwrite and vacuum.
pub const MARKER: &str = "kpiql batch report table";

/// The folder that makes a folder a Delta table.
pub const LOG: &str = "_delta_log";

/// Publishes `computed` as the period's rows of the report's Delta table.
/// Returns the bytes written and the table's URL.
pub(crate) async fn publish(
    dest: &Destination,
    job: &Job,
    run: &RunInfo,
    report: &Query,
    computed: &Computed,
    lock: &TableLock,
    progress: &dyn Progress,
) -> anyhow::Result<(u64, String)> {
    let url = dest.table_url(&report.name)?;
    refuse_links(dest, &report.name)?;
    let table = open(dest, &url).await?;
    let table = match table.version() {
        Some(_) => {
            ensure_ours(dest, &url, &table).await?;
            check_manifest(dest, &url, &table, report, computed, progress).await?;
            table
        }
        None => create(dest, table, report, computed).await?,
    };

    progress.stage(&report.name, Stage::Write);
    let mut batches = computed.batches.clone();
    // An empty period still replaces the old one.
    batches.push(RecordBatch::new_empty(Arc::clone(&computed.schema)));
    test_pause(&report.name, "staged").await;
    lock.check().await?;
    progress.stage(&report.name, Stage::Publish);
    let table = table
        .write(batches)
        .with_save_mode(SaveMode::Overwrite)
        .with_replace_where(col(PERIOD_COLUMN).eq(lit(computed.period.key.clone())))
        .with_partition_columns(computed.partition_by.clone())
        .await
        .context("writing the Delta table")?;
    test_pause(&report.name, "committed").await;
    let bytes = write_manifest(&table, run, report, computed).await?;
    test_pause(&report.name, "published").await;

    progress.stage(&report.name, Stage::Cleanup);
    // Again: a link made while the run wrote.
    refuse_links(dest, &report.name)?;
    vacuum(table, job.retain_hours).await?;
    Ok((bytes, url.to_string()))
}

/// Writes the table's manifest for the version just committed, right
/// after the commit and before the vacuum, so that it describes the
/// published version whatever happens next (a failing or killed vacuum
/// leaves a table and a manifest that agree). The commit and the manifest
/// are two objects, so a run killed between them leaves the manifest of
/// the version before: `delta_version` names the commit a manifest
/// describes, and one is current when no later commit adds or removes
/// files (a vacuum's commits do not); [`check_manifest`] checks that.
/// Returns the bytes of the period's files.
async fn write_manifest(
    table: &DeltaTable,
    run: &RunInfo,
    report: &Query,
    computed: &Computed,
) -> anyhow::Result<u64> {
    let store = table.object_store();
    let views: Vec<_> = table
        .get_active_add_actions_by_partitions(&[(
            PERIOD_COLUMN,
            FilterOp::Eq,
            FilterValue::Scalar(&computed.period.key),
        )])
        .try_collect()
        .await?;
    let mut files = Vec::new();
    for view in views {
        files.push(
            file_entry(
                store.as_ref(),
                &view.object_store_path(),
                view.path().to_string(),
                &computed.period.key,
            )
            .await?,
        );
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let bytes = files.iter().map(|f| f.size).sum();
    let mut manifest = Manifest::new(run, &report.name, computed, files);
    manifest.delta_version = table.version();
    manifest
        .write(store.as_ref(), &object_store::path::Path::from(MANIFEST))
        .await?;
    Ok(bytes)
}

/// Reads the existing table's manifest: refuses a run in another time zone
/// than the table's ([`super::manifest::check_zone`]), and says so when it
/// describes an older version than the table's ([`write_manifest`]): a run
/// was killed between its commit and its manifest. This run writes a new
/// one; the note tells whoever read the old one.
async fn check_manifest(
    dest: &Destination,
    url: &Url,
    table: &DeltaTable,
    report: &Query,
    computed: &Computed,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let manifest_url = url.join(MANIFEST)?;
    let described = match Manifest::read(dest.store.as_ref(), &manifest_url).await {
        Ok(Some(manifest)) => {
            super::manifest::check_zone(&manifest, computed, url)?;
            manifest.delta_version
        }
        Ok(None) => None,
        // The Delta publisher takes nothing from it; this run replaces it.
        Err(e) => {
            progress.note(&format!(
                "report {}: {e:#}; this run writes a new manifest",
                report.name
            ));
            None
        }
    };
    let Some(described) = described else {
        return Ok(());
    };
    if let Some(changed) = changed_after(table, described).await? {
        progress.note(&format!(
            "report {}: {manifest_url} describes Delta version {described}, but version \
             {changed} changed the table after it (a run was killed between its commit and \
             its manifest); this run writes a new manifest",
            report.name
        ));
    }
    Ok(())
}

/// The latest commit after `version` that adds or removes data files, if
/// any (a vacuum's commits do neither).
async fn changed_after(table: &DeltaTable, version: u64) -> anyhow::Result<Option<u64>> {
    let log = table.log_store();
    let latest = table.version().unwrap_or(0);
    for v in (version.saturating_add(1)..=latest).rev() {
        let Some(commit) = log
            .read_commit_entry(v)
            .await
            .with_context(|| format!("reading commit {v} of the Delta table"))?
        else {
            continue;
        };
        for line in commit.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let action: serde_json::Value = serde_json::from_slice(line)
                .with_context(|| format!("commit {v} of the Delta table is not JSON lines"))?;
            if action.get("add").is_some() || action.get("remove").is_some() {
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// The report's table, loaded when it exists.
async fn open(dest: &Destination, url: &Url) -> anyhow::Result<DeltaTable> {
    crate::store::register_s3_logstore();
    // delta-rs wants a local table folder to exist; an empty one is no
    // one's files, and `create` refuses a folder that holds any.
    if let Some(folder) = &dest.local {
        let path = url
            .to_file_path()
            .map_err(|()| anyhow::anyhow!("{url} is not a local path"))?;
        std::fs::create_dir_all(&path).with_context(|| {
            format!(
                "cannot create {} under {}",
                path.display(),
                folder.display()
            )
        })?;
    }
    let mut builder = DeltaTableBuilder::from_url(url.clone())?;
    if dest.local.is_none() {
        let root = Url::parse(&url[..url::Position::BeforePath])?;
        builder = builder.with_storage_backend(Arc::clone(&dest.store), root);
    }
    let mut table = builder.build()?;
    match table.load().await {
        Ok(()) | Err(DeltaTableError::NotATable(_)) => Ok(table),
        Err(e) => Err(e).context("reading the Delta table's log"),
    }
}

/// Starts a new table: refuses a folder that holds anything, then commits
/// the table's schema and partitioning with no data, described as
/// [`MARKER`]. From then on the folder is kpiql's: a run killed while writing
/// its first data files leaves a table whose vacuum may delete them.
async fn create(
    dest: &Destination,
    table: DeltaTable,
    report: &Query,
    computed: &Computed,
) -> anyhow::Result<DeltaTable> {
    dest.refuse_foreign(&report.name, None, "_delta_log/ (it is not a Delta table)")
        .await?;
    table
        .write(vec![RecordBatch::new_empty(Arc::clone(&computed.schema))])
        .with_save_mode(SaveMode::ErrorIfExists)
        .with_partition_columns(computed.partition_by.clone())
        .with_table_name(report.name.clone())
        .with_description(MARKER)
        .await
        .context("creating the Delta table")
}

/// Fails unless the existing table is one kpiql made: described as
/// [`MARKER`], or (tables of kpiql before the marker) with a kpiql manifest.
async fn ensure_ours(dest: &Destination, url: &Url, table: &DeltaTable) -> anyhow::Result<()> {
    let described = table
        .snapshot()
        .map(|s| s.metadata().description() == Some(MARKER))
        .unwrap_or(false);
    if described {
        return Ok(());
    }
    if let Ok(Some(m)) = Manifest::read(dest.store.as_ref(), &url.join(MANIFEST)?).await
        && m.table_format == "delta"
    {
        return Ok(());
    }
    anyhow::bail!(
        "{url} is a Delta table that kpiql batch did not make (its description is not \
         {MARKER:?} and it has no kpiql {MANIFEST}); it is left alone, since publishing \
         would vacuum its files: choose another --out"
    )
}

/// Refuses a local table folder that holds a symbolic link anywhere
/// inside: the vacuum lists the folder through object_store, which
/// follows links, and would delete the files a linked folder leads to.
/// The link is left alone.
fn refuse_links(dest: &Destination, report: &str) -> anyhow::Result<()> {
    let Some(root) = &dest.local else {
        return Ok(());
    };
    let table = root.join(report);
    let mut folders = vec![table.clone()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", folder.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            if kind.is_symlink() {
                let to = std::fs::read_link(entry.path())
                    .map(|t| format!(" (to {})", t.display()))
                    .unwrap_or_default();
                anyhow::bail!(
                    "{} is a symbolic link{to} inside the Delta table {}; nothing is written, \
                     since the table's vacuum would follow it and delete files outside the \
                     table: remove the link",
                    entry.path().display(),
                    table.display()
                );
            }
            if kind.is_dir() {
                folders.push(entry.path());
            }
        }
    }
    Ok(())
}

/// Deletes files no commit needs any more once older than `hours`.
async fn vacuum(table: DeltaTable, hours: u32) -> anyhow::Result<DeltaTable> {
    let (table, _metrics) = table
        .vacuum()
        .with_retention_period(chrono::Duration::hours(i64::from(hours)))
        .with_enforce_retention_duration(false)
        .with_mode(VacuumMode::Full)
        .await
        .context("vacuuming the Delta table")?;
    Ok(table)
}
