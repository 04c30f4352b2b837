//! The counts of a cycle by outcome, step and layout, with its files: `summary.json`.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::job::Job;
use crate::schedule::{Outcome, Plan};

/// Counts of due pieces by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Printed and committed.
    pub issued: u64,
    /// `when` false: committed as skipped.
    pub skipped: u64,
    /// Blocked (frequency cap, a piece that could not be set): still due.
    pub held: u64,
    /// Left for a later cycle (capacity, one piece per cycle): still due.
    pub carried_over: u64,
    /// On a do-not-mail list.
    pub suppressed: u64,
    /// Another contact of the household is mailed.
    pub duplicate: u64,
    /// In a holdout (control) group: committed, nothing printed.
    pub holdout: u64,
    /// Due too long ago (`expires_after_days`): committed, nothing printed.
    pub expired: u64,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Issued => self.issued += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Held(_) => self.held += 1,
            Outcome::CarriedOver(_) => self.carried_over += 1,
            Outcome::Suppressed => self.suppressed += 1,
            Outcome::Duplicate => self.duplicate += 1,
            Outcome::Holdout => self.holdout += 1,
            Outcome::Expired => self.expired += 1,
        }
    }
}

/// Counts for one step.
#[derive(Clone, Debug, Serialize)]
pub struct StepCounts {
    /// Step id.
    pub step: String,
    /// Its layout.
    pub layout: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Counts for one layout.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutCounts {
    /// Layout id.
    pub layout: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Totals over the whole cycle.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    /// Outcome counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Input rows not used.
    pub rejected: u64,
    /// Contacts enrolled after the cycle date.
    pub not_enrolled: u64,
    /// Contacts who left the drip (an `exit_on` event).
    pub exited: u64,
}

/// One PDF of the cycle.
#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    /// Path relative to the cycle folder.
    pub file: String,
    /// Step id.
    pub step: String,
    /// The A/B variant its pieces are, for a step with variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Layout id.
    pub layout: String,
    /// Pieces in the file.
    pub pieces: u64,
    /// Pages in the file.
    pub pages: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Trim size, for people.
    pub trim: String,
    /// Bleed in inches.
    pub bleed_in: f64,
    /// Paper stock from the layout.
    pub stock: String,
    /// Pages per piece.
    pub sides: u64,
    /// The mail class of its pieces (`[postage]`; absent without one): a file holds one
    /// class.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mail_class: String,
}

/// A piece that was due but not issued, and why.
#[derive(Clone, Debug, Serialize)]
pub struct HeldPiece {
    /// Contact id.
    pub contact_id: String,
    /// Step id.
    pub step: String,
    /// `held` or `carried_over`.
    pub outcome: String,
    /// Why, as a stable name to group by (`frequency_cap`, `text_overflow`...: see
    /// [`crate::hold::Reason::kind`]).
    pub kind: String,
    /// Why, for people.
    pub reason: String,
    /// The layout line of the element that could not be set, when one could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Rejected rows per input file.
#[derive(Clone, Debug, Serialize)]
pub struct RejectCount {
    /// Input file, relative to the campaign.
    pub file: String,
    /// Rows not used.
    pub rows: u64,
}

/// What a cycle did: the content of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Campaign id.
    pub campaign: String,
    /// Campaign name.
    pub name: String,
    /// Cycle date.
    pub cycle_date: String,
    /// Totals.
    pub totals: Totals,
    /// Counts by step, in campaign order.
    pub steps: Vec<StepCounts>,
    /// Counts by layout.
    pub layouts: Vec<LayoutCounts>,
    /// Every PDF with its pages and checksum.
    pub files: Vec<FileInfo>,
    /// The press-sheet PDFs, when the cycle is imposed (`impose`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<SheetInfo>,
    /// Rejected rows by file.
    pub rejects: Vec<RejectCount>,
    /// Pieces per presort group and step (not a certified USPS presort).
    pub presort: Vec<PresortCount>,
    /// Pieces per mail class and step (empty without `[postage]`).
    pub mail_classes: Vec<ClassCount>,
    /// Pieces held or carried over, with the reason.
    pub not_issued: Vec<HeldPiece>,
    /// Warnings that did not stop the cycle.
    pub warnings: Vec<String>,
}

