//! Reports as self-contained HTML pages (DESIGN §4 "HTML pages"): a
//! header with the period, lake and generation time, the charts the
//! report's `-- @chart` lines declare as inline SVG ([`draw`]), and the
//! result as a table whose cells are those of the CSV output. One file:
//! CSS inline, no script, no external URL; it renders offline, in mail
//! clients and on paper.

mod draw;
mod frame;
pub mod publish;
mod text;

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;

pub use draw::{BAND, MARKS, STATUS};
pub use frame::Frame;

use crate::reports::chart::{Reference, Sort};
use crate::reports::{Chart, ChartKind, ParamValues, Query};
use crate::targets::Targets;

use draw::{Horizontal, Series, Vertical};
use text::{axis_title, escape, label, unit};

const CSS: &str = include_str!("page.css");

/// What a page says about where its numbers come from.
#[derive(Debug, Clone)]
pub struct PageInfo {
    /// The report (None: a page of a query's result, table only).
    pub report: Option<Query>,
    /// The report's bound parameters.
    pub params: ParamValues,
    /// The targets the report was run with.
    pub targets: Option<Arc<Targets>>,
    /// The lake, as the user named it.
    pub lake: String,
    /// When the page was made.
    pub generated: DateTime<Utc>,
    /// For a query's page: its SQL.
    pub sql: Option<String>,
}

impl PageInfo {
    /// A page of a query's result (no report): its SQL and the lake.
    pub fn query(sql: Option<String>, lake: String) -> PageInfo {
        PageInfo {
            report: None,
            params: Vec::new(),
            targets: None,
            lake,
            generated: Utc::now(),
            sql,
        }
    }
}

/// A page that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// A chart that does not fit the result.
    #[error("{file}:{line}: @chart {title:?}: {reason}")]
    Chart {
        /// The report's file.
        file: String,
        /// The chart's header line.
        line: usize,
        /// Its title.
        title: String,
        /// What is wrong.
        reason: String,
    },
    /// Arrow could not read the result.
    #[error("cannot format the result: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// plotters could not draw.
    #[error(transparent)]
    Draw(#[from] draw::DrawError),
}

/// The whole page for `batches`.
pub fn page(
    info: &PageInfo,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<String, HtmlError> {
    let frame = Frame::new(schema, batches)?;
    let mut html = String::with_capacity(64 * 1024);
    let (name, description) = match &info.report {
        Some(r) => (r.name.as_str(), r.description.as_str()),
        None => ("query", "The result of a query."),
    };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"kpiql {}\"/>\n<title>{} · kpiql</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<header>\n<p class=\"kicker\">kpiql report</p>\n\
         <h1>{}</h1>\n<p class=\"description\">{}</p>\n<dl class=\"meta\">\n",
        env!("CARGO_PKG_VERSION"),
        escape(name),
        escape(name),
        escape(description),
    );
    if let Some(period) = period_text(&info.params) {
        meta_row(&mut html, "Period", &period);
    }
    meta_row(&mut html, "Lake", &info.lake);
    meta_row(
        &mut html,
        "Generated",
        &info.generated.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    let others: Vec<String> = info
        .params
        .iter()
        // The zone is shown with the period.
        .filter(|(n, _)| n != "start" && n != "end" && n != crate::reports::TIME_ZONE)
        .map(|(n, v)| format!("{n} = {}", scalar_text(v)))
        .collect();
    if !others.is_empty() {
        meta_row(&mut html, "Parameters", &others.join(", "));
    }
    if let Some(t) = &info.targets {
        meta_row(&mut html, "Targets", &t.source);
    }
    html.push_str("</dl>\n</header>\n<main>\n");
    if let Some(sql) = &info.sql {
        let _ = writeln!(html, "<pre class=\"sql\">{}</pre>", escape(sql.trim()));
    }
    if let Some(report) = &info.report
        && !report.charts.is_empty()
    {
        html.push_str("<section class=\"charts\">\n");
        for (i, chart) in report.charts.iter().enumerate() {
            let figure =
                chart_html(info, report, chart, i, &frame).map_err(|reason| HtmlError::Chart {
                    file: report_file(report),
                    line: chart.line,
                    title: chart.title.clone(),
                    reason,
                })?;
            html.push_str(&figure?);
        }
        html.push_str("</section>\n");
    }
    table_html(&mut html, info.report.as_ref(), &frame);
    let _ = write!(
        html,
        "</main>\n<footer>Made by kpiql {} from the lake {}. Figures as in the report's CSV output.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&info.lake)
    );
    Ok(html)
}

fn report_file(report: &Query) -> String {
    match &report.origin {
        crate::reports::Origin::Builtin => format!("queries/reports/{}.sql", report.name),
        crate::reports::Origin::File(p) => p.display().to_string(),
    }
}

fn meta_row(html: &mut String, term: &str, value: &str) {
    let _ = writeln!(html, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(value));
}

/// `1 Oct 2026 – 31 Oct 2026 (Europe/Warsaw)` from `$start` and `$end`
/// (exclusive), as dates of the report time zone.
fn period_text(params: &ParamValues) -> Option<String> {
    let zone = crate::reports::zone_of(params);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| instant(v))
            .map(|t| zone.local(t))
    };
    let day = |t: chrono::NaiveDateTime| t.format("%-d %b %Y").to_string();
    let text = match (get("start"), get("end")) {
        (Some(a), Some(b)) => {
            // The end is exclusive: a period ending at midnight ends the day before.
            let last = if b.time() == chrono::NaiveTime::MIN {
                b - chrono::Duration::days(1)
            } else {
                b
            };
            format!("{} – {}", day(a), day(last))
        }
        (None, Some(b)) => format!("until {}", day(b)),
        (Some(a), None) => format!("from {}", day(a)),
        (None, None) => return None,
    };
    Some(format!("{text} ({zone})"))
}

