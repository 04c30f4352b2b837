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
    pieces: &[String],
    place: &Place,
    json: bool,
) -> Result<()> {
    let job = Job::load(campaign)?;
    let (out, ledger_path) = place.resolve(campaign);
    let Some(ledger) = Ledger::open_read(&ledger_path)? else {
        bail!(
            "no ledger at `{}`: nothing was issued yet",
            ledger_path.display()
        );
    };
    let dir = crate::output::campaign_root(&out, &job.campaign.id)
        .join("reprints")
        .join(date.to_string());
    let files = cycle::reprint(&job, &ledger, date, pieces, &dir)?;
    if json {
        return print_json(&json!({"reprints": files, "dir": dir.display().to_string()}));
    }
    let mut t = String::new();
    for f in &files {
        t.push_str(&format!(
            "{}  ({}, {})\n",
            dir.join(&f.file).display(),
            crate::words::count(f.pieces, "piece", "pieces"),
            crate::words::count(f.pages, "page", "pages")
        ));
    }
    t.push_str("same piece ids and barcodes as issued; the ledger is unchanged\n");
    print(&t)
}
