//! The support lake as SQL tables: locations, the per-file contract check and
//! registration of the four tables (DESIGN §1).
//!
//! Nothing here knows about KPIs; `crate::session` puts tables, views and
//! functions together.

pub mod check;
pub mod formats;
pub mod live;
mod location;
pub mod own;
pub mod schema;

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;

pub use check::{FileProblem, ParquetFile};
pub use formats::delta::AsOf;
pub use location::{Location, TableSource};
pub use schema::Table;

/// Something wrong with the lake, named precisely enough to fix it.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The lake location itself does not exist or is not readable.
    #[error("lake not found: {location} ({reason})")]
    NotFound {
        /// The location as the user gave it.
        location: String,
        /// Why it was not found.
        reason: String,
    },
    /// The location cannot be understood.
    #[error("bad lake location {location:?}: {reason}")]
    BadLocation {
        /// The location as the user gave it.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A required table is missing.
    #[error("required table `{table}` not found: looked for {}", looked_at.join(" and "))]
    MissingTable {
        /// The table.
        table: Table,
        /// The places looked at.
        looked_at: Vec<String>,
    },
    /// A table exists both as a folder and as a single file.
    #[error("table `{table}` is ambiguous: both {folder} and {file} exist; keep one")]
    AmbiguousTable {
        /// The table.
        table: Table,
        /// The folder found.
        folder: String,
        /// The single file found.
        file: String,
    },
    /// A Delta table kpiql cannot read faithfully (issue 25).
    #[error("cannot read the Delta table `{table}` at {place}: {reason}")]
    Delta {
        /// The table.
        table: String,
        /// Its folder.
        place: String,
        /// What is wrong, or what it needs that kpiql does not read.
        reason: String,
    },
    /// An Iceberg table, which kpiql cannot read yet (issue 25).
    #[error(
        "table `{table}` at {place} is an Iceberg table (metadata/*.metadata.json): kpiql \
         cannot read Iceberg tables yet, and reading its Parquet files loose would count \
         deleted and replaced rows; export it to Parquet files or a Delta table"
    )]
    Iceberg {
        /// The table.
        table: String,
        /// Its folder.
        place: String,
    },
    /// A table of `--table NAME=LOCATION` that cannot be read.
    #[error("cannot read --table {name}={location}: {reason}")]
    OwnTable {
        /// The name given.
        name: String,
        /// The location given.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A lake that does not fit its source (issue 29, `crate::source`).
    #[error("the lake does not fit the {origin}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Source {
        /// The source (`built-in source zendesk`, or its folder).
        origin: String,
        /// Each mismatch.
        problems: Vec<String>,
    },
    /// Files that do not follow the contract.
    #[error("{} not follow the lake contract:\n{}", plural(problems.len()), list(problems))]
    Contract {
        /// One entry per bad file.
        problems: Vec<FileProblem>,
    },
    /// Listing or reading the object store failed.
    #[error("cannot read {location}: {source}")]
    Store {
        /// What was being read.
        location: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// No object store could be made for the location.
    #[error(transparent)]
    ObjectStore(#[from] crate::store::StoreError),
    /// An error from DataFusion while registering tables.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 file does".to_string()
    } else {
        format!("{n} files do")
    }
}

fn list(problems: &[FileProblem]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(|p| format!("  - {p}"))
        .collect();
    if problems.len() > SHOWN {
        out.push(format!("  ... and {} more", problems.len() - SHOWN));
    }
    out.join("\n")
}

/// A non-fatal finding while opening the lake (e.g. a missing optional table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a table's files are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listing {
    /// Once, when the lake opens: a command that runs and ends.
    #[default]
    AtOpen,
    /// At every scan, new files checked as at open ([`live::LiveTable`]):
    /// a server that runs while the lake changes (DESIGN §5).
    EveryScan,
}

/// How a lake is read (the global options that say so).
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// When the contract tables' files are listed.
    pub listing: Listing,
    /// The version of every Delta table to read (`--as-of`; else the
    /// latest).
    pub as_of: Option<formats::delta::AsOf>,
    /// Tables from elsewhere, `--table NAME=LOCATION` ([`own`]).
    pub tables: Vec<(String, crate::store::Place)>,
    /// The lake holds another schema's raw tables (`--source`): the
    /// contract's tables are not looked for in it, a source's views
    /// define them (`crate::source`, which registers them).
    pub raw: bool,
}

/// A table as read, for a batch manifest: where, in which format, which
/// snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRead {
    /// Its SQL name.
    pub table: String,
    /// Its folder or file, as a URL.
    pub location: String,
    /// `delta` or `parquet`.
    pub format: &'static str,
    /// The Delta version read.
    pub delta_version: Option<u64>,
    /// How many data files were read.
    pub files: usize,
}

