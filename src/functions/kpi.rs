//! The KPI descriptor ([`Kpi`]) and the one aggregate UDF every KPI
//! function is ([`KpiUdaf`]).
//!
//! A KPI is data: its name, the argument lists it accepts, the kernel that
//! computes it and its documentation. Everything a DataFusion aggregate
//! needs besides (signature, type checks, return type, state, the plain and
//! the groups accumulator) is derived here, once, so that the function
//! files say only what differs between KPIs.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, UInt8Array};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature,
};

use super::common::{Arg, DOC_SECTION, Form, boolean_classes, coerce, signature};
use super::kernels::count::ClassCount;
use super::kernels::ratio::{RatioOfSums, TermsOf};

/// One KPI function, declared.
#[derive(Debug, Clone)]
pub struct Kpi {
    /// SQL name.
    pub name: &'static str,
    /// The accepted argument lists: `forms[i][j]` is the name and kind of
    /// argument j in form i. The first form is how errors name the function
    /// (`csat(score)`); the documentation lists every form.
    pub forms: Vec<Form>,
    /// How it is computed.
    pub kernel: Kernel,
    /// What `SHOW FUNCTIONS` and `kpiql functions` say about it.
    pub doc: Doc,
}

/// The vectorised kernel a KPI is computed by.
#[derive(Debug, Clone, Copy)]
pub enum Kernel {
    /// Counts of rows per class (fcr, nps, csat, the rates, sla_compliance).
    Count(ClassCount),
    /// A ratio of two sums (occupancy, utilization, ces).
    Ratio(RatioOfSums),
}

/// A KPI's documentation, besides its syntax (which is derived from the
/// name and the forms, so it cannot disagree with them).
#[derive(Debug, Clone)]
pub struct Doc {
    /// Formula, NULL and empty-group behaviour, domain.
    pub description: String,
    /// `(argument, meaning)`, every argument of every form once, in order.
    pub arguments: Vec<(&'static str, String)>,
    /// A query, then `\n-- ` and its result, then `: ` and why.
    pub example: String,
    /// KPI functions to look at too.
    pub related: &'static [&'static str],
}

impl Kpi {
    /// A yes-or-no KPI: percent of the non-NULL rows of one boolean column
    /// that are true, the contact being `what` (e.g. "escalated to a higher
    /// support tier"). The description, argument and example say that in
    /// the same words for every such KPI.
    pub fn share_of_true(name: &'static str, flag: &'static str, what: &str) -> Kpi {
        Kpi {
            name,
            forms: vec![vec![(flag, Arg::Boolean)]],
            kernel: Kernel::Count(ClassCount::yes_or_no(&["false", "true"], classify_boolean)),
            doc: Doc {
                description: format!(
                    "Percent of rows {what}: 100 x rows with {flag} true / rows with {flag} \
                     not NULL. NULL when no row is counted."
                ),
                arguments: vec![(flag, format!("Boolean: the contact was {what}."))],
                example: format!(
                    "SELECT {name}({flag}) FROM (VALUES (true), (false), (false), (NULL)) AS \
                     t({flag});\n-- 33.333333333333336: one of three non-NULL rows"
                ),
                related: &[],
            },
        }
    }

