//! The "ratio of sums" kernel, shared by occupancy, utilization and ces.
//!
//! A function turns a batch into [`Terms`] with Arrow kernels (a value per
//! row, NULL for a row not counted: a mean's value over 1, or a share's
//! value over itself where a mask says so) and checks the domain of the
//! counted rows; the kernel keeps, per group, the two sums, filled in one
//! pass over the counted rows, and returns `scale * numerator /
//! denominator`, NULL when the denominator is 0 (as it is when no row was
//! counted: denominator terms are >= 0, and 1 for a mean).
//!
//! Sums are `f64`: exact for integer terms (CES scores) below 2^53, and
//! for fractional seconds exact up to the rounding of addition, which can
//! differ in the last bits with the order rows are added in.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// The terms of a batch. `values` is NULL where a row is not counted.
#[derive(Debug)]
pub enum Terms {
    /// A mean: numerator `value`, denominator 1 (ces).
    Mean(Float64Array),
    /// A share: numerator `value` where `numerator` is true (else 0),
    /// denominator `value` (occupancy, utilization).
    Share {
        /// Numerator and denominator term per row.
        values: Float64Array,
        /// Whether the row's value also counts in the numerator.
        numerator: BooleanBuffer,
    },
}

impl Terms {
    fn values(&self) -> &Float64Array {
        match self {
            Terms::Mean(values) | Terms::Share { values, .. } => values,
        }
    }

    /// Calls `f(row, numerator term, denominator term)` for each counted row.
    fn for_each(&self, mut f: impl FnMut(usize, f64, f64)) {
        let values = self.values();
        let v = values.values();
        match (self, values.nulls()) {
            (Terms::Mean(_), Some(nulls)) if nulls.null_count() > 0 => {
                nulls.valid_indices().for_each(|row| f(row, v[row], 1.0));
            }
            (Terms::Mean(_), _) => v.iter().enumerate().for_each(|(row, &x)| f(row, x, 1.0)),
            (Terms::Share { numerator, .. }, Some(nulls)) if nulls.null_count() > 0 => {
                nulls.valid_indices().for_each(|row| {
                    let x = v[row];
                    f(row, if numerator.value(row) { x } else { 0.0 }, x)
                });
            }
            (Terms::Share { numerator, .. }, _) => v
                .iter()
                .zip(numerator.iter())
                .enumerate()
                .for_each(|(row, (&x, counts))| f(row, if counts { x } else { 0.0 }, x)),
        }
    }

    /// The batch's numerator sum, denominator sum and counted rows.
    fn totals(&self) -> (f64, f64, u64) {
        let (mut n, mut d, mut rows) = (0.0, 0.0, 0);
        self.for_each(|_, num, den| {
            n += num;
            d += den;
            rows += 1;
        });
        (n, d, rows)
    }
}

/// The terms of each row of a batch. Rows where `filter` is not true are
/// not counted and never an error; counted rows out of the domain are, and
/// the error names the function by `syntax` (e.g. `ces(score)`).
pub type TermsOf =
    fn(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms>;

/// A KPI computed as a ratio of two sums: what the kernel needs to know of
/// it. The terms are computed once per batch; the summing loops stay
/// monomorphic.
#[derive(Debug, Clone, Copy)]
pub struct RatioOfSums {
    /// 100 for a percentage, 1 for a mean.
    pub scale: f64,
    /// The numerator and denominator terms of each row.
    pub terms: TermsOf,
}

impl RatioOfSums {
    /// The state columns of the aggregate `name`: the two sums.
    pub fn state_fields(&self, name: &str) -> Vec<FieldRef> {
        ["numerator", "denominator"]
            .iter()
            .map(|sum| {
                Arc::new(Field::new(
                    format!("{name}[{sum}]"),
                    DataType::Float64,
                    false,
                ))
            })
            .collect()
    }

    /// The accumulator of one group (no GROUP BY, window frames).
    pub fn accumulator(self, syntax: Arc<str>) -> Box<dyn Accumulator> {
        Box::new(RatioAccumulator {
            kpi: self,
            syntax,
            numerator: 0.0,
            denominator: 0.0,
            rows: 0,
        })
    }

    /// The accumulator of every group (GROUP BY).
    pub fn groups_accumulator(self, syntax: Arc<str>) -> Box<dyn GroupsAccumulator> {
        Box::new(RatioGroupsAccumulator {
            kpi: self,
            syntax,
            sums: Vec::new(),
        })
    }

    fn terms(
        &self,
        syntax: &str,
        args: &[ArrayRef],
        filter: Option<&BooleanArray>,
    ) -> Result<Terms> {
        (self.terms)(syntax, args, filter)
    }
}

/// `scale * numerator / denominator`, NULL when the denominator is 0
/// (which it is when no row was counted: every denominator term is >= 0,
/// and a mean's is 1).
fn ratio(scale: f64, numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| scale * numerator / denominator)
}

