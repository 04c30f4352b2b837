//! Issued pieces of a committed cycle rendered again, as they were mailed: the same ids and
//! barcodes, from the contact rows the ledger recorded at commit (not the contacts file as it
//! is now), into a new folder each time with its own manifest and ticket.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde::Serialize;

use super::proof::ProofFile;
use super::render::StepFiles;
use crate::compose::{PieceImb, Set};
use crate::contacts::Field;
use crate::error::Hinted;
use crate::job::Job;
use crate::ledger::Ledger;
use crate::output::Staging;
use crate::render::PdfOptions;

/// What a reprint wrote.
#[derive(Debug, Serialize)]
pub struct Reprint {
    /// Its folder: `OUT/<campaign>/reprints/<date>/<NNN>`, a new one each time.
    pub dir: PathBuf,
    /// The PDF files, one per step.
    pub files: Vec<ProofFile>,
    /// `ledger`: the rows recorded when the cycle was committed; `contacts file`: the file as
    /// it is now (a cycle committed before dripmail recorded its rows).
    pub rows_from: &'static str,
}

/// Which pieces to reprint.
#[derive(Clone, Debug)]
pub enum Select {
    /// These piece ids.
    Pieces(Vec<String>),
    /// Every piece on these press sheets (numbered from 1, as the slug line says) of the
    /// cycle's sheet PDF `file` (or of its piece PDF; optional when the cycle has one).
    Sheets {
        /// The sheet PDF or the piece PDF it carries.
        file: Option<String>,
        /// Sheet numbers.
        sheets: Vec<usize>,
    },
}

/// Sheets to reprint as they were laid out: the cycle's record of the sheet PDF, and for
/// each sheet asked for, its number and what each slot carries (the piece's place in the
/// reprint's list, from 0).
struct AsLaidOut {
    record: crate::ledger::SheetRecord,
    sheets: Vec<(usize, Vec<Option<usize>>)>,
}

