//! The synthetic support lake: `kpiql generate`.
//!
//! [`generate`] writes a lake that follows the contract of DESIGN §1:
//!
//! ```text
//! OUT/interactions/month=YYYY-MM/part-NNNNN.parquet
//! OUT/surveys/month=YYYY-MM/part-NNNNN.parquet
//! OUT/agent_states/month=YYYY-MM/part-NNNNN.parquet
//! OUT/costs.parquet
//! ```
//!
//! The three big tables use hive-style month folders (a new part file every
//! ~4M rows); `costs` is a single file, so a generated lake exercises both
//! layouts the contract allows.
//!
//! Output is a pure function of the options except `threads`: each month has
//! its own random streams (seeded from `seed` and the month index), its share
//! of `rows` and its global id offsets are computed up front, and months are
//! written to their own files, so any number of threads produces the same
//! bytes. Rows are generated and written in chunks, so memory does not grow
//! with `rows`; the per-month state is one handle total per agent-day.
//!
//! The lake is written into a hidden sibling folder and renamed to `OUT` at
//! the end: `OUT` either does not appear or is complete. An existing
//! non-empty `OUT` is never touched.
//!
//! The shape of the data (teams, channels, rates, score distributions) lives
//! in `profile.rs`; to add a team or a channel, add a row there. The rest, a
//! file per thing:
//!
//! - `plan.rs`: the months of a run and each one's share of the rows;
//! - `world.rs`: what all months share, the customers and agents (roster);
//! - `month.rs`: one month, in this order: `contacts.rs` (interactions and
//!   the transactional surveys drawn with them), `surveys.rs` (writing those
//!   plus the relationship answers), `agent_states.rs` (shifts from the
//!   handle time the contacts booked);
//! - `costs.rs`: the `costs` table, after the months;
//! - `rng.rs` the random streams, `columns.rs` the Arrow batches,
//!   `writer.rs` the Parquet files.
//!
//! A month draws from one random stream per purpose (`rng::Stream`): a
//! draw added to one stream (say, for a new contact column) changes every
//! later value of that stream but leaves the other streams' rows as they were.

mod agent_states;
mod agent_surveys;
mod calendars;
mod columns;
mod contacts;
mod costs;
mod customers;
mod kb;
mod month;
mod plan;
mod profile;
mod rng;
mod surveys;
mod world;
mod writer;
pub mod zendesk;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::errors::ParquetError;

use crate::lake::schema::Table;
use month::MonthOutput;
use plan::MonthPlan;
use world::World;

/// Largest `rows` (ten billion): far beyond any useful test lake, and it
/// bounds the per-month agent-day state (about 1 byte per interaction).
pub const MAX_ROWS: u64 = 10_000_000_000;
/// Largest `months` (a century).
pub const MAX_MONTHS: u32 = 1200;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// The lake folder to create; must not exist or be an empty folder.
    pub out: PathBuf,
    /// Total interactions over all months (at least 1).
    pub rows: u64,
    /// Seed of every random choice: same options, same bytes.
    pub seed: u64,
    /// First day of the first month.
    pub start: NaiveDate,
    /// Number of months (at least 1).
    pub months: u32,
    /// Worker threads (at least 1); does not change the output.
    pub threads: usize,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    /// Rows per table.
    pub rows: BTreeMap<Table, u64>,
    /// Parquet files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Why [`generate`] failed. Nothing is left at `out` or next to it.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// An option is outside its domain.
    #[error("invalid {option} {value:?}: expected {expected}")]
    BadOption {
        option: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The output folder already exists with content (or is not a folder).
    #[error(
        "output {} already exists and is not an empty folder; \
         choose a new path (the generator never overwrites)",
        path.display()
    )]
    OutExists { path: PathBuf },
    /// A file system operation failed.
    #[error("I/O error on {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing a Parquet file failed.
    #[error("cannot write Parquet file {}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: ParquetError,
    },
    /// Assembling an Arrow batch failed (a bug in the generator).
    #[error("cannot build an Arrow batch for table {table}")]
    Arrow {
        table: Table,
        #[source]
        source: ArrowError,
    },
    /// A worker thread could not be started.
    #[error("cannot start generator thread {index}")]
    Thread {
        index: usize,
        #[source]
        source: std::io::Error,
    },
    /// A worker thread panicked (a bug in the generator).
    #[error("generator thread {index} panicked")]
    WorkerPanicked { index: usize },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An Arrow error while building a batch of `table` (a bug in the generator).
