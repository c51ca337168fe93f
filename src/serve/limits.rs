//! What one statement may ask of a shared server (DESIGN §5, issue 30):
//! its size and nesting, checked before it is planned, and the settings a
//! session may give that multiply the work or memory of every query.
//!
//! The planner, the optimizer and dropping a statement's syntax tree all
//! recurse once per level of nesting: `SELECT 1+1+…` with a few thousand
//! terms overflowed a 2 MiB worker stack and aborted the server. The
//! server's worker threads have [`STACK_BYTES`] stacks, and a statement
//! nested deeper than [`MAX_DEPTH`] or longer than [`MAX_STATEMENT_BYTES`]
//! is refused with SQLSTATE 54001 (statement too complex) before anything
//! else looks at it.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Query, Set, Statement, Visit, Visitor};
use datafusion_postgres::pgwire;
use pgwire::error::{ErrorInfo, PgWireError};

/// The deepest nesting of expressions and subqueries a statement may have.
/// Generated BI SQL nests a few dozen levels; 1000 leaves room for long
/// `a OR b OR …` and `x + y + …` chains (each term is a level).
pub const MAX_DEPTH: usize = 1000;
/// The longest statement text, in bytes.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;
/// The stack of each of the server's worker threads: a statement at
/// [`MAX_DEPTH`] plans, optimizes and runs with room to spare in a debug
/// build (tested at the limit).
pub const STACK_BYTES: usize = 64 << 20;

fn too_complex(message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "54001".into(),
        message,
    )))
}

/// Refuses a statement text over [`MAX_STATEMENT_BYTES`].
pub fn check_size(text: &str) -> Result<(), PgWireError> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(too_complex(format!(
            "statement too long: {} bytes, more than kpiql serve's limit of {MAX_STATEMENT_BYTES}",
            text.len()
        )));
    }
    Ok(())
}

/// Counts nesting while the syntax tree is walked; stops at the first
/// level past the limit, so the walk itself recurses no deeper than that.
struct Depth {
    now: usize,
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.now -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.now -= 1;
        ControlFlow::Continue(())
    }
}

impl Depth {
    fn enter(&mut self) -> ControlFlow<()> {
        self.now += 1;
        if self.now > MAX_DEPTH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Refuses a statement nested deeper than [`MAX_DEPTH`].
pub fn check_depth(statement: &Statement) -> Result<(), PgWireError> {
    if statement.visit(&mut Depth { now: 0 }).is_break() {
        return Err(too_complex(format!(
            "statement too complex: its expressions and subqueries nest more than \
             {MAX_DEPTH} levels deep (kpiql serve's limit)"
        )));
    }
    Ok(())
}

/// Settings that multiply what every later query of the session costs,
/// with the values a session may give them. `target_partitions = 200000`
/// grew a server to 14 GB on a one-line `GROUP BY`.
const BOUNDED: [(&str, u64, u64); 6] = [
    ("datafusion.execution.target_partitions", 1, 256),
    ("datafusion.execution.planning_concurrency", 1, 256),
    ("datafusion.execution.batch_size", 1, 1 << 20),
    ("datafusion.execution.meta_fetch_concurrency", 1, 256),
    ("datafusion.optimizer.max_passes", 1, 100),
    (
        "datafusion.execution.parquet.max_predicate_cache_size",
        0,
        1 << 30,
    ),
];

/// Refuses a `SET` of a bounded setting to a value outside its range
/// (SQLSTATE 22023), naming the range. `names` are the lower-cased names
/// the statement assigns, in order.
pub fn check_setting(set: &Set, names: &[String]) -> Result<(), PgWireError> {
    let values: Vec<&Expr> = match set {
        Set::SingleAssignment { values, .. } => values.iter().collect(),
        Set::ParenthesizedAssignments { values, .. } => values.iter().collect(),
        Set::MultipleAssignments { assignments } => assignments.iter().map(|a| &a.value).collect(),
        _ => vec![],
    };
    for (name, value) in names.iter().zip(values) {
        let Some(&(_, min, max)) = BOUNDED.iter().find(|(n, _, _)| n == name) else {
            continue;
        };
        let text = value.to_string();
        let text = text.trim_matches(|c| c == '\'' || c == '"');
        let ok = text.parse::<u64>().is_ok_and(|v| (min..=max).contains(&v));
        if !ok {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "22023".into(),
                format!(
                    "invalid value for {name}: {text:?}; kpiql serve accepts a whole number \
                     from {min} to {max}"
                ),
            ))));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn statement(sql: &str) -> Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0)
    }

    /// `SELECT 1+1+…` with n terms nests n-1 sums over the last term, in a
    /// query: depth n + 1 (the query, n-1 sums, the innermost literal).
    #[test]
    fn nesting_is_counted_to_the_limit_and_refused_past_it() {
        let sum = |terms: usize| format!("SELECT {}", vec!["1"; terms].join("+"));
        assert!(check_depth(&statement(&sum(MAX_DEPTH - 1))).is_ok());
        let err = check_depth(&statement(&sum(MAX_DEPTH))).expect_err("past the limit");
        let info = ErrorInfo::from(err);
        assert_eq!(info.code, "54001");
        assert!(info.message.contains("1000 levels"), "{}", info.message);
    }

    #[test]
    fn settings_that_multiply_resources_keep_to_their_ranges() {
        let check = |sql: &str, name: &str| match statement(sql) {
            Statement::Set(set) => check_setting(&set, &[name.to_string()]),
            other => panic!("not a SET: {other}"),
        };
        let tp = "datafusion.execution.target_partitions";
        assert!(check(&format!("SET {tp} = 8"), tp).is_ok());
        assert!(check(&format!("SET {tp} = '256'"), tp).is_ok());
        for bad in ["200000", "0", "-1", "'many'"] {
            let info = ErrorInfo::from(check(&format!("SET {tp} = {bad}"), tp).expect_err(bad));
            assert_eq!(info.code, "22023", "{bad}");
            assert!(info.message.contains("from 1 to 256"), "{}", info.message);
        }
        assert!(check("SET application_name = 'x'", "application_name").is_ok());
    }
}
