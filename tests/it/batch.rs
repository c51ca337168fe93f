//! `kpiql batch`: report tables published atomically, locally and on S3,
//! in both table formats; re-runs replace their period; killed runs leave
//! the previous complete output; a memory limit spills instead of failing.
//!
//! Published tables are read back the way a reader would: Delta tables
//! through delta-rs, Parquet tables through the manifest's file list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;

use assert_cmd::Command;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use object_store::ObjectStoreExt;
use object_store::path::Path as StorePath;

/// The batch's test-only pause hook.
const PAUSE_VAR: &str = "KPIQL_TEST_ONLY_PAUSE_AT";

fn kpiql() -> Command {
    let mut cmd = Command::cargo_bin("kpiql").expect("binary");
    cmd.env_remove("KPIQL_DATA").env_remove(PAUSE_VAR);
    cmd
}

/// Rows as sorted lines of comma-separated display values, the columns
/// in the order given (so a reader's column order does not matter).
fn lines(batches: &[RecordBatch], columns: &[String]) -> Vec<String> {
    let options = FormatOptions::default().with_null("");
    let mut out = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = columns
            .iter()
            .map(|c| {
                let array = batch
                    .column_by_name(c)
                    .unwrap_or_else(|| panic!("column {c} in {:?}", batch.schema()));
                ArrayFormatter::try_new(array.as_ref(), &options).expect("formatter")
            })
            .collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect();
            out.push(cells.join(","));
        }
    }
    out.sort();
    out
}

/// What `kpiql report` prints for a report and period, as sorted lines
/// prefixed with the period key, and the report's column names.
fn report_lines(
    data: &str,
    queries: Option<&Path>,
    report: &str,
    args: &[&str],
    period: &str,
) -> (Vec<String>, Vec<String>) {
    let mut cmd = kpiql();
    if data != "sample" {
        cmd.args(["--data", data]);
    }
    if let Some(q) = queries {
        cmd.arg("--queries").arg(q);
    }
    let out = cmd
        .args(["report", report, "--format", "csv"])
        .args(args)
        .output()
        .expect("run report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut rows = text.lines();
    let header: Vec<String> = rows
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    // CSV quotes a field holding a comma (feedback's rising terms); the
    // table side joins cells unquoted.
    let mut body: Vec<String> = rows
        .map(|r| format!("{period},{}", r.replace('"', "")))
        .collect();
    body.sort();
    (header, body)
}

fn with_period(columns: &[String]) -> Vec<String> {
    let mut all = vec!["period".to_string()];
    all.extend(columns.iter().cloned());
    all
}

// ---------------------------------------------------------------- readers

/// A Parquet-format table read by the manifest rule: the files listed in
/// `_manifest.json`, each with its `period`.
async fn read_parquet_table(
    store: Arc<dyn object_store::ObjectStore>,
    table: &StorePath,
) -> Vec<RecordBatch> {
    let manifest = store
        .get(&table.clone().join("_manifest.json"))
        .await
        .expect("manifest")
        .bytes()
        .await
        .expect("bytes");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    let mut batches = Vec::new();
    for file in manifest["files"].as_array().expect("files") {
        let mut path = table.clone();
        for part in file["path"].as_str().expect("path").split('/') {
            path = path.join(part);
        }
        let bytes = store
            .get(&path)
            .await
            .expect("listed file")
            .bytes()
            .await
            .expect("bytes");
        let period = file["period"].as_str().expect("period");
        let reader =
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                bytes,
            )
            .expect("parquet")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            // Hive style: the period lives in the path, not in the file.
            let mut fields = vec![Arc::new(datafusion::arrow::datatypes::Field::new(
                "period",
                datafusion::arrow::datatypes::DataType::Utf8,
                false,
            ))];
            fields.extend(batch.schema().fields().iter().cloned());
            let mut columns: Vec<datafusion::arrow::array::ArrayRef> = vec![Arc::new(
                datafusion::arrow::array::StringArray::from(vec![period; batch.num_rows()]),
            )];
            columns.extend(batch.columns().iter().cloned());
            batches.push(
                RecordBatch::try_new(
                    Arc::new(datafusion::arrow::datatypes::Schema::new(fields)),
                    columns,
                )
                .expect("batch"),
            );
        }
    }
    batches
}

/// A Delta table read by delta-rs.
async fn read_delta_table(
    url: &str,
    store: Option<Arc<dyn object_store::ObjectStore>>,
) -> Vec<RecordBatch> {
    kpiql::batch::register_s3_logstore();
    let url = url::Url::parse(url).expect("url");
    let mut builder = deltalake::DeltaTableBuilder::from_url(url.clone()).expect("builder");
    if let Some(store) = store {
        let root = url::Url::parse(&url[..url::Position::BeforePath]).expect("root");
        builder = builder.with_storage_backend(store, root);
    }
    let table = builder.load().await.expect("a Delta table");
    let ctx = SessionContext::new();
    table
        .update_datafusion_session(&ctx.state())
        .expect("session");
    let provider = table.table_provider().await.expect("provider");
    ctx.read_table(provider)
        .expect("read")
        .collect()
        .await
        .expect("rows")
}

fn local_store() -> Arc<dyn object_store::ObjectStore> {
    Arc::new(object_store::local::LocalFileSystem::new())
}

fn store_path(dir: &Path) -> StorePath {
    StorePath::from_filesystem_path(dir).expect("path")
}

