//! KPI targets (DESIGN §4 "Targets"): a CSV file of goals per report
//! column, optionally per team, channel or priority and from a date on;
//! parsed and checked here ([`Targets::parse`]), shown as the table
//! `targets`, and applied to a report's output as `<column>_target` and
//! `<column>_status` columns ([`apply`]) computed by the SQL function
//! `kpi_status` ([`status`]).

pub mod status;

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{Date32Array, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Column;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::conditional_expressions::CaseBuilder;
use datafusion::logical_expr::{Expr, lit, when};

/// The columns a targets file may have, in the order `targets` shows them.
pub const COLUMNS: [&str; 10] = [
    "report",
    "column",
    "team",
    "channel",
    "priority",
    "min",
    "max",
    "warn_min",
    "warn_max",
    "valid_from",
];

/// The report columns a target may be narrowed by.
pub const KEYS: [&str; 3] = ["team", "channel", "priority"];

/// One target: a line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The report it is for (None: any report with the column).
    pub report: Option<String>,
    /// The report output column.
    pub column: String,
    /// team, channel, priority: None matches any value.
    pub keys: [Option<String>; 3],
    /// Lowest value that meets the target.
    pub min: Option<f64>,
    /// Highest value that meets the target.
    pub max: Option<f64>,
    /// Below this (but not below min) the value is at risk.
    pub warn_min: Option<f64>,
    /// Above this (but not above max) the value is at risk.
    pub warn_max: Option<f64>,
    /// In force for periods starting on or after this date (None: always).
    pub valid_from: Option<NaiveDate>,
    /// Line of the file (1 = the header).
    pub line: usize,
}

impl Target {
    /// How many of team, channel and priority it names.
    fn specificity(&self) -> usize {
        self.keys.iter().filter(|k| k.is_some()).count()
    }

    /// The target as a person reads it: `≥ 70`, `75–85`, `≤ 300`, with the
    /// at-risk band when there is one.
    pub fn text(&self) -> String {
        let main = match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{}–{}", number(a), number(b)),
            (Some(a), None) => format!("≥ {}", number(a)),
            (None, Some(b)) => format!("≤ {}", number(b)),
            (None, None) => String::new(),
        };
        match (self.warn_min, self.warn_max) {
            (Some(a), Some(b)) => format!("{main} (at risk outside {}–{})", number(a), number(b)),
            (Some(a), None) => format!("{main} (at risk below {})", number(a)),
            (None, Some(b)) => format!("{main} (at risk above {})", number(b)),
            (None, None) => main,
        }
    }
}

/// A number without a needless `.0`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The targets of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Where they were read from, as a user names it.
    pub source: String,
    /// One per line of the file.
    pub rows: Vec<Target>,
}

/// A targets file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}{}: {reason}", location(.line, .field))]
pub struct TargetsError {
    /// The file.
    pub source_name: String,
    /// Line (1 = the header), when known.
    pub line: Option<usize>,
    /// The field, when known.
    pub field: Option<String>,
    /// What is wrong and what was expected.
    pub reason: String,
}

fn location(line: &Option<usize>, field: &Option<String>) -> String {
    match (line, field) {
        (Some(l), Some(f)) => format!(" line {l}, field {f}"),
        (Some(l), None) => format!(" line {l}"),
        _ => String::new(),
    }
}

/// A report's name and output columns, as the file is checked against.
#[derive(Debug, Clone, Default)]
pub struct ReportColumns {
    /// The report.
    pub name: String,
    /// Its output columns.
    pub columns: Vec<String>,
    /// Those of them that hold no number (unit `boolean` or `date`, and the
    /// key columns team, channel, priority): no target can apply to them.
    pub not_numbers: Vec<String>,
}

