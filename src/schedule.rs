//! The drip rules: who is due which step on cycle date D. Pure: no I/O, no clock.
//!
//! Inputs are the contacts (with their events and household/address keys), each contact's
//! ledger history, the suppression list and the date; the output is one [`Decision`] per due
//! piece. The numbered rules in comments are SPEC's "Drip rules".

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::contacts::compare_ids;
use crate::events::Event;
use crate::hold::Reason;

/// The parts of a campaign the rules need.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Steps in file order.
    pub steps: Vec<StepRule>,
    /// Event names that end the drip.
    pub exit_on: Vec<String>,
    /// Frequency cap in days.
    pub min_gap_days: u32,
    /// Capacity per cycle.
    pub max_pieces_per_cycle: usize,
    /// The campaign id, which seeds the holdout draws (independent between campaigns).
    pub campaign: String,
    /// The share of contacts held out of the whole campaign (0 for none).
    pub holdout: f64,
}

/// One step as the rules see it.
#[derive(Clone, Debug)]
pub struct StepRule {
    /// Step id (for messages).
    pub id: String,
    /// Delay in days.
    pub delay_days: u32,
    /// Trigger event, for a trigger step.
    pub trigger: Option<String>,
    /// Days after it fell due that a piece may still go out; later it expires.
    pub expires_after_days: Option<u32>,
    /// The share of contacts held out of this step (0 for none).
    pub holdout: f64,
}

/// One contact as the rules see it.
#[derive(Clone, Debug)]
pub struct ContactIn<'a> {
    /// Contact id.
    pub id: &'a str,
    /// Enrolment date.
    pub enrolled_on: NaiveDate,
    /// Household key (normalised last name + address): equal keys are duplicates.
    pub household: String,
    /// Suppression address key (normalised `address1` + postal code).
    pub address: String,
    /// The contact's events, sorted by date.
    pub events: &'a [Event],
    /// What the ledger says was decided for this contact before.
    pub history: &'a [Decided],
}

/// A decision already committed to the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    /// Index into [`Rules::steps`]; `None` for a step no longer in the campaign.
    pub step: Option<usize>,
    /// The cycle date it was decided on.
    pub date: NaiveDate,
    /// What was decided.
    pub done: Done,
}

/// A committed decision: what the ledger records for a step of a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// A piece was printed.
    Issued,
    /// `when` was false: nothing printed.
    Skipped,
    /// The contact is in a holdout (control) group: nothing printed, timed as if mailed.
    Holdout,
    /// Due too long ago (`expires_after_days`): nothing printed, the sequence moves on.
    Expired,
}

impl Done {
    /// The name the ledger stores.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Done::Issued => "issued",
            Done::Skipped => "skipped",
            Done::Holdout => "holdout",
            Done::Expired => "expired",
        }
    }

    /// The decision a ledger name stands for.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Done> {
        [Done::Issued, Done::Skipped, Done::Holdout, Done::Expired]
            .into_iter()
            .find(|d| d.name() == name)
    }

    /// Whether it counts as mailed for the frequency cap: a held-out piece is timed as if it
    /// had been, so the control group's later steps fall when the mailed group's do.
    #[must_use]
    pub fn as_if_mailed(self) -> bool {
        matches!(self, Done::Issued | Done::Holdout)
    }
}

/// What happened to one due piece in this cycle.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Printed and committed.
    Issued,
    /// `when` was false: committed as skipped, nothing printed (rule 5).
    Skipped,
    /// Due but blocked (frequency cap, a condition that could not be evaluated, or a piece the
    /// layout could not set); stays due.
    Held(Reason),
    /// Due but left for a later cycle (capacity, or one piece per cycle); stays due.
    CarriedOver(Reason),
    /// The contact is on a do-not-mail list.
    Suppressed,
    /// Another contact of the same household gets the mail.
    Duplicate,
    /// The contact is in the campaign's or the step's holdout group: committed, nothing
    /// printed, the sequence timed as if it had been mailed.
    Holdout,
    /// Due more than the step's `expires_after_days` ago: committed, nothing printed, the
    /// sequence moves on.
    Expired,
}

impl Outcome {
    /// The outcome's name in counts and reports.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Issued => "issued",
            Outcome::Skipped => "skipped",
            Outcome::Held(_) => "held",
            Outcome::CarriedOver(_) => "carried_over",
            Outcome::Suppressed => "suppressed",
            Outcome::Duplicate => "duplicate",
            Outcome::Holdout => "holdout",
            Outcome::Expired => "expired",
        }
    }

    /// What the ledger records for it, if anything (held, carried-over, suppressed and
    /// duplicate pieces stay due and are not recorded).
    #[must_use]
    pub fn committed(&self) -> Option<Done> {
        match self {
            Outcome::Issued => Some(Done::Issued),
            Outcome::Skipped => Some(Done::Skipped),
            Outcome::Holdout => Some(Done::Holdout),
            Outcome::Expired => Some(Done::Expired),
            Outcome::Held(_)
            | Outcome::CarriedOver(_)
            | Outcome::Suppressed
            | Outcome::Duplicate => None,
        }
    }
}

