//! A partitioned Delta table (issue 25): its partition columns are not in
//! its data files but in its log, one value per file ([`Snapshot`]). The
//! files with the same values are one DataFusion listing table over those
//! files (file columns only: statistics, pruning and filter pushdown as
//! for any Parquet table); a scan projects each group's rows with its
//! values as constants, in the table's column order, and unions the groups.
//!
//! The values are the log's text (the Delta protocol's partition value
//! serialisation), read as the column's declared type by Arrow's cast: a
//! value that does not read, or a NULL in a non-null column, is a contract
//! problem naming the table, the column, the file and the value
//! ([`problems`]), found when the lake opens like a file's wrong type.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::union::UnionExec;

use super::super::{FileProblem, LakeError, ParquetFile, Table, TableSource};
use super::delta::Snapshot;

/// Whether `source` is a Delta table partitioned by columns of `schema`
/// (partition columns the schema does not have are not read at all).
pub fn is_partitioned(source: &TableSource, schema: &Schema) -> bool {
    source.delta.as_ref().is_some_and(|s| {
        s.partition_columns
            .iter()
            .any(|c| schema.field_with_name(c).is_ok())
    })
}

/// The columns of `schema` the data files hold: all but the partition
/// columns of `source`'s log.
pub fn file_schema(source: &TableSource, schema: &SchemaRef) -> SchemaRef {
    let Some(snapshot) = &source.delta else {
        return Arc::clone(schema);
    };
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .filter(|f| !snapshot.partition_columns.contains(f.name()))
        .cloned()
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// (index in the table's schema, value) of each partition column of a file.
type Values = Vec<(usize, ScalarValue)>;

/// A partition value that does not read: (column, the log's value, why).
type Unread = (String, Option<String>, String);

/// `file`'s value of each partition column of `schema` (by index in
/// `schema`), read as the column's type.
fn values(
    snapshot: &Snapshot,
    schema: &Schema,
    file: &ParquetFile,
) -> std::result::Result<Values, Unread> {
    let raw = snapshot.partitions.get(&file.meta.location);
    let mut out = Vec::new();
    for (p, column) in snapshot.partition_columns.iter().enumerate() {
        let Ok(index) = schema.index_of(column) else {
            continue;
        };
        let field = schema.field(index);
        let text = raw.and_then(|r| r.get(p).cloned().flatten());
        let value = match &text {
            // The protocol writes an empty string for NULL, too.
            None => None,
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t.clone()),
        };
        let scalar = match value {
            None if !field.is_nullable() => {
                return Err((
                    column.clone(),
                    None,
                    "NULL where the contract allows none".to_string(),
                ));
            }
            None => ScalarValue::try_from(field.data_type()),
            Some(t) => ScalarValue::Utf8(Some(t)).cast_to(field.data_type()),
        }
        .map_err(|e| (column.clone(), text.clone(), e.to_string()))?;
        out.push((index, scalar));
    }
    Ok(out)
}

/// The partition values of `files` that break the contract of `table`.
pub fn problems(table: Table, source: &TableSource, files: &[ParquetFile]) -> Vec<FileProblem> {
    let Some(snapshot) = &source.delta else {
        return Vec::new();
    };
    let schema = table.schema();
    files
        .iter()
        .filter_map(|file| {
            values(snapshot, &schema, file)
                .err()
                .map(|(column, value, reason)| FileProblem::PartitionValue {
                    table,
                    file: file.display.clone(),
                    column: column.clone(),
                    value,
                    expected: schema
                        .field_with_name(&column)
                        .map(|f| f.data_type().clone())
                        .unwrap_or(datafusion::arrow::datatypes::DataType::Null),
                    reason,
                })
        })
        .collect()
}

