//! Documentation as text for people: the KPI functions and the reports,
//! as `kpiql functions`, `kpiql reports` and the REPL's `\\f` and
//! `\\reports` print them. Read from each function's `documentation()` (what
//! `SHOW FUNCTIONS` shows) and each report's header.

use anyhow::bail;

use crate::functions::all_functions;
use crate::reports::{Catalog, Origin};

/// The functions' documentation: all in brief, or one in full.
pub fn functions_text(name: Option<&str>) -> anyhow::Result<String> {
    let functions = documented();
    let mut out = String::new();
    match name {
        None => {
            for (_, doc) in &functions {
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
            let Some((_, doc)) = functions.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
            else {
                let names: Vec<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
                bail!(
                    "no kpiql function named {name:?}; the functions are: {}",
                    names.join(", ")
                );
            };
            {
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

/// kpiql's own functions with their documentation: the KPI aggregates and
/// the general aggregates, then the business-time, staffing, target and feedback functions.
pub fn documented() -> Vec<(String, datafusion::logical_expr::Documentation)> {
    let kpis = all_functions()
        .into_iter()
        .chain(crate::functions::general())
        .filter_map(|f| f.documentation().map(|d| (f.name().to_string(), d.clone())));
    let mut scalars = crate::calendar::functions::functions(Default::default());
    scalars.extend(crate::staffing::functions::functions());
    scalars.push(crate::targets::status::kpi_status());
    scalars.push(crate::feedback::comment_terms());
    scalars.extend(crate::zone::functions::all());
    let scalars = scalars
        .into_iter()
        .filter_map(|f| f.documentation().map(|d| (f.name().to_string(), d.clone())));
    kpis.chain(scalars).collect()
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
