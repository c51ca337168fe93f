//! `-- @chart` header lines: which charts a report's HTML page shows
//! (DESIGN §4 "HTML pages"). Declared in the report's own file, so a
//! user's report gets charts without Rust.
//!
//! ```sql
//! -- @chart KIND key=value ... | Title
//! -- @chart bars x=month y=interactions,interactions_prev_year | Interactions per month, and a year earlier
//! -- @chart lines x=month y=aht_seconds facet=team | Average handle time per team
//! -- @chart hbars x=team y=csat_pct | CSAT per team
//! -- @chart ranking x=customer_id y=chat_interactions rank=rank_most_chat | Most chat contacts
//! ```
//!
//! Kinds: `bars` (vertical bars over the categories of `x`, one bar per
//! `y` column or `series` value, side by side), `hbars` (horizontal bars,
//! one `y`, sorted by value, coloured by target status when targets are
//! given, over the target band), `lines` (a line with a point per value,
//! over an ordered `x` such as months), `ranking` (a table of the rows
//! with a `rank`, in rank order).
//!
//! Keys: `x=COLUMN` (categories), `y=COLUMN[,COLUMN...]` (numbers),
//! `facet=COLUMN` (one small chart per value: small multiples),
//! `series=COLUMN` (one bar or line per value of this column, with one
//! `y`), `where=COLUMN:VALUE` (only those rows; repeatable),
//! `ref=NUMBER|$param` (a reference line, e.g. a goal), `scale=shared|free`
//! (facets on one value axis, the default, or each on its own),
//! `sort=desc|asc|none` (`hbars`; default desc), `rank=COLUMN` (`ranking`).

use std::fmt;

use super::{Column, Param};

/// What a chart looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical bars over categories, side by side per series.
    Bars,
    /// Horizontal bars, one value per category, sorted.
    HBars,
    /// Lines with a point per value, over ordered categories.
    Lines,
    /// A ranked list as a table.
    Ranking,
}

impl ChartKind {
    /// As written in headers.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Bars => "bars",
            ChartKind::HBars => "hbars",
            ChartKind::Lines => "lines",
            ChartKind::Ranking => "ranking",
        }
    }
}

/// The order of an `hbars` chart's bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Largest first.
    Desc,
    /// Smallest first.
    Asc,
    /// As the report orders its rows.
    None,
}

/// A reference line's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// A number.
    Value(f64),
    /// The value of a report parameter.
    Param(String),
}

/// One `@chart` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The kind.
    pub kind: ChartKind,
    /// The category column.
    pub x: String,
    /// The value columns.
    pub y: Vec<String>,
    /// Small multiples: one chart per value of this column.
    pub facet: Option<String>,
    /// One series per value of this column (with one `y`).
    pub series: Option<String>,
    /// Only rows where each column's value (as text) is the one given.
    pub filter: Vec<(String, String)>,
    /// A reference line.
    pub reference: Option<Reference>,
    /// Facets on their own value axes.
    pub free_scale: bool,
    /// Bar order (`hbars`).
    pub sort: Sort,
    /// The rank column (`ranking`).
    pub rank: Option<String>,
    /// The title.
    pub title: String,
    /// The header line it was declared on (1-based).
    pub line: usize,
}

/// Why a `@chart` line is wrong (the caller adds file and line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const USAGE: &str = "expected `@chart bars|hbars|lines|ranking x=COLUMN y=COLUMN[,COLUMN...] [facet=COLUMN] [series=COLUMN] [where=COLUMN:VALUE] [ref=NUMBER|$param] [scale=shared|free] [sort=desc|asc|none] [rank=COLUMN] | Title`";

