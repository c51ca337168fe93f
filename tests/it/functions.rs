//! Every KPI function against a naive reference computed here, on random
//! data split into random batches and partitions, grouped and not, with the
//! partial-state merge (and the skip-partial-aggregation path) exercised;
//! `second_smallest` likewise.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;

/// One random row; `None` is SQL NULL.
#[derive(Debug, Clone)]
struct Row {
    group: i64,
    nps: Option<i32>,
    csat: Option<i32>,
    ces: Option<i32>,
    seq: Option<i32>,
    resolved: Option<bool>,
    escalated: Option<bool>,
    state: Option<&'static str>,
    seconds: Option<f64>,
    elapsed: Option<f64>,
    target: Option<f64>,
    keep: bool,
}

const STATES: [&str; 5] = ["handling", "available", "break", "lunch", "other"];

/// The SLA target of the literal form, `sla_compliance(elapsed, 300)`.
const TARGET: f64 = 300.0;

/// A score, NULL half of the time, else as often one of `edges` (where a
/// class or the domain changes: an off-by-one there changes the KPI) as
/// any value of `range`.
fn score(
    edges: &'static [i32],
    range: std::ops::RangeInclusive<i32>,
) -> impl Strategy<Value = Option<i32>> {
    proptest::option::of(prop_oneof![proptest::sample::select(edges), range])
}

/// Seconds from 0 to 1000 in hundredths, a quarter of them exactly 0 (a
/// group whose counted seconds add up to 0 is NULL).
fn seconds() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        3 => (0u32..100_000).prop_map(|c| f64::from(c) / 100.0),
    ]
}

/// An SLA target: 0, a literal-like round value, or any.
fn target() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(0.5), Just(20.0), Just(TARGET), seconds()]
}

/// An elapsed time near a target on purpose: equal to it (met, the case
/// `<=` against `<` tells apart), one hundredth or one ulp either side,
/// 0, or any; each against the row's own target and against [`TARGET`].
fn elapsed(target: f64, own_target: bool, pick: usize, any: f64) -> f64 {
    let near = if own_target { target } else { TARGET };
    let value = match pick {
        0 => near,
        1 => near + 0.01,
        2 => near - 0.01,
        3 => near.next_up(),
        4 => near.next_down(),
        5 => 0.0,
        _ => any,
    };
    // Seconds are never negative (that is an error, tested in the .slt).
    value.max(0.0)
}

fn row() -> impl Strategy<Value = Row> {
    (
        (
            // A few groups with many rows, and many with one or two rows:
            // groups where a KPI counts no row at all (NULL), or where
            // FILTER removes every row.
            prop_oneof![0i64..4, 4i64..64],
            score(&[0, 6, 7, 8, 9, 10], 0..=10),
            score(&[1, 3, 4, 5], 1..=5),
            score(&[1, 7], 1..=7),
        ),
        (
            score(&[1, 2], 1..=3),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::option::of(0usize..STATES.len()),
            proptest::option::of(seconds()),
        ),
        (
            target(),
            any::<bool>(),
            0usize..8,
            seconds(),
            // Whether each SLA argument is present (not NULL).
            any::<bool>(),
            any::<bool>(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (group, nps, csat, ces),
                (seq, resolved, escalated),
                (state, seconds),
                (target, own_target, pick, any, has_elapsed, has_target),
                keep,
            )| Row {
                group,
                nps,
                csat,
                ces,
                seq,
                resolved,
                escalated,
                state: state.map(|i| STATES[i]),
                seconds,
                elapsed: has_elapsed.then(|| elapsed(target, own_target, pick, any)),
                target: has_target.then_some(target),
                keep,
            },
        )
}

/// Rows: often none or a handful (an empty table, a single row), else up
/// to a few hundred.
fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop_oneof![
        1 => proptest::collection::vec(row(), 0..4),
        3 => proptest::collection::vec(row(), 0..300),
    ]
}

/// The naive reference: each KPI straight from its definition (DESIGN §2).
#[derive(Debug, Default)]
struct Naive {
    rows: Vec<Row>,
}

fn pct(part: usize, total: usize) -> Option<f64> {
    (total > 0).then(|| 100.0 * part as f64 / total as f64)
}