impl TableRead {
    /// The table `name` read from `source`.
    pub fn of(name: &str, source: &TableSource) -> TableRead {
        TableRead {
            table: name.to_string(),
            location: source.url.clone(),
            format: if source.delta.is_some() {
                "delta"
            } else {
                "parquet"
            },
            delta_version: source.delta.as_ref().map(|s| s.version),
            files: source.files.len(),
        }
    }
}

/// The tables of a lake, checked against the contract and ready to register.
#[derive(Debug)]
pub struct Lake {
    /// Where the lake is.
    pub location: Location,
    /// One provider per table, in [`Table::ALL`] order.
    pub tables: Vec<(Table, Arc<dyn TableProvider>)>,
    /// The analyst's own tables ([`own`]): the root's, then `--table`'s.
    pub own: Vec<own::OwnTable>,
    /// Every table read, contract tables first.
    pub read: Vec<TableRead>,
    /// Findings that did not stop the lake from opening.
    pub warnings: Vec<Warning>,
    /// Every Parquet file of the lake's tables.
    pub files: Vec<ParquetFile>,
}

impl Lake {
    /// Finds the tables of `location`, checks every Parquet file's schema
    /// against the contract and builds one table provider per table, whose
    /// files are listed as `reading` says; then the analyst's own tables.
    ///
    /// Fails on a missing lake or required table and on any file that breaks
    /// the contract, naming the file, the column and both types.
    pub async fn open(
        state: &SessionState,
        location: Location,
        reading: &Reading,
    ) -> Result<Lake, LakeError> {
        let as_of = reading.as_of;
        // Every table is found and checked at once: while one waits (for
        // its listing, its footers, its Delta log on a blocking thread, or
        // an S3 round trip), the others go on. The results are then taken
        // in table order, so errors and problems read as before.
        let opened = if reading.raw {
            Vec::new()
        } else {
            let finder = location.finder(state).await?;
            let (finder, location) = (&finder, &location);
            futures::future::join_all(Table::ALL.iter().map(|&table| async move {
                let source = location.find_table(finder, table, as_of).await?;
                let checked = match &source {
                    Some(source) => {
                        let declared = formats::partitioned::file_schema(source, &table.schema());
                        let log = source.delta.as_ref().map(|s| s.log());
                        check::check_logged_files(state, table, &source.files, &declared, log).await
                    }
                    None => Vec::new(),
                };
                Ok::<_, LakeError>((table, source, checked))
            }))
            .await
        };
        let mut problems = Vec::new();
        let mut tables = Vec::new();
        let mut warnings = Vec::new();
        let mut files = Vec::new();
        let mut read = Vec::new();
        for opened in opened {
            let (table, source, checked) = opened?;
            let Some(source) = source else {
                warnings.push(Warning(format!(
                    "optional table `{table}` not found at {}: registered empty",
                    location.table_places(table).join(" or ")
                )));
                tables.push((table, empty_table(table)?));
                continue;
            };
            if source.files.is_empty() {
                // Most likely files of another format or extension (.csv,
                // .parq), which are not read: say so rather than answer
                // every query with zero rows in silence.
                warnings.push(Warning(format!(
                    "table `{table}` has no .parquet file under {}: it reads as empty",
                    location.table_places(table)[0]
                )));
            }
            problems.extend(checked);
            let values = formats::partitioned::problems(table, &source, &source.files);
            if !values.is_empty() {
                problems.extend(values);
                continue;
            }
            let provider = match reading.listing {
                Listing::AtOpen => listing_table(table, &source)?,
                Listing::EveryScan => Arc::new(live::LiveTable::new(
                    table,
                    &source,
                    location.clone(),
                    as_of,
                )?),
            };
            tables.push((table, provider));
            read.push(TableRead::of(table.name(), &source));
            files.extend(source.files);
        }
        if !problems.is_empty() {
            return Err(LakeError::Contract { problems });
        }
        let (mut own, skipped) = own::at_root(state, &location, as_of).await?;
        warnings.extend(skipped);
        for (name, place) in &reading.tables {
            let table = own::named(state, name, place, as_of).await?;
            if let Some(i) = own.iter().position(|t| &t.name == name) {
                warnings.push(Warning(format!(
                    "--table {name}=... is read instead of {} at the lake's root",
                    own[i].read.location
                )));
                own.remove(i);
            }
            own.push(table);
        }
        for table in &own {
            read.push(table.read.clone());
            files.extend(table.files.iter().cloned());
        }
        if let Some(as_of) = as_of {
            if read.iter().all(|t| t.delta_version.is_none()) {
                return Err(LakeError::BadLocation {
                    location: location.display(),
                    reason: format!(
                        "--as-of {as_of} reads Delta tables at a version, and none of this \
                         lake's tables is a Delta table"
                    ),
                });
            }
            let plain: Vec<String> = read
                .iter()
                .filter(|t| t.delta_version.is_none())
                .map(|t| format!("`{}`", t.table))
                .collect();
            if !plain.is_empty() {
                warnings.push(Warning(format!(
                    "--as-of {as_of} applies to Delta tables; plain Parquet tables are read as \
                     they are now: {}",
                    plain.join(", ")
                )));
            }
        }
        Ok(Lake {
            location,
            tables,
            own,
            read,
            warnings,
            files,
        })
    }
}

