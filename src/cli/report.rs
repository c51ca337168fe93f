//! `kpiql reports` and `kpiql report NAME`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Cli, ExitStatus, default_format, out_file, print};
use crate::help::reports_text;
use crate::output::{Format, Output};
use crate::reports::bind;

/// Arguments of `kpiql report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report (see `kpiql reports`).
    pub name: String,
    /// Start of the period, inclusive: YYYY-MM-DD, YYYY-MM (midnight in --time-zone) or RFC 3339
    /// (the report's $start).
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
    /// Print the report's plan instead of running it: the optimised logical
    /// plan and the physical plan (with --cluster, the plan the scheduler
    /// splits into stages, planned here with the cluster's settings).
    #[arg(long, conflicts_with_all = ["out", "format"])]
    pub explain: bool,
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
    let catalog = cli.catalog()?;
    print(&reports_text(&catalog))?;
    Ok(ExitStatus::Success)
}

pub(super) async fn run(cli: &Cli, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let catalog = cli.catalog()?;
    let report = catalog.get(&args.name)?;
    // Before the lake is read: binding the default period reads it.
    if let Some(why) = &report.cannot {
        anyhow::bail!(
            "report {}: the report {} cannot run here: {why}",
            report.name,
            report.name
        );
    }
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
    // The warnings are about the rows, which --explain does not compute.
    if !cli.quiet && !args.explain {
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
    if args.explain {
        print(
            &explain(&kpiql, df, cli.cluster.is_some())
                .await
                .with_context(context)?,
        )?;
        return Ok(ExitStatus::Success);
    }
    let stream = df.execute_stream().await.with_context(context)?;
    output.write(1, stream).await.with_context(context)?;
    output.finish()?;
    Ok(ExitStatus::Success)
}

/// `df`'s plans as `EXPLAIN` gives them, as text: each plan's kind on a
/// line of its own, then the plan. On a cluster the plan is made in this
/// process with the session's settings (Ballista's among them), from the
/// plan the client ships (its joins restricted by their small sides'
/// keys, `crate::joins::bounds`), which is what the scheduler does before
/// it cuts the plan into stages.
async fn explain(
    kpiql: &crate::session::Kpiql,
    df: datafusion::dataframe::DataFrame,
    on_cluster: bool,
) -> datafusion::error::Result<String> {
    use datafusion::arrow::array::{Array, AsArray};
    let df = if on_cluster {
        let state = crate::session::in_process(&kpiql.ctx.state());
        let plan = state.optimize(df.logical_plan())?;
        let plan = crate::joins::bounds::restrict(plan, &state).await?;
        datafusion::dataframe::DataFrame::new(state, plan)
    } else {
        df
    };
    let batches = df.explain(false, false)?.collect().await?;
    let mut text = String::new();
    for batch in &batches {
        let cast = |i: usize| {
            datafusion::arrow::compute::cast(
                batch.column(i),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
        };
        let (kinds, plans) = (cast(0)?, cast(1)?);
        let (kinds, plans) = (kinds.as_string::<i32>(), plans.as_string::<i32>());
        for row in 0..batch.num_rows() {
            if kinds.is_valid(row) && plans.is_valid(row) {
                text.push_str(&format!("{}:\n{}\n", kinds.value(row), plans.value(row)));
            }
        }
    }
    Ok(text)
}
