//! Response match-back: orders (or sign-ups, calls...) read from a CSV, matched to contacts,
//! attributed to the last piece before them within a window, and counted per step, variant
//! and holdout group, with the lift over the holdout and its 95 % interval.
//!
//! The attribution rule (docs/report.md): a response is matched to a contact by its contact
//! id, else by a piece id it carries (an offer code or a personal URL), else by its normalised
//! street address and postal code. Its touches are that contact's issued pieces and holdout
//! decisions (a held-out contact's "would-have-been" pieces, which is what makes the control
//! group comparable). The response goes to the latest touch on or before its date and at
//! most `window` days before it; with none, it is unattributed. Each group's response rate is
//! the share of its touches whose contact responded to them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::csvin::{CsvError, Row, Table};

/// A piece issued, or held out, as the ledger recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    /// Contact id.
    pub contact: String,
    /// Step id.
    pub step: String,
    /// Cycle date.
    pub date: NaiveDate,
    /// True for a holdout decision (nothing printed).
    pub holdout: bool,
    /// Piece id (issued pieces).
    pub piece: Option<String>,
    /// A/B variant (issued pieces of a step with variants).
    pub variant: Option<String>,
}

/// One response, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// Its line in the file.
    pub line: u64,
    /// The contact id it gives, if any.
    pub contact: String,
    /// The offer code, piece id or personal URL it gives, if any.
    pub code: String,
    /// Its address key (`address::address_key`), when it gives an address.
    pub address: String,
    /// When it happened.
    pub date: NaiveDate,
    /// Its revenue (0 when the file has none).
    pub revenue: f64,
}

/// A row of the responses file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// Line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// The columns a responses file may have, each under any of these names (matched without
/// case, accents or punctuation).
const CONTACT: &[&str] = &["contact_id", "customer_id", "id"];
const CODE: &[&str] = &[
    "piece_id",
    "offer_code",
    "promo_code",
    "code",
    "purl",
    "url",
];
const ADDRESS: &[&str] = &["address1", "address", "street"];
const POSTAL: &[&str] = &["postal_code", "zip", "zip_code", "postcode", "cap"];
const DATE: &[&str] = &["date", "order_date", "response_date", "created_at"];
const REVENUE: &[&str] = &["revenue", "amount", "total", "value", "order_total"];

/// Reads the responses file: the usable rows, and each unusable one with its line and reason.
///
/// # Errors
/// When the file cannot be read, or has no date column, or no column to match contacts by.
pub fn load(path: &Path) -> Result<(Vec<Response>, Vec<BadRow>), CsvError> {
    let mut table = Table::open(path)?;
    let find = |names: &[&str]| names.iter().find_map(|n| table.column(n));
    let (contact, code) = (find(CONTACT), find(CODE));
    let (address, postal) = (find(ADDRESS), find(POSTAL));
    let revenue = find(REVENUE);
    let missing = |column: &str, hint: &str| CsvError::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_string(),
        mapped: None,
        hint: Some(hint.to_string()),
    };
    let Some(date) = find(DATE) else {
        return Err(missing(
            "date",
            "a responses file needs the date of each response (`date`, or `order_date`)",
        ));
    };
    if contact.is_none() && code.is_none() && (address.is_none() || postal.is_none()) {
        return Err(missing(
            "contact_id",
            "a responses file needs a way to find the contact: `contact_id`, an `offer_code` (the piece id) or `purl`, or `address1` and `postal_code`",
        ));
    }
    let order =
        crate::contacts::date_order(&table, Some(date), crate::dates::DateFormat::Detect, None)?
            .map(|o| o.0);
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut row = Row::default();
    loop {
        match table.next_row(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let when = match crate::dates::parse(row.get(Some(date)), order) {
                    Ok(d) => d,
                    Err(e) => {
                        bad.push(BadRow {
                            line: row.line,
                            reason: format!("`date` {e}"),
                        });
                        continue;
                    }
                };
                let money = match parse_money(row.get(revenue)) {
                    Ok(m) => m,
                    Err(e) => {
                        bad.push(BadRow {
                            line: row.line,
                            reason: e,
                        });
                        continue;
                    }
                };
                let (a, p) = (row.get(address), row.get(postal));
                let r = Response {
                    line: row.line,
                    contact: row.get(contact).to_string(),
                    code: row.get(code).to_string(),
                    address: if a.is_empty() || p.is_empty() {
                        String::new()
                    } else {
                        crate::address::address_key(a, p)
                    },
                    date: when,
                    revenue: money,
                };
                if r.contact.is_empty() && r.code.is_empty() && r.address.is_empty() {
                    bad.push(BadRow {
                        line: row.line,
                        reason: "no contact id, offer code or address to match it by".into(),
                    });
                    continue;
                }
                out.push(r);
            }
            Err(Ok(b)) => bad.push(BadRow {
                line: b.line,
                reason: b.reason,
            }),
            Err(Err(fatal)) => return Err(fatal),
        }
    }
    Ok((out, bad))
}

