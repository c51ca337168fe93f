//! Documentation as text for people: the KPI functions and the reports,
//! as `kpiql functions`, `kpiql reports` and the REPL's `\\f` and
//! `\\reports` print them. Read from each function's `documentation()` (what
//! `SHOW FUNCTIONS` shows) and each report's header.

use anyhow::bail;

use crate::functions::all_functions;
use crate::reports::{Catalog, Origin};

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

/// Each report with its description and parameters.
pub fn reports_text(catalog: &Catalog) -> String {
    let mut out = String::new();
    for report in catalog.reports() {
        let origin = match &report.origin {
            Origin::Builtin => String::new(),
            Origin::File(path) => format!(" (from {})", path.display()),
        };
        out.push_str(&format!(
            "{}{origin}\n    {}\n",
            report.name, report.description
        ));
        for p in &report.params {
            out.push_str(&format!("    --param {}\n", p.describe()));
        }
        out.push('\n');
    }
    out.push_str(
        "Run one with `kpiql report NAME [--from DATE] [--to DATE] [--param name=value]`.\n",
    );
    out
}
