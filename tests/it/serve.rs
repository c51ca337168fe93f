//! `kpiql serve` against real clients on loopback (issue 16): psql
//! (Debian's postgresql-client), psycopg 3 (PyPI, in target/psycopg-venv)
//! and tokio-postgres (the extended protocol with bound parameters). Each
//! test starts its own server on a free port of the sample lake; results
//! are compared with `kpiql report` / `kpiql sql` CSV cell by cell.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;

pub(crate) const PASSWORD: &str = "s3cret pass";

/// A running `kpiql serve`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    port: u16,
    /// The server's stderr lines after "listening on".
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kpiql() -> StdCommand {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("kpiql"));
    cmd.env_remove("KPIQL_DATA")
        .env_remove("KPIQL_USERS")
        .env_remove("KPIQL_PASSWORD");
    cmd
}

/// Starts `kpiql serve ARGS` with KPIQL_PASSWORD and waits for its
/// "listening on" line (the port is the system's choice).
pub(crate) fn serve(args: &[&str]) -> Server {
    let mut child = kpiql()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("KPIQL_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kpiql serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("kpiql serve ended before listening")
            .expect("read stderr");
        if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a port");
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Server {
        child,
        port,
        log: rx,
    }
}

/// `psql` on `server` as `user` with `password`, running each `-c`;
/// (success, stdout, stderr).
pub(crate) fn psql(
    server: &Server,
    user: &str,
    password: &str,
    extra: &str,
    commands: &[&str],
) -> (bool, String, String) {
    let mut cmd = StdCommand::new("psql");
    cmd.arg(format!(
        "host=127.0.0.1 port={} dbname=kpiql user={user} sslmode=disable {extra}",
        server.port
    ))
    .args([
        "--no-psqlrc",
        "-X",
        "--csv",
        "-v",
        "ON_ERROR_STOP=1",
        "-v",
        "VERBOSITY=verbose",
    ])
    .env("PGPASSWORD", password)
    .env("PGCONNECT_TIMEOUT", "20");
    for c in commands {
        cmd.args(["-c", c]);
    }
    let out = cmd
        .output()
        .expect("run psql (Debian's postgresql-client; .ci/run installs it)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Cells equal as values: numbers by value (PostgreSQL prints 100.0 as
/// 100), booleans t/f as true/false, NULL as the empty cell.
fn same_cell(a: &str, b: &str) -> bool {
    let norm = |c: &str| match c {
        "t" => "true".to_string(),
        "f" => "false".to_string(),
        other => other.to_string(),
    };
    let (a, b) = (norm(a), norm(b));
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

pub(crate) fn assert_same_table(got: &str, expected: &str, what: &str) {
    let rows = |t: &str| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(t.as_bytes())
            .records()
            .map(|r| r.expect("csv").iter().map(str::to_string).collect())
            .collect()
    };
    let (g, e) = (rows(got), rows(expected));
    assert_eq!(
        g.len(),
        e.len(),
        "{what}: row counts\n{got}\nvs\n{expected}"
    );
    assert!(e.len() > 1, "{what}: no rows to compare");
    for (gr, er) in g.iter().zip(&e) {
        assert_eq!(gr.len(), er.len(), "{what}: {gr:?} vs {er:?}");
        for (gc, ec) in gr.iter().zip(er) {
            assert!(
                same_cell(gc, ec),
                "{what}: {gc:?} vs {ec:?} in {gr:?} vs {er:?}"
            );
        }
    }
}

#[test]
fn psql_sees_the_tables_and_gets_reports_equal_to_the_command_line() {
    let server = serve(&[]);
    // report(...) and ad-hoc KPI SQL, against the command line's CSV.
    for (sql, cli) in [
        ("SELECT * FROM report('team')", vec!["report", "team"]),
        (
            "SELECT * FROM report('customers', '2026-10-01', '2026-11-01', 'top=5')",
            vec![
                "report",
                "customers",
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-01",
                "--param",
                "top=5",
            ],
        ),
        (
            "SELECT team, round(fcr(contact_seq, resolved), 2) AS fcr_pct, count(*) AS n \
             FROM interactions GROUP BY team ORDER BY team NULLS LAST",
            vec![
                "sql",
                "SELECT team, round(fcr(contact_seq, resolved), 2) AS fcr_pct, count(*) AS n \
                 FROM interactions GROUP BY team ORDER BY team NULLS LAST",
            ],
        ),
    ] {
        let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &[sql]);
        assert!(ok, "{sql}: {err}");
        assert_same_table(&out, &crate::fixtures::sample_csv(&cli), sql);
    }
    // The catalog: \dt lists the lake's tables, \d a table's columns, \df
    // runs.
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["\\dt"]);
    assert!(ok, "\\dt: {err}");
    for table in ["interactions", "surveys", "agent_states"] {
        assert!(out.contains(table), "\\dt lacks {table}:\n{out}");
    }
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["\\d interactions"]);
    assert!(ok, "\\d interactions: {err}");
    for column in ["ticket_id", "contact_seq", "created_at", "bot"] {
        assert!(
            out.contains(column),
            "\\d interactions lacks {column}:\n{out}"
        );
    }
    let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &["\\df"]);
    assert!(ok, "\\df: {err}");
    // SHOW and SET of the usual session settings.
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &[
            "SET application_name = 'metabase'",
            "SHOW application_name",
            "\\echo :SERVER_VERSION_NAME",
            "SELECT version()",
            "SHOW server_version",
        ],
    );
    assert!(ok, "{err}");
    // The version drivers read at login (ParameterStatus), in version()
    // and SHOW.
    assert!(out.contains("metabase\n16.6 (kpiql"), "{out}");
    assert!(out.contains("PostgreSQL 16.6 (kpiql"), "{out}");
    assert!(out.contains("server_version\n16.6 (kpiql"), "{out}");
}