/// One press-sheet PDF: the pieces of one file, imposed cut and stack.
#[derive(Clone, Debug, Serialize)]
pub struct SheetInfo {
    /// The sheet PDF.
    pub file: String,
    /// The piece PDF whose pieces it carries.
    pub pieces_file: String,
    /// The sheet, as named (`12x18`).
    pub sheet: String,
    /// Pieces across and down each sheet.
    pub across: u64,
    /// Pieces down.
    pub down: u64,
    /// True when the pieces are turned 90° on the sheet.
    pub rotated: bool,
    /// Sheets (each printed on both sides for a two-sided piece).
    pub sheets: u64,
    /// Pages (sheet sides).
    pub pages: u64,
    /// Most sheets in one stack.
    pub stack_depth: u64,
    /// Pieces it carries.
    pub pieces: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// For each sheet, then each slot: the piece's place in `pieces_file` (from 1), 0 for a
    /// blank slot (recorded in the ledger for `reprint --sheet`).
    #[serde(skip)]
    pub slots: Vec<u32>,
}

/// Pieces of one mail class in one step.
#[derive(Clone, Debug, Serialize)]
pub struct ClassCount {
    /// Step id.
    pub step: String,
    /// Mail class, from the campaign's `[postage]`.
    pub class: String,
    /// Pieces issued.
    pub pieces: u64,
}

/// Pieces in one presort group of one step.
#[derive(Clone, Debug, Serialize)]
pub struct PresortCount {
    /// Step id.
    pub step: String,
    /// Group id: `5D:62701`, `3D:627`, `MXD` or `INTL:IT`.
    pub group: String,
    /// Pieces in it.
    pub pieces: u64,
}

/// Counts the plan's outcomes by step, layout and in total.
#[must_use]
pub fn summarize(job: &Job, plan: &Plan, files: Vec<FileInfo>, date: NaiveDate) -> Summary {
    let campaign = &job.campaign;
    let mut totals = Totals {
        rejected: job.rejects.len() as u64,
        not_enrolled: plan.not_enrolled as u64,
        exited: plan.exited as u64,
        ..Totals::default()
    };
    let mut steps: Vec<StepCounts> = campaign
        .steps
        .iter()
        .map(|s| StepCounts {
            step: s.id.clone(),
            layout: s.layout.clone(),
            counts: Counts::default(),
        })
        .collect();
    let mut layouts: Vec<LayoutCounts> = job
        .layouts
        .keys()
        .map(|l| LayoutCounts {
            layout: l.clone(),
            counts: Counts::default(),
        })
        .collect();
    let mut not_issued = Vec::new();
    for d in &plan.decisions {
        totals.counts.add(&d.outcome);
        steps[d.step].counts.add(&d.outcome);
        if let Some(l) = layouts
            .iter_mut()
            .find(|l| l.layout == campaign.steps[d.step].layout)
        {
            l.counts.add(&d.outcome);
        }
        if let Outcome::Held(reason) | Outcome::CarriedOver(reason) = &d.outcome {
            not_issued.push(HeldPiece {
                contact_id: job.contacts.list[d.contact].id.to_string(),
                step: campaign.steps[d.step].id.clone(),
                outcome: d.outcome.kind().into(),
                kind: reason.kind().into(),
                reason: reason.to_string(),
                line: match reason {
                    crate::hold::Reason::Piece(crate::hold::Hold {
                        place: crate::hold::Place::Element { line, .. },
                        ..
                    }) => Some(*line),
                    _ => None,
                },
            });
        }
    }
    let mut rejects: Vec<RejectCount> = Vec::new();
    for r in &job.rejects {
        let file = relative(&r.file, job.campaign.dir());
        match rejects.iter_mut().find(|x| x.file == file) {
            Some(x) => x.rows += 1,
            None => rejects.push(RejectCount { file, rows: 1 }),
        }
    }
    Summary {
        campaign: campaign.id.clone(),
        name: campaign.name.clone(),
        cycle_date: date.to_string(),
        totals,
        steps,
        layouts,
        files,
        rejects,
        presort: Vec::new(),
        mail_classes: Vec::new(),
        not_issued,
        sheets: Vec::new(),
        warnings: job.warnings.clone(),
    }
}

/// `path` relative to `base` when it is inside it, else as given.
#[must_use]
pub fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
