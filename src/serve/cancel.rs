//! Stopping a query: a client's cancel request (psql's Ctrl-C),
//! `statement_timeout`, and a client that goes away.
//!
//! pgwire answers a cancel only while a query is being planned; kpiql's
//! results are streamed, so most of a query's work happens after that.
//! Each connection has a [`Cancel`]: a cancel request bumps its generation,
//! and every query started before that stops — while planning
//! ([`Run::bounded`]) and while its rows stream ([`Run::rows`]), where
//! dropping the stream drops DataFusion's tasks. The same guard ends a
//! query at its deadline. A client that hangs up is noticed by
//! [`super::gone`], which drops its connection and with it the stream.
//! A result whose client has not asked for its next row for
//! `--idle-timeout` (a suspended portal, rows pgwire cannot write) is
//! closed by [`Cancel::close_idle_results`], which frees its query.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use datafusion_postgres::pgwire;
use futures::StreamExt;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::results::{Response, SendableRowStream};
use pgwire::api::{ClientInfo, PidSecretKeyGenerator, RandomPidSecretKeyGenerator};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use tokio::sync::watch;
use tokio::time::Instant;

/// The client metadata key of the client's own `statement_timeout` in
/// milliseconds, 0 for none (written by the read-only hook).
pub const TIMEOUT_KEY: &str = "kpiql.statement_timeout_ms";

/// Milliseconds of a duration written as PostgreSQL writes
/// `statement_timeout`: a number of milliseconds, or with a unit `ms`,
/// `s`, `min` or `h`. `None` when it is not one.
pub fn duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    Some(match unit.trim() {
        "" | "ms" => n,
        "s" => n.saturating_mul(1000),
        "min" => n.saturating_mul(60_000),
        "h" => n.saturating_mul(3_600_000),
        _ => return None,
    })
}

/// One connection's cancel switch.
#[derive(Debug)]
pub struct Cancel {
    generation: watch::Sender<u64>,
    /// The server-wide default `statement_timeout`.
    default_timeout: Option<Duration>,
    /// The connection's results that have not ended.
    results: Arc<Results>,
}

/// The unfinished results of one connection, for closing the ones their
/// client stopped fetching from.
#[derive(Debug, Default)]
struct Results {
    live: Mutex<Vec<Weak<Slot>>>,
}

/// One result's rows, and since when they wait for the client.
struct Slot {
    /// `None` once closed for idleness.
    rows: tokio::sync::Mutex<Option<Feed>>,
    /// Set when a row was handed out, cleared when the next is asked for.
    waiting_since: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

impl Slot {
    fn waiting(&self, since: Option<Instant>) {
        *self.waiting_since.lock().unwrap_or_else(|e| e.into_inner()) = since;
    }
}

impl Cancel {
    pub fn new(default_timeout: Option<Duration>) -> Cancel {
        Cancel {
            generation: watch::Sender::new(0),
            default_timeout,
            results: Arc::default(),
        }
    }

    /// Runs as long as the connection: closes every result whose client
    /// has not asked for its next row for `idle` (a suspended portal not
    /// fetched from), dropping its query; the next fetch gets an error.
    /// A result still computing its next row is not idle.
    pub async fn close_idle_results(&self, idle: Duration) {
        let tick = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        loop {
            tokio::time::sleep(tick).await;
            let slots: Vec<Arc<Slot>> = {
                let mut live = self.results.live.lock().unwrap_or_else(|e| e.into_inner());
                live.retain(|s| s.strong_count() > 0);
                live.iter().filter_map(Weak::upgrade).collect()
            };
            for slot in slots {
                let since = *slot.waiting_since.lock().unwrap_or_else(|e| e.into_inner());
                if since.is_some_and(|t| t.elapsed() >= idle)
                    && let Ok(mut rows) = slot.rows.try_lock()
                    && rows.take().is_some()
                {
                    log::warn!(
                        "a result was not fetched from for {idle:?} (--idle-timeout): closed, \
                         its query freed"
                    );
                }
            }
        }
    }

    /// The server-wide default `statement_timeout`.
    pub fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    /// Stops every query running now.
    pub fn cancel(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// A query starting now: stopped by a later cancel or its deadline.
    pub fn run(&self, client: &impl ClientInfo) -> Run {
        let mut cancelled = self.generation.subscribe();
        cancelled.borrow_and_update();
        let timeout = match client.metadata().get(TIMEOUT_KEY) {
            Some(ms) => ms
                .parse()
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
            None => self.default_timeout,
        };
        Run {
            cancelled,
            deadline: timeout.map(|t| Instant::now() + t),
            results: Arc::clone(&self.results),
        }
    }
}

/// The guard of one query.
#[derive(Debug, Clone)]
pub struct Run {
    cancelled: watch::Receiver<u64>,
    deadline: Option<Instant>,
    results: Arc<Results>,
}

fn canceled() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57014".into(),
        "canceling statement due to user request".into(),
    )))
}

