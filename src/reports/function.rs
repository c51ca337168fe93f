//! `report(name [, start [, end]] [, 'param=value' ...])`: a preset report
//! as a table in SQL (DESIGN §5), for `kpiql sql`, the REPL and `serve`.
//!
//! The arguments are string literals, read exactly as the command line
//! reads `kpiql report NAME --from START --to END --param name=value`: the
//! same checks, the same defaults from the data, the same targets. No value
//! is ever spliced into SQL text; each is typed by the report's header and
//! bound as a parameter. A NULL start or end takes the default, so
//! `report('team', NULL, '2026-11-01')` sets only the end.
//!
//! The result's columns are known when the statement is planned (the report
//! is planned with typed stand-ins for defaults that come from the data);
//! the defaults themselves are computed when the query runs.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableFunctionArgs;
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::Column;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use datafusion::prelude::SessionContext;

use super::params::{Latest, bind_to};
use super::{Catalog, Query, bind, plan};
use crate::targets::Targets;

/// The name the function is registered under.
pub const NAME: &str = "report";

/// Registers `report(...)` in `ctx` over `catalog`'s reports, with
/// `targets` (if any) applied as `kpiql report` applies them.
pub fn register(ctx: &SessionContext, catalog: Catalog, targets: Option<Arc<Targets>>) {
    ctx.register_udtf(
        NAME,
        Arc::new(ReportFunction {
            catalog: Arc::new(catalog),
            targets,
        }),
    );
}

/// The table function.
#[derive(Debug)]
struct ReportFunction {
    catalog: Arc<Catalog>,
    targets: Option<Arc<Targets>>,
}

/// The text of a string literal argument; `None` for a NULL literal.
fn text_arg(expr: &Expr, what: &str) -> Result<Option<String>> {
    let plan_err = |found: String| {
        DataFusionError::Plan(format!(
            "report(): {what} must be a string literal (or NULL), got {found}; \
             write report('team', '2026-10-01', '2026-11-01', 'top=5')"
        ))
    };
    match expr {
        Expr::Literal(value, _) => match value {
            ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => {
                Ok(v.clone())
            }
            ScalarValue::Null => Ok(None),
            other => Err(plan_err(format!("a {} literal", other.data_type()))),
        },
        other => Err(plan_err(format!("the expression {other}"))),
    }
}

impl TableFunctionImpl for ReportFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let Some(first) = exprs.first() else {
            return Err(DataFusionError::Plan(
                "report() needs the report's name: report('team'); `kpiql reports` lists them"
                    .into(),
            ));
        };
        let name = text_arg(first, "the report's name")?
            .ok_or_else(|| DataFusionError::Plan("report(): the report's name is NULL".into()))?;
        let report = self
            .catalog
            .get(&name)
            .map_err(|e| DataFusionError::Plan(e.to_string()))?
            .clone();
        let from = exprs
            .get(1)
            .map(|e| text_arg(e, "the start"))
            .transpose()?
            .flatten();
        let to = exprs
            .get(2)
            .map(|e| text_arg(e, "the end"))
            .transpose()?
            .flatten();
        let mut given = Vec::new();
        for (k, e) in exprs.iter().enumerate().skip(3) {
            let what = format!("argument {}", k + 1);
            let text = text_arg(e, &what)?
                .ok_or_else(|| DataFusionError::Plan(format!("report(): {what} is NULL")))?;
            let (name, value) = text.split_once('=').ok_or_else(|| {
                DataFusionError::Plan(format!(
                    "report(): {what} {text:?} is not 'name=value' (a parameter of report {})",
                    report.name
                ))
            })?;
            given.push((
                name.trim().trim_start_matches('$').to_string(),
                value.to_string(),
            ));
        }
        // Every given value is checked now, against the report's header.
        let zone = crate::settings::Settings::of(session_state(args.session())?.config_options())
            .time_zone;
        let stand_ins = bind_to(
            &report,
            from.as_deref(),
            to.as_deref(),
            &given,
            Latest::NotYet,
            zone,
        )
        .map_err(|e| DataFusionError::Plan(e.to_string()))?;
        let ctx = SessionContext::new_with_state(session_state(args.session())?.clone());
        // Planning reads no data (the lake's tables are registered up
        // front), so it completes without waiting on anything.
        let df =
            futures::executor::block_on(plan(&ctx, &report, stand_ins, self.targets.as_deref()))?;
        let schema = Arc::clone(df.schema().inner());
        Ok(Arc::new(ReportTable {
            report,
            from,
            to,
            given,
            targets: self.targets.clone(),
            schema,
        }))
    }
}

fn session_state(session: &dyn Session) -> Result<&SessionState> {
    session
        .as_any()
        .downcast_ref::<SessionState>()
        .ok_or_else(|| DataFusionError::Internal("report(): not a SessionState".into()))
}

