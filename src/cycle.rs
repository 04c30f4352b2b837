//! One cycle: plan who is due what, render the pieces file by file, write the manifest,
//! summary, rejects and job ticket, publish the folder, then commit the ledger.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use smol_str::SmolStr;

use crate::address::{address_key, household_key};
use crate::contacts::Field;
use crate::job::Job;
use crate::ledger::{CycleRecord, Entry, Ledger};
use crate::output::{StagedFile, Staging};
use crate::render::{Assets, FileWriter, PdfOptions};
use crate::schedule::{self, ContactIn, Decided, Outcome, Plan, Rules, StepRule, Suppressed};

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
    /// Why.
    pub reason: String,
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
    /// Rejected rows by file.
    pub rejects: Vec<RejectCount>,
    /// Pieces per presort group and step (not a certified USPS presort).
    pub presort: Vec<PresortCount>,
    /// Pieces held or carried over, with the reason.
    pub not_issued: Vec<HeldPiece>,
    /// Warnings that did not stop the cycle.
    pub warnings: Vec<String>,
}

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

/// The scheduling rules of the job's campaign.
fn rules(job: &Job) -> Rules {
    let c = &job.campaign;
    Rules {
        steps: c
            .steps
            .iter()
            .map(|s| StepRule {
                id: s.id.clone(),
                delay_days: s.delay_days,
                trigger: s.trigger.clone(),
            })
            .collect(),
        exit_on: c.exit_on.clone(),
        min_gap_days: c.min_gap_days,
        max_pieces_per_cycle: c.max_pieces_per_cycle,
    }
}

/// Applies the drip rules for `date` with the ledger's history.
///
/// # Errors
/// When the ledger cannot be read.
pub fn plan(job: &Job, ledger: Option<&Ledger>, date: NaiveDate) -> Result<Plan> {
    let history = match ledger {
        Some(l) => l.decisions(&job.campaign.id)?,
        None => HashMap::new(),
    };
    let step_index: HashMap<&str, usize> = job
        .campaign
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let contacts = &job.contacts;
    let histories: Vec<Vec<Decided>> = contacts
        .list
        .iter()
        .map(|c| {
            history.get(&*c.id).map_or_else(Vec::new, |h| {
                h.iter()
                    .map(|(step, d, issued)| Decided {
                        step: step_index.get(step.as_str()).copied(),
                        date: *d,
                        issued: *issued,
                    })
                    .collect()
            })
        })
        .collect();
    let inputs: Vec<ContactIn<'_>> = contacts
        .list
        .iter()
        .zip(&histories)
        .map(|(c, h)| ContactIn {
            id: &c.id,
            enrolled_on: c.enrolled_on,
            household: household_key(
                contacts.last_name(c),
                contacts.get(c, Field::Address1),
                contacts.get(c, Field::Address2),
                contacts.get(c, Field::PostalCode),
                contacts.get(c, Field::Country),
            ),
            address: address_key(
                contacts.get(c, Field::Address1),
                contacts.get(c, Field::PostalCode),
            ),
            events: job.events.get(&*c.id).map_or(&[], Vec::as_slice),
            history: h,
        })
        .collect();
    let suppressed = Suppressed {
        ids: Some(&job.suppression.ids),
        addresses: Some(&job.suppression.addresses),
    };
    let mut conditions =
        |ci: usize, si: usize| job.condition(&job.campaign.steps[si], &contacts.list[ci], date);
    Ok(schedule::plan(
        &rules(job),
        &inputs,
        &suppressed,
        contacts.numeric_ids,
        date,
        &mut conditions,
    ))
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
        bail!(
            "`{}` exists, but the ledger `{}` has no cycle {} of `{}`: dripmail never replaces a cycle folder it did not commit\nhint: it may belong to another ledger, or be a copy; move it away and run again",
            folder.display(),
            options.ledger.display(),
            options.date,
            campaign.id
        );
    }
    // Everything up to the commit: a failure here leaves nothing behind (the staging folder
    // is removed when dropped) and commits nothing.
    let prepared = (|| -> Result<_> {
        let mut plan = plan(job, ledger, options.date)?;
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
                },
                &rendered.entries,
            )
            .map_err(|e| nothing_committed(e.into()))?;
        crate::interrupt::untrack(&staged);
        crate::fault::point("committed");
        staging.publish().map_err(|e| {
            anyhow::anyhow!(
                "cycle {} is committed, but its folder is not in place yet: {e:#}\nthe next run (of any campaign on this ledger) puts it in place first",
                options.date
            )
        })?;
        crate::fault::point("published");
        ledger.mark_published(&campaign.id, options.date)?;
        // A kill before a commit's journals were first flushed leaves them (harmless, not
        // hot) and their super-journal; this commit replaced the journals, so the
        // super-journal is an orphan now.
        crate::ledger::remove_orphan_super_journals(&options.ledger);
        Ok(())
    })?;
    lap("commit");
    Ok(report(Status::Committed, &folder, Some(summary), phases))
}

