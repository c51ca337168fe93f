//! Tests of the generator: determinism, the lake contract, safety of `out`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

fn opts(out: PathBuf, rows: u64, months: u32, seed: u64, threads: usize) -> GenerateOptions {
    GenerateOptions {
        out,
        rows,
        seed,
        start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"),
        months,
        threads,
    }
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// All rows of a table, with strings normalised to `Utf8`; checks every
/// file's schema against the canonical one (up to string type).
fn read_table(lake: &Path, table: Table) -> RecordBatch {
    let files: Vec<PathBuf> = tree(lake)
        .into_keys()
        .filter(|p| {
            p.starts_with(table.name()) || p == Path::new(&format!("{}.parquet", table.name()))
        })
        .map(|p| lake.join(p))
        .collect();
    assert!(!files.is_empty(), "no files for {table}");
    let canonical = table.schema();
    let mut batches = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let schema = batch.schema();
            assert_eq!(schema.fields().len(), canonical.fields().len(), "{f:?}");
            for (got, want) in schema.fields().iter().zip(canonical.fields()) {
                assert_eq!(got.name(), want.name(), "{f:?}");
                let is_str = |t: &DataType| {
                    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
                };
                assert!(
                    got.data_type() == want.data_type()
                        || (is_str(got.data_type()) && is_str(want.data_type())),
                    "{f:?} column {}: {} vs {}",
                    got.name(),
                    got.data_type(),
                    want.data_type()
                );
                assert!(
                    !got.is_nullable() || want.is_nullable(),
                    "{f:?} {}",
                    got.name()
                );
            }
            let columns = batch
                .columns()
                .iter()
                .map(|c| match c.data_type() {
                    DataType::Utf8View | DataType::LargeUtf8 => {
                        cast(c, &DataType::Utf8).expect("cast")
                    }
                    _ => c.clone(),
                })
                .collect();
            let schema = super::columns::write_schema(table);
            batches.push(RecordBatch::try_new(schema, columns).expect("normalised"));
        }
    }
    let schema = super::columns::write_schema(table);
    datafusion::arrow::compute::concat_batches(&schema, &batches).expect("concat")
}

fn strs<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
    b.column_by_name(name).expect("column").as_string::<i32>()
}
fn f64s<'a>(b: &'a RecordBatch, name: &str) -> &'a Float64Array {
    b.column_by_name(name)
        .expect("column")
        .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
}
fn i32s<'a>(b: &'a RecordBatch, name: &str) -> &'a Int32Array {
    b.column_by_name(name)
        .expect("column")
        .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
}
fn bools<'a>(b: &'a RecordBatch, name: &str) -> &'a BooleanArray {
    b.column_by_name(name).expect("column").as_boolean()
}
fn ts<'a>(b: &'a RecordBatch, name: &str) -> &'a TimestampMicrosecondArray {
    b.column_by_name(name)
        .expect("column")
        .as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>()
}
fn opt_ts(a: &TimestampMicrosecondArray, i: usize) -> Option<i64> {
    a.is_valid(i).then(|| a.value(i))
}

#[test]
fn same_options_give_same_bytes_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let c = dir.path().join("c");
    generate(&opts(a.clone(), 6_000, 3, 42, 1)).expect("run a");
    generate(&opts(b.clone(), 6_000, 3, 42, 3)).expect("run b");
    generate(&opts(c.clone(), 6_000, 3, 43, 2)).expect("run c");
    let (ta, tb, tc) = (tree(&a), tree(&b), tree(&c));
    // Four monthly tables (with kb_views) x 3 months, plus costs, the three
    // calendar tables, agent_surveys, customers and kb_articles as single
    // files.
    assert_eq!(ta.len(), 4 * 3 + 7, "{:?}", ta.keys().collect::<Vec<_>>());
    assert!(ta == tb, "thread count changed the output");
    let key = PathBuf::from("interactions/month=2026-02/part-00000.parquet");
    assert!(ta.contains_key(&key));
    assert_ne!(ta.get(&key), tc.get(&key), "seed did not change the output");
}

