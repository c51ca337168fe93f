//! The `kpiql` binary: formats, files of statements, errors and exit codes.

use std::io::Read;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::fixtures::small_lake;

fn kpiql() -> Command {
    let mut cmd = Command::cargo_bin("kpiql").expect("the kpiql binary is built");
    cmd.env_remove("KPIQL_DATA");
    cmd
}

fn lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    dir
}

fn data(dir: &Path) -> String {
    dir.to_str().expect("utf-8 path").to_string()
}

const BY_DAY: &str = "SELECT date_trunc('day', created_at) AS day, count(*) AS n, \
                      min(interaction_id) AS first FROM interactions GROUP BY 1 ORDER BY 1";

#[test]
fn csv_is_the_default_when_piped() {
    let dir = lake();
    // The small lake has i1, i2 on 2026-01-01 and i3 on 2026-01-02.
    kpiql()
        .args(["--data", &data(dir.path()), "sql", BY_DAY])
        .assert()
        .success()
        .stdout("day,n,first\n2026-01-01T00:00:00Z,2,i1\n2026-01-02T00:00:00Z,1,i3\n")
        .stderr(predicate::str::contains(
            "optional table `agent_states` not found",
        ));
}

#[test]
fn json_is_one_object_per_line_with_explicit_nulls() {
    let dir = lake();
    kpiql()
        .args([
            "--data",
            &data(dir.path()),
            "--quiet",
            "sql",
            "--format",
            "json",
        ])
        .arg("SELECT survey_id, interaction_id, score FROM surveys ORDER BY survey_id")
        .assert()
        .success()
        .stdout(
            "{\"survey_id\":\"s1\",\"interaction_id\":\"i1\",\"score\":5}\n\
             {\"survey_id\":\"s2\",\"interaction_id\":null,\"score\":9}\n",
        )
        .stderr("");
}

#[test]
fn table_format_is_aligned() {
    let dir = lake();
    let out = kpiql()
        .args([
            "--data",
            &data(dir.path()),
            "-q",
            "sql",
            "--format",
            "table",
            BY_DAY,
        ])
        .assert()
        .success();
    insta::assert_snapshot!(String::from_utf8_lossy(&out.get_output().stdout));
}

#[test]
fn parquet_goes_to_a_file_and_reads_back() {
    let dir = lake();
    let out = dir.path().join("result.parquet");
    kpiql()
        .args(["--data", &data(dir.path()), "-q", "sql", "--out"])
        .arg(&out)
        .arg("SELECT interaction_id, handle_seconds FROM interactions ORDER BY 1")
        .assert()
        .success()
        .stdout("");
    // Read it back through a lake of its own: the file is the `costs`-free
    // single-file form of a table, so query it with DataFusion directly.
    let file = std::fs::File::open(&out).expect("the parquet file exists");
    let reader =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
    let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("batches");
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .expect("format")
        .to_string();
    assert_eq!(
        text,
        "+----------------+----------------+\n\
         | interaction_id | handle_seconds |\n\
         +----------------+----------------+\n\
         | i1             | 60.0           |\n\
         | i2             | 60.0           |\n\
         | i3             | 60.0           |\n\
         +----------------+----------------+"
    );
}

#[test]
fn parquet_without_out_is_refused() {
    kpiql()
        .args(["sql", "--format", "parquet", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--format parquet needs --out FILE",
        ));
}

#[test]
fn a_file_holds_several_statements() {
    let dir = lake();
    let sql = dir.path().join("q.sql");
    std::fs::write(
        &sql,
        "-- a view, then a query on it\n\
         CREATE VIEW answered AS SELECT * FROM surveys WHERE interaction_id IS NOT NULL;\n\
         SELECT survey_id, kind FROM answered;\n",
    )
    .expect("write");
    kpiql()
        .args(["--data", &data(dir.path()), "-q", "sql", "-f"])
        .arg(&sql)
        .assert()
        .success()
        .stdout("survey_id,kind\ns1,csat\n");
}