async fn read_local(format: &str, out: &Path, report: &str) -> Vec<RecordBatch> {
    let table = out.join(report);
    match format {
        "delta" => {
            let url = url::Url::from_directory_path(&table).expect("url");
            read_delta_table(url.as_str(), None).await
        }
        _ => read_parquet_table(local_store(), &store_path(&table)).await,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `kpiql batch` on `data` ("sample": the built-in lake).
fn batch(data: &str, out: &Path, format: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = kpiql();
    if data != "sample" {
        cmd.args(["--data", data]);
    }
    cmd.args(["batch", "--out"])
        .arg(out)
        .args(["--table-format", format])
        .args(extra)
        .output()
        .expect("run batch")
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Every path under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("ls") {
            let path = entry.expect("entry").path();
            out.push(path.strip_prefix(dir).expect("under").display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------ local runs

/// Every report of two months, each month run twice: each table holds both
/// months once, equal to `kpiql report` for that month.
fn publishes_every_report_and_reruns_replace_their_period(format: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let rt = runtime();
    for period in ["2026-09", "2026-10", "2026-09", "2026-10"] {
        ok(batch("sample", &out, format, &["--period", period]));
    }
    let reports = [
        "team",
        "agent",
        "management",
        "team_month",
        "customers",
        "channels",
        "sla",
        "staffing",
        "agent_satisfaction",
        "feedback",
        "retention",
        "knowledge_base",
        "bots",
    ];
    for report in reports {
        let mut expected = Vec::new();
        let mut header = Vec::new();
        for (period, from, to) in [
            ("2026-09", "2026-09-01", "2026-10-01"),
            ("2026-10", "2026-10-01", "2026-11-01"),
        ] {
            // staffing has no $start (the weeks before $end): its period
            // key is the end alone (batch::period::key).
            let end_key = format!("_{}T000000Z", to.replace('-', ""));
            let (bounds, period): (&[&str], &str) = if report == "staffing" {
                (&["--to", to], &end_key)
            } else {
                (&["--from", from, "--to", to], period)
            };
            let (h, rows) = report_lines("sample", None, report, bounds, period);
            header = h;
            expected.extend(rows);
        }
        expected.sort();
        assert!(!expected.is_empty(), "{report} has rows in the sample lake");
        let batches = rt.block_on(read_local(format, &out, report));
        assert_eq!(
            lines(&batches, &with_period(&header)),
            expected,
            "{format} table {report}"
        );
    }
    let names: BTreeSet<String> = std::fs::read_dir(&out)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        names,
        reports.iter().map(|r| r.to_string()).collect(),
        "no staging folders left"
    );
}

#[test]
fn parquet_tables_hold_each_period_once() {
    publishes_every_report_and_reruns_replace_their_period("parquet");
}

#[test]
fn delta_tables_hold_each_period_once() {
    publishes_every_report_and_reruns_replace_their_period("delta");
}

#[test]
fn parquet_folder_is_the_manifest_and_partitions_by_period_then_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let stderr = ok(batch(
        "sample",
        &out,
        "parquet",
        &[
            "--reports",
            "team_month,team",
            "--from",
            "2026-08-01",
            "--to",
            "2026-10-01",
            "--partition-by",
            "month",
        ],
    ));
    assert!(
        stderr.contains("report team has no column month"),
        "{stderr}"
    );
    assert!(stderr.contains("published 2 reports"), "{stderr}");
    let files = tree(&out.join("team_month"));
    let parquet: Vec<&String> = files.iter().filter(|f| f.ends_with(".parquet")).collect();
    assert!(!parquet.is_empty());
    for f in &parquet {
        assert!(
            f.starts_with("period=2026-08-01_2026-10-01/month=2026-0"),
            "hive folders period=/month=: {f}"
        );
    }
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("team_month/_manifest.json")).expect("manifest"),
    )
    .expect("json");
    let listed: BTreeSet<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        listed,
        parquet.iter().map(|s| s.as_str()).collect(),
        "the folder holds exactly the manifest's files"
    );
    assert_eq!(
        manifest["partition_by"],
        serde_json::json!(["period", "month"])
    );
    assert_eq!(manifest["period_start"], "2026-08-01T00:00:00.000Z");
    assert_eq!(manifest["report"], "team_month");
    let inputs = manifest["inputs"].as_array().expect("inputs");
    assert!(
        inputs
            .iter()
            .any(|i| i["path"].as_str().expect("path").contains("interactions/"))
    );
    for f in manifest["files"].as_array().expect("files") {
        let bytes = std::fs::read(
            out.join("team_month")
                .join(f["path"].as_str().expect("path")),
        )
        .expect("file");
        assert_eq!(f["size"].as_u64(), Some(bytes.len() as u64));
        use sha2::Digest;
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"].as_str(), Some(hex.as_str()));
    }
}

