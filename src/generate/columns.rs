//! Vec-backed column builders and the per-table batch builders.
//!
//! The builders write straight into the buffers Arrow arrays are made of
//! (ids are formatted digit by digit into the string value buffer), so a row
//! costs no allocation. Strings are written as plain `Utf8`; the lake reader
//! accepts it for the contract's `Utf8View` columns.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::builder::NullBufferBuilder;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, BooleanBufferBuilder, Float64Array, Int32Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;

use crate::lake::schema::{TZ, Table};

/// Rows per Arrow batch handed to the Parquet writer.
pub(crate) const CHUNK: usize = 128 * 1024;
/// Digits of interaction and ticket numbers.
pub(crate) const ID_WIDTH: usize = 12;
/// Digits of survey numbers (four per interaction number).
pub(crate) const SURVEY_ID_WIDTH: usize = 13;

/// The schema files are written with: the canonical one with `Utf8View`
/// strings written as `Utf8` (faster to build and to encode).
pub(crate) fn write_schema(table: Table) -> SchemaRef {
    static SCHEMAS: LazyLock<[SchemaRef; Table::ALL.len()]> = LazyLock::new(|| {
        Table::ALL.map(|t| {
            let fields: Vec<Field> = t
                .schema()
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Utf8View | DataType::LargeUtf8 => {
                        Field::new(f.name(), DataType::Utf8, f.is_nullable())
                    }
                    _ => f.as_ref().clone(),
                })
                .collect();
            Arc::new(Schema::new(fields))
        })
    });
    Arc::clone(&SCHEMAS[table as usize])
}

/// Two ASCII digits for each value 0..100.
const DIGITS2: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Number of decimal digits of `n` (at least 1).
pub(crate) fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A `Utf8` column under construction.
#[derive(Debug)]
pub(crate) struct StrCol {
    offsets: Vec<i32>,
    values: Vec<u8>,
    nulls: NullBufferBuilder,
    rows: usize,
    bytes_per_row: usize,
}

impl StrCol {
    pub(crate) fn new(rows: usize, bytes_per_row: usize) -> StrCol {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrCol {
            offsets,
            values: Vec::with_capacity(rows * bytes_per_row),
            nulls: NullBufferBuilder::new(rows),
            rows,
            bytes_per_row,
        }
    }

    #[inline]
    fn end_value(&mut self) {
        // Chunks hold at most a few MB of string data, far below i32::MAX.
        self.offsets.push(self.values.len() as i32);
    }

    #[inline]
    pub(crate) fn push(&mut self, s: &str) {
        self.values.extend_from_slice(s.as_bytes());
        self.end_value();
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.push(s),
            None => self.push_null(),
        }
    }

    /// Appends `prefix` followed by `n` zero-padded to `width` digits.
    #[inline]
    pub(crate) fn push_id(&mut self, prefix: u8, width: usize, n: u64) {
        write_id(&mut self.values, prefix, width, n);
        self.end_value();
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_null(&mut self) {
        self.end_value();
        self.nulls.append_null();
    }

    /// Hands the column over as an array and starts an empty one.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let fresh = StrCol::new(self.rows, self.bytes_per_row);
        let done = std::mem::replace(self, fresh);
        let mut nulls = done.nulls;
        let array = StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(done.offsets)),
            Buffer::from_vec(done.values),
            nulls.finish(),
        )?;
        Ok(Arc::new(array))
    }
}

/// Appends `prefix` followed by `n` zero-padded to `width` digits.
#[inline]
fn write_id(values: &mut Vec<u8>, prefix: u8, width: usize, mut n: u64) {
    let start = values.len();
    values.push(prefix);
    values.resize(start + 1 + width, b'0');
    let buf = &mut values[start + 1..];
    let mut i = buf.len();
    while n >= 100 && i >= 2 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        buf[i - 2..i].copy_from_slice(&DIGITS2[d..d + 2]);
        i -= 2;
    }
    while n > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// A primitive column (with optional nulls) under construction.
#[derive(Debug)]
pub(crate) struct PrimCol<T> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
    rows: usize,
}

