//! PostgreSQL syntax that clients' catalog queries use and DataFusion does
//! not read, rewritten in the parsed statement before the read-only guard
//! checks it and the engine plans it (datafusion-postgres has its own rules
//! for other forms, and no hook to add one; [`rewrite`] runs in kpiql's
//! first query hook, `serve::session`).
//!
//! - `LIKE` / `ILIKE ... ESCAPE 'c'` with `c` other than the backslash
//!   (SQLAlchemy's `get_schema_names`: `NOT LIKE 'pg/_%' ESCAPE '/'`):
//!   DataFusion accepts only the backslash, so the pattern is re-spelled
//!   with it by `kpiql_like_escape(pattern, 'c')`
//!   ([`super::functions::like_escape`]): `c x` becomes `\x`, a backslash
//!   `\\`. The pattern may be any expression: psycopg2 sends
//!   `'pg/_' || '%'`, psycopg 3 a bound parameter.
//! - `(expr).field` on a composite value (pgjdbc's `getPrimaryKeys`:
//!   `(information_schema._pg_expandarray(i.indkey)).n`) becomes DataFusion's
//!   `get_field(expr, 'field')`.
//! - A scalar subquery over `pg_catalog` tables alone without an
//!   aggregate (SQLAlchemy's `get_columns`: `CASE WHEN a.atthasdef THEN
//!   (SELECT pg_get_expr(...) FROM pg_attrdef WHERE ...) END`), which
//!   DataFusion refuses ("correlated scalar subquery must be aggregated"):
//!   over a table kpiql keeps empty (`pg_attrdef`, `pg_sequence`,
//!   `pg_constraint`, `pg_index`) it is NULL, which is what it returns on
//!   every row; otherwise its value is wrapped in `max(...)`, the same
//!   value where the subquery has one row (PostgreSQL fails where it has
//!   more; these catalog lookups by OID have one or none).
//! - `generate_subscripts(a, d)`, set-returning (SQLAlchemy's
//!   `get_pk_constraint`, beside `unnest(i.indkey)`), becomes
//!   `unnest(generate_series(1, array_length(a, d)))`: DataFusion unnests
//!   the two lists of a projection side by side, as PostgreSQL runs two
//!   set-returning functions.
//! - `x::regtype::text` and `x::regtype[]` (pgcli's function list:
//!   `prorettype::regtype::text`, `proargtypes::regtype[]::text[]`), type
//!   names in PostgreSQL, OIDs in datafusion-postgres's type planner,
//!   become `format_type(x, NULL)` and `kpiql_format_types(x)`
//!   ([`super::functions::FormatTypes`]).
//! - `_pg_expandarray(a)`, set-returning in PostgreSQL, becomes
//!   `unnest(_pg_expandarray(a))` over kpiql's list-returning function
//!   (`super::functions::ExpandArray`): one row per element, as there.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, DataType as SqlType, GroupByExpr, JoinOperator, Query, SelectItem, SetExpr,
    TableFactor,
};

use super::functions::{FORMAT_TYPES, LIKE_ESCAPE, NULL_OF};

use datafusion::sql::sqlparser::ast::{
    AccessExpr, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Statement, Value, ValueWithSpan,
    VisitMut, VisitorMut,
};

/// `statement` in the forms DataFusion reads, or `None` when nothing in it
/// needed a change.
pub fn rewrite(statement: &Statement) -> Option<Statement> {
    let mut out = statement.clone();
    let mut visitor = Rewriter { changed: false };
    let _ = out.visit(&mut visitor);
    visitor.changed.then_some(out)
}

