//! The period a batch run computes, and its key in the `period` column.

use chrono::{DateTime, Datelike, Months, Timelike, Utc};
use datafusion::common::ScalarValue;

/// The period of a run: the report's bound `$start` and `$end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The value of the `period` column and partition: `2026-10` for a
    /// calendar month, `2026-07-01_2026-11-01` for other whole days,
    /// `20260701T120000Z_20261101T000000Z` otherwise, and `all` for a
    /// report without `$start`/`$end`.
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
            key: key(start, end),
            start,
            end,
        }
    }
}

fn key(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> String {
    let midnight = |t: &DateTime<Utc>| t.num_seconds_from_midnight() == 0 && t.nanosecond() == 0;
    match (start, end) {
        (Some(s), Some(e)) if midnight(&s) && midnight(&e) => {
            let month_after = s.date_naive().checked_add_months(Months::new(1));
            if s.day() == 1 && month_after == Some(e.date_naive()) {
                s.format("%Y-%m").to_string()
            } else {
                format!("{}_{}", s.format("%Y-%m-%d"), e.format("%Y-%m-%d"))
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
