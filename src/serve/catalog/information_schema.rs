//! `information_schema` in PostgreSQL's words (issue 26): `columns` gives
//! each column's type as PostgreSQL names the type the wire protocol sends
//! for it (`data_type` `integer`, `udt_name` `int4`, where DataFusion's own
//! says `Int32`), with 1-based positions, and the constraint tables are
//! there and empty: kpiql's tables have no keys. The other tables
//! (`tables`, `views`, `schemata`, `routines`, `parameters`, `df_settings`)
//! are DataFusion's.
//!
//! DataFusion answers `information_schema` itself, before any schema
//! registered under that name, while `datafusion.catalog.information_schema`
//! is on; [`super::prepare`] turns it off and registers [`Schema`] instead,
//! which hands DataFusion's tables through (so `SHOW` still works).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int32Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use datafusion::catalog::information_schema::InformationSchemaProvider;
use datafusion::catalog::{CatalogProviderList, SchemaProvider, TableProvider};
use datafusion::error::Result;
use datafusion_postgres::arrow_pg::datatypes::into_pg_type;
use datafusion_postgres::pgwire::api::Type;

use super::computed::{Computed, batch, empty};

/// Schemas whose tables are the catalog's own, left out of `columns` (as
/// DataFusion's `columns` leaves out `information_schema`).
pub const SYSTEM_SCHEMAS: [&str; 2] = ["information_schema", "pg_catalog"];

/// kpiql's `information_schema`.
#[derive(Debug)]
pub struct Schema {
    datafusion: InformationSchemaProvider,
    catalogs: Arc<dyn CatalogProviderList>,
}

impl Schema {
    pub fn new(catalogs: Arc<dyn CatalogProviderList>) -> Schema {
        Schema {
            datafusion: InformationSchemaProvider::new(Arc::clone(&catalogs)),
            catalogs,
        }
    }
}

impl Schema {
    /// A table of `schema` whose rows `make(catalogs, schema)` computes at
    /// every scan.
    fn computed<F, Fut>(&self, schema: SchemaRef, make: F) -> Arc<dyn TableProvider>
    where
        F: Fn(Arc<dyn CatalogProviderList>, SchemaRef) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<datafusion::arrow::array::RecordBatch>>
            + Send
            + 'static,
    {
        let catalogs = Arc::clone(&self.catalogs);
        let of = Arc::clone(&schema);
        Computed::table(
            schema,
            Arc::new(move |_| Box::pin(make(Arc::clone(&catalogs), Arc::clone(&of)))),
        )
    }
}

/// The empty constraint tables, with PostgreSQL's columns.
fn constraint_table(name: &str) -> Option<Arc<dyn TableProvider>> {
    let text = |n: &'static str| (n, DataType::Utf8);
    let int = |n: &'static str| (n, DataType::Int32);
    let columns: Vec<(&str, DataType)> = match name {
        "table_constraints" => vec![
            text("constraint_catalog"),
            text("constraint_schema"),
            text("constraint_name"),
            text("table_catalog"),
            text("table_schema"),
            text("table_name"),
            text("constraint_type"),
            text("is_deferrable"),
            text("initially_deferred"),
            text("enforced"),
            text("nulls_distinct"),
        ],
        "key_column_usage" => vec![
            text("constraint_catalog"),
            text("constraint_schema"),
            text("constraint_name"),
            text("table_catalog"),
            text("table_schema"),
            text("table_name"),
            text("column_name"),
            int("ordinal_position"),
            int("position_in_unique_constraint"),
        ],
        "referential_constraints" => vec![
            text("constraint_catalog"),
            text("constraint_schema"),
            text("constraint_name"),
            text("unique_constraint_catalog"),
            text("unique_constraint_schema"),
            text("unique_constraint_name"),
            text("match_option"),
            text("update_rule"),
            text("delete_rule"),
        ],
        "constraint_column_usage" => vec![
            text("table_catalog"),
            text("table_schema"),
            text("table_name"),
            text("column_name"),
            text("constraint_catalog"),
            text("constraint_schema"),
            text("constraint_name"),
        ],
        "check_constraints" => vec![
            text("constraint_catalog"),
            text("constraint_schema"),
            text("constraint_name"),
            text("check_clause"),
        ],
        "sequences" => vec![
            text("sequence_catalog"),
            text("sequence_schema"),
            text("sequence_name"),
            text("data_type"),
        ],
        _ => return None,
    };
    Some(empty(&columns))
}

