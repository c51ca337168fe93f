//! Lakes as other tools write them (issue 25).

mod delta;
