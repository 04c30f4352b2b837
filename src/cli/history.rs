//! `dripmail history`: committed cycles, or one contact's pieces.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::json;

use super::{Place, print, print_json};
use crate::campaign::Campaign;
use crate::contacts::{Contacts, LoadOptions, Who};
use crate::ledger::Ledger;

pub(super) fn history(
    campaign: &Path,
    contact: Option<&str>,
    place: &Place,
    json: bool,
) -> Result<()> {
    let c = Campaign::load(campaign)?;
    let (_, ledger_path) = place.resolve(campaign);
    if let Some(id) = contact {
        let ledger = Ledger::open_read(&ledger_path)?;
        return explain(&c, ledger.as_ref(), id, json);
    }
    let Some(ledger) = Ledger::open_read(&ledger_path)? else {
        if json {
            return print_json(&json!({"campaign": c.id, "cycles": [], "voided": []}));
        }
        return print(&format!(
            "no cycles committed yet (no ledger at `{}`)\n",
            ledger_path.display()
        ));
    };
    let rows = ledger.cycles(&c.id)?;
    let voids = ledger.voids(&c.id)?;
    if json {
        return print_json(&json!({"campaign": c.id, "cycles": rows, "voided": voids}));
    }
    let mut t = format!(
        "campaign `{}`: {}\n",
        c.id,
        crate::words::count(rows.len(), "committed cycle", "committed cycles")
    );
    if !rows.is_empty() {
        t.push_str(&format!(
            "  {:<10}  {:>7} {:>7} {:>5}  committed at\n",
            "cycle", "issued", "skipped", "files"
        ));
    }
    for r in rows {
        let mut extra = String::new();
        if r.holdout > 0 {
            extra.push_str(&format!(", {} held out", r.holdout));
        }
        if r.expired > 0 {
            extra.push_str(&format!(", {} expired", r.expired));
        }
        t.push_str(&format!(
            "  {:<10}  {:>7} {:>7} {:>5}  {}{}\n",
            r.cycle_date,
            r.issued,
            r.skipped,
            r.files,
            r.committed_at,
            if extra.is_empty() {
                String::new()
            } else {
                format!("  ({})", &extra[2..])
            }
        ));
    }
    for v in voids {
        t.push_str(&format!(
            "voided: cycle {} ({} issued, committed {}) on {} by {}{}{}\n",
            v.cycle_date,
            v.issued,
            v.committed_at,
            v.voided_at,
            v.voided_by,
            if v.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", v.reason)
            },
            v.moved_to
                .map_or(String::new(), |m| format!("; folder moved to `{m}`"))
        ));
    }
    print(&t)
}

/// What the ledger says one contact was sent, skipped and held back, and what the contacts
/// file says about it now (a contact, a rejected row, or gone from the file).
fn explain(c: &Campaign, ledger: Option<&Ledger>, id: &str, json: bool) -> Result<()> {
    let file = crate::report::relative(&c.contacts, c.dir());
    // The file as a run would read it; if it cannot be read, the ledger still answers.
    let contacts = Contacts::load(&c.contacts, &LoadOptions::of(c));
    let (status, line, reason, name) = match &contacts {
        Ok(k) => match k.who(&k.rejects, id) {
            Who::Contact(i) => (
                "contact",
                Some(k.list[i].line),
                None,
                Some(k.full_name(&k.list[i])),
            ),
            Who::Rejected(r) => ("rejected", Some(r.line), Some(r.reason.clone()), None),
            Who::Unknown => ("not_in_file", None, None, None),
        },
        Err(e) => ("not_in_file", None, Some(format!("{e}")), None),
    };
    let (decisions, holds) = match ledger {
        Some(l) => (l.contact(&c.id, id)?, l.holds(&c.id, id)?),
        None => (Vec::new(), Vec::new()),
    };
    if status == "not_in_file" && decisions.is_empty() && holds.is_empty() {
        bail!(
            "no contact `{id}`: no row of `{file}` has that id, and the ledger has nothing for it in campaign `{}`",
            c.id
        );
    }
    if json {
        let exposures = decisions.iter().filter(|r| r.outcome == "issued").count();
        return print_json(&json!({
            "campaign": c.id, "contact_id": id, "status": status, "line": line,
            "reason": reason, "decisions": decisions, "holds": holds, "exposures": exposures,
        }));
    }
    let mut t = match (status, name) {
        ("contact", Some(name)) => format!(
            "contact `{id}` ({name}, {file} line {}) in campaign `{}`\n",
            line.unwrap_or_default(),
            c.id
        ),
        ("rejected", _) => format!(
            "contact `{id}` in campaign `{}`: its row ({file} line {}) is rejected now: {}\n",
            c.id,
            line.unwrap_or_default(),
            reason.as_deref().unwrap_or_default()
        ),
        _ => format!(
            "contact `{id}` in campaign `{}`: no longer in {file}{}\n",
            c.id,
            reason.map_or(String::new(), |r| format!(" (it cannot be read: {r})"))
        ),
    };
    if decisions.is_empty() && holds.is_empty() {
        t.push_str("  nothing issued, skipped or held yet\n");
    }
    // One list, oldest first: what was sent or skipped, and each cycle a piece was held.
    let mut lines: Vec<(String, String)> = decisions
        .iter()
        .map(|r| {
            let mut l = format!("  {}  {:<14} {:<8}", r.cycle_date, r.step, r.outcome);
            if let (Some(p), Some(f), Some(pg)) = (&r.piece_id, &r.file, r.first_page) {
                l.push_str(&format!(" piece {p}  {f} page {pg}"));
            }
            if let Some(v) = &r.variant {
                l.push_str(&format!("  variant {v}"));
            }
            (r.cycle_date.clone(), l)
        })
        .chain(holds.iter().map(|h| {
            (
                h.cycle_date.clone(),
                format!(
                    "  {}  {:<14} {:<8} {}",
                    h.cycle_date, h.step, "held", h.reason
                ),
            )
        }))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, l) in lines {
        t.push_str(l.trim_end());
        t.push('\n');
    }
    // Exposures: how many pieces the contact has had, and when (for setting the cadence).
    let received: Vec<&str> = decisions
        .iter()
        .filter(|r| r.outcome == "issued")
        .map(|r| r.cycle_date.as_str())
        .collect();
    if let (Some(first), Some(last)) = (received.first(), received.last()) {
        t.push_str(&format!(
            "exposures: {} received, {first} to {last}\n",
            crate::words::count(received.len(), "piece", "pieces")
        ));
    }
    print(&t)
}
