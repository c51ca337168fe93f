//! The `customers` table: the customer base, with a segment, the date each
//! became a customer and the date some of them left, built after the months
//! from what each customer went through ([`Experience`]), so customers churn
//! more after a bad experience, as retention analysis expects.
//!
//! - segment: consumer 60 %, business 25 %, enterprise 10 %, none 5 %;
//! - since: one to 1095 days before the run starts (every contact is from
//!   a customer);
//! - churned_at: only in a month after the customer's last contact; each
//!   such month a customer leaves with probability 1.5 %, or 9.5 % within
//!   three months of a bad experience (escalated, a first contact not
//!   resolved, a CSAT answer of 1-2), on a random day of that month.
//!   Months from the 33rd on are not tracked: no bad experience there.
//!
//! From a random stream of its own: the other tables do not change.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, RecordBatch};
use datafusion::arrow::error::ArrowError;

use super::columns::{StrCol, write_schema};
use super::plan::MonthPlan;
use super::rng::{Rng, Stream, cumulative, threshold};
use super::world::World;
use crate::lake::schema::Table;

const SEGMENTS: [Option<&str>; 4] = [Some("consumer"), Some("business"), Some("enterprise"), None];
const SEGMENT_WEIGHTS: [f64; 4] = [60.0, 25.0, 10.0, 5.0];
/// Monthly churn of a customer with no recent bad experience.
const CHURN: f64 = 0.015;
/// Monthly churn within three months of a bad experience.
const CHURN_AFTER_BAD: f64 = 0.095;
/// Customers per random stream (streams are cut in blocks, so the table
/// does not depend on anything but the seed).
const BLOCK: u64 = 1 << 16;

/// The customers of the run.
pub(crate) fn batch(world: &World, plans: &[MonthPlan]) -> Result<RecordBatch, ArrowError> {
    let n = world.customers as usize;
    let segments = cumulative(&SEGMENT_WEIGHTS);
    let (calm, shaken) = (threshold(CHURN), threshold(CHURN_AFTER_BAD));
    let start_day = plans[0].epoch_day as i32;
    let mut id = StrCol::new(n, world.customer_width + 1);
    let mut segment = StrCol::new(n, 10);
    let mut since = Vec::with_capacity(n);
    let mut churned = Vec::with_capacity(n);
    let mut rng = Rng::stream(world.seed, 0, Stream::Customers);
    for c in 0..world.customers {
        if c % BLOCK == 0 {
            rng = Rng::stream(world.seed, (c / BLOCK) as u32, Stream::Customers);
        }
        id.push_id(b'c', world.customer_width, c);
        segment.push_opt(SEGMENTS[rng.pick(&segments)]);
        since.push(start_day - 1 - rng.below(1095) as i32);
        let (contacts, bad) = world.experience.of(c);
        let first = if contacts == 0 {
            0
        } else {
            32 - contacts.leading_zeros() as usize
        };
        let mut left = None;
        for (m, plan) in plans.iter().enumerate().skip(first) {
            // Bad experience in one of the three months before m.
            let recent =
                m > 0 && m <= 32 && (bad >> m.saturating_sub(3)) & (0b111 >> (3 - m.min(3))) != 0;
            if rng.chance(if recent { shaken } else { calm }) {
                left = Some(plan.epoch_day as i32 + rng.below(u64::from(plan.days)) as i32);
                break;
            }
        }
        churned.push(left);
    }
    RecordBatch::try_new(
        write_schema(Table::Customers),
        vec![
            id.finish()?,
            segment.finish()?,
            Arc::new(Date32Array::from(since)),
            Arc::new(Date32Array::from(churned)),
        ],
    )
}
