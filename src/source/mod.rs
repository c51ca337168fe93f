//! Sources (issue 29, DESIGN §1 "Sources"): the lake contract as SQL views
//! over another schema, such as Zendesk's as Fivetran lands it.
//!
//! A source is a folder of SQL, built in (`queries/sources/<name>/`) or the
//! user's own (`--source DIR`):
//!
//! - `source.sql` declares it: `-- @source NAME`, `-- @description ...`,
//!   and one `-- @table NAME required|optional | column type, ...` per raw
//!   table it reads (types `int`, `float`, `string`, `bool`, `timestamp`,
//!   `date`; a `?` after the type: the column may be missing, and reads as
//!   NULL).
//! - `<contract table>.sql` (`interactions.sql`, `surveys.sql`, ...): a
//!   query whose rows are that table. Its columns are matched to the
//!   contract's by name and cast to the contract's types; a nullable
//!   contract column it leaves out is NULL. `interactions` and `surveys`
//!   are required; a contract table the source does not define is
//!   registered empty, as a lake's missing optional table is, so the
//!   reports that `@needs` it say so.
//! - any other `<name>.sql`: a helper view the others read, registered
//!   first, in name order; a line `-- @cached` in it has it computed once
//!   per session, like the contract's tables.
//! - `reports/*.sql`: reports shipped with the source (Zendesk's
//!   `ticket_metrics`), beside the preset ones.
//!
//! The raw tables are the lake's own tables (`crate::lake::own`), each
//! checked against its declaration when the lake opens and read through a
//! projection to the declared types: ids of any integer type as `Int64`,
//! timestamps of any unit and zone as UTC microseconds (Fivetran's have no
//! zone and mean UTC), so the views are written once for every writer.

mod cached;
mod install;

use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub use install::install;

use crate::lake::Table;
use crate::reports::{Origin, Query, ReportError};

static BUILTIN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/queries/sources");

/// A source: the raw tables it reads and the views that make them the
/// contract's tables.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its name (`zendesk`, or the folder's `@source`).
    pub name: String,
    /// Where it was read from: `built-in source zendesk` or the folder.
    pub origin: String,
    /// What it reads.
    pub description: String,
    /// The raw tables, in declaration order.
    pub tables: Vec<RawTable>,
    /// Helper views, in name order: (name, SQL, whether it is `-- @cached`:
    /// computed once per session, for a helper several queries or one
    /// query twice read).
    pub helpers: Vec<(String, String, bool)>,
    /// The contract tables it defines: (table, file, SQL).
    pub views: Vec<(Table, String, String)>,
    /// Reports shipped with the source.
    pub reports: Vec<Query>,
    /// Its own row checks of a contract table (`checks/<table>.sql`: rows
    /// of `problem`, `detail`, as `queries/checks/`), run by `validate`.
    pub checks: Vec<(Table, String)>,
    /// Report columns it cannot give, and why (`-- @blank col, ... | why`).
    pub blank: Vec<(Vec<String>, String)>,
    /// Reports it cannot give, and why (`-- @cannot report, ... | why`).
    pub cannot: Vec<(Vec<String>, String)>,
}

/// A raw table a source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable {
    /// Its name in the lake.
    pub name: String,
    /// Whether a lake without it is an error (else it reads as empty).
    pub required: bool,
    /// Its columns, in declaration order.
    pub columns: Vec<RawColumn>,
}

/// A declared column of a raw table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawColumn {
    /// Its name.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// Whether a file may lack it (`type?`): it then reads as NULL.
    pub optional: bool,
}

/// The declared type of a raw column, and what a file may hold for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any integer type, read as `Int64`.
    Int,
    /// Any number, read as `Float64`.
    Float,
    /// Any string type, read as `Utf8View`.
    String,
    /// A boolean.
    Bool,
    /// A timestamp of any unit and zone (none: UTC), read as UTC
    /// microseconds.
    Timestamp,
    /// A date, a timestamp or a `YYYY-MM-DD` string, read as `Date32`.
    Date,
}

impl Kind {
    fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "int" => Kind::Int,
            "float" => Kind::Float,
            "string" => Kind::String,
            "bool" => Kind::Bool,
            "timestamp" => Kind::Timestamp,
            "date" => Kind::Date,
            _ => return None,
        })
    }

    /// The type the column is read as.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::String => DataType::Utf8View,
            Kind::Bool => DataType::Boolean,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Date => DataType::Date32,
        }
    }

    /// Whether a file column of type `found` can be read as this kind.
    pub fn accepts(self, found: &DataType) -> bool {
        let found = match found {
            DataType::Dictionary(_, value) => value.as_ref(),
            other => other,
        };
        let string = matches!(
            found,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        match self {
            Kind::Int => found.is_integer(),
            Kind::Float => found.is_numeric(),
            Kind::String => string,
            Kind::Bool => matches!(found, DataType::Boolean),
            Kind::Timestamp => matches!(found, DataType::Timestamp(_, _)),
            Kind::Date => {
                string
                    || matches!(
                        found,
                        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
                    )
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::String => "string",
            Kind::Bool => "bool",
            Kind::Timestamp => "timestamp",
            Kind::Date => "date",
        }
    }
}

impl RawTable {
    /// The schema the table is read as.
    pub fn schema(&self) -> SchemaRef {
        std::sync::Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.kind.data_type(), true))
                .collect::<Vec<_>>(),
        ))
    }
}

