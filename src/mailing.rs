//! Mailing order and naming: stable piece ids, postal-code order, file names.

use std::cmp::Ordering;

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

/// Orders pieces for the mail stream: country, then postal code (digits compared as
/// numbers of equal width, so `02134` sorts before `10001`), then contact order.
#[must_use]
pub fn mail_order(a: (&str, &str), b: (&str, &str)) -> Ordering {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_uppercase()
    };
    a.0.cmp(b.0).then_with(|| norm(a.1).cmp(&norm(b.1)))
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
    use super::*;

    #[test]
    fn piece_ids_are_stable_and_distinct() {
        assert_eq!(piece_id("c", "1", "welcome"), piece_id("c", "1", "welcome"));
        assert_ne!(piece_id("c", "1", "welcome"), piece_id("c", "1", "catalog"));
        assert_ne!(piece_id("c", "12", "x"), piece_id("c", "1", "2x"));
        assert_eq!(piece_id("c", "1", "welcome").len(), 16);
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
