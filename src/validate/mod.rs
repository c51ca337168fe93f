//! `validate`: checks a lake against the contract (DESIGN §1) and reports,
//! per table, each problem with its count and a few offending rows.
//!
//! Files that break the contract (their schema, or a value that the cast to
//! its declared type would truncate or overflow) are reported and left out
//! of the row checks; the row checks are SQL in `queries/checks/<table>.sql`
//! (one row per offending row: `problem`, `detail`). To add a check, add a
//! `UNION ALL` branch there.

use std::fmt;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{Int64Type, Schema};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::error::DataFusionError;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{SessionContext, col, lit};

use crate::lake::{self, FileProblem, LakeError, Table, TableSource};
use crate::output::string_column;
use crate::session::{Options, runtime_env, session_config};

/// How many offending rows are shown per problem.
pub const EXAMPLES: usize = 3;

/// The findings for a whole lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The lake checked.
    pub location: String,
    /// One entry per table, in contract order.
    pub tables: Vec<TableReport>,
}

/// The findings for one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub table: Table,
    /// Whether the table exists in the lake.
    pub present: bool,
    /// Parquet files found.
    pub files: usize,
    /// Rows in the files that passed the schema check.
    pub rows: u64,
    /// Files whose schema breaks the contract.
    pub file_problems: Vec<FileProblem>,
    /// Row problems, most frequent first.
    pub problems: Vec<Problem>,
    /// The Delta version checked, for a Delta table (its live files only).
    pub delta_version: Option<u64>,
    /// Findings that are not problems (Parquet files a Delta log does not
    /// list).
    pub notes: Vec<String>,
}

/// One kind of bad row and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub check: String,
    /// How many rows.
    pub rows: u64,
    /// A few offending rows.
    pub examples: Vec<String>,
}

impl Report {
    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.file_problems.is_empty() && t.problems.is_empty())
    }
}

/// Checks the lake of `options`. A missing required table is an error, as
/// it is for every other command.
pub async fn validate(options: &Options) -> Result<Report, LakeError> {
    if let Some(source) = &options.source {
        return validate_source(options, source).await;
    }
    let state = SessionStateBuilder::new()
        .with_config(session_config(options))
        .with_runtime_env(runtime_env(options)?)
        .with_default_features()
        .build();
    let found = options
        .location
        .find_tables(&state, options.reading.as_of)
        .await?;
    let ctx = SessionContext::new_with_state(state);
    let mut reports = Vec::new();
    for (table, source) in found {
        let mut report = TableReport {
            table,
            present: source.is_some(),
            files: 0,
            rows: 0,
            file_problems: Vec::new(),
            problems: Vec::new(),
            delta_version: None,
            notes: Vec::new(),
        };
        let provider = match source {
            None => lake::empty_table(table)?,
            Some(source) => {
                report.files = source.files.len();
                if let Some(snapshot) = &source.delta {
                    report.delta_version = Some(snapshot.version);
                    report.notes = unlisted_note(&options.location, snapshot);
                }
                let declared = lake::formats::partitioned::file_schema(&source, &table.schema());
                // Every file's own footer, even of a Delta table whose log
                // has statistics (opening trusts those): `validate` is
                // where a writer that broke the log's schema is found.
                let mut found =
                    lake::check::check_files_with(&ctx.state(), table, &source.files, &declared)
                        .await;
                found.extend(lake::formats::partitioned::problems(
                    table,
                    &source,
                    &source.files,
                ));
                report.file_problems = found
                    .into_iter()
                    // Here a NULL in a required column is a row problem:
                    // the row check names the rows.
                    .filter(|p| {
                        !matches!(
                            p,
                            FileProblem::NullInRequired { .. }
                                | FileProblem::PartitionValue { value: None, .. }
                        )
                    })
                    .collect();
                good_files_table(table, &source, &report.file_problems)?
            }
        };
        ctx.register_table(table.name(), provider)?;
        reports.push(report);
    }
    for report in &mut reports {
        report.rows = count_rows(&ctx, report.table).await?;
        report.problems = row_problems(&ctx, check_sql(report.table)).await?;
    }
    calendar_problems(&ctx, &mut reports).await?;
    Ok(Report {
        location: options.location.display(),
        tables: reports,
    })
}

