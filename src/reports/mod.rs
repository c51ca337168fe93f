//! Preset reports and views: `.sql` files under `queries/`, each opening with
//! a header the code reads (DESIGN §3, §4).
//!
//! ```sql
//! -- @report team
//! -- @description One line: what the report answers.
//! -- @param start timestamp latest_full_month_start | Meaning.
//! -- @column team - | Meaning.
//! -- Free comment lines (notes for readers) may follow.
//! SELECT ...
//! ```
//!
//! `@param NAME TYPE DEFAULT | meaning`: TYPE is `timestamp`, `date`, `int`,
//! `float`, `text`, `bool` or a choice of words `a/b` (bound as text); DEFAULT is a literal, `-` for none (required), or a rule
//! computed from the data: `latest_full_month_start`, `latest_full_month_end`,
//! `fiscal_year_start` (uses the `fiscal_year_start_month` parameter).
//! `@column NAME UNIT | meaning` documents an output column. Every report
//! is also given `$time_zone`, the report time zone's name (`--time-zone`),
//! for `to_local` and `from_local` (`crate::zone`).
//!
//! Built-in files are compiled in; a folder given with `--queries` adds
//! reports, and a file there with a built-in's name replaces it. To add a
//! report, drop a file with such a header into `queries/reports/`.

pub mod chart;
pub mod function;
mod params;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::datasource::ViewTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionContext};

pub use chart::{Chart, ChartKind};
pub use params::{ParamValues, TIME_ZONE, bind, latest_full_month, zone_of};

static BUILTIN_REPORTS: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/queries/reports");
static BUILTIN_VIEWS: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/queries/views");
static BUILTIN_WARNINGS: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/queries/warnings");

/// A report or view file, with its header read.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Name (the file name without `.sql`).
    pub name: String,
    /// Where it came from.
    pub origin: Origin,
    /// The one-line description.
    pub description: String,
    /// Parameters, in header order.
    pub params: Vec<Param>,
    /// Output columns, in header order.
    pub columns: Vec<Column>,
    /// Warnings to check when the report runs (`-- @warns NAME`: the file
    /// `queries/warnings/NAME.sql`), for rows the report leaves out.
    pub warns: Vec<String>,
    /// Optional lake tables the report cannot do without (`-- @needs
    /// TABLE`): on a lake that lacks one, planning the report is an error
    /// that names it, rather than a report of empty rows.
    pub needs: Vec<crate::lake::Table>,
    /// The charts of its HTML page (`-- @chart ...`, [`chart`]).
    pub charts: Vec<Chart>,
    /// Columns the lake's source cannot give (`-- @blank` of a source,
    /// issue 29): NULL in the result, with why, said when it runs.
    pub blank: Vec<(String, String)>,
    /// Why the lake's source cannot give this report at all (`-- @cannot`
    /// of a source): planning it is that error.
    pub cannot: Option<String>,
    /// The whole file.
    pub sql: String,
}

/// Where a query file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into kpiql.
    Builtin,
    /// A file of the user's `--queries` folder.
    File(PathBuf),
}

/// A report parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name, used as `$name` in the SQL.
    pub name: String,
    /// Type.
    pub ty: ParamType,
    /// Default.
    pub default: ParamDefault,
    /// What it means.
    pub meaning: String,
}

/// Types a parameter may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    /// A UTC instant; accepts `YYYY-MM-DD`, `YYYY-MM` or RFC 3339.
    Timestamp,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// A string.
    Text,
    /// `true` or `false`.
    Bool,
    /// One of a few words, written `a/b/c` in the header; bound as text.
    Choice(Vec<String>),
}

/// A parameter's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamDefault {
    /// Required.
    None,
    /// A literal, parsed as the parameter's type.
    Literal(String),
    /// First instant of the latest full month in the data.
    LatestFullMonthStart,
    /// End (exclusive) of the latest full month in the data.
    LatestFullMonthEnd,
    /// Start of the fiscal year holding the latest full month.
    FiscalYearStart,
    /// The instant the run binds its parameters (`now`): what a status
    /// still open counts up to (the Zendesk `ticket_metrics`, issue 29).
    Now,
}

/// A documented output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Unit (`-` for none).
    pub unit: String,
    /// Meaning.
    pub meaning: String,
}