/// The sums of one group (no GROUP BY, window frames).
#[derive(Debug)]
pub struct RatioAccumulator {
    kpi: RatioOfSums,
    syntax: Arc<str>,
    numerator: f64,
    denominator: f64,
    /// Rows added minus rows retracted (sliding windows, which never merge).
    rows: u64,
}

impl Accumulator for RatioAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (n, d, rows) = self.kpi.terms(&self.syntax, values, None)?.totals();
        self.numerator += n;
        self.denominator += d;
        self.rows += rows;
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (n, d, rows) = self.kpi.terms(&self.syntax, values, None)?.totals();
        self.numerator -= n;
        self.denominator -= d;
        self.rows -= rows;
        if self.rows == 0 {
            // Forget the rounding left by adding and removing the same terms.
            self.numerator = 0.0;
            self.denominator = 0.0;
        }
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(ratio(
            self.kpi.scale,
            self.numerator,
            self.denominator,
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.numerator)),
            ScalarValue::Float64(Some(self.denominator)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.numerator +=
            datafusion::arrow::compute::sum(states[0].as_primitive::<Float64Type>()).unwrap_or(0.0);
        self.denominator +=
            datafusion::arrow::compute::sum(states[1].as_primitive::<Float64Type>()).unwrap_or(0.0);
        Ok(())
    }
}

/// One group's sums.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    numerator: f64,
    denominator: f64,
}

/// The sums of every group (GROUP BY), group-major so that a row touches
/// one cache line.
#[derive(Debug)]
pub struct RatioGroupsAccumulator {
    kpi: RatioOfSums,
    syntax: Arc<str>,
    sums: Vec<Sums>,
}

impl GroupsAccumulator for RatioGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, Sums::default());
        let terms = self.kpi.terms(&self.syntax, values, opt_filter)?;
        let sums = &mut self.sums;
        terms.for_each(|row, n, d| {
            let s = &mut sums[group_indices[row]];
            s.numerator += n;
            s.denominator += d;
        });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.sums.resize(total_num_groups, Sums::default());
        let numerators = values[0].as_primitive::<Float64Type>().values();
        let denominators = values[1].as_primitive::<Float64Type>().values();
        for ((&group, &n), &d) in group_indices.iter().zip(numerators).zip(denominators) {
            let s = &mut self.sums[group];
            s.numerator += n;
            s.denominator += d;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let scale = self.kpi.scale;
        let values: Float64Array = emit_to
            .take_needed(&mut self.sums)
            .iter()
            .map(|s| ratio(scale, s.numerator, s.denominator))
            .collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.sums);
        Ok(vec![
            Arc::new(Float64Array::from_iter_values(
                taken.iter().map(|s| s.numerator),
            )),
            Arc::new(Float64Array::from_iter_values(
                taken.iter().map(|s| s.denominator),
            )),
        ])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let terms = self.kpi.terms(&self.syntax, values, opt_filter)?;
        let len = terms.values().len();
        let mut numerators = vec![0.0; len];
        let mut denominators = vec![0.0; len];
        terms.for_each(|row, n, d| {
            numerators[row] = n;
            denominators[row] = d;
        });
        Ok(vec![
            Arc::new(Float64Array::from(numerators)),
            Arc::new(Float64Array::from(denominators)),
        ])
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.sums.capacity() * size_of::<Sums>()
    }
}
