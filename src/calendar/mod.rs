//! Business hours (DESIGN §1 `business_hours`, `holidays`, `teams`; §2
//! "Business time"): the lake's calendars as rules, checked once, and the
//! two scalar functions that measure time in them.
//!
//! - this file: the rules ([`Calendars`]), built from the tables' rows with
//!   every contract check (`validate` reports the same problems);
//! - [`timeline`]: a calendar's open windows over a range of local dates as
//!   sorted UTC intervals with their cumulative open time, DST rules applied;
//! - [`functions`]: `business_seconds` and `business_deadline`, vectorised
//!   over Arrow arrays, each row two binary searches in a timeline.

pub mod functions;
pub mod timeline;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int32Type};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use crate::lake::Table;

/// One row of `business_hours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// The calendar's name.
    pub calendar_id: String,
    /// Its IANA time zone, as written.
    pub time_zone: String,
    /// ISO day of week, 1 = Monday ... 7 = Sunday.
    pub weekday: i32,
    /// Local minute the window opens, 0-1439.
    pub open_minute: i32,
    /// Local minute it closes, exclusive, up to 1440.
    pub close_minute: i32,
    /// First local date of the schedule the row belongs to (None: always).
    pub valid_from: Option<NaiveDate>,
}

impl fmt::Display for WindowRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calendar_id={} time_zone={} weekday={} open_minute={} close_minute={} valid_from={}",
            self.calendar_id,
            self.time_zone,
            self.weekday,
            self.open_minute,
            self.close_minute,
            self.valid_from
                .map_or_else(|| "NULL".to_string(), |d| d.to_string())
        )
    }
}

/// One row of `holidays`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRow {
    /// The calendar closed on `date`.
    pub calendar_id: String,
    /// A local date.
    pub date: NaiveDate,
}

/// One row of `teams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    /// The team.
    pub team: String,
    /// The calendar its service targets run on (None: calendar time).
    pub calendar_id: Option<String>,
}

/// A row that breaks the calendar contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The table holding the row.
    pub table: Table,
    /// What is wrong (the same text for every row with this fault).
    pub check: String,
    /// The row.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.table, self.check, self.detail)
    }
}

/// The windows in force from one date on: per ISO weekday (index 0 =
/// Monday), local `[open, close)` minutes, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// None: from the beginning of time.
    pub valid_from: Option<NaiveDate>,
    /// Windows per weekday.
    pub days: [Vec<(u32, u32)>; 7],
}

/// One calendar: a zone, schedules over time and closed dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Its name.
    pub id: String,
    /// Its time zone.
    pub zone: Tz,
    /// Sorted by `valid_from`, None first.
    pub schedules: Vec<Schedule>,
    /// Local dates closed all day.
    pub holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The windows of local date `day`: none on a holiday or before the
    /// first schedule; else those of the schedule with the greatest
    /// `valid_from <= day` for the day's weekday.
    pub fn windows(&self, day: NaiveDate) -> &[(u32, u32)] {
        if self.holidays.contains(&day) {
            return &[];
        }
        let schedule = self
            .schedules
            .iter()
            .rev()
            .find(|s| s.valid_from.is_none_or(|from| from <= day));
        match schedule {
            Some(s) => &s.days[day.weekday().num_days_from_monday() as usize],
            None => &[],
        }
    }
}

/// The lake's calendars by name, with the problems their rows have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendars {
    calendars: BTreeMap<String, Calendar>,
    /// Rows that break the contract; a calendar with such a row in
    /// `business_hours` or `holidays` is left out of `calendars`.
    pub problems: Vec<Problem>,
    /// Calendars left out because of a problem.
    broken: BTreeSet<String>,
    /// The rows they were built from (a cluster ships these with a plan).
    rows: (Vec<WindowRow>, Vec<HolidayRow>, Vec<TeamRow>),
}

