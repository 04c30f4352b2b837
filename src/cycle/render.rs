//! Issued pieces in print order, with their IMb serials, rendered file by file in parallel.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use smol_str::SmolStr;

use super::RunOptions;
use super::pipeline::in_order;
use super::print_order::{Serials, Unordered, imb_code, imb_routing, print_order};
use crate::compose::{Composer, PieceImb, Set};
use crate::contacts::Field;
use crate::hold::{Hold, Reason};
use crate::job::Job;
use crate::ledger::{Entry, Ledger};
use crate::output::Staging;
use crate::render::{FileWriter, PdfOptions};
use crate::report::{ClassCount, FileInfo, Manifest, ManifestRow, PresortCount};
use crate::schedule::{Done, Outcome, Plan};

/// What rendering produced: files, ledger entries, manifest rows, presort group counts.
pub(super) struct Rendered {
    /// The PDF files, in print order.
    pub files: Vec<FileInfo>,
    /// A ledger entry for every issued and skipped piece.
    pub entries: Vec<Entry>,
    /// Pieces per presort group and step.
    pub presort: Vec<PresortCount>,
    /// Pieces per mail class and step.
    pub mail_classes: Vec<ClassCount>,
    /// The next IMb serial, when the campaign prints IMbs.
    pub serials_next: Option<u64>,
    /// The press-sheet PDFs, when the cycle is imposed.
    pub sheets: Vec<crate::report::SheetInfo>,
}

