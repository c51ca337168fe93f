//! kpiql's `pg_catalog`: datafusion-postgres's, with the tables clients
//! read that it lacks or types differently (issue 26):
//!
//! - `pg_index`, `pg_constraint`, `pg_indexes`: empty (kpiql's tables have
//!   no indexes and no keys), with the array-typed columns (`indkey`,
//!   `conkey`, ...) as arrays, so that SQLAlchemy's and pgjdbc's
//!   `unnest(i.indkey)` plan; the shipped ones list PostgreSQL's own system
//!   indexes, with those columns as text.
//! - `pg_proc`: PostgreSQL's functions as shipped, with `proargtypes`,
//!   `proallargtypes`, `proargmodes` and `proargnames` as the arrays
//!   PostgreSQL has (shipped as text such as `'[2276]'`, which pgcli's
//!   completion query fails to cast), and a row per signature of each of
//!   kpiql's functions ([`Proc`]), in `public`.
//! - `pg_description`: PostgreSQL's descriptions, kpiql's functions' one
//!   lines, and each report view's column meanings (computed per scan: a
//!   view's OID is the one `pg_class` gives it).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Int16Type, Int32Type, Schema, SchemaRef};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::SessionState;
use datafusion::physical_plan::collect;

use super::computed::{Computed, empty};

/// OID of `pg_catalog.pg_proc` in `pg_class` (`pg_description.classoid`).
pub const PG_PROC_CLASS: i32 = 1255;
/// OID of `pg_catalog.pg_class` (`pg_description.classoid` of a relation).
pub const PG_CLASS_CLASS: i32 = 1259;

/// One of kpiql's functions, one signature.
#[derive(Debug, Clone)]
pub struct Proc {
    pub oid: i32,
    pub name: String,
    pub aggregate: bool,
    /// (name, PostgreSQL type OID, type name) per argument.
    pub args: Vec<(Option<String>, i32, String)>,
    pub result: (i32, String),
    pub description: String,
}