#[test]
fn wrong_logins_are_refused_slowly_logged_and_the_server_stays_up() {
    let server = serve(&[]);
    let started = std::time::Instant::now();
    let (ok, _, err) = psql(&server, "kpiql", "not-it-42", "", &["SELECT 1"]);
    assert!(!ok);
    assert!(
        err.contains("password authentication failed for user \"kpiql\"")
            || err.contains("Password authentication failed for user \"kpiql\""),
        "{err}"
    );
    // Answered after the server's delay (1 s).
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let (ok, _, err) = psql(&server, "mallory", PASSWORD, "", &["SELECT 1"]);
    assert!(!ok);
    assert!(
        err.to_lowercase()
            .contains("password authentication failed for user \"mallory\""),
        "{err}"
    );
    // The log names the peer, never the password: the two failed logins'
    // lines (other lines, such as the hang-up watcher's, may come between).
    let log: Vec<String> = std::iter::from_fn(|| {
        server
            .log
            .recv_timeout(std::time::Duration::from_secs(5))
            .ok()
    })
    .filter(|l| l.contains("failed login"))
    .take(2)
    .collect();
    assert!(
        log.iter().any(|l| l.contains("\"kpiql\" from 127.0.0.1:")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("\"mallory\" from 127.0.0.1:")),
        "{log:?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains("not-it-42") || l.contains(PASSWORD)),
        "{log:?}"
    );
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 41 + 1 AS answer"]);
    assert!(ok, "{err}");
    assert_eq!(out, "answer\n42\n");
}