/// Renders every issued piece into files of at most `max_pieces_per_file`, in presort order.
/// A piece that cannot be set becomes held.
pub(super) fn render_files(
    job: &Job,
    plan: &mut Plan,
    options: &RunOptions,
    staging: &Staging,
    ledger: Option<&Ledger>,
) -> Result<Rendered> {
    let campaign = &job.campaign;
    let contacts = &job.contacts;
    let mut out = Rendered {
        files: Vec::new(),
        entries: Vec::with_capacity(plan.decisions.len()),
        presort: Vec::new(),
        mail_classes: Vec::new(),
        serials_next: None,
        sheets: Vec::new(),
    };
    let mut serials = match &campaign.imb {
        None => None,
        Some(imb) => {
            let (next, recent) = match ledger {
                Some(l) => l.imb_state(&imb.mailer_id, options.date)?,
                None => (0, std::collections::HashSet::new()),
            };
            Some(Serials::new(&imb.mailer_id, next, recent))
        }
    };
    let mut manifest = Manifest::create(
        staging,
        campaign.imb.is_some(),
        campaign.impose.is_some(),
        campaign.steps.iter().any(|s| !s.variants.is_empty()),
    )?;
    let mut seq: u64 = 0;
    let issued = plan
        .decisions
        .iter()
        .filter(|d| d.outcome == Outcome::Issued)
        .count();
    let bar = options.progress.pieces("rendering", issued as u64);
    for d in &plan.decisions {
        if let Some(done) = d.outcome.committed().filter(|&x| x != Done::Issued) {
            out.entries.push(Entry {
                contact_id: SmolStr::new(&contacts.list[d.contact].id),
                step: SmolStr::new(&campaign.steps[d.step].id),
                done,
                variant: None,
                piece_id: None,
                file: None,
                first_page: None,
                imb: None,
            });
        }
    }
    for (si, base) in campaign.steps.iter().enumerate() {
        let issued: Vec<usize> = (0..plan.decisions.len())
            .filter(|&i| {
                plan.decisions[i].step == si && plan.decisions[i].outcome == Outcome::Issued
            })
            .collect();
        // A step with A/B variants: each variant's pieces are files of their own.
        let groups = by_variant(job, plan, base, issued);
        // Where each presort group of this step is counted in `out.presort`.
        let mut presort_at: HashMap<String, usize> = HashMap::new();
        // Where each mail class of this step is counted in `out.mail_classes`.
        let mut class_at: HashMap<&str, usize> = HashMap::new();
        for (step, pieces) in groups {
            let layout = job.layout(step);
            let variant = step.variant.as_deref().map(SmolStr::new);
            // Files are named by step, and variant when there is one.
            let file_stem = step.file_stem();
            // Presort over the step (or the variant's pieces), then mailing order within each group.
            let unordered: Vec<Unordered<'_>> = pieces
                .iter()
                .map(|&di| {
                    let c = &contacts.list[plan.decisions[di].contact];
                    Unordered {
                        decision: di,
                        country: contacts.get(c, Field::Country),
                        postal_code: contacts.get(c, Field::PostalCode),
                        contact: &c.id,
                    }
                })
                .collect();
            // Presort group by decision index (group ids are short: inline, no allocation).
            let mut groups = vec![SmolStr::default(); plan.decisions.len()];
            let pieces: Vec<usize> = print_order(&unordered, |a, b| contacts.compare_ids(a, b))
                .into_iter()
                .map(|o| {
                    groups[o.decision] = o.group;
                    o.decision
                })
                .collect();
            drop(unordered);
            let shared = StepFiles::new(job, step, options.date)?;
            let mut file_no = 0;
            // IMb serials in print order first, so files can be rendered in any order.
            let mut imbs: Vec<Option<Box<ImbUse>>> = Vec::with_capacity(pieces.len());
            for &di in &pieces {
                let contact = &contacts.list[plan.decisions[di].contact];
                let mut use_ = None;
                if let (Some(imb), Some(serials)) = (&campaign.imb, serials.as_mut())
                    && let Some(routing) = imb_routing(contacts, contact)
                {
                    let serial = serials.take()?;
                    let (code, bars) = imb_code(imb, serial, &routing)?;
                    use_ = Some(Box::new(ImbUse { serial, code, bars }));
                }
                imbs.push(use_);
            }
            // Files of at most `max_pieces_per_file`, and of one mail class each: a shop prepares
            // each class's mail (and its postage statement) apart.
            let class_of = |di: usize| {
                let c = &contacts.list[plan.decisions[di].contact];
                campaign.mail_class(contacts.get(c, Field::Country))
            };
            let bounds = file_bounds(&pieces, campaign.max_pieces_per_file, class_of);
            let chunks: Vec<_> = bounds
                .iter()
                .map(|r| (&pieces[r.clone()], &imbs[r.clone()]))
                .collect();
            let ctx = FileJob {
                job,
                step,
                shared: &shared,
                date: options.date,
                groups: &groups,
            };
            let mut held_now: Vec<(usize, Hold)> = Vec::new();
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
                        sheets,
                    } = rendered?;
                    bar.inc((placed.len() + held.len()) as u64);
                    held_now.extend(held);
                    if placed.is_empty() {
                        return Ok(());
                    }
                    file_no += 1;
                    let name = crate::mailing::file_name(&file_stem, &layout.id, file_no);
                    staging.write(&name, &bytes, Some(sha256.clone()))?;
                    crate::fault::point("file-written");
                    let file_id = SmolStr::new(&name);
                    let file_class = placed.first().map_or("", |p| class_of(p.decision));
                    // The press sheets of this file: (sheet, slot) of each placed piece.
                    let (sheet_name, at_slot) = match (sheets, shared.imposition.as_ref()) {
                        (Some(writer), Some(imp)) => {
                            let (info, at_slot) = write_sheets(
                                writer,
                                imp,
                                &name,
                                placed.len(),
                                campaign,
                                options.date,
                                &|file, bytes, sha| {
                                    Ok(staging.write(file, bytes, Some(sha.to_string()))?)
                                },
                            )?;
                            let sheet_name = info.file.clone();
                            out.sheets.push(info);
                            (sheet_name, at_slot)
                        }
                        _ => (String::new(), Vec::new()),
                    };
                    for (
                        k,
                        Placed {
                            decision: di,
                            piece_id: pid,
                            first_page,
                            pages: page_count,
                            purl,
                            imb: imb_use,
                        },
                    ) in placed.into_iter().enumerate()
                    {
                        let contact = &contacts.list[plan_now.decisions[di].contact];
                        let group = groups[di].to_string();
                        let mail_class = class_of(di);
                        match class_at.get(mail_class) {
                            _ if mail_class.is_empty() => {}
                            Some(&i) => out.mail_classes[i].pieces += 1,
                            None => {
                                class_at.insert(mail_class, out.mail_classes.len());
                                out.mail_classes.push(ClassCount {
                                    step: step.id.clone(),
                                    class: mail_class.to_string(),
                                    pieces: 1,
                                });
                            }
                        }
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
                        seq += 1;
                        let name_line = contacts.full_name(contact);
                        manifest.write(&ManifestRow {
                            seq,
                            piece_id: &pid,
                            contact_id: &contact.id,
                            step: &step.id,
                            layout: &layout.id,
                            file: &name,
                            first_page,
                            page_count,
                            name: &name_line,
                            address: contacts.address(contact),
                            due_on: plan_now.decisions[di].due_on,
                            presort: &group,
                            mail_class,
                            purl: purl.as_deref(),
                            imb: imb_use
                                .as_deref()
                                .map(|u| (u.code.as_str(), u.bars.as_str())),
                            sheet: at_slot
                                .get(k)
                                .copied()
                                .flatten()
                                .zip(shared.imposition.as_ref())
                                .map(|((sheet, slot), imp)| crate::report::SheetPlace {
                                    file: sheet_name.as_str(),
                                    sheet,
                                    slot,
                                    back_slot: (layout.pages.len() > 1)
                                        .then(|| imp.back_slot(slot)),
                                }),
                            variant: step.variant.as_deref(),
                        })?;
                        out.entries.push(Entry {
                            contact_id: SmolStr::new(&contact.id),
                            step: step_id.clone(),
                            done: Done::Issued,
                            variant: variant.clone(),
                            piece_id: Some(SmolStr::new(&pid)),
                            file: Some(file_id.clone()),
                            first_page: u32::try_from(first_page).ok(),
                            imb: imb_use.map(|u| Box::new((u.serial, u.code))),
                        });
                    }
                    out.files.push(FileInfo {
                        file: name,
                        step: step.id.clone(),
                        variant: step.variant.clone(),
                        layout: layout.id.clone(),
                        pieces: (pages / layout.pages.len().max(1)) as u64,
                        pages: pages as u64,
                        bytes: bytes.len() as u64,
                        sha256,
                        trim: layout.trim_label(),
                        bleed_in: (layout.bleed.get() / 72.0 * 1000.0).round() / 1000.0,
                        stock: layout.stock.clone(),
                        sides: layout.pages.len() as u64,
                        mail_class: file_class.to_string(),
                    });
                    Ok(())
                },
            )?;
            for (di, reason) in held_now {
                plan.decisions[di].outcome = Outcome::Held(Reason::Piece(reason));
            }
        }
    }
    manifest.finish(staging)?;
    out.serials_next = serials.map(|s| s.next);
    Ok(out)
}

