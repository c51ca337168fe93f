//! `utilization(state, seconds)`: agent time spent handling contacts.

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::common::Result;

use super::common::handling_share;
use super::kernels::ratio::Terms;
use super::kpi::Kpi;

/// Time handling contacts as a share of time logged in.
pub fn kpi() -> Kpi {
    Kpi::time_share(
        "utilization",
        "Utilization in percent: 100 x seconds in handling / all logged-in seconds (every \
         state counts).",
        terms,
        "SELECT utilization(state, seconds) FROM (VALUES ('handling', 300.0), \
         ('available', 100.0), ('break', 100.0)) AS t(state, seconds);\n\
         -- 60.0: 300 of the 500 logged-in seconds",
        &["occupancy"],
    )
}

/// Every logged-in second counts, whatever the state.
fn terms(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms> {
    handling_share(syntax, args, filter, None)
}
