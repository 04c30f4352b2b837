//! `dripmail reprint`: issued pieces rendered again.

use std::path::Path;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde_json::json;

use super::{Place, print, print_json};
use crate::cycle;
use crate::job::Job;
use crate::ledger::Ledger;

pub(super) fn reprint(
    campaign: &Path,
    date: NaiveDate,
    select: &cycle::Select,
    place: &Place,
    impose: Option<crate::impose::Sheet>,
    json: bool,
) -> Result<()> {
    let mut job = Job::load(campaign)?;
    if impose.is_some() {
        job.campaign.impose = impose;
    }
    let (out, ledger_path) = place.resolve(campaign);
    let Some(ledger) = Ledger::open_read(&ledger_path)? else {
        bail!(
            "no ledger at `{}`: nothing was issued yet",
            ledger_path.display()
        );
    };
    let root = crate::output::campaign_root(&out, &job.campaign.id)
        .join("reprints")
        .join(date.to_string());
    let r = cycle::reprint(job, &ledger, date, select, &root)?;
    if json {
        return print_json(&json!({
            "reprints": r.files,
            "dir": r.dir.display().to_string(),
            "rows_from": r.rows_from,
        }));
    }
    let mut t = String::new();
    for f in &r.files {
        t.push_str(&format!(
            "{}  ({}, {})\n",
            r.dir.join(&f.file).display(),
            crate::words::count(f.pieces, "piece", "pieces"),
            crate::words::count(f.pages, "page", "pages")
        ));
        if let Some(sheets) = &f.sheets {
            t.push_str(&format!(
                "  press sheets: {}\n",
                r.dir.join(sheets).display()
            ));
        }
    }
    t.push_str(&format!(
        "manifest and ticket: {}\nsame piece ids and barcodes as issued, rendered from {}; the ledger is unchanged\n",
        r.dir.display(),
        if r.rows_from == "ledger" {
            "the rows recorded when the cycle was committed"
        } else {
            "the contacts file as it is now (the cycle predates recorded rows)"
        }
    ));
    print(&t)
}
