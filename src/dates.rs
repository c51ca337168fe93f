//! Dates and instants as users type them (`--from`, `--period`, report
//! parameters, `generate --start`): the one parser of each form, so every
//! flag accepts the same text and says the same thing when it cannot.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use crate::zone::Zone;

/// A calendar date, `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A month, `YYYY-MM` (or `YYYY-MM-01`), as its first day.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let date = match t.len() {
        7 => NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").ok()?,
        _ => parse_date(t)?,
    };
    (date.day() == 1).then_some(date)
}

/// An instant, UTC unless it says otherwise: `YYYY-MM-DD` (midnight),
/// `YYYY-MM` (the first of the month), `YYYY-MM-DD HH:MM:SS`,
/// `YYYY-MM-DDTHH:MM:SS` or RFC 3339.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    parse_instant_in(text, Zone::UTC)
}

/// An instant, a wall-clock time of `zone` unless it says otherwise: the
/// forms of [`parse_instant`], a date or a month being the zone's midnight
/// that starts it (of a midnight the clocks skip, the instant they jump
/// at; [`Zone::instant`]). RFC 3339 text carries its own offset.
pub fn parse_instant_in(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    parse_local(text)
        .map(|local| zone.instant(local))
        .or_else(|| {
            DateTime::parse_from_rfc3339(text.trim())
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
}

/// The wall-clock forms of [`parse_instant`] (not RFC 3339).
fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Some(d) = parse_date(t).or_else(|| (t.len() == 7).then(|| parse_month(t)).flatten()) {
        return d.and_hms_opt(0, 0, 0);
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(t, format).ok())
}

/// Days since 1970-01-01, Arrow's `Date32`.
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - 719_163
}

/// The date of a `Date32` value (days since 1970-01-01); None outside
/// chrono's range.
pub fn date_of_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_parses_and_bad_text_does_not() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(parse_date("2026-10-31"), Some(day(2026, 10, 31)));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_month("2026-10"), Some(day(2026, 10, 1)));
        assert_eq!(parse_month("2026-10-01"), Some(day(2026, 10, 1)));
        assert_eq!(parse_month("2026-10-02"), None);
        assert_eq!(parse_month("2026-13"), None);
        let at = |t: &str| parse_instant(t).map(|i| i.to_rfc3339());
        assert_eq!(at("2026-10"), Some("2026-10-01T00:00:00+00:00".into()));
        assert_eq!(at("2026-10-05"), Some("2026-10-05T00:00:00+00:00".into()));
        assert_eq!(
            at("2026-10-05 13:14:15"),
            Some("2026-10-05T13:14:15+00:00".into())
        );
        // An offset is honoured: 02:00 at +02:00 is midnight UTC.
        assert_eq!(
            at("2026-10-05T02:00:00+02:00"),
            Some("2026-10-05T00:00:00+00:00".into())
        );
        assert_eq!(at("10/05/2026"), None);
        assert_eq!(at(""), None);
    }

    #[test]
    fn date32_counts_days_from_the_epoch() {
        // 2026-10-01 is 56 years and 14 leap days after 1970-01-01:
        // 56 * 365 + 14 = 20454, plus Jan..Sep 2026 (273 days) = 20727.
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
        assert_eq!(days_since_epoch(d), 20727);
        assert_eq!(
            days_since_epoch(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")),
            0
        );
    }
}
