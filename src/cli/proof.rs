//! `dripmail proof`: watermarked proofs of each step.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use serde_json::json;

use super::{default_out, print, print_json};
use crate::cycle;
use crate::job::Job;

pub(super) fn proof(
    campaign: &Path,
    layout: Option<&str>,
    count: usize,
    sample: bool,
    date: NaiveDate,
    out: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let scratch = tempfile_dir()?;
    let job = if sample {
        Job::load_with_sample_contacts(campaign, scratch.path())?
    } else {
        Job::load(campaign)?
    };
    if let Some(id) = layout
        && !job.campaign.steps.iter().any(|s| s.layout == id)
    {
        bail!("no step of `{}` uses layout `{id}`", job.campaign.id);
    }
    let out = crate::output::campaign_root(
        &out.unwrap_or_else(|| default_out(campaign)),
        &job.campaign.id,
    )
    .join("proofs");
    let files = cycle::proof(&job, layout, count, date, &out)?;
    if json {
        return print_json(&json!({"proofs": files}));
    }
    let mut t = String::new();
    for f in &files {
        if f.file.is_empty() {
            t.push_str(&format!(
                "step `{}`: no contact meets its `when`; no proof written\n",
                f.step
            ));
            continue;
        }
        t.push_str(&format!(
            "{}  ({}, {})\n  contacts: {}\n",
            out.join(&f.file).display(),
            crate::words::count(f.pieces, "piece", "pieces"),
            crate::words::count(f.pages, "page", "pages"),
            f.contacts.join(", ")
        ));
        for h in &f.held {
            t.push_str(&format!("  would hold: {h}\n"));
        }
    }
    t.push_str("proofs carry a PROOF watermark; nothing was committed\n");
    print(&t)
}

/// A new scratch folder with an unpredictable name, created for this user only and removed
/// when dropped (a name made from the process id could be taken or planted by another user).
fn tempfile_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("dripmail-proof-")
        .tempdir()
        .context("cannot create a scratch folder for the sample contacts")
}
