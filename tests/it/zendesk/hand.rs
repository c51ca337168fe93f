//! The zendesk source on a tiny Fivetran lake written here (the lake of
//! `bench/zendesk_twin_check.py`, tickets 1-12, plus ticket 13 moved between
//! groups, a deleted holiday and a few satisfaction ratings): every cell of
//! `ticket_metrics`, the `interactions` the tickets' contacts make, and the
//! CSAT `surveys`. Every expected value is worked out by hand in the
//! comments (after `bench/zendesk_twin_check.md`), not copied from kpiql's
//! output.
//!
//! All times are UTC unless marked local. "Boundaries" means minute
//! boundaries crossed, floor_minute(b) - floor_minute(a). Business spans run
//! from floor_to_second(start) to floor_to_second(target); every time in
//! this lake is a whole second, so the flooring changes none of the .md's
//! values. Schedule 100 (Warsaw, Mon-Fri 09:00-17:00 local) is the default:
//! 08:00-16:00 UTC in winter (CET), 07:00-15:00 UTC in summer (CEST, from
//! 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC). `now` is 2026-12-01 00:00.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, TimestampMicrosecondArray};

use crate::fixtures::{bools, micros, opt_strings, strings, write_parquet};

// ------------------------------------------------------------ the lake

/// Fivetran's timestamps: microseconds without a zone (meaning UTC), from
/// `YYYY-MM-DD HH:MM:SS`.
fn naive(values: &[Option<&str>]) -> ArrayRef {
    let micros: Vec<Option<i64>> = values.iter().map(|v| v.map(micros)).collect();
    Arc::new(TimestampMicrosecondArray::from(micros))
}