/// `e` with the line that tells a scheduler's log that the run may simply be repeated.
fn nothing_committed(e: anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}\nnothing was committed: the next run starts this cycle again")
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

/// What rendering produced: files, ledger entries, manifest rows, presort group counts.
struct Rendered {
    files: Vec<FileInfo>,
    entries: Vec<Entry>,
    presort: Vec<PresortCount>,
    serials_next: Option<u64>,
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

/// IMb serial numbers for one mailer id: sequential, never one used in the last 45 days.
struct Serials {
    next: u64,
    modulus: u64,
    recent: std::collections::HashSet<u64>,
}

impl Serials {
    fn take(&mut self) -> Result<u64> {
        for _ in 0..self.modulus {
            let s = self.next;
            self.next = (self.next + 1) % self.modulus;
            if self.recent.insert(s) {
                return Ok(s);
            }
        }
        bail!("every IMb serial number of this mailer id was used in the last 45 days")
    }
}

/// Renders every issued piece into files of at most `max_pieces_per_file`, in presort order.
/// A piece that cannot be set becomes held.
fn render_files(
    job: &Job,
    plan: &mut Plan,
    options: &RunOptions,
    staging: &Staging,
    ledger: Option<&Ledger>,
) -> Result<Rendered> {
    let campaign = &job.campaign;
    let contacts = &job.contacts;
    let assets = Assets::default();
    let mut out = Rendered {
        files: Vec::new(),
        entries: Vec::with_capacity(plan.decisions.len()),
        presort: Vec::new(),
        serials_next: None,
    };
    let mut serials = match &campaign.imb {
        None => None,
        Some(imb) => {
            let (next, recent) = match ledger {
                Some(l) => l.imb_state(&imb.mailer_id, options.date)?,
                None => (0, std::collections::HashSet::new()),
            };
            let modulus = if imb.mailer_id.len() == 9 {
                1_000_000
            } else {
                1_000_000_000
            };
            Some(Serials {
                next: next % modulus,
                modulus,
                recent,
            })
        }
    };
    let mut manifest = manifest_writer(job, staging)?;
    let mut seq: u64 = 0;
    for d in &plan.decisions {
        if d.outcome == Outcome::Skipped {
            out.entries.push(Entry {
                contact_id: SmolStr::new(&contacts.list[d.contact].id),
                step: SmolStr::new(&campaign.steps[d.step].id),
                issued: false,
                piece_id: None,
                file: None,
                first_page: None,
                imb: None,
            });
        }
    }
    for (si, step) in campaign.steps.iter().enumerate() {
        let layout = job.layout(step);
        let pieces: Vec<usize> = (0..plan.decisions.len())
            .filter(|&i| {
                plan.decisions[i].step == si && plan.decisions[i].outcome == Outcome::Issued
            })
            .collect();
        // Presort over the whole step, then mailing order within each group.
        let address = |di: usize| {
            let c = &contacts.list[plan.decisions[di].contact];
            (
                contacts.get(c, Field::Country),
                contacts.get(c, Field::PostalCode),
            )
        };
        let addrs: Vec<(&str, &str)> = pieces.iter().map(|&di| address(di)).collect();
        // Sort keys made once per piece (group rank, group, mailing order): a comparison
        // then allocates nothing.
        let mut keyed: Vec<(u8, SmolStr, (&str, String), usize)> = crate::mailing::presort(&addrs)
            .into_iter()
            .zip(pieces.iter().zip(&addrs))
            .map(|((group, rank), (&di, &(country, postal)))| {
                (
                    rank,
                    SmolStr::new(group),
                    crate::mailing::mail_key(country, postal),
                    di,
                )
            })
            .collect();
        drop(addrs);
        keyed.sort_by(|a, b| {
            (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)).then_with(|| {
                contacts.compare_ids(
                    &contacts.list[plan.decisions[a.3].contact].id,
                    &contacts.list[plan.decisions[b.3].contact].id,
                )
            })
        });
        // Presort group by decision index (group ids are short: inline, no allocation).
        let mut groups = vec![SmolStr::default(); plan.decisions.len()];
        let pieces: Vec<usize> = keyed
            .into_iter()
            .map(|(_, group, _, di)| {
                groups[di] = group;
                di
            })
            .collect();
        // Where each presort group of this step is counted in `out.presort`.
        let mut presort_at: HashMap<String, usize> = HashMap::new();
        let mask = job.static_mask(step, layout);
        let statics = job
            .static_marks(step, layout, &mask, options.date)
            .map_err(|h| anyhow::anyhow!("{}: {h}", layout.path.display()))?;
        let intent = job.output_intent(layout);
        let mut file_no = 0;
        // IMb serials in print order first, so files can be rendered in any order.
        let mut imbs: Vec<Option<ImbUse>> = Vec::with_capacity(pieces.len());
        for &di in &pieces {
            let contact = &contacts.list[plan.decisions[di].contact];
            let mut use_ = None;
            if let (Some(imb), Some(serials)) = (&campaign.imb, serials.as_mut()) {
                let us = crate::address::same_country(contacts.get(contact, Field::Country), "US");
                let routing = crate::imb::routing(
                    contacts.get(contact, Field::PostalCode),
                    contacts.get(contact, Field::DeliveryPoint),
                );
                if let (true, Some(routing)) = (us, routing) {
                    let serial = serials.take()?;
                    let tracking = crate::imb::tracking_code(
                        &imb.barcode_id,
                        &imb.service_type,
                        &imb.mailer_id,
                        serial,
                    )?;
                    let bars = crate::imb::encode(&tracking, &routing)?;
                    use_ = Some(Box::new((serial, format!("{tracking}{routing}"), bars)));
                }
            }
            imbs.push(use_);
        }
        let max = campaign.max_pieces_per_file;
        let chunks: Vec<(&[usize], &[Option<ImbUse>])> =
            pieces.chunks(max).zip(imbs.chunks(max)).collect();
        let ctx = FileJob {
            job,
            step,
            layout,
            mask: &mask,
            statics: &statics,
            intent: &intent,
            assets: &assets,
            date: options.date,
        };
        let mut held_now: Vec<(usize, String)> = Vec::new();
        let step_id = SmolStr::new(&step.id);
        // Files rendered on every thread, taken here in print order as they come: parallel,
        // yet never more than a few files in memory.
        let plan_now: &Plan = plan;
        in_order(
            &chunks,
            |(chunk, imbs)| render_file(&ctx, plan_now, chunk, imbs),
            |rendered| {
                let RenderedFile {
                    bytes,
                    sha256,
                    pages,
                    placed,
                    held,
                } = rendered?;
                held_now.extend(held);
                if placed.is_empty() {
                    return Ok(());
                }
                file_no += 1;
                let name = crate::mailing::file_name(&step.id, &layout.id, file_no);
                staging.write(&name, &bytes, Some(sha256.clone()))?;
                crate::fault::point("file-written");
                let file_id = SmolStr::new(&name);
                for (di, pid, first_page, page_count, purl, imb_use) in placed {
                    let contact = &contacts.list[plan_now.decisions[di].contact];
                    let g = |f| contacts.get(contact, f).to_string();
                    let group = groups[di].to_string();
                    match presort_at.get(&group) {
                        Some(&i) => out.presort[i].pieces += 1,
                        None => {
                            presort_at.insert(group.clone(), out.presort.len());
                            out.presort.push(PresortCount {
                                step: step.id.clone(),
                                group: group.clone(),
                                pieces: 1,
                            });
                        }
                    }
                    let mut fields = vec![
                        pid.clone(),
                        contact.id.to_string(),
                        step.id.clone(),
                        layout.id.clone(),
                        name.clone(),
                        first_page.to_string(),
                        page_count.to_string(),
                        contacts.full_name(contact),
                        g(Field::Company),
                        g(Field::Address1),
                        g(Field::Address2),
                        g(Field::City),
                        g(Field::State),
                        g(Field::PostalCode),
                        g(Field::Country),
                        plan_now.decisions[di].due_on.to_string(),
                        group,
                        purl.unwrap_or_default(),
                    ];
                    if campaign.imb.is_some() {
                        let (code, bars) = imb_use
                            .as_ref()
                            .map_or((String::new(), String::new()), |u| {
                                (u.1.clone(), u.2.clone())
                            });
                        fields.push(code);
                        fields.push(bars);
                    }
                    seq += 1;
                    fields.insert(0, seq.to_string());
                    manifest.write_record(&fields)?;
                    out.entries.push(Entry {
                        contact_id: SmolStr::new(&contact.id),
                        step: step_id.clone(),
                        issued: true,
                        piece_id: Some(SmolStr::new(&pid)),
                        file: Some(file_id.clone()),
                        first_page: u32::try_from(first_page).ok(),
                        imb: imb_use.map(|u| Box::new((u.0, u.1))),
                    });
                }
                out.files.push(FileInfo {
                    file: name,
                    step: step.id.clone(),
                    layout: layout.id.clone(),
                    pieces: (pages / layout.pages.len().max(1)) as u64,
                    pages: pages as u64,
                    bytes: bytes.len() as u64,
                    sha256,
                    trim: layout.trim_label(),
                    bleed_in: (layout.bleed.get() / 72.0 * 1000.0).round() / 1000.0,
                    stock: layout.stock.clone(),
                    sides: layout.pages.len() as u64,
                });
                Ok(())
            },
        )?;
        for (di, reason) in held_now {
            plan.decisions[di].outcome = Outcome::Held(reason);
        }
    }
    manifest
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write manifest.csv: {}", e.error()))?
        .finish(staging)?;
    out.serials_next = serials.map(|s| s.next);
    Ok(out)
}

