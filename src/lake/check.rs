//! The per-file half of the contract: does each Parquet file's schema fit
//! its table's declared schema the way DESIGN §1 allows?
//!
//! DataFusion casts a file's columns to the declared schema at scan time but
//! would accept too much (a string parses into a timestamp, 4.5 truncates
//! into the integer 4) and its errors do not name the file, so every file's
//! footer is read and judged here, before a query runs.
//!
//! Some drift needs more than the schema: a float column standing for an
//! integer column must hold whole numbers, and a wider type than declared
//! (Int64 for Int32, a float for Decimal128(18, 2), seconds for microseconds)
//! must hold values in the declared range, or the scan's cast truncates them or fails without
//! naming the file. Integer columns are judged by the footer's min/max
//! statistics; float columns (and integer ones without statistics) are read,
//! that column of those files only. A lake whose files hold the declared
//! types pays nothing. NULLs in required columns are found by the footer's
//! null counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Schema, TimeUnit};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::catalog::Session;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::physical_plan::parquet::{
    DefaultParquetFileReaderFactory, ParquetFileReaderFactory,
};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use datafusion::parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStreamBuilder};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::{StreamExt, TryStreamExt, stream};
use object_store::{ObjectMeta, ObjectStore};

use super::Table;

/// How many footers are read at once (object stores reward concurrency).
const CONCURRENT_FOOTERS: usize = 16;

/// One Parquet file of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetFile {
    /// Path, size and version within its object store.
    pub meta: ObjectMeta,
    /// The file as a user would name it (a local path or a URL).
    pub display: String,
}

/// A file that breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Not a readable Parquet file (corrupt, truncated, not Parquet).
    Unreadable {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The reader's complaint.
        reason: String,
    },
    /// A non-null column of the contract is absent from the file.
    MissingColumn {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// The declared type.
        expected: DataType,
    },
    /// A column whose type cannot stand for the declared type.
    WrongType {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// The type in the file.
        found: DataType,
        /// The declared type.
        expected: DataType,
    },
    /// A column the contract declares non-null holds NULLs (the footer's
    /// statistics say so). The scan would fail on them with a message that
    /// names neither the file nor the row group.
    NullInRequired {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// NULLs in that row group.
        nulls: u64,
        /// The first row group with NULLs, 1-based, of `row_groups`.
        row_group: usize,
        /// How many row groups the file has.
        row_groups: usize,
    },
    /// A value that the cast to the declared type would truncate, round
    /// away or overflow: a float that is not a whole number (4.5, NaN, an
    /// infinity) for an integer column, or any number outside the declared
    /// type's range (an Int64 beyond Int32, a float beyond Decimal128(18, 2)).
    Unfit {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// The type in the file.
        found: DataType,
        /// The declared type.
        expected: DataType,
        /// The first offending value, as the file holds it.
        value: String,
        /// Where it is: 1-based row group, of `row_groups`.
        row_group: usize,
        /// How many row groups the file has.
        row_groups: usize,
        /// 1-based row within the row group.
        row: u64,
    },
    /// A partitioned Delta table's value of a partition column for a file
    /// (kept in the log, not in the file) that does not read as the
    /// declared type, or is NULL in a non-null column.
    PartitionValue {
        /// The table the file belongs to.
        table: Table,
        /// The file.
        file: String,
        /// The partition column.
        column: String,
        /// The log's value (None: NULL).
        value: Option<String>,
        /// The declared type.
        expected: DataType,
        /// Why it does not read.
        reason: String,
    },
}

impl FileProblem {
    /// The table of the file.
    pub fn table(&self) -> Table {
        match self {
            FileProblem::Unreadable { table, .. }
            | FileProblem::MissingColumn { table, .. }
            | FileProblem::WrongType { table, .. }
            | FileProblem::NullInRequired { table, .. }
            | FileProblem::Unfit { table, .. }
            | FileProblem::PartitionValue { table, .. } => *table,
        }
    }

