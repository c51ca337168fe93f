//! `kpiql generate`: write a deterministic synthetic lake.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use super::{Cli, ExitStatus};
use crate::generate::{GenerateOptions, generate};

/// Arguments of `kpiql generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The folder to create (must not exist, or be empty).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of interactions (with --source zendesk: of tickets).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub rows: u64,
    /// Random seed: the same seed gives the same lake, byte for byte.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First month, as the first day of a month (YYYY-MM-01).
    #[arg(long, default_value = "2026-01-01", value_parser = parse_month_start)]
    pub start: NaiveDate,
    /// Number of months.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub months: u32,
}

fn parse_month_start(text: &str) -> Result<NaiveDate, String> {
    crate::dates::parse_month(text).ok_or_else(|| match crate::dates::parse_date(text) {
        Some(_) => format!("{text} is not the first day of a month; expected YYYY-MM-01"),
        None => format!("{text:?} is not a date; expected YYYY-MM-01 or YYYY-MM"),
    })
}

pub(super) fn run(cli: &Cli, args: &GenerateArgs) -> anyhow::Result<ExitStatus> {
    let threads = cli
        .threads
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(source) = &cli.source {
        return zendesk(cli, args, source, threads);
    }
    let options = GenerateOptions {
        out: args.out.clone(),
        rows: args.rows,
        seed: args.seed,
        start: args.start,
        months: args.months,
        threads,
    };
    let summary = generate(&options)
        .with_context(|| format!("cannot generate a lake in {}", args.out.display()))?;
    if !cli.quiet {
        let secs = summary.elapsed.as_secs_f64();
        let interactions = summary
            .rows
            .get(&crate::Table::Interactions)
            .copied()
            .unwrap_or(0);
        let tables: Vec<String> = summary
            .rows
            .iter()
            .map(|(table, rows)| format!("{table} {rows}"))
            .collect();
        eprintln!(
            "wrote {} ({}) in {} files, {:.1} MB, in {secs:.2}s: {:.0} interactions/s on {threads} thread{}",
            args.out.display(),
            tables.join(", "),
            summary.files,
            summary.bytes as f64 / 1e6,
            interactions as f64 / secs.max(1e-9),
            if threads == 1 { "" } else { "s" },
        );
    }
    Ok(ExitStatus::Success)
}

/// `generate --source zendesk`: Fivetran's Zendesk tables (issue 29).
fn zendesk(
    cli: &Cli,
    args: &GenerateArgs,
    source: &crate::source::Source,
    threads: usize,
) -> anyhow::Result<ExitStatus> {
    if source.origin != "built-in source zendesk" {
        anyhow::bail!(
            "kpiql generate writes kpiql's own tables or, with --source zendesk, Zendesk's; \
             it cannot write the tables of the source {} ({})",
            source.name,
            source.origin
        );
    }
    let options = crate::generate::zendesk::ZendeskOptions {
        out: args.out.clone(),
        tickets: args.rows,
        seed: args.seed,
        start: args.start,
        months: args.months,
        threads,
    };
    let summary = crate::generate::zendesk::generate(&options)
        .with_context(|| format!("cannot generate a Zendesk lake in {}", args.out.display()))?;
    if !cli.quiet {
        let tables: Vec<String> = summary
            .rows
            .iter()
            .map(|(table, rows)| format!("{table} {rows}"))
            .collect();
        eprintln!(
            "wrote the Zendesk lake {} ({}) in {} files, {:.1} MB, in {:.2}s; read it with \
             --source zendesk",
            args.out.display(),
            tables.join(", "),
            summary.files,
            summary.bytes as f64 / 1e6,
            summary.elapsed.as_secs_f64(),
        );
    }
    Ok(ExitStatus::Success)
}