impl Proc {
    /// `pg_get_function_arguments`: `contact_seq integer, resolved boolean`.
    pub fn arguments_text(&self) -> String {
        self.args
            .iter()
            .map(|(name, _, ty)| match name {
                Some(n) => format!("{n} {ty}"),
                None => ty.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A view's documented column: (schema, view, column, description).
pub type ColumnNote = (String, String, String, String);

/// The overlay over datafusion-postgres's `pg_catalog`.
#[derive(Debug)]
pub struct PgCatalog {
    inner: Arc<dyn SchemaProvider>,
    own: HashMap<&'static str, Arc<dyn TableProvider>>,
}

impl PgCatalog {
    /// `inner` (datafusion-postgres's) with kpiql's tables; `state` scans
    /// the shipped `pg_proc` and `pg_description` once.
    pub async fn new(
        inner: Arc<dyn SchemaProvider>,
        state: &SessionState,
        procs: &[Proc],
        notes: Arc<Vec<ColumnNote>>,
    ) -> Result<PgCatalog> {
        let mut own: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();
        let int16s = DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true)));
        let oids = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        let text = DataType::Utf8;
        let int = DataType::Int32;
        let boolean = DataType::Boolean;
        own.insert(
            "pg_index",
            empty(&[
                ("indexrelid", int.clone()),
                ("indrelid", int.clone()),
                ("indnatts", DataType::Int16),
                ("indnkeyatts", DataType::Int16),
                ("indisunique", boolean.clone()),
                ("indnullsnotdistinct", boolean.clone()),
                ("indisprimary", boolean.clone()),
                ("indisexclusion", boolean.clone()),
                ("indimmediate", boolean.clone()),
                ("indisclustered", boolean.clone()),
                ("indisvalid", boolean.clone()),
                ("indcheckxmin", boolean.clone()),
                ("indisready", boolean.clone()),
                ("indislive", boolean.clone()),
                ("indisreplident", boolean.clone()),
                ("indkey", int16s.clone()),
                ("indcollation", oids.clone()),
                ("indclass", oids.clone()),
                ("indoption", int16s.clone()),
                ("indexprs", text.clone()),
                ("indpred", text.clone()),
            ]),
        );
        own.insert(
            "pg_constraint",
            empty(&[
                ("oid", int.clone()),
                ("conname", text.clone()),
                ("connamespace", int.clone()),
                ("contype", text.clone()),
                ("condeferrable", boolean.clone()),
                ("condeferred", boolean.clone()),
                ("convalidated", boolean.clone()),
                ("conrelid", int.clone()),
                ("contypid", int.clone()),
                ("conindid", int.clone()),
                ("conparentid", int.clone()),
                ("confrelid", int.clone()),
                ("confupdtype", text.clone()),
                ("confdeltype", text.clone()),
                ("confmatchtype", text.clone()),
                ("conislocal", boolean.clone()),
                ("coninhcount", DataType::Int16),
                ("connoinherit", boolean.clone()),
                ("conkey", int16s.clone()),
                ("confkey", int16s.clone()),
                ("conpfeqop", oids.clone()),
                ("conppeqop", oids.clone()),
                ("conffeqop", oids.clone()),
                ("confdelsetcols", int16s),
                ("conexclop", oids),
                ("conbin", text.clone()),
            ]),
        );
        own.insert(
            "pg_indexes",
            empty(&[
                ("schemaname", text.clone()),
                ("tablename", text.clone()),
                ("indexname", text.clone()),
                ("tablespace", text.clone()),
                ("indexdef", text),
            ]),
        );
        // PostgreSQL's columns that datafusion-postgres's pg_class lacks
        // (SQLAlchemy's get_indexes reads reloptions): NULL, as for a
        // relation without options or privileges granted.
        let pg_class = inner
            .table("pg_class")
            .await?
            .ok_or_else(|| DataFusionError::Internal("pg_catalog has no pg_class".into()))?;
        let texts = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        own.insert(
            "pg_class",
            with_null_columns(
                pg_class,
                &[("relacl", texts.clone()), ("reloptions", texts)],
            ),
        );
        own.insert("pg_settings", pg_settings_table());
        let pg_proc = scan(&inner, "pg_proc", state).await?;
        own.insert(
            "pg_proc",
            pg_proc_table(Arc::clone(&inner), pg_proc, procs)?,
        );
        let shipped = scan(&inner, "pg_description", state).await?;
        own.insert(
            "pg_description",
            pg_description_table(Arc::clone(&inner), shipped, procs, notes)?,
        );
        Ok(PgCatalog { inner, own })
    }
}

#[async_trait]
impl SchemaProvider for PgCatalog {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        for own in self.own.keys() {
            if !names.iter().any(|n| n == own) {
                names.push(own.to_string());
            }
        }
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        match self.own.get(name.to_ascii_lowercase().as_str()) {
            Some(table) => Ok(Some(Arc::clone(table))),
            None => self.inner.table(name).await,
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.own.contains_key(name.to_ascii_lowercase().as_str()) || self.inner.table_exist(name)
    }
}

/// Every row of `schema`'s table `name`, as one batch.
async fn scan(
    schema: &Arc<dyn SchemaProvider>,
    name: &str,
    state: &SessionState,
) -> Result<RecordBatch> {
    let table = schema
        .table(name)
        .await?
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog has no {name}")))?;
    let plan = table.scan(state, None, &[], None).await?;
    let batches = collect(plan, state.task_ctx()).await?;
    Ok(concat_batches(&table.schema(), &batches)?)
}

/// `table` with `extra` columns of NULLs after its own.
fn with_null_columns(
    table: Arc<dyn TableProvider>,
    extra: &[(&str, DataType)],
) -> Arc<dyn TableProvider> {
    let mut fields: Vec<Field> = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (name, ty) in extra {
        fields.push(Field::new(*name, ty.clone(), true));
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let of = Arc::clone(&schema);
    Computed::table(
        schema,
        Arc::new(move |state: SessionState| {
            let (table, schema) = (Arc::clone(&table), Arc::clone(&of));
            Box::pin(async move {
                let plan = table.scan(&state, None, &[], None).await?;
                let own = concat_batches(&table.schema(), &collect(plan, state.task_ctx()).await?)?;
                let mut columns = own.columns().to_vec();
                for field in schema.fields().iter().skip(columns.len()) {
                    columns.push(datafusion::arrow::array::new_null_array(
                        field.data_type(),
                        own.num_rows(),
                    ));
                }
                Ok(RecordBatch::try_new(schema, columns)?)
            })
        }),
    )
}

/// `pg_settings`: the session's settings ([`super::settings`]), with
/// PostgreSQL's columns.
fn pg_settings_table() -> Arc<dyn TableProvider> {
    let columns = [
        "name",
        "setting",
        "unit",
        "category",
        "short_desc",
        "extra_desc",
        "context",
        "vartype",
        "source",
        "min_val",
        "max_val",
        "enumvals",
        "boot_val",
        "reset_val",
        "sourcefile",
    ];
    let mut fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(*c, DataType::Utf8, true))
        .collect();
    fields.push(Field::new("sourceline", DataType::Int32, true));
    fields.push(Field::new("pending_restart", DataType::Boolean, true));
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let of = Arc::clone(&schema);
    Computed::table(
        schema,
        Arc::new(move |state: SessionState| {
            let schema = Arc::clone(&of);
            Box::pin(async move {
                let settings = super::settings::all(state.config().options());
                let rows = settings
                    .into_iter()
                    .map(|(name, value)| {
                        HashMap::from([
                            ("name", ScalarValue::Utf8(Some(name))),
                            ("setting", ScalarValue::Utf8(Some(value.clone()))),
                            ("reset_val", ScalarValue::Utf8(Some(value))),
                            ("context", ScalarValue::Utf8(Some("user".into()))),
                            ("vartype", ScalarValue::Utf8(Some("string".into()))),
                            ("source", ScalarValue::Utf8(Some("default".into()))),
                            ("pending_restart", ScalarValue::Boolean(Some(false))),
                        ])
                    })
                    .collect();
                rows_batch(&schema, rows)
            })
        }),
    )
}

/// `pg_type`'s names and OIDs (for `to_regtype`).
pub async fn type_oids(
    inner: &Arc<dyn SchemaProvider>,
    state: &SessionState,
) -> Result<HashMap<String, i32>> {
    let types = scan(inner, "pg_type", state).await?;
    let oids = ints(&types, "oid")?;
    Ok(strings(&types, "typname")?
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| Some((name?, oids.value(i))))
        .collect())
}

