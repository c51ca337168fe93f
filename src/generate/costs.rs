//! The `costs` table: one row per team and month plus one shared row per
//! month, sized from each team's headcount. It is small, so it is built as
//! one batch after the months are written.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, Decimal128Array, RecordBatch};
use datafusion::arrow::error::ArrowError;

use super::columns::{StrCol, write_schema};
use super::plan::MonthPlan;
use super::profile::{SHARED_COST_FIXED_EUR, SHARED_COST_PER_AGENT_EUR, TEAM_OVERHEAD, TEAMS};
use super::rng::{Rng, Stream};
use super::world::World;
use crate::lake::schema::Table;

/// Builds the `costs` rows (one per team and month, plus one shared row per
/// month) as one batch.
pub(crate) fn cost_batch(world: &World, plans: &[MonthPlan]) -> Result<RecordBatch, ArrowError> {
    let rows = plans.len() * (TEAMS.len() + 1);
    let mut month = Vec::with_capacity(rows);
    let mut team = StrCol::new(rows, 10);
    let mut amount = Vec::with_capacity(rows);
    let mut currency = StrCol::new(rows, 3);
    let cents = |eur: f64| (eur * 100.0).round() as i128;
    for plan in plans {
        let mut rng = Rng::stream(world.seed, plan.index, Stream::Costs);
        let day = i32::try_from(plan.epoch_day)
            .map_err(|_| ArrowError::ComputeError("month out of Date32 range".into()))?;
        for (t, spec) in TEAMS.iter().enumerate() {
            let noise = 1.0 + 0.06 * (rng.unit() - 0.5);
            let eur =
                f64::from(world.team_size(t)) * spec.agent_cost_eur * (1.0 + TEAM_OVERHEAD) * noise;
            month.push(day);
            team.push(spec.name);
            amount.push(cents(eur));
            currency.push("EUR");
        }
        let noise = 1.0 + 0.1 * (rng.unit() - 0.5);
        let eur =
            (SHARED_COST_FIXED_EUR + SHARED_COST_PER_AGENT_EUR * world.agents() as f64) * noise;
        month.push(day);
        team.push_null();
        amount.push(cents(eur));
        currency.push("EUR");
    }
    let amount = Decimal128Array::from(amount).with_precision_and_scale(18, 2)?;
    RecordBatch::try_new(
        write_schema(Table::Costs),
        vec![
            Arc::new(Date32Array::from(month)),
            team.finish()?,
            Arc::new(amount),
            currency.finish()?,
        ],
    )
}
