//! `abandonment_rate(abandoned)`: % of rows with `abandoned` true.

use super::kpi::Kpi;

/// The share of contacts abandoned before reaching an agent.
pub fn kpi() -> Kpi {
    Kpi::share_of_true(
        "abandonment_rate",
        "abandoned",
        "abandoned before reaching an agent",
    )
}