/// Runs `work` on every item on all of rayon's threads and hands the results to `consume` on
/// this thread in the items' order, as soon as each one's turn comes. Items are taken in order
/// and none more than `2 * threads` ahead of the one awaited, so only a few results are ever
/// held. Stops at the first error `consume` returns.
fn in_order<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    let threads = rayon::current_num_threads().max(1);
    let window = 2 * threads;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // The index `consume` waits for; workers wait on `turn` while too far ahead of it.
    let awaited = Mutex::new(0usize);
    let turn = Condvar::new();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, R)>(threads);
    rayon::in_place_scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, awaited, turn, work) = (&next, &stop, &awaited, &turn, &work);
            scope.spawn(move |_| {
                // A worker that panics stops the others, which would otherwise wait for its
                // item forever; the scope then passes the panic on.
                let _guard = StopOnPanic(stop, turn);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    {
                        let Ok(mut at) = awaited.lock() else { break };
                        while i >= *at + window && !stop.load(Ordering::Relaxed) {
                            let Ok(a) = turn.wait(at) else { return };
                            at = a;
                        }
                    }
                    if stop.load(Ordering::Relaxed) || tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        let outcome = (|| {
            for (i, r) in &rx {
                pending.insert(i, r);
                while let Some(r) = pending.remove(&want) {
                    want += 1;
                    if let Ok(mut at) = awaited.lock() {
                        *at = want;
                    }
                    turn.notify_all();
                    consume(r)?;
                }
            }
            Ok(())
        })();
        let outcome = outcome.and_then(|()| {
            if want == items.len() {
                Ok(())
            } else {
                bail!(
                    "internal: rendering stopped after {want} of {} files",
                    items.len()
                )
            }
        });
        if outcome.is_err() {
            // Workers stop taking items; one blocked on the channel sees it closed.
            stop.store(true, Ordering::Relaxed);
            turn.notify_all();
        }
        drop(rx);
        drop(pending);
        outcome
    })
}