#[test]
fn every_kind_of_write_is_refused_with_its_sqlstate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.csv");
    std::fs::write(&path, "a\n1\n").expect("write");
    let server = serve(&[]);
    for (sql, state) in [
        ("CREATE TABLE t (a int)", "25006"),
        ("CREATE VIEW v AS SELECT 1", "25006"),
        ("DROP TABLE interactions", "25006"),
        (
            "INSERT INTO interactions SELECT * FROM interactions",
            "25006",
        ),
        ("UPDATE surveys SET score = 5", "25006"),
        ("DELETE FROM surveys", "25006"),
        (&format!("COPY surveys FROM '{}'", path.display()), "25006"),
        (
            &format!("COPY surveys TO '{}'", dir.path().join("out.csv").display()),
            "25006",
        ),
        (
            &format!(
                "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '{}'",
                path.display()
            ),
            "25006",
        ),
        ("SELECT 1 AS a INTO copied", "25006"),
        // A cursor's query is checked like any other.
        ("DECLARE c CURSOR FOR SELECT 1 AS a INTO copied", "25006"),
        ("SET datafusion.runtime.memory_limit = '100G'", "42501"),
        // Quotes do not hide a name.
        ("SET datafusion.\"runtime\".memory_limit = '100G'", "42501"),
        ("SET datafusion.runtime.temp_directory = '/tmp'", "42501"),
        // The parser's dialect is the server's: the guard and the engine
        // must read a statement alike.
        ("SET datafusion.sql_parser.dialect = 'mysql'", "42501"),
    ] {
        let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &[sql]);
        assert!(!ok, "{sql} was not refused");
        assert!(err.contains(&format!("ERROR:  {state}")), "{sql}: {err}");
    }
    assert!(!dir.path().join("out.csv").exists(), "COPY TO wrote a file");
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["\\dt"]);
    assert!(ok, "{err}");
    assert!(!out.contains("copied"), "a table was created:\n{out}");
    // SELECT ... INTO over the extended protocol, too.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let c = client(&server).await;
        let err = c
            .query("SELECT 1 AS a INTO copied", &[])
            .await
            .expect_err("refused");
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
            "{err:?}"
        );
        // A session may still tune its own execution.
        c.batch_execute("SET datafusion.execution.batch_size = 4096")
            .await
            .expect("allowed");
    });
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SELECT count(*) AS n FROM surveys"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        format!(
            "n\n{}",
            crate::fixtures::sample_csv(&["sql", "SELECT count(*) AS n FROM surveys"])
                .lines()
                .nth(1)
                .map(|l| format!("{l}\n"))
                .unwrap_or_default()
        )
    );
}

#[test]
fn a_server_without_users_or_on_an_open_address_without_tls_does_not_start() {
    let out = kpiql()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no user may log in") && err.contains("kpiql passwd"),
        "{err}"
    );
    let out = kpiql()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env("KPIQL_PASSWORD", PASSWORD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.0.0:0 is not a loopback address") && err.contains("--insecure-listen"),
        "{err}"
    );
}

#[test]
fn a_users_file_from_passwd_logs_in_and_holds_no_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("kpiql")
        .expect("binary")
        .args(["passwd", "ann"])
        .write_stdin("correct horse\n")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(line.starts_with("ann:SCRAM-SHA-256$4096:"), "{line}");
    assert!(
        !line.contains("correct") && !line.contains("horse"),
        "{line}"
    );
    let users = dir.path().join("users");
    std::fs::write(&users, format!("# who may log in\n{line}")).expect("write");
    let server = serve(&["--users", users.to_str().expect("utf-8")]);
    let (ok, out, err) = psql(&server, "ann", "correct horse", "", &["SELECT 1 AS one"]);
    assert!(ok, "{err}");
    assert_eq!(out, "one\n1\n");
    // KPIQL_PASSWORD's user is there too.
    let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 1"]);
    assert!(ok, "{err}");
}

/// A self-signed certificate for 127.0.0.1 and its key, by openssl.
fn certificate(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = StdCommand::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        cert.to_string_lossy().to_string(),
        key.to_string_lossy().to_string(),
    )
}

#[test]
fn with_tls_plaintext_is_refused_and_tls_logs_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = certificate(dir.path());
    let server = serve(&["--tls-cert", &cert, "--tls-key", &key]);
    let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 1"]);
    assert!(!ok);
    assert!(err.contains("TLS connections only"), "{err}");
    // psql's later sslmode wins over the helper's sslmode=disable.
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "sslmode=require",
        &["SELECT 7 AS n"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "n\n7\n");
}

#[test]
fn psycopg_gets_the_team_report() {
    let python = crate::fixtures::venv_python("psycopg-venv", "psycopg", "psycopg[binary]");
    let server = serve(&[]);
    let script = r#"
import csv, sys, psycopg
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), dbname="kpiql",
                     user="kpiql", password=sys.argv[2], sslmode="disable") as conn:
    # Parameters bound by the server (the extended protocol) ...
    n = conn.execute("SELECT count(*) FROM interactions WHERE channel = %s", ("chat",)).fetchone()[0]
    print(n, file=sys.stderr)
    # ... and report(), whose arguments are literals: psycopg's client-side
    # binding writes them into the text.
    cur = psycopg.ClientCursor(conn).execute(
        "SELECT * FROM report('team', %s, %s)", ("2026-10-01", "2026-11-01"))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([d.name for d in cur.description])
    for row in cur:
        out.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])
