//! `kpiql serve` attacked as issue 30 found it: raw PostgreSQL messages
//! from a client that never logs in, a statement nested to the limit and
//! past it, settings that multiply resources.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{PASSWORD, Server, psql, serve};

/// One frontend message: tag, length, body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// A protocol 3.0 StartupMessage for user kpiql.
fn startup() -> Vec<u8> {
    let mut body = 196_608_i32.to_be_bytes().to_vec();
    for part in ["user", "kpiql", "database", "kpiql", ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    let mut m = (body.len() as i32 + 4).to_be_bytes().to_vec();
    m.extend_from_slice(&body);
    m
}

/// A simple query that keeps both cores busy for minutes if it runs.
fn heavy_query() -> Vec<u8> {
    message(
        b'Q',
        b"SELECT count(*) FROM generate_series(1, 100000000000)\0",
    )
}

/// A SASLInitialResponse: mechanism, then its data.
fn sasl_initial(mechanism: &str, data: &[u8]) -> Vec<u8> {
    let mut body = mechanism.as_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(&(data.len() as i32).to_be_bytes());
    body.extend_from_slice(data);
    message(b'p', &body)
}

/// The next backend message, or None at the end of the stream.
fn read_message(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).ok()?;
    let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0u8; len.saturating_sub(4)];
    stream.read_exact(&mut body).ok()?;
    Some((head[0], body))
}

/// Reads until the server closes the connection; the messages seen.
fn read_to_end(stream: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    std::iter::from_fn(|| read_message(stream)).collect()
}

/// The server process's CPU time (user + system) in clock ticks.
fn cpu_ticks(server: &Server) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.child.id())).expect("stat");
    // After the command's name in parentheses: fields 14 and 15 are
    // utime and stime.
    let rest = stat.rsplit_once(')').expect("stat format").1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// Sends `attack` (the refused step with a heavy query behind it, in one
/// write), then checks: the server answers FATAL and closes; in the two
/// seconds after, it spends almost no CPU (the query would keep both cores
/// busy); and the one slot of `--max-connections 1` is free again.
fn refused_and_nothing_runs(server: &Server, mut stream: TcpStream, attack: &[u8], says: &str) {
    let before = cpu_ticks(server);
    stream.write_all(attack).expect("send");
    let seen = read_to_end(&mut stream);
    let error = seen
        .iter()
        .find(|(tag, _)| *tag == b'E')
        .map(|(_, body)| String::from_utf8_lossy(body).to_string())
        .unwrap_or_else(|| panic!("no ErrorResponse: {seen:?}"));
    assert!(error.contains("FATAL"), "{error}");
    assert!(
        error.to_lowercase().contains(&says.to_lowercase()),
        "{error}"
    );
    assert!(
        !seen.iter().any(|(tag, _)| *tag == b'T' || *tag == b'D'),
        "rows were sent: {seen:?}"
    );
    // The measurement window: a query that runs would use about 2 s of
    // CPU per second here (two cores), the login's own work a few ms.
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(server) - before;
    assert!(
        spent < 100,
        "the server spent {spent} ticks of CPU after refusing the login: the query ran"
    );
    // Writing more finds the connection closed both ways.
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        stream.write_all(&heavy_query()).is_err()
    });
    assert!(gone, "the server still reads the refused connection");
    let (ok, out, err) = psql(server, "kpiql", PASSWORD, "", &["SELECT 5 AS n"]);
    assert!(
        ok,
        "the refused connection still holds the only slot: {err}"
    );
    assert_eq!(out, "n\n5\n");
}

/// Connects, sends the start-up message and reads up to the server's
/// AuthenticationSASL (R, code 10).
fn at_sasl(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(&startup()).expect("startup");
    let (tag, body) = read_message(&mut stream).expect("an answer to the start-up");
    assert_eq!(tag, b'R', "{}", String::from_utf8_lossy(&body));
    assert_eq!(body[..4], 10_i32.to_be_bytes(), "not AuthenticationSASL");
    stream
}

fn logged(server: &Server, what: &str) {
    let line = std::iter::from_fn(|| server.log.recv_timeout(Duration::from_secs(10)).ok())
        .find(|l| l.contains("failed login") || l.contains("refused a plaintext"));
    let line = line.unwrap_or_else(|| panic!("no failed login logged for {what}"));
    assert!(line.contains("from 127.0.0.1:"), "{line}");
}

