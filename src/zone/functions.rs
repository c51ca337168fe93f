//! `to_local(ts, zone)` and `from_local(local, zone)`: instants to the wall
//! clock of a zone and back, vectorised over the zone's offset changes in
//! each batch ([`Offsets`]).

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Datelike};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, TimestampMicrosecondArray, new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{max, min};
use datafusion::arrow::datatypes::{DataType, Int32Type, TimeUnit, TimestampMicrosecondType};
use datafusion::arrow::error::ArrowError;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use super::Zone;
use super::offsets::Offsets;

/// Two days, more than any zone's offset: the instants of a range of wall
/// clock times lie within it.
const SLACK: i64 = 2 * 86_400 * 1_000_000;

/// What a zone argument of `name` is read as: a string (a dictionary of
/// strings, from a Parquet column, too).
fn zone_type(name: &str, t: &DataType) -> Result<DataType> {
    match t {
        DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8
        | DataType::Null
        | DataType::Dictionary(_, _) => Ok(DataType::Utf8),
        other => plan_err!("{name}: the zone argument is {other}, expected a time zone name"),
    }
}

fn local_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

fn utc_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Which way a function converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    /// An instant to the zone's wall clock.
    ToLocal,
    /// A wall-clock time of the zone to an instant.
    FromLocal,
}

/// `to_local` or `from_local`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Convert {
    way: Way,
    signature: Signature,
}

impl Convert {
    fn name_of(way: Way) -> &'static str {
        match way {
            Way::ToLocal => "to_local",
            Way::FromLocal => "from_local",
        }
    }
}

fn section() -> DocSection {
    DocSection {
        include: true,
        label: "Time Zone Functions",
        description: Some("The report time zone (kpiql; DESIGN §3)."),
    }
}

fn to_local_doc() -> &'static Documentation {
    static DOC: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            section(),
            "The wall-clock time of an instant in a time zone, as a zone-less timestamp: \
             date_trunc, date_part and CAST(... AS DATE) on it give the zone's months, days, \
             weekdays and hours. zone is an IANA name (America/New_York) or UTC; reports pass \
             $time_zone, the report zone (--time-zone).",
            "to_local(ts, zone)",
        )
        .with_argument(
            "ts",
            "An instant (a timestamp with a zone; a zone-less one is read as UTC).",
        )
        .with_argument(
            "zone",
            "A time zone name: a constant, or a column of a few zones (a NULL zone gives NULL).",
        )
        .with_sql_example(
            "SELECT to_local(TIMESTAMP '2026-11-01T03:30:00Z', 'America/New_York')  \
             -- 2026-10-31T23:30:00",
        )
        .build()
    });
    &DOC
}

fn from_local_doc() -> &'static Documentation {
    static DOC: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            section(),
            "The instant (UTC) of a wall-clock time in a time zone: of a time the clocks repeat, \
             the earlier; of a time they skip, the instant they jump at. The inverse of to_local.",
            "from_local(local, zone)",
        )
        .with_argument("local", "A zone-less timestamp or a date (its midnight).")
        .with_argument(
            "zone",
            "A time zone name: a constant, or a column of a few zones (a NULL zone gives NULL).",
        )
        .with_sql_example(
            "SELECT from_local(DATE '2026-10-01', 'Europe/Warsaw')  -- 2026-09-30T22:00:00Z",
        )
        .build()
    });
    &DOC
}

