//! One month of the lake: its interactions and transactional surveys
//! (streamed in chunks), then its relationship surveys and agent states.
//!
//! A month depends only on the run's [`World`], its [`MonthPlan`] and its
//! own random streams, so months can be generated in any order on any number
//! of threads and still produce the same bytes.

use std::path::Path;

use chrono::{Datelike, Months, NaiveDate, NaiveTime};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::basic::Compression;

use super::GenerateError;
use super::columns::{InteractionCols, StateCols, StrCol, SurveyCols, digits};
use super::profile::{
    BUSINESS_CLOSE_H, BUSINESS_OPEN_H, CHANNELS, HANDLING_HOURS_PER_AGENT_MONTH, KIND_MIN, KINDS,
    MAX_CONTACTS, MIN_AGENTS_PER_TEAM, PHONE, PRIORITIES, Profile, RELATIONSHIP_SURVEY_RATE,
    SEASON_PERMILLE, STAFFING, SURVEY_DELAY_SIGMA, TEAMS, WEEKDAY_WEIGHT, comment_for,
};
use super::rng::{Rng, Stream, cumulative};
use super::writer::{PartWriter, Written};
use crate::lake::schema::Table;

const US: i64 = 1_000_000;
const HOUR_US: i64 = 3600 * US;
const DAY_US: i64 = 24 * HOUR_US;
/// Rows per Arrow batch handed to the Parquet writer.
pub(crate) const CHUNK: usize = 128 * 1024;
/// Digits of interaction, ticket and survey numbers.
const ID_WIDTH: usize = 12;
const SURVEY_ID_WIDTH: usize = 13;

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
/// length and a mild seasonal factor. Exact integer arithmetic (largest
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
        weights.push(SEASON_PERMILLE[first_day.month0() as usize] * u64::from(days));
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

/// What every month shares: the profile, the customer base and the agents.
#[derive(Debug)]
pub(crate) struct World {
    pub seed: u64,
    pub profile: Profile,
    pub compression: Compression,
    pub customers: u64,
    pub customer_width: usize,
    pub agent_width: usize,
    /// `[lo, hi)` global agent numbers of each team.
    pub team_agents: Vec<(u32, u32)>,
    /// Team of each agent.
    pub agent_team: Vec<u8>,
    /// Permille of agents on duty by weekday, Monday first.
    pub duty_permille: [u32; 7],
}

impl World {
    pub(crate) fn new(
        seed: u64,
        rows: u64,
        plans: &[MonthPlan],
        compression: Compression,
    ) -> World {
        let customers = (rows / 4).max(1);
        // Size the pool for the busiest month so no agent is overloaded.
        let busiest = plans.iter().map(|p| p.rows).max().unwrap_or(0) as f64;
        let total_share: f64 = TEAMS.iter().map(|t| t.share).sum();
        let mut team_agents = Vec::with_capacity(TEAMS.len());
        let mut agent_team = Vec::new();
        let mut next = 0u32;
        for (t, spec) in TEAMS.iter().enumerate() {
            // Size each team by its workload (handle hours), not its contact
            // count, so agents of slow teams are not overloaded.
            let mix_total: f64 = spec.channel_mix.iter().sum();
            let mean_handle_s: f64 = CHANNELS
                .iter()
                .zip(spec.channel_mix)
                .map(|(c, m)| m * c.handle_median_s * (c.handle_sigma * c.handle_sigma / 2.0).exp())
                .sum::<f64>()
                / mix_total
                * spec.handle_factor;
            let hours = busiest * spec.share / total_share * mean_handle_s / 3600.0;
            let n = ((hours / HANDLING_HOURS_PER_AGENT_MONTH).ceil() as u64)
                .max(MIN_AGENTS_PER_TEAM) as u32;
            team_agents.push((next, next + n));
            agent_team.extend(std::iter::repeat_n(t as u8, n as usize));
            next += n;
        }
        let mean = STAFFING.iter().sum::<f64>() / 7.0;
        let duty_permille =
            STAFFING.map(|w| ((w / mean * 5.0 / 7.0 * 1000.0).round() as u32).min(1000));
        World {
            seed,
            duty_permille,
            profile: Profile::new(),
            compression,
            customers,
            customer_width: digits(customers - 1).max(7),
            agent_width: digits(u64::from(next.saturating_sub(1))).max(4),
            team_agents,
            agent_team,
        }
    }

