//! The KPI aggregate functions (DESIGN §2), one file per function, thin on
//! two shared kernels: [`kernels::count`] ("count rows by class") and
//! [`kernels::ratio`] ("ratio of sums").
//!
//! To add a function: write `src/functions/<name>.rs` with a `udaf()` that
//! wraps a `ClassCount` or `RatioOfSums`, add it to [`all_functions`], and
//! give it an `.slt` file under `tests/slt/`.

pub mod abandonment_rate;
pub mod ces;
pub(crate) mod common;
pub mod csat;
pub mod escalation_rate;
pub mod fcr;
pub mod kernels;
pub mod nps;
pub mod occupancy;
pub mod sla_compliance;
pub mod utilization;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::AggregateUDF;

/// Every KPI function.
pub fn all_functions() -> Vec<AggregateUDF> {
    vec![
        fcr::udaf(),
        nps::udaf(),
        csat::udaf(),
        ces::udaf(),
        escalation_rate::udaf(),
        abandonment_rate::udaf(),
        occupancy::udaf(),
        utilization::udaf(),
        sla_compliance::udaf(),
    ]
}

/// Registers every KPI function (a `SessionState`, a `SessionContext` or a
/// distributed engine's function registry).
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for udaf in all_functions() {
        registry.register_udaf(Arc::new(udaf))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_and_every_function_is_documented() {
        let functions = all_functions();
        let names: HashSet<&str> = functions.iter().map(AggregateUDF::name).collect();
        assert_eq!(names.len(), functions.len(), "two functions share a name");
        for f in &functions {
            let doc = f
                .documentation()
                .unwrap_or_else(|| panic!("{} has no documentation", f.name()));
            assert!(
                doc.description.len() > 40,
                "{}: description too short",
                f.name()
            );
            assert!(
                doc.syntax_example.starts_with(f.name()),
                "{}: syntax",
                f.name()
            );
            assert!(doc.sql_example.is_some(), "{}: no SQL example", f.name());
        }
    }

    /// guards: every documented example prints the result it claims.
    #[tokio::test]
    async fn documented_examples_give_the_documented_result() {
        let ctx = datafusion::prelude::SessionContext::new();
        for f in all_functions() {
            ctx.register_udaf(f);
        }
        for f in all_functions() {
            let example = f
                .documentation()
                .and_then(|d| d.sql_example.clone())
                .unwrap_or_default();
            let (sql, claim) = example
                .split_once("\n-- ")
                .expect("example: SQL, then -- result");
            let expected = claim.split(':').next().expect("a result before the colon");
            let batches = ctx
                .sql(sql)
                .await
                .expect("plans")
                .collect()
                .await
                .expect("runs");
            let value = datafusion::arrow::util::display::ArrayFormatter::try_new(
                batches[0].column(0).as_ref(),
                &Default::default(),
            )
            .expect("format")
            .value(0)
            .to_string();
            assert_eq!(value, expected, "{}: {sql}", f.name());
        }
    }
}