/// The issued pieces `issued` (decision indexes) of step `base` by what they are rendered as:
/// the step itself, or for a step with A/B variants each variant with its contacts' pieces.
fn by_variant<'j>(
    job: &'j Job,
    plan: &Plan,
    base: &'j crate::campaign::Step,
    issued: Vec<usize>,
) -> Vec<(&'j crate::campaign::Step, Vec<usize>)> {
    if base.variants.is_empty() {
        return vec![(base, issued)];
    }
    let mut groups: Vec<(&crate::campaign::Step, Vec<usize>)> =
        base.variants.iter().map(|v| (v, Vec::new())).collect();
    for di in issued {
        let id = &job.contacts.list[plan.decisions[di].contact].id;
        let v = base.variant_for(&job.campaign.id, id).unwrap_or(0);
        groups[v].1.push(di);
    }
    groups
}

/// Where a piece is on the press sheets: (sheet, slot), from 1; `None` before it is laid out.
pub(super) type SheetSlot = Option<(usize, usize)>;

/// Writes a finished file beside the others: its name, bytes and SHA-256.
pub(super) type WriteFile<'a> = dyn Fn(&str, &[u8], &str) -> Result<()> + 'a;

/// Lays out the pieces of file `name` (kept in `writer`) on press sheets, hands the sheet
/// PDF to `write` (its name, bytes and SHA-256) to put beside it, and returns what it is and
/// the (sheet, slot) of each of the file's `pieces` pieces, from 1.
///
/// # Errors
/// When the file cannot be finished or written.
pub(super) fn write_sheets(
    mut writer: FileWriter<'_>,
    imp: &crate::impose::Imposition,
    name: &str,
    pieces: usize,
    campaign: &crate::campaign::Campaign,
    date: NaiveDate,
    write: &WriteFile<'_>,
) -> Result<(crate::report::SheetInfo, Vec<SheetSlot>)> {
    let file = format!(
        "{}-sheets-{}.pdf",
        name.trim_end_matches(".pdf"),
        imp.sheet.name
    );
    let depth = campaign.stack_depth;
    let slug = |sheet: usize, of: usize, side: usize| {
        format!(
            "{} · cycle {date} · {name} · sheet {} of {of} · stack {} · {} · {} up, {}",
            campaign.id,
            sheet + 1,
            sheet / depth + 1,
            if side == 0 { "front" } else { "back (turn)" },
            imp.up(),
            imp.sheet.name
        )
    };
    let order = writer.impose(imp, depth, &slug);
    let mut at_slot = vec![None; pieces];
    let mut slots = Vec::with_capacity(order.len() * imp.up());
    for (i, sheet) in order.iter().enumerate() {
        for (j, piece) in sheet.iter().enumerate() {
            if let Some(slot) = piece.and_then(|k| at_slot.get_mut(k)) {
                *slot = Some((i + 1, j + 1));
            }
            slots.push(piece.map_or(0, |k| u32::try_from(k + 1).unwrap_or(u32::MAX)));
        }
    }
    let pages = writer.page_count_sheets();
    let bytes = writer.finish(&PdfOptions {
        title: format!("SHEETS {} – {name} – {date}", campaign.name),
        ident: format!("{}/{date}/{file}", campaign.id),
        standard: campaign.pdf_standard,
        date,
    })?;
    let sha256 = crate::output::hex(&Sha256::digest(&bytes));
    write(&file, &bytes, &sha256)?;
    let info = crate::report::SheetInfo {
        file,
        pieces_file: name.to_string(),
        sheet: imp.sheet.name.clone(),
        across: imp.across as u64,
        down: imp.down as u64,
        rotated: imp.rotated,
        sheets: order.len() as u64,
        pages: pages as u64,
        stack_depth: depth as u64,
        pieces: pieces as u64,
        bytes: bytes.len() as u64,
        sha256,
        slots,
    };
    Ok((info, at_slot))
}

