//! `dripmail plan`: what a run would do, for the cycle or one contact.

use std::path::Path;

use anyhow::{Result, bail};

use crate::contacts::Who;
use chrono::NaiveDate;
use serde_json::json;

use super::run::summary_text;
use super::{Place, print, print_json};
use crate::cycle;
use crate::job::Job;
use crate::ledger::Ledger;
use crate::schedule::Outcome;

/// `plan`'s switches.
pub(super) struct PlanFlags {
    pub(super) accept_rejects: bool,
    pub(super) progress: crate::progress::Progress,
    pub(super) quiet: bool,
}

pub(super) fn plan(
    campaign: &Path,
    date: NaiveDate,
    contact: Option<&str>,
    place: &Place,
    flags: PlanFlags,
    json: bool,
) -> Result<()> {
    let job = super::load_job(campaign, flags.progress)?;
    if !flags.accept_rejects && contact.is_none() {
        job.check_rejects()?;
    }
    let (_, ledger_path) = place.resolve(campaign);
    let ledger = Ledger::open_read(&ledger_path)?;
    if let Some(l) = &ledger
        && l.committed(&job.campaign.id, date)?.is_some()
        && !flags.quiet
    {
        eprintln!("note: cycle {date} is already committed; a run would change nothing");
    }
    let spinner = flags.progress.spinner("planning the cycle");
    let p = cycle::plan(&job, ledger.as_ref(), date)?;
    drop(spinner);
    if let Some(id) = contact {
        return explain(&job, &p, id, date, json);
    }
    let summary = crate::report::summarize(&job, &p, Vec::new(), date);
    if json {
        return print_json(&json!({"plan": summary}));
    }
    let mut t = summary_text(&summary, false);
    t.push_str("plan only: pieces are not rendered, so text that will not fit is not counted as held yet\n");
    print(&t)
}

fn reason(o: &Outcome) -> Option<String> {
    match o {
        Outcome::Held(r) | Outcome::CarriedOver(r) => Some(r.to_string()),
        Outcome::Suppressed => Some("on a do-not-mail list".into()),
        Outcome::Duplicate => Some("another contact of the same household is mailed".into()),
        Outcome::Skipped => Some("`when` is false".into()),
        Outcome::Holdout => Some(
            "in the holdout (control) group: recorded, nothing printed, the next step timed as if it had been mailed".into(),
        ),
        Outcome::Expired => Some(
            "due longer ago than the step's `expires_after_days`: recorded, nothing printed, the sequence moves on".into(),
        ),
        Outcome::Issued => None,
    }
}

