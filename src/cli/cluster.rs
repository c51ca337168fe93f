//! `kpiql scheduler` and `kpiql executor`: a Ballista cluster that knows
//! kpiql's functions (issue 17).

use std::net::SocketAddr;

use clap::Args;

use super::{Cli, ExitStatus};

/// Arguments of `kpiql scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Where to listen. Ballista has no authentication or TLS: on any
    /// address but loopback, whoever reaches the port can run jobs (a
    /// warning says so at start; see the DESIGN's "Ballista cluster").
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:50050")]
    pub bind: SocketAddr,
    /// Count an executor lost after this long without a heartbeat (they
    /// come every 5 s) and re-run its tasks on the others: 20s, 2min.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = super::serve::parse_duration)]
    pub executor_timeout: std::time::Duration,
}

/// Arguments of `kpiql executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:50050")]
    pub scheduler: SocketAddr,
    /// Where to listen (Arrow Flight; gRPC on the next port). As for the
    /// scheduler, anything but loopback is open to whoever reaches it.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:50051")]
    pub bind: SocketAddr,
    /// Tasks run at once (default: one per core).
    #[arg(long, value_name = "N")]
    pub concurrent_tasks: Option<usize>,
    /// Folder for shuffle files (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<String>,
}

/// Says where the process listens, after a warning when other machines
/// can reach it; printed whatever `--quiet` says, since it is about who
/// else can run queries here.
fn announce(process: &str, listens: &[(SocketAddr, &str)], reach: &str) {
    for line in crate::cluster::listen::startup_lines(process, listens, reach) {
        eprintln!("{line}");
    }
}

pub(super) async fn scheduler(args: &SchedulerArgs) -> anyhow::Result<ExitStatus> {
    announce("scheduler", &[(args.bind, "")], "submit jobs");
    crate::cluster::run_scheduler(&crate::cluster::SchedulerOptions {
        bind: args.bind,
        executor_timeout: args.executor_timeout,
    })
    .await?;
    Ok(ExitStatus::Success)
}

pub(super) async fn executor(cli: &Cli, args: &ExecutorArgs) -> anyhow::Result<ExitStatus> {
    let mut grpc = args.bind;
    grpc.set_port(args.bind.port().saturating_add(1));
    announce(
        "executor",
        &[(args.bind, "Flight"), (grpc, "gRPC")],
        "launch tasks and fetch their results",
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    crate::cluster::run_executor(&crate::cluster::ExecutorOptions {
        scheduler: args.scheduler,
        bind: args.bind,
        concurrent_tasks: args.concurrent_tasks.unwrap_or(cores),
        work_dir: args.work_dir.clone(),
        memory_limit: cli.memory_limit.map(|m| m as u64),
    })
    .await?;
    Ok(ExitStatus::Success)
}
