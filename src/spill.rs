//! Joins under `--memory-limit` (issue 27): a hash join whose build side
//! is small stays a hash join, the others become sort-merge joins, which
//! spill.
//!
//! DataFusion plans every equi-join as a sort-merge join once
//! `prefer_hash_join` is off, small build side or not. That lost the hash
//! join's dynamic filter (the join's keys, pushed into the probe side's
//! Parquet scan): `team`, `agent` and `team_month` sorted every
//! interaction of the lake to join a month's survey answers. So kpiql
//! keeps `prefer_hash_join` on and lets DataFusion's `JoinSelection`
//! decide by the statistics:
//! a join whose smaller side is under the single-hash-table thresholds
//! (`session::session_config`: 1 Mi rows or 64 MiB, the build side held in
//! memory unspilled, bounded by them) becomes a `CollectLeft` hash join;
//! a join it leaves partitioned, both sides possibly large, and a
//! `CollectLeft` join whose build side is not known to be small, are
//! turned into sort-merge joins by [`SpillingJoins`], the rule right
//! after it. The choice is only as good as the statistics: at 100 M
//! contacts a Parquet scan with its filter pushed inside still reports
//! the whole table's rows, so the month's answers look large and that
//! join stays sort-merge (bench/README.md).

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;

/// Hash joins that could be large as sort-merge joins (see the module).
#[derive(Debug, Default)]
pub struct SpillingJoins;

impl SpillingJoins {
    /// DataFusion's physical optimizer rules with this one right after
    /// `JoinSelection` (so that the distribution and sorting rules after
    /// it give the sort-merge joins their inputs).
    pub fn in_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
        let mut rules = datafusion::physical_optimizer::optimizer::PhysicalOptimizer::new().rules;
        let at = rules
            .iter()
            .position(|r| r.name() == "join_selection")
            .map_or(rules.len(), |i| i + 1);
        rules.insert(at, Arc::new(SpillingJoins));
        rules
    }
}

/// `side` is estimated under the single-hash-table thresholds, as
/// `JoinSelection` judges it. (With one partition DataFusion plans every
/// join as `CollectLeft` without asking; this check keeps a large build
/// side from being held unspilled there too.)
fn small(side: &Arc<dyn ExecutionPlan>, config: &ConfigOptions) -> Result<bool> {
    use datafusion::physical_plan::{StatisticsArgs, StatisticsContext};
    let stats = StatisticsContext::new().compute(side.as_ref(), &StatisticsArgs::new())?;
    let optimizer = &config.optimizer;
    Ok(
        match (
            stats.total_byte_size.get_value(),
            stats.num_rows.get_value(),
        ) {
            (Some(&bytes), _) => bytes < optimizer.hash_join_single_partition_threshold,
            (None, Some(&rows)) => rows < optimizer.hash_join_single_partition_threshold_rows,
            (None, None) => false,
        },
    )
}

impl PhysicalOptimizerRule for SpillingJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            // A null-aware anti join (NOT IN) has no sort-merge form.
            if join.null_aware
                || (join.mode == PartitionMode::CollectLeft && small(&join.left, config)?)
            {
                return Ok(Transformed::no(node));
            }
            let merge: Arc<dyn ExecutionPlan> = Arc::new(SortMergeJoinExec::try_new(
                Arc::clone(&join.left),
                Arc::clone(&join.right),
                join.on.clone(),
                join.filter.clone(),
                join.join_type,
                vec![Default::default(); join.on.len()],
                join.null_equality,
            )?);
            let Some(columns) = &join.projection else {
                return Ok(Transformed::yes(merge));
            };
            let schema = merge.schema();
            let exprs = columns.iter().map(|&i| {
                let name = schema.field(i).name().clone();
                ProjectionExpr {
                    expr: Arc::new(Column::new(&name, i)),
                    alias: name,
                }
            });
            Ok(Transformed::yes(Arc::new(ProjectionExec::try_new(
                exprs, merge,
            )?)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "spilling_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
