//! The catalog functions clients call that datafusion-postgres lacks
//! (issue 26): what they say of kpiql, where PostgreSQL would say it of its
//! own objects.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Builder, ListArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int32Type};
use datafusion::catalog::SchemaProvider;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use super::pg::{ColumnNote, Proc, relation_oids};

/// A catalog function that answers the same for every argument.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Constant {
    name: &'static str,
    value: ScalarValue,
    signature: Signature,
}

impl Constant {
    pub fn udf(name: &'static str, value: ScalarValue, signature: Signature) -> ScalarUDF {
        ScalarUDF::new_from_impl(Constant {
            name,
            value,
            signature,
        })
    }
}

impl ScalarUDFImpl for Constant {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.value.data_type())
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

/// A function of an OID (its first argument) that answers from a table of
/// texts: NULL for an OID it does not know, as PostgreSQL answers for an
/// object without a description.
#[derive(Debug)]
pub struct ByOid {
    name: &'static str,
    texts: HashMap<i64, String>,
    signature: Signature,
}

impl PartialEq for ByOid {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for ByOid {}
impl std::hash::Hash for ByOid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ByOid {
    /// `name(oid [, ...])` over `texts`; `arities` are the argument counts
    /// it takes.
    pub fn udf(name: &'static str, texts: HashMap<i64, String>, arities: &[usize]) -> ScalarUDF {
        let forms = arities.iter().map(|&n| TypeSignature::Any(n)).collect();
        ScalarUDF::new_from_impl(ByOid {
            name,
            texts,
            signature: Signature::one_of(forms, Volatility::Stable),
        })
    }
}

/// The first argument as OIDs (`Int64`), one per row.
fn oids(args: &ScalarFunctionArgs) -> Result<ArrayRef> {
    let first = args
        .args
        .first()
        .ok_or_else(|| DataFusionError::Plan("an OID argument is needed".into()))?;
    let array = first.to_array(args.number_rows)?;
    Ok(cast(&array, &DataType::Int64)?)
}

impl ScalarUDFImpl for ByOid {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let oids = oids(&args)?;
        let oids = oids.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let mut out = StringBuilder::new();
        for oid in oids.iter() {
            out.append_option(oid.and_then(|o| self.texts.get(&o)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `col_description(table_oid, column_number)`: a report view's column
/// meaning. The view's OID is the one datafusion-postgres's `pg_class` gave
/// it, looked up when the function runs.
#[derive(Debug)]
pub struct ColDescription {
    pg_catalog: Arc<dyn SchemaProvider>,
    notes: Arc<Vec<ColumnNote>>,
    signature: Signature,
}

impl PartialEq for ColDescription {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for ColDescription {}
impl std::hash::Hash for ColDescription {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "col_description".hash(state);
    }
}

impl ColDescription {
    pub fn udf(pg_catalog: Arc<dyn SchemaProvider>, notes: Arc<Vec<ColumnNote>>) -> ScalarUDF {
        ScalarUDF::new_from_impl(ColDescription {
            pg_catalog,
            notes,
            signature: Signature::any(2, Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for ColDescription {
    fn name(&self) -> &str {
        "col_description"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let oids = oids(&args)?;
        let oids = oids.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let attnums = cast(&args.args[1].to_array(rows)?, &DataType::Int64)?;
        let attnums = attnums.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        // (oid, attnum) -> note, for the documented views only. The catalog
        // tables read here are built in memory: no I/O to wait on.
        let relations = futures::executor::block_on(relation_oids(&self.pg_catalog))?;
        let mut by_key: HashMap<(i64, i64), &str> = HashMap::new();
        for (schema, view, column, note) in self.notes.iter() {
            if let Some((oid, columns)) = relations.get(&(schema.clone(), view.clone()))
                && let Some(attnum) = columns.get(column)
            {
                by_key.insert((i64::from(*oid), i64::from(*attnum)), note);
            }
        }
        let mut out = StringBuilder::new();
        for i in 0..rows {
            let key = (!oids.is_null(i) && !attnums.is_null(i))
                .then(|| (oids.value(i), attnums.value(i)));
            out.append_option(key.and_then(|k| by_key.get(&k).copied()));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `information_schema._pg_expandarray(array)`: PostgreSQL's set-returning
/// function of `(x, n)` records, element and 1-based position. Here a list
/// of those records, which [`super::rewrite`] unnests where a client calls
/// it (pgjdbc's `getPrimaryKeys`), so each element is a row as in
/// PostgreSQL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExpandArray {
    signature: Signature,
}

impl ExpandArray {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(ExpandArray {
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    fn record() -> Fields {
        Fields::from(vec![
            Field::new("x", DataType::Int32, true),
            Field::new("n", DataType::Int32, false),
        ])
    }
}

impl ScalarUDFImpl for ExpandArray {
    fn name(&self) -> &str {
        "_pg_expandarray"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(Self::record()),
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = args.args[0].to_array(rows)?;
        let lists = cast(
            &input,
            &DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
        )
        .map_err(|e| {
            DataFusionError::Plan(format!("_pg_expandarray() takes an integer array: {e}"))
        })?;
        let lists = lists.as_list::<i32>();
        let values = lists.values().as_primitive::<Int32Type>();
        let mut x = Int32Builder::new();
        let mut n = Int32Builder::new();
        let mut offsets = vec![0i32];
        let mut total = 0i32;
        for i in 0..rows {
            if lists.is_valid(i) {
                let (start, end) = (lists.value_offsets()[i], lists.value_offsets()[i + 1]);
                for (k, j) in (start as usize..end as usize).enumerate() {
                    x.append_option(values.is_valid(j).then(|| values.value(j)));
                    n.append_value(k as i32 + 1);
                }
                total += end - start;
            }
            offsets.push(total);
        }
        let records = StructArray::try_new(
            Self::record(),
            vec![Arc::new(x.finish()) as ArrayRef, Arc::new(n.finish())],
            None,
        )?;
        let out = ListArray::try_new(
            Arc::new(Field::new_list_field(
                DataType::Struct(Self::record()),
                true,
            )),
            OffsetBuffer::new(offsets.into()),
            Arc::new(records),
            lists.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// A text function of text, row by row, NULL in, NULL out.
#[derive(Debug)]
pub struct TextFn<T: Send + Sync + 'static> {
    name: &'static str,
    output: DataType,
    signature: Signature,
    map: fn(&T, &[Option<&str>]) -> Option<ScalarValue>,
    with: T,
}

impl<T: Send + Sync + 'static> PartialEq for TextFn<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl<T: Send + Sync + 'static> Eq for TextFn<T> {}
impl<T: Send + Sync + 'static> std::hash::Hash for TextFn<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl<T: Send + Sync + std::fmt::Debug + 'static> ScalarUDFImpl for TextFn<T> {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.output.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let texts = args
            .args
            .iter()
            .map(|a| Ok(cast(&a.to_array(rows)?, &DataType::Utf8)?))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let texts: Vec<_> = texts.iter().map(|t| t.as_string::<i32>()).collect();
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            let row: Vec<Option<&str>> = texts
                .iter()
                .map(|t| t.is_valid(i).then(|| t.value(i)))
                .collect();
            let value = if row.iter().any(Option::is_none) {
                None
            } else {
                (self.map)(&self.with, &row)
            };
            out.push(value.unwrap_or(ScalarValue::try_from(&self.output)?));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

/// `kpiql_like_escape(pattern, escape)`: a `LIKE` pattern written with
/// escape character `escape`, spelled with the backslash, which is the
/// only one DataFusion takes ([`super::rewrite`] calls it for `LIKE ...
/// ESCAPE 'c'`; on literals the optimizer folds it to a constant).
pub fn like_escape() -> ScalarUDF {
    ScalarUDF::new_from_impl(TextFn {
        name: LIKE_ESCAPE,
        output: DataType::Utf8,
        signature: Signature::any(2, Volatility::Immutable),
        map: |_: &(), row| {
            let escape = row[1]?.chars().next()?;
            Some(ScalarValue::Utf8(Some(with_backslash(row[0]?, escape))))
        },
        with: (),
    })
}

/// The name [`like_escape`] is registered under.
pub const LIKE_ESCAPE: &str = "kpiql_like_escape";

/// A `LIKE` pattern with escape character `escape` spelled with the
/// backslash: the same strings match.
pub fn with_backslash(pattern: &str, escape: char) -> String {
    if escape == '\\' {
        return pattern.to_string();
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            match chars.next() {
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                // PostgreSQL: "LIKE pattern must not end with escape
                // character"; kept, so the match fails the same way.
                None => out.push('\\'),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// `to_regtype(name)`: the OID of the type `name` names (`int4`,
/// `integer`, `pg_catalog.text`, `hstore`), or NULL where there is none,
/// as psycopg asks for types it adapts (SQLAlchemy's start-up asks for
/// `hstore`).
pub fn to_regtype(types: HashMap<String, i32>) -> ScalarUDF {
    ScalarUDF::new_from_impl(TextFn {
        name: "to_regtype",
        output: DataType::Int32,
        signature: Signature::any(1, Volatility::Stable),
        map: |types: &HashMap<String, i32>, row| {
            let name = row[0]?.trim().trim_matches('"').to_ascii_lowercase();
            let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
            let name = match name.strip_suffix("[]") {
                Some(element) => format!("_{}", type_alias(element.trim())),
                None => type_alias(name).to_string(),
            };
            types.get(&name).map(|oid| ScalarValue::Int32(Some(*oid)))
        },
        with: types,
    })
}

/// `pg_type.typname` of a type's SQL spelling.
fn type_alias(name: &str) -> &str {
    match name {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "float" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "decimal" => "numeric",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "time with time zone" => "timetz",
        other => other,
    }
}

/// `json_build_object(key, value, ...)`: a JSON object's text, values as
/// JSON numbers, booleans, strings or null (SQLAlchemy's `get_columns`
/// builds a column's identity options with it; kpiql has none, so there
/// it is NULL).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonBuildObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return Err(DataFusionError::Plan(
                "json_build_object(): the arguments must be key, value pairs".into(),
            ));
        }
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let mut out = StringBuilder::new();
        for i in 0..rows {
            let mut object = serde_json::Map::new();
            for pair in arrays.chunks(2) {
                let key = match ScalarValue::try_from_array(&pair[0], i)? {
                    ScalarValue::Utf8(Some(k))
                    | ScalarValue::Utf8View(Some(k))
                    | ScalarValue::LargeUtf8(Some(k)) => k,
                    v if v.is_null() => {
                        return Err(DataFusionError::Execution(
                            "json_build_object(): a key is NULL".into(),
                        ));
                    }
                    v => v.to_string(),
                };
                object.insert(key, json_value(&ScalarValue::try_from_array(&pair[1], i)?));
            }
            out.append_value(serde_json::Value::Object(object).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// A value as JSON.
fn json_value(value: &ScalarValue) -> serde_json::Value {
    use serde_json::Value as J;
    if value.is_null() {
        return J::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => J::Bool(*b),
        ScalarValue::Int8(Some(_))
        | ScalarValue::Int16(Some(_))
        | ScalarValue::Int32(Some(_))
        | ScalarValue::Int64(Some(_))
        | ScalarValue::UInt8(Some(_))
        | ScalarValue::UInt16(Some(_))
        | ScalarValue::UInt32(Some(_))
        | ScalarValue::UInt64(Some(_))
        | ScalarValue::Float32(Some(_))
        | ScalarValue::Float64(Some(_)) => value
            .to_string()
            .parse::<serde_json::Number>()
            .map_or_else(|_| J::String(value.to_string()), J::Number),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => J::String(s.clone()),
        other => J::String(other.to_string()),
    }
}

/// `current_setting(name [, missing_ok])`: DataFusion's options by their
/// names, and the PostgreSQL settings clients ask for with the values
/// kpiql serves by (SQLAlchemy reads `default_table_access_method`); an
/// unknown name is an error naming it, or NULL with `missing_ok`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CurrentSetting {
    signature: Signature,
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let names = cast(&args.args[0].to_array(rows)?, &DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let missing_ok = match args.args.get(1) {
            Some(ColumnarValue::Scalar(ScalarValue::Boolean(Some(b)))) => *b,
            _ => false,
        };
        let mut out = StringBuilder::new();
        for i in 0..rows {
            if names.is_null(i) {
                out.append_null();
                continue;
            }
            let name = names.value(i);
            match super::settings::get(&args.config_options, name) {
                Some(value) => out.append_value(value),
                None if missing_ok => out.append_null(),
                None => {
                    return Err(DataFusionError::Plan(format!(
                        "unrecognized configuration parameter \"{name}\""
                    )));
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `kpiql_format_types(oids)`: `format_type` of each OID of a list, for
/// `oids::regtype[]` ([`super::rewrite`]); datafusion-postgres's
/// `format_type` names them.
#[derive(Debug)]
pub struct FormatTypes {
    format_type: Arc<ScalarUDF>,
    signature: Signature,
}

/// The name [`FormatTypes`] is registered under.
pub const FORMAT_TYPES: &str = "kpiql_format_types";

impl PartialEq for FormatTypes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for FormatTypes {}
impl std::hash::Hash for FormatTypes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        FORMAT_TYPES.hash(state);
    }
}

impl FormatTypes {
    pub fn udf(format_type: Arc<ScalarUDF>) -> ScalarUDF {
        ScalarUDF::new_from_impl(FormatTypes {
            format_type,
            signature: Signature::any(1, Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for FormatTypes {
    fn name(&self) -> &str {
        FORMAT_TYPES
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = args.args[0].to_array(rows)?;
        let lists = cast(
            &input,
            &DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
        )?;
        let lists = lists.as_list::<i32>();
        let values = Arc::clone(lists.values());
        let typmods: ArrayRef =
            datafusion::arrow::array::new_null_array(&DataType::Int32, values.len());
        let names = self.format_type.invoke_with_args(ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(values), ColumnarValue::Array(typmods)],
            arg_fields: vec![
                Arc::new(Field::new("oid", DataType::Int32, true)),
                Arc::new(Field::new("typmod", DataType::Int32, true)),
            ],
            number_rows: lists.values().len(),
            return_field: Arc::new(Field::new("name", DataType::Utf8, true)),
            config_options: Arc::clone(&args.config_options),
        })?;
        let names = cast(&names.to_array(lists.values().len())?, &DataType::Utf8)?;
        let out = ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::Utf8, true)),
            lists.offsets().clone(),
            names,
            lists.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// `kpiql_null_of(...)`: NULL, whatever its arguments (the parameters of a
/// catalog subquery [`super::rewrite`] found to be NULL).
pub const NULL_OF: &str = "kpiql_null_of";

/// The functions, each over what `procs`, `notes` and `types` (the
/// `pg_type` names and OIDs) say.
pub fn all(
    procs: &[Proc],
    pg_catalog: Arc<dyn SchemaProvider>,
    notes: Arc<Vec<ColumnNote>>,
    types: HashMap<String, i32>,
    format_type: Arc<ScalarUDF>,
) -> Vec<ScalarUDF> {
    let by = |f: fn(&Proc) -> String| -> HashMap<i64, String> {
        procs.iter().map(|p| (i64::from(p.oid), f(p))).collect()
    };
    let null_text = || ScalarValue::Utf8(None);
    vec![
        ByOid::udf("obj_description", by(|p| p.description.clone()), &[1, 2]),
        ByOid::udf("pg_get_function_arguments", by(Proc::arguments_text), &[1]),
        ByOid::udf(
            "pg_get_function_identity_arguments",
            by(Proc::arguments_text),
            &[1],
        ),
        ByOid::udf("pg_get_function_result", by(|p| p.result.1.clone()), &[1]),
        ColDescription::udf(pg_catalog, notes),
        ExpandArray::udf(),
        like_escape(),
        to_regtype(types),
        FormatTypes::udf(format_type),
        ScalarUDF::new_from_impl(JsonBuildObject {
            signature: Signature::variadic_any(Volatility::Stable),
        }),
        ScalarUDF::new_from_impl(CurrentSetting {
            signature: Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(2)],
                Volatility::Stable,
            ),
        }),
        Constant::udf(
            NULL_OF,
            ScalarValue::Null,
            Signature::variadic_any(Volatility::Immutable),
        ),
        Constant::udf(
            "pg_collation_is_visible",
            ScalarValue::Boolean(Some(true)),
            Signature::any(1, Volatility::Stable),
        ),
        // kpiql has no sequences, indexes or shared objects to describe.
        Constant::udf(
            "pg_get_serial_sequence",
            null_text(),
            Signature::any(2, Volatility::Stable),
        ),
        Constant::udf(
            "pg_get_indexdef",
            null_text(),
            Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(3)],
                Volatility::Stable,
            ),
        ),
        Constant::udf(
            "shobj_description",
            null_text(),
            Signature::any(2, Volatility::Stable),
        ),
        Constant::udf(
            "pg_function_is_visible",
            ScalarValue::Boolean(Some(true)),
            Signature::any(1, Volatility::Stable),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_like_pattern_is_spelled_with_the_backslash() {
        assert_eq!(with_backslash("pg/_%", '/'), r"pg\_%");
        // A literal backslash, and a doubled escape character.
        assert_eq!(with_backslash(r"a\b//c#%", '/'), r"a\\b\/c#%");
        assert_eq!(with_backslash("x#_y##", '#'), r"x\_y\#");
        assert_eq!(with_backslash(r"a\_", '\\'), r"a\_");
    }

    #[test]
    fn type_names_read_as_postgresql_reads_them() {
        let types = HashMap::from([("int4".to_string(), 23), ("_int4".to_string(), 1007)]);
        let f = to_regtype(types);
        for (name, oid) in [
            ("integer", Some(23)),
            ("pg_catalog.int4", Some(23)),
            ("int4[]", Some(1007)),
            ("hstore", None),
        ] {
            let args = ScalarFunctionArgs {
                args: vec![ColumnarValue::Scalar(ScalarValue::Utf8(Some(name.into())))],
                arg_fields: vec![Arc::new(Field::new("a", DataType::Utf8, true))],
                number_rows: 1,
                return_field: Arc::new(Field::new("r", DataType::Int32, true)),
                config_options: Arc::new(Default::default()),
            };
            let ColumnarValue::Array(out) = f.invoke_with_args(args).expect("runs") else {
                panic!("not an array")
            };
            let out = out.as_primitive::<Int32Type>();
            assert_eq!(out.is_valid(0).then(|| out.value(0)), oid, "{name}");
        }
    }
}
