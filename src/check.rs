//! What `validate` checks beyond loading a [`Job`]: every contact's pieces set once, as a run
//! would, the ledger with the folders it committed, and which postal rules each layout was
//! checked against (also in every cycle's `preflight.csv`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;

use crate::compose::{Composer, Set};
use crate::hold::Hold;
use crate::job::Job;
use crate::ledger::Ledger;

/// A piece a run would hold.
pub struct WouldHold<'a> {
    /// The contact's id.
    pub contact: &'a str,
    /// The contact's line in the contacts file.
    pub line: u64,
    /// The step.
    pub step: &'a str,
    /// The step's layout.
    pub layout: &'a str,
    /// Why.
    pub hold: Hold,
}

impl std::fmt::Display for WouldHold<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "contact `{}` (line {}), step `{}`, layout `{}`: {}",
            self.contact, self.line, self.step, self.layout, self.hold
        )
    }
}

/// Sets every contact's piece of every step (ignoring the drip rules, which decide who is
/// due), to find text that will not fit and images that cannot be read.
///
/// # Errors
/// An element with `overflow = "fail"` that does not fit: a run would stop.
pub fn pieces(job: &Job) -> Result<Vec<WouldHold<'_>>> {
    let mut holds = Vec::new();
    let date = NaiveDate::default();
    for step in &job.campaign.steps {
        let composer = Composer::new(job, step, date);
        for c in &job.contacts.list {
            let pid = crate::mailing::piece_id(&job.campaign.id, &c.id, &step.id);
            if let Set::Held(hold) = composer.set(c, &pid, None).map_err(|e| *e)? {
                holds.push(WouldHold {
                    contact: &c.id,
                    line: c.line,
                    step: &step.id,
                    layout: &composer.layout.id,
                    hold,
                });
            }
        }
    }
    Ok(holds)
}

/// The ledger of a campaign, checked.
pub struct LedgerCheck {
    /// The campaign's committed cycles.
    pub cycles: usize,
    /// Committed folders that are gone or whose files changed since they were committed.
    pub folders: Vec<String>,
}

/// Checks every page and index of the ledger at `path`, and that each committed folder of
/// `job`'s campaign still there holds the files the ledger committed. `None` when there is
/// no ledger yet.
///
/// # Errors
/// A ledger that cannot be read or is damaged.
pub fn ledger(job: &Job, path: &Path) -> Result<Option<LedgerCheck>> {
    let Some(l) = Ledger::open_read(path)? else {
        return Ok(None);
    };
    l.check(true)?;
    let cycles = l.cycles(&job.campaign.id)?;
    let mut folders = Vec::new();
    for c in &cycles {
        let Some(folder) = c.folder.as_deref().map(PathBuf::from) else {
            continue;
        };
        let Ok(date) = NaiveDate::parse_from_str(&c.cycle_date, "%Y-%m-%d") else {
            continue;
        };
        if !folder.exists() {
            folders.push(format!(
                "cycle {date}: folder `{}` is not there (archived or moved?)",
                folder.display()
            ));
        } else if let Err(e) = crate::output::verify(&folder, &l.files(&job.campaign.id, date)?) {
            folders.push(format!(
                "cycle {date}: {e:#}; the committed files are no longer as printed"
            ));
        }
    }
    Ok(Some(LedgerCheck {
        cycles: cycles.len(),
        folders,
    }))
}

/// How one layout fared against one postal rule (or that it was not checked).
pub struct PostalCheck<'a> {
    /// The layout.
    pub layout: &'a crate::layout::Layout,
    /// The rule; `None` when the layout declares no `mail_piece` and nothing was checked.
    pub rule: Option<crate::layout::postal::Rule>,
    /// `pass`, `warn` or `not checked`.
    pub status: &'static str,
    /// The element's line, for a warning.
    pub line: Option<usize>,
    /// What was found, or what the rule is.
    pub detail: String,
}

/// Every postal rule of every layout the campaign uses. (A rule that holds refuses the job
/// when it loads, so a loaded job only has passes, warnings and unchecked layouts.)
#[must_use]
pub fn postal(job: &Job) -> Vec<PostalCheck<'_>> {
    use crate::layout::postal::{Rule, check};
    let mut out = Vec::new();
    for layout in job.layouts.values() {
        // Nothing crosses a fold (refused at load otherwise): one row per folded layout.
        if !layout.folds.is_empty() {
            out.push(PostalCheck {
                layout,
                rule: Some(Rule::AcrossFold),
                status: "pass",
                line: None,
                detail: format!(
                    "{}: no text, address or code crosses its {} ({})",
                    Rule::AcrossFold.id(),
                    crate::words::count(layout.folds.len(), "fold", "folds"),
                    Rule::AcrossFold.source()
                ),
            });
        }
        let Some(piece) = layout.mail_piece else {
            out.push(PostalCheck {
                layout,
                rule: None,
                status: "not checked",
                line: None,
                detail: "the layout declares no mail_piece: its postal geometry is not checked"
                    .into(),
            });
            continue;
        };
        let findings = check(layout);
        let folded_panel = layout.address_panel.is_some() && !layout.folds.is_empty();
        for rule in piece.rules(folded_panel) {
            let found: Vec<_> = findings.iter().filter(|f| f.rule == rule).collect();
            if found.is_empty() {
                out.push(PostalCheck {
                    layout,
                    rule: Some(rule),
                    status: "pass",
                    line: None,
                    detail: format!(
                        "{}: passes as {} ({})",
                        rule.id(),
                        piece.name(),
                        rule.source()
                    ),
                });
            }
            for f in found {
                out.push(PostalCheck {
                    layout,
                    rule: Some(rule),
                    status: "warn",
                    line: Some(f.line),
                    detail: f.to_string(),
                });
            }
        }
    }
    out
}
