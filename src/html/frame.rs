//! A report's result as the page needs it: each cell as the table and CSV
//! outputs show it, and the numbers of numeric columns.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// The rows of a result, column by column.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Column names.
    pub names: Vec<String>,
    /// Each column's cells as text (NULL as the empty string, as in CSV).
    pub text: Vec<Vec<String>>,
    /// Each numeric column's values (None for other columns).
    pub numbers: Vec<Option<Vec<Option<f64>>>>,
    /// Each column's NULLs.
    pub null: Vec<Vec<bool>>,
    /// Number of rows.
    pub rows: usize,
}

impl Frame {
    /// The frame of `batches`.
    pub fn new(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Frame, ArrowError> {
        let width = schema.fields().len();
        let mut frame = Frame {
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            text: vec![Vec::new(); width],
            numbers: schema
                .fields()
                .iter()
                .map(|f| f.data_type().is_numeric().then(Vec::new))
                .collect(),
            null: vec![Vec::new(); width],
            rows: 0,
        };
        let options = FormatOptions::default();
        for batch in batches {
            frame.rows += batch.num_rows();
            for (i, column) in batch.columns().iter().enumerate() {
                let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
                for row in 0..column.len() {
                    frame.null[i].push(column.is_null(row));
                    frame.text[i].push(if column.is_null(row) {
                        String::new()
                    } else {
                        formatter.value(row).to_string()
                    });
                }
                if let Some(numbers) = &mut frame.numbers[i] {
                    let floats = cast(column, &DataType::Float64)?;
                    numbers.extend(
                        floats
                            .as_primitive::<Float64Type>()
                            .iter()
                            .map(|v| v.filter(|v| v.is_finite())),
                    );
                }
            }
        }
        Ok(frame)
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A column's cell as text, or None when NULL.
    pub fn cell(&self, column: usize, row: usize) -> Option<&str> {
        (!self.null[column][row]).then(|| self.text[column][row].as_str())
    }

    /// A numeric column's value in `row` (None for NULL, or not a number).
    pub fn number(&self, column: usize, row: usize) -> Option<f64> {
        self.numbers[column].as_ref().and_then(|v| v[row])
    }
}
