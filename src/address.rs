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
pub fn household_key(last_name: &str, address1: &str, address2: &str, postal_code: &str, country: &str) -> String {
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