/// Whether `contact` is in a holdout group of `share` (0 to 1) of campaign `campaign`: the
/// campaign's own (`step` `None`) or one step's. A pure function of the three ids: the same
/// on every run, machine, thread count and row order, and independent between campaigns
/// and between steps. The draw is the first 8 bytes of SHA-256 over the ids, as a fraction
/// of 2^64.
#[must_use]
pub fn in_holdout(campaign: &str, step: Option<&str>, contact: &str, share: f64) -> bool {
    share > 0.0 && draw(&["holdout", campaign, step.unwrap_or(""), contact]) < share
}

/// A uniform draw in [0, 1) from `parts`, stable across machines and versions.
#[must_use]
pub fn draw(parts: &[&str]) -> f64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[..8]);
    // 53 bits: every value is an exact f64 below 1.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

/// A due piece and its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Index into the contacts given to [`plan`].
    pub contact: usize,
    /// Index into [`Rules::steps`].
    pub step: usize,
    /// The date the piece became due.
    pub due_on: NaiveDate,
    /// What happens to it now.
    pub outcome: Outcome,
}

/// The decisions of one cycle, with contacts that had nothing due for a reason worth counting.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// One per due piece, grouped by contact in input order, in rule-6 order within a contact.
    pub decisions: Vec<Decision>,
    /// Contacts enrolled after the cycle date (rule 1).
    pub not_enrolled: usize,
    /// Contacts with an exit event on or before the cycle date (rule 2).
    pub exited: usize,
}

/// Evaluates a step's `when` for a contact.
pub trait Conditions {
    /// Whether the step's condition holds for the contact (true when it has none).
    ///
    /// # Errors
    /// The reason when the condition cannot be evaluated for this contact.
    fn holds(&mut self, contact: usize, step: usize) -> Result<bool, String>;
}

impl<F: FnMut(usize, usize) -> Result<bool, String>> Conditions for F {
    fn holds(&mut self, contact: usize, step: usize) -> Result<bool, String> {
        self(contact, step)
    }
}

/// Who is on a do-not-mail list.
#[derive(Clone, Debug, Default)]
pub struct Suppressed<'a> {
    /// Contact ids.
    pub ids: Option<&'a HashSet<String>>,
    /// Address keys.
    pub addresses: Option<&'a HashSet<String>>,
}

/// Applies the drip rules for cycle `date`.
pub fn plan(
    rules: &Rules,
    contacts: &[ContactIn<'_>],
    suppressed: &Suppressed<'_>,
    numeric_ids: bool,
    date: NaiveDate,
    conditions: &mut dyn Conditions,
) -> Plan {
    let mut out = Plan::default();
    let representative = households(contacts, numeric_ids);
    // (decision index, due date, contact) of pieces waiting for capacity (rule 8).
    let mut candidates: Vec<(usize, NaiveDate, usize)> = Vec::new();
    for (ci, contact) in contacts.iter().enumerate() {
        // Rule 1.
        if contact.enrolled_on > date {
            out.not_enrolled += 1;
            continue;
        }
        // Rule 2.
        if exited(&rules.exit_on, contact.events, date) {
            out.exited += 1;
            continue;
        }
        let due = due_steps(rules, contact, date);
        if due.is_empty() {
            continue;
        }
        // Rule 9.
        let blanket = if representative.get(contact.household.as_str()) != Some(&ci) {
            Some(Outcome::Duplicate)
        } else if suppressed.ids.is_some_and(|s| s.contains(contact.id))
            || suppressed
                .addresses
                .is_some_and(|s| s.contains(&contact.address))
        {
            Some(Outcome::Suppressed)
        } else {
            None
        };
        if let Some(outcome) = blanket {
            for (step, due_on) in due {
                out.decisions.push(Decision {
                    contact: ci,
                    step,
                    due_on,
                    outcome: outcome.clone(),
                });
            }
            continue;
        }
        // Rule 6: the first due step whose `when` holds is the piece; rule 7 may hold it.
        let last_issued = contact
            .history
            .iter()
            .filter(|d| d.done.as_if_mailed())
            .map(|d| d.date)
            .max();
        let campaign_holdout = in_holdout(&rules.campaign, None, contact.id, rules.holdout);
        // A gap past the calendar's end blocks for good rather than overflowing.
        let blocked_until = last_issued
            .map(|d| add_days(d, rules.min_gap_days).unwrap_or(NaiveDate::MAX))
            .filter(|&next| next > date);
        let mut rest: Option<Outcome> = None;
        for (step, due_on) in due {
            let rule = &rules.steps[step];
            let expired = rule
                .expires_after_days
                .is_some_and(|days| add_days(due_on, days).is_some_and(|last| last < date));
            let outcome = if let Some(r) = &rest {
                r.clone()
            } else if expired {
                // Rule 11: a piece due too long ago is never printed; the sequence moves on.
                Outcome::Expired
            } else {
                match conditions.holds(ci, step) {
                    Err(reason) => {
                        let o = Outcome::Held(Reason::Condition {
                            step: rules.steps[step].id.clone(),
                            error: reason,
                        });
                        rest = Some(Outcome::CarriedOver(Reason::WaitsBehind {
                            step: rules.steps[step].id.clone(),
                        }));
                        o
                    }
                    Ok(false) => Outcome::Skipped,
                    Ok(true) => {
                        if let Some(until) = blocked_until {
                            let reason = Reason::FrequencyCap {
                                last: last_issued,
                                next: until,
                            };
                            rest = Some(Outcome::Held(reason.clone()));
                            Outcome::Held(reason)
                        } else if campaign_holdout
                            || in_holdout(&rules.campaign, Some(&rule.id), contact.id, rule.holdout)
                        {
                            // Rule 12: where the piece would be issued, a held-out contact's
                            // is recorded instead, timed as if mailed; it takes no capacity.
                            rest = Some(Outcome::CarriedOver(Reason::OnePerCycle {
                                step: rule.id.clone(),
                            }));
                            Outcome::Holdout
                        } else {
                            candidates.push((out.decisions.len(), due_on, ci));
                            rest = Some(Outcome::CarriedOver(Reason::OnePerCycle {
                                step: rules.steps[step].id.clone(),
                            }));
                            Outcome::Issued
                        }
                    }
                }
            };
            out.decisions.push(Decision {
                contact: ci,
                step,
                due_on,
                outcome,
            });
        }
    }
    // Rule 8: the pieces due longest ago go first, then the lowest contact id.
    candidates.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then_with(|| compare_ids(numeric_ids, contacts[a.2].id, contacts[b.2].id))
    });
    for &(di, _, _) in candidates.iter().skip(rules.max_pieces_per_cycle) {
        out.decisions[di].outcome = Outcome::CarriedOver(Reason::Capacity {
            max: rules.max_pieces_per_cycle,
        });
    }
    out
}

