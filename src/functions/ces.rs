//! `ces(score)`: customer effort score, the mean answer.

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array};
use datafusion::common::Result;

use super::common::{Arg, restrict, scores};
use super::kernels::keep_where;
use super::kernels::ratio::{RatioOfSums, Terms};
use super::kpi::{Doc, Kernel, Kpi};

/// Customer effort score: the mean of 1-7 answers.
pub fn kpi() -> Kpi {
    Kpi {
        name: "ces",
        forms: vec![vec![("score", Arg::Integer)]],
        // A mean, not a percentage.
        kernel: Kernel::Ratio(RatioOfSums { scale: 1.0, terms }),
        doc: Doc {
            description: "Customer effort score: the mean answer on a 1-7 scale (not a \
                          percentage). NULL scores are not counted; NULL when no answer is \
                          counted. A score outside 1-7 is an error."
                .into(),
            arguments: vec![("score", "Integer CES answer, 1 to 7.".into())],
            example: "SELECT ces(score) FROM (VALUES (7), (5), (6), (NULL)) AS t(score);\n\
                      -- 6.0: the mean of 7, 5 and 6; the NULL is not counted"
                .into(),
            related: &["csat"],
        },
    }
}

/// Each counted score over 1.
fn terms(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms> {
    let scores = scores(syntax, &args[0], filter, 1, 7)?;
    let keep = filter.map(keep_where);
    let scores: Float64Array = scores.unary(|s| s as f64);
    Ok(Terms::Mean(restrict(scores, &[keep.as_ref()])))
}
