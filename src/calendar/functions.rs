//! `business_seconds` and `business_deadline` (DESIGN §2 "Business time"):
//! scalar functions over Arrow arrays. Each query builds a calendar's
//! [`Timeline`] once for the range its data needs (kept for later batches
//! and widened when a batch needs more); each row is then two binary
//! searches.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use chrono::Datelike;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Float64Builder, StringArray, TimestampMicrosecondArray,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Float64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, Volatility,
};

use super::Calendars;
use super::timeline::{MAX_YEARS, Timeline};

const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Business Time Functions",
    description: Some("Time inside a calendar's open hours (kpiql; DESIGN §2)."),
};

/// The calendars and the timelines built from them so far.
#[derive(Debug)]
struct Shared {
    calendars: Arc<Calendars>,
    timelines: Mutex<HashMap<String, Arc<Timeline>>>,
}

impl Shared {
    /// A timeline of calendar `id` exact for every instant in `[lo, hi]`.
    fn timeline(&self, function: &str, id: &str, lo: i64, hi: i64) -> Result<Arc<Timeline>> {
        let calendar = match self.calendars.get(id) {
            Ok(c) => c,
            Err(e) => return exec_err!("{function}: {e}"),
        };
        let mut timelines = self.timelines.lock().unwrap_or_else(|e| e.into_inner());
        let cached = timelines.get(id);
        if let Some(t) = cached
            && t.covers(lo, hi)
        {
            return Ok(Arc::clone(t));
        }
        let Some((mut first, mut last)) = Timeline::dates_for(lo, hi) else {
            return exec_err!("{function}: an instant is outside the supported range of dates");
        };
        if let Some(t) = cached {
            first = first.min(t.first);
            last = last.max(t.last);
        }
        if last.year() - first.year() >= MAX_YEARS {
            return exec_err!(
                "{function}: calendar {id:?} would be needed from {first} to {last}, more than {MAX_YEARS} years; \
                 check the instants (e.g. a 1970-01-01 placeholder)"
            );
        }
        let timeline = Arc::new(Timeline::build(calendar, first, last));
        timelines.insert(id.to_string(), Arc::clone(&timeline));
        Ok(timeline)
    }
}

/// The timestamp type the instants are coerced to (zone-less read as UTC).
fn instant_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Instants are coerced to [`instant_type`]; a type that is no instant is
/// left as it is, so that [`check_types`] refuses it with the function's own
/// message (DataFusion would replace a coercion error with its own).
fn coerce_instant(ty: &DataType) -> DataType {
    match ty {
        DataType::Timestamp(_, _)
        | DataType::Date32
        | DataType::Date64
        | DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8
        | DataType::Null => instant_type(),
        other => other.clone(),
    }
}

fn coerce_calendar(ty: &DataType) -> DataType {
    match ty {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => {
            DataType::Utf8
        }
        other => other.clone(),
    }
}

/// The coerced argument types, or the function's error naming the one
/// that is wrong: `expected` per argument (`None`: a number).
fn check_types(function: &str, names: [&str; 3], types: &[DataType]) -> Result<()> {
    let [first, second, third] = types else {
        return plan_err!(
            "{function} takes 3 arguments ({}), got {}",
            names.join(", "),
            types.len()
        );
    };
    if *first != instant_type() {
        return plan_err!(
            "{function}: argument 1 ({}) is {first}, expected a timestamp",
            names[0]
        );
    }
    let second_ok = if names[1] == "seconds" {
        *second == DataType::Float64
    } else {
        *second == instant_type()
    };
    if !second_ok {
        let expected = if names[1] == "seconds" {
            "a number"
        } else {
            "a timestamp"
        };
        return plan_err!(
            "{function}: argument 2 ({}) is {second}, expected {expected}",
            names[1]
        );
    }
    if *third != DataType::Utf8 {
        return plan_err!(
            "{function}: argument 3 ({}) is {third}, expected a string",
            names[2]
        );
    }
    Ok(())
}