/// Column `c` of a catalog batch as OIDs (`Int32`).
fn ints(batch: &RecordBatch, c: &str) -> Result<Int32Array> {
    let column = batch
        .column_by_name(c)
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {c} missing")))?;
    Ok(cast(column, &DataType::Int32)?
        .as_primitive::<Int32Type>()
        .clone())
}

/// Column `c` of a catalog batch as text.
fn strings(batch: &RecordBatch, c: &str) -> Result<Vec<Option<String>>> {
    let column = batch
        .column_by_name(c)
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {c} missing")))?;
    let text = cast(column, &DataType::Utf8)?;
    Ok(text
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

/// `pg_namespace`: OID -> name.
async fn namespaces(
    inner: &Arc<dyn SchemaProvider>,
    state: &SessionState,
) -> Result<HashMap<i32, String>> {
    let namespaces = scan(inner, "pg_namespace", state).await?;
    let oids = ints(&namespaces, "oid")?;
    Ok(strings(&namespaces, "nspname")?
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| Some((oids.value(i), name?)))
        .collect())
}

/// The elements of an array shipped as text: `'1 2'` (an `int2vector` or
/// `oidvector`), `'[2276]'` or `"['v', 'o']"`.
fn elements(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches(['[', '{'])
        .trim_end_matches([']', '}'])
        .split([',', ' '])
        .map(|e| e.trim().trim_matches(['\'', '"']).to_string())
        .filter(|e| !e.is_empty())
        .collect()
}

/// A text column of arrays as a list column of `element` (`Int32` or
/// `Utf8`); NULL stays NULL.
fn as_list(column: &ArrayRef, element: &DataType) -> Result<ArrayRef> {
    let text = cast(column, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut list = ListBuilder::new(StringBuilder::new());
    for row in text.iter() {
        match row {
            Some(row) => {
                for e in elements(row) {
                    list.values().append_value(e);
                }
                list.append(true);
            }
            None => list.append(false),
        }
    }
    let strings: ArrayRef = Arc::new(list.finish());
    Ok(cast(
        &strings,
        &DataType::List(Arc::new(Field::new_list_field(element.clone(), true))),
    )?)
}

/// `pg_proc`'s array columns and their element types.
const PROC_ARRAYS: [(&str, DataType); 4] = [
    ("proargtypes", DataType::Int32),
    ("proallargtypes", DataType::Int32),
    ("proargmodes", DataType::Utf8),
    ("proargnames", DataType::Utf8),
];

fn pg_proc_table(
    inner: Arc<dyn SchemaProvider>,
    shipped: RecordBatch,
    procs: &[Proc],
) -> Result<Arc<dyn TableProvider>> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in shipped.schema().fields().iter().zip(shipped.columns()) {
        match PROC_ARRAYS.iter().find(|(n, _)| n == field.name()) {
            Some((_, element)) => {
                let list = as_list(column, element)?;
                fields.push(Field::new(field.name(), list.data_type().clone(), true));
                columns.push(list);
            }
            None => {
                fields.push(field.as_ref().clone().with_nullable(true));
                columns.push(Arc::clone(column));
            }
        }
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let shipped = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    let procs = Arc::new(procs.to_vec());
    let of = Arc::clone(&schema);
    // kpiql's functions are in `public`, as a user's own functions are
    // (pgcli completes a function in a SELECT only from `public`); its OID
    // is the one datafusion-postgres's pg_namespace gives it.
    Ok(Computed::table(
        schema,
        Arc::new(move |state: SessionState| {
            let (inner, shipped, procs, schema) = (
                Arc::clone(&inner),
                shipped.clone(),
                Arc::clone(&procs),
                Arc::clone(&of),
            );
            Box::pin(async move {
                let public = state.config().options().catalog.default_schema.clone();
                let namespace = namespace_oid(&inner, &public).await?;
                let ours = rows_batch(
                    &schema,
                    procs.iter().map(|p| proc_row(p, namespace)).collect(),
                )?;
                Ok(concat_batches(&schema, [&shipped, &ours])?)
            })
        }),
    ))
}

/// The OID of namespace `name` in datafusion-postgres's `pg_namespace`.
async fn namespace_oid(inner: &Arc<dyn SchemaProvider>, name: &str) -> Result<i32> {
    let state = datafusion::prelude::SessionContext::new().state();
    namespaces(inner, &state)
        .await?
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(oid, _)| oid)
        .ok_or_else(|| DataFusionError::Internal(format!("pg_namespace has no {name}")))
}

/// `pg_proc`'s values for one of kpiql's functions (the columns not named
/// are NULL).
fn proc_row(p: &Proc, namespace: i32) -> HashMap<&'static str, ScalarValue> {
    let int32s = |v: Vec<i32>| {
        ScalarValue::List(ScalarValue::new_list_nullable(
            &v.into_iter()
                .map(|x| ScalarValue::Int32(Some(x)))
                .collect::<Vec<_>>(),
            &DataType::Int32,
        ))
    };
    let names: Option<Vec<ScalarValue>> = p
        .args
        .iter()
        .map(|(n, _, _)| n.clone().map(|n| ScalarValue::Utf8(Some(n))))
        .collect();
    let text = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
    let mut row = HashMap::from([
        ("oid", ScalarValue::Int32(Some(p.oid))),
        ("proname", text(&p.name)),
        ("pronamespace", ScalarValue::Int32(Some(namespace))),
        ("proowner", ScalarValue::Int32(Some(10))),
        ("prolang", ScalarValue::Int32(Some(12))),
        ("procost", ScalarValue::Float32(Some(1.0))),
        ("prorows", ScalarValue::Float32(Some(0.0))),
        ("provariadic", ScalarValue::Int32(Some(0))),
        ("prosupport", text("-")),
        ("prokind", text(if p.aggregate { "a" } else { "f" })),
        ("prosecdef", ScalarValue::Boolean(Some(false))),
        ("proleakproof", ScalarValue::Boolean(Some(false))),
        ("proisstrict", ScalarValue::Boolean(Some(false))),
        ("proretset", ScalarValue::Boolean(Some(false))),
        ("provolatile", text("i")),
        ("proparallel", text("s")),
        ("pronargs", ScalarValue::Int16(Some(p.args.len() as i16))),
        ("pronargdefaults", ScalarValue::Int16(Some(0))),
        ("prorettype", ScalarValue::Int32(Some(p.result.0))),
        ("proargtypes", int32s(p.args.iter().map(|a| a.1).collect())),
        ("prosrc", text(&p.name)),
    ]);
    if let Some(names) = names {
        row.insert(
            "proargnames",
            ScalarValue::List(ScalarValue::new_list_nullable(&names, &DataType::Utf8)),
        );
    }
    row
}