/// Tells the other workers of [`in_order`] to stop when its thread unwinds.
struct StopOnPanic<'a>(&'a std::sync::atomic::AtomicBool, &'a std::sync::Condvar);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            self.1.notify_all();
        }
    }
}

/// One proof file.
#[derive(Clone, Debug, Serialize)]
pub struct ProofFile {
    /// File name in the proofs folder.
    pub file: String,
    /// Step id.
    pub step: String,
    /// Layout id.
    pub layout: String,
    /// Pieces in it.
    pub pieces: u64,
    /// Pages in it.
    pub pages: u64,
    /// Pieces that a run would hold, with the reason.
    pub held: Vec<String>,
}

/// Renders the first `count` contacts through every step (or those using `layout`) with a
/// PROOF watermark into `out`. Ignores the drip rules and the ledger, and commits nothing.
///
/// # Errors
/// When a file cannot be written, or an element with `overflow = "fail"` does not fit.
pub fn proof(
    job: &Job,
    layout: Option<&str>,
    count: usize,
    date: NaiveDate,
    out: &Path,
) -> Result<Vec<ProofFile>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let assets = Assets::default();
    let mut files = Vec::new();
    for step in job
        .campaign
        .steps
        .iter()
        .filter(|s| layout.is_none_or(|l| s.layout == l))
    {
        let layout = job.layout(step);
        let mask = job.static_mask(step, layout);
        let statics = job
            .static_marks(step, layout, &mask, date)
            .map_err(|h| anyhow::anyhow!("{}: {h}", layout.path.display()))?;
        let intent = job.output_intent(layout);
        let mut writer = start_file(layout, &intent, &assets, &statics, true)?;
        let mut held = Vec::new();
        for contact in job.contacts.list.iter().take(count) {
            let pid = crate::mailing::piece_id(&job.campaign.id, &contact.id, &step.id);
            match job.set_piece(step, layout, &mask, contact, &pid, date, &[]) {
                Ok(set) => {
                    for (pi, page) in set.pages.iter().enumerate() {
                        writer.add_page(pi, page)?;
                    }
                }
                Err(h) => held.push(format!("contact `{}`: {h}", contact.id)),
            }
        }
        let name = format!("{}-{}-proof.pdf", step.id, layout.id);
        let options = PdfOptions {
            title: format!("PROOF {} – {}", job.campaign.name, step.id),
            ident: format!("proof/{}/{date}/{name}", job.campaign.id),
        };
        files.push(write_side_file(
            writer, &options, out, name, step, layout, held,
        )?);
    }
    Ok(files)
}