impl<T: Copy + Default> PrimCol<T> {
    pub(crate) fn new(rows: usize) -> PrimCol<T> {
        PrimCol {
            values: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
            rows,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, v: T) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    #[inline]
    pub(crate) fn push_null(&mut self) {
        self.values.push(T::default());
        self.nulls.append_null();
    }

    #[inline]
    pub(crate) fn push_opt(&mut self, v: Option<T>) {
        match v {
            Some(v) => self.push(v),
            None => self.push_null(),
        }
    }

    fn take(
        &mut self,
    ) -> (
        ScalarBuffer<T>,
        Option<datafusion::arrow::buffer::NullBuffer>,
    )
    where
        T: datafusion::arrow::datatypes::ArrowNativeType,
    {
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(self.rows));
        (ScalarBuffer::from(values), self.nulls.finish())
    }
}

impl PrimCol<i64> {
    /// As a `Timestamp(Microsecond, "UTC")` array.
    pub(crate) fn finish_ts(&mut self) -> ArrayRef {
        let (v, n) = self.take();
        Arc::new(TimestampMicrosecondArray::new(v, n).with_timezone(TZ))
    }
}

impl PrimCol<f64> {
    pub(crate) fn finish(&mut self) -> ArrayRef {
        let (v, n) = self.take();
        Arc::new(Float64Array::new(v, n))
    }
}

impl PrimCol<i32> {
    pub(crate) fn finish(&mut self) -> ArrayRef {
        let (v, n) = self.take();
        Arc::new(Int32Array::new(v, n))
    }
}

/// A non-null boolean column under construction.
#[derive(Debug)]
pub(crate) struct BoolCol {
    bits: BooleanBufferBuilder,
    rows: usize,
}

