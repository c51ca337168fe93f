//! One connection's queries: datafusion-postgres's `DfSessionService` over
//! the connection's own `SessionContext`, behind a read-only guard and the
//! cancel / timeout guard of [`super::cancel`].

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Expr, ObjectName, ObjectNamePart, Set, Statement, Value};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion_postgres::arrow_pg::datatypes::df;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::{DfSessionService, Parser, QueryHook, pgwire};
use futures::Sink;
use pgwire::api::DEFAULT_NAME;
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::Execute;
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::simplequery::Query;
use pgwire::types::format::FormatOptions;

use super::auth::{logged_in, not_logged_in};
use super::cancel::Cancel;
use crate::zone::Zone;

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
            Arc::new(ReadOnly {
                default_timeout: cancel.default_timeout(),
                default_zone: crate::settings::Settings::of(
                    ctx.state_ref().read().config_options(),
                )
                .time_zone,
            }),
            Arc::new(super::transactions::Transactions),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
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
    super::limits::check_depth(statement)?;
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
        | S::Savepoint { .. }
        | S::ReleaseSavepoint { .. }
        | S::Declare { .. }
        | S::Fetch { .. }
        | S::Close { .. }
        | S::Discard { .. }
        | S::Deallocate { .. } => Ok(()),
        S::Explain { statement, .. } => allowed(statement),
        S::Set(set) => settable(set),
        other => {
            let text = other.to_string();
            let what: Vec<&str> = text.split_whitespace().take(2).collect();
            Err(read_only_error(&what.join(" ")))
        }
    }
}

/// The names a `SET` assigns, as DataFusion reads them (quotes removed,
/// lower-cased: a conservative match).
fn set_names(set: &Set) -> Vec<String> {
    let name = |n: &ObjectName| {
        n.0.iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => ident.value.to_ascii_lowercase(),
                other => other.to_string().to_ascii_lowercase(),
            })
            .collect::<Vec<_>>()
            .join(".")
    };
    match set {
        Set::SingleAssignment { variable, .. } => vec![name(variable)],
        Set::ParenthesizedAssignments { variables, .. } => variables.iter().map(name).collect(),
        Set::MultipleAssignments { assignments } => {
            assignments.iter().map(|a| name(&a.name)).collect()
        }
        _ => vec![],
    }
}

/// `SET` of a PostgreSQL session setting (kept per connection or ignored)
/// or of DataFusion's execution, optimizer and explain options is allowed;
/// the other `datafusion.*` options are the server's: the runtime (memory
/// pool, spill directory), the SQL parser (which would make the guard
/// read a statement differently from the engine), the catalog.
fn settable(set: &Set) -> Result<(), PgWireError> {
    let names = set_names(set);
    super::limits::check_setting(set, &names)?;
    for name in names {
        let allowed = !name.starts_with("datafusion.")
            || [
                "datafusion.execution.",
                "datafusion.optimizer.",
                "datafusion.explain.",
            ]
            .iter()
            .any(|p| name.starts_with(p));
        if !allowed {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "42501".into(),
                format!(
                    "permission denied to set {name}: kpiql serve lets a session set \
                     datafusion.execution.*, datafusion.optimizer.* and datafusion.explain.* \
                     (the runtime, parser and catalog options are the server's)"
                ),
            ))));
        }
    }
    Ok(())
}

/// The queries a statement runs: itself, or a cursor's `FOR` queries.
fn queries_of(statement: &Statement) -> Vec<Statement> {
    match statement {
        Statement::Query(_) | Statement::Explain { .. } => vec![statement.clone()],
        Statement::Declare { stmts } => stmts
            .iter()
            .filter_map(|d| d.for_query.as_ref())
            .map(|q| Statement::Query(q.clone()))
            .collect(),
        _ => vec![],
    }
}

/// Plans each query `statement` runs and refuses one that would create or
/// change something. A query the guard cannot plan is refused with its
/// planning error: the statement that runs must be the one checked.
async fn check_queries(statement: &Statement, ctx: &SessionContext) -> Result<(), PgWireError> {
    for query in queries_of(statement) {
        let plan = ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                query,
            )))
            .await
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        plan_allowed(&plan)?;
    }
    Ok(())
}

