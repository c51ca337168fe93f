//! The command line: clap definitions and one handler per sub-command.
//!
//! `main` calls [`run`] and maps its [`ExitStatus`] to the process exit code.
//! To add a sub-command: a variant in [`Command`], a file with its handler,
//! one arm in [`run`].

mod batch;
mod cluster;
mod functions;
mod generate;
mod report;
mod serve;
mod sql;
mod validate;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::lake::Location;
use crate::output::Format;
use crate::session::{Kpiql, Options};

/// kpiql: SQL and KPIs for customer-support analytics on a Parquet lake.
#[derive(Debug, Parser)]
#[command(name = "kpiql", version, about, max_term_width = 100)]
pub struct Cli {
    /// The lake: a folder or s3://bucket/prefix (default: the built-in sample lake).
    #[arg(long, global = true, env = "KPIQL_DATA", value_name = "LOCATION")]
    pub data: Option<String>,
    /// Memory the query engine may use before spilling to disk, e.g. 512M, 4G.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Threads for query execution (default: one per core; at most 1024).
    // Capped: each is an OS thread started up front, and `--threads 65535`
    // hung the process starting them.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    pub threads: Option<u16>,
    /// The report time zone: periods, months, weekdays and hours are cut at its
    /// midnights and hours. An IANA name (America/New_York, Europe/Warsaw) or UTC.
    #[arg(long, global = true, env = "KPIQL_TIME_ZONE", value_name = "ZONE", default_value = "UTC",
          value_parser = crate::zone::Zone::parse)]
    pub time_zone: crate::zone::Zone,
    /// The lake holds another schema's raw tables, read through a source's views as
    /// kpiql's tables: a built-in source (zendesk: Fivetran's Zendesk tables) or a
    /// folder of your own views (source.sql and one .sql per table).
    #[arg(long, global = true, env = "KPIQL_SOURCE", value_name = "NAME|DIR",
          value_parser = parse_source)]
    pub source: Option<std::sync::Arc<crate::source::Source>>,
    /// A folder of your own report files; one named like a built-in replaces it.
    #[arg(long, global = true, env = "KPIQL_QUERIES", value_name = "DIR")]
    pub queries: Option<std::path::PathBuf>,
    /// KPI targets, CSV (default: the lake's targets.csv, if any): reports get a
    /// `<column>_target` and `<column>_status` beside each column with a target.
    #[arg(long, global = true, env = "KPIQL_TARGETS", value_name = "FILE")]
    pub targets: Option<std::path::PathBuf>,
    /// An object-store setting for s3:// locations, KEY=VALUE (repeatable; wins over the
    /// AWS_* environment), e.g. aws_endpoint=http://localhost:9000.
    #[arg(long = "storage-option", global = true, value_name = "KEY=VALUE", value_parser = crate::store::parse_option)]
    pub storage_options: Vec<(String, String)>,
    /// Read every Delta table of the lake at this version (0, 1, ...) or as it was at
    /// this instant (2026-10-15, 2026-10-15T12:00:00Z): reproducible reports.
    #[arg(long, global = true, value_name = "VERSION|TIMESTAMP")]
    pub as_of: Option<crate::lake::AsOf>,
    /// A table of your own beside the lake's, NAME=LOCATION (repeatable): a folder of
    /// Parquet files, a Delta table or a .parquet file, local or s3://.
    #[arg(long = "table", global = true, value_name = "NAME=LOCATION", value_parser = parse_table)]
    pub tables: Vec<(String, crate::store::Place)>,
    /// Run queries on a Ballista cluster: its scheduler, df://HOST:PORT.
    #[arg(
        long,
        global = true,
        env = "KPIQL_CLUSTER",
        value_name = "df://HOST:PORT"
    )]
    pub cluster: Option<String>,
    /// With --cluster: give up on a command the cluster has not finished after this long
    /// (a lost executor Ballista cannot replace, a stuck job): 90s, 30min, 2h.
    #[arg(long, global = true, env = "KPIQL_CLUSTER_TIMEOUT", value_name = "DURATION",
          default_value = "30min", value_parser = serve::parse_duration)]
    pub cluster_timeout: std::time::Duration,
    /// Say more on stderr (with --cluster: which cluster runs the queries).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// No warnings or progress on stderr; errors are still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `--table NAME=LOCATION`: a name SQL reads without quotes, not one of
/// the contract's tables, and a local path or URL.
fn parse_table(text: &str) -> Result<(String, crate::store::Place), String> {
    let Some((name, location)) = text.split_once('=') else {
        return Err(format!("{text:?} is not NAME=LOCATION"));
    };
    let name = name.trim();
    if !crate::lake::own::is_table_name(name) {
        return Err(format!(
            "{name:?} is not a table name: a lower-case SQL identifier (a-z, 0-9 and _, not \
             first a digit)"
        ));
    }
    if crate::lake::Table::from_name(name).is_some() {
        return Err(format!(
            "`{name}` is a table of the lake's contract, read from --data; give your table \
             another name"
        ));
    }
    if location.trim().is_empty() {
        return Err(format!("no location after {name}="));
    }
    let place = crate::store::Place::parse(location).map_err(|e| e.to_string())?;
    Ok((name.to_string(), place))
}

