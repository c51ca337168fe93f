//! `kpiql serve`: the lake, the KPI functions and `report(...)` over the
//! PostgreSQL wire protocol (DESIGN §5, issue 16).
//!
//! Built on `datafusion-postgres` (pgwire, with DataFusion's `pg_catalog`
//! for psql's `\d` and BI tools' start-up queries), with kpiql's own accept
//! loop, login and guards, because as shipped it shares one session between
//! connections, authenticates no one, refuses no statement and serves
//! plaintext when its TLS set-up fails:
//!
//! - every connection gets its own `SessionContext`, cloned from one
//!   template: its own settings (`SET` in one is not seen by another), the
//!   same tables and the same memory pool (`--memory-limit`);
//! - SCRAM-SHA-256 against stored verifiers ([`auth`]);
//! - read-only ([`session`]): queries, `EXPLAIN`, `SHOW`, `SET`;
//! - cancel requests and `statement_timeout` stop a query while it plans
//!   and while its rows stream ([`cancel`]);
//! - with TLS, plaintext connections are refused; without it, only
//!   loopback addresses are served unless `--insecure-listen` is given.

pub mod auth;
pub mod cancel;
pub mod catalog;
pub mod gone;
pub mod limits;
pub mod session;
pub mod transactions;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use datafusion_postgres::pgwire;
use pgwire::api::PgWireServerHandlers;
use pgwire::tokio::tokio_rustls::rustls;
use pgwire::tokio::{TlsAcceptor, process_socket};
use tokio::net::TcpListener;

use auth::{Login, Logins, Refused, Users};
use cancel::{Cancel, Registry};
pub use catalog::prepare;
use gone::{Gone, Watcher};
use session::Session;

/// `serve`'s memory bound without `--memory-limit`: half the machine's
/// memory (`MemTotal` of /proc/meminfo), so that one client's query fails
/// with "resources exhausted" instead of the server being killed. `None`
/// where the machine's memory cannot be read.
pub fn default_memory_bound() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: usize = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib / 2 * 1024)
}

/// The memory limit of `ctx`'s pool, as the start-up line and `SHOW
/// memory_limit` give it.
pub fn memory_limit_text(ctx: &SessionContext) -> String {
    match ctx.runtime_env().memory_pool.memory_limit() {
        datafusion::execution::memory_pool::MemoryLimit::Finite(bytes) => {
            format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
        }
        _ => "none".to_string(),
    }
}

tokio::task_local! {
    /// The peer of the connection whose task is running, for [`contain`].
    static PEER: SocketAddr;
}

/// Runs one connection's protocol, a panic in it ending only that
/// connection, logged as one line naming the peer.
///
/// pgwire 0.41's message decoders trust the lengths a client sends: a
/// message shorter than its fields (a 3-byte `p`, a length under 4, a
/// CopyData in the wrong state) panics in `bytes`. kpiql reads the SASL
/// messages of a login itself; for the others, found by the fuzz test in
/// `tests/it/serve/hardening.rs`, the panic is contained here: the
/// connection is closed, its slot freed, and the log says "malformed
/// message" instead of printing a panic.
async fn contain<F>(peer: SocketAddr, connection: F) -> Result<(), std::io::Error>
where
    F: std::future::Future<Output = Result<(), std::io::Error>>,
{
    use futures::FutureExt;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match PEER.try_with(|p| *p) {
            Ok(peer) => {
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                log::warn!(
                    "connection from {peer}: malformed message or internal fault ({what} at \
                     {at}); connection closed"
                );
            }
            Err(_) => default(info),
        }));
    });
    PEER.scope(
        peer,
        std::panic::AssertUnwindSafe(connection).catch_unwind(),
    )
    .await
    .unwrap_or(Ok(()))
}

/// How long the accept loop waits after a failed accept (EMFILE, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The database name clients connect to (any name is accepted; this is the
/// one `current_database()` answers).
pub const DATABASE: &str = "kpiql";

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Serve a non-loopback address without TLS.
    pub insecure_listen: bool,
    /// PEM certificate chain and private key: TLS only.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Connections served at once; more are refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// `statement_timeout` until a client sets its own.
    pub statement_timeout: Option<Duration>,
    /// How long a result may wait for its client: a connection whose
    /// client reads none of it for this long is dropped, and a suspended
    /// portal not fetched from for this long is closed.
    pub idle_timeout: Option<Duration>,
}

/// A server that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "no user may log in: give --users FILE (lines from `kpiql passwd NAME`) or set \
         KPIQL_PASSWORD for the user --user (default kpiql)"
    )]
    NoUsers,
    #[error(
        "{0} is not a loopback address and the server has no TLS: give --tls-cert and --tls-key, \
         or --insecure-listen to send passwords' proofs and data in plaintext on purpose"
    )]
    Insecure(SocketAddr),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("pg_catalog: {0}")]
    Catalog(String),
}

