//! The calendar of a run: which months, how many interactions each, and the
//! time units the generator counts in (microseconds since 1970, UTC).

use chrono::{Datelike, Months, NaiveDate, NaiveTime};

use super::profile::{GROWTH_PER_YEAR, SEASON_PERMILLE};

pub(crate) const US: i64 = 1_000_000;
pub(crate) const HOUR_US: i64 = 3600 * US;
pub(crate) const DAY_US: i64 = 24 * HOUR_US;

/// One month to generate.
#[derive(Debug, Clone)]
pub(crate) struct MonthPlan {
    pub index: u32,
    pub first_day: NaiveDate,
    pub days: u32,
    pub start_us: i64,
    pub end_us: i64,
    /// Days since 1970-01-01 of `first_day`.
    pub epoch_day: i64,
    /// Interactions in this month.
    pub rows: u64,
    /// Global number of this month's first interaction.
    pub offset: u64,
}

impl MonthPlan {
    /// `month=YYYY-MM`, the month's partition folder.
    pub(crate) fn folder(&self) -> String {
        format!(
            "month={:04}-{:02}",
            self.first_day.year(),
            self.first_day.month()
        )
    }
}

/// Splits `rows` over `months` months from `start` (which must be the first
/// of a month and leave room for `months` months), weighting each by its
/// length, a mild seasonal factor and the growth since `start`
/// ([`GROWTH_PER_YEAR`], compounded monthly). The weights are rounded to
/// integers once; the split is exact integer arithmetic (largest
/// remainder), so the shares always add up to `rows`.
pub(crate) fn plan_months(start: NaiveDate, months: u32, rows: u64) -> Option<Vec<MonthPlan>> {
    let mut plans = Vec::with_capacity(months as usize);
    let mut weights = Vec::with_capacity(months as usize);
    for i in 0..months {
        let first_day = start.checked_add_months(Months::new(i))?;
        let next = first_day.checked_add_months(Months::new(1))?;
        let days = u32::try_from((next - first_day).num_days()).ok()?;
        let start_us = first_day
            .and_time(NaiveTime::MIN)
            .and_utc()
            .timestamp_micros();
        let end_us = next.and_time(NaiveTime::MIN).and_utc().timestamp_micros();
        let growth = (1.0 + GROWTH_PER_YEAR).powf(f64::from(i) / 12.0);
        let base = SEASON_PERMILLE[first_day.month0() as usize] * u64::from(days);
        // Permille of growth: integer weights, so the split stays exact.
        weights.push(base * (growth * 1000.0).round() as u64);
        plans.push(MonthPlan {
            index: i,
            first_day,
            days,
            start_us,
            end_us,
            epoch_day: start_us.div_euclid(DAY_US),
            rows: 0,
            offset: 0,
        });
    }
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let mut remainders = Vec::with_capacity(plans.len());
    let mut assigned = 0u64;
    for (i, (plan, &w)) in plans.iter_mut().zip(&weights).enumerate() {
        let exact = u128::from(rows) * u128::from(w);
        plan.rows = u64::try_from(exact / total).ok()?;
        assigned += plan.rows;
        remainders.push((exact % total, i));
    }
    // Hand the leftover rows to the largest remainders (ties: earlier month).
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take((rows - assigned) as usize) {
        plans[i].rows += 1;
    }
    let mut offset = 0;
    for plan in &mut plans {
        plan.offset = offset;
        offset += plan.rows;
    }
    Some(plans)
}
