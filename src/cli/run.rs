//! `dripmail run`: one cycle, then its summary.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;

use super::{Place, print, print_json};
use crate::cycle::{self, RunOptions, Status};

/// `run`'s switches.
pub(super) struct RunFlags {
    pub(super) dry_run: bool,
    pub(super) new_ledger: bool,
    pub(super) accept_rejects: bool,
    pub(super) progress: crate::progress::Progress,
    pub(super) impose: Option<crate::impose::Sheet>,
}

pub(super) fn run_cycle(
    campaign: &Path,
    date: NaiveDate,
    place: &Place,
    flags: RunFlags,
    now: &str,
    json: bool,
) -> Result<()> {
    let mut job = super::load_job(campaign, flags.progress)?;
    if let Some(sheet) = flags.impose {
        job.campaign.impose = Some(sheet);
    }
    if !flags.accept_rejects {
        job.check_rejects()?;
    }
    let (out, ledger) = place.resolve(campaign);
    crate::interrupt::install();
    let report = cycle::run(
        &job,
        &RunOptions {
            date,
            out,
            ledger,
            dry_run: flags.dry_run,
            new_ledger: flags.new_ledger,
            committed_at: now.to_string(),
            progress: flags.progress,
        },
    )?;
    // The one-page tickets, beside the cycle folders: this cycle's, and any a crash after an
    // earlier commit left unwritten. The cycles are committed whatever happens here, and
    // `dripmail ticket` writes a ticket again.
    let ticket_errors = if report.status == Status::DryRun {
        Vec::new()
    } else {
        write_missing_tickets(&report.out_dir, campaign)
    };
    let ticket = super::ticket_path(&report.out_dir, date);
    let ticket = ticket.exists().then_some(ticket);
    if json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(map) = value.as_object_mut() {
            if let Some(path) = &ticket {
                map.insert("ticket".into(), path.display().to_string().into());
            }
            if !ticket_errors.is_empty() {
                map.insert("ticket_errors".into(), ticket_errors.clone().into());
            }
        }
        return print_json(&value);
    }
    let mut t = String::new();
    match report.status {
        Status::AlreadyCommitted => {
            t.push_str(&format!(
                "cycle {date} of `{}` is already committed: nothing changed\nfiles: {}\nhint: the next cycle needs a later --date\n",
                job.campaign.id,
                report.out_dir.display()
            ));
            if !report.out_dir.exists() {
                t.push_str(&format!(
                    "warning: the committed cycle's folder `{}` is missing: restore it from a backup (`dripmail reprint` renders its pieces again)\n",
                    report.out_dir.display()
                ));
            }
        }
        Status::Committed | Status::DryRun => {
            let Some(s) = &report.summary else {
                return print(&t);
            };
            t.push_str(&summary_text(s, report.status == Status::Committed));
            if report.status == Status::DryRun {
                t.push_str("dry run: nothing written, nothing committed\n");
            } else {
                t.push_str(&format!(
                    "files:  {}\nledger: {} (cycle {date} committed)\n",
                    report.out_dir.display(),
                    report.ledger.display()
                ));
                if let Some(path) = &ticket {
                    t.push_str(&format!("ticket: {}\n", path.display()));
                }
            }
        }
    }
    for e in &ticket_errors {
        t.push_str(&format!("warning: {e}\n"));
    }
    print(&t)
}

/// Writes the one-page ticket of every committed cycle folder beside `cycle_dir` (named by
/// its date, with a `jobticket.json`) that has none yet; says which could not be written.
fn write_missing_tickets(cycle_dir: &Path, campaign: &Path) -> Vec<String> {
    let Some(root) = cycle_dir.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut dates: Vec<NaiveDate> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| NaiveDate::parse_from_str(&n, "%Y-%m-%d").ok())
        .collect();
    dates.sort_unstable();
    for date in dates {
        let dir = root.join(date.to_string());
        let to = super::ticket_path(&dir, date);
        if to.exists() || !dir.join("jobticket.json").exists() {
            continue;
        }
        if let Err(e) = crate::report::write_ticket_pdf(&dir, &to) {
            errors.push(format!(
                "cycle {date} is committed, but its one-page ticket was not written: {e:#}; `dripmail ticket {} --date {date}` writes it",
                campaign.display()
            ));
        }
    }
    errors
}