/// What a run on `date` would do for contact `id`, and why: its due pieces with their
/// outcomes (a piece the drip rules issue is set as a run would, so one that would be held is
/// said to be), or why nothing comes up; a rejected row with its line and reason.
fn explain(
    job: &Job,
    p: &crate::schedule::Plan,
    id: &str,
    date: NaiveDate,
    json: bool,
) -> Result<()> {
    let file = crate::report::relative(&job.campaign.contacts, job.campaign.dir());
    let ci = match job.contacts.who(&job.rejects, id) {
        Who::Contact(ci) => ci,
        Who::Rejected(r) => {
            if json {
                return print_json(&json!({
                    "contact_id": id, "cycle_date": date.to_string(), "status": "rejected",
                    "line": r.line, "reason": r.reason, "decisions": [],
                }));
            }
            return print(&format!(
                "contact `{id}`: its row ({file} line {}) is rejected: {}\nit gets nothing until the row is fixed\n",
                r.line, r.reason
            ));
        }
        Who::Unknown => bail!(
            "no contact `{id}` in `{file}`: no row has that id (ids are compared exactly, as written)"
        ),
    };
    let c = &job.contacts.list[ci];
    let mut items = Vec::new();
    for d in p.decisions.iter().filter(|d| d.contact == ci) {
        let step = &job.campaign.steps[d.step];
        let mut outcome = d.outcome.kind().to_string();
        let mut variant: Option<String> = None;
        // Which list, which household member: found for this contact, else the general reason.
        let mut why = match d.outcome {
            Outcome::Suppressed => suppressed_where(job, c)?,
            Outcome::Duplicate => household_mailed(job, c),
            _ => None,
        }
        .or_else(|| reason(&d.outcome));
        if matches!(d.outcome, Outcome::Issued) {
            // The variant a run would give it, for a step with variants.
            let rendering = step
                .variant_for(&job.campaign.id, &c.id)
                .and_then(|v| step.variants.get(v))
                .unwrap_or(step);
            variant = rendering.variant.clone();
            // The drip rules issue it; whether it can be set is known only by setting it.
            let composer = crate::compose::Composer::new(job, rendering, date);
            let pid = crate::mailing::piece_id(&job.campaign.id, &c.id, &step.id);
            match composer.set(c, &pid, None).map_err(|e| *e)? {
                crate::compose::Set::Held(hold) => {
                    outcome = "held".into();
                    why = Some(hold.to_string());
                }
                crate::compose::Set::Piece(_) => {}
            }
        }
        items.push((step.id.as_str(), d.due_on, outcome, why, variant));
    }
    let nothing_due = if items.is_empty() {
        Some(if c.enrolled_on > date {
            format!("not enrolled yet (enrolled on {})", c.enrolled_on)
        } else if job
            .events
            .get(id)
            .is_some_and(|ev| crate::schedule::exited(&job.campaign.exit_on, ev, date))
        {
            "left the drip (an exit event)".to_string()
        } else {
            "no step is due on this date (the next one's delay has not passed, or every step is done)".to_string()
        })
    } else {
        None
    };
    if json {
        let decisions: Vec<_> = items
            .iter()
            .map(|(step, due, outcome, why, variant)| {
                json!({"step": step, "due_on": due.to_string(), "outcome": outcome, "reason": why, "variant": variant})
            })
            .collect();
        return print_json(&json!({
            "contact_id": id, "cycle_date": date.to_string(), "status": "contact",
            "line": c.line, "reason": null, "enrolled_on": c.enrolled_on.to_string(),
            "decisions": decisions, "nothing_due": nothing_due,
        }));
    }
    let mut t = format!(
        "contact `{id}` ({}, {file} line {}), enrolled {}, cycle {date}\n",
        job.contacts.full_name(c),
        c.line,
        c.enrolled_on
    );
    if let Some(why) = nothing_due {
        t.push_str(&format!("nothing due: {why}\n"));
    }
    for (step, due, outcome, why, variant) in items {
        t.push_str(&format!(
            "  {step:<14} due {due}  {outcome}{}{}\n",
            variant.map_or(String::new(), |v| format!(" (variant {v})")),
            why.map_or(String::new(), |r| format!(": {r}"))
        ));
    }
    print(&t)
}

/// Which do-not-mail list names contact `c`, on which line, and by what.
fn suppressed_where(job: &Job, c: &crate::contacts::Contact) -> Result<Option<String>> {
    let address = cycle::address_of(&job.contacts, c);
    for path in &job.campaign.suppress {
        if let Some((line, by)) = crate::suppress::find(path, &c.id, &address)? {
            return Ok(Some(format!(
                "on the do-not-mail list `{}` line {line} (by {by})",
                crate::report::relative(path, job.campaign.dir())
            )));
        }
    }
    Ok(None)
}

/// Which contact of `c`'s household is mailed instead (rule 9: the lowest id).
fn household_mailed(job: &Job, c: &crate::contacts::Contact) -> Option<String> {
    let k = &job.contacts;
    let mine = cycle::household_of(k, c);
    k.list
        .iter()
        .filter(|o| cycle::household_of(k, o) == mine)
        .min_by(|a, b| k.compare_ids(&a.id, &b.id))
        .filter(|o| o.id != c.id)
        .map(|o| {
            format!(
                "the same household as contact `{}` (line {}), who is mailed instead (the lowest id)",
                o.id, o.line
            )
        })
}
