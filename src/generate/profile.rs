//! The shape of the synthetic contact centre: teams, channels, priorities,
//! daily and weekly rhythms, and survey answer distributions.
//!
//! The `*_SPEC` constants are the knobs, in human units (shares, seconds,
//! probabilities); [`Profile::new`] compiles them once into the threshold
//! tables the hot loop draws from. To add a team, add a [`TeamSpec`] row to
//! [`TEAMS`] (shares are normalised, so they need not sum to one).

use super::rng::{cumulative, normal_table, threshold};

/// Index of the `phone` channel in [`CHANNELS`].
pub(crate) const PHONE: usize = 0;

/// A contact channel and how contacts on it behave.
#[derive(Debug)]
pub(crate) struct ChannelSpec {
    pub name: &'static str,
    /// Synchronous (the customer waits in a queue and may hang up); async
    /// channels are answered within business hours.
    pub live: bool,
    /// Median and log-sd of the wait before the first response, seconds.
    pub wait_median_s: f64,
    pub wait_sigma: f64,
    /// Share of contacts abandoned in the queue, and their median wait.
    pub abandon_p: f64,
    pub abandon_wait_median_s: f64,
    /// Median and log-sd of the handle time, seconds (before team factor).
    pub handle_median_s: f64,
    pub handle_sigma: f64,
    /// Factor on the team's first-contact resolution rate.
    pub fcr_factor: f64,
    /// Probability that a handled contact gets a csat / nps / ces survey
    /// (mutually exclusive).
    pub survey_p: [f64; 3],
    /// Share of contacts without a priority.
    pub priority_null_p: f64,
    /// Relative volume by weekday, Monday first: live channels follow
    /// office weeks, social media is busiest at the weekend.
    pub weekday: [f64; 7],
}

pub(crate) const CHANNELS: [ChannelSpec; 5] = [
    ChannelSpec {
        name: "phone",
        live: true,
        wait_median_s: 40.0,
        wait_sigma: 0.9,
        abandon_p: 0.055,
        abandon_wait_median_s: 75.0,
        handle_median_s: 300.0,
        handle_sigma: 0.5,
        fcr_factor: 1.04,
        survey_p: [0.16, 0.07, 0.05],
        priority_null_p: 0.0,
        weekday: [1.22, 1.12, 1.06, 1.03, 0.97, 0.36, 0.24],
    },
    ChannelSpec {
        name: "chat",
        live: true,
        wait_median_s: 30.0,
        wait_sigma: 0.9,
        abandon_p: 0.035,
        abandon_wait_median_s: 60.0,
        handle_median_s: 420.0,
        handle_sigma: 0.5,
        fcr_factor: 1.0,
        survey_p: [0.25, 0.06, 0.06],
        priority_null_p: 0.0,
        weekday: [1.16, 1.10, 1.05, 1.02, 0.98, 0.48, 0.36],
    },
    ChannelSpec {
        name: "email",
        live: false,
        wait_median_s: 4.0 * 3600.0,
        wait_sigma: 0.8,
        abandon_p: 0.0,
        abandon_wait_median_s: 0.0,
        handle_median_s: 300.0,
        handle_sigma: 0.6,
        fcr_factor: 0.93,
        survey_p: [0.18, 0.07, 0.04],
        priority_null_p: 0.02,
        weekday: [1.20, 1.08, 1.02, 1.00, 0.95, 0.55, 0.45],
    },
    ChannelSpec {
        name: "messaging",
        live: false,
        wait_median_s: 15.0 * 60.0,
        wait_sigma: 1.0,
        abandon_p: 0.0,
        abandon_wait_median_s: 0.0,
        handle_median_s: 360.0,
        handle_sigma: 0.6,
        fcr_factor: 0.98,
        survey_p: [0.22, 0.06, 0.05],
        priority_null_p: 0.05,
        weekday: [1.05, 1.02, 1.00, 1.00, 1.02, 0.80, 0.70],
    },
    ChannelSpec {
        name: "social",
        live: false,
        wait_median_s: 2.0 * 3600.0,
        wait_sigma: 0.9,
        abandon_p: 0.0,
        abandon_wait_median_s: 0.0,
        handle_median_s: 240.0,
        handle_sigma: 0.6,
        fcr_factor: 0.9,
        survey_p: [0.12, 0.05, 0.03],
        priority_null_p: 0.35,
        weekday: [0.90, 0.92, 0.94, 0.96, 1.02, 1.18, 1.12],
    },
];

