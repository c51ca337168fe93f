//! Writing query results: an aligned table, CSV, JSON lines or Parquet, to
//! stdout or to a file that appears whole or not at all.
//!
//! A file is written to a temporary file in the destination's folder and
//! renamed over the destination only when every row is written, so a failed
//! query or a killed process never leaves a partial output file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::DataFusionError;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::errors::ParquetError;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::TryStreamExt;
use tempfile::NamedTempFile;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table, for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON lines: one object per row.
    Json,
    /// Parquet (needs a file).
    Parquet,
    /// One self-contained HTML page: for a report, its charts and table.
    Html,
}

impl Format {
    /// The format a file name suggests (`.csv`, `.json`/`.jsonl`/`.ndjson`,
    /// `.parquet`), if any.
    pub fn from_extension(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" | "jsonl" | "ndjson" => Some(Format::Json),
            "parquet" => Some(Format::Parquet),
            "txt" => Some(Format::Table),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
}

/// Something that went wrong while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Parquet is binary and goes to a file.
    #[error("--format parquet needs --out FILE (Parquet is not written to a terminal or pipe)")]
    ParquetNeedsFile,
    /// A file or Parquet output holds one result.
    #[error(
        "{what} holds one result, but statement {statement} returns rows too; \
         run the statements separately or keep one SELECT"
    )]
    SeveralResults {
        /// The output (file name or format).
        what: String,
        /// The 1-based statement number of the second result.
        statement: usize,
    },
    /// Writing failed.
    #[error("cannot write {what}: {source}")]
    Io {
        /// What was being written (a path or "stdout").
        what: String,
        /// The error.
        source: io::Error,
    },
    /// Formatting failed.
    #[error("cannot format results: {0}")]
    Arrow(#[from] ArrowError),
    /// Writing Parquet failed.
    #[error("cannot write Parquet: {0}")]
    Parquet(#[from] ParquetError),
    /// An HTML page could not be made.
    #[error(transparent)]
    Html(#[from] crate::html::HtmlError),
    /// The query failed while its rows were being produced.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl OutputError {
    /// Whether the error is only the reader of stdout having gone away
    /// (`kpiql sql ... | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            OutputError::Io { source, .. } => source.kind() == io::ErrorKind::BrokenPipe,
            OutputError::Arrow(ArrowError::IoError(_, e)) => e.kind() == io::ErrorKind::BrokenPipe,
            OutputError::Arrow(ArrowError::ExternalError(e)) => e
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe),
            _ => false,
        }
    }
}

enum Target {
    Stdout,
    File { tmp: NamedTempFile, path: PathBuf },
}

/// Where results go and how they look.
pub struct Output {
    format: Format,
    target: Target,
    results: usize,
    page: Option<crate::html::PageInfo>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("format", &self.format)
            .field("results", &self.results)
            .finish()
    }
}

impl Output {
    /// Results in `format` to stdout, or to `path` (created atomically on
    /// [`Output::finish`]).
    pub fn new(format: Format, path: Option<&Path>) -> Result<Output, OutputError> {
        let target = match path {
            None if format == Format::Parquet => return Err(OutputError::ParquetNeedsFile),
            None => Target::Stdout,
            Some(path) => {
                let dir = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let mut builder = tempfile::Builder::new();
                builder.prefix(".kpiql-").suffix(".tmp");
                // A temporary file is private (0600); the result is not, so
                // it gets the mode of any newly created file (0666 less the
                // umask), as `> file` in a shell would give it.
                #[cfg(unix)]
                builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
                let tmp = builder
                    .tempfile_in(&dir)
                    .map_err(|source| OutputError::Io {
                        what: format!("{} (folder {})", path.display(), dir.display()),
                        source,
                    })?;
                Target::File {
                    tmp,
                    path: path.to_path_buf(),
                }
            }
        };
        Ok(Output {
            format,
            target,
            results: 0,
            page: None,
        })
    }

    /// What an HTML page says about its numbers (the report, its
    /// parameters, the lake); without it a page shows the table only.
    pub fn with_page(mut self, page: crate::html::PageInfo) -> Output {
        self.page = Some(page);
        self
    }

    fn what(&self) -> String {
        match &self.target {
            Target::Stdout => "stdout".to_string(),
            Target::File { path, .. } => path.display().to_string(),
        }
    }

    /// Writes one result set (the rows of statement number `statement`).
    /// Returns the number of rows written.
    pub async fn write(
        &mut self,
        statement: usize,
        mut stream: SendableRecordBatchStream,
    ) -> Result<usize, OutputError> {
        self.results += 1;
        if self.results > 1
            && (matches!(self.target, Target::File { .. })
                || matches!(self.format, Format::Parquet | Format::Html))
        {
            return Err(OutputError::SeveralResults {
                what: self.what(),
                statement,
            });
        }
        let what = self.what();
        let schema = stream.schema();
        let format = self.format;
        let first = self.results == 1;
        let inner: Box<dyn Write + Send + '_> = match &mut self.target {
            Target::Stdout => Box::new(io::stdout()),
            Target::File { tmp, .. } => Box::new(tmp.as_file_mut()),
        };
        let mut sink = BufWriter::new(Watch {
            inner,
            broken_pipe: false,
        });
        let page = self.page.as_ref();
        let result = write_all(format, first, schema, &mut stream, &mut sink, &what, page).await;
        let broken_pipe = sink.get_ref().broken_pipe;
        match result {
            // The CSV and JSON writers turn I/O errors into strings; the
            // watch remembers what really happened.
            Err(_) if broken_pipe => Err(OutputError::Io {
                what,
                source: io::ErrorKind::BrokenPipe.into(),
            }),
            Err(e) => Err(e),
            Ok(rows) => {
                sink.flush()
                    .map_err(|source| OutputError::Io { what, source })?;
                Ok(rows)
            }
        }
    }

    /// Publishes the output file (a rename over the destination); stdout
    /// is only flushed.
    pub fn finish(self) -> Result<(), OutputError> {
        match self.target {
            Target::Stdout => io::stdout().flush().map_err(|source| OutputError::Io {
                what: "stdout".to_string(),
                source,
            }),
            Target::File { tmp, path } => {
                tmp.as_file().sync_all().map_err(|source| OutputError::Io {
                    what: path.display().to_string(),
                    source,
                })?;
                tmp.persist(&path)
                    .map(|_: File| ())
                    .map_err(|e| OutputError::Io {
                        what: path.display().to_string(),
                        source: e.error,
                    })
            }
        }
    }
}

