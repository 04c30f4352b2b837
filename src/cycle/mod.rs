//! One cycle: plan who is due what, render the pieces file by file into a staging folder,
//! write the reports, commit the ledger, then put the folder in place (ARCHITECTURE.md).

mod forecast;
mod pipeline;
mod plan;
mod print_order;
mod proof;
mod render;
mod reprint;

pub(crate) use forecast::{Forecast, forecast};
pub(crate) use plan::{address_of, household_of, plan};
pub(crate) use proof::proof;
pub(crate) use reprint::{Select, reprint};

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{Aftermath, Hinted};
use crate::job::Job;
use crate::ledger::{CycleRecord, Ledger};
use crate::output::Staging;
use crate::report::{Summary, summarize, write_reports};
use render::render_files;

/// How to run a cycle.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cycle date.
    pub date: NaiveDate,
    /// The `OUT` folder; the cycle goes to `OUT/<date>`.
    pub out: PathBuf,
    /// Ledger file.
    pub ledger: PathBuf,
    /// Render and count, but publish and commit nothing.
    pub dry_run: bool,
    /// Start a new ledger even though cycle folders of the campaign exist (its ledger was
    /// lost on purpose).
    pub new_ledger: bool,
    /// The wall-clock time to record in the ledger (only the CLI reads the clock).
    pub committed_at: String,
    /// Progress on the terminal ([`Progress::off`] outside the CLI).
    pub progress: crate::progress::Progress,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Files published and decisions committed.
    Committed,
    /// The date was committed before; nothing changed.
    AlreadyCommitted,
    /// Nothing published or committed.
    DryRun,
}

/// The result of [`run`].
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// How it ended.
    pub status: Status,
    /// The cycle folder.
    pub out_dir: PathBuf,
    /// The ledger file.
    pub ledger: PathBuf,
    /// What the cycle did (absent when it was already committed).
    pub summary: Option<Summary>,
    /// Wall-clock seconds of each phase (plan, render, reports, commit), for the benchmark;
    /// not in `--json`, whose output depends only on the inputs.
    #[serde(skip)]
    pub phases: Vec<(&'static str, f64)>,
}

