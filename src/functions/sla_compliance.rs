//! `sla_compliance(elapsed_seconds, target_seconds)`: % within target.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{
    Arg, DOC_SECTION, Forms, check_non_negative, coerce, float64, negative_or_nan, restrict,
    signature,
};
use super::kernels::count::{ClassCount, CountUdaf, counted, percent, with_filter};

const SYNTAX: &str = "sla_compliance(elapsed_seconds, target_seconds)";
/// The accepted argument lists.
const FORMS: Forms = &[&[
    ("elapsed_seconds", Arg::Numeric),
    ("target_seconds", Arg::Numeric),
]];

/// The share of rows whose elapsed time is within the target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlaCompliance {
    signature: Signature,
}

/// The `sla_compliance` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(SlaCompliance {
        signature: signature(FORMS),
    }))
}

impl ClassCount for SlaCompliance {
    fn name(&self) -> &'static str {
        "sla_compliance"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["breached", "met"]
    }

    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
        let elapsed = float64(&args[0])?;
        let target = float64(&args[1])?;
        // Classes and a domain pre-check in one pass over every value,
        // counted or not (values under NULL too).
        let mut suspicious = false;
        let classes: Vec<u8> = elapsed
            .values()
            .iter()
            .zip(target.values().iter())
            .map(|(&e, &t)| {
                suspicious |= negative_or_nan(e) | negative_or_nan(t);
                1 + u8::from(e <= t)
            })
            .collect();
        if suspicious {
            // A row counts when both are present; only those are checked.
            let checked_elapsed = restrict(elapsed.clone(), &[target.nulls()]);
            let checked_target = restrict(target.clone(), &[elapsed.nulls()]);
            check_non_negative(
                SYNTAX,
                "elapsed_seconds",
                &counted(&checked_elapsed, filter)?,
            )?;
            check_non_negative(SYNTAX, "target_seconds", &counted(&checked_target, filter)?)?;
        }
        let nulls = NullBuffer::union(elapsed.nulls(), target.nulls());
        Ok(with_filter(UInt8Array::new(classes.into(), nulls), filter))
    }

    fn evaluate(&self, counts: &[u64]) -> Option<f64> {
        percent(counts[1], counts[0] + counts[1])
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Service-level compliance in percent: 100 x rows with elapsed_seconds <= \
                 target_seconds / rows with both not NULL. The 80/20 service level is \
                 sla_compliance(wait_seconds, 20). NULL when no row is counted. Negative or NaN \
                 seconds are an error.",
                SYNTAX,
            )
            .with_argument("elapsed_seconds", "Number: the time taken, in seconds.")
            .with_argument("target_seconds", "Number: the target, in seconds (often a literal).")
            .with_sql_example(
                "SELECT sla_compliance(wait_seconds, 20) FROM (VALUES (5.0), (20.0), (31.5), (12.0)) AS t(wait_seconds);\n-- 75.0: three of four waits within 20 seconds",
            )
            .build()
        });
        &DOC
    }
}