    /// The file, as a user would name it.
    pub fn file(&self) -> &str {
        match self {
            FileProblem::Unreadable { file, .. }
            | FileProblem::MissingColumn { file, .. }
            | FileProblem::WrongType { file, .. }
            | FileProblem::NullInRequired { file, .. }
            | FileProblem::Unfit { file, .. }
            | FileProblem::PartitionValue { file, .. } => file,
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::Unreadable {
                table,
                file,
                reason,
            } => write!(f, "{file} ({table}): not a readable Parquet file: {reason}"),
            FileProblem::MissingColumn {
                table,
                file,
                column,
                expected,
            } => write!(
                f,
                "{file} ({table}): required column `{column}` is missing (expected {}, not null)",
                type_name(expected)
            ),
            FileProblem::WrongType {
                table,
                file,
                column,
                found,
                expected,
            } => write!(
                f,
                "{file} ({table}): column `{column}` has type {} where {} is expected",
                type_name(found),
                type_name(expected)
            ),
            FileProblem::NullInRequired {
                table,
                file,
                column,
                nulls,
                row_group,
                row_groups,
            } => write!(
                f,
                "{file} ({table}): required column `{column}` holds {nulls} NULL{} in row \
                 group {row_group} of {row_groups}, where the contract allows none",
                if *nulls == 1 { "" } else { "s" }
            ),
            FileProblem::Unfit {
                table,
                file,
                column,
                found,
                expected,
                value,
                row_group,
                row_groups,
                row,
            } => write!(
                f,
                "{file} ({table}): column `{column}` has type {} standing for {}, but row {row} \
                 of row group {row_group} of {row_groups} holds {value}, which {}",
                type_name(found),
                type_name(expected),
                if expected.is_integer() {
                    format!("is not a whole number in the {} range", type_name(expected))
                } else {
                    format!("does not fit {}", type_name(expected))
                }
            ),
            FileProblem::PartitionValue {
                table,
                file,
                column,
                value,
                expected,
                reason,
            } => write!(
                f,
                "{file} ({table}): the Delta log gives the partition column `{column}` the \
                 value {} for this file, where {} is expected: {reason}",
                value
                    .as_ref()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_else(|| "NULL".to_string()),
                type_name(expected)
            ),
        }
    }
}

/// Types as the contract writes them (`Utf8` for any string type).
fn type_name(ty: &DataType) -> String {
    match ty {
        DataType::Utf8View => "Utf8".to_string(),
        other => other.to_string(),
    }
}

/// Reads every file's footer and returns the files that break the contract,
/// sorted by file. Values that would not survive the cast to the declared
/// type (4.5 for an Int32, 3e9 in an Int64 for an Int32) are found here too,
/// from statistics or by reading that column (see the module docs).
pub async fn check_files(
    state: &dyn Session,
    table: Table,
    files: &[ParquetFile],
) -> Vec<FileProblem> {
    check_files_with(state, table, files, &table.schema()).await
}

/// What a table's log says of one data file's values: a Delta `add`
/// action's statistics (top-level columns; numbers only in `min`/`max`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoggedStats {
    /// Rows in the file.
    pub records: Option<u64>,
    /// NULLs per column.
    pub nulls: HashMap<String, u64>,
    /// The least value per numeric column.
    pub min: HashMap<String, f64>,
    /// The greatest value per numeric column.
    pub max: HashMap<String, f64>,
}

/// A table's log, for [`check_logged_files`]: the schema it declares for
/// every data file and what it says of each file.
#[derive(Debug, Clone, Copy)]
pub struct Log<'a> {
    /// The log as a user would name it (its folder and version).
    pub display: &'a str,
    /// The schema the log declares.
    pub schema: &'a Schema,
    /// Each file's statistics, by path in the store.
    pub stats: &'a HashMap<object_store::path::Path, LoggedStats>,
}

/// [`check_files_with`] for a table with a log (a Delta table, whose
/// protocol has every data file hold the log's schema): the log's schema
/// is judged once, and a file's footer is read only where the log's
/// statistics do not settle a rule for it (a required column without a
/// null count or with NULLs, a value range not in the log, a float
/// standing for an integer column, whose fractions no min/max shows). On a
/// log written with statistics, opening reads no footer (issue 25).
pub async fn check_logged_files(
    state: &dyn Session,
    table: Table,
    files: &[ParquetFile],
    declared: &datafusion::arrow::datatypes::SchemaRef,
    log: Option<Log<'_>>,
) -> Vec<FileProblem> {
    let Some(log) = log else {
        return check_files_with(state, table, files, declared).await;
    };
    let problems = check_schema(table, log.display, log.schema, declared);
    if !problems.is_empty() {
        // Every file holds the log's schema: one problem, named once.
        return problems;
    }
    let unsettled: Vec<ParquetFile> = files
        .iter()
        .filter(|file| {
            log.stats
                .get(&file.meta.location)
                .is_none_or(|stats| !settled(stats, log.schema, declared))
        })
        .cloned()
        .collect();
    check_files_with(state, table, &unsettled, declared).await
}

