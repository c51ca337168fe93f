//! The catalog `serve` answers clients from (DESIGN §5, issues 16 and 26):
//! datafusion-postgres's `pg_catalog` and PostgreSQL functions, with what
//! psql, pgcli, SQLAlchemy, pgjdbc, asyncpg and node-postgres read and it
//! lacks, in kpiql's own layer:
//!
//! - [`information_schema`]: column types in PostgreSQL's names, the
//!   constraint tables (empty);
//! - [`pg`]: `pg_index`, `pg_constraint`, `pg_indexes` (empty, arrays
//!   typed), `pg_proc` with array columns and kpiql's functions,
//!   `pg_description` with their one lines and the report columns';
//! - [`functions`]: `obj_description`, `col_description`,
//!   `pg_get_function_arguments`, `_pg_expandarray`, ...;
//! - [`rewrite`]: SQL forms of catalog queries DataFusion does not read;
//! - the reports as views, `reports.<name>` for the default period
//!   ([`report_views`]), so table pickers list them.

pub mod computed;
pub mod functions;
pub mod information_schema;
pub mod pg;
pub mod rewrite;
pub mod settings;

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;

use super::ServeError;
use crate::reports::Catalog;
use functions::Constant;
use information_schema::{data_type_name, wire_type};
use pg::{ColumnNote, PgCatalog, Proc};

/// The schema of the report views.
pub const REPORTS_SCHEMA: &str = "reports";

/// First OID of kpiql's functions in `pg_proc`: above PostgreSQL's own
/// (under 16384) and the range datafusion-postgres hands out to tables
/// from 16384 up, which would take 80000 tables to reach it.
const FIRST_PROC_OID: i32 = 100_000;

/// Makes `ctx` (the opened lake with `report(...)` over `reports`) answer
/// the catalog queries of psql and BI tools; every connection's session is
/// cloned from it.
pub async fn prepare(ctx: &SessionContext, reports: &Catalog) -> Result<(), ServeError> {
    let catalog_name = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_catalog
        .clone();
    setup_pg_catalog(ctx, &catalog_name, EmptyContextProvider)
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    let catalog = ctx
        .catalog(&catalog_name)
        .ok_or_else(|| ServeError::Catalog(format!("no catalog {catalog_name}")))?;
    let notes = Arc::new(report_views(ctx, reports).await?);
    let procs = procs(ctx);
    let inner = catalog
        .schema("pg_catalog")
        .ok_or_else(|| ServeError::Catalog("setup_pg_catalog made no pg_catalog".into()))?;
    let overlay = PgCatalog::new(Arc::clone(&inner), &ctx.state(), &procs, Arc::clone(&notes))
        .await
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    let types = pg::type_oids(&inner, &ctx.state())
        .await
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    catalog
        .register_schema("pg_catalog", Arc::new(overlay))
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    // DataFusion's own information_schema would answer before a schema of
    // that name: off, and kpiql's (which hands DataFusion's tables through)
    // registered.
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .catalog
        .information_schema = false;
    catalog
        .register_schema(
            "information_schema",
            Arc::new(information_schema::Schema::new(
                ctx.state().catalog_list().clone(),
            )),
        )
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    let format_type = ctx
        .state()
        .scalar_functions()
        .get("format_type")
        .cloned()
        .ok_or_else(|| ServeError::Catalog("setup_pg_catalog made no format_type".into()))?;
    for udf in functions::all(&procs, inner, notes, types, format_type) {
        ctx.register_udf(udf);
    }
    // Drivers and tools that parse version() expect PostgreSQL's form.
    ctx.register_udf(Constant::udf(
        "version",
        ScalarValue::Utf8(Some(format!(
            "PostgreSQL {} on DataFusion {}",
            super::auth::SERVER_VERSION.as_str(),
            datafusion::DATAFUSION_VERSION
        ))),
        Signature::nullary(Volatility::Immutable),
    ));
    Ok(())
}

