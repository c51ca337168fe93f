//! Seeded randomness for the generator: one independent stream per
//! (seed, month, purpose), and the few cheap distributions the hot loop needs.
//!
//! Everything here works on raw `u64` draws so that a draw costs a few
//! nanoseconds: probabilities are precomputed as `u64` thresholds, weighted
//! choices as cumulative `u64` tables, and normal variates come from a
//! precomputed quantile table with linear interpolation.

use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a stream is used for; each purpose gets its own sequence so that
/// adding draws to one table never shifts the values of another.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// Interactions and the transactional surveys that follow them.
    Contacts = 1,
    /// Relationship (not contact-bound) NPS surveys.
    Relationship = 2,
    /// Agent state spans.
    AgentStates = 3,
    /// Monthly cost rows.
    Costs = 4,
    /// The agents' monthly pulse surveys.
    AgentSurveys = 5,
    /// The customer base (in blocks of customers, not months).
    Customers = 6,
    /// Knowledge-base views.
    KnowledgeBase = 7,
    /// Which tickets a bot answers first, and how the bot does.
    Bots = 8,
}

/// One step of SplitMix64: advances `state` and returns a well-mixed word.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Converts a probability into a threshold: `next_u64() < threshold` is true
/// with that probability.
pub(crate) fn threshold(p: f64) -> u64 {
    // `as` saturates, so p >= 1 gives u64::MAX and p <= 0 gives 0.
    (p.clamp(0.0, 1.0) * 18_446_744_073_709_551_616.0) as u64
}

/// Turns weights into a cumulative threshold table for [`Rng::pick`].
pub(crate) fn cumulative(weights: &[f64]) -> Vec<u64> {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let mut out: Vec<u64> = weights
        .iter()
        .map(|w| {
            acc += w;
            threshold(acc / total)
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = u64::MAX;
    }
    out
}

/// Number of intervals of the normal quantile table.
const NORMAL_STEPS: usize = 4096;

/// Standard normal quantiles at `(i + 0.5) / (NORMAL_STEPS + 1)`, `i` in
/// `0..=NORMAL_STEPS`; sampled with linear interpolation between neighbours.
pub(crate) fn normal_table() -> Vec<f64> {
    (0..=NORMAL_STEPS)
        .map(|i| inverse_normal_cdf((i as f64 + 0.5) / (NORMAL_STEPS as f64 + 1.0)))
        .collect()
}

/// Acklam's rational approximation of the standard normal quantile
/// (relative error below 1.2e-9, far finer than the generator needs).
fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

/// A seeded generator with the draws the generator needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// The stream for `purpose` in month `month` of a run seeded with `seed`:
    /// the three are mixed through SplitMix64, which also expands the result
    /// into the 256-bit xoshiro state.
    pub(crate) fn stream(seed: u64, month: u32, purpose: Stream) -> Rng {
        let mut state = seed;
        let a = splitmix64(&mut state);
        let mut state = a ^ u64::from(month).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut state);
        let mut state = b ^ (purpose as u64).wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Rng(Xoshiro256PlusPlus::from_seed(bytes))
    }

    #[inline]
    pub(crate) fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-40 for the
    /// ranges used here). `n == 0` gives 0.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with the probability encoded by `threshold`.
    #[inline]
    pub(crate) fn chance(&mut self, threshold: u64) -> bool {
        self.next() < threshold
    }

    /// Index drawn from a cumulative table built by [`cumulative`].
    #[inline]
    pub(crate) fn pick(&mut self, cum: &[u64]) -> usize {
        let x = self.next();
        cum.iter()
            .position(|&c| x < c)
            .unwrap_or(cum.len().saturating_sub(1))
    }

    /// A standard normal variate from the quantile `table`.
    #[inline]
    pub(crate) fn normal(&mut self, table: &[f64]) -> f64 {
        let x = self.next();
        let i = (x >> 52) as usize; // 12 bits: 0..NORMAL_STEPS
        let frac = ((x >> 20) & 0xFFFF_FFFF) as f64 * (1.0 / 4_294_967_296.0);
        match (table.get(i), table.get(i + 1)) {
            (Some(a), Some(b)) => a + (b - a) * frac,
            _ => 0.0,
        }
    }

    /// `exp(mu + sigma * z)`: a log-normal variate with median `exp(mu)`.
    #[inline]
    pub(crate) fn lognormal(&mut self, table: &[f64], mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.normal(table)).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_month_and_purpose() {
        let a = Rng::stream(7, 0, Stream::Contacts).next();
        assert_ne!(a, Rng::stream(7, 1, Stream::Contacts).next());
        assert_ne!(a, Rng::stream(7, 0, Stream::Costs).next());
        assert_ne!(a, Rng::stream(8, 0, Stream::Contacts).next());
        assert_eq!(a, Rng::stream(7, 0, Stream::Contacts).next());
    }

    #[test]
    fn normal_table_is_symmetric_and_standard() {
        let t = normal_table();
        assert!((t[0] + t[NORMAL_STEPS]).abs() < 1e-9);
        assert!(t[NORMAL_STEPS / 2].abs() < 1e-3);
        let mut rng = Rng::stream(1, 0, Stream::Contacts);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = rng.normal(&t);
            s += z;
            s2 += z * z;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn pick_follows_weights() {
        let cum = cumulative(&[1.0, 3.0]);
        let mut rng = Rng::stream(3, 0, Stream::Contacts);
        let ones = (0..100_000).filter(|_| rng.pick(&cum) == 1).count();
        assert!((74_000..76_000).contains(&ones), "{ones}");
    }
}