/// Renders issued pieces of a committed cycle again, with the same piece ids and IMb codes,
/// into `out` (one PDF per step), without touching the ledger. Contact data is read from the
/// current contacts file.
///
/// # Errors
/// When the ledger has no such piece, its contact is no longer in the contacts file, a piece
/// cannot be set, or a file cannot be written.
pub fn reprint(
    job: &Job,
    ledger: &Ledger,
    date: NaiveDate,
    pieces: &[String],
    out: &Path,
) -> Result<Vec<ProofFile>> {
    let campaign = &job.campaign;
    // (step index, contact index, piece id, IMb code), in the order asked.
    let mut wanted = Vec::new();
    for pid in pieces {
        let Some((contact_id, step_id, code)) = ledger.issued_piece(&campaign.id, date, pid)?
        else {
            bail!(
                "no piece `{pid}` was issued in cycle {date} of `{}`\nhint: piece ids are in that cycle's manifest.csv",
                campaign.id
            );
        };
        let si = campaign
            .steps
            .iter()
            .position(|s| s.id == step_id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "piece `{pid}` is of step `{step_id}`, which the campaign no longer has"
                )
            })?;
        let ci = job
            .contacts
            .list
            .iter()
            .position(|c| *c.id == *contact_id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "piece `{pid}` is for contact `{contact_id}`, who is no longer in `{}`",
                    campaign.contacts.display()
                )
            })?;
        wanted.push((si, ci, pid.clone(), code));
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let assets = Assets::default();
    let mut files = Vec::new();
    for (si, step) in campaign.steps.iter().enumerate() {
        let mine: Vec<_> = wanted.iter().filter(|w| w.0 == si).collect();
        if mine.is_empty() {
            continue;
        }
        let layout = job.layout(step);
        let mask = job.static_mask(step, layout);
        let statics = job
            .static_marks(step, layout, &mask, date)
            .map_err(|h| anyhow::anyhow!("{}: {h}", layout.path.display()))?;
        let intent = job.output_intent(layout);
        let mut writer = start_file(layout, &intent, &assets, &statics, false)?;
        for (_, ci, pid, code) in mine {
            let contact = &job.contacts.list[*ci];
            let mut extra: Vec<(&str, String)> = Vec::new();
            if let Some(code) = code.as_ref().filter(|c| c.len() >= 20) {
                extra.push(("imb", code.clone()));
                extra.push(("imb_bars", crate::imb::encode(&code[..20], &code[20..])?));
            }
            let set = job
                .set_piece(step, layout, &mask, contact, pid, date, &extra)
                .map_err(|h| anyhow::anyhow!("piece `{pid}` (contact `{}`): {h}", contact.id))?;
            for (pi, page) in set.pages.iter().enumerate() {
                writer.add_page(pi, page)?;
            }
        }
        let name = format!("{}-{}-reprint.pdf", step.id, layout.id);
        let options = PdfOptions {
            title: format!("REPRINT {} – {} – {date}", campaign.name, step.id),
            ident: format!("reprint/{}/{date}/{name}/{}", campaign.id, pieces.join(",")),
        };
        files.push(write_side_file(
            writer,
            &options,
            out,
            name,
            step,
            layout,
            Vec::new(),
        )?);
    }
    Ok(files)
}