/// A revenue cell: empty is 0; digits with an optional `.` decimal part, an optional
/// currency sign before or after, and `,` or spaces between thousands.
fn parse_money(text: &str) -> Result<f64, String> {
    let t: String = text
        .trim()
        .trim_start_matches(['$', '€', '£'])
        .trim_end_matches(['$', '€', '£'])
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if t.is_empty() {
        return Ok(0.0);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "revenue `{text}` is not an amount: write it as digits with a `.` before the cents (1234.50)"
        )),
    }
}

/// How responses were matched and attributed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Attribution {
    /// Responses read.
    pub responses: usize,
    /// Matched to a contact.
    pub matched: usize,
    /// Attributed to a touch.
    pub attributed: usize,
    /// Lines of responses matched to no contact (the first 20).
    pub unmatched_lines: Vec<u64>,
    /// Responses matched to no contact.
    pub unmatched: usize,
    /// Matched, but with no touch in the window before them.
    pub outside_window: usize,
}

/// Counts of one group of touches.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Tally {
    /// Touches (pieces issued, or held-out decisions).
    pub pieces: u64,
    /// Touches whose contact responded to them.
    pub responders: u64,
    /// Responses attributed to them.
    pub responses: u64,
    /// Their revenue.
    pub revenue: f64,
}

impl Tally {
    /// Responders per piece.
    #[must_use]
    pub fn rate(&self) -> f64 {
        if self.pieces == 0 {
            0.0
        } else {
            self.responders as f64 / self.pieces as f64
        }
    }
}

/// Counts by (step, variant, holdout): `variant` is `None` for the whole step.
pub type Groups = BTreeMap<(String, Option<String>, bool), Tally>;

