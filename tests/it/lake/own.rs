//! The analyst's own tables beside the contract's (issue 25): folders,
//! `.parquet` files and Delta tables at the lake's root, and `--table
//! NAME=LOCATION`, written by pyarrow and the Python `deltalake` package
//! (tests/it/lake/own_lake.py), read as they are and joined with the
//! support tables.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use predicates::prelude::*;

/// A copy of the sample lake with the analyst's tables, a roster folder
/// elsewhere, and the join's expected CSV (worked out by pyarrow):
/// (lake, roster folder, expected `tier,n`).
pub(crate) fn own_lake(dir: &Path) -> (PathBuf, PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lake = dir.join("lake");
    let elsewhere = dir.join("elsewhere");
    crate::fixtures::copy_dir(&root.join("data/sample"), &lake);
    let python =
        crate::fixtures::venv_python("delta-venv", "deltalake, pyarrow", "deltalake pyarrow");
    let out = StdCommand::new(python)
        .arg(root.join("tests/it/lake/own_lake.py"))
        .args([&lake, &elsewhere])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "own_lake.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let (expected, deals) = printed.split_once("deals=").expect("deals=");
    assert_eq!(deals.trim(), "3");
    (lake, elsewhere.join("roster"), expected.to_string())
}

/// The join of interactions with accounts the tests ask for.
pub(crate) const BY_TIER: &str = "SELECT a.tier, count(*) AS n FROM interactions i \
     JOIN accounts a USING (customer_id) GROUP BY a.tier ORDER BY a.tier";

fn kpiql(lake: &Path, args: &[&str]) -> std::process::Output {
    StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"))
        .env_remove("KPIQL_DATA")
        .arg("--data")
        .arg(lake)
        .args(args)
        .output()
        .expect("kpiql")
}

#[test]
fn the_analysts_tables_join_the_support_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, roster, by_tier) = own_lake(dir.path());
    let roster_arg = format!("roster={}", roster.display());
    let out = kpiql(
        &lake,
        &["--table", &roster_arg, "sql", BY_TIER, "--format", "csv"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), by_tier);
    // The name that is not a table name is skipped, said once.
    assert_eq!(
        stderr.matches("Bad Name/ at the lake's root").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("not a table name"), "{stderr}");
    // A Delta table of one's own reads its live rows only; a single
    // .parquet file is a table; --table joins too; with plans, the price
    // a tier pays per interaction (worked out: gold 300, silver 120).
    let sql = "SELECT (SELECT count(*) FROM deals) AS deals, \
               (SELECT sum(amount) FROM deals) AS amount, \
               (SELECT count(DISTINCT site) FROM roster r JOIN interactions i USING (agent_id)) AS sites, \
               (SELECT max(monthly_price) FROM plans p JOIN accounts a USING (tier) WHERE a.tier <> 'gold') AS price";
    let out = kpiql(
        &lake,
        &["-q", "--table", &roster_arg, "sql", sql, "--format", "csv"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deals,amount,sites,price\n3,24,2,120.0\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // SHOW TABLES and the REPL's \d list them beside the contract's.
    let out = kpiql(&lake, &["-q", "sql", "SHOW TABLES", "--format", "csv"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    for name in ["accounts", "plans", "deals", "interactions"] {
        assert!(shown.contains(&format!(",{name},")), "{name}: {shown}");
    }
    assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .arg("--data")
        .arg(&lake)
        .arg("repl")
        .write_stdin("\\d\n")
        .assert()
        .success()
        .stdout(predicates::str::contains("accounts").and(predicates::str::contains("deals")));
    // validate leaves them alone: the lake is still valid.
    let out = kpiql(&lake, &["validate"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        !said.contains("accounts") && !said.contains("deals"),
        "{said}"
    );
}

#[test]
fn a_table_option_that_cannot_be_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    let missing = dir.path().join("nowhere");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "x").expect("write");
    for (arg, expected) in [
        (format!("roster={}", missing.display()), "nowhere"),
        (format!("roster={}", text.display()), "not .parquet"),
        (
            format!("interactions={}", sample.display()),
            "a table of the lake's contract",
        ),
        (format!("Roster={}", sample.display()), "not a table name"),
        ("roster".to_string(), "not NAME=LOCATION"),
    ] {
        let out = kpiql(&sample, &["--table", &arg, "sql", "SELECT 1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {stderr}");
        assert!(stderr.contains(expected), "{arg}: {stderr}");
        assert!(out.stdout.is_empty(), "{arg}");
    }
}

#[test]
fn own_tables_on_s3_and_a_table_option_of_s3_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, roster, by_tier) = own_lake(dir.path());
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("lake");
    moto.upload("lake", "own", &lake);
    moto.upload("lake", "hr/roster", &roster);
    let sql = format!(
        "{BY_TIER}; SELECT (SELECT count(*) FROM deals) AS deals, \
         (SELECT count(DISTINCT site) FROM roster) AS sites"
    );
    let out = moto
        .std_cmd()
        .args([
            "-q",
            "--data",
            "s3://lake/own/",
            "--table",
            "roster=s3://lake/hr/roster/",
        ])
        .args(["sql", &sql, "--format", "csv"])
        .output()
        .expect("kpiql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{by_tier}\ndeals,sites\n3,2\n")
    );
}
