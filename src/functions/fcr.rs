//! `fcr(contact_seq, resolved)`: first contact resolution.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, UInt8Array};
use datafusion::arrow::compute::binary;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::{Result, exec_err, internal_err};

use super::common::{Arg, int64, one_plus_bits};
use super::kernels::count::{ClassCount, counted, with_filter};
use super::kpi::{Doc, Kernel, Kpi};

/// First contact resolution: of first contacts, the share resolved.
pub fn kpi() -> Kpi {
    Kpi {
        name: "fcr",
        forms: vec![vec![
            ("contact_seq", Arg::Integer),
            ("resolved", Arg::Boolean),
        ]],
        kernel: Kernel::Count(ClassCount::yes_or_no(&["unresolved", "resolved"], classify)),
        doc: Doc {
            description: "First contact resolution in percent: of the first contacts of \
                          tickets (contact_seq = 1), 100 x those resolved / all. Repeat \
                          contacts and rows with a NULL argument are not counted; NULL when no \
                          first contact is counted. contact_seq < 1 is an error."
                .into(),
            arguments: vec![
                (
                    "contact_seq",
                    "Integer: 1 for the first contact of a ticket, 2 for the next, ...".into(),
                ),
                (
                    "resolved",
                    "Boolean: this contact resolved the ticket.".into(),
                ),
            ],
            example: "SELECT fcr(contact_seq, resolved) FROM (VALUES (1, true), (1, false), \
                      (2, true), (1, true)) AS t(contact_seq, resolved);\n\
                      -- 66.66666666666667: two of the three first contacts resolved their \
                      ticket; the repeat contact is not counted"
                .into(),
            related: &[],
        },
    }
}

/// Class 1 for an unresolved first contact, 2 for a resolved one; repeat
/// contacts are not counted (class 0).
fn classify(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<UInt8Array> {
    let seq = int64(&args[0])?;
    let Some(resolved) = args[1].as_boolean_opt() else {
        return internal_err!("{syntax}: resolved is {}", args[1].data_type());
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
        return exec_err!("{syntax}: contact_seq {bad} is outside the domain 1 and up");
    }
    // Class 0 (not counted) for repeat contacts, 1 unresolved, 2 resolved.
    let classes: UInt8Array = binary(&seq, resolved, |s, r| if s == 1 { r } else { 0 })?;
    Ok(with_filter(classes, filter))
}