/// The piece ids `select` names, and for `--sheet` how their sheets were laid out.
fn resolve(
    ledger: &Ledger,
    campaign_id: &str,
    date: NaiveDate,
    select: &Select,
) -> Result<(Vec<String>, Option<AsLaidOut>)> {
    let (file, numbers) = match select {
        Select::Pieces(ids) => return Ok((ids.clone(), None)),
        Select::Sheets { file, sheets } => (file, sheets),
    };
    let records = ledger.sheets(campaign_id, date)?;
    let names = || {
        records
            .iter()
            .map(|r| format!("`{}` ({} sheets)", r.file, r.sheets()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let record = match file {
        _ if records.is_empty() => {
            return Err(Hinted::new(
                format!("cycle {date} of `{campaign_id}` has no press sheets on record"),
                "it was not imposed, or was committed before dripmail recorded its sheets; reprint its pieces with --piece (ids in the cycle's manifest.csv)",
            )
            .into());
        }
        Some(f) => records
            .iter()
            .find(|r| r.file == *f || r.pieces_file == *f)
            .ok_or_else(|| {
                Hinted::new(
                    format!("cycle {date} has no sheet PDF `{f}`"),
                    format!("its sheet PDFs: {}", names()),
                )
            })?,
        None if records.len() == 1 => &records[0],
        None => {
            return Err(Hinted::new(
                format!(
                    "cycle {date} has {} sheet PDFs: say which with --file",
                    records.len()
                ),
                format!("its sheet PDFs: {}", names()),
            )
            .into());
        }
    };
    let in_file = ledger.file_pieces(campaign_id, date, &record.pieces_file)?;
    let mut ids = Vec::new();
    let mut sheets = Vec::new();
    for &n in numbers {
        let Some(slots) = record.sheet(n) else {
            return Err(Hinted::new(
                format!("`{}` has no sheet {n}", record.file),
                format!(
                    "its sheets are numbered 1 to {}, as each sheet's slug line says",
                    record.sheets()
                ),
            )
            .into());
        };
        if sheets.iter().any(|(m, _)| *m == n) {
            continue;
        }
        let mut at = Vec::with_capacity(slots.len());
        for slot in slots {
            let Some(place) = slot else {
                at.push(None);
                continue;
            };
            let id = in_file.get(place as usize - 1).ok_or_else(|| {
                anyhow::anyhow!(
                    "the ledger's record of `{}` names piece {place} of `{}`, which has {}: it is damaged",
                    record.file,
                    record.pieces_file,
                    in_file.len()
                )
            })?;
            at.push(Some(ids.len()));
            ids.push(id.clone());
        }
        sheets.push((n, at));
    }
    Ok((
        ids,
        Some(AsLaidOut {
            record: record.clone(),
            sheets,
        }),
    ))
}

/// One piece asked for.
struct Wanted {
    step: usize,
    /// Its variant of the step, when the step has variants.
    variant: Option<usize>,
    contact: usize,
    piece: String,
    code: Option<String>,
}

/// Renders the issued pieces `select` names of cycle `date` again, with their piece ids and
/// IMb codes, from the contact rows the ledger recorded (the current contacts file for a
/// cycle committed before it did), into a new numbered folder under `root` with a manifest
/// and a ticket. Sheets asked for by number are laid out again as they were: the same sheet,
/// each piece in its slot. Nothing changes in the ledger and no serial is taken.
///
/// # Errors
/// When the ledger has no such piece or sheet, its step is gone, a piece cannot be set, the
/// layout no longer fits the sheet as it did, or a file cannot be written (nothing is left
/// under a folder's final name then).
pub fn reprint(
    mut job: Job,
    ledger: &Ledger,
    date: NaiveDate,
    select: &Select,
    root: &Path,
) -> Result<Reprint> {
    let campaign_id = job.campaign.id.clone();
    let (pieces, laid_out) = resolve(ledger, &campaign_id, date, select)?;
    let pieces = &pieces[..];
    if let Some(l) = &laid_out {
        job.campaign.impose = Some(
            crate::impose::Sheet::parse(&l.record.sheet)
                .map_err(|m| anyhow::anyhow!("the ledger's sheet `{}`: {m}", l.record.sheet))?,
        );
        job.campaign.stack_depth = l.record.stack_depth as usize;
    }
    let mut issued = Vec::new();
    for pid in pieces {
        let Some(found) = ledger.issued_piece(&campaign_id, date, pid)? else {
            return Err(Hinted::new(
                format!("no piece `{pid}` was issued in cycle {date} of `{campaign_id}`"),
                "piece ids are in that cycle's manifest.csv",
            )
            .into());
        };
        issued.push((pid.clone(), found));
    }
    let snapshot = ledger.rows(&campaign_id, date)?;
    let (job, rows_from, at) = match &snapshot {
        Some(s) => {
            let ids: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let (contacts, at) = crate::snapshot::restore(s, &ids)?;
            (job.with_contacts(contacts)?, "ledger", Some(at))
        }
        None => (job, "contacts file", None),
    };
    let campaign = &job.campaign;
    let mut wanted = Vec::new();
    for (pid, found) in issued {
        let crate::ledger::IssuedPiece {
            contact_id,
            step: step_id,
            imb: code,
            variant,
        } = found;
        let step = campaign
            .steps
            .iter()
            .position(|s| s.id == step_id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "piece `{pid}` is of step `{step_id}`, which the campaign no longer has"
                )
            })?;
        let variant = match &variant {
            None => None,
            Some(v) => Some(
                campaign.steps[step]
                    .variants
                    .iter()
                    .position(|s| s.variant.as_deref() == Some(v.as_str()))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "piece `{pid}` is variant `{v}` of step `{step_id}`, which the step no longer has"
                        )
                    })?,
            ),
        };
        let contact = match &at {
            Some(at) => at.get(&pid).copied().ok_or_else(|| {
                anyhow::anyhow!(
                    "the ledger recorded no row for piece `{pid}` of cycle {date}: it is damaged"
                )
            })?,
            None => job
                .contacts
                .list
                .iter()
                .position(|c| *c.id == *contact_id)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "piece `{pid}` is for contact `{contact_id}`, who is no longer in `{}`, and cycle {date} was committed before dripmail recorded the rows it printed",
                        campaign.contacts.display()
                    )
                })?,
        };
        wanted.push(Wanted {
            step,
            variant,
            contact,
            piece: pid,
            code,
        });
    }
    let staging = Staging::new(root, &next_folder(root))?;
    let mut manifest = csv::Writer::from_writer(staging.create("manifest.csv")?);
    manifest.write_record(MANIFEST_COLUMNS)?;
    let mut files = Vec::new();
    // The manifest's rows, step by step; each gains its sheet columns once its file's sheets
    // are laid out.
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record_no = 0;
    // Each step as itself (its pieces, or those issued before it had variants), then each
    // of its variants.
    let renderings = campaign.steps.iter().enumerate().flat_map(|(si, s)| {
        std::iter::once((si, None, s)).chain(
            s.variants
                .iter()
                .enumerate()
                .map(move |(vi, v)| (si, Some(vi), v)),
        )
    });
    for (si, vi, step) in renderings {
        let mine: Vec<&Wanted> = wanted
            .iter()
            .filter(|w| w.step == si && w.variant == vi)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let shared = StepFiles::new(&job, step, date)?;
        let layout = shared.composer.layout;
        let name = format!("{}-{}-reprint.pdf", step.file_stem(), layout.id);
        if let (Some(l), Some(imp)) = (&laid_out, &shared.imposition) {
            let r = &l.record;
            if (imp.across, imp.down, imp.rotated)
                != (r.across as usize, r.down as usize, r.rotated)
            {
                bail!(
                    "layout `{}` no longer fits sheet {} as it did in cycle {date} ({} across, {} down{} then; {} across, {} down{} now): its size or bleed changed, so the sheet cannot be laid out again; reprint its pieces with --piece",
                    layout.id,
                    r.sheet,
                    r.across,
                    r.down,
                    if r.rotated { ", turned" } else { "" },
                    imp.across,
                    imp.down,
                    if imp.rotated { ", turned" } else { "" },
                );
            }
        }
        let mut positions: Vec<usize> = Vec::new();
        let mut writer = shared.start(false)?;
        let mut sheets = shared.sheet_writer(false)?;
        for w in &mine {
            let contact = &job.contacts.list[w.contact];
            // The ledger's code: 20 tracking digits, then the routing digits (a damaged
            // ledger's text is cut only where it can be; encode refuses what is not digits).
            let code = w
                .code
                .as_deref()
                .filter(|c| c.len() >= 20 && c.is_char_boundary(20));
            let bars = code
                .map(|c| crate::imb::encode(&c[..20], &c[20..]))
                .transpose()?;
            let imb = code
                .zip(bars.as_deref())
                .map(|(code, bars)| PieceImb { code, bars });
            let set = match shared.composer.set(contact, &w.piece, imb) {
                Ok(Set::Piece(set)) => set,
                Ok(Set::Held(h)) => bail!("piece `{}` (contact `{}`): {h}", w.piece, contact.id),
                Err(e) => {
                    return Err(anyhow::Error::new(*e).context(format!("piece `{}`", w.piece)));
                }
            };
            let first_page = writer.page_count() + 1;
            writer.begin_record(super::render::piece_metadata(
                &job, contact, &w.piece, "", code,
            ));
            positions.push(record_no);
            record_no += 1;
            for (pi, page) in set.pages.iter().enumerate() {
                writer.add_page(pi, page)?;
                if let Some(s) = sheets.as_mut() {
                    s.add_page(pi, page)?;
                }
            }
            let k = &job.contacts;
            let class = campaign
                .mail_class(k.get(contact, Field::Country))
                .to_string();
            let mut record = vec![
                w.piece.clone(),
                contact.id.to_string(),
                step.id.clone(),
                layout.id.clone(),
                name.clone(),
                first_page.to_string(),
                set.pages.len().to_string(),
                k.full_name(contact),
            ];
            record.extend(k.address(contact).map(String::from));
            record.extend([
                class,
                code.unwrap_or_default().to_string(),
                bars.clone().unwrap_or_default(),
                step.variant.clone().unwrap_or_default(),
            ]);
            records.push(record);
        }
        let pages = writer.page_count() as u64;
        let options = PdfOptions {
            title: format!("REPRINT {} – {} – {date}", campaign.name, step.id),
            ident: format!("reprint/{}/{date}/{name}/{}", campaign.id, pieces.join(",")),
            standard: campaign.pdf_standard,
            date,
        };
        let bytes = writer.finish(&options)?;
        staging.write(&name, &bytes, None)?;
        let pieces = pages / layout.pages.len().max(1) as u64;
        let write = |file: &str, bytes: &[u8], sha: &str| -> Result<()> {
            Ok(staging.write(file, bytes, Some(sha.to_string()))?)
        };
        let sheet_file = match (sheets, shared.imposition.as_ref(), &laid_out) {
            (Some(w), Some(imp), Some(l)) => {
                let file = lay_out_again(w, imp, l, campaign, date, &write)?;
                for (n, slots) in &l.sheets {
                    for (j, k) in slots.iter().enumerate() {
                        if let Some(r) = k.and_then(|k| records.get_mut(k)) {
                            r.extend(sheet_columns(&file, *n, j + 1, imp, layout));
                        }
                    }
                }
                Some(file)
            }
            (Some(w), Some(imp), None) => {
                let (info, at_slot) = super::render::write_sheets(
                    w,
                    imp,
                    &name,
                    usize::try_from(pieces).unwrap_or(usize::MAX),
                    campaign,
                    date,
                    &write,
                )?;
                for (k, at) in positions.iter().zip(at_slot) {
                    if let (Some(r), Some((sheet, slot))) = (records.get_mut(*k), at) {
                        r.extend(sheet_columns(&info.file, sheet, slot, imp, layout));
                    }
                }
                Some(info.file)
            }
            _ => None,
        };
        files.push(ProofFile {
            file: name,
            step: step.id.clone(),
            layout: layout.id.clone(),
            pieces,
            pages,
            contacts: Vec::new(),
            held: Vec::new(),
            sheets: sheet_file,
        });
    }
    for mut r in records {
        r.resize(MANIFEST_COLUMNS.len(), String::new());
        manifest.write_record(&r)?;
    }
    manifest
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write manifest.csv: {}", e.error()))?
        .finish(&staging)?;
    let replaces = laid_out.as_ref().map(|l| {
        (
            l.record.file.as_str(),
            l.sheets.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        )
    });
    staging.write(
        "job-ticket.txt",
        ticket(&job, date, &files, rows_from, replaces).as_bytes(),
        None,
    )?;
    staging.seal()?;
    let dir = staging.publish()?;
    Ok(Reprint {
        dir,
        files,
        rows_from,
    })
}