fn int64(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn opt_int64(values: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

/// One column of `rows`.
fn col<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

fn opt_bools(values: &[Option<bool>]) -> ArrayRef {
    Arc::new(BooleanArray::from(values.to_vec()))
}

/// id, created_at, status, priority, via_channel, group_id, assignee_id,
/// requester_id, submitter_id.
type TicketRow = (
    i64,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

#[rustfmt::skip]
const TICKETS: &[TicketRow] = &[
    (1, "2024-01-15 10:00:00", "closed", Some("normal"), "web", Some(1), Some(10), Some(1), Some(1)),
    (2, "2024-02-05 09:00:00", "closed", Some("high"), "email", Some(2), Some(12), Some(2), Some(2)),
    (3, "2024-02-12 10:00:00", "pending", Some("low"), "api", Some(5), Some(10), Some(1), Some(10)),
    (4, "2024-02-13 08:55:00", "open", None, "web", Some(1), Some(11), Some(3), Some(11)),
    (5, "2024-03-04 12:00:00", "solved", Some("normal"), "web", None, None, Some(98), Some(98)),
    (6, "2024-03-11 13:00:00", "solved", Some("urgent"), "email", Some(1), Some(12), Some(1), Some(1)),
    (7, "2024-03-29 15:00:00", "solved", Some("normal"), "web", Some(1), Some(10), Some(1), Some(1)),
    (8, "2024-03-30 12:00:00", "open", Some("normal"), "web", Some(1), Some(10), Some(1), Some(1)),
    (9, "2024-10-26 12:00:00", "solved", Some("normal"), "web", Some(1), Some(12), Some(2), Some(2)),
    (10, "2024-05-01 09:00:00", "new", None, "web", Some(1), None, Some(1), Some(1)),
    (11, "2024-05-06 09:00:00", "closed", Some("normal"), "web", Some(1), None, Some(1), Some(1)),
    (12, "2024-01-16 10:00:00", "open", Some("normal"), "web", Some(1), None, Some(1), Some(1)),
    // Not in the .py: moved from Support (1) to Escalations (3).
    (13, "2024-01-22 09:00:00", "closed", Some("high"), "email", Some(3), Some(12), Some(1), Some(1)),
];

/// id, ticket_id, user_id, created, public.
const COMMENTS: &[(i64, i64, i64, &str, bool)] = &[
    (101, 1, 1, "2024-01-15 10:00:00", true),
    (102, 1, 10, "2024-01-15 11:30:30", true),
    (201, 2, 2, "2024-02-05 09:00:00", true),
    (202, 2, 12, "2024-02-05 09:20:00", true),
    (203, 2, 2, "2024-02-06 08:00:00", true),
    (204, 2, 10, "2024-02-06 09:00:00", true),
    (205, 2, 10, "2024-02-06 09:05:00", false),
    (206, 2, 2, "2024-02-07 10:00:00", true),
    (207, 2, 12, "2024-02-07 10:30:00", true),
    (301, 3, 10, "2024-02-12 10:00:00", true),
    (302, 3, 1, "2024-02-12 11:00:00", true),
    (303, 3, 10, "2024-02-12 11:45:00", true),
    (401, 4, 11, "2024-02-13 09:00:00", false),
    (402, 4, 11, "2024-02-13 09:10:00", true),
    (403, 4, 3, "2024-02-13 09:30:00", true),
    (501, 5, 2, "2024-03-04 12:00:00", true),
    (502, 5, 99, "2024-03-04 12:30:00", true),
    (503, 5, 13, "2024-03-04 13:00:00", true),
    (601, 6, 1, "2024-03-11 13:00:00", true),
    (602, 6, 12, "2024-03-12 13:30:00", true),
    (701, 7, 1, "2024-03-29 15:00:00", true),
    (702, 7, 10, "2024-04-02 08:00:00", true),
    (801, 8, 1, "2024-03-30 12:00:00", true),
    (802, 8, 10, "2024-04-01 12:00:00", true),
    (901, 9, 2, "2024-10-26 12:00:00", true),
    (902, 9, 12, "2024-10-28 12:00:00", true),
    (903, 9, 10, "2024-10-29 09:00:00", true),
    (1201, 12, 1, "2024-01-16 10:00:00", true),
    (1202, 12, 12, "2024-01-16 14:00:00", true),
    (1301, 13, 1, "2024-01-22 09:00:00", true),
    (1302, 13, 10, "2024-01-22 09:30:00", false),
    (1303, 13, 12, "2024-01-22 10:10:00", true),
];

/// ticket_id, field_name, updated, value.
const HISTORY: &[(i64, &str, &str, &str)] = &[
    (1, "status", "2024-01-15 10:00:00", "new"),
    (1, "status", "2024-01-15 11:31:10", "solved"),
    (1, "status", "2024-01-15 11:31:10", "solved"), // exact duplicate (a re-sync)
    (1, "status", "2024-01-19 12:00:00", "closed"),
    (1, "assignee_id", "2024-01-15 10:05:00", "10"),
    (2, "status", "2024-02-05 09:00:00", "new"),
    (2, "status", "2024-02-05 09:20:00", "open"),
    (2, "status", "2024-02-05 12:00:30", "solved"),
    (2, "status", "2024-02-06 08:00:00", "open"),
    (2, "status", "2024-02-06 09:00:00", "pending"),
    (2, "status", "2024-02-06 15:00:00", "solved"),
    (2, "status", "2024-02-07 10:00:00", "open"),
    (2, "status", "2024-02-07 10:30:00", "hold"),
    (2, "status", "2024-02-07 11:00:59", "solved"),
    (2, "status", "2024-02-11 12:00:00", "closed"),
    (2, "assignee_id", "2024-02-05 09:20:00", "12"),
    (2, "assignee_id", "2024-02-06 09:00:00", "10"),
    (2, "assignee_id", "2024-02-07 10:30:00", "12"),
    (3, "status", "2024-02-12 10:00:00", "open"),
    (3, "status", "2024-02-12 11:45:00", "pending"),
    (4, "status", "2024-02-13 08:55:00", "open"),
    (5, "status", "2024-03-04 12:00:00", "new"),
    (5, "status", "2024-03-05 12:00:00", "solved"),
    (6, "status", "2024-03-11 13:00:00", "new"),
    (6, "status", "2024-03-11 15:00:00", "open"),
    (6, "status", "2024-03-12 14:00:00", "solved"),
    (7, "status", "2024-03-29 15:00:00", "new"),
    (7, "status", "2024-04-02 10:30:00", "solved"),
    (8, "status", "2024-03-30 12:00:00", "new"),
    (8, "status", "2024-04-01 12:00:00", "open"),
    (9, "status", "2024-10-26 12:00:00", "new"),
    (9, "status", "2024-10-28 12:00:00", "open"),
    (9, "status", "2024-11-04 12:00:00", "solved"),
    (11, "status", "2024-05-06 09:00:00", "new"),
    (11, "status", "2024-05-06 10:00:00", "closed"),
    (12, "status", "2024-01-16 10:00:00", "open"),
    // Ticket 13 (not in the .py): Support, then Escalations at 09:40.
    (13, "status", "2024-01-22 09:00:00", "new"),
    (13, "status", "2024-01-22 09:30:00", "open"),
    (13, "status", "2024-01-22 10:10:00", "solved"),
    (13, "status", "2024-01-26 12:00:00", "closed"),
    (13, "group_id", "2024-01-22 09:00:00", "1"),
    (13, "group_id", "2024-01-22 09:40:00", "3"),
    (13, "assignee_id", "2024-01-22 09:30:00", "10"),
    (13, "assignee_id", "2024-01-22 09:40:00", "12"),
    // Satisfaction ratings (not in the .py; ticket_metrics and the
    // contacts read only status, assignee_id and group_id, so these change
    // nothing there). Ticket 1: offered, good, offered again -> good.
    (1, "satisfaction_score", "2024-01-15 11:31:10", "offered"),
    (1, "satisfaction_score", "2024-01-16 09:00:00", "good"),
    (1, "satisfaction_score", "2024-01-19 12:00:00", "offered"),
    // Ticket 2: offered, bad in its first contact, good in its third.
    (2, "satisfaction_score", "2024-02-05 12:00:30", "offered"),
    (2, "satisfaction_score", "2024-02-05 13:00:00", "bad"),
    (2, "satisfaction_score", "2024-02-07 12:00:00", "good"),
    // Ticket 6: offered, good, then changed to bad.
    (6, "satisfaction_score", "2024-03-12 14:00:00", "offered"),
    (6, "satisfaction_score", "2024-03-12 14:30:00", "good"),
    (6, "satisfaction_score", "2024-03-13 09:00:00", "bad"),
    // Ticket 7: offered and never answered.
    (7, "satisfaction_score", "2024-04-02 10:30:00", "offered"),
];

/// id, name, role.
const USERS: &[(i64, &str, Option<&str>)] = &[
    (1, "Alice", Some("end-user")),
    (2, "Bob", Some("end-user")),
    (3, "Cleo", Some("not set")),
    (10, "Ann", Some("agent")),
    (11, "Carl", Some("admin")),
    (12, "Dave", Some("agent")),
    (13, "Nora", None),
];

/// The lake of `bench/zendesk_twin_check.py` with Fivetran's Parquet shapes
/// (ids Int64, zone-less microsecond timestamps, dates as text), one file
/// per table at `dir/<table>/part-0.parquet`; plus ticket 13, group 3
/// (Escalations), a deleted holiday on ticket 13's day and the
/// satisfaction ratings of tickets 1, 2, 6 and 7.
pub fn tiny_lake(dir: &Path) {
    let file = |table: &str| dir.join(table).join("part-0.parquet");

    let t = TICKETS;
    write_parquet(
        &file("ticket"),
        vec![
            ("id", int64(&col(t, |r| r.0))),
            ("created_at", naive(&col(t, |r| Some(r.1)))),
            ("updated_at", naive(&col(t, |r| Some(r.1)))),
            ("status", strings(&col(t, |r| r.2))),
            ("priority", opt_strings(&col(t, |r| r.3))),
            ("via_channel", strings(&col(t, |r| r.4))),
            ("group_id", opt_int64(&col(t, |r| r.5))),
            ("assignee_id", opt_int64(&col(t, |r| r.6))),
            ("requester_id", opt_int64(&col(t, |r| r.7))),
            ("submitter_id", opt_int64(&col(t, |r| r.8))),
        ],
    );

    let c = COMMENTS;
    write_parquet(
        &file("ticket_comment"),
        vec![
            ("id", int64(&col(c, |r| r.0))),
            ("ticket_id", int64(&col(c, |r| r.1))),
            ("user_id", int64(&col(c, |r| r.2))),
            ("created", naive(&col(c, |r| Some(r.3)))),
            ("public", bools(&col(c, |r| r.4))),
        ],
    );

    let h = HISTORY;
    write_parquet(
        &file("ticket_field_history"),
        vec![
            ("ticket_id", int64(&col(h, |r| r.0))),
            ("field_name", strings(&col(h, |r| r.1))),
            ("updated", naive(&col(h, |r| Some(r.2)))),
            ("value", opt_strings(&col(h, |r| Some(r.3)))),
            ("user_id", opt_int64(&vec![None; h.len()])),
        ],
    );

    let u = USERS;
    write_parquet(
        &file("user"),
        vec![
            ("id", int64(&col(u, |r| r.0))),
            ("name", strings(&col(u, |r| r.1))),
            ("role", opt_strings(&col(u, |r| r.2))),
            ("email", opt_strings(&vec![None; u.len()])),
        ],
    );

    // Billing (2) is deleted; group 5 does not exist.
    write_parquet(
        &file("group"),
        vec![
            ("id", int64(&[1, 2, 3])),
            ("name", strings(&["Support", "Billing", "Escalations"])),
            ("_fivetran_deleted", bools(&[false, true, false])),
        ],
    );

    // One row per weekly interval, minutes from local Sunday 00:00.
    // (id, name, start, end, zone, created_at, deleted)
    let mut schedules: Vec<(i64, &str, i64, i64, &str, &str, bool)> = Vec::new();
    for d in 1..=5 {
        // 100: Warsaw Mon-Fri 09:00-17:00, the default (oldest not deleted).
        schedules.push((
            100,
            "Warsaw office",
            d * 1440 + 540,
            d * 1440 + 1020,
            "Warsaw",
            "2020-01-01 00:00:00",
            false,
        ));
    }
    for d in 1..=5 {
        // 200: New York Mon-Fri 08:00-12:00 ...
        schedules.push((
            200,
            "New York",
            d * 1440 + 480,
            d * 1440 + 720,
            "Eastern Time (US & Canada)",
            "2021-01-01 00:00:00",
            false,
        ));
    }
    // ... and Mon 22:00 - Tue 02:00 (crosses local midnight).
    schedules.push((
        200,
        "New York",
        1440 + 1320,
        2 * 1440 + 120,
        "Eastern Time (US & Canada)",
        "2021-01-01 00:00:00",
        false,
    ));
    for d in 1..=5 {
        // 300: older but deleted, never the default.
        schedules.push((
            300,
            "Old 24/5",
            d * 1440,
            (d + 1) * 1440,
            "UTC",
            "2019-01-01 00:00:00",
            true,
        ));
    }
    // 400: Sunday 02:30-04:00, the zone as an IANA name.
    schedules.push((
        400,
        "Night shift",
        150,
        240,
        "Europe/Warsaw",
        "2022-01-01 00:00:00",
        false,
    ));
    let s = &schedules;
    write_parquet(
        &file("schedule"),
        vec![
            ("id", int64(&col(s, |r| r.0))),
            ("name", strings(&col(s, |r| r.1))),
            ("start_time", int64(&col(s, |r| r.2))),
            ("end_time", int64(&col(s, |r| r.3))),
            ("time_zone", strings(&col(s, |r| r.4))),
            ("created_at", naive(&col(s, |r| Some(r.5)))),
            ("_fivetran_deleted", bools(&col(s, |r| r.6))),
        ],
    );

    // Holidays 1 and 2 as in the .py (deleted NULL: not deleted); 3, not in
    // the .py, is deleted: were it counted, ticket 13's Monday would close.
    write_parquet(
        &file("schedule_holiday"),
        vec![
            ("id", int64(&[1, 2, 3])),
            ("schedule_id", int64(&[100, 200, 100])),
            (
                "name",
                strings(&["Easter Monday", "A Tuesday off", "Cancelled day off"]),
            ),
            (
                "start_date",
                strings(&["2024-04-01", "2024-03-12", "2024-01-22"]),
            ),
            (
                "end_date",
                strings(&["2024-04-01", "2024-03-12", "2024-01-22"]),
            ),
            ("_fivetran_deleted", opt_bools(&[None, None, Some(true)])),
        ],
    );

    write_parquet(
        &file("ticket_schedule"),
        vec![
            ("ticket_id", int64(&[6, 8, 9, 12])),
            ("schedule_id", int64(&[200, 400, 400, 200])),
            (
                "created_at",
                naive(&[
                    Some("2024-03-11 15:00:00"),
                    Some("2024-03-30 12:00:03"),
                    Some("2024-10-26 12:00:05"),
                    Some("2024-01-16 10:00:06"),
                ]),
            ),
        ],
    );
}

// ------------------------------------------------------------ running and comparing

fn lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    tiny_lake(dir.path());
    dir
}

/// `kpiql -q --source zendesk --data DIR ARGS --format csv`; must succeed.
fn kpiql_csv(dir: &Path, args: &[&str]) -> String {
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .env_remove("KPIQL_TIME_ZONE")
        .args([
            "-q",
            "--source",
            "zendesk",
            "--data",
            dir.to_str().expect("utf-8"),
        ])
        .args(args)
        .args(["--format", "csv"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "kpiql {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The header and the rows of a CSV without quoted fields.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header line")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    for row in &rows {
        assert_eq!(
            row.len(),
            header.len(),
            "row {row:?} against header {header:?}"
        );
    }
    (header, rows)
}

/// An expected cell: NULL is an empty field, numbers within 1e-9.
#[derive(Debug, Clone, Copy)]
enum Want {
    Null,
    Num(f64),
    Text(&'static str),
    Bool(bool),
}

impl Want {
    fn matches(self, got: &str) -> bool {
        match self {
            Want::Null => got.is_empty(),
            Want::Num(want) => got.parse::<f64>().is_ok_and(|g| (g - want).abs() < 1e-9),
            Want::Text(want) => got == want,
            Want::Bool(want) => got == if want { "true" } else { "false" },
        }
    }
}

trait Cell {
    fn cell(&self) -> Want;
}

impl Cell for f64 {
    fn cell(&self) -> Want {
        Want::Num(*self)
    }
}

impl Cell for Option<f64> {
    fn cell(&self) -> Want {
        self.map_or(Want::Null, Want::Num)
    }
}

impl Cell for i64 {
    fn cell(&self) -> Want {
        Want::Num(*self as f64)
    }
}

impl Cell for &'static str {
    fn cell(&self) -> Want {
        Want::Text(self)
    }
}

impl Cell for Option<&'static str> {
    fn cell(&self) -> Want {
        self.map_or(Want::Null, Want::Text)
    }
}

impl Cell for bool {
    fn cell(&self) -> Want {
        Want::Bool(*self)
    }
}

/// The (column, expected cell) pairs of a struct whose fields are named as
/// the columns, in the columns' order.
macro_rules! cells {
    ($row:ident => $($field:ident),+ $(,)?) => {
        vec![$((stringify!($field), Cell::cell(&$row.$field))),+]
    };
}

/// Expected rows: each row's first cell as its key, and its (column,
/// cell) pairs in the columns' order.
type Row = (String, Vec<(&'static str, Want)>);
type Expected = Vec<Row>;

/// Every cell of `rows` against `want` (the header too); all differences
/// in one failure.
fn compare(header: &[String], rows: &[Vec<String>], want: &[Row]) {
    let names: Vec<&str> = want
        .first()
        .expect("expectations")
        .1
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(header, names, "the columns");
    let got_keys: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let want_keys: Vec<&str> = want.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(got_keys, want_keys, "the rows, in order");
    let mut wrong = Vec::new();
    for (row, (key, cells)) in rows.iter().zip(want) {
        for ((name, cell), got) in cells.iter().zip(row) {
            if !cell.matches(got) {
                wrong.push(format!("{key} {name}: expected {cell:?}, got {got:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

// ------------------------------------------------------------ ticket_metrics

/// One expected row of `ticket_metrics`, the fields named as its columns.
#[derive(Debug)]
struct Metrics {
    ticket_id: i64,
    status: &'static str,
    priority: Option<&'static str>,
    group_name: Option<&'static str>,
    created_channel: &'static str,
    created_at: &'static str,
    first_reply_time_calendar_minutes: Option<f64>,
    first_reply_time_business_minutes: Option<f64>,
    first_resolution_calendar_minutes: Option<f64>,
    final_resolution_calendar_minutes: Option<f64>,
    first_resolution_business_minutes: Option<f64>,
    full_resolution_business_minutes: Option<f64>,
    count_resolutions: Option<f64>,
    count_reopens: Option<f64>,
    count_agent_comments: f64,
    count_public_agent_comments: f64,
    count_end_user_comments: f64,
    total_agent_replies: f64,
    count_ticket_handoffs: f64,
    unique_assignee_count: Option<f64>,
    is_one_touch_resolution: bool,
    is_two_touch_resolution: bool,
    is_multi_touch_resolution: bool,
    agent_wait_time_in_calendar_minutes: Option<f64>,
    requester_wait_time_in_calendar_minutes: Option<f64>,
    on_hold_time_in_calendar_minutes: Option<f64>,
}

impl Metrics {
    fn cells(&self) -> Vec<(&'static str, Want)> {
        let m = self;
        cells!(m =>
            ticket_id,
            status,
            priority,
            group_name,
            created_channel,
            created_at,
            first_reply_time_calendar_minutes,
            first_reply_time_business_minutes,
            first_resolution_calendar_minutes,
            final_resolution_calendar_minutes,
            first_resolution_business_minutes,
            full_resolution_business_minutes,
            count_resolutions,
            count_reopens,
            count_agent_comments,
            count_public_agent_comments,
            count_end_user_comments,
            total_agent_replies,
            count_ticket_handoffs,
            unique_assignee_count,
            is_one_touch_resolution,
            is_two_touch_resolution,
            is_multi_touch_resolution,
            agent_wait_time_in_calendar_minutes,
            requester_wait_time_in_calendar_minutes,
            on_hold_time_in_calendar_minutes,
        )
    }
}

fn expected_metrics() -> Vec<Metrics> {
    vec![
        // 1, one-touch (Mon 2024-01-15 10:00, closed, Support). Alice (end
        // user) pub 10:00 is the first public comment, so the reply is the
        // next public agent comment, Ann 11:30:30: 5430 s = 90.5 min, all
        // inside 08:00-16:00, business 90.5. Status new 10:00, solved
        // 11:31:10 twice (an exact duplicate: once), closed 01-19. First =
        // last solve 11:31:10 (the close is not used): boundaries 10:00 ->
        // 11:31 = 91; business 91 min 10 s = 91.1667. Resolutions 1,
        // reopens 0. Agent 1 (Ann), public agent 1, end user 1, replies 1,
        // handoffs 1; assignees {10} = 1. Closed with one public agent
        // comment: one-touch. Waits: new 10:00 -> 11:31:10 = 91 requester.
        Metrics {
            ticket_id: 1,
            status: "closed",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-01-15T10:00:00Z",
            first_reply_time_calendar_minutes: Some(90.5),
            first_reply_time_business_minutes: Some(90.5),
            first_resolution_calendar_minutes: Some(91.0),
            final_resolution_calendar_minutes: Some(91.0),
            first_resolution_business_minutes: Some(91.1667),
            full_resolution_business_minutes: Some(91.1667),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 1.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: Some(1.0),
            is_one_touch_resolution: true,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(91.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 2, reopened twice (Mon 2024-02-05 09:00, closed; group 2 Billing
        // is deleted: group_name NULL). Reply Dave 09:20: 20 calendar, 20
        // business. First solve 12:00:30: boundaries 09:00 -> 12:00 = 180;
        // business 180.5. Last solve 02-07 11:00:59: boundaries 2880 + 120
        // = 3000; business (CET, 08:00-16:00) Mon 09:00-16:00 420 + Tue 480
        // + Wed 08:00-11:00:59 180.9833 = 1080.9833. Solved 3 times:
        // resolutions 3, reopens 2. Agent 4 (3 public + Ann's note),
        // public agent 3, end user 3 (Bob), replies 3, handoffs 2 (Ann,
        // Dave); assignees {12, 10} = 2. Closed, 3 public agent: multi.
        // Waits: new 20 + open 09:20-12:00:30 160 + open 02-06 08:00-09:00
        // 60 + open 02-07 10:00-10:30 30 + hold 10:30-11:00:59 30 = 300
        // requester; pending 09:00-15:00 = 360 agent; hold 30.
        Metrics {
            ticket_id: 2,
            status: "closed",
            priority: Some("high"),
            group_name: None,
            created_channel: "email",
            created_at: "2024-02-05T09:00:00Z",
            first_reply_time_calendar_minutes: Some(20.0),
            first_reply_time_business_minutes: Some(20.0),
            first_resolution_calendar_minutes: Some(180.0),
            final_resolution_calendar_minutes: Some(3000.0),
            first_resolution_business_minutes: Some(180.5),
            full_resolution_business_minutes: Some(1080.9833),
            count_resolutions: Some(3.0),
            count_reopens: Some(2.0),
            count_agent_comments: 4.0,
            count_public_agent_comments: 3.0,
            count_end_user_comments: 3.0,
            total_agent_replies: 3.0,
            count_ticket_handoffs: 2.0,
            unique_assignee_count: Some(2.0),
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: true,
            agent_wait_time_in_calendar_minutes: Some(360.0),
            requester_wait_time_in_calendar_minutes: Some(300.0),
            on_hold_time_in_calendar_minutes: Some(30.0),
        },
        // 3, agent-created without a note first (Mon 2024-02-12 10:00,
        // pending; group 5 does not exist: NULL). Ann pub 10:00 is the
        // first public comment, an agent's, with no private comment at or
        // before it, so it is not the reply: the next public agent comment,
        // Ann 11:45, is: 105 calendar, 105 business. No solve or close: the
        // resolution columns and counts NULL. Agent 2, public agent 2, end
        // user 1, replies 2 - 1 = 1 (the first public is the agent's),
        // handoffs 1; no assignee history: NULL. Pending: no touch flag.
        // Waits: open 105 requester; pending 2024-02-12 11:45 -> now =
        // 1023 days x 1440 - 705 = 1 472 415 agent.
        Metrics {
            ticket_id: 3,
            status: "pending",
            priority: Some("low"),
            group_name: None,
            created_channel: "api",
            created_at: "2024-02-12T10:00:00Z",
            first_reply_time_calendar_minutes: Some(105.0),
            first_reply_time_business_minutes: Some(105.0),
            first_resolution_calendar_minutes: None,
            final_resolution_calendar_minutes: None,
            first_resolution_business_minutes: None,
            full_resolution_business_minutes: None,
            count_resolutions: None,
            count_reopens: None,
            count_agent_comments: 2.0,
            count_public_agent_comments: 2.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(1_472_415.0),
            requester_wait_time_in_calendar_minutes: Some(105.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 4, agent-created with a note first (Tue 2024-02-13 08:55, open,
        // Support; no priority). Carl (admin) private 09:00, then Carl pub
        // 09:10, the first public comment: an agent's with a private one at
        // or before it, so the reply is that comment itself: 15 calendar,
        // 15 business (inside 08:00-16:00). Agent 2, public agent 1, end
        // user 1 (Cleo, role `not set`), replies 1 - 1 = 0, handoffs 1.
        // Open: resolution NULL, no flags. Waits: open 08:55 -> now = 1022
        // days x 1440 - 535 = 1 471 145 requester.
        Metrics {
            ticket_id: 4,
            status: "open",
            priority: None,
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-02-13T08:55:00Z",
            first_reply_time_calendar_minutes: Some(15.0),
            first_reply_time_business_minutes: Some(15.0),
            first_resolution_calendar_minutes: None,
            final_resolution_calendar_minutes: None,
            first_resolution_business_minutes: None,
            full_resolution_business_minutes: None,
            count_resolutions: None,
            count_reopens: None,
            count_agent_comments: 2.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 0.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(1_471_145.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 5, never replied (Mon 2024-03-04 12:00, solved, no group;
        // requester 98 not in `user`, kept). Bob pub 12:00; user 99 is not
        // in `user` (dropped); Nora (role NULL: unknown) counts nowhere.
        // No public agent comment: both reply columns NULL. Solved 03-05
        // 12:00: 1440 calendar; business Mon 12:00-16:00 240 + Tue
        // 08:00-12:00 240 = 480 (both). Resolutions 1, reopens 0. Agent 0,
        // end user 1, replies 0, handoffs 0. Solved with 0 public agent
        // comments: multi-touch. Waits: new 1440 requester.
        Metrics {
            ticket_id: 5,
            status: "solved",
            priority: Some("normal"),
            group_name: None,
            created_channel: "web",
            created_at: "2024-03-04T12:00:00Z",
            first_reply_time_calendar_minutes: None,
            first_reply_time_business_minutes: None,
            first_resolution_calendar_minutes: Some(1440.0),
            final_resolution_calendar_minutes: Some(1440.0),
            first_resolution_business_minutes: Some(480.0),
            full_resolution_business_minutes: Some(480.0),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 0.0,
            count_public_agent_comments: 0.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 0.0,
            count_ticket_handoffs: 0.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: true,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(1440.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 6, schedule change while open (Mon 2024-03-11 13:00, solved).
        // Warsaw [13:00, 15:00), New York (200) from the trigger at 15:00.
        // Reply Dave 03-12 13:30: calendar 1440 + 30 = 1470. Business:
        // Warsaw (CET) 13:00-15:00 = 120; New York (EDT): Mon 12:00-16:00
        // UTC from 15:00 = 60, Mon 22:00-24:00 local = Tue 02:00-04:00 =
        // 120; Tue 03-12 is New York's holiday (its 00:00-02:00 and
        // 08:00-12:00 local pieces dropped): 300. Solved 03-12 14:00:
        // boundaries 1500; nothing more opens on the holiday: 300 (both).
        // One-touch; agent 1, end user 1, replies 1, handoffs 1. Waits: new
        // 120 + open 15:00 -> 14:00 1380 = 1500.
        Metrics {
            ticket_id: 6,
            status: "solved",
            priority: Some("urgent"),
            group_name: Some("Support"),
            created_channel: "email",
            created_at: "2024-03-11T13:00:00Z",
            first_reply_time_calendar_minutes: Some(1470.0),
            first_reply_time_business_minutes: Some(300.0),
            first_resolution_calendar_minutes: Some(1500.0),
            final_resolution_calendar_minutes: Some(1500.0),
            first_resolution_business_minutes: Some(300.0),
            full_resolution_business_minutes: Some(300.0),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 1.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: true,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(1500.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 7, across a holiday and the EU DST change (Fri 2024-03-29 15:00 =
        // 16:00 CET, solved). Reply Ann Tue 04-02 08:00 (10:00 CEST):
        // calendar 3 days 17 h = 5340; business Fri 16:00-17:00 local 60,
        // weekend closed, Mon 04-01 Easter holiday, Tue 09:00-10:00 local
        // (07:00-08:00) 60 = 120. Solved 04-02 10:30 (12:30 local):
        // calendar 5340 + 150 = 5490; business 60 + Tue 09:00-12:30 local
        // 210 = 270 (both). One-touch; requester wait 5490.
        Metrics {
            ticket_id: 7,
            status: "solved",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-03-29T15:00:00Z",
            first_reply_time_calendar_minutes: Some(5340.0),
            first_reply_time_business_minutes: Some(120.0),
            first_resolution_calendar_minutes: Some(5490.0),
            final_resolution_calendar_minutes: Some(5490.0),
            first_resolution_business_minutes: Some(270.0),
            full_resolution_business_minutes: Some(270.0),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 1.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: true,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(5490.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 8, a window boundary in the DST gap (Sat 2024-03-30 12:00, open).
        // Schedule 400 (Sun 02:30-04:00 local) from 12:00:03, 3 s after
        // creation, so no default event. Sun 03-31 Warsaw jumps 02:00 CET
        // -> 03:00 CEST at 01:00 UTC: 02:30 does not exist and is the
        // jump, 01:00 UTC; 04:00 CEST = 02:00 UTC: 60. Reply Ann Mon 04-01
        // 12:00: business 60, calendar 2880. Open: no resolution. Waits:
        // new 2880 + open 04-01 12:00 -> now (974 days x 1440 - 720 =
        // 1 401 840) = 1 404 720.
        Metrics {
            ticket_id: 8,
            status: "open",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-03-30T12:00:00Z",
            first_reply_time_calendar_minutes: Some(2880.0),
            first_reply_time_business_minutes: Some(60.0),
            first_resolution_calendar_minutes: None,
            final_resolution_calendar_minutes: None,
            first_resolution_business_minutes: None,
            full_resolution_business_minutes: None,
            count_resolutions: None,
            count_reopens: None,
            count_agent_comments: 1.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(1_404_720.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 9, an ambiguous window boundary (Sat 2024-10-26 12:00, solved).
        // Schedule 400 from created + 5 s (the 5 s window is inclusive: no
        // default event). Sun 10-27 Warsaw goes back 03:00 CEST -> 02:00
        // CET at 01:00 UTC: 02:30 occurs twice, the first is 02:30 CEST =
        // 00:30 UTC; 04:00 CET = 03:00 UTC: 150. Reply Dave 10-28 12:00:
        // business 150, calendar 2880. Sun 11-03 (CET) 01:30-03:00 UTC =
        // 90; solved 11-04 12:00: calendar 9 days = 12960, business 240
        // (both). Public agent 2 (Dave, Ann): two-touch, replies 2,
        // handoffs 2. Waits: new 2880 + open 7 days 10080 = 12960.
        Metrics {
            ticket_id: 9,
            status: "solved",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-10-26T12:00:00Z",
            first_reply_time_calendar_minutes: Some(2880.0),
            first_reply_time_business_minutes: Some(150.0),
            first_resolution_calendar_minutes: Some(12960.0),
            final_resolution_calendar_minutes: Some(12960.0),
            first_resolution_business_minutes: Some(240.0),
            full_resolution_business_minutes: Some(240.0),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 2.0,
            count_public_agent_comments: 2.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 2.0,
            count_ticket_handoffs: 2.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: true,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(12960.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 10, no comments, no history (2024-05-01 09:00, new, no priority):
        // all counts 0; reply, resolution, resolutions, reopens and
        // assignees NULL; the three waits NULL (no status history); no
        // comment at all: every flag false.
        Metrics {
            ticket_id: 10,
            status: "new",
            priority: None,
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-05-01T09:00:00Z",
            first_reply_time_calendar_minutes: None,
            first_reply_time_business_minutes: None,
            first_resolution_calendar_minutes: None,
            final_resolution_calendar_minutes: None,
            first_resolution_business_minutes: None,
            full_resolution_business_minutes: None,
            count_resolutions: None,
            count_reopens: None,
            count_agent_comments: 0.0,
            count_public_agent_comments: 0.0,
            count_end_user_comments: 0.0,
            total_agent_replies: 0.0,
            count_ticket_handoffs: 0.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: None,
            requester_wait_time_in_calendar_minutes: None,
            on_hold_time_in_calendar_minutes: None,
        },
        // 11, closed only (Mon 2024-05-06 09:00, closed, no comments). New
        // 09:00, closed 10:00: first and last solve fall back to the close,
        // 60 calendar; business (CEST, 07:00-15:00) 09:00-10:00 = 60.
        // Resolutions 0 (no solved row), reopens 0. No comment at all:
        // every flag false although closed. Waits: new 60 requester.
        Metrics {
            ticket_id: 11,
            status: "closed",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-05-06T09:00:00Z",
            first_reply_time_calendar_minutes: None,
            first_reply_time_business_minutes: None,
            first_resolution_calendar_minutes: Some(60.0),
            final_resolution_calendar_minutes: Some(60.0),
            first_resolution_business_minutes: Some(60.0),
            full_resolution_business_minutes: Some(60.0),
            count_resolutions: Some(0.0),
            count_reopens: Some(0.0),
            count_agent_comments: 0.0,
            count_public_agent_comments: 0.0,
            count_end_user_comments: 0.0,
            total_agent_replies: 0.0,
            count_ticket_handoffs: 0.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(60.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 12, the 5-second rule not met (Tue 2024-01-16 10:00, open). New
        // York from 10:00:06, 6 s after creation, so the default Warsaw
        // covers [10:00:00, 10:00:06): 6 s = 0.1 min inside 08:00-16:00;
        // New York (EST, 13:00-17:00 UTC) from 10:00:06 to the reply Dave
        // 14:00 = 60. Business 60.1; calendar 240. Waits: open -> now =
        // 1050 days x 1440 - 600 = 1 511 400.
        Metrics {
            ticket_id: 12,
            status: "open",
            priority: Some("normal"),
            group_name: Some("Support"),
            created_channel: "web",
            created_at: "2024-01-16T10:00:00Z",
            first_reply_time_calendar_minutes: Some(240.0),
            first_reply_time_business_minutes: Some(60.1),
            first_resolution_calendar_minutes: None,
            final_resolution_calendar_minutes: None,
            first_resolution_business_minutes: None,
            full_resolution_business_minutes: None,
            count_resolutions: None,
            count_reopens: None,
            count_agent_comments: 1.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 1.0,
            unique_assignee_count: None,
            is_one_touch_resolution: false,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(1_511_400.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
        // 13, moved between groups (Mon 2024-01-22 09:00, closed, now in
        // group 3 Escalations; not in the .md). Comments: Alice pub 09:00
        // (the first public, an end user's), Ann private note 09:30, Dave
        // pub 10:10. The reply is the first public agent comment after
        // Alice's: Dave 10:10 (the note is not public): 70 calendar. The
        // default schedule 100 from 09:00 (no trigger), CET 08:00-16:00;
        // 2024-01-22's holiday is deleted so it does not close the day:
        // 09:00-10:10 = 70 business. Status new 09:00, open 09:30, solved
        // 10:10, closed 01-26 12:00: first = last solve 10:10, boundaries
        // 540 -> 610 = 70, business 70 (both). Resolutions 1, reopens 0.
        // Agent 2 (Ann's note, Dave's reply), public agent 1, end user 1,
        // replies 1, handoffs 2 (Ann, Dave); assignees {10, 12} = 2 (the
        // group history counts in none of these). Closed with one public
        // agent comment: one-touch. Waits: new 09:00-09:30 30 + open
        // 09:30-10:10 40 = 70 requester; agent 0, hold 0.
        Metrics {
            ticket_id: 13,
            status: "closed",
            priority: Some("high"),
            group_name: Some("Escalations"),
            created_channel: "email",
            created_at: "2024-01-22T09:00:00Z",
            first_reply_time_calendar_minutes: Some(70.0),
            first_reply_time_business_minutes: Some(70.0),
            first_resolution_calendar_minutes: Some(70.0),
            final_resolution_calendar_minutes: Some(70.0),
            first_resolution_business_minutes: Some(70.0),
            full_resolution_business_minutes: Some(70.0),
            count_resolutions: Some(1.0),
            count_reopens: Some(0.0),
            count_agent_comments: 2.0,
            count_public_agent_comments: 1.0,
            count_end_user_comments: 1.0,
            total_agent_replies: 1.0,
            count_ticket_handoffs: 2.0,
            unique_assignee_count: Some(2.0),
            is_one_touch_resolution: true,
            is_two_touch_resolution: false,
            is_multi_touch_resolution: false,
            agent_wait_time_in_calendar_minutes: Some(0.0),
            requester_wait_time_in_calendar_minutes: Some(70.0),
            on_hold_time_in_calendar_minutes: Some(0.0),
        },
    ]
}

#[test]
fn ticket_metrics_by_hand() {
    let dir = lake();
    let csv = kpiql_csv(
        dir.path(),
        &[
            "report",
            "ticket_metrics",
            "--param",
            "now=2026-12-01T00:00:00Z",
        ],
    );
    let (header, rows) = parse_csv(&csv);
    let want: Expected = expected_metrics()
        .iter()
        .map(|m| (m.ticket_id.to_string(), m.cells()))
        .collect();
    compare(&header, &rows, &want);
}

// ------------------------------------------------------------ interactions

/// One expected row of the contacts query, the fields named as its columns.
#[derive(Debug)]
struct Contact {
    interaction_id: &'static str,
    contact_seq: i64,
    created_at: &'static str,
    first_response_at: Option<&'static str>,
    ended_at: Option<&'static str>,
    resolved: bool,
    escalated: bool,
    team: Option<&'static str>,
    channel: &'static str,
}

impl Contact {
    fn cells(&self) -> Vec<(&'static str, Want)> {
        let c = self;
        cells!(c =>
            interaction_id,
            contact_seq,
            created_at,
            first_response_at,
            ended_at,
            resolved,
            escalated,
            team,
            channel,
        )
    }
}

/// The rules (zendesk_contacts.sql): a ticket's first contact starts at its
/// creation, and each reopen (a status change out of `solved` to anything
/// but `closed`) starts the next, each running until the next starts. A
/// contact ends at its first solve (else its first close).
/// first_response_at is the contact's first public agent comment after the
/// ticket's first public comment. Only the last contact, and only when it
/// ended, is resolved. Escalated: a change of group_id to another group
/// within the contact. Team is the ticket's current group (not deleted),
/// channel its via channel mapped (web -> email; api, unmapped, as is).
fn expected_contacts() -> Vec<Contact> {
    vec![
        // 1: new, solved 11:31:10 (duplicate once), closed: no reopen, one
        // contact ending at the solve; Ann 11:30:30 answers Alice 10:00.
        Contact {
            interaction_id: "1-1",
            contact_seq: 1,
            created_at: "2024-01-15T10:00:00Z",
            first_response_at: Some("2024-01-15T11:30:30Z"),
            ended_at: Some("2024-01-15T11:31:10Z"),
            resolved: true,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 2: solved 02-05 12:00:30 -> open 02-06 08:00 (reopen: contact 2)
        // -> pending -> solved 15:00 -> open 02-07 10:00 (reopen: contact
        // 3) -> hold -> solved 11:00:59 -> closed (out of solved to closed:
        // no reopen). Contact 1 [02-05 09:00, 02-06 08:00) ends at
        // 12:00:30, answered by Dave 09:20; contact 2 [02-06 08:00, 02-07
        // 10:00) ends at 15:00, answered by Ann pub 09:00 (her 09:05 note
        // is private); contact 3 from 02-07 10:00 ends at 11:00:59,
        // answered by Dave 10:30, and is the only one resolved. Group 2 is
        // deleted: no team.
        Contact {
            interaction_id: "2-1",
            contact_seq: 1,
            created_at: "2024-02-05T09:00:00Z",
            first_response_at: Some("2024-02-05T09:20:00Z"),
            ended_at: Some("2024-02-05T12:00:30Z"),
            resolved: false,
            escalated: false,
            team: None,
            channel: "email",
        },
        Contact {
            interaction_id: "2-2",
            contact_seq: 2,
            created_at: "2024-02-06T08:00:00Z",
            first_response_at: Some("2024-02-06T09:00:00Z"),
            ended_at: Some("2024-02-06T15:00:00Z"),
            resolved: false,
            escalated: false,
            team: None,
            channel: "email",
        },
        Contact {
            interaction_id: "2-3",
            contact_seq: 3,
            created_at: "2024-02-07T10:00:00Z",
            first_response_at: Some("2024-02-07T10:30:00Z"),
            ended_at: Some("2024-02-07T11:00:59Z"),
            resolved: true,
            escalated: false,
            team: None,
            channel: "email",
        },
        // 3: agent-created; Ann pub 10:00 is the ticket's first public
        // comment, so not a response: Ann 11:45 is. Pending, never solved:
        // no end, not resolved. Group 5 does not exist: no team; via `api`
        // is not mapped and stays.
        Contact {
            interaction_id: "3-1",
            contact_seq: 1,
            created_at: "2024-02-12T10:00:00Z",
            first_response_at: Some("2024-02-12T11:45:00Z"),
            ended_at: None,
            resolved: false,
            escalated: false,
            team: None,
            channel: "api",
        },
        // 4: agent-created with a note first; Carl pub 09:10 is the first
        // public comment and no public agent comment follows it (Cleo's is
        // an end user's): no first response. (ticket_metrics takes 09:10
        // as the reply here; the contact rule has no such exception.)
        Contact {
            interaction_id: "4-1",
            contact_seq: 1,
            created_at: "2024-02-13T08:55:00Z",
            first_response_at: None,
            ended_at: None,
            resolved: false,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 5: never replied (no agent comment at all): no first response;
        // solved 03-05 12:00, resolved. No group: no team.
        Contact {
            interaction_id: "5-1",
            contact_seq: 1,
            created_at: "2024-03-04T12:00:00Z",
            first_response_at: None,
            ended_at: Some("2024-03-05T12:00:00Z"),
            resolved: true,
            escalated: false,
            team: None,
            channel: "email",
        },
        // 6: Dave 03-12 13:30 answers; solved 14:00.
        Contact {
            interaction_id: "6-1",
            contact_seq: 1,
            created_at: "2024-03-11T13:00:00Z",
            first_response_at: Some("2024-03-12T13:30:00Z"),
            ended_at: Some("2024-03-12T14:00:00Z"),
            resolved: true,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 7: Ann 04-02 08:00 answers; solved 10:30.
        Contact {
            interaction_id: "7-1",
            contact_seq: 1,
            created_at: "2024-03-29T15:00:00Z",
            first_response_at: Some("2024-04-02T08:00:00Z"),
            ended_at: Some("2024-04-02T10:30:00Z"),
            resolved: true,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 8: Ann 04-01 12:00 answers; still open.
        Contact {
            interaction_id: "8-1",
            contact_seq: 1,
            created_at: "2024-03-30T12:00:00Z",
            first_response_at: Some("2024-04-01T12:00:00Z"),
            ended_at: None,
            resolved: false,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 9: Dave 10-28 12:00 answers first; solved 11-04 12:00.
        Contact {
            interaction_id: "9-1",
            contact_seq: 1,
            created_at: "2024-10-26T12:00:00Z",
            first_response_at: Some("2024-10-28T12:00:00Z"),
            ended_at: Some("2024-11-04T12:00:00Z"),
            resolved: true,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 10: no status history: one contact from creation, no end.
        Contact {
            interaction_id: "10-1",
            contact_seq: 1,
            created_at: "2024-05-01T09:00:00Z",
            first_response_at: None,
            ended_at: None,
            resolved: false,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 11: closed without a solve: the contact ends at the close and is
        // resolved.
        Contact {
            interaction_id: "11-1",
            contact_seq: 1,
            created_at: "2024-05-06T09:00:00Z",
            first_response_at: None,
            ended_at: Some("2024-05-06T10:00:00Z"),
            resolved: true,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 12: Dave 14:00 answers; still open.
        Contact {
            interaction_id: "12-1",
            contact_seq: 1,
            created_at: "2024-01-16T10:00:00Z",
            first_response_at: Some("2024-01-16T14:00:00Z"),
            ended_at: None,
            resolved: false,
            escalated: false,
            team: Some("Support"),
            channel: "email",
        },
        // 13: group_id '1' at 09:00 (the first value: no move), then '3' at
        // 09:40 (from 1 to 3, within the only contact): escalated. Dave
        // 10:10 answers (Ann's 09:30 note is private); solved 10:10, the
        // close after it is no reopen. Team: the current group, Escalations.
        Contact {
            interaction_id: "13-1",
            contact_seq: 1,
            created_at: "2024-01-22T09:00:00Z",
            first_response_at: Some("2024-01-22T10:10:00Z"),
            ended_at: Some("2024-01-22T10:10:00Z"),
            resolved: true,
            escalated: true,
            team: Some("Escalations"),
            channel: "email",
        },
    ]
}

#[test]
fn the_contacts_of_tickets_by_hand() {
    let dir = lake();
    let csv = kpiql_csv(
        dir.path(),
        &[
            "sql",
            "SELECT interaction_id, contact_seq, created_at, first_response_at, ended_at, \
             resolved, escalated, team, channel FROM interactions ORDER BY interaction_id",
        ],
    );
    let (header, rows) = parse_csv(&csv);
    // ORDER BY a string: "1-1" < "10-1" < ... < "13-1" < "2-1" < ...
    let want: Expected = expected_contacts()
        .iter()
        .map(|c| (c.interaction_id.to_string(), c.cells()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    compare(&header, &rows, &want);
}

// ------------------------------------------------------------ surveys

#[test]
fn csat_is_the_latest_good_or_bad_rating() {
    let dir = lake();
    let csv = kpiql_csv(
        dir.path(),
        &[
            "sql",
            "SELECT ticket_id, interaction_id, score FROM surveys ORDER BY ticket_id",
        ],
    );
    let (header, rows) = parse_csv(&csv);
    let want: Expected = [
        // 1: offered 01-15, good 01-16, offered 01-19: the offer is no
        // answer, the latest good or bad is good = 5, given in the only
        // contact 1-1.
        ("1", "1-1", 5.0),
        // 2: bad 02-05 13:00 (in contact 1), good 02-07 12:00: the latest
        // is good = 5, given after the reopen of 02-07 10:00, in 2-3.
        ("2", "2-3", 5.0),
        // 6: good 03-12 14:30, changed to bad 03-13 09:00: bad = 1, 6-1.
        ("6", "6-1", 1.0),
        // 7: offered only: no rating, no row.
    ]
    .iter()
    .map(|&(ticket, interaction, score)| {
        (
            ticket.to_string(),
            vec![
                ("ticket_id", Want::Text(ticket)),
                ("interaction_id", Want::Text(interaction)),
                ("score", Want::Num(score)),
            ],
        )
    })
    .collect();
    compare(&header, &rows, &want);
}
