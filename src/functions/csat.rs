//! `csat(score)` / `csat(good)`: customer satisfaction.

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;

use super::common::{Arg, boolean_classes, scores};
use super::kernels::count::{ClassCount, classes_of};
use super::kpi::{Doc, Kernel, Kpi};

/// Customer satisfaction: % of answers 4-5 of 1-5 (or % true).
pub fn kpi() -> Kpi {
    Kpi {
        name: "csat",
        forms: vec![vec![("score", Arg::Integer)], vec![("good", Arg::Boolean)]],
        kernel: Kernel::Count(ClassCount::yes_or_no(
            &["unsatisfied", "satisfied"],
            classify,
        )),
        doc: Doc {
            description: "Customer satisfaction in percent: 100 x answers scoring 4 or 5 / \
                          answers, on a 1-5 scale; or, given a boolean, 100 x true / non-NULL. \
                          NULLs are not counted; NULL when no answer is counted. A score \
                          outside 1-5 is an error."
                .into(),
            arguments: vec![
                ("score", "Integer CSAT answer, 1 to 5.".into()),
                ("good", "Boolean: the customer was satisfied.".into()),
            ],
            example: "SELECT csat(score) FROM (VALUES (5), (4), (2), (1)) AS t(score);\n\
                      -- 50.0: two of four answers are 4 or 5"
                .into(),
            related: &["nps", "ces"],
        },
    }
}

/// A score of 4 or 5 is satisfied; a boolean says so itself.
fn classify(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
    if *args[0].data_type() == DataType::Boolean {
        return boolean_classes(&args[0], filter);
    }
    let scores = scores(syntax, &args[0], filter, 1, 5)?;
    Ok(classes_of(&scores, filter, |s| 1 + u8::from(s >= 4)))
}
