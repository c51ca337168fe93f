//! Line-editor support: completion of keywords, tables, views, columns,
//! KPI functions and report names; statements that end with `;`.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use rustyline::completion::{Completer, Pair};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper, Highlighter, Hinter};

/// SQL keywords offered by completion.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "FULL",
    "INNER",
    "OUTER",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION",
    "ALL",
    "WITH",
    "FILTER",
    "OVER",
    "PARTITION",
    "ROWS",
    "RANGE",
    "PRECEDING",
    "FOLLOWING",
    "UNBOUNDED",
    "CURRENT",
    "ROW",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "CREATE",
    "VIEW",
    "TABLE",
    "DROP",
    "DESCRIBE",
    "SHOW",
    "FUNCTIONS",
    "TABLES",
    "EXPLAIN",
    "INTERVAL",
    "CAST",
    "EXTRACT",
    "DATE_TRUNC",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "TRUE",
    "FALSE",
    "EXISTS",
];

/// What completion can offer; refreshed before each prompt.
#[derive(Debug, Default, Clone)]
pub struct Words {
    /// Table and view names.
    pub tables: Vec<String>,
    /// Columns of each table and view.
    pub columns: BTreeMap<String, Vec<String>>,
    /// KPI function names.
    pub functions: Vec<String>,
    /// Report names.
    pub reports: Vec<String>,
}

/// The editor helper.
#[derive(Helper, Hinter, Highlighter)]
pub struct ShellHelper {
    /// Shared with the shell, which refreshes it.
    pub words: Arc<RwLock<Words>>,
}

impl std::fmt::Debug for ShellHelper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShellHelper")
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl ShellHelper {
    /// Candidates for the word ending at `pos`.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let start = line[..pos]
            .char_indices()
            .rev()
            .find(|(_, c)| !is_word(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let prefix = &line[start..pos];
        let words = match self.words.read() {
            Ok(w) => w.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let head = line.trim_start();
        let mut pool: Vec<String> = Vec::new();
        if head.starts_with('\\') {
            let command = head.split_whitespace().next().unwrap_or("");
            match command {
                "\\r" | "\\report" => pool.extend(words.reports.iter().cloned()),
                "\\d" => pool.extend(words.tables.iter().cloned()),
                "\\f" => pool.extend(words.functions.iter().cloned()),
                _ => {}
            }
        } else {
            let lower = prefix.chars().next().is_some_and(char::is_lowercase);
            pool.extend(KEYWORDS.iter().map(|k| {
                if lower {
                    k.to_lowercase()
                } else {
                    (*k).to_string()
                }
            }));
            pool.extend(words.tables.iter().cloned());
            pool.extend(words.functions.iter().cloned());
            // Columns of the tables the statement names.
            let named: Vec<&str> = line.split(|c: char| !is_word(c)).collect();
            for table in &words.tables {
                if named.iter().any(|w| w.eq_ignore_ascii_case(table))
                    && let Some(columns) = words.columns.get(table)
                {
                    pool.extend(columns.iter().cloned());
                }
            }
        }
        let mut found: Vec<String> = pool
            .into_iter()
            .filter(|w| {
                !prefix.is_empty()
                    && w.len() > prefix.len()
                    && w.to_lowercase().starts_with(&prefix.to_lowercase())
            })
            .collect();
        found.sort();
        found.dedup();
        (start, found)
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, found) = self.candidates(line, pos);
        Ok((
            start,
            found
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

/// Whether `input` is a whole thing to run: a backslash command (one line),
/// or SQL ending with `;`.
pub fn is_complete(input: &str) -> bool {
    let trimmed = input.trim();
    trimmed.is_empty() || trimmed.starts_with('\\') || trimmed.ends_with(';')
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ShellHelper {
        let mut columns = BTreeMap::new();
        columns.insert(
            "surveys".to_string(),
            vec!["kind".to_string(), "score".to_string()],
        );
        ShellHelper {
            words: Arc::new(RwLock::new(Words {
                tables: vec!["interactions".into(), "surveys".into()],
                columns,
                functions: vec!["nps".into(), "abandonment_rate".into()],
                reports: vec!["team".into(), "team_month".into()],
            })),
        }
    }

    #[test]
    fn completes_tables_functions_keywords_and_columns_of_named_tables() {
        let h = helper();
        assert_eq!(
            h.candidates("SELECT * FROM inter", 19),
            // The keyword INTERVAL shares the prefix (offered in lower case
            // like the word typed).
            (14, vec!["interactions".to_string(), "interval".to_string()])
        );
        assert_eq!(
            h.candidates("select abandon", 14).1,
            vec!["abandonment_rate".to_string()]
        );
        assert_eq!(h.candidates("sel", 3).1, vec!["select".to_string()]);
        // `kind` only once a table that has it is in the statement.
        assert!(h.candidates("SELECT ki", 9).1.is_empty());
        assert_eq!(
            h.candidates("SELECT ki FROM surveys", 9).1,
            vec!["kind".to_string()]
        );
        assert_eq!(
            h.candidates("\\r team", 7).1,
            vec!["team_month".to_string()]
        );
        assert_eq!(
            h.candidates("\\r te", 5).1,
            vec!["team".to_string(), "team_month".to_string()]
        );
    }

    #[test]
    fn a_statement_is_complete_at_its_semicolon() {
        assert!(!is_complete("SELECT 1"));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1\nFROM t ;  "));
        assert!(is_complete("\\d surveys"));
    }
}
