//! The two vectorised kernels every KPI function is built on, and the
//! `FILTER` rule they share.
//!
//! Kernels are the lowest part of `functions/`: the functions and
//! `common.rs` use them, and they use nothing of either, so what a kernel
//! needs lives here.

pub mod count;
pub mod ratio;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::prep_null_mask_filter;

/// The validity of `mask`: valid where it is true (NULL counts as false,
/// as a `FILTER (WHERE ...)` treats it).
pub fn keep_where(mask: &BooleanArray) -> NullBuffer {
    match mask.nulls() {
        Some(_) => NullBuffer::new(prep_null_mask_filter(mask).values().clone()),
        None => NullBuffer::new(mask.values().clone()),
    }
}

/// The rows an aggregate counts: valid values (`nulls`) where `filter`
/// (its `FILTER (WHERE ...)`) is true; None when all of them.
pub fn counted(nulls: Option<&NullBuffer>, filter: Option<&BooleanArray>) -> Option<NullBuffer> {
    let keep = filter.map(keep_where);
    NullBuffer::union(nulls, keep.as_ref())
}

/// Integer types an aggregate widens to BIGINT (and the NULL type).
pub fn widens_to_bigint(t: &datafusion::arrow::datatypes::DataType) -> bool {
    use datafusion::arrow::datatypes::DataType::*;
    matches!(
        t,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | Null
    )
}
