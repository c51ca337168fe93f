//! Charts as inline SVG, drawn by plotters' SVG backend.
//!
//! Every mark is a filled `<rect>` (a bar) or a `<circle>` (a point) in a
//! colour of [`MARKS`] or [`STATUS`]; nothing else is drawn in those
//! colours (the background is white, the target band grey, legends are
//! HTML), so a reader of the SVG, or a test, can count the marks.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::{escape, number};

/// Series colours: Okabe and Ito's colour-blind-safe palette, in order.
pub const MARKS: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
];

/// Bar colours by target status: met, at risk, missed (Okabe–Ito's
/// bluish green, orange and vermillion; told apart by lightness too).
pub const STATUS: [(&str, &str); 3] = [
    ("met", "#009E73"),
    ("at_risk", "#E69F00"),
    ("missed", "#D55E00"),
];

/// The target band's fill.
pub const BAND: &str = "#E2E2E2";

const FONT: &str = "sans-serif";

fn rgb(hex: &str) -> RGBColor {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// A series' colour.
pub fn series_colour(i: usize) -> &'static str {
    MARKS[i % MARKS.len()]
}

/// A status' colour.
pub fn status_colour(status: &str) -> Option<&'static str> {
    STATUS.iter().find(|(s, _)| *s == status).map(|(_, c)| *c)
}

/// One value of a series: the category's position and its value.
#[derive(Debug, Clone)]
pub struct Series {
    /// Colour.
    pub colour: &'static str,
    /// One value per category (None: no mark).
    pub values: Vec<Option<f64>>,
}

/// What a vertical chart (bars or lines) shows.
#[derive(Debug, Clone)]
pub struct Vertical<'a> {
    /// Category labels, left to right.
    pub categories: &'a [String],
    /// The series.
    pub series: &'a [Series],
    /// Lines with points (true) or bars side by side.
    pub lines: bool,
    /// The value axis range.
    pub range: (f64, f64),
    /// Value axis title.
    pub y_title: &'a str,
    /// Category axis title.
    pub x_title: &'a str,
    /// A target band per category (bars).
    pub bands: &'a [Option<(Option<f64>, Option<f64>)>],
    /// A reference line and its label.
    pub reference: Option<(f64, String)>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// What a horizontal bar chart shows: one bar per row.
#[derive(Debug, Clone)]
pub struct Horizontal<'a> {
    /// Category labels, top to bottom.
    pub categories: &'a [String],
    /// Values, top to bottom.
    pub values: &'a [Option<f64>],
    /// Value labels as the table shows them.
    pub labels: &'a [String],
    /// Colours, top to bottom.
    pub colours: &'a [&'static str],
    /// The target band of each bar.
    pub bands: &'a [Option<(Option<f64>, Option<f64>)>],
    /// The value axis range.
    pub range: (f64, f64),
    /// Value axis title.
    pub x_title: &'a str,
    /// A reference line and its label.
    pub reference: Option<(f64, String)>,
    /// Width in pixels.
    pub width: u32,
}

/// Something plotters could not draw.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct DrawError(String);

fn err<E: std::fmt::Debug>(e: E) -> DrawError {
    DrawError(format!("{e:?}"))
}

/// The SVG element, with `<title>` and `<desc>` for screen readers.
fn finish(svg: String, title: &str, desc: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg;
    };
    format!(
        "{} role=\"img\" class=\"plot\"><title>{}</title><desc>{}</desc>{}",
        &svg[..end],
        escape(title),
        escape(desc),
        &svg[end + 1..]
    )
}

const DARK: RGBColor = RGBColor(40, 40, 40);

fn text_style(size: u32, colour: &'static RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(colour)
        .pos(Pos::new(h, v))
}

/// A label cut to `max` characters.
fn fit(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The look every chart shares: fonts, grid and axis colours.
fn house_style<X: Ranged, Y: Ranged>(mesh: &mut MeshStyle<'_, '_, X, Y, SVGBackend<'_>>) {
    mesh.axis_desc_style((FONT, 15))
        .label_style((FONT, 14))
        .max_light_lines(0)
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(RGBColor(90, 90, 90));
}

/// An SVG of `size` on white, drawn by `draw`, with its title and desc.
fn svg(
    size: (u32, u32),
    title: &str,
    desc: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), DrawError>,
) -> Result<String, DrawError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title, desc))
}

/// Draws bars or lines over categories.
pub fn vertical(v: &Vertical<'_>, title: &str, desc: &str) -> Result<String, DrawError> {
    svg(v.size, title, desc, |root| draw_vertical(root, v))
}