impl Cli {
    /// The reports: built-in, the source's (`--source`), the user's
    /// (`--queries`), each over the ones before; marked with what the
    /// source cannot give.
    pub fn catalog(&self) -> Result<crate::reports::Catalog, crate::reports::ReportError> {
        let extra = self.source.as_ref().map_or(&[][..], |s| &s.reports[..]);
        let mut catalog = crate::reports::Catalog::load(self.queries.as_deref(), extra)?;
        if let Some(source) = &self.source {
            catalog.each_mut(|q| source.limit(q));
        }
        Ok(catalog)
    }
}

/// `--source NAME|DIR`, read and checked before the lake is opened.
fn parse_source(text: &str) -> Result<std::sync::Arc<crate::source::Source>, String> {
    crate::source::Source::load(text.trim())
        .map(std::sync::Arc::new)
        .map_err(|e| e.to_string())
}

/// The most `--threads` accepted: far more than any machine's cores.
pub const MAX_THREADS: i64 = 1024;

/// The sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The interactive shell (the default on a terminal; reads statements from stdin otherwise).
    Repl,
    /// Run SQL on the lake and print or save the result.
    Sql(sql::SqlArgs),
    /// Write a synthetic lake that follows the contract.
    Generate(generate::GenerateArgs),
    /// Check a lake against the contract (exit 1 when problems are found).
    Validate,
    /// Run a preset report (see `kpiql reports`).
    Report(report::ReportArgs),
    /// List the reports with their parameters.
    Reports,
    /// Publish reports as Delta or Parquet tables into a lake folder or S3, atomically.
    Batch(batch::BatchArgs),
    /// List the KPI functions, or show one in full.
    Functions(functions::FunctionsArgs),
    /// Serve the lake and the reports over the PostgreSQL wire protocol (read-only, SCRAM logins).
    Serve(serve::ServeArgs),
    /// Run a Ballista scheduler that knows kpiql's functions.
    Scheduler(cluster::SchedulerArgs),
    /// Run a Ballista executor that knows kpiql's functions.
    Executor(cluster::ExecutorArgs),
    /// Ask for a password and print a users-file line for `kpiql serve --users` (a SCRAM verifier).
    Passwd(serve::PasswdArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How the process ends: 0 ok, 1 a check failed, 2 an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success,
    /// The command ran and found problems (e.g. `validate`).
    Failure,
    /// The command could not do its work.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

impl Cli {
    /// The lake as the user named it, for page headers.
    pub fn lake_name(&self) -> String {
        self.data
            .clone()
            .unwrap_or_else(|| "the built-in sample lake (data/sample)".to_string())
    }

    /// Session options from the global flags.
    pub fn options(&self) -> anyhow::Result<Options> {
        let location = match &self.data {
            None => Location::Sample,
            // An empty value (often an unset shell variable in `--data
            // "$LAKE"`) is named as such, not as a folder called "".
            Some(text) if text.trim().is_empty() => anyhow::bail!(
                "--data (or KPIQL_DATA) is empty; give a lake folder or s3://bucket/prefix, \
                 or leave it out for the built-in sample lake"
            ),
            Some(text) => Location::parse(text)?,
        };
        Ok(Options {
            location,
            memory_limit: self.memory_limit,
            // A shared server is bounded even when no limit is given.
            memory_bound: match (&self.command, self.memory_limit) {
                (Some(Command::Serve(_)), None) => crate::serve::default_memory_bound(),
                _ => None,
            },
            threads: self.threads.map(usize::from),
            time_zone: self.time_zone,
            storage_options: self.storage_options.clone(),
            cluster: self.cluster.clone(),
            source: self.source.clone(),
            // A server and the REPL, which run for hours, see the lake as
            // it is at each query (DESIGN §5).
            reading: crate::lake::Reading {
                listing: match &self.command {
                    Some(Command::Serve(_) | Command::Repl) | None => {
                        crate::lake::Listing::EveryScan
                    }
                    _ => crate::lake::Listing::AtOpen,
                },
                as_of: self.as_of,
                tables: self.tables.clone(),
                raw: self.source.is_some(),
            },
        })
    }

    /// Opens the lake for SQL: its reports (`--queries`) and targets
    /// (`--targets`, else the lake's), the table `targets` for
    /// `kpi_status`, and `report(...)` as a table function.
    pub async fn open_for_sql(
        &self,
    ) -> anyhow::Result<(
        Kpiql,
        crate::reports::Catalog,
        Option<std::sync::Arc<crate::targets::Targets>>,
    )> {
        let kpiql = self.open().await?;
        let catalog = self.catalog()?;
        let targets = kpiql
            .load_targets(
                self.targets.as_deref(),
                &crate::reports::report_columns(&catalog),
            )
            .await?;
        crate::reports::function::register(&kpiql.ctx, catalog.clone(), targets.clone());
        Ok((kpiql, catalog, targets))
    }

    /// Opens the lake, printing its warnings unless `--quiet`.
    pub async fn open(&self) -> anyhow::Result<Kpiql> {
        let options = self.options()?;
        let kpiql = Kpiql::open(&options)
            .await
            .with_context(|| format!("cannot open the lake at {}", options.location.display()))?;
        if !self.quiet {
            for warning in &kpiql.warnings {
                eprintln!("warning: {warning}");
            }
        }
        Ok(kpiql)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    // A cluster's processes decode whole plans from protobuf recursively:
    // the management report overflowed a scheduler's default 2 MiB stack.
    if matches!(
        cli.command,
        Some(Command::Scheduler(_) | Command::Executor(_))
    ) || cli.cluster.is_some()
    {
        builder.thread_stack_size(64 << 20);
    }
    // A shared server plans whatever a client sends, up to the nesting
    // crate::serve::limits allows.
    if matches!(cli.command, Some(Command::Serve(_))) {
        builder.thread_stack_size(crate::serve::limits::STACK_BYTES);
    }
    if let Some(threads) = cli.threads {
        builder.worker_threads(usize::from(threads));
    }
    let runtime = builder.build().context("cannot start the async runtime")?;
    if let Some(url) = &cli.cluster
        && cli.verbose
        && !cli.quiet
    {
        eprintln!(
            "running on the Ballista cluster at {url} (scheduler {})",
            crate::cluster::scheduler_url(url)?
        );
    }
    // With a cluster, a job it cannot finish (a lost executor Ballista
    // cannot replace, a stuck job) must not hang the command.
    let block = |fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = anyhow::Result<ExitStatus>> + '_>,
    >| {
        runtime.block_on(async {
            match &cli.cluster {
                Some(url) => crate::cluster::bounded(url, cli.cluster_timeout, fut).await,
                None => fut.await,
            }
        })
    };
    match &cli.command {
        Some(Command::Sql(args)) => block(Box::pin(sql::run(&cli, args))),
        Some(Command::Generate(args)) => generate::run(&cli, args),
        Some(Command::Validate) => block(Box::pin(validate::run(&cli))),
        Some(Command::Functions(args)) => functions::run(args),
        Some(Command::Serve(args)) => runtime.block_on(serve::run(&cli, args)),
        Some(Command::Passwd(args)) => serve::passwd(args),
        Some(Command::Scheduler(args)) => runtime.block_on(cluster::scheduler(args)),
        Some(Command::Executor(args)) => runtime.block_on(cluster::executor(&cli, args)),
        Some(Command::Report(args)) => block(Box::pin(report::run(&cli, args))),
        Some(Command::Reports) => report::list(&cli),
        Some(Command::Batch(args)) => block(Box::pin(batch::run(&cli, args))),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "kpiql", &mut std::io::stdout());
            Ok(ExitStatus::Success)
        }
        Some(Command::Repl) | None => {
            let (kpiql, catalog, targets) = runtime.block_on(cli.open_for_sql())?;
            let mut shell = crate::repl::Shell::new(kpiql, catalog, targets);
            if let Some(url) = &cli.cluster {
                shell = shell.bounded_by(url, cli.cluster_timeout);
            }
            shell.run(&runtime)?;
            Ok(ExitStatus::Success)
        }
    }
}

