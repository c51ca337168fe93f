//! Lakes written by the tests themselves, with arrow's Parquet writer, so
//! every expected value is known by construction.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

/// Writes `columns` as one Parquet file at `path` (folders created).
pub fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch");
    let mut writer =
        ArrowWriter::try_new(File::create(path).expect("create"), schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

pub fn strings(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn opt_strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn ints(values: &[i32]) -> ArrayRef {
    Arc::new(Int32Array::from(values.to_vec()))
}

pub fn floats(values: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(values.to_vec()))
}

pub fn bools(values: &[bool]) -> ArrayRef {
    Arc::new(BooleanArray::from(values.to_vec()))
}

/// Microsecond UTC timestamps from `YYYY-MM-DD HH:MM:SS` strings.
pub fn times(values: &[Option<&str>]) -> ArrayRef {
    let micros: Vec<Option<i64>> = values.iter().map(|v| v.map(micros)).collect();
    Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
}

/// `Date32` days from `YYYY-MM-DD` strings, so fixtures say which day they
/// mean instead of a day count since 1970.
pub fn dates(values: &[&str]) -> ArrayRef {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let days: Vec<i32> = values
        .iter()
        .map(|v| {
            let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").expect("date literal");
            i32::try_from((day - epoch).num_days()).expect("a Date32 day")
        })
        .collect();
    Arc::new(Date32Array::from(days))
}

pub fn micros(text: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .expect("timestamp literal")
        .and_utc()
        .timestamp_micros()
}

/// A canonical `interactions` file: ids `prefix1..`, one ticket per row,
/// everything else simple and fixed.
pub fn interactions(path: &Path, ids: &[&str], created: &[&str]) {
    let n = ids.len();
    let created: Vec<Option<&str>> = created.iter().map(|c| Some(*c)).collect();
    write_parquet(
        path,
        vec![
            ("interaction_id", strings(ids)),
            ("ticket_id", strings(ids)),
            ("contact_seq", ints(&vec![1; n])),
            ("customer_id", strings(&vec!["c1"; n])),
            ("agent_id", opt_strings(&vec![Some("a1"); n])),
            ("team", opt_strings(&vec![Some("billing"); n])),
            ("channel", strings(&vec!["phone"; n])),
            ("priority", opt_strings(&vec![Some("normal"); n])),
            ("created_at", times(&created)),
            ("first_response_at", times(&created)),
            ("ended_at", times(&created)),
            ("resolved_at", times(&vec![None; n])),
            ("wait_seconds", floats(&vec![Some(0.0); n])),
            ("hold_seconds", floats(&vec![None; n])),
            ("handle_seconds", floats(&vec![Some(60.0); n])),
            ("resolved", bools(&vec![false; n])),
            ("escalated", bools(&vec![false; n])),
            ("abandoned", bools(&vec![false; n])),
        ],
    );
}

/// A canonical `surveys` file.
pub fn surveys(path: &Path, rows: &[(&str, Option<&str>, &str, i32)]) {
    let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let interactions: Vec<Option<&str>> = rows.iter().map(|r| r.1).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.2).collect();
    let scores: Vec<i32> = rows.iter().map(|r| r.3).collect();
    let n = rows.len();
    write_parquet(
        path,
        vec![
            ("survey_id", strings(&ids)),
            ("interaction_id", opt_strings(&interactions)),
            ("ticket_id", opt_strings(&interactions)),
            ("customer_id", strings(&vec!["c1"; n])),
            ("kind", strings(&kinds)),
            ("score", ints(&scores)),
            ("submitted_at", times(&vec![Some("2026-01-02 00:00:00"); n])),
            ("comment", opt_strings(&vec![None; n])),
        ],
    );
}

/// A canonical single-file `costs` table.
pub fn costs(path: &Path) {
    write_parquet(
        path,
        vec![
            ("month", dates(&["2026-01-01"])),
            ("team", opt_strings(&[None])),
            (
                "amount",
                Arc::new(
                    Decimal128Array::from(vec![12345]) // 123.45
                        .with_precision_and_scale(18, 2)
                        .expect("decimal"),
                ),
            ),
            ("currency", strings(&["EUR"])),
        ],
    );
}