/// Something wrong with a report, its file or its parameters.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No report by that name.
    #[error("no report named {name:?}; the reports are: {}", available.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The reports there are.
        available: Vec<String>,
    },
    /// A header line that does not parse.
    #[error("{file}:{line}: {reason}")]
    BadHeader {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A folder of queries that cannot be read.
    #[error("cannot read queries folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A parameter problem; the message lists the report's parameters.
    #[error("{problem}\n{}", usage(report, params))]
    Param {
        /// The report.
        report: String,
        /// What is wrong.
        problem: String,
        /// The report's parameters, for the message.
        params: Vec<Param>,
    },
    /// An error from the engine.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

fn usage(report: &str, params: &[Param]) -> String {
    let mut out = format!("parameters of report {report}:");
    for p in params {
        out.push_str(&format!("\n  {}", p.describe()));
    }
    out
}

impl Param {
    /// `name (type, default ...): meaning`.
    pub fn describe(&self) -> String {
        let default = match &self.default {
            ParamDefault::None => "required".to_string(),
            ParamDefault::Literal(v) => format!("default {v}"),
            ParamDefault::LatestFullMonthStart => {
                "default: start of the latest full month".to_string()
            }
            ParamDefault::LatestFullMonthEnd => "default: end of the latest full month".to_string(),
            ParamDefault::FiscalYearStart => "default: start of the fiscal year".to_string(),
            ParamDefault::Now => "default: now".to_string(),
        };
        format!(
            "{} ({}, {default}): {}",
            self.name,
            self.ty.name(),
            self.meaning
        )
    }
}

impl ParamType {
    /// As written in headers.
    pub fn name(&self) -> String {
        match self {
            ParamType::Timestamp => "timestamp".into(),
            ParamType::Date => "date".into(),
            ParamType::Int => "int".into(),
            ParamType::Float => "float".into(),
            ParamType::Text => "text".into(),
            ParamType::Bool => "bool".into(),
            ParamType::Choice(words) => words.join("/"),
        }
    }

    fn parse(text: &str) -> Option<ParamType> {
        Some(match text {
            "timestamp" => ParamType::Timestamp,
            "date" => ParamType::Date,
            "int" => ParamType::Int,
            "float" => ParamType::Float,
            "text" => ParamType::Text,
            "bool" => ParamType::Bool,
            choice if choice.contains('/') => {
                let words: Vec<String> = choice.split('/').map(str::to_string).collect();
                if !words.iter().all(|w| valid_name(w)) {
                    return None;
                }
                ParamType::Choice(words)
            }
            _ => return None,
        })
    }
}

/// Whether `name` may name a report or view: `[A-Za-z0-9_]+`. Names become
/// table folders and URLs (`DEST/<name>/`), where `..`, `/`, `#` or `?`
/// would point elsewhere.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What report and view SQL may do: read. No DDL (`CREATE`, `DROP`), no
/// DML (`INSERT`, `COPY ... TO`), no `SET`: a report file is a query.
pub fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Plans `report` with its bound parameters, read-only: the one way every
/// command (CLI, REPL, batch) turns a report into a query.
pub async fn plan(
    ctx: &SessionContext,
    report: &Query,
    params: ParamValues,
    targets: Option<&crate::targets::Targets>,
) -> Result<DataFrame, DataFusionError> {
    let origin = match &report.origin {
        Origin::Builtin => format!("the built-in report {}", report.name),
        Origin::File(path) => format!("report {} ({})", report.name, path.display()),
    };
    if let Some(why) = &report.cannot {
        return Err(DataFusionError::Plan(format!(
            "{origin} cannot run here: {why}"
        )));
    }
    for table in &report.needs {
        let provider = ctx.table_provider(table.name()).await?;
        if crate::lake::is_missing(provider.as_ref()) {
            return Err(DataFusionError::Plan(format!(
                "{origin} needs the table {table}, which this lake does not have \
                 (a folder {table}/ or a file {table}.parquet at the lake's root; DESIGN §1)"
            )));
        }
    }
    let start = targets_start(&params);
    let df = ctx
        .sql_with_options(&report.sql, read_only())
        .await
        .map_err(|e| e.context(format!("planning {origin}")))?
        .with_param_values(params)?;
    let df = blank(df, &report.blank)?;
    match targets {
        Some(t) => crate::targets::apply(df, &report.name, start, t),
        None => Ok(df),
    }
}

/// `df` with the `columns` its lake's source cannot give as NULLs of
/// their types.
fn blank(df: DataFrame, columns: &[(String, String)]) -> Result<DataFrame, DataFusionError> {
    if columns.is_empty() {
        return Ok(df);
    }
    let exprs: Vec<datafusion::prelude::Expr> = df
        .schema()
        .iter()
        .map(|(q, f)| {
            if columns.iter().any(|(c, _)| c == f.name()) {
                datafusion::logical_expr::cast(
                    datafusion::prelude::lit(datafusion::scalar::ScalarValue::Null),
                    f.data_type().clone(),
                )
                .alias(f.name())
            } else {
                datafusion::prelude::Expr::Column(datafusion::common::Column::new(
                    q.cloned(),
                    f.name(),
                ))
            }
        })
        .collect();
    df.select(exprs)
}

/// The day whose targets a run uses: the period's first ($start, else
/// $end), a date of the report time zone ($time_zone).
pub fn targets_start(params: &ParamValues) -> Option<chrono::NaiveDate> {
    let zone = zone_of(params);
    ["start", "end"].iter().find_map(|name| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                ScalarValue::TimestampMicrosecond(Some(us), _) => {
                    chrono::DateTime::from_timestamp_micros(*us).map(|t| zone.local(t).date())
                }
                ScalarValue::Date32(Some(days)) => crate::dates::date_of_days(*days),
                _ => None,
            })
    })
}

