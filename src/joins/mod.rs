//! How equi-joins are run (issue 27): a hash join whose build side is
//! small or bounded collects it once; under `--memory-limit` the others
//! become sort-merge joins, which spill.
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
//! turned into sort-merge joins by [`JoinChoice`], the rule right
//! after it.
//!
//! DataFusion's estimate of a filtered Parquet scan is the whole table's
//! rows times a guessed selectivity: at 100 M contacts a month's survey
//! answers were 44.6 M rows to it, and that join was sorted. So a join
//! also stays a hash join (with its build side collected once) when
//! [`rows_at_most`] bounds its build side by the files its filter cannot
//! rule out by their footers' min/max, and that many rows of its columns
//! fit in what is left of `kpiql.hash_join_build_bytes` after the build
//! sides the same query already collects: the collected build sides of
//! one query together stay within it (half of `--memory-limit`, the
//! other half left to the operators that spill;
//! [`crate::settings::Settings`]). The row count is an upper bound, never
//! a guess; the bytes per row are estimated from the column types
//! ([`row_bytes`]), so a side of long strings may hold more than its
//! estimate. The bound is only as tight as the files are clustered by the
//! filtered column (the lake's monthly files are, by time): `team_month`'s
//! year of CSAT answers is bounded by the year's answers of every kind
//! (22 M rows at 100 M contacts, 1.4 GB by the estimate, 2.6 times the
//! CSAT answers), which a quarter of a 4 GiB limit per join left
//! sort-merge (3.3x its unbounded time; 0.8x collected, bench/README.md).
//!
//! When only the probe side is bounded within what is left, the join's
//! sides are swapped and that one is collected: `retention` grouped its
//! customers' contacts (7 M rows at 100 M) and joined the 22 M customers
//! to them as the build side of a partitioned join, twice; with the
//! contacts collected 8.5 s / 4.0 GiB -> 4.6 s / 1.3 GiB.
//!
//! When both sides are bounded and one by under two thirds of the other's
//! rows, that one is collected, whichever side DataFusion's guess put on
//! the build side: `retention` at 10 M collected its 2.5 M customers and
//! then their join with the contacts (bounded by 3.9 M rows), where the
//! lookback's grouped contacts (1.4 M) and its bad CSAT answers (0.8 M)
//! are bounded by fewer. For this choice only ([`rows_through_joins`]) a
//! join's output is bounded when one of its sides is a grouping by the
//! join's keys, and a grouping by a semi join's keys by the semi join's
//! other side. The price: where a filter the statistics cannot judge
//! keeps only a few rows of the larger bound, that side is probed instead
//! of collected, and its keys no longer filter the other side's scan; the
//! collected side still fits the budget.
//!
//! Without a limit the same bound (2 GiB) makes a partitioned hash join
//! collect its build side once instead of hashing and repartitioning the
//! probe side: `agent` at 100 M contacts took 9.7 s partitioned, 3.4 s
//! collected, `team_month` 5.9 s and 4.7 s (bench/README.md). A
//! partitioned join holds its whole build side too, spread over the
//! threads, so this costs no memory.
//!
//! Where no dynamic filter runs (a Ballista cluster), [`bounds`] puts a
//! join's small side's key range on the other side before the plan is
//! shipped.

pub mod bounds;

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::JoinType;
use datafusion::common::pruning::PrunableStatistics;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::utils::JoinOnRef;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;

use crate::settings::Settings;

/// Hash joins with a bounded build side collected once; with `spill`
/// (under a memory limit) the ones that could be large as sort-merge
/// joins (see the module).
#[derive(Debug)]
pub struct JoinChoice {
    spill: bool,
}

impl JoinChoice {
    /// DataFusion's physical optimizer rules with this one right after
    /// `JoinSelection` (so that the distribution and sorting rules after
    /// it give the joins their inputs).
    pub fn in_rules(spill: bool) -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
        let mut rules = datafusion::physical_optimizer::optimizer::PhysicalOptimizer::new().rules;
        let at = rules
            .iter()
            .position(|r| r.name() == "join_selection")
            .map_or(rules.len(), |i| i + 1);
        rules.insert(at, Arc::new(JoinChoice { spill }));
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

/// Nodes that never give more rows than their one input.
fn never_adds_rows(plan: &dyn ExecutionPlan) -> bool {
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        // Grouping sets (ROLLUP, CUBE) give a row per set.
        return aggregate.group_expr().is_single();
    }
    matches!(
        plan.name(),
        "ProjectionExec"
            | "RepartitionExec"
            | "CoalescePartitionsExec"
            | "CoalesceBatchesExec"
            | "SortExec"
            | "SortPreservingMergeExec"
            | "CooperativeExec"
            | "GlobalLimitExec"
            | "LocalLimitExec"
    )
}

