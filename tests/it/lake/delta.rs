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

/// Asserts the shell on `lake` (with `args` before `repl`), piped `sql`,
/// prints `expected`. The shell (and serve) list a table at every scan
/// (lake::live): a Delta table through its log.
fn shell_prints(lake: &Path, args: &[&str], sql: &str, expected: String) {
    assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .args(args)
        .arg("--data")
        .arg(lake)
        .arg("repl")
        .write_stdin(format!("{sql};\n"))
        .assert()
        .success()
        .stdout(expected);
}

/// Asserts `out` is a refusal: exit 2, nothing printed, `expected` in the
/// message; returns the message.
fn refused(out: std::process::Output, expected: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(expected), "{expected}: {stderr}");
    assert!(out.stdout.is_empty(), "printed {:?}", out.stdout);
    stderr
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
    // The files of older versions are a note, not a problem (the lake's
    // surveys of rows deleted above are one: exit 1).
    let out = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"))
        .env_remove("KPIQL_DATA")
        .arg("--data")
        .arg(&delta)
        .arg("validate")
        .output()
        .expect("kpiql validate");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("(Delta table, version 5): ok"), "{said}");
    let live = said
        .lines()
        .find_map(|l| l.strip_prefix("interactions: "))
        .and_then(|l| l.split(" rows in ").nth(1))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("files read");
    let note = format!(
        "note: {} Parquet files in the folder are not in the log at version 5",
        files - live
    );
    assert!(said.contains(&note), "{note}: {said}");
}

#[test]
fn what_kpiql_cannot_read_faithfully_is_refused_naming_table_and_reason() {
    for (case, expected) in [
        ("deletion-vectors", "deletionVectors"),
        ("column-mapping", "column mapping"),
        ("reader-v4", "reader version 4"),
        ("missing-file", "not in the folder"),
        ("corrupt-log", "log cannot be read"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (delta, _) = lakes(dir.path(), case);
        let out = kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]);
        let stderr = refused(out, expected);
        assert!(
            stderr.contains("Delta table `interactions`"),
            "{case}: {stderr}"
        );
    }
}

#[test]
fn the_contracts_drift_rules_hold_on_a_delta_table_as_on_parquet() {
    // The log's statistics settle what they can (lake::check::
    // check_logged_files); what they cannot is read from the file, and
    // each problem names the file, as for loose Parquet.
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, parquet) = lakes(dir.path(), "drift-long");
    let problem_of = |stderr: &str, needle: &str| -> String {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}: {stderr}"))
            .to_string()
    };
    let out = kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]);
    let stderr = refused(out, "contract");
    // Version 1's file: contact_seq 2^40 = 1099511627776, beyond Int32.
    let unfit = problem_of(&stderr, "1099511627776");
    assert!(
        unfit.contains("`contact_seq`") && unfit.contains("Int32"),
        "{unfit}"
    );
    // Version 2's file: the NULL channel (required).
    let null = problem_of(&stderr, "required column `channel`");
    assert!(null.contains("1 NULL"), "{null}");
    let file_of = |line: &str| {
        let line = line.trim_start().trim_start_matches("- ");
        line.split(' ').next().unwrap_or_default().to_string()
    };
    assert_ne!(file_of(&unfit), file_of(&null), "{stderr}");
    for line in [&unfit, &null] {
        let file = file_of(line);
        assert!(
            file.starts_with(&delta.join("interactions").display().to_string())
                && file.ends_with(".parquet")
                && Path::new(&file).exists(),
            "{line}"
        );
    }
    // Version 0 alone (Int64 values within Int32, by the log's min/max)
    // reads as the plain lake.
    let sql = "SELECT count(*), sum(contact_seq), max(contact_seq) FROM interactions";
    assert_eq!(
        csv(&delta, &["--as-of", "0", "sql", sql]),
        csv(&parquet, &["sql", sql])
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, parquet) = lakes(dir.path(), "drift-double");
    let stderr = refused(
        kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]),
        "holds 4.5",
    );
    assert!(
        problem_of(&stderr, "holds 4.5").contains("is not a whole number in the Int32 range"),
        "{stderr}"
    );
    assert_eq!(
        csv(&delta, &["--as-of", "0", "sql", sql]),
        csv(&parquet, &["sql", sql])
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, _) = lakes(dir.path(), "drift-type");
    let stderr = refused(
        kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]),
        "`created_at` has type Utf8",
    );
    // Named once, as the log's schema, not once per file.
    let line = problem_of(&stderr, "`created_at` has type Utf8");
    assert!(line.contains("_delta_log, version 0"), "{line}");
    assert_eq!(stderr.matches("`created_at`").count(), 1, "{stderr}");
}