struct Rewriter {
    changed: bool,
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Like {
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                pattern,
                escape_char,
                ..
            } => {
                if let Some(escape) = escape_char.as_ref().and_then(single_char)
                    && escape != '\\'
                {
                    let written = std::mem::replace(&mut **pattern, Expr::value(Value::Null));
                    **pattern = call(
                        LIKE_ESCAPE,
                        vec![
                            written,
                            Expr::value(Value::SingleQuotedString(escape.to_string())),
                        ],
                    );
                    *escape_char = None;
                    self.changed = true;
                }
            }
            Expr::CompoundFieldAccess { root, access_chain }
                if access_chain
                    .iter()
                    .all(|a| matches!(a, AccessExpr::Dot(Expr::Identifier(_)))) =>
            {
                let Expr::Nested(inner) = &**root else {
                    return ControlFlow::Continue(());
                };
                let mut value = (**inner).clone();
                for access in access_chain.iter() {
                    if let AccessExpr::Dot(Expr::Identifier(field)) = access {
                        value = get_field(value, field);
                    }
                }
                *expr = value;
                self.changed = true;
            }
            Expr::Subquery(query) => match catalog_subquery(query) {
                Some(Catalog::OverEmpty) => {
                    // The client binds every parameter it wrote: those of
                    // the subquery stay in the statement, as arguments of
                    // a NULL (datafusion-postgres reads the plan's
                    // parameters by position, so one missing would shift
                    // the rest).
                    let placeholders = placeholders(query);
                    *expr = if placeholders.is_empty() {
                        Expr::value(Value::Null)
                    } else {
                        call(NULL_OF, placeholders)
                    };
                    self.changed = true;
                }
                Some(Catalog::Unaggregated) => {
                    aggregate_single(query);
                    self.changed = true;
                }
                None => {}
            },
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } if is_text(data_type)
                && matches!(&**inner, Expr::Cast { data_type: t, .. } if is_regtype(t)) =>
            {
                if let Expr::Cast { expr: oid, .. } = &**inner {
                    let no_typmod = Expr::Cast {
                        kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
                        expr: Box::new(Expr::value(Value::Null)),
                        data_type: SqlType::Int(None),
                        array: false,
                        format: None,
                    };
                    *expr = call("format_type", vec![(**oid).clone(), no_typmod]);
                    self.changed = true;
                }
            }
            Expr::Cast {
                expr: oids,
                data_type: SqlType::Array(ArrayElemTypeDef::SquareBracket(element, _)),
                ..
            } if is_regtype(element) => {
                *expr = call(FORMAT_TYPES, vec![(**oids).clone()]);
                self.changed = true;
            }
            Expr::Function(f) if is_named(&f.name, "generate_subscripts") => {
                if let FunctionArguments::List(list) = &f.args
                    && let [
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(array)),
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(dim)),
                    ] = list.args.as_slice()
                {
                    let length = call("array_length", vec![array.clone(), dim.clone()]);
                    *expr = call(
                        "unnest",
                        vec![call(
                            "generate_series",
                            vec![Expr::value(Value::Number("1".into(), false)), length],
                        )],
                    );
                    self.changed = true;
                }
            }
            Expr::Function(f) if is_named(&f.name, "_pg_expandarray") => {
                *expr = call("unnest", vec![expr.clone()]);
                self.changed = true;
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The one character of an `ESCAPE` literal.
fn single_char(value: &ValueWithSpan) -> Option<char> {
    let (Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s)) = &value.value else {
        return None;
    };
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// `pg_catalog` tables kpiql keeps empty (`super::pg`, and datafusion-
/// postgres's `pg_attrdef` and `pg_sequence`).
const EMPTY_CATALOG_TABLES: [&str; 4] = ["pg_attrdef", "pg_sequence", "pg_constraint", "pg_index"];

/// Aggregate functions a catalog subquery may use (then it is left as is).
const AGGREGATES: [&str; 10] = [
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
];

/// What a scalar subquery over catalog tables is.
enum Catalog {
    /// An inner-joined table is one kpiql keeps empty: NULL.
    OverEmpty,
    /// One value, not aggregated.
    Unaggregated,
}

/// A plain `SELECT expr FROM pg_... [JOIN pg_...] WHERE ...` without an
/// aggregate, `GROUP BY`, `LIMIT` or set operation: which kind.
fn catalog_subquery(query: &Query) -> Option<Catalog> {
    if query.with.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = &*query.body else {
        return None;
    };
    let grouped = match &select.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
    };
    if grouped || select.having.is_some() || select.distinct.is_some() || select.from.len() != 1 {
        return None;
    }
    let [SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. }] =
        select.projection.as_slice()
    else {
        return None;
    };
    if calls_aggregate(value) {
        return None;
    }
    let from = &select.from[0];
    let name = |t: &TableFactor| match t {
        TableFactor::Table {
            name, args: None, ..
        } => match name.0.last() {
            Some(ObjectNamePart::Identifier(i)) => Some(i.value.to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    };
    let base = name(&from.relation)?;
    let mut inner = vec![base.clone()];
    let mut all = vec![base];
    for join in &from.joins {
        let joined = name(&join.relation)?;
        if matches!(
            join.join_operator,
            JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
        ) {
            inner.push(joined.clone());
        }
        all.push(joined);
    }
    if !all.iter().all(|t| t.starts_with("pg_")) {
        return None;
    }
    if inner
        .iter()
        .any(|t| EMPTY_CATALOG_TABLES.contains(&t.as_str()))
    {
        Some(Catalog::OverEmpty)
    } else {
        Some(Catalog::Unaggregated)
    }
}

/// The placeholders (`$1`, ...) of `query`, in order.
fn placeholders(query: &Query) -> Vec<Expr> {
    let mut found = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(query, |e| {
        if let Expr::Value(v) = e
            && matches!(v.value, Value::Placeholder(_))
        {
            found.push(e.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// Whether `expr` calls one of [`AGGREGATES`].
fn calls_aggregate(expr: &Expr) -> bool {
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(f) = e
            && AGGREGATES.iter().any(|a| is_named(&f.name, a))
        {
            found = true;
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// The one value of a [`Catalog::Unaggregated`] subquery as `max(value)`.
fn aggregate_single(query: &mut Query) {
    if let SetExpr::Select(select) = &mut *query.body
        && let Some(SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. }) =
            select.projection.first_mut()
    {
        let single = std::mem::replace(value, Expr::value(Value::Null));
        *value = call("max", vec![single]);
    }
}

/// Whether a cast's type is `regtype` (maybe `pg_catalog.regtype`).
fn is_regtype(ty: &SqlType) -> bool {
    matches!(ty, SqlType::Custom(name, _) if is_named(name, "regtype"))
}

/// Whether a cast's type is text (`text`, `varchar`, `character varying`).
fn is_text(ty: &SqlType) -> bool {
    match ty {
        SqlType::Text | SqlType::Varchar(_) | SqlType::CharacterVarying(_) | SqlType::String(_) => {
            true
        }
        SqlType::Custom(name, _) => is_named(name, "text"),
        _ => false,
    }
}

/// Whether a function's (maybe qualified) name ends in `name`.
fn is_named(function: &ObjectName, name: &str) -> bool {
    matches!(function.0.last(), Some(ObjectNamePart::Identifier(i)) if i.value.eq_ignore_ascii_case(name))
}

/// `get_field(value, 'field')`.
fn get_field(value: Expr, field: &Ident) -> Expr {
    call(
        "get_field",
        vec![
            value,
            Expr::value(Value::SingleQuotedString(field.value.clone())),
        ],
    )
}

/// `name(args)`.
fn call(name: &str, args: Vec<Expr>) -> Expr {
    let arg = |e: Expr| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(arg).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> Option<String> {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0);
        rewrite(&statement).map(|s| s.to_string())
    }

    #[test]
    fn like_escape_is_spelled_with_the_backslash() {
        assert_eq!(
            rewritten("SELECT 1 WHERE n NOT LIKE 'pg/_' || '%' ESCAPE '/'").as_deref(),
            Some("SELECT 1 WHERE n NOT LIKE kpiql_like_escape('pg/_' || '%', '/')")
        );
        assert_eq!(
            rewritten("SELECT 1 WHERE n ILIKE $1 ESCAPE '!'").as_deref(),
            Some("SELECT 1 WHERE n ILIKE kpiql_like_escape($1, '!')")
        );
        // The backslash itself, and no ESCAPE: nothing to do.
        assert_eq!(rewritten(r"SELECT 1 WHERE n LIKE 'a\_' ESCAPE '\'"), None);
        assert_eq!(rewritten("SELECT 1 WHERE n LIKE 'a%'"), None);
    }

    #[test]
    fn catalog_subqueries_are_planned_as_datafusion_can() {
        assert_eq!(
            rewritten(
                "SELECT CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(d.adbin, d.adrelid) \
                 FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid) END FROM pg_attribute a"
            )
            .as_deref(),
            Some("SELECT CASE WHEN a.atthasdef THEN NULL END FROM pg_attribute a")
        );
        // Its parameters stay bound.
        assert_eq!(
            rewritten("SELECT CASE WHEN a.x THEN (SELECT f($2, s.seqstart) FROM pg_sequence s WHERE s.a = $3) END FROM pg_attribute a WHERE a.y = $1")
                .as_deref(),
            Some("SELECT CASE WHEN a.x THEN kpiql_null_of($2, $3) END FROM pg_attribute a WHERE a.y = $1")
        );
        assert_eq!(
            rewritten("SELECT (SELECT t.typcollation FROM pg_type t WHERE t.oid = a.atttypid) FROM pg_attribute a")
                .as_deref(),
            Some("SELECT (SELECT max(t.typcollation) FROM pg_type t WHERE t.oid = a.atttypid) FROM pg_attribute a")
        );
        // Aggregated, over a lake table, or grouped: left as written.
        assert_eq!(
            rewritten(
                "SELECT (SELECT count(*) FROM pg_index i WHERE i.x = a.y) FROM pg_attribute a"
            ),
            None
        );
        assert_eq!(
            rewritten(
                "SELECT (SELECT team FROM interactions i WHERE i.x = a.y) FROM pg_attribute a"
            ),
            None
        );
        // A left-joined empty table does not make the subquery empty.
        assert_eq!(
            rewritten("SELECT (SELECT c.relname FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid WHERE c.oid = a.attrelid) FROM pg_attribute a")
                .as_deref(),
            Some("SELECT (SELECT max(c.relname) FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid WHERE c.oid = a.attrelid) FROM pg_attribute a")
        );
    }

    #[test]
    fn type_names_of_oids_are_formatted() {
        assert_eq!(
            rewritten("SELECT prorettype::regtype::text, COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[] FROM pg_proc WHERE prorettype::regtype != 'trigger'::regtype").as_deref(),
            Some("SELECT format_type(prorettype, CAST(NULL AS INT)), COALESCE(kpiql_format_types(proallargtypes), kpiql_format_types(proargtypes))::TEXT[] FROM pg_proc WHERE prorettype::regtype <> 'trigger'::regtype")
        );
    }

    #[test]
    fn generate_subscripts_becomes_an_unnested_series() {
        assert_eq!(
            rewritten("SELECT unnest(i.indkey), generate_subscripts(i.indkey, 1) FROM pg_index i")
                .as_deref(),
            Some(
                "SELECT unnest(i.indkey), unnest(generate_series(1, array_length(i.indkey, 1))) FROM pg_index i"
            )
        );
    }

    #[test]
    fn a_composite_fields_access_becomes_get_field() {
        assert_eq!(
            rewritten("SELECT (f(x)).n FROM t").as_deref(),
            Some("SELECT get_field(f(x), 'n') FROM t")
        );
        assert_eq!(rewritten("SELECT t.a FROM t"), None);
        assert_eq!(
            rewritten("SELECT (information_schema._pg_expandarray(i.indkey)).n FROM i").as_deref(),
            Some(
                "SELECT get_field(unnest(information_schema._pg_expandarray(i.indkey)), 'n') FROM i"
            )
        );
    }
}
