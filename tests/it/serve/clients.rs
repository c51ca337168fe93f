//! The PostgreSQL clients BI tools and notebooks are built on (issue 26),
//! each against `kpiql serve` on loopback: SQLAlchemy 2 with psycopg 3 and
//! with psycopg2, asyncpg (PyPI, in target/bi-venv), pgjdbc (Debian's
//! libpostgresql-jdbc-java, a program run by Java's source launcher),
//! node-postgres (npm's `pg`, in target/node-pg) and pgcli (in tmux).
//!
//! Each client's program (beside this file, in `clients/`) connects with
//! the password, introspects as the client's users do, runs a KPI query
//! with a bound parameter, `report('team', ...)`, the view `reports.team`
//! and two writes, and prints one JSON object. Its answers are compared
//! with the command line's, and the column types with PostgreSQL's names
//! for the lake's types (DESIGN §1's `interactions`, by hand below).

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::Value;

use super::{PASSWORD, Server, assert_same_table, serve};

/// `interactions`' columns: (name, `information_schema.columns.data_type`,
/// `udt_name`), from DESIGN §1 (Utf8, Int32, Timestamp in UTC, Float64,
/// Boolean) in PostgreSQL's words.
const INTERACTIONS: [(&str, &str, &str); 20] = [
    ("interaction_id", "text", "text"),
    ("ticket_id", "text", "text"),
    ("contact_seq", "integer", "int4"),
    ("customer_id", "text", "text"),
    ("agent_id", "text", "text"),
    ("team", "text", "text"),
    ("channel", "text", "text"),
    ("priority", "text", "text"),
    ("created_at", "timestamp with time zone", "timestamptz"),
    (
        "first_response_at",
        "timestamp with time zone",
        "timestamptz",
    ),
    ("ended_at", "timestamp with time zone", "timestamptz"),
    ("resolved_at", "timestamp with time zone", "timestamptz"),
    ("wait_seconds", "double precision", "float8"),
    ("hold_seconds", "double precision", "float8"),
    ("handle_seconds", "double precision", "float8"),
    ("resolved", "boolean", "bool"),
    ("escalated", "boolean", "bool"),
    ("abandoned", "boolean", "bool"),
    ("bot", "boolean", "bool"),
    (
        "ticket_created_at",
        "timestamp with time zone",
        "timestamptz",
    ),
];

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/serve/clients")
}

/// The Python of target/bi-venv, with every Python client installed.
fn bi_python() -> PathBuf {
    crate::fixtures::venv_python(
        "bi-venv",
        "sqlalchemy, psycopg, psycopg2, asyncpg, pgcli",
        "sqlalchemy>=2 psycopg[binary] psycopg2-binary asyncpg pgcli",
    )
}

/// Runs a client program; its one JSON line.
fn run(mut cmd: StdCommand, what: &str) -> Value {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what} printed {stdout}: {e}"))
}

