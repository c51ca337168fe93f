//! `csat(score)` / `csat(good)`: customer satisfaction.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{
    Arg, DOC_SECTION, Forms, boolean_classes, check_range, coerce, int64, signature,
};
use super::kernels::count::{ClassCount, CountUdaf, classes_of, percent};

const SYNTAX: &str = "csat(score)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("score", Arg::Integer)], &[("good", Arg::Boolean)]];

/// Customer satisfaction: % of answers 4-5 of 1-5 (or % true).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Csat {
    signature: Signature,
}

/// The `csat` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(Csat {
        signature: signature(FORMS),
    }))
}

impl ClassCount for Csat {
    fn name(&self) -> &'static str {
        "csat"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["unsatisfied", "satisfied"]
    }

    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
        if *args[0].data_type() == DataType::Boolean {
            return boolean_classes(&args[0], filter);
        }
        let scores = int64(&args[0])?;
        check_range(SYNTAX, &scores, filter, 1, 5)?;
        Ok(classes_of(&scores, filter, |s| 1 + u8::from(s >= 4)))
    }

    fn evaluate(&self, counts: &[u64]) -> Option<f64> {
        percent(counts[1], counts[0] + counts[1])
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Customer satisfaction in percent: 100 x answers scoring 4 or 5 / answers, on a 1-5 \
                 scale; or, given a boolean, 100 x true / non-NULL. NULLs are not counted; NULL when \
                 no answer is counted. A score outside 1-5 is an error.",
                "csat(score) | csat(good)",
            )
            .with_argument("score", "Integer CSAT answer, 1 to 5.")
            .with_argument("good", "Boolean: the customer was satisfied.")
            .with_sql_example(
                "SELECT csat(score) FROM (VALUES (5), (4), (2), (1)) AS t(score);\n-- 50.0: two of four answers are 4 or 5",
            )
            .with_related_udf("nps")
            .with_related_udf("ces")
            .build()
        });
        &DOC
    }
}
