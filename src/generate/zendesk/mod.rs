//! A synthetic Zendesk lake as Fivetran lands it (issue 29): `kpiql
//! generate --source zendesk`.
//!
//! ```text
//! OUT/ticket/part-NNNNN.parquet               OUT/user.parquet
//! OUT/ticket_comment/part-NNNNN.parquet       OUT/group.parquet
//! OUT/ticket_field_history/part-NNNNN.parquet OUT/schedule.parquet
//! OUT/ticket_schedule/part-NNNNN.parquet      OUT/schedule_holiday.parquet
//!                                             OUT/time_zone.parquet
//!                                             OUT/daylight_time.parquet
//! ```
//!
//! Fivetran's column names and types: ids `Int64`, timestamps without a
//! zone (UTC), field-history values as text. Each ticket is simulated from
//! its creation (spread evenly over the months, in id order) as Zendesk
//! records it:
//!
//! - the requester's public description, or, for 8 % of tickets, an
//!   agent's (a third of those after an internal note), the ticket then
//!   pending on the customer;
//! - rounds of an agent's public reply (sometimes after an internal note)
//!   and the customer's answer, with `new`, `open`, `pending` and `hold`
//!   statuses between, until a solve; 5 % of tickets are never answered;
//! - assignee and group changes (12 % move to another group, with a new
//!   assignee and a note);
//! - after a solve, a satisfaction rating offered to half the requesters,
//!   answered `good` or `bad` by half of those (a third with a comment);
//!   12 % are reopened by the customer (a third of those twice); the rest
//!   close four days later;
//! - the schedule: the default (the oldest, Americas) unless the group's
//!   trigger sets EMEA (Warsaw) or APAC (Sydney) a second after creation;
//!   about 2 % get another schedule at an agent's turn before the first
//!   reply;
//! - 0.5 % of solves written twice (a re-sync), 0.5 % of tickets from a
//!   via channel the source does not map (`side_conversation`).
//!
//! Events after the last month's end are not written, so late tickets are
//! still open. Tickets are simulated in chunks, each from its own random
//! stream (seed, chunk), and each chunk is a part file of each table: any
//! number of threads writes the same bytes. The lake is written into a
//! hidden sibling folder and renamed into place at the end.

mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{GenerateError, io_err, publish, staging};
use tables::{GROUPS, SCHEDULES};

/// What to generate.
#[derive(Debug, Clone)]
pub struct ZendeskOptions {
    /// The lake folder to create; must not exist or be an empty folder.
    pub out: PathBuf,
    /// Tickets (at least 1).
    pub tickets: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// First day of the first month.
    pub start: NaiveDate,
    /// Months the tickets are created over.
    pub months: u32,
    /// Worker threads; does not change the output.
    pub threads: usize,
}