/// The ranges of `pieces` that make files: at most `max` pieces each, a new file whenever
/// `class_of` changes (pieces of one class are consecutive in print order, which puts mail
/// abroad after domestic mail).
fn file_bounds<'c>(
    pieces: &[usize],
    max: usize,
    class_of: impl Fn(usize) -> &'c str,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=pieces.len() {
        let end = i == pieces.len();
        if end || i - start == max.max(1) || class_of(pieces[i]) != class_of(pieces[start]) {
            out.push(start..i);
            start = i;
        }
    }
    out
}

/// The IMb of one piece. Held boxed (`Option<Box<ImbUse>>`, 8 bytes when absent): there is
/// one slot for every piece of a step, and most campaigns print none.
#[derive(Clone, Debug)]
struct ImbUse {
    /// The serial number in the tracking code.
    serial: u64,
    /// Tracking code and routing code, as printed in the manifest.
    code: String,
    /// The 65 bars (A, D, F, T).
    bars: String,
}

/// A piece placed in a file.
struct Placed {
    /// Index of its decision in the plan.
    decision: usize,
    /// Its stable piece id.
    piece_id: String,
    /// Its first page in the file (1-based).
    first_page: usize,
    /// Its pages.
    pages: usize,
    /// Its personal URL, when the step has one.
    purl: Option<String>,
    /// Its IMb, when it has one.
    imb: Option<Box<ImbUse>>,
}

/// What every file of one step shares.
struct FileJob<'a> {
    job: &'a Job,
    step: &'a crate::campaign::Step,
    shared: &'a StepFiles<'a>,
    date: NaiveDate,
    /// Presort group by decision index (for the PDF/VT records).
    groups: &'a [SmolStr],
}

/// One rendered file, before it has a name.
struct RenderedFile<'a> {
    bytes: Vec<u8>,
    /// SHA-256 of `bytes`, in hex (worked out on the rendering thread).
    sha256: String,
    pages: usize,
    placed: Vec<Placed>,
    /// Pieces that could not be set: decision index and reason.
    held: Vec<(usize, Hold)>,
    /// The same pieces kept for press sheets, when the cycle is imposed: laid out and
    /// finished in print order, once the file has its name.
    sheets: Option<FileWriter<'a>>,
}