impl ScalarUDFImpl for Convert {
    fn name(&self) -> &str {
        Convert::name_of(self.way)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        let [value, zone] = types else {
            return plan_err!(
                "{name} takes 2 arguments (a timestamp and a zone), got {}",
                types.len()
            );
        };
        let value = match (self.way, value) {
            (Way::ToLocal, DataType::Timestamp(_, Some(_)) | DataType::Null) => utc_type(),
            (Way::ToLocal, DataType::Timestamp(_, None)) => local_type(),
            (
                Way::FromLocal,
                DataType::Timestamp(_, None) | DataType::Date32 | DataType::Date64 | DataType::Null,
            ) => local_type(),
            (Way::FromLocal, DataType::Timestamp(_, Some(z))) => {
                return plan_err!(
                    "from_local: argument 1 is a timestamp in zone {z}, expected a zone-less (wall-clock) timestamp or a date"
                );
            }
            (_, other) => return plan_err!("{name}: argument 1 is {other}, expected a timestamp"),
        };
        let zone = zone_type(name, zone)?;
        Ok(vec![value, zone])
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.way {
            Way::ToLocal => local_type(),
            Way::FromLocal => utc_type(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let way = self.way;
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if scalar { 1 } else { args.number_rows };
        let values = args.args[0].to_array(rows)?;
        let values = values.as_primitive::<TimestampMicrosecondType>();
        let out = by_zone(name, &args.args[1], rows, values.data_type(), |zone| {
            let out = convert(way, values, zone).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!("{name}: {e}"))
            })?;
            Ok(Arc::new(out) as ArrayRef)
        })?;
        let out = out.as_primitive::<TimestampMicrosecondType>().clone();
        let out: ArrayRef = Arc::new(match way {
            Way::ToLocal => out.with_timezone_opt(None::<String>),
            Way::FromLocal => out.with_timezone("UTC"),
        });
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(match self.way {
            Way::ToLocal => to_local_doc(),
            Way::FromLocal => from_local_doc(),
        })
    }
}

/// The kernel: every value moved by the offset of its instant (to the
/// wall clock) or of its wall-clock time (to the instant).
pub fn convert(
    way: Way,
    values: &TimestampMicrosecondArray,
    zone: Zone,
) -> Result<TimestampMicrosecondArray, String> {
    // UTC's wall clock is the instant: nothing to read.
    if zone.is_utc() {
        return Ok(values.clone());
    }
    let Some((lo, hi)) = range(values) else {
        return Ok(values.clone());
    };
    let year = |us: i64| {
        DateTime::from_timestamp_micros(us)
            .map(|t| t.year())
            .ok_or_else(|| {
                format!("the timestamp {us} µs is outside the dates kpiql can place in a time zone")
            })
    };
    if year(hi)? - year(lo)? >= super::offsets::MAX_YEARS {
        // A batch spanning centuries (a placeholder date beside real ones):
        // each value on its own, rather than centuries of offset tables.
        let out = values
            .try_unary::<_, TimestampMicrosecondType, ArrowError>(|v| {
                let t = DateTime::from_timestamp_micros(v).ok_or_else(|| {
                    ArrowError::ComputeError(format!("the timestamp {v} µs is out of range"))
                })?;
                Ok(match way {
                    Way::ToLocal => zone.local(t).and_utc().timestamp_micros(),
                    Way::FromLocal => zone.instant(t.naive_utc()).timestamp_micros(),
                })
            })
            .map_err(|e| e.to_string())?;
        return Ok(out.with_timezone_opt(values.timezone()));
    }
    let out = match way {
        Way::ToLocal => {
            let offsets = Offsets::over(zone, lo, hi)?;
            match offsets.single() {
                Some(offset) => values.unary(|v| v + offset),
                None => values.unary(|v| v + offsets.at(v)),
            }
        }
        Way::FromLocal => {
            let offsets = Offsets::over(zone, lo.saturating_sub(SLACK), hi.saturating_add(SLACK))?;
            match offsets.single() {
                Some(offset) => values.unary(|v| v - offset),
                None => values.unary(|v| offsets.instant(v)),
            }
        }
    };
    // `unary` drops the zone; the caller labels the result.
    Ok(out.with_timezone_opt(values.timezone()))
}

/// The smallest and largest value, in one pass when there are no NULLs
/// (a NULL's slot holds any value); None when all are NULL.
fn range(values: &TimestampMicrosecondArray) -> Option<(i64, i64)> {
    if values.null_count() == 0 {
        let v = values.values();
        (!v.is_empty()).then(|| {
            v.iter()
                .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
        })
    } else {
        Some((min(values)?, max(values)?))
    }
}

/// `zone_step_seconds(zone, from, to)`: what `staffing` splits agent time
/// with, so that each piece lies in one hour of the zone.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ZoneStep {
    signature: Signature,
}

