//! Registering a source: its raw tables read as declared, its helper views,
//! then the contract's tables as its views.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::Column;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, lit};
use datafusion::scalar::ScalarValue;

use super::{RawTable, Source};
use crate::lake::own::OwnTable;
use crate::lake::{LakeError, Table, Warning, default_schema, empty_table};
use crate::reports::read_only;

/// Registers `source` into `state`'s default schema: each raw table it
/// declares, taken out of `own` (the lake's own tables) and checked against
/// its declaration; its helper views; the contract tables it defines, and
/// the others empty. `place` names where a missing raw table was looked
/// for. Every mismatch is listed in one error. With `cache`, each contract
/// table is computed once, at its first scan, and kept (`cached`); a
/// cluster's plans need the views themselves.
pub async fn install(
    state: &SessionState,
    source: &Source,
    own: &mut Vec<OwnTable>,
    place: &dyn Fn(&str) -> String,
    cache: bool,
) -> Result<Vec<Warning>, LakeError> {
    let schema = default_schema(state)?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for raw in &source.tables {
        let Some(i) = own.iter().position(|t| t.name == raw.name) else {
            if raw.required {
                problems.push(format!(
                    "the {} source needs the table `{}`, not found at {}",
                    source.name,
                    raw.name,
                    place(&raw.name)
                ));
            } else {
                warnings.push(Warning(format!(
                    "optional table `{}` of the {} source not found at {}: registered empty",
                    raw.name,
                    source.name,
                    place(&raw.name)
                )));
                let empty = MemTable::try_new(raw.schema(), vec![vec![]])?;
                schema.register_table(raw.name.clone(), Arc::new(empty))?;
            }
            continue;
        };
        let table = own.remove(i);
        match declared(raw, &table, &source.name) {
            Ok(exprs) => {
                let plan = LogicalPlanBuilder::scan(
                    raw.name.as_str(),
                    provider_as_source(Arc::clone(&table.provider)),
                    None,
                )?
                .project(exprs)?
                .build()?;
                schema.register_table(raw.name.clone(), Arc::new(ViewTable::new(plan, None)))?;
            }
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return Err(LakeError::Source {
            origin: source.origin.clone(),
            problems,
        });
    }
    for (name, sql, cached) in &source.helpers {
        let plan = plan_of(state, &source.origin, &format!("{name}.sql"), sql).await?;
        let view: Arc<dyn TableProvider> = if cache && *cached {
            Arc::new(super::cached::Cached::new(plan))
        } else {
            Arc::new(ViewTable::new(plan, None))
        };
        schema.register_table(name.clone(), view)?;
    }
    for table in Table::ALL {
        let provider: Arc<dyn TableProvider> =
            match source.views.iter().find(|(t, _, _)| *t == table) {
                Some((_, file, sql)) => {
                    let plan = plan_of(state, &source.origin, file, sql).await?;
                    let plan =
                        to_contract(plan, table, file).map_err(|problems| LakeError::Source {
                            origin: source.origin.clone(),
                            problems,
                        })?;
                    if cache {
                        Arc::new(super::cached::Cached::new(plan))
                    } else {
                        Arc::new(ViewTable::new(plan, None))
                    }
                }
                None => empty_table(table)?,
            };
        schema.register_table(table.name().to_string(), provider)?;
    }
    Ok(warnings)
}

/// The projection that reads `table` as `raw` declares, or every column
/// that does not fit.
fn declared(raw: &RawTable, table: &OwnTable, source: &str) -> Result<Vec<Expr>, Vec<String>> {
    let found = table.provider.schema();
    let mut exprs = Vec::new();
    let mut problems = Vec::new();
    for column in &raw.columns {
        let ty = column.kind.data_type();
        match found.field_with_name(&column.name) {
            Ok(field) if column.kind.accepts(field.data_type()) => exprs.push(
                cast(
                    Expr::Column(Column::new(Some(raw.name.as_str()), &column.name)),
                    ty,
                )
                .alias(&column.name),
            ),
            Ok(field) => problems.push(format!(
                "{}: column `{}` is {}, and the {source} source reads it as {} ({})",
                table.read.location,
                column.name,
                field.data_type(),
                column.kind,
                ty
            )),
            Err(_) if column.optional => {
                exprs.push(cast(lit(ScalarValue::Null), ty).alias(&column.name))
            }
            Err(_) => problems.push(format!(
                "{}: table `{}` has no column `{}` ({}), which the {source} source needs",
                table.read.location, raw.name, column.name, column.kind
            )),
        }
    }
    if problems.is_empty() {
        Ok(exprs)
    } else {
        Err(problems)
    }
}

async fn plan_of(
    state: &SessionState,
    origin: &str,
    file: &str,
    sql: &str,
) -> Result<LogicalPlan, LakeError> {
    let fail = |e: datafusion::error::DataFusionError| LakeError::Source {
        origin: origin.to_string(),
        problems: vec![format!("{file}: {e}")],
    };
    let plan = state.create_logical_plan(sql).await.map_err(fail)?;
    read_only().verify_plan(&plan).map_err(fail)?;
    Ok(plan)
}

/// `plan` with the contract's columns of `table`, in its order and types: a
/// nullable column it lacks is NULL; a required one it lacks, or a column
/// the contract does not have, is an error naming the file.
fn to_contract(plan: LogicalPlan, table: Table, file: &str) -> Result<LogicalPlan, Vec<String>> {
    let contract = table.schema();
    let output = plan.schema().clone();
    let mut problems = Vec::new();
    for (_, field) in output.iter() {
        if contract.field_with_name(field.name()).is_err() {
            problems.push(format!(
                "{file}: column `{}` is not a column of `{table}` (DESIGN §1: {})",
                field.name(),
                names(&contract)
            ));
        }
    }
    let mut exprs = Vec::new();
    for field in contract.fields() {
        let found = output
            .iter()
            .find(|(_, f)| f.name() == field.name())
            .map(|(q, f)| Column::new(q.cloned(), f.name()));
        match found {
            Some(column) => exprs
                .push(cast(Expr::Column(column), field.data_type().clone()).alias(field.name())),
            None if field.is_nullable() => exprs
                .push(cast(lit(ScalarValue::Null), field.data_type().clone()).alias(field.name())),
            None => problems.push(format!(
                "{file}: no column `{}`, which `{table}` requires",
                field.name()
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    LogicalPlanBuilder::from(plan)
        .project(exprs)
        .and_then(|b| b.build())
        .map_err(|e| vec![format!("{file}: {e}")])
}

fn names(schema: &datafusion::arrow::datatypes::Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