impl Calendars {
    /// Builds the calendars from the tables' rows, checking the contract.
    pub fn build(windows: &[WindowRow], holidays: &[HolidayRow], teams: &[TeamRow]) -> Calendars {
        let mut problems = Vec::new();
        let mut broken = BTreeSet::new();
        let mut zones: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut good: BTreeMap<&str, Vec<&WindowRow>> = BTreeMap::new();
        let mut problem = |table, check: &str, detail: String, calendar: &str| {
            problems.push(Problem {
                table,
                check: check.to_string(),
                detail,
            });
            broken.insert(calendar.to_string());
        };
        for w in windows {
            zones
                .entry(w.calendar_id.as_str())
                .or_default()
                .insert(w.time_zone.as_str());
            if w.time_zone.parse::<Tz>().is_err() {
                problem(
                    Table::BusinessHours,
                    "time_zone is not an IANA time zone (e.g. Europe/Warsaw)",
                    w.to_string(),
                    &w.calendar_id,
                );
            } else if !(1..=7).contains(&w.weekday) {
                problem(
                    Table::BusinessHours,
                    "weekday is not an ISO day of week 1 (Monday) - 7 (Sunday)",
                    w.to_string(),
                    &w.calendar_id,
                );
            } else if !(0..=1439).contains(&w.open_minute)
                || w.close_minute <= w.open_minute
                || w.close_minute > 1440
            {
                problem(
                    Table::BusinessHours,
                    "window is not 0 <= open_minute < close_minute <= 1440",
                    w.to_string(),
                    &w.calendar_id,
                );
            } else {
                good.entry(w.calendar_id.as_str()).or_default().push(w);
            }
        }
        for (calendar, zones) in &zones {
            if zones.len() > 1 {
                let list: Vec<&str> = zones.iter().copied().collect();
                problem(
                    Table::BusinessHours,
                    "calendar has rows in more than one time zone",
                    format!("calendar_id={calendar} time_zones={}", list.join(",")),
                    calendar,
                );
            }
        }
        // Overlaps: windows of one schedule on one weekday, sorted by open.
        for rows in good.values_mut() {
            rows.sort_by_key(|w| (w.valid_from, w.weekday, w.open_minute, w.close_minute));
            for pair in rows.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if a.valid_from == b.valid_from
                    && a.weekday == b.weekday
                    && b.open_minute < a.close_minute
                {
                    problem(
                        Table::BusinessHours,
                        "window overlaps another window of the same weekday and valid_from",
                        format!(
                            "{b} overlaps open_minute={} close_minute={}",
                            a.open_minute, a.close_minute
                        ),
                        &b.calendar_id,
                    );
                }
            }
        }
        for h in holidays {
            if !zones.contains_key(h.calendar_id.as_str()) {
                problems.push(Problem {
                    table: Table::Holidays,
                    check: "calendar_id is not defined in business_hours".to_string(),
                    detail: format!("calendar_id={} date={}", h.calendar_id, h.date),
                });
            }
        }
        let mut seen_teams: BTreeMap<&str, &Option<String>> = BTreeMap::new();
        for t in teams {
            if let Some(calendar) = &t.calendar_id
                && !zones.contains_key(calendar.as_str())
            {
                problems.push(Problem {
                    table: Table::Teams,
                    check: "calendar_id is not defined in business_hours".to_string(),
                    detail: format!("team={} calendar_id={calendar}", t.team),
                });
            }
            if seen_teams.insert(t.team.as_str(), &t.calendar_id).is_some() {
                problems.push(Problem {
                    table: Table::Teams,
                    check: "team is listed more than once".to_string(),
                    detail: format!(
                        "team={} calendar_id={}",
                        t.team,
                        t.calendar_id.as_deref().unwrap_or("NULL")
                    ),
                });
            }
        }
        let mut calendars = BTreeMap::new();
        for (id, rows) in good {
            if broken.contains(id) {
                continue;
            }
            let zone: Tz = rows[0].time_zone.parse().expect("checked above");
            let mut by_from: BTreeMap<Option<NaiveDate>, [Vec<(u32, u32)>; 7]> = BTreeMap::new();
            for w in rows {
                by_from.entry(w.valid_from).or_default()[(w.weekday - 1) as usize]
                    .push((w.open_minute as u32, w.close_minute as u32));
            }
            let schedules = by_from
                .into_iter()
                .map(|(valid_from, days)| Schedule { valid_from, days })
                .collect();
            let holidays = holidays
                .iter()
                .filter(|h| h.calendar_id == id)
                .map(|h| h.date)
                .collect();
            calendars.insert(
                id.to_string(),
                Calendar {
                    id: id.to_string(),
                    zone,
                    schedules,
                    holidays,
                },
            );
        }
        Calendars {
            calendars,
            problems,
            broken,
            rows: (windows.to_vec(), holidays.to_vec(), teams.to_vec()),
        }
    }

    /// The rows the calendars were built from, as JSON: what a cluster's
    /// plan carries so that executors compute business time as the client
    /// would ([`Calendars::from_bytes`] builds them again).
    pub fn to_bytes(&self) -> Vec<u8> {
        use serde_json::json;
        let (windows, holidays, teams) = &self.rows;
        let value = json!({
            "windows": windows.iter().map(|w| json!([
                w.calendar_id, w.time_zone, w.weekday, w.open_minute, w.close_minute,
                w.valid_from.map(|d| d.to_string()),
            ])).collect::<Vec<_>>(),
            "holidays": holidays.iter().map(|h| json!([h.calendar_id, h.date.to_string()])).collect::<Vec<_>>(),
            "teams": teams.iter().map(|t| json!([t.team, t.calendar_id])).collect::<Vec<_>>(),
        });
        value.to_string().into_bytes()
    }

    /// The calendars [`Calendars::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Calendars, String> {
        use serde_json::Value;
        let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let list = |key: &str| -> Result<Vec<Vec<Value>>, String> {
            value[key]
                .as_array()
                .ok_or(format!("no {key}"))?
                .iter()
                .map(|row| {
                    row.as_array()
                        .cloned()
                        .ok_or(format!("a {key} row is not a list"))
                })
                .collect()
        };
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .ok_or("not a string".to_string())
        };
        let int = |v: &Value| {
            v.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or("not an int".to_string())
        };
        let day = |v: &Value| -> Result<NaiveDate, String> {
            text(v)?
                .parse()
                .map_err(|e: chrono::ParseError| e.to_string())
        };
        let mut windows = Vec::new();
        for r in list("windows")? {
            let [id, zone, weekday, open, close, from] = &r[..] else {
                return Err("a window row has not 6 fields".into());
            };
            windows.push(WindowRow {
                calendar_id: text(id)?,
                time_zone: text(zone)?,
                weekday: int(weekday)?,
                open_minute: int(open)?,
                close_minute: int(close)?,
                valid_from: if from.is_null() {
                    None
                } else {
                    Some(day(from)?)
                },
            });
        }
        let mut holidays = Vec::new();
        for r in list("holidays")? {
            let [id, date] = &r[..] else {
                return Err("a holiday row has not 2 fields".into());
            };
            holidays.push(HolidayRow {
                calendar_id: text(id)?,
                date: day(date)?,
            });
        }
        let mut teams = Vec::new();
        for r in list("teams")? {
            let [team, id] = &r[..] else {
                return Err("a team row has not 2 fields".into());
            };
            teams.push(TeamRow {
                team: text(team)?,
                calendar_id: if id.is_null() { None } else { Some(text(id)?) },
            });
        }
        Ok(Calendars::build(&windows, &holidays, &teams))
    }

    /// The calendar named `id`, or an error that says why there is none.
    pub fn get(&self, id: &str) -> Result<&Calendar, String> {
        if let Some(c) = self.calendars.get(id) {
            return Ok(c);
        }
        if self.broken.contains(id) {
            let first = self
                .problems
                .iter()
                .find(|p| p.detail.contains(&format!("calendar_id={id} ")))
                .map(|p| p.to_string())
                .unwrap_or_default();
            return Err(format!(
                "calendar {id:?} breaks the contract ({first}); `kpiql validate` lists every problem"
            ));
        }
        if self.calendars.is_empty() && self.broken.is_empty() {
            return Err(format!(
                "calendar {id:?} is not defined: the lake has no business_hours table (DESIGN §1)"
            ));
        }
        let names: Vec<&str> = self.calendars.keys().map(String::as_str).collect();
        Err(format!(
            "calendar {id:?} is not defined in business_hours; the calendars are: {}",
            names.join(", ")
        ))
    }

    /// The names of the usable calendars.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.calendars.keys().map(String::as_str)
    }
}