    /// A time-share KPI of agents' `(state, seconds)` spans: `formula`
    /// says which seconds count, and `terms` counts them (see
    /// `common::handling_share`); arguments, NULLs and domain are the same
    /// for every such KPI.
    pub fn time_share(
        name: &'static str,
        formula: &str,
        terms: TermsOf,
        example: &str,
        related: &'static [&'static str],
    ) -> Kpi {
        Kpi {
            name,
            forms: vec![vec![("state", Arg::String), ("seconds", Arg::Numeric)]],
            kernel: Kernel::Ratio(RatioOfSums {
                scale: 100.0,
                terms,
            }),
            doc: Doc {
                description: format!(
                    "{formula} Rows with a NULL argument are not counted; NULL when no row is \
                     counted or the counted seconds add up to 0. Negative or NaN seconds are an \
                     error."
                ),
                arguments: vec![
                    (
                        "state",
                        "String: handling, available, break, lunch, meeting, training, other."
                            .into(),
                    ),
                    (
                        "seconds",
                        "Number: length of the span in seconds, >= 0.".into(),
                    ),
                ],
                example: example.into(),
                related,
            },
        }
    }

    /// `name(arg, ...)` for each accepted form.
    fn syntaxes(&self) -> impl Iterator<Item = String> + '_ {
        self.forms.iter().map(|form| {
            let args: Vec<&str> = form.iter().map(|(arg, _)| *arg).collect();
            format!("{}({})", self.name, args.join(", "))
        })
    }

    /// The aggregate UDF.
    pub fn udaf(self) -> AggregateUDF {
        AggregateUDF::new_from_impl(KpiUdaf::new(self))
    }
}

fn classify_boolean(
    _syntax: &str,
    args: &[ArrayRef],
    filter: Option<&BooleanArray>,
) -> Result<UInt8Array> {
    boolean_classes(&args[0], filter)
}

/// The aggregate UDF of a [`Kpi`].
#[derive(Debug)]
pub struct KpiUdaf {
    kpi: Kpi,
    /// How errors name the function: its first form (`csat(score)`).
    syntax: Arc<str>,
    signature: Signature,
    documentation: Documentation,
}

impl KpiUdaf {
    fn new(kpi: Kpi) -> KpiUdaf {
        let syntax = kpi.syntaxes().next().unwrap_or_default();
        let mut doc = Documentation::builder(
            DOC_SECTION,
            kpi.doc.description.clone(),
            kpi.syntaxes().collect::<Vec<_>>().join(" | "),
        )
        .with_sql_example(kpi.doc.example.clone());
        for (arg, meaning) in &kpi.doc.arguments {
            doc = doc.with_argument(*arg, meaning.clone());
        }
        for related in kpi.doc.related {
            doc = doc.with_related_udf(*related);
        }
        KpiUdaf {
            signature: signature(&kpi.forms),
            syntax: syntax.into(),
            documentation: doc.build(),
            kpi,
        }
    }
}

// A function is known by its name, signature and documentation; the
// kernel's function pointers are not compared (their addresses are not
// meaningful), and one name has one kernel (checked by the tests).
impl PartialEq for KpiUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.kpi.name == other.kpi.name
            && self.signature == other.signature
            && self.documentation == other.documentation
    }
}

impl Eq for KpiUdaf {}

impl Hash for KpiUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kpi.name.hash(state);
        self.signature.hash(state);
    }
}

impl AggregateUDFImpl for KpiUdaf {
    fn name(&self) -> &str {
        self.kpi.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Types that fit no form are left as they are and reported by
        // `return_type`, so the error is ours and not a generic coercion
        // failure against the signature's exact forms (common::signature).
        Ok(coerce(&self.syntax, arg_types, &self.kpi.forms).unwrap_or_else(|_| arg_types.to_vec()))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        coerce(&self.syntax, arg_types, &self.kpi.forms)?;
        Ok(DataType::Float64)
    }

    fn is_nullable(&self) -> bool {
        true
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(None))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(match self.kpi.kernel {
            Kernel::Count(count) => count.state_fields(args.name),
            Kernel::Ratio(ratio) => ratio.state_fields(args.name),
        })
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let syntax = Arc::clone(&self.syntax);
        Ok(match self.kpi.kernel {
            Kernel::Count(count) => count.accumulator(syntax),
            Kernel::Ratio(ratio) => ratio.accumulator(syntax),
        })
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // Both kernels retract exactly (counts; sums reset when empty).
        self.accumulator(args)
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let syntax = Arc::clone(&self.syntax);
        match self.kpi.kernel {
            Kernel::Count(count) => count.groups_accumulator(syntax),
            Kernel::Ratio(ratio) => Ok(ratio.groups_accumulator(syntax)),
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}
