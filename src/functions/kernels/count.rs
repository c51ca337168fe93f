//! The "count rows by class" kernel, shared by fcr, nps, csat,
//! escalation_rate, abandonment_rate and sla_compliance.
//!
//! A function says, with Arrow kernels over a whole batch, which class
//! (1..=K) each row falls in, or NULL when the row is not counted (a NULL
//! argument, a row removed by `FILTER`, a row outside the KPI such as a
//! repeat contact for FCR), and checks the domain of the counted rows. The
//! kernel keeps K counters per group and the function turns them into the
//! KPI. State is counts, so merges are exact.

use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt8Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature,
};

/// A KPI computed from counts of rows per class.
pub trait ClassCount: Debug + Clone + Send + Sync + PartialEq + Eq + Hash + 'static {
    /// SQL name.
    fn name(&self) -> &'static str;
    /// The signature (argument types are checked in `check_types`).
    fn signature(&self) -> &Signature;
    /// Checks and normalises argument types (e.g. any integer to Int64).
    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;
    /// The classes, named as state columns; K = its length (at most 8).
    fn classes(&self) -> &'static [&'static str];
    /// The class (1..=K) of each row, NULL or 0 for a row not counted. Rows
    /// where `filter` is not true are not counted and never an error;
    /// counted rows out of the domain are.
    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array>;
    /// The KPI from the counts of each class (all zero: no counted rows).
    fn evaluate(&self, counts: &[u64]) -> Option<f64>;
    /// Documentation shown by `SHOW FUNCTIONS` and `kpiql functions`.
    fn documentation(&self) -> &Documentation;
}

/// An aggregate UDF over a [`ClassCount`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountUdaf<C>(pub C);

impl<C: ClassCount> AggregateUDFImpl for CountUdaf<C> {
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
        Ok(self
            .0
            .classes()
            .iter()
            .map(|class| {
                Arc::new(Field::new(
                    format!("{}[{class}]", args.name),
                    DataType::UInt64,
                    false,
                ))
            })
            .collect())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CountAccumulator::new(self.0.clone())))
    }

    fn create_sliding_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CountAccumulator::new(self.0.clone())))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        groups_accumulator(self.0.clone())
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(self.0.documentation())
    }
}

/// Counts per class for one group (no GROUP BY, window frames).
#[derive(Debug)]
pub struct CountAccumulator<C> {
    kpi: C,
    counts: Vec<u64>,
}

impl<C: ClassCount> CountAccumulator<C> {
    fn new(kpi: C) -> Self {
        let k = kpi.classes().len();
        CountAccumulator {
            kpi,
            counts: vec![0; k],
        }
    }

    /// Adds the rows of a batch, or removes them when `retract`.
    fn add(&mut self, values: &[ArrayRef], retract: bool) -> Result<()> {
        let classes = self.kpi.classify(values, None)?;
        let mut batch = [0u64; 9];
        for class in classes.iter().flatten() {
            batch[usize::from(class).min(8)] += 1;
        }
        for (i, count) in self.counts.iter_mut().enumerate() {
            if retract {
                *count -= batch[i + 1];
            } else {
                *count += batch[i + 1];
            }
        }
        Ok(())
    }
}

impl<C: ClassCount> Accumulator for CountAccumulator<C> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(values, false)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(values, true)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.kpi.evaluate(&self.counts)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.counts.capacity() * size_of::<u64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self
            .counts
            .iter()
            .map(|c| ScalarValue::UInt64(Some(*c)))
            .collect())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for (count, state) in self.counts.iter_mut().zip(states) {
            let state = state.as_primitive::<UInt64Type>();
            *count += datafusion::arrow::compute::sum(state).unwrap_or(0);
        }
        Ok(())
    }
}

/// Counts per class for every group (GROUP BY), group-major: `counts[g]`
/// holds slot 0, a sink for rows not counted, then the K classes. `S` is
/// K + 1, so one group's counters share a cache line and a row is counted
/// with one indexed add and no branch.
#[derive(Debug)]
pub struct CountGroupsAccumulator<C, const S: usize> {
    kpi: C,
    counts: Vec<[u64; S]>,
}

/// The groups accumulator for a KPI with `k` classes (1..=8).
fn groups_accumulator<C: ClassCount>(kpi: C) -> Result<Box<dyn GroupsAccumulator>> {
    fn boxed<C: ClassCount, const S: usize>(kpi: C) -> Box<dyn GroupsAccumulator> {
        Box::new(CountGroupsAccumulator::<C, S> {
            kpi,
            counts: Vec::new(),
        })
    }
    Ok(match kpi.classes().len() {
        1 => boxed::<C, 2>(kpi),
        2 => boxed::<C, 3>(kpi),
        3 => boxed::<C, 4>(kpi),
        4 => boxed::<C, 5>(kpi),
        5 => boxed::<C, 6>(kpi),
        6 => boxed::<C, 7>(kpi),
        7 => boxed::<C, 8>(kpi),
        8 => boxed::<C, 9>(kpi),
        k => return internal_err!("{} has {k} classes; 1 to 8 are supported", kpi.name()),
    })
}

