//! The shell, driven in a real pseudo-terminal (rexpect), and piped.

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::prelude::*;
use rexpect::session::{PtySession, spawn_command};

/// A shell on the sample lake, with its history under `home`.
fn shell(home: &Path) -> PtySession {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"));
    cmd.arg("repl")
        .env_remove("KPIQL_DATA")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(60_000)).expect("spawn kpiql repl in a pty");
    p.exp_string("kpiql(sample)> ")
        .expect("the prompt names the lake");
    p
}

/// A shell on the lake at `lake`, with its history under `home`.
fn shell_on(home: &Path, lake: &Path) -> PtySession {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"));
    cmd.arg("--data")
        .arg(lake)
        .arg("repl")
        .env_remove("KPIQL_DATA")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm");
    spawn_command(cmd, Some(60_000)).expect("spawn kpiql repl in a pty")
}

fn quit(mut p: PtySession) {
    p.send_line("\\q").expect("send");
    p.exp_eof().expect("the shell exits on \\q");
}

#[test]
fn a_query_prints_its_table() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    p.send_line("SELECT count(*) AS n FROM interactions;")
        .expect("send");
    p.exp_string("| 20000 |")
        .expect("the sample lake has 20000 interactions");
    p.exp_string("(1 row)").expect("row count");
    quit(p);
}

#[test]
fn tab_completes_tables_columns_and_functions() {
    // The counts the completed queries must print, asked of `kpiql sql`
    // (the sample lake is regenerated when the generator changes).
    let count = |sql: &str| {
        crate::fixtures::sample_csv(&["sql", sql])
            .lines()
            .nth(1)
            .expect("a count")
            .to_string()
    };
    let teams = crate::fixtures::sample_csv(&["report", "team"])
        .lines()
        .count()
        - 1;
    let answers = count("SELECT count(*) FROM surveys");
    let csat = count("SELECT count(*) FROM surveys WHERE kind = 'csat'");
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    // A table: `surv` completes to `surveys`, or the query would fail.
    p.send("SELECT count(*) AS answers FROM surv")
        .expect("send");
    p.send("\t").expect("tab");
    p.send_line(";").expect("send");
    p.exp_string(&format!("| {answers:<7} |"))
        .expect("surveys counted");
    // A column of a table named in the statement: `ki` -> `kind`.
    p.send("SELECT count(*) AS csat_answers FROM surveys WHERE ki")
        .expect("send");
    p.send("\t").expect("tab");
    p.send_line(" = 'csat';").expect("send");
    p.exp_string(&format!("| {csat:<12} |"))
        .expect("csat answers counted");
    // A KPI function: `escalation_ra` -> `escalation_rate`.
    p.send("SELECT round(escalation_ra").expect("send");
    p.send("\t").expect("tab");
    p.send_line("(escalated), 1) AS esc FROM interactions;")
        .expect("send");
    p.exp_regex(r"\| \d+\.\d +\|")
        .expect("escalation rate printed");
    // A report as a table, in the shell too.
    p.send_line("SELECT count(*) AS teams FROM report('team');")
        .expect("send");
    p.exp_string(&format!("| {teams:<5} |"))
        .expect("the team report's rows counted");
    quit(p);
}

#[test]
fn an_error_does_not_end_the_shell() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    p.send_line("SELEC 1;").expect("send");
    p.exp_string("error:").expect("the error is printed");
    p.send_line("SELECT 41 + 1 AS answer;").expect("send");
    p.exp_string("| 42     |").expect("the next query runs");
    quit(p);
}

#[test]
fn ctrl_c_cancels_a_long_query_and_keeps_the_shell() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    // 10^16 rows: it cannot finish within any test's time.
    p.send_line(
        "SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100000000) b \
         WHERE a.value + b.value = 3;",
    )
    .expect("send");
    // The shell says when a query is running (and how to stop it).
    p.exp_string("Ctrl-C cancels")
        .expect("the query is running");
    p.send_control('c').expect("ctrl-c");
    p.exp_string("query cancelled").expect("cancelled");
    p.exp_string("kpiql(sample)> ").expect("back at the prompt");
    p.send_line("SELECT 'still here' AS s;").expect("send");
    p.exp_string("still here").expect("the shell goes on");
    quit(p);
}

