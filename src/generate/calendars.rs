//! The calendar tables (`business_hours`, `holidays`, `teams`; DESIGN §1):
//! fixed rules, no randomness, so the other tables stay as they were.
//!
//! - `support_eu` (Europe/Warsaw): weekdays 08:00-18:00; from the first day
//!   of the run's middle month on, weekdays 08:00-20:00 and Saturdays
//!   09:00-13:00 (a schedule change inside the data);
//! - `support_us` (America/New_York): weekdays 09:00-17:00;
//! - `round_the_clock` (Europe/Warsaw): open 24/7, which must equal
//!   calendar time;
//! - holidays: the profile's holidays for `support_eu`, 1 January,
//!   4 July and 25 December for `support_us`, every year of the run;
//! - teams: billing and technical on `support_eu`, onboarding and returns
//!   on `support_us`, enterprise on `round_the_clock`, social_care with no
//!   calendar (calendar time).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Date32Array, Int32Array, RecordBatch};
use datafusion::arrow::error::ArrowError;

use super::columns::{StrCol, write_schema};
use super::plan::MonthPlan;
use super::profile::HOLIDAYS;
use crate::dates::days_since_epoch;
use crate::lake::schema::Table;

const EU: &str = "Europe/Warsaw";
const US: &str = "America/New_York";

/// Team -> calendar (None: no calendar).
pub(crate) const TEAM_CALENDARS: [(&str, Option<&str>); 6] = [
    ("billing", Some("support_eu")),
    ("technical", Some("support_eu")),
    ("onboarding", Some("support_us")),
    ("returns", Some("support_us")),
    ("enterprise", Some("round_the_clock")),
    ("social_care", None),
];

/// One `business_hours` row: calendar, zone, weekday, open, close, valid_from.
type Window<'a> = (&'a str, &'a str, i32, i32, i32, Option<NaiveDate>);

/// The three tables for the months of `plans`.
pub(crate) fn batches(plans: &[MonthPlan]) -> Result<[(Table, RecordBatch); 3], ArrowError> {
    let middle = plans[plans.len() / 2].first_day;
    let mut windows: Vec<Window> = Vec::new();
    for weekday in 1..=5 {
        windows.push(("support_eu", EU, weekday, 480, 1080, None));
        windows.push(("support_eu", EU, weekday, 480, 1200, Some(middle)));
        windows.push(("support_us", US, weekday, 540, 1020, None));
    }
    windows.push(("support_eu", EU, 6, 540, 780, Some(middle)));
    for weekday in 1..=7 {
        windows.push(("round_the_clock", EU, weekday, 0, 1440, None));
    }
    let n = windows.len();
    let (mut id, mut zone) = (StrCol::new(n, 16), StrCol::new(n, 16));
    for w in &windows {
        id.push(w.0);
        zone.push(w.1);
    }
    let hours = RecordBatch::try_new(
        write_schema(Table::BusinessHours),
        vec![
            id.finish()?,
            zone.finish()?,
            Arc::new(Int32Array::from_iter_values(windows.iter().map(|w| w.2))),
            Arc::new(Int32Array::from_iter_values(windows.iter().map(|w| w.3))),
            Arc::new(Int32Array::from_iter_values(windows.iter().map(|w| w.4))),
            Arc::new(Date32Array::from_iter(
                windows.iter().map(|w| w.5.map(days_since_epoch)),
            )),
        ],
    )?;

    let first_year = plans[0].first_day.year();
    let last_year = plans[plans.len() - 1].first_day.year();
    let mut holidays: Vec<(&str, NaiveDate, &str)> = Vec::new();
    for year in first_year..=last_year {
        for (month, day) in HOLIDAYS {
            if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
                holidays.push(("support_eu", d, "public holiday"));
            }
        }
        for (month, day, name) in [
            (1, 1, "New Year's Day"),
            (7, 4, "Independence Day"),
            (12, 25, "Christmas Day"),
        ] {
            if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
                holidays.push(("support_us", d, name));
            }
        }
    }
    let n = holidays.len();
    let (mut id, mut name) = (StrCol::new(n, 12), StrCol::new(n, 16));
    for h in &holidays {
        id.push(h.0);
        name.push(h.2);
    }
    let holidays = RecordBatch::try_new(
        write_schema(Table::Holidays),
        vec![
            id.finish()?,
            Arc::new(Date32Array::from_iter_values(
                holidays.iter().map(|h| days_since_epoch(h.1)),
            )),
            name.finish()?,
        ],
    )?;

    let (mut team, mut calendar) = (StrCol::new(6, 12), StrCol::new(6, 16));
    for (t, c) in TEAM_CALENDARS {
        team.push(t);
        match c {
            Some(c) => calendar.push(c),
            None => calendar.push_null(),
        }
    }
    let teams = RecordBatch::try_new(
        write_schema(Table::Teams),
        vec![team.finish()?, calendar.finish()?],
    )?;
    Ok([
        (Table::BusinessHours, hours),
        (Table::Holidays, holidays),
        (Table::Teams, teams),
    ])
}
