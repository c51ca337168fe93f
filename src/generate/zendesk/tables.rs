//! What every ticket of a generated Zendesk lake shares: users, groups,
//! schedules, their holidays and zones (the small tables).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Offset, TimeZone};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::error::ArrowError;

/// A group: its id, name, the schedule its triggers give a ticket (None:
/// the default one), and its share of tickets.
pub(super) struct Group {
    pub id: i64,
    pub name: &'static str,
    pub schedule: Option<i64>,
    pub weight: f64,
}

/// The groups; the last is deleted and has no tickets.
pub(super) const GROUPS: [Group; 7] = [
    Group {
        id: 360_000_000_001,
        name: "Billing",
        schedule: None,
        weight: 0.26,
    },
    Group {
        id: 360_000_000_002,
        name: "Technical Support",
        schedule: None,
        weight: 0.24,
    },
    Group {
        id: 360_000_000_003,
        name: "Returns",
        schedule: None,
        weight: 0.16,
    },
    Group {
        id: 360_000_000_004,
        name: "Enterprise",
        schedule: None,
        weight: 0.08,
    },
    Group {
        id: 360_000_000_005,
        name: "EMEA Support",
        schedule: Some(SCHEDULES[1].id),
        weight: 0.16,
    },
    Group {
        id: 360_000_000_006,
        name: "APAC Support",
        schedule: Some(SCHEDULES[2].id),
        weight: 0.10,
    },
    Group {
        id: 360_000_000_099,
        name: "Legacy Queue",
        schedule: None,
        weight: 0.0,
    },
];

/// A schedule: weekly intervals in minutes from Sunday 00:00 local time.
pub(super) struct Schedule {
    pub id: i64,
    pub name: &'static str,
    /// Its Zendesk (Rails) zone name.
    pub zone: &'static str,
    /// The IANA zone of that name.
    pub iana: chrono_tz::Tz,
    pub created: &'static str,
    pub intervals: &'static [(i64, i64)],
    /// Holidays each year: (month, day, days).
    pub holidays: &'static [(&'static str, u32, u32, u32)],
}

const fn weekdays(open: i64, close: i64) -> [(i64, i64); 5] {
    [
        (1440 + open, 1440 + close),
        (2 * 1440 + open, 2 * 1440 + close),
        (3 * 1440 + open, 3 * 1440 + close),
        (4 * 1440 + open, 4 * 1440 + close),
        (5 * 1440 + open, 5 * 1440 + close),
    ]
}

const AMERICAS: [(i64, i64); 5] = weekdays(8 * 60, 18 * 60);
const EMEA: [(i64, i64); 5] = weekdays(9 * 60, 17 * 60);
const APAC: [(i64, i64); 6] = {
    let w = weekdays(7 * 60, 19 * 60);
    // Sunday 20:00 to Monday 02:00: a window across local midnight.
    [(20 * 60, 1440 + 2 * 60), w[0], w[1], w[2], w[3], w[4]]
};

/// The schedules; the first (oldest) is the default.
pub(super) const SCHEDULES: [Schedule; 3] = [
    Schedule {
        id: 360_000_100_001,
        name: "Americas business hours",
        zone: "Pacific Time (US & Canada)",
        iana: chrono_tz::America::Los_Angeles,
        created: "2019-03-01",
        intervals: &AMERICAS,
        holidays: &[
            ("New Year's Day", 1, 1, 1),
            ("Independence Day", 7, 4, 1),
            ("Thanksgiving", 11, 26, 2),
            ("Christmas", 12, 24, 3),
        ],
    },
    Schedule {
        id: 360_000_100_002,
        name: "EMEA business hours",
        zone: "Warsaw",
        iana: chrono_tz::Europe::Warsaw,
        created: "2020-06-01",
        intervals: &EMEA,
        holidays: &[
            ("New Year's Day", 1, 1, 1),
            ("Spring holiday", 3, 30, 3),
            ("Labour Day", 5, 1, 3),
            ("Independence Day", 11, 11, 1),
            ("Christmas", 12, 24, 3),
        ],
    },
    Schedule {
        id: 360_000_100_003,
        name: "APAC extended hours",
        zone: "Sydney",
        iana: chrono_tz::Australia::Sydney,
        created: "2021-09-15",
        intervals: &APAC,
        holidays: &[
            ("Australia Day", 1, 26, 1),
            ("Anzac Day", 4, 25, 1),
            ("Christmas", 12, 25, 2),
        ],
    },
];

