//! A calendar's open time over a range of local dates, as sorted, disjoint
//! UTC intervals (microseconds) with the open time before each: then the
//! open time before any instant is one binary search, and business time
//! between two instants is a difference of two such lookups (DESIGN §2).

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::Calendar;
use crate::zone::Zone;

/// The most years one timeline may span: instants further apart than this
/// in one query are an error, not a silent multi-gigabyte build.
pub const MAX_YEARS: i32 = 400;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// The open intervals of one calendar over local dates `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// First local date expanded.
    pub first: NaiveDate,
    /// Last local date expanded.
    pub last: NaiveDate,
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// Open time up to the end of each interval.
    cum_end: Vec<i64>,
}

impl Timeline {
    /// Expands `calendar` over local dates `first..=last`.
    pub fn build(calendar: &Calendar, first: NaiveDate, last: NaiveDate) -> Timeline {
        let mut intervals: Vec<(i64, i64)> = Vec::new();
        let mut day = first;
        while day <= last {
            for &(open, close) in calendar.windows(day) {
                let start = local_instant(calendar.zone, day, open);
                let end = local_instant(calendar.zone, day, close);
                if end > start {
                    intervals.push((start, end));
                }
            }
            day = day.succ_opt().unwrap_or(NaiveDate::MAX);
            if day == NaiveDate::MAX {
                break;
            }
        }
        // Days' windows come in order, but a DST change can make one
        // day's last window touch or overlap the next day's first: keep the
        // union, so no instant counts twice.
        intervals.sort_unstable();
        let mut starts = Vec::with_capacity(intervals.len());
        let mut ends: Vec<i64> = Vec::with_capacity(intervals.len());
        for (start, end) in intervals {
            match ends.last_mut() {
                Some(last_end) if start <= *last_end => *last_end = (*last_end).max(end),
                _ => {
                    starts.push(start);
                    ends.push(end);
                }
            }
        }
        let mut cum_end = Vec::with_capacity(starts.len());
        let mut total = 0i64;
        for (s, e) in starts.iter().zip(&ends) {
            total += e - s;
            cum_end.push(total);
        }
        Timeline {
            first,
            last,
            starts,
            ends,
            cum_end,
        }
    }

    /// The local date range a timeline needs so that every instant in
    /// `[lo, hi]` (µs) is exact: whole years, with two days to spare for
    /// any zone's offset. None when the instants are out of chrono's range.
    pub fn dates_for(lo: i64, hi: i64) -> Option<(NaiveDate, NaiveDate)> {
        let lo = DateTime::from_timestamp_micros(lo)?
            .date_naive()
            .checked_sub_signed(Duration::days(3))?;
        let hi = DateTime::from_timestamp_micros(hi)?
            .date_naive()
            .checked_add_signed(Duration::days(3))?;
        Some((
            NaiveDate::from_ymd_opt(lo.year(), 1, 1)?,
            NaiveDate::from_ymd_opt(hi.year(), 12, 31)?,
        ))
    }

    /// Whether every instant of `[lo, hi]` is exact in this timeline.
    pub fn covers(&self, lo: i64, hi: i64) -> bool {
        let first = day_start_utc(self.first) + 2 * MICROS_PER_DAY;
        let last = day_start_utc(self.last) - MICROS_PER_DAY;
        lo >= first && hi <= last
    }

    /// Open time (µs) from the timeline's start up to instant `t`.
    #[inline]
    pub fn open_before(&self, t: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s <= t);
        if i == 0 {
            return 0;
        }
        let i = i - 1;
        let before = self.cum_end[i] - (self.ends[i] - self.starts[i]);
        before + (t.min(self.ends[i]) - self.starts[i])
    }

    /// The earliest instant `t >= start` with `open_before(t) -
    /// open_before(start) = micros`; None when it lies beyond the timeline.
    #[inline]
    pub fn deadline(&self, start: i64, micros: i64) -> Option<i64> {
        if micros == 0 {
            return Some(start);
        }
        let target = self.open_before(start).checked_add(micros)?;
        let j = self.cum_end.partition_point(|&c| c < target);
        if j == self.cum_end.len() {
            return None;
        }
        let before = self.cum_end[j] - (self.ends[j] - self.starts[j]);
        Some((self.starts[j] + (target - before)).max(start))
    }

    /// Total open time (µs) of the timeline.
    pub fn total(&self) -> i64 {
        self.cum_end.last().copied().unwrap_or(0)
    }
}

/// Midnight UTC of `day`, µs.
fn day_start_utc(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(i64::MAX)
}

/// The instant of local minute `minute` (0-1440; 1440 is the next day's
/// midnight) of local date `day` in `zone`, µs. A time that does not exist
/// (a DST gap) moves to the end of the gap; an ambiguous one (clocks going
/// back) is its first occurrence ([`Zone::instant`], the one rule for both
/// calendars and report periods).
pub fn local_instant(zone: Tz, day: NaiveDate, minute: u32) -> i64 {
    let local =
        day.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::minutes(minute as i64);
    Zone::from(zone).instant(local).timestamp_micros()
}
