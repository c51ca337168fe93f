//! `kpiql functions [NAME]`: the KPI functions and their documentation,
//! read from each function's `documentation()` (what `SHOW FUNCTIONS`
//! shows too).

use anyhow::bail;
use clap::Args;

use super::{ExitStatus, print};
use crate::functions::all_functions;

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

/// The functions' documentation: all in brief, or one in full.
pub fn functions_text(name: Option<&str>) -> anyhow::Result<String> {
    let functions = all_functions();
    let mut out = String::new();
    match name {
        None => {
            for f in &functions {
                let Some(doc) = f.documentation() else {
                    continue;
                };
                out.push_str(&format!(
                    "{}\n    {}\n",
                    doc.syntax_example, doc.description
                ));
                if let Some(example) = &doc.sql_example {
                    for line in example.lines() {
                        out.push_str(&format!("    {line}\n"));
                    }
                }
                out.push('\n');
            }
            out.push_str("`kpiql functions NAME` shows one in full.\n");
        }
        Some(name) => {
            let Some(f) = functions
                .iter()
                .find(|f| f.name().eq_ignore_ascii_case(name))
            else {
                let names: Vec<&str> = functions.iter().map(|f| f.name()).collect();
                bail!(
                    "no KPI function named {name:?}; the functions are: {}",
                    names.join(", ")
                );
            };
            if let Some(doc) = f.documentation() {
                out.push_str(&format!("{}\n\n{}\n", doc.syntax_example, doc.description));
                if let Some(arguments) = &doc.arguments {
                    out.push_str("\nArguments:\n");
                    for (arg, meaning) in arguments {
                        out.push_str(&format!("  {arg}: {meaning}\n"));
                    }
                }
                if let Some(example) = &doc.sql_example {
                    out.push_str(&format!("\nExample:\n{example}\n"));
                }
                if let Some(related) = &doc.related_udfs {
                    out.push_str(&format!("\nSee also: {}\n", related.join(", ")));
                }
            }
        }
    }
    Ok(out)
}
