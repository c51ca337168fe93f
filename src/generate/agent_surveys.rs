//! The `agent_surveys` table: a monthly pulse survey of every agent, eSAT
//! (1-5) and eNPS (0-10), built as one batch after the months (like
//! `costs`), from a random stream of its own so the other tables do not
//! change.
//!
//! Each agent answers in a month with probability [`ESAT_RATE`] (eSAT) and
//! [`ENPS_RATE`] (eNPS). A mood 1-5 is drawn from the team's weights
//! ([`MOOD`]: technical and social care, the teams with the lowest CSAT,
//! are the least happy); the eSAT answer is the mood, the eNPS answer
//! `2·mood − 1` give or take 2 (clamped to 0-10), so the two agree as they
//! do in real pulse surveys.

use std::sync::Arc;

use datafusion::arrow::array::{Int32Array, RecordBatch, TimestampMicrosecondArray};
use datafusion::arrow::error::ArrowError;

use super::columns::{SURVEY_ID_WIDTH, StrCol, write_schema};
use super::plan::{DAY_US, MonthPlan, US};
use super::profile::TEAMS;
use super::rng::{Rng, Stream, cumulative, threshold};
use super::world::World;
use crate::lake::schema::Table;

/// Share of agents answering the eSAT question in a month.
const ESAT_RATE: f64 = 0.7;
/// Share of agents answering the eNPS question in a month.
const ENPS_RATE: f64 = 0.6;
/// Mood weights (1..5) per team, in `TEAMS` order.
const MOOD: [[f64; 5]; 6] = [
    [3.0, 7.0, 20.0, 40.0, 30.0],   // billing
    [9.0, 16.0, 27.0, 31.0, 17.0],  // technical
    [2.0, 5.0, 18.0, 42.0, 33.0],   // onboarding
    [5.0, 10.0, 25.0, 38.0, 22.0],  // returns
    [4.0, 8.0, 22.0, 40.0, 26.0],   // enterprise
    [11.0, 18.0, 30.0, 27.0, 14.0], // social_care
];
/// eNPS spread around 2·mood − 1: −2..+2.
const SPREAD: [f64; 5] = [1.0, 2.0, 3.0, 2.0, 1.0];

/// The answers of every month of `plans`.
pub(crate) fn batch(world: &World, plans: &[MonthPlan]) -> Result<RecordBatch, ArrowError> {
    let moods: Vec<Vec<u64>> = MOOD.iter().map(|w| cumulative(w)).collect();
    let spread = cumulative(&SPREAD);
    let (esat, enps) = (threshold(ESAT_RATE), threshold(ENPS_RATE));
    let rows = plans.len() * world.agents() * 2;
    let mut id = StrCol::new(rows, SURVEY_ID_WIDTH + 1);
    let mut agent = StrCol::new(rows, world.agent_width + 1);
    let mut team = StrCol::new(rows, 10);
    let mut kind = StrCol::new(rows, 4);
    let mut score = Vec::with_capacity(rows);
    let mut at = Vec::with_capacity(rows);
    let mut n = 0u64;
    for plan in plans {
        let mut rng = Rng::stream(world.seed, plan.index, Stream::AgentSurveys);
        for a in 0..world.agents() {
            let t = usize::from(world.agent_team[a]).min(TEAMS.len() - 1);
            let mood = 1 + rng.pick(&moods[t]) as i32;
            for (k, rate) in [("esat", esat), ("enps", enps)] {
                if !rng.chance(rate) {
                    continue;
                }
                let value = if k == "esat" {
                    mood
                } else {
                    (2 * mood - 1 + rng.pick(&spread) as i32 - 2).clamp(0, 10)
                };
                // A whole second on some day of the month.
                let offset = rng.below(u64::from(plan.days) * (DAY_US / US) as u64) as i64;
                n += 1;
                id.push_id(b'e', SURVEY_ID_WIDTH, n);
                agent.push_id(b'a', world.agent_width, a as u64);
                team.push(TEAMS[t].name);
                kind.push(k);
                score.push(value);
                at.push(plan.start_us + offset * US);
            }
        }
    }
    let rows = score.len();
    let mut comment = StrCol::new(rows, 0);
    for _ in 0..rows {
        comment.push_null();
    }
    RecordBatch::try_new(
        write_schema(Table::AgentSurveys),
        vec![
            id.finish()?,
            agent.finish()?,
            team.finish()?,
            kind.finish()?,
            Arc::new(Int32Array::from(score)),
            Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC")),
            comment.finish()?,
        ],
    )
}