/// The reports' names and declared output columns, as a targets file is
/// checked against.
pub fn report_columns(catalog: &Catalog) -> Vec<crate::targets::ReportColumns> {
    catalog
        .reports()
        .map(|r| crate::targets::ReportColumns {
            name: r.name.clone(),
            columns: r.columns.iter().map(|c| c.name.clone()).collect(),
            not_numbers: r
                .columns
                .iter()
                .filter(|c| {
                    c.unit == "boolean"
                        || c.unit == "date"
                        || crate::targets::KEYS.contains(&c.name.as_str())
                })
                .map(|c| c.name.clone())
                .collect(),
        })
        .collect()
}

/// Reads a query file's header. `kind` is `report` or `view`.
pub fn parse(kind: &str, file: &str, sql: &str, origin: Origin) -> Result<Query, ReportError> {
    let bad = |line: usize, reason: String| ReportError::BadHeader {
        file: file.to_string(),
        line,
        reason,
    };
    let mut name = None;
    let mut description = None;
    let mut params = Vec::new();
    let mut columns = Vec::new();
    let mut warns = Vec::new();
    let mut needs = Vec::new();
    let mut charts = Vec::new();
    for (i, line) in sql.lines().enumerate() {
        let n = i + 1;
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break; // the header ends where the SQL starts
        };
        let comment = comment.trim();
        let Some(tag) = comment.strip_prefix('@') else {
            continue;
        };
        let (key, rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let rest = rest.trim();
        match key {
            k if k == kind => name = Some(rest.to_string()),
            "description" => description = Some(rest.to_string()),
            "param" => {
                let (spec, meaning) = rest.split_once('|').ok_or_else(|| {
                    bad(n, "expected `@param NAME TYPE DEFAULT | meaning`".into())
                })?;
                let parts: Vec<&str> = spec.split_whitespace().collect();
                let [pname, ty, default] = parts[..] else {
                    return Err(bad(
                        n,
                        "expected `@param NAME TYPE DEFAULT | meaning`".into(),
                    ));
                };
                let ty = ParamType::parse(ty).ok_or_else(|| {
                    bad(
                        n,
                        format!(
                            "unknown type {ty:?}; expected timestamp, date, int, float, text, bool or word/word/..."
                        ),
                    )
                })?;
                let default = match default {
                    "-" => ParamDefault::None,
                    "latest_full_month_start" => ParamDefault::LatestFullMonthStart,
                    "latest_full_month_end" => ParamDefault::LatestFullMonthEnd,
                    "fiscal_year_start" => ParamDefault::FiscalYearStart,
                    "now" => ParamDefault::Now,
                    literal => ParamDefault::Literal(literal.to_string()),
                };
                params.push(Param {
                    name: pname.to_string(),
                    ty,
                    default,
                    meaning: meaning.trim().to_string(),
                });
            }
            "column" => {
                let (spec, meaning) = rest
                    .split_once('|')
                    .ok_or_else(|| bad(n, "expected `@column NAME UNIT | meaning`".into()))?;
                let (cname, unit) = spec
                    .trim()
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| bad(n, "expected `@column NAME UNIT | meaning`".into()))?;
                columns.push(Column {
                    name: cname.to_string(),
                    unit: unit.trim().to_string(),
                    meaning: meaning.trim().to_string(),
                });
            }
            "needs" => {
                let table = crate::lake::Table::from_name(rest).ok_or_else(|| {
                    bad(n, format!("@needs {rest}: there is no lake table {rest:?}"))
                })?;
                needs.push(table);
            }
            "warns" => {
                // Checked here, with the line, not first when a report runs.
                let known = BUILTIN_WARNINGS.get_file(format!("{rest}.sql")).is_some();
                if !known {
                    return Err(bad(
                        n,
                        format!("@warns {rest}: there is no queries/warnings/{rest}.sql"),
                    ));
                }
                warns.push(rest.to_string());
            }
            "chart" => {
                charts.push(Chart::parse(rest, n).map_err(|e| bad(n, format!("@chart: {e}")))?)
            }
            other => return Err(bad(n, format!("unknown header tag @{other}"))),
        }
    }
    let expected = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".sql");
    if !valid_name(expected) {
        return Err(bad(
            1,
            format!(
                "{expected:?} cannot name a {kind}: names are letters, digits and _ ([A-Za-z0-9_]+); rename the file"
            ),
        ));
    }
    match name {
        Some(n) if n == expected => {}
        Some(n) => {
            return Err(bad(
                1,
                format!("@{kind} {n} does not match the file name {expected}.sql"),
            ));
        }
        None => return Err(bad(1, format!("no `-- @{kind} {expected}` header line"))),
    }
    // Charts name columns and parameters, which may come after them.
    for chart in &charts {
        chart
            .check(&columns, &params)
            .map_err(|e| bad(chart.line, format!("@chart: {e}")))?;
    }
    Ok(Query {
        name: expected.to_string(),
        origin,
        description: description.ok_or_else(|| bad(1, "no `-- @description` line".into()))?,
        params,
        columns,
        warns,
        needs,
        blank: Vec::new(),
        cannot: None,
        charts,
        sql: sql.to_string(),
    })
}

