//! The analyst's own tables (issue 25, DESIGN §1): every other folder or
//! `<name>.parquet` file at the lake's root, and every `--table
//! NAME=LOCATION`, is a table of that name read as it is: loose Parquet
//! (the files' schemas merged) or a Delta table (its log's files, its
//! log's schema). No contract applies, so `validate` does not look at them.
//!
//! At the root, what cannot be a table is skipped with a warning, never
//! read in part: a name that is not a lower-case SQL identifier, a folder
//! with no Parquet file, an Iceberg or unreadable Delta table. Names that
//! start with `_` or `.` (a writer's own folders: `_delta_log`, `_runs`,
//! `.git`) are skipped in silence. A `--table` that cannot be read is an
//! error: it was asked for.
//!
//! They are listed once, when the lake opens, also for a server: a running
//! `serve` sees files added to them later after a restart.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::SessionState;
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};

use super::formats::delta::AsOf;
use super::{LakeError, Location, ParquetFile, Table, TableRead, TableSource, Warning};

/// One of the analyst's tables, ready to register.
#[derive(Debug)]
pub struct OwnTable {
    /// Its SQL name.
    pub name: String,
    /// What it reads.
    pub provider: Arc<dyn TableProvider>,
    /// Where it is and which snapshot was read.
    pub read: TableRead,
    /// Its Parquet files.
    pub files: Vec<ParquetFile>,
}

/// Whether `name` can name a table without quotes: a lower-case SQL
/// identifier (SQL folds unquoted names to lower case, so `Accounts` could
/// only be read as `"Accounts"`).
pub fn is_table_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The analyst's tables at the root of `location`, and why others were
/// skipped.
pub async fn at_root(
    state: &SessionState,
    location: &Location,
    as_of: Option<AsOf>,
) -> Result<(Vec<OwnTable>, Vec<Warning>), LakeError> {
    let store = location.store(state).await?;
    let base = location.base_url();
    let base_path = location.base_path()?;
    let root = store
        .list_with_delimiter(Some(&base_path))
        .await
        .map_err(|source| LakeError::Store {
            location: base.to_string(),
            source,
        })?;
    let mut entries: Vec<(String, bool)> = Vec::new();
    for folder in &root.common_prefixes {
        if let Some(name) = folder.filename() {
            entries.push((name.to_string(), true));
        }
    }
    for object in &root.objects {
        if let Some(name) = object
            .location
            .filename()
            .and_then(|n| n.strip_suffix(".parquet"))
        {
            entries.push((name.to_string(), false));
        }
    }
    entries.sort();
    let mut tables = Vec::new();
    let mut warnings = Vec::new();
    for (i, (name, folder)) in entries.iter().enumerate() {
        if Table::from_name(name).is_some() || name.starts_with(['_', '.']) {
            continue;
        }
        let shown = if *folder {
            format!("{name}/")
        } else {
            format!("{name}.parquet")
        };
        let skipped = |why: String| Warning(format!("{shown} at the lake's root: {why}; skipped"));
        if !is_table_name(name) {
            warnings.push(skipped(
                "its name is not a table name (a lower-case SQL identifier: a-z, 0-9 and _, \
                 not first a digit); rename it, or add it with --table NAME=LOCATION"
                    .to_string(),
            ));
            continue;
        }
        let twin = entries
            .iter()
            .enumerate()
            .any(|(j, (other, _))| j != i && other == name);
        if twin {
            warnings.push(skipped(format!(
                "both {name}/ and {name}.parquet exist, so the table `{name}` is ambiguous"
            )));
            continue;
        }
        match read(
            state, location, &store, &base_path, name, name, *folder, as_of,
        )
        .await
        {
            Ok(Some(table)) => tables.push(table),
            Ok(None) => warnings.push(skipped("it holds no .parquet file".to_string())),
            Err(e) => warnings.push(skipped(e.to_string())),
        }
    }
    Ok((tables, warnings))
}

