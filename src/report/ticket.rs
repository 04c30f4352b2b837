//! The print shop's job ticket.

use super::Summary;
use crate::job::Job;

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
        "Totals:     {}, {}, {}",
        crate::words::count(s.files.len(), "file", "files"),
        crate::words::count(pieces, "piece", "pieces"),
        crate::words::count(pages, "page", "pages")
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "Every file: PDF, text and vector art in CMYK, images as supplied (CMYK, or RGB"
    );
    let _ = writeln!(
        t,
        "with its ICC profile, sRGB when it had none: convert to the output intent),"
    );
    let _ = writeln!(t, "fonts embedded, TrimBox and BleedBox on every page,");
    let _ = writeln!(
        t,
        "pages in mailing order (postal code). Print duplex where sides = 2: page 1"
    );
    let _ = writeln!(
        t,
        "of each piece is the front, page 2 the back. Cut to the TrimBox."
    );
    // Only classes that [postage] names are counted.
    if !s.mail_classes.is_empty() {
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Mail classes (each file holds one; prepare and pay them apart):"
        );
        for c in &s.mail_classes {
            let _ = writeln!(
                t,
                "  {:<14} {:<34} {}",
                c.step,
                c.class,
                crate::words::count(c.pieces, "piece", "pieces")
            );
        }
    }
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
        if let Some(layout) = job.layouts.get(&f.layout) {
            let oi = job.output_intent(layout);
            let _ = writeln!(
                t,
                "Output:  {}{}, {}{}",
                oi.identifier,
                if oi.condition.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", oi.condition)
                },
                if oi.profile.is_some() {
                    "ICC profile embedded"
                } else {
                    "named, no profile embedded"
                },
                job.campaign
                    .pdf_standard
                    .map_or(String::new(), |s| format!("; {}", s.name()))
            );
        }
        let _ = writeln!(
            t,
            "Sides:   {}",
            if f.sides == 2 {
                "2 (duplex: front, back)".to_string()
            } else {
                f.sides.to_string()
            }
        );
        if let Some(layout) = job.layouts.get(&f.layout)
            && let Some(folds) = layout.folds_label()
        {
            let _ = writeln!(t, "Folding: {folds}");
            if let Some(seal) = &layout.seal {
                let _ = writeln!(t, "Closing: {}", seal.label());
            }
        }
        if !f.mail_class.is_empty() {
            let _ = writeln!(t, "Class:   {}", f.mail_class);
        }
        let _ = writeln!(t, "Pieces:  {}", f.pieces);
        let _ = writeln!(t, "Pages:   {}", f.pages);
        let _ = writeln!(t, "SHA-256: {}", f.sha256);
        if let Some(sh) = s.sheets.iter().find(|sh| sh.pieces_file == f.file) {
            let _ = writeln!(
                t,
                "Sheets:  {}: {} on {} ({} across x {} down{}), {}, work and turn (backs turned over the sheet's vertical axis); cut and stack in stacks of at most {} sheets: each slot's stack in slot order, then the next stack; blank slots on the last sheet of a stack",
                sh.file,
                crate::words::count(sh.across * sh.down, "piece up", "pieces up"),
                sh.sheet,
                sh.across,
                sh.down,
                if sh.rotated { ", turned 90°" } else { "" },
                crate::words::count(sh.sheets, "sheet", "sheets"),
                sh.stack_depth
            );
            let _ = writeln!(t, "         SHA-256 {}", sh.sha256);
        }
    }
    t
}
