//! Plain-Parquet report tables, published atomically.
//!
//! A table is hive-partitioned by `period` (then by any `--partition-by`
//! columns). A run writes the new period's files where no reader looks,
//! carries the other periods' files over, and publishes in one atomic step:
//!
//! - **Local folder.** The new version is built in `DEST/.<report>.<run>/`
//!   (hidden: Hive-convention readers skip names starting with `.`), the
//!   other periods hard-linked from the current version, then exchanged with
//!   `DEST/<report>/` by one `renameat2(RENAME_EXCHANGE)`. Readers of
//!   `DEST/<report>/` see the old folder or the new one, never a mix.
//! - **S3.** There is no rename. New files go under
//!   `DEST/<report>/_runs/<run>/`; `DEST/<report>/_manifest.json`, written
//!   last in one PUT, lists every file of the current table. Readers read
//!   the files the manifest lists.
//!
//! The previous manifest's paths are checked before anything is carried
//! over: relative and inside the table, with links resolved locally (a
//! `period=` folder linked elsewhere would pull outside files in).
//!
//! Leftovers of a killed run (a hidden staging folder, an unreferenced
//! `_runs/<run>/`) are deleted by the next run and never listed by a manifest.

use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::Context;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use super::lock::TableLock;
use super::manifest::{
    FileEntry, MANIFEST, Manifest, RunInfo, check_same_layout, file_entry, is_run_id,
};
use super::{Computed, Destination, Progress, Stage, TableFormat, test_pause};
use crate::reports::Query;

/// The folder S3 runs write their files under, inside the table folder.
pub const RUNS: &str = "_runs";

/// Publishes `computed` as the period's rows of the report's table.
/// Returns the bytes written and the table's URL.
pub(crate) async fn publish(
    ctx: &SessionContext,
    dest: &Destination,
    run: &RunInfo,
    report: &Query,
    computed: &Computed,
    lock: &TableLock,
    progress: &dyn Progress,
) -> anyhow::Result<(u64, String)> {
    let table_url = dest.table_url(&report.name)?.to_string();
    let step = Step {
        dest,
        run,
        report,
        computed,
        lock,
        progress,
    };
    let bytes = match &dest.local {
        Some(folder) => publish_local(ctx, folder, &step).await?,
        None => publish_remote(ctx, &step).await?,
    };
    Ok((bytes, table_url))
}

/// What one report's publish works with.
struct Step<'a> {
    dest: &'a Destination,
    run: &'a RunInfo,
    report: &'a Query,
    computed: &'a Computed,
    lock: &'a TableLock,
    progress: &'a dyn Progress,
}

async fn publish_local(
    ctx: &SessionContext,
    folder: &FsPath,
    step: &Step<'_>,
) -> anyhow::Result<u64> {
    let Step {
        dest,
        run,
        report,
        computed,
        lock,
        progress,
    } = *step;
    let table = folder.join(&report.name);
    remove_local_leftovers(folder, &report.name)?;
    let previous = previous_manifest(dest, report, computed).await?;

    // Every carried file resolved first: a bad one fails the run before
    // anything is staged.
    let mut carried = Vec::new();
    for entry in previous.iter().flat_map(|m| &m.files) {
        if entry.period != computed.period.key {
            carried.push((carried_from(&table, &entry.path)?, entry));
        }
    }
    let staging = folder.join(format!(".{}.{}", report.name, run.id));
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;

    progress.stage(&report.name, Stage::Write);
    let mut files = Vec::new();
    for (from, entry) in carried {
        let to = staging.join(&entry.path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::hard_link(&from, &to).with_context(|| {
            format!("cannot carry {} over into the new version", from.display())
        })?;
        files.push(entry.clone());
    }
    let staging_url = Url::from_directory_path(&staging)
        .map_err(|()| anyhow::anyhow!("{} is not an absolute path", staging.display()))?;
    write_period(ctx, &staging_url, computed).await?;
    let staging_path = store_path(&staging_url)?;
    let new = new_files(dest.store.as_ref(), &staging_path, &files, computed, "").await?;
    let bytes = new.iter().map(|f| f.size).sum();
    files.extend(new);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest::new(run, &report.name, computed, files);
    std::fs::write(staging.join(MANIFEST), manifest.to_bytes()?)?;
    test_pause(&report.name, "staged").await;
    lock.check().await?;

    progress.stage(&report.name, Stage::Publish);
    if table.exists() {
        crate::store::exchange(&staging, &table)
            .with_context(|| format!("cannot publish {}", table.display()))?;
    } else {
        std::fs::rename(&staging, &table)
            .with_context(|| format!("cannot publish {}", table.display()))?;
    }
    test_pause(&report.name, "published").await;

    progress.stage(&report.name, Stage::Cleanup);
    // After the exchange the staging name holds the previous version.
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove the old version {}", staging.display()))?;
    }
    Ok(bytes)
}