impl Targets {
    /// Parses and checks a targets file. `reports` are the reports the file
    /// may name, with their columns. Lines starting with `#` are comments.
    pub fn parse(
        text: &str,
        source: &str,
        reports: &[ReportColumns],
    ) -> Result<Targets, TargetsError> {
        let err = |line: Option<usize>, field: Option<&str>, reason: String| TargetsError {
            source_name: source.to_string(),
            line,
            field: field.map(str::to_string),
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        // The csv crate places a record where it started reading it, before
        // any comment or empty lines it skipped: the line an editor shows is
        // after those.
        let line_at = |byte: u64| {
            let mut at = (byte as usize).min(text.len());
            while let Some(end) = text[at..].find('\n') {
                let line = text[at..at + end].trim();
                if !(line.is_empty() || line.starts_with('#')) {
                    break;
                }
                at += end + 1;
            }
            text[..at].matches('\n').count() + 1
        };
        let header_line = line_at(0);
        let header = reader
            .headers()
            .map_err(|e| err(Some(header_line), None, format!("not CSV: {e}")))?
            .clone();
        let mut index = [None; 10];
        for (i, name) in header.iter().enumerate() {
            let Some(k) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(err(
                    Some(header_line),
                    Some(name),
                    format!(
                        "unknown column {name:?}; the columns are {}",
                        COLUMNS.join(", ")
                    ),
                ));
            };
            if index[k].is_some() {
                return Err(err(
                    Some(header_line),
                    Some(name),
                    format!("column {name:?} appears twice"),
                ));
            }
            index[k] = Some(i);
        }
        if index[1].is_none() {
            return Err(err(
                Some(header_line),
                None,
                "no `column` column: each line names the report column it is a target for"
                    .to_string(),
            ));
        }
        let mut rows: Vec<Target> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| line_at(p.byte()));
                err(line, None, format!("not CSV: {e}"))
            })?;
            let line = record.position().map_or(0, |p| line_at(p.byte()));
            let get = |k: usize| -> Option<&str> {
                index[k]
                    .and_then(|i| record.get(i))
                    .filter(|v| !v.is_empty())
            };
            let text = |k: usize| get(k).map(str::to_string);
            let num = |k: usize| -> Result<Option<f64>, TargetsError> {
                match get(k) {
                    None => Ok(None),
                    Some(v) => match v.parse::<f64>() {
                        Ok(n) if n.is_finite() => Ok(Some(n)),
                        _ => Err(err(
                            Some(line),
                            Some(COLUMNS[k]),
                            format!("{v:?} is not a number"),
                        )),
                    },
                }
            };
            let report = text(0);
            let column = text(1).ok_or_else(|| {
                err(
                    Some(line),
                    Some("column"),
                    "empty: name a report column".to_string(),
                )
            })?;
            let keys = [text(2), text(3), text(4)];
            let (min, max, warn_min, warn_max) = (num(5)?, num(6)?, num(7)?, num(8)?);
            let valid_from = match get(9) {
                None => None,
                Some(v) => Some(NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    err(
                        Some(line),
                        Some("valid_from"),
                        format!("{v:?} is not a date (YYYY-MM-DD)"),
                    )
                })?),
            };
            // The report and the column exist; a key narrows only a report
            // that has it as a column.
            let candidates: Vec<&ReportColumns> = match &report {
                Some(name) => {
                    let Some(r) = reports.iter().find(|r| &r.name == name) else {
                        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
                        return Err(err(
                            Some(line),
                            Some("report"),
                            format!(
                                "no report named {name:?}; the reports are {}",
                                names.join(", ")
                            ),
                        ));
                    };
                    if !r.columns.contains(&column) {
                        return Err(err(
                            Some(line),
                            Some("column"),
                            format!(
                                "report {name} has no column {column:?}; its columns are {}",
                                r.columns.join(", ")
                            ),
                        ));
                    }
                    vec![r]
                }
                None => {
                    let with: Vec<&ReportColumns> = reports
                        .iter()
                        .filter(|r| r.columns.contains(&column))
                        .collect();
                    if with.is_empty() {
                        return Err(err(
                            Some(line),
                            Some("column"),
                            format!("no report has a column {column:?}"),
                        ));
                    }
                    with
                }
            };
            if let Some(r) = candidates.iter().find(|r| r.not_numbers.contains(&column)) {
                return Err(err(
                    Some(line),
                    Some("column"),
                    format!(
                        "column {column:?} of report {} holds no number; a target needs a numeric column",
                        r.name
                    ),
                ));
            }
            for (k, key) in KEYS.iter().enumerate() {
                if keys[k].is_some()
                    && !candidates
                        .iter()
                        .any(|r| r.columns.iter().any(|c| c == key))
                {
                    return Err(err(
                        Some(line),
                        Some(key),
                        format!(
                            "no report with a column {column:?} has a {key} column to narrow by"
                        ),
                    ));
                }
            }
            if min.is_none() && max.is_none() {
                return Err(err(
                    Some(line),
                    None,
                    "a target needs min or max (or both)".to_string(),
                ));
            }
            let bad_order = |a: Option<f64>, b: Option<f64>, an: &str, bn: &str| {
                if let (Some(x), Some(y)) = (a, b)
                    && x > y
                {
                    return Err(err(
                        Some(line),
                        Some(an),
                        format!("{an} {} is above {bn} {}", number(x), number(y)),
                    ));
                }
                Ok(())
            };
            bad_order(min, max, "min", "max")?;
            bad_order(warn_min, warn_max, "warn_min", "warn_max")?;
            bad_order(min, warn_min, "min", "warn_min")?;
            bad_order(warn_max, max, "warn_max", "max")?;
            bad_order(min, warn_max, "min", "warn_max")?;
            bad_order(warn_min, max, "warn_min", "max")?;
            let target = Target {
                report,
                column,
                keys,
                min,
                max,
                warn_min,
                warn_max,
                valid_from,
                line,
            };
            if let Some(same) = rows.iter().find(|t| {
                t.report == target.report
                    && t.column == target.column
                    && t.keys == target.keys
                    && t.valid_from == target.valid_from
            }) {
                return Err(err(
                    Some(line),
                    None,
                    format!(
                        "the same report, column, team, channel, priority and valid_from as line {}: which one applies?",
                        same.line
                    ),
                ));
            }
            rows.push(target);
        }
        Ok(Targets {
            source: source.to_string(),
            rows,
        })
    }

    /// The schema of the `targets` table.
    pub fn schema() -> SchemaRef {
        let s = |n: &str| Field::new(n, DataType::Utf8, true);
        let f = |n: &str| Field::new(n, DataType::Float64, true);
        Arc::new(Schema::new(vec![
            s("report"),
            Field::new("column", DataType::Utf8, false),
            s("team"),
            s("channel"),
            s("priority"),
            f("min"),
            f("max"),
            f("warn_min"),
            f("warn_max"),
            Field::new("valid_from", DataType::Date32, true),
            Field::new("target", DataType::Utf8, false),
            Field::new("line", DataType::Int64, false),
        ]))
    }

    /// The targets as the rows of the `targets` table.
    pub fn batch(&self) -> Result<RecordBatch, DataFusionError> {
        let rows = &self.rows;
        let strings = |f: &dyn Fn(&Target) -> Option<String>| {
            Arc::new(rows.iter().map(f).collect::<StringArray>()) as _
        };
        let floats = |f: &dyn Fn(&Target) -> Option<f64>| {
            Arc::new(rows.iter().map(f).collect::<Float64Array>()) as _
        };
        Ok(RecordBatch::try_new(
            Targets::schema(),
            vec![
                strings(&|t| t.report.clone()),
                strings(&|t| Some(t.column.clone())),
                strings(&|t| t.keys[0].clone()),
                strings(&|t| t.keys[1].clone()),
                strings(&|t| t.keys[2].clone()),
                floats(&|t| t.min),
                floats(&|t| t.max),
                floats(&|t| t.warn_min),
                floats(&|t| t.warn_max),
                Arc::new(
                    rows.iter()
                        .map(|t| t.valid_from.map(crate::dates::days_since_epoch))
                        .collect::<Date32Array>(),
                ),
                strings(&|t| Some(t.text())),
                Arc::new(datafusion::arrow::array::Int64Array::from_iter_values(
                    rows.iter().map(|t| t.line as i64),
                )),
            ],
        )?)
    }

    /// The target that applies to `column` of `report` in a row whose
    /// team, channel and priority are `keys` (None: NULL, or the report
    /// has no such column): the first of [`Targets::candidates`] whose
    /// keys match, as the CASE of [`apply`] picks it.
    pub fn for_row(
        &self,
        report: &str,
        column: &str,
        columns: &[String],
        start: Option<NaiveDate>,
        keys: [Option<&str>; 3],
    ) -> Option<&Target> {
        self.candidates(report, column, columns, start)
            .into_iter()
            .find(|t| {
                t.keys
                    .iter()
                    .zip(keys)
                    .all(|(wanted, got)| wanted.as_deref().is_none_or(|w| got == Some(w)))
            })
    }

    /// The targets that can apply to `column` of `report` for a period
    /// starting on `start`, most binding first: the most specific (most of
    /// team, channel, priority named), then the latest `valid_from`, then
    /// one for this report before one for any report, then the later line.
    fn candidates(
        &self,
        report: &str,
        column: &str,
        columns: &[String],
        start: Option<NaiveDate>,
    ) -> Vec<&Target> {
        let mut found: Vec<&Target> = self
            .rows
            .iter()
            .filter(|t| t.column == column && t.report.as_deref().is_none_or(|r| r == report))
            .filter(|t| match (t.valid_from, start) {
                (None, _) => true,
                (Some(from), Some(start)) => from <= start,
                (Some(_), None) => false,
            })
            .filter(|t| {
                KEYS.iter()
                    .zip(&t.keys)
                    .all(|(key, value)| value.is_none() || columns.iter().any(|c| c == key))
            })
            .collect();
        found.sort_by(|a, b| {
            b.specificity()
                .cmp(&a.specificity())
                .then(b.valid_from.cmp(&a.valid_from))
                .then(b.report.is_some().cmp(&a.report.is_some()))
                .then(b.line.cmp(&a.line))
        });
        found
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.column, self.text())
    }
}