fn instant(v: &ScalarValue) -> Option<DateTime<Utc>> {
    match v {
        ScalarValue::TimestampMicrosecond(Some(us), _) => DateTime::from_timestamp_micros(*us),
        ScalarValue::Date32(Some(days)) => crate::dates::date_of_days(*days)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
        _ => None,
    }
}

fn scalar_text(v: &ScalarValue) -> String {
    match instant(v) {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None if v.is_null() => "NULL".to_string(),
        None => v.to_string(),
    }
}

fn scalar_number(v: &ScalarValue) -> Option<f64> {
    match v {
        ScalarValue::Float64(Some(x)) => Some(*x),
        ScalarValue::Int64(Some(x)) => Some(*x as f64),
        ScalarValue::Int32(Some(x)) => Some(f64::from(*x)),
        _ => None,
    }
}

/// The `<table>` of every row, cells as the CSV output writes them.
fn table_html(html: &mut String, report: Option<&Query>, frame: &Frame) {
    html.push_str("<section class=\"data\">\n<h2>The figures</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>");
    for (i, name) in frame.names.iter().enumerate() {
        let doc = report
            .and_then(|r| r.columns.iter().find(|c| &c.name == name))
            .map(|c| format!(" title=\"{} ({})\"", escape(&c.meaning), escape(&c.unit)))
            .unwrap_or_default();
        let class = if frame.numbers[i].is_some() {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(html, "<th{class}{doc}>{}</th>", escape(name));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in 0..frame.rows {
        html.push_str("<tr>");
        for (i, name) in frame.names.iter().enumerate() {
            let cell = &frame.text[i][row];
            let class = if frame.numbers[i].is_some() {
                " class=\"num\"".to_string()
            } else if name.ends_with("_status") && !cell.is_empty() {
                format!(" class=\"status status-{}\"", escape(cell))
            } else {
                String::new()
            };
            let _ = write!(html, "<td{class}>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    let _ = writeln!(
        html,
        "</tbody>\n</table>\n</div>\n<p class=\"rows\">{} row{}</p>\n</section>",
        frame.rows,
        if frame.rows == 1 { "" } else { "s" }
    );
}

/// A category or facet label: the cell's text, `(none)` for NULL.
fn category(frame: &Frame, column: usize, row: usize) -> String {
    frame
        .cell(column, row)
        .map_or_else(|| "(none)".to_string(), str::to_string)
}

/// The `<figure>` of one chart. The outer error is the chart not fitting
/// the result (said with the chart's line); the inner one a drawing error.
fn chart_html(
    info: &PageInfo,
    report: &Query,
    chart: &Chart,
    index: usize,
    frame: &Frame,
) -> Result<Result<String, HtmlError>, String> {
    let col = |name: &str| {
        frame
            .column(name)
            .ok_or_else(|| format!("the result has no column {name:?}"))
    };
    let x = col(&chart.x)?;
    let ys: Vec<usize> = chart.y.iter().map(|y| col(y)).collect::<Result<_, _>>()?;
    for (&i, name) in ys.iter().zip(&chart.y) {
        if frame.numbers[i].is_none() {
            return Err(format!(
                "y={name}: the column is not a number in the result"
            ));
        }
    }
    let facet = chart.facet.as_deref().map(col).transpose()?;
    let series_col = chart.series.as_deref().map(col).transpose()?;
    let rank = chart.rank.as_deref().map(col).transpose()?;
    let filters: Vec<(usize, &str)> = chart
        .filter
        .iter()
        .map(|(c, v)| col(c).map(|i| (i, v.as_str())))
        .collect::<Result<_, _>>()?;
    let rows: Vec<usize> = (0..frame.rows)
        .filter(|&r| filters.iter().all(|&(c, v)| frame.cell(c, r) == Some(v)))
        .collect();
    // Facets, in the order the report gives them.
    let mut facets: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for &r in &rows {
        let key = facet.map(|f| {
            let value = category(frame, f, r);
            // A bare number says little: `Weekday 1`.
            if frame.numbers[f].is_some() {
                format!("{} {value}", label(&frame.names[f]))
            } else {
                value
            }
        });
        match facets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rs)) => rs.push(r),
            None => facets.push((key, vec![r])),
        }
    }
    if facets.is_empty() {
        facets.push((None, Vec::new()));
    }
    let column_unit = |name: &str| {
        report
            .columns
            .iter()
            .find(|c| c.name == name)
            .map_or("", |c| unit(&c.unit))
    };
    let y_title = axis_title(&label(&chart.y[0]), column_unit(&chart.y[0]));
    let x_title = label(&chart.x);
    let reference = match &chart.reference {
        None => None,
        Some(Reference::Value(v)) => Some(*v),
        Some(Reference::Param(p)) => info
            .params
            .iter()
            .find(|(n, _)| n == p)
            .and_then(|(_, v)| scalar_number(v)),
    }
    .map(|v| (v, format!("{} {}", reference_label(chart), text::number(v))));
    let small = chart.facet.is_some();
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"chart{}\" id=\"chart-{}\" data-kind=\"{}\">\n<figcaption>{}</figcaption>\n",
        if small { " small-multiples" } else { "" },
        index + 1,
        chart.kind.name(),
        escape(&chart.title)
    );
    let body = match chart.kind {
        ChartKind::Ranking => ranking(frame, chart, x, &ys, rank.unwrap_or(x), &rows),
        ChartKind::HBars => {
            let y = ys[0];
            let status = frame.column(&format!("{}_status", chart.y[0]));
            let range = value_range(
                facets
                    .iter()
                    .flat_map(|(_, rs)| rs.iter().filter_map(|&r| frame.number(y, r))),
                true,
                reference.as_ref().map(|r| r.0),
                &[],
            );
            legend_status(
                &mut out,
                status.is_some(),
                reference.as_ref().map(|_| reference_label(chart)),
            );
            let mut svgs = Vec::new();
            for (key, rs) in &facets {
                let mut order = rs.clone();
                match chart.sort {
                    Sort::None => {}
                    Sort::Desc | Sort::Asc => order.sort_by(|&a, &b| {
                        let (va, vb) = (frame.number(y, a), frame.number(y, b));
                        // NULLs last, whatever the order.
                        let o = match (va, vb) {
                            (Some(p), Some(q)) => p.total_cmp(&q),
                            (Some(_), None) => std::cmp::Ordering::Less,
                            (None, Some(_)) => std::cmp::Ordering::Greater,
                            (None, None) => std::cmp::Ordering::Equal,
                        };
                        if chart.sort == Sort::Desc && va.is_some() && vb.is_some() {
                            o.reverse()
                        } else {
                            o
                        }
                    }),
                }
                let categories: Vec<String> =
                    order.iter().map(|&r| category(frame, x, r)).collect();
                let values: Vec<Option<f64>> = order.iter().map(|&r| frame.number(y, r)).collect();
                let labels: Vec<String> = order.iter().map(|&r| frame.text[y][r].clone()).collect();
                let colours: Vec<&'static str> = order
                    .iter()
                    .map(|&r| {
                        status
                            .and_then(|s| frame.cell(s, r))
                            .and_then(draw::status_colour)
                            .unwrap_or(MARKS[0])
                    })
                    .collect();
                let bands: Vec<_> = order
                    .iter()
                    .map(|&r| band(info, report, frame, &chart.y[0], r, status.is_some()))
                    .collect();
                let range = if chart.free_scale {
                    value_range(
                        values.iter().flatten().copied(),
                        true,
                        reference.as_ref().map(|r| r.0),
                        &bands,
                    )
                } else {
                    widen(range, &bands)
                };
                let desc = describe(chart, &y_title, key.as_deref(), &categories, &[&values]);
                let svg = draw::horizontal(
                    &Horizontal {
                        categories: &categories,
                        values: &values,
                        labels: &labels,
                        colours: &colours,
                        bands: &bands,
                        range,
                        x_title: &y_title,
                        reference: reference.clone(),
                        width: if small { 400 } else { 600 },
                    },
                    &chart.title,
                    &desc,
                );
                svgs.push((key.clone(), svg));
            }
            facet_html(svgs)
        }
        ChartKind::Bars | ChartKind::Lines => {
            let lines = chart.kind == ChartKind::Lines;
            // Series: the y columns, or the values of the series column.
            let names: Vec<String> = match series_col {
                Some(s) => {
                    let mut names: Vec<String> = Vec::new();
                    for &r in &rows {
                        let v = category(frame, s, r);
                        if !names.contains(&v) {
                            names.push(v);
                        }
                    }
                    names
                }
                None => chart.y.iter().map(|y| label(y)).collect(),
            };
            legend_series(
                &mut out,
                &names,
                lines,
                reference.as_ref().map(|_| reference_label(chart)),
            );
            let status = frame.column(&format!("{}_status", chart.y[0])).is_some();
            let mut built = Vec::new();
            for (key, rs) in &facets {
                let mut categories: Vec<String> = Vec::new();
                for &r in rs {
                    let c = category(frame, x, r);
                    if !categories.contains(&c) {
                        categories.push(c);
                    }
                }
                if lines && frame.numbers[x].is_some() {
                    categories.sort_by(|a, b| {
                        let n = |t: &str| t.parse::<f64>().unwrap_or(f64::INFINITY);
                        n(a).total_cmp(&n(b))
                    });
                }
                let mut series: Vec<Series> = names
                    .iter()
                    .enumerate()
                    .map(|(i, _)| Series {
                        colour: draw::series_colour(i),
                        values: vec![None; categories.len()],
                    })
                    .collect();
                let mut seen = vec![vec![false; categories.len()]; series.len()];
                let mut bands = vec![None; categories.len()];
                for &r in rs {
                    let c = categories
                        .iter()
                        .position(|c| *c == category(frame, x, r))
                        .unwrap_or(0);
                    let cells: Vec<(usize, usize)> = match series_col {
                        Some(s) => {
                            let name = category(frame, s, r);
                            let i = names.iter().position(|n| *n == name).unwrap_or(0);
                            vec![(i, ys[0])]
                        }
                        None => ys.iter().copied().enumerate().collect(),
                    };
                    for (i, y) in cells {
                        if seen[i][c] {
                            return Err(format!(
                                "two rows have {}={}{}: add facet=, series= or where= to tell them apart",
                                chart.x,
                                categories[c],
                                key.as_ref()
                                    .map(|k| format!(" (facet {k})"))
                                    .unwrap_or_default()
                            ));
                        }
                        seen[i][c] = true;
                        series[i].values[c] = frame.number(y, r);
                    }
                    if bands[c].is_none() && chart.y.len() == 1 {
                        bands[c] = band(info, report, frame, &chart.y[0], r, status);
                    }
                }
                let categories = short_months(categories);
                built.push((key.clone(), categories, series, bands));
            }
            let all = built
                .iter()
                .flat_map(|(_, _, s, _)| s.iter().flat_map(|s| s.values.iter().flatten().copied()))
                .collect::<Vec<f64>>();
            let shared = value_range(
                all.into_iter(),
                !lines,
                reference.as_ref().map(|r| r.0),
                &[],
            );
            let mut svgs = Vec::new();
            for (key, categories, series, bands) in &built {
                let range = if chart.free_scale {
                    value_range(
                        series
                            .iter()
                            .flat_map(|s| s.values.iter().flatten().copied()),
                        !lines,
                        reference.as_ref().map(|r| r.0),
                        bands,
                    )
                } else {
                    widen(shared, bands)
                };
                let values: Vec<&[Option<f64>]> =
                    series.iter().map(|s| s.values.as_slice()).collect();
                let desc = describe(chart, &y_title, key.as_deref(), categories, &values);
                let svg = draw::vertical(
                    &Vertical {
                        categories,
                        series,
                        lines,
                        range,
                        y_title: &y_title,
                        x_title: &x_title,
                        bands,
                        reference: reference.clone(),
                        size: if small { (400, 260) } else { (600, 330) },
                    },
                    &chart.title,
                    &desc,
                );
                svgs.push((key.clone(), svg));
            }
            facet_html(svgs)
        }
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    out.push_str(&body);
    out.push_str("</figure>\n");
    Ok(Ok(out))
}

/// Month starts (`2026-10-01`, every label one) as `2026-10`.
fn short_months(categories: Vec<String>) -> Vec<String> {
    let month_start = |c: &String| {
        c.len() == 10 && c.ends_with("-01") && c.as_bytes()[4] == b'-' && c.as_bytes()[7] == b'-'
    };
    if !categories.is_empty() && categories.iter().all(month_start) {
        categories.into_iter().map(|c| c[..7].to_string()).collect()
    } else {
        categories
    }
}

/// The target band of `column` in `row`, when targets were given and the
/// report has the column's status (the targets apply to it).
fn band(
    info: &PageInfo,
    report: &Query,
    frame: &Frame,
    column: &str,
    row: usize,
    has_status: bool,
) -> Option<(Option<f64>, Option<f64>)> {
    let targets = info.targets.as_ref().filter(|_| has_status)?;
    let key = |name: &str| frame.column(name).and_then(|c| frame.cell(c, row));
    let keys = crate::targets::KEYS.map(key);
    let start = crate::reports::targets_start(&info.params);
    let t = targets.for_row(&report.name, column, &frame.names, start, keys)?;
    (t.min.is_some() || t.max.is_some()).then_some((t.min, t.max))
}

/// The value axis: the values (and 0 for bars, the reference line) with a
/// margin.
fn value_range(
    values: impl Iterator<Item = f64>,
    from_zero: bool,
    reference: Option<f64>,
    bands: &[Option<(Option<f64>, Option<f64>)>],
) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.chain(reference) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    widen_by_margin(widen((lo, hi), bands), from_zero)
}

