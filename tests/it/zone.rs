//! Reports in the report time zone (issue 28, `--time-zone`): hand-worked
//! lakes whose every expected figure is derived in the comments from the
//! zones' rules, not from kpiql's output. The DuckDB twins check every
//! report in two zones on the sample lake (`duckdb.rs`).

use std::path::Path;

use assert_cmd::Command;

use crate::fixtures::{floats, interactions, opt_strings, strings, surveys, times, write_parquet};

fn kpiql(dir: &Path, zone: &str, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("kpiql")
        .expect("binary")
        .args([
            "-q",
            "--data",
            dir.to_str().expect("utf-8"),
            "--time-zone",
            zone,
        ])
        .args(args)
        .output()
        .expect("runs")
}

fn csv(dir: &Path, zone: &str, args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "csv"]);
    let out = kpiql(dir, zone, &all);
    assert!(
        out.status.success(),
        "kpiql report {args:?} in {zone} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The value of `column` in each row, keyed by the row's first columns.
fn column(rows: &[Vec<String>], keys: usize, name: &str) -> Vec<(String, String)> {
    let at = rows[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..]
        .iter()
        .map(|r| (r[..keys].join(" "), r[at].clone()))
        .collect()
}

fn lake(created: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids: Vec<String> = (1..=created.len()).map(|i| format!("i{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    interactions(
        &dir.path().join("interactions/part-0.parquet"),
        &ids,
        created,
    );
    surveys(
        &dir.path().join("surveys/part-0.parquet"),
        &[("s1", Some("i1"), "csat", 5)],
    );
    crate::fixtures::costs(&dir.path().join("costs.parquet"));
    dir
}

fn spans(dir: &Path, spans: &[(&str, f64)]) {
    let n = spans.len();
    write_parquet(
        &dir.join("agent_states/part-0.parquet"),
        vec![
            ("agent_id", strings(&vec!["a1"; n])),
            ("team", opt_strings(&vec![Some("billing"); n])),
            ("state", strings(&vec!["available"; n])),
            (
                "started_at",
                times(&spans.iter().map(|s| Some(s.0)).collect::<Vec<_>>()),
            ),
            (
                "seconds",
                floats(&spans.iter().map(|s| Some(s.1)).collect::<Vec<_>>()),
            ),
        ],
    );
}

#[test]
fn a_contact_at_0330_utc_on_1_november_is_october_in_new_york() {
    // 2026-11-01T03:30Z is 23:30 on 31 October in New York (EDT, UTC-4,
    // until 06:00Z that day). With October 15th and November 15th around
    // it: UTC has October 1, November 2; New York October 2, November 1.
    // The period 2026-10-01..2026-12-01 is New York's midnights there
    // (04:00Z and 05:00Z), which hold all three contacts either way.
    let dir = lake(&[
        "2026-10-15 12:00:00",
        "2026-11-01 03:30:00",
        "2026-11-15 12:00:00",
    ]);
    let period = ["management", "--from", "2026-10-01", "--to", "2026-12-01"];
    let months = |zone| column(&csv(dir.path(), zone, &period), 1, "interactions");
    let pair = |m: &str, n: &str| (m.to_string(), n.to_string());
    assert_eq!(
        months("UTC"),
        [pair("2026-10-01", "1"), pair("2026-11-01", "2")]
    );
    assert_eq!(
        months("America/New_York"),
        [pair("2026-10-01", "2"), pair("2026-11-01", "1")]
    );
    // The same zone from the environment.
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env("KPIQL_TIME_ZONE", "America/New_York")
        .args([
            "-q",
            "--data",
            dir.path().to_str().expect("utf-8"),
            "report",
        ])
        .args(period)
        .args(["--format", "csv"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\n2026-10-01,false,2,"), "{text}");
}

#[test]
fn a_fiscal_year_from_april_starts_at_kathmandus_midnight() {
    // Kathmandu is UTC+05:45. 2026-03-31T18:14Z is 23:59 on 31 March
    // there (fiscal year 2025), 18:16Z is 00:01 on 1 April (fiscal year
    // 2026, before UTC's 1 April); 2026-04-10T12:00Z is April either way.
    // April in Kathmandu: 2 contacts, 2 in the year to date. A year start
    // taken at UTC midnight would count 1 of them in the year to date.
    let dir = lake(&[
        "2026-03-31 18:14:00",
        "2026-03-31 18:16:00",
        "2026-04-10 12:00:00",
    ]);
    let args = [
        "management",
        "--from",
        "2026-04-01",
        "--to",
        "2026-05-01",
        "--param",
        "fiscal_year_start_month=4",
    ];
    let rows = csv(dir.path(), "Asia/Kathmandu", &args);
    assert_eq!(
        column(&rows, 1, "interactions"),
        [("2026-04-01".into(), "2".into())]
    );
    assert_eq!(
        column(&rows, 1, "ytd_interactions"),
        [("2026-04-01".into(), "2".into())]
    );
    // In UTC April holds only the 10th.
    let rows = csv(dir.path(), "UTC", &args);
    assert_eq!(
        column(&rows, 1, "interactions"),
        [("2026-04-01".into(), "1".into())]
    );
}

#[test]
fn staffing_has_no_0200_on_warsaws_spring_day_and_counts_both_in_autumn() {
    // Warsaw, Sunday 2026-03-29: at 01:00Z clocks jump from 02:00 CET to
    // 03:00 CEST. Contacts at 00:30Z (01:30 local) and 01:30Z (03:30
    // local); an agent logged in 00:00Z-02:00Z (01:00-04:00 local, two
    // real hours): hour 1 and hour 3 each hold 3600 s, hour 2 none.
    // --to 2026-03-30 with one week: the seven local days before.
    let dir = lake(&["2026-03-29 00:30:00", "2026-03-29 01:30:00"]);
    spans(dir.path(), &[("2026-03-29 00:00:00", 7200.0)]);
    let args = ["staffing", "--to", "2026-03-30", "--param", "weeks=1"];
    let rows = csv(dir.path(), "Europe/Warsaw", &args);
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        column(&rows, 3, "contacts_per_hour"),
        [pair("billing 7 1", "1.0"), pair("billing 7 3", "1.0")]
    );
    assert_eq!(
        column(&rows, 3, "agents_logged_in"),
        [pair("billing 7 1", "1.0"), pair("billing 7 3", "1.0")]
    );
    // Sunday 2026-10-25: at 01:00Z clocks go back from 03:00 CEST to
    // 02:00 CET, so 00:30Z and 01:30Z are both 02:30: hour 2 has two
    // contacts. An agent logged in 23:00Z on the 24th to 02:00Z (01:00
    // CEST to 03:00 CET, three real hours): hour 1 3600 s, hour 2 twice
    // 3600 s.
    let dir = lake(&["2026-10-25 00:30:00", "2026-10-25 01:30:00"]);
    spans(dir.path(), &[("2026-10-24 23:00:00", 3.0 * 3600.0)]);
    let args = ["staffing", "--to", "2026-10-26", "--param", "weeks=1"];
    let rows = csv(dir.path(), "Europe/Warsaw", &args);
    assert_eq!(
        column(&rows, 3, "contacts_per_hour"),
        [pair("billing 7 1", "0.0"), pair("billing 7 2", "2.0")]
    );
    assert_eq!(
        column(&rows, 3, "agents_logged_in"),
        [pair("billing 7 1", "1.0"), pair("billing 7 2", "2.0")]
    );
}

#[test]
fn staffing_splits_agent_time_at_kathmandus_quarter_hours() {
    // Kathmandu is UTC+05:45: an hour logged in from Monday 2026-10-05
    // 00:00Z is 05:45-06:45 local, 900 s in hour 5 and 2700 s in hour 6
    // (0.25 and 0.75 agents over one week).
    let dir = lake(&["2026-10-05 00:10:00"]);
    spans(dir.path(), &[("2026-10-05 00:00:00", 3600.0)]);
    let args = ["staffing", "--to", "2026-10-12", "--param", "weeks=1"];
    let rows = csv(dir.path(), "Asia/Kathmandu", &args);
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        column(&rows, 3, "agents_logged_in"),
        [pair("billing 1 5", "0.25"), pair("billing 1 6", "0.75")]
    );
    // The contact at 00:10Z is 05:55 local.
    assert_eq!(
        column(&rows, 3, "contacts_per_hour"),
        [pair("billing 1 5", "1.0"), pair("billing 1 6", "0.0")]
    );
}

#[test]
fn a_zone_kpiql_does_not_take_is_a_clear_error() {
    let dir = lake(&["2026-10-15 12:00:00"]);
    for (zone, says) in [
        ("EST", "abbreviation"),
        ("+05:30", "offset"),
        ("Europe/Warszawa", "unknown time zone"),
        ("europe/warsaw", "did you mean Europe/Warsaw"),
    ] {
        let out = kpiql(dir.path(), zone, &["report", "management"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{zone}: {err}");
        assert!(
            err.contains(says) && err.contains("IANA time zone name"),
            "{zone}: {err}"
        );
    }
}

/// Every file under `dir` with its bytes, for "untouched" checks.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_table_published_in_utc_refuses_a_run_in_warsaw_and_is_untouched() {
    for format in ["delta", "parquet"] {
        let out = tempfile::tempdir().expect("tempdir");
        let dest = out.path().to_str().expect("utf-8");
        let batch = |zone: &str, period: &str| {
            Command::cargo_bin("kpiql")
                .expect("binary")
                .args([
                    "-q",
                    "--time-zone",
                    zone,
                    "batch",
                    "--reports",
                    "management",
                ])
                .args(["--period", period, "--table-format", format, "--out", dest])
                .output()
                .expect("runs")
        };
        let first = batch("UTC", "2026-10");
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let before = snapshot(out.path());
        let refused = batch("Europe/Warsaw", "2026-09");
        let err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{format}: {err}");
        assert!(
            err.contains("published in time zone UTC")
                && err.contains("this run is in Europe/Warsaw")
                && err.contains("--time-zone UTC"),
            "{format}: {err}"
        );
        assert!(
            before == snapshot(out.path()),
            "{format}: the table changed"
        );
        // The same zone again is fine.
        let again = batch("UTC", "2026-09");
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
    }
}

#[test]
fn a_batch_in_warsaw_keys_its_month_and_records_the_zone() {
    // October in Warsaw starts at 22:00Z on 30 September (CEST, +2) and
    // ends at 23:00Z on 31 October (CET, +1): the period is still "2026-10".
    let out = tempfile::tempdir().expect("tempdir");
    let run = Command::cargo_bin("kpiql")
        .expect("binary")
        .args([
            "-q",
            "--time-zone",
            "Europe/Warsaw",
            "batch",
            "--reports",
            "management",
        ])
        .args(["--period", "2026-10", "--table-format", "parquet", "--out"])
        .arg(out.path())
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("management/_manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["time_zone"], "Europe/Warsaw");
    assert_eq!(manifest["period"], "2026-10");
    assert_eq!(manifest["period_start"], "2026-09-30T22:00:00.000Z");
    assert_eq!(manifest["period_end"], "2026-10-31T23:00:00.000Z");
}

#[test]
fn set_time_zone_over_serve_is_that_sessions_report_zone_only() {
    use crate::serve::{PASSWORD, psql, serve};
    // October's year to date on the sample lake differs between UTC and
    // New York (a contact on New Year's night UTC is 2025 in New York):
    // the command line gives both, and each session must give its own.
    let ytd = |zone: &str| {
        let out = crate::fixtures::sample_csv(&[
            "--time-zone",
            zone,
            "sql",
            "SELECT ytd_interactions FROM report('management', '2026-10-01', '2026-11-01')",
        ]);
        out.lines().nth(1).expect("a row").to_string()
    };
    let (utc, new_york) = (ytd("UTC"), ytd("America/New_York"));
    assert_ne!(utc, new_york, "the sample lake must tell the zones apart");
    let query = "SELECT ytd_interactions FROM report('management', '2026-10-01', '2026-11-01')";
    let server = serve(&[]);
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SET TIME ZONE 'America/New_York'", "SHOW timezone", query],
    );
    assert!(ok, "{err}");
    assert!(out.contains("America/New_York"), "SHOW timezone: {out}");
    assert!(
        out.lines().any(|l| l == new_york),
        "New York session: {out}"
    );
    // Another session keeps the server's zone.
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SHOW timezone", query]);
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l == "UTC"), "SHOW timezone: {out}");
    assert!(out.lines().any(|l| l == utc), "UTC session: {out}");
    // SET timezone = ... too, and back with DEFAULT.
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &[
            "SET timezone = 'America/New_York'",
            query,
            "SET TIME ZONE DEFAULT",
            query,
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines.iter().filter(|l| **l == new_york).count() == 1
            && lines.iter().filter(|l| **l == utc).count() == 1,
        "SET timezone then DEFAULT: {out}"
    );
    // A zone kpiql does not take is refused with what it takes.
    let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &["SET TIME ZONE 'EST'"]);
    assert!(
        !ok && err.contains("22023") && err.contains("IANA time zone name"),
        "{err}"
    );
}