#[test]
fn lake_follows_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let rows = 30_000;
    let summary = generate(&opts(out.clone(), rows, 2, 7, 2)).expect("generate");
    assert_eq!(summary.rows[&Table::Interactions], rows);
    assert_eq!(summary.files, 4 * 2 + 7);
    assert!(out.join("costs.parquet").is_file());
    assert!(
        out.join("agent_states/month=2026-02/part-00000.parquet")
            .is_file()
    );

    // interactions
    let it = read_table(&out, Table::Interactions);
    assert_eq!(it.num_rows() as u64, rows);
    let ids = strs(&it, "interaction_id");
    let tickets = strs(&it, "ticket_id");
    let seq = i32s(&it, "contact_seq");
    let agent = strs(&it, "agent_id");
    let channel = strs(&it, "channel");
    let (created, response, ended, resolved_at) = (
        ts(&it, "created_at"),
        ts(&it, "first_response_at"),
        ts(&it, "ended_at"),
        ts(&it, "resolved_at"),
    );
    let (wait, hold, handle) = (
        f64s(&it, "wait_seconds"),
        f64s(&it, "hold_seconds"),
        f64s(&it, "handle_seconds"),
    );
    let (resolved, escalated, abandoned, bot) = (
        bools(&it, "resolved"),
        bools(&it, "escalated"),
        bools(&it, "abandoned"),
        bools(&it, "bot"),
    );
    // Bot contacts by team: (contacts, resolved by the bot).
    let team = strs(&it, "team");
    let mut bot_teams: HashMap<&str, (u32, u32)> = HashMap::new();
    let mut seen = HashSet::new();
    let mut by_id = HashMap::new();
    let mut ticket_contacts: HashMap<&str, Vec<(i32, bool, i64)>> = HashMap::new();
    let mut handled_by_agent: HashMap<&str, f64> = HashMap::new();
    let (mut escalations, mut live, mut live_abandoned) = (0, 0, 0);
    let jan = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date")
        .and_utc()
        .timestamp_micros();
    let mar = NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date")
        .and_utc()
        .timestamp_micros();
    for i in 0..it.num_rows() {
        let id = ids.value(i);
        assert!(id.len() == 13 && id.starts_with('i'), "{id}");
        assert!(seen.insert(id), "duplicate interaction_id {id}");
        by_id.insert(id, (ended.value(i), strs(&it, "customer_id").value(i)));
        assert!(seq.value(i) >= 1);
        let c = created.value(i);
        assert!((jan..mar).contains(&c), "created_at outside the months");
        assert!(ended.is_valid(i));
        let ch = channel.value(i);
        assert!(bot.is_valid(i), "generated contacts say bot or not");
        if bot.value(i) {
            // A bot: first contact of its ticket, no agent, no queue, no
            // agent response or handle time, never abandoned or escalated.
            assert!(["phone", "chat", "messaging"].contains(&ch), "bot on {ch}");
            assert_eq!(seq.value(i), 1);
            assert!(agent.is_null(i) && response.is_null(i) && wait.is_null(i));
            assert!(handle.is_null(i) && hold.is_null(i));
            assert!(!abandoned.value(i) && !escalated.value(i));
            assert!(ended.value(i) > c);
            assert_eq!(
                opt_ts(resolved_at, i),
                resolved.value(i).then(|| ended.value(i))
            );
            let t = bot_teams.entry(team.value(i)).or_default();
            t.0 += 1;
            t.1 += u32::from(resolved.value(i));
            ticket_contacts.entry(tickets.value(i)).or_default().push((
                seq.value(i),
                resolved.value(i),
                c,
            ));
            continue;
        }
        assert!(wait.is_valid(i) && wait.value(i) >= 0.0);
        assert!(
            ["phone", "chat", "email", "messaging", "social"].contains(&ch),
            "{ch}"
        );
        let live_channel = ch == "phone" || ch == "chat";
        live += usize::from(live_channel);
        if abandoned.value(i) {
            live_abandoned += 1;
            assert!(live_channel, "abandoned {ch} contact");
            assert!(agent.is_null(i) && response.is_null(i) && handle.is_null(i));
            assert!(!resolved.value(i) && resolved_at.is_null(i));
            assert_eq!(ended.value(i), c + (wait.value(i) * 1e6) as i64);
        } else {
            let r = response.value(i);
            assert!(r >= c, "first_response_at before created_at");
            assert_eq!(r, c + (wait.value(i) * 1e6) as i64);
            assert!(handle.value(i) > 0.0);
            assert_eq!(ended.value(i), r + (handle.value(i) * 1e6) as i64);
            assert!(agent.is_valid(i));
            *handled_by_agent.entry(agent.value(i)).or_default() += handle.value(i);
        }
        if ch == "phone" && !abandoned.value(i) {
            assert!(hold.is_valid(i) && hold.value(i) >= 0.0);
            assert!(hold.value(i) <= handle.value(i));
        } else {
            assert!(hold.is_null(i), "hold on {ch}");
        }
        assert_eq!(
            opt_ts(resolved_at, i),
            resolved.value(i).then(|| ended.value(i))
        );
        escalations += usize::from(escalated.value(i));
        ticket_contacts.entry(tickets.value(i)).or_default().push((
            seq.value(i),
            resolved.value(i),
            c,
        ));
    }
    let mut first_contact_resolved = 0;
    for (ticket, contacts) in &mut ticket_contacts {
        contacts.sort_unstable();
        for (k, (s, _, _)) in contacts.iter().enumerate() {
            assert_eq!(*s as usize, k + 1, "ticket {ticket} seq gap");
        }
        assert!(contacts.windows(2).all(|w| w[0].2 < w[1].2), "{ticket}");
        let resolutions = contacts.iter().filter(|c| c.1).count();
        assert!(resolutions <= 1, "ticket {ticket} resolved twice");
        if let Some(last) = contacts.last() {
            assert!(!contacts[..contacts.len() - 1].iter().any(|c| c.1) || last.1);
        }
        first_contact_resolved += usize::from(contacts.len() == 1 && contacts[0].1);
    }
    let fcr = first_contact_resolved as f64 / ticket_contacts.len() as f64;
    assert!((0.55..0.85).contains(&fcr), "FCR {fcr}");
    let escalation = escalations as f64 / rows as f64;
    assert!(
        (0.03..0.12).contains(&escalation),
        "escalation {escalation}"
    );
    let abandonment = live_abandoned as f64 / live as f64;
    assert!(
        (0.02..0.08).contains(&abandonment),
        "abandonment {abandonment}"
    );
    // Bots answer a share of phone, chat and messaging tickets and contain
    // billing questions far better than technical ones.
    let contained = |t: &str| {
        let (n, r) = bot_teams.get(t).copied().unwrap_or_default();
        assert!(n > 100, "{n} bot contacts of {t}");
        f64::from(r) / f64::from(n)
    };
    assert!(
        contained("billing") > contained("technical") + 0.2,
        "{bot_teams:?}"
    );

    // surveys
    let sv = read_table(&out, Table::Surveys);
    let (kind, score, sid) = (
        strs(&sv, "kind"),
        i32s(&sv, "score"),
        strs(&sv, "survey_id"),
    );
    let (s_it, s_cust, submitted) = (
        strs(&sv, "interaction_id"),
        strs(&sv, "customer_id"),
        ts(&sv, "submitted_at"),
    );
    let mut survey_ids = HashSet::new();
    let mut per_kind: HashMap<&str, usize> = HashMap::new();
    let mut relationship = 0;
    for i in 0..sv.num_rows() {
        assert!(survey_ids.insert(sid.value(i)), "duplicate survey_id");
        let k = kind.value(i);
        *per_kind.entry(k).or_default() += 1;
        let range = match k {
            "csat" => 1..=5,
            "nps" => 0..=10,
            "ces" => 1..=7,
            other => panic!("kind {other}"),
        };
        assert!(range.contains(&score.value(i)), "{k} {}", score.value(i));
        if s_it.is_valid(i) {
            let (end, customer) = by_id
                .get(s_it.value(i))
                .unwrap_or_else(|| panic!("survey of unknown {}", s_it.value(i)));
            assert!(submitted.value(i) > *end, "survey before the contact ended");
            assert_eq!(*customer, s_cust.value(i));
        } else {
            relationship += 1;
            assert_eq!(k, "nps");
        }
    }
    let handled = rows as f64 - live_abandoned as f64;
    let csat_rate = per_kind["csat"] as f64 / handled;
    assert!((0.15..0.25).contains(&csat_rate), "csat rate {csat_rate}");
    assert!(per_kind["nps"] > relationship && per_kind["ces"] > 0);
    assert!(relationship > 0);

    // agent_states: handling per agent matches the interactions, occupancy
    // and utilization are plausible.
    let st = read_table(&out, Table::AgentStates);
    let (s_agent, state, secs) = (
        strs(&st, "agent_id"),
        strs(&st, "state"),
        f64s(&st, "seconds"),
    );
    let mut per_agent: HashMap<&str, [f64; 3]> = HashMap::new(); // handling, available, all
    for i in 0..st.num_rows() {
        let s = secs.value(i);
        assert!(s >= 0.0);
        let e = per_agent.entry(s_agent.value(i)).or_default();
        match state.value(i) {
            "handling" => e[0] += s,
            "available" => e[1] += s,
            "break" | "lunch" | "meeting" | "training" | "other" => {}
            other => panic!("state {other}"),
        }
        e[2] += s;
    }
    assert_eq!(per_agent.len(), handled_by_agent.len());
    let mut totals = [0.0; 3];
    for (a, [h, av, all]) in &per_agent {
        assert_eq!(Some(h), handled_by_agent.get(a), "handling of {a}");
        let occupancy = h / (h + av);
        let utilization = h / all;
        assert!(
            (0.70..0.90).contains(&occupancy),
            "{a} occupancy {occupancy}"
        );
        assert!(
            (0.55..0.80).contains(&utilization),
            "{a} utilization {utilization}"
        );
        totals[0] += h;
        totals[1] += av;
        totals[2] += all;
    }
    let occupancy = totals[0] / (totals[0] + totals[1]);
    assert!((0.75..0.88).contains(&occupancy), "occupancy {occupancy}");

    // costs: one row per team and month plus one shared row per month.
    let costs = read_table(&out, Table::Costs);
    assert_eq!(costs.num_rows(), 2 * (profile::TEAMS.len() + 1));
    assert_eq!(strs(&costs, "team").null_count(), 2);
    assert!(strs(&costs, "currency").iter().all(|c| c == Some("EUR")));

    // Calendars (checked by `validate` on the sample lake): every team listed,
    // and a schedule change inside the run.
    let hours = read_table(&out, Table::BusinessHours);
    let teams = read_table(&out, Table::Teams);
    let names: Vec<&str> = strs(&teams, "team").iter().flatten().collect();
    let expected: Vec<&str> = profile::TEAMS.iter().map(|t| t.name).collect();
    assert_eq!(names, expected);
    assert_eq!(strs(&teams, "calendar_id").null_count(), 1);
    let from = hours
        .column_by_name("valid_from")
        .expect("valid_from")
        .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
    assert!(from.null_count() > 0 && from.null_count() < from.len());
    assert!(read_table(&out, Table::Holidays).num_rows() > 0);
}

