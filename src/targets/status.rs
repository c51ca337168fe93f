//! `kpi_status(value, min, max[, warn_min, warn_max])`: `met`, `at_risk`
//! or `missed` (DESIGN §4 "Targets"), over Arrow arrays.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, Volatility,
};

/// A value against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Inside `[min, max]` and inside `[warn_min, warn_max]`.
    Met,
    /// Inside `[min, max]` but outside `[warn_min, warn_max]`.
    AtRisk,
    /// Outside `[min, max]`.
    Missed,
}

impl Status {
    /// As the SQL function returns it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::AtRisk => "at_risk",
            Status::Missed => "missed",
        }
    }
}

/// The status of `value`; None when the value is NULL or NaN or there is no
/// bound at all. Bounds are inclusive: a value equal to min meets it.
pub fn status(
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    warn_min: Option<f64>,
    warn_max: Option<f64>,
) -> Option<Status> {
    let v = value.filter(|v| !v.is_nan())?;
    if min.is_none() && max.is_none() {
        return None;
    }
    if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
        return Some(Status::Missed);
    }
    if warn_min.is_some_and(|m| v < m) || warn_max.is_some_and(|m| v > m) {
        return Some(Status::AtRisk);
    }
    Some(Status::Met)
}

/// The SQL function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KpiStatus {
    signature: Signature,
}

fn documentation() -> &'static Documentation {
    static DOC: std::sync::LazyLock<Documentation> = std::sync::LazyLock::new(|| {
        Documentation::builder(
            DocSection {
                include: true,
                label: "Target Functions",
                description: Some("KPI targets (kpiql; DESIGN §4)."),
            },
            "A value against its target: 'met' inside [min, max] (and inside [warn_min, \
             warn_max] when given), 'at_risk' inside [min, max] but outside the warning \
             band, 'missed' outside [min, max]. Bounds are inclusive; a NULL bound is no \
             bound. NULL when the value is NULL or NaN or both min and max are NULL.",
            "kpi_status(value, min, max[, warn_min, warn_max])",
        )
        .with_argument("value", "The KPI value.")
        .with_argument("min", "Lowest value that meets the target, or NULL.")
        .with_argument("max", "Highest value that meets the target, or NULL.")
        .with_argument("warn_min", "Below this the value is at risk (optional).")
        .with_argument("warn_max", "Above this the value is at risk (optional).")
        .with_sql_example("SELECT team, fcr_pct, kpi_status(fcr_pct, 70, NULL, 75, NULL) FROM t")
        .build()
    });
    &DOC
}

impl ScalarUDFImpl for KpiStatus {
    fn name(&self) -> &str {
        "kpi_status"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(types
            .iter()
            .map(|t| {
                if t.is_numeric() || t.is_null() {
                    DataType::Float64
                } else {
                    t.clone()
                }
            })
            .collect())
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        const NAMES: [&str; 5] = ["value", "min", "max", "warn_min", "warn_max"];
        if !(types.len() == 3 || types.len() == 5) {
            return plan_err!(
                "kpi_status takes 3 or 5 arguments (value, min, max[, warn_min, warn_max]), got {}",
                types.len()
            );
        }
        for (i, t) in types.iter().enumerate() {
            if *t != DataType::Float64 {
                return plan_err!(
                    "kpi_status: argument {} ({}) is {t}, expected a number",
                    i + 1,
                    NAMES[i]
                );
            }
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let cols: Vec<_> = arrays
            .iter()
            .map(|a| a.as_primitive::<Float64Type>())
            .collect();
        let get = |c: usize, row: usize| -> Option<f64> {
            cols.get(c)
                .and_then(|a| (!a.is_null(row)).then(|| a.value(row)))
        };
        let mut out = StringBuilder::with_capacity(args.number_rows, args.number_rows * 6);
        for row in 0..args.number_rows {
            let (min, max) = (get(1, row), get(2, row));
            let (warn_min, warn_max) = (get(3, row), get(4, row));
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                return exec_err!("kpi_status: min {a} is above max {b}");
            }
            match status(get(0, row), min, max, warn_min, warn_max) {
                Some(s) => out.append_value(s.as_str()),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(documentation())
    }
}

/// The function.
pub fn kpi_status() -> ScalarUDF {
    ScalarUDF::new_from_impl(KpiStatus {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Float64; 3]),
                TypeSignature::Exact(vec![DataType::Float64; 5]),
                TypeSignature::UserDefined,
            ],
            Volatility::Immutable,
        ),
    })
}

/// Registers `kpi_status`.
pub fn register(registry: &mut dyn FunctionRegistry) -> Result<()> {
    registry.register_udf(Arc::new(kpi_status()))?;
    Ok(())
}