fn widen(range: (f64, f64), bands: &[Option<(Option<f64>, Option<f64>)>]) -> (f64, f64) {
    let (mut lo, mut hi) = range;
    for (a, b) in bands.iter().flatten() {
        for v in [a, b].into_iter().flatten() {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    (lo, hi)
}

fn widen_by_margin((lo, hi): (f64, f64), from_zero: bool) -> (f64, f64) {
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let margin = span * 0.08;
    let lo = if from_zero && lo >= 0.0 {
        lo
    } else {
        lo - margin
    };
    let hi = if from_zero && hi <= 0.0 {
        hi
    } else {
        hi + margin
    };
    (lo, hi)
}

/// The chart in words, for its `<desc>`.
fn describe(
    chart: &Chart,
    y_title: &str,
    facet: Option<&str>,
    categories: &[String],
    values: &[&[Option<f64>]],
) -> String {
    let mut lowest: Option<(f64, &str)> = None;
    let mut highest: Option<(f64, &str)> = None;
    for series in values {
        for (v, c) in series.iter().zip(categories) {
            if let Some(v) = *v {
                if lowest.is_none_or(|(l, _)| v < l) {
                    lowest = Some((v, c));
                }
                if highest.is_none_or(|(h, _)| v > h) {
                    highest = Some((v, c));
                }
            }
        }
    }
    let kind = match chart.kind {
        ChartKind::Bars => "Bar chart",
        ChartKind::HBars => "Horizontal bar chart",
        ChartKind::Lines => "Line chart",
        ChartKind::Ranking => "Table",
    };
    let mut text = format!(
        "{kind} of {y_title} by {} ({} categories)",
        label(&chart.x).to_lowercase(),
        categories.len()
    );
    if let Some(f) = facet {
        let _ = write!(text, " for {f}");
    }
    match (lowest, highest) {
        (Some((l, lc)), Some((h, hc))) => {
            let _ = write!(
                text,
                ": lowest {} ({lc}), highest {} ({hc}).",
                text::number(l),
                text::number(h)
            );
        }
        _ => text.push_str(": no values."),
    }
    text
}

fn legend_series(out: &mut String, names: &[String], lines: bool, reference: Option<&str>) {
    if names.len() < 2 && reference.is_none() {
        return;
    }
    out.push_str("<ul class=\"legend\">");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<li><span class=\"swatch{}\" style=\"background:{}\"></span>{}</li>",
            if lines { " line" } else { "" },
            draw::series_colour(i),
            escape(name)
        );
    }
    if let Some(name) = reference {
        let _ = write!(out, "<li><span class=\"swatch rule\"></span>{name}</li>");
    }
    out.push_str("</ul>\n");
}

