//! Parquet output: writer settings and a writer that rolls over to a new
//! `part-NNNNN.parquet` file every [`PART_ROWS`] rows.

use std::fs::File;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;

use super::GenerateError;
use super::columns::write_schema;
use crate::lake::schema::Table;

/// Rows per row group (parquet-rs' default, stated so it does not drift).
pub(crate) const ROW_GROUP_ROWS: usize = 1 << 20;
/// A part file is closed once it holds at least this many rows.
pub(crate) const PART_ROWS: u64 = 4 << 20;

/// Columns that are (nearly) unique per row: dictionary encoding would only
/// be tried, overflow and fall back, so it is switched off.
const HIGH_CARDINALITY: [&str; 13] = [
    "interaction_id",
    "ticket_id",
    "customer_id",
    "survey_id",
    "created_at",
    "first_response_at",
    "ended_at",
    "resolved_at",
    "submitted_at",
    "started_at",
    "wait_seconds",
    "seconds",
    "amount",
];

/// The compression every file is written with: zstd level 1 compresses
/// these tables about a third smaller than snappy at a similar write speed.
pub(crate) fn compression() -> Compression {
    Compression::ZSTD(ZstdLevel::default())
}

/// Writer settings for one table.
pub(crate) fn properties(table: Table, compression: Compression) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    for field in table.schema().fields() {
        if HIGH_CARDINALITY.contains(&field.name().as_str()) {
            b = b.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    b.build()
}

/// What a table's writer produced.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Written {
    pub rows: u64,
    pub files: usize,
    pub bytes: u64,
}

impl Written {
    pub(crate) fn add(&mut self, other: Written) {
        self.rows += other.rows;
        self.files += other.files;
        self.bytes += other.bytes;
    }
}

/// Opens `path` for a Parquet file of `table`.
pub(crate) fn open(
    path: &Path,
    table: Table,
    props: &WriterProperties,
) -> Result<ArrowWriter<File>, GenerateError> {
    let file = File::create_new(path).map_err(|source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ArrowWriter::try_new(file, write_schema(table), Some(props.clone())).map_err(|source| {
        GenerateError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Writes the footer, syncs the file to disk and returns its size.
pub(crate) fn close(writer: ArrowWriter<File>, path: &Path) -> Result<u64, GenerateError> {
    let file = writer
        .into_inner()
        .map_err(|source| GenerateError::Parquet {
            path: path.to_path_buf(),
            source,
        })?;
    let io = |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    };
    file.sync_all().map_err(io)?;
    Ok(file.metadata().map_err(io)?.len())
}

/// Writes one table of one month as `dir/part-NNNNN.parquet` files.
#[derive(Debug)]
pub(crate) struct PartWriter {
    dir: PathBuf,
    table: Table,
    props: WriterProperties,
    current: Option<(ArrowWriter<File>, PathBuf)>,
    part_rows: u64,
    rows_in_part: u64,
    written: Written,
}

impl PartWriter {
    /// Creates `dir` (and its parents).
    pub(crate) fn create(
        dir: PathBuf,
        table: Table,
        compression: Compression,
    ) -> Result<PartWriter, GenerateError> {
        std::fs::create_dir_all(&dir).map_err(|source| GenerateError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(PartWriter {
            dir,
            table,
            props: properties(table, compression),
            current: None,
            part_rows: PART_ROWS,
            rows_in_part: 0,
            written: Written::default(),
        })
    }

    #[cfg(test)]
    fn with_part_rows(mut self, rows: u64) -> PartWriter {
        self.part_rows = rows;
        self
    }

    fn open_next(&mut self) -> Result<(), GenerateError> {
        let path = self
            .dir
            .join(format!("part-{:05}.parquet", self.written.files));
        let writer = open(&path, self.table, &self.props)?;
        self.current = Some((writer, path));
        self.rows_in_part = 0;
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), GenerateError> {
        if let Some((writer, path)) = self.current.take() {
            self.written.bytes += close(writer, &path)?;
            self.written.files += 1;
        }
        Ok(())
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), GenerateError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.current.is_none() {
            self.open_next()?;
        }
        if let Some((writer, path)) = self.current.as_mut() {
            writer
                .write(batch)
                .map_err(|source| GenerateError::Parquet {
                    path: path.clone(),
                    source,
                })?;
        }
        let n = batch.num_rows() as u64;
        self.rows_in_part += n;
        self.written.rows += n;
        if self.rows_in_part >= self.part_rows {
            self.close_current()?;
        }
        Ok(())
    }

    /// Closes the last file. A month without rows still gets one (empty)
    /// file, so every month folder of every table has the same shape.
    pub(crate) fn finish(mut self) -> Result<Written, GenerateError> {
        if self.current.is_none() && self.written.files == 0 {
            self.open_next()?;
        }
        self.close_current()?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::columns::StateCols;

    fn batch(rows: usize) -> RecordBatch {
        let mut c = StateCols::new(rows);
        for i in 0..rows {
            c.agent_id.push_id(b'a', 4, i as u64);
            c.team.push("billing");
            c.state.push("handling");
            c.started_at.push(i as i64);
            c.seconds.push(1.0);
        }
        c.finish().expect("batch")
    }

    #[test]
    fn parts_roll_over_and_empty_tables_get_one_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Table::AgentStates;
        let mut w = PartWriter::create(dir.path().join("a"), t, compression())
            .expect("create")
            .with_part_rows(8);
        for _ in 0..5 {
            w.write(&batch(4)).expect("write");
        }
        let written = w.finish().expect("finish");
        assert_eq!((written.rows, written.files), (20, 3));
        let names: Vec<_> = (0..3)
            .map(|i| dir.path().join(format!("a/part-{i:05}.parquet")))
            .collect();
        assert!(names.iter().all(|p| p.is_file()), "{names:?}");
        let total: u64 = names
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum();
        assert_eq!(total, written.bytes);

        let empty = PartWriter::create(dir.path().join("b"), t, compression()).expect("create");
        let written = empty.finish().expect("finish");
        assert_eq!((written.rows, written.files), (0, 1));
        assert!(dir.path().join("b/part-00000.parquet").is_file());
    }
}
