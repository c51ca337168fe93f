//! `escalation_rate(escalated)`: % of rows with `escalated` true.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{Arg, DOC_SECTION, Forms, boolean_classes, coerce, signature};
use super::kernels::count::{ClassCount, CountUdaf, percent};

const SYNTAX: &str = "escalation_rate(escalated)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("escalated", Arg::Boolean)]];

/// The share of rows with `escalated` true.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EscalationRate {
    signature: Signature,
}

/// The `escalation_rate` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(EscalationRate {
        signature: signature(FORMS),
    }))
}

impl ClassCount for EscalationRate {
    fn name(&self) -> &'static str {
        "escalation_rate"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["false", "true"]
    }

    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
        boolean_classes(&args[0], filter)
    }

    fn evaluate(&self, counts: &[u64]) -> Option<f64> {
        percent(counts[1], counts[0] + counts[1])
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Percent of rows escalated to a higher support tier: 100 x rows with escalated true / rows with escalated not NULL. \
                 NULL when no row is counted.",
                SYNTAX,
            )
            .with_argument("escalated", "Boolean: the contact was escalated to a higher support tier.")
            .with_sql_example(
                "SELECT escalation_rate(escalated) FROM (VALUES (true), (false), (false), (NULL)) AS t(escalated);\n-- 33.333333333333336: one of three non-NULL rows",
            )
            .build()
        });
        &DOC
    }
}
