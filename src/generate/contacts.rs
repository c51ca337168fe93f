//! One month's contacts: tickets with their repeat contacts, each contact
//! abandoned or handled by an agent on duty, and the transactional survey a
//! handled contact may get (drawn from the same stream, right after it).
//!
//! Everything here draws from the month's `Contacts` stream in a fixed
//! order; the output is byte-identical for a seed only as long as the order
//! of draws is kept, so a change that adds or moves a draw changes the lake.

use chrono::Datelike;

use super::GenerateError;
use super::agent_states::AgentDays;
use super::arrow_err;
use super::columns::{CHUNK, ID_WIDTH, InteractionCols};
use super::plan::{DAY_US, HOUR_US, MonthPlan, US};
use super::profile::{
    BUSINESS_CLOSE_H, BUSINESS_OPEN_H, CHANNELS, HOLIDAY_FACTOR, HOLIDAYS, MAX_CONTACTS, PHONE,
    PRIORITIES, Profile, TEAMS,
};
use super::rng::{Rng, Stream, cumulative};
use super::surveys::{Rated, Surveys};
use super::world::World;
use super::writer::PartWriter;
use crate::lake::schema::Table;

/// The identity and timing of one contact to generate.
#[derive(Debug, Clone, Copy)]
struct Contact {
    gidx: u64,
    ticket: u64,
    seq: i32,
    customer: u64,
    team: usize,
    channel: usize,
    priority: Option<usize>,
    created: i64,
    /// When the ticket's first contact was created.
    opened: i64,
}

/// How a handled contact went, drawn before its timing.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    resolved: bool,
    escalated: bool,
    /// Handle seconds, whole.
    handle: f64,
}

/// Generates one month's contacts and their transactional surveys; keeps
/// per agent-day handle totals for the agent states.
pub(crate) struct ContactGen<'a> {
    world: &'a World,
    plan: &'a MonthPlan,
    profile: &'a Profile,
    rng: Rng,
    /// Bot decisions and conversations: a stream of their own.
    bots: Rng,
    /// Per channel: cumulative weights of the month's days.
    day_cum: Vec<Vec<u64>>,
    rows: InteractionCols,
    surveys: Surveys<'a>,
    agent_days: AgentDays,
}