/// Runs the cycle `options.date` of `job`: plan, render into a staging folder, flush, commit
/// the ledger (decisions, files and checksums, staging and final folder), rename the folder
/// into place, record that it is. A crash at any point leaves either nothing under the final
/// name and nothing committed, or a committed cycle whose rename the next run finishes.
///
/// # Errors
/// When another run holds the ledger, the date is earlier than the last committed cycle, the
/// cycle's folder name is taken, a file cannot be written or the ledger committed; nothing is
/// committed then (the message says so when the commit went through but the rename did not).
pub fn run(job: &Job, options: &RunOptions) -> Result<RunReport> {
    let campaign = &job.campaign;
    // Absolute: the ledger records the folders, and the next run may start elsewhere.
    let out = std::path::absolute(&options.out)
        .with_context(|| format!("cannot resolve `{}`", options.out.display()))?;
    let root = crate::output::campaign_root(&out, &campaign.id);
    let folder = root.join(options.date.to_string());
    let mut phases = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let report = |status, out_dir: &Path, summary, phases: Vec<(&'static str, f64)>| RunReport {
        status,
        out_dir: out_dir.to_path_buf(),
        ledger: options.ledger.clone(),
        summary,
        phases,
    };
    // A run holds the ledger for writing; a dry run only reads it (and the serial store, to
    // show the serials a run would use), takes no lock and writes nothing.
    let mut session = if options.dry_run {
        None
    } else {
        Some(crate::session::Session::begin(
            campaign,
            &crate::session::SessionOptions {
                ledger: &options.ledger,
                out: &out,
                new_ledger: options.new_ledger,
                started: &options.committed_at,
            },
        )?)
    };
    let mut read_only = None;
    if options.dry_run {
        read_only = Ledger::open_read(&options.ledger)?;
        if let (Some(l), Some(_)) = (read_only.as_mut(), &campaign.imb) {
            l.attach_store(&crate::session::serial_store(campaign)?, false)?;
        }
    }
    let ledger = session.as_ref().map(|s| &s.ledger).or(read_only.as_ref());
    if let Some(l) = ledger {
        if let Some(f) = l.committed(&campaign.id, options.date)? {
            return Ok(report(
                Status::AlreadyCommitted,
                &f.unwrap_or(folder),
                None,
                phases,
            ));
        }
        check_not_earlier(l, &campaign.id, options.date)?;
    }
    if !options.dry_run && folder.exists() {
        return Err(Hinted::new(
            format!(
                "`{}` exists, but the ledger `{}` has no cycle {} of `{}`: dripmail never replaces a cycle folder it did not commit",
                folder.display(),
                options.ledger.display(),
                options.date,
                campaign.id
            ),
            "it may belong to another ledger, or be a copy; move it away and run again",
        )
        .into());
    }
    // Everything up to the commit: a failure here leaves nothing behind (the staging folder
    // is removed when dropped) and commits nothing.
    let prepared = (|| -> Result<_> {
        let spinner = options.progress.spinner("planning the cycle");
        let mut plan = plan(job, ledger, options.date)?;
        drop(spinner);
        lap("plan");
        crate::fault::point("planned");
        let staging = if options.dry_run {
            Staging::discard(&folder)
        } else {
            Staging::new(&root, &options.date.to_string())?
        };
        if let Some(dir) = staging.dir() {
            crate::interrupt::track(dir.to_path_buf());
        }
        let mut rendered = render_files(job, &mut plan, options, &staging, ledger)?;
        lap("render");
        let mut summary = summarize(
            job,
            &plan,
            std::mem::take(&mut rendered.files),
            options.date,
        );
        summary.presort = std::mem::take(&mut rendered.presort);
        summary.mail_classes = std::mem::take(&mut rendered.mail_classes);
        summary.sheets = std::mem::take(&mut rendered.sheets);
        write_reports(job, &summary, &staging)?;
        crate::fault::point("reports-written");
        let files = staging.seal()?;
        lap("reports");
        crate::fault::point("sealed");
        Ok((staging, rendered, summary, files))
    })();
    let Some(session) = session.as_mut() else {
        let (_, _, summary, _) = prepared?;
        return Ok(report(Status::DryRun, &folder, Some(summary), phases));
    };
    let (staging, rendered, summary, files) = prepared.map_err(nothing_committed)?;
    let ledger = &mut session.ledger;
    let staged = staging.dir().map(Path::to_path_buf).unwrap_or_default();
    let n_pdfs = summary.files.len();
    // The rows the issued pieces were rendered from, for reprints of exactly what was mailed.
    let by_id: std::collections::HashMap<&str, &crate::contacts::Contact> =
        job.contacts.list.iter().map(|c| (&*c.id, c)).collect();
    let rows = crate::snapshot::capture(
        &job.contacts,
        rendered.entries.iter().filter_map(|e| {
            let piece = e.piece_id.as_deref()?;
            Some((piece, *by_id.get(e.contact_id.as_str())?))
        }),
    )
    .map_err(nothing_committed)?;
    drop(by_id);
    let holds: Vec<crate::ledger::HoldRecord> = summary
        .not_issued
        .iter()
        .filter(|p| p.outcome == "held")
        .map(|p| crate::ledger::HoldRecord {
            contact_id: p.contact_id.clone(),
            step: p.step.clone(),
            kind: p.kind.clone(),
            reason: p.reason.clone(),
        })
        .collect();
    let sheets: Vec<crate::ledger::SheetRecord> = summary
        .sheets
        .iter()
        .map(|s| crate::ledger::SheetRecord {
            file: s.file.clone(),
            pieces_file: s.pieces_file.clone(),
            sheet: s.sheet.clone(),
            across: u32::try_from(s.across).unwrap_or(u32::MAX),
            down: u32::try_from(s.down).unwrap_or(u32::MAX),
            rotated: s.rotated,
            stack_depth: u32::try_from(s.stack_depth).unwrap_or(u32::MAX),
            slots: s.slots.clone(),
        })
        .collect();
    let spinner = options.progress.spinner("committing the cycle");
    crate::interrupt::committing(|| -> Result<()> {
        ledger
            .commit(
                &CycleRecord {
                    campaign: &campaign.id,
                    date: options.date,
                    committed_at: &options.committed_at,
                    folder: &folder,
                    staging: &staged,
                    files: &files,
                    pdfs: n_pdfs,
                    imb: campaign
                        .imb
                        .as_ref()
                        .zip(rendered.serials_next)
                        .map(|(imb, next)| (imb.mailer_id.as_str(), next)),
                    holds: &holds,
                    rows: Some(&rows),
                    sheets: &sheets,
                },
                &rendered.entries,
            )
            .map_err(|e| nothing_committed(e.into()))?;
        crate::interrupt::untrack(&staged);
        crate::fault::point("committed");
        staging.publish().map_err(|e| Aftermath {
            error: anyhow::Error::new(e).context(format!(
                "cycle {} is committed, but its folder is not in place yet",
                options.date
            )),
            state: "the next run (of any campaign on this ledger) puts it in place first".into(),
        })?;
        crate::fault::point("published");
        ledger.mark_published(&campaign.id, options.date)?;
        // A kill before a commit's journals were first flushed leaves them (harmless, not
        // hot) and their super-journal; this commit replaced the journals, so the
        // super-journal is an orphan now.
        crate::ledger::remove_orphan_super_journals(&options.ledger);
        Ok(())
    })?;
    drop(spinner);
    lap("commit");
    Ok(report(Status::Committed, &folder, Some(summary), phases))
}

/// `e` with the line that tells a scheduler's log that the run may simply be repeated.
fn nothing_committed(error: anyhow::Error) -> anyhow::Error {
    Aftermath {
        error,
        state: "nothing was committed: the next run starts this cycle again".into(),
    }
    .into()
}

/// Refuses `date` when `campaign`'s last committed cycle is later.
fn check_not_earlier(ledger: &Ledger, campaign: &str, date: NaiveDate) -> Result<()> {
    if let Some(last) = ledger.last_cycle(campaign)?
        && last > date
    {
        return Err(crate::ledger::LedgerError::Earlier {
            campaign: campaign.into(),
            date,
            last,
        }
        .into());
    }
    Ok(())
}
