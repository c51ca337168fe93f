//! The preset reports agree with their DuckDB twins (issue 11): `bench/run.py
//! --check` runs every report of `queries/reports/` with kpiql and its
//! `bench/duckdb/` twin on the sample lake and compares the results cell by
//! cell. DuckDB comes from PyPI into `target/duckdb-venv` (made here when
//! missing; `.ci/run` makes it up front), as moto does for the S3 tests.

use std::path::{Path, PathBuf};

/// The Python of `target/duckdb-venv`, with `duckdb` installed.
fn duckdb_python() -> PathBuf {
    crate::fixtures::venv_python("duckdb-venv", "duckdb, numpy", "duckdb numpy")
}

#[test]
fn every_report_equals_its_duckdb_twin_on_the_sample_lake() {
    every_report_equals_its_twin("UTC");
}

/// In a zone with DST (the sample lake's months hold both of Warsaw's
/// changes) and one 5 h 45 min from UTC, where months, days and hours
/// start at quarter hours of UTC (issue 28). The twins cut them with
/// DuckDB's own `SET TimeZone`.
#[test]
fn every_report_equals_its_duckdb_twin_in_warsaw_and_kathmandu() {
    every_report_equals_its_twin("Europe/Warsaw");
    every_report_equals_its_twin("Asia/Kathmandu");
}

fn every_report_equals_its_twin(zone: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new(duckdb_python())
        .arg(root.join("bench/run.py"))
        .arg("--kpiql")
        .arg(assert_cmd::cargo::cargo_bin("kpiql"))
        .arg("--lake")
        .arg(root.join("data/sample"))
        .args(["--threads", "2", "--check", "--time-zone", zone])
        .output()
        .expect("run bench/run.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "bench/run.py --check --time-zone {zone} failed ({}):\n{text}",
        output.status
    );
    // Every report ran and agreed (a report the harness skipped would not
    // show up as a difference).
    for report in std::fs::read_dir(root.join("queries/reports")).expect("queries/reports") {
        let name = report.expect("entry").file_name();
        let name = name.to_string_lossy();
        let name = name.trim_end_matches(".sql");
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{name} ")) && l.trim_end().ends_with("equal")),
            "no `{name} ... equal` line in the harness's table:\n{text}"
        );
    }
}
