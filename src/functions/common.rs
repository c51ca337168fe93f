//! What the KPI functions share: argument type rules, domain checks, the
//! documentation section.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, Scalar, StringViewArray,
    UInt8Array,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::compute::kernels::cmp;
use datafusion::arrow::compute::{CastOptions, cast, cast_with_options, or};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, internal_err, plan_err};
use datafusion::logical_expr::{DocSection, Signature, TypeSignature, Volatility};

use super::kernels::count::{counted, with_filter};
use super::kernels::keep_where;
use super::kernels::ratio::Terms;

/// The section the KPI functions are listed under.
pub const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Support KPI Functions",
    description: Some("Customer-support KPIs (kpiql). Rates are percentage points."),
};

/// What an argument may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Any integer type (read as Int64).
    Integer,
    /// Any numeric type (read as Float64).
    Numeric,
    /// Boolean.
    Boolean,
    /// Any string type (read as Utf8View).
    String,
}

impl Arg {
    fn accepts(self, ty: &DataType) -> Option<DataType> {
        let target = match self {
            // UInt64 is kept as it is: DataFusion cannot coerce it to Int64
            // implicitly, and `int64` converts it (refusing values past
            // i64::MAX) when reading.
            Arg::Integer if *ty == DataType::UInt64 => DataType::UInt64,
            Arg::Integer if ty.is_integer() => DataType::Int64,
            Arg::Numeric if ty.is_numeric() => DataType::Float64,
            Arg::Boolean if *ty == DataType::Boolean => DataType::Boolean,
            Arg::String
                if matches!(
                    ty,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                DataType::Utf8View
            }
            _ if *ty == DataType::Null => self.normalised(),
            _ => return None,
        };
        Some(target)
    }

    /// The type every accepted type of this kind is read as.
    fn normalised(self) -> DataType {
        match self {
            Arg::Integer => DataType::Int64,
            Arg::Numeric => DataType::Float64,
            Arg::Boolean => DataType::Boolean,
            Arg::String => DataType::Utf8View,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Arg::Integer => "an integer",
            Arg::Numeric => "a number",
            Arg::Boolean => "a boolean",
            Arg::String => "a string",
        }
    }
}