"#;
    let out = StdCommand::new(python)
        .args(["-c", script, &server.port.to_string(), PASSWORD])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chat = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT count(*) FROM interactions WHERE channel = 'chat'",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        chat.lines().nth(1).expect("a count")
    );
    assert_same_table(
        &String::from_utf8_lossy(&out.stdout),
        &crate::fixtures::sample_csv(&[
            "report",
            "team",
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-01",
        ]),
        "psycopg report('team')",
    );
}

/// A tokio-postgres client on `port`, and the task driving its connection.
pub(crate) async fn connect(
    port: u16,
) -> (
    tokio_postgres::Client,
    tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
) {
    let (client, connection) = tokio_postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("kpiql")
        .password(PASSWORD)
        .dbname("kpiql")
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    (client, tokio::spawn(connection))
}

/// A tokio-postgres client of `server`.
async fn client(server: &Server) -> tokio_postgres::Client {
    connect(server.port).await.0
}

/// `datafusion.execution.batch_size` in `c`'s session.
async fn show_batch_size(c: &tokio_postgres::Client) -> String {
    let row = c
        .query_one(
            "SELECT value FROM information_schema.df_settings \
             WHERE name = 'datafusion.execution.batch_size'",
            &[],
        )
        .await
        .expect("df_settings");
    row.get::<_, Option<String>>(0).unwrap_or_default()
}

/// 20000 x 20000 rows: seconds of work, for cancel and timeout.
pub(crate) const LONG: &str = "SELECT count(*) FROM interactions a CROSS JOIN interactions b WHERE a.wait_seconds < b.wait_seconds";

#[test]
fn extended_protocol_sessions_many_clients_cancel_and_timeout() {
    // 50 team reports at once in a debug build take longer than the
    // default 30 s statement timeout; the timeout is tested on its own.
    let server = serve(&["--statement-timeout", "0"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let expected_chat: i64 = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT count(*) FROM interactions WHERE channel = 'chat' AND contact_seq >= 2",
    ])
    .lines()
    .nth(1)
    .and_then(|l| l.parse().ok())
    .expect("a count");
    let team = crate::fixtures::sample_csv(&["report", "team"]);
    runtime.block_on(async {
        // Bound parameters, typed by the statement.
        let a = client(&server).await;
        let row = a
            .query_one(
                "SELECT count(*) FROM interactions WHERE channel = $1 AND contact_seq >= $2",
                &[&"chat", &2i32],
            )
            .await
            .expect("query");
        assert_eq!(row.get::<_, i64>(0), expected_chat);
        // A SET in one session is not seen by another.
        let b = client(&server).await;
        a.batch_execute("SET datafusion.execution.batch_size = 1234")
            .await
            .expect("set");
        assert_eq!(show_batch_size(&a).await, "1234");
        assert_eq!(show_batch_size(&b).await, "8192");
        // 50 clients at once, each running the team report.
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let port = server.port;
            tasks.push(tokio::spawn(async move {
                let (c, _connection) = connect(port).await;
                let rows = c
                    .simple_query("SELECT * FROM report('team')")
                    .await
                    .expect("report");
                let mut out = String::new();
                for m in rows {
                    if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                        let cells: Vec<String> = (0..r.len())
                            .map(|i| r.get(i).unwrap_or("").to_string())
                            .collect();
                        out.push_str(&cells.join(","));
                        out.push('\n');
                    }
                }
                out
            }));
        }
        let header = team.lines().next().expect("header").to_string();
        for task in tasks {
            let body = task.await.expect("task");
            assert_same_table(&format!("{header}\n{body}"), &team, "50 clients");
        }
        // A cancel request stops a running query: cancel until it ends.
        let token = a.cancel_token();
        let long = tokio::spawn(async move { a.simple_query(LONG).await.map(|_| ()) });
        let mut ended = None;
        for _ in 0..600 {
            token
                .cancel_query(tokio_postgres::NoTls)
                .await
                .expect("cancel request");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if long.is_finished() {
                ended = Some(long.await.expect("task"));
                break;
            }
        }
        let err = ended
            .expect("the query ended")
            .expect_err("the query was cancelled");
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::QUERY_CANCELED),
            "{err}"
        );
        // statement_timeout ends one too, with the timeout's message.
        b.batch_execute("SET statement_timeout = '300ms'")
            .await
            .expect("set");
        let err = b.simple_query(LONG).await.expect_err("timed out");
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::QUERY_CANCELED),
            "{err}"
        );
        assert!(
            err.to_string().contains("statement timeout")
                || format!("{err:?}").contains("statement timeout"),
            "{err:?}"
        );
        // The server still answers.
        let c = client(&server).await;
        let row = c.query_one("SELECT 1 + 1", &[]).await.expect("query");
        assert_eq!(row.get::<_, i64>(0), 2);
    });
}

