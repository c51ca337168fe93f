//! The interactive shell: `kpiql` on a terminal, or `kpiql repl`.
//!
//! A `rustyline` editor of our own rather than datafusion-cli's REPL: that
//! one brings the AWS SDK (and cmake) along, cannot bind report parameters
//! and lists only DataFusion's built-in functions; ours reuses the library's
//! session, reports and documentation, and arrow's pretty printer.
//!
//! Statements end with `;` and may span lines; lines starting with `\` are
//! commands (`\?` lists them). Piped input (not a terminal) runs the same
//! statements and commands in order and stops at the first error.

mod helper;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::{Context as _, bail};
use datafusion::arrow::array::RecordBatch;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::TryStreamExt;
use indicatif::ProgressBar;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use crate::lake::Table;
use crate::output::{Format, write_all};
use crate::reports::{self, Catalog};
use crate::session::Kpiql;
use crate::sql::{execute, split_statements};
pub use helper::{ShellHelper, Words, is_complete};

/// A query still running after this long gets a spinner that says how to
/// cancel it (a quick one never flashes it).
const SPINNER_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// The spinner of a running query, on stderr (hidden when not a terminal).
fn running() -> ProgressBar {
    let spinner = ProgressBar::new_spinner();
    spinner.set_message("running... (Ctrl-C cancels)");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

/// Rows shown for a result on the terminal; `\o FILE` writes them all.
pub const MAX_ROWS: usize = 50;

const HELP: &str = "\
Statements end with ; and may span lines. Commands:
  \\d                 tables and views
  \\d NAME            columns of a table or view, with their meaning
  \\f [NAME]          KPI functions, or one in full
  \\reports           reports and their parameters
  \\r NAME [k=v ...]  run a report (from=DATE to=DATE set the period)
  \\timing            show how long each statement takes (on/off)
  \\format FORMAT     table, csv or json
  \\o [FILE]          send results to FILE (all rows), or back to the screen
  \\i FILE.sql        run the statements of a file
  \\q                 quit (or Ctrl-D); Ctrl-C cancels a running query
  \\?                 this help";

/// Whether to go on after a command.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Continue,
    Quit,
}

/// The shell's state.
pub struct Shell {
    kpiql: Kpiql,
    catalog: Catalog,
    targets: Option<std::sync::Arc<crate::targets::Targets>>,
    format: Format,
    timing: bool,
    out: Option<PathBuf>,
    interactive: bool,
    /// With `--cluster`: its URL and `--cluster-timeout`.
    cluster: Option<(String, std::time::Duration)>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("kpiql", &self.kpiql)
            .field("format", &self.format)
            .finish()
    }
}

/// The history file, in the user's data directory.
pub fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("kpiql").join("history"))
}

impl Shell {
    /// A shell over an open lake.
    pub fn new(
        kpiql: Kpiql,
        catalog: Catalog,
        targets: Option<std::sync::Arc<crate::targets::Targets>>,
    ) -> Shell {
        let interactive = std::io::stdin().is_terminal();
        Shell {
            kpiql,
            catalog,
            targets,
            format: if interactive {
                Format::Table
            } else {
                Format::Csv
            },
            timing: false,
            out: None,
            interactive,
            cluster: None,
        }
    }

    /// Ends each statement the cluster at `url` has not finished within
    /// `timeout` with an error (`--cluster-timeout`), as the commands do.
    pub fn bounded_by(mut self, url: &str, timeout: std::time::Duration) -> Shell {
        self.cluster = Some((url.to_string(), timeout));
        self
    }

    /// Runs the shell: the editor on a terminal, else the statements of
    /// stdin. Returns an error for the first failing statement of piped
    /// input.
    pub fn run(mut self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        if self.interactive {
            self.interactive_loop(runtime)
        } else {
            self.piped(runtime)
        }
    }

    fn prompt(&self) -> (String, String) {
        let lake = self.kpiql.location.display();
        let prompt = format!("kpiql({})> ", shorten(&lake, 30));
        let more = format!("{}> ", " ".repeat(prompt.chars().count().saturating_sub(2)));
        (prompt, more)
    }