fn legend_status(out: &mut String, status: bool, reference: Option<&str>) {
    if !status && reference.is_none() {
        return;
    }
    out.push_str("<ul class=\"legend\">");
    if status {
        for (name, colour) in STATUS {
            let _ = write!(
                out,
                "<li><span class=\"swatch\" style=\"background:{colour}\"></span>{}</li>",
                name.replace('_', " ")
            );
        }
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{BAND}\"></span>target</li>"
        );
    }
    if let Some(name) = reference {
        let _ = write!(out, "<li><span class=\"swatch rule\"></span>{name}</li>");
    }
    out.push_str("</ul>\n");
}

fn facet_html(
    svgs: Vec<(Option<String>, Result<String, draw::DrawError>)>,
) -> Result<String, HtmlError> {
    let mut out = String::new();
    let faceted = svgs.iter().any(|(k, _)| k.is_some());
    if faceted {
        out.push_str("<div class=\"facets\">\n");
    }
    for (key, svg) in svgs {
        let svg = svg?;
        match key {
            Some(k) => {
                let _ = write!(
                    out,
                    "<div class=\"facet\"><h3>{}</h3>\n{svg}</div>\n",
                    escape(&k)
                );
            }
            None => out.push_str(&svg),
        }
    }
    if faceted {
        out.push_str("</div>\n");
    }
    Ok(out)
}

/// A ranked list: the rows with a rank, in rank order.
fn ranking(
    frame: &Frame,
    chart: &Chart,
    x: usize,
    ys: &[usize],
    rank: usize,
    rows: &[usize],
) -> Result<String, HtmlError> {
    let mut ranked: Vec<(f64, usize)> = rows
        .iter()
        .filter_map(|&r| frame.number(rank, r).map(|k| (k, r)))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = String::from("<table class=\"ranking\">\n<thead><tr><th class=\"num\">rank</th>");
    let _ = write!(out, "<th>{}</th>", escape(&chart.x));
    for y in &chart.y {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(y));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (_, r) in ranked {
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td>",
            escape(&frame.text[rank][r]),
            escape(&frame.text[x][r])
        );
        for &y in ys {
            let _ = write!(out, "<td class=\"num\">{}</td>", escape(&frame.text[y][r]));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(out)
}

/// What a reference line is called: a goal when a parameter sets it.
fn reference_label(chart: &Chart) -> &'static str {
    match chart.reference {
        Some(Reference::Param(_)) => "goal",
        _ => "reference",
    }
}
