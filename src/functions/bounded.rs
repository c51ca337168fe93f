//! DataFusion's functions that build values much larger than their
//! arguments, bounded by the memory limit.
//!
//! What a function returns is not counted in the memory pool, and the
//! optimizer folds constant calls before any pool is asked:
//! `repeat(repeat('x', 1050000000), 2)` builds 2 GB under a 256 MiB
//! `--memory-limit` and the process is killed. So each amplifier is
//! registered again, wrapped: before the built-in runs, an upper bound of
//! the bytes it would build for the whole batch is computed from its
//! arguments' lengths (Arrow's `length` kernel and casts, no value is
//! copied), and a call over the bound is an error naming the function,
//! the size and the limit. The bound is a quarter of the session's memory
//! limit (`--memory-limit`, or `serve`'s default), 2 GiB (DataFusion's own
//! cap on one string) without one.
//!
//! The amplifiers: `repeat`, `lpad`, `rpad` (4 bytes a character),
//! `replace`, `regexp_replace`, `array_repeat`, `array_resize`, `range` and
//! `generate_series` (integer forms; their date forms step by at least a
//! day or a given interval). Everything else builds at most about the sum
//! of its arguments, which a 1 MiB statement and the pool bound.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array};
use datafusion::arrow::compute::{cast, kernels::length::length};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};

/// Bytes one call may build without a memory limit: DataFusion's cap on
/// one string value.
const UNLIMITED: u128 = i32::MAX as u128;

/// How a function's output size is bounded from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Amplifier {
    Repeat,
    Pad,
    Replace,
    RegexpReplace,
    ArrayRepeat,
    ArrayResize,
    Range,
}

/// One argument, per row: a scalar's value, or an array's.
enum PerRow {
    Scalar(Option<i64>),
    Array(Int64Array),
}

impl PerRow {
    fn get(&self, row: usize) -> Option<i64> {
        match self {
            PerRow::Scalar(v) => *v,
            PerRow::Array(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }
}

/// `value`'s byte length per row (strings and binaries), without copying
/// a scalar into an array.
fn byte_lengths(value: &ColumnarValue) -> Result<PerRow> {
    Ok(match value {
        ColumnarValue::Scalar(s) => PerRow::Scalar(match s {
            ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                v.as_ref().map(|s| s.len() as i64)
            }
            ScalarValue::Binary(v) | ScalarValue::LargeBinary(v) | ScalarValue::BinaryView(v) => {
                v.as_ref().map(|b| b.len() as i64)
            }
            other if other.is_null() => None,
            other => Some(other.size() as i64),
        }),
        ColumnarValue::Array(a) => PerRow::Array(int64(&length(a)?)?),
    })
}

/// `value` as integers per row (counts, lengths, bounds).
fn integers(value: &ColumnarValue) -> Result<PerRow> {
    Ok(match value {
        ColumnarValue::Scalar(s) => PerRow::Scalar(match s.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(v) => v,
            _ => None,
        }),
        ColumnarValue::Array(a) => PerRow::Array(int64(a)?),
    })
}

fn int64(a: &ArrayRef) -> Result<Int64Array> {
    Ok(cast(a, &DataType::Int64)?
        .as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .unwrap_or_else(|| Int64Array::from(vec![None::<i64>; a.len()])))
}

/// The bytes an element of `value` takes, about (lists of it are built).
fn element_bytes(value: &ColumnarValue) -> u128 {
    match value {
        ColumnarValue::Scalar(s) => s.size() as u128,
        ColumnarValue::Array(a) => (a.get_array_memory_size() / a.len().max(1)).max(1) as u128,
    }
    .max(1)
}

fn non_negative(v: Option<i64>) -> u128 {
    v.unwrap_or(0).max(0) as u128
}

