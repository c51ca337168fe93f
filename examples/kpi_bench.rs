//! Each KPI UDAF against the same KPI written in plain SQL, in the same
//! engine and the same run, grouped by ~10, ~5k and ~1M keys.
//!
//! ```text
//! cargo run --release -- generate --out /tmp/lake10m --rows 10000000
//! cargo run --release --example kpi_bench -- /tmp/lake10m [KPI]
//! ```
//!
//! Prints one row per case: the fastest of 7 runs of the UDAF query, of the
//! plain-SQL query, and their ratio (UDAF / plain; below 1 means the UDAF is
//! faster). The group key and the columns a table's cases read are first
//! loaded into a memory table, so both queries read the same batches and the
//! ratio is the aggregation's. Timings alternate between the two queries so
//! that drift on the machine hits both alike.

use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use kpiql::{Kpiql, Location, Options};

/// (name, table, UDAF expression, the same KPI in plain SQL)
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "fcr",
        "interactions",
        "fcr(contact_seq, resolved)",
        "100.0 * count(*) FILTER (WHERE contact_seq = 1 AND resolved) \
         / nullif(count(resolved) FILTER (WHERE contact_seq = 1), 0)",
    ),
    (
        "escalation_rate",
        "interactions",
        "escalation_rate(escalated)",
        "100.0 * count(*) FILTER (WHERE escalated) / nullif(count(escalated), 0)",
    ),
    (
        "abandonment_rate",
        "interactions",
        "abandonment_rate(abandoned)",
        "100.0 * count(*) FILTER (WHERE abandoned) / nullif(count(abandoned), 0)",
    ),
    (
        "sla_compliance",
        "interactions",
        "sla_compliance(wait_seconds, 20)",
        "100.0 * count(*) FILTER (WHERE wait_seconds <= 20) / nullif(count(wait_seconds), 0)",
    ),
    (
        "occupancy",
        "agent_states",
        "occupancy(state, seconds)",
        "100.0 * sum(seconds) FILTER (WHERE state = 'handling') \
         / nullif(sum(seconds) FILTER (WHERE state IN ('handling', 'available')), 0)",
    ),
    (
        "utilization",
        "agent_states",
        "utilization(state, seconds)",
        "100.0 * sum(seconds) FILTER (WHERE state = 'handling') / nullif(sum(seconds), 0)",
    ),
    (
        "nps",
        "surveys",
        "nps(score) FILTER (WHERE kind = 'nps')",
        "100.0 * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9) \
         - count(*) FILTER (WHERE kind = 'nps' AND score <= 6)) \
         / nullif(count(score) FILTER (WHERE kind = 'nps'), 0)",
    ),
    (
        "csat",
        "surveys",
        "csat(score) FILTER (WHERE kind = 'csat')",
        "100.0 * count(*) FILTER (WHERE kind = 'csat' AND score >= 4) \
         / nullif(count(score) FILTER (WHERE kind = 'csat'), 0)",
    ),
    (
        "ces",
        "surveys",
        "ces(score) FILTER (WHERE kind = 'ces')",
        "avg(score) FILTER (WHERE kind = 'ces')",
    ),
];

/// Per table: the expression keys are made from (the numeric tail of the
/// row's id; agent_states has no id, so the span's start in epoch seconds,
/// ~2M distinct values in a 10M lake) and the columns the cases read.
const TABLES: &[(&str, &str, &str)] = &[
    (
        "interactions",
        "CAST(right(interaction_id, 7) AS BIGINT)",
        "contact_seq, resolved, escalated, abandoned, wait_seconds",
    ),
    (
        "surveys",
        "CAST(right(survey_id, 7) AS BIGINT)",
        "kind, score",
    ),
    (
        "agent_states",
        "CAST(date_part('epoch', started_at) AS BIGINT)",
        "state, seconds",
    ),
];

/// Group keys: ~10, ~5k and ~1M distinct values.
const KEYS: &[(&str, u64)] = &[
    ("10 keys", 10),
    ("~5k keys", 5_000),
    ("~1M keys", 1_000_000),
];

const RUNS: usize = 7;

async fn time(kpiql: &Kpiql, sql: &str) -> Duration {
    let start = Instant::now();
    std::hint::black_box(run(kpiql, sql).await);
    start.elapsed()
}

/// The fastest run: noise on a shared machine only ever adds time.
fn fastest(v: Vec<Duration>) -> Duration {
    v.into_iter().min().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = args
        .first()
        .expect("usage: cargo run --release --example kpi_bench -- LAKE_DIR [KPI]");
    // An optional KPI name runs only that KPI's cases (for profiling one).
    let only = args.get(1);
    let options = Options {
        location: Location::parse(data).expect("a lake folder"),
        ..Options::default()
    };
    let kpiql = Kpiql::open(&options).await.expect("the lake opens");
    let mut results = Vec::new();
    for (table, id, columns) in TABLES {
        let cases: Vec<_> = CASES
            .iter()
            .filter(|c| c.1 == *table && only.is_none_or(|o| o == c.0))
            .collect();
        if cases.is_empty() {
            continue;
        }
        for (label, keys) in KEYS {
            // The key and the arguments, in memory, so that both sides time
            // aggregation (and their FILTER expressions), not Parquet decoding.
            run(&kpiql, "DROP TABLE IF EXISTS bench").await;
            run(
                &kpiql,
                &format!("CREATE TABLE bench AS SELECT {id} % {keys} AS k, {columns} FROM {table}"),
            )
            .await;
            for (name, _, udaf, plain) in &cases {
                let q_udaf = format!("SELECT k, {udaf} AS v FROM bench GROUP BY k");
                let q_plain = format!("SELECT k, {plain} AS v FROM bench GROUP BY k");
                time(&kpiql, &q_udaf).await;
                time(&kpiql, &q_plain).await;
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for _ in 0..RUNS {
                    a.push(time(&kpiql, &q_udaf).await);
                    b.push(time(&kpiql, &q_plain).await);
                }
                let (a, b) = (fastest(a), fastest(b));
                results.push((*name, *label, a, b));
            }
        }
    }
    println!("| KPI | grouping | UDAF ms | plain SQL ms | UDAF / plain |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, ..) in CASES {
        for (kpi, label, a, b) in results.iter().filter(|r| r.0 == *name) {
            println!(
                "| {kpi} | {label} | {:.0} | {:.0} | {:.2} |",
                a.as_secs_f64() * 1e3,
                b.as_secs_f64() * 1e3,
                a.as_secs_f64() / b.as_secs_f64()
            );
        }
    }
}

async fn run(kpiql: &Kpiql, sql: &str) -> Vec<RecordBatch> {
    kpiql
        .ctx
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
