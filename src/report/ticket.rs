//! The print shop's job ticket: `job-ticket.txt` for people, `jobticket.json` for the shop's
//! tools (its fields are in docs/json.md).

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
        let _ = writeln!(
            t,
            "Step:    {}{} (layout {})",
            f.step,
            f.variant
                .as_ref()
                .map_or(String::new(), |v| format!(", variant {v}")),
            f.layout
        );
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

/// The version of `jobticket.json`'s schema (docs/json.md): raised when a field changes
/// meaning or goes away.
pub const JOB_TICKET_VERSION: u32 = 1;

/// The job ticket as JSON: what a shop's workflow or DFE needs per file (finished size,
/// bleed, stock, sides and colours, folding and closing, mail class, counts, the press sheets
/// and how they are cut and stacked), and the cycle's totals.
#[must_use]
pub fn job_ticket_json(job: &Job, s: &Summary) -> serde_json::Value {
    use serde_json::json;
    let sender = &job.campaign.sender;
    let files: Vec<serde_json::Value> = s
        .files
        .iter()
        .map(|f| {
            let layout = job.layouts.get(&f.layout);
            let size = layout.map(|l| (l.width.get() / 72.0, l.height.get() / 72.0));
            let oi = layout.map(|l| job.output_intent(l));
            let sheets = s
                .sheets
                .iter()
                .find(|sh| sh.pieces_file == f.file)
                .map(|sh| {
                    let sheet = job.campaign.impose.as_ref();
                    json!({
                        "file": sh.file,
                        "sheet": sh.sheet,
                        "width_in": sheet.map(|x| round3(x.width / 72.0)),
                        "height_in": sheet.map(|x| round3(x.height / 72.0)),
                        "across": sh.across,
                        "down": sh.down,
                        "up": sh.across * sh.down,
                        "rotated": sh.rotated,
                        "sheets": sh.sheets,
                        "pages": sh.pages,
                        "work_style": "work-and-turn",
                        "cut_and_stack": true,
                        "stack_depth": sh.stack_depth,
                        "sha256": sh.sha256,
                    })
                });
            json!({
                "file": f.file,
                "step": f.step,
                "variant": f.variant,
                "layout": f.layout,
                "mail_class": (!f.mail_class.is_empty()).then_some(&f.mail_class),
                "finished_size": size.map(|(w, h)| json!({
                    "width_in": round3(w),
                    "height_in": round3(h),
                    "width_mm": round3(w * 25.4),
                    "height_mm": round3(h * 25.4),
                })),
                "bleed_in": f.bleed_in,
                "stock": (!f.stock.is_empty()).then_some(&f.stock),
                "sides": f.sides,
                "colors": if f.sides == 2 { "4/4" } else { "4/0" },
                "output_intent": oi.map(|oi| json!({
                    "identifier": oi.identifier,
                    "condition": oi.condition,
                    "profile_embedded": oi.profile.is_some(),
                })),
                "pdf_standard": job.campaign.pdf_standard.map(|p| p.name()),
                "folding": layout.and_then(|l| l.folds_label()),
                "closing": layout.and_then(|l| l.seal.as_ref().map(|x| x.label())),
                "pieces": f.pieces,
                "pages": f.pages,
                "overs": 0,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "sheets": sheets,
            })
        })
        .collect();
    json!({
        "schema_version": JOB_TICKET_VERSION,
        "campaign": {"id": s.campaign, "name": s.name},
        "cycle_date": s.cycle_date,
        "drop_date": s.cycle_date,
        "customer": {
            "name": sender.name,
            "company": sender.company,
            "address1": sender.address1,
            "address2": sender.address2,
            "city": sender.city,
            "state": sender.state,
            "postal_code": sender.postal_code,
            "country": sender.country,
        },
        "totals": {
            "files": s.files.len(),
            "pieces": s.files.iter().map(|f| f.pieces).sum::<u64>(),
            "pages": s.files.iter().map(|f| f.pages).sum::<u64>(),
            "sheets": s.sheets.iter().map(|sh| sh.sheets).sum::<u64>(),
        },
        "mail_classes": s.mail_classes,
        "presort": s.presort,
        "files": files,
    })
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