/// A support team and how it performs.
#[derive(Debug)]
pub(crate) struct TeamSpec {
    pub name: &'static str,
    /// Relative share of tickets.
    pub share: f64,
    /// Probability that a first contact resolves the ticket (before the
    /// channel factor).
    pub fcr: f64,
    /// Factor on channel handle times.
    pub handle_factor: f64,
    /// Tilts survey answers: > 0 towards high scores, < 0 towards low.
    pub score_bias: f64,
    /// Fully loaded monthly cost of one agent, EUR.
    pub agent_cost_eur: f64,
    /// Relative mix of phone, chat, email, messaging, social.
    pub channel_mix: [f64; 5],
    /// Relative mix of low, normal, high, urgent.
    pub priority_mix: [f64; 4],
}

pub(crate) const TEAMS: [TeamSpec; 6] = [
    TeamSpec {
        name: "billing",
        share: 0.24,
        fcr: 0.78,
        handle_factor: 0.9,
        score_bias: 0.15,
        agent_cost_eur: 4300.0,
        channel_mix: [0.45, 0.25, 0.20, 0.08, 0.02],
        priority_mix: [0.25, 0.55, 0.15, 0.05],
    },
    TeamSpec {
        name: "technical",
        share: 0.22,
        fcr: 0.63,
        handle_factor: 1.35,
        score_bias: -0.2,
        agent_cost_eur: 5200.0,
        channel_mix: [0.40, 0.30, 0.22, 0.06, 0.02],
        priority_mix: [0.15, 0.50, 0.25, 0.10],
    },
    TeamSpec {
        name: "onboarding",
        share: 0.14,
        fcr: 0.75,
        handle_factor: 1.15,
        score_bias: 0.3,
        agent_cost_eur: 4600.0,
        channel_mix: [0.35, 0.35, 0.20, 0.08, 0.02],
        priority_mix: [0.30, 0.55, 0.12, 0.03],
    },
    TeamSpec {
        name: "returns",
        share: 0.16,
        fcr: 0.73,
        handle_factor: 0.85,
        score_bias: -0.05,
        agent_cost_eur: 3900.0,
        channel_mix: [0.30, 0.30, 0.25, 0.10, 0.05],
        priority_mix: [0.30, 0.55, 0.12, 0.03],
    },
    TeamSpec {
        name: "enterprise",
        share: 0.10,
        fcr: 0.67,
        handle_factor: 1.4,
        score_bias: 0.05,
        agent_cost_eur: 6400.0,
        channel_mix: [0.55, 0.10, 0.30, 0.05, 0.0],
        priority_mix: [0.10, 0.45, 0.30, 0.15],
    },
    TeamSpec {
        name: "social_care",
        share: 0.14,
        fcr: 0.76,
        handle_factor: 0.8,
        score_bias: 0.0,
        agent_cost_eur: 3800.0,
        channel_mix: [0.0, 0.05, 0.05, 0.40, 0.50],
        priority_mix: [0.35, 0.50, 0.12, 0.03],
    },
];

pub(crate) const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// Share of a channel's tickets that a bot answers first, in [`CHANNELS`]
/// order (phone: voice self-service; email and social: no bot).
pub(crate) const BOT_SHARE: [f64; 5] = [0.08, 0.40, 0.0, 0.35, 0.0];
/// Share of a team's bot-first tickets the bot resolves alone, in [`TEAMS`]
/// order: bots do well on billing and returns questions, badly on
/// technical and enterprise ones.
pub(crate) const BOT_CONTAIN: [f64; 6] = [0.55, 0.18, 0.45, 0.62, 0.10, 0.35];
/// Of the bot-first tickets the bot does not resolve, the share handed to
/// a person; the other customers leave the bot unresolved.
pub(crate) const BOT_HANDOFF_P: f64 = 0.85;
/// Median length of a bot conversation, seconds.
pub(crate) const BOT_MEDIAN_S: f64 = 150.0;

/// Factor on the queue wait by priority.
const PRIORITY_WAIT_FACTOR: [f64; 4] = [1.3, 1.0, 0.7, 0.45];

/// Handle hours an agent works in a month: sizes the agent pool (about 5.5
/// hours a day on 21-22 working days, which is 900-1500 contacts depending
/// on the team's handle times).
pub(crate) const HANDLING_HOURS_PER_AGENT_MONTH: f64 = 118.0;
/// Smallest team.
pub(crate) const MIN_AGENTS_PER_TEAM: u64 = 3;