/// Whether a file's logged statistics prove it keeps every rule
/// [`check_files_with`] would judge from its footer, for a file holding
/// `schema` (already found to fit `declared`).
fn settled(stats: &LoggedStats, schema: &Schema, declared: &Schema) -> bool {
    declared.fields().iter().all(|wanted| {
        let Ok(field) = schema.field_with_name(wanted.name()) else {
            return true;
        };
        let name = field.name();
        let nulls = stats.nulls.get(name).copied();
        if !wanted.is_nullable() && nulls != Some(0) {
            return false;
        }
        let Some(domain) = Domain::needed(field.data_type(), wanted.data_type()) else {
            return true;
        };
        if nulls.is_some() && nulls == stats.records {
            return true;
        }
        match (stats.min.get(name), stats.max.get(name)) {
            (Some(&low), Some(&high)) => !domain.whole && domain.holds(low) && domain.holds(high),
            _ => false,
        }
    })
}

/// [`check_files`] against `declared`: the table's schema without the
/// columns its files do not hold (a partitioned Delta table's partition
/// columns, checked by `formats::partitioned::problems`).
pub async fn check_files_with(
    state: &dyn Session,
    table: Table,
    files: &[ParquetFile],
    declared: &datafusion::arrow::datatypes::SchemaRef,
) -> Vec<FileProblem> {
    let checks = files.iter().map(|file| {
        let declared = &declared;
        async move {
            let unreadable = |reason| {
                vec![FileProblem::Unreadable {
                    table,
                    file: file.display.clone(),
                    reason,
                }]
            };
            let (store, metadata) = match file_metadata(state, file).await {
                Ok(found) => found,
                Err(reason) => return unreadable(reason),
            };
            let reader = match ArrowReaderMetadata::try_new(metadata, ArrowReaderOptions::new()) {
                Ok(reader) => reader,
                Err(e) => return unreadable(e.to_string()),
            };
            let mut problems = check_schema(table, &file.display, reader.schema(), declared);
            for (index, field) in reader.schema().fields().iter().enumerate() {
                let Ok(wanted) = declared.field_with_name(field.name()) else {
                    continue;
                };
                if !wanted.is_nullable()
                    && let Some((row_group, nulls)) = first_nulls(reader.metadata(), field.name())
                {
                    problems.push(FileProblem::NullInRequired {
                        table,
                        file: file.display.clone(),
                        column: field.name().clone(),
                        nulls,
                        row_group: row_group + 1,
                        row_groups: reader.metadata().num_row_groups(),
                    });
                }
                let Some(domain) = Domain::needed(field.data_type(), wanted.data_type()) else {
                    continue;
                };
                if domain.holds_by_statistics(&reader, field.name()) {
                    continue;
                }
                match first_unfit(&store, file, &reader, index, domain).await {
                    Ok(None) => {}
                    Ok(Some(bad)) => problems.push(FileProblem::Unfit {
                        table,
                        file: file.display.clone(),
                        column: field.name().clone(),
                        found: field.data_type().clone(),
                        expected: wanted.data_type().clone(),
                        value: bad.value,
                        row_group: bad.row_group,
                        row_groups: bad.row_groups,
                        row: bad.row,
                    }),
                    Err(reason) => return unreadable(reason),
                }
            }
            problems
        }
    });
    // Collected before they are polled: the lazy `map` held across an
    // await would make the future generic over the closure's lifetimes,
    // which a `TableProvider::scan` (a `Send` future) cannot be.
    let mut problems: Vec<FileProblem> = stream::iter(checks.collect::<Vec<_>>())
        .buffered(CONCURRENT_FOOTERS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    problems.sort_by(|a, b| a.file().cmp(b.file()));
    problems
}

/// The file's store and footer.
async fn file_metadata(
    state: &dyn Session,
    file: &ParquetFile,
) -> Result<(Arc<dyn ObjectStore>, Arc<ParquetMetaData>), String> {
    let url = datafusion::datasource::listing::ListingTableUrl::parse(&file.display)
        .map_err(|e| e.to_string())?;
    let store = state
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| e.to_string())?;
    // Through DataFusion's footer cache, so the scan that follows does not
    // read the footer again.
    let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
    let metadata = DFParquetMetadata::new(store.as_ref(), &file.meta)
        .with_file_metadata_cache(Some(cache))
        .fetch_metadata()
        .await
        .map_err(|e| match e {
            // Its text already starts "Parquet error:"; DataFusion's
            // wrapper would say it twice.
            datafusion::error::DataFusionError::ParquetError(e) => e.to_string(),
            other => other.to_string(),
        })?;
    Ok((store, metadata))
}