fn signature(middle: DataType) -> Signature {
    Signature::one_of(
        vec![
            TypeSignature::Exact(vec![instant_type(), middle, DataType::Utf8]),
            TypeSignature::UserDefined,
        ],
        Volatility::Immutable,
    )
}

/// Smallest and largest non-null value of the arrays, or None if all NULL.
fn bounds(arrays: &[&TimestampMicrosecondArray]) -> Option<(i64, i64)> {
    let lo = arrays.iter().filter_map(|a| compute::min(*a)).min()?;
    let hi = arrays.iter().filter_map(|a| compute::max(*a)).max()?;
    Some((lo, hi))
}

/// The calendar argument: one name for every row, or one per row.
enum CalendarArg {
    One(Option<String>),
    PerRow(StringArray),
}

fn calendar_arg(value: &ColumnarValue) -> Result<CalendarArg> {
    Ok(match value {
        ColumnarValue::Scalar(s) => match s {
            ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => {
                CalendarArg::One(v.clone())
            }
            ScalarValue::Null => CalendarArg::One(None),
            other => return exec_err!("calendar_id is {}, expected a string", other.data_type()),
        },
        ColumnarValue::Array(a) => {
            let utf8 = compute::cast(a, &DataType::Utf8)?;
            CalendarArg::PerRow(utf8.as_string::<i32>().clone())
        }
    })
}

/// Per-row calendars: each distinct name with the bounds of its rows'
/// instants, then its timeline.
fn timelines_per_row(
    shared: &Shared,
    function: &str,
    names: &StringArray,
    instants: &[&TimestampMicrosecondArray],
) -> Result<HashMap<String, Arc<Timeline>>> {
    let mut ranges: HashMap<&str, (i64, i64)> = HashMap::new();
    for i in 0..names.len() {
        if names.is_null(i) || instants.iter().any(|a| a.is_null(i)) {
            continue;
        }
        let (lo, hi) = instants
            .iter()
            .map(|a| a.value(i))
            .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let r = ranges.entry(names.value(i)).or_insert((lo, hi));
        *r = (r.0.min(lo), r.1.max(hi));
    }
    let mut out = HashMap::new();
    for (name, (lo, hi)) in ranges {
        out.insert(name.to_string(), shared.timeline(function, name, lo, hi)?);
    }
    Ok(out)
}

/// `business_seconds(start, end, calendar_id)`.
#[derive(Debug)]
pub struct BusinessSeconds {
    shared: Arc<Shared>,
    signature: Signature,
    documentation: Documentation,
}

/// `business_deadline(start, seconds, calendar_id)`.
#[derive(Debug)]
pub struct BusinessDeadline {
    shared: Arc<Shared>,
    signature: Signature,
    documentation: Documentation,
}

macro_rules! identity {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.shared, &other.shared)
            }
        }
        impl Eq for $t {}
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.name().hash(state);
                (Arc::as_ptr(&self.shared) as usize).hash(state);
            }
        }
    };
}
identity!(BusinessSeconds);
identity!(BusinessDeadline);

