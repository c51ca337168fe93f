//! The per-file half of the contract: does each Parquet file's schema fit
//! its table's declared schema the way DESIGN §1 allows?
//!
//! DataFusion casts a file's columns to the declared schema at scan time but
//! would accept too much (a string parses into a timestamp) and its errors
//! do not name the file, so every file's footer is read and judged here,
//! before a query runs.

use std::fmt;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::execution::SessionState;
use futures::{StreamExt, stream};
use object_store::ObjectMeta;

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
}

impl FileProblem {
    /// The table of the file.
    pub fn table(&self) -> Table {
        match self {
            FileProblem::Unreadable { table, .. }
            | FileProblem::MissingColumn { table, .. }
            | FileProblem::WrongType { table, .. } => *table,
        }
    }

    /// The file, as a user would name it.
    pub fn file(&self) -> &str {
        match self {
            FileProblem::Unreadable { file, .. }
            | FileProblem::MissingColumn { file, .. }
            | FileProblem::WrongType { file, .. } => file,
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

/// Reads every file's footer and returns the files that break the contract.
pub async fn check_files(
    state: &SessionState,
    table: Table,
    files: &[ParquetFile],
) -> Vec<FileProblem> {
    let declared = table.schema();
    let checks = files.iter().map(|file| {
        let declared = &declared;
        async move {
            match file_schema(state, file).await {
                Ok(schema) => check_schema(table, &file.display, &schema, declared),
                Err(reason) => vec![FileProblem::Unreadable {
                    table,
                    file: file.display.clone(),
                    reason,
                }],
            }
        }
    });
    let mut problems: Vec<FileProblem> = stream::iter(checks)
        .buffered(CONCURRENT_FOOTERS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    problems.sort_by(|a, b| a.file().cmp(b.file()));
    problems
}

async fn file_schema(state: &SessionState, file: &ParquetFile) -> Result<Schema, String> {
    let url = datafusion::datasource::listing::ListingTableUrl::parse(&file.display)
        .map_err(|e| e.to_string())?;
    let store = state
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| e.to_string())?;
    // Through DataFusion's footer cache, so the scan that follows does not
    // read the footer again.
    let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
    DFParquetMetadata::new(store.as_ref(), &file.meta)
        .with_file_metadata_cache(Some(cache))
        .fetch_schema()
        .await
        .map_err(|e| e.to_string())
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
/// type `declared`: strings for strings, numbers for numbers (floats into an
/// integer column truncate, as pandas writes integer columns with NULLs as
/// floats), timestamps of any unit and zone for timestamps. Anything that
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
