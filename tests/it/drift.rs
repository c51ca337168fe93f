//! Lakes that drift from the canonical schema the way real lakes do
//! (DESIGN §1): all read correctly; what cannot be read is a clear error.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float32Array, Int64Array, LargeStringArray, StringViewArray,
    TimestampMillisecondArray, TimestampNanosecondArray,
};
use datafusion::arrow::util::pretty::pretty_format_batches;
use kpiql::{Kpiql, Location, Options};

use crate::fixtures::*;

async fn open(dir: &std::path::Path) -> Result<Kpiql, kpiql::OpenError> {
    Kpiql::open(&Options {
        location: Location::parse(dir.to_str().expect("utf-8 path"))?,
        ..Options::default()
    })
    .await
}

async fn query(kpiql: &Kpiql, sql: &str) -> String {
    let batches = kpiql
        .ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    pretty_format_batches(&batches).expect("format").to_string()
}

/// The required columns of `interactions` for `n` rows, ids from `ids`.
fn required(ids: &[&str]) -> Vec<(&'static str, ArrayRef)> {
    let n = ids.len();
    vec![
        ("interaction_id", strings(ids)),
        ("ticket_id", strings(ids)),
        ("contact_seq", ints(&vec![1; n])),
        ("customer_id", strings(&vec!["c1"; n])),
        ("channel", strings(&vec!["chat"; n])),
        ("resolved", bools(&vec![true; n])),
        ("escalated", bools(&vec![false; n])),
        ("abandoned", bools(&vec![false; n])),
    ]
}

