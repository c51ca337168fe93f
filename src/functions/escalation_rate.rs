//! `escalation_rate(escalated)`: % of rows with `escalated` true.

use super::kpi::Kpi;

/// The share of contacts escalated to a higher support tier.
pub fn kpi() -> Kpi {
    Kpi::share_of_true(
        "escalation_rate",
        "escalated",
        "escalated to a higher support tier",
    )
}