#[test]
fn bad_batch_input_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let err = batch("sample", &out, "parquet", &["--period", "2026-13"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("--period \"2026-13\" is not a month"));
    let err = batch("sample", &out, "delta", &["--reports", "team,nope"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("nope"));
    let err = batch("sample", &out, "delta", &["--param", "colour=red"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&err.stderr)
            .contains("none of the chosen reports has a parameter \"colour\"")
    );
    // A table keeps its layout: a run with other partition columns is refused.
    for format in ["parquet", "delta"] {
        let table = dir.path().join(format);
        ok(batch(
            "sample",
            &table,
            format,
            &["--reports", "team_month", "--period", "2026-10"],
        ));
        let err = batch(
            "sample",
            &table,
            format,
            &[
                "--reports",
                "team_month",
                "--period",
                "2026-09",
                "--partition-by",
                "month",
            ],
        );
        assert_eq!(err.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert!(stderr.contains("partition"), "{format}: {stderr}");
    }
    // A folder kpiql did not write is never replaced.
    std::fs::create_dir_all(out.join("team")).expect("mkdir");
    std::fs::write(out.join("team/precious.txt"), "keep me").expect("write");
    let err = batch(
        "sample",
        &out,
        "parquet",
        &["--reports", "team", "--period", "2026-10"],
    );
    assert_eq!(err.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert!(
        stderr.contains("report team was not published to"),
        "{stderr}"
    );
    assert!(stderr.contains("not written by kpiql batch"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("team/precious.txt")).expect("kept"),
        "keep me"
    );
}

// ------------------------------------------------------------ kill tests

const PROBE: &str = "-- @report probe
-- @description A test report whose rows carry a tag, so a reader can tell runs apart.
-- @param start timestamp latest_full_month_start | Start.
-- @param end timestamp latest_full_month_end | End.
-- @param tag text - | The run's tag.
-- @column tag - | The tag.
-- @column channel - | The channel.
-- @column n count | Interactions.
SELECT $tag AS tag, channel, count(*) AS n
FROM interactions
WHERE created_at >= $start AND created_at < $end
GROUP BY channel
";

fn probe_queries(dir: &Path) -> PathBuf {
    let q = dir.join("queries");
    std::fs::create_dir_all(&q).expect("mkdir");
    std::fs::write(q.join("probe.sql"), PROBE).expect("write");
    q
}

fn spawn_batch(out: &Path, queries: &Path, format: &str, tag: &str, pause: Option<&str>) -> Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("kpiql"));
    cmd.env_remove("KPIQL_DATA")
        .arg("--queries")
        .arg(queries)
        .args([
            "batch",
            "--reports",
            "probe",
            "--period",
            "2026-10",
            "--retain-hours",
            "0",
        ])
        .args([
            "--table-format",
            format,
            "--param",
            &format!("tag={tag}"),
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match pause {
        Some(point) => cmd.env(PAUSE_VAR, point),
        None => cmd.env_remove(PAUSE_VAR),
    };
    cmd.spawn().expect("spawn")
}

/// Waits until the child prints `paused at ...` on stderr (the hook's
/// report that it reached its point). Returns the child's stderr, which
/// the caller keeps open while the child may still write to it.
#[must_use = "dropping the pipe makes the child's later writes to stderr fail"]
fn wait_paused(child: &mut Child) -> std::process::ChildStderr {
    use std::io::Read;
    let mut stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("paused at") {
        match stderr.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => panic!(
                "batch ended before pausing: {}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    stderr
}

/// The probe table's tags and total count, as a reader sees it.
fn probe_seen(rt: &tokio::runtime::Runtime, format: &str, out: &Path) -> (BTreeSet<String>, i64) {
    let batches = rt.block_on(read_local(format, out, "probe"));
    let rows = lines(&batches, &["tag".to_string(), "n".to_string()]);
    let tags = rows
        .iter()
        .map(|r| r.split(',').next().expect("tag").to_string())
        .collect();
    let total = rows
        .iter()
        .map(|r| {
            r.split(',')
                .nth(1)
                .expect("n")
                .parse::<i64>()
                .expect("count")
        })
        .sum();
    (tags, total)
}

fn run_probe(out: &Path, queries: &Path, format: &str, tag: &str) {
    let child = spawn_batch(out, queries, format, tag, None);
    let done = child.wait_with_output().expect("wait");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

fn killed_runs_leave_the_previous_output(format: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let queries = probe_queries(dir.path());
    let out = dir.path().join("out");
    let rt = runtime();
    run_probe(&out, &queries, format, "old");
    let (tags, total) = probe_seen(&rt, format, &out);
    assert_eq!(tags, BTreeSet::from(["old".to_string()]));
    assert!(total > 0);

    // Killed before anything was written, and with the new files written
    // but not published: readers see the old run.
    for point in ["probe:computed", "probe:staged"] {
        let mut child = spawn_batch(&out, &queries, format, "new", Some(point));
        let _stderr = wait_paused(&mut child);
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        assert_eq!(
            probe_seen(&rt, format, &out),
            (BTreeSet::from(["old".to_string()]), total),
            "killed at {point}"
        );
    }
    // Killed after publishing, before cleaning up: readers see the new run.
    let mut child = spawn_batch(&out, &queries, format, "new", Some("probe:published"));
    let _stderr = wait_paused(&mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert_eq!(
        probe_seen(&rt, format, &out),
        (BTreeSet::from(["new".to_string()]), total)
    );

    // The next run succeeds, publishes, and removes what killed runs left.
    run_probe(&out, &queries, format, "last");
    assert_eq!(
        probe_seen(&rt, format, &out),
        (BTreeSet::from(["last".to_string()]), total)
    );
    let files = tree(&out);
    assert!(
        files.iter().all(|f| !f.starts_with(".probe.")),
        "staging folders removed: {files:?}"
    );
    let data: Vec<&String> = files.iter().filter(|f| f.ends_with(".parquet")).collect();
    let live = match format {
        "delta" => rt.block_on(async {
            let url = url::Url::from_directory_path(out.join("probe")).expect("url");
            let table = deltalake::open_table(url).await.expect("table");
            table.get_file_uris().expect("files").count()
        }),
        _ => {
            let manifest: serde_json::Value = serde_json::from_slice(
                &std::fs::read(out.join("probe/_manifest.json")).expect("manifest"),
            )
            .expect("json");
            manifest["files"].as_array().expect("files").len()
        }
    };
    assert_eq!(data.len(), live, "only live data files remain: {data:?}");
}

#[test]
fn parquet_kill_test() {
    killed_runs_leave_the_previous_output("parquet");
}

#[test]
fn delta_kill_test() {
    killed_runs_leave_the_previous_output("delta");
}

// ------------------------------------------------------------ memory

#[test]
fn a_memory_limit_spills_and_gives_the_same_tables() {
    let dir = tempfile::tempdir().expect("tmp");
    let lake = dir.path().join("lake");
    kpiql()
        .args([
            "-q",
            "generate",
            "--rows",
            "200000",
            "--months",
            "2",
            "--start",
            "2026-01-01",
            "--seed",
            "7",
            "--out",
        ])
        .arg(&lake)
        .assert()
        .success();
    let lake = lake.to_str().expect("utf-8").to_string();
    let free = dir.path().join("free");
    let tight = dir.path().join("tight");
    let args = ["--reports", "team,agent,channels", "--period", "2026-01"];
    ok(batch(&lake, &free, "parquet", &args));
    let stderr = ok(kpiql()
        // One thread: how much memory the engine needs grows with threads
        // (DESIGN §5); 48 MiB is far below what this lake's queries hold
        // (they spill about 23 MiB). Not less: `channels` keeps its exact
        // median and p90 resolution times, in calendar and in business
        // hours, as DataFusion accumulators that hold every value and
        // cannot spill. Since the tickets are restricted to the period by
        // `ticket_created_at` (issue 27) `channels` no longer finishes at
        // 40 MiB (it did, spilling 60 MiB): an aggregate that does not
        // spill fails to grow; which one is still to be found (issue 27).
        .args(["--threads", "1", "--memory-limit", "48M", "--data", &lake])
        .args(["batch", "--table-format", "parquet", "--out"])
        .arg(&tight)
        .args(args)
        .output()
        .expect("run"));
    assert!(
        stderr.contains("spilled"),
        "the limit forced spilling: {stderr}"
    );
    let rt = runtime();
    for report in ["team", "agent", "channels"] {
        let a = rt.block_on(read_local("parquet", &free, report));
        let b = rt.block_on(read_local("parquet", &tight, report));
        let columns: Vec<String> = a[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(lines(&a, &columns), lines(&b, &columns), "{report}");
    }
}

// ------------------------------------------------------------ S3

#[test]
fn s3_round_trip_in_both_formats_matches_the_local_run() {
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("lake");
    moto.create_bucket("reports");
    let rt = runtime();
    // The sample lake, uploaded to s3://lake/support/.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    moto.upload("lake", "support", &sample);
    // sql and report read the S3 lake too; --storage-option wins over the
    // environment (here the environment points at a closed port).
    let out = moto
        .cmd()
        .env("AWS_ENDPOINT", "http://127.0.0.1:9")
        .args([
            "--storage-option",
            &format!("aws_endpoint={}", moto.endpoint),
        ])
        .args([
            "--data",
            "s3://lake/support",
            "sql",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM interactions",
        ])
        .output()
        .expect("sql");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "n\n20000\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = moto
        .cmd()
        .args([
            "--data",
            "s3://lake/support",
            "report",
            "team",
            "--format",
            "csv",
            "--from",
            "2026-10",
        ])
        .args(["--to", "2026-11"])
        .output()
        .expect("report");
    let mut from_s3: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| format!("2026-10,{l}"))
        .collect();
    from_s3.sort();
    let (_, local_rows) = report_lines(
        "sample",
        None,
        "team",
        &["--from", "2026-10", "--to", "2026-11"],
        "2026-10",
    );
    assert_eq!(
        from_s3,
        local_rows,
        "report on the S3 lake: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let local = tempfile::tempdir().expect("tmp");
    let reports_store = moto.store("reports");
    for format in ["parquet", "delta"] {
        let local_out = local.path().join(format);
        ok(batch(
            "sample",
            &local_out,
            format,
            &["--reports", "team,management", "--period", "2026-10"],
        ));
        for period in ["2026-10", "2026-10", "2026-09"] {
            ok(moto
                .cmd()
                .args([
                    "--data",
                    "s3://lake/support",
                    "batch",
                    "--reports",
                    "team,management",
                    "--period",
                    period,
                ])
                .args([
                    "--table-format",
                    format,
                    "--out",
                    &format!("s3://reports/{format}"),
                ])
                .output()
                .expect("batch"));
        }
        for report in ["team", "management"] {
            let expected = rt.block_on(read_local(format, &local_out, report));
            let columns: Vec<String> = expected[0]
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let remote = match format {
                "delta" => rt.block_on(read_delta_table(
                    &format!("s3://reports/{format}/{report}/"),
                    Some(Arc::clone(&reports_store)),
                )),
                _ => rt.block_on(read_parquet_table(
                    Arc::clone(&reports_store),
                    &StorePath::from(format!("{format}/{report}")),
                )),
            };
            let remote_lines: Vec<String> = lines(&remote, &columns);
            let october: Vec<String> = remote_lines
                .iter()
                .filter(|l| l.starts_with("2026-10,"))
                .cloned()
                .collect();
            assert_eq!(
                october,
                lines(&expected, &columns),
                "{format} {report} from S3"
            );
            assert!(
                remote_lines.iter().any(|l| l.starts_with("2026-09,")),
                "September kept beside October"
            );
        }
        if format == "parquet" {
            // Three runs: the manifest's run and the previous one are kept.
            let runs: BTreeSet<String> = rt.block_on(async {
                use futures::TryStreamExt;
                let listed: Vec<_> = reports_store
                    .list(Some(&StorePath::from("parquet/team/_runs")))
                    .try_collect()
                    .await
                    .expect("list");
                listed
                    .iter()
                    .filter_map(|m| m.location.as_ref().split('/').nth(3).map(str::to_string))
                    .collect()
            });
            assert_eq!(runs.len(), 2, "older runs deleted: {runs:?}");
        }
    }
    // A bad bucket is an error naming the report and the destination.
    let err = moto
        .cmd()
        .args([
            "batch",
            "--reports",
            "team",
            "--table-format",
            "parquet",
            "--out",
            "s3://no-such-bucket/x",
        ])
        .output()
        .expect("batch");
    assert_eq!(err.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert!(
        stderr.contains("report team was not published to s3://no-such-bucket/x/team/"),
        "{stderr}"
    );
}

// ------------------------------------------------------------ nothing lost

/// A user's files in `DEST/team/`: a note in a subfolder and a CSV.
fn plant_user_files(table: &Path) {
    std::fs::create_dir_all(table.join("notes")).expect("mkdir");
    std::fs::write(table.join("notes/keep.txt"), "my notes").expect("write");
    std::fs::write(table.join("data.csv"), "a,b\n1,2\n").expect("write");
}

fn user_files_survive(table: &Path) {
    assert_eq!(
        std::fs::read_to_string(table.join("notes/keep.txt")).expect("notes kept"),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(table.join("data.csv")).expect("csv kept"),
        "a,b\n1,2\n"
    );
}

// guards: the Delta publisher treated a folder of someone else's files as a
// new table, and its vacuum (--retain-hours 0) deleted them, exit 0.
#[test]
fn a_folder_of_someone_elses_files_is_refused_and_kept_in_both_formats() {
    for format in ["delta", "parquet"] {
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("out");
        plant_user_files(&out.join("team"));
        let before = tree(&out);
        let err = batch(
            "sample",
            &out,
            format,
            &[
                "--reports",
                "team",
                "--period",
                "2026-10",
                "--retain-hours",
                "0",
            ],
        );
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("report team was not published to")
                && stderr.contains("/out/team/")
                && stderr.contains("not written by kpiql batch")
                && (stderr.contains("data.csv") || stderr.contains("notes/keep.txt")),
            "{format}: the error names the folder and what is in it: {stderr}"
        );
        user_files_survive(&out.join("team"));
        // Nothing was added either (the lock beside it is gone again).
        assert_eq!(tree(&out), before, "{format}: the folder is untouched");
    }
}

// guards: a Delta table kpiql did not make would be overwritten by period
// and vacuumed.
#[test]
fn a_delta_table_kpiql_did_not_make_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let table = out.join("team");
    std::fs::create_dir_all(&table).expect("mkdir");
    let rt = runtime();
    rt.block_on(async {
        use datafusion::arrow::array::{ArrayRef, Int64Array};
        let batch =
            RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)])
                .expect("batch");
        let url = url::Url::from_directory_path(&table).expect("url");
        let theirs = deltalake::DeltaTableBuilder::from_url(url)
            .expect("builder")
            .build()
            .expect("table");
        theirs.write(vec![batch]).await.expect("their table");
    });
    std::fs::write(table.join("README.txt"), "their table").expect("write");
    let before = tree(&out);
    let err = batch(
        "sample",
        &out,
        "delta",
        &[
            "--reports",
            "team",
            "--period",
            "2026-10",
            "--retain-hours",
            "0",
        ],
    );
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert_eq!(err.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is a Delta table that kpiql batch did not make"),
        "{stderr}"
    );
    assert_eq!(tree(&out), before, "their table is untouched");
}

// guards: a report named `..` published a Delta table into DEST's parent and
// its vacuum deleted the files there; `/`, `#`, `?` made the path written
// and the URL vacuumed differ.
#[test]
fn report_names_that_are_not_plain_words_are_refused_before_anything_is_written() {
    for name in ["..", "a#b", "a?b", "a b", "zespół"] {
        let dir = tempfile::tempdir().expect("tmp");
        let queries = dir.path().join("queries");
        std::fs::create_dir_all(&queries).expect("mkdir");
        std::fs::write(
            queries.join(format!("{name}.sql")),
            format!("-- @report {name}\n-- @description Bad name.\nSELECT 1 AS x\n"),
        )
        .expect("write");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("keep.txt"), "keep").expect("write");
        let err = kpiql()
            .arg("--queries")
            .arg(&queries)
            .args(["batch", "--reports", name, "--retain-hours", "0", "--out"])
            .arg(&out)
            .output()
            .expect("batch");
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("[A-Za-z0-9_]+") && stderr.contains(&format!("{name}.sql")),
            "{name}: the error names the file and the rule: {stderr}"
        );
        assert_eq!(tree(dir.path()), {
            let mut expected = vec![
                "out".to_string(),
                "out/keep.txt".to_string(),
                "queries".to_string(),
                format!("queries/{name}.sql"),
            ];
            expected.sort();
            expected
        });
    }
}

// guards: report files ran with DDL, DML and COPY allowed, so a report
// could write files.
#[test]
fn report_sql_is_read_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries).expect("mkdir");
    let target = dir.path().join("written.csv");
    let cases = [
        (
            "copies",
            format!("COPY (SELECT 1 AS x) TO '{}'", target.display()),
        ),
        ("creates", "CREATE TABLE t AS SELECT 1 AS x".to_string()),
        (
            "external",
            format!(
                "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '{}'",
                target.display()
            ),
        ),
        (
            "sets",
            "SET datafusion.execution.batch_size = 1".to_string(),
        ),
    ];
    for (name, sql) in &cases {
        std::fs::write(
            queries.join(format!("{name}.sql")),
            format!("-- @report {name}\n-- @description Writes.\n{sql}\n"),
        )
        .expect("write");
    }
    let out = dir.path().join("out");
    for (name, _) in &cases {
        for args in [
            vec!["report", name, "--format", "csv"],
            vec![
                "batch",
                "--reports",
                name,
                "--out",
                out.to_str().expect("utf-8"),
            ],
        ] {
            let err = kpiql()
                .arg("--queries")
                .arg(&queries)
                .args(&args)
                .output()
                .expect("runs");
            let stderr = String::from_utf8_lossy(&err.stderr);
            assert_eq!(err.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("not supported") || stderr.contains("not allowed"),
                "{args:?}: {stderr}"
            );
            assert!(
                stderr.contains(&format!("{name}.sql")),
                "{args:?}: {stderr}"
            );
        }
    }
    assert!(!target.exists(), "no report wrote a file");
}

