//! `kpiql sql`: run SQL (an argument or a file of statements) on the lake.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::{Cli, ExitStatus, default_format, out_file};
use crate::output::{Format, Output};
use crate::sql::{Statement, split_statements};

/// Arguments of `kpiql sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL to run (several statements may be separated by `;`).
    #[arg(
        value_name = "SQL",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub sql: Option<String>,
    /// Run the statements of a .sql file instead, in order.
    #[arg(short, long, value_name = "FILE.sql")]
    pub file: Option<PathBuf>,
    /// Output format (default: a table on a terminal, else from --out's extension, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to this file (atomically: it appears whole or not at all).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(super) async fn run(cli: &Cli, args: &SqlArgs) -> anyhow::Result<ExitStatus> {
    let (text, source) = match (&args.sql, &args.file) {
        (Some(sql), _) => (sql.clone(), "the SQL argument".to_string()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read SQL file {}", path.display()))?,
            path.display().to_string(),
        ),
        (None, None) => bail!("give the SQL to run, or -f FILE.sql"),
    };
    if let Some(out) = &args.out {
        out_file(out)?;
    }
    let format = args
        .format
        .unwrap_or_else(|| default_format(args.out.as_deref()));
    let statements = split_statements(&text).with_context(|| format!("in {source}"))?;
    if statements.is_empty() {
        bail!("{source} holds no SQL statement");
    }
    // Open the output before the lake so a bad --out fails fast.
    let mut output = Output::new(format, args.out.as_deref())?.with_page(
        crate::html::PageInfo::query(Some(text.clone()), cli.lake_name()),
    );
    // With `targets` for kpi_status, and `SELECT * FROM report('team', ...)`.
    let (kpiql, _, _) = cli.open_for_sql().await?;
    let count = statements.len();
    for Statement { number, statement } in statements {
        let context = || {
            if count == 1 {
                format!("in {source}")
            } else {
                format!("statement {number} of {count} in {source}")
            }
        };
        let stream = crate::sql::execute(&kpiql.ctx, statement)
            .await
            .with_context(context)?;
        if let Some(stream) = stream {
            output.write(number, stream).await.with_context(context)?;
        }
    }
    output.finish()?;
    Ok(ExitStatus::Success)
}
