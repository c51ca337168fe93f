//! One month's `agent_states`: a logged-in shift for every agent-day with
//! handled contacts, built from the handle time the contacts booked on it.

use super::GenerateError;
use super::arrow_err;
use super::columns::{CHUNK, StateCols};
use super::plan::{MonthPlan, US};
use super::profile::TEAMS;
use super::rng::{Rng, Stream};
use super::world::World;
use super::writer::PartWriter;
use crate::lake::schema::Table;

/// Per agent-day bookkeeping of a month (index `agent * days + day`):
/// the roster contacts pick agents from, and the totals they leave for the
/// agent states.
#[derive(Debug)]
pub(crate) struct AgentDays {
    days: usize,
    /// Handle seconds.
    handled: Vec<u32>,
    /// Earliest first response, seconds since the month start.
    first_response: Vec<u32>,
    /// Whether the agent works that day.
    on_duty: Vec<bool>,
}

impl AgentDays {
    pub(crate) fn new(world: &World, plan: &MonthPlan) -> AgentDays {
        let cells = world.agents() * plan.days as usize;
        AgentDays {
            days: plan.days as usize,
            handled: vec![0; cells],
            first_response: vec![u32::MAX; cells],
            on_duty: (0..world.agents() as u32)
                .flat_map(|a| {
                    (0..i64::from(plan.days)).map(move |d| world.on_duty(a, plan.epoch_day + d))
                })
                .collect(),
        }
    }

    pub(crate) fn on_duty(&self, agent: u32, day: usize) -> bool {
        self.on_duty.get(agent as usize * self.days + day) == Some(&true)
    }

    /// Books a contact answered `response` seconds after the month start
    /// and handled for `handle` seconds on the agent's day.
    pub(crate) fn book(&mut self, agent: u32, day: usize, handle: u32, response: u32) {
        let ix = agent as usize * self.days + day;
        if let Some(h) = self.handled.get_mut(ix) {
            *h = h.saturating_add(handle);
        }
        if let Some(f) = self.first_response.get_mut(ix) {
            *f = (*f).min(response);
        }
    }
}

/// One logged-in shift per agent-day with handled contacts, from the
/// month's own stream. Spans are aggregated per state and laid out back to
/// back from the shift start (just before the day's first response).
pub(crate) fn write_agent_states(
    world: &World,
    plan: &MonthPlan,
    agent_days: &AgentDays,
    out: &mut PartWriter,
) -> Result<(), GenerateError> {
    let days = agent_days.days;
    let mut rng = Rng::stream(world.seed, plan.index, Stream::AgentStates);
    let mut cols = StateCols::new(CHUNK);
    for (agent, &team) in world.agent_team.iter().enumerate() {
        let team_name = TEAMS[usize::from(team)].name;
        for day in 0..days {
            let ix = agent * days + day;
            let (Some(&h), Some(&first)) = (
                agent_days.handled.get(ix),
                agent_days.first_response.get(ix),
            ) else {
                continue;
            };
            if h == 0 {
                continue;
            }
            let spans = shift_spans(u64::from(h), &mut rng);
            let lead = rng.below(15 * 60) as i64 * US;
            let first = plan.start_us + i64::from(first) * US;
            let mut t = (first - lead).div_euclid(60 * US) * 60 * US;
            for (state, secs) in spans {
                if secs == 0 {
                    continue;
                }
                cols.agent_id.push_id(b'a', world.agent_width, agent as u64);
                cols.team.push(team_name);
                cols.state.push(state);
                cols.started_at.push(t);
                cols.seconds.push(secs as f64);
                cols.len += 1;
                t += secs as i64 * US;
            }
            if cols.len >= CHUNK {
                out.write(&cols.finish().map_err(arrow_err(Table::AgentStates))?)?;
            }
        }
    }
    if cols.len > 0 {
        out.write(&cols.finish().map_err(arrow_err(Table::AgentStates))?)?;
    }
    Ok(())
}

/// The states of a shift with `handling` seconds of handle time, in
/// order (zero-length ones are skipped by the caller): `handling` adds up
/// to the day's handle seconds, `available` is sized for an occupancy of
/// 76-88% and the unavailable states for a utilization of 60-74%.
fn shift_spans(handling: u64, rng: &mut Rng) -> [(&'static str, u64); 10] {
    let occupancy = 0.76 + 0.12 * rng.unit();
    let utilization = 0.60 + 0.14 * rng.unit();
    let h = handling;
    let hf = h as f64;
    let available = (hf * (1.0 / occupancy - 1.0)).round() as u64;
    let unavailable = (hf * (1.0 / utilization - 1.0 / occupancy)).round() as u64;
    let (h1, h2) = (h * 35 / 100, h * 35 / 100);
    let (a1, a2) = (available * 30 / 100, available * 40 / 100);
    let lunch = unavailable * 40 / 100;
    let extra_state = match rng.below(100) {
        0..30 => Some("meeting"),
        30..45 => Some("training"),
        45..55 => Some("other"),
        _ => None,
    };
    let extra = if extra_state.is_some() {
        unavailable * 30 / 100
    } else {
        0
    };
    let breaks = unavailable - lunch - extra;
    let b1 = breaks / 2;
    [
        ("available", a1),
        ("handling", h1),
        ("break", b1),
        ("handling", h2),
        ("lunch", lunch),
        ("available", a2),
        ("handling", h - h1 - h2),
        (extra_state.unwrap_or("other"), extra),
        ("break", breaks - b1),
        ("available", available - a1 - a2),
    ]
}
