//! `dripmail proof`: watermarked proofs of each step.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use serde_json::json;

use super::{default_out, print, print_json};
use crate::cycle;
use crate::job::Job;

/// `proof`'s options.
pub(super) struct ProofFlags {
    pub(super) layout: Option<String>,
    pub(super) count: usize,
    pub(super) sample: bool,
    pub(super) date: NaiveDate,
    pub(super) out: Option<PathBuf>,
    pub(super) impose: Option<crate::impose::Sheet>,
}

pub(super) fn proof(campaign: &Path, flags: ProofFlags, json: bool) -> Result<()> {
    let ProofFlags {
        layout,
        count,
        sample,
        date,
        out,
        impose,
    } = flags;
    let layout = layout.as_deref();
    let scratch = tempfile_dir()?;
    let mut job = if sample {
        Job::load_with_sample_contacts(campaign, scratch.path())?
    } else {
        Job::load(campaign)?
    };
    if impose.is_some() {
        job.campaign.impose = impose;
    }
    if let Some(id) = layout
        && !job
            .campaign
            .steps
            .iter()
            .flat_map(crate::campaign::Step::renderings)
            .any(|s| s.layout == id)
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
        if let Some(sheets) = &f.sheets {
            t.push_str(&format!("  press sheets: {}\n", out.join(sheets).display()));
        }
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