/// `reports.<name>` as `SELECT * FROM report('<name>')` for every report
/// (each parameter has a default: the latest full month, bound when the
/// view is read, so it follows the lake). A report the lake cannot run (an
/// optional table it needs is missing) gets no view, with a note in the
/// log. Returns each view column's meaning, for `col_description`.
async fn report_views(
    ctx: &SessionContext,
    reports: &Catalog,
) -> Result<Vec<ColumnNote>, ServeError> {
    let run = |sql: String| async move {
        ctx.sql(&sql).await?.collect().await?;
        Ok::<(), datafusion::error::DataFusionError>(())
    };
    run(format!("CREATE SCHEMA IF NOT EXISTS {REPORTS_SCHEMA}"))
        .await
        .map_err(|e| ServeError::Catalog(e.to_string()))?;
    let mut notes = Vec::new();
    for report in reports.reports() {
        let sql = format!(
            "CREATE VIEW {REPORTS_SCHEMA}.\"{0}\" AS SELECT * FROM {1}('{0}')",
            report.name,
            crate::reports::function::NAME
        );
        if let Err(e) = run(sql).await {
            log::info!("no view {REPORTS_SCHEMA}.{}: {e}", report.name);
            continue;
        }
        for column in &report.columns {
            let unit = match column.unit.as_str() {
                "-" | "" => String::new(),
                unit => format!(" ({unit})"),
            };
            notes.push((
                REPORTS_SCHEMA.to_string(),
                report.name.clone(),
                column.name.clone(),
                format!("{}{unit}", column.meaning),
            ));
        }
    }
    Ok(notes)
}

/// A `pg_proc` row per exact signature of each of kpiql's documented
/// functions, as the engine registered them in `ctx`.
fn procs(ctx: &SessionContext) -> Vec<Proc> {
    let state = ctx.state();
    let (aggregates, scalars) = (state.aggregate_functions(), state.scalar_functions());
    let mut out = Vec::new();
    for (name, doc) in crate::help::documented() {
        type ResultOf<'a> = Box<dyn Fn(&[DataType]) -> Option<DataType> + 'a>;
        let (signature, aggregate, result_of): (_, _, ResultOf) =
            if let Some(f) = aggregates.get(&name) {
                (f.signature(), true, Box::new(|t| f.return_type(t).ok()))
            } else if let Some(f) = scalars.get(&name) {
                (f.signature(), false, Box::new(|t| f.return_type(t).ok()))
            } else {
                continue;
            };
        let forms: Vec<Vec<DataType>> = match &signature.type_signature {
            TypeSignature::OneOf(forms) => forms
                .iter()
                .filter_map(|f| match f {
                    TypeSignature::Exact(types) => Some(types.clone()),
                    _ => None,
                })
                .collect(),
            TypeSignature::Exact(types) => vec![types.clone()],
            _ => vec![],
        };
        let calls: Vec<Vec<String>> = doc
            .syntax_example
            .split(" | ")
            .map(argument_names)
            .collect();
        let description = doc
            .description
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        for types in forms {
            let result = result_of(&types);
            let Some(result) = result else { continue };
            let names = calls.iter().find(|c| c.len() == types.len());
            let args = types
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let ty = wire_type(t);
                    (
                        names.map(|n| n[i].clone()),
                        ty.oid() as i32,
                        data_type_name(&ty).to_string(),
                    )
                })
                .collect();
            let result = wire_type(&result);
            out.push(Proc {
                oid: FIRST_PROC_OID + out.len() as i32,
                name: name.clone(),
                aggregate,
                args,
                result: (result.oid() as i32, data_type_name(&result).to_string()),
                description: description.clone(),
            });
        }
    }
    out
}

/// The argument names of a documented call, `fcr(contact_seq, resolved)`:
/// `[contact_seq, resolved]` (a name that is not an identifier is left
/// out, and then the whole call: the names must line up with the types).
fn argument_names(call: &str) -> Vec<String> {
    let Some(inner) = call
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map(|(args, _)| args.trim())
    else {
        return vec![];
    };
    if inner.is_empty() {
        return vec![];
    }
    let names: Vec<String> = inner.split(',').map(|a| a.trim().to_string()).collect();
    if names
        .iter()
        .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        names
    } else {
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_names_come_from_the_documented_call() {
        assert_eq!(
            argument_names("fcr(contact_seq, resolved)"),
            ["contact_seq", "resolved"]
        );
        assert!(argument_names("f()").is_empty());
        assert!(argument_names("f(a, [b])").is_empty());
    }
}