/// The class of each row with 0 for a row not counted (NULL).
fn dense_classes(classes: &UInt8Array) -> Cow<'_, [u8]> {
    match classes.nulls() {
        Some(nulls) if nulls.null_count() > 0 => Cow::Owned(
            classes
                .values()
                .iter()
                .zip(nulls.iter())
                .map(|(&class, valid)| if valid { class } else { 0 })
                .collect(),
        ),
        _ => Cow::Borrowed(classes.values().as_ref()),
    }
}

impl<C: ClassCount, const S: usize> GroupsAccumulator for CountGroupsAccumulator<C, S> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.counts.resize(total_num_groups, [0; S]);
        // The filter is folded into the classes (NULL = not counted), so the
        // domain check sees only the rows that count.
        let classes = self.kpi.classify(values, opt_filter)?;
        let classes = dense_classes(&classes);
        for (&group, &class) in group_indices.iter().zip(classes.iter()) {
            // Classes are 0..=K by contract (checked by the tests); one past
            // that would be a bug, counted in the sink rather than a panic.
            let slot = usize::from(class);
            self.counts[group][if slot < S { slot } else { 0 }] += 1;
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.counts.resize(total_num_groups, [0; S]);
        let states: Vec<&[u64]> = values
            .iter()
            .map(|v| v.as_primitive::<UInt64Type>().values().as_ref())
            .collect();
        if states.len() != S - 1 || states.iter().any(|s| s.len() != group_indices.len()) {
            return internal_err!("{}: merge state of unexpected shape", self.kpi.name());
        }
        for (row, &group) in group_indices.iter().enumerate() {
            let counts = &mut self.counts[group];
            for (slot, state) in counts[1..].iter_mut().zip(&states) {
                *slot += state[row];
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = emit_to.take_needed(&mut self.counts);
        let values: Float64Array = taken
            .iter()
            .map(|counts| self.kpi.evaluate(&counts[1..]))
            .collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.counts);
        Ok((1..S)
            .map(|slot| {
                Arc::new(UInt64Array::from_iter_values(taken.iter().map(|c| c[slot]))) as ArrayRef
            })
            .collect())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let classes = self.kpi.classify(values, opt_filter)?;
        let classes = dense_classes(&classes);
        Ok((1..S)
            .map(|slot| {
                let one_hot = UInt64Array::from_iter_values(
                    classes.iter().map(|&c| u64::from(usize::from(c) == slot)),
                );
                Arc::new(one_hot) as ArrayRef
            })
            .collect())
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.counts.capacity() * size_of::<[u64; S]>()
    }
}

/// Classes from a per-row function, vectorised over the value buffer: NULL
/// where the value is NULL or `filter` is not true.
pub fn classes_of<T, F>(
    values: &datafusion::arrow::array::PrimitiveArray<T>,
    filter: Option<&BooleanArray>,
    class: F,
) -> UInt8Array
where
    T: datafusion::arrow::datatypes::ArrowPrimitiveType,
    F: Fn(T::Native) -> u8,
{
    let classes: UInt8Array = values.unary(class);
    with_filter(classes, filter)
}

/// Nulls out the rows where `filter` is not true.
pub fn with_filter(classes: UInt8Array, filter: Option<&BooleanArray>) -> UInt8Array {
    let Some(filter) = filter else {
        return classes;
    };
    // A NULL filter value counts as false, as in SQL.
    let keep = crate::functions::common::keep_where(filter);
    let nulls = datafusion::arrow::buffer::NullBuffer::union(classes.nulls(), Some(&keep));
    let (_, values, _) = classes.into_parts();
    UInt8Array::new(values, nulls)
}

/// The rows that count: the non-null values where `filter` is true.
pub fn counted<T>(
    values: &datafusion::arrow::array::PrimitiveArray<T>,
    filter: Option<&BooleanArray>,
) -> Result<datafusion::arrow::array::PrimitiveArray<T>>
where
    T: datafusion::arrow::datatypes::ArrowPrimitiveType,
{
    match filter {
        None => Ok(values.clone()),
        Some(filter) => Ok(datafusion::arrow::compute::filter(values, filter)?
            .as_primitive::<T>()
            .clone()),
    }
}

/// Percentage points, NULL when nothing was counted.
pub fn percent(part: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| 100.0 * part as f64 / total as f64)
}
