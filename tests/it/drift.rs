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
        [
            "agent_states",
            "costs",
            "business_hours",
            "holidays",
            "teams",
            "agent_surveys",
            "customers",
            "kb_views",
            "kb_articles",
        ]
        .map(|t| format!(
            "optional table `{t}` not found at {0}/{t}/ or {0}/{t}.parquet: registered empty",
            lake.canonicalize().expect("canonical").display()
        ))
        .to_vec()
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

/// Writes `columns` as a Parquet file whose row groups hold at most
/// `rows_per_group` rows each.
fn write_row_groups(path: &std::path::Path, columns: Vec<(&str, ArrayRef)>, rows_per_group: usize) {
    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch");
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

/// A `surveys` file of CSAT answers whose score column is `scores` (a float
/// column, as pandas writes an integer column with NULLs).
fn float_scores(path: &std::path::Path, scores: ArrayRef, rows_per_group: usize) {
    let n = scores.len();
    let ids: Vec<String> = (1..=n).map(|i| format!("f{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    write_row_groups(
        path,
        vec![
            ("survey_id", strings(&ids)),
            ("customer_id", strings(&vec!["c1"; n])),
            ("kind", strings(&vec!["csat"; n])),
            ("score", scores),
            ("submitted_at", times(&vec![Some("2026-01-03 00:00:00"); n])),
        ],
        rows_per_group,
    );
}

// guards: a CSAT score of 4.5 in a float column was truncated to 4 and
// counted, silently (issue 12).
#[tokio::test]
async fn a_float_score_that_is_not_whole_is_refused_with_file_column_and_row_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let bad = dir.path().join("surveys/pandas.parquet");
    float_scores(&bad, floats(&[Some(5.0), Some(4.5), Some(3.0)]), 1024);
    let message = open_err(dir.path()).await;
    let bad = bad.canonicalize().expect("canonical");
    assert!(
        message.contains(&format!(
            "{} (surveys): column `score` has type Float64 standing for Int32, but row 2 \
             of row group 1 of 1 holds 4.5, which is not a whole number in the Int32 range",
            bad.display()
        )),
        "{message}"
    );
    assert!(!message.contains("part-0.parquet"), "{message}");
}

#[tokio::test]
async fn a_bad_value_in_a_later_row_group_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    // Row groups of 2 rows: [5, 4], [NULL, 4.5], [1]; so the bad value is
    // the second row of the second of three groups. Float32, as some
    // writers narrow floats.
    let scores = Arc::new(Float32Array::from(vec![
        Some(5.0),
        Some(4.0),
        None,
        Some(4.5),
        Some(1.0),
    ]));
    float_scores(&dir.path().join("surveys/groups.parquet"), scores, 2);
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "groups.parquet (surveys): column `score` has type Float32 standing for Int32, \
             but row 2 of row group 2 of 3 holds 4.5"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn nan_infinity_and_out_of_range_floats_are_refused_in_any_integer_column() {
    for (value, shown) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (2_147_483_648.0, "2147483648.0"), // i32::MAX + 1
        (-0.5, "-0.5"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        small_lake(dir.path());
        // contact_seq, the other integer column of the contract.
        let mut cols = required(&["x1", "x2"]);
        cols[2] = ("contact_seq", floats(&[Some(1.0), Some(value)]));
        cols.push(("created_at", times(&[Some("2026-01-01 00:00:00"); 2])));
        write_parquet(&dir.path().join("interactions/float.parquet"), cols);
        let message = open_err(dir.path()).await;
        assert!(
            message.contains(&format!(
                "float.parquet (interactions): column `contact_seq` has type Float64 standing \
                 for Int32, but row 2 of row group 1 of 1 holds {shown}, which is not a whole \
                 number in the Int32 range"
            )),
            "{value}: {message}"
        );
    }
}

#[tokio::test]
async fn whole_float_scores_read_as_integers() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    // The largest Int32 is a whole float in range, so it passes too.
    float_scores(
        &dir.path().join("surveys/pandas.parquet"),
        floats(&[Some(4.0), Some(-0.0), Some(2_147_483_647.0)]),
        2,
    );
    let kpiql = open(dir.path()).await.expect("the lake opens");
    assert_eq!(
        query(
            &kpiql,
            "SELECT survey_id, score, arrow_typeof(score) AS t FROM surveys \
             WHERE survey_id LIKE 'f%' ORDER BY survey_id"
        )
        .await,
        "\
+-----------+------------+-------+
| survey_id | score      | t     |
+-----------+------------+-------+
| f1        | 4          | Int32 |
| f2        | 0          | Int32 |
| f3        | 2147483647 | Int32 |
+-----------+------------+-------+"
    );
    // 4.0 counts as a 4, satisfied, like s1's 5: 2 of 2 CSAT answers in
    // 1-5. Had it been read as 3, CSAT would be 50.
    assert_eq!(
        query(
            &kpiql,
            "SELECT csat(score) AS csat FROM surveys \
             WHERE kind = 'csat' AND score BETWEEN 1 AND 5"
        )
        .await,
        "+-------+\n| csat  |\n+-------+\n| 100.0 |\n+-------+"
    );
}