#[test]
fn tiny_runs_write_every_month() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let summary = generate(&opts(out.clone(), 1, 3, 1, 4)).expect("generate");
    assert_eq!(summary.rows[&Table::Interactions], 1);
    // Months without interactions still get (empty) files.
    assert_eq!(summary.files, 4 * 3 + 7);
    assert_eq!(read_table(&out, Table::Interactions).num_rows(), 1);
}

#[test]
fn existing_output_is_never_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("mine.txt"), b"keep me").expect("write");
    let err = generate(&opts(out.clone(), 100, 1, 1, 1)).expect_err("must refuse");
    assert!(matches!(err, GenerateError::OutExists { ref path } if *path == out));
    assert!(err.to_string().contains("lake"), "{err}");
    assert_eq!(
        std::fs::read(out.join("mine.txt")).expect("kept"),
        b"keep me"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("lake")]);

    // A file is refused too; an empty folder is filled.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    assert!(matches!(
        generate(&opts(file, 100, 1, 1, 1)),
        Err(GenerateError::OutExists { .. })
    ));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    generate(&opts(empty.clone(), 100, 1, 1, 1)).expect("empty folder is fine");
    assert!(empty.join("costs.parquet").is_file());
    let hidden = std::fs::read_dir(dir.path())
        .expect("list")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with('.'))
        })
        .count();
    assert_eq!(hidden, 0, "temporary folder left behind");
}

