//! `erlang_c_service_level`, `erlang_c_agents` and `erlang_c_asa`: Erlang C
//! over Arrow arrays (every argument a `Float64` array after coercion,
//! `agents` an `Int64` one), one pass per batch, NULL in → NULL out.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, Volatility,
};

use super::{MAX_AGENTS, agents, asa, load, service_level};

const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Staffing Functions",
    description: Some("Erlang C queueing model (kpiql; DESIGN §2)."),
};

/// Which of the three functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    ServiceLevel,
    Agents,
    Asa,
}

/// One Erlang C function.
#[derive(Debug)]
pub struct ErlangC {
    kind: Kind,
    signature: Signature,
    documentation: Documentation,
}

impl PartialEq for ErlangC {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for ErlangC {}

impl std::hash::Hash for ErlangC {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ServiceLevel => "erlang_c_service_level",
            Kind::Agents => "erlang_c_agents",
            Kind::Asa => "erlang_c_asa",
        }
    }

    /// Argument names; the first `required` are required.
    fn arguments(self) -> (&'static [&'static str], usize) {
        match self {
            Kind::ServiceLevel => (
                &[
                    "agents",
                    "contacts",
                    "interval_seconds",
                    "aht_seconds",
                    "answer_seconds",
                ],
                5,
            ),
            Kind::Agents => (
                &[
                    "contacts",
                    "interval_seconds",
                    "aht_seconds",
                    "answer_seconds",
                    "service_level_pct",
                    "max_occupancy_pct",
                ],
                5,
            ),
            Kind::Asa => (
                &["agents", "contacts", "interval_seconds", "aht_seconds"],
                4,
            ),
        }
    }

    /// The argument types the arguments are coerced to.
    fn types(self, n: usize) -> Vec<DataType> {
        let (names, _) = self.arguments();
        names[..n]
            .iter()
            .map(|&a| {
                if a == "agents" {
                    DataType::Int64
                } else {
                    DataType::Float64
                }
            })
            .collect()
    }
}

impl ErlangC {
    fn new(kind: Kind) -> ErlangC {
        let (names, required) = kind.arguments();
        let mut forms = vec![TypeSignature::Exact(kind.types(required))];
        if names.len() > required {
            forms.push(TypeSignature::Exact(kind.types(names.len())));
        }
        forms.push(TypeSignature::UserDefined);
        let (description, example) = match kind {
            Kind::ServiceLevel => (
                "Erlang C: the expected share (0-100) of contacts answered within answer_seconds \
                 when `agents` agents handle `contacts` contacts of aht_seconds each in an interval \
                 of interval_seconds. 0 when agents <= the offered load.",
                "SELECT erlang_c_service_level(14, 100, 1800, 180, 20)  -- 88.84",
            ),
            Kind::Agents => (
                "Erlang C: the fewest agents that answer service_level_pct % of contacts within \
                 answer_seconds (and, if given, stay at most max_occupancy_pct % busy). 0 for no \
                 contacts.",
                "SELECT erlang_c_agents(100, 1800, 180, 20, 80)  -- 14",
            ),
            Kind::Asa => (
                "Erlang C: the expected average speed of answer in seconds. NULL when agents <= \
                 the offered load (the queue grows without bound).",
                "SELECT erlang_c_asa(14, 100, 1800, 180)  -- 7.84",
            ),
        };
        let syntax = if names.len() > required {
            format!(
                "{}({}[, {}])",
                kind.name(),
                names[..required].join(", "),
                names[required..].join(", ")
            )
        } else {
            format!("{}({})", kind.name(), names.join(", "))
        };
        let mut doc =
            Documentation::builder(DOC_SECTION, description, syntax).with_sql_example(example);
        for name in names {
            let meaning = match *name {
                "agents" => "Agents answering (an integer).",
                "contacts" => "Contacts offered in the interval (may be an average).",
                "interval_seconds" => "Length of the interval, seconds (3600 for an hour).",
                "aht_seconds" => "Average handle time, seconds.",
                "answer_seconds" => "The service-level threshold, seconds (e.g. 20).",
                "service_level_pct" => "Required share answered in time, 0-100 (e.g. 80).",
                _ => "Highest allowed occupancy, 0-100 (default 100).",
            };
            doc = doc.with_argument(*name, meaning);
        }
        ErlangC {
            kind,
            signature: Signature::one_of(forms, Volatility::Immutable),
            documentation: doc.build(),
        }
    }
}