/// One call of `report(...)`: planned again, with the real defaults, when
/// the query runs.
#[derive(Debug)]
struct ReportTable {
    report: Query,
    from: Option<String>,
    to: Option<String>,
    given: Vec<(String, String)>,
    targets: Option<Arc<Targets>>,
    schema: SchemaRef,
}

impl ReportTable {
    /// The report planned with its parameters bound now (the defaults
    /// from the data as it is).
    async fn bound(&self, state: &SessionState) -> Result<datafusion::dataframe::DataFrame> {
        let ctx = SessionContext::new_with_state(state.clone());
        let values = bind(
            &ctx,
            &self.report,
            self.from.as_deref(),
            self.to.as_deref(),
            &self.given,
        )
        .await
        .map_err(|e| DataFusionError::Plan(e.to_string()))?;
        plan(&ctx, &self.report, values, self.targets.as_deref()).await
    }
}

/// `plan` with each `report(...)` it reads replaced by the report's own
/// plan, bound now and optimised in `state`, under the call's name and
/// with the columns and row limit the statement reads: a plan a cluster
/// can run (its codec ships the lake's tables, not a provider that plans
/// when it is scanned). The optimiser sees the report's plan on its own,
/// as in-process, where the report is a leaf planned at its scan. A view
/// over `report(...)` (`serve`'s `reports.<name>`) is expanded at every
/// query, so its defaults follow the lake there too.
pub async fn expand(plan: LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    use std::collections::HashMap;
    // The calls first (binding is async), then one rewrite.
    let mut calls: Vec<Arc<dyn TableProvider>> = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let Some(provider) = report_scan(node) {
            calls.push(provider);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if calls.is_empty() {
        return Ok(plan);
    }
    let mut plans = HashMap::new();
    for provider in calls {
        let key = Arc::as_ptr(&provider).cast::<()>() as usize;
        if plans.contains_key(&key) {
            continue;
        }
        let Some(table) = provider.downcast_ref::<ReportTable>() else {
            continue;
        };
        let df = table.bound(state).await?;
        plans.insert(key, state.optimize(df.logical_plan())?);
    }
    plan.transform_up_with_subqueries(|node| {
        let Some(provider) = report_scan(&node) else {
            return Ok(Transformed::no(node));
        };
        let key = Arc::as_ptr(&provider).cast::<()>() as usize;
        let (LogicalPlan::TableScan(scan), Some(inner)) = (&node, plans.get(&key)) else {
            return Ok(Transformed::no(node));
        };
        let mut builder = LogicalPlanBuilder::from(inner.clone());
        if let Some(columns) = &scan.projection {
            let exprs = columns
                .iter()
                .map(|&i| Expr::Column(Column::from(inner.schema().qualified_field(i))))
                .collect::<Vec<_>>();
            builder = builder.project(exprs)?;
        }
        builder = builder.alias(scan.table_name.clone())?;
        if let Some(fetch) = scan.fetch {
            builder = builder.limit(0, Some(fetch))?;
        }
        Ok(Transformed::yes(builder.build()?))
    })
    .map(|t| t.data)
}

/// The provider of `node` when it scans a `report(...)` call.
fn report_scan(node: &LogicalPlan) -> Option<Arc<dyn TableProvider>> {
    let LogicalPlan::TableScan(scan) = node else {
        return None;
    };
    datafusion::catalog::default_table_source::source_as_provider(&scan.source)
        .ok()
        .filter(|p| p.downcast_ref::<ReportTable>().is_some())
}

#[async_trait]
impl TableProvider for ReportTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut df = self.bound(session_state(state)?).await?;
        if let Some(columns) = projection {
            let names: Vec<&str> = columns
                .iter()
                .map(|&i| self.schema.field(i).name().as_str())
                .collect();
            df = df.select_columns(&names)?;
        }
        if limit.is_some() {
            df = df.limit(0, limit)?;
        }
        Ok(Arc::new(ReportExec::new(
            self.report.name.clone(),
            df.create_physical_plan().await?,
        )))
    }
}

/// A report's physical plan, optimised on its own, as a leaf of the
/// statement's plan: the statement's optimiser must not rewrite a plan it
/// has already optimised (joins carrying dynamic filters cannot be
/// swapped again).
#[derive(Debug)]
struct ReportExec {
    name: String,
    inner: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl ReportExec {
    fn new(name: String, inner: Arc<dyn ExecutionPlan>) -> ReportExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(inner.schema()),
            Partitioning::UnknownPartitioning(inner.output_partitioning().partition_count()),
            inner.pipeline_behavior(),
            inner.boundedness(),
        ));
        ReportExec {
            name,
            inner,
            properties,
        }
    }
}

impl DisplayAs for ReportExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "ReportExec: report={}", self.name)
    }
}

impl ExecutionPlan for ReportExec {
    fn name(&self) -> &str {
        "ReportExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.inner.execute(partition, context)
    }
}