#[test]
fn retain_hours_out_of_range_is_refused_by_the_parser() {
    let dir = tempfile::tempdir().expect("tmp");
    for hours in ["876001", "2500000000000", "-1", "x"] {
        let err = batch(
            "sample",
            &dir.path().join("out"),
            "delta",
            &["--reports", "team", &format!("--retain-hours={hours}")],
        );
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{hours}: {stderr}");
        assert!(stderr.contains("--retain-hours"), "{hours}: {stderr}");
        assert!(!stderr.contains("panicked"), "{hours}: {stderr}");
    }
    assert!(!dir.path().join("out").exists(), "nothing written");
}

/// Two runs on one table: the second, started while the first holds the
/// table (paused after staging its files), is refused with a clear error;
/// the first then publishes undisturbed.
fn a_second_run_on_a_table_in_use_is_refused(format: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let queries = probe_queries(dir.path());
    let out = dir.path().join("out");
    let rt = runtime();
    run_probe(&out, &queries, format, "old");
    let (_, total) = probe_seen(&rt, format, &out);

    let mut first = spawn_batch(&out, &queries, format, "first", Some("probe:staged"));
    let first_stderr = wait_paused(&mut first);
    let second = spawn_batch(&out, &queries, format, "second", None)
        .wait_with_output()
        .expect("second run");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{format}: {stderr}");
    assert!(
        stderr.contains("is being written by another kpiql batch")
            && stderr.contains(".probe.lock")
            && stderr.contains("pid"),
        "{format}: the error names the lock and its holder: {stderr}"
    );
    // The first run goes on (the hook's pause ends) and publishes.
    let status = first.wait().expect("first run");
    drop(first_stderr);
    assert!(status.success(), "{format}: first run failed");
    assert_eq!(
        probe_seen(&rt, format, &out),
        (BTreeSet::from(["first".to_string()]), total),
        "{format}"
    );
    // A run killed while holding the lock frees it as it dies.
    let mut killed = spawn_batch(&out, &queries, format, "killed", Some("probe:staged"));
    let _stderr = wait_paused(&mut killed);
    killed.kill().expect("SIGKILL");
    killed.wait().expect("reap");
    run_probe(&out, &queries, format, "after");
    assert_eq!(
        probe_seen(&rt, format, &out).0,
        BTreeSet::from(["after".to_string()])
    );
}