impl Amplifier {
    /// An upper bound of the bytes the call builds for the whole batch.
    fn bound(self, args: &[ColumnarValue], rows: usize) -> Result<u128> {
        let rows = if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            1
        } else {
            rows
        };
        let arg = |i: usize| args.get(i);
        let sum = |f: &dyn Fn(usize) -> u128| (0..rows).map(f).fold(0u128, u128::saturating_add);
        Ok(match self {
            Amplifier::Repeat => {
                let (Some(s), Some(n)) = (arg(0), arg(1)) else {
                    return Ok(0);
                };
                let (s, n) = (byte_lengths(s)?, integers(n)?);
                sum(&|r| non_negative(s.get(r)) * non_negative(n.get(r)))
            }
            Amplifier::Pad => {
                let Some(n) = arg(1) else { return Ok(0) };
                let n = integers(n)?;
                sum(&|r| non_negative(n.get(r)) * 4)
            }
            Amplifier::Replace | Amplifier::RegexpReplace => {
                let (Some(s), Some(from), Some(to)) = (arg(0), arg(1), arg(2)) else {
                    return Ok(0);
                };
                // A regular expression may match the empty string at every
                // position, and `\1` in the replacement may copy the whole
                // input each time; a literal `from` matches at most
                // len/len(from) times.
                let backrefs = self == Amplifier::RegexpReplace
                    && match to {
                        ColumnarValue::Scalar(ScalarValue::Utf8(Some(t)))
                        | ColumnarValue::Scalar(ScalarValue::LargeUtf8(Some(t)))
                        | ColumnarValue::Scalar(ScalarValue::Utf8View(Some(t))) => t.contains('\\'),
                        ColumnarValue::Scalar(_) => false,
                        ColumnarValue::Array(_) => true,
                    };
                let (s, from, to) = (byte_lengths(s)?, byte_lengths(from)?, byte_lengths(to)?);
                sum(&|r| {
                    let len = non_negative(s.get(r));
                    let matches = if self == Amplifier::Replace {
                        len / non_negative(from.get(r)).max(1) + 1
                    } else {
                        len + 1
                    };
                    let each = non_negative(to.get(r)) * if backrefs { len.max(1) } else { 1 };
                    len + matches * each
                })
            }
            Amplifier::ArrayRepeat => {
                let (Some(x), Some(n)) = (arg(0), arg(1)) else {
                    return Ok(0);
                };
                let size = element_bytes(x);
                let n = integers(n)?;
                sum(&|r| non_negative(n.get(r)) * size)
            }
            Amplifier::ArrayResize => {
                let Some(n) = arg(1) else { return Ok(0) };
                let size = arg(2).map_or(16, |v| element_bytes(v).max(16));
                let n = integers(n)?;
                sum(&|r| non_negative(n.get(r)) * size)
            }
            Amplifier::Range => {
                // range(stop) | range(start, stop) | range(start, stop, step),
                // integers only: 8 bytes an element.
                let integral = |v: &ColumnarValue| v.data_type().is_integer();
                if !args.iter().all(integral) {
                    return Ok(0);
                }
                let (start, stop, step) = match args.len() {
                    1 => (PerRow::Scalar(Some(0)), integers(&args[0])?, None),
                    2 => (integers(&args[0])?, integers(&args[1])?, None),
                    3 => (
                        integers(&args[0])?,
                        integers(&args[1])?,
                        Some(integers(&args[2])?),
                    ),
                    _ => return Ok(0),
                };
                sum(&|r| {
                    let (Some(a), Some(b)) = (start.get(r), stop.get(r)) else {
                        return 0;
                    };
                    let step = step
                        .as_ref()
                        .map_or(Some(1), |s| s.get(r))
                        .unwrap_or(1)
                        .unsigned_abs()
                        .max(1) as u128;
                    let span = (i128::from(b) - i128::from(a)).unsigned_abs();
                    (span / step + 1) * 8
                })
            }
        })
    }
}

/// A built-in function, run only when its output fits the bound.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Bounded {
    inner: Arc<ScalarUDF>,
    amplifier: Amplifier,
    /// Bytes one call may build for one batch.
    limit: u128,
    /// How the limit is explained in an error.
    why: String,
}

impl ScalarUDFImpl for Bounded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let bytes = self.amplifier.bound(&args.args, args.number_rows)?;
        if bytes > self.limit {
            return exec_err!(
                "{}(...) would build up to {bytes} bytes, more than the {} one function call may \
                 build ({})",
                self.name(),
                self.limit,
                self.why
            );
        }
        self.inner.invoke_with_args(args)
    }
}