/// Why a source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Neither a built-in source nor a folder.
    #[error(
        "no source {0:?}: give a built-in source ({builtin}) or a folder holding source.sql",
        builtin = builtin_names().join(", ")
    )]
    Unknown(String),
    /// A file of the source that cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file of the source that is not what it must be.
    #[error("{file}: {reason}")]
    Bad {
        /// The file (and line).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A report of the source.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// The names of the built-in sources.
pub fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTIN
        .dirs()
        .filter_map(|d| d.path().file_name()?.to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

impl Source {
    /// The source `spec`: a built-in name, else a folder.
    pub fn load(spec: &str) -> Result<Source, SourceError> {
        if let Some(dir) = BUILTIN.get_dir(spec)
            && !spec.contains(['/', '.'])
        {
            let mut files = Vec::new();
            collect_builtin(dir, &mut files);
            return Source::from_files(&format!("built-in source {spec}"), files, true);
        }
        let path = Path::new(spec);
        if !path.join("source.sql").is_file() {
            return Err(SourceError::Unknown(spec.to_string()));
        }
        let mut files = Vec::new();
        collect_folder(path, path, &mut files)?;
        Source::from_files(&path.display().to_string(), files, false)
    }

    /// A source from its files: (path relative to the source's folder,
    /// text).
    fn from_files(
        origin: &str,
        mut files: Vec<(String, String)>,
        builtin: bool,
    ) -> Result<Source, SourceError> {
        files.sort();
        let at = |file: &str| format!("{origin}: {file}");
        let Some((_, declaration)) = files.iter().find(|(f, _)| f == "source.sql") else {
            return Err(SourceError::Bad {
                file: at("source.sql"),
                reason: "missing".to_string(),
            });
        };
        let Declaration {
            name,
            description,
            tables,
            blank,
            cannot,
        } = parse_declaration(&at("source.sql"), declaration)?;
        let mut helpers = Vec::new();
        let mut views = Vec::new();
        let mut reports = Vec::new();
        let mut checks = Vec::new();
        for (file, sql) in &files {
            if let Some(check) = file.strip_prefix("checks/") {
                let stem = check.trim_end_matches(".sql");
                let table = Table::from_name(stem).ok_or_else(|| SourceError::Bad {
                    file: at(file),
                    reason: format!(
                        "checks/ holds one file per contract table, and `{stem}` is none"
                    ),
                })?;
                checks.push((table, sql.clone()));
                continue;
            }
            if file == "source.sql" || !file.ends_with(".sql") {
                continue;
            }
            if file.starts_with("reports/") {
                let origin = if builtin {
                    Origin::Builtin
                } else {
                    Origin::File(PathBuf::from(origin).join(file))
                };
                reports.push(crate::reports::parse("report", &at(file), sql, origin)?);
                continue;
            }
            if file.contains('/') {
                continue;
            }
            let stem = file.trim_end_matches(".sql");
            if !crate::lake::own::is_table_name(stem) {
                return Err(SourceError::Bad {
                    file: at(file),
                    reason: "a view's file name must be a table name (a-z, 0-9, _)".to_string(),
                });
            }
            match Table::from_name(stem) {
                Some(table) => views.push((table, at(file), sql.clone())),
                None => helpers.push((
                    stem.to_string(),
                    sql.clone(),
                    sql.lines().any(|l| l.trim() == "-- @cached"),
                )),
            }
        }
        for required in Table::ALL.into_iter().filter(|t| t.required()) {
            if !views.iter().any(|(t, _, _)| *t == required) {
                return Err(SourceError::Bad {
                    file: at(&format!("{required}.sql")),
                    reason: "missing: every source defines the contract's required tables \
                             (interactions, surveys)"
                        .to_string(),
                });
            }
        }
        for table in &tables {
            if Table::from_name(&table.name).is_some() {
                return Err(SourceError::Bad {
                    file: at("source.sql"),
                    reason: format!(
                        "the raw table `{}` has the name of a contract table, which the \
                         source's views define; a source reads other tables",
                        table.name
                    ),
                });
            }
        }
        Ok(Source {
            name,
            origin: origin.to_string(),
            description,
            tables,
            helpers,
            views,
            reports,
            checks,
            blank,
            cannot,
        })
    }

    /// Marks what of `report` this source cannot give (its `@blank`
    /// columns, its `@cannot` reports).
    pub fn limit(&self, report: &mut Query) {
        for table in &report.needs {
            if !self.views.iter().any(|(t, _, _)| t == table) {
                report.cannot = Some(format!(
                    "it needs the table {table}, which the {} source does not define (a \
                     source of your own, --source DIR, may: a view {table}.sql)",
                    self.name
                ));
            }
        }
        for (reports, why) in &self.cannot {
            if reports.contains(&report.name) {
                report.cannot = Some(format!("the {} source {why}", self.name));
            }
        }
        for (columns, why) in &self.blank {
            for column in &report.columns {
                if columns.contains(&column.name) {
                    report.blank.push((
                        column.name.clone(),
                        format!("the {} source {why}", self.name),
                    ));
                }
            }
        }
    }
}

/// What `source.sql` declares.
struct Declaration {
    name: String,
    description: String,
    tables: Vec<RawTable>,
    blank: Vec<(Vec<String>, String)>,
    cannot: Vec<(Vec<String>, String)>,
}

fn collect_builtin(dir: &include_dir::Dir<'static>, out: &mut Vec<(String, String)>) {
    let base = dir.path();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for file in d.files() {
            if let (Ok(rel), Some(text)) = (file.path().strip_prefix(base), file.contents_utf8()) {
                out.push((rel.to_string_lossy().replace('\\', "/"), text.to_string()));
            }
        }
        stack.extend(d.dirs());
    }
}

fn collect_folder(
    base: &Path,
    dir: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), SourceError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SourceError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let rel = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if rel == "reports" || rel == "checks" {
                collect_folder(base, &path, out)?;
            }
        } else if rel.ends_with(".sql") {
            out.push((rel, std::fs::read_to_string(&path).map_err(io(&path))?));
        }
    }
    Ok(())
}

