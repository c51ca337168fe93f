//! Who may connect: SCRAM-SHA-256 against stored verifiers (RFC 5802,
//! RFC 7677), never a password.
//!
//! A users file holds one user a line, `NAME:SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY`
//! (the verifier in PostgreSQL's `pg_authid` format, base64 parts), made by
//! `kpiql passwd NAME`; blank lines and `#` comments are skipped. The
//! server keeps StoredKey and ServerKey only: they let it check a client's
//! proof and prove itself, but not log in as the user (pgwire's own SCRAM
//! handler wants the salted password, which would).
//!
//! An unknown user gets a salt derived from a per-process secret, so the
//! answer does not tell which names exist; every failed login is answered
//! after [`FAILED_LOGIN_DELAY`] and logged with the peer's address.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use datafusion_postgres::pgwire;
use futures::{Sink, SinkExt};
use hmac::{KeyInit, Mac};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::cancel::{Cancel, Registry};

/// How long a failed login waits before it is answered.
pub const FAILED_LOGIN_DELAY: Duration = Duration::from_secs(1);
/// PBKDF2 iterations of a new verifier (PostgreSQL's default).
pub const ITERATIONS: u32 = 4096;
const MECHANISM: &str = "SCRAM-SHA-256";

type HmacSha256 = hmac::Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Equality that takes as long whatever the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the server stores of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

impl Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

impl Verifier {
    /// The verifier of `password` with a fresh random salt.
    pub fn new(password: &str) -> Verifier {
        let salt: [u8; 16] = rand::random();
        Verifier::with_salt(password, &salt, ITERATIONS)
    }

    /// The verifier of `password` (after SASLprep, as clients do) with
    /// `salt`.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let salted = pgwire::api::auth::sasl::scram::gen_salted_password(
            password,
            salt,
            iterations as usize,
        );
        let client_key = hmac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// `SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY`.
    pub fn encode(&self) -> String {
        format!(
            "{MECHANISM}${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }

    /// Reads [`Verifier::encode`]'s text.
    pub fn decode(text: &str) -> Result<Verifier, String> {
        let bad = || {
            format!(
                "expected {MECHANISM}$ITERATIONS:SALT$STOREDKEY:SERVERKEY (base64 parts, as `kpiql passwd` prints)"
            )
        };
        let rest = text
            .strip_prefix(MECHANISM)
            .and_then(|r| r.strip_prefix('$'))
            .ok_or_else(bad)?;
        let (params, keys) = rest.split_once('$').ok_or_else(bad)?;
        let (iterations, salt) = params.split_once(':').ok_or_else(bad)?;
        let (stored, server) = keys.split_once(':').ok_or_else(bad)?;
        let key = |t: &str| -> Result<[u8; 32], String> {
            B64.decode(t)
                .ok()
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .ok_or_else(bad)
        };
        let iterations: u32 = iterations.parse().map_err(|_| bad())?;
        if iterations == 0 {
            return Err(bad());
        }
        Ok(Verifier {
            iterations,
            salt: B64.decode(salt).map_err(|_| bad())?,
            stored_key: key(stored)?,
            server_key: key(server)?,
        })
    }
}

/// The users who may connect.
#[derive(Debug, Clone, Default)]
pub struct Users {
    verifiers: HashMap<String, Verifier>,
}

impl Users {
    /// Reads a users file; an error names the file and line.
    pub fn load(path: &Path) -> Result<Users, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the users file {}: {e}", path.display()))?;
        Users::parse(&text).map_err(|e| format!("users file {}: {e}", path.display()))
    }

    /// Reads a users file's text.
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = Users::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("line {}", n + 1);
            let (name, verifier) = line
                .split_once(':')
                .ok_or_else(|| format!("{at}: expected NAME:{MECHANISM}$..."))?;
            if name.is_empty() {
                return Err(format!("{at}: the user name is empty"));
            }
            let verifier = Verifier::decode(verifier).map_err(|e| format!("{at}: {e}"))?;
            if users.verifiers.insert(name.to_string(), verifier).is_some() {
                return Err(format!("{at}: user {name:?} appears twice"));
            }
        }
        Ok(users)
    }

    /// Adds (or replaces) a user.
    pub fn insert(&mut self, name: &str, verifier: Verifier) {
        self.verifiers.insert(name.to_string(), verifier);
    }

    /// No user at all.
    pub fn is_empty(&self) -> bool {
        self.verifiers.is_empty()
    }

    /// How many users.
    pub fn len(&self) -> usize {
        self.verifiers.len()
    }
}