fn closed_for_idleness() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57P05".into(),
        "this result was closed: it was not fetched from for --idle-timeout".into(),
    )))
}

fn timed_out() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57014".into(),
        "canceling statement due to statement timeout".into(),
    )))
}

impl Run {
    /// Resolves with the error that stops the query.
    async fn stopped(&mut self) -> PgWireError {
        let deadline = self.deadline;
        let expiry = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // A closed sender (the connection is gone) also ends the query.
            _ = self.cancelled.changed() => canceled(),
            () = expiry => timed_out(),
        }
    }

    /// `work` (planning, and the start of execution), unless stopped first.
    pub async fn bounded<T>(&self, work: impl Future<Output = PgWireResult<T>>) -> PgWireResult<T> {
        let mut run = self.clone();
        tokio::select! {
            result = work => result,
            error = run.stopped() => Err(error),
        }
    }

    /// The rows of `response`, ending with the stop's error if stopped.
    pub fn rows(&self, response: Response) -> Response {
        match response {
            Response::Query(mut query) => {
                let rows =
                    std::mem::replace(&mut query.data_rows, Box::pin(futures::stream::empty()));
                query.data_rows = guard(rows, self.clone());
                Response::Query(query)
            }
            other => other,
        }
    }
}

/// Logs a result dropped before its end: the client went away, closed its
/// cursor, or the query was stopped. Dropping it dropped the query.
#[derive(Debug, Default)]
struct Unfinished {
    finished: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.finished {
            log::info!("a result was dropped before its end; its query is freed");
        }
    }
}

/// What one step of a guarded result gives.
enum Step {
    Row(PgWireResult<pgwire::messages::data::DataRow>),
    Stopped(PgWireError),
    End,
}

/// The rows of one result, computed one ahead of the client by a task of
/// their own; dropping the feed aborts that task, and with it the query.
struct Feed {
    rows: tokio::sync::mpsc::Receiver<PgWireResult<pgwire::messages::data::DataRow>>,
    /// `None` once joined.
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Feed {
    fn start(mut rows: SendableRowStream) -> Feed {
        let (send, receive) = tokio::sync::mpsc::channel(1);
        let task = tokio::spawn(async move {
            while let Some(row) = rows.next().await {
                if send.send(row).await.is_err() {
                    break;
                }
            }
        });
        Feed {
            rows: receive,
            task: Some(task),
        }
    }

    /// The next row; `None` at the end. A task that died (a panic in the
    /// query) is an error, never a short result.
    async fn next(&mut self) -> Option<PgWireResult<pgwire::messages::data::DataRow>> {
        if let Some(row) = self.rows.recv().await {
            return Some(row);
        }
        match self.task.take()?.await {
            Ok(()) => None,
            Err(e) => Some(Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "XX000".into(),
                format!("the query's task ended abnormally: {e}"),
            ))))),
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn guard(rows: SendableRowStream, run: Run) -> SendableRowStream {
    let slot = Arc::new(Slot {
        rows: tokio::sync::Mutex::new(Some(Feed::start(rows))),
        waiting_since: Mutex::new(None),
    });
    run.results
        .live
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Arc::downgrade(&slot));
    Box::pin(futures::stream::unfold(
        Some((slot, run, Unfinished::default())),
        |state| async move {
            let (slot, mut run, mut unfinished) = state?;
            slot.waiting(None);
            let step = {
                let mut rows = slot.rows.lock().await;
                match rows.as_mut() {
                    None => Step::Stopped(closed_for_idleness()),
                    Some(rows) => tokio::select! {
                        biased;
                        error = run.stopped() => Step::Stopped(error),
                        row = rows.next() => row.map_or(Step::End, Step::Row),
                    },
                }
            };
            match step {
                Step::Row(row) => {
                    slot.waiting(Some(Instant::now()));
                    Some((row, Some((slot, run, unfinished))))
                }
                Step::Stopped(error) => Some((Err(error), None)),
                Step::End => {
                    unfinished.finished = true;
                    None
                }
            }
        },
    ))
}

/// The connections that may be cancelled, by process id and secret key.
#[derive(Debug, Default)]
pub struct Registry {
    keys: RandomPidSecretKeyGenerator,
    live: Mutex<HashMap<i32, (SecretKey, Weak<Cancel>)>>,
}

