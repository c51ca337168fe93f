//! A Ballista cluster of real `kpiql scheduler` and `kpiql executor`
//! processes on loopback (issue 17): the reports and KPI functions give
//! what the in-process run gives, on a local lake and on an `s3://` lake
//! (a moto server); a job the cluster cannot finish fails within
//! `--cluster-timeout`; an executor killed with SIGKILL mid-query leaves the
//! query to the other one, and the last one killed mid-batch leaves the
//! batch job's previous output intact; each process warns when bound to
//! an address other machines reach, and only then.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn kpiql_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kpiql")
}

/// A port p with p + 1 free too (an executor listens on both).
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = first.local_addr().expect("addr").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free ports in a row on loopback");
}

struct Cluster {
    scheduler: Child,
    executors: Vec<Child>,
    url: String,
    logs: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self
            .executors
            .iter_mut()
            .chain(std::iter::once(&mut self.scheduler))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn log_of(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    text
}

impl Cluster {
    /// A scheduler and `executors` executors, `env` in their environment;
    /// returns once the scheduler has registered every executor (its log
    /// says so), within a minute.
    fn start(executors: usize, env: &[(&str, String)]) -> Cluster {
        let logs = tempfile::tempdir().expect("tempdir");
        let port = free_port_pair();
        let scheduler = StdCommand::new(kpiql_bin())
            .args(["scheduler", "--bind", &format!("127.0.0.1:{port}")])
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(logs.path().join("scheduler.log")).expect("log"))
            .spawn()
            .expect("scheduler starts");
        let mut cluster = Cluster {
            scheduler,
            executors: Vec::new(),
            url: format!("df://127.0.0.1:{port}"),
            logs,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the scheduler did not listen: {}",
                cluster.scheduler_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for n in 0..executors {
            let own = free_port_pair();
            let child = StdCommand::new(kpiql_bin())
                .args(["executor", "--scheduler", &format!("127.0.0.1:{port}")])
                .args([
                    "--bind",
                    &format!("127.0.0.1:{own}"),
                    "--concurrent-tasks",
                    "2",
                ])
                .envs(env.iter().cloned())
                .stdout(Stdio::null())
                .stderr(
                    std::fs::File::create(cluster.logs.path().join(format!("executor{n}.log")))
                        .expect("log"),
                )
                .spawn()
                .expect("executor starts");
            cluster.executors.push(child);
        }
        while cluster
            .scheduler_log()
            .matches("Received register executor request")
            .count()
            < executors
        {
            assert!(
                Instant::now() < deadline,
                "the executors did not register: {}",
                cluster.scheduler_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    fn scheduler_log(&self) -> String {
        log_of(&self.logs.path().join("scheduler.log"))
    }

    fn executor_log(&self, n: usize) -> String {
        log_of(&self.logs.path().join(format!("executor{n}.log")))
    }

    /// Tasks executor `n` has started.
    fn tasks_of(&self, n: usize) -> usize {
        self.executor_log(n).matches("Execute task").count()
    }

    fn jobs(&self) -> usize {
        self.scheduler_log().matches("Job submitted").count()
    }
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/sample")
        .display()
        .to_string()
}

/// `kpiql -q --data DATA [--cluster URL --cluster-timeout 120s] ARGS`.
fn command(data: &str, cluster: Option<&str>, args: &[&str]) -> StdCommand {
    let mut cmd = StdCommand::new(kpiql_bin());
    cmd.env_remove("KPIQL_DATA")
        .env_remove("KPIQL_CLUSTER")
        .args(["-q", "--data", data]);
    if let Some(url) = cluster {
        cmd.args(["--cluster", url, "--cluster-timeout", "120s"]);
    }
    cmd.args(args);
    cmd
}

fn run(cluster: Option<&str>, args: &[&str]) -> std::process::Output {
    command(&sample(), cluster, args).output().expect("runs")
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A command that failed as an error (exit 2) saying `what`.
fn fails_saying(out: &std::process::Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(what), "expected {what:?} in: {stderr}");
}

#[test]
fn reports_and_kpis_on_a_cluster_equal_the_in_process_run() {
    // The sample lake twice: the folder every process sees, and a copy in
    // s3://lake/support/ that each process reads with its own AWS_*
    // environment (nothing about stores travels with the plans).
    let moto = crate::fixtures::Moto::start();
    moto.create_bucket("lake");
    moto.upload("lake", "support", Path::new(&sample()));
    let aws = moto.aws_env();
    let cluster = Cluster::start(2, &aws);
    let url = cluster.url.clone();
    let on_cluster = |data: &str, args: &[&str], what: &str| {
        let jobs = cluster.jobs();
        let out = command(data, Some(&url), args)
            .envs(aws.iter().cloned())
            .output()
            .expect("runs");
        let text = ok(&out, &format!("{what} on the cluster, lake {data}"));
        assert!(
            cluster.jobs() > jobs,
            "{what}, lake {data}: the scheduler ran no job"
        );
        text
    };
    let catalog = kpiql::reports::Catalog::load(None, &[]).expect("reports");
    let mut compared = 0;
    for report in catalog.reports() {
        let args = ["report", report.name.as_str()];
        let here = ok(&run(None, &args), &report.name);
        for data in [sample(), "s3://lake/support".to_string()] {
            let there = on_cluster(&data, &args, &report.name);
            assert_eq!(
                there, here,
                "{}, lake {data}: cluster and in-process differ",
                report.name
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 13);
    // In a report time zone (issue 28): the zone is bound into the plan on
    // the client, so the executors cut the same months and hours.
    for name in ["management", "staffing", "feedback"] {
        let args = ["--time-zone", "Asia/Kathmandu", "report", name];
        let here = ok(&run(None, &args), name);
        assert_eq!(
            on_cluster(&sample(), &args, name),
            here,
            "{name} in Asia/Kathmandu: cluster and in-process differ"
        );
    }
    // As this cluster's client plans them, the ticket reports restrict the
    // contacts below the grouping: Ballista passes no dynamic filter
    // (issue 27; DESIGN §3).
    for name in ["channels", "sla"] {
        let out = command(&sample(), Some(&url), &["report", name, "--explain"])
            .output()
            .expect("runs");
        if let Err(why) = crate::reports::restricts_below_the_grouping(&ok(&out, name)) {
            panic!("{name} on the cluster: {why}");
        }
    }
    // The survey joins' contacts are bounded by the ids of the period's
    // answers before the plan is shipped (`joins::bounds`), in the plan the
    // scheduler gets: in-process a hash join's dynamic filter does that as
    // it runs, so the in-process plan has no such range.
    for name in ["agent", "team"] {
        let bounded = |args: &[&str], cluster: Option<&str>| {
            let out = command(&sample(), cluster, args).output().expect("runs");
            let plan = ok(&out, name);
            let logical = plan.lines().any(|l| {
                l.trim_start().starts_with("TableScan: interactions")
                    && l.contains("interactions.interaction_id >= Utf8View(")
                    && l.contains("interactions.interaction_id <= Utf8View(")
            });
            let physical = plan.lines().any(|l| {
                l.trim_start().starts_with("DataSourceExec:")
                    && l.contains("interactions/")
                    && l.contains("pruning_predicate=")
                    && l.contains("interaction_id_max@")
                    && l.contains("interaction_id_min@")
            });
            (logical, physical, plan)
        };
        let (logical, physical, plan) = bounded(&["report", name, "--explain"], Some(&url));
        assert!(
            logical && physical,
            "{name} on the cluster: no scan of interactions bounded by the answers' ids:\n{plan}"
        );
        // EXPLAIN through the client's planner: what it sends.
        let sql = format!("EXPLAIN SELECT * FROM report('{name}')");
        let (logical, _, plan) = bounded(&["sql", &sql], Some(&url));
        assert!(
            logical && plan.contains("distributed_plan"),
            "{sql} on the cluster: no scan of interactions bounded by the answers' ids:\n{plan}"
        );
        let (logical, physical, plan) = bounded(&["report", name, "--explain"], None);
        assert!(
            !logical && !physical,
            "{name} in-process: a static bound of the ids:\n{plan}"
        );
    }
    // Ad-hoc KPI queries, every function, grouped.
    for sql in [
        "SELECT team, fcr(contact_seq, resolved) AS fcr, escalation_rate(escalated) AS esc, \
         abandonment_rate(abandoned) AS ab, count(*) AS n FROM interactions GROUP BY team ORDER BY team",
        "SELECT kind, csat(score) FILTER (WHERE kind = 'csat') AS csat, nps(score) FILTER (WHERE kind = 'nps') AS nps, \
         ces(score) FILTER (WHERE kind = 'ces') AS ces FROM surveys GROUP BY kind ORDER BY kind",
        // Float sums are rounded: their last bits depend on the order
        // partitions add up in, in-process too.
        "SELECT team, round(occupancy(state, seconds), 9) AS occ, round(utilization(state, seconds), 9) AS util \
         FROM agent_states GROUP BY team ORDER BY team",
        "SELECT i.team, round(sum(business_seconds(i.created_at, i.first_response_at, c.calendar_id)), 3) AS b \
         FROM interactions i JOIN team_calendars c ON c.team = i.team GROUP BY i.team ORDER BY i.team",
    ] {
        let here = ok(&run(None, &["sql", sql]), sql);
        for data in [sample(), "s3://lake/support".to_string()] {
            assert_eq!(
                on_cluster(&data, &["sql", sql], sql),
                here,
                "{sql}, lake {data}"
            );
        }
    }
    // Targets are joined on the client.
    let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/targets.csv");
    let targets = targets.to_str().expect("utf-8");
    for report in ["team", "management"] {
        let args = ["--targets", targets, "report", report];
        let here = ok(&run(None, &args), report);
        assert_eq!(
            on_cluster(&sample(), &args, report),
            here,
            "{report} with targets"
        );
    }
    // report(...) is sent as the report's own plan, bound by the client
    // (the defaults from the cluster's answer), and the cluster runs it:
    // equal to the in-process run, with and without arguments, columns
    // and a row limit the statement reads, and targets.
    for (sql, targets) in [
        ("SELECT * FROM report('team')", None),
        (
            "SELECT channel, interactions, fcr_pct FROM report('channels', '2026-09-01', '2026-10-01') \
             WHERE interactions > 10 ORDER BY channel LIMIT 2",
            None,
        ),
        (
            "SELECT a.team, a.handled, t.tickets FROM report('agent') a \
             JOIN report('team', NULL, NULL) t ON t.team = a.team ORDER BY a.handled DESC, a.team LIMIT 5",
            None,
        ),
        ("SELECT * FROM report('management')", Some(targets)),
    ] {
        let mut args = Vec::new();
        if let Some(file) = targets {
            args.extend(["--targets", file]);
        }
        args.extend(["sql", sql]);
        let here = ok(&run(None, &args), sql);
        assert!(here.lines().count() > 1, "{sql}: no rows\n{here}");
        assert_eq!(on_cluster(&sample(), &args, sql), here, "{sql}");
    }
    // A table this process holds (the targets) is read here, not sent.
    let jobs = cluster.jobs();
    let sql = "SELECT count(*) AS n FROM targets";
    let out = command(&sample(), Some(&url), &["--targets", targets, "sql", sql])
        .output()
        .expect("runs");
    assert_eq!(
        ok(&out, sql),
        ok(&run(None, &["--targets", targets, "sql", sql]), sql)
    );
    assert_eq!(cluster.jobs(), jobs, "{sql} was sent to the cluster");
    // A PostgreSQL client of `serve --cluster`: report(...) and the
    // reports.<name> views computed by the cluster, the catalog (what psql's
    // \dt reads) answered by the server itself.
    let server = crate::serve::serve(&["--data", &sample(), "--cluster", &url]);
    for (sql, cli) in [
        ("SELECT * FROM report('team')", vec!["report", "team"]),
        ("SELECT * FROM reports.channels", vec!["report", "channels"]),
        (
            // Both ends given: no query for a default, so the one job is
            // the report's.
            "SELECT * FROM report('sla', '2026-09-01', '2026-10-01')",
            vec![
                "report",
                "sla",
                "--from",
                "2026-09-01",
                "--to",
                "2026-10-01",
            ],
        ),
    ] {
        let jobs = cluster.jobs();
        let (done, out, err) =
            crate::serve::psql(&server, "kpiql", crate::serve::PASSWORD, "", &[sql]);
        assert!(done, "{sql} over serve --cluster: {err}");
        crate::serve::assert_same_table(&out, &crate::fixtures::sample_csv(&cli), sql);
        assert!(
            cluster.jobs() > jobs,
            "{sql}: serve --cluster ran it itself"
        );
    }
    let (done, out, err) =
        crate::serve::psql(&server, "kpiql", crate::serve::PASSWORD, "", &["\\dt"]);
    assert!(done, "\\dt over serve --cluster: {err}");
    assert!(out.contains("interactions"), "{out}");
    drop(server);
    // The shell, in a real terminal, sends its statements to the cluster.
    let fcr = ok(
        &run(
            None,
            &[
                "sql",
                "SELECT round(fcr(contact_seq, resolved), 6) AS f FROM interactions",
            ],
        ),
        "fcr",
    );
    let fcr = fcr.lines().nth(1).expect("a value").to_string();
    let home = tempfile::tempdir().expect("tempdir");
    let mut shell = StdCommand::new(kpiql_bin());
    shell
        .args(["--data", &sample(), "--cluster", &url, "repl"])
        .env_remove("KPIQL_DATA")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("TERM", "xterm");
    let mut p = rexpect::session::spawn_command(shell, Some(120_000)).expect("spawn the shell");
    p.exp_string(")> ").expect("the prompt");
    let jobs = cluster.jobs();
    p.send_line("SELECT round(fcr(contact_seq, resolved), 6) AS f FROM interactions;")
        .expect("send");
    p.exp_string(&format!("| {fcr} |"))
        .expect("the in-process value");
    p.send_line("\\q").expect("send");
    p.exp_eof().expect("the shell exits");
    assert!(
        cluster.jobs() > jobs,
        "the shell's query ran on the cluster"
    );
    // --verbose names the cluster.
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["--data", &sample(), "--cluster", &url, "--verbose"])
        .args(["sql", "SELECT 1 AS one"])
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("running on the Ballista cluster at {url}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An executor stopped with SIGTERM deregisters; the scheduler says so.
    let pid = cluster.executors[0].id().to_string();
    let status = StdCommand::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cluster
        .scheduler_log()
        .contains("Received executor stopped request")
    {
        assert!(
            Instant::now() < deadline,
            "no deregistration: {}",
            cluster.scheduler_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The built-in sample lake is in the client's memory: refused, clearly.
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .args(["--cluster", &url, "sql", "SELECT 1 AS one"])
        .output()
        .expect("runs");
    fails_saying(
        &out,
        "the built-in sample lake is in this process's memory only",
    );
}

// guards: a job no executor can run (a cluster without executors) fails
// with a message naming the cluster and the timeout, not a hang.
#[test]
fn a_job_the_cluster_cannot_finish_fails_within_the_timeout() {
    let cluster = Cluster::start(0, &[]);
    let started = Instant::now();
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["-q", "--data", &sample(), "--cluster", &cluster.url])
        .args([
            "--cluster-timeout",
            "3s",
            "sql",
            "SELECT count(*) FROM interactions",
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    fails_saying(
        &out,
        &format!(
            "the cluster at {} did not finish within --cluster-timeout 3s",
            cluster.url
        ),
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    // The shell's statements are bounded the same way.
    let started = Instant::now();
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["-q", "--data", &sample(), "--cluster", &cluster.url])
        .args(["--cluster-timeout", "3s", "repl"])
        .write_stdin("SELECT count(*) FROM interactions;\n")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    fails_saying(&out, "did not finish within --cluster-timeout 3s");
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Tasks each executor has started.
fn tasks(cluster: &Cluster) -> Vec<usize> {
    (0..cluster.executors.len())
        .map(|n| cluster.tasks_of(n))
        .collect()
}

/// Waits until one of the executors still alive (`alive`) starts a task
/// it had not at `before`, then kills that one with SIGKILL and returns
/// its number; None when `job` ended first.
fn kill_the_busy_one(
    cluster: &mut Cluster,
    alive: &[usize],
    before: &[usize],
    job: &mut Child,
) -> Option<usize> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let busy = loop {
        if let Some(n) = alive
            .iter()
            .copied()
            .find(|&n| cluster.tasks_of(n) > before[n])
        {
            break n;
        }
        if job.try_wait().expect("job status").is_some() {
            return None;
        }
        assert!(Instant::now() < deadline, "no executor got a task");
        std::thread::sleep(Duration::from_millis(20));
    };
    let victim = &mut cluster.executors[busy];
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");
    Some(busy)
}

/// The output of `job`, which `--cluster-timeout 120s` bounds.
fn finish(job: Child, started: Instant) -> std::process::Output {
    let out = job.wait_with_output().expect("job output");
    assert!(
        started.elapsed() < Duration::from_secs(200),
        "bounded by --cluster-timeout: took {:?}",
        started.elapsed()
    );
    out
}

// guards: an executor killed with SIGKILL while it runs a task of a query:
// the scheduler counts it lost after `--executor-timeout` (20 s), re-runs
// its tasks on the other executor and the query gives the in-process
// result. Then the last executor killed mid-batch: nothing can run the
// rest, the batch fails with exit 2 and leaves the previous tables as
// they were.
#[test]
fn executors_killed_mid_query_and_mid_batch() {
    let mut cluster = Cluster::start(2, &[]);
    let url = cluster.url.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("tables");
    let batch_args = [
        "batch",
        "--period",
        "2026-10",
        "--reports",
        "team,channels,agent,customers",
        "--out",
        out_dir.to_str().expect("utf-8"),
        "--table-format",
        "parquet",
    ];
    ok(&run(Some(&url), &batch_args), "the first batch");
    let manifests = || {
        ["team", "channels", "agent", "customers"].map(|report| {
            std::fs::read(out_dir.join(report).join("_manifest.json")).expect("a manifest")
        })
    };
    let before = manifests();

    // Mid-query: a join big enough to take seconds (about 4.9 M pairs).
    let sql = "SELECT a.team, count(*) AS pairs, fcr(b.contact_seq, b.resolved) AS fcr \
               FROM interactions a JOIN interactions b ON a.team = b.team \
               AND a.channel = b.channel AND a.contact_seq = b.contact_seq \
               AND a.priority = b.priority GROUP BY a.team ORDER BY a.team";
    let here = ok(&run(None, &["sql", sql]), "in-process");
    let counts = tasks(&cluster);
    let started = Instant::now();
    let mut job = command(&sample(), Some(&url), &["sql", sql])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("query starts");
    let victim = kill_the_busy_one(&mut cluster, &[0, 1], &counts, &mut job)
        .expect("the query ended before any executor ran a task of it");
    let there = finish(job, started);
    assert_eq!(
        String::from_utf8_lossy(&there.stdout),
        here,
        "the other executor finishes the query: {}\nscheduler:\n{}",
        String::from_utf8_lossy(&there.stderr),
        cluster.scheduler_log()
    );
    assert!(
        cluster.scheduler_log().contains("heartbeat timed out"),
        "the scheduler says it lost an executor"
    );

    // Mid-batch: the last executor dies; nothing can run the rest.
    let last = 1 - victim;
    let counts = tasks(&cluster);
    let started = Instant::now();
    let mut job = command(&sample(), Some(&url), &batch_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("batch starts");
    kill_the_busy_one(&mut cluster, &[last], &counts, &mut job)
        .expect("the batch ended before the last executor ran a task of it");
    let second = finish(job, started);
    // Ballista's word, not --cluster-timeout's: the scheduler fails the job
    // once no executor is back within --executor-timeout.
    fails_saying(&second, "all executors were lost");
    assert_eq!(
        manifests(),
        before,
        "a failed batch leaves the tables as they were"
    );
}

/// Starts `kpiql ARGS` (a scheduler or executor), reads its stderr up to
/// the line saying where it listens, within a minute, and kills it.
/// Returns the lines read.
fn startup_stderr(process: &str, args: &[&str]) -> Vec<String> {
    use std::io::BufRead;
    let mut child = StdCommand::new(kpiql_bin())
        .arg(process)
        .args(args)
        .env_remove("KPIQL_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let startup = format!("kpiql {process} listening on ");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let found = loop {
        match read.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                let last = line.starts_with(&startup);
                seen.push(line);
                if last {
                    break true;
                }
            }
            // Ended, or the minute is up.
            Err(_) => break false,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        found,
        "kpiql {process} {args:?} never said where it listens: {}",
        seen.join("\n")
    );
    seen
}

// guards: the scheduler and executor said nothing when bound where other
// machines reach them, though Ballista has no authentication or TLS
// (issue 30).
#[test]
fn processes_bound_beyond_loopback_warn_and_on_loopback_do_not() {
    let port = free_port_pair();
    // Nothing listens there: the executor is killed before it would
    // register.
    let scheduler = format!("127.0.0.1:{}", free_port_pair());
    for (process, extra) in [
        ("scheduler", vec![]),
        ("executor", vec!["--scheduler", scheduler.as_str()]),
    ] {
        let open = format!("0.0.0.0:{port}");
        let mut args = vec!["--bind", open.as_str()];
        args.extend(&extra);
        let lines = startup_stderr(process, &args);
        let text = lines.join("\n");
        let warnings: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("WARNING: "))
            .collect();
        assert!(
            warnings.len() >= 3
                && warnings[0].contains(&format!("kpiql {process} listens on {open}"))
                && text.contains("no authentication and no TLS")
                && text.contains("firewall")
                && text.contains("SSH tunnel"),
            "{process} on {open} warns, before its startup line:\n{text}"
        );
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains("reachable from other machines")),
            "{text}"
        );

        let local = format!("127.0.0.1:{port}");
        let mut args = vec!["--bind", local.as_str()];
        args.extend(&extra);
        let lines = startup_stderr(process, &args);
        let text = lines.join("\n");
        assert!(
            !text.contains("WARNING") && text.contains("(loopback: this machine only)"),
            "{process} on {local} does not warn:\n{text}"
        );
    }
}
