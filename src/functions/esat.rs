//! `esat(score)`: employee (agent) satisfaction.

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::common::Result;

use super::common::{Arg, scores};
use super::kernels::count::{ClassCount, classes_of};
use super::kpi::{Doc, Kernel, Kpi};

/// Agent satisfaction: % of answers 4-5 of 1-5, like CSAT for agents.
pub fn kpi() -> Kpi {
    Kpi {
        name: "esat",
        forms: vec![vec![("score", Arg::Integer)]],
        kernel: Kernel::Count(ClassCount::yes_or_no(
            &["unsatisfied", "satisfied"],
            classify,
        )),
        doc: Doc {
            description: "Employee (agent) satisfaction in percent: 100 x answers scoring 4 \
                          or 5 / answers, on a 1-5 scale (agent_surveys kind 'esat'). NULLs \
                          are not counted; NULL when no answer is counted. A score outside \
                          1-5 is an error. Agent NPS (eNPS) is nps() on kind 'enps'."
                .into(),
            arguments: vec![("score", "Integer eSAT answer, 1 to 5.".into())],
            example: "SELECT esat(score) FROM (VALUES (5), (4), (3), (1)) AS t(score);\n\
                      -- 50.0: two of four answers are 4 or 5"
                .into(),
            related: &["csat", "nps"],
        },
    }
}

/// A score of 4 or 5 is satisfied.
fn classify(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
    let scores = scores(syntax, &args[0], filter, 1, 5)?;
    Ok(classes_of(&scores, filter, |s| 1 + u8::from(s >= 4)))
}
