//! A join's small side bounds the other side's keys before the join is
//! planned (issue 27): what an in-process hash join's dynamic filter does
//! while it runs, as a static predicate that every planner keeps.
//!
//! In-process, a hash join pushes the range of its build side's keys
//! into the probe side's Parquet scan as it runs, and the scan skips the
//! row groups outside it: `agent` joins a month's survey answers with the
//! contacts they are about and reads a month of contacts, not the lake.
//! Ballista 55 turns dynamic filters off (a filter whose producer and
//! consumer sit in different stages is never filled), so on a cluster the
//! same join read and probed all 100 M contacts: 7.1 s against 1.4 s
//! (bench/README.md). So before a plan is shipped, [`restrict`] finds each
//! equi-join one of whose sides is bounded ([`super::rows_at_most`], by
//! the files its filter cannot rule out) at a third of the other's rows
//! or less, computes that side's least and greatest key (a query of its
//! own, run where the client is), and adds `key BETWEEN least AND
//! greatest` on the other side, which the optimizer pushes down to its
//! scan as a predicate the files' statistics prune.
//!
//! It is exact: the predicate drops only rows whose key is outside the
//! small side's keys, which can match nothing, and only on a side whose
//! unmatched rows the join drops (either side of an inner or a semi join,
//! the inner side of an outer join, the other side of an anti join). It
//! is left out where running the small side twice might not give the same
//! rows (a `LIMIT`, a window, a volatile function, a plan node of an
//! extension), where NULL keys can match (`IS NOT DISTINCT FROM`, the
//! null-aware anti join of `NOT IN`), and for keys whose order is not
//! total (floats, with NaN) or not a plain comparison (dictionaries,
//! nested types). A small side with no key at all empties the other.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{JoinType, NullEquality, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::logical_expr::{
    Expr, ExprSchemable, Filter, Join, LogicalPlan, LogicalPlanBuilder, ToStringifiedPlan, lit,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

/// The other side must be bounded at this many times the small side's
/// rows or more: the small side is read twice, once for its keys. At 8 a
/// year of survey answers (22-24 M rows against 100 M contacts) was left
/// out and `team_month` took 1.8-2.5 times its in-process time on a
/// cluster; at 3, 1.5-2.0 times, no report slower (bench/README.md).
const RATIO: usize = 3;

/// Which input of a join the predicate goes on.
#[derive(Debug, Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// `plan` with each join's large side restricted to its small side's
/// key range (see the module), optimized again so that the predicates
/// reach the scans. `EXPLAIN` shows the plan that runs.
pub async fn restrict(plan: LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    let LogicalPlan::Explain(explain) = &plan else {
        return Ok(restricted(&plan, state).await?.unwrap_or(plan));
    };
    let Some(inner) = restricted(&explain.plan, state).await? else {
        return Ok(plan);
    };
    let mut explain = explain.clone();
    for shown in &mut explain.stringified_plans {
        if shown.plan_type == datafusion::common::display::PlanType::FinalLogicalPlan {
            *shown = inner.to_stringified(shown.plan_type.clone());
        }
    }
    explain.plan = Arc::new(inner);
    Ok(LogicalPlan::Explain(explain))
}