/// Server-wide login settings, shared by every connection's handler.
#[derive(Debug)]
pub struct Logins {
    pub users: Users,
    /// Plaintext connections are refused (the server has TLS).
    pub tls_required: bool,
    /// Makes the salts of unknown users.
    secret: [u8; 32],
    pub registry: Arc<Registry>,
}

impl Logins {
    pub fn new(users: Users, tls_required: bool, registry: Arc<Registry>) -> Logins {
        Logins {
            users,
            tls_required,
            secret: rand::random(),
            registry,
        }
    }
}

/// Where one connection's login is.
#[derive(Debug)]
enum State {
    Initial,
    /// server-first sent: what client-final is checked against.
    FirstSent(Box<FirstSent>),
    Done,
}

/// What a login's client-final is checked against.
#[derive(Debug)]
struct FirstSent {
    user: String,
    verifier: Option<Verifier>,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    gs2_header: String,
}

/// One connection's SCRAM-SHA-256 login.
#[derive(Debug)]
pub struct Login {
    logins: Arc<Logins>,
    /// The connection's cancel switch, filed under its keys at login.
    cancel: Arc<Cancel>,
    state: Mutex<State>,
    /// Told when the login failed: the connection is then closed.
    refused: Arc<Refused>,
}

impl Login {
    pub fn new(logins: Arc<Logins>, cancel: Arc<Cancel>, refused: Arc<Refused>) -> Login {
        Login {
            logins,
            cancel,
            state: Mutex::new(State::Initial),
            refused,
        }
    }
}

/// The client metadata key set once a login has succeeded; the query
/// handlers refuse a connection without it (a second lock behind
/// [`Refused`]).
pub const LOGGED_IN_KEY: &str = "kpiql.logged_in";

/// Whether `client` has logged in.
pub fn logged_in(client: &(impl ClientInfo + ?Sized)) -> bool {
    client.metadata().contains_key(LOGGED_IN_KEY)
}

/// The FATAL refusal of a statement on a connection that has not logged in.
pub fn not_logged_in() -> PgWireError {
    fatal(
        "28000",
        "this connection has not logged in; nothing runs before a login".to_string(),
    )
}

/// A connection's end after a refused login (DESIGN §5).
///
/// pgwire answers an error during start-up by marking the connection ready
/// for queries and closing only its sending half, so a client that keeps
/// writing after a failed login would have its statements run. kpiql does
/// not let the error reach pgwire: the refusing handler sends the FATAL
/// error itself, closes its half, tells this switch and then waits forever;
/// the task serving the connection, told, drops it (and its slot) at once.
/// No message after the refused one is ever read.
#[derive(Debug, Default)]
pub struct Refused(tokio::sync::Notify);

impl Refused {
    /// Resolves once the connection's login was refused.
    pub async fn wait(&self) {
        self.0.notified().await;
    }

    /// Sends `error` (FATAL) to `client`, closes the connection and never
    /// returns: the connection's task ends it.
    pub async fn close<C>(&self, client: &mut C, error: PgWireError) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let info: ErrorInfo = error.into();
        // Best effort: a client that stopped reading is dropped all the same.
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = client
                .send(PgWireBackendMessage::ErrorResponse(info.into()))
                .await;
            let _ = client.close().await;
        })
        .await;
        self.0.notify_one();
        std::future::pending().await
    }
}

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        code.to_string(),
        message,
    )))
}

