//! The `kpiql` binary: parse arguments, call the library, map to an exit code.

use std::process::ExitCode;

use clap::Parser;
use kpiql::cli::{Cli, ExitStatus, run};
use kpiql::output::error_text;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success.into(),
        Err(err) => {
            eprintln!("error: {}", error_text(&err));
            ExitStatus::Error.into()
        }
    }
}

/// A closed stdout (`kpiql sql ... | head`) is the reader's choice, not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<kpiql::output::OutputError>()
            .is_some_and(kpiql::output::OutputError::is_broken_pipe)
            || cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