#[test]
fn a_bad_mechanism_closes_the_connection_and_nothing_after_it_runs() {
    let server = serve(&["--max-connections", "1"]);
    let stream = at_sasl(&server);
    let mut attack = sasl_initial("BOGUS", b"n,,n=,r=abc");
    attack.extend(heavy_query());
    refused_and_nothing_runs(&server, stream, &attack, "unsupported mechanism");
    logged(&server, "a bad mechanism");
}

#[test]
fn a_malformed_client_first_closes_the_connection_and_nothing_after_it_runs() {
    let server = serve(&["--max-connections", "1"]);
    let stream = at_sasl(&server);
    let mut attack = sasl_initial("SCRAM-SHA-256", b"\xff\xfe no header");
    attack.extend(heavy_query());
    refused_and_nothing_runs(&server, stream, &attack, "SCRAM-SHA-256");
    logged(&server, "a malformed client-first");
}

#[test]
fn a_wrong_proof_closes_the_connection_and_nothing_after_it_runs() {
    let server = serve(&["--max-connections", "1"]);
    let mut stream = at_sasl(&server);
    stream
        .write_all(&sasl_initial("SCRAM-SHA-256", b"n,,n=,r=clientnonce"))
        .expect("client-first");
    let (tag, body) = read_message(&mut stream).expect("server-first");
    assert_eq!(tag, b'R');
    let server_first = String::from_utf8_lossy(&body[4..]).to_string();
    let nonce = server_first
        .split(',')
        .find_map(|a| a.strip_prefix("r="))
        .expect("a nonce");
    // biws is base64 of "n,,"; the proof is 32 zero bytes, not the
    // password's.
    let final_message = format!("c=biws,r={nonce},p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let mut attack = message(b'p', final_message.as_bytes());
    attack.extend(heavy_query());
    refused_and_nothing_runs(&server, stream, &attack, "password authentication failed");
    logged(&server, "a wrong password");
}

#[test]
fn plaintext_on_a_tls_server_closes_the_connection_and_nothing_after_it_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = super::certificate(dir.path());
    let server = serve(&[
        "--max-connections",
        "1",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    let mut attack = startup();
    attack.extend(heavy_query());
    let before = cpu_ticks(&server);
    let mut stream = stream;
    stream.write_all(&attack).expect("send");
    let seen = read_to_end(&mut stream);
    assert!(
        seen.iter()
            .any(|(t, b)| *t == b'E' && String::from_utf8_lossy(b).contains("TLS connections only")),
        "{seen:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(&server) - before;
    assert!(spent < 100, "the server spent {spent} ticks: the query ran");
    logged(&server, "plaintext on TLS");
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "sslmode=require",
        &["SELECT 6 AS n"],
    );
    assert!(
        ok,
        "the refused connection still holds the only slot: {err}"
    );
    assert_eq!(out, "n\n6\n");
}

#[test]
fn a_connection_over_the_limit_is_told_and_closed() {
    let server = serve(&["--max-connections", "1"]);
    // The one slot: a client that logged in and waits.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let c = super::client(&server).await;
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let mut attack = startup();
        attack.extend(heavy_query());
        stream.write_all(&attack).expect("send");
        let seen = read_to_end(&mut stream);
        assert!(
            seen.iter()
                .any(|(t, b)| *t == b'E' && String::from_utf8_lossy(b).contains("too many clients")),
            "{seen:?}"
        );
        let row = c.query_one("SELECT 3::BIGINT", &[]).await.expect("query");
        assert_eq!(row.get::<_, i64>(0), 3);
    });
}

/// `SELECT 1+1+…` with `terms` terms, as psql's one `-c`.
fn sum(terms: usize) -> String {
    format!("SELECT {} AS total", vec!["1"; terms].join("+"))
}