#[test]
fn staffing_reads_each_teams_hours_on_its_calendars_zone_with_hours_in_team() {
    use crate::fixtures::{bools, ints};
    // Monday 2026-10-05 07:30Z: 09:30 in Warsaw (CEST, +2), billing's
    // calendar's zone; sales has no calendar and stays on the report zone
    // (UTC): hour 7. Each team has one agent logged in 07:00Z-08:00Z:
    // billing's hour 9 in Warsaw, sales' hour 7.
    let dir = tempfile::tempdir().expect("tempdir");
    let teams = ["billing", "sales"];
    let created = [Some("2026-10-05 07:30:00"); 2];
    write_parquet(
        &dir.path().join("interactions/part-0.parquet"),
        vec![
            ("interaction_id", strings(&["i1", "i2"])),
            ("ticket_id", strings(&["i1", "i2"])),
            ("contact_seq", ints(&[1, 1])),
            ("customer_id", strings(&["c1", "c2"])),
            ("agent_id", opt_strings(&[Some("a1"), Some("a2")])),
            ("team", opt_strings(&teams.map(Some))),
            ("channel", strings(&["phone", "phone"])),
            ("priority", opt_strings(&[Some("normal"); 2])),
            ("created_at", times(&created)),
            ("first_response_at", times(&created)),
            ("ended_at", times(&created)),
            ("resolved_at", times(&[None, None])),
            ("wait_seconds", floats(&[Some(0.0); 2])),
            ("hold_seconds", floats(&[None, None])),
            ("handle_seconds", floats(&[Some(60.0); 2])),
            ("resolved", bools(&[false, false])),
            ("escalated", bools(&[false, false])),
            ("abandoned", bools(&[false, false])),
        ],
    );
    surveys(
        &dir.path().join("surveys/part-0.parquet"),
        &[("s1", Some("i1"), "csat", 5)],
    );
    crate::fixtures::costs(&dir.path().join("costs.parquet"));
    write_parquet(
        &dir.path().join("agent_states/part-0.parquet"),
        vec![
            ("agent_id", strings(&["a1", "a2"])),
            ("team", opt_strings(&teams.map(Some))),
            ("state", strings(&["available", "available"])),
            ("started_at", times(&[Some("2026-10-05 07:00:00"); 2])),
            ("seconds", floats(&[Some(3600.0); 2])),
        ],
    );
    write_parquet(
        &dir.path().join("business_hours.parquet"),
        vec![
            ("calendar_id", strings(&["eu"])),
            ("time_zone", strings(&["Europe/Warsaw"])),
            ("weekday", ints(&[1])),
            ("open_minute", ints(&[480])),
            ("close_minute", ints(&[1080])),
        ],
    );
    write_parquet(
        &dir.path().join("teams.parquet"),
        vec![
            ("team", strings(&["billing"])),
            ("calendar_id", opt_strings(&[Some("eu")])),
        ],
    );
    let staffing = |hours_in: &str| {
        let rows = csv(
            dir.path(),
            "UTC",
            &[
                "staffing",
                "--to",
                "2026-10-12",
                "--param",
                "weeks=1",
                "--param",
                &format!("hours_in={hours_in}"),
            ],
        );
        (
            column(&rows, 3, "contacts_per_hour"),
            column(&rows, 3, "agents_logged_in"),
        )
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    let team = [pair("billing 1 9", "1.0"), pair("sales 1 7", "1.0")];
    assert_eq!(staffing("team"), (team.to_vec(), team.to_vec()));
    let report = [pair("billing 1 7", "1.0"), pair("sales 1 7", "1.0")];
    assert_eq!(staffing("report"), (report.to_vec(), report.to_vec()));
    // Another word is refused, naming the choices.
    let out = kpiql(
        dir.path(),
        "UTC",
        &["report", "staffing", "--param", "hours_in=teams"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not one of report, team"), "{err}");
}

#[test]
fn a_page_shows_its_period_as_the_zones_dates_and_names_the_zone() {
    // October in Warsaw starts at 22:00Z on 30 September: a page that
    // printed the instant's UTC date would say 30 Sep.
    let out = tempfile::tempdir().expect("tempdir");
    let page = out.path().join("management.html");
    let run = Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["-q", "--time-zone", "Europe/Warsaw", "report", "management"])
        .args(["--from", "2026-10-01", "--to", "2026-11-01", "--out"])
        .arg(&page)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(
        html.contains("1 Oct 2026 – 31 Oct 2026 (Europe/Warsaw)"),
        "no local period on the page"
    );
}
