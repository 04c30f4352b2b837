//! `dripmail validate`: every input, every piece and the ledger checked; nothing written.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{Place, print, print_json};
use crate::job::Job;

pub(super) fn validate(
    campaign: &Path,
    place: &Place,
    accept_rejects: bool,
    progress: crate::progress::Progress,
    json: bool,
) -> Result<()> {
    let job = super::load_job(campaign, progress)?;
    let too_many = if accept_rejects {
        None
    } else {
        job.check_rejects().err()
    };
    if json && let Some(e) = too_many {
        return Err(e.into());
    }
    let (_, ledger_path) = place.resolve(campaign);
    let ledger = crate::check::ledger(&job, &ledger_path)?;
    let spinner = progress.spinner("setting every contact's pieces");
    let holds: Vec<String> = crate::check::pieces(&job)?
        .iter()
        .map(ToString::to_string)
        .collect();
    drop(spinner);
    let postal = crate::check::postal(&job);
    let (cycles, folder_notes) = match ledger {
        None => (None, Vec::new()),
        Some(l) => (Some(l.cycles), l.folders),
    };
    if json {
        let rejects: Vec<_> = job
            .rejects
            .iter()
            .map(|r| json!({"file": crate::report::relative(&r.file, job.campaign.dir()), "line": r.line, "reason": r.reason}))
            .collect();
        return print_json(&json!({
            "ok": true,
            "campaign": job.campaign.id,
            "contacts": job.contacts.list.len(),
            "columns": reading_json(&job),
            "rejects": rejects,
            "would_hold": holds,
            "warnings": job.warnings,
            "postal": postal.iter().map(|c| json!({
                "layout": c.layout.id,
                "rule": c.rule.map(crate::layout::postal::Rule::id),
                "status": c.status,
                "line": c.line,
                "detail": c.detail,
            })).collect::<Vec<_>>(),
            "ledger": {"path": ledger_path.display().to_string(), "cycles": cycles, "folders": folder_notes},
        }));
    }
    let mut t = format!(
        "campaign `{}`: {}, {}, {}\n",
        job.campaign.id,
        crate::words::count(job.campaign.steps.len(), "step", "steps"),
        crate::words::count(job.layouts.len(), "layout", "layouts"),
        crate::words::count(job.contacts.list.len(), "contact", "contacts")
    );
    t.push_str(&reading_text(&job));
    for r in &job.rejects {
        t.push_str(&format!(
            "reject: {}:{}: {}\n",
            crate::report::relative(&r.file, job.campaign.dir()),
            r.line,
            r.reason
        ));
    }
    for h in &holds {
        t.push_str(&format!("would hold: {h}\n"));
    }
    for w in &job.warnings {
        t.push_str(&format!("warning: {w}\n"));
    }
    // One line per layout: which postal rules it passed (a rule that holds refuses the job).
    let mut layouts: Vec<&str> = postal.iter().map(|c| c.layout.id.as_str()).collect();
    layouts.dedup();
    for id in layouts {
        let mine: Vec<_> = postal.iter().filter(|c| c.layout.id == id).collect();
        let passed: Vec<&str> = mine
            .iter()
            .filter(|c| c.status == "pass")
            .filter_map(|c| c.rule.map(crate::layout::postal::Rule::id))
            .collect();
        let warned = mine.iter().filter(|c| c.status == "warn").count();
        match mine.first().and_then(|c| c.layout.mail_piece) {
            None => t.push_str(&format!(
                "postal: layout `{id}`: not checked (it declares no mail_piece)\n"
            )),
            Some(piece) => t.push_str(&format!(
                "postal: layout `{id}` ({}): passes {}{}\n",
                piece.name(),
                passed.join(", "),
                if warned == 0 {
                    String::new()
                } else {
                    format!(
                        "; {} above",
                        crate::words::count(warned, "warning", "warnings")
                    )
                }
            )),
        }
    }
    match cycles {
        None => t.push_str(&format!(
            "ledger: none yet at `{}` (the first run creates it)\n",
            ledger_path.display()
        )),
        Some(n) => t.push_str(&format!(
            "ledger: `{}` checked, {n} committed cycle{} of this campaign\n",
            ledger_path.display(),
            if n == 1 { "" } else { "s" }
        )),
    }
    for f in &folder_notes {
        t.push_str(&format!("warning: {f}\n"));
    }
    if let Some(e) = too_many {
        // The rejects are listed above; the error says why they stop a run.
        print(&t)?;
        return Err(e.into());
    }
    t.push_str(
        "ok: the campaign can run (rejected rows and held pieces are reported, not fatal)\n",
    );
    print(&t)
}

/// How the contacts file was read: its preset, which header is which field, its dates.
fn reading_text(job: &Job) -> String {
    let reading = &job.contacts.reading;
    let file = crate::report::relative(&job.campaign.contacts, job.campaign.dir());
    let mut t = match reading.mapping.preset {
        Some((p, true)) => format!(
            "columns of `{file}`: a {} (preset `{}`, recognised from its header)\n",
            p.title, p.id
        ),
        Some((p, false)) => format!("columns of `{file}`: a {} (preset `{}`)\n", p.title, p.id),
        None => format!("columns of `{file}`:\n"),
    };
    for (field, header, source) in reading.mapping.fields(&job.contacts.schema.headers) {
        t.push_str(&format!(
            "  {:<14} = \"{header}\"   ({})\n",
            field.name(),
            source.name()
        ));
    }
    if let Some((order, why)) = reading.date_order {
        t.push_str(&format!(
            "  dates like 03/10/2026 read as {} ({why})\n",
            order.pattern()
        ));
    }
    t
}

fn reading_json(job: &Job) -> serde_json::Value {
    let reading = &job.contacts.reading;
    let fields: serde_json::Map<String, serde_json::Value> = reading
        .mapping
        .fields(&job.contacts.schema.headers)
        .into_iter()
        .map(|(f, header, source)| {
            (
                f.name().to_string(),
                json!({"header": header, "source": source.name()}),
            )
        })
        .collect();
    json!({
        "preset": reading.mapping.preset.map(|(p, _)| p.id),
        "preset_detected": reading.mapping.preset.is_some_and(|(_, d)| d),
        "fields": fields,
        "date_format": reading.date_order.map(|(o, _)| o.pattern()),
    })
}
