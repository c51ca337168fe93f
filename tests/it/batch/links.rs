//! A Delta table folder holding a symbolic link: the vacuum (object_store
//! follows links) would delete the files it leads to.

use super::{batch, ok, tree};

#[test]
fn a_delta_table_holding_a_link_is_refused_and_what_it_leads_to_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let out = root.join("out");
    let table = out.join("team");
    let period = |p: &'static str| ["--reports", "team", "--period", p, "--retain-hours", "0"];
    ok(batch("sample", &out, "delta", &period("2026-09")));
    // Someone's folder, linked from inside the table.
    let theirs = root.join("theirs");
    std::fs::create_dir_all(&theirs).expect("mkdir");
    std::fs::write(theirs.join("notes.parquet"), b"not kpiql's").expect("write");
    let link = table.join("period=2026-08");
    std::os::unix::fs::symlink(&theirs, &link).expect("symlink");
    let before = tree(&root);
    let err = batch("sample", &out, "delta", &period("2026-10"));
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert_eq!(err.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} is a symbolic link (to {}) inside the Delta table {}",
            link.display(),
            theirs.display(),
            table.display()
        )),
        "{stderr}"
    );
    assert_eq!(tree(&root), before, "nothing written or deleted");
    assert_eq!(
        std::fs::read(theirs.join("notes.parquet")).expect("their file"),
        b"not kpiql's"
    );
    // Without the link, the same run publishes.
    std::fs::remove_file(&link).expect("unlink");
    ok(batch("sample", &out, "delta", &period("2026-10")));
}
