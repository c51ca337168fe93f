//! One connection's queries: datafusion-postgres's `DfSessionService` over
//! the connection's own `SessionContext`, behind a read-only guard and the
//! cancel / timeout guard of [`super::cancel`].

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::{DfSessionService, Parser, QueryHook, pgwire};
use futures::Sink;
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;

use super::cancel::Cancel;

/// One connection's query handlers.
pub struct Session {
    inner: DfSessionService,
    cancel: Arc<Cancel>,
}

impl Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl Session {
    /// Queries of `ctx` (the connection's own session), read-only.
    pub fn new(ctx: SessionContext, cancel: Arc<Cancel>) -> Session {
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(ReadOnly),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        Session {
            inner: DfSessionService::new_with_hooks(Arc::new(ctx), hooks),
            cancel,
        }
    }
}

/// The refusal of a statement that would change something.
fn read_only_error(what: &str) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "25006".into(),
        format!("cannot execute {what}: kpiql serve is read-only (queries, SHOW and SET only)"),
    )))
}

/// Statement kinds a client may run: queries, their plans, and the session
/// talk clients and catalogs need. Everything else — DDL, DML, `COPY`,
/// `CREATE EXTERNAL TABLE`, anything that names a path — is refused.
fn allowed(statement: &Statement) -> Result<(), PgWireError> {
    use Statement as S;
    match statement {
        S::Query(_)
        | S::ShowVariable { .. }
        | S::ShowVariables { .. }
        | S::ShowStatus { .. }
        | S::ShowTables { .. }
        | S::ShowColumns { .. }
        | S::ShowFunctions { .. }
        | S::ShowSchemas { .. }
        | S::ShowDatabases { .. }
        | S::ShowCatalogs { .. }
        | S::ShowViews { .. }
        | S::ExplainTable { .. }
        | S::StartTransaction { .. }
        | S::Commit { .. }
        | S::Rollback { .. }
        | S::Declare { .. }
        | S::Fetch { .. }
        | S::Close { .. }
        | S::Discard { .. }
        | S::Deallocate { .. } => Ok(()),
        S::Explain { statement, .. } => allowed(statement),
        S::Set(set) => {
            // The runtime (memory pool, spill directory) is the server's.
            let text = set.to_string().to_ascii_lowercase();
            if text.contains("datafusion.runtime") {
                Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "ERROR".into(),
                    "42501".into(),
                    "permission denied to set datafusion.runtime.*: the server's memory pool and \
                     spill directory are shared by every connection"
                        .into(),
                ))))
            } else {
                Ok(())
            }
        }
        other => {
            let text = other.to_string();
            let what: Vec<&str> = text.split_whitespace().take(2).collect();
            Err(read_only_error(&what.join(" ")))
        }
    }
}

/// A plan that creates or changes something (`SELECT ... INTO`, DML, DDL)
/// is refused even when its statement looks like a query.
fn plan_allowed(plan: &LogicalPlan) -> Result<(), PgWireError> {
    crate::reports::read_only()
        .verify_plan(plan)
        .map_err(|e| read_only_error(&format!("this statement ({e})")))
}

/// The read-only guard, first of the hooks.
#[derive(Debug)]
struct ReadOnly;

#[async_trait::async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Err(e) = allowed(statement) {
            return Some(Err(e));
        }
        if matches!(statement, Statement::Query(_) | Statement::Explain { .. }) {
            let planned = ctx
                .state()
                .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                    statement.clone(),
                )))
                .await;
            // A statement that does not plan gets its error from the
            // normal path.
            if let Ok(plan) = planned
                && let Err(e) = plan_allowed(&plan)
            {
                return Some(Err(e));
            }
        }
        None
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        allowed(statement).err().map(Err)
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Err(e) = allowed(statement) {
            return Some(Err(e));
        }
        plan_allowed(plan).err().map(Err)
    }
}

/// Statements pgwire's PostgreSQL parser cannot read (DataFusion's `CREATE
/// EXTERNAL TABLE`, say) fail to parse before the guard sees them; when
/// such text starts with a writing keyword, the client gets the read-only
/// refusal, not a syntax error.
fn refusal_of_unparsed(query: &str, error: PgWireError) -> PgWireError {
    if !matches!(error, PgWireError::ApiError(_)) {
        return error;
    }
    let mut text = query.trim_start();
    loop {
        if let Some(rest) = text.strip_prefix("--") {
            text = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let first: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    const WRITES: [&str; 13] = [
        "CREATE", "DROP", "ALTER", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE",
        "GRANT", "REVOKE", "VACUUM", "REINDEX",
    ];
    if WRITES.contains(&first.as_str()) {
        read_only_error(&first)
    } else {
        error
    }
}

#[async_trait::async_trait]
impl SimpleQueryHandler for Session {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let run = self.cancel.run(&*client);
        let responses = run
            .bounded(SimpleQueryHandler::do_query(&self.inner, client, query))
            .await
            .map_err(|e| refusal_of_unparsed(query, e))?;
        Ok(responses.into_iter().map(|r| run.rows(r)).collect())
    }
}

#[async_trait::async_trait]
impl ExtendedQueryHandler for Session {
    type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        ExtendedQueryHandler::query_parser(&self.inner)
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let run = self.cancel.run(&*client);
        let response = run
            .bounded(ExtendedQueryHandler::do_query(
                &self.inner,
                client,
                portal,
                max_rows,
            ))
            .await?;
        Ok(run.rows(response))
    }
}