/// Renders the pieces `chunk` (decision indexes, in print order) into one PDF.
///
/// # Errors
/// An element with `overflow = "fail"` that does not fit, or an asset that cannot be loaded.
fn render_file<'a>(
    f: &FileJob<'a>,
    plan: &Plan,
    chunk: &[usize],
    imbs: &[Option<Box<ImbUse>>],
) -> Result<RenderedFile<'a>> {
    #[allow(
        clippy::panic,
        reason = "a test switch: how the bug report on a panic is tested"
    )]
    if crate::fault::active("render-panic") {
        panic!("test fault: render-panic");
    }
    let (job, step, composer) = (f.job, f.step, &f.shared.composer);
    let contacts = &job.contacts;
    let mut writer = f.shared.start(false)?;
    let mut sheets = f.shared.sheet_writer(false)?;
    let mut placed = Vec::new();
    let mut held = Vec::new();
    for (&di, imb) in chunk.iter().zip(imbs) {
        let contact = &contacts.list[plan.decisions[di].contact];
        let pid = crate::mailing::piece_id(&job.campaign.id, &contact.id, &step.id);
        let piece_imb = imb.as_deref().map(|u| PieceImb {
            code: &u.code,
            bars: &u.bars,
        });
        let set = composer.set(contact, &pid, piece_imb).map_err(|e| *e)?;
        match set {
            Set::Held(hold) => held.push((di, hold)),
            Set::Piece(set) => {
                let first_page = writer.page_count() + 1;
                writer.begin_record(piece_metadata(
                    job,
                    contact,
                    &pid,
                    f.groups.get(di).map_or("", SmolStr::as_str),
                    imb.as_deref().map(|u| u.code.as_str()),
                ));
                for (pi, page) in set.pages.iter().enumerate() {
                    writer.add_page(pi, page)?;
                    if let Some(w) = sheets.as_mut() {
                        w.add_page(pi, page)?;
                    }
                }
                placed.push(Placed {
                    decision: di,
                    piece_id: pid,
                    first_page,
                    pages: set.pages.len(),
                    purl: set.purl,
                    imb: imb.clone(),
                });
            }
        }
    }
    let pages = writer.page_count();
    // The file's /ID comes from what is in it (campaign, date, step, first piece), so it does
    // not depend on which thread rendered it or how many files came before.
    let first = placed.first().map_or("", |p| p.piece_id.as_str());
    let bytes = writer.finish(&PdfOptions {
        title: format!("{} – {} – {}", job.campaign.name, step.id, f.date),
        ident: format!("{}/{}/{}/{first}", job.campaign.id, f.date, step.id),
        standard: job.campaign.pdf_standard,
        date: f.date,
    })?;
    Ok(RenderedFile {
        sha256: crate::output::hex(&Sha256::digest(&bytes)),
        bytes,
        pages,
        placed,
        held,
        sheets,
    })
}

/// A piece's PDF/VT record metadata: its id, presort group, mail class and IMb code.
pub(super) fn piece_metadata(
    job: &Job,
    contact: &crate::contacts::Contact,
    piece_id: &str,
    group: &str,
    imb: Option<&str>,
) -> Vec<(&'static str, String)> {
    let class = job
        .campaign
        .mail_class(job.contacts.get(contact, Field::Country));
    let mut dpm = vec![("PieceID", piece_id.to_string())];
    for (key, value) in [
        ("PresortGroup", group),
        ("MailClass", class),
        ("IMb", imb.unwrap_or_default()),
    ] {
        if !value.is_empty() {
            dpm.push((key, value.to_string()));
        }
    }
    dpm
}

/// What every file of one step shares: its composer (layout, which elements are the same on
/// every piece), those elements composed once, and the output intent.
pub(super) struct StepFiles<'a> {
    /// Sets the step's pieces.
    pub composer: Composer<'a>,
    /// The elements that are the same on every piece, composed once per page.
    statics: Vec<Vec<crate::layout::Mark>>,
    /// The printing condition.
    intent: crate::layout::OutputIntent,
    /// Where images, designer PDFs and profiles are read from.
    resources: &'a crate::resources::Resources,
    /// How the pieces sit on the press sheet, when the cycle is imposed.
    pub imposition: Option<crate::impose::Imposition>,
    /// With `pdf_standard = "PDF/VT-1"`: the metadata of each piece file's root document
    /// part (campaign, cycle, step, layout); each piece is a record under it.
    records: Option<Vec<(&'static str, String)>>,
}

