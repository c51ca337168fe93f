//! The "ratio of sums" kernel, shared by occupancy, utilization and ces.
//!
//! A function turns each row into a numerator and a denominator term with
//! Arrow kernels (NULL in both for a row not counted) and checks the domain
//! of the counted rows; the kernel keeps, per group, the two sums and the
//! number of rows counted, and returns `scale * numerator / denominator`,
//! NULL when no row was counted or the denominator is 0.
//!
//! Sums are `f64`: exact for integer terms (CES scores) below 2^53, and
//! for fractional seconds exact up to the rounding of addition, which can
//! differ in the last bits with the order rows are added in.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature,
};
use datafusion_functions_aggregate_common::aggregate::groups_accumulator::accumulate::accumulate;

/// The numerator and denominator terms of a batch; NULL (in both) where a
/// row is not counted.
#[derive(Debug)]
pub struct Terms {
    /// Numerator term per row.
    pub numerator: Float64Array,
    /// Denominator term per row.
    pub denominator: Float64Array,
}

/// A KPI computed as a ratio of two sums.
pub trait RatioOfSums: Debug + Clone + Send + Sync + PartialEq + Eq + Hash + 'static {
    /// SQL name.
    fn name(&self) -> &'static str;
    /// The signature (argument types are checked in `check_types`).
    fn signature(&self) -> &Signature;
    /// Checks and normalises argument types.
    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;
    /// 100 for a percentage, 1 for a mean.
    fn scale(&self) -> f64;
    /// The terms of each row. Rows where `filter` is not true are not
    /// counted and never an error; counted rows out of the domain are.
    fn terms(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms>;
    /// Documentation shown by `SHOW FUNCTIONS` and `kpiql functions`.
    fn documentation(&self) -> &Documentation;
}

/// An aggregate UDF over a [`RatioOfSums`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RatioUdaf<R>(pub R);

impl<R: RatioOfSums> AggregateUDFImpl for RatioUdaf<R> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn signature(&self) -> &Signature {
        self.0.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Types that fit no form are left as they are and reported by
        // `return_type`, so the error is ours and not a generic coercion
        // failure against the signature's exact forms (common::signature).
        Ok(self
            .0
            .check_types(arg_types)
            .unwrap_or_else(|_| arg_types.to_vec()))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.0.check_types(arg_types)?;
        Ok(DataType::Float64)
    }

    fn is_nullable(&self) -> bool {
        true
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(None))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[numerator]", args.name),
                DataType::Float64,
                false,
            )),
            Arc::new(Field::new(
                format!("{}[denominator]", args.name),
                DataType::Float64,
                false,
            )),
            Arc::new(Field::new(
                format!("{}[rows]", args.name),
                DataType::UInt64,
                false,
            )),
        ])
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RatioAccumulator::new(self.0.clone())))
    }

    fn create_sliding_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RatioAccumulator::new(self.0.clone())))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(RatioGroupsAccumulator {
            kpi: self.0.clone(),
            numerators: Vec::new(),
            denominators: Vec::new(),
            rows: Vec::new(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(self.0.documentation())
    }
}

fn ratio(scale: f64, numerator: f64, denominator: f64, rows: u64) -> Option<f64> {
    (rows > 0 && denominator != 0.0).then(|| scale * numerator / denominator)
}

/// The sums of one group (no GROUP BY, window frames).
#[derive(Debug)]
pub struct RatioAccumulator<R> {
    kpi: R,
    numerator: f64,
    denominator: f64,
    rows: u64,
}

impl<R: RatioOfSums> RatioAccumulator<R> {
    fn new(kpi: R) -> Self {
        RatioAccumulator {
            kpi,
            numerator: 0.0,
            denominator: 0.0,
            rows: 0,
        }
    }
}

impl<R: RatioOfSums> Accumulator for RatioAccumulator<R> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let terms = self.kpi.terms(values, None)?;
        self.numerator += datafusion::arrow::compute::sum(&terms.numerator).unwrap_or(0.0);
        self.denominator += datafusion::arrow::compute::sum(&terms.denominator).unwrap_or(0.0);
        self.rows += (terms.denominator.len() - terms.denominator.null_count()) as u64;
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let terms = self.kpi.terms(values, None)?;
        self.numerator -= datafusion::arrow::compute::sum(&terms.numerator).unwrap_or(0.0);
        self.denominator -= datafusion::arrow::compute::sum(&terms.denominator).unwrap_or(0.0);
        self.rows -= (terms.denominator.len() - terms.denominator.null_count()) as u64;
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
            self.kpi.scale(),
            self.numerator,
            self.denominator,
            self.rows,
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.numerator)),
            ScalarValue::Float64(Some(self.denominator)),
            ScalarValue::UInt64(Some(self.rows)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.numerator +=
            datafusion::arrow::compute::sum(states[0].as_primitive::<Float64Type>()).unwrap_or(0.0);
        self.denominator +=
            datafusion::arrow::compute::sum(states[1].as_primitive::<Float64Type>()).unwrap_or(0.0);
        self.rows +=
            datafusion::arrow::compute::sum(states[2].as_primitive::<UInt64Type>()).unwrap_or(0);
        Ok(())
    }
}