/// An IMb for one piece: serial, code (tracking + routing), bars. Boxed: one is held for
/// every piece of a step, and most campaigns print none.
type ImbUse = Box<(u64, String, String)>;

/// A placed piece: decision index, piece id, first page, page count, purl, IMb.
type Placed = (usize, String, usize, usize, Option<String>, Option<ImbUse>);

/// What every file of one step shares.
struct FileJob<'a> {
    job: &'a Job,
    step: &'a crate::campaign::Step,
    layout: &'a crate::layout::Layout,
    mask: &'a crate::job::StaticMask,
    statics: &'a [Vec<crate::layout::Mark>],
    intent: &'a crate::layout::OutputIntent,
    assets: &'a Assets,
    date: NaiveDate,
}

/// One rendered file, before it has a name.
struct RenderedFile {
    bytes: Vec<u8>,
    /// SHA-256 of `bytes`, in hex (worked out on the rendering thread).
    sha256: String,
    pages: usize,
    placed: Vec<Placed>,
    /// Pieces that could not be set: decision index and reason.
    held: Vec<(usize, String)>,
}

/// Renders the pieces `chunk` (decision indexes, in print order) into one PDF.
///
/// # Errors
/// An element with `overflow = "fail"` that does not fit, or an asset that cannot be loaded.
fn render_file(
    f: &FileJob<'_>,
    plan: &Plan,
    chunk: &[usize],
    imbs: &[Option<ImbUse>],
) -> Result<RenderedFile> {
    let (job, step, layout) = (f.job, f.step, f.layout);
    let contacts = &job.contacts;
    let mut writer = start_file(layout, f.intent, f.assets, f.statics, false)?;
    let mut placed = Vec::new();
    let mut held = Vec::new();
    for (&di, imb) in chunk.iter().zip(imbs) {
        let contact = &contacts.list[plan.decisions[di].contact];
        let pid = crate::mailing::piece_id(&job.campaign.id, &contact.id, &step.id);
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(use_) = imb {
            let (_, code, bars) = &**use_;
            extra.push(("imb", code.clone()));
            extra.push(("imb_bars", bars.clone()));
        }
        match job.set_piece(step, layout, f.mask, contact, &pid, f.date, &extra) {
            Err(hold) if hold.fatal => bail!(
                "{}: contact `{}`, step `{}`: {hold}\nhint: the element has overflow = \"fail\", which stops the run; shorten the text, enlarge the box or lower min_size",
                layout.path.display(),
                contact.id,
                step.id
            ),
            Err(hold) => held.push((di, hold.to_string())),
            Ok(set) => {
                let first_page = writer.page_count() + 1;
                for (pi, page) in set.pages.iter().enumerate() {
                    writer.add_page(pi, page)?;
                }
                placed.push((di, pid, first_page, set.pages.len(), set.purl, imb.clone()));
            }
        }
    }
    let pages = writer.page_count();
    // The file's /ID comes from what is in it (campaign, date, step, first piece), so it does
    // not depend on which thread rendered it or how many files came before.
    let first = placed.first().map_or("", |p| p.1.as_str());
    let bytes = writer.finish(&PdfOptions {
        title: format!("{} – {} – {}", job.campaign.name, step.id, f.date),
        ident: format!("{}/{}/{}/{first}", job.campaign.id, f.date, step.id),
    })?;
    Ok(RenderedFile {
        sha256: crate::output::hex(&Sha256::digest(&bytes)),
        bytes,
        pages,
        placed,
        held,
    })
}