/// `source.sql`'s header: name, description, raw tables.
fn parse_declaration(file: &str, text: &str) -> Result<Declaration, SourceError> {
    let mut name = None;
    let mut description = String::new();
    let mut tables: Vec<RawTable> = Vec::new();
    let mut blank = Vec::new();
    let mut cannot = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |reason: String| SourceError::Bad {
            file: format!("{file}:{}", n + 1),
            reason,
        };
        let Some(rest) = line.trim().strip_prefix("-- @") else {
            continue;
        };
        let (tag, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let rest = rest.trim();
        match tag {
            "source" => name = Some(rest.to_string()),
            "description" => description = rest.to_string(),
            "blank" | "cannot" => {
                let (names, why) = rest
                    .split_once('|')
                    .ok_or_else(|| bad(format!("@{tag} NAME, NAME | why")))?;
                let names: Vec<String> = names
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect();
                let entry = (names, why.trim().to_string());
                if tag == "blank" {
                    blank.push(entry);
                } else {
                    cannot.push(entry);
                }
            }
            "table" => {
                let (head, columns) = rest.split_once('|').ok_or_else(|| {
                    bad("@table NAME required|optional | column type, ...".into())
                })?;
                let mut head = head.split_whitespace();
                let (Some(tname), Some(need), None) = (head.next(), head.next(), head.next())
                else {
                    return Err(bad(
                        "@table NAME required|optional | column type, ...".into()
                    ));
                };
                if !crate::lake::own::is_table_name(tname) {
                    return Err(bad(format!("{tname:?} is not a table name")));
                }
                let required = match need {
                    "required" => true,
                    "optional" => false,
                    other => return Err(bad(format!("{other:?}: required or optional"))),
                };
                let mut cols = Vec::new();
                for column in columns.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    let (cname, ty) = column
                        .split_once(char::is_whitespace)
                        .ok_or_else(|| bad(format!("{column:?}: a column is `name type`")))?;
                    let ty = ty.trim();
                    let (ty, optional) = match ty.strip_suffix('?') {
                        Some(t) => (t, true),
                        None => (ty, false),
                    };
                    let kind = Kind::parse(ty).ok_or_else(|| {
                        bad(format!(
                            "{ty:?} for {cname}: a type is int, float, string, bool, \
                             timestamp or date"
                        ))
                    })?;
                    cols.push(RawColumn {
                        name: cname.to_string(),
                        kind,
                        optional,
                    });
                }
                match tables.iter_mut().find(|t| t.name == tname) {
                    // A long declaration may continue on another line.
                    Some(t) if t.required == required => t.columns.extend(cols),
                    Some(_) => {
                        return Err(bad(format!(
                            "{tname} is declared both required and optional"
                        )));
                    }
                    None => tables.push(RawTable {
                        name: tname.to_string(),
                        required,
                        columns: cols,
                    }),
                }
            }
            _ => {}
        }
    }
    let name = name.ok_or_else(|| SourceError::Bad {
        file: file.to_string(),
        reason: "no `-- @source NAME` line".to_string(),
    })?;
    Ok(Declaration {
        name,
        description,
        tables,
        blank,
        cannot,
    })
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
