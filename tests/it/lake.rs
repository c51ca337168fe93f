//! Lakes as other tools write them (issue 25).

mod delta;
pub(crate) mod own;