/// Reads the TLS certificate chain and key (PEM; PKCS#8, PKCS#1 or SEC1).
fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls(format!("certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "certificate {}: no CERTIFICATE block",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Tls(format!("private key {}: {e}", key.display())))?;
    // The tree builds rustls with two crypto providers: name one.
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ServeError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| ServeError::Tls(format!("certificate and key: {e}")))?;
    // PostgreSQL 17's direct TLS connections ask for this protocol.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// One connection's handlers.
struct Connection {
    session: Arc<Session>,
    login: Arc<Login>,
    registry: Arc<Registry>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        Arc::clone(&self.session)
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        Arc::clone(&self.session)
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        Arc::clone(&self.login)
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.registry)
    }
}

/// Turned away: over `--max-connections`. Cancel requests still work.
struct Full {
    registry: Arc<Registry>,
    max: usize,
    refused: Arc<Refused>,
}

#[async_trait::async_trait]
impl pgwire::api::auth::StartupHandler for Full {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::PgWireFrontendMessage,
    ) -> pgwire::error::PgWireResult<()>
    where
        C: pgwire::api::ClientInfo
            + futures::Sink<pgwire::messages::PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::Error: std::fmt::Debug,
        pgwire::error::PgWireError:
            From<<C as futures::Sink<pgwire::messages::PgWireBackendMessage>>::Error>,
    {
        if matches!(message, pgwire::messages::PgWireFrontendMessage::Startup(_)) {
            log::warn!(
                "refused a connection from {}: {} connections are open (--max-connections)",
                client.socket_addr(),
                self.max
            );
            let error =
                pgwire::error::PgWireError::UserError(Box::new(pgwire::error::ErrorInfo::new(
                    "FATAL".into(),
                    "53300".into(),
                    format!(
                        "sorry, too many clients already (--max-connections {})",
                        self.max
                    ),
                )));
            return self.refused.close(client, error).await;
        }
        Ok(())
    }
}

impl PgWireServerHandlers for Full {
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        Arc::new(Full {
            registry: Arc::clone(&self.registry),
            max: self.max,
            refused: Arc::clone(&self.refused),
        })
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.registry)
    }
}

/// Serves `template`'s lake until Ctrl-C / SIGTERM.
///
/// Connections are accepted on a thread of their own (a one-thread
/// runtime), so a server whose cores are busy with queries still accepts,
/// and answers cancel requests at once: those are handled on that thread;
/// every other connection is handed to the runtime `run` is called on,
/// where its queries execute.
pub async fn run(
    template: SessionContext,
    users: Users,
    options: &ServeOptions,
) -> Result<(), ServeError> {
    if users.is_empty() {
        return Err(ServeError::NoUsers);
    }
    if options.tls.is_none() && !options.listen.ip().is_loopback() && !options.insecure_listen {
        return Err(ServeError::Insecure(options.listen));
    }
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let registry = Arc::new(Registry::default());
    let logins = Arc::new(Logins::new(users, tls.is_some(), Arc::clone(&registry)));
    let listen_err = |source| ServeError::Listen {
        addr: options.listen,
        source,
    };
    let listener = std::net::TcpListener::bind(options.listen).map_err(listen_err)?;
    listener.set_nonblocking(true).map_err(listen_err)?;
    let local = listener.local_addr().map_err(listen_err)?;
    let acceptor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(listen_err)?;
    let queries = tokio::runtime::Handle::current();
    let template_state = template.state();
    let accept = Accept {
        template: template_state.clone(),
        tls: tls.clone(),
        registry,
        logins: Arc::clone(&logins),
        slots: Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1))),
        max: options.max_connections,
        timeout: options.statement_timeout,
        idle: options.idle_timeout,
        watcher: Arc::new(Watcher::new(options.idle_timeout)),
    };
    std::thread::Builder::new()
        .name("kpiql-accept".into())
        .spawn(move || acceptor.block_on(accept.run(listener, queries)))
        .map_err(listen_err)?;
    // The address a test (or a script) waits for, on stderr.
    eprintln!(
        "kpiql serve: listening on {local} ({}, database {DATABASE}, {} user{}, memory limit {}, \
         statement timeout {}); Ctrl-C stops",
        if tls.is_some() {
            "TLS only"
        } else {
            "plaintext"
        },
        logins.users.len(),
        if logins.users.len() == 1 { "" } else { "s" },
        memory_limit_text(&SessionContext::new_with_state(template_state)),
        options
            .statement_timeout
            .map_or("none".to_string(), |t| format!("{t:?}")),
    );
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("kpiql serve: stopped");
    Ok(())
}

/// The accepting side of the server.
struct Accept {
    template: datafusion::execution::SessionState,
    tls: Option<TlsAcceptor>,
    registry: Arc<Registry>,
    logins: Arc<Logins>,
    slots: Arc<tokio::sync::Semaphore>,
    max: usize,
    timeout: Option<Duration>,
    idle: Option<Duration>,
    watcher: Arc<Watcher>,
}

/// Whether the first bytes a client sent are a CancelRequest (length 16,
/// code 80877102).
fn is_cancel_request(head: &[u8]) -> bool {
    head.len() >= 8 && head[4..8] == 80_877_102_i32.to_be_bytes()
}