#[test]
fn parquet_second_run_is_refused() {
    a_second_run_on_a_table_in_use_is_refused("parquet");
}

#[test]
fn delta_second_run_is_refused() {
    a_second_run_on_a_table_in_use_is_refused("delta");
}

/// Runs started at the same moment: whichever order they meet the lock in,
/// each either publishes or is refused by the lock, and the table holds
/// exactly one complete run.
#[test]
fn runs_started_together_leave_one_complete_table() {
    for format in ["parquet", "delta"] {
        let dir = tempfile::tempdir().expect("tmp");
        let queries = probe_queries(dir.path());
        let out = dir.path().join("out");
        let rt = runtime();
        run_probe(&out, &queries, format, "old");
        let (_, total) = probe_seen(&rt, format, &out);
        let runs: Vec<Child> = (0..4)
            .map(|i| spawn_batch(&out, &queries, format, &format!("run{i}"), None))
            .collect();
        let mut published = 0;
        for run in runs {
            let done = run.wait_with_output().expect("run");
            let stderr = String::from_utf8_lossy(&done.stderr);
            if done.status.success() {
                published += 1;
            } else {
                assert!(
                    stderr.contains("is being written by another kpiql batch"),
                    "{format}: a run failed for another reason: {stderr}"
                );
            }
        }
        assert!(published >= 1, "{format}: some run published");
        let (tags, seen) = probe_seen(&rt, format, &out);
        assert_eq!(tags.len(), 1, "{format}: one run's rows: {tags:?}");
        assert_eq!(seen, total, "{format}: a complete run");
    }
}

/// On S3: a prefix holding someone else's objects is refused by both
/// formats and its objects survive; the table lock is an object, refused
/// while held (also by a killed run, until it expires) and taken over once
/// expired.
#[test]
fn s3_foreign_prefixes_are_kept_and_tables_are_locked() {
    use futures::TryStreamExt;
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("reports");
    let store = moto.store("reports");
    let rt = runtime();
    let listing = |prefix: &str| -> Vec<String> {
        rt.block_on(async {
            let listed: Vec<_> = store
                .list(Some(&StorePath::from(prefix)))
                .try_collect()
                .await
                .expect("list");
            let mut names: Vec<String> = listed.iter().map(|m| m.location.to_string()).collect();
            names.sort();
            names
        })
    };
    rt.block_on(async {
        for key in ["mine/team/notes/keep.txt", "mine/team/data.csv"] {
            store
                .put(&StorePath::from(key), b"user data".to_vec().into())
                .await
                .expect("put");
        }
    });
    for format in ["delta", "parquet"] {
        let out = moto
            .cmd()
            .args(["batch", "--reports", "team", "--period", "2026-10"])
            .args(["--retain-hours", "0", "--table-format", format])
            .args(["--out", "s3://reports/mine"])
            .output()
            .expect("batch");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains("s3://reports/mine/team/")
                && stderr.contains("not written by kpiql batch"),
            "{format}: {stderr}"
        );
        assert_eq!(
            listing("mine/team"),
            ["mine/team/data.csv", "mine/team/notes/keep.txt"],
            "{format}: the user's objects are kept"
        );
    }

    let queries_dir = tempfile::tempdir().expect("tmp");
    let queries = probe_queries(queries_dir.path());
    let probe = |tag: &str| {
        let mut cmd = moto.std_cmd();
        cmd.arg("--queries")
            .arg(&queries)
            .args(["batch", "--reports", "probe", "--period", "2026-10"])
            .args([
                "--table-format",
                "parquet",
                "--param",
                &format!("tag={tag}"),
            ])
            .args(["--out", "s3://reports/locked"]);
        cmd
    };
    // Held by a paused run: refused, naming the lock object.
    let mut held = probe("held")
        .env(PAUSE_VAR, "probe:staged")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let _held_stderr = wait_paused(&mut held);
    let refused = probe("second").output().expect("second");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is being written by another kpiql batch")
            && stderr.contains("s3://reports/locked/.probe.lock"),
        "{stderr}"
    );
    // Killed while holding it: the lock stays until it expires.
    held.kill().expect("SIGKILL");
    held.wait().expect("reap");
    let refused = probe("third").output().expect("third");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("lock expires"), "{stderr}");
    // Once expired, the next run takes it over, publishes and removes it.
    let lock = StorePath::from("locked/.probe.lock");
    rt.block_on(async {
        let bytes = store
            .get(&lock)
            .await
            .expect("lock")
            .bytes()
            .await
            .expect("bytes");
        let mut holder: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        holder["expires_at"] = serde_json::Value::from("2020-01-01T00:00:00Z");
        store
            .put(&lock, serde_json::to_vec(&holder).expect("json").into())
            .await
            .expect("expire the lock");
    });
    ok(probe("fourth").output().expect("fourth"));
    assert!(
        !listing("locked").contains(&"locked/.probe.lock".to_string()),
        "the lock is released"
    );
}