fn strings(v: &Value, key: &str, what: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no list {key} in {v}"))
        .iter()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// A JSON table (a header, then rows of cells) as CSV.
fn csv_of(v: &Value, key: &str, what: &str) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    for row in v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no table {key} in {v}"))
    {
        let cells: Vec<String> = row
            .as_array()
            .unwrap_or_else(|| panic!("{what}: a row of {key} is not a list"))
            .iter()
            .map(|c| match c {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        w.write_record(&cells).expect("csv");
    }
    String::from_utf8(w.into_inner().expect("csv")).expect("utf-8")
}

/// What every client must have seen, whatever its API.
fn check_common(v: &Value, what: &str) {
    let schemas = strings(v, "schemas", what);
    for s in ["information_schema", "public", "reports"] {
        assert!(
            schemas.iter().any(|x| x == s),
            "{what}: schemas {schemas:?} lack {s}"
        );
    }
    // The lake's tables as the command line lists them (DataFusion's own
    // information_schema there).
    let listed = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
    ]);
    let tables: Vec<&str> = listed.lines().skip(1).collect();
    assert!(tables.contains(&"interactions"), "{listed}");
    assert_eq!(strings(v, "tables", what), tables, "{what}: tables");
    // A view per report (the sample lake has every optional table).
    let mut reports: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/reports"))
            .expect("queries/reports")
            .map(|e| {
                e.expect("entry")
                    .path()
                    .file_stem()
                    .expect("a name")
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
    reports.sort();
    assert_eq!(strings(v, "views", what), reports, "{what}: report views");
    if v.get("info_schema").is_some() {
        let expected: Value = INTERACTIONS
            .iter()
            .map(|(n, d, u)| serde_json::json!([n, d, u]))
            .collect();
        assert_eq!(
            v["info_schema"], expected,
            "{what}: information_schema.columns"
        );
    }
    assert!(
        strings(v, "pk", what).is_empty(),
        "{what}: primary key {}",
        v["pk"]
    );
    assert!(
        strings(v, "indexes", what).is_empty(),
        "{what}: indexes {}",
        v["indexes"]
    );
    let kpi = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = 'chat'",
    ]);
    let expected_kpi: f64 = kpi
        .lines()
        .nth(1)
        .expect("a value")
        .parse()
        .expect("a number");
    let got: f64 = v["kpi"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: kpi {}", v["kpi"]))
        .parse()
        .expect("a number");
    assert!(
        (got - expected_kpi).abs() <= 1e-9 * expected_kpi.abs(),
        "{what}: fcr {got} vs {expected_kpi}"
    );
    assert_same_table(
        &csv_of(v, "report", what),
        &crate::fixtures::sample_csv(&[
            "report",
            "team",
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-01",
        ]),
        &format!("{what}: report('team', ...)"),
    );
    // The view: the report for its default period, the latest full month.
    assert_same_table(
        &csv_of(v, "view", what),
        &crate::fixtures::sample_csv(&["report", "team"]),
        &format!("{what}: reports.team"),
    );
    assert_eq!(
        strings(v, "writes", what),
        ["25006", "25006"],
        "{what}: writes"
    );
}

/// The columns a client's own metadata API gave, against `expected`.
fn check_columns(v: &Value, what: &str, expected: impl Fn(&(&str, &str, &str)) -> String) {
    let got: Vec<(String, String)> = v["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no columns in {v}"))
        .iter()
        .map(|c| {
            (
                c[0].as_str().expect("a name").to_string(),
                c[1].as_str().expect("a type").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = INTERACTIONS
        .iter()
        .map(|c| (c.0.to_string(), expected(c)))
        .collect();
    assert_eq!(got, want, "{what}: columns of interactions");
}

/// (column, "meaning (unit)") of `queries/reports/team.sql`'s header
/// (`-- @column NAME UNIT | meaning`; unit `-` for none).
fn team_column_notes() -> Vec<(String, String)> {
    let sql = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/reports/team.sql"),
    )
    .expect("team.sql");
    sql.lines()
        .filter_map(|l| l.strip_prefix("-- @column "))
        .map(|l| {
            let (head, meaning) = l.split_once(" | ").expect("NAME UNIT | meaning");
            let (name, unit) = head.split_once(' ').expect("NAME UNIT");
            let unit = unit.trim();
            let note = if unit == "-" {
                meaning.trim().to_string()
            } else {
                format!("{} ({unit})", meaning.trim())
            };
            (name.to_string(), note)
        })
        .collect()
}

fn python_client(server: &Server, client: &str) -> Value {
    let mut cmd = StdCommand::new(bi_python());
    cmd.arg(clients_dir().join("bi.py"))
        .args([client, &server.port.to_string(), PASSWORD]);
    run(cmd, client)
}

#[test]
fn sqlalchemy_with_psycopg_and_psycopg2_introspects_and_queries() {
    let server = serve(&[]);
    for client in ["sqlalchemy-psycopg", "sqlalchemy-psycopg2"] {
        let v = python_client(&server, client);
        check_common(&v, client);
        // get_schema_names leaves out `pg_%` with `NOT LIKE 'pg/_%' ESCAPE
        // '/'`: the escape character is read (`pg_catalog` is left out,
        // `public` is not).
        assert!(
            !strings(&v, "schemas", client)
                .iter()
                .any(|s| s.starts_with("pg_")),
            "{client}: {v}"
        );
        // SQLAlchemy's types compiled back: PostgreSQL's data_type names.
        check_columns(&v, client, |c| c.1.to_string());
        assert!(
            v["foreign_keys"].as_array().is_some_and(Vec::is_empty),
            "{client}: {v}"
        );
        assert!(
            v["unique"].as_array().is_some_and(Vec::is_empty),
            "{client}: {v}"
        );
        let header = crate::fixtures::sample_csv(&["report", "team"]);
        let header: Vec<&str> = header
            .lines()
            .next()
            .expect("a header")
            .split(',')
            .collect();
        assert_eq!(
            strings(&v, "view_columns", client),
            header,
            "{client}: view columns"
        );
        let rows = crate::fixtures::sample_csv(&["report", "team"])
            .lines()
            .count()
            - 1;
        assert_eq!(
            v["reflected"].as_u64(),
            Some(rows as u64),
            "{client}: reflected view"
        );
    }
}

#[test]
fn asyncpg_introspects_and_queries() {
    let server = serve(&[]);
    let v = python_client(&server, "asyncpg");
    check_common(&v, "asyncpg");
    // asyncpg names each result column's type from its OID, via pg_type.
    check_columns(&v, "asyncpg", |c| c.2.to_string());
}

#[test]
fn pgjdbc_introspects_and_queries() {
    let jar = "/usr/share/java/postgresql.jar";
    assert!(
        Path::new(jar).exists(),
        "{jar}: Debian's libpostgresql-jdbc-java (.ci/run installs it)"
    );
    let server = serve(&[]);
    let mut cmd = StdCommand::new("java");
    cmd.args(["-cp", jar])
        .arg(clients_dir().join("Jdbc.java"))
        .args([&server.port.to_string(), PASSWORD]);
    let v = run(cmd, "pgjdbc");
    check_common(&v, "pgjdbc");
    assert!(
        strings(&v, "schemas", "pgjdbc")
            .iter()
            .any(|s| s == "pg_catalog"),
        "{v}"
    );
    // DatabaseMetaData.getColumns' TYPE_NAME: pg_type's names.
    check_columns(&v, "pgjdbc", |c| c.2.to_string());
    assert!(
        v["foreign_keys"].as_array().is_some_and(Vec::is_empty),
        "{v}"
    );
    // DBeaver's function list finds a kpiql function (getFunctions lists plain functions, prokind f, as on PostgreSQL; the KPI aggregates are prokind a).
    assert!(
        strings(&v, "functions", "pgjdbc")
            .iter()
            .any(|f| f == "business_seconds"),
        "{v}"
    );
}

#[test]
fn node_postgres_introspects_and_queries() {
    let modules = crate::fixtures::node_modules("node-pg", "pg@8");
    let server = serve(&[]);
    let mut cmd = StdCommand::new("node");
    cmd.arg(clients_dir().join("pg.js"))
        .args([&server.port.to_string(), PASSWORD])
        .env("NODE_PATH", modules);
    let v = run(cmd, "node-postgres");
    check_common(&v, "node-postgres");
    check_columns(&v, "node-postgres", |c| c.2.to_string());
}

/// A tmux session, killed when dropped.
struct Tmux(String);

impl Tmux {
    fn screen(&self) -> String {
        let out = StdCommand::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let sent = StdCommand::new("tmux")
            .args(["send-keys", "-t", &self.0])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(sent.success(), "tmux send-keys {keys:?}");
    }

    /// Types `text` on a cleared line until the screen shows `what`: pgcli
    /// completes from the catalog it loads in the background after start,
    /// so a line typed before that shows no menu, and is typed again.
    fn type_until(&self, text: &str, what: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            self.keys(&["C-u", text]);
            let retry = std::time::Instant::now() + std::time::Duration::from_secs(3);
            while std::time::Instant::now() < retry {
                let screen = self.screen();
                if screen.contains(what) {
                    return screen;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pgcli never showed {what:?} for {text:?}; the screen:\n{}",
                self.screen()
            );
        }
    }

    /// Waits until the screen shows `what`, failing with the screen after
    /// 60 s.
    fn wait_for(&self, what: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "pgcli never showed {what:?}; the screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = StdCommand::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

#[test]
fn pgcli_completes_a_table_and_a_kpi_function_and_runs_a_query() {
    let pgcli = bi_python().with_file_name("pgcli");
    let server = serve(&[]);
    let home = tempfile::tempdir().expect("tempdir");
    let session = Tmux(format!("kpiql-pgcli-{}", server.port));
    let started = StdCommand::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session.0,
            "-x",
            "200",
            "-y",
            "50",
        ])
        .arg(format!(
            "env HOME={} PGPASSWORD='{PASSWORD}' {} -h 127.0.0.1 -p {} -U kpiql -d kpiql",
            home.path().display(),
            pgcli.display(),
            server.port
        ))
        .status()
        .expect("tmux (Debian's; .ci/run installs it)");
    assert!(started.success(), "tmux new-session");
    session.wait_for("kpiql@127.0.0.1:kpiql>");
    // A table: the completion menu lists `interactions` as a table.
    let screen = session.type_until("SELECT * FROM interac", "interactions");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("interactions") && l.contains("table")),
        "{screen}"
    );
    // A KPI function, with its signature from pg_proc.
    session.type_until("SELECT escalation_r", "escalation_rate(escalated)");
    // A query, its answer the command line's.
    session.keys(&[
        "C-u",
        "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = 'chat'",
        "Enter",
    ]);
    let kpi = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = 'chat'",
    ]);
    let value: f64 = kpi
        .lines()
        .nth(1)
        .expect("a value")
        .parse()
        .expect("a number");
    // pgcli's table: `| fcr_pct |`, a rule, `| 58.57... |`, then `SELECT 1`.
    let screen = session.wait_for("SELECT 1");
    let shown: Vec<f64> = screen
        .lines()
        .skip_while(|l| !l.contains("fcr_pct"))
        .filter_map(|l| l.trim().trim_matches('|').trim().parse().ok())
        .collect();
    assert_eq!(shown.len(), 1, "{screen}");
    assert!((shown[0] - value).abs() <= 1e-9 * value.abs(), "{screen}");
    // pgcli logs a failed catalog query (its completion refresh) and goes on.
    let log = std::fs::read_to_string(home.path().join(".config/pgcli/log")).unwrap_or_default();
    assert!(
        !log.contains("ERROR") && !log.contains("Traceback"),
        "pgcli's log:\n{log}"
    );
}