/// The rewritten plan, or `None` when no join is restricted.
async fn restricted(plan: &LogicalPlan, state: &SessionState) -> Result<Option<LogicalPlan>> {
    let mut joins = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::Join(join) = node {
            joins.push(join.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut found = Vec::new();
    for join in joins {
        if let Some((side, predicate)) = bound(&join, state).await? {
            found.push((join, side, predicate));
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    // Top-down, so each join is met as it was found (its parents' changes
    // only wrap their own inputs); an identical join found twice gives
    // the same rows, so the same predicate.
    let plan = plan
        .clone()
        .transform_down(|node| {
            let LogicalPlan::Join(join) = &node else {
                return Ok(Transformed::no(node));
            };
            let Some((_, side, predicate)) = found.iter().find(|(j, ..)| j == join) else {
                return Ok(Transformed::no(node));
            };
            let mut join = join.clone();
            let input = match side {
                Side::Left => &mut join.left,
                Side::Right => &mut join.right,
            };
            *input = Arc::new(LogicalPlan::Filter(Filter::try_new(
                predicate.clone(),
                Arc::clone(input),
            )?));
            Ok(Transformed::yes(LogicalPlan::Join(join)))
        })?
        .data;
    Ok(Some(state.optimize(&plan)?))
}

/// Which sides of a `join_type` join may lose rows that match nothing
/// without changing its result: (left, right).
fn droppable(join_type: JoinType) -> (bool, bool) {
    match join_type {
        // A semi join keeps only the rows of its side that match.
        JoinType::Inner | JoinType::LeftSemi | JoinType::RightSemi => (true, true),
        JoinType::Left | JoinType::LeftAnti | JoinType::LeftMark => (false, true),
        JoinType::Right | JoinType::RightAnti | JoinType::RightMark => (true, false),
        JoinType::Full => (false, false),
    }
}

/// At most how many rows `side` gives, by the files it reads.
async fn rows(side: &LogicalPlan, state: &SessionState) -> Option<usize> {
    let physical = DefaultPhysicalPlanner::default()
        .create_physical_plan(side, state)
        .await
        .ok()?;
    super::rows_at_most(&physical, None)
}

/// Running `plan` again gives the same rows.
fn repeatable(plan: &LogicalPlan) -> Result<bool> {
    let mut repeatable = true;
    plan.apply_with_subqueries(|node| {
        let once = match node {
            LogicalPlan::Limit(_) | LogicalPlan::Window(_) | LogicalPlan::Extension(_) => true,
            LogicalPlan::Sort(sort) => sort.fetch.is_some(),
            LogicalPlan::TableScan(scan) => scan.fetch.is_some(),
            _ => false,
        } || node.expressions().iter().any(Expr::is_volatile);
        if once {
            repeatable = false;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(repeatable)
}

/// A type whose values `min`, `max` and the comparisons order alike, NULL
/// aside.
fn ordered(data_type: &DataType) -> bool {
    data_type.is_integer()
        || matches!(
            data_type,
            DataType::Decimal32(..)
                | DataType::Decimal64(..)
                | DataType::Decimal128(..)
                | DataType::Decimal256(..)
                | DataType::Date32
                | DataType::Date64
                | DataType::Timestamp(..)
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
        )
}

/// The side to restrict and its predicate, when `join` has a small side.
async fn bound(join: &Join, state: &SessionState) -> Result<Option<(Side, Expr)>> {
    if join.on.is_empty()
        || join.null_aware
        || join.null_equality != NullEquality::NullEqualsNothing
    {
        return Ok(None);
    }
    let (left_ok, right_ok) = droppable(join.join_type);
    if !left_ok && !right_ok {
        return Ok(None);
    }
    let (Some(left), Some(right)) = (
        rows(&join.left, state).await,
        rows(&join.right, state).await,
    ) else {
        return Ok(None);
    };
    let (side, small, large) = if right_ok && left.saturating_mul(RATIO) <= right {
        (Side::Right, &join.left, &join.right)
    } else if left_ok && right.saturating_mul(RATIO) <= left {
        (Side::Left, &join.right, &join.left)
    } else {
        return Ok(None);
    };
    if !repeatable(small)? {
        return Ok(None);
    }
    let mut keys = Vec::new();
    for (l, r) in &join.on {
        let (key, other) = match side {
            Side::Right => (l, r),
            Side::Left => (r, l),
        };
        let key_type = key.get_type(small.schema())?;
        if ordered(&key_type) && other.get_type(large.schema())? == key_type {
            keys.push((key.clone(), other.clone()));
        }
    }
    if keys.is_empty() {
        return Ok(None);
    }
    let ends = keys
        .iter()
        .flat_map(|(key, _)| [min(key.clone()), max(key.clone())])
        .collect::<Vec<_>>();
    let query = LogicalPlanBuilder::from(small.as_ref().clone())
        .aggregate(Vec::<Expr>::new(), ends)?
        .build()?;
    let physical = DefaultPhysicalPlanner::default()
        .create_physical_plan(&query, state)
        .await?;
    let batches = datafusion::physical_plan::collect(physical, state.task_ctx()).await?;
    let rows: Vec<_> = batches.iter().filter(|b| b.num_rows() > 0).collect();
    let [batch] = rows.as_slice() else {
        return Err(DataFusionError::Internal(format!(
            "a join's key range came in {} non-empty batches, not one",
            rows.len()
        )));
    };
    let mut predicate: Option<Expr> = None;
    for (i, (_, other)) in keys.iter().enumerate() {
        let least = ScalarValue::try_from_array(batch.column(2 * i), 0)?;
        let greatest = ScalarValue::try_from_array(batch.column(2 * i + 1), 0)?;
        let within = if least.is_null() || greatest.is_null() {
            // No key on the small side: nothing on this side matches.
            lit(false)
        } else {
            other
                .clone()
                .gt_eq(lit(least))
                .and(other.clone().lt_eq(lit(greatest)))
        };
        predicate = Some(match predicate {
            Some(p) => p.and(within),
            None => within,
        });
    }
    Ok(predicate.map(|p| (side, p)))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::prelude::{ParquetReadOptions, SessionContext};
    use rand::{Rng, SeedableRng};

    use super::*;

    type Failed = Box<dyn std::error::Error>;

    /// One Parquet file of `keys` (`k`) and a text per key (`v`).
    fn write(path: &Path, keys: &[Option<i64>]) -> Result<(), Failed> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Utf8, true),
        ]));
        let texts: Vec<_> = keys.iter().map(|k| k.map(|k| format!("v{k}"))).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(keys.to_vec())),
                Arc::new(StringArray::from(texts)),
            ],
        )?;
        let mut writer = ArrowWriter::try_new(std::fs::File::create(path)?, schema, None)?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(())
    }

    /// `big`: 8 files of 100 keys each, file f holding f*100 .. f*100+99
    /// (and a NULL key in the first); `small`: one file of `small` keys
    /// (at most 100, so `big` is bounded at 8 times its rows, over the
    /// `RATIO` the rewrite asks for).
    async fn lake(dir: &Path, small: &[Option<i64>]) -> Result<SessionContext, Failed> {
        std::fs::create_dir_all(dir.join("big"))?;
        std::fs::create_dir_all(dir.join("small"))?;
        for f in 0..8 {
            let mut keys: Vec<_> = (f * 100..f * 100 + 100).map(Some).collect();
            if f == 0 {
                keys.push(None);
            }
            write(&dir.join(format!("big/{f}.parquet")), &keys)?;
        }
        write(&dir.join("small/0.parquet"), small)?;
        let ctx = SessionContext::new();
        for table in ["big", "small"] {
            let path = dir.join(table);
            let path = path.to_str().ok_or("a path that is not UTF-8")?;
            ctx.register_parquet(table, path, ParquetReadOptions::default())
                .await?;
        }
        Ok(ctx)
    }

    /// The rows `plan` gives, as a table.
    async fn run(ctx: &SessionContext, plan: LogicalPlan) -> Result<String, Failed> {
        let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
        Ok(pretty_format_batches(&batches)?.to_string())
    }

    #[tokio::test]
    async fn a_small_sides_keys_bound_the_large_sides_scan_and_the_rows_stay_the_same()
    -> Result<(), Failed> {
        let dir = tempfile::tempdir()?;
        let keys: Vec<_> = (250..260).map(Some).chain([None]).collect();
        let ctx = lake(dir.path(), &keys).await?;
        let sql = "SELECT s.k, b.v FROM small s JOIN big b ON s.k = b.k ORDER BY s.k";
        let plan = ctx.sql(sql).await?.into_optimized_plan()?;
        let restricted = restrict(plan.clone(), &ctx.state()).await?;
        let shown = restricted.display_indent().to_string();
        // Pushed down to big's scan, where the files' statistics prune:
        // 250..259 is in one file of eight.
        assert!(
            shown.contains("TableScan: big")
                && shown.contains("big.k >= Int64(250)")
                && shown.contains("big.k <= Int64(259)"),
            "{shown}"
        );
        let physical = DefaultPhysicalPlanner::default()
            .create_physical_plan(&restricted, &ctx.state())
            .await?;
        let mut scanned = Vec::new();
        physical.apply(|node| {
            if node.name() == "DataSourceExec" {
                scanned.push(super::super::rows_at_most(&Arc::clone(node), None));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        scanned.sort();
        assert_eq!(scanned, [Some(11), Some(100)], "{shown}");
        assert_eq!(run(&ctx, restricted).await?, run(&ctx, plan).await?);
        // EXPLAIN shows the plan that runs.
        let explain = ctx
            .sql(&format!("EXPLAIN {sql}"))
            .await?
            .into_optimized_plan()?;
        let explained = run(&ctx, restrict(explain, &ctx.state()).await?).await?;
        assert!(explained.contains("big.k >= Int64(250)"), "{explained}");
        Ok(())
    }

    /// Random small sides (empty, all NULL, keys outside `big`) under every
    /// join form: the restricted plan gives the rows the plan gave, and it
    /// is restricted only where the join drops the large side's unmatched
    /// rows and NULL keys cannot match.
    #[tokio::test]
    async fn restricted_joins_give_the_same_rows_on_random_keys() -> Result<(), Failed> {
        // (query, whether big may be restricted)
        let queries = [
            ("SELECT s.k, b.v FROM small s JOIN big b ON s.k = b.k", true),
            ("SELECT s.k, b.v FROM big b JOIN small s ON b.k = s.k", true),
            (
                "SELECT s.k, b.v FROM small s LEFT JOIN big b ON s.k = b.k",
                true,
            ),
            (
                "SELECT s.k, b.v FROM big b RIGHT JOIN small s ON s.k = b.k",
                true,
            ),
            (
                "SELECT s.k, b.v FROM small s RIGHT JOIN big b ON s.k = b.k",
                false,
            ),
            (
                "SELECT s.k, b.v FROM small s FULL JOIN big b ON s.k = b.k",
                false,
            ),
            (
                "SELECT b.k, b.v FROM big b WHERE b.k IN (SELECT k FROM small)",
                true,
            ),
            (
                "SELECT s.k, s.v FROM small s WHERE EXISTS (SELECT 1 FROM big b WHERE b.k = s.k)",
                true,
            ),
            (
                "SELECT s.k, s.v FROM small s WHERE NOT EXISTS (SELECT 1 FROM big b WHERE b.k = s.k)",
                true,
            ),
            (
                "SELECT b.k, b.v FROM big b WHERE b.k NOT IN (SELECT k FROM small)",
                false,
            ),
            (
                "SELECT b.k, b.v FROM big b WHERE NOT EXISTS (SELECT 1 FROM small s WHERE s.k = b.k)",
                false,
            ),
            (
                "SELECT s.k, b.v FROM small s JOIN big b ON s.k IS NOT DISTINCT FROM b.k",
                false,
            ),
            (
                "SELECT s.k, b.v FROM (SELECT k FROM small ORDER BY k LIMIT 3) s JOIN big b ON s.k = b.k",
                false,
            ),
            (
                "SELECT s.k, b.v FROM (SELECT k FROM small WHERE random() < 2) s JOIN big b ON s.k = b.k",
                false,
            ),
        ];
        let mut random = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(27);
        let mut restricted_any = vec![false; queries.len()];
        for case in 0..24 {
            let n = match case {
                0 => 0,
                _ => random.random_range(0..=100),
            };
            let keys: Vec<Option<i64>> = (0..n)
                .map(|_| match (case, random.random_range(0..10)) {
                    (1, _) | (_, 0) => None,
                    _ => Some(random.random_range(-50..900)),
                })
                .collect();
            let dir = tempfile::tempdir()?;
            let ctx = lake(dir.path(), &keys).await?;
            for (q, (sql, may)) in queries.iter().enumerate() {
                let plan = ctx
                    .sql(&format!("{sql} ORDER BY 1 NULLS FIRST, 2 NULLS FIRST"))
                    .await?
                    .into_optimized_plan()?;
                let restricted = restrict(plan.clone(), &ctx.state()).await?;
                if restricted != plan {
                    assert!(*may, "{sql} was restricted:\n{restricted}");
                    restricted_any[q] = true;
                }
                assert_eq!(
                    run(&ctx, restricted).await?,
                    run(&ctx, plan).await?,
                    "{sql}, small keys {keys:?}"
                );
            }
        }
        for ((sql, may), restricted) in queries.iter().zip(restricted_any) {
            assert_eq!(restricted, *may, "{sql}: restricted in some case");
        }
        Ok(())
    }
}