/// A small lake that follows the contract: 3 interactions, 2 surveys, no
/// agent_states (optional), costs as a single file.
pub fn small_lake(dir: &Path) {
    interactions(
        &dir.join("interactions/part-0.parquet"),
        &["i1", "i2", "i3"],
        &[
            "2026-01-01 09:00:00",
            "2026-01-01 10:00:00",
            "2026-01-02 11:30:00",
        ],
    );
    surveys(
        &dir.join("surveys/part-0.parquet"),
        &[("s1", Some("i1"), "csat", 5), ("s2", None, "nps", 9)],
    );
    costs(&dir.join("costs.parquet"));
}

/// The Python of `target/<venv>`, a virtualenv with `package` (one or more,
/// separated by spaces) from PyPI
/// (checked by importing `import`); made on first use (`.ci/run` makes the
/// venvs up front, so tests running at once do not race to make one).
pub fn venv_python(venv: &str, import: &str, package: &str) -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(venv);
    let python = venv.join("bin/python");
    // Tests run in parallel: one makes a missing venv, the others wait.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let has_it = |python: &std::path::Path| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {import}")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_it(&python) {
        eprintln!("installing {package} into {}", venv.display());
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(made.success(), "python3 -m venv {}", venv.display());
        let installed = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(package.split_whitespace())
            .status()
            .expect("pip install");
        assert!(
            installed.success(),
            "pip install {package} into {}",
            venv.display()
        );
    }
    python
}

/// `target/<dir>/node_modules` with npm's `package` (`name@range`)
/// installed, by `npm install` on first use (.ci/run does it first).
pub fn node_modules(dir: &str, package: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(dir);
    let name = package.rsplit_once('@').map_or(package, |(n, _)| n);
    let modules = dir.join("node_modules");
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    if !modules.join(name).join("package.json").exists() {
        std::fs::create_dir_all(&dir).expect("target dir");
        let installed = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", package])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js's; .ci/run checks for it)");
        assert!(
            installed.success(),
            "npm install {package} in {}",
            dir.display()
        );
    }
    modules
}

/// The plan `kpiql -q ARGS --explain` prints, which must succeed
/// (`--explain` refuses `--format`, so [`sample_csv`] does not fit).
pub fn sample_plan(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .args(args)
        .arg("--explain")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `kpiql -q ARGS --format csv` on the sample lake; the command must
/// succeed.
pub fn sample_csv(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("kpiql")
        .expect("binary")
        .env_remove("KPIQL_DATA")
        .arg("-q")
        .args(args)
        .args(["--format", "csv"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

// ------------------------------------------------------------ S3

/// The Python of `target/moto-venv`, with `moto[server]` installed.
pub fn moto_python() -> std::path::PathBuf {
    crate::fixtures::venv_python("moto-venv", "moto.server, flask", "moto[server]")
}

/// A moto S3 server on a free loopback port, stopped on drop.
pub struct Moto {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let child = std::process::Command::new(moto_python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start moto.server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto server did not start; is moto[server] installed?"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }

    pub fn create_bucket(&self, bucket: &str) {
        use std::io::{Read, Write};
        let addr = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "create bucket: {response}"
        );
    }

    pub fn store(&self, bucket: &str) -> Arc<dyn object_store::ObjectStore> {
        Arc::new(
            object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_endpoint(&self.endpoint)
                .with_region("us-east-1")
                .with_access_key_id("test")
                .with_secret_access_key("test")
                .with_allow_http(true)
                .build()
                .expect("s3 store"),
        )
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// The environment that points object_store at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
        ]
    }

    /// Uploads the files under `dir` to `s3://bucket/prefix/`, paths kept.
    pub fn upload(&self, bucket: &str, prefix: &str, dir: &Path) {
        use object_store::ObjectStoreExt;
        let store = self.store(bucket);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).expect("ls") {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let rel = path
                        .strip_prefix(dir)
                        .expect("under")
                        .to_str()
                        .expect("utf-8")
                        .to_string();
                    let bytes = std::fs::read(&path).expect("read");
                    store
                        .put(
                            &object_store::path::Path::from(format!("{prefix}/{rel}")),
                            bytes.into(),
                        )
                        .await
                        .expect("upload");
                }
            }
        });
    }

    /// `kpiql` with the server's endpoint and credentials in its environment.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("kpiql"));
        cmd.env_remove("KPIQL_DATA")
            .env_remove("KPIQL_TEST_ONLY_PAUSE_AT")
            .envs(self.aws_env());
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the folder `from` (a sample lake) at `to`, for a test that
/// changes it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
