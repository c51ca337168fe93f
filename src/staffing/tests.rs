//! Erlang C against a published example, an exact textbook reference, and
//! by property.

use proptest::prelude::*;

use super::*;

/// An exact fraction, for the textbook formula on small cases.
#[derive(Clone, Copy, Debug)]
struct Q(i128, i128);

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

impl Q {
    fn new(n: i128, d: i128) -> Q {
        let g = gcd(n, d).max(1);
        let s = if d < 0 { -1 } else { 1 };
        Q(s * n / g, s * d / g)
    }
    fn add(self, o: Q) -> Q {
        Q::new(self.0 * o.1 + o.0 * self.1, self.1 * o.1)
    }
    fn mul(self, o: Q) -> Q {
        Q::new(self.0 * o.0, self.1 * o.1)
    }
    fn div(self, o: Q) -> Q {
        Q::new(self.0 * o.1, self.1 * o.0)
    }
    fn f64(self) -> f64 {
        self.0 as f64 / self.1 as f64
    }
}

/// The textbook Erlang C, exactly:
/// (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)).
fn textbook_c(a: Q, n: i128) -> f64 {
    let mut term = Q::new(1, 1); // A^k / k!
    let mut sum = Q::new(0, 1);
    for k in 0..n {
        sum = sum.add(term);
        term = term.mul(a).div(Q::new(k + 1, 1));
    }
    let last = term
        .mul(Q::new(n, 1))
        .div(Q::new(n, 1).add(Q::new(-a.0, a.1)));
    last.div(sum.add(last)).f64()
}

#[test]
fn the_call_centre_helper_worked_example() {
    // Call Centre Helper, "Erlang C formula made simple": 100 calls in 30
    // minutes, 3-minute handle time: A = 100 × 180 / 1800 = 10 Erlangs.
    // With 11 agents the probability of waiting is 68.21 %; for 80 % of
    // calls answered in 20 seconds it takes 14 agents (13 give 79.56 %).
    let a = load(100.0, 1800.0, 180.0);
    assert_eq!(a, 10.0);
    assert!((erlang_c(11, a).expect("11 > 10") - 0.6821).abs() < 5e-5);
    assert!((service_level(13, a, 180.0, 20.0) - 79.56).abs() < 5e-3);
    assert_eq!(agents(a, 180.0, 20.0, 80.0, 100.0), Some(14));
    // ASA with 14 agents: 0.174132 × 180 / 4 = 7.836 s (exact reference
    // below).
    assert!((asa(14, a, 180.0).expect("14 > 10") - 7.8359).abs() < 1e-3);
}

/// The textbook formula in f64, term by term (A^k / k! from powers and
/// factorials): accurate to about 1e-15 for these sizes, and computed
/// without the recursion under test.
fn textbook_c_f64(a: f64, n: u64) -> f64 {
    let factorial = |k: u64| (1..=k).map(|i| i as f64).product::<f64>();
    let sum: f64 = (0..n).map(|k| a.powi(k as i32) / factorial(k)).sum();
    let last = a.powi(n as i32) / factorial(n) * n as f64 / (n as f64 - a);
    last / (sum + last)
}

#[test]
fn equals_the_exact_textbook_formula_on_small_cases() {
    // Exactly, in fractions, where i128 holds every term.
    for (num, den, agents) in [(1, 2, 1..6), (5, 2, 3..9), (7, 3, 3..8), (10, 1, 11..16)] {
        let a = Q::new(num, den);
        for n in agents {
            let exact = textbook_c(a, n);
            let ours = erlang_c(n as u64, a.f64()).expect("n > a");
            assert!(
                ((ours - exact) / exact).abs() < 1e-13,
                "A = {num}/{den}, N = {n}: {ours} against {exact}"
            );
        }
    }
    // Larger loads against the textbook formula in f64.
    for a in [9.5f64, 33.25, 48.0, 60.5] {
        let first = a.floor() as u64 + 1;
        for n in first..first + 15 {
            let reference = textbook_c_f64(a, n);
            let ours = erlang_c(n, a).expect("n > a");
            assert!(
                ((ours - reference) / reference).abs() < 1e-11,
                "A = {a}, N = {n}: {ours} against {reference}"
            );
        }
    }
}

#[test]
fn too_few_agents_and_no_load() {
    // N <= A: the queue never empties.
    assert_eq!(erlang_c(10, 10.0), None);
    assert_eq!(service_level(5, 10.0, 180.0, 20.0), 0.0);
    assert_eq!(asa(10, 10.0, 180.0), None);
    // No load: everyone is answered at once, nobody is needed.
    assert_eq!(service_level(1, 0.0, 180.0, 20.0), 100.0);
    assert_eq!(asa(1, 0.0, 180.0), Some(0.0));
    assert_eq!(agents(0.0, 180.0, 20.0, 80.0, 85.0), Some(0));
    // An occupancy cap: 80/20 alone needs 14 agents for A = 10 (above), but
    // they would be 10/14 = 71.4 % busy; with a 70 % cap it takes 15 (66.7 %).
    assert_eq!(agents(10.0, 180.0, 20.0, 80.0, 70.0), Some(15));
}

#[test]
fn large_centres_stay_finite() {
    // Hundreds to thousands of Erlangs: no overflow, no NaN.
    for a in [300.0, 950.5, 4000.0] {
        let n = agents(a, 300.0, 20.0, 80.0, 100.0).expect("found");
        assert!((n as f64) > a && (n as f64) < a * 1.2, "{a}: {n}");
        let sl = service_level(n, a, 300.0, 20.0);
        assert!(sl.is_finite() && sl >= 80.0, "{a}: {sl}");
        assert!(service_level(n - 1, a, 300.0, 20.0) < 80.0);
        assert!(asa(n, a, 300.0).expect("n > a").is_finite());
    }
}

proptest! {
    #[test]
    fn service_level_rises_with_agents(a in 0.1f64..400.0, aht in 10.0f64..900.0, t in 0.0f64..120.0) {
        let first = a.floor() as u64 + 1;
        let mut last = -1.0;
        for n in first..first + 30 {
            let sl = service_level(n, a, aht, t);
            prop_assert!((0.0..=100.0).contains(&sl));
            prop_assert!(sl >= last - 1e-9, "n = {n}: {sl} < {last}");
            last = sl;
        }
    }

    #[test]
    fn agents_needed_rise_with_contacts_and_handle_time(
        contacts in 1.0f64..2000.0,
        more in 0.0f64..500.0,
        aht in 30.0f64..900.0,
        longer in 0.0f64..300.0,
        target in 50.0f64..99.0,
    ) {
        let needed = |c: f64, h: f64| agents(load(c, 3600.0, h), h, 20.0, target, 100.0).expect("found");
        prop_assert!(needed(contacts + more, aht) >= needed(contacts, aht));
        // The same contacts handled longer: the load grows, the waits too.
        prop_assert!(needed(contacts, aht + longer) >= needed(contacts, aht));
    }
}