fn zone_step_doc() -> &'static Documentation {
    static DOC: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            section(),
            "The longest step in seconds (dividing 3600) such that every hour of the zone \
             between two instants starts at a multiple of it, counted from the epoch: 3600 for \
             UTC, America/New_York or Europe/Warsaw, 900 for Asia/Kathmandu (+05:45), 1800 for \
             Australia/Lord_Howe (30-minute DST). Spans split at its multiples have one local \
             hour each.",
            "zone_step_seconds(zone, from, to)",
        )
        .with_argument(
            "zone",
            "A time zone name: a constant, or a column of a few zones (a NULL zone gives NULL).",
        )
        .with_argument("from", "The first instant.")
        .with_argument("to", "The last instant.")
        .with_sql_example("SELECT zone_step_seconds('Asia/Kathmandu', now(), now())  -- 900")
        .build()
    });
    &DOC
}

impl ScalarUDFImpl for ZoneStep {
    fn name(&self) -> &str {
        "zone_step_seconds"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        match types {
            [zone, from, to] => {
                let instant = |t: &DataType, what: &str| match t {
                    DataType::Timestamp(_, _) | DataType::Null => Ok(utc_type()),
                    other => {
                        plan_err!("zone_step_seconds: {what} is {other}, expected a timestamp")
                    }
                };
                let zone = zone_type("zone_step_seconds", zone)?;
                Ok(vec![zone, instant(from, "from")?, instant(to, "to")?])
            }
            _ => plan_err!(
                "zone_step_seconds takes 3 arguments (zone, from, to), got {}",
                types.len()
            ),
        }
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // The range of every from and to given (constants in `staffing`).
        let mut range: Option<(i64, i64)> = None;
        for arg in &args.args[1..] {
            let values = arg.to_array(1)?;
            let values = values.as_primitive::<TimestampMicrosecondType>();
            if let (Some(lo), Some(hi)) = (min(values), max(values)) {
                range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
            }
        }
        let Some((from, to)) = range else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Int64(None)));
        };
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let rows = if scalar { 1 } else { args.number_rows };
        let out = by_zone(
            "zone_step_seconds",
            &args.args[0],
            rows,
            &DataType::Int64,
            |zone| {
                let offsets = Offsets::over(zone, from, to).map_err(|e| {
                    datafusion::error::DataFusionError::Execution(format!("zone_step_seconds: {e}"))
                })?;
                Ok(Arc::new(Int64Array::from_value(offsets.step_seconds(), rows)) as ArrayRef)
            },
        )?;
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(zone_step_doc())
    }
}

/// `f`'s rows for the zone argument `arg` of `name`: for a constant zone
/// `f` of it; for a column of zones (`staffing`'s team zones), each zone
/// the column holds (a few: it is cast to a dictionary once) computed
/// over the whole batch with `f` and kept where the column names it. A
/// NULL zone gives NULL.
fn by_zone(
    name: &str,
    arg: &ColumnarValue,
    rows: usize,
    ty: &DataType,
    f: impl Fn(Zone) -> Result<ArrayRef>,
) -> Result<ArrayRef> {
    let parse = |text: &str| {
        Zone::parse(text)
            .map_err(|e| datafusion::error::DataFusionError::Execution(format!("{name}: {e}")))
    };
    match arg {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(z))) => f(parse(z)?),
        ColumnarValue::Scalar(_) => Ok(new_null_array(ty, rows)),
        ColumnarValue::Array(zones) => {
            let dictionary = cast(
                zones,
                &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            )?;
            let dictionary = dictionary.as_dictionary::<Int32Type>();
            let names = dictionary.values().as_string::<i32>();
            let mut out = new_null_array(ty, rows);
            for (key, zone) in names.iter().enumerate() {
                let Some(zone) = zone else { continue };
                let here = eq(dictionary.keys(), &Int32Array::new_scalar(key as i32))?;
                out = zip(&here, &f(parse(zone)?)?, &out)?;
            }
            Ok(out)
        }
    }
}

/// `to_local`, `from_local` and `zone_step_seconds`.
pub fn all() -> Vec<ScalarUDF> {
    let mut all: Vec<ScalarUDF> = [Way::ToLocal, Way::FromLocal]
        .into_iter()
        .map(|way| {
            ScalarUDF::new_from_impl(Convert {
                way,
                signature: Signature::user_defined(Volatility::Immutable),
            })
        })
        .collect();
    all.push(ScalarUDF::new_from_impl(ZoneStep {
        signature: Signature::user_defined(Volatility::Immutable),
    }));
    all
}

/// Registers the time-zone functions.
pub fn register(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for f in all() {
        registry.register_udf(Arc::new(f))?;
    }
    Ok(())
}