#[test]
fn bad_options_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let base = opts(out.clone(), 100, 1, 1, 1);
    let cases = [
        (
            "rows",
            GenerateOptions {
                rows: 0,
                ..base.clone()
            },
        ),
        (
            "months",
            GenerateOptions {
                months: 0,
                ..base.clone()
            },
        ),
        (
            "start",
            GenerateOptions {
                start: NaiveDate::from_ymd_opt(2026, 1, 15).expect("date"),
                ..base.clone()
            },
        ),
        (
            "threads",
            GenerateOptions {
                threads: 0,
                ..base.clone()
            },
        ),
        (
            "months",
            GenerateOptions {
                start: NaiveDate::from_ymd_opt(9999, 6, 1).expect("date"),
                months: 12,
                ..base.clone()
            },
        ),
    ];
    for (name, o) in cases {
        match generate(&o) {
            Err(e @ GenerateError::BadOption { option, .. }) => {
                assert_eq!(option, name);
                assert!(e.to_string().contains("expected"), "{e}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(!out.exists());
}

#[test]
fn month_shares_add_up_exactly() {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for rows in [1, 7, 12, 1_000_003, MAX_ROWS] {
        let plans = plan::plan_months(start, 12, rows).expect("plans");
        assert_eq!(plans.iter().map(|p| p.rows).sum::<u64>(), rows);
        let mut offset = 0;
        for p in &plans {
            assert_eq!(p.offset, offset);
            offset += p.rows;
        }
    }
    let plans = plan::plan_months(start, 12, 1_200_000).expect("plans");
    // December is busier than June, February (28 days) the quietest.
    assert!(plans[11].rows > plans[5].rows);
    assert!(plans.iter().all(|p| p.rows >= plans[1].rows));
    assert_eq!(plans[1].days, 28);
}

#[test]
fn months_a_year_apart_grow() {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let plans = plan::plan_months(start, 24, 2_400_000).expect("plans");
    for k in 0..12 {
        let ratio = plans[k + 12].rows as f64 / plans[k].rows as f64;
        // GROWTH_PER_YEAR is 12 %; rounding the weights moves it by < 0.1 %.
        assert!((ratio - 1.12).abs() < 0.002, "month {k}: {ratio}");
    }
}

/// Contacts per day of the month (UTC) and channel, from a generated lake.
fn daily_by_channel(lake: &Path) -> BTreeMap<(String, i64), u64> {
    let batch = read_table(lake, Table::Interactions);
    let channel = strs(&batch, "channel");
    let created = ts(&batch, "created_at");
    let mut out = BTreeMap::new();
    for i in 0..batch.num_rows() {
        let day = created.value(i).div_euclid(24 * 3600 * 1_000_000);
        *out.entry((channel.value(i).to_string(), day)).or_insert(0) += 1;
    }
    out
}

#[test]
fn holidays_dip_and_each_channel_has_its_week() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("lake");
    let mut options = opts(out.clone(), 60_000, 1, 11, 2);
    options.start = NaiveDate::from_ymd_opt(2025, 12, 1).expect("date");
    generate(&options).expect("generate");
    let daily = daily_by_channel(&out);
    let day = |m: u32, d: u32| {
        NaiveDate::from_ymd_opt(2025, m, d)
            .expect("date")
            .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
            .num_days()
    };
    let total = |d: i64| -> u64 {
        daily
            .iter()
            .filter(|((_, day), _)| *day == d)
            .map(|(_, n)| n)
            .sum()
    };
    // 2025-12-25 is a Thursday; the other Thursdays of December carry the
    // usual volume, Christmas Day about HOLIDAY_FACTOR (0.3) of it.
    let usual = (total(day(12, 4)) + total(day(12, 11)) + total(day(12, 18))) as f64 / 3.0;
    let christmas = total(day(12, 25)) as f64;
    assert!(
        christmas < 0.45 * usual && christmas > 0.15 * usual,
        "Christmas {christmas} vs a usual Thursday {usual}"
    );
    // Phone follows office weeks; social media peaks at the weekend.
    let share = |channel: &str, days: &[i64]| {
        let n: u64 = days
            .iter()
            .map(|d| daily.get(&(channel.to_string(), *d)).copied().unwrap_or(0))
            .sum();
        let all: u64 = days.iter().map(|d| total(*d)).sum();
        n as f64 / all as f64
    };
    let weekend = [day(12, 6), day(12, 7), day(12, 13), day(12, 14)];
    let weekdays = [day(12, 8), day(12, 9), day(12, 10), day(12, 11)];
    assert!(share("social", &weekend) > 1.5 * share("social", &weekdays));
    assert!(share("phone", &weekend) < share("phone", &weekdays));
}
