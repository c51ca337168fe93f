//! A Delta Lake table as a lake table (issue 25): its files are the ones
//! its log lists at the version read, never a listing of its folder (an
//! update or overwrite leaves the old files there until a vacuum, and they
//! would be counted). The log is read with delta-rs (`deltalake`, already
//! built for `batch`); the files it lists are then read and checked
//! exactly as loose Parquet files are (the contract's drift rules, the
//! same errors naming table, column and file).
//!
//! What the reader cannot honour is refused, never skipped (DESIGN §1):
//! reader features other than those below, column mapping, deletion
//! vectors, data files outside the table's folder, partition columns (not
//! in the data files; not read yet), a log entry that cannot be read, a
//! data file the log lists that is not there.

use std::collections::HashMap;
use std::sync::Arc;

use deltalake::DeltaTableBuilder;
use object_store::path::Path as StorePath;
use object_store::{ObjectMeta, ObjectStore};
use url::Url;

use super::super::{LakeError, Table};

/// The log's folder, relative to the table's.
pub const LOG_DIR: &str = "_delta_log/";

/// Reader features whose tables read correctly file by file: a timestamp
/// without a time zone is one of the contract's drift cases, and the other
/// two change only how the log is kept (delta-rs reads it).
pub const READABLE_FEATURES: [&str; 3] = ["timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"];

/// A Delta table's version and live data files.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The version read.
    pub version: u64,
    /// The data files of that version, as listed in the store.
    pub files: Vec<ObjectMeta>,
}

/// Where a Delta table is and how to reach it.
#[derive(Debug)]
pub struct Place<'a> {
    /// The table it stands for.
    pub table: Table,
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
            table: self.table,
            place: self.display.to_string(),
            reason: reason.into(),
        }
    }
}

/// The live files of the Delta table at `place`, latest version, matched
/// with `objects` (everything listed under its folder).
pub async fn snapshot(place: &Place<'_>, objects: &[ObjectMeta]) -> Result<Snapshot, LakeError> {
    crate::store::register_s3_logstore();
    let mut builder =
        DeltaTableBuilder::from_url(place.url.clone()).map_err(|e| place.error(e.to_string()))?;
    if !place.local {
        let root = Url::parse(&place.url[..url::Position::BeforePath])
            .map_err(|e| place.error(e.to_string()))?;
        builder = builder.with_storage_backend(Arc::clone(&place.store), root);
    }
    let mut table = builder.build().map_err(|e| place.error(e.to_string()))?;
    table
        .load()
        .await
        .map_err(|e| place.error(format!("its log cannot be read: {e}")))?;
    let state = table
        .snapshot()
        .map_err(|e| place.error(format!("its log cannot be read: {e}")))?;
    let protocol =
        serde_json::to_value(state.protocol()).map_err(|e| place.error(e.to_string()))?;
    let metadata =
        serde_json::to_value(state.metadata()).map_err(|e| place.error(e.to_string()))?;
    refuse_unreadable(place, &protocol, &metadata)?;
    let listed: HashMap<&StorePath, &ObjectMeta> =
        objects.iter().map(|m| (&m.location, m)).collect();
    let mut files = Vec::new();
    for file in state.log_data().iter() {
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
            Some(meta) => files.push((*meta).clone()),
            None => {
                return Err(place.error(format!(
                    "its log lists the data file {path}, which is not in the folder \
                     (removed by hand or by a vacuum of a newer version?)"
                )));
            }
        }
    }
    files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(Snapshot {
        version: state.version(),
        files,
    })
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
    let partitions: Vec<&str> = metadata["partitionColumns"]
        .as_array()
        .map(|p| p.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if !partitions.is_empty() {
        return Err(place.error(format!(
            "it is partitioned by {} (values kept in the log, not in the data files), which \
             kpiql does not read yet; write it unpartitioned, or as Parquet folders",
            partitions.join(", ")
        )));
    }
    Ok(())
}