/// The reprint manifest's columns: the cycle manifest's piece and address columns, the mail
/// class, the barcode each piece carries, its A/B variant, and where it is on the reprint's press sheets
/// when imposed (with `--sheet`, the number of the sheet it replaces and its slot there).
const MANIFEST_COLUMNS: [&str; 24] = [
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
    "mail_class",
    "imb",
    "imb_bars",
    "variant",
    "sheet_file",
    "sheet",
    "side",
    "slot",
    "back_slot",
];

/// The sheet columns of a reprinted piece, as the cycle manifest has them.
fn sheet_columns(
    file: &str,
    sheet: usize,
    slot: usize,
    imp: &crate::impose::Imposition,
    layout: &crate::layout::Layout,
) -> [String; 5] {
    let two = layout.pages.len() > 1;
    [
        file.to_string(),
        sheet.to_string(),
        if two { "front+back" } else { "front" }.to_string(),
        slot.to_string(),
        if two {
            imp.back_slot(slot).to_string()
        } else {
            String::new()
        },
    ]
}

/// Lays the reprinted pieces out on the sheets they were printed on, each in its slot, with
/// a slug line that says which sheet of the cycle each replaces; hands the PDF to `write` and
/// returns its name.
fn lay_out_again(
    mut writer: crate::render::FileWriter<'_>,
    imp: &crate::impose::Imposition,
    laid_out: &AsLaidOut,
    campaign: &crate::campaign::Campaign,
    date: NaiveDate,
    write: &super::render::WriteFile<'_>,
) -> Result<String> {
    let r = &laid_out.record;
    let numbers: Vec<String> = laid_out.sheets.iter().map(|(n, _)| n.to_string()).collect();
    let file = format!(
        "{}-reprint-sheet-{}.pdf",
        r.file.trim_end_matches(".pdf"),
        numbers.join("-")
    );
    let of = r.sheets();
    let slug = |i: usize, _: usize, side: usize| {
        let n = laid_out.sheets.get(i).map_or(0, |s| s.0);
        format!(
            "REPRINT · {} · cycle {date} · {} · sheet {n} of {of} · stack {} · {} · {} up, {}",
            campaign.id,
            r.pieces_file,
            n.saturating_sub(1) / (r.stack_depth as usize).max(1) + 1,
            if side == 0 { "front" } else { "back (turn)" },
            imp.up(),
            imp.sheet.name
        )
    };
    let order: Vec<Vec<Option<usize>>> = laid_out.sheets.iter().map(|s| s.1.clone()).collect();
    writer.lay_out(imp, &order, &slug);
    let bytes = writer.finish(&PdfOptions {
        title: format!(
            "REPRINT SHEETS {} – {} – {date} – sheet {}",
            campaign.name,
            r.file,
            numbers.join(", ")
        ),
        ident: format!("reprint/{}/{date}/{file}", campaign.id),
        standard: campaign.pdf_standard,
        date,
    })?;
    let sha = crate::output::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    write(&file, &bytes, &sha)?;
    Ok(file)
}