/// Writes one result set in `format`; returns the rows written.
pub(crate) async fn write_all(
    format: Format,
    first: bool,
    schema: SchemaRef,
    stream: &mut SendableRecordBatchStream,
    mut sink: &mut (dyn Write + Send),
    what: &str,
    page: Option<&crate::html::PageInfo>,
) -> Result<usize, OutputError> {
    let mut rows = 0;
    match format {
        Format::Table => {
            let batches: Vec<RecordBatch> = stream.try_collect().await?;
            rows = batches.iter().map(RecordBatch::num_rows).sum();
            let text = if batches.is_empty() {
                pretty_format_batches(&[RecordBatch::new_empty(schema)])?
            } else {
                pretty_format_batches(&batches)?
            };
            writeln!(sink, "{text}").map_err(|source| OutputError::Io {
                what: what.to_string(),
                source,
            })?;
        }
        Format::Csv => {
            if !first {
                writeln!(sink).map_err(|source| OutputError::Io {
                    what: what.to_string(),
                    source,
                })?;
            }
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut sink);
            let mut wrote = false;
            while let Some(batch) = stream.try_next().await? {
                rows += batch.num_rows();
                writer.write(&flat(&batch)?)?;
                wrote = true;
            }
            if !wrote {
                writer.write(&flat(&RecordBatch::new_empty(schema))?)?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, datafusion::arrow::json::writer::LineDelimited>(&mut sink);
            while let Some(batch) = stream.try_next().await? {
                rows += batch.num_rows();
                writer.write(&batch)?;
            }
            writer.finish()?;
        }
        Format::Parquet => {
            rows = write_parquet(sink, schema, stream).await?;
        }
        Format::Html => {
            let batches: Vec<RecordBatch> = stream.try_collect().await?;
            rows = batches.iter().map(RecordBatch::num_rows).sum();
            let fallback;
            let info = match page {
                Some(info) => info,
                None => {
                    fallback = crate::html::PageInfo::query(None, String::new());
                    &fallback
                }
            };
            let text = crate::html::page(info, &schema, &batches)?;
            sink.write_all(text.as_bytes())
                .map_err(|source| OutputError::Io {
                    what: what.to_string(),
                    source,
                })?;
        }
    }
    Ok(rows)
}

/// The batch with nested columns (lists, structs, maps), which CSV cannot
/// hold, written as text the way the table format shows them.
fn flat(batch: &RecordBatch) -> Result<RecordBatch, OutputError> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type().is_nested())
    {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type().is_nested() {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            let text: StringArray = (0..column.len())
                .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(std::sync::Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    Ok(RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// A writer that remembers whether the reader went away.
struct Watch<W> {
    inner: W,
    broken_pipe: bool,
}

impl<W: Write> Write for Watch<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| self.note(e))
    }
}

impl<W> Watch<W> {
    fn note(&mut self, e: &io::Error) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.broken_pipe = true;
        }
    }
}

async fn write_parquet(
    sink: &mut (dyn Write + Send),
    schema: SchemaRef,
    stream: &mut SendableRecordBatchStream,
) -> Result<usize, OutputError> {
    let mut writer = ArrowWriter::try_new(sink, schema, None)?;
    let mut rows = 0;
    while let Some(batch) = stream.try_next().await? {
        rows += batch.num_rows();
        writer.write(&batch)?;
    }
    writer.close()?;
    Ok(rows)
}

/// A string column as owned strings, whatever its Arrow string type.
pub fn string_column(batch: &RecordBatch, index: usize) -> Vec<String> {
    let column = batch.column(index);
    let formatted =
        datafusion::arrow::compute::cast(column, &datafusion::arrow::datatypes::DataType::Utf8);
    match formatted {
        Ok(array) => {
            let strings = array.as_string::<i32>();
            (0..strings.len())
                .map(|i| {
                    if strings.is_null(i) {
                        "NULL".to_string()
                    } else {
                        strings.value(i).to_string()
                    }
                })
                .collect()
        }
        Err(_) => vec![String::new(); column.len()],
    }
}

/// The error and its causes on one line, outermost first, as `{:#}` would
/// print them, but without a cause whose text is already in the line:
/// DataFusion's and Arrow's errors quote their source in their own message
/// and return it as `source()` too, so `{:#}` said "Divide by zero error:
/// Divide by zero error".
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