impl Naive {
    fn nps(&self) -> Option<f64> {
        let scores: Vec<i32> = self.rows.iter().filter_map(|r| r.nps).collect();
        let promoters = scores.iter().filter(|s| **s >= 9).count() as f64;
        let detractors = scores.iter().filter(|s| **s <= 6).count() as f64;
        (!scores.is_empty()).then(|| 100.0 * (promoters - detractors) / scores.len() as f64)
    }

    fn csat(&self) -> Option<f64> {
        let s: Vec<i32> = self.rows.iter().filter_map(|r| r.csat).collect();
        pct(s.iter().filter(|v| **v >= 4).count(), s.len())
    }

    fn ces(&self) -> Option<f64> {
        let s: Vec<i32> = self.rows.iter().filter_map(|r| r.ces).collect();
        (!s.is_empty()).then(|| s.iter().map(|v| f64::from(*v)).sum::<f64>() / s.len() as f64)
    }

    fn fcr(&self) -> Option<f64> {
        let first: Vec<bool> = self
            .rows
            .iter()
            .filter(|r| r.seq == Some(1))
            .filter_map(|r| r.resolved)
            .collect();
        pct(first.iter().filter(|r| **r).count(), first.len())
    }

    /// Percent true of the non-NULL values of a boolean column.
    fn share_true(&self, column: impl Fn(&Row) -> Option<bool>) -> Option<f64> {
        let e: Vec<bool> = self.rows.iter().filter_map(column).collect();
        pct(e.iter().filter(|v| **v).count(), e.len())
    }

    fn spans(&self) -> Vec<(&'static str, f64)> {
        self.rows
            .iter()
            .filter_map(|r| Some((r.state?, r.seconds?)))
            .collect()
    }

    fn occupancy(&self) -> Option<f64> {
        let spans = self.spans();
        let handling: f64 = spans
            .iter()
            .filter(|s| s.0 == "handling")
            .map(|s| s.1)
            .sum();
        let counted: Vec<_> = spans
            .iter()
            .filter(|s| s.0 == "handling" || s.0 == "available")
            .collect();
        let total: f64 = counted.iter().map(|s| s.1).sum();
        (!counted.is_empty() && total != 0.0).then(|| 100.0 * handling / total)
    }

    fn utilization(&self) -> Option<f64> {
        let spans = self.spans();
        let handling: f64 = spans
            .iter()
            .filter(|s| s.0 == "handling")
            .map(|s| s.1)
            .sum();
        let total: f64 = spans.iter().map(|s| s.1).sum();
        (!spans.is_empty() && total != 0.0).then(|| 100.0 * handling / total)
    }

    fn sla(&self) -> Option<f64> {
        let s: Vec<f64> = self.rows.iter().filter_map(|r| r.elapsed).collect();
        pct(s.iter().filter(|v| **v <= TARGET).count(), s.len())
    }

    fn sla_per_row_target(&self) -> Option<f64> {
        let s: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter_map(|r| Some((r.elapsed?, r.target?)))
            .collect();
        pct(s.iter().filter(|(e, t)| e <= t).count(), s.len())
    }

    /// In the order of [`KPIS`].
    fn all(&self) -> Vec<Option<f64>> {
        // FILTER (WHERE keep): the same KPI of the kept rows only.
        let kept = Naive {
            rows: self.rows.iter().filter(|r| r.keep).cloned().collect(),
        };
        vec![
            self.nps(),
            kept.nps(),
            self.csat(),
            self.ces(),
            self.fcr(),
            self.share_true(|r| r.escalated),
            self.share_true(|r| r.resolved),
            self.share_true(|r| r.escalated),
            self.occupancy(),
            self.utilization(),
            self.sla(),
            self.sla_per_row_target(),
            kept.occupancy(),
            kept.sla_per_row_target(),
            // esat over the same 1-5 scores: answers 4-5 / answers.
            self.csat(),
        ]
    }
}

const KPIS: &str = "nps(nps), nps(nps) FILTER (WHERE keep), csat(csat), ces(ces), \
                    fcr(seq, resolved), escalation_rate(escalated), abandonment_rate(resolved), \
                    csat(escalated), occupancy(state, seconds), \
                    utilization(state, seconds), sla_compliance(elapsed, 300), \
                    sla_compliance(elapsed, target), occupancy(state, seconds) FILTER (WHERE keep), \
                    sla_compliance(elapsed, target) FILTER (WHERE keep), esat(csat)";

