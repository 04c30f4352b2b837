//! Address normalisation shared by household duplicate detection and suppression lists.

/// Folds an address or name for comparison: case, accents, punctuation, spacing and the
/// common street-suffix and unit abbreviations, so `12 Main Street, Apt. 4` and
/// `12 MAIN ST APT 4` compare equal.
#[must_use]
pub fn normalise(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                cleaned.push(fold_accent(l));
            }
        } else if c == '.' || c == '\'' || c == '’' {
            // `P.zza` and `D'Angelo` stay one word.
        } else if c == '#' {
            cleaned.push_str(" apt ");
        } else {
            cleaned.push(' ');
        }
    }
    let mut out = String::with_capacity(cleaned.len());
    for word in cleaned.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(abbreviate(word));
    }
    out
}

/// The key that suppression lists match on: normalised `address1` and postal code.
#[must_use]
pub fn address_key(address1: &str, postal_code: &str) -> String {
    format!("{}|{}", normalise(address1), normalise(postal_code))
}

/// The key for household duplicates: normalised last name and full street address.
#[must_use]
pub fn household_key(
    last_name: &str,
    address1: &str,
    address2: &str,
    postal_code: &str,
    country: &str,
) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        normalise(last_name),
        normalise(address1),
        normalise(address2),
        normalise(postal_code),
        normalise(country)
    )
}

pub(crate) fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

