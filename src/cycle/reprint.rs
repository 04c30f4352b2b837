//! Issued pieces of a committed cycle rendered again, with the same ids and barcodes.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;

use super::proof::{ProofFile, write_side_file};
use super::render::StepFiles;
use crate::compose::{PieceImb, Set};
use crate::error::Hinted;
use crate::job::Job;
use crate::ledger::Ledger;
use crate::render::PdfOptions;

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
            return Err(Hinted::new(
                format!(
                    "no piece `{pid}` was issued in cycle {date} of `{}`",
                    campaign.id
                ),
                "piece ids are in that cycle's manifest.csv",
            )
            .into());
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
    let mut files = Vec::new();
    for (si, step) in campaign.steps.iter().enumerate() {
        let mine: Vec<_> = wanted.iter().filter(|w| w.0 == si).collect();
        if mine.is_empty() {
            continue;
        }
        let shared = StepFiles::new(job, step, date)?;
        let layout = shared.composer.layout;
        let mut writer = shared.start(false)?;
        for (_, ci, pid, code) in mine {
            let contact = &job.contacts.list[*ci];
            // The ledger's code: 20 tracking digits, then the routing digits (a damaged
            // ledger's text is cut only where it can be; encode refuses what is not digits).
            let code = code
                .as_deref()
                .filter(|c| c.len() >= 20 && c.is_char_boundary(20));
            let bars = code
                .map(|c| crate::imb::encode(&c[..20], &c[20..]))
                .transpose()?;
            let imb = code
                .zip(bars.as_deref())
                .map(|(code, bars)| PieceImb { code, bars });
            let set = match shared.composer.set(contact, pid, imb) {
                Ok(Set::Piece(set)) => set,
                Ok(Set::Held(h)) => {
                    bail!("piece `{pid}` (contact `{}`): {h}", contact.id)
                }
                Err(e) => return Err(anyhow::Error::new(*e).context(format!("piece `{pid}`"))),
            };
            for (pi, page) in set.pages.iter().enumerate() {
                writer.add_page(pi, page)?;
            }
        }
        let name = format!("{}-{}-reprint.pdf", step.id, layout.id);
        let options = PdfOptions {
            title: format!("REPRINT {} – {} – {date}", campaign.name, step.id),
            ident: format!("reprint/{}/{date}/{name}/{}", campaign.id, pieces.join(",")),
            standard: campaign.pdf_standard,
            date,
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