impl BoolCol {
    pub(crate) fn new(rows: usize) -> BoolCol {
        BoolCol {
            bits: BooleanBufferBuilder::new(rows),
            rows,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, v: bool) {
        self.bits.append(v);
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        let mut done = std::mem::replace(&mut self.bits, BooleanBufferBuilder::new(self.rows));
        Arc::new(BooleanArray::new(done.finish(), None))
    }
}

/// Rows of `interactions` under construction.
#[derive(Debug)]
pub(crate) struct InteractionCols {
    pub interaction_id: StrCol,
    pub ticket_id: StrCol,
    pub contact_seq: PrimCol<i32>,
    pub customer_id: StrCol,
    pub agent_id: StrCol,
    pub team: StrCol,
    pub channel: StrCol,
    pub priority: StrCol,
    pub created_at: PrimCol<i64>,
    pub first_response_at: PrimCol<i64>,
    pub ended_at: PrimCol<i64>,
    pub resolved_at: PrimCol<i64>,
    pub wait_seconds: PrimCol<f64>,
    pub hold_seconds: PrimCol<f64>,
    pub handle_seconds: PrimCol<f64>,
    pub resolved: BoolCol,
    pub escalated: BoolCol,
    pub abandoned: BoolCol,
    pub bot: BoolCol,
    pub ticket_created_at: PrimCol<i64>,
    /// Rows pushed since the last [`InteractionCols::finish`].
    pub len: usize,
}

impl InteractionCols {
    pub(crate) fn new(rows: usize) -> InteractionCols {
        InteractionCols {
            interaction_id: StrCol::new(rows, 13),
            ticket_id: StrCol::new(rows, 13),
            contact_seq: PrimCol::new(rows),
            customer_id: StrCol::new(rows, 9),
            agent_id: StrCol::new(rows, 5),
            team: StrCol::new(rows, 10),
            channel: StrCol::new(rows, 6),
            priority: StrCol::new(rows, 6),
            created_at: PrimCol::new(rows),
            first_response_at: PrimCol::new(rows),
            ended_at: PrimCol::new(rows),
            resolved_at: PrimCol::new(rows),
            wait_seconds: PrimCol::new(rows),
            hold_seconds: PrimCol::new(rows),
            handle_seconds: PrimCol::new(rows),
            resolved: BoolCol::new(rows),
            escalated: BoolCol::new(rows),
            abandoned: BoolCol::new(rows),
            bot: BoolCol::new(rows),
            ticket_created_at: PrimCol::new(rows),
            len: 0,
        }
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.len = 0;
        let columns = vec![
            self.interaction_id.finish()?,
            self.ticket_id.finish()?,
            self.contact_seq.finish(),
            self.customer_id.finish()?,
            self.agent_id.finish()?,
            self.team.finish()?,
            self.channel.finish()?,
            self.priority.finish()?,
            self.created_at.finish_ts(),
            self.first_response_at.finish_ts(),
            self.ended_at.finish_ts(),
            self.resolved_at.finish_ts(),
            self.wait_seconds.finish(),
            self.hold_seconds.finish(),
            self.handle_seconds.finish(),
            self.resolved.finish(),
            self.escalated.finish(),
            self.abandoned.finish(),
            self.bot.finish(),
            self.ticket_created_at.finish_ts(),
        ];
        RecordBatch::try_new(write_schema(Table::Interactions), columns)
    }
}

/// Rows of `surveys` under construction.
#[derive(Debug)]
pub(crate) struct SurveyCols {
    pub survey_id: StrCol,
    pub interaction_id: StrCol,
    pub ticket_id: StrCol,
    pub customer_id: StrCol,
    pub kind: StrCol,
    pub score: PrimCol<i32>,
    pub submitted_at: PrimCol<i64>,
    pub comment: StrCol,
    pub len: usize,
}

impl SurveyCols {
    pub(crate) fn new(rows: usize) -> SurveyCols {
        SurveyCols {
            survey_id: StrCol::new(rows, 14),
            interaction_id: StrCol::new(rows, 13),
            ticket_id: StrCol::new(rows, 13),
            customer_id: StrCol::new(rows, 9),
            kind: StrCol::new(rows, 4),
            score: PrimCol::new(rows),
            submitted_at: PrimCol::new(rows),
            comment: StrCol::new(rows, 4),
            len: 0,
        }
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.len = 0;
        let columns = vec![
            self.survey_id.finish()?,
            self.interaction_id.finish()?,
            self.ticket_id.finish()?,
            self.customer_id.finish()?,
            self.kind.finish()?,
            self.score.finish(),
            self.submitted_at.finish_ts(),
            self.comment.finish()?,
        ];
        RecordBatch::try_new(write_schema(Table::Surveys), columns)
    }
}

/// Rows of `agent_states` under construction.
#[derive(Debug)]
pub(crate) struct StateCols {
    pub agent_id: StrCol,
    pub team: StrCol,
    pub state: StrCol,
    pub started_at: PrimCol<i64>,
    pub seconds: PrimCol<f64>,
    pub len: usize,
}

impl StateCols {
    pub(crate) fn new(rows: usize) -> StateCols {
        StateCols {
            agent_id: StrCol::new(rows, 5),
            team: StrCol::new(rows, 10),
            state: StrCol::new(rows, 9),
            started_at: PrimCol::new(rows),
            seconds: PrimCol::new(rows),
            len: 0,
        }
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.len = 0;
        let columns = vec![
            self.agent_id.finish()?,
            self.team.finish()?,
            self.state.finish()?,
            self.started_at.finish_ts(),
            self.seconds.finish(),
        ];
        RecordBatch::try_new(write_schema(Table::AgentStates), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Array;

    #[test]
    fn ids_are_zero_padded() {
        let mut c = StrCol::new(4, 8);
        c.push_id(b'i', 12, 12345);
        c.push_id(b'a', 4, 0);
        c.push_null();
        c.push_id(b'c', 7, 9_876_543);
        let a = c.finish().expect("valid utf8");
        let s = a.as_any().downcast_ref::<StringArray>().expect("utf8");
        assert_eq!(s.value(0), "i000000012345");
        assert_eq!(s.value(1), "a0000");
        assert!(s.is_null(2));
        assert_eq!(s.value(3), "c9876543");
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(999_999), 6);
    }
}