fn abbreviate(word: &str) -> &str {
    match word {
        "street" | "str" => "st",
        "avenue" | "av" => "ave",
        "road" => "rd",
        "boulevard" => "blvd",
        "drive" => "dr",
        "lane" => "ln",
        "court" => "ct",
        "place" => "pl",
        "square" => "sq",
        "highway" => "hwy",
        "parkway" => "pkwy",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "apartment" | "unit" => "apt",
        "suite" => "ste",
        "floor" => "fl",
        "via" => "v",
        "piazza" | "pzza" => "p",
        "corso" => "c",
        "viale" => "vle",
        "interno" | "int" => "apt",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_addresses_match() {
        let pairs = [
            ("12 Main Street, Apt. 4", "12 MAIN ST APT 4"),
            ("12 Main St #4", "12 main st apt 4"),
            ("  100  Elm   Avenue ", "100 elm ave"),
            ("Via Roma, 5", "V. Roma 5"),
            ("Piazza Navona 3", "P.zza Navona 3"),
            ("Suite 200", "ste 200"),
            ("Nicolò", "NICOLO"),
        ];
        for (a, b) in pairs {
            assert_eq!(normalise(a), normalise(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn different_addresses_do_not_match() {
        let pairs = [
            ("12 Main St", "21 Main St"),
            ("12 Main St", "12 Maine St"),
            ("12 Main St Apt 4", "12 Main St Apt 5"),
            ("Via Roma 5", "Viale Roma 5"),
            ("Rossi", "Rosso"),
        ];
        for (a, b) in pairs {
            assert_ne!(normalise(a), normalise(b), "{a:?} vs {b:?}");
        }
    }
}

/// The parts of a postal address the address block prints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalAddress<'a> {
    /// Recipient name.
    pub name: &'a str,
    /// Company, if any.
    pub company: &'a str,
    /// Street line.
    pub address1: &'a str,
    /// Second street line (unit, c/o).
    pub address2: &'a str,
    /// City.
    pub city: &'a str,
    /// State (US) or province (IT).
    pub state: &'a str,
    /// ZIP or CAP.
    pub postal_code: &'a str,
    /// ISO country code.
    pub country: &'a str,
}

/// Formats an address block as its post office expects, for mail sent from `from_country`:
/// US `CITY ST 12345-6789`, Italy `CAP CITTÀ PROV`, else `POSTCODE CITY` with the country
/// name alone on the last line. The country line is left out for domestic mail.
/// `usps_caps` sets US addresses in USPS Publication 28 style: upper case, no punctuation
/// but the ZIP+4 hyphen (and the `#`, `-` and `/` of unit and house numbers).
#[must_use]
pub fn block_lines(a: &PostalAddress<'_>, from_country: &str, usps_caps: bool) -> Vec<String> {
    let mut lines = Vec::with_capacity(6);
    for l in [a.name, a.company, a.address1, a.address2] {
        if !l.trim().is_empty() {
            lines.push(collapse(l));
        }
    }
    let country = a.country.trim().to_uppercase();
    let us = same_country(&country, "US");
    let last = if us {
        join(&[a.city, a.state, &zip_plus_4(a.postal_code)])
    } else if same_country(&country, "IT") {
        // Poste Italiane: the locality line in capitals.
        join(&[
            a.postal_code,
            &a.city.to_uppercase(),
            &a.state.to_uppercase(),
        ])
    } else {
        join(&[a.postal_code, a.city, a.state])
    };
    lines.push(last);
    if us && usps_caps {
        lines = lines.iter().map(|l| pub28(l)).collect();
    }
    if !country.is_empty() && !same_country(&country, from_country) {
        lines.push(country_name(&country, from_country));
    }
    lines
}

/// `627011234` → `62701-1234`; anything else as written.
fn zip_plus_4(zip: &str) -> String {
    let z = zip.trim();
    if z.len() == 9 && z.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &z[..5], &z[5..])
    } else {
        z.to_string()
    }
}

/// Upper case, punctuation dropped except `-`, `#` and `/` (house and unit numbers, ZIP+4).
fn pub28(line: &str) -> String {
    let kept: String = line
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || matches!(c, '-' | '#' | '/'))
        .flat_map(char::to_uppercase)
        .collect();
    collapse(&kept)
}

/// Single spaces, trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The standard abbreviations a line may take before an address is given up as too long:
/// USPS street suffixes and unit designators, and their Italian counterparts. Case follows
/// the word (`STREET` → `ST`).
#[must_use]
pub fn abbreviate_line(line: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("street", "St"),
        ("avenue", "Ave"),
        ("boulevard", "Blvd"),
        ("drive", "Dr"),
        ("road", "Rd"),
        ("lane", "Ln"),
        ("court", "Ct"),
        ("place", "Pl"),
        ("square", "Sq"),
        ("parkway", "Pkwy"),
        ("highway", "Hwy"),
        ("terrace", "Ter"),
        ("circle", "Cir"),
        ("apartment", "Apt"),
        ("suite", "Ste"),
        ("building", "Bldg"),
        ("floor", "Fl"),
        ("department", "Dept"),
        ("north", "N"),
        ("south", "S"),
        ("east", "E"),
        ("west", "W"),
        ("piazza", "P.zza"),
        ("corso", "C.so"),
        ("viale", "V.le"),
        ("largo", "L.go"),
        ("vicolo", "Vic."),
        ("interno", "Int."),
    ];
    line.split_whitespace()
        .map(|w| {
            let bare = w.trim_end_matches([',', '.']);
            let lower = bare.to_lowercase();
            match TABLE.iter().find(|(full, _)| *full == lower) {
                Some((_, short)) if bare.len() > 1 && !bare.chars().any(char::is_lowercase) => {
                    short.to_uppercase()
                }
                Some((_, short)) => (*short).to_string(),
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when two country codes or names name the same country (`US`/`USA`/`United States`,
/// `IT`/`ITA`/`Italia`, any case).
#[must_use]
pub fn same_country(a: &str, b: &str) -> bool {
    if a.trim().eq_ignore_ascii_case(b.trim()) {
        return true;
    }
    match (crate::places::country(a), crate::places::country(b)) {
        (Some(a), Some(b)) => a.alpha2 == b.alpha2,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// The country line: the country's name in capitals, in the sender's language (English unless
/// the sender is in Italy); a code dripmail does not know as written.
fn country_name(code: &str, from_country: &str) -> String {
    match crate::places::country(code) {
        Some(c) if same_country(from_country, "IT") => c.italian.to_uppercase(),
        Some(c) => c.english.to_uppercase(),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod block_tests {
    use super::*;

    fn us() -> PostalAddress<'static> {
        PostalAddress {
            name: "Ann O'Lee",
            address1: "12 Main St.",
            address2: "Apt #4",
            city: "Springfield",
            state: "IL",
            postal_code: "627011234",
            country: "US",
            ..PostalAddress::default()
        }
    }

    #[test]
    fn formats_us_italian_and_international_blocks() {
        assert_eq!(
            block_lines(&us(), "US", false),
            [
                "Ann O'Lee",
                "12 Main St.",
                "Apt #4",
                "Springfield IL 62701-1234"
            ]
        );
        assert_eq!(
            block_lines(&us(), "US", true),
            [
                "ANN OLEE",
                "12 MAIN ST",
                "APT #4",
                "SPRINGFIELD IL 62701-1234"
            ]
        );
        let it = PostalAddress {
            name: "Nicolò Bianchi",
            address1: "Via Roma 5",
            address2: "c/o Rossi",
            city: "Milano",
            state: "mi",
            postal_code: "20121",
            country: "IT",
            ..PostalAddress::default()
        };
        assert_eq!(
            block_lines(&it, "US", true),
            [
                "Nicolò Bianchi",
                "Via Roma 5",
                "c/o Rossi",
                "20121 MILANO MI",
                "ITALY"
            ]
        );
        assert_eq!(block_lines(&it, "IT", false).len(), 4);
        assert_eq!(
            block_lines(&us(), "IT", false).last().unwrap(),
            "STATI UNITI"
        );
        let fr = PostalAddress {
            name: "Zoë Martin",
            address1: "3 rue de la Paix",
            city: "Paris",
            postal_code: "75002",
            country: "FR",
            ..PostalAddress::default()
        };
        assert_eq!(
            block_lines(&fr, "US", false),
            ["Zoë Martin", "3 rue de la Paix", "75002 Paris", "FRANCE"]
        );
    }

    #[test]
    fn abbreviations_keep_case() {
        assert_eq!(
            abbreviate_line("4000 Washington Boulevard, Suite 1200"),
            "4000 Washington Blvd Ste 1200"
        );
        assert_eq!(abbreviate_line("12 NORTH MAIN STREET"), "12 N MAIN ST");
        assert_eq!(
            abbreviate_line("Piazza della Signoria 3"),
            "P.zza della Signoria 3"
        );
        assert_eq!(
            abbreviate_line("Corso Vittorio Emanuele II 116"),
            "C.so Vittorio Emanuele II 116"
        );
        assert_eq!(abbreviate_line("Ann Lee"), "Ann Lee");
    }
}
