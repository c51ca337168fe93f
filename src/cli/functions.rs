//! `kpiql functions [NAME]`: the KPI functions and their documentation,
//! read from each function's `documentation()` (what `SHOW FUNCTIONS`
//! shows too).

use clap::Args;

use super::{ExitStatus, print};
use crate::help::functions_text;

/// Arguments of `kpiql functions`.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// Show one function in full.
    pub name: Option<String>,
}

pub(super) fn run(args: &FunctionsArgs) -> anyhow::Result<ExitStatus> {
    print(&functions_text(args.name.as_deref())?)?;
    Ok(ExitStatus::Success)
}
