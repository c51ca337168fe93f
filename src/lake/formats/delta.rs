//! A Delta Lake table as a lake table (issue 25): its files are the ones
//! its log lists at the version read, never a listing of its folder (an
//! update or overwrite leaves the old files there until a vacuum, and they
//! would be counted). The log is read with delta-rs (`deltalake`, already
//! built for `batch`); the files it lists are then read as loose Parquet
//! files are, under the contract's drift rules with the same errors naming
//! table, column and file, judged from the log's schema and statistics
//! where those settle a rule and from the file's footer where they do not
//! (`check::check_logged_files`).
//!
//! What the reader cannot honour is refused, never skipped (DESIGN §1):
//! reader features other than those below, column mapping, deletion
//! vectors, data files outside the table's folder, a log entry that cannot
//! be read, a data file the log lists that is not there. Partition columns
//! are not in the data files: their values come from the log, per file
//! ([`Snapshot::partitions`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use deltalake::DeltaTableBuilder;
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectMeta, ObjectStore};
use url::Url;

use super::super::LakeError;
use super::super::check::{Log, LoggedStats};

/// The log's folder, relative to the table's.
pub const LOG_DIR: &str = "_delta_log/";

/// Reader features whose tables read correctly file by file: a timestamp
/// without a time zone is one of the contract's drift cases, and the other
/// two change only how the log is kept (delta-rs reads it).
pub const READABLE_FEATURES: [&str; 3] = ["timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"];

/// Which version of every Delta table to read (`--as-of`, DESIGN §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// That version of each table.
    Version(u64),
    /// The latest version committed at or before that instant (a commit's
    /// time is its log file's, as delta-rs and Spark read it).
    Timestamp(DateTime<Utc>),
}

impl std::str::FromStr for AsOf {
    type Err = String;

    /// A version (`0`, `12`) or an instant: RFC 3339 (`2026-10-15T12:00:00Z`,
    /// `2026-10-15 12:00:00+02:00`), a date and time without a zone (UTC)
    /// or a date (its midnight, UTC).
    fn from_str(text: &str) -> Result<AsOf, String> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse()
                .map(AsOf::Version)
                .map_err(|_| format!("version {text} is too large"));
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text)
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        {
            return Ok(AsOf::Timestamp(at.with_timezone(&Utc)));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(AsOf::Timestamp(at.and_utc()));
            }
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(AsOf::Timestamp(
                day.and_time(chrono::NaiveTime::MIN).and_utc(),
            ));
        }
        Err(format!(
            "{text:?} is neither a Delta version (0, 1, ...) nor an instant \
             (2026-10-15, 2026-10-15T12:00:00Z, 2026-10-15 12:00:00+02:00)"
        ))
    }
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AsOf::Version(v) => write!(f, "version {v}"),
            AsOf::Timestamp(at) => write!(f, "{}", at.to_rfc3339()),
        }
    }
}

/// A Delta table's version and live data files.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The version read.
    pub version: u64,
    /// The data files of that version, as listed in the store.
    pub files: Vec<ObjectMeta>,
    /// The partition columns, in the table's order (none: unpartitioned).
    pub partition_columns: Vec<String>,
    /// Each file's partition values as the log writes them (None: NULL),
    /// in `partition_columns` order.
    pub partitions: HashMap<StorePath, Vec<Option<String>>>,
    /// Parquet files in the folder the log does not list (an older
    /// version's, or a crashed writer's): not read.
    pub unlisted: Vec<ObjectMeta>,
    /// The table's schema as its log declares it, partition columns
    /// included.
    pub schema: datafusion::arrow::datatypes::SchemaRef,
    /// What the log's statistics say of each live file (a file written
    /// without statistics has none).
    pub stats: HashMap<StorePath, LoggedStats>,
    /// The log as a user would name it: its folder and the version read.
    pub log_display: String,
}