/// `SET statement_timeout`'s value in milliseconds (0: none), read by
/// [`super::cancel::duration_ms`].
fn statement_timeout_of(set: &Set) -> Option<u64> {
    let Set::SingleAssignment {
        variable, values, ..
    } = set
    else {
        return None;
    };
    if !variable
        .to_string()
        .eq_ignore_ascii_case("statement_timeout")
    {
        return None;
    }
    let text = values.first()?.to_string();
    super::cancel::duration_ms(text.trim_matches(|c| c == '\'' || c == '"'))
}

/// The zone a `SET TIME ZONE 'X'` or `SET timezone = 'X'` names, as
/// written (`DEFAULT` and `LOCAL` as such); `None` for another statement.
fn time_zone_set(statement: &Statement) -> Option<String> {
    let Statement::Set(set) = statement else {
        return None;
    };
    let value = match set {
        Set::SetTimeZone { value, .. } => value,
        Set::SingleAssignment {
            variable, values, ..
        } if variable.to_string().eq_ignore_ascii_case("timezone") => values.first()?,
        _ => return None,
    };
    Some(match value {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) => text.clone(),
            other => other.to_string(),
        },
        // pgcli sends `set time zone "Etc/UTC"`, a quoted identifier.
        Expr::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    })
}

/// A session's `SET TIME ZONE` is its report time zone (`kpiql.time_zone`,
/// which `report(...)` binds its periods in; DESIGN §5 "kpiql serve"):
/// an IANA name or UTC, `DEFAULT`/`LOCAL` the server's `--time-zone`.
/// Another zone is refused (22023) before anything changes.
fn set_report_zone(statement: &Statement, ctx: &SessionContext, default: Zone) -> PgWireResult<()> {
    let Some(text) = time_zone_set(statement) else {
        return Ok(());
    };
    let zone = if ["default", "local"].contains(&text.to_ascii_lowercase().as_str()) {
        default
    } else {
        Zone::parse(&text).map_err(|e| {
            PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "22023".into(),
                format!("invalid value for parameter \"TimeZone\": {e}"),
            )))
        })?
    };
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .set("kpiql.time_zone", zone.name())
        .map_err(|e| PgWireError::ApiError(Box::new(e)))
}

/// Records a client's `SET statement_timeout` for [`super::cancel`] (0
/// turns the server's default off; datafusion-postgres, which also sees
/// the statement, keeps it for `SHOW`).
fn note_statement_timeout(statement: &Statement, client: &mut dyn HookClient) {
    if let Statement::Set(set) = statement
        && let Some(ms) = statement_timeout_of(set)
    {
        client
            .metadata_mut()
            .insert(super::cancel::TIMEOUT_KEY.to_string(), ms.to_string());
    }
}

