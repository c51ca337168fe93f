//! Targets files: what is accepted, each malformed case named, precedence,
//! and the status by hand.

use super::status::{Status, status};
use super::*;

fn reports() -> Vec<ReportColumns> {
    let r = |name: &str, columns: &[&str]| ReportColumns {
        name: name.to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        not_numbers: columns
            .iter()
            .filter(|c| ["team", "channel", "month"].contains(c))
            .map(|c| c.to_string())
            .collect(),
    };
    vec![
        r("team", &["team", "fcr_pct", "csat_pct", "occupancy_pct"]),
        r(
            "channels",
            &["channel", "fcr_pct", "avg_first_response_seconds"],
        ),
        r("management", &["month", "csat_pct"]),
    ]
}

const HEADER: &str = "report,column,team,channel,priority,min,max,warn_min,warn_max,valid_from\n";

fn parse(body: &str) -> Result<Targets, TargetsError> {
    Targets::parse(&format!("{HEADER}{body}"), "t.csv", &reports())
}

fn error(body: &str) -> String {
    parse(body).expect_err("malformed").to_string()
}

#[test]
fn a_good_file_with_comments_and_any_column_order() {
    let t = Targets::parse(
        "# targets\ncolumn,min,team\nfcr_pct,70,\n# per team\nfcr_pct,75,billing\n",
        "t.csv",
        &reports(),
    )
    .expect("parses");
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1].keys[0].as_deref(), Some("billing"));
    assert_eq!(t.rows[1].min, Some(75.0));
    // Lines count comments and the header: the second target is line 5.
    assert_eq!(t.rows[1].line, 5);
    assert_eq!(t.rows[0].text(), "≥ 70");
}

#[test]
fn texts_a_person_reads() {
    let t = parse(
        "team,occupancy_pct,,,,75,85,77,83,\n\
         channels,avg_first_response_seconds,,chat,,,300,,240,\n\
         ,fcr_pct,,,,70.5,,,,\n",
    )
    .expect("parses");
    assert_eq!(t.rows[0].text(), "75–85 (at risk outside 77–83)");
    assert_eq!(t.rows[1].text(), "≤ 300 (at risk above 240)");
    assert_eq!(t.rows[2].text(), "≥ 70.5");
}

#[test]
fn each_malformed_case_is_named_with_line_and_field() {
    let cases = [
        (
            Targets::parse("column,minimum\nfcr_pct,70\n", "t.csv", &reports())
                .expect_err("bad header")
                .to_string(),
            "t.csv line 1, field minimum: unknown column \"minimum\"; the columns are report, column",
        ),
        (
            Targets::parse("report,min\nteam,70\n", "t.csv", &reports())
                .expect_err("no column")
                .to_string(),
            "t.csv line 1: no `column` column",
        ),
        (
            error("tem,fcr_pct,,,,70,,,,\n"),
            "t.csv line 2, field report: no report named \"tem\"; the reports are team, channels, management",
        ),
        (
            error("team,fcr,,,,70,,,,\n"),
            "t.csv line 2, field column: report team has no column \"fcr\"; its columns are team, fcr_pct, csat_pct, occupancy_pct",
        ),
        (
            error(",nps_pct,,,,0,,,,\n"),
            "t.csv line 2, field column: no report has a column \"nps_pct\"",
        ),
        (
            error(",fcr_pct,,,,70,,,,\nteam,fcr_pct,,,,seventy,,,,\n"),
            "t.csv line 3, field min: \"seventy\" is not a number",
        ),
        (
            error(",fcr_pct,,,,80,70,,,\n"),
            "t.csv line 2, field min: min 80 is above max 70",
        ),
        (
            error(",fcr_pct,,,,70,90,60,,\n"),
            "t.csv line 2, field min: min 70 is above warn_min 60",
        ),
        (
            error(",fcr_pct,,,,,,,,\n"),
            "t.csv line 2: a target needs min or max",
        ),
        (
            error(",fcr_pct,,,,70,,,,2026-13-01\n"),
            "t.csv line 2, field valid_from: \"2026-13-01\" is not a date (YYYY-MM-DD)",
        ),
        (
            error("management,csat_pct,billing,,,85,,,,\n"),
            "t.csv line 2, field team: no report with a column \"csat_pct\" has a team column",
        ),
        (
            error(",fcr_pct,,,,70,,,,\n,fcr_pct,,,,75,,,,\n"),
            "t.csv line 3: the same report, column, team, channel, priority and valid_from as line 2",
        ),
        (error(",fcr_pct,,,,70,,,\n"), "t.csv line 2: not CSV"),
        (
            error("team,team,,,,1,,,,\n"),
            "t.csv line 2, field column: column \"team\" of report team holds no number",
        ),
    ];
    for (got, expected) in cases {
        assert!(got.starts_with(expected), "{got}\n  expected: {expected}");
    }
}

