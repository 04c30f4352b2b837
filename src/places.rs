//! Countries, US states and Italian provinces as contact files write them ("United States",
//! "USA", "Italia", "Illinois", "Milano"), resolved to the codes the post uses (US, IT, IL, MI).

use std::collections::HashMap;
use std::sync::LazyLock;

/// A country of ISO 3166-1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    /// Alpha-2 code: what dripmail keeps and compares.
    pub alpha2: &'static str,
    /// Alpha-3 code.
    pub alpha3: &'static str,
    /// English short name (the country line of mail sent from outside Italy).
    pub english: &'static str,
    /// Italian name (the country line of mail sent from Italy).
    pub italian: &'static str,
}

/// Folds a name for lookup: lower case, accents off, only letters and digits
/// (`Côte d’Ivoire` → `cotedivoire`, `State/Region` → `stateregion`).
#[must_use]
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                out.push(crate::address::fold_accent(l));
            }
        }
    }
    out
}

/// Spellings CRMs and people use that are in no standard list, folded, with their country.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("usa", "US"),
    ("us", "US"),
    ("america", "US"),
    ("unitedstatesofamerica", "US"),
    ("statiunitidamerica", "US"),
    ("uk", "GB"),
    ("greatbritain", "GB"),
    ("england", "GB"),
    ("scotland", "GB"),
    ("wales", "GB"),
    ("northernireland", "GB"),
    ("granbretagna", "GB"),
    ("inghilterra", "GB"),
    ("holland", "NL"),
    ("nederland", "NL"),
    ("olanda", "NL"),
    ("deutschland", "DE"),
    ("espana", "ES"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("osterreich", "AT"),
    ("belgique", "BE"),
    ("belgie", "BE"),
    ("repubblicadisanmarino", "SM"),
    ("vaticano", "VA"),
    ("vaticancity", "VA"),
    ("southkorea", "KR"),
    ("korea", "KR"),
    ("russia", "RU"),
];

struct Countries {
    list: Vec<Country>,
    /// Upper-case alpha-2 and alpha-3 codes, and folded names, to indexes in `list`.
    by_key: HashMap<String, usize>,
}

static COUNTRIES: LazyLock<Countries> = LazyLock::new(|| {
    let text: &'static str = include_str!("../data/countries.csv");
    let mut list = Vec::new();
    let mut by_key = HashMap::new();
    for line in text.lines().skip(1) {
        let mut cells = split_csv_line(line).into_iter();
        let (Some(a2), Some(a3), Some(en), Some(it), aliases) = (
            cells.next(),
            cells.next(),
            cells.next(),
            cells.next(),
            cells.next().unwrap_or_default(),
        ) else {
            continue;
        };
        let i = list.len();
        by_key.insert(a2.to_string(), i);
        by_key.insert(a3.to_string(), i);
        for name in [en, it].into_iter().chain(aliases.split('|')) {
            if !name.is_empty() {
                by_key.entry(fold(name)).or_insert(i);
            }
        }
        list.push(Country {
            alpha2: a2,
            alpha3: a3,
            english: en,
            italian: it,
        });
    }
    for (alias, code) in COUNTRY_ALIASES {
        if let Some(&i) = by_key.get(*code) {
            by_key.insert((*alias).to_string(), i);
        }
    }
    Countries { list, by_key }
});

/// Splits one line of the built-in table: `,`-separated, `"` quoting without escapes.
fn split_csv_line(line: &'static str) -> Vec<&'static str> {
    let mut cells = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            cells.push(&quoted[..end]);
            rest = quoted.get(end + 1..).unwrap_or("");
            rest = rest.strip_prefix(',').unwrap_or(rest);
            if rest.is_empty() {
                break;
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    cells.push(&rest[..i]);
                    rest = &rest[i + 1..];
                }
                None => {
                    cells.push(rest);
                    break;
                }
            }
        }
    }
    cells
}

/// The country `text` names: an ISO alpha-2 or alpha-3 code (any case), or an English or
/// Italian name as CRMs write them ("United States", "USA", "Italia", "UK").
#[must_use]
pub fn country(text: &str) -> Option<&'static Country> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let c = &*COUNTRIES;
    let upper = t.to_uppercase();
    // Codes as written: `N/A` is no country, though it folds to `na` (Namibia).
    let i = if (2..=3).contains(&upper.len()) && upper.bytes().all(|b| b.is_ascii_uppercase()) {
        c.by_key.get(&upper).or_else(|| c.by_key.get(&fold(t)))
    } else if let folded = fold(t)
        && (folded.len() > 3 || COUNTRY_ALIASES.iter().any(|(a, _)| *a == folded))
    {
        // Short folds only by an explicit alias (`U.S.A.`), never a code (`N/A`).
        c.by_key.get(&folded)
    } else {
        None
    };
    i.map(|&i| &c.list[i])
}

