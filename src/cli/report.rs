//! `kpiql reports` and `kpiql report NAME`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Cli, ExitStatus, default_format, out_file, print};
use crate::help::reports_text;
use crate::output::{Format, Output};
use crate::reports::{Catalog, bind};

/// Arguments of `kpiql report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report (see `kpiql reports`).
    pub name: String,
    /// Start of the period, inclusive: YYYY-MM-DD, YYYY-MM or RFC 3339 (the report's $start).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the period, exclusive (the report's $end).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Another parameter, as name=value (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Output format (default: a table on a terminal, else from --out's extension, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to this file (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(super) fn parse_param(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))?;
    Ok((
        name.trim().trim_start_matches('$').to_string(),
        value.to_string(),
    ))
}

pub(super) fn list(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let catalog = Catalog::load(cli.queries.as_deref())?;
    print(&reports_text(&catalog))?;
    Ok(ExitStatus::Success)
}

pub(super) async fn run(cli: &Cli, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let catalog = Catalog::load(cli.queries.as_deref())?;
    let report = catalog.get(&args.name)?;
    if let Some(out) = &args.out {
        out_file(out)?;
    }
    let format = args
        .format
        .unwrap_or_else(|| default_format(args.out.as_deref()));
    let output = Output::new(format, args.out.as_deref())?;
    let kpiql = cli.open().await?;
    let values = bind(
        &kpiql.ctx,
        report,
        args.from.as_deref(),
        args.to.as_deref(),
        &args.params,
    )
    .await?;
    let context = || format!("report {}", report.name);
    if !cli.quiet {
        for warning in crate::reports::check_warnings(&kpiql.ctx, report, &values).await? {
            eprintln!("warning: report {}: {warning}", report.name);
        }
    }
    let targets = kpiql
        .load_targets(
            cli.targets.as_deref(),
            &crate::reports::report_columns(&catalog),
        )
        .await?;
    let mut output = output.with_page(crate::html::PageInfo {
        report: Some(report.clone()),
        params: values.clone(),
        targets: targets.clone(),
        lake: cli.lake_name(),
        generated: chrono::Utc::now(),
        sql: None,
    });
    let df = crate::reports::plan(&kpiql.ctx, report, values, targets.as_deref())
        .await
        .with_context(context)?;
    let stream = df.execute_stream().await.with_context(context)?;
    output.write(1, stream).await.with_context(context)?;
    output.finish()?;
    Ok(ExitStatus::Success)
}
