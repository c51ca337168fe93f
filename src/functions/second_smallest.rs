//! `second_smallest(value)`: the second smallest distinct value of a group.
//!
//! Not a KPI: a general aggregate that a source's SQL needs to find "the
//! first event strictly after the group's first one" in one pass instead of
//! grouping twice with a join between (the Zendesk source's first reply,
//! `queries/sources/zendesk/zendesk_ticket_facts.sql`: the first public agent
//! comment after the ticket's first public comment is the least of them when
//! that one is later, else the second least). Plain SQL needs
//! `min(x) FILTER (WHERE x > (SELECT min(x) ...))`, a second pass over the
//! rows; `nth_value(x, 2 ORDER BY x)` sorts every group and does not skip
//! ties.
//!
//! Integers (widened to BIGINT) and timestamps of any unit and zone (and
//! Date64) are kept as their 64-bit value: two per group and a count, so
//! the groups accumulator is two compares per row and merges are exact.
//! NULLs are not counted; NULL when the group has fewer than two distinct
//! values.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, DocSection, Documentation, EmitTo,
    GroupsAccumulator, Signature, Volatility,
};

use super::kernels::{counted, widens_to_bigint};

/// The function's name in SQL.
pub const NAME: &str = "second_smallest";

/// `second_smallest(value)` as an aggregate UDF.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(SecondSmallest {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SecondSmallest {
    signature: Signature,
}

fn documentation() -> &'static Documentation {
    static DOC: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            DocSection {
                include: true,
                label: "Aggregate Functions",
                description: Some("General aggregates kpiql adds (DESIGN §2)."),
            },
            "The second smallest distinct value of the group: the least value greater than \
             the group's minimum. NULL values are not counted; NULL when the group has fewer \
             than two distinct values. Integers (as BIGINT) and timestamps.",
            "second_smallest(value)",
        )
        .with_argument("value", "An integer or a timestamp.")
        .with_sql_example(
            "SELECT second_smallest(x) FROM (VALUES (3), (1), (1), (NULL), (7)) AS t(x)  -- 3",
        )
        .build()
    });
    &DOC
}

/// The type the values are kept as: integers widen to BIGINT, 64-bit
/// temporal types stay as they are.
fn kept_type(arg: &DataType) -> Result<DataType> {
    match arg {
        t if widens_to_bigint(t) => Ok(DataType::Int64),
        DataType::Timestamp(_, _) | DataType::Date64 => Ok(arg.clone()),
        other => plan_err!(
            "{NAME}(value) takes an integer or a timestamp, not {other} (cast it, e.g. \
             CAST(x AS BIGINT))"
        ),
    }
}