impl<'a> StepFiles<'a> {
    /// Composes what the files of `step` share, for cycle `date`.
    ///
    /// # Errors
    /// When a shared element cannot be composed (an asset that cannot be loaded).
    pub(super) fn new(
        job: &'a Job,
        step: &'a crate::campaign::Step,
        date: NaiveDate,
    ) -> Result<Self> {
        let composer = Composer::new(job, step, date);
        let statics = composer
            .statics()
            .map_err(|h| anyhow::anyhow!("{}: {h}", composer.layout.path.display()))?;
        let layout = composer.layout;
        let imposition = match &job.campaign.impose {
            None => None,
            Some(_) if layout.pages.len() > 2 => anyhow::bail!(
                "step `{}`: layout `{}` has {} pages, and a press sheet has two sides: dripmail imposes one- and two-sided pieces only; leave `impose` out for this campaign and impose the folded piece in the shop's imposition tool",
                step.id,
                layout.id,
                layout.pages.len()
            ),
            Some(sheet) => Some(
                crate::impose::fit(
                    sheet,
                    (layout.width.get(), layout.height.get()),
                    layout.bleed.get(),
                    crate::impose::Margins::default(),
                )
                .map_err(|m| anyhow::anyhow!("step `{}`: {m}", step.id))?,
            ),
        };
        let records =
            (job.campaign.pdf_standard == Some(crate::layout::PdfStandard::Vt1)).then(|| {
                vec![
                    ("Campaign", job.campaign.id.clone()),
                    ("CycleDate", date.to_string()),
                    ("Step", step.id.clone()),
                    ("Layout", layout.id.clone()),
                ]
            });
        Ok(StepFiles {
            statics,
            intent: job.output_intent(composer.layout),
            resources: &job.resources,
            imposition,
            records,
            composer,
        })
    }

    /// A file for the pieces' press sheets, when the cycle is imposed: the same pieces, kept
    /// as forms for [`write_sheets`].
    ///
    /// # Errors
    /// When a shared mark cannot be written.
    pub(super) fn sheet_writer(&self, watermark: bool) -> Result<Option<FileWriter<'_>>> {
        if self.imposition.is_none() {
            return Ok(None);
        }
        Ok(Some(self.writer(watermark, true)?))
    }

    /// A new PDF file of the step with each page's shared marks written once; `watermark`
    /// for proofs.
    ///
    /// # Errors
    /// When a shared mark cannot be written.
    pub(super) fn start(&self, watermark: bool) -> Result<FileWriter<'_>> {
        self.writer(watermark, false)
    }

    /// A file of the step's pieces, or of their press sheets (`imposed`: no PDF/VT records,
    /// a sheet carrying several), with the shared marks written once.
    fn writer(&self, watermark: bool, imposed: bool) -> Result<FileWriter<'_>> {
        let mut writer = FileWriter::new(self.composer.layout, &self.intent, self.resources);
        writer.set_watermark(watermark);
        if imposed {
            writer.set_imposed();
        }
        if let Some(dpm) = &self.records {
            // Ignored by an imposed writer.
            writer.set_records(dpm.clone());
        }
        for (pi, marks) in self.statics.iter().enumerate() {
            writer.set_static(pi, marks)?;
        }
        Ok(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::file_bounds;

    #[test]
    fn files_hold_at_most_max_pieces_of_one_class() {
        // Decisions 0..7: 0-4 domestic, 5-6 international.
        let pieces: Vec<usize> = (0..7).collect();
        let class = |d: usize| if d < 5 { "domestic" } else { "intl" };
        assert_eq!(file_bounds(&pieces, 2, class), [0..2, 2..4, 4..5, 5..7]);
        assert_eq!(file_bounds(&pieces, 500, class), [0..5, 5..7]);
        assert_eq!(
            file_bounds(&pieces, 500, |_| "").len(),
            1,
            "one class, one file"
        );
        assert!(file_bounds(&[], 2, |_| "").is_empty());
    }
}