fn batch(rows: &[Row]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("nps", DataType::Int32, true),
        Field::new("csat", DataType::Int32, true),
        Field::new("ces", DataType::Int32, true),
        Field::new("seq", DataType::Int32, true),
        Field::new("resolved", DataType::Boolean, true),
        Field::new("escalated", DataType::Boolean, true),
        Field::new("state", DataType::Utf8, true),
        Field::new("seconds", DataType::Float64, true),
        Field::new("elapsed", DataType::Float64, true),
        Field::new("target", DataType::Float64, true),
        Field::new("keep", DataType::Boolean, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.group))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.nps))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.csat))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.ces))),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.seq))),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.resolved))),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.escalated))),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.state))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.seconds))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.elapsed))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.target))),
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.keep)))),
    ];
    RecordBatch::try_new(schema, columns).expect("batch")
}

/// A session of `partitions` partitions, switching to the
/// skip-partial-aggregation path (`convert_to_state`) at once when asked.
fn bare_session(partitions: usize, skip_partial: bool) -> SessionContext {
    let mut config = SessionConfig::new().with_target_partitions(partitions);
    if skip_partial {
        let exec = &mut config.options_mut().execution;
        exec.skip_partial_aggregation_probe_rows_threshold = 1;
        exec.skip_partial_aggregation_probe_ratio_threshold = 0.0;
    }
    SessionContext::new_with_config(config)
}

/// A session whose table `t` holds `rows` in `partitions` partitions of
/// batches of `batch_size` rows.
fn session(
    rows: &[Row],
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> SessionContext {
    let ctx = bare_session(partitions, skip_partial);
    for udaf in kpiql::functions::all_functions() {
        ctx.register_udaf(udaf);
    }
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
    for (i, chunk) in rows.chunks(batch_size.max(1)).enumerate() {
        parts[i % partitions].push(batch(chunk));
    }
    let schema = batch(&[]).schema();
    let table = MemTable::try_new(schema, parts).expect("memtable");
    ctx.register_table("t", Arc::new(table)).expect("register");
    ctx
}

fn same(actual: Option<f64>, expected: Option<f64>) -> bool {
    match (actual, expected) {
        (None, None) => true,
        // Sums of fractional seconds may round differently with the order
        // rows are added in; everything else is the same arithmetic.
        (Some(a), Some(e)) => (a - e).abs() <= 1e-9 * e.abs().max(1.0),
        _ => false,
    }
}

fn floats(batch: &RecordBatch, from: usize) -> Vec<Vec<Option<f64>>> {
    (0..batch.num_rows())
        .map(|row| {
            (from..batch.num_columns())
                .map(|c| {
                    let col = batch.column(c).as_primitive::<Float64Type>();
                    (!col.is_null(row)).then(|| col.value(row))
                })
                .collect()
        })
        .collect()
}

fn check(
    rows: Vec<Row>,
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let ctx = session(&rows, batch_size, partitions, skip_partial);
    let (grouped, total) = runtime
        .block_on(async {
            let grouped = ctx
                .sql(&format!("SELECT g, {KPIS} FROM t GROUP BY g ORDER BY g"))
                .await?
                .collect()
                .await?;
            let total = ctx
                .sql(&format!("SELECT {KPIS} FROM t"))
                .await?
                .collect()
                .await?;
            Ok::<_, datafusion::error::DataFusionError>((grouped, total))
        })
        .expect("queries run");

    let mut by_group: BTreeMap<i64, Naive> = BTreeMap::new();
    for r in &rows {
        by_group.entry(r.group).or_default().rows.push(r.clone());
    }
    let mut seen = Vec::new();
    for b in &grouped {
        let groups = b.column(0).as_primitive::<Int64Type>();
        for (i, values) in floats(b, 1).into_iter().enumerate() {
            let g = groups.value(i);
            seen.push(g);
            let expected = by_group[&g].all();
            prop_assert_eq!(values.len(), expected.len(), "KPIS and Naive::all differ");
            for (k, (a, e)) in values.iter().zip(&expected).enumerate() {
                prop_assert!(
                    same(*a, *e),
                    "group {g}, KPI #{k}: got {a:?}, expected {e:?}"
                );
            }
        }
    }
    prop_assert_eq!(seen, by_group.keys().copied().collect::<Vec<_>>());
    let expected = Naive { rows }.all();
    let actual = &floats(&total[0], 0)[0];
    for (k, (a, e)) in actual.iter().zip(&expected).enumerate() {
        prop_assert!(
            same(*a, *e),
            "ungrouped, KPI #{k}: got {a:?}, expected {e:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn kpis_equal_the_naive_reference(
        rows in rows(),
        batch_size in 1usize..97,
        partitions in 1usize..=8,
        skip_partial in any::<bool>(),
    ) {
        check(rows, batch_size, partitions, skip_partial)?;
    }
}

/// A session with kpiql's general aggregates whose table `t` (g, x, keep)
/// holds `rows` in `partitions` partitions of batches of `batch_size` rows.
fn general_session(
    rows: &[(Option<i64>, Option<i64>, bool)],
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> SessionContext {
    let ctx = bare_session(partitions, skip_partial);
    for udaf in kpiql::functions::general() {
        ctx.register_udaf(udaf);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, true),
        Field::new("x", DataType::Int64, true),
        Field::new("keep", DataType::Boolean, false),
    ]));
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
    for (i, chunk) in rows.chunks(batch_size.max(1)).enumerate() {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter(chunk.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter(chunk.iter().map(|r| r.1))),
            Arc::new(BooleanArray::from_iter(chunk.iter().map(|r| Some(r.2)))),
        ];
        parts[i % partitions].push(RecordBatch::try_new(schema.clone(), columns).expect("batch"));
    }
    let table = MemTable::try_new(schema, parts).expect("memtable");
    ctx.register_table("t", Arc::new(table)).expect("register");
    ctx
}

