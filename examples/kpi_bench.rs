//! Each KPI UDAF against the same KPI written in plain SQL, in the same
//! engine and the same run, grouped by ~10, ~5k and ~1M keys.
//!
//! ```text
//! cargo run --release -- generate --out /tmp/lake10m --rows 10000000
//! cargo run --release --example kpi_bench -- /tmp/lake10m
//! ```
//!
//! Prints one row per case: the median time of the UDAF query, of the
//! plain-SQL query, and their ratio (UDAF / plain; below 1 means the UDAF is
//! faster). Both queries of a case read the same columns and compute the same
//! group key, so the ratio isolates the aggregation. Timings alternate
//! between the two queries so that drift on the machine hits both alike.

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
        "interactions",
        "occupancy(CASE WHEN resolved THEN 'handling' ELSE 'available' END, handle_seconds)",
        "100.0 * sum(handle_seconds) FILTER (WHERE resolved) / nullif(sum(handle_seconds), 0)",
    ),
    (
        "utilization",
        "interactions",
        "utilization(CASE WHEN resolved THEN 'handling' ELSE 'break' END, handle_seconds)",
        "100.0 * sum(handle_seconds) FILTER (WHERE resolved) / nullif(sum(handle_seconds), 0)",
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

/// Group keys: ~10, ~5k and ~1M distinct values, from the numeric tail of
/// the table's id.
const KEYS: &[(&str, u64)] = &[
    ("10 keys", 10),
    ("~5k keys", 5_000),
    ("~1M keys", 1_000_000),
];

const RUNS: usize = 3;

async fn time(kpiql: &Kpiql, sql: &str) -> Duration {
    let start = Instant::now();
    let batches: Vec<RecordBatch> = kpiql
        .ctx
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    std::hint::black_box(batches);
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let data = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .expect("usage: cargo run --release --example kpi_bench -- LAKE_DIR");
    let options = Options {
        location: Location::parse(&data).expect("a lake folder"),
        ..Options::default()
    };
    let kpiql = Kpiql::open(&options).await.expect("the lake opens");
    println!("| KPI | grouping | UDAF ms | plain SQL ms | UDAF / plain |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, table, udaf, plain) in CASES {
        let id = if *table == "surveys" {
            "survey_id"
        } else {
            "interaction_id"
        };
        for (label, keys) in KEYS {
            let key = format!("CAST(right({id}, 7) AS BIGINT) % {keys}");
            let q_udaf = format!("SELECT {key} AS k, {udaf} AS v FROM {table} GROUP BY 1");
            let q_plain = format!("SELECT {key} AS k, {plain} AS v FROM {table} GROUP BY 1");
            // Warm up the footer and file caches for both.
            time(&kpiql, &q_udaf).await;
            time(&kpiql, &q_plain).await;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                a.push(time(&kpiql, &q_udaf).await);
                b.push(time(&kpiql, &q_plain).await);
            }
            let (a, b) = (median(a), median(b));
            println!(
                "| {name} | {label} | {:.0} | {:.0} | {:.2} |",
                a.as_secs_f64() * 1e3,
                b.as_secs_f64() * 1e3,
                a.as_secs_f64() / b.as_secs_f64()
            );
        }
    }
}
