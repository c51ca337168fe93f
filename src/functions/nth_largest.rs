//! `nth_largest(value, n)` and `nth_smallest(value, n)`: the n-th largest
//! (smallest) value of a group, duplicates counted.
//!
//! Not KPIs: general aggregates a report needs to cut a top list without
//! sorting every row. A row's `RANK()` by a value is at most `n` exactly
//! when its value is at least the n-th largest of the values, duplicates
//! counted (fewer than n rows rank above it, and no row below it ranks
//! `n` or less). So `customers` (`queries/reports/customers.sql`) keeps the
//! rows of its three lists with `nth_largest(x, $top) OVER ()`, one pass
//! over every customer, and ranks only them; `RANK() OVER (ORDER BY x)`
//! over every customer sorted them all, three times, in one partition.
//! Plain SQL needs `ORDER BY x LIMIT n` joined back, which reads the
//! grouped input twice (DataFusion inlines a CTE read twice).
//!
//! Integers (as BIGINT) and floating-point numbers (as DOUBLE); `n` is a
//! constant from 1 to [`MAX_N`]. NULLs are not counted; NULL when the group
//! has fewer than `n` values. Floats are in IEEE total order, as DataFusion
//! sorts them: NaN above infinity, -0 below 0.
//!
//! Each group keeps its `n` best values as ordered 64-bit keys (an
//! integer is its own key, a float its total-order bits; for the largest,
//! the key's complement), sorted: a value is inserted only when it beats
//! the n-th. Over the whole table (or a window) a batch is first cut by
//! the current n-th with Arrow's comparison kernel, so past the first rows
//! nearly every value costs one vectorised compare. The state is the kept
//! keys as a list, so merges are exact.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::kernels::cmp::lt;
use datafusion::arrow::compute::{cast, filter};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, DocSection, Documentation, EmitTo,
    GroupsAccumulator, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;

use super::kernels::{counted, widens_to_bigint};

/// The largest `n` the functions take: each group holds `n` values.
pub const MAX_N: i64 = 10_000;

/// `nth_largest(value, n)` as an aggregate UDF.
pub fn largest() -> AggregateUDF {
    udaf(Direction::Largest)
}

/// `nth_smallest(value, n)` as an aggregate UDF.
pub fn smallest() -> AggregateUDF {
    udaf(Direction::Smallest)
}