/// Probability that a contact is escalated, by whether it resolved.
pub(crate) const ESCALATION_P_RESOLVED: f64 = 0.03;
pub(crate) const ESCALATION_P_UNRESOLVED: f64 = 0.2;
/// Handle-time factor of an escalated contact.
pub(crate) const ESCALATION_HANDLE_FACTOR: f64 = 1.3;
/// Resolution rate of repeat contacts (before the channel factor).
pub(crate) const REPEAT_RESOLVE_P: f64 = 0.82;
/// Probability of coming back after an unresolved / abandoned contact, and
/// the median gap in seconds (log-sd 0.9 / 1.0).
pub(crate) const FOLLOW_UP_P: f64 = 0.88;
pub(crate) const FOLLOW_UP_GAP_MEDIAN_S: f64 = 20.0 * 3600.0;
pub(crate) const RETRY_P: f64 = 0.75;
pub(crate) const RETRY_GAP_MEDIAN_S: f64 = 15.0 * 60.0;
/// Probability that a repeat contact uses the same channel.
pub(crate) const SAME_CHANNEL_P: f64 = 0.7;
/// A ticket has at most this many contacts.
pub(crate) const MAX_CONTACTS: i32 = 8;
/// Probability that a phone contact had no hold.
pub(crate) const NO_HOLD_P: f64 = 0.45;
pub(crate) const HOLD_MEDIAN_S: f64 = 60.0;
/// Share of contacts from a small set of frequent contacters (the first 5% of
/// customers).
pub(crate) const FREQUENT_CUSTOMER_P: f64 = 0.2;
/// Share of customers answering a relationship NPS survey each month.
pub(crate) const RELATIONSHIP_SURVEY_RATE: f64 = 0.03;
/// Probability that a survey answer carries a comment.
pub(crate) const COMMENT_P: f64 = 0.2;
/// Median and log-sd of the delay between a contact's end and its survey.
pub(crate) const SURVEY_DELAY_MEDIAN_S: f64 = 2.0 * 3600.0;
pub(crate) const SURVEY_DELAY_SIGMA: f64 = 1.2;
/// Async channels answer between these hours (UTC).
pub(crate) const BUSINESS_OPEN_H: i64 = 7;
pub(crate) const BUSINESS_CLOSE_H: i64 = 21;

/// Relative contact volume by hour of day (UTC) for live and async channels.
const HOURS_LIVE: [f64; 24] = [
    0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 2.0, 4.5, 6.5, 7.5, 7.2, 6.0, 6.3, 7.0, 6.8, 6.0, 5.0, 3.8,
    3.0, 2.4, 1.8, 1.0, 0.6,
];
const HOURS_ASYNC: [f64; 24] = [
    0.8, 0.6, 0.5, 0.4, 0.4, 0.6, 1.2, 2.5, 4.5, 5.5, 6.0, 5.8, 5.2, 5.4, 5.6, 5.5, 5.2, 4.8, 4.4,
    4.2, 4.0, 3.5, 2.5, 1.5,
];
/// Relative number of agents on duty by weekday, Monday first: flatter than
/// the channels' weekday volume because repeat contacts spill over into
/// the weekend.
pub(crate) const STAFFING: [f64; 7] = [1.2, 1.1, 1.07, 1.05, 1.02, 0.63, 0.42];
/// Relative volume by calendar month (January first), per day; in permille
/// so month shares are computed in exact integer arithmetic.
pub(crate) const SEASON_PERMILLE: [u64; 12] = [
    1080, 980, 1020, 970, 960, 930, 920, 950, 1000, 1020, 1060, 1110,
];
/// Growth of contact volume per year (the customer base grows), so the
/// same month a year apart differs, as year-over-year reports expect.
pub(crate) const GROWTH_PER_YEAR: f64 = 0.12;
/// Public holidays (month, day) on which the contact centre is quiet, and
/// their volume relative to the weekday's usual one.
pub(crate) const HOLIDAYS: [(u32, u32); 7] = [
    (1, 1),
    (1, 6),
    (5, 1),
    (12, 24),
    (12, 25),
    (12, 26),
    (12, 31),
];
pub(crate) const HOLIDAY_FACTOR: f64 = 0.3;
/// Shared (not team) cost per month: a fixed part and a part per agent, EUR.
pub(crate) const SHARED_COST_FIXED_EUR: f64 = 8000.0;
pub(crate) const SHARED_COST_PER_AGENT_EUR: f64 = 60.0;
/// Team overhead on top of agent cost (supervision, seats).
pub(crate) const TEAM_OVERHEAD: f64 = 0.12;

