//! The KPI aggregate functions (DESIGN §2): one small file per function,
//! each declaring a [`Kpi`], on one generic aggregate
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
//!    fall in each class (`ClassCount::yes_or_no(&[no, yes], classify)`
//!    for a percent of yes), `Kernel::Ratio(RatioOfSums { scale, terms })`
//!    when it is a ratio of two sums. `classify` / `terms` work on a whole
//!    batch with Arrow kernels and check the domain of the counted rows
//!    only (helpers in `common`: `scores`, `float64`,
//!    `check_non_negative`, `boolean_classes`, ...).
//! 2. Add `<name>::kpi()` to [`all_kpis`].
//! 3. Give it an `.slt` file under `tests/slt/`, a naive reference in
//!    `tests/it/functions.rs`, and a line in DESIGN §2.
//!
//! The tests below then check that its documentation agrees with its
//! signature and that its example gives the result it claims.
//!
//! Two files here are not KPIs: `bounded.rs` (DataFusion's value-building
//! functions under the memory limit), `second_smallest.rs` and
//! `nth_largest.rs`, general aggregates a source's or a report's SQL
//! needs ([`general`]).

pub mod abandonment_rate;
pub mod bounded;
pub mod ces;
pub(crate) mod common;
pub mod csat;
pub mod esat;
pub mod escalation_rate;
pub mod fcr;
pub mod kernels;
pub mod kpi;
pub mod nps;
pub mod nth_largest;
pub mod occupancy;
pub mod second_smallest;
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
        esat::kpi(),
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