impl<'a> ContactGen<'a> {
    pub(crate) fn new(world: &'a World, plan: &'a MonthPlan) -> ContactGen<'a> {
        let holiday: Vec<f64> = (0..plan.days)
            .map(|d| {
                let date = plan.first_day + chrono::Days::new(u64::from(d));
                if HOLIDAYS.contains(&(date.month(), date.day())) {
                    HOLIDAY_FACTOR
                } else {
                    1.0
                }
            })
            .collect();
        // 1970-01-01 was a Thursday: day + 3 counts from a Monday.
        let day_cum = world
            .profile
            .channels
            .iter()
            .map(|ch| {
                let weights: Vec<f64> = holiday
                    .iter()
                    .enumerate()
                    .map(|(d, h)| {
                        h * ch.weekday[(plan.epoch_day + d as i64 + 3).rem_euclid(7) as usize]
                    })
                    .collect();
                cumulative(&weights)
            })
            .collect();
        let chunk = CHUNK
            .min(usize::try_from(plan.rows).unwrap_or(CHUNK))
            .max(1);
        ContactGen {
            world,
            plan,
            profile: &world.profile,
            rng: Rng::stream(world.seed, plan.index, Stream::Contacts),
            bots: Rng::stream(world.seed, plan.index, Stream::Bots),
            day_cum,
            rows: InteractionCols::new(chunk),
            surveys: Surveys::new(world, chunk / 4 + 16),
            agent_days: AgentDays::new(world, plan),
        }
    }

    /// The surveys not yet written (relationship answers are added to
    /// them) and the agent-day totals the agent states are built from.
    pub(crate) fn finish(self) -> (Surveys<'a>, AgentDays) {
        (self.surveys, self.agent_days)
    }

    /// Writes the month's `plan.rows` contacts: a ticket's contacts follow
    /// one another until it is resolved, the customer gives up, the month
    /// ends or the month's share of rows is used up.
    pub(crate) fn run(
        &mut self,
        interactions: &mut PartWriter,
        surveys: &mut PartWriter,
    ) -> Result<(), GenerateError> {
        let profile = self.profile;
        let rows = self.plan.rows;
        let mut produced = 0u64;
        while produced < rows {
            let team = self.rng.pick(&profile.team_cum);
            let tt = &profile.teams[team];
            let customer = self.pick_customer();
            let mut channel = self.rng.pick(&tt.channel_cum);
            let priority = if self.rng.chance(profile.channels[channel].priority_null) {
                None
            } else {
                Some(self.rng.pick(&tt.priority_cum))
            };
            let ticket = self.plan.offset + produced;
            let mut created = self.contact_time(channel);
            let opened = created;
            let mut seq = 1;
            // A bot answers first, perhaps; the person it hands over to
            // keeps the channel.
            let mut bot = self.bots.chance(profile.bot_share[channel]);
            loop {
                let contact = Contact {
                    gidx: self.plan.offset + produced,
                    ticket,
                    seq,
                    customer,
                    team,
                    channel,
                    priority,
                    created,
                    opened,
                };
                let next = if bot {
                    self.bot(&contact, surveys)?
                } else {
                    self.contact(&contact, surveys)?
                };
                produced += 1;
                if self.rows.len >= CHUNK {
                    self.flush_rows(interactions)?;
                }
                match next {
                    Some(t) if produced < rows && t < self.plan.end_us && seq < MAX_CONTACTS => {
                        created = t;
                        seq += 1;
                        if bot {
                            bot = false;
                        } else if !self.rng.chance(profile.same_channel) {
                            channel = self.rng.pick(&tt.channel_cum);
                        }
                    }
                    _ => break,
                }
            }
        }
        if self.rows.len > 0 {
            self.flush_rows(interactions)?;
        }
        Ok(())
    }

    fn pick_customer(&mut self) -> u64 {
        let n = self.world.customers;
        if self.rng.chance(self.profile.frequent_customer) {
            self.rng.below((n / 20).max(1))
        } else {
            self.rng.below(n)
        }
    }

    /// A time in the month following the channel's weekday and hour-of-day
    /// profile and the month's holidays.
    fn contact_time(&mut self, channel: usize) -> i64 {
        let day = self.rng.pick(&self.day_cum[channel]) as i64;
        let hour = self.rng.pick(&self.profile.channels[channel].hours_cum) as i64;
        let within = self.rng.below(HOUR_US as u64) as i64;
        self.plan.start_us + day * DAY_US + hour * HOUR_US + within
    }

    fn flush_rows(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let batch = self.rows.finish().map_err(arrow_err(Table::Interactions))?;
        out.write(&batch)
    }

    /// Writes one contact; returns when the customer comes back, if they do.
    fn contact(
        &mut self,
        c: &Contact,
        surveys: &mut PartWriter,
    ) -> Result<Option<i64>, GenerateError> {
        self.push_identity(c);
        let ch = &self.profile.channels[c.channel];
        if ch.abandon > 0 && self.rng.chance(ch.abandon) {
            return Ok(self.abandoned(c));
        }
        self.handled(c, surveys)
    }

    /// The columns every contact has, abandoned or not.
    fn push_identity(&mut self, c: &Contact) {
        let r = &mut self.rows;
        r.interaction_id.push_id(b'i', ID_WIDTH, c.gidx);
        r.ticket_id.push_id(b't', ID_WIDTH, c.ticket);
        r.contact_seq.push(c.seq);
        r.customer_id
            .push_id(b'c', self.world.customer_width, c.customer);
        self.world.experience.contact(c.customer, self.plan.index);
        r.team.push(TEAMS[c.team].name);
        r.channel.push(CHANNELS[c.channel].name);
        r.priority.push_opt(c.priority.map(|p| PRIORITIES[p]));
        r.created_at.push(c.created);
        r.ticket_created_at.push(c.opened);
        r.len += 1;
    }

    /// A bot took the contact: no agent, no queue, no agent response, no
    /// handle time. It resolves the ticket by the team's odds (a topic a
    /// bot knows well), and a resolved ticket may get a CSAT survey. Returns
    /// when a person takes over, if the bot hands the ticket on.
    fn bot(&mut self, c: &Contact, surveys: &mut PartWriter) -> Result<Option<i64>, GenerateError> {
        self.push_identity(c);
        let profile = self.profile;
        let length = self
            .bots
            .lognormal(&profile.normal, profile.bot_mu, 0.6)
            .round()
            .max(20.0);
        let ended = (c.created + length as i64 * US).min(self.plan.end_us - US);
        let resolved = self.bots.chance(profile.bot_contain[c.team]);
        let r = &mut self.rows;
        r.agent_id.push_null();
        r.first_response_at.push_null();
        r.ended_at.push(ended);
        r.resolved_at.push_opt(resolved.then_some(ended));
        r.wait_seconds.push_null();
        r.hold_seconds.push_null();
        r.handle_seconds.push_null();
        r.resolved.push(resolved);
        r.escalated.push(false);
        r.abandoned.push(false);
        r.bot.push(true);
        if resolved {
            if self.bots.next() < profile.channels[c.channel].survey[0] {
                let rated = Rated {
                    gidx: c.gidx,
                    ticket: c.ticket,
                    customer: c.customer,
                    team: c.team,
                    ended,
                    resolved,
                    escalated: false,
                    month: self.plan.index,
                };
                self.surveys
                    .transactional(&mut self.bots, 0, &rated, surveys)?;
            }
            return Ok(None);
        }
        if self.bots.chance(profile.bot_handoff) {
            return Ok(Some(ended + (5 + self.bots.below(55)) as i64 * US));
        }
        Ok(None)
    }

    /// The customer left the queue: no agent, no response. Returns when
    /// they try again, if they do.
    fn abandoned(&mut self, c: &Contact) -> Option<i64> {
        let profile = self.profile;
        let ch = &profile.channels[c.channel];
        let table = &profile.normal;
        let wait = self
            .rng
            .lognormal(table, ch.abandon_wait_mu, 0.7)
            .round()
            .max(5.0);
        let ended = c.created + wait as i64 * US;
        let r = &mut self.rows;
        r.agent_id.push_null();
        r.first_response_at.push_null();
        r.ended_at.push(ended);
        r.resolved_at.push_null();
        r.wait_seconds.push(wait);
        r.hold_seconds.push_null();
        r.handle_seconds.push_null();
        r.resolved.push(false);
        r.escalated.push(false);
        r.abandoned.push(true);
        r.bot.push(false);
        if self.rng.chance(profile.retry) {
            let gap = self
                .rng
                .lognormal(table, profile.retry_gap_mu, 1.0)
                .max(30.0);
            return Some(ended + gap as i64 * US);
        }
        None
    }

    /// An agent took the contact: outcome, reply time, hold, the agent, a
    /// survey perhaps. Returns when the customer follows up on an
    /// unresolved ticket, if they do.
    fn handled(
        &mut self,
        c: &Contact,
        surveys: &mut PartWriter,
    ) -> Result<Option<i64>, GenerateError> {
        let profile = self.profile;
        let outcome = self.outcome(c);
        let handle_us = outcome.handle as i64 * US;
        let (wait, response) = self.reply(c, handle_us);
        let ended = response + handle_us;
        let hold = self.hold(c, outcome.handle);
        let agent = self.book_agent(c.team, response, outcome.handle);

        let r = &mut self.rows;
        r.agent_id
            .push_id(b'a', self.world.agent_width, u64::from(agent));
        r.first_response_at.push(response);
        r.ended_at.push(ended);
        r.resolved_at.push_opt(outcome.resolved.then_some(ended));
        r.wait_seconds.push(wait);
        r.hold_seconds.push_opt(hold);
        r.handle_seconds.push(outcome.handle);
        r.resolved.push(outcome.resolved);
        r.escalated.push(outcome.escalated);
        r.abandoned.push(false);
        r.bot.push(false);
        if outcome.escalated || (c.seq == 1 && !outcome.resolved) {
            self.world.experience.bad(c.customer, self.plan.index);
        }

        let x = self.rng.next();
        if let Some(kind) = profile.channels[c.channel]
            .survey
            .iter()
            .position(|&t| x < t)
        {
            let rated = Rated {
                gidx: c.gidx,
                ticket: c.ticket,
                customer: c.customer,
                team: c.team,
                ended,
                resolved: outcome.resolved,
                escalated: outcome.escalated,
                month: self.plan.index,
            };
            self.surveys
                .transactional(&mut self.rng, kind, &rated, surveys)?;
        }

        if !outcome.resolved && self.rng.chance(profile.follow_up) {
            let gap = self
                .rng
                .lognormal(&profile.normal, profile.follow_up_gap_mu, 0.9)
                .max(1800.0);
            return Ok(Some(ended + gap as i64 * US));
        }
        Ok(None)
    }

    /// Resolved, escalated and handle time, by the team and channel's odds
    /// (a repeat contact resolves more often; an escalation takes longer).
    fn outcome(&mut self, c: &Contact) -> Outcome {
        let profile = self.profile;
        let cell = &profile.teams[c.team].cells[c.channel];
        let resolve = if c.seq == 1 {
            cell.resolve_first
        } else {
            cell.resolve_repeat
        };
        let resolved = self.rng.chance(resolve);
        let escalated = self.rng.chance(if resolved {
            profile.escalate_resolved
        } else {
            profile.escalate_unresolved
        });
        let mut handle_mu = cell.handle_mu;
        if escalated {
            handle_mu += profile.escalated_handle_shift;
        }
        let handle = self
            .rng
            .lognormal(&profile.normal, handle_mu, CHANNELS[c.channel].handle_sigma)
            .round()
            .max(20.0);
        Outcome {
            resolved,
            escalated,
            handle,
        }
    }

    /// Wait seconds and first-response time of a contact handled for
    /// `handle_us`: by the channel's wait profile for the priority, in
    /// business hours for async channels, and early enough that the work
    /// ends inside the month.
    fn reply(&mut self, c: &Contact, handle_us: i64) -> (f64, i64) {
        let profile = self.profile;
        let wait_mu = profile.channels[c.channel].wait_mu[c.priority.unwrap_or(4)];
        let spec = &CHANNELS[c.channel];
        let mut wait = self
            .rng
            .lognormal(&profile.normal, wait_mu, spec.wait_sigma)
            .round()
            .max(if spec.live { 0.0 } else { 60.0 });
        let mut response = c.created + wait as i64 * US;
        if !spec.live {
            // Async channels are answered in business hours: a reply due
            // at night goes out the next morning.
            let time_of_day = (response - self.plan.start_us).rem_euclid(DAY_US);
            let open = BUSINESS_OPEN_H * HOUR_US;
            if time_of_day < open || time_of_day >= BUSINESS_CLOSE_H * HOUR_US {
                let mut morning = response - time_of_day + open;
                if time_of_day >= open {
                    morning += DAY_US;
                }
                let target = morning + self.rng.below(2 * HOUR_US as u64) as i64;
                wait = ((target - c.created) / US) as f64;
                response = c.created + wait as i64 * US;
            }
        }
        // The agent's work stays inside the month: a reply that would end
        // after it is pulled forward.
        if response + handle_us >= self.plan.end_us {
            let latest = self.plan.end_us - handle_us - US;
            wait = ((latest - c.created) / US).max(0) as f64;
            response = c.created + wait as i64 * US;
        }
        (wait, response)
    }

    /// Hold seconds: phone only, often none, never more than 60% of the
    /// handle time. NULL for the other channels.
    fn hold(&mut self, c: &Contact, handle: f64) -> Option<f64> {
        let profile = self.profile;
        if c.channel != PHONE {
            return None;
        }
        Some(if self.rng.chance(profile.no_hold) {
            0.0
        } else {
            self.rng
                .lognormal(&profile.normal, profile.hold_mu, 0.7)
                .round()
                .min((handle * 0.6).floor())
        })
    }

    /// Picks the agent of `team` who answers at `response` and books the
    /// handle time on their day.
    fn book_agent(&mut self, team: usize, response: i64, handle: f64) -> u32 {
        let day = ((response - self.plan.start_us) / DAY_US) as usize;
        let hour = (response - self.plan.start_us).rem_euclid(DAY_US) / HOUR_US;
        let agent = self.pick_agent(team, day, hour);
        // A month has fewer than 2^32 seconds.
        let since_start = ((response - self.plan.start_us) / US) as u32;
        self.agent_days.book(agent, day, handle as u32, since_start);
        agent
    }

    /// An agent of `team` on duty on day `day` of the month, preferring the
    /// early shift before noon and the late shift from 14:00.
    fn pick_agent(&mut self, team: usize, day: usize, hour: i64) -> u32 {
        let (lo, hi) = self.world.team_agents.get(team).copied().unwrap_or((0, 1));
        let n = u64::from(hi - lo);
        let late = match hour {
            h if h < 12 => Some(false),
            h if h >= 14 => Some(true),
            _ => None,
        };
        // Rejection sampling keeps the choice uniform over matching agents.
        for strict in [true, false] {
            for _ in 0..64 {
                let a = lo + self.rng.below(n) as u32;
                let on_duty = self.agent_days.on_duty(a, day);
                if on_duty && (!strict || late.is_none_or(|l| ((a - lo) % 2 == 1) == l)) {
                    return a;
                }
            }
        }
        lo + self.rng.below(n) as u32
    }
}
