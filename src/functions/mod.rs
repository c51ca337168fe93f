//! The KPI aggregate functions (DESIGN §2): one small file per function,
//! each declaring a [`Kpi`](kpi::Kpi), on one generic aggregate
//! ([`kpi::KpiUdaf`]) and two shared vectorised kernels:
//! [`kernels::count`] ("count rows by class") and [`kernels::ratio`]
//! ("ratio of sums").
//!
//! To add a function:
//!
//! 1. Write `src/functions/<name>.rs` with a `pub fn kpi() -> Kpi`: its
//!    name, its argument forms (`Arg::Integer`, `Numeric`, `Boolean`,
//!    `String`), its kernel and its documentation. A yes-or-no rate of a
//!    boolean column is one call, [`Kpi::share_of_true`](kpi::Kpi::share_of_true);
//!    a share of an agent's time, [`Kpi::time_share`](kpi::Kpi::time_share).
//!    Otherwise pick a kernel: `Kernel::Count(ClassCount { classes,
//!    classify, evaluate })` when the KPI is a function of how many rows
//!    fall in each class, `Kernel::Ratio(RatioOfSums { scale, terms })`
//!    when it is a ratio of two sums. `classify` / `terms` work on a whole
//!    batch with Arrow kernels and check the domain of the counted rows
//!    only (helpers in `common`: `scores`, `float64`,
//!    `check_non_negative`, `boolean_classes`, ...).
//! 2. Add `<name>::kpi()` to [`all_kpis`].
//! 3. Give it an `.slt` file under `tests/slt/`, a naive reference in
//!    `tests/it/functions.rs`, and a line in DESIGN §2.

pub mod abandonment_rate;
pub mod ces;
pub(crate) mod common;
pub mod csat;
pub mod escalation_rate;
pub mod fcr;
pub mod kernels;
pub mod kpi;
pub mod nps;
pub mod occupancy;
pub mod sla_compliance;
pub mod utilization;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::AggregateUDF;

use kpi::Kpi;

/// Every KPI, declared.
pub fn all_kpis() -> Vec<Kpi> {
    vec![
        fcr::kpi(),
        nps::kpi(),
        csat::kpi(),
        ces::kpi(),
        escalation_rate::kpi(),
        abandonment_rate::kpi(),
        occupancy::kpi(),
        utilization::kpi(),
        sla_compliance::kpi(),
    ]
}

/// Every KPI function.
pub fn all_functions() -> Vec<AggregateUDF> {
    all_kpis().into_iter().map(Kpi::udaf).collect()
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