/// The first row group whose statistics count NULLs in the top-level
/// column `name`, with that count. Free: the counts are in the footer. A
/// file written without null counts is not judged here; its NULLs surface
/// when a query reads them.
fn first_nulls(metadata: &ParquetMetaData, name: &str) -> Option<(usize, u64)> {
    metadata
        .row_groups()
        .iter()
        .enumerate()
        .find_map(|(index, group)| {
            let chunk = group
                .columns()
                .iter()
                .find(|c| c.column_path().parts() == [name])?;
            let nulls = chunk.statistics()?.null_count_opt()?;
            (nulls > 0).then_some((index, nulls))
        })
}

/// A value that cannot stand for its declared type, and where it is.
#[derive(Debug)]
struct BadValue {
    value: String,
    row_group: usize,
    row_groups: usize,
    row: u64,
}

/// The values a file column may hold so that the cast to its declared type
/// neither truncates, rounds away nor overflows, as a test on the values
/// read as `f64`.
#[derive(Debug, Clone, Copy)]
struct Domain {
    /// Only whole numbers (a float standing for an integer column).
    whole: bool,
    /// `low <= v < high`.
    low: f64,
    high: f64,
}

impl Domain {
    /// The domain to check a `found` file column against when it stands for
    /// a `declared` column, or `None` when every value of `found` fits (the
    /// declared type itself, a narrower integer, a timestamp, a string).
    fn needed(found: &DataType, declared: &DataType) -> Option<Domain> {
        if let (DataType::Timestamp(unit, _), DataType::Timestamp(found_unit, _)) =
            (declared, found)
        {
            // A coarser unit is multiplied on the cast: seconds beyond
            // ±2^63 µs overflow. A finer one is divided and always fits.
            let factor = per_second(unit) / per_second(found_unit);
            let bound = 2f64.powi(63) / factor;
            return (factor > 1.0).then_some(Domain {
                whole: false,
                low: -bound,
                high: bound,
            });
        }
        let (low, high) = match declared {
            DataType::Decimal128(precision, scale) => {
                // Digits before the point; values round to the scale.
                let bound = 10f64.powi(i32::from(*precision) - i32::from(*scale));
                (-bound, bound)
            }
            other => integer_range(other)?,
        };
        if found.is_floating() {
            return Some(Domain {
                whole: declared.is_integer(),
                low,
                high,
            });
        }
        let (found_low, found_high) = integer_range(found)?;
        (found_low < low || found_high > high).then_some(Domain {
            whole: false,
            low,
            high,
        })
    }

    fn holds(self, v: f64) -> bool {
        // NaN fails every comparison, so it never holds.
        v >= self.low && v < self.high && (!self.whole || v.fract() == 0.0)
    }

    /// Whether the footer's min/max statistics prove every value of the
    /// column fits, so nothing needs reading. Only for integer columns:
    /// min/max say nothing of fractions, and writers leave NaN out of them.
    fn holds_by_statistics(self, reader: &ArrowReaderMetadata, column: &str) -> bool {
        if self.whole {
            return false;
        }
        let metadata = reader.metadata();
        let Ok(converter) = StatisticsConverter::try_new(
            column,
            reader.schema(),
            metadata.file_metadata().schema_descr(),
        ) else {
            return false;
        };
        let groups = metadata.row_groups().iter();
        let (Ok(mins), Ok(maxes)) = (
            converter.row_group_mins(groups.clone()),
            converter.row_group_maxes(groups),
        ) else {
            return false;
        };
        [mins, maxes].iter().all(|bounds| {
            let Ok(bounds) = as_floats(bounds) else {
                return false;
            };
            let bounds = bounds.as_primitive::<Float64Type>();
            // A row group without statistics (NULL here) proves nothing.
            bounds.null_count() == 0 && bounds.values().iter().all(|&v| self.holds(v))
        })
    }
}