/// Matches `responses` to contacts and attributes each to the last touch on or before it
/// within `window` days. `by_address` maps address keys to contact ids (from the contacts
/// file). Returns the counts per group, per exposure count, and how the matching went.
#[must_use]
pub fn attribute(
    touches: &[Touch],
    responses: &[Response],
    by_address: &HashMap<String, String>,
    window: u32,
) -> (Groups, BTreeMap<u64, Tally>, Attribution) {
    let mut by_contact: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_piece: HashMap<&str, &str> = HashMap::new();
    for (i, t) in touches.iter().enumerate() {
        by_contact.entry(t.contact.as_str()).or_default().push(i);
        if let Some(p) = &t.piece {
            by_piece.insert(p.as_str(), t.contact.as_str());
        }
    }
    #[allow(clippy::iter_over_hash_type, reason = "each list is sorted on its own")]
    for list in by_contact.values_mut() {
        list.sort_by_key(|&i| (touches[i].date, i));
    }
    let mut how = Attribution {
        responses: responses.len(),
        ..Attribution::default()
    };
    // For each touch: its responses and their revenue.
    let mut hit: HashMap<usize, (u64, f64)> = HashMap::new();
    for r in responses {
        let contact = if !r.contact.is_empty() {
            by_contact
                .get_key_value(r.contact.as_str())
                .map(|(k, _)| *k)
        } else {
            None
        }
        .or_else(|| {
            // An offer code is the piece id; a personal URL carries it between its parts.
            r.code
                .split(|c: char| !c.is_ascii_alphanumeric())
                .find_map(|token| by_piece.get(token).copied())
        })
        .or_else(|| {
            by_address
                .get(&r.address)
                .and_then(|id| by_contact.get_key_value(id.as_str()).map(|(k, _)| *k))
        });
        let Some(contact) = contact else {
            how.unmatched += 1;
            if how.unmatched_lines.len() < 20 {
                how.unmatched_lines.push(r.line);
            }
            continue;
        };
        how.matched += 1;
        let last = by_contact[contact].iter().rev().find(|&&i| {
            let d = touches[i].date;
            d <= r.date && (r.date - d).num_days() <= i64::from(window)
        });
        let Some(&i) = last else {
            how.outside_window += 1;
            continue;
        };
        how.attributed += 1;
        let e = hit.entry(i).or_default();
        e.0 += 1;
        e.1 += r.revenue;
    }
    let mut groups = Groups::new();
    let mut exposures: BTreeMap<u64, Tally> = BTreeMap::new();
    for (i, t) in touches.iter().enumerate() {
        let (n, revenue) = hit.get(&i).copied().unwrap_or_default();
        let mut keys = vec![(t.step.clone(), None, t.holdout)];
        if t.variant.is_some() {
            keys.push((t.step.clone(), t.variant.clone(), t.holdout));
        }
        keys.push((String::new(), None, t.holdout));
        for key in keys {
            let g = groups.entry(key).or_default();
            g.pieces += 1;
            g.responders += u64::from(n > 0);
            g.responses += n;
            g.revenue += revenue;
        }
    }
    // Exposures: contacts by the number of pieces they received, and whether they responded
    // to any.
    #[allow(clippy::iter_over_hash_type, reason = "counted into a sorted map")]
    for list in by_contact.values() {
        let issued: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| !touches[i].holdout)
            .collect();
        if issued.is_empty() {
            continue;
        }
        let responded = issued.iter().any(|i| hit.contains_key(i));
        let revenue: f64 = issued.iter().filter_map(|i| hit.get(i)).map(|h| h.1).sum();
        let e = exposures.entry(issued.len() as u64).or_default();
        e.pieces += 1;
        e.responders += u64::from(responded);
        e.responses += issued
            .iter()
            .filter_map(|i| hit.get(i))
            .map(|h| h.0)
            .sum::<u64>();
        e.revenue += revenue;
    }
    (groups, exposures, how)
}

/// A 95 % interval for the difference of two proportions `x1/n1 - x2/n2`: Newcombe's hybrid
/// score method (his method 10, from the Wilson score interval of each proportion), which
/// keeps its coverage for rare responses and small groups where the simple Wald interval
/// does not. `None` when either group is empty.
#[must_use]
pub fn lift_interval(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<(f64, f64, f64)> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1) = wilson(x1, n1);
    let (l2, u2) = wilson(x2, n2);
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, low, high))
}

/// The Wilson score 95 % interval of `x / n`.
#[must_use]
pub fn wilson(x: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054;
    let (n, p) = (n as f64, x as f64 / n as f64);
    let centre = p + z * z / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z * z / n;
    (
        ((centre - spread) / denom).max(0.0),
        ((centre + spread) / denom).min(1.0),
    )
}

