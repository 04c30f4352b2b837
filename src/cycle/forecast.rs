//! The cycles ahead: what each future cycle would issue, per step, variant, layout, stock and
//! mail class, from the ledger and the contacts file as they are now.
//!
//! Each cycle is planned with the drip rules exactly as a run plans it, and each piece the
//! rules issue is set as a run sets it (so a piece whose text would not fit is held, as it
//! would be); its decisions then join the history the next cycle is planned from. It assumes
//! nothing else changes: no new contacts or events, the same campaign and layouts, and every
//! cycle run on its date.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::plan::plan_with;
use crate::compose::{Composer, Set};
use crate::contacts::Field;
use crate::job::Job;
use crate::ledger::{History, Ledger};
use crate::schedule::Outcome;

/// Pieces of one kind in one cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForecastRow {
    /// Step id.
    pub step: String,
    /// The step's A/B variant, if it has variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Layout id.
    pub layout: String,
    /// The layout's paper stock.
    pub stock: String,
    /// The destination's mail class ("" without `[postage]`).
    pub mail_class: String,
    /// Pieces.
    pub pieces: u64,
}

/// One future cycle.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ForecastCycle {
    /// Its date.
    pub date: String,
    /// Pieces it would issue.
    pub pieces: u64,
    /// Those pieces by step, variant, layout, stock and mail class.
    pub rows: Vec<ForecastRow>,
    /// Held out (control groups): recorded, not printed.
    pub holdout: u64,
    /// Expired: recorded, not printed.
    pub expired: u64,
    /// Skipped (`when` false).
    pub skipped: u64,
    /// Held (frequency cap, a piece that cannot be set): due again next cycle.
    pub held: u64,
    /// Carried over (capacity, one piece per cycle): due again next cycle.
    pub carried_over: u64,
}

/// The forecast: its cycles and what it assumed.
#[derive(Clone, Debug, Serialize)]
pub struct Forecast {
    /// Campaign id.
    pub campaign: String,
    /// Days between cycles.
    pub every_days: u32,
    /// The cycles, in date order.
    pub cycles: Vec<ForecastCycle>,
    /// Pieces per stock over all the cycles (for paper).
    pub by_stock: BTreeMap<String, u64>,
    /// Pieces per mail class over all the cycles (for postage).
    pub by_mail_class: BTreeMap<String, u64>,
    /// What the forecast assumes.
    pub assumes: &'static str,
}

/// What every forecast assumes.
pub const ASSUMES: &str = "the contacts, events, do-not-mail lists, campaign and layouts stay as they are now (no new contacts or events), and every cycle is run on its date";

/// Forecasts `cycles` cycles, `every` days apart from `from`, continuing from the ledger.
///
/// # Errors
/// When the ledger cannot be read, or a piece cannot be set for a reason that would stop a
/// run.
pub fn forecast(
    job: &Job,
    ledger: Option<&Ledger>,
    from: NaiveDate,
    every: u32,
    cycles: usize,
) -> Result<Forecast> {
    let mut history: History = match ledger {
        Some(l) => l.decisions(&job.campaign.id)?,
        None => History::new(),
    };
    let campaign = &job.campaign;
    let mut out = Forecast {
        campaign: campaign.id.clone(),
        every_days: every,
        cycles: Vec::with_capacity(cycles),
        by_stock: BTreeMap::new(),
        by_mail_class: BTreeMap::new(),
        assumes: ASSUMES,
    };
    for k in 0..cycles {
        let Some(date) = u64::try_from(k)
            .ok()
            .and_then(|k| k.checked_mul(u64::from(every)))
            .and_then(|days| from.checked_add_days(chrono::Days::new(days)))
        else {
            break;
        };
        let plan = plan_with(job, &history, date);
        let mut cycle = ForecastCycle {
            date: date.to_string(),
            ..ForecastCycle::default()
        };
        let mut rows: BTreeMap<(usize, Option<usize>, String), u64> = BTreeMap::new();
        // Composers by (step, variant), made once a cycle.
        let mut composers: BTreeMap<(usize, Option<usize>), Composer<'_>> = BTreeMap::new();
        let mut committed = Vec::new();
        for d in &plan.decisions {
            let step = &campaign.steps[d.step];
            let contact = &job.contacts.list[d.contact];
            let mut outcome = d.outcome.clone();
            if outcome == Outcome::Issued {
                let variant = step.variant_for(&campaign.id, &contact.id);
                let rendering = variant.and_then(|v| step.variants.get(v)).unwrap_or(step);
                let composer = composers
                    .entry((d.step, variant))
                    .or_insert_with(|| Composer::new(job, rendering, date));
                let pid = crate::mailing::piece_id(&campaign.id, &contact.id, &step.id);
                match composer.set(contact, &pid, None).map_err(|e| *e)? {
                    Set::Held(hold) => {
                        outcome = Outcome::Held(crate::hold::Reason::Piece(hold));
                    }
                    Set::Piece(_) => {
                        let class = campaign
                            .mail_class(job.contacts.get(contact, Field::Country))
                            .to_string();
                        *rows.entry((d.step, variant, class)).or_default() += 1;
                    }
                }
            }
            match &outcome {
                Outcome::Issued => cycle.pieces += 1,
                Outcome::Holdout => cycle.holdout += 1,
                Outcome::Expired => cycle.expired += 1,
                Outcome::Skipped => cycle.skipped += 1,
                Outcome::Held(_) => cycle.held += 1,
                Outcome::CarriedOver(_) => cycle.carried_over += 1,
                Outcome::Suppressed | Outcome::Duplicate => {}
            }
            if let Some(done) = outcome.committed() {
                committed.push((contact.id.to_string(), step.id.clone(), done));
            }
        }
        for (contact, step, done) in committed {
            history.entry(contact).or_default().push((step, date, done));
        }
        for ((si, vi, class), pieces) in rows {
            let step = &campaign.steps[si];
            let rendering = vi.and_then(|v| step.variants.get(v)).unwrap_or(step);
            let layout = job.layout(rendering);
            *out.by_stock.entry(layout.stock.clone()).or_default() += pieces;
            *out.by_mail_class.entry(class.clone()).or_default() += pieces;
            cycle.rows.push(ForecastRow {
                step: step.id.clone(),
                variant: rendering.variant.clone(),
                layout: layout.id.clone(),
                stock: layout.stock.clone(),
                mail_class: class,
                pieces,
            });
        }
        out.cycles.push(cycle);
    }
    Ok(out)
}