/// The manifest of the report's current table, checked to have the layout
/// of `computed`. A table folder holding files but no manifest (outside
/// `_runs/`, where only killed runs leave files) was not written by kpiql
/// and is an error rather than something to replace.
async fn previous_manifest(
    dest: &Destination,
    report: &Query,
    computed: &Computed,
) -> anyhow::Result<Option<Manifest>> {
    let store = dest.store.as_ref();
    let url = dest.table_url(&report.name)?.join(MANIFEST)?;
    let previous = Manifest::read(store, &url).await?;
    match &previous {
        // A Delta table's manifest lists only its last run's files: the
        // exchange would replace the table (its log and other periods)
        // with those.
        Some(manifest) if manifest.table_format != TableFormat::Parquet.name() => {
            anyhow::bail!(
                "{} is a {} table ({url} says so), not a parquet one: publishing it as \
                 parquet would replace it and lose its other periods; run with \
                 --table-format {}, or publish to another --out",
                dest.table_url(&report.name)?,
                manifest.table_format,
                manifest.table_format
            );
        }
        Some(manifest) => {
            super::manifest::check_zone(manifest, computed, &dest.table_url(&report.name)?)?;
            check_same_layout(manifest, computed)?
        }
        None => {
            dest.refuse_foreign(&report.name, Some(RUNS), MANIFEST)
                .await?
        }
    }
    Ok(previous)
}

/// The file a manifest lists as `path` (already checked to be a plain
/// relative path) in the local table folder `table`, with its symbolic
/// links resolved: refused unless it is inside the folder, since a link
/// (a `period=` folder, or a file, linked elsewhere) would hard-link an
/// outside file into the new version.
fn carried_from(table: &FsPath, path: &str) -> anyhow::Result<std::path::PathBuf> {
    let manifest = table.join(MANIFEST);
    let listed = table.join(path);
    let root = std::fs::canonicalize(table)
        .with_context(|| format!("cannot open the table folder {}", table.display()))?;
    let real = std::fs::canonicalize(&listed).with_context(|| {
        format!(
            "{} lists {path:?}, but {} cannot be opened",
            manifest.display(),
            listed.display()
        )
    })?;
    if !real.starts_with(&root) {
        anyhow::bail!(
            "{} lists {path:?}, but {} is {}, outside the table {}: a symbolic link in the \
             table points out of it, and nothing is carried over through one; replace the link \
             with the files it points to, or move the table away",
            manifest.display(),
            listed.display(),
            real.display(),
            root.display()
        );
    }
    if !real.is_file() {
        anyhow::bail!(
            "{} lists {path:?}, but {} is not a file: the manifest was edited or damaged; \
             restore it, or move the table away",
            manifest.display(),
            listed.display()
        );
    }
    Ok(real)
}

/// Removes staging folders `.<report>.<run>` of earlier, killed runs.
fn remove_local_leftovers(folder: &FsPath, report: &str) -> anyhow::Result<()> {
    let prefix = format!(".{report}.");
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Only `.<report>.<run-id>` folders: a user's `.team.backup` stays.
        let staging = name.strip_prefix(&prefix).is_some_and(is_run_id);
        if staging && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).with_context(|| {
                format!("cannot remove the leftover {}", entry.path().display())
            })?;
        }
    }
    Ok(())
}