/// `df` (the output of `report` for a period starting on `start`) with
/// `<column>_target` and `<column>_status` beside each column some target
/// can apply to. Unchanged when none can.
pub fn apply(
    df: DataFrame,
    report: &str,
    start: Option<NaiveDate>,
    targets: &Targets,
) -> Result<DataFrame, DataFusionError> {
    let columns: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let kpi_status = status::kpi_status();
    let mut select = Vec::new();
    let mut changed = false;
    for name in &columns {
        let value = Expr::Column(Column::new_unqualified(name));
        select.push(value.clone());
        let found = targets.candidates(report, name, &columns, start);
        if found.is_empty() {
            continue;
        }
        changed = true;
        // One CASE per figure, its branches in order of precedence: the
        // first target whose keys match the row applies.
        let pick = |f: &dyn Fn(&Target) -> Expr| -> Result<Expr, DataFusionError> {
            let mut builder: Option<CaseBuilder> = None;
            for t in &found {
                let mut condition = lit(true);
                for (key, wanted) in KEYS.iter().zip(&t.keys) {
                    if let Some(wanted) = wanted {
                        condition = condition.and(
                            Expr::Column(Column::new_unqualified(*key)).eq(lit(wanted.clone())),
                        );
                    }
                }
                builder = Some(match builder {
                    None => when(condition, f(t)),
                    Some(mut b) => b.when(condition, f(t)),
                });
            }
            builder
                .expect("at least one target")
                .otherwise(lit(ScalarValue::Null))
        };
        let float = |v: Option<f64>| lit(ScalarValue::Float64(v));
        select.push(pick(&|t| lit(t.text()))?.alias(format!("{name}_target")));
        select.push(
            kpi_status
                .call(vec![
                    value,
                    pick(&|t| float(t.min))?,
                    pick(&|t| float(t.max))?,
                    pick(&|t| float(t.warn_min))?,
                    pick(&|t| float(t.warn_max))?,
                ])
                .alias(format!("{name}_status")),
        );
    }
    if !changed {
        return Ok(df);
    }
    df.select(select)
}

#[cfg(test)]
mod tests;