impl Snapshot {
    /// The log, for the contract's checks of the files
    /// ([`check_logged_files`](super::super::check::check_logged_files)).
    pub fn log(&self) -> Log<'_> {
        Log {
            display: &self.log_display,
            schema: &self.schema,
            stats: &self.stats,
        }
    }
}

/// An `add` action's statistics as the log writes them (the Delta
/// protocol's `stats` JSON: `numRecords`, `nullCount`, `minValues`,
/// `maxValues`), top-level columns only; `None` when there are none or
/// they do not parse (the file's footer is then read instead).
fn logged_stats(json: &str) -> Option<LoggedStats> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    Some(LoggedStats {
        records: value["numRecords"].as_u64(),
        nulls: per_column(&value["nullCount"], serde_json::Value::as_u64),
        min: per_column(&value["minValues"], serde_json::Value::as_f64),
        max: per_column(&value["maxValues"], serde_json::Value::as_f64),
    })
}

/// The columns of a statistics object whose values `read` takes.
fn per_column<T>(
    columns: &serde_json::Value,
    read: impl Fn(&serde_json::Value) -> Option<T>,
) -> HashMap<String, T> {
    columns
        .as_object()
        .map(|columns| {
            columns
                .iter()
                .filter_map(|(name, v)| Some((name.clone(), read(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Where a Delta table is and how to reach it.
#[derive(Debug)]
pub struct Place<'a> {
    /// The table it stands for.
    pub table: &'a str,
    /// The folder as a user would name it.
    pub display: &'a str,
    /// The folder's URL, ending in `/`.
    pub url: &'a Url,
    /// The folder's path in `store`.
    pub folder: &'a StorePath,
    /// The lake's store (not used for a local folder: delta-rs reads it).
    pub store: Arc<dyn ObjectStore>,
    /// Whether the folder is local.
    pub local: bool,
}

impl Place<'_> {
    fn error(&self, reason: impl Into<String>) -> LakeError {
        LakeError::Delta {
            table: self.table.to_string(),
            place: self.display.to_string(),
            reason: reason.into(),
        }
    }
}

/// The live files of the Delta table at `place`, at the latest version or
/// the one `as_of` names, matched with `objects` (everything listed under
/// its folder).
pub async fn snapshot(
    place: &Place<'_>,
    objects: &[ObjectMeta],
    as_of: Option<AsOf>,
) -> Result<Snapshot, LakeError> {
    crate::store::register_s3_logstore();
    // The newest version or the one asked for is read lazily: the log's
    // protocol, metadata and live files, with each file's statistics kept
    // as the log's JSON (`logged_stats` reads what the checks need). An
    // eagerly loaded table (`builder.load()`) also parses every file's
    // statistics into Arrow and keeps those batches for the whole run,
    // which made opening a Delta lake dearer than a Parquet one
    // (bench/README.md, issue 25). Only an instant is resolved to its
    // version through a loaded table, as delta-rs resolves it.
    let version = match as_of {
        None => None,
        Some(AsOf::Version(v)) => Some(v),
        Some(AsOf::Timestamp(at)) => Some(version_at(place, at).await?),
    };
    let log_store = super::kernel::ReadLog::new(
        builder(place)?
            .build_storage()
            .map_err(|e| place.error(e.to_string()))?,
    );
    let unreadable = |e: deltalake::DeltaTableError| match as_of {
        Some(as_of) => place.error(format!("its {as_of} cannot be read: {e}")),
        None => place.error(format!("its log cannot be read: {e}")),
    };
    let state = deltalake::kernel::Snapshot::try_new_with_engine(
        log_store.engine(),
        log_store.table_root(),
        version,
    )
    .await
    .map_err(unreadable)?;
    let protocol =
        serde_json::to_value(state.protocol()).map_err(|e| place.error(e.to_string()))?;
    let metadata =
        serde_json::to_value(state.metadata()).map_err(|e| place.error(e.to_string()))?;
    refuse_unreadable(place, &protocol, &metadata)?;
    let partition_columns: Vec<String> = metadata["partitionColumns"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let listed: HashMap<&StorePath, &ObjectMeta> =
        objects.iter().map(|m| (&m.location, m)).collect();
    let mut files = Vec::new();
    let mut partitions = HashMap::new();
    let mut stats = HashMap::new();
    let views: Vec<deltalake::kernel::LogicalFileView> = state
        .file_views(&log_store, None)
        .try_collect()
        .await
        .map_err(unreadable)?;
    for file in views {
        let path = file.path().to_string();
        if path.contains("://") || path.starts_with('/') {
            return Err(place.error(format!(
                "its log lists the data file {path}, outside the table's folder; \
                 kpiql reads a table's own files only"
            )));
        }
        if file.deletion_vector_descriptor().is_some() {
            return Err(place.error(format!(
                "the data file {path} has a deletion vector (rows deleted without rewriting \
                 the file), which kpiql does not read; rewrite the table without deletion \
                 vectors (delta.enableDeletionVectors = false, then OPTIMIZE or a rewrite)"
            )));
        }
        let full: StorePath = place
            .folder
            .parts()
            .chain(file.object_store_path().parts())
            .collect();
        match listed.get(&full) {
            Some(meta) => {
                if !partition_columns.is_empty() {
                    let mut values = file.partition_values_map();
                    let row = partition_columns
                        .iter()
                        .map(|c| values.remove(c).flatten())
                        .collect();
                    partitions.insert(full.clone(), row);
                }
                if let Some(logged) = file.stats().as_deref().and_then(logged_stats) {
                    stats.insert(full.clone(), logged);
                }
                files.push((*meta).clone());
            }
            None => {
                return Err(place.error(format!(
                    "its log lists the data file {path}, which is not in the folder \
                     (removed by hand or by a vacuum of a newer version?)"
                )));
            }
        }
    }
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let live: HashSet<&StorePath> = files.iter().map(|f| &f.location).collect();
    let log: StorePath = place.folder.clone().join(LOG_DIR.trim_end_matches('/'));
    let unlisted = objects
        .iter()
        .filter(|m| {
            m.location.as_ref().ends_with(".parquet")
                && m.location.prefix_match(&log).is_none()
                && !live.contains(&m.location)
        })
        .cloned()
        .collect();
    Ok(Snapshot {
        version: state.version(),
        files,
        partition_columns,
        partitions,
        unlisted,
        schema: state.arrow_schema(),
        stats,
        log_display: format!(
            "{}/{}, version {}",
            place.display.trim_end_matches('/'),
            LOG_DIR.trim_end_matches('/'),
            state.version()
        ),
    })
}

/// A delta-rs builder for the table at `place`, through the lake's store
/// when the folder is not local.
fn builder(place: &Place<'_>) -> Result<DeltaTableBuilder, LakeError> {
    let builder =
        DeltaTableBuilder::from_url(place.url.clone()).map_err(|e| place.error(e.to_string()))?;
    if place.local {
        return Ok(builder);
    }
    let root = Url::parse(&place.url[..url::Position::BeforePath])
        .map_err(|e| place.error(e.to_string()))?;
    Ok(builder.with_storage_backend(Arc::clone(&place.store), root))
}

/// The latest version of the table at `place` committed at or before
/// `at`.
async fn version_at(place: &Place<'_>, at: DateTime<Utc>) -> Result<u64, LakeError> {
    let table = builder(place)?
        .with_timestamp(at)
        .load()
        .await
        .map_err(|e| place.error(format!("its {} cannot be read: {e}", AsOf::Timestamp(at))))?;
    let state = table
        .snapshot()
        .map_err(|e| place.error(format!("its log cannot be read: {e}")))?;
    if let Some(first) = state.version_timestamp(state.version())
        && first > at.timestamp_millis()
    {
        // delta-rs answers an instant before the first commit with the
        // first version; a report "as of" then must not read later data.
        let first = DateTime::<Utc>::from_timestamp_millis(first)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        return Err(place.error(format!(
            "it has no version committed at or before {}: version {} was committed at {first}",
            at.to_rfc3339(),
            state.version()
        )));
    }
    Ok(state.version())
}

/// Refuses a table whose protocol or metadata needs what kpiql does not
/// read (`protocol` and `metadata` as the log writes them).
fn refuse_unreadable(
    place: &Place<'_>,
    protocol: &serde_json::Value,
    metadata: &serde_json::Value,
) -> Result<(), LakeError> {
    let reader = protocol["minReaderVersion"].as_i64().unwrap_or(1);
    if reader > 3 {
        return Err(place.error(format!(
            "its protocol needs Delta reader version {reader}; kpiql reads versions 1 to 3"
        )));
    }
    let features: Vec<&str> = protocol["readerFeatures"]
        .as_array()
        .map(|f| f.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if let Some(feature) = features.iter().find(|f| !READABLE_FEATURES.contains(f)) {
        let what = match *feature {
            "deletionVectors" => " (rows deleted without rewriting their files)",
            "columnMapping" => " (columns stored under other names than the table's)",
            _ => "",
        };
        return Err(place.error(format!(
            "its protocol needs the reader feature {feature}{what}, which kpiql does not read \
             (it reads {}); rewrite the table without it",
            READABLE_FEATURES.join(", ")
        )));
    }
    let mapping = metadata["configuration"]["delta.columnMapping.mode"]
        .as_str()
        .unwrap_or("none");
    if reader >= 2 && mapping != "none" {
        return Err(place.error(format!(
            "it uses column mapping (delta.columnMapping.mode = {mapping}: columns stored \
             under other names than the table's), which kpiql does not read; rewrite the \
             table without it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use object_store::memory::InMemory;

    /// The checks settle a Delta table's files from the statistics its log
    /// writes, so the snapshot must carry each live file's: were they lost
    /// (a replay that keeps only parsed statistics, or none), opening would
    /// read every footer again and nothing else would notice.
    #[tokio::test]
    async fn the_snapshot_keeps_each_live_files_logged_statistics()
    -> Result<(), Box<dyn std::error::Error>> {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let url = Url::parse("memory:///lake/t/")?;
        let root = Url::parse("memory:///")?;
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let batch = |values: Vec<Option<i64>>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from(values))],
            )
        };
        let table = DeltaTableBuilder::from_url(url.clone())?
            .with_storage_backend(Arc::clone(&store), root.clone())
            .build()?;
        // Two commits: 3 rows (one NULL, 4..9), then 2 rows (-1..2).
        let table = table
            .write(vec![batch(vec![Some(4), None, Some(9)])?])
            .await?;
        table.write(vec![batch(vec![Some(-1), Some(2)])?]).await?;
        let folder = StorePath::from("lake/t");
        let objects: Vec<ObjectMeta> = store.list(Some(&folder)).try_collect().await?;
        let place = Place {
            table: "t",
            display: "memory:///lake/t/",
            url: &url,
            folder: &folder,
            store: Arc::clone(&store),
            local: false,
        };
        let snapshot = snapshot(&place, &objects, None).await?;
        assert_eq!(snapshot.version, 1);
        assert_eq!(snapshot.files.len(), 2);
        let mut seen: Vec<String> = snapshot
            .files
            .iter()
            .map(|file| {
                let stats = &snapshot.stats[&file.location];
                format!(
                    "{:?} rows, {:?} NULL, {:?}..{:?}",
                    stats.records,
                    stats.nulls.get("n"),
                    stats.min.get("n"),
                    stats.max.get("n")
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                "Some(2) rows, Some(0) NULL, Some(-1.0)..Some(2.0)",
                "Some(3) rows, Some(1) NULL, Some(4.0)..Some(9.0)",
            ]
        );
        // At version 0 only the first file is live.
        let first = super::snapshot(&place, &objects, Some(AsOf::Version(0))).await?;
        assert_eq!(first.files.len(), 1);
        assert_eq!(first.stats[&first.files[0].location].records, Some(3));
        Ok(())
    }
}