/// The US states, the District of Columbia, the territories, the freely associated states and
/// the military "states" (USPS Publication 28, appendix B), with their names.
pub const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "Virgin Islands"),
    ("UM", "United States Minor Outlying Islands"),
    ("FM", "Federated States of Micronesia"),
    ("MH", "Marshall Islands"),
    ("PW", "Palau"),
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
];

/// The Italian provinces and metropolitan cities by their *sigla* (what Poste Italiane prints
/// after the town), with their names; the four Sardinian *sigle* of 2005–2016 (CI, VS, OG, OT),
/// which addresses still carry, are accepted too.
pub const IT_PROVINCES: &[(&str, &str)] = &[
    ("AG", "Agrigento"),
    ("AL", "Alessandria"),
    ("AN", "Ancona"),
    ("AO", "Aosta"),
    ("AP", "Ascoli Piceno"),
    ("AQ", "L'Aquila"),
    ("AR", "Arezzo"),
    ("AT", "Asti"),
    ("AV", "Avellino"),
    ("BA", "Bari"),
    ("BG", "Bergamo"),
    ("BI", "Biella"),
    ("BL", "Belluno"),
    ("BN", "Benevento"),
    ("BO", "Bologna"),
    ("BR", "Brindisi"),
    ("BS", "Brescia"),
    ("BT", "Barletta-Andria-Trani"),
    ("BZ", "Bolzano"),
    ("CA", "Cagliari"),
    ("CB", "Campobasso"),
    ("CE", "Caserta"),
    ("CH", "Chieti"),
    ("CL", "Caltanissetta"),
    ("CN", "Cuneo"),
    ("CO", "Como"),
    ("CR", "Cremona"),
    ("CS", "Cosenza"),
    ("CT", "Catania"),
    ("CZ", "Catanzaro"),
    ("EN", "Enna"),
    ("FC", "Forlì-Cesena"),
    ("FE", "Ferrara"),
    ("FG", "Foggia"),
    ("FI", "Firenze"),
    ("FM", "Fermo"),
    ("FR", "Frosinone"),
    ("GE", "Genova"),
    ("GO", "Gorizia"),
    ("GR", "Grosseto"),
    ("IM", "Imperia"),
    ("IS", "Isernia"),
    ("KR", "Crotone"),
    ("LC", "Lecco"),
    ("LE", "Lecce"),
    ("LI", "Livorno"),
    ("LO", "Lodi"),
    ("LT", "Latina"),
    ("LU", "Lucca"),
    ("MB", "Monza e Brianza"),
    ("MC", "Macerata"),
    ("ME", "Messina"),
    ("MI", "Milano"),
    ("MN", "Mantova"),
    ("MO", "Modena"),
    ("MS", "Massa-Carrara"),
    ("MT", "Matera"),
    ("NA", "Napoli"),
    ("NO", "Novara"),
    ("NU", "Nuoro"),
    ("OR", "Oristano"),
    ("PA", "Palermo"),
    ("PC", "Piacenza"),
    ("PD", "Padova"),
    ("PE", "Pescara"),
    ("PG", "Perugia"),
    ("PI", "Pisa"),
    ("PN", "Pordenone"),
    ("PO", "Prato"),
    ("PR", "Parma"),
    ("PT", "Pistoia"),
    ("PU", "Pesaro e Urbino"),
    ("PV", "Pavia"),
    ("PZ", "Potenza"),
    ("RA", "Ravenna"),
    ("RC", "Reggio Calabria"),
    ("RE", "Reggio Emilia"),
    ("RG", "Ragusa"),
    ("RI", "Rieti"),
    ("RM", "Roma"),
    ("RN", "Rimini"),
    ("RO", "Rovigo"),
    ("SA", "Salerno"),
    ("SI", "Siena"),
    ("SO", "Sondrio"),
    ("SP", "La Spezia"),
    ("SR", "Siracusa"),
    ("SS", "Sassari"),
    ("SU", "Sud Sardegna"),
    ("SV", "Savona"),
    ("TA", "Taranto"),
    ("TE", "Teramo"),
    ("TN", "Trento"),
    ("TO", "Torino"),
    ("TP", "Trapani"),
    ("TR", "Terni"),
    ("TS", "Trieste"),
    ("TV", "Treviso"),
    ("UD", "Udine"),
    ("VA", "Varese"),
    ("VB", "Verbano-Cusio-Ossola"),
    ("VC", "Vercelli"),
    ("VE", "Venezia"),
    ("VI", "Vicenza"),
    ("VR", "Verona"),
    ("VT", "Viterbo"),
    ("VV", "Vibo Valentia"),
    ("CI", "Carbonia-Iglesias"),
    ("VS", "Medio Campidano"),
    ("OG", "Ogliastra"),
    ("OT", "Olbia-Tempio"),
];