/// The format to use when none is given: from the output file's extension,
/// else a table on a terminal and CSV otherwise (pipes and files).
pub fn default_format(out: Option<&std::path::Path>) -> Format {
    match out {
        Some(path) => Format::from_extension(path).unwrap_or(Format::Csv),
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Csv,
    }
}

/// Parses a size like `512M`, `4G`, `1.5GiB` or `1000000` (bytes), in
/// powers of 1024.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!(
            "{text:?} is not a size; expected a number with an optional unit K, M, G or T, e.g. 4G"
        )
    })?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?}; expected K, M, G or T"
            ));
        }
    };
    let bytes = number * (1u64 << shift) as f64;
    if !(1.0..usize::MAX as f64).contains(&bytes) {
        return Err(format!("{text:?} is not a usable size"));
    }
    Ok(bytes as usize)
}

/// Writes text to stdout; a closed pipe surfaces as an `io::Error` that
/// `main` treats as success.
pub fn print(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Checks an `--out` path before any work is done: the result replaces it
/// by a rename, so it must name a regular file or nothing yet. A FIFO or
/// device (`--out /dev/stdout`) would be replaced by a regular file instead
/// of being written to.
pub fn out_file(path: &std::path::Path) -> anyhow::Result<()> {
    if path.as_os_str().is_empty() {
        anyhow::bail!("--out is empty; give a file name");
    }
    // `out/` names a folder even when none exists yet; the rename at the end
    // would fail only after the whole query had run.
    if path.as_os_str().to_string_lossy().ends_with('/') {
        anyhow::bail!(
            "--out {} ends with /, so it names a folder; give a file name",
            path.display()
        );
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            anyhow::bail!("--out {} is a folder; give a file name", path.display())
        }
        Ok(meta) if !meta.is_file() => anyhow::bail!(
            "--out {} is not a regular file (a pipe or device?); the result replaces the \
             file whole, so give a file name, or leave --out out to write to stdout",
            path.display()
        ),
        _ => Ok(()),
    }
}
