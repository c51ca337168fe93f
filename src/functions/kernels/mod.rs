//! The two vectorised kernels every KPI function is built on.

pub mod count;
pub mod ratio;