    /// Whether agent `a` works on `epoch_day`: a rotating roster. Each team
    /// has an early and a late shift group (odd and even agents); each day
    /// the next `k` agents of a group, cyclically, are on duty, with `k`
    /// following the weekday staffing level. Consecutive windows make every
    /// agent work five days a week (±1) and give each day exactly its share
    /// of agents, so workloads are even.
    pub(crate) fn on_duty(&self, a: u32, epoch_day: i64) -> bool {
        let Some(&team) = self.agent_team.get(a as usize) else {
            return false;
        };
        let (lo, hi) = self.team_agents[usize::from(team)];
        let (rel, n) = (i64::from(a - lo), i64::from(hi - lo));
        let (group, pos) = (rel % 2, rel / 2);
        let g = if group == 0 { (n + 1) / 2 } else { n / 2 };
        if g == 0 {
            return false;
        }
        let k = |w: usize| (g * i64::from(self.duty_permille[w]) + 500) / 1000;
        let k = |w: usize| k(w).clamp(1, g);
        let day = epoch_day + 3; // 1970-01-01 was a Thursday; weeks start on Monday
        let (week, weekday) = (day.div_euclid(7), day.rem_euclid(7) as usize);
        let per_week: i64 = (0..7).map(k).sum();
        let before: i64 = (0..weekday).map(k).sum();
        let offset = (week * per_week + before).rem_euclid(g);
        (pos - offset).rem_euclid(g) < k(weekday)
    }

    pub(crate) fn agents(&self) -> usize {
        self.agent_team.len()
    }

    /// Agents in team `t`.
    pub(crate) fn team_size(&self, t: usize) -> u32 {
        self.team_agents.get(t).map_or(0, |(lo, hi)| hi - lo)
    }
}

/// Rows written for one month, per table.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MonthOutput {
    pub interactions: Written,
    pub surveys: Written,
    pub agent_states: Written,
}

fn arrow_err(table: Table) -> impl FnOnce(ArrowError) -> GenerateError {
    move |source| GenerateError::Arrow { table, source }
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

    let mut g = ContactGen::new(world, plan);
    g.run(&mut interactions, &mut surveys)?;
    g.relationship_surveys(&mut surveys)?;
    if g.surveys.len > 0 {
        surveys.write(&g.surveys.finish().map_err(arrow_err(Table::Surveys))?)?;
    }
    g.agent_states(&mut states)?;

    Ok(MonthOutput {
        interactions: interactions.finish()?,
        surveys: surveys.finish()?,
        agent_states: states.finish()?,
    })
}

/// The outcome-dependent part of one handled contact, for its survey.
#[derive(Debug, Clone, Copy)]
struct Rated {
    gidx: u64,
    ticket: u64,
    customer: u64,
    team: usize,
    ended: i64,
    resolved: bool,
    escalated: bool,
}

/// Generates one month's contacts; keeps per agent-day handle totals for the
/// agent states.
struct ContactGen<'a> {
    world: &'a World,
    plan: &'a MonthPlan,
    profile: &'a Profile,
    rng: Rng,
    day_cum: Vec<u64>,
    rows: InteractionCols,
    surveys: SurveyCols,
    /// Handle seconds per agent-day (`agent * days + day`).
    handled: Vec<u32>,
    /// Earliest first response per agent-day, seconds since the month start.
    first_response: Vec<u32>,
    /// Whether the agent works that day, per agent-day.
    on_duty: Vec<bool>,
}

