//! The command line: argument types, one function per subcommand, and what goes to stdout.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::compose::{Composer, Set};
use crate::cycle::{self, RunOptions, Status};
use crate::error::Hinted;
use crate::job::Job;
use crate::ledger::Ledger;
use crate::schedule::Outcome;

/// Runs drip direct-mail cycles: contact CSVs + layouts → print-ready PDFs, manifests, ledger.
#[derive(Debug, Parser)]
#[command(name = "dripmail", version, about, long_about = None)]
pub struct Cli {
    /// Print one JSON document on stdout instead of the human summary.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where a cycle's files and ledger live.
#[derive(Debug, clap::Args)]
pub struct Place {
    /// Output folder [default: `out/` beside the campaign file]; cycles go to OUT/CAMPAIGN/DATE.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Ledger file [default: `ledger.sqlite` beside the campaign file].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// SPEC's default output folder: `out/` beside the campaign file.
fn default_out(campaign: &Path) -> PathBuf {
    campaign.parent().unwrap_or(Path::new(".")).join("out")
}

impl Place {
    /// The output folder and the ledger. The ledger's default is beside the campaign, not in
    /// the output folder, so archiving or clearing `out/` never loses it.
    fn resolve(&self, campaign: &Path) -> (PathBuf, PathBuf) {
        let out = self.out.clone().unwrap_or_else(|| default_out(campaign));
        let ledger = self.ledger.clone().unwrap_or_else(|| {
            campaign
                .parent()
                .unwrap_or(Path::new("."))
                .join("ledger.sqlite")
        });
        (out, ledger)
    }
}

/// How far after today a cycle may be run without `--allow-future-date`.
pub const FUTURE_DAYS: u64 = 28;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one cycle: write the PDFs, manifest, summary, rejects and job ticket, then commit.
    Run {
        /// The campaign file.
        campaign: PathBuf,
        /// Cycle date (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[command(flatten)]
        place: Place,
        /// Render and count everything, but write and commit nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow a --date more than 28 days after today (a cycle commits for good: a typo'd
        /// year would refuse every real date after it).
        #[arg(long)]
        allow_future_date: bool,
        /// Start a new ledger even though cycle folders of this campaign exist (its old ledger
        /// is lost or retired on purpose: every contact may be mailed again).
        #[arg(long)]
        new_ledger: bool,
    },
    /// Withdraw the latest committed cycle, which was not mailed: its pieces are due again,
    /// its folder is renamed DATE.voided, and the ledger keeps who voided it, when and why.
    Void {
        /// The campaign file.
        campaign: PathBuf,
        /// The cycle to withdraw: the campaign's latest.
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Why, for the audit trail.
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
        #[command(flatten)]
        place: Place,
    },
    /// Show what a run would issue, skip, hold and carry over; writes nothing.
    Plan {
        /// The campaign file.
        campaign: PathBuf,
        /// Cycle date (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Explain the decisions for one contact.
        #[arg(long, value_name = "ID")]
        contact: Option<String>,
        #[command(flatten)]
        place: Place,
    },
    /// Check the campaign, layouts, fonts, images and CSVs; exit 1 on any error.
    Validate {
        /// The campaign file.
        campaign: PathBuf,
        #[command(flatten)]
        place: Place,
    },
    /// Render watermarked proofs of each step's pieces; writes nothing to the ledger.
    Proof {
        /// The campaign file.
        campaign: PathBuf,
        /// Only the steps that use this layout.
        #[arg(long, value_name = "ID")]
        layout: Option<String>,
        /// Contacts per step (the first N of the contacts file).
        #[arg(long, default_value_t = 3, value_name = "N")]
        count: usize,
        /// Use built-in sample contacts instead of the campaign's.
        #[arg(long)]
        sample: bool,
        /// Date the proofs show for `cycle_date` (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Output folder [default: `out/` beside the campaign file]; proofs go to OUT/proofs.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Render issued pieces of a committed cycle again (same ids, same IMb); no ledger change.
    Reprint {
        /// The campaign file.
        campaign: PathBuf,
        /// The cycle the pieces were issued in.
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Piece ids (from that cycle's manifest.csv).
        #[arg(long = "piece", value_name = "ID", required = true, num_args = 1..)]
        pieces: Vec<String>,
        #[command(flatten)]
        place: Place,
    },
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// List committed cycles, or one contact's pieces and skips.
    History {
        /// The campaign file.
        campaign: PathBuf,
        /// Show one contact's decisions.
        #[arg(long, value_name = "ID")]
        contact: Option<String>,
        #[command(flatten)]
        place: Place,
    },
    /// Write a working starter campaign to DIR/campaign.toml, with the layouts to edit.
    Init {
        /// The folder to create.
        dir: PathBuf,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write it as YYYY-MM-DD"))
}

/// Runs the parsed command line, printing to stdout.
///
/// # Errors
/// Any error that should end the process with status 1.
pub fn run(cli: Cli, today: NaiveDate, now: &str) -> Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Run {
            campaign,
            date,
            place,
            dry_run,
            allow_future_date,
            new_ledger,
        } => {
            let date = date.unwrap_or(today);
            let limit = today + chrono::Days::new(FUTURE_DAYS);
            if date > limit && !allow_future_date && !dry_run {
                return Err(Hinted::usage(
                    format!("cycle date {date} is more than {FUTURE_DAYS} days after today ({today}); a committed cycle cannot be undone by a later run, and every date before it would be refused"),
                    "check the date; to run it anyway, add --allow-future-date",
                )
                .into());
            }
            run_cycle(
                &campaign,
                date,
                &place,
                RunFlags {
                    dry_run,
                    new_ledger,
                },
                now,
                json,
            )
        }
        Command::Void {
            campaign,
            date,
            reason,
            place,
        } => void(&campaign, date, &reason, &place, now, json),
        Command::Plan {
            campaign,
            date,
            contact,
            place,
        } => plan(
            &campaign,
            date.unwrap_or(today),
            contact.as_deref(),
            &place,
            json,
        ),
        Command::Validate { campaign, place } => validate(&campaign, &place, json),
        Command::Proof {
            campaign,
            layout,
            count,
            sample,
            date,
            out,
        } => proof(
            &campaign,
            layout.as_deref(),
            count,
            sample,
            date.unwrap_or(today),
            out,
            json,
        ),
        Command::History {
            campaign,
            contact,
            place,
        } => history(&campaign, contact.as_deref(), &place, json),
        Command::Init { dir } => init(&dir, json),
        Command::Reprint {
            campaign,
            date,
            pieces,
            place,
        } => reprint(&campaign, date, &pieces, &place, json),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "dripmail", &mut buf);
            print(&String::from_utf8_lossy(&buf))
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buf)
                .context("cannot render the man page")?;
            print(&String::from_utf8_lossy(&buf))
        }
    }
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`dripmail plan … | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    print(&format!("{}\n", serde_json::to_string_pretty(value)?))
}

/// `run`'s switches.
struct RunFlags {
    dry_run: bool,
    new_ledger: bool,
}

fn run_cycle(
    campaign: &Path,
    date: NaiveDate,
    place: &Place,
    flags: RunFlags,
    now: &str,
    json: bool,
) -> Result<()> {
    let job = Job::load(campaign)?;
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
        },
    )?;
    if json {
        return print_json(&serde_json::to_value(&report)?);
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
            t.push_str(&summary_text(s));
            if report.status == Status::DryRun {
                t.push_str("dry run: nothing written, nothing committed\n");
            } else {
                t.push_str(&format!(
                    "files:  {}\nledger: {} (cycle {date} committed)\n",
                    report.out_dir.display(),
                    report.ledger.display()
                ));
            }
        }
    }
    print(&t)
}

fn summary_text(s: &crate::report::Summary) -> String {
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
    t.push_str(&format!("{} files, {pages} pages\n", s.files.len()));
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
            .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
            .collect();
        t.push_str(&format!(
            "not issued: {} — see not_issued in summary.json\n",
            kinds.join(", ")
        ));
    }
    if s.totals.rejected > 0 {
        let by_file: Vec<String> = s
            .rejects
            .iter()
            .map(|r| format!("{} in {}", r.rows, r.file))
            .collect();
        t.push_str(&format!(
            "rejected rows: {} ({}) — see rejects.csv\n",
            s.totals.rejected,
            by_file.join(", ")
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

fn plan(
    campaign: &Path,
    date: NaiveDate,
    contact: Option<&str>,
    place: &Place,
    json: bool,
) -> Result<()> {
    let job = Job::load(campaign)?;
    let (_, ledger_path) = place.resolve(campaign);
    let ledger = Ledger::open_read(&ledger_path)?;
    if let Some(l) = &ledger
        && l.committed(&job.campaign.id, date)?.is_some()
    {
        eprintln!("note: cycle {date} is already committed; a run would change nothing");
    }
    let p = cycle::plan(&job, ledger.as_ref(), date)?;
    if let Some(id) = contact {
        let Some(ci) = job.contacts.list.iter().position(|c| &*c.id == id) else {
            let rejected = job
                .rejects
                .iter()
                .find(|r| r.file == job.campaign.contacts && r.reason.contains(id));
            bail!(
                "no contact `{id}` in `{}`{}",
                job.campaign.contacts.display(),
                rejected.map_or(String::new(), |r| format!(
                    " (line {} was rejected: {})",
                    r.line, r.reason
                ))
            );
        };
        let decisions: Vec<_> = p.decisions.iter().filter(|d| d.contact == ci).collect();
        let c = &job.contacts.list[ci];
        if json {
            let items: Vec<_> = decisions
                .iter()
                .map(|d| {
                    json!({
                        "step": job.campaign.steps[d.step].id,
                        "due_on": d.due_on.to_string(),
                        "outcome": d.outcome.kind(),
                        "reason": reason(&d.outcome),
                    })
                })
                .collect();
            return print_json(
                &json!({"contact_id": id, "cycle_date": date.to_string(), "enrolled_on": c.enrolled_on.to_string(), "decisions": items}),
            );
        }
        let mut t = format!(
            "contact `{id}` ({}), enrolled {}, cycle {date}\n",
            job.contacts.full_name(c),
            c.enrolled_on
        );
        if decisions.is_empty() {
            t.push_str("nothing due");
            if c.enrolled_on > date {
                t.push_str(": not enrolled yet");
            } else if job.events.get(id).is_some_and(|ev| {
                ev.iter().any(|e| {
                    e.date <= date && job.campaign.exit_on.iter().any(|x| x.as_str() == &*e.name)
                })
            }) {
                t.push_str(": left the drip (exit event)");
            }
            t.push('\n');
        }
        for d in decisions {
            t.push_str(&format!(
                "  {:<14} due {}  {}{}\n",
                job.campaign.steps[d.step].id,
                d.due_on,
                d.outcome.kind(),
                reason(&d.outcome).map_or(String::new(), |r| format!(": {r}"))
            ));
        }
        return print(&t);
    }
    let summary = crate::report::summarize(&job, &p, Vec::new(), date);
    if json {
        return print_json(&json!({"plan": summary}));
    }
    let mut t = summary_text(&summary);
    t.push_str("plan only: pieces are not rendered, so text that will not fit is not counted as held yet\n");
    print(&t)
}

fn reason(o: &Outcome) -> Option<String> {
    match o {
        Outcome::Held(r) | Outcome::CarriedOver(r) => Some(r.to_string()),
        Outcome::Suppressed => Some("on a do-not-mail list".into()),
        Outcome::Duplicate => Some("another contact of the same household is mailed".into()),
        Outcome::Skipped => Some("`when` is false".into()),
        Outcome::Issued => None,
    }
}

fn validate(campaign: &Path, place: &Place, json: bool) -> Result<()> {
    let job = Job::load(campaign)?;
    // The ledger, when there is one: every page and index checked.
    let (_, ledger_path) = place.resolve(campaign);
    let mut folder_notes = Vec::new();
    let cycles = match Ledger::open_read(&ledger_path)? {
        None => None,
        Some(l) => {
            l.check(true)?;
            let cycles = l.cycles(&job.campaign.id)?;
            // Each committed folder still there holds the files the ledger committed.
            for c in &cycles {
                let Some(folder) = c.folder.as_deref().map(Path::new) else {
                    continue;
                };
                let Ok(date) = NaiveDate::parse_from_str(&c.cycle_date, "%Y-%m-%d") else {
                    continue;
                };
                if !folder.exists() {
                    folder_notes.push(format!(
                        "cycle {date}: folder `{}` is not there (archived or moved?)",
                        folder.display()
                    ));
                } else if let Err(e) =
                    crate::output::verify(folder, &l.files(&job.campaign.id, date)?)
                {
                    folder_notes.push(format!(
                        "cycle {date}: {e:#}; the committed files are no longer as printed"
                    ));
                }
            }
            Some(cycles.len())
        }
    };
    // Set every contact's pieces once, as a run would, to find text that will not fit.
    let mut holds = Vec::new();
    let date = NaiveDate::default();
    for step in &job.campaign.steps {
        let composer = Composer::new(&job, step, date);
        for c in &job.contacts.list {
            let pid = crate::mailing::piece_id(&job.campaign.id, &c.id, &step.id);
            let set = composer.set(c, &pid, None).map_err(|e| *e)?;
            if let Set::Held(h) = set {
                holds.push(format!(
                    "contact `{}` (line {}), step `{}`, layout `{}`: {h}",
                    c.id, c.line, step.id, composer.layout.id
                ));
            }
        }
    }
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

fn proof(
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
        t.push_str(&format!(
            "{}  ({} pieces, {} pages)\n",
            out.join(&f.file).display(),
            f.pieces,
            f.pages
        ));
        for h in &f.held {
            t.push_str(&format!("  would hold: {h}\n"));
        }
    }
    t.push_str("proofs carry a PROOF watermark; nothing was committed\n");
    print(&t)
}

/// A scratch folder removed when dropped.
fn tempfile_dir() -> Result<ScratchDir> {
    let dir = std::env::temp_dir().join(format!("dripmail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(ScratchDir(dir))
}

struct ScratchDir(PathBuf);

impl ScratchDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn reprint(
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
            "{}  ({} pieces, {} pages)\n",
            dir.join(&f.file).display(),
            f.pieces,
            f.pages
        ));
    }
    t.push_str("same piece ids and barcodes as issued; the ledger is unchanged\n");
    print(&t)
}

fn history(campaign: &Path, contact: Option<&str>, place: &Place, json: bool) -> Result<()> {
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

fn void(
    campaign: &Path,
    date: NaiveDate,
    reason: &str,
    place: &Place,
    now: &str,
    json: bool,
) -> Result<()> {
    let c = crate::campaign::Campaign::load(campaign)?;
    let (out, ledger) = place.resolve(campaign);
    let who = format!(
        "{}@{}",
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into()),
        crate::lock::host_name()
    );
    let v = crate::session::void(
        &c,
        &crate::session::SessionOptions {
            ledger: &ledger,
            out: &out,
            new_ledger: false,
            started: now,
        },
        date,
        reason,
        &who,
    )?;
    if json {
        return print_json(&serde_json::to_value(&v)?);
    }
    let mut t = format!(
        "cycle {date} of `{}` voided: its {} {} due again at the next run\n",
        v.campaign,
        v.issued,
        if v.issued == 1 {
            "piece is"
        } else {
            "pieces are"
        }
    );
    if let Some(m) = &v.moved_to {
        t.push_str(&format!("its folder is now `{}`\n", m.display()));
    }
    t.push_str(&format!(
        "recorded in `{}` as voided by {who}\n",
        ledger.display()
    ));
    print(&t)
}

fn init(dir: &Path, json: bool) -> Result<()> {
    let campaign = dir.join("campaign.toml");
    if campaign.exists() {
        bail!(
            "`{}` already exists: init writes a new campaign and never overwrites one",
            campaign.display()
        );
    }
    let mut written = Vec::new();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    std::fs::write(&campaign, crate::starter::campaign_toml())
        .with_context(|| format!("cannot write `{}`", campaign.display()))?;
    written.push(campaign.display().to_string());
    for (path, bytes) in crate::assets::BUILTIN.iter().chain(crate::starter::FILES) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        if target.exists() {
            continue;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write `{}`", target.display()))?;
        written.push(target.display().to_string());
    }
    if json {
        return print_json(
            &json!({"campaign": campaign.display().to_string(), "written": written}),
        );
    }
    print(&format!(
        "wrote a starter campaign: {}\n  try: dripmail validate {0}\n       dripmail run {0} --dry-run\n",
        campaign.display()
    ))
}
