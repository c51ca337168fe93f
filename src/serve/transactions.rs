//! Transaction statements, answered as PostgreSQL answers them, on a
//! server where they change nothing (issue 26).
//!
//! Clients wrap their work in transactions even to read: psycopg opens one
//! before the first statement and SQLAlchemy issues `SAVEPOINT` inside it.
//! kpiql serve writes nothing, so every transaction statement is a no-op,
//! but its command tag and the transaction status it leaves in
//! ReadyForQuery (`I`, `T`, `E`) are PostgreSQL's, and so are its errors:
//! `SAVEPOINT` / `RELEASE` / `ROLLBACK TO` outside a transaction block are
//! 25P01, and in a failed transaction anything but `ROLLBACK` / `COMMIT` /
//! `ROLLBACK TO` is 25P02. (This replaces datafusion-postgres's hook,
//! which refuses savepoints, tags `START TRANSACTION` as `BEGIN`, and uses
//! 25P01 for an aborted transaction.)
//!
//! `ROLLBACK TO SAVEPOINT` in a failed transaction returns it to `T`
//! (`super::session` sets the status before the statement runs: pgwire
//! 0.41 derives it from the response kind, and no kind goes from `E` to
//! `T`). Savepoint names are not kept: `ROLLBACK TO` or `RELEASE` of a
//! name never set is accepted, where PostgreSQL answers 3B001.

use std::sync::Arc;

use datafusion::common::{DFSchema, ParamValues};
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Set, Statement};
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::{QueryHook, pgwire};
use pgwire::api::ClientInfo;
use pgwire::api::results::{Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::response::TransactionStatus;

/// Whether `statement` is one of the transaction statements answered here.
pub fn is_transaction_statement(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Set(Set::SetTransaction { .. })
    )
}

fn error(code: &str, message: &str) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        code.into(),
        message.into(),
    )))
}

/// The error of any statement but the ends of a transaction in a failed
/// one (PostgreSQL's 25P02); `None` when `statement` may run.
pub fn aborted(statement: &Statement, status: TransactionStatus) -> Option<PgWireError> {
    let ends = matches!(
        statement,
        Statement::Commit { .. } | Statement::Rollback { .. }
    );
    (status == TransactionStatus::Error && !ends).then(|| {
        error(
            "25P02",
            "current transaction is aborted, commands ignored until end of transaction block",
        )
    })
}

/// PostgreSQL's answer to `statement` in a connection whose transaction
/// status is `status`; `None` for a statement that is not a transaction
/// statement.
pub fn answer(statement: &Statement, status: TransactionStatus) -> Option<PgWireResult<Response>> {
    use TransactionStatus as T;
    let outside = |what: &str| {
        Err(error(
            "25P01",
            &format!("{what} can only be used in transaction blocks"),
        ))
    };
    if !is_transaction_statement(statement) {
        return None;
    }
    if let Some(e) = aborted(statement, status) {
        return Some(Err(e));
    }
    Some(match statement {
        Statement::StartTransaction { begin, .. } => {
            let tag = if *begin { "BEGIN" } else { "START TRANSACTION" };
            match status {
                T::Idle => Ok(Response::TransactionStart(Tag::new(tag))),
                // PostgreSQL warns and stays in the transaction.
                _ => Ok(Response::Execution(Tag::new(tag))),
            }
        }
        Statement::Commit { .. } => Ok(Response::TransactionEnd(Tag::new(if status == T::Error {
            "ROLLBACK"
        } else {
            "COMMIT"
        }))),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => match status {
            T::Idle => outside("ROLLBACK TO SAVEPOINT"),
            _ => Ok(Response::Execution(Tag::new("ROLLBACK"))),
        },
        Statement::Rollback { .. } => Ok(Response::TransactionEnd(Tag::new("ROLLBACK"))),
        Statement::Savepoint { .. } => match status {
            T::Idle => outside("SAVEPOINT"),
            _ => Ok(Response::Execution(Tag::new("SAVEPOINT"))),
        },
        Statement::ReleaseSavepoint { .. } => match status {
            T::Idle => outside("RELEASE SAVEPOINT"),
            _ => Ok(Response::Execution(Tag::new("RELEASE"))),
        },
        // SET TRANSACTION READ ONLY, ISOLATION LEVEL ...: every
        // transaction here is read-only and sees one lake.
        _ => Ok(Response::Execution(Tag::new("SET"))),
    })
}

/// The hook: after the read-only guard, before cursors and `SET`.
#[derive(Debug)]
pub struct Transactions;

#[async_trait::async_trait]
impl QueryHook for Transactions {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        answer(statement, client.transaction_status())
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        // Nothing to plan: answered when executed.
        is_transaction_statement(statement).then(|| {
            Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(DFSchema::empty()),
            }))
        })
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        answer(statement, client.transaction_status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    /// (tag or SQLSTATE, whether it is a start / an end / neither).
    fn outcome(sql: &str, status: TransactionStatus) -> String {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0);
        match answer(&statement, status) {
            None => "none".into(),
            Some(Ok(Response::TransactionStart(tag))) => format!("start {tag:?}"),
            Some(Ok(Response::TransactionEnd(tag))) => format!("end {tag:?}"),
            Some(Ok(Response::Execution(tag))) => format!("same {tag:?}"),
            Some(Ok(_)) => "other".into(),
            Some(Err(e)) => ErrorInfo::from(e).code,
        }
    }

    #[test]
    fn transaction_statements_answer_as_postgresql_does() {
        use TransactionStatus::{Error as E, Idle as I, Transaction as T};
        // What PostgreSQL 16 answers (psql, \set VERBOSITY verbose).
        for (sql, status, expected) in [
            ("BEGIN", I, "start"),
            ("BEGIN", T, "same"),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", I, "start"),
            ("COMMIT", T, "end"),
            ("COMMIT", E, "end"),
            ("COMMIT", I, "end"),
            ("ROLLBACK", E, "end"),
            ("SAVEPOINT sa_1", T, "same"),
            ("SAVEPOINT sa_1", I, "25P01"),
            ("SAVEPOINT sa_1", E, "25P02"),
            ("RELEASE SAVEPOINT sa_1", T, "same"),
            ("RELEASE sa_1", I, "25P01"),
            ("ROLLBACK TO SAVEPOINT sa_1", T, "same"),
            ("ROLLBACK TO SAVEPOINT sa_1", E, "same"),
            ("ROLLBACK TO sa_1", I, "25P01"),
            ("SET TRANSACTION READ ONLY", T, "same"),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                I,
                "same",
            ),
            ("SELECT 1", T, "none"),
        ] {
            let got = outcome(sql, status);
            assert!(got.starts_with(expected), "{sql} in {status:?}: {got}");
        }
        // The tags.
        assert!(outcome("START TRANSACTION", I).contains("START TRANSACTION"));
        assert!(outcome("COMMIT", E).contains("ROLLBACK"));
        assert!(outcome("RELEASE sa_1", T).contains("RELEASE"));
        // In a failed transaction, a query is refused before it is planned.
        let select = Parser::parse_sql(&PostgreSqlDialect {}, "SELECT 1")
            .expect("parses")
            .remove(0);
        assert!(aborted(&select, E).is_some());
        assert!(aborted(&select, T).is_none());
    }
}
