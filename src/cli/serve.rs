//! `kpiql serve` and `kpiql passwd`.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::{Cli, ExitStatus};
use crate::serve::auth::{Users, Verifier};
use crate::serve::{ServeOptions, prepare, run as serve};

/// Arguments of `kpiql serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5433")]
    pub listen: SocketAddr,
    /// Users who may log in: lines from `kpiql passwd NAME` (SCRAM verifiers, never passwords).
    #[arg(long, env = "KPIQL_USERS", value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// The user whose password KPIQL_PASSWORD sets (a quick start without a users file).
    #[arg(long, value_name = "NAME", default_value = "kpiql")]
    pub user: String,
    /// TLS certificate chain (PEM); with --tls-key, plaintext connections are refused.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve a non-loopback address without TLS (data and logins in plaintext on the network).
    #[arg(long)]
    pub insecure_listen: bool,
    /// Connections served at once; more are refused (SQLSTATE 53300).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_connections: u32,
    /// statement_timeout until a client sets its own: 30s, 500ms, 5min, 1h, or milliseconds (0: none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    pub statement_timeout: Duration,
    /// How long a result may wait for its client: a client that reads none of it, or a portal not
    /// fetched from, for this long is closed (0: never).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub idle_timeout: Duration,
}

pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::serve::cancel::duration_ms(text)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is not a duration such as 30s, 500ms, 5min or 1h"))
}

/// Arguments of `kpiql passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The user name.
    pub name: String,
}

/// Asks for a password (twice on a terminal, without echo; one line from a
/// pipe) and prints the users-file line.
pub(super) fn passwd(args: &PasswdArgs) -> anyhow::Result<ExitStatus> {
    if args.name.is_empty() || args.name.contains(':') || args.name.contains(char::is_whitespace) {
        bail!(
            "user name {:?} must be non-empty, without ':' or spaces",
            args.name
        );
    }
    let password = if std::io::stdin().is_terminal() {
        let first = ask("Password: ")?;
        let again = ask("Again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing was printed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        bail!("the password is empty; nothing was printed");
    }
    println!("{}:{}", args.name, Verifier::new(&password).encode());
    Ok(ExitStatus::Success)
}

/// One line from the terminal with echo off.
fn ask(prompt: &str) -> anyhow::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    write!(stderr, "{prompt}")?;
    stderr.flush()?;
    let saved = tcgetattr(&stdin).context("cannot read the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet).context("cannot turn echo off")?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    tcsetattr(&stdin, OptionalActions::Now, &saved).context("cannot turn echo back on")?;
    writeln!(stderr)?;
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `kpiql serve`.
pub(super) async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    crate::serve::log_to_stderr(cli.quiet);
    let mut users = match &args.users {
        Some(path) => Users::load(path).map_err(anyhow::Error::msg)?,
        None => Users::default(),
    };
    if let Ok(password) = std::env::var("KPIQL_PASSWORD")
        && !password.is_empty()
    {
        users.insert(&args.user, Verifier::new(&password));
    }
    let options = ServeOptions {
        listen: args.listen,
        insecure_listen: args.insecure_listen,
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        max_connections: args.max_connections as usize,
        statement_timeout: Some(args.statement_timeout).filter(|d| !d.is_zero()),
        idle_timeout: Some(args.idle_timeout).filter(|d| !d.is_zero()),
    };
    if users.is_empty() {
        // Before the lake is read: the fix is in the command line.
        return Err(crate::serve::ServeError::NoUsers.into());
    }
    let (kpiql, reports, _) = cli.open_for_sql().await?;
    prepare(&kpiql.ctx, &reports).await?;
    serve(kpiql.ctx, users, &options).await?;
    Ok(ExitStatus::Success)
}
