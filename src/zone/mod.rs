//! The report time zone (issue 28, DESIGN §3 "Time zone"): the zone whose
//! midnights and hours cut reports' periods, months, weekdays and hours.
//!
//! Instants in the lake stay UTC. A report turns an instant into the wall
//! clock of the zone with `to_local(ts, zone)` and a wall-clock time (a
//! month's first day, say) back into an instant with `from_local(local,
//! zone)` ([`functions`]). Both are vectorised over the zone's offset
//! changes in the batch's range ([`offsets`]: a handful a year), not a
//! zone lookup per value: a batch that no change falls in (nearly every
//! one) is one addition per value.

pub mod functions;
pub mod offsets;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A report time zone: an IANA zone or UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

/// A zone name kpiql does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadZone(String);

impl Zone {
    /// Coordinated Universal Time, the default.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Reads a zone: `UTC`, or an IANA `Area/Location` name
    /// (`America/New_York`, `Europe/Warsaw`, `Asia/Kathmandu`). Abbreviations
    /// (`EST`, `CET`) and offsets (`+05:30`, `-5`) are refused: an
    /// abbreviation names no rule for the rest of the year (`EST` is never
    /// daylight time, which is not what a New York team means), and an offset
    /// has no daylight saving at all (README "Time zones").
    pub fn parse(text: &str) -> Result<Zone, BadZone> {
        let name = text.trim();
        let accepted = "an IANA time zone name such as America/New_York, Europe/Warsaw or \
                        Asia/Kathmandu, or UTC";
        if name.eq_ignore_ascii_case("UTC") {
            return Ok(Zone::UTC);
        }
        if name.starts_with(['+', '-']) || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(BadZone(format!(
                "time zone {text:?} is an offset, which has no daylight saving; expected {accepted}"
            )));
        }
        if name.contains('/')
            && let Ok(tz) = name.parse::<Tz>()
        {
            return Ok(Zone(tz));
        }
        let near = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().contains('/') && tz.name().eq_ignore_ascii_case(name));
        Err(BadZone(match near {
            Some(tz) => format!(
                "unknown time zone {text:?} (names are case-sensitive: did you mean {}?); expected {accepted}",
                tz.name()
            ),
            None if !name.contains('/') && name.parse::<Tz>().is_ok() => format!(
                "time zone {text:?} is an abbreviation or a legacy name, ambiguous across the year; \
                 expected {accepted}"
            ),
            None => format!("unknown time zone {text:?}; expected {accepted}"),
        }))
    }

    /// The zone's name (`UTC`, `Europe/Warsaw`).
    pub fn name(&self) -> &'static str {
        match self.0 {
            Tz::UTC => "UTC",
            tz => tz.name(),
        }
    }

    /// The chrono-tz zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// Whether this is UTC.
    pub fn is_utc(&self) -> bool {
        self.0 == Tz::UTC
    }

    /// The instant a wall-clock time of the zone stands for: the earlier of
    /// a repeated time, and for a time the clocks skip, the instant they
    /// skip at (the first instant after the gap: a day whose midnight does
    /// not exist starts when the clocks jump).
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => {
                // Gaps are at most a day long (Samoa, 2011); the first
                // instant whose wall clock is past `local` is the jump.
                let guess = local.and_utc() - chrono::Duration::days(2);
                let wall = |t: DateTime<Utc>| t.with_timezone(&self.0).naive_local();
                let (mut lo, mut hi) = (guess.timestamp(), guess.timestamp() + 4 * 86_400);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    match DateTime::from_timestamp(mid, 0) {
                        Some(t) if wall(t) < local => lo = mid,
                        _ => hi = mid,
                    }
                }
                DateTime::from_timestamp(hi, 0).unwrap_or(guess)
            }
        }
    }

    /// The wall-clock time of an instant in the zone.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Any tz-database zone, as calendars name them (`business_hours`
/// checks its own names).
impl From<Tz> for Zone {
    fn from(tz: Tz) -> Zone {
        Zone(tz)
    }
}

impl std::str::FromStr for Zone {
    type Err = BadZone;
    fn from_str(s: &str) -> Result<Zone, BadZone> {
        Zone::parse(s)
    }
}
