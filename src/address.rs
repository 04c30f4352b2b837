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

fn fold_accent(c: char) -> char {
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
#[must_use]
pub fn block_lines(a: &PostalAddress<'_>, from_country: &str) -> Vec<String> {
    let mut lines = Vec::with_capacity(6);
    for l in [a.name, a.company, a.address1, a.address2] {
        if !l.trim().is_empty() {
            lines.push(l.trim().to_string());
        }
    }
    let country = a.country.trim().to_uppercase();
    let last = match country.as_str() {
        "US" | "USA" => join(&[a.city, a.state, a.postal_code]),
        "IT" | "ITA" => join(&[a.postal_code, a.city, a.state]),
        _ => join(&[a.postal_code, a.city, a.state]),
    };
    lines.push(last);
    if !country.is_empty() && !same_country(&country, from_country) {
        lines.push(country_name(&country, from_country).to_string());
    }
    lines
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_country(a: &str, b: &str) -> bool {
    let canon = |c: &str| match c.trim().to_uppercase().as_str() {
        "USA" => "US".to_string(),
        "ITA" => "IT".to_string(),
        other => other.to_string(),
    };
    canon(a) == canon(b)
}

/// The country's name in the sender's language (English unless the sender is in Italy).
fn country_name<'a>(code: &'a str, from_country: &str) -> &'a str {
    let italian = same_country(from_country, "IT");
    let names: &[(&str, &str, &str)] = &[
        ("US", "UNITED STATES", "STATI UNITI"),
        ("USA", "UNITED STATES", "STATI UNITI"),
        ("IT", "ITALY", "ITALIA"),
        ("ITA", "ITALY", "ITALIA"),
        ("CA", "CANADA", "CANADA"),
        ("GB", "UNITED KINGDOM", "REGNO UNITO"),
        ("FR", "FRANCE", "FRANCIA"),
        ("DE", "GERMANY", "GERMANIA"),
        ("ES", "SPAIN", "SPAGNA"),
        ("CH", "SWITZERLAND", "SVIZZERA"),
        ("AT", "AUSTRIA", "AUSTRIA"),
        ("NL", "NETHERLANDS", "PAESI BASSI"),
        ("BE", "BELGIUM", "BELGIO"),
        ("SM", "SAN MARINO", "SAN MARINO"),
        ("MX", "MEXICO", "MESSICO"),
    ];
    names
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, en, it)| if italian { it } else { en })
}

#[cfg(test)]
mod block_tests {
    use super::*;

    #[test]
    fn formats_us_italian_and_international_blocks() {
        let us = PostalAddress {
            name: "Ann Lee",
            address1: "12 Main St",
            address2: "Apt 4",
            city: "Springfield",
            state: "IL",
            postal_code: "62701-1234",
            country: "US",
            ..PostalAddress::default()
        };
        assert_eq!(
            block_lines(&us, "US"),
            [
                "Ann Lee",
                "12 Main St",
                "Apt 4",
                "Springfield IL 62701-1234"
            ]
        );
        let it = PostalAddress {
            name: "Nicolò Bianchi",
            address1: "Via Roma 5",
            city: "Milano",
            state: "MI",
            postal_code: "20121",
            country: "IT",
            ..PostalAddress::default()
        };
        assert_eq!(
            block_lines(&it, "US"),
            ["Nicolò Bianchi", "Via Roma 5", "20121 Milano MI", "ITALY"]
        );
        assert_eq!(block_lines(&it, "IT").len(), 3);
        assert_eq!(block_lines(&us, "IT").last().unwrap(), "STATI UNITI");
    }
}