/// The reports available: built-in, then the user's folder over them.
#[derive(Debug, Clone)]
pub struct Catalog {
    reports: BTreeMap<String, Query>,
}

impl Catalog {
    /// Loads the built-in reports, the `extra` ones (a source's, issue 29)
    /// and those of `user_dir`, each over the ones before.
    pub fn load(user_dir: Option<&Path>, extra: &[Query]) -> Result<Catalog, ReportError> {
        let mut reports = BTreeMap::new();
        for q in builtin(&BUILTIN_REPORTS, "report", "reports")? {
            reports.insert(q.name.clone(), q);
        }
        for q in extra {
            reports.insert(q.name.clone(), q.clone());
        }
        if let Some(dir) = user_dir {
            let folder_err = |source| ReportError::Folder {
                path: dir.to_path_buf(),
                source,
            };
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(folder_err)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect();
            paths.sort();
            for path in paths {
                let sql = std::fs::read_to_string(&path).map_err(|source| ReportError::Folder {
                    path: path.clone(),
                    source,
                })?;
                let q = parse(
                    "report",
                    &path.display().to_string(),
                    &sql,
                    Origin::File(path.clone()),
                )?;
                reports.insert(q.name.clone(), q);
            }
        }
        Ok(Catalog { reports })
    }

    /// Changes every report with `f` (a source marks what it cannot give).
    pub fn each_mut(&mut self, f: impl Fn(&mut Query)) {
        self.reports.values_mut().for_each(f);
    }

    /// Every report, by name.
    pub fn reports(&self) -> impl Iterator<Item = &Query> {
        self.reports.values()
    }

    /// One report.
    pub fn get(&self, name: &str) -> Result<&Query, ReportError> {
        self.reports.get(name).ok_or_else(|| ReportError::Unknown {
            name: name.to_string(),
            available: self.reports.keys().cloned().collect(),
        })
    }
}