/// Value `i` of `column` as the file holds it; a timestamp as its ticks,
/// since one out of range has no date to print.
fn shown(
    column: &datafusion::arrow::array::ArrayRef,
    i: usize,
) -> Result<String, datafusion::arrow::error::ArrowError> {
    match column.data_type() {
        DataType::Timestamp(unit, _) => {
            let ticks = datafusion::arrow::compute::cast(column, &DataType::Int64)?;
            let unit = match unit {
                TimeUnit::Second => "seconds",
                TimeUnit::Millisecond => "milliseconds",
                TimeUnit::Microsecond => "microseconds",
                TimeUnit::Nanosecond => "nanoseconds",
            };
            Ok(format!(
                "{} {unit} after 1970-01-01",
                array_value_to_string(&ticks, i)?
            ))
        }
        _ => array_value_to_string(column, i),
    }
}

/// Ticks per second of a timestamp unit.
fn per_second(unit: &TimeUnit) -> f64 {
    match unit {
        TimeUnit::Second => 1.0,
        TimeUnit::Millisecond => 1e3,
        TimeUnit::Microsecond => 1e6,
        TimeUnit::Nanosecond => 1e9,
    }
}

/// Numbers, or timestamps as their ticks, as `Float64`.
fn as_floats(
    array: &datafusion::arrow::array::ArrayRef,
) -> Result<datafusion::arrow::array::ArrayRef, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::compute::cast;
    match array.data_type() {
        // Arrow casts a timestamp to Int64 (its ticks), not to a float.
        DataType::Timestamp(_, _) => cast(&cast(array, &DataType::Int64)?, &DataType::Float64),
        _ => cast(array, &DataType::Float64),
    }
}

/// Reads column `index` of `file` and returns its first value outside
/// `domain` (NULLs are judged elsewhere).
async fn first_unfit(
    store: &Arc<dyn ObjectStore>,
    file: &ParquetFile,
    reader: &ArrowReaderMetadata,
    index: usize,
    domain: Domain,
) -> Result<Option<BadValue>, String> {
    let metadata = reader.metadata();
    let mask = ProjectionMask::roots(metadata.file_metadata().schema_descr(), [index]);
    // DataFusion's own reader, the one its scans use; the footer is passed
    // in, so it only fetches the column's pages.
    let input: Box<dyn AsyncFileReader> = DefaultParquetFileReaderFactory::new(Arc::clone(store))
        .create_reader(
            0,
            PartitionedFile::new_from_meta(file.meta.clone()),
            None,
            &ExecutionPlanMetricsSet::new(),
        )
        .map_err(|e| e.to_string())?;
    let mut batches = ParquetRecordBatchStreamBuilder::new_with_metadata(input, reader.clone())
        .with_projection(mask)
        .build()
        .map_err(|e| e.to_string())?;
    // Rows so far in the file; the row group of a bad row follows from the
    // row counts in the footer, whatever the batch boundaries.
    let mut offset: u64 = 0;
    while let Some(batch) = batches.try_next().await.map_err(|e| e.to_string())? {
        let column = batch.column(0);
        // Exact for floats and for integers up to 2^53; beyond that only a
        // value within rounding distance of a bound could be misjudged.
        let values = as_floats(column).map_err(|e| e.to_string())?;
        let values = values.as_primitive::<Float64Type>();
        let bad = (0..values.len()).find(|&i| values.is_valid(i) && !domain.holds(values.value(i)));
        if let Some(i) = bad {
            let value = shown(column, i).map_err(|e| e.to_string())?;
            let (row_group, row) = locate(metadata, offset + i as u64);
            return Ok(Some(BadValue {
                value,
                row_group: row_group + 1,
                row_groups: metadata.num_row_groups(),
                row: row + 1,
            }));
        }
        offset += batch.num_rows() as u64;
    }
    Ok(None)
}

/// The row group (0-based) holding the file's row `row` (0-based), and the
/// row's place within it.
fn locate(metadata: &ParquetMetaData, mut row: u64) -> (usize, u64) {
    let groups = metadata.row_groups();
    for (index, group) in groups.iter().enumerate() {
        let rows = u64::try_from(group.num_rows()).unwrap_or(0);
        if row < rows {
            return (index, row);
        }
        row -= rows;
    }
    (groups.len().saturating_sub(1), row)
}

/// The values of an integer type as floats: `low <= v < high`. Both bounds
/// are powers of two, exact in `f64`, so the test is exact too. `None` for
/// a type that is not an integer.
fn integer_range(ty: &DataType) -> Option<(f64, f64)> {
    use DataType::*;
    let (signed, bits) = match ty {
        Int8 => (true, 8),
        Int16 => (true, 16),
        Int32 => (true, 32),
        Int64 => (true, 64),
        UInt8 => (false, 8),
        UInt16 => (false, 16),
        UInt32 => (false, 32),
        UInt64 => (false, 64),
        _ => return None,
    };
    Some(if signed {
        let half = 2f64.powi(bits - 1);
        (-half, half)
    } else {
        (0.0, 2f64.powi(bits))
    })
}