/// The summary as people read it. `written` says whether the cycle's files exist (a
/// committed run): only then does it point at `summary.json` and `rejects.csv`; a plan or a
/// dry run points at the commands that explain instead.
pub(super) fn summary_text(s: &crate::report::Summary, written: bool) -> String {
    let mut t = format!("campaign `{}` cycle {}\n\n", s.campaign, s.cycle_date);
    t.push_str(&format!(
        "{:<16} {:<14} {:>7} {:>7} {:>5} {:>8} {:>10} {:>9}\n",
        "step", "layout", "issued", "skipped", "held", "carried", "suppressed", "duplicate"
    ));
    for st in &s.steps {
        let c = &st.counts;
        t.push_str(&format!(
            "{:<16} {:<14} {:>7} {:>7} {:>5} {:>8} {:>10} {:>9}\n",
            st.step,
            st.layout,
            c.issued,
            c.skipped,
            c.held,
            c.carried_over,
            c.suppressed,
            c.duplicate
        ));
    }
    let c = &s.totals.counts;
    t.push_str(&format!(
        "{:<16} {:<14} {:>7} {:>7} {:>5} {:>8} {:>10} {:>9}\n\n",
        "total", "", c.issued, c.skipped, c.held, c.carried_over, c.suppressed, c.duplicate
    ));
    let pages: u64 = s.files.iter().map(|f| f.pages).sum();
    if written || !s.files.is_empty() {
        t.push_str(&format!(
            "{}, {}\n",
            crate::words::count(s.files.len(), "file", "files"),
            crate::words::count(pages, "page", "pages")
        ));
    }
    let c = &s.totals.counts;
    if c.holdout > 0 {
        t.push_str(&format!(
            "held out: {} (control group: recorded, nothing printed, timed as if mailed)\n",
            crate::words::count(c.holdout, "piece", "pieces")
        ));
    }
    if c.expired > 0 {
        t.push_str(&format!(
            "expired: {} (due longer ago than expires_after_days: recorded, nothing printed)\n",
            crate::words::count(c.expired, "piece", "pieces")
        ));
    }
    if !s.not_issued.is_empty() {
        // Held and carried-over pieces grouped by reason, most frequent first.
        let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for p in &s.not_issued {
            *by_kind.entry(p.kind.as_str()).or_default() += 1;
        }
        let mut kinds: Vec<(&str, usize)> = by_kind.into_iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{} ({n})", k.replace('_', " ")))
            .collect();
        t.push_str(&format!(
            "not issued: {} — {}\n",
            kinds.join(", "),
            if written {
                "see not_issued in summary.json"
            } else {
                "`dripmail plan --contact ID` explains one contact"
            }
        ));
    }
    if s.totals.rejected > 0 {
        let by_file: Vec<String> = s
            .rejects
            .iter()
            .map(|r| format!("{} in {}", r.rows, r.file))
            .collect();
        t.push_str(&format!(
            "rejected rows: {} ({}) — {}\n",
            s.totals.rejected,
            by_file.join(", "),
            if written {
                "see rejects.csv"
            } else {
                "`dripmail validate` lists them"
            }
        ));
    }
    if s.totals.exited > 0 || s.totals.not_enrolled > 0 {
        t.push_str(&format!(
            "contacts with nothing due: {} exited, {} not enrolled yet\n",
            s.totals.exited, s.totals.not_enrolled
        ));
    }
    for w in &s.warnings {
        t.push_str(&format!("warning: {w}\n"));
    }
    t
}
