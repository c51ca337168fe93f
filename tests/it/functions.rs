//! Every KPI function against a naive reference computed here, on random
//! data split into random batches and partitions, grouped and not, with the
//! partial-state merge (and the skip-partial-aggregation path) exercised.

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
    keep: bool,
}

const STATES: [&str; 5] = ["handling", "available", "break", "lunch", "other"];

fn row() -> impl Strategy<Value = Row> {
    (
        (
            0i64..6,
            proptest::option::of(0i32..=10),
            proptest::option::of(1i32..=5),
        ),
        (
            proptest::option::of(1i32..=7),
            proptest::option::of(1i32..=3),
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::option::of(any::<bool>()),
            proptest::option::of(0usize..5),
        ),
        (proptest::option::of(0u32..100_000), any::<bool>()),
    )
        .prop_map(
            |((group, nps, csat), (ces, seq, resolved), (escalated, state), (centis, keep))| Row {
                group,
                nps,
                csat,
                ces,
                seq,
                resolved,
                escalated,
                state: state.map(|i| STATES[i]),
                seconds: centis.map(|c| f64::from(c) / 100.0),
                keep,
            },
        )
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
    fn nps(&self, keep_only: bool) -> Option<f64> {
        let scores: Vec<i32> = self
            .rows
            .iter()
            .filter(|r| !keep_only || r.keep)
            .filter_map(|r| r.nps)
            .collect();
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

    fn escalation_rate(&self) -> Option<f64> {
        let e: Vec<bool> = self.rows.iter().filter_map(|r| r.escalated).collect();
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
        let s: Vec<f64> = self.rows.iter().filter_map(|r| r.seconds).collect();
        pct(s.iter().filter(|v| **v <= 300.0).count(), s.len())
    }

    fn all(&self) -> Vec<Option<f64>> {
        vec![
            self.nps(false),
            self.nps(true),
            self.csat(),
            self.ces(),
            self.fcr(),
            self.escalation_rate(),
            self.occupancy(),
            self.utilization(),
            self.sla(),
        ]
    }
}

const KPIS: &str = "nps(nps), nps(nps) FILTER (WHERE keep), csat(csat), ces(ces), \
                    fcr(seq, resolved), escalation_rate(escalated), occupancy(state, seconds), \
                    utilization(state, seconds), sla_compliance(seconds, 300)";

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
        Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.keep)))),
    ];
    RecordBatch::try_new(schema, columns).expect("batch")
}

/// A session whose table `t` holds `rows` in `partitions` partitions of
/// batches of `batch_size` rows.
fn session(
    rows: &[Row],
    batch_size: usize,
    partitions: usize,
    skip_partial: bool,
) -> SessionContext {
    let mut config = SessionConfig::new().with_target_partitions(partitions);
    if skip_partial {
        // Switch to convert_to_state right away.
        let exec = &mut config.options_mut().execution;
        exec.skip_partial_aggregation_probe_rows_threshold = 1;
        exec.skip_partial_aggregation_probe_ratio_threshold = 0.0;
    }
    let ctx = SessionContext::new_with_config(config);
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
        rows in proptest::collection::vec(row(), 0..400),
        batch_size in 1usize..97,
        partitions in 1usize..=8,
        skip_partial in any::<bool>(),
    ) {
        check(rows, batch_size, partitions, skip_partial)?;
    }
}