fn arrow_err(table: Table) -> impl FnOnce(ArrowError) -> GenerateError {
    move |source| GenerateError::Arrow { table, source }
}

/// Writes a synthetic lake to `opts.out`.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    let started = Instant::now();
    let plans = validate(opts)?;
    // Dropping `tmp` on any early return removes the partial lake.
    let tmp = staging(&opts.out)?;

    let world = World::new(opts.seed, opts.rows, &plans, writer::compression());
    let outputs = run_months(&world, &plans, tmp.path(), opts.threads)?;

    let costs_path = tmp.path().join("costs.parquet");
    let costs = costs::cost_batch(&world, &plans).map_err(arrow_err(Table::Costs))?;
    let props = writer::properties(Table::Costs, world.compression);
    let mut w = writer::open(&costs_path, Table::Costs, &props)?;
    w.write(&costs).map_err(|source| GenerateError::Parquet {
        path: costs_path.clone(),
        source,
    })?;
    let mut costs_bytes = writer::close(w, &costs_path)?;
    let mut small_rows = Vec::new();
    let mut small = calendars::batches(&plans)
        .map_err(arrow_err(Table::BusinessHours))?
        .to_vec();
    small.push((
        Table::AgentSurveys,
        agent_surveys::batch(&world, &plans).map_err(arrow_err(Table::AgentSurveys))?,
    ));
    small.push((
        Table::Customers,
        customers::batch(&world, &plans).map_err(arrow_err(Table::Customers))?,
    ));
    small.push((
        Table::KbArticles,
        kb::articles().map_err(arrow_err(Table::KbArticles))?,
    ));
    let kb_views = kb::write_views(&world, &plans, tmp.path())?;
    for (table, batch) in small {
        let path = tmp.path().join(format!("{}.parquet", table.name()));
        let props = writer::properties(table, world.compression);
        let mut w = writer::open(&path, table, &props)?;
        w.write(&batch).map_err(|source| GenerateError::Parquet {
            path: path.clone(),
            source,
        })?;
        costs_bytes += writer::close(w, &path)?;
        small_rows.push((table, batch.num_rows() as u64));
    }

    let mut totals = [writer::Written::default(); 3];
    for o in &outputs {
        totals[0].add(o.interactions);
        totals[1].add(o.surveys);
        totals[2].add(o.agent_states);
    }
    let rows = BTreeMap::from([
        (Table::Interactions, totals[0].rows),
        (Table::Surveys, totals[1].rows),
        (Table::AgentStates, totals[2].rows),
        (Table::Costs, costs.num_rows() as u64),
    ]);
    let mut rows = rows;
    rows.extend(small_rows);
    rows.insert(Table::KbViews, kb_views.rows);
    let files = totals.iter().map(|t| t.files).sum::<usize>() + 7 + kb_views.files;
    let bytes = totals.iter().map(|t| t.bytes).sum::<u64>() + costs_bytes + kb_views.bytes;

    publish(tmp, &opts.out)?;
    let summary = GenerateSummary {
        rows,
        files,
        bytes,
        elapsed: started.elapsed(),
    };
    log::info!(
        "generated {} ({} files, {} bytes) in {:?}",
        opts.out.display(),
        summary.files,
        summary.bytes,
        summary.elapsed
    );
    Ok(summary)
}

/// Checks the options and plans the months.
fn validate(opts: &GenerateOptions) -> Result<Vec<MonthPlan>, GenerateError> {
    if !(1..=MAX_ROWS).contains(&opts.rows) {
        return Err(GenerateError::BadOption {
            option: "rows",
            value: opts.rows.to_string(),
            expected: "a number of interactions from 1 to 10000000000",
        });
    }
    if !(1..=MAX_MONTHS).contains(&opts.months) {
        return Err(GenerateError::BadOption {
            option: "months",
            value: opts.months.to_string(),
            expected: "a number of months from 1 to 1200",
        });
    }
    if opts.start.day() != 1 || !(1000..=9999).contains(&opts.start.year()) {
        return Err(GenerateError::BadOption {
            option: "start",
            value: opts.start.to_string(),
            expected: "the first day of a month (YYYY-MM-01) in the years 1000 to 9999",
        });
    }
    if opts.threads == 0 {
        return Err(GenerateError::BadOption {
            option: "threads",
            value: opts.threads.to_string(),
            expected: "at least 1 thread",
        });
    }
    plan::plan_months(opts.start, opts.months, opts.rows)
        .filter(|plans| plans.last().is_some_and(|p| p.first_day.year() <= 9999))
        .ok_or_else(|| GenerateError::BadOption {
            option: "months",
            value: opts.months.to_string(),
            expected: "a number of months that ends before the year 10000",
        })
}