/// What was written: rows per table, files, bytes, time.
#[derive(Debug, Clone)]
pub struct ZendeskSummary {
    /// Rows per table, by name.
    pub rows: Vec<(String, u64)>,
    /// Parquet files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Tickets per chunk (a part file of each table).
const CHUNK: u64 = 50_000;
const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Writes a Zendesk lake to `opts.out`.
pub fn generate(opts: &ZendeskOptions) -> Result<ZendeskSummary, GenerateError> {
    let started = Instant::now();
    if opts.tickets == 0 || opts.tickets > super::MAX_ROWS {
        return Err(GenerateError::BadOption {
            option: "rows",
            value: opts.tickets.to_string(),
            expected: "1 to 10000000000 tickets",
        });
    }
    let end = opts
        .start
        .checked_add_months(Months::new(opts.months))
        .filter(|_| opts.months >= 1 && opts.months <= super::MAX_MONTHS)
        .ok_or_else(|| GenerateError::BadOption {
            option: "months",
            value: opts.months.to_string(),
            expected: "1 to 1200 months",
        })?;
    let tmp = staging(&opts.out)?;
    let at = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_micros())
    };
    let world = World {
        seed: opts.seed,
        tickets: opts.tickets,
        start: at(opts.start),
        end: at(end),
        agents: tables::agents(opts.tickets),
        end_users: tables::end_users(opts.tickets),
    };
    for table in BIG {
        let dir = tmp.path().join(table);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    }
    let chunks = opts.tickets.div_ceil(CHUNK);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<Vec<Written>, GenerateError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..opts.threads.clamp(1, chunks as usize))
            .map(|_| {
                scope.spawn(|| {
                    let mut written = Vec::new();
                    loop {
                        let chunk = next.fetch_add(1, Ordering::Relaxed) as u64;
                        if chunk >= chunks {
                            return Ok(written);
                        }
                        written.extend(write_chunk(&world, chunk, tmp.path())?);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .enumerate()
            .map(|(index, w)| {
                w.join()
                    .unwrap_or(Err(GenerateError::WorkerPanicked { index }))
            })
            .collect()
    });
    let mut written = Vec::new();
    for r in results {
        written.extend(r?);
    }
    let synced = world.end;
    let (first, last) = (opts.start.year(), end.year());
    let small = [
        ("user", tables::users(opts.tickets, synced)),
        ("group", tables::groups(synced)),
        ("schedule", tables::schedules(synced)),
        ("schedule_holiday", tables::holidays(first, last, synced)),
        ("time_zone", tables::time_zones(synced)),
        ("daylight_time", tables::daylight(first, last, synced)),
    ];
    for (table, batch) in small {
        let batch = batch.map_err(|source| arrow_error(table, source))?;
        let path = tmp.path().join(format!("{table}.parquet"));
        written.push(write(&path, table, &batch)?);
    }
    let mut rows: Vec<(String, u64)> = Vec::new();
    for w in &written {
        match rows.iter_mut().find(|(t, _)| t == w.table) {
            Some((_, n)) => *n += w.rows,
            None => rows.push((w.table.to_string(), w.rows)),
        }
    }
    publish(tmp, &opts.out)?;
    Ok(ZendeskSummary {
        rows,
        files: written.len(),
        bytes: written.iter().map(|w| w.bytes).sum(),
        elapsed: started.elapsed(),
    })
}

/// The tables written in chunks.
const BIG: [&str; 4] = [
    "ticket",
    "ticket_comment",
    "ticket_field_history",
    "ticket_schedule",
];

fn arrow_error(table: &str, source: datafusion::arrow::error::ArrowError) -> GenerateError {
    GenerateError::Parquet {
        path: PathBuf::from(table),
        source: source.into(),
    }
}

struct Written {
    table: &'static str,
    rows: u64,
    bytes: u64,
}

fn write(path: &Path, table: &'static str, batch: &RecordBatch) -> Result<Written, GenerateError> {
    let file = std::fs::File::create_new(path).map_err(io_err(path))?;
    let props = WriterProperties::builder()
        .set_compression(super::writer::compression())
        .build();
    let parquet = |source| GenerateError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(parquet)?;
    w.write(batch).map_err(parquet)?;
    let file = w.into_inner().map_err(parquet)?;
    file.sync_all().map_err(io_err(path))?;
    Ok(Written {
        table,
        rows: batch.num_rows() as u64,
        bytes: file.metadata().map_err(io_err(path))?.len(),
    })
}

/// What every chunk shares.
struct World {
    seed: u64,
    tickets: u64,
    start: i64,
    end: i64,
    agents: i64,
    end_users: i64,
}

/// Draws for the simulation.
struct Rng(Xoshiro256PlusPlus);

impl Rng {
    fn unit(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn below(&mut self, n: i64) -> i64 {
        (self.unit() * n as f64) as i64 % n.max(1)
    }
    /// An exponential duration with this mean.
    fn exp(&mut self, mean: i64) -> i64 {
        (-(self.unit().ln()) * mean as f64) as i64
    }
    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        // Rounding left over: the last item that can be drawn.
        &items
            .iter()
            .rev()
            .find(|(_, w)| *w > 0.0)
            .unwrap_or(&items[0])
            .0
    }
}

const CHANNELS: [(&str, f64); 10] = [
    ("email", 0.34),
    ("web", 0.24),
    ("chat", 0.12),
    ("voice", 0.10),
    ("native_messaging", 0.08),
    ("api", 0.05),
    ("facebook", 0.03),
    ("twitter", 0.015),
    ("mobile_sdk", 0.01),
    ("side_conversation", 0.005),
];
const PRIORITIES: [(Option<&str>, f64); 5] = [
    (Some("low"), 0.2),
    (Some("normal"), 0.53),
    (Some("high"), 0.18),
    (Some("urgent"), 0.05),
    (None, 0.04),
];
const TYPES: [(&str, f64); 4] = [
    ("question", 0.5),
    ("incident", 0.3),
    ("problem", 0.1),
    ("task", 0.1),
];
const BODIES: [&str; 6] = [
    "Hi, I have a question about my last invoice.",
    "Thanks for getting back to me.",
    "Could you please check this again?",
    "We have updated your account; let us know if this helps.",
    "Internal: checked the logs, escalating to the right queue.",
    "I am still seeing the same problem.",
];

/// Columns of the chunk's tables.
#[derive(Default)]
struct Sink {
    t_id: Vec<i64>,
    t_created: Vec<i64>,
    t_updated: Vec<i64>,
    t_status: Vec<&'static str>,
    t_priority: Vec<Option<&'static str>>,
    t_channel: Vec<&'static str>,
    t_group: Vec<Option<i64>>,
    t_assignee: Vec<Option<i64>>,
    t_requester: Vec<i64>,
    t_submitter: Vec<i64>,
    t_type: Vec<&'static str>,
    c_id: Vec<i64>,
    c_ticket: Vec<i64>,
    c_user: Vec<i64>,
    c_created: Vec<i64>,
    c_public: Vec<bool>,
    c_body: Vec<&'static str>,
    h_ticket: Vec<i64>,
    h_field: Vec<&'static str>,
    h_updated: Vec<i64>,
    h_value: Vec<Option<String>>,
    h_user: Vec<Option<i64>>,
    s_ticket: Vec<i64>,
    s_schedule: Vec<i64>,
    s_created: Vec<i64>,
}

/// One ticket being simulated.
struct Ticket<'a> {
    sink: &'a mut Sink,
    id: i64,
    end: i64,
    comments: i64,
    status: &'static str,
    group: i64,
    assignee: Option<i64>,
    updated: i64,
}

impl Ticket<'_> {
    /// Whether `t` is before the lake's end (nothing later is written).
    fn open(&self, t: i64) -> bool {
        t < self.end
    }
    fn comment(&mut self, user: i64, t: i64, public: bool, body: &'static str) {
        if self.comments >= 99 {
            return;
        }
        self.comments += 1;
        let s = &mut *self.sink;
        s.c_id.push(self.id * 100 + self.comments);
        s.c_ticket.push(self.id);
        s.c_user.push(user);
        s.c_created.push(t);
        s.c_public.push(public);
        s.c_body.push(body);
        self.updated = t;
    }
    fn field(&mut self, field: &'static str, t: i64, value: Option<String>, user: Option<i64>) {
        let s = &mut *self.sink;
        s.h_ticket.push(self.id);
        s.h_field.push(field);
        s.h_updated.push(t);
        s.h_value.push(value);
        s.h_user.push(user);
        self.updated = t;
    }
    fn status(&mut self, status: &'static str, t: i64, user: Option<i64>) {
        if self.status != status {
            self.status = status;
            self.field("status", t, Some(status.to_string()), user);
        }
    }
    fn assign(&mut self, agent: i64, t: i64) {
        if self.assignee != Some(agent) {
            self.assignee = Some(agent);
            self.field("assignee_id", t, Some(agent.to_string()), Some(agent));
        }
    }
}