const OWN_TABLES: [&str; 8] = [
    "columns",
    "schemata",
    "table_constraints",
    "key_column_usage",
    "referential_constraints",
    "constraint_column_usage",
    "check_constraints",
    "sequences",
];

#[async_trait]
impl SchemaProvider for Schema {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.datafusion.table_names();
        for own in OWN_TABLES {
            if !names.iter().any(|n| n == own) {
                names.push(own.to_string());
            }
        }
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        if name == "columns" {
            return Ok(Some(self.computed(columns_schema(), |c, s| async move {
                columns(&c, &s).await
            })));
        }
        if name == "schemata" {
            return Ok(Some(self.computed(schemata_schema(), |c, s| async move {
                schemata(&c, &s)
            })));
        }
        if let Some(table) = constraint_table(&name) {
            return Ok(Some(table));
        }
        self.datafusion.table(&name).await
    }

    fn table_exist(&self, name: &str) -> bool {
        OWN_TABLES.contains(&name.to_ascii_lowercase().as_str())
            || self.datafusion.table_exist(name)
    }
}

fn schemata_schema() -> SchemaRef {
    let text = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    Arc::new(ArrowSchema::new(vec![
        text("catalog_name", false),
        text("schema_name", false),
        text("schema_owner", true),
        text("default_character_set_catalog", true),
        text("default_character_set_schema", true),
        text("default_character_set_name", true),
        text("sql_path", true),
    ]))
}

/// Every schema, `information_schema` among them as in PostgreSQL
/// (DataFusion's `schemata` leaves it out).
fn schemata(
    catalogs: &Arc<dyn CatalogProviderList>,
    schema: &SchemaRef,
) -> Result<datafusion::arrow::array::RecordBatch> {
    let mut catalog_col = StringBuilder::new();
    let mut schema_col = StringBuilder::new();
    let mut owner = StringBuilder::new();
    let mut rows = 0;
    for catalog_name in catalogs.catalog_names() {
        let Some(catalog) = catalogs.catalog(&catalog_name) else {
            continue;
        };
        let mut names = catalog.schema_names();
        names.sort();
        for name in names {
            catalog_col.append_value(&catalog_name);
            schema_col.append_value(&name);
            owner.append_value(super::super::DATABASE);
            rows += 1;
        }
    }
    let nulls = || -> ArrayRef { datafusion::arrow::array::new_null_array(&DataType::Utf8, rows) };
    batch(
        schema,
        vec![
            Arc::new(catalog_col.finish()),
            Arc::new(schema_col.finish()),
            Arc::new(owner.finish()),
            nulls(),
            nulls(),
            nulls(),
            nulls(),
        ],
    )
}

fn columns_schema() -> SchemaRef {
    let text = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    let int = |n: &str| Field::new(n, DataType::Int32, true);
    Arc::new(ArrowSchema::new(vec![
        text("table_catalog", false),
        text("table_schema", false),
        text("table_name", false),
        text("column_name", false),
        Field::new("ordinal_position", DataType::Int32, false),
        text("column_default", true),
        text("is_nullable", false),
        text("data_type", false),
        int("character_maximum_length"),
        int("character_octet_length"),
        int("numeric_precision"),
        int("numeric_precision_radix"),
        int("numeric_scale"),
        int("datetime_precision"),
        text("interval_type", true),
        text("udt_catalog", false),
        text("udt_schema", false),
        text("udt_name", false),
        text("is_identity", false),
        text("is_generated", false),
        text("is_updatable", false),
    ]))
}

/// PostgreSQL's `information_schema.columns.data_type` for `ty`.
pub fn data_type_name(ty: &Type) -> &'static str {
    match *ty {
        Type::BOOL => "boolean",
        Type::INT2 => "smallint",
        Type::INT4 => "integer",
        Type::INT8 => "bigint",
        Type::FLOAT4 => "real",
        Type::FLOAT8 => "double precision",
        Type::NUMERIC => "numeric",
        Type::TEXT => "text",
        Type::VARCHAR => "character varying",
        Type::BPCHAR => "character",
        Type::BYTEA => "bytea",
        Type::DATE => "date",
        Type::TIME => "time without time zone",
        Type::TIMESTAMP => "timestamp without time zone",
        Type::TIMESTAMPTZ => "timestamp with time zone",
        Type::INTERVAL => "interval",
        Type::JSON => "json",
        Type::JSONB => "jsonb",
        Type::UUID => "uuid",
        Type::OID => "oid",
        // Array types are named `_` and their element's name (`_int4`).
        _ if ty.name().starts_with('_') => "ARRAY",
        _ => "USER-DEFINED",
    }
}

