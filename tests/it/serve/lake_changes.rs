//! `kpiql serve` sees the lake as it is now (issue 30, item 9): files added
//! to a running server's lake are read, and checked against the contract
//! like the files found at start; removed files neither fail queries nor
//! leave their rows behind in cached statistics; a rewritten file is read
//! as it is now.
//!
//! Every expected count is independent of kpiql: the lake's rows come from
//! the Parquet footers (the parquet crate), added rows from the fixtures.

use std::path::{Path, PathBuf};

use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

use super::{PASSWORD, Server, psql, serve};
use crate::fixtures;

/// The rows of one Parquet file, from its footer.
fn file_rows(path: &Path) -> u64 {
    let reader =
        SerializedFileReader::new(std::fs::File::open(path).expect("open")).expect("footer");
    u64::try_from(reader.metadata().file_metadata().num_rows()).expect("rows")
}

/// The rows of every Parquet file under `dir`, from their footers.
fn footer_rows(dir: &Path) -> u64 {
    let mut rows = 0;
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rows += footer_rows(&path);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            rows += file_rows(&path);
        }
    }
    rows
}

/// The one number `sql` answers, or the client's error.
fn number(server: &Server, sql: &str) -> Result<u64, String> {
    let (ok, out, err) = psql(server, "kpiql", PASSWORD, "", &[sql]);
    if !ok {
        return Err(err);
    }
    out.lines()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{sql}: not one number:\n{out}"))
}

/// `count(*)` (which DataFusion answers from file statistics) and a count
/// that reads every row, which must agree.
fn counts(server: &Server) -> (Result<u64, String>, Result<u64, String>) {
    (
        number(server, "SELECT count(*) FROM interactions"),
        number(
            server,
            "SELECT count(DISTINCT interaction_id) FROM interactions",
        ),
    )
}

fn assert_counts(server: &Server, expected: u64, what: &str) {
    let (from_statistics, from_rows) = counts(server);
    assert_eq!(from_statistics, Ok(expected), "count(*) {what}");
    assert_eq!(from_rows, Ok(expected), "rows read {what}");
}

/// A new month of interactions, with `n` ids that no other file uses.
fn new_month(path: &Path, n: usize) {
    let ids: Vec<String> = (1..=n).map(|i| format!("added-{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    fixtures::interactions(path, &ids, &vec!["2027-01-04 09:00:00"; n]);
}

// guards: serve listed each table once, at its first query, and kept that
// listing (DataFusion's list-files cache has no expiry), so added files
// were never read and a removed one failed every query but count(*).
#[test]
fn files_added_removed_or_rewritten_under_a_running_server_are_seen_at_the_next_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    fixtures::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"),
        &lake,
    );
    let interactions = lake.join("interactions");
    let at_start = footer_rows(&interactions);
    assert!(at_start > 100, "the sample lake has interactions");

    let server = serve(&["--data", lake.to_str().expect("utf-8 path")]);
    assert_counts(&server, at_start, "at start");

    // A new month: its 3 rows are read at once.
    let added: PathBuf = interactions.join("month=2027-01/part-00000.parquet");
    new_month(&added, 3);
    assert_counts(&server, at_start + 3, "after adding a file of 3 rows");

    // The same file rewritten with 5 rows: what is read is the file as it
    // is now, not the statistics of the file that was there.
    new_month(&added, 5);
    assert_counts(&server, at_start + 5, "after rewriting it with 5 rows");

    // A month removed: no "object not found", and its rows are gone from
    // count(*) too.
    let removed = interactions.join("month=2025-07");
    let removed_rows = footer_rows(&removed);
    assert!(removed_rows > 0, "{} has rows", removed.display());
    std::fs::remove_dir_all(&removed).expect("remove a month");
    assert_counts(
        &server,
        at_start + 5 - removed_rows,
        "after removing month=2025-07",
    );

    // A table that is one file (`costs.parquet`): rewritten, then removed
    // (it reads as empty, like a folder with no file left).
    let costs = lake.join("costs.parquet");
    let costs_at_start = file_rows(&costs);
    assert!(costs_at_start > 1, "the sample has several costs");
    assert_eq!(
        number(&server, "SELECT count(*) FROM costs"),
        Ok(costs_at_start)
    );
    fixtures::costs(&costs);
    assert_eq!(
        number(&server, "SELECT count(*) FROM costs"),
        Ok(1),
        "costs.parquet rewritten with one row"
    );
    std::fs::remove_file(&costs).expect("remove costs.parquet");
    assert_eq!(
        number(&server, "SELECT count(*) FROM costs"),
        Ok(0),
        "costs.parquet removed"
    );

    // A new file that breaks the contract (1.5 where an Int32 is declared;
    // the scan's cast would read it as 1) is refused, naming the file and
    // the column, by every query of its table, whether it reads rows or
    // statistics; other tables still answer.
    let bad = interactions.join("month=2027-02/part-00000.parquet");
    let at = fixtures::times(&[Some("2027-02-01 09:00:00")]);
    fixtures::write_parquet(
        &bad,
        vec![
            ("interaction_id", fixtures::strings(&["drifted-1"])),
            ("ticket_id", fixtures::strings(&["drifted-1"])),
            ("contact_seq", fixtures::floats(&[Some(1.5)])),
            ("customer_id", fixtures::strings(&["c1"])),
            ("channel", fixtures::strings(&["phone"])),
            ("created_at", at),
            ("resolved", fixtures::bools(&[false])),
            ("escalated", fixtures::bools(&[false])),
            ("abandoned", fixtures::bools(&[false])),
        ],
    );
    let (from_statistics, from_rows) = counts(&server);
    for (what, result) in [("count(*)", from_statistics), ("rows read", from_rows)] {
        let err = result.expect_err(&format!("{what} with a drifting file"));
        assert!(
            err.contains(&bad.display().to_string())
                && err.contains("contact_seq")
                && err.contains("1.5"),
            "{what}: {err}"
        );
    }
    let surveys = number(&server, "SELECT count(*) FROM surveys");
    assert_eq!(
        surveys,
        Ok(footer_rows(&lake.join("surveys"))),
        "surveys with a drifting interactions file"
    );

    // Removed again, the table answers again.
    std::fs::remove_file(&bad).expect("remove the drifting file");
    assert_counts(
        &server,
        at_start + 5 - removed_rows,
        "after removing the drifting file",
    );
}