/// A lake of a source's raw tables (issue 29): opening it checks them
/// against the source's declaration (a mismatch is the error, naming each);
/// then each contract table the source defines is checked, as its view
/// gives it, by the contract's row checks and the source's own
/// (`checks/<table>.sql` of the source), and the calendars as always.
async fn validate_source(
    options: &Options,
    source: &crate::source::Source,
) -> Result<Report, LakeError> {
    let kpiql = crate::session::Kpiql::open(options)
        .await
        .map_err(|e| match e {
            crate::session::OpenError::Lake(e) => e,
            other => LakeError::Source {
                origin: source.origin.clone(),
                problems: vec![other.to_string()],
            },
        })?;
    let ctx = &kpiql.ctx;
    let mut reports = Vec::new();
    for table in Table::ALL {
        let present = source.views.iter().any(|(t, _, _)| *t == table);
        let mut report = TableReport {
            table,
            present,
            files: 0,
            rows: 0,
            file_problems: Vec::new(),
            problems: Vec::new(),
            delta_version: None,
            notes: Vec::new(),
        };
        if present {
            report.rows = count_rows(ctx, table).await?;
            report.problems = row_problems(ctx, check_sql(table)).await?;
            report
                .notes
                .push(format!("a view of the {}", source.origin));
            if let Some((_, sql)) = source.checks.iter().find(|(t, _)| *t == table) {
                // A finding whose name starts with `note: ` is documented
                // handling, said but not a problem.
                for p in row_problems(ctx, sql).await? {
                    match p.check.strip_prefix("note: ") {
                        Some(what) => report.notes.push(format!(
                            "{what}: {} row{}: {}",
                            p.rows,
                            if p.rows == 1 { "" } else { "s" },
                            p.examples.join("; ")
                        )),
                        None => report.problems.push(p),
                    }
                }
            }
        }
        reports.push(report);
    }
    calendar_problems(ctx, &mut reports).await?;
    Ok(Report {
        location: options.location.display(),
        tables: reports,
    })
}

/// The calendar rules, checked by the code the business-time functions
/// use (one implementation), grouped like the SQL checks.
async fn calendar_problems(
    ctx: &SessionContext,
    reports: &mut [TableReport],
) -> Result<(), LakeError> {
    let calendars = crate::calendar::load(ctx).await?;
    for p in calendars.problems {
        let Some(report) = reports.iter_mut().find(|r| r.table == p.table) else {
            continue;
        };
        match report.problems.iter_mut().find(|q| q.check == p.check) {
            Some(q) => {
                q.rows += 1;
                if q.examples.len() < EXAMPLES {
                    q.examples.push(p.detail);
                }
            }
            None => report.problems.push(Problem {
                check: p.check,
                rows: 1,
                examples: vec![p.detail],
            }),
        }
    }
    Ok(())
}

/// The table over the files that passed the file checks, with every column
/// nullable: the declared non-null columns would make the scan fail on the
/// first NULL, and a NULL in a required column is one of the row checks.
fn good_files_table(
    table: Table,
    source: &TableSource,
    bad: &[FileProblem],
) -> Result<std::sync::Arc<dyn datafusion::catalog::TableProvider>, LakeError> {
    let relaxed = || {
        std::sync::Arc::new(Schema::new(
            table
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ))
    };
    if lake::formats::partitioned::is_partitioned(source, &table.schema()) {
        let good = source
            .files
            .iter()
            .filter(|f| !bad.iter().any(|p| p.file() == f.display));
        return lake::formats::partitioned::provider(table.name(), relaxed(), source, good);
    }
    let urls = if bad.is_empty() && source.delta.is_none() {
        vec![ListingTableUrl::parse(&source.url)?]
    } else {
        // The good files one by one (of a Delta table, the live ones).
        source.file_urls(
            source
                .files
                .iter()
                .filter(|f| !bad.iter().any(|p| p.file() == f.display))
                .map(|f| &f.meta),
        )?
    };
    if urls.is_empty() {
        return lake::empty_table(table);
    }
    lake::listing_table_with_schema(urls, relaxed())
}

async fn count_rows(ctx: &SessionContext, table: Table) -> Result<u64, DataFusionError> {
    Ok(ctx.table(table.name()).await?.count().await? as u64)
}

