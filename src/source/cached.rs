//! A source's contract table computed once per session (issue 29): a
//! report reads `interactions` two or three times (directly, through
//! `tickets`, in a warning), and a view is planned, so computed, at every
//! reference. Deriving contacts from Zendesk's raw history is the costly
//! part of every report on a Zendesk lake, so the first scan computes the
//! view's rows and keeps them; later scans read them from memory.
//!
//! Sound because a source's raw tables are the lake's own tables, listed
//! once when the lake opens (DESIGN §1): within a session they cannot
//! change. The rows are held outside the memory pool (about 150 bytes per
//! contact).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;

/// The rows of `plan`, computed at the first scan and kept.
#[derive(Debug)]
pub struct Cached {
    plan: LogicalPlan,
    schema: SchemaRef,
    rows: tokio::sync::OnceCell<Arc<MemTable>>,
}

impl Cached {
    /// A table of `plan`'s rows.
    pub fn new(plan: LogicalPlan) -> Cached {
        let schema = Arc::new(plan.schema().as_arrow().clone());
        Cached {
            plan,
            schema,
            rows: tokio::sync::OnceCell::new(),
        }
    }

    async fn rows(&self, state: &dyn Session) -> Result<Arc<MemTable>, DataFusionError> {
        let rows = self
            .rows
            .get_or_try_init(|| async {
                let physical = state.create_physical_plan(&self.plan).await?;
                let batches =
                    datafusion::physical_plan::collect(physical, state.task_ctx()).await?;
                // As many partitions as the session runs, so what reads
                // the rows runs in parallel.
                let n = state.config().target_partitions().max(1);
                let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
                for (i, batch) in batches.into_iter().enumerate() {
                    let batch =
                        RecordBatch::try_new(Arc::clone(&self.schema), batch.columns().to_vec())?;
                    partitions[i % n].push(batch);
                }
                Ok::<_, DataFusionError>(Arc::new(MemTable::try_new(
                    Arc::clone(&self.schema),
                    partitions,
                )?))
            })
            .await?;
        Ok(Arc::clone(rows))
    }
}

#[async_trait]
impl TableProvider for Cached {
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
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>, DataFusionError> {
        self.rows(state)
            .await?
            .scan(state, projection, filters, limit)
            .await
    }
}