/// Survey kinds, in the order used by `ChannelSpec::survey_p`.
pub(crate) const KINDS: [&str; 3] = ["csat", "nps", "ces"];
/// Lowest score of each kind.
pub(crate) const KIND_MIN: [i32; 3] = [1, 0, 1];

/// Score weights by outcome: resolved, resolved+escalated, unresolved,
/// unresolved+escalated (lowest score first).
const CSAT_W: [[f64; 5]; 4] = [
    [2.0, 3.0, 8.0, 30.0, 57.0],
    [4.0, 6.0, 15.0, 35.0, 40.0],
    [15.0, 18.0, 27.0, 25.0, 15.0],
    [25.0, 22.0, 25.0, 18.0, 10.0],
];
const NPS_W: [[f64; 11]; 4] = [
    [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 8.0, 16.0, 28.0, 35.0],
    [2.0, 1.0, 2.0, 2.0, 3.0, 5.0, 6.0, 12.0, 20.0, 25.0, 22.0],
    [6.0, 5.0, 6.0, 7.0, 8.0, 10.0, 10.0, 14.0, 13.0, 11.0, 10.0],
    [9.0, 7.0, 8.0, 9.0, 9.0, 10.0, 10.0, 12.0, 10.0, 8.0, 8.0],
];
const CES_W: [[f64; 7]; 4] = [
    [2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 30.0],
    [4.0, 6.0, 8.0, 14.0, 22.0, 26.0, 20.0],
    [12.0, 14.0, 16.0, 18.0, 16.0, 14.0, 10.0],
    [16.0, 16.0, 18.0, 17.0, 14.0, 11.0, 8.0],
];
/// Relationship NPS (not tied to a contact).
const RELATIONSHIP_NPS_W: [f64; 11] = [4.0, 3.0, 3.0, 4.0, 5.0, 8.0, 9.0, 15.0, 17.0, 17.0, 15.0];

pub(crate) const COMMENTS_POSITIVE: [&str; 5] = [
    "Quick and friendly",
    "Solved on the first try",
    "Very helpful agent",
    "Great service, thanks",
    "Clear explanation",
];
pub(crate) const COMMENTS_NEUTRAL: [&str; 4] = [
    "OK",
    "Took a while but fine",
    "Had to explain twice",
    "Average experience",
];
pub(crate) const COMMENTS_NEGATIVE: [&str; 5] = [
    "Still not fixed",
    "Waited far too long",
    "Transferred too many times",
    "Nobody called back",
    "Had to repeat my issue",
];

/// Per team × channel draws.
#[derive(Debug)]
pub(crate) struct Cell {
    /// log of the median handle time.
    pub handle_mu: f64,
    pub resolve_first: u64,
    pub resolve_repeat: u64,
}

/// Per team tables.
#[derive(Debug)]
pub(crate) struct TeamTables {
    pub channel_cum: Vec<u64>,
    pub priority_cum: Vec<u64>,
    pub cells: Vec<Cell>,
    /// `scores[kind][outcome]`: cumulative tables over the kind's scores.
    pub scores: [[Vec<u64>; 4]; 3],
}

/// Per channel tables.
#[derive(Debug)]
pub(crate) struct ChannelTables {
    pub abandon: u64,
    pub abandon_wait_mu: f64,
    /// log of the median wait, by priority (index 4: no priority).
    pub wait_mu: [f64; 5],
    pub priority_null: u64,
    /// Cumulative survey thresholds: `x < survey[k]` picks kind `k`.
    pub survey: [u64; 3],
    pub hours_cum: Vec<u64>,
    /// Relative volume by weekday, Monday first.
    pub weekday: [f64; 7],
}

/// Everything the hot loop draws from, compiled once per run.
#[derive(Debug)]
pub(crate) struct Profile {
    pub normal: Vec<f64>,
    pub team_cum: Vec<u64>,
    pub teams: Vec<TeamTables>,
    pub channels: Vec<ChannelTables>,
    pub relationship_nps_cum: Vec<u64>,
    pub escalate_resolved: u64,
    pub escalate_unresolved: u64,
    pub follow_up: u64,
    pub retry: u64,
    pub same_channel: u64,
    pub no_hold: u64,
    pub frequent_customer: u64,
    pub comment: u64,
    pub follow_up_gap_mu: f64,
    pub retry_gap_mu: f64,
    pub hold_mu: f64,
    pub survey_delay_mu: f64,
    pub escalated_handle_shift: f64,
    /// By channel: a ticket starts with a bot.
    pub bot_share: [u64; 5],
    /// By team: the bot resolves a bot-first ticket alone.
    pub bot_contain: [u64; 6],
    pub bot_handoff: u64,
    pub bot_mu: f64,
}