/// The general aggregates (not KPIs): `second_smallest`, `nth_largest`,
/// `nth_smallest`.
pub fn general() -> Vec<AggregateUDF> {
    vec![
        second_smallest::udaf(),
        nth_largest::largest(),
        nth_largest::smallest(),
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

/// Registers every function kpiql adds to SQL: the KPI aggregates, the
/// business-time functions over `calendars`, staffing, `kpi_status`,
/// `to_local`/`from_local`, `comment_terms` and the [`general`] aggregates. The one
/// list, for a lake's session and for a cluster's scheduler and executors.
pub fn register_every(
    registry: &mut dyn FunctionRegistry,
    calendars: Arc<crate::calendar::Calendars>,
) -> Result<()> {
    register_but_calendars(registry)?;
    crate::calendar::functions::register(registry, calendars)
}

/// Every function but the business-time ones: what a source's views may
/// use, since they are planned before the calendars (which they may
/// define) are read.
pub fn register_but_calendars(registry: &mut dyn FunctionRegistry) -> Result<()> {
    register_all(registry)?;
    for udaf in general() {
        registry.register_udaf(Arc::new(udaf))?;
    }
    crate::staffing::functions::register(registry)?;
    crate::targets::status::register(registry)?;
    crate::zone::functions::register(registry)?;
    crate::feedback::register(registry)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::{Documentation, TypeSignature};

    use super::*;

    fn doc(f: &AggregateUDF) -> &Documentation {
        f.documentation()
            .unwrap_or_else(|| panic!("{} has no documentation", f.name()))
    }

    /// The argument lists `SHOW FUNCTIONS` lists: the signature's exact forms.
    fn listed_forms(f: &AggregateUDF) -> Vec<Vec<DataType>> {
        let TypeSignature::OneOf(signatures) = &f.signature().type_signature else {
            panic!("{}: signature is not OneOf(UserDefined, Exact..)", f.name());
        };
        signatures
            .iter()
            .filter_map(|s| match s {
                TypeSignature::Exact(types) => Some(types.clone()),
                _ => None,
            })
            .collect()
    }

    /// The documented syntax, `name(a, b) | name(c)`, as argument lists.
    fn documented_forms(f: &AggregateUDF) -> Vec<Vec<String>> {
        doc(f)
            .syntax_example
            .split(" | ")
            .map(|call| {
                let args = call
                    .strip_prefix(f.name())
                    .and_then(|rest| rest.strip_prefix('('))
                    .and_then(|rest| rest.strip_suffix(')'))
                    .unwrap_or_else(|| panic!("{}: syntax {call:?}", f.name()));
                args.split(", ").map(str::to_string).collect()
            })
            .collect()
    }

    #[test]
    fn names_are_unique() {
        let functions = all_functions();
        let names: HashSet<&str> = functions.iter().map(AggregateUDF::name).collect();
        assert_eq!(names.len(), functions.len(), "two functions share a name");
    }

    /// guards: DataFusion takes equal UDAFs for the same function (and may
    /// compute `nps(x), csat(x)` once if they compared equal).
    #[test]
    fn a_function_equals_itself_and_no_other() {
        let once = all_functions();
        let again = all_functions();
        for (i, f) in once.iter().enumerate() {
            for (j, g) in again.iter().enumerate() {
                assert_eq!(f == g, i == j, "{} == {}", f.name(), g.name());
            }
        }
    }

    /// guards: the syntax `SHOW FUNCTIONS` and `kpiql functions` print
    /// agrees with the argument lists the signature lists, form by form.
    #[test]
    fn the_documented_syntax_has_the_signatures_forms() {
        for f in all_functions() {
            let documented: Vec<usize> = documented_forms(&f).iter().map(Vec::len).collect();
            let listed: Vec<usize> = listed_forms(&f).iter().map(Vec::len).collect();
            assert_eq!(documented, listed, "{}: arguments per form", f.name());
        }
    }

    /// guards: every form the signature lists is accepted when planning
    /// (the user-defined check and the listed forms cannot drift apart).
    #[test]
    fn every_listed_form_is_accepted() {
        for f in all_functions() {
            for types in listed_forms(&f) {
                let returned = f.return_type(&types);
                assert!(
                    matches!(returned, Ok(DataType::Float64)),
                    "{}{types:?}: {returned:?}",
                    f.name()
                );
            }
        }
    }

    /// guards: every argument in the syntax is explained, none that is not
    /// there, and each explanation starts with the kind of value the
    /// function reads it as.
    #[test]
    fn every_argument_is_documented_with_its_type() {
        for f in all_functions() {
            let arguments = doc(&f).arguments.clone().unwrap_or_default();
            let mut expected: Vec<(String, &str)> = Vec::new();
            for (names, types) in documented_forms(&f).into_iter().zip(listed_forms(&f)) {
                for (name, ty) in names.into_iter().zip(types) {
                    let kind = match ty {
                        DataType::Int64 => "Integer",
                        DataType::Float64 => "Number",
                        DataType::Boolean => "Boolean",
                        DataType::Utf8View => "String",
                        other => panic!("{}: {name} is listed as {other}", f.name()),
                    };
                    if !expected.iter().any(|(seen, _)| *seen == name) {
                        expected.push((name, kind));
                    }
                }
            }
            let documented: Vec<&String> = arguments.iter().map(|(name, _)| name).collect();
            let in_syntax: Vec<&String> = expected.iter().map(|(name, _)| name).collect();
            assert_eq!(documented, in_syntax, "{}: documented arguments", f.name());
            for ((name, meaning), (_, kind)) in arguments.iter().zip(&expected) {
                assert!(
                    meaning.starts_with(kind),
                    "{}: {name} is read as {kind}, documented as {meaning:?}",
                    f.name()
                );
            }
        }
    }

    /// guards: a planning error names the function as its documentation
    /// does (`csat(score) takes ...`).
    #[test]
    fn type_errors_name_the_function_as_documented() {
        for f in all_functions() {
            let first = documented_forms(&f).remove(0);
            let syntax = format!("{}({})", f.name(), first.join(", "));
            let err = f
                .return_type(&vec![DataType::Date32; first.len()])
                .expect_err("a date is no KPI argument");
            assert!(
                err.to_string().contains(&format!("{syntax} takes (")),
                "{}: {err}",
                f.name()
            );
        }
    }

    /// guards: examples show the function they document, and "see also"
    /// points at functions that exist.
    #[test]
    fn examples_call_their_function_and_related_functions_exist() {
        let functions = all_functions();
        let names: HashSet<&str> = functions.iter().map(AggregateUDF::name).collect();
        for f in &functions {
            let example = doc(f).sql_example.clone().unwrap_or_default();
            assert!(
                example.contains(&format!("{}(", f.name())),
                "{}: the example does not call it",
                f.name()
            );
            for related in doc(f).related_udfs.iter().flatten() {
                assert!(
                    names.contains(related.as_str()) && related != f.name(),
                    "{}: related {related}",
                    f.name()
                );
            }
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