/// The sums of every group (GROUP BY).
#[derive(Debug)]
pub struct RatioGroupsAccumulator<R> {
    kpi: R,
    numerators: Vec<f64>,
    denominators: Vec<f64>,
    rows: Vec<u64>,
}

impl<R: RatioOfSums> RatioGroupsAccumulator<R> {
    fn resize(&mut self, total_num_groups: usize) {
        self.numerators.resize(total_num_groups, 0.0);
        self.denominators.resize(total_num_groups, 0.0);
        self.rows.resize(total_num_groups, 0);
    }
}

impl<R: RatioOfSums> GroupsAccumulator for RatioGroupsAccumulator<R> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let terms = self.kpi.terms(values, opt_filter)?;
        let numerators = &mut self.numerators;
        accumulate(group_indices, &terms.numerator, None, |g, v| {
            numerators[g] += v
        });
        let denominators = &mut self.denominators;
        let rows = &mut self.rows;
        accumulate(group_indices, &terms.denominator, None, |g, v| {
            denominators[g] += v;
            rows[g] += 1;
        });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let numerators = &mut self.numerators;
        accumulate(
            group_indices,
            values[0].as_primitive::<Float64Type>(),
            None,
            |g, v| {
                numerators[g] += v;
            },
        );
        let denominators = &mut self.denominators;
        accumulate(
            group_indices,
            values[1].as_primitive::<Float64Type>(),
            None,
            |g, v| {
                denominators[g] += v;
            },
        );
        let rows = &mut self.rows;
        accumulate(
            group_indices,
            values[2].as_primitive::<UInt64Type>(),
            None,
            |g, n| {
                rows[g] += n;
            },
        );
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let numerators = emit_to.take_needed(&mut self.numerators);
        let denominators = emit_to.take_needed(&mut self.denominators);
        let rows = emit_to.take_needed(&mut self.rows);
        let scale = self.kpi.scale();
        let values: Float64Array = numerators
            .iter()
            .zip(&denominators)
            .zip(&rows)
            .map(|((n, d), r)| ratio(scale, *n, *d, *r))
            .collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Float64Array::from(
                emit_to.take_needed(&mut self.numerators),
            )),
            Arc::new(Float64Array::from(
                emit_to.take_needed(&mut self.denominators),
            )),
            Arc::new(UInt64Array::from(emit_to.take_needed(&mut self.rows))),
        ])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let terms = self.kpi.terms(values, opt_filter)?;
        let rows: UInt64Array = terms
            .denominator
            .iter()
            .map(|d| Some(u64::from(d.is_some())))
            .collect();
        let zero_nulls = |a: &Float64Array| -> Float64Array {
            a.iter().map(|v| Some(v.unwrap_or(0.0))).collect()
        };
        Ok(vec![
            Arc::new(zero_nulls(&terms.numerator)),
            Arc::new(zero_nulls(&terms.denominator)),
            Arc::new(rows),
        ])
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.numerators.capacity() * size_of::<f64>()
            + self.denominators.capacity() * size_of::<f64>()
            + self.rows.capacity() * size_of::<u64>()
    }
}