/// `out` must not exist, or be an empty folder (not a link to one).
/// The hidden sibling folder a lake is written into before [`publish`]
/// renames it to `out` (which must be new or an empty folder).
fn staging(out: &Path) -> Result<tempfile::TempDir, GenerateError> {
    let name = out.file_name().ok_or_else(|| GenerateError::BadOption {
        option: "out",
        value: out.display().to_string(),
        expected: "a path that ends in a folder name",
    })?;
    check_out(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    tempfile::Builder::new()
        .prefix(&format!(".{}.generating-", name.to_string_lossy()))
        .tempdir_in(&parent)
        .map_err(io_err(&parent))
}

fn check_out(out: &Path) -> Result<(), GenerateError> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(GenerateError::Io {
            path: out.to_path_buf(),
            source,
        }),
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(out).map_err(io_err(out))?;
            if entries.next().is_none() {
                Ok(())
            } else {
                Err(GenerateError::OutExists {
                    path: out.to_path_buf(),
                })
            }
        }
        Ok(_) => Err(GenerateError::OutExists {
            path: out.to_path_buf(),
        }),
    }
}

/// Moves the finished lake from `tmp` to `out` in one rename.
fn publish(tmp: tempfile::TempDir, out: &Path) -> Result<(), GenerateError> {
    check_out(out)?;
    if let Err(first) = std::fs::rename(tmp.path(), out) {
        // Some platforms do not rename onto an empty folder: remove it (it
        // was checked empty just above) and try once more.
        if out.is_dir() {
            std::fs::remove_dir(out).map_err(io_err(out))?;
            std::fs::rename(tmp.path(), out).map_err(io_err(out))?;
        } else {
            return Err(GenerateError::Io {
                path: out.to_path_buf(),
                source: first,
            });
        }
    }
    // The folder now lives at `out`; nothing is left to clean up.
    let _ = tmp.keep();
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        // Best effort: make the rename durable where folders can be synced.
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Generates every month on `threads` workers that take the next month from
/// a shared counter; returns the outputs in month order.
fn run_months(
    world: &World,
    plans: &[MonthPlan],
    root: &Path,
    threads: usize,
) -> Result<Vec<MonthOutput>, GenerateError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let threads = threads.min(plans.len()).max(1);
    type Done = Vec<(usize, MonthOutput)>;
    let work = || -> Result<Done, (usize, GenerateError)> {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(plan) = plans.get(i) else { break };
            match month::run_month(world, plan, root) {
                Ok(out) => {
                    log::debug!(
                        "month {} done: {} interactions",
                        plan.folder(),
                        out.interactions.rows
                    );
                    done.push((i, out));
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err((i, e));
                }
            }
        }
        Ok(done)
    };
    let results: Vec<Result<Done, (usize, GenerateError)>> = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        let mut results = Vec::with_capacity(threads);
        for index in 0..threads {
            match std::thread::Builder::new()
                .name(format!("kpiql-gen-{index}"))
                .spawn_scoped(s, work)
            {
                Ok(h) => handles.push((index, h)),
                Err(source) => {
                    failed.store(true, Ordering::Relaxed);
                    results.push(Err((0, GenerateError::Thread { index, source })));
                    break;
                }
            }
        }
        for (index, h) in handles {
            results.push(
                h.join()
                    .unwrap_or_else(|_| Err((0, GenerateError::WorkerPanicked { index }))),
            );
        }
        results
    });

    let mut slots: Vec<Option<MonthOutput>> = vec![None; plans.len()];
    let mut first_error: Option<(usize, GenerateError)> = None;
    for r in results {
        match r {
            Ok(done) => {
                for (i, out) in done {
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(out);
                    }
                }
            }
            // Report the error of the earliest month, whatever the timing.
            Err((i, e)) => {
                if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_error = Some((i, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    Ok(slots.into_iter().flatten().collect())
}