/// A partitioned Delta table read as `schema` from `files` of `source`.
pub fn provider<'a>(
    name: &str,
    schema: SchemaRef,
    source: &TableSource,
    files: impl Iterator<Item = &'a ParquetFile>,
) -> Result<Arc<dyn TableProvider>, LakeError> {
    let bad = |reason: String| LakeError::Delta {
        table: name.to_string(),
        place: source.url.clone(),
        reason,
    };
    let Some(snapshot) = &source.delta else {
        return Err(bad("not a Delta table".to_string()));
    };
    let file_schema = file_schema(source, &schema);
    // Files grouped by their values (as text: ScalarValue is not Ord).
    let mut groups: BTreeMap<String, (Values, Vec<&ParquetFile>)> = BTreeMap::new();
    for file in files {
        let values = values(snapshot, &schema, file).map_err(|(column, value, reason)| {
            bad(format!(
                "the partition value {value:?} of `{column}` for {} does not read: {reason}",
                file.display
            ))
        })?;
        let key = format!("{values:?}");
        groups
            .entry(key)
            .or_insert_with(|| (values, Vec::new()))
            .1
            .push(file);
    }
    let groups = groups
        .into_values()
        .map(|(values, files)| {
            let urls = source.file_urls(files.iter().map(|f| &f.meta))?;
            let inner = super::super::listing_table_with_schema(urls, Arc::clone(&file_schema))?;
            Ok(Group { values, inner })
        })
        .collect::<Result<Vec<_>, LakeError>>()?;
    Ok(Arc::new(PartitionedTable {
        schema,
        file_schema,
        groups,
    }))
}

#[derive(Debug)]
struct Group {
    /// (index in the table's schema, value) of each partition column.
    values: Values,
    /// The group's files, file columns only.
    inner: Arc<dyn TableProvider>,
}

/// The table [`provider`] makes.
#[derive(Debug)]
struct PartitionedTable {
    schema: SchemaRef,
    file_schema: SchemaRef,
    groups: Vec<Group>,
}

impl PartitionedTable {
    /// Whether every column `filter` reads is in the data files.
    fn on_files(&self, filter: &Expr) -> bool {
        filter
            .column_refs()
            .iter()
            .all(|c| self.file_schema.field_with_name(&c.name).is_ok())
    }
}

#[async_trait::async_trait]
impl TableProvider for PartitionedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Applied again above the scan: a group's scan prunes with the
        // filters on file columns, and nothing is assumed exact.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wanted: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let projected = Arc::new(self.schema.project(&wanted)?);
        if self.groups.is_empty() {
            return Ok(Arc::new(EmptyExec::new(projected)));
        }
        // The file columns wanted, by index in the file schema.
        let mut file_columns: Vec<usize> = Vec::new();
        for &i in &wanted {
            if let Ok(j) = self.file_schema.index_of(self.schema.field(i).name())
                && !file_columns.contains(&j)
            {
                file_columns.push(j);
            }
        }
        let on_files: Vec<Expr> = filters
            .iter()
            .filter(|f| self.on_files(f))
            .cloned()
            .collect();
        let mut plans = Vec::with_capacity(self.groups.len());
        for group in &self.groups {
            let scan = group
                .inner
                .scan(state, Some(&file_columns), &on_files, limit)
                .await?;
            let exprs = wanted
                .iter()
                .map(|&i| {
                    let field = self.schema.field(i);
                    let expr: Arc<dyn datafusion::physical_expr::PhysicalExpr> =
                        match group.values.iter().find(|(k, _)| *k == i) {
                            Some((_, value)) => Arc::new(Literal::new(value.clone())),
                            None => {
                                let j = self.file_schema.index_of(field.name())?;
                                let at =
                                    file_columns.iter().position(|&c| c == j).ok_or_else(|| {
                                        DataFusionError::Internal("file column not scanned".into())
                                    })?;
                                Arc::new(Column::new(field.name(), at))
                            }
                        };
                    Ok(ProjectionExpr {
                        expr,
                        alias: field.name().clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            plans.push(Arc::new(ProjectionExec::try_new(exprs, scan)?) as Arc<dyn ExecutionPlan>);
        }
        UnionExec::try_new(plans)
    }
}
