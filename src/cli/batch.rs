//! `kpiql batch`: publish reports as tables into a lake.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Cli, ExitStatus};
use crate::batch::{Destination, Job, Progress, Published, Stage, TableFormat};

/// Arguments of `kpiql batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Where the report tables go: a folder or s3://bucket/prefix; each report is a table
    /// under DEST/<report>/.
    #[arg(long, value_name = "DEST")]
    pub out: String,
    /// The reports to publish: all, or names separated by commas.
    #[arg(long, value_name = "all|NAME,...", default_value = "all")]
    pub reports: String,
    /// Start of the period, inclusive (the reports' $start; default: each report's own).
    #[arg(long, value_name = "DATE", conflicts_with = "period")]
    pub from: Option<String>,
    /// End of the period, exclusive (the reports' $end).
    #[arg(long, value_name = "DATE", conflicts_with = "period")]
    pub to: Option<String>,
    /// A calendar month as the period, YYYY-MM (same as --from YYYY-MM-01 --to the next month).
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<String>,
    /// Another parameter, as name=value, for the reports that have it (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE", value_parser = super::report::parse_param)]
    pub params: Vec<(String, String)>,
    /// Partition each table by this column too, after `period`, where the report has it
    /// (repeatable).
    #[arg(long = "partition-by", value_name = "COLUMN")]
    pub partition_by: Vec<String>,
    /// The table format.
    #[arg(long, value_enum, default_value = "delta")]
    pub table_format: TableFormat,
    /// Delta: delete data files no commit needs (replaced ones, and those of killed runs)
    /// once older than this many hours (0 to 876000, a hundred years).
    #[arg(long, value_name = "HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u32).range(0..=876_000))]
    pub retain_hours: u32,
    /// Also write each report as an HTML page with charts, and an index.html, into this
    /// local folder; the folder is replaced as a whole, atomically, once every table is
    /// published.
    #[arg(long, value_name = "DIR")]
    pub html: Option<std::path::PathBuf>,
}