/// The warnings (`queries/warnings/`), parsed. Each is a query over the
/// report's parameters that returns one row with a count `n`; when `n > 0`
/// its description, with `{n}` replaced, is said to the user.
pub fn warnings() -> Result<Vec<Query>, ReportError> {
    builtin(&BUILTIN_WARNINGS, "warning", "warnings")
}

/// The warnings `report` declares that apply to this run: each message
/// with its count, for the rows the report leaves out. Run read-only with
/// the report's own parameters (those the warning uses).
pub async fn check_warnings(
    ctx: &SessionContext,
    report: &Query,
    params: &ParamValues,
) -> Result<Vec<String>, ReportError> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    if report.warns.is_empty() && report.blank.is_empty() {
        return Ok(Vec::new());
    }
    let all = warnings()?;
    let mut messages = Vec::new();
    let mut blanks: Vec<(&str, Vec<&str>)> = Vec::new();
    for (column, why) in &report.blank {
        match blanks.iter_mut().find(|(w, _)| w == why) {
            Some((_, cols)) => cols.push(column),
            None => blanks.push((why, vec![column])),
        }
    }
    for (why, columns) in blanks {
        messages.push(format!(
            "{} NULL here: {why}",
            columns.join(", ") + if columns.len() == 1 { " is" } else { " are" }
        ));
    }
    for name in &report.warns {
        // Names are checked when the header is read (`parse`).
        let Some(warning) = all.iter().find(|w| &w.name == name) else {
            continue;
        };
        let used: ParamValues = params
            .iter()
            .filter(|(n, _)| warning.sql.contains(&format!("${n}")))
            .cloned()
            .collect();
        let batches = ctx
            .sql_with_options(&warning.sql, read_only())
            .await?
            .with_param_values(used)?
            .collect()
            .await?;
        let n: i64 = batches
            .iter()
            .filter_map(|b| b.column(0).as_primitive_opt::<Int64Type>())
            .flat_map(|a| a.iter().flatten())
            .sum();
        if n > 0 {
            messages.push(warning.description.replace("{n}", &n.to_string()));
        }
    }
    Ok(messages)
}

/// The built-in views (`queries/views/`), parsed.
pub fn views() -> Result<Vec<Query>, ReportError> {
    builtin(&BUILTIN_VIEWS, "view", "views")
}

/// The `.sql` files compiled in from `queries/<folder>/`, parsed as `kind`.
fn builtin(
    dir: &include_dir::Dir<'static>,
    kind: &str,
    folder: &str,
) -> Result<Vec<Query>, ReportError> {
    dir.files()
        .filter(|f| f.path().extension().is_some_and(|x| x == "sql"))
        .map(|f| {
            let name = f.path().to_string_lossy().to_string();
            parse(
                kind,
                &format!("queries/{folder}/{name}"),
                f.contents_utf8().unwrap_or_default(),
                Origin::Builtin,
            )
        })
        .collect()
}

/// Registers the views into `state`'s default schema (after the tables).
pub async fn register_views(state: &SessionState) -> Result<(), ReportError> {
    let schema = crate::lake::default_schema(state)?;
    for view in views()? {
        let plan = state.create_logical_plan(&view.sql).await?;
        read_only().verify_plan(&plan)?;
        let table: Arc<dyn TableProvider> = Arc::new(ViewTable::new(plan, Some(view.sql.clone())));
        schema.register_table(view.name.clone(), table)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // guards: a report naming a warning that does not exist is an error
    // when its header is read, with the line, not when it first runs.
    #[test]
    fn warns_names_a_warning_that_exists() {
        let header = |warns: &str| {
            format!("-- @report r\n-- @description D.\n-- @warns {warns}\nSELECT 1 AS x\n")
        };
        let ok = parse(
            "report",
            "r.sql",
            &header("unmatched_answers"),
            Origin::Builtin,
        )
        .expect("a known warning");
        assert_eq!(ok.warns, ["unmatched_answers"]);
        let err = parse("report", "r.sql", &header("nothing"), Origin::Builtin)
            .expect_err("an unknown warning");
        assert_eq!(
            err.to_string(),
            "r.sql:3: @warns nothing: there is no queries/warnings/nothing.sql"
        );
    }
}
