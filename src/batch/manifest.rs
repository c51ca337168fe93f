//! `_manifest.json`: what the run that last wrote a report table did.

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::common::ScalarValue;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::{Computed, Job};
use crate::lake::ParquetFile;

/// The manifest's file name inside a report's table folder.
pub const MANIFEST: &str = "_manifest.json";

/// Facts about the whole run, shared by its reports' manifests.
#[derive(Debug, Clone)]
pub(crate) struct RunInfo {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub inputs: Vec<InputEntry>,
    pub tables: Vec<TableEntry>,
    pub format: &'static str,
}

/// Whether `text` has the form of a run id (`20261129T141500.123Z-0a1b2c3d`),
/// so that clean-up only ever removes staging folders kpiql named.
pub(crate) fn is_run_id(text: &str) -> bool {
    let Some((time, nonce)) = text.split_once('-') else {
        return false;
    };
    chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%S%.3fZ").is_ok()
        && nonce.len() == 8
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

impl RunInfo {
    pub fn start(inputs: &[ParquetFile], read: &[crate::lake::TableRead], job: &Job) -> RunInfo {
        let started_at = Utc::now();
        let nonce: u32 = rand::random();
        RunInfo {
            id: format!("{}-{nonce:08x}", started_at.format("%Y%m%dT%H%M%S%.3fZ")),
            started_at,
            inputs: inputs
                .iter()
                .map(|f| InputEntry {
                    path: f.display.clone(),
                    size: f.meta.size,
                })
                .collect(),
            tables: read
                .iter()
                .map(|t| TableEntry {
                    table: t.table.clone(),
                    location: t.location.clone(),
                    format: t.format.to_string(),
                    delta_version: t.delta_version,
                    files: t.files,
                })
                .collect(),
            format: job.format.name(),
        }
    }
}

/// A report table's manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The kpiql version that wrote it.
    pub kpiql_version: String,
    /// `delta` or `parquet`.
    pub table_format: String,
    /// The report.
    pub report: String,
    /// The run's id (also the name of its folder under `_runs/` on S3).
    pub run_id: String,
    /// When the run started and when this report was published (RFC 3339).
    pub started_at: String,
    /// When this report was published.
    pub finished_at: String,
    /// The parameters the report ran with.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The report time zone the run cut its periods in (`--time-zone`);
    /// manifests written before this field existed were all UTC.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// The period the run replaced.
    pub period: String,
    /// Its first instant (RFC 3339), when the report has `$start`.
    pub period_start: Option<String>,
    /// Its end, exclusive, when the report has `$end`.
    pub period_end: Option<String>,
    /// The table's partition columns.
    pub partition_by: Vec<String>,
    /// The table's columns as `name type` (Arrow types), partition columns
    /// included.
    pub columns: Vec<String>,
    /// Rows the run wrote for its period.
    pub rows: usize,
    /// Bytes the query spilled under the memory limit.
    pub spilled_bytes: usize,
    /// Delta only: the table version the run committed.
    pub delta_version: Option<u64>,
    /// Every data file of the table after the run (Parquet format), or the
    /// files the run added (Delta), with paths relative to the table folder.
    pub files: Vec<FileEntry>,
    /// The lake files the run read.
    pub inputs: Vec<InputEntry>,
    /// Every lake table the run read: its format and, for a Delta table,
    /// the version read (with `--as-of`, the one it named), so a published
    /// report names its snapshot. Manifests written before this field
    /// existed read as empty.
    #[serde(default)]
    pub lake_tables: Vec<TableEntry>,
}

/// A lake table a run read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableEntry {
    /// Its SQL name.
    pub table: String,
    /// Its folder or file, as a URL.
    pub location: String,
    /// `delta` or `parquet`.
    pub format: String,
    /// The Delta version read; none for Parquet.
    pub delta_version: Option<u64>,
    /// How many data files it read (they are listed in `inputs`).
    pub files: usize,
}

