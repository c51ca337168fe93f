//! `nps(score)`: net promoter score.

use std::sync::LazyLock;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{Arg, DOC_SECTION, Forms, check_range, coerce, int64, signature};
use super::kernels::count::{ClassCount, CountUdaf, classes_of};

const SYNTAX: &str = "nps(score)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("score", Arg::Integer)]];

/// Net promoter score: % promoters (9-10) minus % detractors (0-6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nps {
    signature: Signature,
}

/// The `nps` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(Nps {
        signature: signature(FORMS),
    }))
}

impl ClassCount for Nps {
    fn name(&self) -> &'static str {
        "nps"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["detractors", "passives", "promoters"]
    }

    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
        let scores = int64(&args[0])?;
        check_range(SYNTAX, &scores, filter, 0, 10)?;
        Ok(classes_of(&scores, filter, |s| {
            1 + u8::from(s >= 7) + u8::from(s >= 9)
        }))
    }

    fn evaluate(&self, counts: &[u64]) -> Option<f64> {
        let total: u64 = counts.iter().sum();
        (total > 0).then(|| 100.0 * (counts[2] as f64 - counts[0] as f64) / total as f64)
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "Net promoter score in points (-100 to 100): 100 x (promoters - detractors) / answers, \
                 where a promoter scored 9-10 and a detractor 0-6. NULL scores are not counted; \
                 NULL when no answer is counted. A score outside 0-10 is an error.",
                SYNTAX,
            )
            .with_argument("score", "Integer NPS answer, 0 to 10.")
            .with_sql_example(
                "SELECT nps(score) FROM (VALUES (10), (9), (8), (3)) AS t(score);\n-- 25.0: two promoters and one detractor of four answers: 100 x (2 - 1) / 4",
            )
            .with_related_udf("csat")
            .build()
        });
        &DOC
    }
}