/// The rows `sql` selects from `table`, or none without a query when the
/// lake lacks the table (most lakes have no calendars: opening them costs
/// nothing).
async fn rows(
    ctx: &SessionContext,
    table: Table,
    sql: &str,
) -> Result<Vec<RecordBatch>, DataFusionError> {
    let provider = ctx.table_provider(table.name()).await?;
    if crate::lake::is_missing(provider.as_ref()) {
        return Ok(Vec::new());
    }
    ctx.sql(sql).await?.collect().await
}

/// Reads the calendar tables registered in `ctx` (absent ones read as
/// empty) and builds the calendars. Rows with a NULL in a required column
/// are skipped here: opening the lake refuses them, `validate` names them.
pub async fn load(ctx: &SessionContext) -> Result<Calendars, DataFusionError> {
    let mut windows = Vec::new();
    for batch in rows(
        ctx,
        Table::BusinessHours,
        "SELECT calendar_id, time_zone, weekday, open_minute, close_minute, valid_from \
         FROM business_hours WHERE calendar_id IS NOT NULL AND time_zone IS NOT NULL \
         AND weekday IS NOT NULL AND open_minute IS NOT NULL AND close_minute IS NOT NULL",
    )
    .await?
    {
        let ids = strings(&batch, 0)?;
        let zones = strings(&batch, 1)?;
        let weekday = batch.column(2).as_primitive::<Int32Type>();
        let open = batch.column(3).as_primitive::<Int32Type>();
        let close = batch.column(4).as_primitive::<Int32Type>();
        let from = batch.column(5).as_primitive::<Date32Type>();
        for i in 0..batch.num_rows() {
            windows.push(WindowRow {
                calendar_id: ids[i].clone().unwrap_or_default(),
                time_zone: zones[i].clone().unwrap_or_default(),
                weekday: weekday.value(i),
                open_minute: open.value(i),
                close_minute: close.value(i),
                valid_from: (!from.is_null(i)).then(|| date(from.value(i))),
            });
        }
    }
    let mut holidays = Vec::new();
    for batch in rows(
        ctx,
        Table::Holidays,
        "SELECT calendar_id, date FROM holidays WHERE calendar_id IS NOT NULL AND date IS NOT NULL",
    )
    .await?
    {
        let ids = strings(&batch, 0)?;
        let dates = batch.column(1).as_primitive::<Date32Type>();
        for (i, id) in ids.into_iter().enumerate() {
            holidays.push(HolidayRow {
                calendar_id: id.unwrap_or_default(),
                date: date(dates.value(i)),
            });
        }
    }
    let mut teams = Vec::new();
    for batch in rows(
        ctx,
        Table::Teams,
        "SELECT team, calendar_id FROM teams WHERE team IS NOT NULL",
    )
    .await?
    {
        let names = strings(&batch, 0)?;
        let ids = strings(&batch, 1)?;
        for (team, calendar_id) in names.into_iter().zip(ids) {
            teams.push(TeamRow {
                team: team.unwrap_or_default(),
                calendar_id,
            });
        }
    }
    Ok(Calendars::build(&windows, &holidays, &teams))
}

/// A string column's values, whatever its Arrow string type.
fn strings(batch: &RecordBatch, index: usize) -> Result<Vec<Option<String>>, DataFusionError> {
    let array = datafusion::arrow::compute::cast(batch.column(index), &DataType::Utf8)?;
    Ok(array
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A `Date32` value as a date.
fn date(days: i32) -> NaiveDate {
    crate::dates::date_of_days(days).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests;