/// Rule 2: whether `events` hold an exit event (one of `exit_on`) on or before `date`.
#[must_use]
pub fn exited(exit_on: &[String], events: &[Event], date: NaiveDate) -> bool {
    events
        .iter()
        .any(|e| e.date <= date && exit_on.iter().any(|x| x.as_str() == &*e.name))
}

/// Maps each household key to the contact that is mailed for it: the lowest id (rule 9).
fn households<'a>(contacts: &'a [ContactIn<'a>], numeric_ids: bool) -> HashMap<&'a str, usize> {
    let mut map: HashMap<&str, usize> = HashMap::with_capacity(contacts.len());
    for (i, c) in contacts.iter().enumerate() {
        map.entry(c.household.as_str())
            .and_modify(|best| {
                if compare_ids(numeric_ids, c.id, contacts[*best].id) == Ordering::Less {
                    *best = i;
                }
            })
            .or_insert(i);
    }
    map
}

/// The steps due for `contact` on `date`, in rule-6 order: trigger steps in file order, then
/// the one sequence step that is next (rules 3 and 4).
#[must_use]
pub fn due_steps(
    rules: &Rules,
    contact: &ContactIn<'_>,
    date: NaiveDate,
) -> Vec<(usize, NaiveDate)> {
    let decided = |step: usize| contact.history.iter().any(|d| d.step == Some(step));
    let mut due = Vec::new();
    for (si, step) in rules.steps.iter().enumerate() {
        let Some(trigger) = &step.trigger else {
            continue;
        };
        if decided(si) {
            continue;
        }
        let first = contact
            .events
            .iter()
            .find(|e| &*e.name == trigger.as_str() && e.date >= contact.enrolled_on);
        if let Some(event) = first
            && let Some(due_on) = add_days(event.date, step.delay_days).filter(|&d| d <= date)
        {
            due.push((si, due_on));
        }
    }
    let mut previous: Option<NaiveDate> = None;
    for (si, step) in rules.steps.iter().enumerate() {
        if step.trigger.is_some() {
            continue;
        }
        if let Some(d) = contact.history.iter().find(|d| d.step == Some(si)) {
            previous = Some(d.date);
            continue;
        }
        let start = previous.unwrap_or(contact.enrolled_on);
        if let Some(due_on) = add_days(start, step.delay_days).filter(|&d| d <= date) {
            due.push((si, due_on));
        }
        break;
    }
    due
}

/// `date` plus `days`, or `None` past the end of the calendar.
fn add_days(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(chrono::Days::new(u64::from(days)))
}

#[cfg(test)]
mod tests;
