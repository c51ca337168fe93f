//! Erlang C staffing (DESIGN §2 "Staffing"): the queueing model every
//! workforce-management tool uses, as plain functions ([`service_level`],
//! [`asa`], [`agents`]) and as vectorised SQL functions ([`functions`]).
//!
//! The offered load is `A = contacts × aht / interval` Erlangs. The
//! probability that a contact waits, with `N > A` agents, is
//! `C = N·B / (N − A·(1 − B))` where `B` is Erlang B, computed by the
//! recursion `B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))`: no factorials and
//! no powers, so it stays exact to a few ulps for thousands of agents and
//! loads in the hundreds of Erlangs. Then
//! - service level (share answered within `t` seconds) = `1 − C·e^{−(N−A)·t/aht}`;
//! - average speed of answer = `C·aht / (N − A)`.
//!
//! With `N <= A` the queue grows without bound: service level 0 and ASA
//! NULL (no finite mean), never a NaN.

pub mod functions;

/// The most agents [`agents`] will try before giving up (a load of about a
/// million Erlangs; larger inputs are an error, not a hang).
pub const MAX_AGENTS: u64 = 1_000_000;

/// Offered load in Erlangs.
pub fn load(contacts: f64, interval_seconds: f64, aht_seconds: f64) -> f64 {
    contacts * aht_seconds / interval_seconds
}

/// Erlang B with `n` agents and load `a`, by the recursion.
pub fn erlang_b(n: u64, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=n {
        b = a * b / (k as f64 + a * b);
    }
    b
}

/// Erlang C (probability of waiting) from Erlang B; `None` when `n <= a`.
fn erlang_c_from_b(n: u64, a: f64, b: f64) -> Option<f64> {
    let n = n as f64;
    if n <= a {
        return None;
    }
    Some(n * b / (n - a * (1.0 - b)))
}

/// Probability that a contact waits (0-1), `None` when `n <= a`.
pub fn erlang_c(n: u64, a: f64) -> Option<f64> {
    erlang_c_from_b(n, a, erlang_b(n, a))
}

/// Service level in percent: the expected share of contacts answered
/// within `answer_seconds`.
pub fn service_level(n: u64, a: f64, aht_seconds: f64, answer_seconds: f64) -> f64 {
    if a <= 0.0 {
        return 100.0;
    }
    match erlang_c(n, a) {
        None => 0.0,
        Some(c) => sl_from_c(c, n, a, aht_seconds, answer_seconds),
    }
}

fn sl_from_c(c: f64, n: u64, a: f64, aht_seconds: f64, answer_seconds: f64) -> f64 {
    let sl = 1.0 - c * (-(n as f64 - a) * answer_seconds / aht_seconds).exp();
    100.0 * sl.clamp(0.0, 1.0)
}

/// Average speed of answer in seconds; `None` when `n <= a`.
pub fn asa(n: u64, a: f64, aht_seconds: f64) -> Option<f64> {
    if a <= 0.0 {
        return Some(0.0);
    }
    erlang_c(n, a).map(|c| c * aht_seconds / (n as f64 - a))
}

/// The fewest agents whose service level reaches `target_pct` and whose
/// occupancy `a / n` stays at or below `max_occupancy_pct`; `None` beyond
/// [`MAX_AGENTS`]. No contacts need no agents.
pub fn agents(
    a: f64,
    aht_seconds: f64,
    answer_seconds: f64,
    target_pct: f64,
    max_occupancy_pct: f64,
) -> Option<u64> {
    if a <= 0.0 {
        return Some(0);
    }
    // Erlang B up to the first n > a, then one step per candidate.
    let mut b = 1.0;
    let mut n = 0u64;
    loop {
        n += 1;
        if n > MAX_AGENTS {
            return None;
        }
        b = a * b / (n as f64 + a * b);
        if (n as f64) <= a || 100.0 * a / n as f64 > max_occupancy_pct {
            continue;
        }
        let c = erlang_c_from_b(n, a, b)?;
        if sl_from_c(c, n, a, aht_seconds, answer_seconds) >= target_pct {
            return Some(n);
        }
    }
}

#[cfg(test)]
mod tests;