/// The batch's test-only lock expiry (seconds), to outlive it in a test.
const LOCK_EXPIRY_VAR: &str = "KPIQL_TEST_ONLY_LOCK_EXPIRY_SECONDS";

// guards: an S3 lock expired under a run longer than its expiry (one hour)
// and the next run could take the table over mid-publish (issue 30).
/// On S3 a run renews its lock while it works: with a 4 s expiry, a run
/// paused for 30 s still holds its lock after the first expiry has passed,
/// so a second run is refused, and it publishes and deletes the renewed
/// lock. A run whose lock is taken from it (the lock object overwritten)
/// refuses to publish, saying so, and leaves the table and the new lock as
/// they were.
#[test]
fn s3_locks_are_renewed_and_a_lost_lock_is_not_published() {
    use std::io::Read;
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("reports");
    let store = moto.store("reports");
    let rt = runtime();
    let queries_dir = tempfile::tempdir().expect("tmp");
    let queries = probe_queries(queries_dir.path());
    let probe = |out: &str, tag: &str| {
        let mut cmd = moto.std_cmd();
        cmd.arg("--queries")
            .arg(&queries)
            .args(["batch", "--reports", "probe", "--period", "2026-10"])
            .args(["--table-format", "parquet"])
            .args(["--param", &format!("tag={tag}"), "--out", out])
            .env_remove(LOCK_EXPIRY_VAR);
        cmd
    };
    let paused = |out: &str, tag: &str| {
        let mut child = probe(out, tag)
            .env(PAUSE_VAR, "probe:staged")
            .env(LOCK_EXPIRY_VAR, "4")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stderr = wait_paused(&mut child);
        (child, stderr)
    };
    let get = |key: &str| -> Option<(Vec<u8>, Option<String>)> {
        rt.block_on(async {
            match store.get(&StorePath::from(key)).await {
                Ok(got) => {
                    let e_tag = got.meta.e_tag.clone();
                    Some((got.bytes().await.expect("bytes").to_vec(), e_tag))
                }
                Err(object_store::Error::NotFound { .. }) => None,
                Err(e) => panic!("get {key}: {e}"),
            }
        })
    };
    let holder = |bytes: &[u8]| -> (String, chrono::DateTime<chrono::Utc>) {
        let json: serde_json::Value = serde_json::from_slice(bytes).expect("lock json");
        let expires = json["expires_at"].as_str().expect("an expiry");
        (
            json["run_id"].as_str().expect("run id").to_string(),
            expires.parse().expect("an instant"),
        )
    };
    let tags = |table: &str| -> BTreeSet<String> {
        let batches = rt.block_on(read_parquet_table(
            Arc::clone(&store),
            &StorePath::from(table),
        ));
        lines(&batches, &["tag".to_string()]).into_iter().collect()
    };

    ok(probe("s3://reports/stolen", "old").output().expect("old"));
    let manifest = get("stolen/probe/_manifest.json").expect("a manifest");
    let (mut renewed, mut renewed_stderr) = paused("s3://reports/renewed", "renewed");
    let (mut stolen, mut stolen_stderr) = paused("s3://reports/stolen", "stolen");

    // Another run takes the lock of the stolen run's table.
    let thief = serde_json::json!({
        "run_id": "thief",
        "pid": 1,
        "host": "elsewhere",
        "acquired_at": chrono::Utc::now(),
        "expires_at": chrono::Utc::now() + chrono::Duration::hours(1),
    });
    let thief = serde_json::to_vec(&thief).expect("json");
    rt.block_on(store.put(&StorePath::from("stolen/.probe.lock"), thief.clone().into()))
        .expect("steal the lock");

    // The renewed run's lock outlives its first expiry, still its own.
    let (first, first_e_tag) = get("renewed/.probe.lock").expect("the lock");
    let (run_id, first_expiry) = holder(&first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let e_tag = loop {
        let (now, e_tag) = get("renewed/.probe.lock").expect("the lock is kept");
        let (now_id, expiry) = holder(&now);
        assert_eq!(now_id, run_id, "the lock stays the run's");
        let after = chrono::Utc::now();
        if after > first_expiry && expiry > after {
            break e_tag;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lock was not renewed past its first expiry {first_expiry} (now {after}, \
             it expires {expiry})"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_ne!(e_tag, first_e_tag, "a renewal is a new write");
    let second = probe("s3://reports/renewed", "second")
        .output()
        .expect("second");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is being written by another kpiql batch") && stderr.contains(&run_id),
        "refused, naming the holder: {stderr}"
    );

    // The renewed run publishes and deletes its (renewed) lock.
    let status = renewed.wait().expect("renewed run");
    let mut rest = String::new();
    renewed_stderr.read_to_string(&mut rest).expect("stderr");
    assert!(status.success(), "the renewed run publishes: {rest}");
    assert_eq!(
        tags("renewed/probe"),
        BTreeSet::from(["renewed".to_string()])
    );
    assert!(get("renewed/.probe.lock").is_none(), "the lock is released");

    // The run that lost its lock publishes nothing and leaves the lock.
    let status = stolen.wait().expect("stolen run");
    let mut stderr = String::new();
    stolen_stderr.read_to_string(&mut stderr).expect("stderr");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("lost the table lock s3://reports/stolen/.probe.lock")
            && stderr.contains("taken over by run thief")
            && stderr.contains("not publishing"),
        "the error says the lock was lost and to whom: {stderr}"
    );
    assert_eq!(
        get("stolen/probe/_manifest.json").expect("a manifest").0,
        manifest.0,
        "the published manifest is untouched"
    );
    assert_eq!(tags("stolen/probe"), BTreeSet::from(["old".to_string()]));
    assert_eq!(
        get("stolen/.probe.lock").expect("the thief's lock").0,
        thief,
        "the new holder's lock is neither renewed nor deleted"
    );
}

// guards: clean-up removed every folder `.<report>.*` in DEST, a user's
// `.team.backup` included; only staging folders named by a run id go.
#[test]
fn clean_up_removes_only_kpiqls_own_staging_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(".team.backup")).expect("mkdir");
    std::fs::write(out.join(".team.backup/keep.txt"), "keep").expect("write");
    let leftover = out.join(".team.20260101T000000.000Z-0badf00d");
    std::fs::create_dir_all(&leftover).expect("mkdir");
    ok(batch(
        "sample",
        &out,
        "parquet",
        &["--reports", "team", "--period", "2026-10"],
    ));
    assert_eq!(
        std::fs::read_to_string(out.join(".team.backup/keep.txt")).expect("kept"),
        "keep"
    );
    assert!(
        !leftover.exists(),
        "a killed run's staging folder is removed"
    );
}