/// The PostgreSQL type the wire protocol sends for an Arrow type (text
/// where it has none).
pub fn wire_type(ty: &DataType) -> Type {
    into_pg_type(ty).unwrap_or(Type::TEXT)
}

/// (precision, radix, scale) of a numeric type, as PostgreSQL gives them.
fn numeric(ty: &Type, arrow: &DataType) -> (Option<i32>, Option<i32>, Option<i32>) {
    match (ty.clone(), arrow) {
        (Type::INT2, _) => (Some(16), Some(2), Some(0)),
        (Type::INT4, _) => (Some(32), Some(2), Some(0)),
        (Type::INT8, _) => (Some(64), Some(2), Some(0)),
        (Type::FLOAT4, _) => (Some(24), Some(2), None),
        (Type::FLOAT8, _) => (Some(53), Some(2), None),
        (Type::NUMERIC, DataType::Decimal128(p, s)) => {
            (Some(i32::from(*p)), Some(10), Some(i32::from(*s)))
        }
        _ => (None, None, None),
    }
}

/// Rows of `columns`: every column of every table and view outside the
/// system schemas, in each table's order.
async fn columns(
    catalogs: &Arc<dyn CatalogProviderList>,
    schema: &SchemaRef,
) -> Result<datafusion::arrow::array::RecordBatch> {
    let mut text: Vec<StringBuilder> = (0..21).map(|_| StringBuilder::new()).collect();
    let mut ints: Vec<Int32Builder> = (0..21).map(|_| Int32Builder::new()).collect();
    for catalog_name in catalogs.catalog_names() {
        let Some(catalog) = catalogs.catalog(&catalog_name) else {
            continue;
        };
        let mut schema_names = catalog.schema_names();
        schema_names.sort();
        for schema_name in schema_names {
            if SYSTEM_SCHEMAS.contains(&schema_name.as_str()) {
                continue;
            }
            let Some(tables) = catalog.schema(&schema_name) else {
                continue;
            };
            let mut table_names = tables.table_names();
            table_names.sort();
            for table_name in table_names {
                let Some(table) = tables.table(&table_name).await? else {
                    continue;
                };
                for (i, field) in table.schema().fields().iter().enumerate() {
                    let ty = wire_type(field.data_type());
                    let (precision, radix, scale) = numeric(&ty, field.data_type());
                    let datetime = matches!(
                        ty,
                        Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::TIME | Type::INTERVAL
                    )
                    .then_some(6)
                    .or((ty == Type::DATE).then_some(0));
                    let row_text: [(usize, Option<&str>); 14] = [
                        (0, Some(&catalog_name)),
                        (1, Some(&schema_name)),
                        (2, Some(&table_name)),
                        (3, Some(field.name())),
                        (5, None),
                        (6, Some(if field.is_nullable() { "YES" } else { "NO" })),
                        (7, Some(data_type_name(&ty))),
                        (14, None),
                        (15, Some(&catalog_name)),
                        (16, Some("pg_catalog")),
                        (17, Some(ty.name())),
                        (18, Some("NO")),
                        (19, Some("NEVER")),
                        (20, Some("NO")),
                    ];
                    for (k, v) in row_text {
                        text[k].append_option(v);
                    }
                    let row_ints: [(usize, Option<i32>); 7] = [
                        (4, Some(i as i32 + 1)),
                        (8, None),
                        (9, (ty == Type::TEXT).then_some(1_073_741_824)),
                        (10, precision),
                        (11, radix),
                        (12, scale),
                        (13, datetime),
                    ];
                    for (k, v) in row_ints {
                        ints[k].append_option(v);
                    }
                }
            }
        }
    }
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(k, f)| -> ArrayRef {
            if f.data_type() == &DataType::Int32 {
                Arc::new(ints[k].finish())
            } else {
                Arc::new(text[k].finish())
            }
        })
        .collect();
    batch(schema, arrays)
}
