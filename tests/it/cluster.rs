//! A Ballista cluster of real `kpiql scheduler` and `kpiql executor`
//! processes on loopback (issue 17): the reports and KPI functions give
//! what the in-process run gives; a job the cluster cannot finish fails
//! within `--cluster-timeout`; an executor killed with SIGKILL leaves the
//! batch job's previous output intact.

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
    /// A scheduler and `executors` executors; returns once the scheduler
    /// has registered every executor (its log says so), within a minute.
    fn start(executors: usize) -> Cluster {
        let logs = tempfile::tempdir().expect("tempdir");
        let port = free_port_pair();
        let scheduler = StdCommand::new(kpiql_bin())
            .args(["scheduler", "--bind", &format!("127.0.0.1:{port}")])
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

fn run(cluster: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("kpiql").expect("binary");
    cmd.env_remove("KPIQL_DATA")
        .env_remove("KPIQL_CLUSTER")
        .args(["-q", "--data", &sample()]);
    if let Some(url) = cluster {
        cmd.args(["--cluster", url, "--cluster-timeout", "120s"]);
    }
    cmd.args(args).output().expect("runs")
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn reports_and_kpis_on_a_cluster_equal_the_in_process_run() {
    let cluster = Cluster::start(2);
    let url = cluster.url.clone();
    let catalog = kpiql::reports::Catalog::load(None).expect("reports");
    let mut compared = 0;
    for report in catalog.reports() {
        // Known gap (issue 17's note): with business time on, one stage of
        // `sla` reports task metrics of another shape than the scheduler
        // planned, Ballista 55 rejects the task's status and the job never
        // ends; --cluster-timeout bounds it. Its calendar-time form runs.
        let args: Vec<&str> = if report.name == "sla" {
            vec!["report", "sla", "-p", "business_time=false"]
        } else {
            vec!["report", &report.name]
        };
        let here = ok(&run(None, &args), &report.name);
        let jobs = cluster.jobs();
        let there = ok(
            &run(Some(&url), &args),
            &format!("{} on the cluster", report.name),
        );
        assert_eq!(
            there, here,
            "{}: cluster and in-process differ",
            report.name
        );
        assert!(
            cluster.jobs() > jobs,
            "{}: the scheduler ran no job",
            report.name
        );
        compared += 1;
    }
    assert_eq!(compared, 13);
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
        let there = ok(&run(Some(&url), &["sql", sql]), sql);
        assert_eq!(there, here, "{sql}");
    }
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
}

// guards: a job no executor can run (a cluster without executors) fails
// with a message naming the cluster and the timeout, not a hang.
#[test]
fn a_job_the_cluster_cannot_finish_fails_within_the_timeout() {
    let cluster = Cluster::start(0);
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the cluster at {} did not finish within --cluster-timeout 3s",
            cluster.url
        )),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

// guards: an executor killed with SIGKILL: the next query either completes
// on the other executor with the in-process result or fails with an error
// within the timeout; a batch run then either publishes or leaves the
// previous tables and pages as they were.
#[test]
fn an_executor_killed_leaves_the_batch_output_intact() {
    let mut cluster = Cluster::start(2);
    let url = cluster.url.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("tables");
    let batch = |cluster_url: Option<&str>| {
        run(
            cluster_url,
            &[
                "batch",
                "--period",
                "2026-10",
                "--reports",
                "team,channels",
                "--out",
                out_dir.to_str().expect("utf-8"),
                "--table-format",
                "parquet",
            ],
        )
    };
    ok(&batch(Some(&url)), "the first batch");
    let manifest = |report: &str| {
        std::fs::read(out_dir.join(report).join("_manifest.json")).expect("a manifest")
    };
    let before = (manifest("team"), manifest("channels"));

    let mut victim = cluster.executors.remove(0);
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");

    let started = Instant::now();
    let here = ok(
        &run(
            None,
            &["report", "team", "--from", "2026-10", "--to", "2026-11"],
        ),
        "team",
    );
    let there = run(
        Some(&url),
        &["report", "team", "--from", "2026-10", "--to", "2026-11"],
    );
    if there.status.success() {
        assert_eq!(
            String::from_utf8_lossy(&there.stdout),
            here,
            "the other executor's result"
        );
    } else {
        let stderr = String::from_utf8_lossy(&there.stderr);
        assert_eq!(there.status.code(), Some(2), "{stderr}");
        assert!(!stderr.trim().is_empty(), "a failure says why");
    }
    assert!(
        started.elapsed() < Duration::from_secs(150),
        "bounded by the timeout"
    );

    let second = batch(Some(&url));
    if !second.status.success() {
        assert_eq!(
            (manifest("team"), manifest("channels")),
            before,
            "a failed batch leaves the tables as they were"
        );
    }
}