/// Agents and admins: ids 1..=agents; end users from [`END_USERS`].
pub(super) const END_USERS: i64 = 10_000_000;

/// The number of agents for `tickets` tickets (each group gets as many).
pub(super) fn agents(tickets: u64) -> i64 {
    let per_group = (tickets / 12_000).clamp(4, 400) as i64;
    per_group * (GROUPS.len() as i64 - 1)
}

/// The number of end users for `tickets` tickets.
pub(super) fn end_users(tickets: u64) -> i64 {
    (tickets / 3).max(10) as i64
}

fn ts(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values))
}

fn micros(date: &str) -> i64 {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |d| d.and_utc().timestamp_micros())
}

/// `user`: agents (every 25th an admin), then end users (every 50th with
/// the role `not set`).
pub(super) fn users(tickets: u64, synced: i64) -> Result<RecordBatch, ArrowError> {
    let agents = agents(tickets);
    let ends = end_users(tickets);
    let n = (agents + ends) as usize;
    let mut id = Vec::with_capacity(n);
    let mut role = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut email = Vec::with_capacity(n);
    let mut zone = Vec::with_capacity(n);
    for a in 1..=agents {
        id.push(a);
        role.push(if a % 25 == 0 { "admin" } else { "agent" });
        name.push(format!("Agent {a}"));
        email.push(format!("agent{a}@support.example.com"));
        zone.push(SCHEDULES[(a % 3) as usize].zone);
    }
    for e in 0..ends {
        id.push(END_USERS + e);
        role.push(if e % 50 == 49 { "not set" } else { "end-user" });
        name.push(format!("Customer {e}"));
        email.push(format!("customer{e}@mail.example.org"));
        zone.push(SCHEDULES[(e % 3) as usize].zone);
    }
    let created = vec![micros("2019-01-01"); n];
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(id)) as ArrayRef),
        ("name", Arc::new(StringArray::from(name))),
        ("email", Arc::new(StringArray::from(email))),
        ("role", Arc::new(StringArray::from(role))),
        ("active", Arc::new(BooleanArray::from(vec![true; n]))),
        ("time_zone", Arc::new(StringArray::from(zone))),
        ("created_at", ts(created)),
        (
            "_fivetran_deleted",
            Arc::new(BooleanArray::from(vec![false; n])),
        ),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}

/// `group`.
pub(super) fn groups(synced: i64) -> Result<RecordBatch, ArrowError> {
    let n = GROUPS.len();
    RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(GROUPS.iter().map(|g| g.id))) as ArrayRef,
        ),
        (
            "name",
            Arc::new(StringArray::from_iter_values(GROUPS.iter().map(|g| g.name))),
        ),
        ("created_at", ts(vec![micros("2019-01-01"); n])),
        ("updated_at", ts(vec![micros("2024-01-01"); n])),
        (
            "_fivetran_deleted",
            Arc::new(BooleanArray::from_iter(
                GROUPS.iter().map(|g| Some(g.weight == 0.0)),
            )),
        ),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}

/// The UTC offset of `zone` in January, in minutes.
fn standard_minutes(zone: chrono_tz::Tz, year: i32) -> i64 {
    let jan = chrono::Utc.with_ymd_and_hms(year, 1, 15, 0, 0, 0).single();
    let jul = chrono::Utc.with_ymd_and_hms(year, 7, 15, 0, 0, 0).single();
    let offset = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or(0, |t| {
            i64::from(
                zone.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ) / 60
        })
    };
    // The standard offset is the smaller of winter's and summer's.
    offset(jan).min(offset(jul))
}

/// `schedule`: one row per weekly interval.
pub(super) fn schedules(synced: i64) -> Result<RecordBatch, ArrowError> {
    let mut id = Vec::new();
    let mut name = Vec::new();
    let mut start = Vec::new();
    let mut end = Vec::new();
    let mut start_utc = Vec::new();
    let mut end_utc = Vec::new();
    let mut zone = Vec::new();
    let mut created = Vec::new();
    for s in &SCHEDULES {
        let offset = standard_minutes(s.iana, 2024);
        for (open, close) in s.intervals {
            id.push(s.id);
            name.push(s.name);
            start.push(*open);
            end.push(*close);
            start_utc.push(open - offset);
            end_utc.push(close - offset);
            zone.push(s.zone);
            created.push(micros(s.created));
        }
    }
    let n = id.len();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(id)) as ArrayRef),
        ("name", Arc::new(StringArray::from(name))),
        ("start_time", Arc::new(Int64Array::from(start))),
        ("end_time", Arc::new(Int64Array::from(end))),
        ("start_time_utc", Arc::new(Int64Array::from(start_utc))),
        ("end_time_utc", Arc::new(Int64Array::from(end_utc))),
        ("time_zone", Arc::new(StringArray::from(zone))),
        ("created_at", ts(created)),
        (
            "_fivetran_deleted",
            Arc::new(BooleanArray::from(vec![false; n])),
        ),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}

