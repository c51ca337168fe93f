//! Lakes written by the tests themselves, with arrow's Parquet writer, so
//! every expected value is known by construction.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

/// Writes `columns` as one Parquet file at `path` (folders created).
pub fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch");
    let mut writer =
        ArrowWriter::try_new(File::create(path).expect("create"), schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

pub fn strings(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn opt_strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn ints(values: &[i32]) -> ArrayRef {
    Arc::new(Int32Array::from(values.to_vec()))
}

pub fn floats(values: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(values.to_vec()))
}

pub fn bools(values: &[bool]) -> ArrayRef {
    Arc::new(BooleanArray::from(values.to_vec()))
}

/// Microsecond UTC timestamps from `YYYY-MM-DD HH:MM:SS` strings.
pub fn times(values: &[Option<&str>]) -> ArrayRef {
    let micros: Vec<Option<i64>> = values.iter().map(|v| v.map(micros)).collect();
    Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
}

/// `Date32` days from `YYYY-MM-DD` strings, so fixtures say which day they
/// mean instead of a day count since 1970.
pub fn dates(values: &[&str]) -> ArrayRef {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let days: Vec<i32> = values
        .iter()
        .map(|v| {
            let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").expect("date literal");
            i32::try_from((day - epoch).num_days()).expect("a Date32 day")
        })
        .collect();
    Arc::new(Date32Array::from(days))
}

pub fn micros(text: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .expect("timestamp literal")
        .and_utc()
        .timestamp_micros()
}

/// A canonical `interactions` file: ids `prefix1..`, one ticket per row,
/// everything else simple and fixed.
pub fn interactions(path: &Path, ids: &[&str], created: &[&str]) {
    let n = ids.len();
    let created: Vec<Option<&str>> = created.iter().map(|c| Some(*c)).collect();
    write_parquet(
        path,
        vec![
            ("interaction_id", strings(ids)),
            ("ticket_id", strings(ids)),
            ("contact_seq", ints(&vec![1; n])),
            ("customer_id", strings(&vec!["c1"; n])),
            ("agent_id", opt_strings(&vec![Some("a1"); n])),
            ("team", opt_strings(&vec![Some("billing"); n])),
            ("channel", strings(&vec!["phone"; n])),
            ("priority", opt_strings(&vec![Some("normal"); n])),
            ("created_at", times(&created)),
            ("first_response_at", times(&created)),
            ("ended_at", times(&created)),
            ("resolved_at", times(&vec![None; n])),
            ("wait_seconds", floats(&vec![Some(0.0); n])),
            ("hold_seconds", floats(&vec![None; n])),
            ("handle_seconds", floats(&vec![Some(60.0); n])),
            ("resolved", bools(&vec![false; n])),
            ("escalated", bools(&vec![false; n])),
            ("abandoned", bools(&vec![false; n])),
        ],
    );
}

/// A canonical `surveys` file.
pub fn surveys(path: &Path, rows: &[(&str, Option<&str>, &str, i32)]) {
    let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let interactions: Vec<Option<&str>> = rows.iter().map(|r| r.1).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.2).collect();
    let scores: Vec<i32> = rows.iter().map(|r| r.3).collect();
    let n = rows.len();
    write_parquet(
        path,
        vec![
            ("survey_id", strings(&ids)),
            ("interaction_id", opt_strings(&interactions)),
            ("ticket_id", opt_strings(&interactions)),
            ("customer_id", strings(&vec!["c1"; n])),
            ("kind", strings(&kinds)),
            ("score", ints(&scores)),
            ("submitted_at", times(&vec![Some("2026-01-02 00:00:00"); n])),
            ("comment", opt_strings(&vec![None; n])),
        ],
    );
}

/// A canonical single-file `costs` table.
pub fn costs(path: &Path) {
    write_parquet(
        path,
        vec![
            ("month", dates(&["2026-01-01"])),
            ("team", opt_strings(&[None])),
            (
                "amount",
                Arc::new(
                    Decimal128Array::from(vec![12345]) // 123.45
                        .with_precision_and_scale(18, 2)
                        .expect("decimal"),
                ),
            ),
            ("currency", strings(&["EUR"])),
        ],
    );
}

/// A small lake that follows the contract: 3 interactions, 2 surveys, no
/// agent_states (optional), costs as a single file.
pub fn small_lake(dir: &Path) {
    interactions(
        &dir.join("interactions/part-0.parquet"),
        &["i1", "i2", "i3"],
        &[
            "2026-01-01 09:00:00",
            "2026-01-01 10:00:00",
            "2026-01-02 11:30:00",
        ],
    );
    surveys(
        &dir.join("surveys/part-0.parquet"),
        &[("s1", Some("i1"), "csat", 5), ("s2", None, "nps", 9)],
    );
    costs(&dir.join("costs.parquet"));
}

/// The Python of `target/<venv>`, a virtualenv with `package` (one or more,
/// separated by spaces) from PyPI
/// (checked by importing `import`); made on first use (`.ci/run` makes the
/// venvs up front, so tests running at once do not race to make one).
pub fn venv_python(venv: &str, import: &str, package: &str) -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(venv);
    let python = venv.join("bin/python");
    let has_it = |python: &std::path::Path| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {import}")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_it(&python) {
        eprintln!("installing {package} into {}", venv.display());
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(made.success(), "python3 -m venv {}", venv.display());
        let installed = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(package.split_whitespace())
            .status()
            .expect("pip install");
        assert!(
            installed.success(),
            "pip install {package} into {}",
            venv.display()
        );
    }
    python
}

/// `kpiql -q ARGS --format csv` on the sample lake; the command must
/// succeed.
pub fn sample_csv(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .args(args)
        .args(["--format", "csv"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}
