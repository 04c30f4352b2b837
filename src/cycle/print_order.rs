//! The print order of a step's issued pieces, and their IMb serials: pure functions of the
//! plan and the ledger's serial state, so the files can then be rendered in any order.

use std::cmp::Ordering;

use anyhow::{Result, bail};
use smol_str::SmolStr;

/// An issued piece to put in print order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Unordered<'a> {
    /// Index of its decision in the plan.
    pub decision: usize,
    /// The contact's country code.
    pub country: &'a str,
    /// The contact's postal code.
    pub postal_code: &'a str,
    /// The contact's id.
    pub contact: &'a str,
}

/// A piece in print order: its decision and presort group (`5D:62701`, `3D:627`, `MXD`,
/// `INTL:IT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Ordered {
    /// Index of its decision in the plan.
    pub decision: usize,
    /// Presort group.
    pub group: SmolStr,
}

/// Sorts a step's pieces for the mail stream: presort group (5-digit, 3-digit, mixed, then
/// international), mailing order within the group (country, normalised postal code), then
/// contact id by `compare_ids`.
pub(super) fn print_order(
    pieces: &[Unordered<'_>],
    compare_ids: impl Fn(&str, &str) -> Ordering,
) -> Vec<Ordered> {
    let addrs: Vec<(&str, &str)> = pieces.iter().map(|p| (p.country, p.postal_code)).collect();
    // Sort keys made once per piece (group rank, group, mailing order): a comparison then
    // allocates nothing.
    let mut keyed: Vec<(u8, SmolStr, (&str, String), &Unordered<'_>)> =
        crate::mailing::presort(&addrs)
            .into_iter()
            .zip(pieces)
            .map(|((group, rank), p)| {
                (
                    rank,
                    SmolStr::new(group),
                    crate::mailing::mail_key(p.country, p.postal_code),
                    p,
                )
            })
            .collect();
    keyed.sort_by(|a, b| {
        (a.0, &a.1, &a.2)
            .cmp(&(b.0, &b.1, &b.2))
            .then_with(|| compare_ids(a.3.contact, b.3.contact))
    });
    keyed
        .into_iter()
        .map(|(_, group, _, p)| Ordered {
            decision: p.decision,
            group,
        })
        .collect()
}

/// IMb serial numbers for one mailer id: sequential, never one used in the last 45 days.
pub(super) struct Serials {
    /// The next serial to try.
    pub next: u64,
    /// Serials run from 0 to `modulus - 1` (10^9 with a 6-digit mailer id, 10^6 with 9).
    pub modulus: u64,
    /// Serials used within the window, and those taken by this cycle.
    pub recent: std::collections::HashSet<u64>,
}

impl Serials {
    /// Serials for `mailer_id`, starting at `next`, skipping `recent`.
    pub(super) fn new(mailer_id: &str, next: u64, recent: std::collections::HashSet<u64>) -> Self {
        let modulus = serial_modulus(mailer_id);
        Serials {
            next: next % modulus,
            modulus,
            recent,
        }
    }

    /// The next free serial, wrapping around.
    ///
    /// # Errors
    /// When every serial was used within the window.
    pub(super) fn take(&mut self) -> Result<u64> {
        for _ in 0..self.modulus {
            let s = self.next;
            self.next = (self.next + 1) % self.modulus;
            if self.recent.insert(s) {
                return Ok(s);
            }
        }
        bail!("every IMb serial number of this mailer id was used in the last 45 days")
    }
}

/// How many IMb serials a mailer id has: 10^6 with a 9-digit mailer id, 10^9 with 6.
pub(super) fn serial_modulus(mailer_id: &str) -> u64 {
    if mailer_id.len() == 9 {
        1_000_000
    } else {
        1_000_000_000
    }
}

/// The routing code of `contact`'s IMb: a US address with a usable ZIP has one; mail abroad
/// and unusable ZIPs have none.
pub(super) fn imb_routing(
    contacts: &crate::contacts::Contacts,
    contact: &crate::contacts::Contact,
) -> Option<String> {
    use crate::contacts::Field;
    if !crate::address::same_country(contacts.get(contact, Field::Country), "US") {
        return None;
    }
    crate::imb::routing(
        contacts.get(contact, Field::PostalCode),
        contacts.get(contact, Field::DeliveryPoint),
    )
}

/// An IMb with serial `serial` and routing code `routing`: the tracking and routing digits
/// (as printed in the manifest) and the 65 bars.
///
/// # Errors
/// A campaign `[imb]` whose fields do not encode (checked when the campaign loads).
pub(super) fn imb_code(
    imb: &crate::campaign::Imb,
    serial: u64,
    routing: &str,
) -> Result<(String, String)> {
    let tracking =
        crate::imb::tracking_code(&imb.barcode_id, &imb.service_type, &imb.mailer_id, serial)?;
    let bars = crate::imb::encode(&tracking, routing)?;
    Ok((format!("{tracking}{routing}"), bars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece<'a>(decision: usize, country: &'a str, zip: &'a str, id: &'a str) -> Unordered<'a> {
        Unordered {
            decision,
            country,
            postal_code: zip,
            contact: id,
        }
    }

    #[test]
    fn groups_then_postal_code_then_contact_id() {
        let numeric = |a: &str, b: &str| {
            a.parse::<u64>()
                .unwrap_or(0)
                .cmp(&b.parse::<u64>().unwrap_or(0))
        };
        // Enough pieces for 62701 to make a 5-digit group; the rest mixed; Italy last.
        let mut pieces = vec![
            piece(0, "IT", "20121", "1"),
            piece(1, "US", "78701", "2"),
            piece(2, "US", "02134", "3"),
        ];
        let n = crate::mailing::PRESORT_MIN;
        let ids: Vec<String> = (0..n).map(|i| (100 - i).to_string()).collect();
        for (i, id) in ids.iter().enumerate() {
            pieces.push(piece(3 + i, "US", "62701-1234", id));
        }
        let order = print_order(&pieces, numeric);
        let groups: Vec<&str> = order.iter().map(|o| o.group.as_str()).collect();
        assert_eq!(groups[0], "5D:62701");
        assert_eq!(&groups[n..], ["MXD", "MXD", "INTL:IT"]);
        // Within the 5-digit group: lowest contact id first (ids 100, 99, … were added in
        // reverse), then the mixed group by ZIP.
        let decisions: Vec<usize> = order.iter().map(|o| o.decision).collect();
        assert_eq!(decisions[0], 3 + n - 1);
        assert_eq!(&decisions[n..], [2, 1, 0]);
    }

    #[test]
    fn imb_serials_wrap_around_and_skip_those_used_in_the_window() {
        // Serials 4 and 0 were used within 45 days; the counter is at 3 of 5.
        let mut s = Serials {
            next: 3,
            modulus: 5,
            recent: [4, 0].into_iter().collect(),
        };
        let taken: Vec<u64> = (0..3).map(|_| s.take().unwrap()).collect();
        assert_eq!(taken, [3, 1, 2]);
        assert_eq!(s.next, 3);
        // Every serial is in use now: refused, not reused.
        let err = s.take().unwrap_err().to_string();
        assert!(err.contains("used in the last 45 days"), "{err}");
    }

    #[test]
    fn a_nine_digit_mailer_id_has_six_digit_serials() {
        let s = Serials::new("900000001", 1_000_005, Default::default());
        assert_eq!((s.modulus, s.next), (1_000_000, 5));
        let s = Serials::new("123456", 7, Default::default());
        assert_eq!((s.modulus, s.next), (1_000_000_000, 7));
    }
}
