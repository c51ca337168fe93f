//! The knowledge base: `kb_articles` (a fixed list of articles in five
//! categories) and `kb_views` (one folder per month, like the contacts),
//! from a random stream of their own, after the months, so the other tables
//! do not change.
//!
//! Each month has about [`VIEWS_PER_CONTACT`] views per interaction, in
//! sessions of one to four views (a geometric count, mean 1.6) a few
//! minutes apart; [`KNOWN`] of the sessions are by a known customer of the
//! base, the rest anonymous. Articles are picked by category weight, then
//! evenly; read time is log-normal around the category's median; a third
//! of the views get a helpful vote, more often yes for some categories
//! (billing, shipping) than others (technical), so the report's helpful
//! share and read time differ by category.

use std::sync::Arc;

use datafusion::arrow::array::{
    BooleanArray, Float64Array, RecordBatch, TimestampMicrosecondArray,
};
use datafusion::arrow::error::ArrowError;

use super::columns::{CHUNK, StrCol, write_schema};
use super::plan::{DAY_US, MonthPlan, US};
use super::rng::{Rng, Stream, cumulative, threshold};
use super::world::World;
use super::writer::{PartWriter, Written};
use super::{GenerateError, arrow_err};
use crate::lake::schema::Table;

/// Knowledge-base views per interaction of the month.
const VIEWS_PER_CONTACT: f64 = 0.6;
/// Share of sessions by a known customer.
const KNOWN: f64 = 0.65;
/// Share of views with a helpful vote.
const VOTED: f64 = 0.35;
/// Categories: name, weight, median read seconds, P(helpful | voted).
const CATEGORIES: [(&str, f64, f64, f64); 5] = [
    ("billing", 30.0, 70.0, 0.82),
    ("technical", 25.0, 160.0, 0.55),
    ("account", 20.0, 60.0, 0.74),
    ("shipping", 15.0, 50.0, 0.86),
    ("returns", 10.0, 80.0, 0.68),
];
/// Articles per category.
const PER_CATEGORY: usize = 6;

/// `kb_articles`: `k001`..`k030`, six per category.
pub(crate) fn articles() -> Result<RecordBatch, ArrowError> {
    let n = CATEGORIES.len() * PER_CATEGORY;
    let (mut id, mut title, mut category) =
        (StrCol::new(n, 4), StrCol::new(n, 24), StrCol::new(n, 10));
    for (c, (name, ..)) in CATEGORIES.iter().enumerate() {
        for a in 0..PER_CATEGORY {
            id.push(&article_id(c * PER_CATEGORY + a));
            title.push(&format!("{name} question {}", a + 1));
            category.push(name);
        }
    }
    RecordBatch::try_new(
        write_schema(Table::KbArticles),
        vec![id.finish()?, title.finish()?, category.finish()?],
    )
}

fn article_id(n: usize) -> String {
    format!("k{:03}", n + 1)
}

/// Writes `kb_views/month=YYYY-MM/` for each month under `root`.
pub(crate) fn write_views(
    world: &World,
    plans: &[MonthPlan],
    root: &std::path::Path,
) -> Result<Written, GenerateError> {
    let categories = cumulative(&CATEGORIES.map(|c| c.1));
    let (known, voted) = (threshold(KNOWN), threshold(VOTED));
    let helpful: Vec<u64> = CATEGORIES.iter().map(|c| threshold(c.3)).collect();
    let more = threshold(0.375); // another view in the session: mean 1.6
    let mut total = Written::default();
    let mut view = 0u64;
    let mut session = 0u64;
    for plan in plans {
        let mut rng = Rng::stream(world.seed, plan.index, Stream::KnowledgeBase);
        let mut out = PartWriter::create(
            root.join("kb_views").join(plan.folder()),
            Table::KbViews,
            world.compression,
        )?;
        let target = (plan.rows as f64 * VIEWS_PER_CONTACT).round() as u64;
        let mut cols = Cols::new();
        let mut made = 0u64;
        while made < target {
            session += 1;
            let customer = rng.chance(known).then(|| rng.below(world.customers));
            let mut at =
                plan.start_us + rng.below(u64::from(plan.days) * (DAY_US / US) as u64) as i64 * US;
            loop {
                view += 1;
                made += 1;
                let c = rng.pick(&categories);
                let article = c * PER_CATEGORY + rng.below(PER_CATEGORY as u64) as usize;
                let read = CATEGORIES[c].2 * (rng.normal(&world.profile.normal) * 0.6).exp();
                cols.view_id.push_id(b'v', 13, view);
                cols.article_id.push(&article_id(article));
                match customer {
                    Some(n) => cols.customer_id.push_id(b'c', world.customer_width, n),
                    None => cols.customer_id.push_null(),
                }
                cols.session_id.push_id(b's', 12, session);
                cols.viewed_at.push(at);
                cols.read_seconds.push(Some((read * 10.0).round() / 10.0));
                cols.helpful
                    .push(rng.chance(voted).then(|| rng.chance(helpful[c])));
                if cols.viewed_at.len() >= CHUNK {
                    out.write(&cols.batch().map_err(arrow_err(Table::KbViews))?)?;
                }
                if made >= target || !rng.chance(more) {
                    break;
                }
                at += (30 + rng.below(270) as i64) * US;
            }
        }
        out.write(&cols.batch().map_err(arrow_err(Table::KbViews))?)?;
        total.add(out.finish()?);
    }
    Ok(total)
}

/// One month's views not yet written.
struct Cols {
    view_id: StrCol,
    article_id: StrCol,
    customer_id: StrCol,
    session_id: StrCol,
    viewed_at: Vec<i64>,
    read_seconds: Vec<Option<f64>>,
    helpful: Vec<Option<bool>>,
}

impl Cols {
    fn new() -> Cols {
        Cols {
            view_id: StrCol::new(CHUNK, 14),
            article_id: StrCol::new(CHUNK, 4),
            customer_id: StrCol::new(CHUNK, 9),
            session_id: StrCol::new(CHUNK, 13),
            viewed_at: Vec::with_capacity(CHUNK),
            read_seconds: Vec::with_capacity(CHUNK),
            helpful: Vec::with_capacity(CHUNK),
        }
    }

    /// The rows so far as a batch; empties the buffers.
    fn batch(&mut self) -> Result<RecordBatch, ArrowError> {
        let at = std::mem::take(&mut self.viewed_at);
        let read = std::mem::take(&mut self.read_seconds);
        let helpful = std::mem::take(&mut self.helpful);
        RecordBatch::try_new(
            write_schema(Table::KbViews),
            vec![
                self.view_id.finish()?,
                self.article_id.finish()?,
                self.customer_id.finish()?,
                self.session_id.finish()?,
                Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC")),
                Arc::new(Float64Array::from(read)),
                Arc::new(BooleanArray::from(helpful)),
            ],
        )
    }
}
