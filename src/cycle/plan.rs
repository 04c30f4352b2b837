//! The drip rules applied with the ledger's history: the plan of a cycle.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;

use crate::address::{address_key, household_key};
use crate::contacts::{Contact, Contacts, Field};
use crate::job::Job;
use crate::ledger::Ledger;
use crate::schedule::{self, ContactIn, Decided, Plan, Rules, StepRule, Suppressed};

/// The scheduling rules of the job's campaign.
fn rules(job: &Job) -> Rules {
    let c = &job.campaign;
    Rules {
        steps: c
            .steps
            .iter()
            .map(|s| StepRule {
                id: s.id.clone(),
                delay_days: s.delay_days,
                trigger: s.trigger.clone(),
                expires_after_days: s.expires_after_days,
                holdout: s.holdout,
            })
            .collect(),
        exit_on: c.exit_on.clone(),
        min_gap_days: c.min_gap_days,
        max_pieces_per_cycle: c.max_pieces_per_cycle,
        campaign: c.id.clone(),
        holdout: c.holdout,
    }
}

/// Applies the drip rules for `date` with the ledger's history.
///
/// # Errors
/// When the ledger cannot be read.
pub fn plan(job: &Job, ledger: Option<&Ledger>, date: NaiveDate) -> Result<Plan> {
    let history = match ledger {
        Some(l) => l.decisions(&job.campaign.id)?,
        None => HashMap::new(),
    };
    Ok(plan_with(job, &history, date))
}

/// Applies the drip rules for `date` with `history` (the ledger's, or one a forecast
/// extends cycle by cycle).
pub(crate) fn plan_with(job: &Job, history: &crate::ledger::History, date: NaiveDate) -> Plan {
    let step_index: HashMap<&str, usize> = job
        .campaign
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let contacts = &job.contacts;
    let histories: Vec<Vec<Decided>> = contacts
        .list
        .iter()
        .map(|c| {
            history.get(&*c.id).map_or_else(Vec::new, |h| {
                h.iter()
                    .map(|(step, d, done)| Decided {
                        step: step_index.get(step.as_str()).copied(),
                        date: *d,
                        done: *done,
                    })
                    .collect()
            })
        })
        .collect();
    let inputs: Vec<ContactIn<'_>> = contacts
        .list
        .iter()
        .zip(&histories)
        .map(|(c, h)| ContactIn {
            id: &c.id,
            enrolled_on: c.enrolled_on,
            household: household_of(contacts, c),
            address: address_of(contacts, c),
            events: job.events.get(&*c.id).map_or(&[], Vec::as_slice),
            history: h,
        })
        .collect();
    let suppressed = Suppressed {
        ids: Some(&job.suppression.ids),
        addresses: Some(&job.suppression.addresses),
    };
    let mut conditions = |ci: usize, si: usize| {
        job.merge
            .condition(&job.campaign.steps[si], &contacts.list[ci], date)
    };
    schedule::plan(
        &rules(job),
        &inputs,
        &suppressed,
        contacts.numeric_ids,
        date,
        &mut conditions,
    )
}

/// The key contacts of one household share (rule 9): last name and full street address.
pub(crate) fn household_of(contacts: &Contacts, c: &Contact) -> String {
    household_key(
        contacts.last_name(c),
        contacts.get(c, Field::Address1),
        contacts.get(c, Field::Address2),
        contacts.get(c, Field::PostalCode),
        contacts.get(c, Field::Country),
    )
}

/// The key do-not-mail lists match addresses on.
pub(crate) fn address_of(contacts: &Contacts, c: &Contact) -> String {
    address_key(
        contacts.get(c, Field::Address1),
        contacts.get(c, Field::PostalCode),
    )
}
