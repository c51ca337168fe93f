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