impl Chart {
    /// Parses the text after `@chart` on header line `line`; columns and
    /// parameters are checked later, by [`Chart::check`].
    pub fn parse(text: &str, line: usize) -> Result<Chart, ChartError> {
        let err = |reason: String| ChartError(format!("{reason}; {USAGE}"));
        let (spec, title) = text
            .split_once('|')
            .ok_or_else(|| err("no `| Title`".into()))?;
        let title = title.trim();
        if title.is_empty() {
            return Err(err("an empty title".into()));
        }
        let mut words = spec.split_whitespace();
        let kind = match words.next() {
            Some("bars") => ChartKind::Bars,
            Some("hbars") => ChartKind::HBars,
            Some("lines") => ChartKind::Lines,
            Some("ranking") => ChartKind::Ranking,
            Some(other) => return Err(err(format!("unknown chart kind {other:?}"))),
            None => return Err(err("no chart kind".into())),
        };
        let mut chart = Chart {
            kind,
            x: String::new(),
            y: Vec::new(),
            facet: None,
            series: None,
            filter: Vec::new(),
            reference: None,
            free_scale: false,
            sort: if kind == ChartKind::HBars {
                Sort::Desc
            } else {
                Sort::None
            },
            rank: None,
            title: title.to_string(),
            line,
        };
        for word in words {
            let (key, value) = word
                .split_once('=')
                .filter(|(_, v)| !v.is_empty())
                .ok_or_else(|| err(format!("{word:?} is not key=value")))?;
            match key {
                "x" => chart.x = value.to_string(),
                "y" => chart.y = value.split(',').map(str::to_string).collect(),
                "facet" => chart.facet = Some(value.to_string()),
                "series" => chart.series = Some(value.to_string()),
                "rank" => chart.rank = Some(value.to_string()),
                "where" => {
                    let (c, v) = value
                        .split_once(':')
                        .ok_or_else(|| err(format!("where={value}: expected COLUMN:VALUE")))?;
                    chart.filter.push((c.to_string(), v.to_string()));
                }
                "ref" => {
                    chart.reference = Some(match value.strip_prefix('$') {
                        Some(param) => Reference::Param(param.to_string()),
                        None => Reference::Value(value.parse().map_err(|_| {
                            err(format!("ref={value}: expected a number or $param"))
                        })?),
                    })
                }
                "scale" => {
                    chart.free_scale = match value {
                        "shared" => false,
                        "free" => true,
                        _ => return Err(err(format!("scale={value}: expected shared or free"))),
                    }
                }
                "sort" => {
                    chart.sort = match value {
                        "desc" => Sort::Desc,
                        "asc" => Sort::Asc,
                        "none" => Sort::None,
                        _ => return Err(err(format!("sort={value}: expected desc, asc or none"))),
                    }
                }
                other => return Err(err(format!("unknown key {other:?}"))),
            }
        }
        if chart.x.is_empty() {
            return Err(err("no x=COLUMN".into()));
        }
        if chart.y.is_empty() || chart.y.iter().any(String::is_empty) {
            return Err(err("no y=COLUMN".into()));
        }
        if chart.series.is_some() && chart.y.len() > 1 {
            return Err(err("series= takes one y column".into()));
        }
        if kind == ChartKind::HBars && (chart.y.len() > 1 || chart.series.is_some()) {
            return Err(err("hbars shows one y column and no series".into()));
        }
        if (kind == ChartKind::Ranking) != chart.rank.is_some() {
            return Err(err("rank=COLUMN goes with ranking, and only there".into()));
        }
        Ok(chart)
    }

    /// Checks that the columns are the report's (numbers where numbers
    /// are drawn) and a `ref=$param` is one of its parameters.
    pub fn check(&self, columns: &[Column], params: &[Param]) -> Result<(), ChartError> {
        let find = |name: &str, role: &str| {
            columns.iter().find(|c| c.name == name).ok_or_else(|| {
                ChartError(format!(
                    "{role}={name}: the report declares no column {name:?} (its @column lines: {})",
                    columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        };
        find(&self.x, "x")?;
        for y in &self.y {
            let column = find(y, "y")?;
            if !is_number_unit(&column.unit) {
                return Err(ChartError(format!(
                    "y={y}: the column is not a number (its unit is {:?}); a chart draws numbers",
                    column.unit
                )));
            }
        }
        for (role, name) in [
            ("facet", &self.facet),
            ("series", &self.series),
            ("rank", &self.rank),
        ] {
            if let Some(name) = name {
                find(name, role)?;
            }
        }
        for (name, _) in &self.filter {
            find(name, "where")?;
        }
        if let Some(Reference::Param(p)) = &self.reference
            && !params.iter().any(|q| &q.name == p)
        {
            return Err(ChartError(format!(
                "ref=${p}: the report has no parameter {p:?}"
            )));
        }
        Ok(())
    }
}

/// Whether a column of this `@column` unit holds numbers.
pub fn is_number_unit(unit: &str) -> bool {
    !matches!(unit, "-" | "date" | "boolean")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_line_parses() {
        let c = Chart::parse(
            "bars x=priority y=first_response_compliance_pct series=clock where=clock:business ref=$goal | Compliance",
            7,
        )
        .expect("a valid line");
        assert_eq!(c.kind, ChartKind::Bars);
        assert_eq!(c.x, "priority");
        assert_eq!(c.y, ["first_response_compliance_pct"]);
        assert_eq!(c.series.as_deref(), Some("clock"));
        assert_eq!(c.filter, [("clock".to_string(), "business".to_string())]);
        assert_eq!(c.reference, Some(Reference::Param("goal".into())));
        assert_eq!(c.title, "Compliance");
        assert_eq!(c.line, 7);
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            ("pie x=a y=b | T", "unknown chart kind \"pie\""),
            ("bars x=a y=b", "no `| Title`"),
            ("bars x=a | T", "no y=COLUMN"),
            ("bars y=b | T", "no x=COLUMN"),
            ("bars x=a y=b colour=red | T", "unknown key \"colour\""),
            (
                "bars x=a y=b ref=high | T",
                "ref=high: expected a number or $param",
            ),
            ("hbars x=a y=b,c | T", "hbars shows one y column"),
            ("ranking x=a y=b | T", "rank=COLUMN goes with ranking"),
            ("bars x=a y=b,c series=d | T", "series= takes one y column"),
            ("bars x=a y | T", "\"y\" is not key=value"),
        ];
        for (line, expected) in cases {
            let err = Chart::parse(line, 1).expect_err(line);
            assert!(err.0.starts_with(expected), "{line}: {}", err.0);
        }
    }
}