    fn interactive_loop(&mut self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        let config = Config::builder()
            .auto_add_history(true)
            .max_history_size(10_000)
            .context("history size")?
            .history_ignore_space(true)
            .bracketed_paste(true)
            .build();
        let words = Arc::new(RwLock::new(Words::default()));
        let mut editor: Editor<ShellHelper, DefaultHistory> =
            Editor::with_config(config).context("cannot start the line editor")?;
        editor.set_helper(Some(ShellHelper {
            words: Arc::clone(&words),
        }));
        let history = history_path();
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A missing history file is the first run, not an error.
            let _ = editor.load_history(path);
        }
        println!(
            "kpiql {} on {}, reports in {} (--time-zone). \\? for help, \\q to quit.",
            env!("CARGO_PKG_VERSION"),
            self.kpiql.location.display(),
            crate::settings::Settings::of(self.kpiql.ctx.state_ref().read().config_options())
                .time_zone
        );
        let (prompt, _) = self.prompt();
        loop {
            self.refresh(&words, runtime);
            match editor.readline(&prompt) {
                Ok(input) => {
                    let next = self.handle(&input, runtime);
                    if let Some(path) = &history {
                        let _ = editor.save_history(path);
                    }
                    match next {
                        Ok(Next::Quit) => break,
                        Ok(Next::Continue) => {}
                        Err(e) => eprintln!("error: {}", crate::output::error_text(&e)),
                    }
                }
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e).context("cannot read the terminal"),
            }
        }
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
        Ok(())
    }

    fn piped(&mut self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        let stdin = std::io::stdin();
        let mut buffer = String::new();
        let mut number = 0;
        for line in stdin.lock().lines() {
            let line = line.context("cannot read stdin")?;
            if buffer.trim().is_empty() && line.trim().is_empty() {
                continue;
            }
            buffer.push_str(&line);
            buffer.push('\n');
            if is_complete(&buffer) {
                number += 1;
                let input = std::mem::take(&mut buffer);
                match self.handle(&input, runtime) {
                    Ok(Next::Quit) => return Ok(()),
                    Ok(Next::Continue) => {}
                    Err(e) => {
                        return Err(e.context(format!("statement {number} of the input")));
                    }
                }
            }
        }
        if !buffer.trim().is_empty() {
            number += 1;
            self.handle(&buffer, runtime)
                .with_context(|| format!("statement {number} of the input"))?;
        }
        Ok(())
    }

    /// Refreshes what completion offers (views may have been created).
    fn refresh(&self, words: &Arc<RwLock<Words>>, runtime: &tokio::runtime::Runtime) {
        let ctx = &self.kpiql.ctx;
        let mut fresh = Words {
            functions: crate::help::documented()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            reports: self.catalog.reports().map(|r| r.name.clone()).collect(),
            ..Words::default()
        };
        if let Some(schema) = ctx.catalog("datafusion").and_then(|c| c.schema("public")) {
            for table in schema.table_names() {
                if let Ok(Some(provider)) = runtime.block_on(schema.table(&table)) {
                    let columns = provider
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect();
                    fresh.columns.insert(table.clone(), columns);
                }
                fresh.tables.push(table);
            }
        }
        if let Ok(mut w) = words.write() {
            *w = fresh;
        }
    }

    fn handle(&mut self, input: &str, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Next> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(Next::Continue);
        }
        if let Some(command) = text.strip_prefix('\\') {
            return self.command(command.trim_end_matches(';').trim(), runtime);
        }
        self.run_sql(text, runtime)?;
        Ok(Next::Continue)
    }

    fn run_sql(&mut self, text: &str, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        for statement in split_statements(text)? {
            let started = Instant::now();
            let ctx = self.kpiql.ctx.clone();
            let work = async move {
                let stream = execute(&ctx, statement.statement).await?;
                match stream {
                    None => Ok(None),
                    Some(stream) => collect(stream).await.map(Some),
                }
            };
            let batches = self.cancellable(runtime, work)?;
            if let Some(batches) = batches {
                self.show(&batches, runtime)?;
            }
            if self.timing {
                println!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1e3);
            }
        }
        Ok(())
    }

    /// Runs `work`; on a terminal, Ctrl-C cancels it (dropping the future
    /// stops DataFusion's tasks).
    fn cancellable<T>(
        &self,
        runtime: &tokio::runtime::Runtime,
        work: impl std::future::Future<Output = Result<T, datafusion::error::DataFusionError>>,
    ) -> anyhow::Result<T> {
        let work = async {
            match &self.cluster {
                Some((url, timeout)) => {
                    crate::cluster::bounded(url, *timeout, async { Ok(work.await?) }).await
                }
                None => Ok(work.await?),
            }
        };
        if !self.interactive {
            return runtime.block_on(work);
        }
        runtime.block_on(async {
            let ctrl_c = tokio::signal::ctrl_c();
            let show = tokio::time::sleep(SPINNER_AFTER);
            tokio::pin!(work, ctrl_c, show);
            let mut spinner: Option<ProgressBar> = None;
            let result = loop {
                tokio::select! {
                    result = &mut work => break result,
                    _ = &mut ctrl_c => break Err(anyhow::anyhow!("query cancelled")),
                    () = &mut show, if spinner.is_none() => spinner = Some(running()),
                }
            };
            if let Some(spinner) = spinner {
                spinner.finish_and_clear();
            }
            result
        })
    }

    fn show(
        &self,
        batches: &[RecordBatch],
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<()> {
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if let Some(path) = &self.out {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            write_batches(runtime, self.format, batches, &mut file)?;
            println!("({rows} rows written to {})", path.display());
            return Ok(());
        }
        let shown = if self.interactive {
            limit(batches, MAX_ROWS)
        } else {
            batches.to_vec()
        };
        let mut stdout = std::io::stdout();
        write_batches(runtime, self.format, &shown, &mut stdout)?;
        if self.interactive && self.format == Format::Table {
            if rows > MAX_ROWS {
                writeln!(
                    stdout,
                    "({rows} rows; showing the first {MAX_ROWS}: \\o FILE writes them all)"
                )?;
            } else {
                writeln!(stdout, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
            }
        }
        Ok(())
    }

    fn command(
        &mut self,
        command: &str,
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<Next> {
        let mut words = command.split_whitespace();
        let name = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        match (name, args.as_slice()) {
            ("q" | "quit", _) => return Ok(Next::Quit),
            ("?" | "h" | "help", _) => println!("{HELP}"),
            ("d", []) => self.describe_all(runtime)?,
            ("d", [table]) => self.describe(table, runtime)?,
            ("f", []) => println!("{}", crate::help::functions_text(None)?),
            ("f", [function]) => println!("{}", crate::help::functions_text(Some(function))?),
            ("reports", []) => println!("{}", crate::help::reports_text(&self.catalog)),
            ("r" | "report", [report, params @ ..]) => self.report(report, params, runtime)?,
            ("timing", []) => {
                self.timing = !self.timing;
                println!("Timing is {}.", if self.timing { "on" } else { "off" });
            }
            ("format", [format]) => {
                self.format = match *format {
                    "table" => Format::Table,
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    other => bail!("unknown format {other:?}; expected table, csv or json"),
                };
            }
            ("o", []) => {
                self.out = None;
                println!("Results go to the screen.");
            }
            ("o", [file]) => {
                self.out = Some(PathBuf::from(file));
                println!("Results go to {file}.");
            }
            ("i", [file]) => {
                let sql =
                    std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
                self.run_sql(&sql, runtime)?;
            }
            _ => bail!("unknown command \\{command}; \\? lists the commands"),
        }
        Ok(Next::Continue)
    }

    fn describe_all(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        let views = reports::views()?;
        let sql = "SELECT table_name AS name, lower(table_type) AS kind FROM information_schema.tables \
                   WHERE table_schema = 'public' ORDER BY table_type, table_name";
        let ctx = self.kpiql.ctx.clone();
        let batches = runtime.block_on(async { ctx.sql(sql).await?.collect().await })?;
        let mut lines = vec![(
            "name".to_string(),
            "kind".to_string(),
            "one row per".to_string(),
        )];
        for batch in &batches {
            let names = crate::output::string_column(batch, 0);
            let kinds = crate::output::string_column(batch, 1);
            for (name, kind) in names.into_iter().zip(kinds) {
                let about = Table::from_name(&name)
                    .map(|t| t.grain().to_string())
                    .or_else(|| {
                        views
                            .iter()
                            .find(|v| v.name == name)
                            .map(|v| v.description.clone())
                    })
                    .unwrap_or_default();
                lines.push((name, kind.replace("base table", "table"), about));
            }
        }
        print_columns(&lines);
        Ok(())
    }

    fn describe(&self, name: &str, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        let ctx = self.kpiql.ctx.clone();
        let owned = name.to_string();
        let provider = runtime
            .block_on(async move { ctx.table_provider(owned.as_str()).await })
            .with_context(|| format!("no table or view named {name:?}; \\d lists them"))?;
        let views = reports::views()?;
        let docs: Vec<(String, String)> = match Table::from_name(name) {
            Some(t) => t
                .column_docs()
                .into_iter()
                .map(|c| (c.name.to_string(), c.meaning.to_string()))
                .collect(),
            None => views
                .iter()
                .find(|v| v.name == name)
                .map(|v| {
                    v.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.meaning.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut lines = vec![(
            "column".to_string(),
            "type".to_string(),
            "meaning".to_string(),
        )];
        for field in provider.schema().fields() {
            let meaning = docs
                .iter()
                .find(|(n, _)| n == field.name())
                .map(|(_, m)| m.clone())
                .unwrap_or_default();
            let null = if field.is_nullable() { "" } else { " not null" };
            lines.push((
                field.name().clone(),
                format!("{}{null}", field.data_type()),
                meaning,
            ));
        }
        print_columns(&lines);
        Ok(())
    }

    fn report(
        &mut self,
        name: &str,
        params: &[&str],
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<()> {
        let report = self.catalog.get(name)?.clone();
        let mut from = None;
        let mut to = None;
        let mut given = Vec::new();
        for p in params {
            let (k, v) = p
                .split_once('=')
                .with_context(|| format!("{p:?} is not name=value"))?;
            match k {
                "from" => from = Some(v.to_string()),
                "to" => to = Some(v.to_string()),
                _ => given.push((k.trim_start_matches('$').to_string(), v.to_string())),
            }
        }
        let ctx = self.kpiql.ctx.clone();
        let targets = self.targets.clone();
        let started = Instant::now();
        let work = async move {
            let values = reports::bind(&ctx, &report, from.as_deref(), to.as_deref(), &given)
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            for warning in reports::check_warnings(&ctx, &report, &values)
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
            {
                eprintln!("warning: report {}: {warning}", report.name);
            }
            let df = reports::plan(&ctx, &report, values, targets.as_deref()).await?;
            collect(df.execute_stream().await?).await
        };
        let batches = self.cancellable(runtime, work)?;
        self.show(&batches, runtime)?;
        if self.timing {
            println!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1e3);
        }
        Ok(())
    }
}

async fn collect(
    stream: SendableRecordBatchStream,
) -> Result<Vec<RecordBatch>, datafusion::error::DataFusionError> {
    let schema = stream.schema();
    let mut batches: Vec<RecordBatch> = stream.try_collect().await?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// `text` in at most `max` characters (not bytes: a path may hold any
/// Unicode), its end kept behind `...`.
fn shorten(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(3);
    let tail: String = text.chars().skip(count - keep).collect();
    format!("...{tail}")
}

/// The first `max` rows.
fn limit(batches: &[RecordBatch], max: usize) -> Vec<RecordBatch> {
    let mut left = max;
    let mut out = Vec::new();
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        out.push(batch.slice(0, take));
        left -= take;
    }
    if out.is_empty()
        && let Some(first) = batches.first()
    {
        out.push(first.slice(0, 0));
    }
    out
}

/// Writes `batches` in `format` with the one writer `kpiql sql` uses too.
fn write_batches(
    runtime: &tokio::runtime::Runtime,
    format: Format,
    batches: &[RecordBatch],
    sink: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let Some(schema) = batches.first().map(RecordBatch::schema) else {
        return Ok(());
    };
    // The stream must own its batches ('static), so they are copied once.
    let owned: Vec<RecordBatch> = batches.to_vec();
    let rows = futures::stream::iter(owned.into_iter().map(Ok));
    let mut stream: SendableRecordBatchStream =
        Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&schema), rows));
    // The shell has no Parquet or HTML (\format offers table, csv and json).
    let format = if matches!(format, Format::Parquet | Format::Html) {
        Format::Table
    } else {
        format
    };
    runtime.block_on(write_all(
        format,
        true,
        schema,
        &mut stream,
        sink,
        "the shell's output",
        None,
    ))?;
    Ok(())
}

fn print_columns(lines: &[(String, String, String)]) {
    let w0 = lines.iter().map(|l| l.0.len()).max().unwrap_or(0);
    let w1 = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    for (a, b, c) in lines {
        println!("{a:w0$}  {b:w1$}  {c}");
    }
}

#[cfg(test)]
mod tests {
    use super::shorten;

    // guards: the prompt cut a long lake path by bytes, inside a character.
    #[test]
    fn a_long_unicode_path_is_shortened_by_characters() {
        let path = "/dane/jeziora/obsługa-klienta/żółć/数据湖/2026-ü";
        let short = shorten(path, 30);
        assert_eq!(short.chars().count(), 30);
        assert_eq!(short, "...uga-klienta/żółć/数据湖/2026-ü");
        assert_eq!(shorten("sample", 30), "sample");
    }
}