/// The table `name` at `place` (`--table NAME=LOCATION`): a folder of
/// Parquet files, a Delta table or one `.parquet` file.
pub async fn named(
    state: &SessionState,
    name: &str,
    place: &crate::store::Place,
    as_of: Option<AsOf>,
) -> Result<OwnTable, LakeError> {
    let shown = match place {
        crate::store::Place::Local(path) => path.display().to_string(),
        crate::store::Place::Remote(url) => url.to_string(),
    };
    let bad = |reason: String| LakeError::OwnTable {
        name: name.to_string(),
        location: shown.clone(),
        reason,
    };
    // The parent as a lake location, the last part as the entry read.
    let (parent, entry) = match place {
        crate::store::Place::Local(path) => {
            let canonical = std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?;
            let (Some(parent), Some(entry)) = (canonical.parent(), canonical.file_name()) else {
                return Err(bad("not a folder or a file".to_string()));
            };
            (
                Location::Local(parent.to_path_buf()),
                entry.to_string_lossy().to_string(),
            )
        }
        crate::store::Place::Remote(url) => {
            let trimmed = url.as_str().trim_end_matches('/');
            let Some((parent, entry)) = trimmed.rsplit_once('/') else {
                return Err(bad("a URL with a path".to_string()));
            };
            let parent = url::Url::parse(&format!("{parent}/")).map_err(|e| bad(e.to_string()))?;
            (Location::Remote(parent), entry.to_string())
        }
    };
    let store = parent.store(state).await?;
    let base_path = parent.base_path()?;
    let path = base_path.clone().join(entry.as_str());
    let is_file = match store.head(&path).await {
        Ok(_) => true,
        Err(object_store::Error::NotFound { .. }) => false,
        Err(e) => return Err(bad(e.to_string())),
    };
    if is_file && !entry.ends_with(".parquet") {
        return Err(bad(
            "a file that is not .parquet; give a folder of Parquet files, a Delta table's \
             folder or a .parquet file"
                .to_string(),
        ));
    }
    let stem = if is_file {
        entry.trim_end_matches(".parquet")
    } else {
        &entry
    };
    match read(
        state, &parent, &store, &base_path, name, stem, !is_file, as_of,
    )
    .await
    {
        Ok(Some(table)) => Ok(table),
        Ok(None) => Err(bad("nothing there: no .parquet file".to_string())),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// The table `name` from the entry `stem` (`stem/` or `stem.parquet`) of
/// `location`; None when there is no Parquet file to read.
#[allow(clippy::too_many_arguments)]
async fn read(
    state: &SessionState,
    location: &Location,
    store: &Arc<dyn ObjectStore>,
    base_path: &StorePath,
    name: &str,
    stem: &str,
    folder: bool,
    as_of: Option<AsOf>,
) -> Result<Option<OwnTable>, LakeError> {
    let base = location.base_url();
    let source = if folder {
        let path = base_path.clone().join(stem);
        let url = format!("{base}{stem}/");
        let objects: Vec<_> = store
            .list(Some(&path))
            .try_collect()
            .await
            .map_err(|source| LakeError::Store {
                location: url.clone(),
                source,
            })?;
        let display = match location {
            Location::Local(dir) => format!("{}/", dir.join(stem).display()),
            _ => url.clone(),
        };
        location
            .folder_source(name, &url, &display, &path, objects, store, as_of)
            .await?
    } else {
        let path = base_path.clone().join(format!("{stem}.parquet").as_str());
        let meta = store.head(&path).await.map_err(|source| LakeError::Store {
            location: format!("{base}{stem}.parquet"),
            source,
        })?;
        TableSource {
            url: format!("{base}{stem}.parquet"),
            files: vec![location.parquet_file(meta)],
            delta: None,
        }
    };
    let provider: Arc<dyn TableProvider> = match &source.delta {
        Some(snapshot) if source.files.is_empty() => Arc::new(
            datafusion::datasource::empty::EmptyTable::new(Arc::clone(&snapshot.schema)),
        ),
        Some(snapshot)
            if super::formats::partitioned::is_partitioned(&source, &snapshot.schema) =>
        {
            super::formats::partitioned::provider(
                name,
                Arc::clone(&snapshot.schema),
                &source,
                source.files.iter(),
            )?
        }
        Some(snapshot) => super::listing_table_with_schema(
            source.file_urls(source.files.iter().map(|f| &f.meta))?,
            Arc::clone(&snapshot.schema),
        )?,
        None if source.files.is_empty() => return Ok(None),
        None => {
            let metas: Vec<_> = source.files.iter().map(|f| f.meta.clone()).collect();
            // The files' schemas merged; files of conflicting types are an
            // error naming the table.
            let schema = super::parquet_format()
                .infer_schema(state, store, &metas)
                .await
                .map_err(|e| LakeError::BadLocation {
                    location: source.url.clone(),
                    reason: format!("its Parquet files' schemas do not merge: {e}"),
                })?;
            super::listing_table_with_schema(vec![ListingTableUrl::parse(&source.url)?], schema)?
        }
    };
    Ok(Some(OwnTable {
        name: name.to_string(),
        provider,
        read: TableRead::of(name, &source),
        files: source.files,
    }))
}
