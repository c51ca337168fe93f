//! A zone's UTC offsets over a range of instants, as the few instants its
//! offset changes at: what `to_local` and `from_local` cut a batch with.
//!
//! chrono-tz answers one instant at a time. The changes of a year are found
//! once per zone and year, by reading the offset at every hour of the year
//! and bisecting to the second where it changed, and kept for the process
//! (a few kilobytes for every zone and year a process meets). This assumes
//! no zone changes its offset twice within one hour, which no rule in the
//! tz database does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone};

use super::Zone;

const MICROS: i64 = 1_000_000;

/// The most years one batch may span: values further apart are an error,
/// not minutes of offset tables (as for calendars' timelines).
pub const MAX_YEARS: i32 = 400;

/// A zone's offsets over a range: from `starts[i]` (µs since the epoch,
/// UTC; the first is `i64::MIN`) until the next start, the wall clock is
/// the instant plus `offsets[i]` µs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offsets {
    starts: Vec<i64>,
    offsets: Vec<i64>,
}

impl Offsets {
    /// The offsets of `zone` for every instant in `[lo, hi]` (µs). Instants
    /// outside the range may get a wrong offset. An error when the range is
    /// outside chrono's dates or spans more than [`MAX_YEARS`].
    pub fn over(zone: Zone, lo: i64, hi: i64) -> Result<Offsets, String> {
        let year = |us: i64| {
            DateTime::from_timestamp_micros(us)
                .map(|t| t.year())
                .ok_or_else(|| {
                    format!(
                        "the timestamp {us} µs is outside the dates kpiql can place in a time zone"
                    )
                })
        };
        let (first, last) = (year(lo)?, year(hi)?);
        if last - first >= MAX_YEARS {
            return Err(format!(
                "timestamps from {first} to {last} in one batch: more than {MAX_YEARS} years to place in time zone {zone}"
            ));
        }
        let mut out = Offsets {
            starts: vec![i64::MIN],
            offsets: Vec::new(),
        };
        for y in first..=last {
            let changes = year_changes(zone, y)?;
            for &(at, offset) in changes.iter() {
                match out.offsets.last() {
                    None => out.offsets.push(offset),
                    Some(&last) if last == offset => {}
                    Some(_) => {
                        out.starts.push(at);
                        out.offsets.push(offset);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The longest step (seconds, dividing an hour) such that every
    /// offset and every instant of a change is a whole number of steps:
    /// then the zone's hours start at multiples of it, in UTC (3600 for
    /// UTC, New York or Warsaw; 900 for Kathmandu's +05:45; 1800 for Lord
    /// Howe, whose clocks move by 30 minutes).
    pub fn step_seconds(&self) -> i64 {
        fn gcd(a: i64, b: i64) -> i64 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        let mut step = 3600;
        for (i, offset) in self.offsets.iter().enumerate() {
            step = gcd(step, offset / MICROS);
            if i > 0 {
                step = gcd(step, (self.starts[i] / MICROS).rem_euclid(3600));
            }
        }
        step.max(1)
    }

    /// The only offset, when the range has one.
    pub fn single(&self) -> Option<i64> {
        (self.offsets.len() == 1).then(|| self.offsets[0])
    }

    /// The offset at instant `utc` (µs).
    #[inline]
    pub fn at(&self, utc: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s <= utc);
        self.offsets[i.saturating_sub(1)]
    }

    /// The instant of wall-clock time `local` (µs since the epoch of the
    /// zone-less clock): of a repeated time the earlier, of a skipped time
    /// the instant the clocks jump at ([`Zone::instant`]).
    #[inline]
    pub fn instant(&self, local: i64) -> i64 {
        // Segment i covers wall-clock times [starts[i] + offsets[i],
        // starts[i + 1] + offsets[i]); those ends increase (changes are
        // months apart, offsets differ by hours). The first segment whose
        // end is past `local` holds it, or `local` is in the gap before it.
        let end = |i: usize| {
            self.starts
                .get(i + 1)
                .map_or(i64::MAX, |&s| s.saturating_add(self.offsets[i]))
        };
        let (mut lo, mut hi) = (0, self.offsets.len() - 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if end(mid) <= local {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let start = self.starts[lo].saturating_add(self.offsets[lo]);
        if lo == 0 || start <= local {
            local - self.offsets[lo]
        } else {
            self.starts[lo]
        }
    }
}

type Changes = Arc<Vec<(i64, i64)>>;

/// The offset at the start of year `y` (UTC) and each change in the year:
/// (instant µs, new offset µs).
fn year_changes(zone: Zone, y: i32) -> Result<Changes, String> {
    static CACHE: OnceLock<Mutex<HashMap<(Zone, i32), Changes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().map_err(|e| e.to_string())?.get(&(zone, y)) {
        return Ok(Arc::clone(found));
    }
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
            .ok_or_else(|| {
                format!("the year {y} is outside the dates kpiql can place in a time zone")
            })
    };
    let (from, to) = (start(y)?, start(y + 1)?);
    let tz = zone.tz();
    let offset = |s: i64| -> i64 {
        DateTime::from_timestamp(s, 0).map_or(0, |t| {
            i64::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
    };
    let mut changes = vec![(from * MICROS, offset(from) * MICROS)];
    let mut before = offset(from);
    let mut hour = from;
    while hour < to {
        let next = (hour + 3600).min(to);
        let after = offset(next);
        if after != before {
            // The first second of the new offset, in (hour, next].
            let (mut lo, mut hi) = (hour, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            changes.push((hi * MICROS, after * MICROS));
            before = after;
        }
        hour = next;
    }
    let changes = Arc::new(changes);
    cache
        .lock()
        .map_err(|e| e.to_string())?
        .insert((zone, y), Arc::clone(&changes));
    Ok(changes)
}
