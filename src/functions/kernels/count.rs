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
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, UInt8Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

/// The class (1..=K) of each row of a batch, NULL or 0 for a row not
/// counted. Rows where `filter` is not true are not counted and never an
/// error; counted rows out of the domain are, and the error names the
/// function by `syntax` (e.g. `nps(score)`).
pub type Classify =
    fn(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array>;

/// A KPI computed from counts of rows per class: what the kernel needs to
/// know of it. The classification runs once per batch (a plain function
/// pointer costs nothing there); the counting loops stay monomorphic.
#[derive(Debug, Clone, Copy)]
pub struct ClassCount {
    /// The classes, named as state columns; K = its length (1 to 8).
    pub classes: &'static [&'static str],
    /// Which class each row falls in.
    pub classify: Classify,
    /// The KPI from the counts of each class (all zero: no counted rows).
    pub evaluate: fn(&[u64]) -> Option<f64>,
}

impl ClassCount {
    /// A yes-or-no KPI: two classes, `[no, yes]`, and the KPI is the
    /// percent of counted rows that are yes.
    pub fn yes_or_no(classes: &'static [&'static str; 2], classify: Classify) -> ClassCount {
        ClassCount {
            classes,
            classify,
            evaluate: percent_yes,
        }
    }

    /// The state columns of the aggregate `name`: one count per class.
    pub fn state_fields(&self, name: &str) -> Vec<FieldRef> {
        self.classes
            .iter()
            .map(|class| {
                Arc::new(Field::new(
                    format!("{name}[{class}]"),
                    DataType::UInt64,
                    false,
                ))
            })
            .collect()
    }

    /// The accumulator of one group (no GROUP BY, window frames).
    pub fn accumulator(self, syntax: Arc<str>) -> Box<dyn Accumulator> {
        Box::new(CountAccumulator::new(self, syntax))
    }

    /// The accumulator of every group (GROUP BY).
    pub fn groups_accumulator(self, syntax: Arc<str>) -> Result<Box<dyn GroupsAccumulator>> {
        groups_accumulator(self, syntax)
    }

    fn classify(
        &self,
        syntax: &str,
        args: &[ArrayRef],
        filter: Option<&BooleanArray>,
    ) -> Result<UInt8Array> {
        (self.classify)(syntax, args, filter)
    }
}

/// Counts per class for one group (no GROUP BY, window frames).
#[derive(Debug)]
pub struct CountAccumulator {
    kpi: ClassCount,
    syntax: Arc<str>,
    counts: Vec<u64>,
}

impl CountAccumulator {
    fn new(kpi: ClassCount, syntax: Arc<str>) -> Self {
        CountAccumulator {
            kpi,
            syntax,
            counts: vec![0; kpi.classes.len()],
        }
    }

    /// Adds the rows of a batch, or removes them when `retract`.
    fn add(&mut self, values: &[ArrayRef], retract: bool) -> Result<()> {
        let classes = self.kpi.classify(&self.syntax, values, None)?;
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

impl Accumulator for CountAccumulator {
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
        Ok(ScalarValue::Float64((self.kpi.evaluate)(&self.counts)))
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
pub struct CountGroupsAccumulator<const S: usize> {
    kpi: ClassCount,
    syntax: Arc<str>,
    counts: Vec<[u64; S]>,
}

/// The groups accumulator for a KPI with `k` classes (1..=8).
fn groups_accumulator(kpi: ClassCount, syntax: Arc<str>) -> Result<Box<dyn GroupsAccumulator>> {
    fn boxed<const S: usize>(kpi: ClassCount, syntax: Arc<str>) -> Box<dyn GroupsAccumulator> {
        Box::new(CountGroupsAccumulator::<S> {
            kpi,
            syntax,
            counts: Vec::new(),
        })
    }
    Ok(match kpi.classes.len() {
        1 => boxed::<2>(kpi, syntax),
        2 => boxed::<3>(kpi, syntax),
        3 => boxed::<4>(kpi, syntax),
        4 => boxed::<5>(kpi, syntax),
        5 => boxed::<6>(kpi, syntax),
        6 => boxed::<7>(kpi, syntax),
        7 => boxed::<8>(kpi, syntax),
        8 => boxed::<9>(kpi, syntax),
        k => return internal_err!("{syntax} has {k} classes; 1 to 8 are supported"),
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

impl<const S: usize> GroupsAccumulator for CountGroupsAccumulator<S> {
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
        let classes = self.kpi.classify(&self.syntax, values, opt_filter)?;
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
            return internal_err!("{}: merge state of unexpected shape", self.syntax);
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
            .map(|counts| (self.kpi.evaluate)(&counts[1..]))
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
        let classes = self.kpi.classify(&self.syntax, values, opt_filter)?;
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
    let keep = super::keep_where(filter);
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

/// The `evaluate` of a yes-or-no KPI (classes `[no, yes]`): percent of
/// the counted rows that are yes.
fn percent_yes(counts: &[u64]) -> Option<f64> {
    percent(counts[1], counts[0] + counts[1])
}
