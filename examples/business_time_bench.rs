//! `business_seconds` against plain elapsed time, in the same engine and run
//! (issue 13: at least 10 M rows/s per core over two years of data and
//! three calendars).
//!
//! ```text
//! cargo run --release -- generate --out /tmp/lake10m --rows 10000000 --start 2025-01-01 --months 24
//! cargo run --release --example business_time_bench -- /tmp/lake10m
//! ```
//!
//! One thread (so rows/s is per core). `created_at` and `resolved_at` of
//! every interaction are first loaded into a memory table; then each case
//! sums a time difference over all rows: plain `resolved_at - created_at`
//! in seconds, and `business_seconds` on each of the generated lake's three
//! calendars, all in one query with the calendar per row (a team's). Best
//! of 7, the cases alternating.

use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use kpiql::{Kpiql, Location, Options};

const RUNS: usize = 7;

const CASES: &[(&str, &str)] = &[
    (
        "plain elapsed seconds",
        "sum(date_part('epoch', resolved_at) - date_part('epoch', created_at))",
    ),
    (
        "business_seconds, support_eu (Warsaw, weekdays, schedule change)",
        "sum(business_seconds(created_at, resolved_at, 'support_eu'))",
    ),
    (
        "business_seconds, support_us (New York, weekdays)",
        "sum(business_seconds(created_at, resolved_at, 'support_us'))",
    ),
    (
        "business_seconds, round_the_clock (24/7)",
        "sum(business_seconds(created_at, resolved_at, 'round_the_clock'))",
    ),
    (
        "business_seconds, the team's calendar per row (3 calendars)",
        "sum(business_seconds(created_at, resolved_at, calendar_id))",
    ),
];

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let data = std::env::args()
        .nth(1)
        .expect("usage: cargo run --release --example business_time_bench -- LAKE_DIR");
    let options = Options {
        location: Location::parse(&data).expect("a lake folder"),
        threads: Some(1),
        ..Options::default()
    };
    let kpiql = Kpiql::open(&options).await.expect("the lake opens");
    run(
        &kpiql,
        "CREATE TABLE bench AS SELECT i.created_at, \
         coalesce(i.resolved_at, i.created_at + INTERVAL '1 hour') AS resolved_at, c.calendar_id \
         FROM interactions i LEFT JOIN team_calendars c ON c.team = i.team",
    )
    .await;
    let rows = run(&kpiql, "SELECT count(*) FROM bench").await;
    let rows = datafusion::arrow::array::AsArray::as_primitive::<
        datafusion::arrow::datatypes::Int64Type,
    >(rows[0].column(0))
    .value(0) as f64;
    let mut best = vec![Duration::MAX; CASES.len()];
    for _ in 0..RUNS {
        for (i, (_, expr)) in CASES.iter().enumerate() {
            let started = Instant::now();
            run(&kpiql, &format!("SELECT {expr} FROM bench")).await;
            best[i] = best[i].min(started.elapsed());
        }
    }
    println!("{rows} rows, 1 thread, best of {RUNS}");
    println!("| case | ms | M rows/s | / plain |");
    println!("| --- | ---: | ---: | ---: |");
    for (i, (name, _)) in CASES.iter().enumerate() {
        let s = best[i].as_secs_f64();
        println!(
            "| {name} | {:.0} | {:.1} | {:.2} |",
            s * 1e3,
            rows / s / 1e6,
            s / best[0].as_secs_f64()
        );
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
