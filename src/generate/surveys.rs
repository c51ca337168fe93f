//! One month's survey answers: transactional CSAT, NPS and CES answers about
//! handled contacts, and relationship NPS answers tied to no contact.
//!
//! Both kinds go into one buffer, written in chunks of [`CHUNK`] rows, so a
//! month's relationship answers follow its last transactional ones in the
//! same batches.

use super::GenerateError;
use super::arrow_err;
use super::columns::{CHUNK, ID_WIDTH, SURVEY_ID_WIDTH, SurveyCols};
use super::plan::{MonthPlan, US};
use super::profile::{
    KIND_MIN, KINDS, Profile, RELATIONSHIP_SURVEY_RATE, SURVEY_DELAY_SIGMA, comment_for,
};
use super::rng::{Rng, Stream};
use super::world::World;
use super::writer::PartWriter;
use crate::lake::schema::Table;

/// The outcome-dependent part of one handled contact, for its survey.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rated {
    pub gidx: u64,
    pub ticket: u64,
    pub customer: u64,
    pub team: usize,
    pub ended: i64,
    pub resolved: bool,
    pub escalated: bool,
    /// The month's index in the run.
    pub month: u32,
}

/// The month's survey answers not yet written.
pub(crate) struct Surveys<'a> {
    world: &'a World,
    profile: &'a Profile,
    cols: SurveyCols,
}

impl<'a> Surveys<'a> {
    pub(crate) fn new(world: &'a World, rows: usize) -> Surveys<'a> {
        Surveys {
            world,
            profile: &world.profile,
            cols: SurveyCols::new(rows),
        }
    }

    /// A transactional survey of kind `kind` on a handled contact. Draws
    /// from `rng`, the contacts' stream, as the contact's next draws.
    pub(crate) fn transactional(
        &mut self,
        rng: &mut Rng,
        kind: usize,
        c: &Rated,
        out: &mut PartWriter,
    ) -> Result<(), GenerateError> {
        let profile = self.profile;
        let outcome = usize::from(!c.resolved) * 2 + usize::from(c.escalated);
        let score = KIND_MIN[kind] + rng.pick(&profile.teams[c.team].scores[kind][outcome]) as i32;
        if kind == 0 && score <= 2 {
            self.world.experience.bad(c.customer, c.month);
        }
        let delay = rng
            .lognormal(&profile.normal, profile.survey_delay_mu, SURVEY_DELAY_SIGMA)
            .max(60.0);
        let comment = rng
            .chance(profile.comment)
            .then(|| comment_for(kind, score, rng.next()));
        let s = &mut self.cols;
        s.survey_id
            .push_id(b's', SURVEY_ID_WIDTH, c.gidx * 4 + kind as u64);
        s.interaction_id.push_id(b'i', ID_WIDTH, c.gidx);
        s.ticket_id.push_id(b't', ID_WIDTH, c.ticket);
        s.customer_id
            .push_id(b'c', self.world.customer_width, c.customer);
        s.kind.push(KINDS[kind]);
        s.score.push(score);
        s.submitted_at.push(c.ended + delay as i64 * US);
        s.comment.push_opt(comment);
        s.len += 1;
        self.flush_full(out)
    }

    /// Relationship NPS answers from a few percent of customers, not tied to
    /// a contact, from the month's own stream. Their ids take the fourth
    /// slot (`4n + 3`) of this month's interaction numbers, which
    /// transactional surveys never use.
    pub(crate) fn relationship(
        &mut self,
        plan: &MonthPlan,
        out: &mut PartWriter,
    ) -> Result<(), GenerateError> {
        let world = self.world;
        let profile = self.profile;
        let wanted = ((world.customers as f64 * RELATIONSHIP_SURVEY_RATE).round() as u64).max(1);
        let n = wanted.min(plan.rows);
        let mut rng = Rng::stream(world.seed, plan.index, Stream::Relationship);
        let span = (plan.end_us - plan.start_us) as u64;
        for j in 0..n {
            let customer = rng.below(world.customers);
            let score = rng.pick(&profile.relationship_nps_cum) as i32;
            let submitted = plan.start_us + rng.below(span) as i64;
            let comment = rng
                .chance(profile.comment)
                .then(|| comment_for(1, score, rng.next()));
            let s = &mut self.cols;
            s.survey_id
                .push_id(b's', SURVEY_ID_WIDTH, (plan.offset + j) * 4 + 3);
            s.interaction_id.push_null();
            s.ticket_id.push_null();
            s.customer_id.push_id(b'c', world.customer_width, customer);
            s.kind.push(KINDS[1]);
            s.score.push(score);
            s.submitted_at.push(submitted);
            s.comment.push_opt(comment);
            s.len += 1;
            self.flush_full(out)?;
        }
        Ok(())
    }

    /// Writes the answers left in the buffer.
    pub(crate) fn finish(mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        if self.cols.len > 0 {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Writes the buffer once it holds a chunk.
    fn flush_full(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        if self.cols.len >= CHUNK {
            self.flush(out)?;
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut PartWriter) -> Result<(), GenerateError> {
        let batch = self.cols.finish().map_err(arrow_err(Table::Surveys))?;
        out.write(&batch)
    }
}