async fn row_problems(ctx: &SessionContext, sql: &str) -> Result<Vec<Problem>, DataFusionError> {
    let offending = ctx.sql(sql).await?;
    let counts = offending
        .clone()
        .aggregate(vec![col("problem")], vec![count(lit(1)).alias("rows")])?
        .sort(vec![
            col("rows").sort(false, true),
            col("problem").sort(true, true),
        ])?
        .collect()
        .await?;
    let examples = offending
        .window(vec![
            row_number()
                .partition_by(vec![col("problem")])
                .order_by(vec![col("detail").sort(true, true)])
                .build()?
                .alias("n"),
        ])?
        .filter(col("n").lt_eq(lit(EXAMPLES as u64)))?
        .sort(vec![
            col("problem").sort(true, true),
            col("n").sort(true, true),
        ])?
        .collect()
        .await?;
    let mut problems = Vec::new();
    for batch in &counts {
        let names = string_column(batch, 0);
        let rows = batch.column(1).as_primitive::<Int64Type>();
        for (i, name) in names.into_iter().enumerate() {
            problems.push(Problem {
                check: name,
                rows: rows.value(i) as u64,
                examples: Vec::new(),
            });
        }
    }
    for batch in &examples {
        let names = string_column(batch, 0);
        let details = string_column(batch, 1);
        for (name, detail) in names.into_iter().zip(details) {
            if let Some(p) = problems.iter_mut().find(|p| p.check == name) {
                p.examples.push(detail);
            }
        }
    }
    Ok(problems)
}

fn check_sql(table: Table) -> &'static str {
    match table {
        Table::Interactions => include_str!("../../queries/checks/interactions.sql"),
        Table::Surveys => include_str!("../../queries/checks/surveys.sql"),
        Table::AgentStates => include_str!("../../queries/checks/agent_states.sql"),
        Table::Costs => include_str!("../../queries/checks/costs.sql"),
        Table::BusinessHours => include_str!("../../queries/checks/business_hours.sql"),
        Table::Holidays => include_str!("../../queries/checks/holidays.sql"),
        Table::Teams => include_str!("../../queries/checks/teams.sql"),
        Table::AgentSurveys => include_str!("../../queries/checks/agent_surveys.sql"),
        Table::Customers => include_str!("../../queries/checks/customers.sql"),
        Table::KbViews => include_str!("../../queries/checks/kb_views.sql"),
        Table::KbArticles => include_str!("../../queries/checks/kb_articles.sql"),
    }
}

/// The note on Parquet files in a Delta table's folder its log does not
/// list at the version checked: an older version's (kept until a vacuum)
/// or a crashed writer's. Not read, so not a problem.
fn unlisted_note(
    location: &lake::Location,
    snapshot: &lake::formats::delta::Snapshot,
) -> Vec<String> {
    let Some(first) = snapshot.unlisted.first() else {
        return Vec::new();
    };
    let n = snapshot.unlisted.len();
    let shown = location.parquet_file(first.clone()).display;
    vec![format!(
        "{n} Parquet file{} in the folder {} not in the log at version {} (older versions' \
         or a crashed writer's, kept until a vacuum): not read; e.g. {shown}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" },
        snapshot.version
    )]
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "lake: {}", self.location)?;
        for t in &self.tables {
            let issues = t.file_problems.len() + t.problems.len();
            let state = if !t.present {
                "absent (optional, read as empty)".to_string()
            } else if issues == 0 {
                "ok".to_string()
            } else {
                format!("{issues} problem{}", if issues == 1 { "" } else { "s" })
            };
            let delta = t
                .delta_version
                .map(|v| format!(" (Delta table, version {v})"))
                .unwrap_or_default();
            writeln!(
                f,
                "{}: {} rows in {} file{}{delta}: {state}",
                t.table,
                t.rows,
                t.files,
                if t.files == 1 { "" } else { "s" }
            )?;
            for note in &t.notes {
                writeln!(f, "  note: {note}")?;
            }
            for p in &t.file_problems {
                let what = match p {
                    FileProblem::Unfit { .. } => "values",
                    _ => "schema",
                };
                writeln!(f, "  {what}: {p}")?;
            }
            for p in &t.problems {
                writeln!(
                    f,
                    "  {}: {} row{}",
                    p.check,
                    p.rows,
                    if p.rows == 1 { "" } else { "s" }
                )?;
                for e in &p.examples {
                    writeln!(f, "      {e}")?;
                }
            }
        }
        if self.is_clean() {
            write!(f, "no problems found")
        } else {
            let n: usize = self
                .tables
                .iter()
                .map(|t| t.file_problems.len() + t.problems.len())
                .sum();
            write!(f, "{n} problem{} found", if n == 1 { "" } else { "s" })
        }
    }
}
