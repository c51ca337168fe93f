//! The period a batch run computes, and its key in the `period` column.

use chrono::{DateTime, Datelike, Months, Utc};
use datafusion::common::ScalarValue;

use crate::zone::Zone;

/// The period of a run: the report's bound `$start` and `$end`, in the
/// report time zone it was bound in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The value of the `period` column and partition: `2026-10` for a
    /// calendar month, `2026-07-01_2026-11-01` for other whole days (of
    /// the report time zone: its midnights), `20260701T120000Z_20261101T000000Z`
    /// otherwise, and `all` for a report without `$start`/`$end`.
    pub key: String,
    /// First instant, inclusive.
    pub start: Option<DateTime<Utc>>,
    /// End, exclusive.
    pub end: Option<DateTime<Utc>>,
}

impl Period {
    /// The period of bound report parameters.
    pub fn of(params: &[(String, ScalarValue)]) -> Period {
        let instant = |name: &str| {
            params.iter().find_map(|(n, v)| match v {
                ScalarValue::TimestampMicrosecond(Some(us), _) if n == name => {
                    DateTime::<Utc>::from_timestamp_micros(*us)
                }
                _ => None,
            })
        };
        let (start, end) = (instant("start"), instant("end"));
        Period {
            key: key(start, end, crate::reports::zone_of(params)),
            start,
            end,
        }
    }
}

fn key(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>, zone: Zone) -> String {
    // A local midnight (or, on a day whose midnight the clocks skip, the
    // instant they jump at: the day's start).
    let day_start = |t: &DateTime<Utc>| {
        zone.local(*t)
            .date()
            .and_hms_opt(0, 0, 0)
            .is_some_and(|midnight| zone.instant(midnight) == *t)
    };
    match (start, end) {
        (Some(s), Some(e)) if day_start(&s) && day_start(&e) => {
            let (first, after) = (zone.local(s).date(), zone.local(e).date());
            if first.day() == 1 && first.checked_add_months(Months::new(1)) == Some(after) {
                first.format("%Y-%m").to_string()
            } else {
                format!("{}_{}", first.format("%Y-%m-%d"), after.format("%Y-%m-%d"))
            }
        }
        (Some(s), Some(e)) => format!(
            "{}_{}",
            s.format("%Y%m%dT%H%M%SZ"),
            e.format("%Y%m%dT%H%M%SZ")
        ),
        (Some(s), None) => format!("{}_", s.format("%Y%m%dT%H%M%SZ")),
        (None, Some(e)) => format!("_{}", e.format("%Y%m%dT%H%M%SZ")),
        (None, None) => "all".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<DateTime<Utc>> {
        crate::dates::parse_instant(text)
    }

    fn key(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> String {
        super::key(start, end, Zone::UTC)
    }

    #[test]
    fn a_local_month_is_keyed_by_the_month_in_its_zone() {
        // October in New York: 04:00Z on 1 October to 04:00Z on 1 November
        // (both midnights are EDT, UTC-4: the clocks go back at 02:00 that
        // day). In UTC the same instants are not midnights.
        let ny = Zone::parse("America/New_York").expect("zone");
        let local = |t: &str| crate::dates::parse_instant_in(t, ny);
        assert_eq!(
            super::key(local("2026-10-01"), local("2026-11-01"), ny),
            "2026-10"
        );
        assert_eq!(
            super::key(local("2026-10-01"), local("2026-11-01"), Zone::UTC),
            "20261001T040000Z_20261101T040000Z"
        );
        assert_eq!(
            super::key(local("2026-10-02"), local("2026-10-09"), ny),
            "2026-10-02_2026-10-09"
        );
    }

    #[test]
    fn a_calendar_month_is_keyed_by_the_month() {
        assert_eq!(key(at("2026-10-01"), at("2026-11-01")), "2026-10");
        assert_eq!(key(at("2026-12-01"), at("2027-01-01")), "2026-12");
    }

    #[test]
    fn other_periods_are_keyed_by_both_ends() {
        assert_eq!(
            key(at("2026-07-01"), at("2026-11-01")),
            "2026-07-01_2026-11-01"
        );
        assert_eq!(
            key(at("2026-10-02"), at("2026-11-02")),
            "2026-10-02_2026-11-02"
        );
        assert_eq!(
            key(at("2026-10-01 12:00:00"), at("2026-11-01")),
            "20261001T120000Z_20261101T000000Z"
        );
        assert_eq!(key(None, None), "all");
    }
}