fn protocol(message: &str) -> PgWireError {
    fatal("08P01", format!("SCRAM-SHA-256: {message}"))
}

/// `key=value` attributes of a SCRAM message, in order.
fn attributes(text: &str) -> Vec<(char, &str)> {
    text.split(',')
        .filter_map(|part| {
            let mut chars = part.chars();
            let key = chars.next()?;
            part.get(1..)?.strip_prefix('=').map(|v| (key, v))
        })
        .collect()
}

async fn refuse(client: &impl ClientInfo, user: &str, why: &str) -> PgWireError {
    log::warn!(
        "failed login for user {user:?} from {}: {why}",
        client.socket_addr()
    );
    tokio::time::sleep(FAILED_LOGIN_DELAY).await;
    PgWireError::InvalidPassword(user.to_string())
}

#[async_trait::async_trait]
impl StartupHandler for Login {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self.step(client, message).await {
            Ok(()) => Ok(()),
            Err(Refusal::Logged(e)) => self.refused.close(client, e).await,
            Err(Refusal::Protocol(e)) => {
                let user = client
                    .metadata()
                    .get(pgwire::api::METADATA_USER)
                    .cloned()
                    .unwrap_or_default();
                // The client is told what was wrong with its messages; the
                // log and the delay are those of any failed login.
                let info = ErrorInfo::from(e);
                let _ = refuse(&*client, &user, &info.message).await;
                self.refused
                    .close(client, PgWireError::UserError(Box::new(info)))
                    .await
            }
        }
    }
}

/// Why a login step failed: already logged (and delayed), or a protocol
/// error still to log.
enum Refusal {
    Logged(PgWireError),
    Protocol(PgWireError),
}

impl From<PgWireError> for Refusal {
    fn from(e: PgWireError) -> Refusal {
        Refusal::Protocol(e)
    }
}

/// A SASLInitialResponse's mechanism and data, read with every length
/// checked: pgwire 0.41's decoder panics on a message shorter than its
/// header says, or with a negative data length other than -1.
fn sasl_initial_response(
    msg: pgwire::messages::startup::PasswordMessageFamily,
) -> Result<(String, Option<bytes::Bytes>), PgWireError> {
    use pgwire::messages::startup::PasswordMessageFamily;
    let body = match msg {
        PasswordMessageFamily::Raw(body) => body.freeze(),
        PasswordMessageFamily::SASLInitialResponse(first) => {
            return Ok((first.auth_method, first.data));
        }
        _ => return Err(protocol("expected a SASLInitialResponse")),
    };
    let malformed = || protocol("malformed SASLInitialResponse");
    let nul = body.iter().position(|&b| b == 0).ok_or_else(malformed)?;
    let mechanism = String::from_utf8_lossy(&body[..nul]).into_owned();
    let rest = body.slice(nul + 1..);
    let length: [u8; 4] = rest
        .get(..4)
        .and_then(|l| l.try_into().ok())
        .ok_or_else(malformed)?;
    let data = rest.slice(4..);
    match i32::from_be_bytes(length) {
        -1 if data.is_empty() => Ok((mechanism, None)),
        n if usize::try_from(n).is_ok_and(|n| n == data.len()) => Ok((mechanism, Some(data))),
        _ => Err(malformed()),
    }
}

