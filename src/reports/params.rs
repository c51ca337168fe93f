//! Binding a report's parameters: `--from`/`--to`, `--param k=v`, and the
//! defaults computed from the data.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use super::{Param, ParamDefault, ParamType, Query, ReportError};
use crate::dates::{days_since_epoch, parse_date, parse_instant_in};
use crate::settings::Settings;
use crate::zone::Zone;

/// Bound parameter values, by name.
pub type ParamValues = Vec<(String, ScalarValue)>;

/// Binds every parameter of `report`: given values first (`from` and `to`
/// are `start` and `end`), then defaults. A missing, unknown or ill-typed
/// parameter is an error that lists the report's parameters.
pub async fn bind(
    ctx: &SessionContext,
    report: &Query,
    from: Option<&str>,
    to: Option<&str>,
    given: &[(String, String)],
) -> Result<ParamValues, ReportError> {
    let zone = Settings::of(ctx.state_ref().read().config_options()).time_zone;
    // Checked first without the data, so a bad parameter costs no query.
    bind_to(report, from, to, given, Latest::NotYet, zone)?;
    let latest = if needs_data(report, from, to, given) {
        Facts::of(ctx, zone).await?.latest_full_month
    } else {
        None
    };
    bind_to(report, from, to, given, Latest::Known(latest), zone)
}

/// The latest full month of data, which data-derived defaults count from.
#[derive(Debug, Clone, Copy)]
pub enum Latest {
    /// Not asked of the data: data-derived defaults are typed stand-ins
    /// (1970-01-01), good for the result's schema and nothing else.
    NotYet,
    /// Asked: `None` when the lake has no interactions.
    Known(Option<NaiveDate>),
}

/// Whether a parameter of `report` left to its default takes it from the
/// data.
fn needs_data(
    report: &Query,
    from: Option<&str>,
    to: Option<&str>,
    given: &[(String, String)],
) -> bool {
    report.params.iter().any(|p| {
        let set = (p.name == "start" && from.is_some())
            || (p.name == "end" && to.is_some())
            || given.iter().any(|(n, _)| n == &p.name);
        !set && !matches!(
            p.default,
            ParamDefault::Literal(_) | ParamDefault::None | ParamDefault::Now
        )
    })
}

/// [`bind`] once the data's latest full month is known (or not needed), in
/// the report time zone `zone`: dates and months given or defaulted are
/// the zone's midnights, and `$time_zone` is its name (for every report;
/// the one a report's SQL cuts months and hours with, `crate::zone`).
pub fn bind_to(
    report: &Query,
    from: Option<&str>,
    to: Option<&str>,
    given: &[(String, String)],
    latest: Latest,
    zone: Zone,
) -> Result<ParamValues, ReportError> {
    let fail = |problem: String| ReportError::Param {
        report: report.name.clone(),
        problem,
        params: report.params.clone(),
    };
    let mut raw: Vec<(String, String)> = Vec::new();
    for (flag, name, value) in [("--from", "start", from), ("--to", "end", to)] {
        if let Some(v) = value {
            if report.params.iter().all(|p| p.name != name) {
                return Err(fail(format!(
                    "report {} has no ${name} parameter for {flag}",
                    report.name
                )));
            }
            raw.push((name.to_string(), v.to_string()));
        }
    }
    for (name, value) in given {
        if report.params.iter().all(|p| &p.name != name) {
            return Err(fail(format!(
                "report {} has no parameter {name:?}",
                report.name
            )));
        }
        raw.retain(|(n, _)| n != name);
        raw.push((name.clone(), value.clone()));
    }
    let value_of = |name: &str| raw.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());

    let mut bound = Vec::new();
    for p in &report.params {
        let text = match (value_of(&p.name), &p.default) {
            (Some(v), _) => v,
            (None, ParamDefault::Literal(v)) => v.clone(),
            (None, ParamDefault::Now) => chrono::Utc::now().to_rfc3339(),
            (None, ParamDefault::None) => {
                return Err(fail(format!(
                    "report {} needs a value for {}",
                    report.name, p.name
                )));
            }
            (None, rule) => {
                let latest = match latest {
                    Latest::NotYet => NaiveDate::from_ymd_opt(1970, 1, 1),
                    Latest::Known(month) => month,
                }
                .ok_or_else(|| {
                    fail(format!(
                        "the lake has no interactions to take the default of {} from; give --from and --to",
                        p.name
                    ))
                })?;
                let instant = match rule {
                    ParamDefault::LatestFullMonthStart => latest,
                    ParamDefault::LatestFullMonthEnd => latest + Months::new(1),
                    _ => {
                        let month = fiscal_start_month(report, &value_of).map_err(fail)?;
                        let back = (latest.month() + 12 - month) % 12;
                        latest - Months::new(back)
                    }
                };
                instant
                    .and_hms_opt(0, 0, 0)
                    .map(|d| zone.instant(d).to_rfc3339())
                    .unwrap_or_default()
            }
        };
        bound.push((p.name.clone(), scalar(p, &text, zone).map_err(fail)?));
    }
    if report.params.iter().all(|p| p.name != TIME_ZONE) {
        bound.push((
            TIME_ZONE.to_string(),
            ScalarValue::Utf8(Some(zone.name().to_string())),
        ));
    }
    let instant = |name: &str| {
        bound.iter().find_map(|(n, v)| match v {
            ScalarValue::TimestampMicrosecond(Some(us), _) if n == name => Some(*us),
            _ => None,
        })
    };
    if let (Some(start), Some(end), Latest::Known(_)) = (instant("start"), instant("end"), latest)
        && start > end
    {
        return Err(fail(
            "the period's start is after its end (--from must not be after --to)".into(),
        ));
    }
    Ok(bound)
}