#[test]
fn a_client_gone_mid_result_frees_its_query() {
    let server = serve(&[]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (c, connection) = connect(server.port).await;
        // A billion rows over the simple protocol, which streams them:
        // read 2000, then the client is gone (its socket closed).
        let rows = c
            .simple_query_raw(
                "SELECT value AS a, value * 2 AS b FROM generate_series(1, 1000000000)",
            )
            .await
            .expect("query");
        futures::pin_mut!(rows);
        let mut seen = 0;
        while seen < 2000 {
            use futures::StreamExt;
            if let tokio_postgres::SimpleQueryMessage::Row(_) =
                rows.next().await.expect("a row").expect("no error")
            {
                seen += 1;
            }
        }
        connection.abort();
        drop(c);
    });
    // The server's next write fails; it drops the result, and the query.
    let freed = std::iter::from_fn(|| {
        server
            .log
            .recv_timeout(std::time::Duration::from_secs(60))
            .ok()
    })
    .any(|l| l.contains("dropped before its end"));
    assert!(freed, "the server did not drop the gone client's query");
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 1 AS still"]);
    assert!(ok, "{err}");
    assert_eq!(out, "still\n1\n");
}

#[test]
fn the_start_up_queries_of_bi_tools_and_drivers_succeed() {
    let server = serve(&[]);
    // Statements these clients send on connecting or browsing, as
    // published by their projects (pgjdbc for Metabase and DBeaver,
    // SQLAlchemy's psycopg dialect for Superset).
    for sql in [
        // pgjdbc
        "SET extra_float_digits = 3",
        "SET application_name = 'PostgreSQL JDBC Driver'",
        // SQLAlchemy
        "select pg_catalog.version()",
        "select current_schema()",
        "show standard_conforming_strings",
        "show transaction isolation level",
        // DBeaver
        "SELECT current_schema(),session_user",
        "SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n \
         LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 \
         AND d.classoid='pg_namespace'::regclass ORDER BY nspname",
        // Metabase's table sync
        "SELECT \"n\".\"nspname\" AS \"schema\", \"c\".\"relname\" AS \"name\" \
         FROM \"pg_catalog\".\"pg_class\" AS \"c\" INNER JOIN \"pg_catalog\".\"pg_namespace\" AS \"n\" \
         ON \"c\".\"relnamespace\" = \"n\".\"oid\" WHERE \"c\".\"relkind\" IN ('r', 'p', 'v', 'f', 'm') \
         AND \"n\".\"nspname\" = 'public'",
        "SELECT table_name, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = 'interactions'",
    ] {
        let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &[sql]);
        assert!(ok, "{sql}: {err}");
        if sql.contains("relkind") || sql.contains("information_schema.columns") {
            assert!(out.contains("interactions"), "{sql}:\n{out}");
        }
        if sql.contains("version()") {
            assert!(out.contains("PostgreSQL 16.6 (kpiql"), "{sql}:\n{out}");
        }
    }
}

#[test]
fn the_servers_statement_timeout_applies_to_a_client_that_sets_none() {
    let server = serve(&["--statement-timeout", "200ms"]);
    let (ok, _, err) = psql(&server, "kpiql", PASSWORD, "", &[LONG]);
    assert!(!ok, "the long query finished");
    assert!(
        err.contains("57014") && err.contains("statement timeout"),
        "{err}"
    );
}

mod clients;
mod hardening;
mod lake_changes;
mod transactions;

#[test]
fn the_analysts_own_tables_are_served_beside_the_lakes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, roster, by_tier) = crate::lake::own::own_lake(dir.path());
    let lake = lake.display().to_string();
    let roster = format!("roster={}", roster.display());
    let server = serve(&["--data", &lake, "--table", &roster]);
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &[
            crate::lake::own::BY_TIER,
            "SELECT table_name FROM information_schema.tables WHERE table_name IN \
             ('accounts', 'plans', 'deals', 'roster') ORDER BY 1",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        format!("{by_tier}table_name\naccounts\ndeals\nplans\nroster\n")
    );
}