/// The contacts file's address keys, to match responses that give only an address.
#[must_use]
pub fn address_index(contacts: &crate::contacts::Contacts) -> HashMap<String, String> {
    contacts
        .list
        .iter()
        .map(|c| (crate::cycle::address_of(contacts, c), c.id.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn touch(contact: &str, step: &str, date: &str, holdout: bool) -> Touch {
        Touch {
            contact: contact.into(),
            step: step.into(),
            date: d(date),
            holdout,
            piece: (!holdout).then(|| format!("p{contact}{step}")),
            variant: None,
        }
    }

    fn response(contact: &str, date: &str, revenue: f64) -> Response {
        Response {
            line: 2,
            contact: contact.into(),
            code: String::new(),
            address: String::new(),
            date: d(date),
            revenue,
        }
    }

    #[test]
    fn a_response_goes_to_the_last_touch_within_the_window() {
        let touches = [
            touch("1", "welcome", "2026-01-01", false),
            touch("1", "catalog", "2026-01-15", false),
            touch("2", "welcome", "2026-01-01", true),
        ];
        let responses = [
            response("1", "2026-01-20", 50.0),
            // Before the catalog: the welcome's.
            response("1", "2026-01-10", 10.0),
            // The control contact's response goes to its held-out welcome.
            response("2", "2026-01-05", 0.0),
            // Too late for any touch (window 30).
            response("2", "2026-03-01", 0.0),
            // Before any touch.
            response("1", "2025-12-31", 0.0),
            response("9", "2026-01-05", 0.0),
        ];
        let (g, _, how) = attribute(&touches, &responses, &HashMap::new(), 30);
        let get = |s: &str, h: bool| g[&(s.to_string(), None, h)].clone();
        assert_eq!(get("catalog", false).responders, 1);
        assert_eq!(get("catalog", false).revenue, 50.0);
        assert_eq!(get("welcome", false).responses, 1);
        assert_eq!(get("welcome", true).responders, 1);
        assert_eq!(
            (
                how.matched,
                how.attributed,
                how.unmatched,
                how.outside_window
            ),
            (5, 3, 1, 2)
        );
        assert_eq!(how.unmatched_lines, [2]);
    }

    #[test]
    fn codes_and_addresses_find_the_contact() {
        let touches = [touch("1", "welcome", "2026-01-01", false)];
        let mut by_code = response("", "2026-01-05", 0.0);
        by_code.code = "https://shop.example/r/p1welcome?utm=x".into();
        let mut by_address = response("", "2026-01-06", 0.0);
        by_address.address = crate::address::address_key("12 Main Street", "62701");
        let index: HashMap<String, String> = [(
            crate::address::address_key("12 Main St", "62701"),
            "1".to_string(),
        )]
        .into_iter()
        .collect();
        let (g, _, how) = attribute(&touches, &[by_code, by_address], &index, 90);
        assert_eq!(how.attributed, 2);
        assert_eq!(g[&("welcome".into(), None, false)].responses, 2);
    }

    #[test]
    fn the_lift_interval_is_newcombes() {
        // Newcombe (1998), table II, example (a): 56/70 vs 48/80: 0.2000, [0.0524, 0.3339].
        let (d, low, high) = lift_interval(56, 70, 48, 80).unwrap();
        assert!((d - 0.2).abs() < 1e-9);
        assert!((low - 0.0524).abs() < 5e-4, "{low}");
        assert!((high - 0.3339).abs() < 5e-4, "{high}");
        // Example (h): 0/10 vs 0/20: [-0.1611, 0.2775].
        let (_, low, high) = lift_interval(0, 10, 0, 20).unwrap();
        assert!((low + 0.1611).abs() < 5e-4, "{low}");
        assert!((high - 0.2775).abs() < 5e-4, "{high}");
        assert!(lift_interval(1, 0, 1, 2).is_none());
    }

    #[test]
    fn money_is_read_plainly() {
        assert_eq!(parse_money(""), Ok(0.0));
        assert_eq!(parse_money("$1,234.50"), Ok(1234.5));
        assert_eq!(parse_money("99 €"), Ok(99.0));
        assert!(parse_money("12,5.3x").is_err());
        assert!(parse_money("-5").is_err());
    }
}