/// A data file of a report table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the table folder.
    pub path: String,
    /// The period the file holds.
    pub period: String,
    /// Size in bytes.
    pub size: u64,
    /// Rows, from the file's footer.
    pub rows: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// A lake file a run read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputEntry {
    /// The file, as a path or URL.
    pub path: String,
    /// Its size in bytes when the lake was opened.
    pub size: u64,
}

impl Manifest {
    pub(crate) fn new(
        run: &RunInfo,
        report: &str,
        computed: &Computed,
        files: Vec<FileEntry>,
    ) -> Manifest {
        let rfc = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        Manifest {
            kpiql_version: env!("CARGO_PKG_VERSION").to_string(),
            table_format: run.format.to_string(),
            report: report.to_string(),
            run_id: run.id.clone(),
            started_at: rfc(&run.started_at),
            finished_at: rfc(&Utc::now()),
            parameters: computed
                .params
                .iter()
                .map(|(n, v)| (n.clone(), param_text(v)))
                .collect(),
            time_zone: crate::reports::zone_of(&computed.params).name().to_string(),
            period: computed.period.key.clone(),
            period_start: computed.period.start.as_ref().map(rfc),
            period_end: computed.period.end.as_ref().map(rfc),
            partition_by: computed.partition_by.clone(),
            columns: columns(computed),
            rows: computed.rows(),
            spilled_bytes: computed.spilled_bytes,
            delta_version: None,
            files,
            inputs: run.inputs.clone(),
            lake_tables: run.tables.clone(),
        }
    }

    /// Reads the manifest at `url` (in `store`), `None` when there is none.
    /// Its file paths are checked ([`check_file_path`]): the Parquet
    /// publisher carries the files a manifest lists into the next version.
    pub async fn read(store: &dyn ObjectStore, url: &Url) -> anyhow::Result<Option<Manifest>> {
        let path = Path::from_url_path(url.path())?;
        match store.get(&path).await {
            Ok(got) => {
                let bytes = got.bytes().await?;
                let manifest: Manifest = serde_json::from_slice(&bytes)
                    .map_err(|e| anyhow::anyhow!("{url} is not a kpiql batch manifest: {e}"))?;
                for file in &manifest.files {
                    check_file_path(&file.path).map_err(|why| {
                        anyhow::anyhow!(
                            "{url} lists the file {:?}, which {why}: a manifest lists paths \
                             relative to its table folder, /-separated, without `..`, `.` or \
                             empty parts; it was edited or damaged, so nothing is carried over \
                             from it: restore it, or move the table away",
                            file.path
                        )
                    })?;
                }
                Ok(Some(manifest))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {url}")),
        }
    }

    /// Whether `path` holds a kpiql manifest (a file there that does not
    /// read as one is someone else's).
    pub async fn is_at(store: &dyn ObjectStore, path: &Path) -> anyhow::Result<bool> {
        match store.get(path).await {
            Ok(got) => Ok(serde_json::from_slice::<Manifest>(&got.bytes().await?).is_ok()),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e).with_context(|| format!("cannot read {path}")),
        }
    }

    /// The manifest as pretty JSON.
    pub fn to_bytes(&self) -> anyhow::Result<Bytes> {
        let mut text = serde_json::to_vec_pretty(self)?;
        text.push(b'\n');
        Ok(Bytes::from(text))
    }

    /// Writes the manifest at `path` in one PUT (atomic on object stores).
    pub async fn write(&self, store: &dyn ObjectStore, path: &Path) -> anyhow::Result<()> {
        store.put(path, PutPayload::from(self.to_bytes()?)).await?;
        Ok(())
    }
}

fn utc() -> String {
    crate::zone::Zone::UTC.name().to_string()
}