/// One accepted argument list: the name and kind of each argument.
pub type Form = Vec<(&'static str, Arg)>;

/// A KPI function's signature: user-defined, so [`coerce`] decides what is
/// accepted and names the function in its error, and one exact form per
/// accepted argument list in its normalised types, so that
/// `information_schema.parameters` and `SHOW FUNCTIONS` list the function.
///
/// The exact forms never widen what is accepted: `check_types` returns the
/// argument types unchanged when they fit no form, DataFusion then takes
/// them as they are, and the kernel's `return_type` reports the error.
pub fn signature(forms: &[Form]) -> Signature {
    let mut signatures = vec![TypeSignature::UserDefined];
    for form in forms {
        let types = form.iter().map(|(_, arg)| arg.normalised()).collect();
        signatures.push(TypeSignature::Exact(types));
    }
    Signature::one_of(signatures, Volatility::Immutable)
}

/// Checks the argument types against one of the accepted forms
/// (`forms[i][j]`: what argument j may be in form i) and returns the
/// normalised types of the first form that fits.
pub fn coerce(syntax: &str, arg_types: &[DataType], forms: &[Form]) -> Result<Vec<DataType>> {
    for form in forms {
        if form.len() != arg_types.len() {
            continue;
        }
        let fitted: Option<Vec<DataType>> = form
            .iter()
            .zip(arg_types)
            .map(|((_, arg), ty)| arg.accepts(ty))
            .collect();
        if let Some(types) = fitted {
            return Ok(types);
        }
    }
    let expected: Vec<String> = forms
        .iter()
        .map(|form| {
            form.iter()
                .map(|(name, arg)| format!("{name} {}", arg.describe()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let got: Vec<String> = arg_types.iter().map(ToString::to_string).collect();
    plan_err!(
        "{syntax} takes ({}), got ({})",
        expected.join(") or ("),
        got.join(", ")
    )
}

/// An Int64 argument (after coercion).
pub fn int64(array: &ArrayRef) -> Result<Int64Array> {
    // Not the "safe" cast, which would turn a UInt64 past i64::MAX into a
    // NULL and so silently not count it.
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    Ok(cast_with_options(array, &DataType::Int64, &options)?
        .as_primitive::<Int64Type>()
        .clone())
}

/// A Float64 argument (after coercion).
pub fn float64(array: &ArrayRef) -> Result<Float64Array> {
    Ok(cast(array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

/// A score argument (after coercion): the scores, read as Int64, or an
/// error if a counted one lies outside `lo..=hi`.
pub fn scores(
    syntax: &str,
    array: &ArrayRef,
    filter: Option<&BooleanArray>,
    lo: i64,
    hi: i64,
) -> Result<Int64Array> {
    let values = int64(array)?;
    // Fast path: when every non-NULL value is in the domain, so is every
    // counted one, and the batch need not be filtered.
    let all = (
        datafusion::arrow::compute::min(&values),
        datafusion::arrow::compute::max(&values),
    );
    if matches!(all, (Some(min), Some(max)) if min >= lo && max <= hi) || all == (None, None) {
        return Ok(values);
    }
    let checked = counted(&values, filter)?;
    let min = datafusion::arrow::compute::min(&checked);
    let max = datafusion::arrow::compute::max(&checked);
    if let Some(bad) = min.filter(|v| *v < lo).or(max.filter(|v| *v > hi)) {
        return exec_err!("{syntax}: {bad} is outside the domain {lo} to {hi}");
    }
    Ok(values)
}

/// A value outside `>= 0`: negative or NaN.
#[inline]
pub fn negative_or_nan(v: f64) -> bool {
    v < 0.0 || v.is_nan()
}

/// Fails if a counted number is negative or NaN.
pub fn check_non_negative(syntax: &str, what: &str, values: &Float64Array) -> Result<()> {
    // Fast path, one pass over the buffer: when no value anywhere (NULL
    // slots included) is negative or NaN, none that is counted is.
    if !values
        .values()
        .iter()
        .fold(false, |bad, &v| bad | negative_or_nan(v))
    {
        return Ok(());
    }
    let min = datafusion::arrow::compute::min(values);
    let max = datafusion::arrow::compute::max(values);
    for v in [min, max].into_iter().flatten() {
        if v.is_nan() {
            return exec_err!("{syntax}: {what} is NaN; expected a number >= 0");
        }
        if v < 0.0 {
            return exec_err!("{syntax}: {what} {v} is negative; expected a number >= 0");
        }
    }
    Ok(())
}

/// `values` with NULL added wherever any of `masks` is not valid.
pub fn restrict(values: Float64Array, masks: &[Option<&NullBuffer>]) -> Float64Array {
    let mut nulls = values.nulls().cloned();
    for mask in masks {
        nulls = NullBuffer::union(nulls.as_ref(), *mask);
    }
    let (_, values, _) = values.into_parts();
    Float64Array::new(values, nulls)
}

/// Classes of a boolean argument: 2 for true, 1 for false, NULL for NULL or
/// filtered-out rows ("share of true" KPIs).
pub fn boolean_classes(array: &ArrayRef, filter: Option<&BooleanArray>) -> Result<UInt8Array> {
    let Some(bools) = array.as_boolean_opt() else {
        return internal_err!("expected a boolean argument, got {}", array.data_type());
    };
    let classes = UInt8Array::new(one_plus_bits(bools.values()).into(), bools.nulls().cloned());
    Ok(with_filter(classes, filter))
}

/// `1 + bit` for each bit of `bits`, eight bits at a time through a table
/// (Arrow's boolean-to-integer cast reads one bit per call).
pub fn one_plus_bits(bits: &BooleanBuffer) -> Vec<u8> {
    const fn table() -> [u64; 256] {
        let mut table = [0u64; 256];
        let mut byte = 0;
        while byte < 256 {
            let mut bytes = 0u64;
            let mut bit = 0;
            while bit < 8 {
                bytes |= (1 + ((byte >> bit) & 1) as u64) << (8 * bit);
                bit += 1;
            }
            table[byte] = bytes;
            byte += 1;
        }
        table
    }
    static TABLE: [u64; 256] = table();
    let mut out = Vec::with_capacity(bits.len() + 64);
    for chunk in bits.bit_chunks().iter_padded() {
        for byte in chunk.to_le_bytes() {
            out.extend_from_slice(&TABLE[usize::from(byte)].to_le_bytes());
        }
    }
    out.truncate(bits.len());
    out
}

/// The terms of the time-share KPIs (`occupancy`, `utilization`): handling
/// seconds over the seconds of the states `counted` (all states when
/// `None`). Negative or NaN seconds of a counted row are an error.
pub fn handling_share(
    syntax: &str,
    args: &[ArrayRef],
    filter: Option<&BooleanArray>,
    counted: Option<&[&str]>,
) -> Result<Terms> {
    let is_state = |name: &str| -> Result<BooleanArray> {
        let scalar = Scalar::new(StringViewArray::from(vec![name]));
        Ok(cmp::eq(&args[0], &scalar)?)
    };
    let seconds = float64(&args[1])?;
    let handling = is_state("handling")?;
    let counted = match counted {
        None => None,
        Some(states) => {
            let mut mask = handling.clone();
            for state in states.iter().filter(|s| **s != "handling") {
                mask = or(&mask, &is_state(state)?)?;
            }
            Some(keep_where(&mask))
        }
    };
    let keep = filter.map(keep_where);
    // A NULL state is not counted (handling's nulls are the state's).
    let values = restrict(
        seconds,
        &[counted.as_ref(), handling.nulls(), keep.as_ref()],
    );
    check_non_negative(syntax, "seconds", &values)?;
    Ok(Terms::Share {
        values,
        numerator: handling.values().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_plus_bits_reads_every_bit_at_any_offset() {
        let bits: Vec<bool> = (0..203).map(|i| i % 3 == 0 || i % 7 == 0).collect();
        let buffer = BooleanBuffer::from(bits.as_slice());
        for (offset, len) in [(0, 203), (5, 100), (64, 139), (63, 1), (200, 3), (10, 0)] {
            let expected: Vec<u8> = bits[offset..offset + len]
                .iter()
                .map(|&b| 1 + u8::from(b))
                .collect();
            assert_eq!(
                one_plus_bits(&buffer.slice(offset, len)),
                expected,
                "{offset}+{len}"
            );
        }
    }
}