#[test]
fn a_failing_statement_is_named_and_leaves_no_file() {
    let dir = lake();
    let sql = dir.path().join("q.sql");
    std::fs::write(
        &sql,
        "CREATE VIEW v AS SELECT 1 AS one;\nSELECT no_such_column FROM v;\n",
    )
    .expect("write");
    let out = dir.path().join("out.csv");
    kpiql()
        .args(["--data", &data(dir.path()), "-q", "sql", "--out"])
        .arg(&out)
        .arg("-f")
        .arg(&sql)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("statement 2 of 2 in"))
        .stderr(predicate::str::contains("no_such_column"));
    assert!(!out.exists(), "no output file after a failure");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".kpiql-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files are removed: {leftovers:?}"
    );
}

#[test]
fn an_error_during_execution_leaves_the_previous_file_intact() {
    let dir = lake();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "previous\n").expect("write");
    kpiql()
        .args(["--data", &data(dir.path()), "-q", "sql", "--out"])
        .arg(&out)
        // Fails at execution, after planning succeeded.
        .arg("SELECT 1 / (contact_seq - 1) FROM interactions")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Divide by zero"));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "previous\n");
}

#[test]
fn bad_sql_and_bad_lakes_exit_2_with_a_message() {
    kpiql()
        .args(["sql", "SELEC 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: in the SQL argument"));
    kpiql()
        .args(["--data", "/no/such/lake", "sql", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lake not found: /no/such/lake"));
    kpiql()
        .args(["--memory-limit", "4X", "sql", "SELECT 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown size unit \"X\""));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let bin = assert_cmd::cargo::cargo_bin("kpiql");
    let mut child = StdCommand::new(bin)
        .args(["-q", "sql", "SELECT * FROM generate_series(1, 2000000)"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn list_columns_are_written_as_text_in_csv() {
    // SHOW FUNCTIONS has list columns, which the CSV writer refuses as such.
    kpiql()
        .args(["-q", "sql", "SHOW FUNCTIONS LIKE 'abs'"])
        .assert()
        .success()
        .stdout(predicate::str::contains("abs,"));
}

#[test]
fn the_kpi_functions_are_documented_in_information_schema() {
    kpiql()
        .args(["-q", "sql"])
        .arg("SELECT routine_name, description FROM information_schema.routines WHERE routine_name = 'sla_compliance'")
        .assert()
        .success()
        .stdout(predicate::str::contains("sla_compliance,"))
        .stdout(predicate::str::contains("Service-level compliance in percent"));
}

#[test]
fn show_functions_lists_every_kpi_function_with_its_argument_types() {
    // Each accepted argument list in the types the function reads its
    // arguments as (DESIGN §2: any integer as Int64, any number as Float64,
    // any string as Utf8View, shown as String).
    let expected = [
        (
            "fcr",
            r#"fcr,Float64,"[contact_seq, resolved]","[Int64, Boolean]",AGGREGATE"#,
        ),
        ("nps", "nps,Float64,[score],[Int64],AGGREGATE"),
        ("csat", "csat,Float64,[score],[Int64],AGGREGATE"),
        ("csat", "csat,Float64,[score],[Boolean],AGGREGATE"),
        ("ces", "ces,Float64,[score],[Int64],AGGREGATE"),
        (
            "escalation_rate",
            "escalation_rate,Float64,[escalated],[Boolean],AGGREGATE",
        ),
        (
            "abandonment_rate",
            "abandonment_rate,Float64,[abandoned],[Boolean],AGGREGATE",
        ),
        (
            "occupancy",
            r#"occupancy,Float64,"[state, seconds]","[String, Float64]",AGGREGATE"#,
        ),
        (
            "utilization",
            r#"utilization,Float64,"[state, seconds]","[String, Float64]",AGGREGATE"#,
        ),
        (
            "sla_compliance",
            r#"sla_compliance,Float64,"[elapsed_seconds, target_seconds]","[Float64, Float64]",AGGREGATE"#,
        ),
    ];
    for (name, row) in expected {
        kpiql()
            .args(["-q", "sql", "--format", "csv"])
            .arg(format!("SHOW FUNCTIONS LIKE '{name}'"))
            .assert()
            .success()
            .stdout(predicate::str::contains(row));
    }
}

#[test]
fn completions_are_printed() {
    kpiql()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_kpiql()"));
}

/// Asserts an error exit: code 2, stderr naming `expected`, no panic text.
fn fails_with(assert: assert_cmd::assert::Assert, expected: &str) {
    let out = assert.code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains(expected),
        "missing {expected:?} in:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

// guards: `--out` naming a FIFO replaced the pipe with a regular file
// (exit 0); as root, `--out /dev/null` would have replaced /dev/null.
#[test]
fn an_out_that_is_a_pipe_is_refused() {
    let dir = lake();
    let fifo = dir.path().join("pipe.csv");
    let made = StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    fails_with(
        kpiql()
            .args(["--data", &data(dir.path()), "-q", "sql", "--out"])
            .arg(&fifo)
            .arg("SELECT 1")
            .assert(),
        "pipe.csv is not a regular file",
    );
    let kind = std::fs::symlink_metadata(&fifo).expect("stat").file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the pipe is left alone"
    );
}

// guards: result files were created 0600 (the temporary file's private
// mode), unreadable to anyone else, unlike any file a shell would create.
#[test]
fn an_out_file_gets_the_mode_of_an_ordinary_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = lake();
    let out = dir.path().join("result file.csv");
    kpiql()
        .args(["--data", &data(dir.path()), "-q", "sql", "--out"])
        .arg(&out)
        .arg("SELECT 1 AS one")
        .assert()
        .success();
    // The mode a new file gets under this process's umask.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "").expect("write");
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&out), mode(&probe));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "one\n1\n");
}

// guards: `--threads 65535` hung, starting 65535 OS threads.
#[test]
fn threads_beyond_the_cap_are_refused() {
    fails_with(
        kpiql()
            .args(["--threads", "65535", "sql", "SELECT 1"])
            .assert(),
        "65535 is not in 1..=1024",
    );
}

// guards: an empty --data (an unset variable in `--data "$LAKE"`) said
// "lake not found:  (No such file or directory)".
#[test]
fn an_empty_data_is_named_as_empty() {
    fails_with(
        kpiql().args(["--data", "", "sql", "SELECT 1"]).assert(),
        "--data (or KPIQL_DATA) is empty",
    );
    fails_with(
        kpiql().env("KPIQL_DATA", "").args(["validate"]).assert(),
        "--data (or KPIQL_DATA) is empty",
    );
}

// guards: a table folder holding no .parquet file (CSV files, say) read as
// empty without a word.
#[test]
fn a_table_folder_without_parquet_files_is_a_warning() {
    let dir = lake();
    let surveys = dir.path().join("surveys");
    std::fs::remove_dir_all(&surveys).expect("rm");
    std::fs::create_dir(&surveys).expect("mkdir");
    std::fs::write(surveys.join("surveys.csv"), "survey_id\ns1\n").expect("write");
    let root = dir.path().canonicalize().expect("canonical");
    kpiql()
        .args([
            "--data",
            &data(dir.path()),
            "sql",
            "SELECT count(*) AS n FROM surveys",
        ])
        .assert()
        .success()
        .stdout("n\n0\n")
        .stderr(predicate::str::contains(format!(
            "warning: table `surveys` has no .parquet file under {}/surveys/: it reads as empty",
            root.display()
        )));
}

// guards: DataFusion errors were printed with their cause twice
// ("Divide by zero error: Divide by zero error").
#[test]
fn an_error_is_printed_once() {
    let out = kpiql().args(["-q", "sql", "SELECT 1/0"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(stderr.matches("Divide by zero").count(), 1, "{stderr}");
}

/// Bad input that already got a clear error: each exits 2 naming what is
/// wrong, without a panic.
#[test]
fn bad_arguments_and_lakes_get_a_clear_error() {
    let dir = lake();
    let root = dir.path();
    let lake = data(root);
    let sql_dir = root.to_str().expect("utf-8").to_string();
    let missing = root.join("no such dir/out.csv");
    let missing = missing.to_str().expect("utf-8");
    // Lakes: empty, with a file that is not Parquet, with a zero-byte file.
    let empty = root.join("empty lake");
    std::fs::create_dir(&empty).expect("mkdir");
    let not_parquet = root.join("not parquet");
    crate::fixtures::small_lake(&not_parquet);
    std::fs::write(not_parquet.join("surveys/notes.parquet"), "just text\n").expect("write");
    let zero = root.join("zero");
    crate::fixtures::small_lake(&zero);
    std::fs::write(zero.join("interactions/empty.parquet"), "").expect("write");
    let existing = root.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["sql", ""], "the SQL argument holds no SQL statement"),
        (vec!["sql", " ; ;"], "holds no SQL statement"),
        (
            vec!["sql", "-f", "/no/such.sql"],
            "cannot read SQL file /no/such.sql",
        ),
        (vec!["sql", "-f", &sql_dir], "cannot read SQL file"),
        (
            vec!["--data", &lake, "sql", "--out", missing, "SELECT 1"],
            "no such dir/out.csv",
        ),
        (
            vec!["--data", &lake, "sql", "--out", existing, "SELECT 1"],
            "is a folder",
        ),
        // guards: this failed only after the query had run, with "cannot
        // write new/: Not a directory".
        (
            vec!["--data", &lake, "sql", "--out", "new/", "SELECT 1"],
            "--out new/ ends with /, so it names a folder",
        ),
        (
            vec!["--memory-limit", "0", "sql", "SELECT 1"],
            "\"0\" is not a usable size",
        ),
        (
            vec!["--memory-limit", "", "sql", "SELECT 1"],
            "\"\" is not a size",
        ),
        (
            vec!["--memory-limit=-1G", "sql", "SELECT 1"],
            "is not a size",
        ),
        (
            vec!["--memory-limit", "99999999T", "sql", "SELECT 1"],
            "is not a usable size",
        ),
        (
            vec!["--threads", "0", "sql", "SELECT 1"],
            "0 is not in 1..=1024",
        ),
        (vec!["--data", &lake, "report", ""], "no report named \"\""),
        (
            vec!["--data", &lake, "report", "team", "--from", ""],
            "is not a timestamp",
        ),
        (
            vec!["--data", &lake, "report", "team", "--from", "2026-13"],
            "is not a timestamp",
        ),
        (
            vec![
                "--data", &lake, "report", "team", "--from", "2026-02", "--to", "2026-01",
            ],
            "start is after its end",
        ),
        (
            vec!["--data", &lake, "report", "team", "--param", ""],
            "is not NAME=VALUE",
        ),
        (
            vec!["--data", &lake, "report", "team", "--param", "nope=1"],
            "has no parameter",
        ),
        (vec!["functions", ""], "no kpiql function named \"\""),
        (
            vec!["generate", "--out", "x", "--rows", "0"],
            "0 is not in 1..",
        ),
        (
            vec!["generate", "--out", "x", "--months", "1201"],
            "1201 is not in 1..=1200",
        ),
        (
            vec!["generate", "--out", "x", "--start", "2026-02-30"],
            "is not a date",
        ),
        (
            vec!["generate", "--out", existing, "--rows", "1"],
            "already exists",
        ),
        (
            vec!["--data", empty.to_str().expect("utf-8"), "sql", "SELECT 1"],
            "required table `interactions` not found",
        ),
        (
            vec![
                "--data",
                not_parquet.to_str().expect("utf-8"),
                "sql",
                "SELECT 1",
            ],
            "notes.parquet (surveys): not a readable Parquet file: Parquet error:",
        ),
        (
            vec!["--data", zero.to_str().expect("utf-8"), "validate"],
            "empty.parquet (interactions): not a readable Parquet file",
        ),
    ];
    for (args, expected) in cases {
        let assert = kpiql().current_dir(root).arg("-q").args(&args).assert();
        // validate reports file problems as findings (exit 1) on stdout.
        if args.contains(&"validate") {
            let out = assert.code(1);
            let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
            assert!(stdout.contains(expected), "{args:?}: {stdout}");
        } else {
            fails_with(assert, expected);
        }
    }
}

/// Paths with spaces and non-ASCII letters work for the lake and --out.
#[test]
fn unicode_and_spaces_in_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake ü 数据");
    small_lake(&lake);
    let out = dir.path().join("my report ü.csv");
    kpiql()
        .args([
            "--data",
            lake.to_str().expect("utf-8"),
            "-q",
            "sql",
            "--out",
        ])
        .arg(&out)
        .arg("SELECT count(*) AS n FROM interactions")
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "n\n3\n");
    kpiql()
        .args(["--data", lake.to_str().expect("utf-8"), "validate"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("lake ü 数据"));
}
