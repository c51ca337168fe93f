//! What every month shares: the customer base and the agents of each team,
//! with the roster that says who works which day.

use datafusion::parquet::basic::Compression;

use super::columns::digits;
use super::plan::MonthPlan;
use super::profile::{
    CHANNELS, HANDLING_HOURS_PER_AGENT_MONTH, MIN_AGENTS_PER_TEAM, Profile, STAFFING, TEAMS,
};

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
    /// Per customer, the months (below 32) with a contact and with a bad
    /// experience, for the `customers` table's churn.
    pub experience: Experience,
}

/// What each customer went through, month by month: bit `m` of the low
/// half is "a contact in month m", of the high half "a bad experience in
/// month m" (escalated, a first contact not resolved, a CSAT answer of
/// 1-2). Months from 32 on are not tracked. Written by every month's
/// thread at once, so atomic; 8 bytes per customer.
#[derive(Debug)]
pub(crate) struct Experience(Vec<std::sync::atomic::AtomicU64>);

impl Experience {
    fn mark(&self, customer: u64, month: u32, bit: u64) {
        if month < 32
            && let Some(cell) = self.0.get(customer as usize)
        {
            cell.fetch_or(bit << month, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The customer had a contact in `month`.
    pub(crate) fn contact(&self, customer: u64, month: u32) {
        self.mark(customer, month, 1);
    }

    /// The customer had a bad experience in `month`.
    pub(crate) fn bad(&self, customer: u64, month: u32) {
        self.mark(customer, month, 1 << 32);
    }

    /// (months with a contact, months with a bad experience) as bit sets.
    pub(crate) fn of(&self, customer: u64) -> (u32, u32) {
        let v = self.0[customer as usize].load(std::sync::atomic::Ordering::Relaxed);
        (v as u32, (v >> 32) as u32)
    }
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
            experience: Experience(
                (0..customers)
                    .map(|_| std::sync::atomic::AtomicU64::new(0))
                    .collect(),
            ),
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
