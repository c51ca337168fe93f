//! Running SQL text that may hold several statements.
//!
//! `SessionContext::sql` takes exactly one statement; files hold several
//! (`CREATE VIEW` then `SELECT`), so they are split with DataFusion's own
//! parser and planned one at a time, each seeing what the previous created.

use datafusion::error::DataFusionError;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::sqlparser::dialect::GenericDialect;

/// One statement with its 1-based position in the text.
#[derive(Debug)]
pub struct Statement {
    /// 1-based position in the text.
    pub number: usize,
    /// The parsed statement.
    pub statement: DFStatement,
}

/// Parses `text` into statements.
pub fn split_statements(text: &str) -> Result<Vec<Statement>, DataFusionError> {
    let statements = DFParser::parse_sql_with_dialect(text, &GenericDialect {})?;
    Ok(statements
        .into_iter()
        .enumerate()
        .map(|(i, statement)| Statement {
            number: i + 1,
            statement,
        })
        .collect())
}

/// Plans and runs one statement. Returns its rows, or `None` for a
/// statement that returns none (DDL, `SET`).
pub async fn execute(
    ctx: &SessionContext,
    statement: DFStatement,
) -> Result<Option<SendableRecordBatchStream>, DataFusionError> {
    let plan = ctx.state().statement_to_plan(statement).await?;
    let df = ctx.execute_logical_plan(plan).await?;
    if df.schema().fields().is_empty() {
        // DDL yields an empty result; running it is its effect.
        df.collect().await?;
        return Ok(None);
    }
    Ok(Some(df.execute_stream().await?))
}