impl World {
    /// An agent of group `g` (agents are dealt to groups in turn).
    fn agent_of(&self, rng: &mut Rng, g: usize) -> i64 {
        let groups = GROUPS.len() as i64 - 1;
        let per = (self.agents / groups).max(1);
        1 + g as i64 + groups * rng.below(per)
    }
}

/// How long an agent takes to answer, by priority (mean).
fn answer_mean(priority: Option<&str>) -> i64 {
    match priority {
        Some("urgent") => 40 * MINUTE,
        Some("high") => 2 * HOUR,
        Some("low") => 20 * HOUR,
        _ => 7 * HOUR,
    }
}

fn simulate(world: &World, rng: &mut Rng, id: i64, sink: &mut Sink) {
    let span = world.end - world.start;
    let created =
        world.start + (((id - 1) as f64 + rng.unit()) / world.tickets as f64 * span as f64) as i64;
    let created = created.min(world.end - 1);
    let weights: Vec<(usize, f64)> = GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| (i, g.weight))
        .collect();
    let mut g = *rng.pick(&weights);
    let priority = *rng.pick(&PRIORITIES);
    let channel = *rng.pick(&CHANNELS);
    let kind = *rng.pick(&TYPES);
    let requester = tables::END_USERS + rng.below(world.end_users);
    let agent_created = rng.chance(0.08);
    let mut t = Ticket {
        sink,
        id,
        end: world.end,
        comments: 0,
        status: "",
        group: GROUPS[g].id,
        assignee: None,
        updated: created,
    };
    let submitter;
    // The schedule: the group's trigger sets its own a second after
    // creation; the default otherwise.
    if let Some(schedule) = GROUPS[g].schedule {
        let s = &mut *t.sink;
        s.s_ticket.push(id);
        s.s_schedule.push(schedule);
        s.s_created.push(created + SECOND);
    }
    let mut now = created;
    if agent_created {
        let agent = world.agent_of(rng, g);
        submitter = agent;
        t.field("group_id", now, Some(GROUPS[g].id.to_string()), Some(agent));
        if let Some(p) = priority {
            t.field("priority", now, Some(p.to_string()), Some(agent));
        }
        t.assign(agent, now);
        if rng.chance(0.33) {
            t.comment(agent, now, false, BODIES[4]);
        }
        t.comment(agent, now, true, BODIES[3]);
        t.status("pending", now, Some(agent));
    } else {
        submitter = requester;
        t.status("new", now, Some(requester));
        t.field(
            "group_id",
            now,
            Some(GROUPS[g].id.to_string()),
            Some(requester),
        );
        if let Some(p) = priority {
            t.field("priority", now, Some(p.to_string()), Some(requester));
        }
        t.comment(requester, now, true, BODIES[0]);
    }
    let never_answered = !agent_created && rng.chance(0.05);
    let mut replied = agent_created;
    let mut moved = false;
    let mut reopens = 0;
    let mut round = 0;
    'ticket: loop {
        if never_answered {
            break;
        }
        round += 1;
        if t.status == "pending" {
            // Waiting on the customer: an answer, else solved by automation.
            if rng.chance(0.9) {
                now += rng.exp(9 * HOUR) + MINUTE;
                if !t.open(now) {
                    break;
                }
                t.comment(requester, now, true, BODIES[5]);
                t.status("open", now, Some(requester));
            } else {
                now += 4 * DAY;
                if !t.open(now) {
                    break;
                }
                t.status("solved", now, None);
            }
        }
        if t.status != "solved" {
            // An agent's turn, sometimes after the customer adds more.
            now += rng.exp(answer_mean(priority)) + 30 * SECOND;
            if !t.open(now) {
                break;
            }
            if rng.chance(0.45) {
                let at = (now - rng.below(20) * MINUTE - SECOND).max(t.updated + SECOND);
                t.comment(requester, at, true, BODIES[1]);
            }
            let agent = t.assignee.unwrap_or_else(|| world.agent_of(rng, g));
            t.assign(agent, now);
            t.status("open", now, Some(agent));
            if !replied && rng.chance(0.02) {
                // A trigger gives another schedule at the first reply.
                let other = SCHEDULES[(1 + rng.below(2)) as usize].id;
                let s = &mut *t.sink;
                s.s_ticket.push(id);
                s.s_schedule.push(other);
                s.s_created.push(now);
            }
            if rng.chance(0.45) {
                t.comment(agent, now, false, BODIES[4]);
                now += rng.exp(10 * MINUTE) + SECOND;
                if !t.open(now) {
                    break;
                }
            }
            if !moved && rng.chance(0.12) {
                // Handed to another group: a note, a new group and assignee.
                moved = true;
                t.comment(agent, now, false, BODIES[4]);
                now += rng.exp(20 * MINUTE) + SECOND;
                if !t.open(now) {
                    break;
                }
                g = (g + 1 + rng.below(GROUPS.len() as i64 - 2) as usize) % (GROUPS.len() - 1);
                t.group = GROUPS[g].id;
                t.field("group_id", now, Some(GROUPS[g].id.to_string()), Some(agent));
                let next = world.agent_of(rng, g);
                t.assign(next, now);
                continue 'ticket;
            }
            t.comment(agent, now, true, BODIES[3]);
            replied = true;
            let solve = if round == 1 { 0.3 } else { 0.42 };
            if rng.chance(solve) {
                t.status("solved", now, Some(agent));
                if rng.chance(0.005) {
                    t.field("status", now, Some("solved".to_string()), Some(agent));
                }
            } else if rng.chance(0.12) {
                t.status("hold", now, Some(agent));
                now += rng.exp(6 * HOUR) + MINUTE;
                if !t.open(now) {
                    break;
                }
                t.status("open", now, Some(agent));
                continue 'ticket;
            } else {
                t.status("pending", now, Some(agent));
                continue 'ticket;
            }
        }
        // Solved: a rating perhaps, a reopen or the close.
        let solved_at = now;
        if rng.chance(0.5) {
            let offered = solved_at + HOUR;
            if !t.open(offered) {
                break;
            }
            t.field("satisfaction_score", offered, Some("offered".into()), None);
            if rng.chance(0.5) {
                let answered = offered + rng.exp(12 * HOUR) + MINUTE;
                if !t.open(answered) {
                    break;
                }
                let good = rng.chance(if reopens > 0 { 0.55 } else { 0.82 });
                let score = if good { "good" } else { "bad" };
                t.field(
                    "satisfaction_score",
                    answered,
                    Some(score.into()),
                    Some(requester),
                );
                if rng.chance(0.33) {
                    let text = if good {
                        "Quick and helpful, thank you"
                    } else {
                        "It took too long"
                    };
                    t.field(
                        "satisfaction_comment",
                        answered,
                        Some(text.into()),
                        Some(requester),
                    );
                }
                now = answered;
            }
        }
        let reopen = rng.chance(if reopens == 0 { 0.12 } else { 0.33 }) && reopens < 2;
        if reopen {
            let back = solved_at + rng.exp(DAY) + MINUTE;
            if back < solved_at + 4 * DAY {
                now = now.max(back);
                if !t.open(now) {
                    break;
                }
                reopens += 1;
                t.comment(requester, now, true, BODIES[5]);
                t.status("open", now, Some(requester));
                continue 'ticket;
            }
        }
        let close = now.max(solved_at + 4 * DAY);
        if t.open(close) {
            t.status("closed", close, None);
        }
        break;
    }
    if never_answered && rng.chance(0.5) && t.open(created + 2 * HOUR) {
        // Seen by an agent and left open.
        t.status("open", created + 2 * HOUR, None);
    }
    let (status, group, assignee, updated) = (t.status, t.group, t.assignee, t.updated);
    let s = t.sink;
    s.t_id.push(id);
    s.t_created.push(created);
    s.t_updated.push(updated);
    s.t_status.push(status);
    s.t_priority.push(priority);
    s.t_channel.push(channel);
    s.t_group.push(Some(group));
    s.t_assignee.push(assignee);
    s.t_requester.push(requester);
    s.t_submitter.push(submitter);
    s.t_type.push(kind);
}