fn fiscal_start_month(
    report: &Query,
    value_of: &dyn Fn(&str) -> Option<String>,
) -> Result<u32, String> {
    let text = value_of("fiscal_year_start_month")
        .or_else(|| {
            report.params.iter().find_map(|p| match &p.default {
                ParamDefault::Literal(v) if p.name == "fiscal_year_start_month" => Some(v.clone()),
                _ => None,
            })
        })
        .unwrap_or_else(|| "1".to_string());
    match text.trim().parse::<u32>() {
        Ok(m @ 1..=12) => Ok(m),
        _ => Err(format!(
            "fiscal_year_start_month must be a month number 1-12, got {text:?}"
        )),
    }
}

/// The parameter every report is given: the report time zone's name.
pub const TIME_ZONE: &str = "time_zone";

/// The report time zone bound values were bound in (`$time_zone`; UTC
/// when they have none).
pub fn zone_of(params: &[(String, ScalarValue)]) -> Zone {
    params
        .iter()
        .find_map(|(n, v)| match v {
            ScalarValue::Utf8(Some(name)) if n == TIME_ZONE => Zone::parse(name).ok(),
            _ => None,
        })
        .unwrap_or_default()
}

/// A parameter's text as a typed value (a timestamp's date or wall-clock
/// time in `zone`).
fn scalar(p: &Param, text: &str, zone: Zone) -> Result<ScalarValue, String> {
    let bad = |expected: &str| format!("parameter {} = {text:?} is not {expected}", p.name);
    Ok(match &p.ty {
        ParamType::Timestamp => {
            let t = parse_instant_in(text, zone)
                .ok_or_else(|| bad("a timestamp (YYYY-MM-DD, YYYY-MM or RFC 3339)"))?;
            ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into()))
        }
        ParamType::Date => {
            let d = parse_date(text).ok_or_else(|| bad("a date (YYYY-MM-DD)"))?;
            ScalarValue::Date32(Some(days_since_epoch(d)))
        }
        ParamType::Int => {
            ScalarValue::Int64(Some(text.trim().parse().map_err(|_| bad("an integer"))?))
        }
        ParamType::Float => {
            let v: f64 = text.trim().parse().map_err(|_| bad("a number"))?;
            if !v.is_finite() {
                return Err(bad("a finite number"));
            }
            ScalarValue::Float64(Some(v))
        }
        ParamType::Text => ScalarValue::Utf8(Some(text.to_string())),
        ParamType::Choice(words) => match words.iter().find(|w| *w == text.trim()) {
            Some(word) => ScalarValue::Utf8(Some(word.clone())),
            None => return Err(bad(&format!("one of {}", words.join(", ")))),
        },
        ParamType::Bool => match text.trim() {
            "true" => ScalarValue::Boolean(Some(true)),
            "false" => ScalarValue::Boolean(Some(false)),
            _ => return Err(bad("true or false")),
        },
    })
}

/// What defaults are computed from.
struct Facts {
    /// First day of the latest full month of interactions, in the report
    /// time zone.
    latest_full_month: Option<NaiveDate>,
}

impl Facts {
    async fn of(ctx: &SessionContext, zone: Zone) -> Result<Facts, ReportError> {
        let batches = ctx
            .sql("SELECT max(created_at) FROM interactions")
            .await?
            .collect()
            .await?;
        let latest = batches
            .first()
            .map(|b| {
                b.column(0)
                    .as_primitive::<TimestampMicrosecondType>()
                    .clone()
            })
            .filter(|a| !a.is_empty() && a.is_valid(0))
            .and_then(|a| DateTime::<Utc>::from_timestamp_micros(a.value(0)));
        Ok(Facts {
            latest_full_month: latest.and_then(|t| latest_full_month(zone.local(t).date())),
        })
    }
}

/// The latest month fully covered by data that ends on `last_day`: its own
/// month when `last_day` is that month's last day, else the month before.
pub fn latest_full_month(last_day: NaiveDate) -> Option<NaiveDate> {
    let month = last_day.with_day(1)?;
    let next = last_day.succ_opt()?;
    if next.day() == 1 {
        Some(month)
    } else {
        month.checked_sub_months(Months::new(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_full_month_is_the_data_month_only_when_it_reaches_its_end() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(latest_full_month(d("2026-10-31")), Some(d("2026-10-01")));
        assert_eq!(latest_full_month(d("2026-10-30")), Some(d("2026-09-01")));
        assert_eq!(latest_full_month(d("2024-02-29")), Some(d("2024-02-01")));
        assert_eq!(latest_full_month(d("2026-01-15")), Some(d("2025-12-01")));
    }
}
