//! `abandonment_rate(abandoned)`: % of rows with `abandoned` true.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{Arg, DOC_SECTION, Forms, boolean_classes, coerce, signature};
use super::kernels::count::{ClassCount, CountUdaf, percent};

const SYNTAX: &str = "abandonment_rate(abandoned)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("abandoned", Arg::Boolean)]];

/// The share of rows with `abandoned` true.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AbandonmentRate {
    signature: Signature,
}

/// The `abandonment_rate` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(AbandonmentRate {
        signature: signature(FORMS),
    }))
}

impl ClassCount for AbandonmentRate {
    fn name(&self) -> &'static str {
        "abandonment_rate"
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
                "Percent of rows abandoned before reaching an agent: 100 x rows with abandoned true / rows with abandoned not NULL. \
                 NULL when no row is counted.",
                SYNTAX,
            )
            .with_argument("abandoned", "Boolean: the contact was abandoned before reaching an agent.")
            .with_sql_example(
                "SELECT abandonment_rate(abandoned) FROM (VALUES (true), (false), (false), (NULL)) AS t(abandoned);\n-- 33.333333333333336: one of three non-NULL rows",
            )
            .build()
        });
        &DOC
    }
}