/// At most how many rows `plan` gives, when that is known: a file scan
/// gives at most the rows of the files that `filter` (the predicate of
/// the `FilterExec` right above it, or the scan's own) cannot rule out by
/// their statistics (exact row counts and min/max from the footers); a
/// node that never adds rows at most its input's; any other node its
/// exact row count, if DataFusion knows it.
fn rows_at_most(
    plan: &Arc<dyn ExecutionPlan>,
    filter: Option<&Arc<dyn PhysicalExpr>>,
) -> Option<usize> {
    bound(plan, filter, false)
}

/// [`rows_at_most`], and through joins ([`join_rows_at_most`]) and the
/// groupings a semi join bounds ([`values_at_most`]). Only the choice of
/// which of two bounded sides to collect reads these: where they made a
/// side fit the budget, joins whose build side was a handful of groups
/// became collected ones with more memory and no gain (`bots` at 10 M,
/// `team` at 100 M: +35 and +120 MiB), so what fits stays judged by the
/// files.
fn rows_through_joins(plan: &Arc<dyn ExecutionPlan>) -> Option<usize> {
    bound(plan, None, true)
}

/// [`rows_at_most`], with `joins` [`rows_through_joins`].
fn bound(
    plan: &Arc<dyn ExecutionPlan>,
    filter: Option<&Arc<dyn PhysicalExpr>>,
    joins: bool,
) -> Option<usize> {
    if let Some(f) = plan.downcast_ref::<FilterExec>() {
        return bound(f.input(), Some(f.predicate()), joins);
    }
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>()
    {
        // A file split in byte ranges over partitions counts once.
        let mut seen = HashSet::new();
        let files: Vec<_> = config
            .file_groups
            .iter()
            .flat_map(|g| g.iter())
            .filter(|f| seen.insert(&f.object_meta.location))
            .collect();
        let stats = files
            .iter()
            .map(|f| f.statistics.clone())
            .collect::<Option<Vec<_>>>()?;
        let table_schema = Arc::clone(config.file_source.table_schema().table_schema());
        // A filter above reads the scan's output; the scan's own predicate
        // (where the physical optimizer pushed it) reads the whole table's
        // columns.
        let predicate = match filter {
            Some(f) => Some((Arc::clone(f), scan.schema())),
            None => config
                .file_source
                .filter()
                .map(|own| (own, Arc::clone(&table_schema))),
        };
        let keep = predicate
            .and_then(|(predicate, schema)| {
                PruningPredicateBuilder::new()
                    .with_file_schema(schema)
                    .try_build(predicate)
                    .ok()
            })
            .and_then(|p| {
                p.prune(&PrunableStatistics::new(
                    stats.clone(),
                    Arc::clone(&table_schema),
                ))
                .ok()
            })
            .unwrap_or_else(|| vec![true; stats.len()]);
        return stats
            .iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|(s, _)| s.num_rows.get_value().copied())
            .sum();
    }
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>()
        && joins
        && complete(aggregate)
        && !aggregate.group_expr().expr().is_empty()
    {
        // A grouping gives a row per value of its keys (a partial one per
        // value and partition, or per row where it gives up grouping).
        let groups = (0..aggregate.group_expr().expr().len()).collect::<Vec<_>>();
        let rows = rows_through_joins(aggregate.input());
        return match (rows, values_at_most(plan, &groups)) {
            (Some(rows), Some(values)) => Some(rows.min(values)),
            (rows, values) => rows.or(values),
        };
    }
    if never_adds_rows(plan.as_ref())
        && let [input] = plan.children().as_slice()
    {
        return bound(input, None, joins);
    }
    if let Some(join) = plan.downcast_ref::<HashJoinExec>()
        && joins
    {
        return join_rows_at_most(&join.left, &join.right, &join.on, join.join_type);
    }
    if let Some(join) = plan.downcast_ref::<SortMergeJoinExec>()
        && joins
    {
        return join_rows_at_most(join.left(), join.right(), join.on(), join.join_type());
    }
    use datafusion::common::stats::Precision;
    use datafusion::physical_plan::{StatisticsArgs, StatisticsContext};
    let stats = StatisticsContext::new()
        .compute(plan.as_ref(), &StatisticsArgs::new())
        .ok()?;
    match stats.num_rows {
        Precision::Exact(rows) => Some(rows),
        _ => None,
    }
}