impl<'a> ContactGen<'a> {
    fn new(world: &'a World, plan: &'a MonthPlan) -> ContactGen<'a> {
        let day_weights: Vec<f64> = (0..i64::from(plan.days))
            .map(|d| WEEKDAY_WEIGHT[(plan.epoch_day + d + 3).rem_euclid(7) as usize])
            .collect();
        let cells = world.agents() * plan.days as usize;
        let chunk = CHUNK
            .min(usize::try_from(plan.rows).unwrap_or(CHUNK))
            .max(1);
        ContactGen {
            world,
            plan,
            profile: &world.profile,
            rng: Rng::stream(world.seed, plan.index, Stream::Contacts),
            day_cum: cumulative(&day_weights),
            rows: InteractionCols::new(chunk),
            surveys: SurveyCols::new(chunk / 4 + 16),
            handled: vec![0; cells],
            first_response: vec![u32::MAX; cells],
            on_duty: (0..world.agents() as u32)
                .flat_map(|a| {
                    (0..i64::from(plan.days)).map(move |d| world.on_duty(a, plan.epoch_day + d))
                })
                .collect(),
        }
    }

    fn pick_customer(&mut self) -> u64 {
        let n = self.world.customers;
        if self.rng.chance(self.profile.frequent_customer) {
            self.rng.below((n / 20).max(1))
        } else {
            self.rng.below(n)
        }
    }

    /// A time in the month following the weekday and hour-of-day profile.
    fn contact_time(&mut self, channel: usize) -> i64 {
        let day = self.rng.pick(&self.day_cum) as i64;
        let hour = self.rng.pick(&self.profile.channels[channel].hours_cum) as i64;
        let within = self.rng.below(HOUR_US as u64) as i64;
        self.plan.start_us + day * DAY_US + hour * HOUR_US + within
    }

    /// An agent of `team` on duty on day `day` of the month, preferring the
    /// early shift before noon and the late shift from 14:00.
    fn pick_agent(&mut self, team: usize, day: usize, hour: i64) -> u32 {
        let days = self.plan.days as usize;
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
                let on_duty = self.on_duty.get(a as usize * days + day) == Some(&true);
                if on_duty && (!strict || late.is_none_or(|l| ((a - lo) % 2 == 1) == l)) {
                    return a;
                }
            }
        }
        lo + self.rng.below(n) as u32
    }

    fn flush_rows(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let batch = self.rows.finish().map_err(arrow_err(Table::Interactions))?;
        out.write(&batch)
    }

    fn run(
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
            let mut seq = 1;
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
                };
                let next = self.contact(&contact, surveys)?;
                produced += 1;
                if self.rows.len >= CHUNK {
                    self.flush_rows(interactions)?;
                }
                match next {
                    Some(t) if produced < rows && t < self.plan.end_us && seq < MAX_CONTACTS => {
                        created = t;
                        seq += 1;
                        if !self.rng.chance(profile.same_channel) {
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

    /// Writes one contact; returns when the customer comes back, if they do.
    fn contact(
        &mut self,
        c: &Contact,
        surveys: &mut PartWriter,
    ) -> Result<Option<i64>, GenerateError> {
        let profile = self.profile;
        let ch = &profile.channels[c.channel];
        let table = &profile.normal;
        let team_name = TEAMS[c.team].name;
        let r = &mut self.rows;
        r.interaction_id.push_id(b'i', ID_WIDTH, c.gidx);
        r.ticket_id.push_id(b't', ID_WIDTH, c.ticket);
        r.contact_seq.push(c.seq);
        r.customer_id
            .push_id(b'c', self.world.customer_width, c.customer);
        r.team.push(team_name);
        r.channel.push(CHANNELS[c.channel].name);
        r.priority.push_opt(c.priority.map(|p| PRIORITIES[p]));
        r.created_at.push(c.created);
        r.len += 1;

        if ch.abandon > 0 && self.rng.chance(ch.abandon) {
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
            if self.rng.chance(profile.retry) {
                let gap = self
                    .rng
                    .lognormal(table, profile.retry_gap_mu, 1.0)
                    .max(30.0);
                return Ok(Some(ended + gap as i64 * US));
            }
            return Ok(None);
        }

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
            .lognormal(table, handle_mu, CHANNELS[c.channel].handle_sigma)
            .round()
            .max(20.0);
        let handle_us = handle as i64 * US;

        let wait_mu = ch.wait_mu[c.priority.unwrap_or(4)];
        let spec = &CHANNELS[c.channel];
        let mut wait = self
            .rng
            .lognormal(table, wait_mu, spec.wait_sigma)
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
        let ended = response + handle_us;
        let hold = if c.channel == PHONE {
            Some(if self.rng.chance(profile.no_hold) {
                0.0
            } else {
                self.rng
                    .lognormal(table, profile.hold_mu, 0.7)
                    .round()
                    .min((handle * 0.6).floor())
            })
        } else {
            None
        };

        let day = ((response - self.plan.start_us) / DAY_US) as usize;
        let hour = (response - self.plan.start_us).rem_euclid(DAY_US) / HOUR_US;
        let agent = self.pick_agent(c.team, day, hour);
        let cell_ix = agent as usize * self.plan.days as usize + day;
        if let Some(h) = self.handled.get_mut(cell_ix) {
            *h = h.saturating_add(handle as u32);
        }
        if let Some(f) = self.first_response.get_mut(cell_ix) {
            // A month has fewer than 2^32 seconds.
            *f = (*f).min(((response - self.plan.start_us) / US) as u32);
        }

        let r = &mut self.rows;
        r.agent_id
            .push_id(b'a', self.world.agent_width, u64::from(agent));
        r.first_response_at.push(response);
        r.ended_at.push(ended);
        r.resolved_at.push_opt(resolved.then_some(ended));
        r.wait_seconds.push(wait);
        r.hold_seconds.push_opt(hold);
        r.handle_seconds.push(handle);
        r.resolved.push(resolved);
        r.escalated.push(escalated);
        r.abandoned.push(false);

        let x = self.rng.next();
        if let Some(kind) = ch.survey.iter().position(|&t| x < t) {
            self.survey(
                kind,
                &Rated {
                    gidx: c.gidx,
                    ticket: c.ticket,
                    customer: c.customer,
                    team: c.team,
                    ended,
                    resolved,
                    escalated,
                },
                surveys,
            )?;
        }

        if !resolved && self.rng.chance(profile.follow_up) {
            let gap = self
                .rng
                .lognormal(table, profile.follow_up_gap_mu, 0.9)
                .max(1800.0);
            return Ok(Some(ended + gap as i64 * US));
        }
        Ok(None)
    }

    /// A transactional survey of kind `kind` on a handled contact.
    fn survey(
        &mut self,
        kind: usize,
        c: &Rated,
        out: &mut PartWriter,
    ) -> Result<(), GenerateError> {
        let profile = self.profile;
        let outcome = usize::from(!c.resolved) * 2 + usize::from(c.escalated);
        let score =
            KIND_MIN[kind] + self.rng.pick(&profile.teams[c.team].scores[kind][outcome]) as i32;
        let delay = self
            .rng
            .lognormal(&profile.normal, profile.survey_delay_mu, SURVEY_DELAY_SIGMA)
            .max(60.0);
        let comment = self.comment(kind, score);
        let s = &mut self.surveys;
        s.survey_id
            .push_id(b's', SURVEY_ID_WIDTH, c.gidx * 4 + kind as u64);
        s.interaction_id.push_id(b'i', ID_WIDTH, c.gidx);
        s.ticket_id.push_id(b't', ID_WIDTH, c.ticket);
        s.customer_id
            .push_id(b'c', self.world.customer_width, c.customer);
        s.kind.push(KINDS[kind]);
        s.score.push(score);
        s.submitted_at.push(c.ended + delay as i64 * US);
        s.comment.push_opt(comment);
        s.len += 1;
        if s.len >= CHUNK {
            self.flush_surveys(out)?;
        }
        Ok(())
    }

    fn comment(&mut self, kind: usize, score: i32) -> Option<&'static str> {
        if self.rng.chance(self.profile.comment) {
            Some(comment_for(kind, score, self.rng.next()))
        } else {
            None
        }
    }

    fn flush_surveys(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let batch = self.surveys.finish().map_err(arrow_err(Table::Surveys))?;
        out.write(&batch)
    }

    /// Relationship NPS answers from a few percent of customers, not tied to
    /// a contact. Their ids take the fourth slot (`4n + 3`) of this month's
    /// interaction numbers, which transactional surveys never use.
    fn relationship_surveys(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let plan = self.plan;
        let wanted =
            ((self.world.customers as f64 * RELATIONSHIP_SURVEY_RATE).round() as u64).max(1);
        let n = wanted.min(plan.rows);
        let mut rng = Rng::stream(self.world.seed, plan.index, Stream::Relationship);
        let profile = self.profile;
        let span = (plan.end_us - plan.start_us) as u64;
        for j in 0..n {
            let customer = rng.below(self.world.customers);
            let score = rng.pick(&profile.relationship_nps_cum) as i32;
            let submitted = plan.start_us + rng.below(span) as i64;
            let comment = rng
                .chance(profile.comment)
                .then(|| comment_for(1, score, rng.next()));
            let s = &mut self.surveys;
            s.survey_id
                .push_id(b's', SURVEY_ID_WIDTH, (plan.offset + j) * 4 + 3);
            s.interaction_id.push_null();
            s.ticket_id.push_null();
            s.customer_id
                .push_id(b'c', self.world.customer_width, customer);
            s.kind.push(KINDS[1]);
            s.score.push(score);
            s.submitted_at.push(submitted);
            s.comment.push_opt(comment);
            s.len += 1;
            if s.len >= CHUNK {
                self.flush_surveys(out)?;
            }
        }
        Ok(())
    }

    /// One logged-in shift per agent-day with handled contacts. Spans are
    /// aggregated per state and laid out back to back from the shift start
    /// (just before the day's first response); `handling` adds up to the
    /// day's handle seconds, `available` is sized for an occupancy of
    /// 76-88% and the unavailable states for a utilization of 60-74%.
    fn agent_states(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let plan = self.plan;
        let days = plan.days as usize;
        let mut rng = Rng::stream(self.world.seed, plan.index, Stream::AgentStates);
        let mut cols = StateCols::new(CHUNK);
        for (agent, &team) in self.world.agent_team.iter().enumerate() {
            let team_name = TEAMS[usize::from(team)].name;
            for day in 0..days {
                let ix = agent * days + day;
                let (Some(&h), Some(&first)) = (self.handled.get(ix), self.first_response.get(ix))
                else {
                    continue;
                };
                if h == 0 {
                    continue;
                }
                let occupancy = 0.76 + 0.12 * rng.unit();
                let utilization = 0.60 + 0.14 * rng.unit();
                let h = u64::from(h);
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
                let spans = [
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
                ];
                let lead = rng.below(15 * 60) as i64 * US;
                let first = plan.start_us + i64::from(first) * US;
                let mut t = (first - lead).div_euclid(60 * US) * 60 * US;
                for (state, secs) in spans {
                    if secs == 0 {
                        continue;
                    }
                    cols.agent_id
                        .push_id(b'a', self.world.agent_width, agent as u64);
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
}

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
}

/// Writes the `costs` rows (one per team and month, plus one shared row per
/// month) as one batch.
pub(crate) fn cost_batch(world: &World, plans: &[MonthPlan]) -> Result<RecordBatch, ArrowError> {
    use datafusion::arrow::array::{Date32Array, Decimal128Array};
    use std::sync::Arc;

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
            let eur = f64::from(world.team_size(t))
                * spec.agent_cost_eur
                * (1.0 + super::profile::TEAM_OVERHEAD)
                * noise;
            month.push(day);
            team.push(spec.name);
            amount.push(cents(eur));
            currency.push("EUR");
        }
        let noise = 1.0 + 0.1 * (rng.unit() - 0.5);
        let eur = (super::profile::SHARED_COST_FIXED_EUR
            + super::profile::SHARED_COST_PER_AGENT_EUR * world.agents() as f64)
            * noise;
        month.push(day);
        team.push_null();
        amount.push(cents(eur));
        currency.push("EUR");
    }
    let amount = Decimal128Array::from(amount).with_precision_and_scale(18, 2)?;
    RecordBatch::try_new(
        super::columns::write_schema(Table::Costs),
        vec![
            Arc::new(Date32Array::from(month)),
            team.finish()?,
            Arc::new(amount),
            currency.finish()?,
        ],
    )
}
