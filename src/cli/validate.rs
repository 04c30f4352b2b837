//! `dripmail validate`: every input, every piece and the ledger checked; nothing written.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{Place, print, print_json};
use crate::job::Job;

pub(super) fn validate(campaign: &Path, place: &Place, json: bool) -> Result<()> {
    let job = Job::load(campaign)?;
    let (_, ledger_path) = place.resolve(campaign);
    let ledger = crate::check::ledger(&job, &ledger_path)?;
    let holds: Vec<String> = crate::check::pieces(&job)?
        .iter()
        .map(ToString::to_string)
        .collect();
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
        "campaign `{}`: {} steps, {} layouts, {} contacts\n",
        job.campaign.id,
        job.campaign.steps.len(),
        job.layouts.len(),
        job.contacts.list.len()
    );
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
                    format!("; {warned} warning(s) above")
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
    t.push_str(
        "ok: the campaign can run (rejected rows and held pieces are reported, not fatal)\n",
    );
    print(&t)
}
