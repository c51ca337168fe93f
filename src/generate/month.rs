//! One month of the lake: its interactions and transactional surveys
//! (streamed in chunks), then its relationship surveys and agent states.
//!
//! A month depends only on the run's [`World`], its [`MonthPlan`] and its
//! own random streams, so months can be generated in any order on any number
//! of threads and still produce the same bytes.

use std::path::Path;

use super::GenerateError;
use super::agent_states::write_agent_states;
use super::contacts::ContactGen;
use super::plan::MonthPlan;
use super::world::World;
use super::writer::{PartWriter, Written};
use crate::lake::schema::Table;

/// Rows written for one month, per table.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MonthOutput {
    pub interactions: Written,
    pub surveys: Written,
    pub agent_states: Written,
}

/// Generates month `plan` into `root/<table>/month=YYYY-MM/`.
pub(crate) fn run_month(
    world: &World,
    plan: &MonthPlan,
    root: &Path,
) -> Result<MonthOutput, GenerateError> {
    let folder = plan.folder();
    let writer =
        |t: Table| PartWriter::create(root.join(t.name()).join(&folder), t, world.compression);
    let mut interactions = writer(Table::Interactions)?;
    let mut surveys = writer(Table::Surveys)?;
    let mut states = writer(Table::AgentStates)?;

    let mut contacts = ContactGen::new(world, plan);
    contacts.run(&mut interactions, &mut surveys)?;
    let (mut answers, agent_days) = contacts.finish();
    answers.relationship(plan, &mut surveys)?;
    answers.finish(&mut surveys)?;
    write_agent_states(world, plan, &agent_days, &mut states)?;

    Ok(MonthOutput {
        interactions: interactions.finish()?,
        surveys: surveys.finish()?,
        agent_states: states.finish()?,
    })
}