/// `second_smallest` (not a KPI, but an aggregate of kpiql's) against the
/// naive reference: per group (NULL keys included), the sorted distinct
/// kept values' second. Values are few and repeat, so ties and groups of
/// one distinct value are common; the table is split into random batches
/// and partitions, with the skip-partial-aggregation path too.
fn check_second_smallest(
    rows: Vec<(Option<i64>, Option<i64>, bool)>,
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> Result<(), TestCaseError> {
    let ctx = general_session(&rows, batch_size, partitions, skip_partial);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let batches = runtime
        .block_on(async {
            ctx.sql(
                "SELECT g, second_smallest(x), second_smallest(x) FILTER (WHERE keep) \
                 FROM t GROUP BY g",
            )
            .await?
            .collect()
            .await
        })
        .expect("query runs");
    let second = |values: Vec<i64>| {
        let mut values = values;
        values.sort_unstable();
        values.dedup();
        values.get(1).copied()
    };
    let mut expected: BTreeMap<Option<i64>, (Option<i64>, Option<i64>)> = BTreeMap::new();
    let mut groups: BTreeMap<Option<i64>, Vec<(Option<i64>, bool)>> = BTreeMap::new();
    for (g, x, keep) in &rows {
        groups.entry(*g).or_default().push((*x, *keep));
    }
    for (g, values) in groups {
        let all = second(values.iter().filter_map(|v| v.0).collect());
        let kept = second(values.iter().filter(|v| v.1).filter_map(|v| v.0).collect());
        expected.insert(g, (all, kept));
    }
    let mut actual = BTreeMap::new();
    for b in &batches {
        let g = b.column(0).as_primitive::<Int64Type>();
        let all = b.column(1).as_primitive::<Int64Type>();
        let kept = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let value =
                |a: &datafusion::arrow::array::Int64Array| (!a.is_null(i)).then(|| a.value(i));
            actual.insert(value(g), (value(all), value(kept)));
        }
    }
    prop_assert_eq!(actual, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn second_smallest_equals_the_naive_reference(
        rows in proptest::collection::vec(
            (
                proptest::option::weighted(0.9, 0i64..6),
                proptest::option::weighted(0.85, -3i64..5),
                any::<bool>(),
            ),
            0..300,
        ),
        batch_size in 1usize..97,
        partitions in 1usize..=8,
        skip_partial in any::<bool>(),
    ) {
        check_second_smallest(rows, batch_size, partitions, skip_partial)?;
    }
}

/// `nth_largest` and `nth_smallest` (general aggregates of kpiql's) against
/// the naive reference: per group (NULL keys included) and over the whole
/// table, the kept values sorted, duplicates kept, the n-th; integers and
/// the same values as halved doubles, with and without FILTER. Values are
/// few and repeat, so ties at the n-th place and groups of fewer than n
/// values are common; random batches, partitions and the skip-partial
/// path, as for `second_smallest`. The window form (`OVER ()`) is the
/// whole table's value on every row.
fn check_nth(
    rows: Vec<(Option<i64>, Option<i64>, bool)>,
    n: i64,
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> Result<(), TestCaseError> {
    let ctx = general_session(&rows, batch_size, partitions, skip_partial);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let columns = format!(
        "nth_largest(x, {n}), nth_smallest(x, {n}) FILTER (WHERE keep), \
         nth_largest(x / 2.0, {n}), nth_smallest(x / 2.0, {n})"
    );
    let run = |sql: String| {
        runtime
            .block_on(async { ctx.sql(&sql).await?.collect().await })
            .expect("query runs")
    };
    let grouped = run(format!("SELECT g, {columns} FROM t GROUP BY g"));
    let whole = run(format!(
        "SELECT CAST(NULL AS BIGINT) AS g, {columns} FROM t"
    ));
    let window = run(format!(
        "SELECT DISTINCT nth_largest(x, {n}) OVER () AS w FROM t"
    ));
    // (n-th largest, n-th smallest of the kept rows, the same two as doubles)
    type Nths = (Option<i64>, Option<i64>, Option<f64>, Option<f64>);
    let nth = |mut values: Vec<i64>, largest: bool| {
        values.sort_unstable();
        if largest {
            values.reverse();
        }
        values.get(n as usize - 1).copied()
    };
    let expected_of = |values: &[(Option<i64>, bool)]| -> Nths {
        let all: Vec<i64> = values.iter().filter_map(|v| v.0).collect();
        let kept: Vec<i64> = values.iter().filter(|v| v.1).filter_map(|v| v.0).collect();
        let half = |v: Option<i64>| v.map(|v| v as f64 / 2.0);
        (
            nth(all.clone(), true),
            nth(kept, false),
            half(nth(all.clone(), true)),
            half(nth(all, false)),
        )
    };
    let mut groups: BTreeMap<Option<i64>, Vec<(Option<i64>, bool)>> = BTreeMap::new();
    for (g, x, keep) in &rows {
        groups.entry(*g).or_default().push((*x, *keep));
    }
    let expected: BTreeMap<Option<i64>, Nths> =
        groups.iter().map(|(g, v)| (*g, expected_of(v))).collect();
    let everything: Vec<(Option<i64>, bool)> = rows.iter().map(|r| (r.1, r.2)).collect();
    let read = |batches: &[RecordBatch]| {
        let mut out = BTreeMap::new();
        for b in batches {
            let g = b.column(0);
            let int = |c: usize, i: usize| {
                let a = b.column(c).as_primitive::<Int64Type>();
                (!a.is_null(i)).then(|| a.value(i))
            };
            let float = |c: usize, i: usize| {
                let a = b.column(c).as_primitive::<Float64Type>();
                (!a.is_null(i)).then(|| a.value(i))
            };
            for i in 0..b.num_rows() {
                let key = (!g.is_null(i)).then(|| g.as_primitive::<Int64Type>().value(i));
                out.insert(key, (int(1, i), int(2, i), float(3, i), float(4, i)));
            }
        }
        out
    };
    prop_assert_eq!(read(&grouped), expected);
    prop_assert_eq!(
        read(&whole),
        BTreeMap::from([(None, expected_of(&everything))])
    );
    if !rows.is_empty() {
        let w = window[0].column(0).as_primitive::<Int64Type>();
        let got = (!w.is_null(0)).then(|| w.value(0));
        prop_assert_eq!((window[0].num_rows(), got), (1, expected_of(&everything).0));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn nth_largest_and_smallest_equal_the_naive_reference(
        rows in proptest::collection::vec(
            (
                proptest::option::weighted(0.9, 0i64..6),
                proptest::option::weighted(0.85, -3i64..5),
                any::<bool>(),
            ),
            0..300,
        ),
        n in 1i64..6,
        batch_size in 1usize..97,
        partitions in 1usize..=8,
        skip_partial in any::<bool>(),
    ) {
        check_nth(rows, n, batch_size, partitions, skip_partial)?;
    }
}