/// A batch of `schema` from rows of named values (NULL where a row names
/// no value), each cast to its column's type.
fn rows_batch(
    schema: &SchemaRef,
    rows: Vec<HashMap<&'static str, ScalarValue>>,
) -> Result<RecordBatch> {
    let mut columns = Vec::new();
    for field in schema.fields() {
        let null = ScalarValue::try_from(field.data_type())?;
        let values: Vec<ScalarValue> = rows
            .iter()
            .map(|r| {
                r.get(field.name().as_str())
                    .cloned()
                    .unwrap_or_else(|| null.clone())
            })
            .collect();
        let column = if values.is_empty() {
            datafusion::arrow::array::new_empty_array(field.data_type())
        } else {
            ScalarValue::iter_to_array(values)?
        };
        columns.push(cast(&column, field.data_type())?);
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

fn pg_description_table(
    inner: Arc<dyn SchemaProvider>,
    shipped: RecordBatch,
    procs: &[Proc],
    notes: Arc<Vec<ColumnNote>>,
) -> Result<Arc<dyn TableProvider>> {
    let schema = shipped.schema();
    let text = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
    let functions: Vec<HashMap<&'static str, ScalarValue>> = procs
        .iter()
        .map(|p| {
            HashMap::from([
                ("objoid", ScalarValue::Int32(Some(p.oid))),
                ("classoid", ScalarValue::Int32(Some(PG_PROC_CLASS))),
                ("objsubid", ScalarValue::Int32(Some(0))),
                ("description", text(&p.description)),
            ])
        })
        .collect();
    let fixed = concat_batches(&schema, [&shipped, &rows_batch(&schema, functions)?])?;
    let of = Arc::clone(&schema);
    Ok(Computed::table(
        Arc::clone(&schema),
        Arc::new(move |_| {
            let (inner, fixed, notes, schema) = (
                Arc::clone(&inner),
                fixed.clone(),
                Arc::clone(&notes),
                Arc::clone(&of),
            );
            Box::pin(async move {
                let oids = relation_oids(&inner).await?;
                let columns: Vec<HashMap<&'static str, ScalarValue>> = notes
                    .iter()
                    .filter_map(|(s, t, c, note)| {
                        let (oid, attnums) = oids.get(&(s.clone(), t.clone()))?;
                        let attnum = attnums.get(c)?;
                        Some(HashMap::from([
                            ("objoid", ScalarValue::Int32(Some(*oid))),
                            ("classoid", ScalarValue::Int32(Some(PG_CLASS_CLASS))),
                            ("objsubid", ScalarValue::Int32(Some(*attnum))),
                            ("description", ScalarValue::Utf8(Some(note.clone()))),
                        ]))
                    })
                    .collect();
                Ok(concat_batches(
                    &schema,
                    [&fixed, &rows_batch(&schema, columns)?],
                )?)
            })
        }),
    ))
}

/// (schema, relation) -> (OID in `pg_class`, attnum by column name), read
/// from datafusion-postgres's `pg_class`, `pg_namespace` and
/// `pg_attribute`, whose OIDs are handed out as tables are first listed.
pub async fn relation_oids(
    inner: &Arc<dyn SchemaProvider>,
) -> Result<HashMap<(String, String), (i32, HashMap<String, i32>)>> {
    let state = datafusion::prelude::SessionContext::new().state();
    let nsp = namespaces(inner, &state).await?;
    let classes = scan(inner, "pg_class", &state).await?;
    let attributes = scan(inner, "pg_attribute", &state).await?;
    let rel_oid = ints(&classes, "oid")?;
    let rel_nsp = ints(&classes, "relnamespace")?;
    let rel_name = strings(&classes, "relname")?;
    let mut out = HashMap::new();
    let mut by_oid = HashMap::new();
    for (i, name) in rel_name.iter().enumerate() {
        if let (Some(n), Some(name)) = (nsp.get(&rel_nsp.value(i)), name) {
            by_oid.insert(rel_oid.value(i), (n.clone(), name.clone()));
        }
    }
    let att_rel = ints(&attributes, "attrelid")?;
    let att_num = cast(
        attributes
            .column_by_name("attnum")
            .ok_or_else(|| DataFusionError::Internal("pg_attribute.attnum missing".into()))?,
        &DataType::Int16,
    )?;
    let att_num = att_num.as_primitive::<Int16Type>();
    let att_name = strings(&attributes, "attname")?;
    for (oid, key) in &by_oid {
        out.insert(key.clone(), (*oid, HashMap::new()));
    }
    for (i, name) in att_name.iter().enumerate() {
        if att_num.is_null(i) {
            continue;
        }
        if let (Some(key), Some(name)) = (by_oid.get(&att_rel.value(i)), name)
            && let Some((_, cols)) = out.get_mut(key)
        {
            cols.insert(name.clone(), i32::from(att_num.value(i)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_shipped_as_text_read_as_their_elements() {
        assert_eq!(elements("1 2"), ["1", "2"]);
        assert_eq!(elements("[2276]"), ["2276"]);
        assert_eq!(elements("['v', 'o']"), ["v", "o"]);
        assert_eq!(elements("{a,b}"), ["a", "b"]);
        assert!(elements("").is_empty());
    }
}