/// Refuses to add `computed`'s period to the table `url` whose manifest
/// `previous` says it was published in another time zone: its periods and
/// months are another zone's midnights and would not line up.
pub(crate) fn check_zone(
    previous: &Manifest,
    computed: &Computed,
    url: &Url,
) -> anyhow::Result<()> {
    let zone = crate::reports::zone_of(&computed.params);
    if previous.time_zone != zone.name() {
        anyhow::bail!(
            "{url} was published in time zone {} (its {MANIFEST} says so) and this run is in \
             {zone}: the table's periods and months would be cut at two zones' midnights; run \
             with --time-zone {}, or publish to another --out",
            previous.time_zone,
            previous.time_zone
        );
    }
    Ok(())
}

/// Why `path`, listed in a manifest, is not a path inside the table folder
/// (relative, `/`-separated, no `..`, `.` or empty part), if it is not.
/// This is lexical; a local publisher also resolves the path's links.
fn check_file_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("is empty");
    }
    if path.starts_with('/') {
        return Err("is absolute");
    }
    for part in path.split('/') {
        match part {
            ".." => return Err("climbs out with `..`"),
            "." | "" => return Err("has an empty or `.` part"),
            _ if part.contains('\\') || part.contains('\0') => {
                return Err("has a backslash or NUL in it");
            }
            _ => {}
        }
    }
    Ok(())
}

/// `name type` of each column of the computed rows.
pub(crate) fn columns(computed: &Computed) -> Vec<String> {
    computed
        .schema
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect()
}

/// Refuses to add a period to a table whose layout differs: its files would
/// not read as one table.
pub(crate) fn check_same_layout(previous: &Manifest, computed: &Computed) -> anyhow::Result<()> {
    if previous.partition_by != computed.partition_by {
        anyhow::bail!(
            "the table is partitioned by {:?} but this run asks for {:?}; keep --partition-by as it was, or publish to a new destination",
            previous.partition_by,
            computed.partition_by
        );
    }
    let now = columns(computed);
    if previous.columns != now {
        anyhow::bail!(
            "the report's columns changed since the table was written (was: {}; now: {}); publish to a new destination or remove the table",
            previous.columns.join(", "),
            now.join(", ")
        );
    }
    Ok(())
}

/// A file's entry: size, checksum and rows read back from the store.
pub(crate) async fn file_entry(
    store: &dyn ObjectStore,
    path: &Path,
    relative: String,
    period: &str,
) -> anyhow::Result<FileEntry> {
    let bytes = store.get(path).await?.bytes().await?;
    let reader =
        datafusion::parquet::file::serialized_reader::SerializedFileReader::new(bytes.clone())
            .map_err(|e| anyhow::anyhow!("{path} just written is not readable Parquet: {e}"))?;
    use datafusion::parquet::file::reader::FileReader;
    let rows = reader.metadata().file_metadata().num_rows();
    Ok(FileEntry {
        path: relative,
        period: period.to_string(),
        size: bytes.len() as u64,
        rows,
        sha256: hex(&Sha256::digest(&bytes)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn param_text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::TimestampMicrosecond(Some(us), _) => {
            DateTime::<Utc>::from_timestamp_micros(*us)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_else(|| value.to_string())
        }
        ScalarValue::Utf8(Some(s)) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{check_file_path, is_run_id};

    #[test]
    fn manifest_file_paths_stay_inside_the_table() {
        for good in [
            "period=2026-10/part-0.parquet",
            "_runs/r/period=x/a b.parquet",
        ] {
            assert_eq!(check_file_path(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../outside.parquet",
            "period=x/../../y",
            "./a",
            "a//b",
            "a/",
            "a\\..\\b",
        ] {
            assert!(check_file_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn run_ids_are_recognised_and_other_names_are_not() {
        let id = format!(
            "{}-{:08x}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            0x0a1b_2c3d_u32
        );
        assert!(is_run_id(&id), "{id}");
        for other in [
            "backup",
            "lock",
            "20261129T141500.123Z",
            "20261129-0a1b2c3d",
            "",
        ] {
            assert!(!is_run_id(other), "{other}");
        }
    }
}