/// A lake without the optional tables some reports need: `--reports all`
/// leaves those reports out with a note and publishes the rest; naming one
/// is an error that names the missing table.
#[test]
fn all_reports_leave_out_those_whose_table_the_lake_lacks() {
    let dir = tempfile::tempdir().expect("tmp");
    let lake = dir.path().join("lake");
    crate::fixtures::small_lake(&lake);
    let lake = lake.to_str().expect("utf-8").to_string();
    let out = dir.path().join("out");
    let stderr = ok(kpiql()
        .args(["--data", &lake, "batch", "--period", "2026-01", "--out"])
        .arg(&out)
        .args(["--table-format", "parquet"])
        .output()
        .expect("run"));
    for (report, table) in [
        ("agent_satisfaction", "agent_surveys"),
        ("retention", "customers"),
        ("knowledge_base", "kb_views"),
    ] {
        assert!(
            stderr.contains(&format!(
                "note: report {report} left out: the lake has no table {table}"
            )),
            "{stderr}"
        );
        assert!(!out.join(report).exists(), "{report} not published");
    }
    assert!(out.join("team").is_dir(), "the other reports are published");
    let named = kpiql()
        .args([
            "--data",
            &lake,
            "batch",
            "--period",
            "2026-01",
            "--reports",
            "retention",
            "--out",
        ])
        .arg(dir.path().join("out2"))
        .output()
        .expect("run");
    assert_eq!(named.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&named.stderr).contains("needs the table customers"),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
}

// guards: the table lock followed a symbolic link: with DEST/.team.lock a
// link to a user's file, batch wrote its JSON into that file, exited 0 and
// deleted the link (a dangling link had the file it names created).
#[test]
fn a_lock_that_is_a_symbolic_link_is_refused_and_left_alone() {
    for format in ["parquet", "delta"] {
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let out = std::fs::canonicalize(&out).expect("canonical");
        let theirs = dir.path().join("notes.txt");
        std::fs::write(&theirs, "my notes").expect("write");
        let missing = dir.path().join("missing.txt");
        for (report, target) in [("team", &theirs), ("agent", &missing)] {
            let lock = out.join(format!(".{report}.lock"));
            std::os::unix::fs::symlink(target, &lock).expect("symlink");
            let err = batch(
                "sample",
                &out,
                format,
                &["--reports", report, "--period", "2026-10"],
            );
            let stderr = String::from_utf8_lossy(&err.stderr);
            assert_eq!(err.status.code(), Some(2), "{format} {report}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "the table lock {} is a symbolic link",
                    lock.display()
                )),
                "{format} {report}: the error names the lock: {stderr}"
            );
            assert_eq!(
                std::fs::read_link(&lock).expect("the link is kept"),
                *target,
                "{format} {report}"
            );
            assert!(!out.join(report).exists(), "{format} {report}: no table");
        }
        assert_eq!(
            std::fs::read_to_string(&theirs).expect("kept"),
            "my notes",
            "{format}: the linked file is untouched"
        );
        assert!(
            !missing.exists(),
            "{format}: no file is created through a dangling link"
        );
    }
}

/// `DIR` as the URL the errors name, with a trailing `/`.
fn folder_url(dir: &Path) -> String {
    url::Url::from_directory_path(std::fs::canonicalize(dir).expect("canonical"))
        .expect("url")
        .to_string()
}

// guards: `batch --out w/kpi/team` was accepted inside the table
// w/kpi/team/ of `batch --out w/kpi`, whose next run (Delta's vacuum,
// Parquet's exchange) then deleted the inner tables.
#[test]
fn a_table_inside_another_is_refused_either_way_and_nothing_is_written() {
    let args = [
        "--reports",
        "team",
        "--period",
        "2026-10",
        "--retain-hours",
        "0",
    ];
    for format in ["delta", "parquet"] {
        // Outer first: DEST inside its table (or the table itself) is refused.
        let dir = tempfile::tempdir().expect("tmp");
        let outer = dir.path().join("w/kpi");
        ok(batch("sample", &outer, format, &args));
        let table = folder_url(&outer.join("team"));
        let before = tree(dir.path());
        for (inner, says) in [
            (
                outer.join("team"),
                format!("--out {table} is itself a table"),
            ),
            (
                outer.join("team/deeper/x"),
                format!("--out {table}deeper/x/ lies inside the table {table}"),
            ),
        ] {
            let err = batch("sample", &inner, format, &args);
            let stderr = String::from_utf8_lossy(&err.stderr);
            assert_eq!(err.status.code(), Some(2), "{format}: {stderr}");
            assert!(stderr.contains(&says), "{format}: {says}: {stderr}");
            assert_eq!(tree(dir.path()), before, "{format}: nothing written");
        }

        // Inner first: the outer run, whose table folder would hold it, is
        // refused.
        let dir = tempfile::tempdir().expect("tmp");
        let outer = dir.path().join("w/kpi");
        ok(batch("sample", &outer.join("team"), format, &args));
        let before = tree(dir.path());
        let err = batch("sample", &outer, format, &args);
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{format}: {stderr}");
        let table = folder_url(&outer.join("team"));
        assert!(
            stderr.contains(&format!(
                "{table} holds another table, {table}team/ (it has "
            )),
            "{format}: the error names both tables: {stderr}"
        );
        assert_eq!(tree(dir.path()), before, "{format}: nothing written");
    }
}

