//! Watermarked proofs of each step's pieces, outside the drip rules and the ledger.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::Serialize;

use super::render::StepFiles;
use crate::compose::Set;
use crate::job::Job;
use crate::render::{FileWriter, PdfOptions};

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
    let mut files = Vec::new();
    for step in job
        .campaign
        .steps
        .iter()
        .filter(|s| layout.is_none_or(|l| s.layout == l))
    {
        let shared = StepFiles::new(job, step, date)?;
        let layout = shared.composer.layout;
        let mut writer = shared.start(true)?;
        let mut held = Vec::new();
        for contact in job.contacts.list.iter().take(count) {
            let pid = crate::mailing::piece_id(&job.campaign.id, &contact.id, &step.id);
            let set = shared.composer.set(contact, &pid, None).map_err(|e| *e)?;
            match set {
                Set::Piece(set) => {
                    for (pi, page) in set.pages.iter().enumerate() {
                        writer.add_page(pi, page)?;
                    }
                }
                Set::Held(h) => held.push(format!("contact `{}`: {h}", contact.id)),
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
        held,
    })
}
