//! A catalog table computed when it is scanned, so it shows the lake and
//! the views as they are at that query, not at start-up.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use futures::future::BoxFuture;

/// Makes a table's one batch, in the scanning session's state.
pub type Make = Arc<dyn Fn(SessionState) -> BoxFuture<'static, Result<RecordBatch>> + Send + Sync>;

/// A table whose rows are `make()`'s batch at every scan.
pub struct Computed {
    schema: SchemaRef,
    make: Make,
}

impl Debug for Computed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Computed")
            .field("schema", &self.schema)
            .finish()
    }
}

impl Computed {
    pub fn table(schema: SchemaRef, make: Make) -> Arc<dyn TableProvider> {
        Arc::new(Computed { schema, make })
    }
}

#[async_trait]
impl TableProvider for Computed {
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
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let own = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| {
                DataFusionError::Internal("a catalog scan outside a SessionState".into())
            })?
            .clone();
        let batch = (self.make)(own).await?;
        MemTable::try_new(Arc::clone(&self.schema), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// A table of no rows with `columns` (name, type), all nullable: what a
/// catalog table says where kpiql has no such thing.
pub fn empty(columns: &[(&str, DataType)]) -> Arc<dyn TableProvider> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, ty)| Field::new(*name, ty.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::new_empty(Arc::clone(&schema));
    Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("an empty batch of its schema"))
}

/// `columns` as a batch of `schema`.
pub fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