/// The `statement_timeout` in force for `client` as PostgreSQL shows it:
/// `30s`, `500ms`, or `0` for none.
fn statement_timeout_text(
    client: &(dyn HookClient + '_),
    default: Option<std::time::Duration>,
) -> String {
    let ms = match client.metadata().get(super::cancel::TIMEOUT_KEY) {
        Some(ms) => ms.parse().unwrap_or(0),
        None => default.map_or(0, |d| d.as_millis() as u64),
    };
    match ms {
        0 => "0".to_string(),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

/// `SHOW timezone` (the session's report time zone), `SHOW
/// server_version` (the version the server gave at login), `SHOW
/// statement_timeout` (the client's, else the server's default) and `SHOW
/// memory_limit` (the server's pool, shared by every connection).
fn show(
    statement: &Statement,
    ctx: &SessionContext,
    client: &(dyn HookClient + '_),
    default_timeout: Option<std::time::Duration>,
) -> Option<PgWireResult<Response>> {
    let Statement::ShowVariable { variable } = statement else {
        return None;
    };
    let name = variable
        .iter()
        .map(|v| v.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let value = match name.as_str() {
        // The session's report time zone (`SET TIME ZONE`).
        "timezone" | "time zone" => {
            crate::settings::Settings::of(ctx.state_ref().read().config_options())
                .time_zone
                .name()
                .to_string()
        }
        "server_version" => super::auth::SERVER_VERSION.to_string(),
        "statement_timeout" => statement_timeout_text(client, default_timeout),
        "memory_limit" => super::memory_limit_text(ctx),
        _ => return None,
    };
    let fields = Arc::new(vec![FieldInfo::new(
        name,
        None,
        None,
        Type::VARCHAR,
        FieldFormat::Text,
    )]);
    let mut encoder = DataRowEncoder::new(Arc::clone(&fields));
    Some(encoder.encode_field(&Some(value.as_str())).map(|()| {
        let row = encoder.take_row();
        Response::Query(QueryResponse::new(
            fields,
            Box::pin(futures::stream::once(async move { Ok(row) })),
        ))
    }))
}

/// A plan that creates or changes something (`SELECT ... INTO`, DML, DDL)
/// is refused even when its statement looks like a query.
fn plan_allowed(plan: &LogicalPlan) -> Result<(), PgWireError> {
    crate::reports::read_only()
        .verify_plan(plan)
        .map_err(|e| read_only_error(&format!("this statement ({e})")))
}

/// `statement` rewritten into forms DataFusion reads
/// ([`super::catalog::rewrite`]), for queries only; `None` when it needs no
/// change.
fn compatible(statement: &Statement) -> Option<Statement> {
    match statement {
        Statement::Query(_) => super::catalog::rewrite::rewrite(statement),
        _ => None,
    }
}

/// Runs a rewritten query as datafusion-postgres runs one (which would run
/// the text the client sent), its rows in the client's formats.
async fn run_query(
    query: &Statement,
    ctx: &SessionContext,
    client: &(dyn HookClient + '_),
) -> PgWireResult<Response> {
    let df = ctx
        .sql(&query.to_string())
        .await
        .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
    let format = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
    let rows = df::encode_dataframe(df, &Format::UnifiedText, Some(format)).await?;
    Ok(Response::Query(rows))
}

/// The read-only guard, first of the hooks.
#[derive(Debug)]
struct ReadOnly {
    /// The server's `--statement-timeout`, for `SHOW statement_timeout`.
    default_timeout: Option<std::time::Duration>,
    /// The server's `--time-zone`, for `SET TIME ZONE DEFAULT`.
    default_zone: Zone,
}

#[async_trait::async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if !logged_in(&*client) {
            return Some(Err(not_logged_in()));
        }
        // The depth first: rewriting walks the statement.
        if let Err(e) = super::limits::check_depth(statement) {
            return Some(Err(e));
        }
        let rewritten = compatible(statement);
        let statement = rewritten.as_ref().unwrap_or(statement);
        if let Some(e) = super::transactions::aborted(statement, client.transaction_status()) {
            return Some(Err(e));
        }
        if let Err(e) = allowed(statement) {
            return Some(Err(e));
        }
        if let Err(e) = check_queries(statement, ctx).await {
            return Some(Err(e));
        }
        if let Err(e) = set_report_zone(statement, ctx, self.default_zone) {
            return Some(Err(e));
        }
        note_statement_timeout(statement, client);
        if let Some(shown) = show(statement, ctx, client, self.default_timeout) {
            return Some(shown);
        }
        match rewritten {
            Some(query) => Some(run_query(&query, ctx, &*client).await),
            None => None,
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        if !logged_in(client) {
            return Some(Err(not_logged_in()));
        }
        if let Some(e) = super::transactions::aborted(statement, client.transaction_status()) {
            return Some(Err(e));
        }
        if let Err(e) = allowed(statement) {
            return Some(Err(e));
        }
        // A cursor's query is planned by the cursor hook only when it
        // runs: check it now.
        if matches!(statement, Statement::Declare { .. })
            && let Err(e) = check_queries(statement, ctx).await
        {
            return Some(Err(e));
        }
        // A query in a form DataFusion does not read is planned as
        // rewritten; the plan is checked when it runs (handle_extended_query).
        let query = compatible(statement)?;
        Some(
            ctx.state()
                .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                    query,
                )))
                .await
                .map_err(|e| PgWireError::ApiError(Box::new(e))),
        )
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        plan: &LogicalPlan,
        _params: &ParamValues,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if !logged_in(&*client) {
            return Some(Err(not_logged_in()));
        }
        if let Some(e) = super::transactions::aborted(statement, client.transaction_status()) {
            return Some(Err(e));
        }
        if let Err(e) = allowed(statement) {
            return Some(Err(e));
        }
        if let Err(e) = plan_allowed(plan) {
            return Some(Err(e));
        }
        if matches!(statement, Statement::Declare { .. })
            && let Err(e) = check_queries(statement, ctx).await
        {
            return Some(Err(e));
        }
        if let Err(e) = set_report_zone(statement, ctx, self.default_zone) {
            return Some(Err(e));
        }
        note_statement_timeout(statement, client);
        show(statement, ctx, client, self.default_timeout)
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

/// `ROLLBACK TO SAVEPOINT` in a failed transaction returns it to an open
/// one (`E` to `T`), which pgwire cannot express: it derives the status
/// from the kind of response, starting from the status before the
/// statement. So before such a statement runs, the status is set to `T`;
/// the statement (a no-op, [`super::transactions`]) then leaves it there.
fn recover_at_rollback_to(statement: &Statement, client: &mut (impl ClientInfo + ?Sized)) {
    if client.transaction_status() == TransactionStatus::Error
        && matches!(
            statement,
            Statement::Rollback {
                savepoint: Some(_),
                ..
            }
        )
    {
        client.set_transaction_status(TransactionStatus::Transaction);
    }
}

#[async_trait::async_trait]
impl SimpleQueryHandler for Session {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // Only a failed transaction's text is parsed here, and only when
        // it is short enough to be one statement.
        if logged_in(&*client)
            && client.transaction_status() == TransactionStatus::Error
            && query.query.len() < 1024
            && let Ok(statements) = SqlParser::parse_sql(&PostgreSqlDialect {}, &query.query)
            && let [statement] = statements.as_slice()
        {
            recover_at_rollback_to(statement, client);
        }
        self._on_query(client, query).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !logged_in(&*client) {
            return Err(not_logged_in());
        }
        super::limits::check_size(query)?;
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

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        if logged_in(&*client)
            && let Some(Entry::Value(portal)) = client.portal_store().get_portal(name)
            && let (_, Some((statement, _))) = &portal.statement.statement
        {
            recover_at_rollback_to(statement, client);
        }
        self._on_execute(client, message).await
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
        if !logged_in(&*client) {
            return Err(not_logged_in());
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser as SqlParser;

    fn set(sql: &str) -> Set {
        match SqlParser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0)
        {
            Statement::Set(set) => set,
            other => panic!("not a SET: {other}"),
        }
    }

    #[test]
    fn statement_timeout_reads_like_postgresql() {
        for (sql, ms) in [
            ("SET statement_timeout = 0", Some(0)),
            ("SET statement_timeout = 1500", Some(1500)),
            ("SET statement_timeout = '300ms'", Some(300)),
            ("SET statement_timeout TO '2s'", Some(2000)),
            ("SET statement_timeout = '5min'", Some(300_000)),
            ("SET statement_timeout = '1h'", Some(3_600_000)),
            ("SET statement_timeout = 'soon'", None),
            ("SET application_name = 'x'", None),
        ] {
            assert_eq!(statement_timeout_of(&set(sql)), ms, "{sql}");
        }
    }

    #[test]
    fn the_zone_of_each_form_of_set_time_zone_clients_send() {
        let zone = |sql: &str| {
            let statement = SqlParser::parse_sql(&PostgreSqlDialect {}, sql)
                .expect("parses")
                .remove(0);
            time_zone_set(&statement)
        };
        // psql users, SQLAlchemy's docs, and pgcli (a quoted identifier).
        for sql in [
            "SET TIME ZONE 'Europe/Warsaw'",
            "SET timezone = 'Europe/Warsaw'",
            "SET TimeZone TO 'Europe/Warsaw'",
            "set time zone \"Europe/Warsaw\"",
        ] {
            assert_eq!(zone(sql).as_deref(), Some("Europe/Warsaw"), "{sql}");
        }
        assert_eq!(zone("SET TIME ZONE DEFAULT").as_deref(), Some("DEFAULT"));
        assert_eq!(zone("SET application_name = 'x'"), None);
        assert_eq!(zone("SELECT 1"), None);
    }

    #[test]
    fn only_a_sessions_own_options_may_be_set() {
        for sql in [
            "SET application_name = 'x'",
            "SET datafusion.execution.batch_size = 1024",
            "SET datafusion.optimizer.max_passes = 2",
            "SET TIME ZONE 'UTC'",
        ] {
            assert!(settable(&set(sql)).is_ok(), "{sql}");
        }
        for sql in [
            "SET datafusion.runtime.memory_limit = '1G'",
            "SET datafusion.\"runtime\".memory_limit = '1G'",
            "SET DATAFUSION.RUNTIME.TEMP_DIRECTORY = '/x'",
            "SET datafusion.sql_parser.dialect = 'mysql'",
            "SET datafusion.catalog.information_schema = false",
        ] {
            assert!(settable(&set(sql)).is_err(), "{sql}");
        }
    }
}
