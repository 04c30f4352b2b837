//! The command line: argument types and dispatch; each subcommand lives in its own file
//! and calls the library (ripgrep's thin binary, xsv's `cmd/`).

mod forecast;
mod history;
mod init;
mod plan;
mod proof;
mod report;
mod reprint;
mod run;
mod svg;
mod validate;
mod void;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::error::Hinted;

/// Runs drip direct-mail cycles: contact CSVs + layouts → print-ready PDFs, manifests, ledger.
#[derive(Debug, Parser)]
#[command(name = "dripmail", version, about, long_about = None)]
pub struct Cli {
    /// Print one JSON document on stdout instead of the human summary.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars and no notes on stderr; errors are still printed. (Progress is drawn
    /// only when stderr is a terminal anyway, never into a log or with --json.)
    #[arg(long, short, global = true)]
    pub quiet: bool,
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
pub(super) fn default_out(campaign: &Path) -> PathBuf {
    campaign.parent().unwrap_or(Path::new(".")).join("out")
}

impl Place {
    /// The output folder and the ledger. The ledger's default is beside the campaign, not in
    /// the output folder, so archiving or clearing `out/` never loses it.
    pub(super) fn resolve(&self, campaign: &Path) -> (PathBuf, PathBuf) {
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
        /// Where the cycle's files and ledger live.
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
        /// Go on even when more contact rows are rejected than the campaign's
        /// `max_rejected_percent` (20 % by default) allows.
        #[arg(long)]
        accept_rejects: bool,
        /// Also write each file's pieces imposed cut and stack on press sheets: 12x18, 13x19,
        /// SRA3, A3, or WxH in inches or mm (overrides the campaign's `impose`).
        #[arg(long, value_name = "SHEET", value_parser = parse_sheet)]
        impose: Option<crate::impose::Sheet>,
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
        /// Where the cycle's files and ledger live.
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
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
        /// Go on even when more contact rows are rejected than the campaign's
        /// `max_rejected_percent` (20 % by default) allows.
        #[arg(long)]
        accept_rejects: bool,
    },
    /// Check the campaign, layouts, fonts, images and CSVs; exit 1 on any error.
    Validate {
        /// The campaign file.
        campaign: PathBuf,
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
        /// Go on even when more contact rows are rejected than the campaign's
        /// `max_rejected_percent` (20 % by default) allows.
        #[arg(long)]
        accept_rejects: bool,
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
        /// Also write the pieces imposed cut and stack on press sheets: 12x18, 13x19, SRA3, A3,
        /// or WxH in inches or mm (overrides the campaign's `impose`).
        #[arg(long, value_name = "SHEET", value_parser = parse_sheet)]
        impose: Option<crate::impose::Sheet>,
    },
    /// Render issued pieces of a committed cycle again (same ids, same IMb); no ledger change.
    Reprint {
        /// The campaign file.
        campaign: PathBuf,
        /// The cycle the pieces were issued in.
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Piece ids (from that cycle's manifest.csv).
        #[arg(long = "piece", value_name = "ID", num_args = 1.., required_unless_present = "sheets", conflicts_with = "sheets")]
        pieces: Vec<String>,
        /// Press sheets of an imposed cycle, by the number on their slug line: every piece on
        /// them, laid out again in the same slots.
        #[arg(long = "sheet", value_name = "N", num_args = 1.., value_parser = clap::value_parser!(u32).range(1..))]
        sheets: Vec<u32>,
        /// The sheet PDF (or the piece PDF it carries) the sheets are of, when the cycle has
        /// more than one.
        #[arg(long, value_name = "FILE", requires = "sheets")]
        file: Option<String>,
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
        /// Also write the pieces imposed cut and stack on press sheets: 12x18, 13x19, SRA3, A3,
        /// or WxH in inches or mm (overrides the campaign's `impose`).
        #[arg(long, value_name = "SHEET", value_parser = parse_sheet, conflicts_with = "sheets")]
        impose: Option<crate::impose::Sheet>,
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
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
    },
    /// Project the pieces each coming cycle would issue (per step, layout, stock and mail
    /// class) from the ledger and the contacts as they are now.
    Forecast {
        /// The campaign file.
        campaign: PathBuf,
        /// How far ahead.
        #[arg(long, default_value_t = 52, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=520))]
        weeks: u32,
        /// Days between cycles.
        #[arg(long, default_value_t = 7, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=366))]
        every: u32,
        /// The first cycle's date [default: `--every` days after the last committed cycle, or
        /// today].
        #[arg(long, value_parser = parse_date)]
        from: Option<NaiveDate>,
        /// Also write a chart of the pieces per cycle (SVG) to FILE.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
    },
    /// Match responses (orders) back to the pieces before them: response rate, revenue and
    /// lift over the holdout per step and variant, with 95 % intervals.
    Report {
        /// The campaign file.
        campaign: PathBuf,
        /// The responses CSV: a date, and a contact id, an offer code / personal URL, or an
        /// address; optionally revenue.
        #[arg(long, value_name = "FILE")]
        responses: PathBuf,
        /// Days after a piece in which a response is credited to it.
        #[arg(long, default_value_t = 90, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        window: u32,
        /// What one piece costs (print and postage), for cost per response.
        #[arg(long, value_name = "AMOUNT", value_parser = parse_cost)]
        cost_per_piece: Option<f64>,
        /// Also write the report as CSV to FILE.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Also write a chart of the response rate by step (SVG) to FILE.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
    },
    /// Write a committed cycle's one-page job ticket (PDF) again, from its jobticket.json.
    Ticket {
        /// The campaign file.
        campaign: PathBuf,
        /// The cycle.
        #[arg(long, value_parser = parse_date)]
        date: NaiveDate,
        /// Where the cycle's files and ledger live.
        #[command(flatten)]
        place: Place,
    },
    /// Write a working starter campaign to DIR/campaign.toml, with the layouts to edit.
    Init {
        /// The folder to create.
        dir: PathBuf,
    },
}

fn parse_cost(s: &str) -> Result<f64, String> {
    s.trim()
        .trim_start_matches(['$', '€', '£'])
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{s}` is not an amount: write it like 0.62"))
}

fn parse_sheet(s: &str) -> Result<crate::impose::Sheet, String> {
    crate::impose::Sheet::parse(s)
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
    let progress = crate::progress::Progress::for_terminal(cli.quiet, json);
    let quiet = cli.quiet;
    let _ = COMMAND.set(command_name(&cli.command));
    match cli.command {
        Command::Run {
            campaign,
            date,
            place,
            dry_run,
            allow_future_date,
            new_ledger,
            accept_rejects,
            impose,
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
            run::run_cycle(
                &campaign,
                date,
                &place,
                run::RunFlags {
                    dry_run,
                    new_ledger,
                    accept_rejects,
                    progress,
                    impose,
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
        } => void::void(&campaign, date, &reason, &place, now, json),
        Command::Plan {
            campaign,
            date,
            contact,
            place,
            accept_rejects,
        } => plan::plan(
            &campaign,
            date.unwrap_or(today),
            contact.as_deref(),
            &place,
            plan::PlanFlags {
                accept_rejects,
                progress,
                quiet,
            },
            json,
        ),
        Command::Validate {
            campaign,
            place,
            accept_rejects,
        } => validate::validate(&campaign, &place, accept_rejects, progress, json),
        Command::Proof {
            campaign,
            layout,
            count,
            sample,
            date,
            out,
            impose,
        } => proof::proof(
            &campaign,
            proof::ProofFlags {
                layout,
                count,
                sample,
                date: date.unwrap_or(today),
                out,
                impose,
            },
            json,
        ),
        Command::History {
            campaign,
            contact,
            place,
        } => history::history(&campaign, contact.as_deref(), &place, json),
        Command::Init { dir } => init::init(&dir, json),
        Command::Ticket {
            campaign,
            date,
            place,
        } => ticket(&campaign, date, &place, json),
        Command::Forecast {
            campaign,
            weeks,
            every,
            from,
            chart,
            place,
        } => forecast::forecast(
            &forecast::ForecastArgs {
                campaign: &campaign,
                weeks,
                every,
                from,
                chart: chart.as_deref(),
                place: &place,
                progress,
            },
            today,
            json,
        ),
        Command::Report {
            campaign,
            responses,
            window,
            cost_per_piece,
            csv,
            chart,
            place,
        } => report::report(
            &report::ReportArgs {
                campaign: &campaign,
                responses: &responses,
                window,
                cost_per_piece,
                csv: csv.as_deref(),
                chart: chart.as_deref(),
                place: &place,
            },
            json,
        ),
        Command::Reprint {
            campaign,
            date,
            pieces,
            sheets,
            file,
            place,
            impose,
        } => {
            let select = if sheets.is_empty() {
                crate::cycle::Select::Pieces(pieces)
            } else {
                crate::cycle::Select::Sheets {
                    file,
                    sheets: sheets.into_iter().map(|n| n as usize).collect(),
                }
            };
            reprint::reprint(&campaign, date, &select, &place, impose, json)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "dripmail", &mut buf);
            if json {
                return print_json(&serde_json::json!({
                    "shell": shell.to_string(),
                    "script": String::from_utf8_lossy(&buf),
                }));
            }
            print(&String::from_utf8_lossy(&buf))
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buf)
                .context("cannot render the man page")?;
            if json {
                return print_json(&serde_json::json!({"roff": String::from_utf8_lossy(&buf)}));
            }
            print(&String::from_utf8_lossy(&buf))
        }
    }
}

/// Loads the campaign at `path` and everything it names, with a spinner on a terminal.
fn load_job(path: &Path, progress: crate::progress::Progress) -> Result<crate::job::Job> {
    let _spinner = progress.spinner("reading the campaign, contacts, layouts and art");
    Ok(crate::job::Job::load(path)?)
}

/// Writes `text` to stdout; a closed pipe is not an error.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`dripmail plan … | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// The version of the JSON documents `--json` prints (docs/json.md): raised when a field
/// changes meaning or goes away, not when one is added.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The command being run, for the JSON envelope.
static COMMAND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The subcommand's name as typed (`run`, `plan`, ...).
#[must_use]
pub fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Run { .. } => "run",
        Command::Void { .. } => "void",
        Command::Plan { .. } => "plan",
        Command::Validate { .. } => "validate",
        Command::Proof { .. } => "proof",
        Command::Reprint { .. } => "reprint",
        Command::Completions { .. } => "completions",
        Command::Man => "man",
        Command::History { .. } => "history",
        Command::Init { .. } => "init",
        Command::Ticket { .. } => "ticket",
        Command::Report { .. } => "report",
        Command::Forecast { .. } => "forecast",
    }
}

/// Where cycle `date`'s one-page ticket goes: `OUT/<campaign>/tickets/<date>.pdf`, outside the
/// cycle folder, whose every PDF is a print file.
pub(super) fn ticket_path(cycle_dir: &Path, date: NaiveDate) -> PathBuf {
    cycle_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join("tickets")
        .join(format!("{date}.pdf"))
}

/// `dripmail ticket`: the one-page ticket of a committed cycle, from its folder.
fn ticket(campaign: &Path, date: NaiveDate, place: &Place, json: bool) -> Result<()> {
    let c = crate::campaign::Campaign::load(campaign)?;
    let (out, _) = place.resolve(campaign);
    let dir = crate::output::campaign_root(&out, &c.id).join(date.to_string());
    if !dir.join("jobticket.json").exists() {
        return Err(Hinted::new(
            format!(
                "`{}` has no jobticket.json: cycle {date} of `{}` is not there",
                dir.display(),
                c.id
            ),
            "`dripmail history` lists the committed cycles; a folder restored from a backup is read where it was",
        )
        .into());
    }
    let to = crate::report::write_ticket_pdf(&dir, &ticket_path(&dir, date))?;
    if json {
        return print_json(&serde_json::json!({ "ticket": to.display().to_string() }));
    }
    print(&format!("ticket: {}\n", to.display()))
}

/// `value` in the envelope every JSON document has: `schema_version`, `command`, `ok`.
fn envelope(command: &str, ok: bool, value: serde_json::Value) -> serde_json::Value {
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
    doc.insert("command".into(), command.into());
    doc.insert("ok".into(), ok.into());
    match value {
        serde_json::Value::Object(fields) => {
            for (k, v) in fields {
                doc.entry(k).or_insert(v);
            }
        }
        other => {
            doc.insert("result".into(), other);
        }
    }
    serde_json::Value::Object(doc)
}

/// Writes `value` to stdout as pretty JSON, in the envelope.
fn print_json(value: &serde_json::Value) -> Result<()> {
    let command = COMMAND.get().copied().unwrap_or("dripmail");
    let doc = envelope(command, true, value.clone());
    print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))
}

/// The JSON document of a failed command: the error's chain, its causes, what to do, what it
/// left behind and the exit status, so a scheduler keeping `--json` output has it on record.
#[must_use]
pub fn error_json(command: &str, error: &anyhow::Error) -> String {
    let report = crate::error::advice(error);
    let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
    let kind = match report.exit {
        crate::error::Exit::Failure => "failure",
        crate::error::Exit::Usage => "usage",
        crate::error::Exit::Busy => "busy",
    };
    error_document(
        command,
        &serde_json::json!({
            "message": format!("{error:#}"),
            "causes": causes,
            "hint": report.hint,
            "state": report.state,
            "kind": kind,
            "exit": report.exit.code(),
        }),
    )
}

/// The JSON document of a failure that is no error value: a wrong command line, a bug.
#[must_use]
pub fn error_document(command: &str, error: &serde_json::Value) -> String {
    let doc = envelope(command, false, serde_json::json!({ "error": error }));
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
