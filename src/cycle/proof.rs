//! Watermarked proofs of each step's pieces, outside the drip rules and the ledger.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::Serialize;

use super::print_order::{imb_code, imb_routing, serial_modulus};
use super::render::StepFiles;
use crate::compose::{PieceImb, Set};
use crate::job::Job;
use crate::render::{FileWriter, PdfOptions};

/// One proof file.
#[derive(Clone, Debug, Serialize)]
pub struct ProofFile {
    /// File name in the proofs folder ("" when no contact meets the step's `when`, and no
    /// file was written).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    /// Step id.
    pub step: String,
    /// Layout id.
    pub layout: String,
    /// Pieces in it.
    pub pieces: u64,
    /// Pages in it.
    pub pages: u64,
    /// The contacts shown, by id, in order (proofs only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// Pieces that a run would hold, with the reason.
    pub held: Vec<String>,
    /// Its pieces on press sheets, when imposed (`--impose`): the sheet PDF beside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheets: Option<String>,
}

/// Renders, for every step (or those using `layout`), the first `count` contacts the step's
/// `when` holds for, with a PROOF watermark, into `out`: what the step would really mail
/// (an Italian step shows Italian contacts). US pieces of a campaign with `[imb]` carry an IMb
/// with a proof serial (the highest serials, counting down), so its place and size can be
/// checked. Ignores the other drip rules and the ledger, and commits nothing.
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
    let mut files = Vec::new();
    for step in job
        .campaign
        .steps
        .iter()
        .flat_map(crate::campaign::Step::renderings)
        .filter(|s| layout.is_none_or(|l| s.layout == l))
    {
        let shared = StepFiles::new(job, step, date)?;
        let layout = shared.composer.layout;
        let mut writer = shared.start(true)?;
        let mut sheets = shared.sheet_writer(true)?;
        let mut held = Vec::new();
        let mut shown = Vec::new();
        let eligible = job
            .contacts
            .list
            .iter()
            .filter(|c| job.merge.condition(step, c, date) == Ok(true))
            .take(count);
        for (n, contact) in eligible.enumerate() {
            shown.push(contact.id.to_string());
            let pid = crate::mailing::piece_id(&job.campaign.id, &contact.id, &step.id);
            let imb = match (&job.campaign.imb, imb_routing(&job.contacts, contact)) {
                (Some(imb), Some(routing)) => {
                    let last = serial_modulus(&imb.mailer_id) - 1;
                    Some(imb_code(imb, last - n as u64, &routing)?)
                }
                _ => None,
            };
            let piece_imb = imb.as_ref().map(|(code, bars)| PieceImb { code, bars });
            let set = shared
                .composer
                .set(contact, &pid, piece_imb)
                .map_err(|e| *e)?;
            match set {
                Set::Piece(set) => {
                    writer.begin_record(super::render::piece_metadata(
                        job,
                        contact,
                        &pid,
                        "",
                        imb.as_ref().map(|(code, _)| code.as_str()),
                    ));
                    for (pi, page) in set.pages.iter().enumerate() {
                        writer.add_page(pi, page)?;
                        if let Some(w) = sheets.as_mut() {
                            w.add_page(pi, page)?;
                        }
                    }
                }
                Set::Held(h) => held.push(format!("contact `{}`: {h}", contact.id)),
            }
        }
        if shown.is_empty() {
            // No contact gets this step: no empty file, but say so.
            files.push(ProofFile {
                file: String::new(),
                step: step.id.clone(),
                layout: layout.id.clone(),
                pieces: 0,
                pages: 0,
                contacts: shown,
                held,
                sheets: None,
            });
            continue;
        }
        let name = format!("{}-{}-proof.pdf", step.file_stem(), layout.id);
        let options = PdfOptions {
            title: format!("PROOF {} – {}", job.campaign.name, step.id),
            ident: format!("proof/{}/{date}/{name}", job.campaign.id),
            standard: job.campaign.pdf_standard,
            date,
        };
        let mut file = write_side_file(writer, &options, out, name, step, layout, held)?;
        file.contacts = shown;
        if let (Some(w), Some(imp)) = (sheets, shared.imposition.as_ref()) {
            let pieces = usize::try_from(file.pieces).unwrap_or(usize::MAX);
            let (info, _) = super::render::write_sheets(
                w,
                imp,
                &file.file,
                pieces,
                &job.campaign,
                date,
                &|name, bytes, _| {
                    let path = out.join(name);
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("cannot write `{}`", path.display()))
                },
            )?;
            file.sheets = Some(info.file);
        }
        files.push(file);
    }
    Ok(files)
}

/// Finishes a proof or reprint file and writes it to `out/name`.
pub(super) fn write_side_file(
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
        contacts: Vec::new(),
        held,
        sheets: None,
    })
}