#[test]
fn a_statement_at_the_nesting_limit_runs_and_past_it_is_refused() {
    let server = serve(&[]);
    // 999 terms: the query, 998 sums and the last literal, 1000 levels.
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &[&sum(999)]);
    assert!(ok, "{err}");
    assert_eq!(out, "total\n999\n");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let c = super::client(&server).await;
        // 200 000 terms is 400 KB: each of them, unchecked, aborted the
        // server on a 2 MiB stack.
        for terms in [1000, 200_000] {
            let err = c.simple_query(&sum(terms)).await.expect_err("ran");
            let db = err.as_db_error().expect("a server error");
            assert_eq!(db.code().code(), "54001", "{terms}: {db}");
            assert!(db.message().contains("1000 levels"), "{terms}: {db}");
        }
        // Past the size limit: refused before it is parsed.
        let long = format!("SELECT 1 AS n -- {}", "x".repeat(2 << 20));
        let err = c.simple_query(&long).await.expect_err("ran");
        let db = err.as_db_error().expect("a server error");
        assert_eq!(db.code().code(), "54001", "{db}");
        assert!(db.message().contains("statement too long"), "{db}");
    });
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 1 AS alive"]);
    assert!(ok, "{err}");
    assert_eq!(out, "alive\n1\n");
}

#[test]
fn settings_that_multiply_resources_are_bounded() {
    let server = serve(&[]);
    let (ok, _, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SET datafusion.execution.target_partitions = 200000"],
    );
    assert!(!ok);
    assert!(
        err.contains("22023") && err.contains("from 1 to 256"),
        "{err}"
    );
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &[
            "SET datafusion.execution.target_partitions = 4",
            "SELECT count(*) AS n FROM interactions",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("SET\nn\n"), "{out}");
}

#[test]
fn the_default_statement_timeout_and_memory_limit_are_in_force_and_shown() {
    let server = serve(&[]);
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SHOW statement_timeout", "SHOW memory_limit"],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["statement_timeout", "30s"], "{out}");
    assert_eq!(lines[2], "memory_limit", "{out}");
    assert!(lines[3].ends_with(" GiB"), "{out}");
    let (ok, out, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SET statement_timeout = '1500ms'", "SHOW statement_timeout"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "SET\nstatement_timeout\n1500ms\n");
}

/// Ticks of CPU the server spends in `window`.
fn ticks_in(server: &Server, window: Duration) -> u64 {
    let before = cpu_ticks(server);
    std::thread::sleep(window);
    cpu_ticks(server) - before
}

#[test]
fn a_client_that_hangs_up_mid_aggregation_frees_its_query_within_a_second() {
    let server = serve(&["--statement-timeout", "0"]);
    // One core's worth of counting for minutes, and not a row written
    // until it ends: only watching the socket can notice the hang-up.
    let mut client = std::process::Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={} dbname=kpiql user=kpiql sslmode=disable",
            server.port
        ))
        .args(["--no-psqlrc", "-X", "-c"])
        .arg("SELECT count(*) FROM generate_series(1, 100000000000)")
        .env("PGPASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    // Running: at least a fifth of a core in a 200 ms window.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ticks_in(&server, Duration::from_millis(200)) < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the query never started"
        );
    }
    client.kill().expect("kill psql");
    client.wait().expect("psql ended");
    let hung_up = std::time::Instant::now();
    let noticed = std::iter::from_fn(|| {
        let left = Duration::from_secs(1).checked_sub(hung_up.elapsed())?;
        server.log.recv_timeout(left).ok()
    })
    .any(|l| l.contains("the client hung up"));
    assert!(noticed, "the hang-up was not noticed within a second");
    // Freed: the query would spend about 100 ticks a second.
    let spent = ticks_in(&server, Duration::from_secs(1));
    assert!(spent < 20, "the query ran on: {spent} ticks in a second");
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 5 AS n"]);
    assert!(ok, "{err}");
    assert_eq!(out, "n\n5\n");
}