/// Registers the bounded amplifiers into `state`, over DataFusion's, with
/// the bound taken from `state`'s memory pool.
pub fn register(state: &mut SessionState) -> Result<()> {
    let (limit, why) = match state.runtime_env().memory_pool.memory_limit() {
        MemoryLimit::Finite(bytes) => (
            bytes as u128 / 4,
            format!("a quarter of the memory limit, {bytes} bytes"),
        ),
        _ => (UNLIMITED, "DataFusion's cap on one value".to_string()),
    };
    use datafusion::functions::{regex, string, unicode};
    use datafusion::functions_nested::{range, repeat, resize};
    for (inner, amplifier) in [
        (string::repeat(), Amplifier::Repeat),
        (unicode::lpad(), Amplifier::Pad),
        (unicode::rpad(), Amplifier::Pad),
        (string::replace(), Amplifier::Replace),
        (regex::regexp_replace(), Amplifier::RegexpReplace),
        (repeat::array_repeat_udf(), Amplifier::ArrayRepeat),
        (resize::array_resize_udf(), Amplifier::ArrayResize),
        (range::range_udf(), Amplifier::Range),
        (range::gen_series_udf(), Amplifier::Range),
    ] {
        state.register_udf(Arc::new(ScalarUDF::new_from_impl(Bounded {
            inner,
            amplifier,
            limit,
            why: why.clone(),
        })))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::memory_pool::GreedyMemoryPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::prelude::SessionContext;

    /// A session with a 1 MiB pool: one call may build 256 KiB.
    async fn bounded() -> SessionContext {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(1 << 20)))
            .build_arc()
            .expect("test set-up");
        let mut state = SessionStateBuilder::new()
            .with_default_features()
            .with_runtime_env(runtime)
            .build();
        register(&mut state).expect("test set-up");
        SessionContext::new_with_state(state)
    }

    async fn answer(ctx: &SessionContext, sql: &str) -> Result<String> {
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
    }

    #[tokio::test]
    async fn under_the_bound_the_built_ins_answer() {
        let ctx = bounded().await;
        // 200 KiB of 'x' each (lpad: 4 bytes a character counted, 60 000
        // characters: 240 000 bytes).
        for (sql, expected) in [
            ("SELECT length(repeat('ab', 100000)) AS n", "200000"),
            ("SELECT length(lpad('x', 60000, 'y')) AS n", "60000"),
            ("SELECT length(rpad('x', 60000)) AS n", "60000"),
            ("SELECT length(replace('aaaa', 'a', 'bb')) AS n", "8"),
            (
                "SELECT length(regexp_replace('a b  c', '\\s+', ' ', 'g')) AS n",
                "5",
            ),
            ("SELECT cardinality(array_repeat(1, 1000)) AS n", "1000"),
            ("SELECT cardinality(range(1, 20001)) AS n", "20000"),
            (
                "SELECT cardinality(generate_series(1, 20000)) AS n",
                "20000",
            ),
            ("SELECT cardinality(array_resize([1], 1000)) AS n", "1000"),
        ] {
            let got = answer(&ctx, sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(got.contains(&format!("| {expected} ")), "{sql}: {got}");
        }
    }

    #[tokio::test]
    async fn over_the_bound_each_is_an_error_naming_it() {
        let ctx = bounded().await;
        for (sql, name) in [
            ("SELECT length(repeat(repeat('x', 200000), 2))", "repeat"),
            ("SELECT length(repeat('x', 1050000000))", "repeat"),
            ("SELECT length(lpad('x', 1000000))", "lpad"),
            ("SELECT length(rpad('x', 1000000, 'ab'))", "rpad"),
            (
                "SELECT length(replace(repeat('a', 1000), 'a', repeat('b', 1000)))",
                "replace",
            ),
            (
                "SELECT length(regexp_replace(repeat('a', 1000), '', repeat('b', 1000), 'g'))",
                "regexp_replace",
            ),
            (
                "SELECT cardinality(array_repeat(1, 10000000))",
                "array_repeat",
            ),
            ("SELECT cardinality(range(1, 100000000000))", "range"),
            (
                "SELECT cardinality(generate_series(-9223372036854775807, 9223372036854775807))",
                "generate_series",
            ),
            (
                "SELECT cardinality(array_resize([1], 100000000))",
                "array_resize",
            ),
        ] {
            let err = answer(&ctx, sql).await.expect_err(sql).to_string();
            assert!(
                err.contains(&format!("{name}(...) would build up to")) && err.contains("262144"),
                "{sql}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn columns_are_summed_over_the_batch() {
        let ctx = bounded().await;
        // 100 rows of 5 000 bytes: 500 000 in one batch, over 262 144;
        // 40 rows: 200 000, under.
        let over = "SELECT length(repeat('x', 5000 + (v - v))) FROM range(100) t(v)";
        let err = answer(&ctx, over).await.expect_err(over).to_string();
        assert!(
            err.contains("repeat(...) would build up to 500000 bytes"),
            "{err}"
        );
        let under = "SELECT sum(length(repeat('x', 5000 + (v - v)))) AS n FROM range(40) t(v)";
        let got = answer(&ctx, under).await.expect("test set-up");
        assert!(got.contains("| 200000 "), "{got}");
    }
}