fn draw_vertical(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    v: &Vertical<'_>,
) -> Result<(), DrawError> {
    let n = v.categories.len().max(1);
    let (lo, hi) = v.range;
    let mut chart = ChartBuilder::on(root)
        .margin_top(14)
        .margin_right(18)
        .margin_left(6)
        .x_label_area_size(44)
        .y_label_area_size(66)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
        .map_err(err)?;
    let y_fmt = |y: &f64| number(*y);
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .y_desc(v.y_title)
        .x_desc(v.x_title);
    house_style(&mut mesh);
    mesh.draw().map_err(err)?;
    // Category labels, as many as fit.
    let (left, _) = chart.backend_coord(&(-0.5, lo));
    let (right, bottom) = chart.backend_coord(&(n as f64 - 0.5, lo));
    let slot = f64::from((right - left).max(1)) / n as f64;
    let longest = v
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let stride = ((longest as f64 * 7.5) / slot).ceil().max(1.0) as usize;
    let max_chars = ((slot * stride as f64) / 7.5).floor().max(3.0) as usize;
    for (i, label) in v.categories.iter().enumerate() {
        if i % stride != 0 {
            continue;
        }
        let (x, _) = chart.backend_coord(&(i as f64, lo));
        root.draw(&Text::new(
            fit(label, max_chars),
            (x, bottom + 6),
            text_style(14, &DARK, HPos::Center, VPos::Top),
        ))
        .map_err(err)?;
    }
    // Target bands behind the marks.
    for (i, band) in v.bands.iter().enumerate() {
        if let Some((min, max)) = band {
            let (a, b) = (min.unwrap_or(lo).max(lo), max.unwrap_or(hi).min(hi));
            let x = i as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.48, a), (x + 0.48, b)],
                    rgb(BAND).filled(),
                )))
                .map_err(err)?;
        }
    }
    let base = 0f64.clamp(lo, hi);
    let k = v.series.len().max(1) as f64;
    let width = 0.8 / k;
    for (s, series) in v.series.iter().enumerate() {
        let colour = rgb(series.colour);
        if v.lines {
            // A line through consecutive values; a NULL breaks it.
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut runs = Vec::new();
            for (i, value) in series.values.iter().enumerate() {
                match value {
                    Some(y) => run.push((i as f64, *y)),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for run in runs.into_iter().filter(|r| r.len() > 1) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        run,
                        colour.stroke_width(2),
                    )))
                    .map_err(err)?;
            }
            chart
                .draw_series(
                    series.values.iter().enumerate().filter_map(|(i, y)| {
                        y.map(|y| Circle::new((i as f64, y), 4, colour.filled()))
                    }),
                )
                .map_err(err)?;
        } else {
            chart
                .draw_series(series.values.iter().enumerate().filter_map(|(i, y)| {
                    y.map(|y| {
                        let x0 = i as f64 - 0.4 + s as f64 * width;
                        Rectangle::new([(x0, base), (x0 + width * 0.92, y)], colour.filled())
                    })
                }))
                .map_err(err)?;
        }
    }
    if let Some((value, label)) = &v.reference {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(-0.5, *value), (n as f64 - 0.5, *value)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        let (x, y) = chart.backend_coord(&(n as f64 - 0.5, *value));
        root.draw(&Text::new(
            label.clone(),
            (x - 2, y - 3),
            text_style(12, &BLACK, HPos::Right, VPos::Bottom),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The height of a horizontal bar chart of `n` bars.
fn horizontal_height(n: usize) -> u32 {
    (70 + 26 * n.max(1)) as u32
}

/// Draws one horizontal bar per category.
pub fn horizontal(h: &Horizontal<'_>, title: &str, desc: &str) -> Result<String, DrawError> {
    let size = (h.width, horizontal_height(h.categories.len()));
    svg(size, title, desc, |root| draw_horizontal(root, h))
}

fn draw_horizontal(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    h: &Horizontal<'_>,
) -> Result<(), DrawError> {
    let n = h.categories.len().max(1);
    let (lo, hi) = h.range;
    let longest = h
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let label_width = (longest.min(28) as f64 * 7.5 + 14.0) as u32;
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(54)
        .margin_left(6)
        .x_label_area_size(44)
        .y_label_area_size(label_width)
        .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    let x_fmt = |x: &f64| number(*x);
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
        .x_label_formatter(&x_fmt)
        .x_desc(h.x_title);
    house_style(&mut mesh);
    mesh.draw().map_err(err)?;
    // Row i is drawn at the top for i = 0.
    let at = |i: usize| (n - 1 - i) as f64;
    for (i, band) in h.bands.iter().enumerate() {
        if let Some((min, max)) = band {
            let (a, b) = (min.unwrap_or(lo).max(lo), max.unwrap_or(hi).min(hi));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, at(i) - 0.46), (b, at(i) + 0.46)],
                    rgb(BAND).filled(),
                )))
                .map_err(err)?;
        }
    }
    let base = 0f64.clamp(lo, hi);
    chart
        .draw_series(h.values.iter().enumerate().filter_map(|(i, value)| {
            value.map(|x| {
                Rectangle::new(
                    [(base, at(i) - 0.3), (x, at(i) + 0.3)],
                    rgb(h.colours[i]).filled(),
                )
            })
        }))
        .map_err(err)?;
    let (left, _) = chart.backend_coord(&(lo, 0.0));
    for (i, label) in h.categories.iter().enumerate() {
        let (_, y) = chart.backend_coord(&(lo, at(i)));
        root.draw(&Text::new(
            fit(label, 28),
            (left - 6, y),
            text_style(14, &DARK, HPos::Right, VPos::Center),
        ))
        .map_err(err)?;
        if let Some(x) = h.values[i] {
            let (px, py) = chart.backend_coord(&(x.max(base), at(i)));
            root.draw(&Text::new(
                h.labels[i].clone(),
                (px + 4, py),
                text_style(13, &DARK, HPos::Left, VPos::Center),
            ))
            .map_err(err)?;
        }
    }
    if let Some((value, label)) = &h.reference {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*value, -0.5), (*value, n as f64 - 0.5)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        let (x, y) = chart.backend_coord(&(*value, n as f64 - 0.5));
        root.draw(&Text::new(
            label.clone(),
            (x + 3, y + 2),
            text_style(12, &BLACK, HPos::Left, VPos::Top),
        ))
        .map_err(err)?;
    }
    Ok(())
}