/// An empty table with the canonical schema (a missing optional table):
/// DataFusion's `EmptyTable`, which [`is_missing`] recognises (and which a
/// distributed engine's plan codec can ship).
pub fn empty_table(table: Table) -> Result<Arc<dyn TableProvider>, LakeError> {
    Ok(Arc::new(datafusion::datasource::empty::EmptyTable::new(
        table.schema(),
    )))
}

/// Whether `provider` is the stand-in for a table the lake does not have.
pub fn is_missing(provider: &dyn TableProvider) -> bool {
    provider
        .downcast_ref::<datafusion::datasource::empty::EmptyTable>()
        .is_some()
}

/// A listing table over `source` that reads every file with the declared
/// schema; DataFusion casts each file's columns to it (drift, DESIGN §1).
pub fn listing_table(
    table: Table,
    source: &TableSource,
) -> Result<Arc<dyn TableProvider>, LakeError> {
    if formats::partitioned::is_partitioned(source, &table.schema()) {
        return formats::partitioned::provider(
            table.name(),
            table.schema(),
            source,
            source.files.iter(),
        );
    }
    if source.delta.is_some() {
        // A Delta table is its log's files, never its folder's listing.
        if source.files.is_empty() {
            return empty_table(table);
        }
        let urls = source.file_urls(source.files.iter().map(|f| &f.meta))?;
        return listing_table_of(table, urls);
    }
    let url = ListingTableUrl::parse(&source.url)?;
    listing_table_of(table, vec![url])
}

/// A listing table over the given folders or files of one table.
pub fn listing_table_of(
    table: Table,
    urls: Vec<ListingTableUrl>,
) -> Result<Arc<dyn TableProvider>, LakeError> {
    listing_table_with_schema(urls, table.schema())
}

/// How many bytes of a file's tail are read to find its footer when the
/// footer is not cached yet (a Delta table's files, whose footers opening
/// does not read; a file that arrived while `serve` runs; the analyst's
/// own tables, whose schemas are inferred from their footers).
/// DataFusion's default, 512 KiB, read for 24 footers of 5 KiB at once, was
/// 12 MiB of transient reads and most of a Delta lake's extra peak memory
/// (bench/README.md, issue 25); a footer larger than this costs one more
/// read.
const FOOTER_HINT: usize = 64 * 1024;

/// How the lake reads Parquet files: every table's scans and the schema
/// inference of the analyst's own tables.
pub(crate) fn parquet_format() -> ParquetFormat {
    ParquetFormat::default().with_metadata_size_hint(Some(FOOTER_HINT))
}

/// A listing table over `urls` read as `schema` (`validate` relaxes the
/// declared schema so NULLs in required columns reach its row checks).
pub fn listing_table_with_schema(
    urls: Vec<ListingTableUrl>,
    schema: datafusion::arrow::datatypes::SchemaRef,
) -> Result<Arc<dyn TableProvider>, LakeError> {
    let options = ListingOptions::new(Arc::new(parquet_format())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// The schema unqualified names resolve in (`datafusion.public` unless the
/// session says otherwise): where the tables and views are registered.
pub fn default_schema(
    state: &SessionState,
) -> Result<Arc<dyn datafusion::catalog::SchemaProvider>, datafusion::error::DataFusionError> {
    let catalog_name = &state.config_options().catalog.default_catalog;
    let schema_name = &state.config_options().catalog.default_schema;
    state
        .catalog_list()
        .catalog(catalog_name)
        .and_then(|c| c.schema(schema_name))
        .ok_or_else(|| {
            datafusion::error::DataFusionError::Plan(format!(
                "default schema {catalog_name}.{schema_name} not found"
            ))
        })
}
