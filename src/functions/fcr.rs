//! `fcr(contact_seq, resolved)`: first contact resolution.

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, UInt8Array};
use datafusion::arrow::compute::binary;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, exec_err, internal_err};
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature};

use super::common::{Arg, DOC_SECTION, Forms, coerce, int64, one_plus_bits, signature};
use super::kernels::count::{ClassCount, CountUdaf, counted, percent, with_filter};

const SYNTAX: &str = "fcr(contact_seq, resolved)";
/// The accepted argument lists.
const FORMS: Forms = &[&[("contact_seq", Arg::Integer), ("resolved", Arg::Boolean)]];

/// First contact resolution: of first contacts, the share resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fcr {
    signature: Signature,
}

/// The `fcr` aggregate.
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CountUdaf(Fcr {
        signature: signature(FORMS),
    }))
}

impl ClassCount for Fcr {
    fn name(&self) -> &'static str {
        "fcr"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn check_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce(SYNTAX, arg_types, FORMS)
    }

    fn classes(&self) -> &'static [&'static str] {
        &["unresolved", "resolved"]
    }

    fn classify(&self, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
        let seq = int64(&args[0])?;
        let Some(resolved) = args[1].as_boolean_opt() else {
            return internal_err!("{SYNTAX}: resolved is {}", args[1].data_type());
        };
        // 1 + resolved, minus the 1 again below: one table-driven pass.
        let resolved = UInt8Array::new(
            one_plus_bits(resolved.values()).into(),
            resolved.nulls().cloned(),
        );
        let resolved = &resolved;
        // Only rows counted are checked: a row whose `resolved` is NULL or
        // that FILTER removed is never an error.
        let checked = datafusion::arrow::compute::kernels::nullif::nullif(
            &seq,
            &datafusion::arrow::compute::is_null(resolved)?,
        )?;
        let checked = counted(checked.as_primitive::<Int64Type>(), filter)?;
        if let Some(bad) = datafusion::arrow::compute::min(&checked).filter(|v: &i64| *v < 1) {
            return exec_err!("{SYNTAX}: contact_seq {bad} is outside the domain 1 and up");
        }
        // Class 0 (not counted) for repeat contacts, 1 unresolved, 2 resolved.
        let classes: UInt8Array = binary(&seq, resolved, |s, r| if s == 1 { r } else { 0 })?;
        Ok(with_filter(classes, filter))
    }

    fn evaluate(&self, counts: &[u64]) -> Option<f64> {
        percent(counts[1], counts[0] + counts[1])
    }

    fn documentation(&self) -> &Documentation {
        static DOC: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION,
                "First contact resolution in percent: of the first contacts of tickets \
                 (contact_seq = 1), 100 x those resolved / all. Repeat contacts and rows with a NULL \
                 argument are not counted; NULL when no first contact is counted. contact_seq < 1 is \
                 an error.",
                SYNTAX,
            )
            .with_argument("contact_seq", "Integer: 1 for the first contact of a ticket, 2 for the next, ...")
            .with_argument("resolved", "Boolean: this contact resolved the ticket.")
            .with_sql_example(
                "SELECT fcr(contact_seq, resolved) FROM (VALUES (1, true), (1, false), (2, true), (1, true)) AS t(contact_seq, resolved);\n-- 66.66666666666667: two of the three first contacts resolved their ticket; the repeat contact is not counted",
            )
            .build()
        });
        &DOC
    }
}