/// The next free folder name under `root`: `001`, `002`...
fn next_folder(root: &Path) -> String {
    let last = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|n| n.parse::<u32>().ok())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    format!("{:03}", last + 1)
}

/// The reprint's ticket: what it is (not a new mailing), its files and counts, and with
/// `--sheet` which sheets of which sheet PDF it replaces.
fn ticket(
    job: &Job,
    date: NaiveDate,
    files: &[ProofFile],
    rows_from: &str,
    replaces: Option<(&str, Vec<usize>)>,
) -> String {
    let campaign = &job.campaign;
    let mut t = String::new();
    let pieces: u64 = files.iter().map(|f| f.pieces).sum();
    let pages: u64 = files.iter().map(|f| f.pages).sum();
    let _ = writeln!(t, "REPRINT TICKET");
    let _ = writeln!(t, "Campaign:   {} ({})", campaign.name, campaign.id);
    let _ = writeln!(t, "Of cycle:   {date}");
    let _ = writeln!(
        t,
        "Totals:     {}, {}, {}",
        crate::words::count(files.len(), "file", "files"),
        crate::words::count(pieces, "piece", "pieces"),
        crate::words::count(pages, "page", "pages")
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "These pieces replace damaged or lost ones of that cycle: the same piece ids and"
    );
    let _ = writeln!(
        t,
        "barcodes as issued (see manifest.csv). Mail each in place of the original, never"
    );
    let _ = writeln!(t, "as well as it.");
    if let Some((file, sheets)) = &replaces {
        let numbers: Vec<String> = sheets.iter().map(usize::to_string).collect();
        let _ = writeln!(
            t,
            "Replaces:  {} {} of {file}: put each in the stack in place of the damaged one, then",
            if sheets.len() == 1 { "sheet" } else { "sheets" },
            numbers.join(", ")
        );
        let _ = writeln!(t, "           cut as before; blank slots stay blank.");
    }
    let _ = writeln!(
        t,
        "Rendered from: {}",
        if rows_from == "ledger" {
            "the contact rows recorded when the cycle was committed"
        } else {
            "the contacts file as it is now (the cycle predates recorded rows)"
        }
    );
    for f in files {
        let layout = &job.layouts[&f.layout];
        let _ = writeln!(t);
        let _ = writeln!(t, "File:    {}", f.file);
        let _ = writeln!(t, "Step:    {} (layout {})", f.step, f.layout);
        let _ = writeln!(
            t,
            "Trim:    {}, bleed {} in each side",
            layout.trim_label(),
            (layout.bleed.get() / 72.0 * 1000.0).round() / 1000.0
        );
        let _ = writeln!(t, "Stock:   {}", layout.stock);
        let _ = writeln!(t, "Sides:   {}", layout.pages.len());
        let _ = writeln!(t, "Pieces:  {}", f.pieces);
        let _ = writeln!(t, "Pages:   {}", f.pages);
        if let Some(sheets) = &f.sheets {
            let _ = writeln!(t, "Sheets:  {sheets}");
        }
    }
    t
}