/// The server's peak resident memory (VmHWM), in bytes.
fn peak_memory(server: &Server) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).expect("status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

#[test]
fn abuse_under_a_small_memory_limit_is_an_error_and_the_server_lives() {
    let server = serve(&["--memory-limit", "256M"]);
    // 1.05 GB, then 2.1 GB, folded by the optimizer before any pool is
    // asked: the old server allocated both and was killed.
    let (ok, _, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SELECT length(repeat(repeat('x', 1050000000), 2))"],
    );
    assert!(!ok, "the 2 GB string was built");
    assert!(
        err.contains("repeat(...) would build up to 1050000000 bytes")
            && err.contains("a quarter of the memory limit"),
        "{err}"
    );
    // The most partitions a client may ask for, on a GROUP BY with a
    // group per row: an answer (the same as with the default), not a
    // server that grows without end.
    let group = "SELECT count(*) AS groups FROM (SELECT interaction_id, count(*) \
                 FROM interactions GROUP BY interaction_id) t";
    let (ok, wide, err) = psql(
        &server,
        "kpiql",
        PASSWORD,
        "",
        &["SET datafusion.execution.target_partitions = 256", group],
    );
    assert!(ok, "{err}");
    let (ok, narrow, err) = psql(&server, "kpiql", PASSWORD, "", &[group]);
    assert!(ok, "{err}");
    assert_eq!(wide, format!("SET\n{narrow}"));
    let peak = peak_memory(&server);
    assert!(
        peak < 1 << 30,
        "the server grew to {peak} bytes under a 256 MiB limit"
    );
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 5 AS n"]);
    assert!(ok, "{err}");
    assert_eq!(out, "n\n5\n");
}

#[test]
fn a_malformed_sasl_message_is_a_protocol_error_not_a_panic() {
    let server = serve(&["--max-connections", "1"]);
    let stream = at_sasl(&server);
    // The data's length says 1000 bytes; three follow (pgwire's decoder
    // split beyond the buffer and panicked the connection's task).
    let mut body = b"SCRAM-SHA-256\0".to_vec();
    body.extend_from_slice(&1000_i32.to_be_bytes());
    body.extend_from_slice(b"n,,");
    let mut attack = message(b'p', &body);
    attack.extend(heavy_query());
    refused_and_nothing_runs(&server, stream, &attack, "malformed SASLInitialResponse");
    logged(&server, "a malformed SASLInitialResponse");
    let panicked: Vec<String> = server
        .log
        .try_iter()
        .filter(|l| l.contains("panicked"))
        .collect();
    assert!(panicked.is_empty(), "{panicked:?}");
}

/// A seeded generator, so a failing case can be replayed from its number.
struct Random(rand_xoshiro::Xoshiro256PlusPlus);

impl Random {
    fn new(seed: u64) -> Random {
        Random(rand::SeedableRng::seed_from_u64(seed))
    }

    fn next(&mut self) -> u64 {
        rand::RngCore::next_u64(&mut self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What one fuzz case sends: random bytes, or frames with random tags,
/// random (often lying) lengths and random bodies, before or after a
/// proper start-up message.
fn fuzz_case(random: &mut Random) -> (bool, Vec<u8>) {
    let after_startup = random.below(4) != 0;
    let mut sent = Vec::new();
    for _ in 0..1 + random.below(4) {
        match random.below(4) {
            0 => {
                let n = random.below(64) as usize;
                sent.extend(random.bytes(n));
            }
            kind => {
                let tag = match kind {
                    1 => b'p',
                    _ => b"pQPBEDSHXCdcf"[random.below(13) as usize],
                };
                let n = random.below(48) as usize;
                let body = random.bytes(n);
                let length = match random.below(3) {
                    0 => body.len() as i32 + 4,
                    1 => random.next() as i32,
                    _ => random.below(16) as i32,
                };
                sent.push(tag);
                sent.extend_from_slice(&length.to_be_bytes());
                if random.below(2) == 0 {
                    // A SASLInitialResponse with a random data length.
                    sent.extend_from_slice(b"SCRAM-SHA-256\0");
                    sent.extend_from_slice(&(random.next() as i32).to_be_bytes());
                }
                sent.extend(body);
            }
        }
    }
    if !after_startup && random.below(2) == 0 {
        // A start-up packet with a random length and protocol version.
        let mut head = (random.next() as i32).to_be_bytes().to_vec();
        head.extend_from_slice(&(random.next() as i32).to_be_bytes());
        head.extend(sent);
        sent = head;
    }
    (after_startup, sent)
}

#[test]
fn random_bytes_from_clients_that_never_log_in_do_not_take_the_server_down() {
    // A fixed budget of 400 cases (about ten seconds), the same on every
    // run; KPIQL_FUZZ_CASES runs more.
    let cases: u64 = std::env::var("KPIQL_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let mut server = serve(&["--max-connections", "1000"]);
    let mut random = Random::new(30);
    for case in 0..cases {
        let (after_startup, sent) = fuzz_case(&mut random);
        let mut stream = if after_startup {
            at_sasl(&server)
        } else {
            TcpStream::connect(("127.0.0.1", server.port)).expect("connect")
        };
        // The server may close first: a failed write is an answer too.
        let _ = stream.write_all(&sent);
        drop(stream);
        assert!(
            server.child.try_wait().expect("wait").is_none(),
            "the server died at case {case}: {sent:?}"
        );
    }
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 5 AS n"]);
    assert!(ok, "{err}");
    assert_eq!(out, "n\n5\n");
    let panicked: Vec<String> = server
        .log
        .try_iter()
        .filter(|l| l.contains("panicked"))
        .collect();
    assert!(panicked.is_empty(), "{panicked:?}");
}

/// Waits up to `within` for a log line containing `what`.
fn wait_for_log(server: &Server, what: &str, within: Duration) -> Option<String> {
    let start = std::time::Instant::now();
    std::iter::from_fn(|| {
        let left = within.checked_sub(start.elapsed())?;
        server.log.recv_timeout(left).ok()
    })
    .find(|l| l.contains(what))
}

#[test]
fn a_portal_not_fetched_from_for_the_idle_timeout_is_closed() {
    let server = serve(&["--idle-timeout", "1s"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut client, _connection) = super::connect(server.port).await;
        let transaction = client.transaction().await.expect("BEGIN");
        let portal = transaction
            .bind("SELECT interaction_id FROM interactions", &[])
            .await
            .expect("bind");
        // Execute with a row limit: ten rows, then PortalSuspended.
        let first = transaction.query_portal(&portal, 10).await.expect("rows");
        assert_eq!(first.len(), 10);
        let closed = wait_for_log(&server, "was not fetched from", Duration::from_secs(10));
        assert!(closed.is_some(), "the suspended portal was not closed");
        let err = transaction
            .query_portal(&portal, 10)
            .await
            .expect_err("a closed portal gave rows");
        assert!(
            err.as_db_error().is_some_and(
                |e| e.code().code() == "57P05" && e.message().contains("--idle-timeout")
            ),
            "{err:?}"
        );
    });
    // The connection's slot and the server are fine.
    let (ok, out, err) = psql(&server, "kpiql", PASSWORD, "", &["SELECT 5 AS n"]);
    assert!(ok, "{err}");
    assert_eq!(out, "n\n5\n");
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_idle_timeout() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = serve(&["--idle-timeout", "1s", "--statement-timeout", "0"]);
    // A proxy between psql and the server that stops reading the
    // server's side after the first MiB, as a client that stopped reading
    // would: the server's socket fills and its writes wait.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("proxy");
    let proxy_port = proxy.local_addr().expect("addr").port();
    let stopped = Arc::new(AtomicBool::new(false));
    let stopped_by_proxy = Arc::clone(&stopped);
    let server_port = server.port;
    std::thread::spawn(move || {
        let (mut client, _) = proxy.accept().expect("accept");
        let mut upstream = TcpStream::connect(("127.0.0.1", server_port)).expect("connect");
        let mut to_server = client.try_clone().expect("clone");
        let mut from_client = upstream.try_clone().expect("clone");
        std::thread::spawn(move || std::io::copy(&mut to_server, &mut from_client));
        let mut buffer = [0u8; 16384];
        let mut forwarded = 0;
        while forwarded < 1 << 20 {
            match upstream.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    forwarded += n;
                    if client.write_all(&buffer[..n]).is_err() {
                        return;
                    }
                }
            }
        }
        stopped_by_proxy.store(true, Ordering::Release);
        // Holds both sockets open, reading nothing, until the test ends.
        std::thread::park();
    });
    let mut reader = std::process::Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={proxy_port} dbname=kpiql user=kpiql sslmode=disable"
        ))
        .args(["--no-psqlrc", "-X", "-c"])
        .arg("SELECT a.*, b.* FROM interactions a CROSS JOIN interactions b")
        .env("PGPASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("psql");
    let dropped = wait_for_log(
        &server,
        "read nothing of its result",
        Duration::from_secs(30),
    );
    let _ = reader.kill();
    let _ = reader.wait();
    assert!(
        stopped.load(Ordering::Acquire),
        "the proxy never stopped reading"
    );
    assert!(
        dropped.is_some(),
        "the connection of a client that stopped reading was kept"
    );
    let spent = ticks_in(&server, Duration::from_secs(1));
    assert!(spent < 20, "its query ran on: {spent} ticks in a second");
}