/// At most how many rows an equi-join of `left` and `right` on `on`
/// gives: a semi, anti or mark join at most its kept side's rows; an
/// inner or outer join, when one side has no two rows with the same keys
/// (so that a row of the other side matches at most one), at most the
/// rows of both sides together (each row of the other side once, matched
/// or not, and the unique side's unmatched rows). `retention`'s
/// customers joined to their grouped contacts are bounded so, and the
/// next join collects its smaller side, not that output (see
/// [`JoinChoice`]).
fn join_rows_at_most(
    left: &Arc<dyn ExecutionPlan>,
    right: &Arc<dyn ExecutionPlan>,
    on: JoinOnRef<'_>,
    join_type: JoinType,
) -> Option<usize> {
    let (left_keys, right_keys) = keys(on);
    match join_type {
        JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => rows_through_joins(left),
        JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => {
            rows_through_joins(right)
        }
        JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full => {
            if unique_on(left, &left_keys) || unique_on(right, &right_keys) {
                rows_through_joins(left)?.checked_add(rows_through_joins(right)?)
            } else {
                None
            }
        }
    }
}

/// At most how many values the columns `columns` of `plan` (indices into
/// its output) hold together, when a semi join below bounds them: the
/// kept side's keys of a semi join have at most as many values as the
/// other side has rows. Seen through groupings by those columns (a
/// grouping keeps its keys' values), projections of plain columns and
/// nodes that only drop, move or reorder rows. `knowledge_base`'s sessions
/// are the views of the period's sessions grouped by session: at most as
/// many as the period's views, not the lake's.
fn values_at_most(plan: &Arc<dyn ExecutionPlan>, columns: &[usize]) -> Option<usize> {
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        let groups = aggregate.group_expr();
        if !groups.is_single() {
            return None;
        }
        let below = columns
            .iter()
            .map(|&i| column(&groups.expr().get(i)?.0))
            .collect::<Option<Vec<_>>>()?;
        return values_at_most(aggregate.input(), &below);
    }
    if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        let (left_keys, right_keys) = keys(&join.on);
        let (kept, other, keys) = match join.join_type {
            JoinType::LeftSemi => (&join.left, &join.right, left_keys),
            JoinType::RightSemi => (&join.right, &join.left, right_keys),
            _ => return None,
        };
        let below = projected(join.projection.as_deref(), columns)?;
        return if below.iter().all(|i| keys.contains(i)) {
            rows_through_joins(other)
        } else {
            values_at_most(kept, &below)
        };
    }
    let (input, columns) = below(plan, columns)?;
    values_at_most(input, &columns)
}

/// No two rows of `plan` have the same values in the columns `columns`
/// (indices into its output), as far as the plan shows: it is a complete
/// grouping (not a partial one) whose keys are among them, seen through
/// nodes that only drop, move or reorder rows and through projections of
/// plain columns.
fn unique_on(plan: &Arc<dyn ExecutionPlan>, columns: &[usize]) -> bool {
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        // The group keys are the first output columns.
        return complete(aggregate)
            && (0..aggregate.group_expr().expr().len()).all(|i| columns.contains(&i));
    }
    match below(plan, columns) {
        Some((input, columns)) => unique_on(input, &columns),
        None => false,
    }
}

/// A grouping that gives each value of its keys once: not a partial one,
/// nor one of grouping sets.
fn complete(aggregate: &AggregateExec) -> bool {
    use datafusion::physical_plan::aggregates::AggregateMode;
    aggregate.group_expr().is_single()
        && matches!(
            aggregate.mode(),
            AggregateMode::Final
                | AggregateMode::FinalPartitioned
                | AggregateMode::Single
                | AggregateMode::SinglePartitioned
        )
}