impl Registry {
    /// Gives a logged-in `client` its process id and secret key (sent in
    /// BackendKeyData) and files `cancel` under them.
    pub fn start(&self, client: &mut impl ClientInfo, cancel: &Arc<Cancel>) {
        let (pid, key) = self.keys.generate(&*client);
        client.set_pid_and_secret_key(pid, key.clone());
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|_, (_, c)| c.strong_count() > 0);
        live.insert(pid, (key, Arc::downgrade(cancel)));
    }
}

#[async_trait::async_trait]
impl CancelHandler for Registry {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let target = {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.get(&request.pid)
                .filter(|(key, _)| key.eq_value(&request.secret_key))
                .and_then(|(_, c)| c.upgrade())
        };
        match target {
            Some(cancel) => {
                log::info!("cancel request for connection {}", request.pid);
                cancel.cancel();
            }
            None => log::warn!("cancel request for unknown connection {}", request.pid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgwire::messages::data::DataRow;

    fn row() -> PgWireResult<DataRow> {
        Ok(DataRow::new(Default::default(), 0))
    }

    fn run_until(deadline: Option<Duration>) -> (Run, watch::Sender<u64>) {
        let generation = watch::Sender::new(0);
        let run = Run {
            cancelled: generation.subscribe(),
            deadline: deadline.map(|d| Instant::now() + d),
            results: Arc::default(),
        };
        (run, generation)
    }

    fn sqlstate(result: &PgWireResult<DataRow>) -> String {
        match result {
            Err(PgWireError::UserError(info)) => format!("{} {}", info.code, info.message),
            other => format!("{other:?}"),
        }
    }

    /// A query step that never yields until the test releases it (a
    /// `count(*)` over a join is one such step), and the signal that it
    /// has started. It is released after 5 s whatever happens, so that
    /// code which waits for the step fails the test instead of hanging.
    fn one_long_step() -> (
        impl futures::Stream<Item = PgWireResult<DataRow>> + Send + 'static,
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (started, has_started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let backstop = release.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(5));
            backstop.send(()).ok();
        });
        let step = futures::stream::once(async move {
            started.send(()).expect("the test waits");
            released.recv().ok();
            row()
        });
        (step, has_started, release)
    }

    /// A step that computes without yielding still ends at a 100 ms
    /// deadline: the client gets the timeout while the step runs, not the
    /// row after it. Polling the rows in the connection's own task gave
    /// the row (CI, 2026-12-03).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deadline_ends_a_query_inside_one_long_step() {
        let (step, _started, release) = one_long_step();
        let (run, _generation) = run_until(Some(Duration::from_millis(100)));
        let mut rows = guard(Box::pin(step), run);
        let first = rows.next().await.expect("an item");
        assert_eq!(
            sqlstate(&first),
            "57014 canceling statement due to statement timeout"
        );
        assert!(rows.next().await.is_none(), "nothing after the error");
        release.send(()).ok();
    }

    /// A cancel sent while the step runs does the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancel_ends_a_query_inside_one_long_step() {
        let (step, started, release) = one_long_step();
        let (run, generation) = run_until(None);
        let mut rows = guard(Box::pin(step), run);
        let next = tokio::spawn(async move { rows.next().await });
        tokio::task::spawn_blocking(move || started.recv())
            .await
            .expect("task")
            .expect("the step started");
        generation.send_modify(|g| *g += 1);
        let first = next.await.expect("task").expect("an item");
        assert_eq!(
            sqlstate(&first),
            "57014 canceling statement due to user request"
        );
        release.send(()).ok();
    }

    /// Every row arrives, in order, then the end; a query whose task
    /// panics ends in an error, never in a short result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_arrive_whole_and_a_panic_is_an_error() {
        let three = futures::stream::iter((0..3).map(|i| Ok(DataRow::new(Default::default(), i))));
        let (run, _generation) = run_until(None);
        let counts: Vec<i16> = guard(Box::pin(three), run)
            .map(|r| r.expect("row").field_count)
            .collect()
            .await;
        assert_eq!(counts, [0, 1, 2]);

        let dies = futures::stream::iter([0, 1]).map(|i| {
            assert!(i == 0, "the query panics on its second row");
            row()
        });
        let (run, _generation) = run_until(None);
        let out: Vec<PgWireResult<DataRow>> = guard(Box::pin(dies), run).collect().await;
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].is_ok());
        assert!(
            sqlstate(&out[1]).starts_with("XX000 the query's task ended abnormally"),
            "{}",
            sqlstate(&out[1])
        );
    }
}