#[test]
fn descriptions_of_functions_and_report_columns_are_comments() {
    let server = serve(&[]);
    // A function's comment is the first line of its documentation, as the
    // command line's information_schema.routines gives it.
    let doc = crate::fixtures::sample_csv(&[
        "sql",
        "SELECT description FROM information_schema.routines WHERE routine_name = 'fcr'",
    ]);
    let mut docs = csv::Reader::from_reader(doc.as_bytes());
    let first_line = docs
        .records()
        .next()
        .expect("fcr is documented")
        .expect("csv")[0]
        .lines()
        .next()
        .expect("a line")
        .trim()
        .to_string();
    let (ok, out, err) = super::psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &[
            "SELECT DISTINCT obj_description(p.oid, 'pg_proc') AS d FROM pg_catalog.pg_proc p \
             WHERE p.proname = 'fcr'",
            "SELECT a.attname, col_description(c.oid, a.attnum) AS d FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
             WHERE n.nspname = 'reports' AND c.relname = 'team' ORDER BY a.attnum",
            "SELECT col_description(c.oid, 1) IS NULL AS none FROM pg_catalog.pg_class c \
             WHERE c.relname = 'interactions'",
        ],
    );
    assert!(ok, "{err}");
    let mut expected = format!("d\n{}\n", csv_cell(&first_line));
    expected.push_str("attname,d\n");
    for (name, note) in team_column_notes() {
        expected.push_str(&format!("{name},{}\n", csv_cell(&note)));
    }
    // A lake table's columns have none.
    expected.push_str("none\nt\n");
    assert_eq!(out, expected);
}

/// A CSV cell as psql --csv writes it.
fn csv_cell(text: &str) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record([text]).expect("csv");
    String::from_utf8(w.into_inner().expect("csv"))
        .expect("utf-8")
        .trim_end()
        .to_string()
}