impl ScalarUDFImpl for ErlangC {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        let (names, _) = self.kind.arguments();
        Ok(types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let numeric = t.is_numeric() || t.is_null();
                match names.get(i) {
                    Some(&"agents") if t.is_integer() || t.is_null() => DataType::Int64,
                    Some(&"agents") => t.clone(),
                    Some(_) if numeric => DataType::Float64,
                    _ => t.clone(),
                }
            })
            .collect())
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        let name = self.name();
        let (names, required) = self.kind.arguments();
        if types.len() < required || types.len() > names.len() {
            let count = if names.len() > required {
                format!("{required} or {}", names.len())
            } else {
                required.to_string()
            };
            return plan_err!(
                "{name} takes {count} arguments ({}), got {}",
                names.join(", "),
                types.len()
            );
        }
        for (i, (t, expected)) in types.iter().zip(self.kind.types(types.len())).enumerate() {
            if *t != expected {
                let what = if expected == DataType::Int64 {
                    "an integer"
                } else {
                    "a number"
                };
                return plan_err!(
                    "{name}: argument {} ({}) is {t}, expected {what}",
                    i + 1,
                    names[i]
                );
            }
        }
        Ok(match self.kind {
            Kind::Agents => DataType::Int64,
            _ => DataType::Float64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let (names, _) = self.kind.arguments();
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let n = args.number_rows;
        // Every argument as f64 per row (agents as a count), checked.
        let value = |col: usize, row: usize| -> Result<Option<f64>> {
            let a = &arrays[col];
            if a.is_null(row) {
                return Ok(None);
            }
            let v = match a.data_type() {
                DataType::Int64 => a.as_primitive::<Int64Type>().value(row) as f64,
                _ => a.as_primitive::<Float64Type>().value(row),
            };
            let lowest = match names[col] {
                "interval_seconds" | "aht_seconds" => f64::MIN_POSITIVE,
                _ => 0.0,
            };
            let highest = match names[col] {
                "service_level_pct" | "max_occupancy_pct" => 100.0,
                "agents" => MAX_AGENTS as f64,
                _ => f64::MAX,
            };
            if !(v.is_finite() && v >= lowest && v <= highest) {
                let range = match names[col] {
                    "interval_seconds" | "aht_seconds" => "a number > 0".to_string(),
                    "service_level_pct" | "max_occupancy_pct" => "0-100".to_string(),
                    "agents" => format!("0-{MAX_AGENTS}"),
                    _ => "a number >= 0".to_string(),
                };
                return exec_err!(
                    "{name}: {} = {v} is out of range, expected {range}",
                    names[col]
                );
            }
            Ok(Some(v))
        };
        let row_values = |row: usize| -> Result<Option<Vec<f64>>> {
            let mut out = Vec::with_capacity(arrays.len());
            for col in 0..arrays.len() {
                match value(col, row)? {
                    Some(v) => out.push(v),
                    None => return Ok(None),
                }
            }
            Ok(Some(out))
        };
        let result: ArrayRef = match self.kind {
            Kind::ServiceLevel | Kind::Asa => {
                let mut out = Float64Builder::with_capacity(n);
                for row in 0..n {
                    let Some(v) = row_values(row)? else {
                        out.append_null();
                        continue;
                    };
                    let (agents_n, a) = (v[0] as u64, load(v[1], v[2], v[3]));
                    if self.kind == Kind::ServiceLevel {
                        out.append_value(service_level(agents_n, a, v[3], v[4]));
                    } else {
                        out.append_option(asa(agents_n, a, v[3]));
                    }
                }
                Arc::new(out.finish())
            }
            Kind::Agents => {
                let mut out = Int64Builder::with_capacity(n);
                for row in 0..n {
                    let Some(v) = row_values(row)? else {
                        out.append_null();
                        continue;
                    };
                    let a = load(v[0], v[1], v[2]);
                    let cap = v.get(5).copied().unwrap_or(100.0);
                    if cap <= 0.0 && a > 0.0 {
                        return exec_err!("{name}: max_occupancy_pct = 0 leaves no agent any work");
                    }
                    match agents(a, v[2], v[3], v[4], cap) {
                        Some(k) => out.append_value(k as i64),
                        None => {
                            return exec_err!(
                                "{name}: more than {MAX_AGENTS} agents needed for a load of {a} Erlangs"
                            );
                        }
                    }
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(result))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&self.documentation)
    }
}

/// The three functions.
pub fn functions() -> Vec<ScalarUDF> {
    [Kind::ServiceLevel, Kind::Agents, Kind::Asa]
        .into_iter()
        .map(|k| ScalarUDF::new_from_impl(ErlangC::new(k)))
        .collect()
}

/// Registers the three functions.
pub fn register(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for f in functions() {
        registry.register_udf(Arc::new(f))?;
    }
    Ok(())
}