fn udaf(direction: Direction) -> AggregateUDF {
    AggregateUDF::new_from_impl(Nth {
        direction,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    Largest,
    Smallest,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Largest => "nth_largest",
            Direction::Smallest => "nth_smallest",
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Nth {
    direction: Direction,
    signature: Signature,
}

fn documentation(direction: Direction) -> &'static Documentation {
    fn build(direction: Direction) -> Documentation {
        let (word, example) = match direction {
            Direction::Largest => ("largest", "5"),
            Direction::Smallest => ("smallest", "3"),
        };
        let name = direction.name();
        Documentation::builder(
            DocSection {
                include: true,
                label: "Aggregate Functions",
                description: Some("General aggregates kpiql adds (DESIGN §2)."),
            },
            format!(
                "The n-th {word} value of the group, duplicates counted: a row whose value is \
                 at least as good is among the first n by RANK(). NULL values are not counted; \
                 NULL when the group has fewer than n values. Integers (as BIGINT) and \
                 floating-point numbers (as DOUBLE, in IEEE total order)."
            ),
            format!("{name}(value, n)"),
        )
        .with_argument("value", "An integer or a floating-point number.")
        .with_argument("n", format!("A constant integer from 1 to {MAX_N}."))
        .with_sql_example(format!(
            "SELECT {name}(x, 2) FROM (VALUES (3), (5), (5), (NULL), (1)) AS t(x)  -- {example}"
        ))
        .build()
    }
    static LARGEST: LazyLock<Documentation> = LazyLock::new(|| build(Direction::Largest));
    static SMALLEST: LazyLock<Documentation> = LazyLock::new(|| build(Direction::Smallest));
    match direction {
        Direction::Largest => &LARGEST,
        Direction::Smallest => &SMALLEST,
    }
}

/// The type the values are taken as: integers widen to BIGINT, floats to
/// DOUBLE.
fn kept_type(name: &str, arg: &DataType) -> Result<DataType> {
    match arg {
        t if widens_to_bigint(t) => Ok(DataType::Int64),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Ok(DataType::Float64),
        other => plan_err!(
            "{name}(value, n) takes an integer or a floating-point value, not {other} (cast \
             it, e.g. CAST(x AS DOUBLE))"
        ),
    }
}

impl AggregateUDFImpl for Nth {
    fn name(&self) -> &str {
        self.direction.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        match arg_types {
            [value, n] if n.is_integer() || n.is_null() => {
                Ok(vec![kept_type(name, value)?, DataType::Int64])
            }
            [_, n] => plan_err!("{name}(value, n): n must be an integer, not {n}"),
            _ => plan_err!(
                "{name}(value, n) takes two arguments, not {}",
                arg_types.len()
            ),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [value, _] => kept_type(self.name(), value),
            _ => plan_err!(
                "{}(value, n) takes two arguments, not {}",
                self.name(),
                arg_types.len()
            ),
        }
    }

    fn is_nullable(&self) -> bool {
        true
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "kept_keys"),
            DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true))),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(One {
            keys: Keys::of(self, &args)?,
            kept: Vec::new(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups {
            keys: Keys::of(self, &args)?,
            kept: Vec::new(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(documentation(self.direction))
    }
}

/// How values become ordered keys and back, and how many a group keeps.
#[derive(Debug, Clone, Copy)]
struct Keys {
    float: bool,
    direction: Direction,
    n: usize,
}

/// The total-order key of a float's bits, as `f64::total_cmp` orders
/// them (an involution: the same map takes a key back to the bits).
#[inline]
fn total_order(bits: i64) -> i64 {
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

impl Keys {
    fn of(f: &Nth, args: &AccumulatorArgs) -> Result<Keys> {
        let name = f.name();
        let n = args
            .exprs
            .get(1)
            .and_then(|e| e.downcast_ref::<Literal>())
            .map(|l| l.value().clone());
        let n = match n {
            Some(ScalarValue::Int64(Some(n))) if (1..=MAX_N).contains(&n) => n as usize,
            other => {
                let given = other.map_or("an expression".to_string(), |v| v.to_string());
                return plan_err!(
                    "{name}(value, n): n must be a constant integer from 1 to {MAX_N}, not \
                     {given}"
                );
            }
        };
        Ok(Keys {
            float: args.return_field.data_type() == &DataType::Float64,
            direction: f.direction,
            n,
        })
    }

    /// A column of values (of the kept type) as keys: the smaller key the
    /// better.
    fn of_values(&self, values: &ArrayRef) -> Result<Int64Array> {
        let flip = |k: i64| self.flip(k);
        Ok(if self.float {
            let values = match values.data_type() {
                DataType::Float64 => values.as_primitive::<Float64Type>().clone(),
                _ => cast(values, &DataType::Float64)?
                    .as_primitive::<Float64Type>()
                    .clone(),
            };
            values.unary(|v| flip(total_order(v.to_bits() as i64)))
        } else {
            let values = match values.data_type() {
                DataType::Int64 => values.as_primitive::<Int64Type>().clone(),
                _ => cast(values, &DataType::Int64)?
                    .as_primitive::<Int64Type>()
                    .clone(),
            };
            values.unary(flip)
        })
    }

    /// Keys back as values of the kept type.
    fn values_of(&self, keys: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
        let unflip = move |k: i64| self.flip(k);
        if self.float {
            Arc::new(
                keys.into_iter()
                    .map(|k| k.map(|k| f64::from_bits(total_order(unflip(k)) as u64)))
                    .collect::<Float64Array>(),
            )
        } else {
            Arc::new(
                keys.into_iter()
                    .map(|k| k.map(unflip))
                    .collect::<Int64Array>(),
            )
        }
    }

    /// For the largest, a key's complement (the larger value the smaller
    /// key); its own inverse.
    #[inline]
    fn flip(&self, key: i64) -> i64 {
        match self.direction {
            Direction::Largest => !key,
            Direction::Smallest => key,
        }
    }

    /// `key` into `kept` (sorted, at most `n`), when it is among the `n`
    /// best.
    #[inline]
    fn insert(&self, kept: &mut Vec<i64>, key: i64) {
        if kept.len() == self.n {
            if key >= kept[self.n - 1] {
                return;
            }
            kept.pop();
        }
        let at = kept.partition_point(|&k| k <= key);
        kept.insert(at, key);
    }

    /// The n-th best key kept, if there are `n`.
    fn nth(&self, kept: &[i64]) -> Option<i64> {
        (kept.len() == self.n).then(|| kept[self.n - 1])
    }
}

/// Each group's kept keys as the state column: a list per group.
fn state_of(groups: &[Vec<i64>]) -> ArrayRef {
    let values = Int64Array::from_iter_values(groups.iter().flatten().copied());
    let offsets = OffsetBuffer::from_lengths(groups.iter().map(Vec::len));
    Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(DataType::Int64, true)),
        offsets,
        Arc::new(values),
        None,
    ))
}

/// The lists of a state column, checked to be one.
fn lists(states: &[ArrayRef], name: &str) -> Result<ListArray> {
    match states {
        [state] => match state.as_list_opt::<i32>() {
            Some(list) => Ok(list.clone()),
            None => internal_err!("{name}: a merge state of {}", state.data_type()),
        },
        _ => internal_err!("{name}: a merge state of {} columns, not 1", states.len()),
    }
}

/// The accumulator of one group (no GROUP BY, or a window).
#[derive(Debug)]
struct One {
    keys: Keys,
    kept: Vec<i64>,
}

impl One {
    fn insert_all(&mut self, keys: &Int64Array) -> Result<()> {
        // Only the keys better than the n-th held can enter: cut the
        // batch by it first (one vectorised compare per value).
        let cut;
        let keys = match self.keys.nth(&self.kept) {
            Some(nth) => {
                let better = lt(keys, &Int64Array::new_scalar(nth))?;
                cut = filter(keys, &better)?;
                cut.as_primitive::<Int64Type>()
            }
            None => keys,
        };
        for key in keys.iter().flatten() {
            self.keys.insert(&mut self.kept, key);
        }
        Ok(())
    }
}

impl Accumulator for One {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let keys = self.keys.of_values(&values[0])?;
        self.insert_all(&keys)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let value = self.keys.values_of([self.keys.nth(&self.kept)]);
        ScalarValue::try_from_array(&value, 0)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.kept.capacity() * size_of::<i64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let state = state_of(std::slice::from_ref(&self.kept));
        Ok(vec![ScalarValue::try_from_array(&state, 0)?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = lists(states, self.keys.direction.name())?;
        self.insert_all(lists.values().as_primitive::<Int64Type>())
    }
}

/// The accumulator of every group (GROUP BY): the kept keys per group.
#[derive(Debug)]
struct Groups {
    keys: Keys,
    kept: Vec<Vec<i64>>,
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.kept.resize_with(total_num_groups, Vec::new);
        let keys = self.keys.of_values(&values[0])?;
        let valid = counted(keys.nulls(), opt_filter);
        let raw = keys.values();
        match valid {
            None => {
                for (&group, &key) in group_indices.iter().zip(raw.iter()) {
                    self.keys.insert(&mut self.kept[group], key);
                }
            }
            Some(valid) => {
                for i in valid.valid_indices() {
                    self.keys.insert(&mut self.kept[group_indices[i]], raw[i]);
                }
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.kept.resize_with(total_num_groups, Vec::new);
        let lists = lists(values, self.keys.direction.name())?;
        let keys = lists.values().as_primitive::<Int64Type>();
        let offsets = lists.value_offsets();
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            for at in offsets[row] as usize..offsets[row + 1] as usize {
                if keys.is_valid(at) {
                    self.keys.insert(&mut self.kept[group], keys.value(at));
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = emit_to.take_needed(&mut self.kept);
        Ok(self.keys.values_of(taken.iter().map(|k| self.keys.nth(k))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.kept);
        Ok(vec![state_of(&taken)])
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row alone: a list of its key, NULL when it is not counted.
        let keys = self.keys.of_values(&values[0])?;
        let valid = counted(keys.nulls(), opt_filter);
        let keys = Int64Array::new(keys.values().clone(), valid);
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(1, keys.len()));
        Ok(vec![Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(DataType::Int64, true)),
            offsets,
            Arc::new(keys),
            None,
        ))])
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.kept.capacity() * size_of::<Vec<i64>>()
            + self
                .kept
                .iter()
                .map(|k| k.capacity() * size_of::<i64>())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_keep_the_total_order_and_come_back_bit_for_bit() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -1.5,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            2.5,
            f64::INFINITY,
            f64::NAN,
        ];
        let keys: Vec<i64> = values
            .iter()
            .map(|v| total_order(v.to_bits() as i64))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        for (v, k) in values.iter().zip(&keys) {
            assert_eq!(total_order(*k) as u64, v.to_bits());
        }
    }

    #[test]
    fn a_group_keeps_its_n_best_keys_with_duplicates() {
        let keys = Keys {
            float: false,
            direction: Direction::Smallest,
            n: 3,
        };
        let cases: [(&[i64], Option<i64>); 6] = [
            (&[], None),
            (&[5, 1], None),
            (&[5, 1, 5], Some(5)),
            (&[5, 5, 5, 5], Some(5)),
            (&[9, 8, 7, 1, 2, 3], Some(3)),
            (&[i64::MAX, i64::MIN, 0, i64::MIN], Some(0)),
        ];
        for (case, want) in cases {
            let mut kept = Vec::new();
            for &k in case {
                keys.insert(&mut kept, k);
            }
            assert_eq!(keys.nth(&kept), want, "{case:?}");
        }
    }
}
