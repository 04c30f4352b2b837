//! `dripmail plan`: what a run would do, for the cycle or one contact.

use std::path::Path;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde_json::json;

use super::run::summary_text;
use super::{Place, print, print_json};
use crate::cycle;
use crate::job::Job;
use crate::ledger::Ledger;
use crate::schedule::Outcome;

pub(super) fn plan(
    campaign: &Path,
    date: NaiveDate,
    contact: Option<&str>,
    place: &Place,
    accept_rejects: bool,
    json: bool,
) -> Result<()> {
    let job = Job::load(campaign)?;
    if !accept_rejects && contact.is_none() {
        job.check_rejects()?;
    }
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
            } else if job
                .events
                .get(id)
                .is_some_and(|ev| crate::schedule::exited(&job.campaign.exit_on, ev, date))
            {
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