#[tokio::test]
async fn drifting_files_read_as_the_declared_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    // File a: integer seconds, nanosecond timestamps without a zone, Utf8.
    let mut a = required(&["a1", "a2"]);
    a.push(("wait_seconds", Arc::new(Int64Array::from(vec![30, 45]))));
    a.push((
        "created_at",
        Arc::new(TimestampNanosecondArray::from(vec![
            micros("2026-01-05 08:00:00") * 1000 + 1000, // + 1 microsecond
            micros("2026-01-05 09:00:00") * 1000,
        ])),
    ));
    a.push(("priority", opt_strings(&[Some("high"), None])));
    write_parquet(&lake.join("interactions/a.parquet"), a);
    // File b, deeper and in a hive folder: float seconds, millisecond
    // timestamps labelled with another zone (Arrow stores the UTC instant,
    // so only the label changes), LargeUtf8,
    // no `priority` column at all, and an extra column.
    let mut b: Vec<(&str, ArrayRef)> = required(&["b1"])
        .into_iter()
        .map(|(name, array)| {
            if name == "interaction_id" {
                (
                    name,
                    Arc::new(LargeStringArray::from(vec!["b1"])) as ArrayRef,
                )
            } else {
                (name, array)
            }
        })
        .collect();
    b.push(("wait_seconds", Arc::new(Float32Array::from(vec![12.5]))));
    b.push((
        "created_at",
        Arc::new(
            TimestampMillisecondArray::from(vec![micros("2026-02-01 00:00:00") / 1000])
                .with_timezone("Europe/Paris"),
        ),
    ));
    b.push(("vendor_extra", strings(&["ignored"])));
    write_parquet(&lake.join("interactions/month=2026-02/day=01/b.parquet"), b);
    // File c: Utf8View strings and canonical types.
    let mut c = required(&["c1"]);
    c[0] = (
        "interaction_id",
        Arc::new(StringViewArray::from(vec!["c1"])),
    );
    c.push(("created_at", times(&[Some("2026-03-01 12:00:00")])));
    c.push(("wait_seconds", floats(&[None])));
    write_parquet(&lake.join("interactions/c.parquet"), c);
    // A single-file table with the score as Int64.
    write_parquet(
        &lake.join("surveys.parquet"),
        vec![
            ("survey_id", strings(&["s1"])),
            ("customer_id", strings(&["c1"])),
            ("kind", strings(&["nps"])),
            ("score", Arc::new(Int64Array::from(vec![9]))),
            ("submitted_at", times(&[Some("2026-01-06 00:00:00")])),
        ],
    );

    let kpiql = open(lake).await.expect("the lake opens");
    assert_eq!(
        kpiql
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec![
            format!(
                "optional table `agent_states` not found at {0}/agent_states/ or {0}/agent_states.parquet: registered empty",
                lake.canonicalize().expect("canonical").display()
            ),
            format!(
                "optional table `costs` not found at {0}/costs/ or {0}/costs.parquet: registered empty",
                lake.canonicalize().expect("canonical").display()
            ),
        ]
    );
    let table = query(
        &kpiql,
        "SELECT interaction_id, wait_seconds, created_at, priority, arrow_typeof(created_at) AS t \
         FROM interactions ORDER BY interaction_id",
    )
    .await;
    let expected = "\
+----------------+--------------+-----------------------------+----------+----------------------+
| interaction_id | wait_seconds | created_at                  | priority | t                    |
+----------------+--------------+-----------------------------+----------+----------------------+
| a1             | 30.0         | 2026-01-05T08:00:00.000001Z | high     | Timestamp(µs, \"UTC\") |
| a2             | 45.0         | 2026-01-05T09:00:00Z        |          | Timestamp(µs, \"UTC\") |
| b1             | 12.5         | 2026-02-01T00:00:00Z        |          | Timestamp(µs, \"UTC\") |
| c1             |              | 2026-03-01T12:00:00Z        |          | Timestamp(µs, \"UTC\") |
+----------------+--------------+-----------------------------+----------+----------------------+";
    assert_eq!(table, expected);
    assert_eq!(
        query(
            &kpiql,
            "SELECT survey_id, score, arrow_typeof(score) AS t FROM surveys"
        )
        .await,
        "\
+-----------+-------+-------+
| survey_id | score | t     |
+-----------+-------+-------+
| s1        | 9     | Int32 |
+-----------+-------+-------+"
    );
    assert_eq!(
        query(&kpiql, "SELECT count(*) AS n FROM agent_states").await,
        "+---+\n| n |\n+---+\n| 0 |\n+---+"
    );
}

/// Opens a lake that must fail and returns the message.
async fn open_err(lake: &std::path::Path) -> String {
    match open(lake).await {
        Ok(_) => panic!("the lake at {} should not open", lake.display()),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_file_without_interaction_id_names_file_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let mut cols = required(&["x1"]);
    cols.remove(0);
    cols.push(("created_at", times(&[Some("2026-01-01 00:00:00")])));
    let bad = dir.path().join("interactions/month=2026-01/bad.parquet");
    write_parquet(&bad, cols);
    let message = open_err(dir.path()).await;
    let bad = bad.canonicalize().expect("canonical");
    assert!(
        message.contains(&format!(
            "{} (interactions): required column `interaction_id` is missing (expected Utf8, not null)",
            bad.display()
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_string_where_a_timestamp_belongs_names_both_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let mut cols = required(&["x1"]);
    cols.push(("created_at", strings(&["2026-01-01 00:00:00"])));
    write_parquet(&dir.path().join("interactions/bad.parquet"), cols);
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "bad.parquet (interactions): column `created_at` has type Utf8 where Timestamp(µs, \"UTC\") is expected"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_truncated_parquet_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let good = dir.path().join("surveys/part-0.parquet");
    let bytes = std::fs::read(&good).expect("read");
    std::fs::write(
        dir.path().join("surveys/cut.parquet"),
        &bytes[..bytes.len() / 2],
    )
    .expect("write");
    let message = open_err(dir.path()).await;
    assert!(
        message.contains("cut.parquet (surveys): not a readable Parquet file"),
        "{message}"
    );
    assert!(
        !message.contains("part-0.parquet"),
        "only the bad file is named: {message}"
    );
}

#[tokio::test]
async fn a_missing_lake_or_required_table_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-lake");
    match Location::parse(missing.to_str().expect("utf-8")) {
        Ok(_) => panic!("a missing folder is not a lake"),
        Err(e) => assert!(
            e.to_string()
                .starts_with(&format!("lake not found: {}", missing.display())),
            "{e}"
        ),
    }
    small_lake(dir.path());
    std::fs::remove_dir_all(dir.path().join("surveys")).expect("rm");
    let message = open_err(dir.path()).await;
    let root = dir.path().canonicalize().expect("canonical");
    assert_eq!(
        message,
        format!(
            "required table `surveys` not found: looked for {0}/surveys/ and {0}/surveys.parquet",
            root.display()
        )
    );
}