/// A new PDF file of `layout` with each page's static marks written once.
fn start_file<'a>(
    layout: &'a crate::layout::Layout,
    intent: &'a crate::layout::OutputIntent,
    assets: &'a Assets,
    statics: &[Vec<crate::layout::Mark>],
    watermark: bool,
) -> Result<FileWriter<'a>> {
    let mut writer = FileWriter::new(layout, intent, assets);
    writer.set_watermark(watermark);
    for (pi, marks) in statics.iter().enumerate() {
        writer.set_static(pi, marks)?;
    }
    Ok(writer)
}

/// Finishes a proof or reprint file and writes it to `out/name`.
fn write_side_file(
    writer: FileWriter<'_>,
    options: &PdfOptions,
    out: &Path,
    name: String,
    step: &crate::campaign::Step,
    layout: &crate::layout::Layout,
    held: Vec<String>,
) -> Result<ProofFile> {
    let pages = writer.page_count() as u64;
    let bytes = writer.finish(options)?;
    let path = out.join(&name);
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(ProofFile {
        file: name,
        step: step.id.clone(),
        layout: layout.id.clone(),
        pieces: pages / layout.pages.len().max(1) as u64,
        pages,
        held,
    })
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
                reason: reason.clone(),
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
        not_issued,
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

/// The manifest's pinned columns, in order; `due_on` follows them.
pub const MANIFEST_COLUMNS: [&str; 17] = [
    "seq",
    "piece_id",
    "contact_id",
    "step",
    "layout",
    "file",
    "first_page",
    "page_count",
    "name",
    "company",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "due_on",
];

/// Opens `manifest.csv` in the staging folder and writes its header; rows follow as pieces
/// are placed, so a cycle never holds its manifest in memory.
fn manifest_writer(job: &Job, staging: &Staging) -> Result<csv::Writer<StagedFile>> {
    let mut w = csv::Writer::from_writer(staging.create("manifest.csv")?);
    let mut header: Vec<&str> = MANIFEST_COLUMNS.to_vec();
    header.extend(["presort", "purl"]);
    if job.campaign.imb.is_some() {
        header.extend(["imb", "imb_bars"]);
    }
    w.write_record(&header)?;
    Ok(w)
}

/// Writes a CSV file `name` of `rows` (header first) into the staging folder.
fn write_csv<I, R>(staging: &Staging, name: &str, rows: I) -> Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(staging.create(name)?);
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {}", e.error()))?
        .finish(staging)
}