#[test]
fn a_partitioned_delta_table_reads_its_partition_values_from_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Partitioned by priority (with NULLs), escalated (a boolean) and
    // channel; the files hold none of the three.
    let (delta, parquet) = lakes(dir.path(), "partitioned");
    for sql in [
        "SELECT count(*) AS n, count(priority) AS p, count(*) FILTER (WHERE escalated) AS e, \
         count(DISTINCT channel) AS c FROM interactions",
        "SELECT priority, escalated, channel, count(*) AS n, sum(handle_seconds) AS h \
         FROM interactions GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "SELECT interaction_id, priority, channel FROM interactions \
         WHERE channel = 'email' AND priority IS NULL ORDER BY 1 LIMIT 5",
        "SELECT * FROM interactions ORDER BY interaction_id LIMIT 3",
    ] {
        assert_eq!(
            csv(&delta, &["sql", sql]),
            csv(&parquet, &["sql", sql]),
            "{sql}"
        );
    }
    for report in ["team", "channels", "management"] {
        let args = [
            "report",
            report,
            "--from",
            "2026-09-01",
            "--to",
            "2026-11-01",
        ];
        assert_eq!(csv(&delta, &args), csv(&parquet, &args), "report {report}");
    }
    // The shell (a table read at every scan) too.
    let count = "SELECT channel, count(*) AS n FROM interactions GROUP BY 1 ORDER BY 1";
    shell_prints(&delta, &[], count, csv(&parquet, &["sql", count]));
    // A partition value that is not of the column's type is a contract
    // problem naming the column, the file and the value.
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, _) = lakes(dir.path(), "partition-value");
    let out = kpiql(&delta, &["sql", "SELECT count(*) FROM interactions"]);
    let stderr = refused(out, "partition column `contact_seq` the value \"n/a\"");
    assert!(
        stderr.contains("where Int32 is expected") && stderr.contains("contact_seq=n%2Fa"),
        "{stderr}"
    );
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
    let stderr = refused(out, "Iceberg table");
    assert!(stderr.contains("`interactions`"), "{stderr}");
}

#[test]
fn the_shell_reads_a_delta_table_through_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, parquet) = lakes(dir.path(), "history");
    let count = "SELECT count(*) AS n FROM interactions";
    shell_prints(&delta, &[], count, csv(&parquet, &["sql", count]));
}

#[test]
fn as_of_reads_every_delta_table_at_that_version_or_instant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, parquet) = lakes(dir.path(), "history");
    // Version 0 held October alone (delta_lake.py writes its twin).
    let first = dir.path().join("parquet-v0");
    let count = "SELECT count(*) AS n, min(created_at) AS first FROM interactions";
    let team = [
        "report",
        "team",
        "--from",
        "2026-10-01",
        "--to",
        "2026-11-01",
    ];
    for as_of in ["0", "2026-11-01T12:00:00Z", "2026-11-01 13:00:00+01:00"] {
        let with =
            |args: &[&'static str]| -> Vec<&str> { [&["--as-of", as_of][..], args].concat() };
        assert_eq!(
            csv(&delta, &with(&["sql", count])),
            csv(&first, &["sql", count]),
            "--as-of {as_of}"
        );
        assert_eq!(csv(&delta, &with(&team)), csv(&first, &team), "{as_of}");
    }
    // After the last commit (2026-11-06): the latest version.
    assert_eq!(
        csv(&delta, &["--as-of", "2026-11-07", "sql", count]),
        csv(&parquet, &["sql", count])
    );
    // The shell reads the same version at every scan.
    shell_prints(
        &delta,
        &["--as-of", "0"],
        count,
        csv(&first, &["sql", count]),
    );
    // What cannot be honoured is an error naming what and why.
    for (lake, as_of, expected) in [
        (
            &delta,
            "2026-10-15",
            "no version committed at or before 2026-10-15T00:00:00+00:00",
        ),
        (&delta, "99", "its version 99 cannot be read"),
        (&parquet, "0", "none of this lake's tables is a Delta table"),
        (&delta, "yesterday", "neither a Delta version"),
    ] {
        refused(kpiql(lake, &["--as-of", as_of, "sql", count]), expected);
    }
}

