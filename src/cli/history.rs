//! `dripmail history`: committed cycles, or one contact's pieces.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{Place, print, print_json};
use crate::ledger::Ledger;

pub(super) fn history(
    campaign: &Path,
    contact: Option<&str>,
    place: &Place,
    json: bool,
) -> Result<()> {
    let c = crate::campaign::Campaign::load(campaign)?;
    let (_, ledger_path) = place.resolve(campaign);
    let Some(ledger) = Ledger::open_read(&ledger_path)? else {
        if json {
            return print_json(&json!({"campaign": c.id, "cycles": []}));
        }
        return print(&format!(
            "no cycles committed yet (no ledger at `{}`)\n",
            ledger_path.display()
        ));
    };
    if let Some(id) = contact {
        let rows = ledger.contact(&c.id, id)?;
        if json {
            return print_json(&json!({"campaign": c.id, "contact_id": id, "decisions": rows}));
        }
        let mut t = format!("contact `{id}` in campaign `{}`\n", c.id);
        if rows.is_empty() {
            t.push_str("  nothing issued or skipped yet\n");
        }
        for r in rows {
            t.push_str(&format!(
                "  {}  {:<14} {:<8}",
                r.cycle_date, r.step, r.outcome
            ));
            if let (Some(p), Some(f), Some(pg)) = (&r.piece_id, &r.file, r.first_page) {
                t.push_str(&format!(" piece {p}  {f} page {pg}"));
            }
            t.push('\n');
        }
        return print(&t);
    }
    let rows = ledger.cycles(&c.id)?;
    let voids = ledger.voids(&c.id)?;
    if json {
        return print_json(&json!({"campaign": c.id, "cycles": rows, "voided": voids}));
    }
    let mut t = format!(
        "campaign `{}`: {} committed cycle{}\n",
        c.id,
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if !rows.is_empty() {
        t.push_str(&format!(
            "  {:<10}  {:>7} {:>7} {:>5}  committed at\n",
            "cycle", "issued", "skipped", "files"
        ));
    }
    for r in rows {
        t.push_str(&format!(
            "  {:<10}  {:>7} {:>7} {:>5}  {}\n",
            r.cycle_date, r.issued, r.skipped, r.files, r.committed_at
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