#[test]
fn the_most_specific_then_the_latest_in_force_applies() {
    let t = parse(
        // line 2: any report; line 3: team report; line 4: team billing;
        // line 5: team billing from 2026-10-01; line 6: from 2027-01-01.
        ",fcr_pct,,,,60,,,,\n\
         team,fcr_pct,,,,65,,,,\n\
         team,fcr_pct,billing,,,70,,,,\n\
         team,fcr_pct,billing,,,75,,,,2026-10-01\n\
         team,fcr_pct,billing,,,80,,,,2027-01-01\n",
    )
    .expect("parses");
    let columns: Vec<String> = ["team", "fcr_pct"].map(String::from).to_vec();
    let lines = |report: &str, start: &str| -> Vec<usize> {
        let start = NaiveDate::parse_from_str(start, "%Y-%m-%d").expect("date");
        t.candidates(report, "fcr_pct", &columns, Some(start))
            .iter()
            .map(|c| c.line)
            .collect()
    };
    // November 2026: billing's from-October target (line 5) before its
    // undated one (4); then this report's general one (3) before any
    // report's (2). Line 6 is not in force yet.
    assert_eq!(lines("team", "2026-11-01"), vec![5, 4, 3, 2]);
    // September 2026: line 5 not yet in force either.
    assert_eq!(lines("team", "2026-09-01"), vec![4, 3, 2]);
    // In 2027 line 6 comes first.
    assert_eq!(lines("team", "2027-02-01"), vec![6, 5, 4, 3, 2]);
    // Another report with an fcr_pct and no team column: only line 2.
    let channel_columns: Vec<String> = ["channel", "fcr_pct"].map(String::from).to_vec();
    let start = NaiveDate::from_ymd_opt(2026, 11, 1);
    let other: Vec<usize> = t
        .candidates("channels", "fcr_pct", &channel_columns, start)
        .iter()
        .map(|c| c.line)
        .collect();
    assert_eq!(other, vec![2]);
}

#[test]
fn status_by_hand() {
    // Occupancy 75-85, at risk outside 77-83.
    let s = |v: f64| status(Some(v), Some(75.0), Some(85.0), Some(77.0), Some(83.0));
    assert_eq!(s(80.0), Some(Status::Met));
    assert_eq!(s(77.0), Some(Status::Met)); // bounds are inclusive
    assert_eq!(s(76.0), Some(Status::AtRisk));
    assert_eq!(s(84.0), Some(Status::AtRisk));
    assert_eq!(s(75.0), Some(Status::AtRisk));
    assert_eq!(s(74.99), Some(Status::Missed));
    assert_eq!(s(85.01), Some(Status::Missed));
    // Only a minimum: FCR >= 70.
    assert_eq!(
        status(Some(70.0), Some(70.0), None, None, None),
        Some(Status::Met)
    );
    assert_eq!(
        status(Some(69.9), Some(70.0), None, None, None),
        Some(Status::Missed)
    );
    // Missing value or target: no status.
    assert_eq!(status(None, Some(70.0), None, None, None), None);
    assert_eq!(status(Some(f64::NAN), Some(70.0), None, None, None), None);
    assert_eq!(status(Some(70.0), None, None, Some(1.0), None), None);
}