fn write_reports(job: &Job, summary: &Summary, staging: &Staging) -> Result<()> {
    let header = |h: &[&str]| h.iter().map(|s| (*s).to_string()).collect::<Vec<String>>();
    write_csv(
        staging,
        "rejects.csv",
        std::iter::once(header(&["file", "line", "reason"])).chain(job.rejects.iter().map(|r| {
            vec![
                relative(&r.file, job.campaign.dir()),
                r.line.to_string(),
                r.reason.clone(),
            ]
        })),
    )?;
    // The preflight report: every piece held back and every warning, for the operator.
    let held = summary
        .not_issued
        .iter()
        .filter(|h| h.outcome == "held")
        .map(|h| {
            vec![
                "held".to_string(),
                h.contact_id.clone(),
                h.step.clone(),
                h.reason.clone(),
            ]
        });
    let warnings = summary.warnings.iter().map(|w| {
        vec![
            "warning".to_string(),
            String::new(),
            String::new(),
            w.clone(),
        ]
    });
    write_csv(
        staging,
        "preflight.csv",
        std::iter::once(header(&["severity", "contact_id", "step", "reason"]))
            .chain(held)
            .chain(warnings),
    )?;
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    staging.write("summary.json", &json, None)?;
    staging.write("job-ticket.txt", job_ticket(job, summary).as_bytes(), None)?;
    Ok(())
}

/// The print shop's job ticket: per file, size, stock, sides and counts.
#[must_use]
pub fn job_ticket(job: &Job, s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let pieces: u64 = s.files.iter().map(|f| f.pieces).sum();
    let pages: u64 = s.files.iter().map(|f| f.pages).sum();
    let _ = writeln!(t, "JOB TICKET");
    let _ = writeln!(t, "Campaign:   {} ({})", s.name, s.campaign);
    let _ = writeln!(t, "Cycle date: {}", s.cycle_date);
    let sender = &job.campaign.sender;
    let _ = writeln!(
        t,
        "Customer:   {}, {}, {} {} {}",
        sender.name, sender.address1, sender.city, sender.state, sender.postal_code
    );
    let _ = writeln!(
        t,
        "Totals:     {} files, {pieces} pieces, {pages} pages",
        s.files.len()
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "Every file: PDF, CMYK, fonts embedded, TrimBox and BleedBox on every page,"
    );
    let _ = writeln!(
        t,
        "pages in mailing order (postal code). Print duplex where sides = 2: page 1"
    );
    let _ = writeln!(
        t,
        "of each piece is the front, page 2 the back. Cut to the TrimBox."
    );
    for f in &s.files {
        let _ = writeln!(t);
        let _ = writeln!(t, "File:    {}", f.file);
        let _ = writeln!(t, "Step:    {} (layout {})", f.step, f.layout);
        let _ = writeln!(t, "Trim:    {}, bleed {} in each side", f.trim, f.bleed_in);
        let _ = writeln!(
            t,
            "Stock:   {}",
            if f.stock.is_empty() {
                "as agreed"
            } else {
                &f.stock
            }
        );
        let _ = writeln!(
            t,
            "Sides:   {}",
            if f.sides == 2 {
                "2 (duplex: front, back)".to_string()
            } else {
                f.sides.to_string()
            }
        );
        let _ = writeln!(t, "Pieces:  {}", f.pieces);
        let _ = writeln!(t, "Pages:   {}", f.pages);
        let _ = writeln!(t, "SHA-256: {}", f.sha256);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imb_serials_wrap_around_and_skip_those_used_in_the_window() {
        // Serials 4 and 0 were used within 45 days; the counter is at 3 of 5.
        let mut s = Serials {
            next: 3,
            modulus: 5,
            recent: [4, 0].into_iter().collect(),
        };
        let taken: Vec<u64> = (0..3).map(|_| s.take().unwrap()).collect();
        assert_eq!(taken, [3, 1, 2]);
        assert_eq!(s.next, 3);
        // Every serial is in use now: refused, not reused.
        let err = s.take().unwrap_err().to_string();
        assert!(err.contains("used in the last 45 days"), "{err}");
    }

    #[test]
    fn in_order_hands_results_over_in_item_order_and_stops_at_an_error() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven work, so threads finish out of order.
        let work = |&i: &u64| {
            std::thread::sleep(std::time::Duration::from_micros((i * 37) % 300));
            i * 2
        };
        let mut seen = Vec::new();
        in_order(&items, work, |r| {
            seen.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());

        let mut seen = Vec::new();
        let err = in_order(&items, work, |r| {
            if r == 100 {
                bail!("stop at {r}");
            }
            seen.push(r);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "stop at 100");
        assert_eq!(seen, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }
}