impl Accept {
    async fn run(self, listener: std::net::TcpListener, queries: tokio::runtime::Handle) {
        let listener = match TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                log::error!("cannot listen: {e}");
                return;
            }
        };
        let mut last_warning: Option<std::time::Instant> = None;
        let mut unlogged = 0u64;
        loop {
            let (socket, peer) = match listener.accept().await {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors (EMFILE) and the like: the
                    // error repeats until a connection closes, so wait
                    // instead of spinning, and say so once a second.
                    unlogged += 1;
                    if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        log::warn!(
                            "cannot accept connections: {e} ({unlogged} time{} since the last \
                             warning); retrying every {} ms",
                            if unlogged == 1 { "" } else { "s" },
                            ACCEPT_BACKOFF.as_millis()
                        );
                        last_warning = Some(std::time::Instant::now());
                        unlogged = 0;
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let registry = Arc::clone(&self.registry);
            let tls = self.tls.clone();
            let (max, timeout, idle) = (self.max, self.timeout, self.idle);
            let logins = Arc::clone(&self.logins);
            let template = self.template.clone();
            let slots = Arc::clone(&self.slots);
            let queries = queries.clone();
            let watcher = Arc::clone(&self.watcher);
            // Its own task: a client that connects and says nothing holds
            // up no one else.
            tokio::spawn(async move {
                let mut head = [0u8; 8];
                let peeked =
                    tokio::time::timeout(Duration::from_secs(10), socket.peek(&mut head)).await;
                match peeked {
                    Ok(Ok(n)) if is_cancel_request(&head[..n]) => {
                        // Answered here, however busy the query runtime is.
                        let refused = Arc::new(Refused::default());
                        let full = Full {
                            registry,
                            max: 0,
                            refused: Arc::clone(&refused),
                        };
                        tokio::select! {
                            _ = contain(peer, process_socket(socket, None, full)) => {}
                            () = refused.wait() => {}
                        }
                        return;
                    }
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                }
                let socket = match socket.into_std() {
                    Ok(s) => s,
                    Err(e) => {
                        log::warn!("connection from {peer}: {e}");
                        return;
                    }
                };
                let slot = slots.try_acquire_owned();
                queries.spawn(async move {
                    let socket = match tokio::net::TcpStream::from_std(socket) {
                        Ok(s) => s,
                        Err(e) => {
                            log::warn!("connection from {peer}: {e}");
                            return;
                        }
                    };
                    // A client that hangs up ends the connection here, with
                    // its query ([`gone`]), however long the query would run.
                    let gone = Arc::new(Gone::default());
                    let _watch =
                        watcher.watch(std::os::fd::AsFd::as_fd(&socket), Arc::clone(&gone));
                    // A refused login ends the connection here, dropping it
                    // (and its slot) before another of its messages is read.
                    let refused = Arc::new(Refused::default());
                    let cancel = Arc::new(Cancel::new(timeout));
                    let results = Arc::clone(&cancel);
                    let served = async {
                        match slot {
                            Ok(_slot) => {
                                let connection = Connection {
                                    session: Arc::new(Session::new(
                                        SessionContext::new_with_state(template),
                                        Arc::clone(&cancel),
                                    )),
                                    login: Arc::new(Login::new(
                                        logins,
                                        cancel,
                                        Arc::clone(&refused),
                                    )),
                                    registry,
                                };
                                process_socket(socket, tls, connection).await
                            }
                            Err(_) => {
                                let full = Full {
                                    registry,
                                    max,
                                    refused: Arc::clone(&refused),
                                };
                                process_socket(socket, tls, full).await
                            }
                        }
                    };
                    let result = tokio::select! {
                        result = contain(peer, served) => result,
                        () = refused.wait() => Ok(()),
                        () = async {
                            match idle {
                                Some(idle) => results.close_idle_results(idle).await,
                                None => std::future::pending().await,
                            }
                        } => Ok(()),
                        () = gone.wait() => {
                            match gone.why() {
                                Some(gone::Why::StoppedReading) => log::warn!(
                                    "connection from {peer}: the client read nothing of its \
                                     result for --idle-timeout; connection closed, query freed"
                                ),
                                _ => log::info!(
                                    "connection from {peer}: the client hung up; its query, if \
                                     any, is stopped"
                                ),
                            }
                            Ok(())
                        }
                    };
                    if let Err(e) = result {
                        log::info!("connection from {peer} ended: {e}");
                    }
                });
            });
        }
    }
}

/// Log lines on stderr: kpiql's own at `info` (logins, refusals, cancels)
/// unless `quiet`, other crates' at `warn`.
pub fn log_to_stderr(quiet: bool) {
    static LOGGER: StderrLog = StderrLog;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(if quiet {
            log::LevelFilter::Warn
        } else {
            log::LevelFilter::Info
        });
    }
}

#[derive(Debug)]
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
            || (metadata.target().starts_with("kpiql") && metadata.level() <= log::max_level())
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "{} kpiql serve: {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                record.level().as_str().to_ascii_lowercase(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
