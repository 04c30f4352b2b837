//! Mailing order and naming: stable piece ids, postal-code order, file names.

use sha2::{Digest, Sha256};

/// The stable id of the piece of `step` for `contact` in `campaign`: the same three always
/// give the same id, so a reprint or a rerun can find it.
#[must_use]
pub fn piece_id(campaign: &str, contact: &str, step: &str) -> String {
    let mut h = Sha256::new();
    for part in [campaign, contact, step] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What orders pieces for the mail stream: the country, then the postal code's letters and
/// digits in capitals (so `02134` sorts before `10001`). Made once per piece before sorting.
#[must_use]
pub fn mail_key<'a>(country: &'a str, postal_code: &str) -> (&'a str, String) {
    let code = postal_code
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    (country, code)
}

/// The file name of the `n`th file (1-based) of `step` in `layout`.
#[must_use]
pub fn file_name(step: &str, layout: &str, n: usize) -> String {
    format!("{step}-{}-{n:03}.pdf", sanitize(layout))
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn piece_ids_are_stable_and_distinct() {
        assert_eq!(piece_id("c", "1", "welcome"), piece_id("c", "1", "welcome"));
        assert_ne!(piece_id("c", "1", "welcome"), piece_id("c", "1", "catalog"));
        assert_ne!(piece_id("c", "12", "x"), piece_id("c", "1", "2x"));
        assert_eq!(piece_id("c", "1", "welcome").len(), 16);
    }

    fn mail_order(a: (&str, &str), b: (&str, &str)) -> Ordering {
        mail_key(a.0, a.1).cmp(&mail_key(b.0, b.1))
    }

    #[test]
    fn orders_by_country_then_postal_code() {
        assert_eq!(mail_order(("US", "02134"), ("US", "10001")), Ordering::Less);
        assert_eq!(mail_order(("IT", "20121"), ("US", "02134")), Ordering::Less);
        assert_eq!(
            mail_order(("US", "62701-1234"), ("US", "62701")),
            Ordering::Greater
        );
        assert_eq!(
            file_name("welcome", "postcard-6x4", 2),
            "welcome-postcard-6x4-002.pdf"
        );
    }
}

/// The smallest group of pieces that gets its own 5-digit or 3-digit presort group: the
/// package minimum for USPS Marketing Mail.
pub const PRESORT_MIN: usize = 10;

/// Presort groups for pieces addressed to `(country, postal_code)`, in the same order:
/// `5D:ZIP5` where at least [`PRESORT_MIN`] pieces share a 5-digit ZIP, else `3D:ZIP3` where
/// that many share the first three digits, else `MXD` (mixed) for the US, and `INTL:CC` for
/// other countries. Returns the group of each piece and a sort rank per group (5D before 3D
/// before MXD before international), so trays can be filled in order.
#[must_use]
pub fn presort(addresses: &[(&str, &str)]) -> Vec<(String, u8)> {
    let is_us = |c: &str| crate::address::same_country(c, "US");
    let zip5 = |z: &str| -> Option<String> {
        let d: String = z.chars().filter(char::is_ascii_digit).collect();
        (d.len() >= 5).then(|| d[..5].to_string())
    };
    let mut count5: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut count3: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (c, z) in addresses {
        if let Some(z5) = zip5(z).filter(|_| is_us(c)) {
            *count3.entry(z5[..3].to_string()).or_default() += 1;
            *count5.entry(z5).or_default() += 1;
        }
    }
    // A 5-digit group takes its pieces out of the 3-digit count.
    let mut left3 = count3.clone();
    for (z5, n) in &count5 {
        if *n >= PRESORT_MIN
            && let Some(x) = left3.get_mut(&z5[..3])
        {
            *x -= n;
        }
    }
    addresses
        .iter()
        .map(|(c, z)| match zip5(z).filter(|_| is_us(c)) {
            Some(z5) if count5.get(&z5).copied().unwrap_or(0) >= PRESORT_MIN => {
                (format!("5D:{z5}"), 0)
            }
            Some(z5) if left3.get(&z5[..3]).copied().unwrap_or(0) >= PRESORT_MIN => {
                (format!("3D:{}", &z5[..3]), 1)
            }
            Some(_) => ("MXD".to_string(), 2),
            None if is_us(c) => ("MXD".to_string(), 2),
            None => (format!("INTL:{}", c.trim().to_uppercase()), 3),
        })
        .collect()
}

#[cfg(test)]
mod presort_tests {
    use super::*;

    #[test]
    fn groups_five_digit_then_three_digit_then_mixed() {
        let mut addrs: Vec<(&str, &str)> = Vec::new();
        addrs.extend(std::iter::repeat_n(("US", "62701"), 10));
        addrs.extend(std::iter::repeat_n(("US", "62702-1234"), 6));
        addrs.extend(std::iter::repeat_n(("US", "62799"), 4));
        addrs.extend([("US", "10001"), ("IT", "20121"), ("", "62701")]);
        let g = presort(&addrs);
        assert_eq!(g[0], ("5D:62701".to_string(), 0));
        assert_eq!(g[10], ("3D:627".to_string(), 1));
        assert_eq!(g[16], ("3D:627".to_string(), 1));
        assert_eq!(g[20], ("MXD".to_string(), 2));
        assert_eq!(g[21], ("INTL:IT".to_string(), 3));
        // A blank country is not the US here; the caller passes the campaign default.
        assert_eq!(g[22].0, "INTL:");
    }
}
