//! `ces(score)`: customer effort score, the mean answer.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{
    Arg, DOC_SECTION, Forms, check_range, coerce, int64, keep_where, restrict, signature,
};
use super::kernels::ratio::{RatioOfSums, RatioUdaf, Terms};

const SYNTAX: &str = "ces(score)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("score", Arg::Integer)]];

/// Customer effort score: the mean of 1-7 answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ces {
    signature: Signature,
}

/// The `ces` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(RatioUdaf(Ces {
        signature: signature(FORMS),
    }))
}

impl RatioOfSums for Ces {
    fn name(&self) -> &'static str {
        "ces"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn scale(&self) -> f64 {
        1.0
    }

    fn terms(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms> {
        let scores = int64(&args[0])?;
        check_range(SYNTAX, &scores, filter, 1, 7)?;
        let keep = filter.map(keep_where);
        let scores: Float64Array = scores.unary(|s| s as f64);
        Ok(Terms::Mean(restrict(scores, &[keep.as_ref()])))
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Customer effort score: the mean answer on a 1-7 scale (not a percentage). NULL \
                 scores are not counted; NULL when no answer is counted. A score outside 1-7 is an \
                 error.",
                SYNTAX,
            )
            .with_argument("score", "Integer CES answer, 1 to 7.")
            .with_sql_example(
                "SELECT ces(score) FROM (VALUES (7), (5), (6), (NULL)) AS t(score);\n-- 6.0: the mean of 7, 5 and 6; the NULL is not counted",
            )
            .with_related_udf("csat")
            .build()
        });
        &DOC
    }
}