/// English names of Italian provinces that foreign CRMs write.
const IT_PROVINCE_ALIASES: &[(&str, &str)] = &[
    ("rome", "RM"),
    ("milan", "MI"),
    ("florence", "FI"),
    ("naples", "NA"),
    ("turin", "TO"),
    ("venice", "VE"),
    ("genoa", "GE"),
    ("padua", "PD"),
    ("mantua", "MN"),
    ("syracuse", "SR"),
    ("bozen", "BZ"),
    ("aquila", "AQ"),
    ("spezia", "SP"),
    ("forli", "FC"),
    ("massa", "MS"),
    ("pesaro", "PU"),
    ("monza", "MB"),
    ("gallura", "OT"),
    ("galluranordestsardegna", "OT"),
    ("sulcisiglesiente", "CI"),
];

/// The code of the region `text` names in `table`: its code (any case) or its name.
fn region(
    table: &[(&'static str, &'static str)],
    aliases: &[(&str, &'static str)],
    text: &str,
) -> Option<&'static str> {
    let t = text.trim().trim_end_matches('.');
    let upper = t.to_uppercase();
    if let Some((code, _)) = table.iter().find(|(code, _)| *code == upper) {
        return Some(code);
    }
    let folded = fold(t);
    table
        .iter()
        .find(|(_, name)| fold(name) == folded)
        .map(|(code, _)| *code)
        .or_else(|| aliases.iter().find(|(a, _)| *a == folded).map(|(_, c)| *c))
}

/// The USPS code of the US state, territory or military "state" `text` names (`IL`,
/// `Illinois`, `il`).
#[must_use]
pub fn us_state(text: &str) -> Option<&'static str> {
    region(
        US_STATES,
        &[("washingtondc", "DC"), ("usvirginislands", "VI")],
        text,
    )
}

/// The *sigla* of the Italian province `text` names (`MI`, `Milano`, `Milan`, `(MI)`).
#[must_use]
pub fn it_province(text: &str) -> Option<&'static str> {
    let t = text.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t);
    region(IT_PROVINCES, IT_PROVINCE_ALIASES, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_code_name_and_crm_spelling() {
        for (text, code) in [
            ("US", "US"),
            ("usa", "US"),
            ("U.S.A.", "US"),
            ("United States", "US"),
            ("United States of America", "US"),
            ("Stati Uniti", "US"),
            ("IT", "IT"),
            ("ITA", "IT"),
            ("Italia", "IT"),
            ("ITALY", "IT"),
            ("Regno Unito", "GB"),
            ("UK", "GB"),
            ("Côte d'Ivoire", "CI"),
            ("Germania", "DE"),
            ("Deutschland", "DE"),
            ("Svizzera", "CH"),
            ("San Marino", "SM"),
            ("CAN", "CA"),
        ] {
            assert_eq!(country(text).map(|c| c.alpha2), Some(code), "{text}");
        }
        for nothing in ["", "N/A", "-", "XX", "Atlantis", "1", "U"] {
            assert_eq!(country(nothing), None, "{nothing}");
        }
        let us = country("us").unwrap();
        assert_eq!(
            (us.english, us.italian, us.alpha3),
            ("United States", "Stati Uniti", "USA")
        );
        assert_eq!(COUNTRIES.list.len(), 249);
    }

    #[test]
    fn states_and_provinces() {
        assert_eq!(us_state("IL"), Some("IL"));
        assert_eq!(us_state("il"), Some("IL"));
        assert_eq!(us_state("Illinois"), Some("IL"));
        assert_eq!(us_state("new york"), Some("NY"));
        assert_eq!(us_state("Puerto Rico"), Some("PR"));
        for bad in ["", "XX", "Illinos", "Ill."] {
            assert_eq!(us_state(bad), None, "{bad}");
        }
        assert_eq!(US_STATES.len(), 63);
        assert_eq!(it_province("MI"), Some("MI"));
        assert_eq!(it_province("(mi)"), Some("MI"));
        assert_eq!(it_province("Milano"), Some("MI"));
        assert_eq!(it_province("Milan"), Some("MI"));
        assert_eq!(it_province("Forlì-Cesena"), Some("FC"));
        assert_eq!(it_province("forli cesena"), Some("FC"));
        assert_eq!(it_province("L'Aquila"), Some("AQ"));
        assert_eq!(it_province("XX"), None);
        // 107 provinces and metropolitan cities, and four former Sardinian ones.
        assert_eq!(IT_PROVINCES.len(), 111);
        let mut codes: Vec<&str> = IT_PROVINCES.iter().map(|p| p.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), IT_PROVINCES.len());
    }
}