async fn publish_remote(ctx: &SessionContext, step: &Step<'_>) -> anyhow::Result<u64> {
    let Step {
        dest,
        run,
        report,
        computed,
        lock,
        progress,
    } = *step;
    let store = dest.store.as_ref();
    let table = dest.table_path(&report.name)?;
    let manifest_path = table.clone().join(MANIFEST);
    let previous = previous_manifest(dest, report, computed).await?;

    progress.stage(&report.name, Stage::Write);
    let relative_run = format!("{RUNS}/{}", run.id);
    let run_url = dest
        .table_url(&report.name)?
        .join(&format!("{relative_run}/"))?;
    write_period(ctx, &run_url, computed).await?;
    let mut files: Vec<FileEntry> = previous
        .iter()
        .flat_map(|m| &m.files)
        .filter(|f| f.period != computed.period.key)
        .cloned()
        .collect();
    let run_path = table.clone().join(RUNS).join(run.id.as_str());
    let new = new_files(store, &run_path, &[], computed, &format!("{relative_run}/")).await?;
    let bytes = new.iter().map(|f| f.size).sum();
    files.extend(new);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    test_pause(&report.name, "staged").await;
    lock.check().await?;

    progress.stage(&report.name, Stage::Publish);
    let manifest = Manifest::new(run, &report.name, computed, files);
    manifest.write(store, &manifest_path).await?;
    test_pause(&report.name, "published").await;

    progress.stage(&report.name, Stage::Cleanup);
    // Keep the runs the new manifest and the previous one refer to: a
    // reader that read the previous manifest may still be reading them.
    let keep: Vec<String> = manifest
        .files
        .iter()
        .chain(previous.iter().flat_map(|m| &m.files))
        .filter_map(|f| f.path.split('/').nth(1).map(str::to_string))
        .chain([run.id.clone()])
        .collect();
    let runs = table.clone().join(RUNS);
    let stale: Vec<Path> = store
        .list(Some(&runs))
        .try_filter(|m| {
            let run = m
                .location
                .prefix_match(&runs)
                .and_then(|mut parts| parts.next())
                .map(|p| p.as_ref().to_string());
            futures::future::ready(run.is_some_and(|r| !keep.contains(&r)))
        })
        .map_ok(|m| m.location)
        .try_collect()
        .await?;
    for path in stale {
        store.delete(&path).await?;
    }
    Ok(bytes)
}

/// Writes the period's rows under `url`, hive-partitioned.
async fn write_period(ctx: &SessionContext, url: &Url, computed: &Computed) -> anyhow::Result<()> {
    if computed.rows() == 0 {
        return Ok(());
    }
    let table = MemTable::try_new(Arc::clone(&computed.schema), vec![computed.batches.clone()])?;
    // Written here, by this process, whatever session computed the rows:
    // on a cluster (`--cluster`) the publish stays on the client, and the
    // rows in memory are not a plan to ship. Same object stores.
    let local = SessionContext::new_with_config_rt(
        datafusion::prelude::SessionConfig::new(),
        ctx.runtime_env(),
    );
    local
        .read_table(Arc::new(table))?
        .write_parquet(
            url.as_str(),
            DataFrameWriteOptions::new().with_partition_by(computed.partition_by.clone()),
            None,
        )
        .await
        .with_context(|| format!("writing {url}"))?;
    Ok(())
}

/// Entries for the files under `root` that are not `carried`; paths are
/// given relative to the table as `relative_root` + the path under `root`.
async fn new_files(
    store: &dyn ObjectStore,
    root: &Path,
    carried: &[FileEntry],
    computed: &Computed,
    relative_root: &str,
) -> anyhow::Result<Vec<FileEntry>> {
    let objects: Vec<_> = store.list(Some(root)).try_collect().await?;
    let mut entries = Vec::new();
    for object in objects {
        let Some(parts) = object.location.prefix_match(root) else {
            continue;
        };
        let under: Vec<String> = parts.map(|p| p.as_ref().to_string()).collect();
        let under = under.join("/");
        if !under.ends_with(".parquet") || carried.iter().any(|c| c.path == under) {
            continue;
        }
        entries.push(
            file_entry(
                store,
                &object.location,
                format!("{relative_root}{under}"),
                &computed.period.key,
            )
            .await?,
        );
    }
    Ok(entries)
}

fn store_path(url: &Url) -> anyhow::Result<Path> {
    Ok(Path::from_url_path(url.path())?)
}