// guards: the prompt cut a long lake path by bytes and panicked inside a
// multi-byte character.
#[test]
fn a_long_unicode_lake_path_fits_the_prompt() {
    let home = tempfile::tempdir().expect("tempdir");
    let lake = home
        .path()
        .join("jeziora danych obsługi klienta żółć")
        .join("数据湖 für Kundendienst ü");
    crate::fixtures::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"),
        &lake,
    );
    let mut p = shell_on(home.path(), &lake);
    // The end of the path, behind "..." (rexpect reads bytes as Latin-1,
    // so only the ASCII parts are matched here; the unit test of
    // `shorten` checks the characters kept).
    p.exp_string("kpiql(...").expect("the prompt is shortened");
    p.exp_string(" Kundendienst ")
        .expect("the prompt shows the path's end");
    p.exp_string(")> ").expect("the prompt ends");
    p.send_line("SELECT count(*) AS n FROM interactions;")
        .expect("send");
    p.exp_string("| 20000 |").expect("the lake is read");
    quit(p);
}

#[test]
fn history_survives_a_restart() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    p.send_line("SELECT 'remember me' AS memo;").expect("send");
    p.exp_string("(1 row)").expect("ran");
    quit(p);
    let mut p = shell(home.path());
    // Up twice: the newest entry is the `\q` that ended the first session.
    p.send("\x1b[A").expect("arrow up");
    p.send("\x1b[A").expect("arrow up");
    p.send_line("").expect("enter");
    p.exp_string("| remember me |")
        .expect("the last statement came back from history");
    quit(p);
}

#[test]
fn backslash_commands_describe_and_run_reports() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut p = shell(home.path());
    p.send_line("\\d").expect("send");
    p.exp_string("tickets").expect("the view is listed");
    p.send_line("\\d surveys").expect("send");
    p.exp_string("csat (score 1-5), nps (0-10), ces (1-7)")
        .expect("column meanings");
    p.send_line("\\f nps").expect("send");
    p.exp_string("Net promoter score").expect("function docs");
    p.send_line("\\r team").expect("send");
    p.exp_string("handled_per_logged_in_hour")
        .expect("the team report");
    p.exp_string("technical").expect("a team row");
    quit(p);
}

#[test]
fn piped_statements_stop_at_the_first_error() {
    Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .write_stdin("SELECT 1 AS one;\nSELEC 2;\nSELECT 3 AS three;\n")
        .assert()
        .code(2)
        .stdout("one\n1\n")
        .stderr(predicate::str::contains("statement 2 of the input"));
    Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("repl")
        .write_stdin("SELECT 1 AS one;\n\\d surveys\nSELECT 2\n  AS two;\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("one\n1\n"))
        .stdout(predicate::str::contains("survey_id"))
        .stdout(predicate::str::ends_with("two\n2\n"));
}

// guards: the shell listed the lake once, at start, so a month landed
// while an analyst worked was never seen until a restart.
#[test]
fn a_month_landed_while_the_shell_runs_is_read_at_the_next_query() {
    let home = tempfile::tempdir().expect("tempdir");
    let lake = home.path().join("lake");
    crate::fixtures::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"),
        &lake,
    );
    let mut p = shell_on(home.path(), &lake);
    p.exp_string(")> ").expect("the prompt");
    p.send_line("SELECT count(*) AS n FROM interactions;")
        .expect("send");
    // The sample lake's 20000 interactions (a_query_prints_its_table).
    p.exp_string("| 20000 |").expect("the lake is read");
    p.exp_string(")> ").expect("the prompt again");
    // Three interactions of a month the lake did not have.
    let ids = ["landed-1", "landed-2", "landed-3"];
    super::fixtures::interactions(
        &lake.join("interactions/month=2027-01/part-00000.parquet"),
        &ids,
        &["2027-01-04 09:00:00"; 3],
    );
    p.send_line("SELECT count(*) AS n FROM interactions;")
        .expect("send");
    p.exp_string("| 20003 |").expect("the landed month is read");
    quit(p);
}