/// On S3 the same: a prefix inside a table, and a table prefix holding
/// another table, are refused by listing the store, and nothing is added.
#[test]
fn s3_tables_inside_tables_are_refused() {
    use futures::TryStreamExt;
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("reports");
    let store = moto.store("reports");
    let rt = runtime();
    let listing = || -> Vec<String> {
        rt.block_on(async {
            let listed: Vec<_> = store.list(None).try_collect().await.expect("list");
            let mut names: Vec<String> = listed.iter().map(|m| m.location.to_string()).collect();
            names.sort();
            names
        })
    };
    let run = |format: &str, out: &str| {
        moto.cmd()
            .args(["batch", "--reports", "team", "--period", "2026-10"])
            .args(["--retain-hours", "0", "--table-format", format])
            .args(["--out", out])
            .output()
            .expect("batch")
    };
    for format in ["delta", "parquet"] {
        let outer = format!("s3://reports/{format}/outer");
        ok(run(format, &outer));
        let before = listing();
        let err = run(format, &format!("{outer}/team/x"));
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "--out {outer}/team/x/ lies inside the table {outer}/team/"
            )),
            "{format}: {stderr}"
        );
        assert_eq!(listing(), before, "{format}: nothing written");

        let inner = format!("s3://reports/{format}/inner");
        ok(run(format, &format!("{inner}/team")));
        let before = listing();
        let err = run(format, &inner);
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{format}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{inner}/team/ holds another table, {inner}/team/team/"
            )),
            "{format}: {stderr}"
        );
        assert_eq!(listing(), before, "{format}: nothing written");
    }
}

// guards: the Parquet publisher hard-linked whatever the previous manifest
// listed: `..` and absolute paths, or a `period=` folder that is a link to
// somewhere else, pulled outside files into the new version.
#[test]
fn manifest_paths_outside_the_table_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let out = root.join("out");
    let table = out.join("team");
    let period = |p: &'static str| ["--reports", "team", "--period", p];
    ok(batch("sample", &out, "parquet", &period("2026-09")));
    let manifest_path = table.join("_manifest.json");
    let original = std::fs::read(&manifest_path).expect("manifest");
    let mut manifest: serde_json::Value = serde_json::from_slice(&original).expect("json");
    let listed = manifest["files"][0].clone();
    // Someone's Parquet file beside the table and above DEST.
    let real = table.join(listed["path"].as_str().expect("path"));
    for outside in [out.join("outside.parquet"), root.join("outside.parquet")] {
        std::fs::copy(&real, outside).expect("copy");
    }
    let manifest_url = url::Url::from_file_path(&manifest_path).expect("url");
    for path in [
        "../outside.parquet".to_string(),
        "period=2026-09/../../../outside.parquet".to_string(),
        root.join("outside.parquet").display().to_string(),
    ] {
        let mut edited = listed.clone();
        edited["path"] = serde_json::Value::from(path.clone());
        edited["period"] = serde_json::Value::from("2026-08");
        manifest["files"] = serde_json::json!([listed.clone(), edited]);
        std::fs::write(&manifest_path, manifest.to_string()).expect("edit");
        let before = tree(&root);
        let err = batch("sample", &out, "parquet", &period("2026-10"));
        let stderr = String::from_utf8_lossy(&err.stderr);
        assert_eq!(err.status.code(), Some(2), "{path}: {stderr}");
        assert!(
            stderr.contains(&format!("{manifest_url} lists the file {path:?}")),
            "{path}: the error names the manifest and the path: {stderr}"
        );
        assert_eq!(tree(&root), before, "{path}: nothing written");
    }

    // A period folder linked to a folder outside the table.
    std::fs::write(&manifest_path, &original).expect("restore");
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::fs::rename(
        table.join("period=2026-09"),
        elsewhere.join("period=2026-09"),
    )
    .expect("move");
    std::os::unix::fs::symlink(
        elsewhere.join("period=2026-09"),
        table.join("period=2026-09"),
    )
    .expect("symlink");
    let before = tree(&root);
    let err = batch("sample", &out, "parquet", &period("2026-10"));
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert_eq!(err.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} lists {:?}, but {} is {}, outside the table {}",
            manifest_path.display(),
            listed["path"].as_str().expect("path"),
            real.display(),
            elsewhere
                .join(listed["path"].as_str().expect("path"))
                .display(),
            table.display()
        )),
        "the error names the manifest, the path and where it leads: {stderr}"
    );
    assert_eq!(tree(&root), before, "nothing written");
    assert!(
        std::fs::symlink_metadata(table.join("period=2026-09"))
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link is left as it was"
    );
}

// guards: the Delta manifest was written after the commit and the vacuum,
// so a run killed (or a vacuum failing) between them left the previous
// run's manifest beside the new version.
#[test]
fn delta_manifest_describes_the_published_version() {
    let dir = tempfile::tempdir().expect("tmp");
    let queries = probe_queries(dir.path());
    let out = dir.path().join("out");
    let rt = runtime();
    run_probe(&out, &queries, "delta", "old");
    let manifest = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("probe/_manifest.json")).expect("manifest"))
            .expect("json")
    };
    let version = || -> u64 {
        rt.block_on(async {
            let url = url::Url::from_directory_path(out.join("probe")).expect("url");
            let table = deltalake::open_table(url).await.expect("table");
            table.version().expect("a version")
        })
    };
    let killed_at = |tag: &str, point: &str| {
        let mut child = spawn_batch(&out, &queries, "delta", tag, Some(point));
        let _stderr = wait_paused(&mut child);
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    };

    // Killed after publishing, before the vacuum: the manifest is the new
    // version's.
    killed_at("new", "probe:published");
    let m = manifest();
    assert_eq!(m["parameters"]["tag"], "new");
    assert_eq!(m["delta_version"].as_u64(), Some(version()));

    // Killed between the commit and the manifest: the manifest names the
    // version it describes, and the next run says it is stale and replaces it.
    killed_at("newer", "probe:committed");
    let m = manifest();
    assert_eq!(m["parameters"]["tag"], "new");
    let stale = m["delta_version"].as_u64().expect("a version");
    let committed = version();
    assert!(stale < committed, "{stale} < {committed}");
    let done = spawn_batch(&out, &queries, "delta", "last", None)
        .wait_with_output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "_manifest.json describes Delta version {stale}, but version {committed} changed \
             the table after it"
        )),
        "{stderr}"
    );
    let m = manifest();
    assert_eq!(m["parameters"]["tag"], "last");
    assert_eq!(m["delta_version"].as_u64(), Some(committed + 1));
}

// guards: `--table-format parquet` over a kpiql Delta table replaced the
// table (its log and every period but its last run's) with plain Parquet,
// exit 0. The other way round is refused as someone else's folder.
#[test]
fn a_table_is_not_replaced_by_the_other_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    for period in ["2026-08", "2026-09"] {
        ok(batch(
            "sample",
            &out,
            "delta",
            &["--reports", "team", "--period", period],
        ));
    }
    let before = tree(dir.path());
    let err = batch(
        "sample",
        &out,
        "parquet",
        &["--reports", "team", "--period", "2026-10"],
    );
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert_eq!(err.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is a delta table") && stderr.contains("--table-format delta"),
        "{stderr}"
    );
    assert_eq!(tree(dir.path()), before, "the Delta table is untouched");
}

mod links;