/// The input of `plan`, when it is a projection, a filter or a node that
/// only drops, moves or reorders rows, and the columns of that input that
/// `columns` of `plan`'s output are (None where one is computed).
fn below<'a>(
    plan: &'a Arc<dyn ExecutionPlan>,
    columns: &[usize],
) -> Option<(&'a Arc<dyn ExecutionPlan>, Vec<usize>)> {
    if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
        let below = columns
            .iter()
            .map(|&i| column(&projection.expr().get(i)?.expr))
            .collect::<Option<Vec<_>>>()?;
        return Some((projection.input(), below));
    }
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        return Some((
            filter.input(),
            projected(filter.projection().as_deref(), columns)?,
        ));
    }
    match plan.children().as_slice() {
        [input]
            if never_adds_rows(plan.as_ref()) && plan.downcast_ref::<AggregateExec>().is_none() =>
        {
            Some((input, columns.to_vec()))
        }
        _ => None,
    }
}

/// The columns below a projection by index (a filter's or a join's), or
/// the same columns without one.
fn projected(kept: Option<&[usize]>, columns: &[usize]) -> Option<Vec<usize>> {
    match kept {
        None => Some(columns.to_vec()),
        Some(kept) => columns.iter().map(|&i| kept.get(i).copied()).collect(),
    }
}

/// The columns of each side that a join's keys are, where they are plain
/// columns.
fn keys(on: JoinOnRef<'_>) -> (Vec<usize>, Vec<usize>) {
    (
        on.iter().filter_map(|(l, _)| column(l)).collect(),
        on.iter().filter_map(|(_, r)| column(r)).collect(),
    )
}

/// The index of a plain column.
fn column(expr: &Arc<dyn PhysicalExpr>) -> Option<usize> {
    expr.downcast_ref::<Column>().map(Column::index)
}

/// Bytes a hash table holds per row of `schema`: each column's width
/// (32 for a string or other variable-width value) and 16 for the table.
fn row_bytes(schema: &Schema) -> usize {
    16 + schema
        .fields()
        .iter()
        .map(|f| f.data_type().primitive_width().unwrap_or(32))
        .sum::<usize>()
}

/// `side` is bounded within what is left of the build-side budget of
/// [`Settings`] after the build sides this query already collects
/// (`spent`, which it then joins).
fn fits(side: &Arc<dyn ExecutionPlan>, config: &ConfigOptions, spent: &mut usize) -> bool {
    let budget = config
        .extensions
        .get::<Settings>()
        .map_or(0, |o| o.hash_join_build_bytes);
    if budget == 0 {
        return false;
    }
    let rows = rows_at_most(side, None);
    let bytes = rows.map(|rows| rows.saturating_mul(row_bytes(&side.schema())));
    log::debug!(
        "a hash join's build side: at most {rows:?} rows, {bytes:?} bytes (budget {budget}, {spent} spent)"
    );
    match bytes {
        Some(bytes) if bytes <= budget.saturating_sub(*spent) => {
            *spent += bytes;
            true
        }
        _ => false,
    }
}

impl PhysicalOptimizerRule for JoinChoice {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // The build sides collected so far: together within the budget.
        let mut spent = 0;
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            // Of two sides bounded by the files, one bounded by less than
            // two thirds of the other's rows is collected, whichever
            // DataFusion's estimate (a guessed fraction of each table) put
            // on the build side. (Bounds are as loose as the files'
            // ranges overlap: on a near tie the estimate's choice stays.)
            if !join.null_aware
                && join.join_type.supports_swap()
                && let (Some(left), Some(right)) = (
                    rows_through_joins(&join.left),
                    rows_through_joins(&join.right),
                )
                && right.saturating_mul(3) < left.saturating_mul(2)
                && fits(&join.right, config, &mut spent)
            {
                return Ok(Transformed::yes(
                    join.swap_inputs(PartitionMode::CollectLeft)?,
                ));
            }
            // A null-aware anti join (NOT IN) has no sort-merge form.
            if join.null_aware
                || (join.mode == PartitionMode::CollectLeft && small(&join.left, config)?)
            {
                return Ok(Transformed::no(node));
            }
            if fits(&join.left, config, &mut spent) {
                return Ok(match join.mode {
                    PartitionMode::CollectLeft => Transformed::no(node),
                    _ => Transformed::yes(Arc::new(
                        join.builder()
                            .with_partition_mode(PartitionMode::CollectLeft)
                            .build()?,
                    )),
                });
            }
            // Only the probe side bounded within what is left: it becomes
            // the build side, collected once (`retention`'s customers
            // against their contacts).
            if join.join_type.supports_swap() && fits(&join.right, config, &mut spent) {
                return Ok(Transformed::yes(
                    join.swap_inputs(PartitionMode::CollectLeft)?,
                ));
            }
            if !self.spill {
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
        "join_choice"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