fn write_chunk(world: &World, chunk: u64, dir: &Path) -> Result<Vec<Written>, GenerateError> {
    let mut state = world.seed ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let seed = super::rng::splitmix64(&mut state);
    let mut rng = Rng(Xoshiro256PlusPlus::seed_from_u64(seed));
    let mut sink = Sink::default();
    let first = chunk * CHUNK + 1;
    let last = ((chunk + 1) * CHUNK).min(world.tickets);
    for id in first..=last {
        simulate(world, &mut rng, id as i64, &mut sink);
    }
    let ts = |v: Vec<i64>| Arc::new(TimestampMicrosecondArray::from(v)) as ArrayRef;
    let n = sink.t_id.len();
    let synced = world.end;
    let ticket = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(sink.t_id)) as ArrayRef),
        ("created_at", ts(sink.t_created)),
        ("updated_at", ts(sink.t_updated)),
        ("type", Arc::new(StringArray::from(sink.t_type))),
        (
            "subject",
            Arc::new(StringArray::from(vec!["Help needed"; n])),
        ),
        ("status", Arc::new(StringArray::from(sink.t_status))),
        ("priority", Arc::new(StringArray::from(sink.t_priority))),
        ("via_channel", Arc::new(StringArray::from(sink.t_channel))),
        ("group_id", Arc::new(Int64Array::from(sink.t_group))),
        ("assignee_id", Arc::new(Int64Array::from(sink.t_assignee))),
        ("requester_id", Arc::new(Int64Array::from(sink.t_requester))),
        ("submitter_id", Arc::new(Int64Array::from(sink.t_submitter))),
        (
            "organization_id",
            Arc::new(Int64Array::from(vec![None::<i64>; n])),
        ),
        (
            "brand_id",
            Arc::new(Int64Array::from(vec![Some(360_000_900_001); n])),
        ),
        (
            "_fivetran_deleted",
            Arc::new(BooleanArray::from(vec![false; n])),
        ),
        ("_fivetran_synced", ts(vec![synced; n])),
    ]);
    let c = sink.c_id.len();
    let comment = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(sink.c_id)) as ArrayRef),
        ("ticket_id", Arc::new(Int64Array::from(sink.c_ticket))),
        ("user_id", Arc::new(Int64Array::from(sink.c_user))),
        ("created", ts(sink.c_created)),
        ("public", Arc::new(BooleanArray::from(sink.c_public))),
        ("body", Arc::new(StringArray::from(sink.c_body))),
        ("_fivetran_synced", ts(vec![synced; c])),
    ]);
    let h = sink.h_ticket.len();
    let history = RecordBatch::try_from_iter([
        (
            "ticket_id",
            Arc::new(Int64Array::from(sink.h_ticket)) as ArrayRef,
        ),
        ("field_name", Arc::new(StringArray::from(sink.h_field))),
        ("updated", ts(sink.h_updated)),
        ("value", Arc::new(StringArray::from(sink.h_value))),
        ("user_id", Arc::new(Int64Array::from(sink.h_user))),
        ("_fivetran_synced", ts(vec![synced; h])),
    ]);
    let s = sink.s_ticket.len();
    let schedule = RecordBatch::try_from_iter([
        (
            "ticket_id",
            Arc::new(Int64Array::from(sink.s_ticket)) as ArrayRef,
        ),
        ("schedule_id", Arc::new(Int64Array::from(sink.s_schedule))),
        ("created_at", ts(sink.s_created)),
        ("_fivetran_synced", ts(vec![synced; s])),
    ]);
    let mut out = Vec::new();
    for (table, batch) in BIG.into_iter().zip([ticket, comment, history, schedule]) {
        let batch = batch.map_err(|source| arrow_error(table, source))?;
        let path = dir.join(table).join(format!("part-{chunk:05}.parquet"));
        out.push(write(&path, table, &batch)?);
    }
    Ok(out)
}