#[test]
fn a_batch_manifest_names_each_table_format_and_delta_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (delta, _) = lakes(dir.path(), "history");
    let out = dir.path().join("out");
    let run = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"))
        .env_remove("KPIQL_DATA")
        .args(["-q", "--as-of", "2", "--data"])
        .arg(&delta)
        .args(["batch", "--reports", "team", "--period", "2026-10", "--out"])
        .arg(&out)
        .output()
        .expect("kpiql batch");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("team/_manifest.json")).expect("manifest"))
            .expect("json");
    let tables = manifest["lake_tables"].as_array().expect("lake_tables");
    let entry = |name: &str| {
        tables
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("no {name} in {tables:?}"))
    };
    let interactions = entry("interactions");
    assert_eq!(interactions["format"], "delta");
    assert_eq!(interactions["delta_version"], 2);
    assert!(
        interactions["location"]
            .as_str()
            .is_some_and(|l| l.ends_with("/interactions/")),
        "{interactions}"
    );
    // Version 2's files (the overwrite with September and October) are
    // the interactions files among the inputs.
    let files = interactions["files"].as_u64().expect("files");
    let inputs = manifest["inputs"].as_array().expect("inputs");
    let read: Vec<&str> = inputs
        .iter()
        .filter_map(|i| i["path"].as_str())
        .filter(|p| p.contains("/interactions/"))
        .collect();
    assert_eq!(read.len() as u64, files, "{read:?}");
    let surveys = entry("surveys");
    assert_eq!(surveys["format"], "parquet");
    assert!(surveys["delta_version"].is_null(), "{surveys}");
}

#[test]
fn a_delta_lake_on_s3_reads_as_on_a_local_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (history, history_twin) = lakes(&dir.path().join("history"), "history");
    let (parted, parted_twin) = lakes(&dir.path().join("parted"), "partitioned");
    let first = dir.path().join("history/parquet-v0");
    // The lakes as `aws s3 sync` would copy them: log and data, paths kept.
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("lake");
    moto.upload("lake", "history", &history);
    moto.upload("lake", "parted", &parted);
    let on_s3 = |prefix: &str, args: &[&str]| {
        let out = moto
            .std_cmd()
            .args(["-q", "--data", &format!("s3://lake/{prefix}/")])
            .args(args)
            .args(["--format", "csv"])
            .output()
            .expect("kpiql");
        assert!(
            out.status.success(),
            "{prefix} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let count = "SELECT count(*) AS n, count(DISTINCT interaction_id) AS ids, \
                 count(priority) AS p FROM interactions";
    let team = [
        "report",
        "team",
        "--from",
        "2026-09-01",
        "--to",
        "2026-11-01",
    ];
    assert_eq!(
        on_s3("history", &["sql", count]),
        csv(&history_twin, &["sql", count])
    );
    assert_eq!(on_s3("history", &team), csv(&history_twin, &team));
    assert_eq!(
        on_s3("history", &["--as-of", "0", "sql", count]),
        csv(&first, &["sql", count])
    );
    assert_eq!(
        on_s3("parted", &["sql", count]),
        csv(&parted_twin, &["sql", count])
    );
    assert_eq!(on_s3("parted", &team), csv(&parted_twin, &team));
}