/// Judges one file's schema against the declared one.
pub fn check_schema(
    table: Table,
    file: &str,
    found: &Schema,
    declared: &Schema,
) -> Vec<FileProblem> {
    let mut problems = Vec::new();
    for field in declared.fields() {
        match found.field_with_name(field.name()) {
            Err(_) if field.is_nullable() => {}
            Err(_) => problems.push(FileProblem::MissingColumn {
                table,
                file: file.to_string(),
                column: field.name().clone(),
                expected: field.data_type().clone(),
            }),
            Ok(actual) if castable(actual.data_type(), field.data_type()) => {}
            Ok(actual) => problems.push(FileProblem::WrongType {
                table,
                file: file.to_string(),
                column: field.name().clone(),
                found: actual.data_type().clone(),
                expected: field.data_type().clone(),
            }),
        }
    }
    problems
}

/// Whether a file column of type `found` may stand for a declared column of
/// type `declared`: strings for strings, numbers for numbers (a float may
/// stand for an integer column, as pandas writes integer columns with NULLs
/// as floats, if its values are whole: [`check_files`] reads them), timestamps of any unit and zone for timestamps. Anything that
/// would need parsing (a string for a timestamp) is refused.
pub fn castable(found: &DataType, declared: &DataType) -> bool {
    use DataType::*;
    let is_string = |t: &DataType| match t {
        Utf8 | LargeUtf8 | Utf8View => true,
        Dictionary(_, v) => matches!(v.as_ref(), Utf8 | LargeUtf8 | Utf8View),
        _ => false,
    };
    let is_number = |t: &DataType| t.is_integer() || t.is_floating() || t.is_decimal();
    match declared {
        Utf8 | LargeUtf8 | Utf8View => is_string(found),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => {
            found.is_integer() || found.is_floating()
        }
        Float16
        | Float32
        | Float64
        | Decimal32(_, _)
        | Decimal64(_, _)
        | Decimal128(_, _)
        | Decimal256(_, _) => is_number(found),
        Boolean => matches!(found, Boolean),
        Timestamp(_, _) => matches!(found, Timestamp(_, _)),
        Date32 | Date64 => matches!(found, Date32 | Date64 | Timestamp(_, _)),
        other => found == other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // guards: a lake whose files hold the declared types reads no column
    // at open; only types whose values may not fit get a domain to check.
    #[test]
    fn only_types_that_may_not_fit_are_checked() {
        use DataType::*;
        let ts = |unit| Timestamp(unit, Some("UTC".into()));
        let amount = Decimal128(18, 2);
        for (found, declared) in [
            (Int32, Int32),
            (Int16, Int32),
            (UInt16, Int32),
            (Int32, amount.clone()),
            (ts(TimeUnit::Microsecond), ts(TimeUnit::Microsecond)),
            (ts(TimeUnit::Nanosecond), ts(TimeUnit::Microsecond)),
            (Utf8, Utf8View),
            (Float32, Float64),
        ] {
            assert!(
                Domain::needed(&found, &declared).is_none(),
                "{found} for {declared}"
            );
        }
        for (found, declared, whole) in [
            (Float64, Int32, true),
            (Float32, Int32, true),
            (Int64, Int32, false),
            (UInt32, Int32, false),
            (Int64, amount.clone(), false),
            (Float64, amount, false),
            (ts(TimeUnit::Second), ts(TimeUnit::Microsecond), false),
            (ts(TimeUnit::Millisecond), ts(TimeUnit::Microsecond), false),
        ] {
            let domain = Domain::needed(&found, &declared);
            assert_eq!(
                domain.map(|d| d.whole),
                Some(whole),
                "{found} for {declared}"
            );
        }
    }

    #[test]
    fn the_int32_domain_is_exact_at_its_bounds() {
        let Some(domain) = Domain::needed(&DataType::Float64, &DataType::Int32) else {
            panic!("floats for Int32 are checked");
        };
        for (v, holds) in [
            (2_147_483_647.0, true),
            (2_147_483_648.0, false),
            (-2_147_483_648.0, true),
            (-2_147_483_649.0, false),
            (4.0, true),
            (4.5, false),
            (f64::NAN, false),
            (f64::INFINITY, false),
        ] {
            assert_eq!(domain.holds(v), holds, "{v}");
        }
    }
}
