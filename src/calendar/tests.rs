//! Business time by hand (the arithmetic in the comments) and by property.

use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;

use super::timeline::{Timeline, local_instant};
use super::*;

fn rows(id: &str, zone: &str, days: &[i32], open: i32, close: i32) -> Vec<WindowRow> {
    days.iter()
        .map(|&weekday| WindowRow {
            calendar_id: id.to_string(),
            time_zone: zone.to_string(),
            weekday,
            open_minute: open,
            close_minute: close,
            valid_from: None,
        })
        .collect()
}

fn at(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_micros()
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// Business seconds of the only calendar in `calendars`, exact.
fn seconds(calendars: &Calendars, id: &str, a: &str, b: &str) -> f64 {
    let (a, b) = (at(a), at(b));
    let t = timeline(calendars, id, a.min(b), a.max(b));
    (t.open_before(b) - t.open_before(a)) as f64 / 1e6
}

fn timeline(calendars: &Calendars, id: &str, lo: i64, hi: i64) -> Timeline {
    let (first, last) = Timeline::dates_for(lo, hi).expect("in range");
    Timeline::build(calendars.get(id).expect("defined"), first, last)
}

const WEEKDAYS: [i32; 5] = [1, 2, 3, 4, 5];
const EVERY_DAY: [i32; 7] = [1, 2, 3, 4, 5, 6, 7];

fn office(zone: &str) -> Calendars {
    // 09:00-17:00 (minutes 540-1020) Monday to Friday.
    let c = Calendars::build(&rows("office", zone, &WEEKDAYS, 540, 1020), &[], &[]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    c
}

#[test]
fn friday_afternoon_to_monday_morning() {
    let c = office("Europe/Warsaw");
    // Warsaw is UTC+1 in November. Friday 2026-11-27 16:55 local is 15:55Z,
    // Monday 2026-11-30 09:10 local is 08:10Z: open 16:55-17:00 on Friday
    // (5 min) and 09:00-09:10 on Monday (10 min) = 15 min = 900 s, not the
    // 64 h 15 min of calendar time.
    assert_eq!(
        seconds(&c, "office", "2026-11-27T15:55:00Z", "2026-11-30T08:10:00Z"),
        900.0
    );
    // Reversed: the negative.
    assert_eq!(
        seconds(&c, "office", "2026-11-30T08:10:00Z", "2026-11-27T15:55:00Z"),
        -900.0
    );
    // The deadline 900 business seconds after Friday 16:55 is Monday 09:10.
    let t = timeline(
        &c,
        "office",
        at("2026-11-27T15:55:00Z"),
        at("2026-11-27T15:55:00Z"),
    );
    assert_eq!(
        t.deadline(at("2026-11-27T15:55:00Z"), 900_000_000),
        Some(at("2026-11-30T08:10:00Z"))
    );
    // Exactly 5 minutes lands on Friday's close (17:00 local = 16:00Z), the
    // earliest instant with that much open time.
    assert_eq!(
        t.deadline(at("2026-11-27T15:55:00Z"), 300_000_000),
        Some(at("2026-11-27T16:00:00Z"))
    );
    // Zero seconds: the start itself, even outside open hours.
    assert_eq!(
        t.deadline(at("2026-11-28T12:00:00Z"), 0),
        Some(at("2026-11-28T12:00:00Z"))
    );
}

#[test]
fn a_holiday_in_between_is_closed_all_day() {
    let holidays = [HolidayRow {
        calendar_id: "office".into(),
        date: day("2026-11-27"),
    }];
    let with = Calendars::build(
        &rows("office", "Europe/Warsaw", &WEEKDAYS, 540, 1020),
        &holidays,
        &[],
    );
    let without = office("Europe/Warsaw");
    // Thursday 2026-11-26 16:55 local (15:55Z) to Monday 09:10 local.
    // Without the holiday: 5 min Thursday + 8 h Friday + 10 min Monday =
    // 495 min = 29 700 s. With Friday a holiday: 5 + 10 min = 900 s.
    let (a, b) = ("2026-11-26T15:55:00Z", "2026-11-30T08:10:00Z");
    assert_eq!(seconds(&without, "office", a, b), 29_700.0);
    assert_eq!(seconds(&with, "office", a, b), 900.0);
}

#[test]
fn a_schedule_change_in_between_applies_from_its_date() {
    // Until 2026-11-29: 09:00-17:00; from Monday 2026-11-30: 08:00-16:00.
    let mut windows = rows("office", "Europe/Warsaw", &WEEKDAYS, 540, 1020);
    windows.extend(
        rows("office", "Europe/Warsaw", &WEEKDAYS, 480, 960)
            .into_iter()
            .map(|mut w| {
                w.valid_from = Some(day("2026-11-30"));
                w
            }),
    );
    let c = Calendars::build(&windows, &[], &[]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    // Friday 16:55 -> 17:00 under the old schedule (5 min), Monday
    // 08:00 -> 09:10 under the new one (70 min): 75 min = 4 500 s.
    assert_eq!(
        seconds(&c, "office", "2026-11-27T15:55:00Z", "2026-11-30T08:10:00Z"),
        4_500.0
    );
}

/// Business seconds over one local day `date` of `zone`, for a 24/7
/// calendar and for a 00:00-03:00 window every day.
fn dst_day(zone: &str, from_utc: &str, to_utc: &str) -> (f64, f64) {
    let always = Calendars::build(&rows("c", zone, &EVERY_DAY, 0, 1440), &[], &[]);
    let night = Calendars::build(&rows("c", zone, &EVERY_DAY, 0, 180), &[], &[]);
    (
        seconds(&always, "c", from_utc, to_utc),
        seconds(&night, "c", from_utc, to_utc),
    )
}

#[test]
fn daylight_saving_days_in_warsaw() {
    // Spring forward, Sunday 2026-03-29: 02:00 CET -> 03:00 CEST. Local
    // midnight is 2026-03-28T23:00Z (UTC+1), the next 2026-03-29T22:00Z
    // (UTC+2): the day lasts 23 h = 82 800 s. 00:00-03:00 local is
    // 23:00Z-01:00Z: 2 h = 7 200 s.
    assert_eq!(
        dst_day(
            "Europe/Warsaw",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z"
        ),
        (82_800.0, 7_200.0)
    );
    // Fall back, Sunday 2026-10-25: 03:00 CEST -> 02:00 CET. Midnight is
    // 2026-10-24T22:00Z, the next 2026-10-25T23:00Z: 25 h = 90 000 s.
    // 00:00 local = 22:00Z; 03:00 local happens once, in CET = 02:00Z:
    // 4 h = 14 400 s.
    assert_eq!(
        dst_day(
            "Europe/Warsaw",
            "2026-10-24T22:00:00Z",
            "2026-10-25T23:00:00Z"
        ),
        (90_000.0, 14_400.0)
    );
}

#[test]
fn daylight_saving_days_in_new_york() {
    // Spring forward, Sunday 2026-03-08: 02:00 EST -> 03:00 EDT. Midnight
    // EST = 05:00Z, next midnight EDT = 2026-03-09T04:00Z: 23 h. 00:00-03:00
    // local = 05:00Z-07:00Z: 2 h.
    assert_eq!(
        dst_day(
            "America/New_York",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z"
        ),
        (82_800.0, 7_200.0)
    );
    // Fall back, Sunday 2026-11-01: 02:00 EDT -> 01:00 EST. Midnight EDT =
    // 04:00Z, next midnight EST = 2026-11-02T05:00Z: 25 h. 00:00 EDT =
    // 04:00Z to 03:00 EST = 08:00Z: 4 h.
    assert_eq!(
        dst_day(
            "America/New_York",
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z"
        ),
        (90_000.0, 14_400.0)
    );
}

#[test]
fn boundaries_in_a_gap_or_an_overlap() {
    let zone: chrono_tz::Tz = "America/New_York".parse().expect("zone");
    // 02:30 on 2026-03-08 does not exist: it moves to the gap's end, 03:00
    // EDT = 07:00Z.
    assert_eq!(
        local_instant(zone, day("2026-03-08"), 150),
        at("2026-03-08T07:00:00Z")
    );
    // 01:30 on 2026-11-01 happens twice (EDT 05:30Z, EST 06:30Z): the first.
    assert_eq!(
        local_instant(zone, day("2026-11-01"), 90),
        at("2026-11-01T05:30:00Z")
    );
    // A window 02:30-04:00 on the spring day: 03:00 EDT to 04:00 EDT = 1 h.
    let c = Calendars::build(
        &rows("c", "America/New_York", &EVERY_DAY, 150, 240),
        &[],
        &[],
    );
    assert_eq!(
        seconds(&c, "c", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
        3_600.0
    );
    // Lord Howe moves its clocks by 30 minutes: on 2026-10-04 02:00 ->
    // 02:30 (+10:30 -> +11). Its day lasts 23.5 h.
    let lh = Calendars::build(
        &rows("c", "Australia/Lord_Howe", &EVERY_DAY, 0, 1440),
        &[],
        &[],
    );
    // Local midnight 2026-10-04 at +10:30 = 2026-10-03T13:30Z; the next at
    // +11 = 2026-10-04T13:00Z.
    assert_eq!(
        seconds(&lh, "c", "2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"),
        84_600.0
    );
}

#[test]
fn bad_rows_are_named() {
    let mut bad = rows("c", "Europe/Warsaw", &[1], 540, 1020);
    bad.push(WindowRow {
        weekday: 8,
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        weekday: 0,
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        open_minute: 600,
        close_minute: 600,
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        open_minute: 900,
        close_minute: 1100,
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        calendar_id: "d".into(),
        time_zone: "Europe/Warsow".into(),
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        calendar_id: "e".into(),
        time_zone: "UTC".into(),
        ..bad[0].clone()
    });
    bad.push(WindowRow {
        calendar_id: "e".into(),
        time_zone: "Europe/Paris".into(),
        weekday: 2,
        ..bad[0].clone()
    });
    let teams = [TeamRow {
        team: "billing".into(),
        calendar_id: Some("nowhere".into()),
    }];
    let holidays = [HolidayRow {
        calendar_id: "nowhere".into(),
        date: day("2026-12-25"),
    }];
    let c = Calendars::build(&bad, &holidays, &teams);
    let checks: Vec<String> = c.problems.iter().map(|p| p.to_string()).collect();
    let has = |needle: &str| {
        assert!(
            checks.iter().any(|c| c.contains(needle)),
            "no problem with {needle:?} in {checks:#?}"
        )
    };
    has(
        "weekday is not an ISO day of week 1 (Monday) - 7 (Sunday): calendar_id=c time_zone=Europe/Warsaw weekday=8",
    );
    has("weekday=0");
    has(
        "window is not 0 <= open_minute < close_minute <= 1440: calendar_id=c time_zone=Europe/Warsaw weekday=1 open_minute=600 close_minute=600",
    );
    has(
        "window overlaps another window of the same weekday and valid_from: calendar_id=c time_zone=Europe/Warsaw weekday=1 open_minute=900 close_minute=1100 valid_from=NULL overlaps open_minute=540 close_minute=1020",
    );
    has(
        "time_zone is not an IANA time zone (e.g. Europe/Warsaw): calendar_id=d time_zone=Europe/Warsow",
    );
    has(
        "business_hours: calendar has rows in more than one time zone: calendar_id=e time_zones=Europe/Paris,UTC",
    );
    has("teams: calendar_id is not defined in business_hours: team=billing calendar_id=nowhere");
    has(
        "holidays: calendar_id is not defined in business_hours: calendar_id=nowhere date=2026-12-25",
    );
    // A broken calendar is not used: asking for it says why.
    let e = c.get("c").expect_err("broken");
    assert!(
        e.contains("breaks the contract") && e.contains("kpiql validate"),
        "{e}"
    );
    let e = c.get("zzz").expect_err("undefined");
    assert!(e.contains("\"zzz\" is not defined"), "{e}");
}

// ---- properties ----

/// Zones with 1 h, 30 min and no DST, both hemispheres, and zones whose
/// standard offset changed within 2010-2030 (Volgograd 2011/2014/2018/2020,
/// Caracas 2016, Apia skipped 2011-12-30 and dropped DST in 2021).
const ZONES: [&str; 9] = [
    "Europe/Warsaw",
    "America/New_York",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
    "Europe/Volgograd",
    "America/Caracas",
    "Pacific/Apia",
];

/// 2010-01-01 .. 2030-01-01 in µs.
const LO: i64 = 1_262_304_000_000_000;
const HI: i64 = 1_893_456_000_000_000;

/// A random calendar: per weekday up to three disjoint windows from sorted
/// cut points, a schedule change, and a few holidays.
fn calendar_strategy() -> impl Strategy<Value = (Vec<WindowRow>, Vec<HolidayRow>)> {
    (
        0..ZONES.len(),
        prop::collection::vec(prop::collection::btree_set(0i32..=1440, 0..6), 7),
        prop::collection::vec(prop::collection::btree_set(0i32..=1440, 0..4), 7),
        0i64..7300,
        prop::collection::vec(0i64..7300, 0..5),
    )
        .prop_map(|(zone, first, second, change, holidays)| {
            let zone = ZONES[zone];
            let base = day("2010-01-01");
            let mut windows = Vec::new();
            for (valid_from, cuts) in [
                (None, first),
                (Some(base + chrono::Duration::days(change)), second),
            ] {
                for (weekday, cuts) in cuts.into_iter().enumerate() {
                    let cuts: Vec<i32> = cuts.into_iter().collect();
                    for pair in cuts.chunks(2) {
                        if let [open, close] = pair
                            && *open < 1440
                        {
                            windows.push(WindowRow {
                                calendar_id: "c".into(),
                                time_zone: zone.into(),
                                weekday: weekday as i32 + 1,
                                open_minute: *open,
                                close_minute: *close,
                                valid_from,
                            });
                        }
                    }
                }
            }
            let holidays = holidays
                .into_iter()
                .map(|d| HolidayRow {
                    calendar_id: "c".into(),
                    date: base + chrono::Duration::days(d),
                })
                .collect();
            (windows, holidays)
        })
}

fn built(windows: &[WindowRow], holidays: &[HolidayRow]) -> Calendars {
    let c = Calendars::build(windows, holidays, &[]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn additive_and_bounded_by_elapsed_time(
        (windows, holidays) in calendar_strategy(),
        mut instants in prop::collection::vec(LO..HI, 3),
    ) {
        prop_assume!(!windows.is_empty());
        let c = built(&windows, &holidays);
        instants.sort_unstable();
        let [a, b, x] = [instants[0], instants[1], instants[2]];
        let t = timeline(&c, "c", a, x);
        let f = |p: i64, q: i64| t.open_before(q) - t.open_before(p);
        prop_assert_eq!(f(a, b) + f(b, x), f(a, x));
        prop_assert_eq!(f(x, a), -f(a, x));
        prop_assert!(f(a, b) >= 0 && f(a, b) <= b - a);
    }

    #[test]
    fn always_open_is_elapsed_time_in_every_zone(
        zone in 0..ZONES.len(),
        a in LO..HI,
        b in LO..HI,
    ) {
        let c = built(&rows("c", ZONES[zone], &EVERY_DAY, 0, 1440), &[]);
        let t = timeline(&c, "c", a.min(b), a.max(b));
        prop_assert_eq!(t.open_before(b) - t.open_before(a), b - a);
    }

    #[test]
    fn the_deadline_is_the_inverse(
        (windows, holidays) in calendar_strategy(),
        start in LO..HI - 2 * 366 * 86_400_000_000,
        micros in 0i64..30 * 86_400_000_000,
    ) {
        prop_assume!(!windows.is_empty());
        let c = built(&windows, &holidays);
        // Far enough ahead for any calendar with some open time a year.
        let t = timeline(&c, "c", start, start + 4 * 366 * 86_400_000_000);
        if let Some(d) = t.deadline(start, micros) {
            prop_assert!(d >= start);
            prop_assert_eq!(t.open_before(d) - t.open_before(start), micros);
            // And it is the earliest such instant.
            if d > start {
                prop_assert!(t.open_before(d - 1) - t.open_before(start) < micros);
            }
        }
    }

    #[test]
    fn a_holiday_removes_exactly_that_days_open_time(
        (windows, _) in calendar_strategy(),
        holiday in 0i64..7300,
    ) {
        prop_assume!(!windows.is_empty());
        let date = day("2010-01-01") + chrono::Duration::days(holiday);
        let without = built(&windows, &[]);
        let with = built(&windows, &[HolidayRow { calendar_id: "c".into(), date }]);
        let calendar = without.get("c").expect("defined");
        // That day's open time, window by window from the zone's rules.
        let expected: i64 = calendar
            .windows(date)
            .iter()
            .map(|&(open, close)| {
                local_instant(calendar.zone, date, close) - local_instant(calendar.zone, date, open)
            })
            .filter(|d| *d > 0)
            .sum();
        let (a, b) = (LO, HI);
        let t0 = timeline(&without, "c", a, b);
        let t1 = timeline(&with, "c", a, b);
        prop_assert_eq!((t0.open_before(b) - t0.open_before(a)) - (t1.open_before(b) - t1.open_before(a)), expected);
    }
}