impl ScalarUDFImpl for BusinessSeconds {
    fn name(&self) -> &str {
        "business_seconds"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        check_types(self.name(), ["start", "end", "calendar_id"], types)?;
        Ok(DataType::Float64)
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(match types {
            [start, end, calendar] => vec![
                coerce_instant(start),
                coerce_instant(end),
                coerce_calendar(calendar),
            ],
            other => other.to_vec(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let calendar = calendar_arg(&args.args[2])?;
        let arrays = ColumnarValue::values_to_arrays(&args.args[..2])?;
        let start = arrays[0].as_primitive::<TimestampMicrosecondType>();
        let end = arrays[1].as_primitive::<TimestampMicrosecondType>();
        let n = start.len();
        let result: Float64Array = match calendar {
            CalendarArg::One(None) => Float64Array::new_null(n),
            CalendarArg::One(Some(id)) => match bounds(&[start, end]) {
                None => Float64Array::new_null(n),
                Some((lo, hi)) => {
                    let t = self.shared.timeline(name, &id, lo, hi)?;
                    compute::binary::<_, _, _, Float64Type>(start, end, |a, b| {
                        (t.open_before(b) - t.open_before(a)) as f64 / 1e6
                    })?
                }
            },
            CalendarArg::PerRow(names) => {
                let timelines = timelines_per_row(&self.shared, name, &names, &[start, end])?;
                let mut out = Float64Builder::with_capacity(n);
                for i in 0..n {
                    if names.is_null(i) || start.is_null(i) || end.is_null(i) {
                        out.append_null();
                        continue;
                    }
                    let t = &timelines[names.value(i)];
                    let (a, b) = (start.value(i), end.value(i));
                    out.append_value((t.open_before(b) - t.open_before(a)) as f64 / 1e6);
                }
                out.finish()
            }
        };
        Ok(ColumnarValue::Array(Arc::new(result) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}

impl ScalarUDFImpl for BusinessDeadline {
    fn name(&self) -> &str {
        "business_deadline"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        check_types(self.name(), ["start", "seconds", "calendar_id"], types)?;
        Ok(instant_type())
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(match types {
            [start, seconds, calendar] => vec![
                coerce_instant(start),
                if seconds.is_numeric() || seconds.is_null() {
                    DataType::Float64
                } else {
                    seconds.clone()
                },
                coerce_calendar(calendar),
            ],
            other => other.to_vec(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let calendar = calendar_arg(&args.args[2])?;
        let arrays = ColumnarValue::values_to_arrays(&args.args[..2])?;
        let start = arrays[0].as_primitive::<TimestampMicrosecondType>();
        let seconds = arrays[1].as_primitive::<Float64Type>();
        let n = start.len();
        // Each row's business time in whole microseconds; a negative or
        // non-finite count is an error naming it.
        let mut micros = Vec::with_capacity(n);
        for i in 0..n {
            if seconds.is_null(i) {
                micros.push(0);
                continue;
            }
            let s = seconds.value(i);
            if !(0.0..=1e13).contains(&s) {
                return exec_err!(
                    "{name}: seconds must be a number from 0 to 1e13, got {s} (row {} of the batch)",
                    i + 1
                );
            }
            micros.push((s * 1e6).round() as i64);
        }
        let ids: Vec<Option<String>> = match &calendar {
            CalendarArg::One(id) => vec![id.clone()],
            CalendarArg::PerRow(names) => names.iter().map(|v| v.map(str::to_string)).collect(),
        };
        let id_of = |i: usize| -> Option<&str> {
            match &calendar {
                CalendarArg::One(_) => ids[0].as_deref(),
                CalendarArg::PerRow(_) => ids[i].as_deref(),
            }
        };
        // The start range per calendar, then a timeline per calendar that
        // grows until every deadline falls inside it.
        let mut ranges: HashMap<&str, (i64, i64)> = HashMap::new();
        for i in 0..n {
            let Some(id) = id_of(i) else { continue };
            if start.is_null(i) || seconds.is_null(i) {
                continue;
            }
            let v = start.value(i);
            let r = ranges.entry(id).or_insert((v, v));
            *r = (r.0.min(v), r.1.max(v));
        }
        let mut timelines = HashMap::new();
        for (id, (lo, hi)) in &ranges {
            timelines.insert(*id, self.shared.timeline(name, id, *lo, *hi)?);
        }
        let mut out = TimestampMicrosecondBuilder::with_capacity(n);
        for (i, &m) in micros.iter().enumerate() {
            let Some(id) = id_of(i) else {
                out.append_null();
                continue;
            };
            if start.is_null(i) || seconds.is_null(i) {
                out.append_null();
                continue;
            }
            let s = start.value(i);
            let found = loop {
                let t = &timelines[id];
                if let Some(d) = t.deadline(s, m) {
                    break d;
                }
                // Beyond the timeline: double its span (at least two years).
                let (lo, hi) = ranges[id];
                let span = (hi - lo).max(2 * 366 * 86_400 * 1_000_000);
                let wider = hi.saturating_add(span.saturating_mul(2));
                let t = self.shared.timeline(name, id, lo, wider).map_err(|_| {
                    datafusion::error::DataFusionError::Execution(format!(
                        "{name}: calendar {id:?} has fewer than {} open seconds after {} within {MAX_YEARS} years",
                        m as f64 / 1e6,
                        chrono::DateTime::from_timestamp_micros(s)
                            .map_or_else(|| s.to_string(), |d| d.to_rfc3339())
                    ))
                })?;
                ranges.insert(id, (lo, wider));
                timelines.insert(id, t);
            };
            out.append_value(found);
        }
        let result = out.finish().with_timezone("UTC");
        Ok(ColumnarValue::Array(Arc::new(result) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}

/// Both functions over `calendars`.
pub fn functions(calendars: Arc<Calendars>) -> Vec<ScalarUDF> {
    let shared = Arc::new(Shared {
        calendars,
        timelines: Mutex::new(HashMap::new()),
    });
    let seconds = Documentation::builder(
        DOC_SECTION,
        "Real elapsed seconds between two instants that fall inside the calendar's open \
         windows (business_hours, minus holidays), with the zone's daylight-saving rules. \
         end < start gives the negative of the reverse; any NULL gives NULL.",
        "business_seconds(start, end, calendar_id)",
    )
    .with_argument("start", "Timestamp: from (zone-less read as UTC).")
    .with_argument("end", "Timestamp: to.")
    .with_argument("calendar_id", "A calendar of the lake's business_hours table.")
    .with_sql_example(
        "SELECT avg(business_seconds(created_at, first_response_at, 'support_eu')) FROM interactions",
    )
    .with_related_udf("business_deadline")
    .build();
    let deadline = Documentation::builder(
        DOC_SECTION,
        "The earliest instant at or after start by which the calendar has been open for the \
         given number of seconds (seconds = 0 gives start). Negative seconds are an error.",
        "business_deadline(start, seconds, calendar_id)",
    )
    .with_argument("start", "Timestamp: from (zone-less read as UTC).")
    .with_argument("seconds", "Business seconds to add, >= 0.")
    .with_argument(
        "calendar_id",
        "A calendar of the lake's business_hours table.",
    )
    .with_sql_example(
        "SELECT business_deadline(created_at, 4 * 3600, 'support_eu') AS due FROM interactions",
    )
    .with_related_udf("business_seconds")
    .build();
    vec![
        ScalarUDF::new_from_impl(BusinessSeconds {
            shared: Arc::clone(&shared),
            signature: signature(instant_type()),
            documentation: seconds,
        }),
        ScalarUDF::new_from_impl(BusinessDeadline {
            shared,
            signature: signature(DataType::Float64),
            documentation: deadline,
        }),
    ]
}

/// Registers both functions over `calendars`.
pub fn register(registry: &mut dyn FunctionRegistry, calendars: Arc<Calendars>) -> Result<()> {
    for f in functions(calendars) {
        registry.register_udf(Arc::new(f))?;
    }
    Ok(())
}

/// The calendars a business-time function computes with (None: another
/// function), for a cluster's codec to ship them with a plan.
pub fn calendars_of(udf: &ScalarUDF) -> Option<Arc<Calendars>> {
    let inner = udf.inner();
    if let Some(f) = inner.downcast_ref::<BusinessSeconds>() {
        return Some(Arc::clone(&f.shared.calendars));
    }
    inner
        .downcast_ref::<BusinessDeadline>()
        .map(|f| Arc::clone(&f.shared.calendars))
}

/// The names of the business-time functions.
pub const NAMES: [&str; 2] = ["business_seconds", "business_deadline"];