// guards: a NULL in a float score is not mistaken for a bad value; it is a
// NULL in a required column, named as such (the scan used to fail on it
// with "Column 'score' is declared as non-nullable but contains null
// values", naming no file).
#[tokio::test]
async fn a_null_in_a_required_column_is_named_with_its_row_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    float_scores(
        &dir.path().join("surveys/pandas.parquet"),
        floats(&[Some(4.0), Some(5.0), None, None, Some(1.0)]),
        2,
    );
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "pandas.parquet (surveys): required column `score` holds 2 NULLs in row group 2 of 3, \
             where the contract allows none"
        ),
        "{message}"
    );
    assert!(!message.contains("whole number"), "{message}");
    // The same with the declared type: an Int32 column with a NULL.
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let mut cols = required(&["x1"]);
    cols[1] = ("ticket_id", opt_strings(&[None]));
    cols.push(("created_at", times(&[Some("2026-01-01 00:00:00")])));
    write_parquet(&dir.path().join("interactions/nulls.parquet"), cols);
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "nulls.parquet (interactions): required column `ticket_id` holds 1 NULL in row group 1 of 1"
        ),
        "{message}"
    );
}

#[test]
fn kpiql_sql_on_a_lake_with_a_fractional_score_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    float_scores(
        &dir.path().join("surveys/pandas.parquet"),
        floats(&[Some(4.5)]),
        1024,
    );
    let out = assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .args(["--data", dir.path().to_str().expect("utf-8"), "sql"])
        .arg("SELECT count(*) FROM surveys")
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("pandas.parquet (surveys): column `score` has type Float64 standing for Int32, but row 1 of row group 1 of 1 holds 4.5"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// guards: an Int64 score of 3e9 (beyond Int32) made every query on the
// column fail with "Can't cast value 3000000000 to type Int32", naming no
// file, and `validate` exit 2. Values in range pass on the footer's
// statistics alone.
#[tokio::test]
async fn numbers_beyond_the_declared_type_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    float_scores(
        &dir.path().join("surveys/wide.parquet"),
        Arc::new(Int64Array::from(vec![4, 2_147_483_647, 5, 3_000_000_000])),
        2,
    );
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "wide.parquet (surveys): column `score` has type Int64 standing for Int32, but row 2 \
             of row group 2 of 2 holds 3000000000, which is not a whole number in the Int32 range"
        ),
        "{message}"
    );
    // A float amount too large for Decimal128(18, 2), or NaN.
    for (amount, shown) in [(1e30, "1e30"), (f64::NAN, "NaN")] {
        let dir = tempfile::tempdir().expect("tempdir");
        small_lake(dir.path());
        write_parquet(
            &dir.path().join("costs.parquet"),
            vec![
                (
                    "month",
                    Arc::new(datafusion::arrow::array::Date32Array::from(vec![20454])) as ArrayRef,
                ),
                ("amount", floats(&[Some(amount)])),
                ("currency", strings(&["EUR"])),
            ],
        );
        let message = open_err(dir.path()).await;
        assert!(
            message.contains(&format!(
                "costs.parquet (costs): column `amount` has type Float64 standing for \
                 Decimal128(18, 2), but row 1 of row group 1 of 1 holds {shown}, which does not \
                 fit Decimal128(18, 2)"
            )),
            "{message}"
        );
    }
}

// guards: a timestamp in seconds beyond the microsecond range failed every
// query ("converted value exceeds the representable i64 range", no file)
// and made `validate` exit 2.
#[tokio::test]
async fn a_timestamp_beyond_the_microsecond_range_is_named() {
    use datafusion::arrow::array::TimestampSecondArray;
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let mut cols = required(&["x1", "x2"]);
    cols.push((
        "created_at",
        Arc::new(TimestampSecondArray::from(vec![
            1_767_225_600,            // 2026-01-01
            9_000_000_000_000_000i64, // beyond ±2^63 µs
        ])),
    ));
    write_parquet(&dir.path().join("interactions/far.parquet"), cols);
    let message = open_err(dir.path()).await;
    assert!(
        message.contains(
            "far.parquet (interactions): column `created_at` has type Timestamp(s) standing for \
             Timestamp(µs, \"UTC\"), but row 2 of row group 1 of 1 holds"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "holds 9000000000000000 seconds after 1970-01-01, which does not fit \
             Timestamp(µs, \"UTC\")"
        ),
        "{message}"
    );
}
