//! `sla_compliance(elapsed_seconds, target_seconds)`: % within target.

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::common::Result;

use super::common::{Arg, check_non_negative, float64, negative_or_nan, restrict};
use super::kernels::count::{ClassCount, counted, with_filter};
use super::kpi::{Doc, Kernel, Kpi};

/// The share of rows whose elapsed time is within the target.
pub fn kpi() -> Kpi {
    Kpi {
        name: "sla_compliance",
        forms: vec![vec![
            ("elapsed_seconds", Arg::Numeric),
            ("target_seconds", Arg::Numeric),
        ]],
        kernel: Kernel::Count(ClassCount::yes_or_no(&["breached", "met"], classify)),
        doc: Doc {
            description: "Service-level compliance in percent: 100 x rows with elapsed_seconds \
                          <= target_seconds / rows with both not NULL. The 80/20 service level \
                          is sla_compliance(wait_seconds, 20). NULL when no row is counted. \
                          Negative or NaN seconds are an error."
                .into(),
            arguments: vec![
                (
                    "elapsed_seconds",
                    "Number: the time taken, in seconds.".into(),
                ),
                (
                    "target_seconds",
                    "Number: the target, in seconds (often a literal).".into(),
                ),
            ],
            example: "SELECT sla_compliance(wait_seconds, 20) FROM (VALUES (5.0), (20.0), \
                      (31.5), (12.0)) AS t(wait_seconds);\n\
                      -- 75.0: three of four waits within 20 seconds"
                .into(),
            related: &[],
        },
    }
}

/// Class 2 (met) when the elapsed time is at most the target, else 1.
fn classify(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
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
            syntax,
            "elapsed_seconds",
            &counted(&checked_elapsed, filter)?,
        )?;
        check_non_negative(syntax, "target_seconds", &counted(&checked_target, filter)?)?;
    }
    let nulls = NullBuffer::union(elapsed.nulls(), target.nulls());
    Ok(with_filter(UInt8Array::new(classes.into(), nulls), filter))
}
