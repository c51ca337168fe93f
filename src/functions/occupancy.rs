//! `occupancy(state, seconds)`: agent time spent handling contacts.

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::common::Result;

use super::common::handling_share;
use super::kernels::ratio::Terms;
use super::kpi::Kpi;

/// Time handling contacts as a share of time handling or available.
pub fn kpi() -> Kpi {
    Kpi::time_share(
        "occupancy",
        "Occupancy in percent: 100 x seconds in handling / seconds in handling or available. \
         Rows in other states are not counted.",
        terms,
        "SELECT occupancy(state, seconds) FROM (VALUES ('handling', 300.0), \
         ('available', 100.0), ('break', 100.0)) AS t(state, seconds);\n\
         -- 75.0: 300 of the 400 seconds handling or available",
        &["utilization"],
    )
}

/// Only time an agent could take contacts counts: breaks, lunch, meetings
/// and training do not.
fn terms(syntax: &str, args: &[ArrayRef], filter: Option<&BooleanArray>) -> Result<Terms> {
    handling_share(syntax, args, filter, Some(&["handling", "available"]))
}
