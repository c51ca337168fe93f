//! `kpiql validate`: check a lake against the contract.

use anyhow::Context;

use super::{Cli, ExitStatus};
use crate::validate::validate;

pub(super) async fn run(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let options = cli.options()?;
    let report = validate(&options)
        .await
        .with_context(|| format!("cannot validate the lake at {}", options.location.display()))?;
    println!("{report}");
    Ok(if report.is_clean() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