/// `schedule_holiday`, for the years `first..=last`.
pub(super) fn holidays(first: i32, last: i32, synced: i64) -> Result<RecordBatch, ArrowError> {
    let mut id = Vec::new();
    let mut schedule = Vec::new();
    let mut name = Vec::new();
    let mut start = Vec::new();
    let mut end = Vec::new();
    for s in &SCHEDULES {
        for year in first..=last {
            for (h, (what, month, day, days)) in s.holidays.iter().enumerate() {
                let Some(from) = NaiveDate::from_ymd_opt(year, *month, *day) else {
                    continue;
                };
                let to = from + chrono::Days::new(u64::from(days - 1));
                id.push(s.id * 1000 + i64::from(year) * 10 + h as i64);
                schedule.push(s.id);
                name.push(*what);
                start.push(from.format("%Y-%m-%d").to_string());
                end.push(to.format("%Y-%m-%d").to_string());
            }
        }
    }
    let n = id.len();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(id)) as ArrayRef),
        ("schedule_id", Arc::new(Int64Array::from(schedule))),
        ("name", Arc::new(StringArray::from(name))),
        ("start_date", Arc::new(StringArray::from(start))),
        ("end_date", Arc::new(StringArray::from(end))),
        (
            "_fivetran_deleted",
            Arc::new(BooleanArray::from(vec![false; n])),
        ),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}

/// `time_zone`: the schedules' zones with their standard offsets.
pub(super) fn time_zones(synced: i64) -> Result<RecordBatch, ArrowError> {
    let mut names = vec!["UTC"];
    let mut offsets = vec!["+00:00".to_string()];
    for s in &SCHEDULES {
        let m = standard_minutes(s.iana, 2024);
        names.push(s.zone);
        offsets.push(format!(
            "{}{:02}:{:02}",
            if m < 0 { '-' } else { '+' },
            m.abs() / 60,
            m.abs() % 60
        ));
    }
    let n = names.len();
    RecordBatch::try_from_iter([
        ("time_zone", Arc::new(StringArray::from(names)) as ArrayRef),
        ("standard_offset", Arc::new(StringArray::from(offsets))),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}

/// `daylight_time`: each zone's DST start and end (UTC) in each year of
/// `first..=last`, found from the tz database every 15 minutes.
pub(super) fn daylight(first: i32, last: i32, synced: i64) -> Result<RecordBatch, ArrowError> {
    let mut zone = Vec::new();
    let mut years = Vec::new();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut extra = Vec::new();
    for s in &SCHEDULES {
        for year in first..=last {
            let standard = standard_minutes(s.iana, year);
            let Some(mut t) = chrono::Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single() else {
                continue;
            };
            let offset_at = |t: chrono::DateTime<chrono::Utc>| {
                i64::from(
                    s.iana
                        .offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc(),
                ) / 60
            };
            let mut previous = offset_at(t);
            let (mut start, mut end, mut dst) = (None, None, 0);
            while t.year() == year {
                let now = offset_at(t);
                if now != previous {
                    if now > standard {
                        start = Some(t.timestamp_micros());
                        dst = now - standard;
                    } else {
                        end = Some(t.timestamp_micros());
                    }
                    previous = now;
                }
                t += chrono::Duration::minutes(15);
            }
            if let (Some(a), Some(b)) = (start, end) {
                zone.push(s.zone);
                years.push(i64::from(year));
                starts.push(a);
                ends.push(b);
                extra.push(dst / 60);
            }
        }
    }
    let n = zone.len();
    RecordBatch::try_from_iter([
        ("time_zone", Arc::new(StringArray::from(zone)) as ArrayRef),
        ("year", Arc::new(Int64Array::from(years))),
        ("daylight_start_utc", ts(starts)),
        ("daylight_end_utc", ts(ends)),
        ("daylight_offset", Arc::new(Int64Array::from(extra))),
        ("_fivetran_synced", ts(vec![synced; n])),
    ])
}