impl Login {
    /// One message of the login; every error ends the connection.
    async fn step<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> Result<(), Refusal>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                if self.logins.tls_required && !client.is_secure() {
                    log::warn!(
                        "refused a plaintext connection from {}: this server requires TLS",
                        client.socket_addr()
                    );
                    return Err(Refusal::Logged(fatal(
                        "28000",
                        "this server accepts TLS connections only (connect with sslmode=require)"
                            .to_string(),
                    )));
                }
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec![MECHANISM.to_string()],
                    )))
                    .await
                    .map_err(PgWireError::from)?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let mut state = self.state.lock().await;
                match std::mem::replace(&mut *state, State::Done) {
                    State::Initial => {
                        let (mechanism, data) = sasl_initial_response(msg)?;
                        if mechanism != MECHANISM {
                            return Err(
                                protocol(&format!("unsupported mechanism {mechanism:?}")).into()
                            );
                        }
                        let data = data.ok_or_else(|| protocol("empty client-first"))?;
                        let text = std::str::from_utf8(&data)
                            .map_err(|_| protocol("client-first is not UTF-8"))?;
                        // gs2-header: n,, or y,, (we offer no channel binding).
                        let (cbind, rest) = text
                            .split_once(',')
                            .ok_or_else(|| protocol("no gs2 header"))?;
                        let (authzid, bare) = rest
                            .split_once(',')
                            .ok_or_else(|| protocol("no gs2 header"))?;
                        if cbind != "n" && cbind != "y" {
                            return Err(protocol("channel binding is not offered").into());
                        }
                        if !authzid.is_empty() {
                            return Err(
                                protocol("an authorization identity is not supported").into()
                            );
                        }
                        if bare.starts_with("m=") {
                            return Err(protocol("mandatory extensions are not supported").into());
                        }
                        let gs2_header = format!("{cbind},,");
                        let attrs = attributes(bare);
                        let client_nonce = attrs
                            .iter()
                            .find(|(k, _)| *k == 'r')
                            .map(|(_, v)| *v)
                            .filter(|nonce| !nonce.is_empty())
                            .ok_or_else(|| protocol("client-first has no nonce"))?;
                        // libpq sends an empty n=: the user is the startup one.
                        let user = client
                            .metadata()
                            .get(pgwire::api::METADATA_USER)
                            .cloned()
                            .unwrap_or_default();
                        let verifier = self.logins.users.verifiers.get(&user).cloned();
                        let (salt, iterations) = match &verifier {
                            Some(v) => (v.salt.clone(), v.iterations),
                            None => (
                                hmac(&self.logins.secret, user.as_bytes())[..16].to_vec(),
                                ITERATIONS,
                            ),
                        };
                        let server_nonce: [u8; 18] = rand::random();
                        let nonce = format!("{client_nonce}{}", B64.encode(server_nonce));
                        let server_first =
                            format!("r={nonce},s={},i={iterations}", B64.encode(salt));
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(
                                    server_first.clone().into_bytes().into(),
                                ),
                            ))
                            .await
                            .map_err(PgWireError::from)?;
                        *state = State::FirstSent(Box::new(FirstSent {
                            user,
                            verifier,
                            client_first_bare: bare.to_string(),
                            server_first,
                            nonce,
                            gs2_header,
                        }));
                    }
                    State::FirstSent(first) => {
                        let FirstSent {
                            user,
                            verifier,
                            client_first_bare,
                            server_first,
                            nonce,
                            gs2_header,
                        } = *first;
                        let last = msg.into_sasl_response()?;
                        let text = std::str::from_utf8(&last.data)
                            .map_err(|_| protocol("client-final is not UTF-8"))?;
                        let (without_proof, proof) = text
                            .rsplit_once(",p=")
                            .ok_or_else(|| protocol("client-final has no proof"))?;
                        let attrs = attributes(without_proof);
                        let binding = attrs.iter().find(|(k, _)| *k == 'c').map(|(_, v)| *v);
                        let echoed = attrs.iter().find(|(k, _)| *k == 'r').map(|(_, v)| *v);
                        if binding != Some(B64.encode(&gs2_header).as_str()) {
                            return Err(protocol("channel binding does not match").into());
                        }
                        if echoed != Some(nonce.as_str()) {
                            return Err(protocol("the nonce does not match").into());
                        }
                        // Known and unknown users fail alike from here on.
                        let (proof, verifier) = match (B64.decode(proof), verifier) {
                            (Ok(proof), Some(v)) if proof.len() == 32 => (proof, v),
                            (_, None) => {
                                return Err(Refusal::Logged(
                                    refuse(&*client, &user, "no such user").await,
                                ));
                            }
                            _ => {
                                return Err(Refusal::Logged(
                                    refuse(&*client, &user, "a malformed proof").await,
                                ));
                            }
                        };
                        let auth_message =
                            format!("{client_first_bare},{server_first},{without_proof}");
                        let signature = hmac(&verifier.stored_key, auth_message.as_bytes());
                        let client_key: Vec<u8> = proof
                            .iter()
                            .zip(signature.iter())
                            .map(|(p, s)| p ^ s)
                            .collect();
                        let stored: [u8; 32] = Sha256::digest(&client_key).into();
                        if !same(&stored, &verifier.stored_key) {
                            return Err(Refusal::Logged(
                                refuse(&*client, &user, "wrong password").await,
                            ));
                        }
                        let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
                        let server_final = format!("v={}", B64.encode(server_signature));
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(server_final.into_bytes().into()),
                            ))
                            .await
                            .map_err(PgWireError::from)?;
                        self.logins.registry.start(client, &self.cancel);
                        log::info!("user {user:?} logged in from {}", client.socket_addr());
                        client
                            .metadata_mut()
                            .insert(LOGGED_IN_KEY.to_string(), user.clone());
                        finish_authentication(client, &parameters()).await?;
                    }
                    State::Done => return Err(protocol("unexpected message after login").into()),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The PostgreSQL version the server says it is: one drivers accept (they
/// parse the leading number), and kpiql's own after it.
pub static SERVER_VERSION: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("16.6 (kpiql {})", env!("CARGO_PKG_VERSION")));

