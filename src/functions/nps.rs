//! `nps(score)`: net promoter score.

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::common::Result;

use super::common::{Arg, scores};
use super::kernels::count::{ClassCount, classes_of};
use super::kpi::{Doc, Kernel, Kpi};

/// Net promoter score: % promoters (9-10) minus % detractors (0-6).
pub fn kpi() -> Kpi {
    Kpi {
        name: "nps",
        forms: vec![vec![("score", Arg::Integer)]],
        kernel: Kernel::Count(ClassCount {
            classes: &["detractors", "passives", "promoters"],
            classify,
            evaluate,
        }),
        doc: Doc {
            description: "Net promoter score in points (-100 to 100): 100 x (promoters - \
                          detractors) / answers, where a promoter scored 9-10 and a detractor \
                          0-6. NULL scores are not counted; NULL when no answer is counted. A \
                          score outside 0-10 is an error."
                .into(),
            arguments: vec![("score", "Integer NPS answer, 0 to 10.".into())],
            example: "SELECT nps(score) FROM (VALUES (10), (9), (8), (3)) AS t(score);\n\
                      -- 25.0: two promoters and one detractor of four answers: \
                      100 x (2 - 1) / 4"
                .into(),
            related: &["csat"],
        },
    }
}

/// Class 1 for a detractor (0-6), 2 for a passive (7-8), 3 for a promoter
/// (9-10).
fn classify(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
    let scores = scores(syntax, &args[0], filter, 0, 10)?;
    Ok(classes_of(&scores, filter, |s| {
        1 + u8::from(s >= 7) + u8::from(s >= 9)
    }))
}

/// Passives count in the answers but neither add nor subtract.
fn evaluate(counts: &[u64]) -> Option<f64> {
    let total: u64 = counts.iter().sum();
    (total > 0).then(|| 100.0 * (counts[2] as f64 - counts[0] as f64) / total as f64)
}