/// Tilts score weights towards high (`bias > 0`) or low scores.
fn tilted(weights: &[f64], bias: f64) -> Vec<u64> {
    let last = weights.len().saturating_sub(1).max(1) as f64;
    let w: Vec<f64> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| w * (bias * (2.0 * i as f64 / last - 1.0)).exp())
        .collect();
    cumulative(&w)
}

impl Profile {
    pub(crate) fn new() -> Profile {
        let teams = TEAMS
            .iter()
            .map(|t| TeamTables {
                channel_cum: cumulative(&t.channel_mix),
                priority_cum: cumulative(&t.priority_mix),
                cells: CHANNELS
                    .iter()
                    .map(|c| Cell {
                        handle_mu: (c.handle_median_s * t.handle_factor).ln(),
                        resolve_first: threshold(t.fcr * c.fcr_factor),
                        resolve_repeat: threshold(REPEAT_RESOLVE_P * c.fcr_factor),
                    })
                    .collect(),
                scores: [
                    CSAT_W.map(|w| tilted(&w, t.score_bias)),
                    NPS_W.map(|w| tilted(&w, t.score_bias)),
                    CES_W.map(|w| tilted(&w, t.score_bias)),
                ],
            })
            .collect();
        let channels = CHANNELS
            .iter()
            .map(|c| {
                let mut wait_mu = [c.wait_median_s.ln(); 5];
                for (mu, f) in wait_mu.iter_mut().zip(PRIORITY_WAIT_FACTOR) {
                    *mu += f.ln();
                }
                let [csat, nps, ces] = c.survey_p;
                ChannelTables {
                    abandon: threshold(c.abandon_p),
                    abandon_wait_mu: c.abandon_wait_median_s.max(1.0).ln(),
                    wait_mu,
                    priority_null: threshold(c.priority_null_p),
                    survey: [
                        threshold(csat),
                        threshold(csat + nps),
                        threshold(csat + nps + ces),
                    ],
                    hours_cum: cumulative(if c.live { &HOURS_LIVE } else { &HOURS_ASYNC }),
                    weekday: c.weekday,
                }
            })
            .collect();
        let shares: Vec<f64> = TEAMS.iter().map(|t| t.share).collect();
        Profile {
            normal: normal_table(),
            team_cum: cumulative(&shares),
            teams,
            channels,
            relationship_nps_cum: cumulative(&RELATIONSHIP_NPS_W),
            escalate_resolved: threshold(ESCALATION_P_RESOLVED),
            escalate_unresolved: threshold(ESCALATION_P_UNRESOLVED),
            follow_up: threshold(FOLLOW_UP_P),
            retry: threshold(RETRY_P),
            same_channel: threshold(SAME_CHANNEL_P),
            no_hold: threshold(NO_HOLD_P),
            frequent_customer: threshold(FREQUENT_CUSTOMER_P),
            comment: threshold(COMMENT_P),
            follow_up_gap_mu: FOLLOW_UP_GAP_MEDIAN_S.ln(),
            retry_gap_mu: RETRY_GAP_MEDIAN_S.ln(),
            hold_mu: HOLD_MEDIAN_S.ln(),
            survey_delay_mu: SURVEY_DELAY_MEDIAN_S.ln(),
            escalated_handle_shift: ESCALATION_HANDLE_FACTOR.ln(),
            bot_share: BOT_SHARE.map(threshold),
            bot_contain: BOT_CONTAIN.map(threshold),
            bot_handoff: threshold(BOT_HANDOFF_P),
            bot_mu: BOT_MEDIAN_S.ln(),
        }
    }
}

/// Picks a comment matching the sentiment of `score` of kind `kind`.
pub(crate) fn comment_for(kind: usize, score: i32, pick: u64) -> &'static str {
    let (lo, hi) = match kind {
        0 => (1, 5),
        1 => (0, 10),
        _ => (1, 7),
    };
    let pos = f64::from(score - lo) / f64::from(hi - lo);
    let list: &[&'static str] = if pos >= 0.7 {
        &COMMENTS_POSITIVE
    } else if pos <= 0.35 {
        &COMMENTS_NEGATIVE
    } else {
        &COMMENTS_NEUTRAL
    };
    list[(pick % list.len() as u64) as usize]
}