/// What the server tells a client about itself at login.
fn parameters() -> DefaultServerParameterProvider {
    let mut p = DefaultServerParameterProvider::default();
    p.server_version = SERVER_VERSION.clone();
    p.is_superuser = false;
    p.default_transaction_read_only = true;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example: user "user", password "pencil", salt
    /// W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations; its server-final proves
    /// the ServerKey, and the client proof it lists checks against the
    /// StoredKey.
    #[test]
    fn the_rfc_7677_example_checks_out() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("b64");
        let v = Verifier::with_salt("pencil", &salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_signature = hmac(&v.server_key, auth_message.as_bytes());
        assert_eq!(
            B64.encode(server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        let proof = B64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .expect("b64");
        let signature = hmac(&v.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
        let stored: [u8; 32] = Sha256::digest(&client_key).into();
        assert!(same(&stored, &v.stored_key));
    }

    #[test]
    fn a_verifier_reads_back_and_bad_lines_are_named() {
        let v = Verifier::new("secret");
        assert_eq!(Verifier::decode(&v.encode()), Ok(v.clone()));
        let users = Users::parse(&format!("# analysts\n\nann:{}\n", v.encode())).expect("parses");
        assert_eq!(users.len(), 1);
        for (text, expected) in [
            ("ann", "line 1: expected NAME:SCRAM-SHA-256$"),
            ("ann:md5abc", "line 1: expected SCRAM-SHA-256$ITERATIONS"),
            (
                ":SCRAM-SHA-256$4096:c2FsdA==$AA==:AA==",
                "line 1: the user name is empty",
            ),
            (
                "ann:SCRAM-SHA-256$4096:c2FsdA==$AA==:AA==",
                "line 1: expected SCRAM",
            ),
        ] {
            let err = Users::parse(text).expect_err(text);
            assert!(err.starts_with(expected), "{text}: {err}");
        }
        let twice = format!("ann:{0}\nann:{0}\n", v.encode());
        assert_eq!(
            Users::parse(&twice).expect_err("twice"),
            "line 2: user \"ann\" appears twice"
        );
    }
}