impl AggregateUDFImpl for SecondSmallest {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [arg] => Ok(vec![kept_type(arg)?]),
            _ => plan_err!("{NAME}(value) takes one argument, not {}", arg_types.len()),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [arg] => kept_type(arg),
            _ => plan_err!("{NAME}(value) takes one argument, not {}", arg_types.len()),
        }
    }

    fn is_nullable(&self) -> bool {
        true
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let kept = args.return_type().clone();
        Ok(vec![
            Arc::new(Field::new(
                format_state_name(args.name, "smallest"),
                kept.clone(),
                true,
            )),
            Arc::new(Field::new(
                format_state_name(args.name, "second"),
                kept,
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(One {
            kept: args.return_field.data_type().clone(),
            pair: Pair::default(),
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
            kept: args.return_field.data_type().clone(),
            pairs: Vec::new(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(documentation())
    }
}

/// The two smallest distinct values seen, `held` of them (0, 1 or 2).
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    first: i64,
    second: i64,
    held: u8,
}

impl Pair {
    #[inline]
    fn insert(&mut self, v: i64) {
        match self.held {
            0 => {
                self.first = v;
                self.held = 1;
            }
            1 => {
                if v < self.first {
                    self.second = self.first;
                    self.first = v;
                    self.held = 2;
                } else if v > self.first {
                    self.second = v;
                    self.held = 2;
                }
            }
            _ => {
                if v < self.first {
                    self.second = self.first;
                    self.first = v;
                } else if v > self.first && v < self.second {
                    self.second = v;
                }
            }
        }
    }
}

/// A column of kept values as their 64-bit integers (a reinterpretation,
/// not a conversion, for the temporal types).
fn as_i64(values: &ArrayRef) -> Result<Int64Array> {
    Ok(match values.data_type() {
        DataType::Int64 => values.as_primitive::<Int64Type>().clone(),
        _ => cast(values, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .clone(),
    })
}

/// 64-bit integers back as the kept type.
fn as_kept(values: Int64Array, kept: &DataType) -> Result<ArrayRef> {
    let values: ArrayRef = Arc::new(values);
    Ok(match kept {
        DataType::Int64 => values,
        _ => cast(&values, kept)?,
    })
}

/// Each pair's smallest value and its second, as the state columns.
fn state_of(pairs: &[Pair], kept: &DataType) -> Result<Vec<ArrayRef>> {
    let first: Int64Array = pairs
        .iter()
        .map(|p| (p.held >= 1).then_some(p.first))
        .collect();
    let second: Int64Array = pairs
        .iter()
        .map(|p| (p.held >= 2).then_some(p.second))
        .collect();
    Ok(vec![as_kept(first, kept)?, as_kept(second, kept)?])
}

/// The accumulator of one group (no GROUP BY).
#[derive(Debug)]
struct One {
    kept: DataType,
    pair: Pair,
}

impl One {
    fn scalar(&self, value: Option<i64>) -> Result<ScalarValue> {
        let array = as_kept(Int64Array::from(vec![value]), &self.kept)?;
        ScalarValue::try_from_array(&array, 0)
    }
}

impl Accumulator for One {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = as_i64(&values[0])?;
        for v in values.iter().flatten() {
            self.pair.insert(v);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.scalar((self.pair.held >= 2).then_some(self.pair.second))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            self.scalar((self.pair.held >= 1).then_some(self.pair.first))?,
            self.scalar((self.pair.held >= 2).then_some(self.pair.second))?,
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for state in states {
            for v in as_i64(state)?.iter().flatten() {
                self.pair.insert(v);
            }
        }
        Ok(())
    }
}

/// The accumulator of every group (GROUP BY): one [`Pair`] per group.
#[derive(Debug)]
struct Groups {
    kept: DataType,
    pairs: Vec<Pair>,
}

impl Groups {
    /// Inserts each valid value (all when `valid` is None) into its row's group.
    fn insert(&mut self, raw: &[i64], valid: Option<&NullBuffer>, group_indices: &[usize]) {
        match valid {
            None => {
                for (&group, &v) in group_indices.iter().zip(raw) {
                    self.pairs[group].insert(v);
                }
            }
            Some(valid) => {
                for i in valid.valid_indices() {
                    self.pairs[group_indices[i]].insert(raw[i]);
                }
            }
        }
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.pairs.resize(total_num_groups, Pair::default());
        let values = as_i64(&values[0])?;
        let valid = counted(values.nulls(), opt_filter);
        self.insert(values.values(), valid.as_ref(), group_indices);
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.pairs.resize(total_num_groups, Pair::default());
        if values.len() != 2 {
            return internal_err!("{NAME}: merge state of {} columns, not 2", values.len());
        }
        for state in values {
            let state = as_i64(state)?;
            self.insert(state.values(), state.nulls(), group_indices);
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = emit_to.take_needed(&mut self.pairs);
        let second: Int64Array = taken
            .iter()
            .map(|p| (p.held >= 2).then_some(p.second))
            .collect();
        as_kept(second, &self.kept)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = emit_to.take_needed(&mut self.pairs);
        state_of(&taken, &self.kept)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row alone: its value (when counted) is its group's smallest.
        let values = as_i64(&values[0])?;
        let first = Int64Array::new(values.values().clone(), counted(values.nulls(), opt_filter));
        let second = Int64Array::new_null(values.len());
        Ok(vec![
            as_kept(first, &self.kept)?,
            as_kept(second, &self.kept)?,
        ])
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.pairs.capacity() * size_of::<Pair>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The naive reference: sort the distinct values, take the second.
    fn naive(values: &[i64]) -> Option<i64> {
        let mut v = values.to_vec();
        v.sort_unstable();
        v.dedup();
        v.get(1).copied()
    }

    #[test]
    fn a_pair_keeps_the_two_least_distinct_values_in_any_order() {
        let cases: [&[i64]; 8] = [
            &[],
            &[5],
            &[5, 5, 5],
            &[5, 3],
            &[3, 5],
            &[7, 5, 5, 3, 3, 9],
            &[1, 9, 8, 2, 2, 1, 0],
            &[i64::MAX, i64::MIN, i64::MIN, 0],
        ];
        for case in cases {
            let mut pair = Pair::default();
            for &v in case {
                pair.insert(v);
            }
            let got = (pair.held >= 2).then_some(pair.second);
            assert_eq!(got, naive(case), "{case:?}");
        }
    }
}
