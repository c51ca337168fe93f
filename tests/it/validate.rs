//! `kpiql validate` on a clean lake and on one with planted problems.

use std::sync::Arc;

use assert_cmd::Command;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array};

use crate::fixtures::*;

fn validate(dir: &std::path::Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["--data", dir.to_str().expect("utf-8"), "validate"])
        .assert()
}

#[test]
fn a_clean_lake_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_lake(dir.path());
    let out = validate(dir.path()).code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("interactions: 3 rows in 1 file: ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("agent_states: 0 rows in 0 files: absent"),
        "{stdout}"
    );
    assert!(stdout.ends_with("no problems found\n"), "{stdout}");
}

#[test]
fn planted_problems_are_each_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // interactions: a duplicate id (i1 again), contact_seq 0, a negative
    // wait, a first response before creation, a priority sla has no target
    // for.
    write_parquet(
        &lake.join("interactions/bad.parquet"),
        vec![
            ("interaction_id", strings(&["i1", "x2", "x3"])),
            ("ticket_id", strings(&["t1", "t2", "t3"])),
            ("contact_seq", ints(&[1, 0, 1])),
            ("customer_id", strings(&["c1", "c1", "c1"])),
            ("channel", strings(&["chat", "chat", "chat"])),
            ("priority", opt_strings(&[Some("high"), Some("p1"), None])),
            (
                "created_at",
                times(&[
                    Some("2026-01-01 10:00:00"),
                    Some("2026-01-01 10:00:00"),
                    Some("2026-01-01 10:00:00"),
                ]),
            ),
            (
                "first_response_at",
                times(&[None, None, Some("2026-01-01 09:59:00")]),
            ),
            (
                "wait_seconds",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(-5.0), None])) as ArrayRef,
            ),
            ("resolved", bools(&[false, false, false])),
            ("escalated", bools(&[false, false, false])),
            ("abandoned", bools(&[false, false, false])),
        ],
    );
    // surveys: NPS 11, an unknown interaction; and a file of the wrong shape.
    surveys(
        &lake.join("surveys/bad.parquet"),
        &[
            ("s3", Some("i2"), "nps", 11),
            ("s4", Some("nope"), "csat", 4),
        ],
    );
    write_parquet(
        &lake.join("surveys/wrong.parquet"),
        vec![
            ("survey_id", strings(&["s9"])),
            ("score", strings(&["high"])),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "interactions: 6 rows in 2 files: 5 problems",
        "priority other than urgent, high, normal, low (sla measures it against the normal targets): 1 row",
        "interaction_id=x2 priority=p1",
        "duplicate interaction_id: 1 row",
        "interaction_id=i1 appears 2 times",
        "contact_seq < 1: 1 row",
        "interaction_id=x2 contact_seq=0",
        "negative wait_seconds: 1 row",
        "interaction_id=x2 wait_seconds=-5",
        "first_response_at before created_at: 1 row",
        "interaction_id=x3",
        "surveys: 4 rows in 3 files: 6 problems",
        "wrong.parquet (surveys): required column `customer_id` is missing",
        "wrong.parquet (surveys): column `score` has type Utf8 where Int32 is expected",
        "score out of its domain (csat 1-5, nps 0-10, ces 1-7): 1 row",
        "survey_id=s3 kind=nps score=11",
        "interaction_id not found in interactions: 1 row",
        "survey_id=s4 interaction_id=nope",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

// guards: a float score column holding 4.5 or NaN is a finding of
// `validate` (exit 1) naming file, column and row group, and the lake's
// other files are still checked row by row.
#[test]
fn float_scores_that_are_not_whole_are_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    for (file, score) in [("half.parquet", 4.5), ("nan.parquet", f64::NAN)] {
        write_parquet(
            &lake.join("surveys").join(file),
            vec![
                ("survey_id", strings(&["f1", "f2"])),
                ("customer_id", strings(&["c1", "c1"])),
                ("kind", strings(&["csat", "csat"])),
                (
                    "score",
                    Arc::new(Float64Array::from(vec![Some(5.0), Some(score)])) as ArrayRef,
                ),
                ("submitted_at", times(&[Some("2026-01-03 00:00:00"); 2])),
            ],
        );
    }
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "surveys: 2 rows in 3 files: 2 problems",
        "values: ",
        "half.parquet (surveys): column `score` has type Float64 standing for Int32, \
         but row 2 of row group 1 of 1 holds 4.5",
        "nan.parquet (surveys): column `score` has type Float64 standing for Int32, \
         but row 2 of row group 1 of 1 holds NaN",
        "interactions: 3 rows in 1 file: ok",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

// guards: `validate` exited 2 ("Column 'score' is declared as non-nullable
// but contains null values") on a lake with a NULL in a required column,
// the very problem its row checks are there to report.
#[test]
fn a_null_in_a_required_column_is_a_row_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    write_parquet(
        &lake.join("surveys/nulls.parquet"),
        vec![
            ("survey_id", strings(&["n1", "n2"])),
            ("customer_id", strings(&["c1", "c1"])),
            ("kind", strings(&["csat", "csat"])),
            (
                "score",
                Arc::new(Int32Array::from(vec![Some(4), None])) as ArrayRef,
            ),
            ("submitted_at", times(&[Some("2026-01-03 00:00:00"); 2])),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "surveys: 4 rows in 2 files: 1 problem",
        "required column is NULL: 1 row",
        "survey_id=n2 nulls in: score",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

// guards: with a bad file in a lake under a folder such as `lake [1]`, the
// good files' paths were parsed as globs and matched nothing, so their rows
// went unchecked ("surveys: 0 rows").
#[test]
fn a_lake_path_with_glob_characters_keeps_its_good_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake [1]");
    small_lake(&lake);
    std::fs::write(lake.join("surveys/bad.parquet"), "not parquet").expect("write");
    let out = validate(&lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("surveys: 2 rows in 2 files: 1 problem"),
        "{stdout}"
    );
}

#[test]
fn bad_calendars_are_each_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // Rows, in order: a good window; weekday 8; weekday 0; open >= close;
    // a window overlapping the first; an unknown zone (calendar "typo"); a
    // calendar in two zones ("split").
    write_parquet(
        &lake.join("business_hours.parquet"),
        vec![
            (
                "calendar_id",
                strings(&["eu", "eu", "eu", "eu", "eu", "typo", "split", "split"]),
            ),
            (
                "time_zone",
                strings(&[
                    "Europe/Warsaw",
                    "Europe/Warsaw",
                    "Europe/Warsaw",
                    "Europe/Warsaw",
                    "Europe/Warsaw",
                    "Europe/Warsow",
                    "UTC",
                    "Europe/Paris",
                ]),
            ),
            ("weekday", ints(&[1, 8, 0, 2, 1, 1, 1, 2])),
            (
                "open_minute",
                ints(&[540, 540, 540, 600, 900, 540, 540, 540]),
            ),
            (
                "close_minute",
                ints(&[1020, 1020, 1020, 600, 1100, 1020, 1020, 1020]),
            ),
        ],
    );
    write_parquet(
        &lake.join("holidays.parquet"),
        vec![
            ("calendar_id", strings(&["nowhere"])),
            ("date", dates(&["2026-12-25"])),
        ],
    );
    write_parquet(
        &lake.join("teams.parquet"),
        vec![
            ("team", strings(&["billing", "billing"])),
            ("calendar_id", strings(&["nowhere", "eu"])),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "weekday is not an ISO day of week 1 (Monday) - 7 (Sunday): 2 rows",
        "calendar_id=eu time_zone=Europe/Warsaw weekday=8 open_minute=540",
        "calendar_id=eu time_zone=Europe/Warsaw weekday=0 open_minute=540",
        "window is not 0 <= open_minute < close_minute <= 1440: 1 row",
        "weekday=2 open_minute=600 close_minute=600",
        "window overlaps another window of the same weekday and valid_from: 1 row",
        "weekday=1 open_minute=900 close_minute=1100 valid_from=NULL overlaps open_minute=540 close_minute=1020",
        "time_zone is not an IANA time zone (e.g. Europe/Warsaw): 1 row",
        "calendar_id=typo time_zone=Europe/Warsow",
        "calendar has rows in more than one time zone: 1 row",
        "calendar_id=split time_zones=Europe/Paris,UTC",
        "holidays: 1 rows in 1 file: 1 problem",
        "calendar_id=nowhere date=2026-12-25",
        "teams: 2 rows in 1 file: 2 problems",
        "team=billing calendar_id=nowhere",
        "team is listed more than once: 1 row",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}

#[test]
fn bad_customer_rows_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // k2 left before it came; k1 twice.
    write_parquet(
        &lake.join("customers.parquet"),
        vec![
            ("customer_id", strings(&["k1", "k2", "k1"])),
            ("since", dates(&["2026-01-01", "2026-05-01", "2026-01-01"])),
            (
                "churned_at",
                dates(&["2026-03-01", "2026-04-01", "2026-06-01"]),
            ),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "customers: 3 rows in 1 file: 2 problems",
        "churned_at before since: 1 row",
        "customer_id=k2 since=2026-05-01 churned_at=2026-04-01",
        "duplicate customer_id: 1 row",
        "customer_id=k1 appears 2 times",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}

#[test]
fn bad_knowledge_base_rows_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // v2 read for -5 s; v1 twice; session s1 by two customers.
    write_parquet(
        &lake.join("kb_views.parquet"),
        vec![
            ("view_id", strings(&["v1", "v2", "v1"])),
            ("article_id", strings(&["k1", "k1", "k2"])),
            ("customer_id", strings(&["c1", "c2", "c1"])),
            ("session_id", strings(&["s1", "s1", "s2"])),
            ("viewed_at", times(&[Some("2026-01-05 10:00:00"); 3])),
            ("read_seconds", floats(&[Some(10.0), Some(-5.0), None])),
        ],
    );
    write_parquet(
        &lake.join("kb_articles.parquet"),
        vec![("article_id", strings(&["k1", "k1"]))],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for expected in [
        "kb_views: 3 rows in 1 file: 3 problems",
        "negative read_seconds: 1 row",
        "view_id=v2 read_seconds=-5",
        "duplicate view_id: 1 row",
        "session with more than one customer: 1 row",
        "session_id=s1 customers=2",
        "kb_articles: 2 rows in 1 file: 1 problem",
        "article_id=k1 appears 2 times",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}

#[test]
fn a_bot_contact_with_an_agent_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // b1: a bot with an agent; b2: a bot alone; b3: a person (bot NULL).
    write_parquet(
        &lake.join("interactions/bots.parquet"),
        vec![
            ("interaction_id", strings(&["b1", "b2", "b3"])),
            ("ticket_id", strings(&["tb1", "tb2", "tb3"])),
            ("contact_seq", ints(&[1, 1, 1])),
            ("customer_id", strings(&["c1", "c1", "c1"])),
            ("agent_id", opt_strings(&[Some("a1"), None, Some("a1")])),
            ("channel", strings(&["chat", "chat", "chat"])),
            ("created_at", times(&[Some("2026-01-03 10:00:00"); 3])),
            ("resolved", bools(&[true, true, true])),
            ("escalated", bools(&[false, false, false])),
            ("abandoned", bools(&[false, false, false])),
            (
                "bot",
                std::sync::Arc::new(datafusion::arrow::array::BooleanArray::from(vec![
                    Some(true),
                    Some(true),
                    None,
                ])),
            ),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("bot contact with an agent_id")
            && stdout.contains("interaction_id=b1 agent_id=a1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("interactions: 6 rows in 2 files: 1 problem"),
        "{stdout}"
    );
}

#[test]
fn a_ticket_created_at_other_than_the_first_contacts_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path();
    small_lake(lake);
    // Two contacts per ticket, the first at 10:00 and the second at 12:00
    // (contact_seq 1 and 2); ticket_created_at per contact:
    // tk1 10:00, 10:00: right; tk2 10:00, 11:00: two values; tk3 10:00,
    // NULL: on one contact only; tk4 12:00, 12:00: the second contact's
    // time; tk5 NULL, NULL: not known, which is allowed.
    let ten = Some("2026-01-03 10:00:00");
    let eleven = Some("2026-01-03 11:00:00");
    let noon = Some("2026-01-03 12:00:00");
    let ids: Vec<String> = (1..=10).map(|k| format!("o{k}")).collect();
    let tickets: Vec<String> = (1..=10).map(|k| format!("tk{}", (k + 1) / 2)).collect();
    write_parquet(
        &lake.join("interactions/opened.parquet"),
        vec![
            (
                "interaction_id",
                strings(&ids.iter().map(String::as_str).collect::<Vec<_>>()),
            ),
            (
                "ticket_id",
                strings(&tickets.iter().map(String::as_str).collect::<Vec<_>>()),
            ),
            ("contact_seq", ints(&[1, 2, 1, 2, 1, 2, 1, 2, 1, 2])),
            ("customer_id", strings(&["c1"; 10])),
            ("channel", strings(&["chat"; 10])),
            (
                "created_at",
                times(&[ten, noon, ten, noon, ten, noon, ten, noon, ten, noon]),
            ),
            ("resolved", bools(&[false; 10])),
            ("escalated", bools(&[false; 10])),
            ("abandoned", bools(&[false; 10])),
            (
                "ticket_created_at",
                times(&[ten, ten, ten, eleven, ten, None, noon, noon, None, None]),
            ),
        ],
    );
    let out = validate(lake).code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    // One problem, of three rows: one per ticket.
    assert!(
        stdout.contains(
            "ticket_created_at is not the created_at of the ticket's first contact on every \
             contact of the ticket: 3 rows"
        ),
        "{stdout}"
    );
    let named: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("ticket_id=tk"))
        .collect();
    assert_eq!(named.len(), 3, "{stdout}");
    for (ticket, detail) in [
        (
            "tk2",
            "ticket_created_at from 2026-01-03T10:00:00Z to 2026-01-03T11:00:00Z, on 2 of 2 contacts",
        ),
        ("tk3", "on 1 of 2 contacts"),
        (
            "tk4",
            "first contact created_at=2026-01-03T10:00:00Z ticket_created_at from 2026-01-03T12:00:00Z",
        ),
    ] {
        assert!(
            named
                .iter()
                .any(|l| l.contains(&format!("ticket_id={ticket} ")) && l.contains(detail)),
            "{ticket}: {detail:?} in {stdout}"
        );
    }
    assert!(
        stdout.contains("interactions: 13 rows in 2 files: 1 problem\n"),
        "{stdout}"
    );
}
