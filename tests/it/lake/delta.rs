//! Delta Lake tables written by another tool, the Python `deltalake`
//! package (PyPI, in target/delta-venv): kpiql reads the files the log
//! lists, so an overwritten, deleted-from and schema-evolved table gives
//! the numbers of the same rows as plain Parquet, and what it cannot read
//! faithfully is refused, naming the table and why.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

fn delta_python() -> PathBuf {
    crate::fixtures::venv_python("delta-venv", "deltalake, pyarrow", "deltalake pyarrow")
}

/// Writes the Delta lake and its plain-Parquet twin of `case` under `dir`
/// (tests/it/lake/delta_lake.py); (delta lake, parquet lake).
fn lakes(dir: &Path, case: &str) -> (PathBuf, PathBuf) {
    let (delta, parquet) = (dir.join("delta"), dir.join("parquet"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = StdCommand::new(delta_python())
        .arg(root.join("tests/it/lake/delta_lake.py"))
        .arg(root.join("data/sample"))
        .args([&delta, &parquet])
        .arg(case)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "delta_lake.py {case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (delta, parquet)
}

fn kpiql(lake: &Path, args: &[&str]) -> std::process::Output {
    StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"))
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .arg("--data")
        .arg(lake)
        .args(args)
        .args(["--format", "csv"])
        .output()
        .expect("kpiql")
}

fn csv(lake: &Path, args: &[&str]) -> String {
    let out = kpiql(lake, args);
    assert!(
        out.status.success(),
        "kpiql {args:?} on {}: {}",
        lake.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn a_delta_table_reads_as_its_live_rows_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Five commits: October, all rows appended, overwritten with September
    // and October, October's chat rows deleted, ten rows appended with a
    // new nullable column. The folder still holds every file written.
    let (delta, parquet) = lakes(dir.path(), "history");
    let files = std::fs::read_dir(delta.join("interactions"))
        .expect("table folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        })
        .count();
    assert!(files >= 5, "{files} data files");
    let count = "SELECT count(*) AS n, count(DISTINCT interaction_id) AS ids FROM interactions";
    assert_eq!(csv(&delta, &["sql", count]), csv(&parquet, &["sql", count]));
    // Every preset report, cell by cell, for the two months kept.
    for report in [
        "team",
        "agent",
        "channels",
        "sla",
        "customers",
        "management",
        "team_month",
        "bots",
    ] {
        for (from, to) in [("2026-09-01", "2026-10-01"), ("2026-10-01", "2026-11-01")] {
            let args = ["report", report, "--from", from, "--to", to];
            assert_eq!(
                csv(&delta, &args),
                csv(&parquet, &args),
                "report {report} {from}..{to}"
            );
        }
    }
    // validate reads the live files too: as many rows as the twin
    // ("interactions: 2389 rows in 2 files: ok").
    let rows = |lake: &Path| {
        let out = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"))
            .env_remove("KPIQL_DATA")
            .arg("--data")
            .arg(lake)
            .arg("validate")
            .output()
            .expect("kpiql validate");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("interactions: "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("validate said:\n{stdout}"))
    };
    assert_eq!(rows(&delta), rows(&parquet));
}

#[test]
fn what_kpiql_cannot_read_faithfully_is_refused_naming_table_and_reason() {
    for (case, expected) in [
        ("deletion-vectors", "deletionVectors"),
        ("column-mapping", "column mapping"),
        ("reader-v4", "reader version 4"),
        ("partitioned", "partitioned by channel"),
        ("missing-file", "not in the folder"),
        ("corrupt-log", "log cannot be read"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (delta, _) = lakes(dir.path(), case);
        let out = kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        assert!(
            stderr.contains("Delta table `interactions`") && stderr.contains(expected),
            "{case}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{case}: printed {:?}", out.stdout);
    }
}

#[test]
fn an_iceberg_table_is_refused_not_read_as_loose_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    crate::fixtures::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"),
        &lake,
    );
    // An Iceberg table's shape: metadata/*.metadata.json beside data/.
    let table = lake.join("interactions");
    std::fs::create_dir_all(table.join("metadata")).expect("metadata");
    std::fs::write(
        table.join("metadata/v1.metadata.json"),
        r#"{"format-version": 2, "table-uuid": "x"}"#,
    )
    .expect("write");
    let out = kpiql(&lake, &["sql", "SELECT count(*) FROM interactions"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`interactions`") && stderr.contains("Iceberg table"),
        "{stderr}"
    );
}

#[test]
fn the_shell_reads_a_delta_table_through_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, parquet) = lakes(dir.path(), "history");
    let count = "SELECT count(*) AS n FROM interactions";
    // The shell (and serve) list a table at every scan (lake::live): for a
    // Delta table, through its log. Piped, it prints CSV.
    assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .arg("--data")
        .arg(&delta)
        .arg("repl")
        .write_stdin(format!("{count};\n"))
        .assert()
        .success()
        .stdout(csv(&parquet, &["sql", count]));
}