pub(super) async fn run(cli: &Cli, args: &BatchArgs) -> anyhow::Result<ExitStatus> {
    let catalog = cli.catalog()?;
    let reports = if args.reports.trim() == "all" {
        catalog.reports().cloned().collect()
    } else {
        args.reports
            .split(',')
            .map(|name| catalog.get(name.trim()).cloned())
            .collect::<Result<Vec<_>, _>>()?
    };
    let (from, to) = match &args.period {
        Some(month) => month_period(month)?,
        None => (args.from.clone(), args.to.clone()),
    };
    for (name, _) in &args.params {
        if !reports
            .iter()
            .any(|r| r.params.iter().any(|p| &p.name == name))
        {
            anyhow::bail!("--param {name}: none of the chosen reports has a parameter {name:?}");
        }
    }
    let mut job = Job {
        reports,
        from,
        to,
        params: args.params.clone(),
        partition_by: args.partition_by.clone(),
        format: args.table_format,
        retain_hours: args.retain_hours,
        keep_results: args.html.is_some(),
    };
    // A folder of someone else's files fails the run before any work.
    if let Some(dir) = &args.html {
        crate::html::publish::check_dir(dir)?;
    }
    let kpiql = cli.open().await?;
    // All reports: those that need an optional table the lake lacks are
    // left out with a note (a lake without them keeps working); a report
    // named in --reports is run and fails naming the table.
    if args.reports.trim() == "all" {
        let mut kept = Vec::new();
        for report in std::mem::take(&mut job.reports) {
            if let Some(why) = &report.cannot {
                if !cli.quiet {
                    eprintln!(
                        "note: report {} left out: {why} (name the report in --reports to make \
                         that an error)",
                        report.name
                    );
                }
                continue;
            }
            let mut missing = None;
            for table in &report.needs {
                let provider = kpiql.ctx.table_provider(table.name()).await?;
                if crate::lake::is_missing(provider.as_ref()) {
                    missing = Some(*table);
                    break;
                }
            }
            match missing {
                Some(table) if !cli.quiet => eprintln!(
                    "note: report {} left out: the lake has no table {table} (name the report in --reports to make that an error)",
                    report.name
                ),
                Some(_) => {}
                None => kept.push(report),
            }
        }
        job.reports = kept;
    }
    // Targets before the destination: a bad targets file leaves no trace.
    let targets = kpiql
        .load_targets(
            cli.targets.as_deref(),
            &crate::reports::report_columns(&catalog),
        )
        .await?;
    let dest = Destination::parse(&args.out, &cli.storage_options)?;
    if dest.local.is_none() {
        crate::store::register_store(
            &kpiql.ctx.runtime_env(),
            &dest.url,
            std::sync::Arc::clone(&dest.store),
        )?;
    }

    let started = Instant::now();
    let bars = Bars::new(&job, cli.quiet);
    let source = crate::batch::Source {
        ctx: &kpiql.ctx,
        inputs: &kpiql.inputs,
        read: &kpiql.read,
        targets: targets.as_deref(),
    };
    let published = crate::batch::run(source, &dest, &job, &bars).await;
    bars.finish();
    let published = published.with_context(|| format!("batch into {}", dest.url))?;
    let pages = match &args.html {
        Some(dir) => Some(write_pages(cli, dir, &job, &published, targets.clone())?),
        None => None,
    };
    if !cli.quiet {
        let rows: usize = published.iter().map(|p| p.rows).sum();
        let bytes: u64 = published.iter().map(|p| p.bytes).sum();
        let spilled: usize = published.iter().map(|p| p.spilled_bytes).sum();
        let spill = if spilled > 0 {
            format!(", spilled {}", human_bytes(spilled as u64))
        } else {
            String::new()
        };
        eprintln!(
            "published {} report{} ({} rows, {}{spill}) as {} tables to {} in {:.1} s",
            published.len(),
            if published.len() == 1 { "" } else { "s" },
            rows,
            human_bytes(bytes),
            job.format.name(),
            dest.url,
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(index) = pages
        && !cli.quiet
    {
        eprintln!("wrote the pages, {}", index.display());
    }
    Ok(ExitStatus::Success)
}

/// Renders each published report as a page and publishes the folder.
fn write_pages(
    cli: &Cli,
    dir: &std::path::Path,
    job: &Job,
    published: &[Published],
    targets: Option<std::sync::Arc<crate::targets::Targets>>,
) -> anyhow::Result<std::path::PathBuf> {
    let generated = chrono::Utc::now();
    let mut pages = Vec::new();
    for (report, done) in job.reports.iter().zip(published) {
        let Some(kept) = &done.result else {
            continue;
        };
        let info = crate::html::PageInfo {
            report: Some(report.clone()),
            params: kept.params.clone(),
            targets: targets.clone(),
            lake: cli.lake_name(),
            generated,
            sql: None,
        };
        let html = crate::html::page(&info, &kept.schema, &kept.batches)
            .with_context(|| format!("the page of report {}", report.name))?;
        pages.push(crate::html::publish::PageFile {
            report: report.name.clone(),
            description: report.description.clone(),
            period: done.period.key.clone(),
            rows: done.rows,
            html,
        });
    }
    crate::html::publish::publish(
        dir,
        &pages,
        &cli.lake_name(),
        &generated.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// `--period 2026-10` as `--from 2026-10-01 --to 2026-11-01`.
fn month_period(month: &str) -> anyhow::Result<(Option<String>, Option<String>)> {
    let bad =
        || anyhow::anyhow!("--period {month:?} is not a month; expected YYYY-MM, e.g. 2026-10");
    if month.trim().len() != 7 {
        return Err(bad());
    }
    let start = crate::dates::parse_month(month).ok_or_else(bad)?;
    let end = start
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(bad)?;
    Ok((Some(start.to_string()), Some(end.to_string())))
}

fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

/// One progress bar per report on a terminal; nothing otherwise.
struct Bars {
    _multi: MultiProgress,
    bars: Vec<(String, ProgressBar)>,
    notes: Mutex<Vec<String>>,
    quiet: bool,
}

impl Bars {
    fn new(job: &Job, quiet: bool) -> Bars {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let width = job.reports.iter().map(|r| r.name.len()).max().unwrap_or(8);
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} {{prefix:{width}}} [{{bar:12}}] {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bars = job
            .reports
            .iter()
            .map(|r| {
                let bar = multi.add(ProgressBar::new(4));
                bar.set_style(style.clone());
                bar.set_prefix(r.name.clone());
                bar.set_message("waiting");
                (r.name.clone(), bar)
            })
            .collect();
        Bars {
            _multi: multi,
            bars,
            notes: Mutex::new(Vec::new()),
            quiet,
        }
    }

    fn bar(&self, report: &str) -> Option<&ProgressBar> {
        self.bars.iter().find(|(n, _)| n == report).map(|(_, b)| b)
    }

    fn finish(&self) {
        for (_, bar) in &self.bars {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
        if !self.quiet
            && let Ok(notes) = self.notes.lock()
        {
            for note in notes.iter() {
                eprintln!("note: {note}");
            }
        }
    }
}

impl Progress for Bars {
    fn stage(&self, report: &str, stage: Stage) {
        if let Some(bar) = self.bar(report) {
            let position = match stage {
                Stage::Query => 0,
                Stage::Write => 1,
                Stage::Publish => 2,
                Stage::Cleanup => 3,
            };
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_position(position);
            bar.set_message(stage.name());
        }
    }

    fn done(&self, report: &str, published: &Published) {
        if let Some(bar) = self.bar(report) {
            bar.set_position(4);
            bar.finish_with_message(format!(
                "period {}: {} row{}, {}",
                published.period.key,
                published.rows,
                if published.rows == 1 { "" } else { "s" },
                human_bytes(published.bytes)
            ));
        }
    }

    fn note(&self, text: &str) {
        if let Ok(mut notes) = self.notes.lock()
            && !notes.iter().any(|n| n == text)
        {
            notes.push(text.to_string());
        }
    }
}
