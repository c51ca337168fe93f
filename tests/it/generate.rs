//! `kpiql generate`: deterministic, contract-following, and safe to run.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn kpiql() -> Command {
    let mut cmd = Command::cargo_bin("kpiql").expect("binary");
    cmd.env_remove("KPIQL_DATA");
    cmd
}

fn generate(out: &Path, seed: &str, threads: &str) {
    kpiql()
        .args([
            "--threads",
            threads,
            "-q",
            "generate",
            "--rows",
            "3000",
            "--months",
            "3",
        ])
        .args(["--start", "2026-01-01", "--seed", seed, "--out"])
        .arg(out)
        .assert()
        .success();
}

/// Every file of a lake: relative path → bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("ls") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.insert(
                    rel.display().to_string(),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(&dir.path().join("a"), "7", "1");
    generate(&dir.path().join("b"), "7", "2");
    generate(&dir.path().join("c"), "8", "2");
    let a = files(&dir.path().join("a"));
    assert!(
        a.keys()
            .any(|k| k.starts_with("interactions/month=2026-03/")),
        "{:?}",
        a.keys()
    );
    assert!(a.contains_key("costs.parquet"), "{:?}", a.keys());
    assert_eq!(a, files(&dir.path().join("b")), "same seed, same lake");
    assert_ne!(
        a,
        files(&dir.path().join("c")),
        "another seed, another lake"
    );
}

#[test]
fn a_generated_lake_follows_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    generate(&lake, "1", "2");
    kpiql()
        .args(["--data", lake.to_str().expect("utf-8"), "validate"])
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with("no problems found\n"));
    // Exactly the rows asked for, over the months asked for, and surveys of
    // every kind.
    kpiql()
        .args(["--data", lake.to_str().expect("utf-8"), "sql"])
        .arg(
            "SELECT (SELECT count(*) FROM interactions) AS n, \
                    (SELECT count(DISTINCT date_trunc('month', created_at)) FROM interactions) AS months, \
                    (SELECT count(DISTINCT kind) FROM surveys) AS kinds",
        )
        .assert()
        .success()
        .stdout("n,months,kinds\n3000,3,3\n");
}

#[test]
fn an_existing_folder_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("keep.txt"), "mine").expect("write");
    kpiql()
        .args(["-q", "generate", "--rows", "10", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(dir.path().display().to_string()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).expect("read"),
        "mine"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
}

#[test]
fn a_bad_start_is_refused() {
    kpiql()
        .args(["generate", "--out", "x", "--start", "2026-01-15"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not the first day of a month"));
}
