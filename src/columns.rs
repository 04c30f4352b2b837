//! Which header of a contacts file is which column dripmail knows: what the campaign's
//! `[columns]` says, else the columns of a known CRM export (named by `[columns] preset`, or
//! recognised from the header), else the column's own name or a common synonym of it, in
//! English or Italian, compared without case, accents, spaces or punctuation
//! (`First Name` = `first_name`, `Città` = `citta`).

use std::collections::BTreeMap;

use crate::contacts::Field;
use crate::dates::DateOrder;
use crate::places::fold;

/// The columns of a real CRM export, as it writes them.
#[derive(Debug)]
pub struct Preset {
    /// The key for `[columns] preset`.
    pub id: &'static str,
    /// What the export is, for people.
    pub title: &'static str,
    /// Folded headers that all appear in this export's header, and together in no other's.
    signature: &'static [&'static str],
    /// Each field's header in the export, as written; the first one the file has is used.
    columns: &'static [(Field, &'static [&'static str])],
    /// A column holding the whole address, its parts separated by two spaces (Mailchimp).
    pub combined_address: Option<&'static str>,
    /// How the export writes a date like 03/10/2026, when it always writes them one way.
    pub slash_dates: Option<DateOrder>,
    /// The header line of such an export: the tests map it, and check that the docs show it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub sample_header: &'static str,
}

/// The exports dripmail reads without a `[columns]` section.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "hubspot",
        title: "HubSpot contacts export",
        signature: &["recordid", "createdate"],
        columns: &[
            (Field::Id, &["Record ID"]),
            (Field::FirstName, &["First Name"]),
            (Field::LastName, &["Last Name"]),
            (Field::Company, &["Company Name"]),
            (Field::Address1, &["Street Address"]),
            (Field::Address2, &["Street Address 2"]),
            (Field::City, &["City"]),
            (Field::State, &["State/Region"]),
            (Field::PostalCode, &["Postal Code"]),
            (Field::Country, &["Country/Region"]),
            (Field::EnrolledOn, &["Create Date"]),
        ],
        combined_address: None,
        slash_dates: None,
        sample_header: "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Street Address,City,State/Region,Postal Code,Country/Region,Create Date,Lifecycle Stage,Contact owner",
    },
    Preset {
        id: "mailchimp",
        title: "Mailchimp audience export",
        signature: &["leid", "euid", "optintime"],
        columns: &[
            (Field::Id, &["LEID"]),
            (Field::FirstName, &["First Name"]),
            (Field::LastName, &["Last Name"]),
            (Field::Company, &["Company"]),
            (Field::EnrolledOn, &["CONFIRM_TIME", "OPTIN_TIME"]),
        ],
        combined_address: Some("Address"),
        slash_dates: None,
        sample_header: "Email Address,First Name,Last Name,Address,Phone Number,Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS",
    },
    Preset {
        id: "salesforce",
        title: "Salesforce contacts report or Data Loader export",
        signature: &["mailingstreet", "mailingcity"],
        columns: &[
            (Field::Id, &["Contact ID", "Id"]),
            (Field::FirstName, &["First Name"]),
            (Field::LastName, &["Last Name"]),
            (Field::Company, &["Account Name", "Account.Name"]),
            (Field::Address1, &["Mailing Street"]),
            (Field::City, &["Mailing City"]),
            (
                Field::State,
                &[
                    "Mailing State/Province",
                    "Mailing State",
                    "MailingStateCode",
                ],
            ),
            (
                Field::PostalCode,
                &["Mailing Zip/Postal Code", "Mailing Postal Code"],
            ),
            (Field::Country, &["Mailing Country", "MailingCountryCode"]),
            (Field::EnrolledOn, &["Created Date"]),
        ],
        combined_address: None,
        slash_dates: None,
        sample_header: "Contact ID,First Name,Last Name,Account Name,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Email,Created Date",
    },
    Preset {
        id: "shopify",
        title: "Shopify customers export",
        signature: &["defaultaddressaddress1", "defaultaddresszip"],
        columns: &[
            (Field::Id, &["Customer ID"]),
            (Field::FirstName, &["First Name"]),
            (Field::LastName, &["Last Name"]),
            (Field::Company, &["Default Address Company"]),
            (Field::Address1, &["Default Address Address1"]),
            (Field::Address2, &["Default Address Address2"]),
            (Field::City, &["Default Address City"]),
            (Field::State, &["Default Address Province Code"]),
            (Field::PostalCode, &["Default Address Zip"]),
            (Field::Country, &["Default Address Country Code"]),
        ],
        combined_address: None,
        slash_dates: None,
        sample_header: "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags",
    },
    Preset {
        id: "italian",
        title: "Italian spreadsheet (Nome, Cognome, Indirizzo, CAP, Città, Provincia)",
        signature: &["nome", "cognome", "indirizzo", "cap"],
        columns: &[
            (Field::Id, &["Codice", "Codice cliente", "ID cliente", "ID"]),
            (Field::FirstName, &["Nome"]),
            (Field::LastName, &["Cognome"]),
            (Field::Company, &["Azienda", "Ragione sociale", "Società"]),
            (Field::Address1, &["Indirizzo", "Via"]),
            (Field::Address2, &["Presso", "Indirizzo 2", "Interno"]),
            (Field::City, &["Città", "Comune", "Località"]),
            (Field::State, &["Provincia", "Prov", "Sigla provincia"]),
            (Field::PostalCode, &["CAP"]),
            (Field::Country, &["Nazione", "Paese", "Stato"]),
            (
                Field::EnrolledOn,
                &[
                    "Data iscrizione",
                    "Iscritto il",
                    "Data registrazione",
                    "Data",
                ],
            ),
        ],
        combined_address: None,
        slash_dates: Some(DateOrder::DayMonth),
        sample_header: "Codice;Nome;Cognome;Azienda;Indirizzo;CAP;Città;Provincia;Nazione;Data iscrizione",
    },
];

/// Common names of each field in exports no preset describes, folded, best first.
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::Id,
        &[
            "contactid",
            "recordid",
            "customerid",
            "customernumber",
            "customerno",
            "clientid",
            "memberid",
            "subscriberid",
            "accountnumber",
            "codicecliente",
            "idcliente",
            "codice",
        ],
    ),
    (
        Field::FirstName,
        &[
            "firstname",
            "givenname",
            "forename",
            "fname",
            "first",
            "nome",
        ],
    ),
    (
        Field::LastName,
        &[
            "lastname",
            "surname",
            "familyname",
            "lname",
            "last",
            "cognome",
        ],
    ),
    (
        Field::Name,
        &[
            "fullname",
            "contactname",
            "nominativo",
            "nomecompleto",
            "nomeecognome",
        ],
    ),
    (
        Field::Company,
        &[
            "companyname",
            "organization",
            "organisation",
            "business",
            "accountname",
            "azienda",
            "ragionesociale",
            "societa",
        ],
    ),
    (
        Field::Address1,
        &[
            "address",
            "addressline1",
            "street",
            "streetaddress",
            "street1",
            "addr1",
            "mailingstreet",
            "indirizzo",
            "via",
        ],
    ),
    (
        Field::Address2,
        &[
            "addressline2",
            "street2",
            "streetaddress2",
            "addr2",
            "apartment",
            "suite",
            "unit",
            "presso",
            "indirizzo2",
        ],
    ),
    (
        Field::City,
        &[
            "town",
            "locality",
            "mailingcity",
            "citta",
            "comune",
            "localita",
        ],
    ),
    (
        Field::State,
        &[
            "stateregion",
            "stateprovince",
            "statecode",
            "province",
            "provincecode",
            "region",
            "mailingstate",
            "provincia",
            "prov",
            "siglaprovincia",
        ],
    ),
    (
        Field::PostalCode,
        &[
            "zip",
            "zipcode",
            "postcode",
            "zippostalcode",
            "mailingzippostalcode",
            "mailingpostalcode",
            "cap",
            "codicepostale",
        ],
    ),
    (
        Field::Country,
        &[
            "countryregion",
            "countrycode",
            "nation",
            "mailingcountry",
            "nazione",
            "paese",
        ],
    ),
    (
        Field::EnrolledOn,
        &[
            "enrolled",
            "enrollmentdate",
            "enrolmentdate",
            "signupdate",
            "signedup",
            "subscribedon",
            "createdate",
            "createddate",
            "createdat",
            "datecreated",
            "dataiscrizione",
            "iscrittoil",
            "dataregistrazione",
        ],
    ),
];

/// How a field was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The campaign's `[columns]`.
    Columns,
    /// The preset's columns.
    Preset,
    /// Split out of the preset's combined address column.
    Split,
    /// The header is the field's name (`Postal Code` for `postal_code`).
    Name,
    /// The header is a common synonym (`ZIP` for `postal_code`).
    Synonym,
}

/// Where each known field is, and how it was found.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    /// Column of each field (`Field as usize`); columns past the file's are split out of
    /// [`Mapping::combined_address`], in [`SPLIT_FIELDS`] order.
    pub index: [Option<usize>; 13],
    /// How each field was found.
    pub source: [Option<Source>; 13],
    /// The preset in force, and whether it was recognised from the header (not named).
    pub preset: Option<(&'static Preset, bool)>,
    /// The column holding whole addresses, when the preset has one.
    pub combined_address: Option<usize>,
}

/// The fields a combined address column is split into, in the order of their columns after
/// the file's own.
pub const SPLIT_FIELDS: [Field; 6] = [
    Field::Address1,
    Field::Address2,
    Field::City,
    Field::State,
    Field::PostalCode,
    Field::Country,
];

impl Source {
    /// Its name in `validate`'s output.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Source::Columns => "campaign [columns]",
            Source::Preset => "preset",
            Source::Split => "split from the address",
            Source::Name => "header name",
            Source::Synonym => "common name",
        }
    }
}

impl Mapping {
    /// Each mapped field with its header (for split fields, the combined column's) and how it
    /// was found, in field order.
    #[must_use]
    pub fn fields<'h>(&self, headers: &'h [String]) -> Vec<(Field, &'h str, Source)> {
        Field::ALL
            .iter()
            .filter_map(|&f| {
                let i = self.index[f as usize]?;
                let source = self.source[f as usize]?;
                let i = if source == Source::Split {
                    self.combined_address?
                } else {
                    i
                };
                Some((f, headers.get(i)?.as_str(), source))
            })
            .collect()
    }
}

/// A needed field the header lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The field.
    pub field: Field,
    /// The header `[columns]` named for it, which the file lacks.
    pub mapped: Option<String>,
    /// The unused header most like it, if any is.
    pub closest: Option<String>,
}

/// The preset with key `id`.
#[must_use]
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

/// Maps `headers` onto the known fields.
///
/// `columns` is the campaign's `[columns]` (field name → header), `preset` its
/// `[columns] preset`; `state_needed` says whether a file without a state column must be
/// refused (every row would be a US address without its state), `enrolled_needed` whether
/// one without an enrolment date must (the campaign gives none).
///
/// # Errors
/// Every needed field that is missing, and every `[columns]` header the file lacks, at once.
pub fn map(
    headers: &[String],
    columns: &BTreeMap<String, String>,
    preset: Option<&'static Preset>,
    state_needed: bool,
    enrolled_needed: bool,
) -> Result<Mapping, Vec<Missing>> {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut m = Mapping::default();
    let mut used = vec![false; headers.len()];
    let mut missing = Vec::new();
    let find = |used: &[bool], name: &str| {
        let f = fold(name);
        headers
            .iter()
            .position(|h| h == name)
            .or_else(|| folded.iter().position(|h| *h == f))
            .filter(|&i| !used[i])
    };
    let set = |m: &mut Mapping, used: &mut Vec<bool>, field: Field, i: usize, s: Source| {
        m.index[field as usize] = Some(i);
        m.source[field as usize] = Some(s);
        used[i] = true;
    };
    for field in Field::ALL {
        if let Some(header) = columns.get(field.name()) {
            match find(&used, header) {
                Some(i) => set(&mut m, &mut used, field, i, Source::Columns),
                None => missing.push(Missing {
                    field,
                    mapped: Some(header.clone()),
                    closest: None,
                }),
            }
        }
    }
    // A field `[columns]` names is looked for under that header only.
    let free = |m: &Mapping, field: Field| {
        m.index[field as usize].is_none() && !columns.contains_key(field.name())
    };
    let named = preset.is_some();
    let preset = preset.or_else(|| {
        PRESETS
            .iter()
            .find(|p| p.signature.iter().all(|s| folded.iter().any(|h| h == s)))
    });
    if let Some(p) = preset {
        m.preset = Some((p, !named));
        for (field, names) in p.columns {
            if !free(&m, *field) {
                continue;
            }
            if let Some(i) = names.iter().find_map(|n| find(&used, n)) {
                set(&mut m, &mut used, *field, i, Source::Preset);
            }
        }
        if let Some(combined) = p.combined_address
            && let Some(i) = find(&used, combined)
        {
            used[i] = true;
            m.combined_address = Some(i);
            for (k, field) in SPLIT_FIELDS.iter().enumerate() {
                if free(&m, *field) {
                    m.index[*field as usize] = Some(headers.len() + k);
                    m.source[*field as usize] = Some(Source::Split);
                }
            }
        }
    }
    for field in Field::ALL {
        if free(&m, field)
            && let Some(i) = find(&used, field.name())
        {
            set(&mut m, &mut used, field, i, Source::Name);
        }
    }
    // A preset says where its export keeps each field: a synonym could only pick a column
    // that means something else there (Mailchimp's `REGION` is where the IP address is).
    if preset.is_none() {
        for (field, names) in SYNONYMS {
            if !free(&m, *field) {
                continue;
            }
            if let Some(i) = names.iter().find_map(|n| find(&used, n)) {
                set(&mut m, &mut used, *field, i, Source::Synonym);
            }
        }
    }
    let mut needed = vec![Field::Id, Field::Address1, Field::City, Field::PostalCode];
    if enrolled_needed {
        needed.push(Field::EnrolledOn);
    }
    if m.index[Field::Name as usize].is_none() {
        needed.insert(1, Field::FirstName);
        needed.insert(2, Field::LastName);
    }
    if state_needed && m.index[Field::Country as usize].is_none() {
        needed.push(Field::State);
    }
    for field in needed {
        if m.index[field as usize].is_none() && !missing.iter().any(|x| x.field == field) {
            missing.push(Missing {
                field,
                mapped: None,
                closest: None,
            });
        }
    }
    if missing.is_empty() {
        return Ok(m);
    }
    for x in &mut missing {
        x.closest = closest(x.field, headers, &folded, &used);
    }
    missing.sort_by_key(|x| x.field);
    Err(missing)
}

/// The unused header most like `field`'s name or synonyms (Jaro–Winkler similarity of the
/// folded names, at least 0.8), or containing one of them.
fn closest(field: Field, headers: &[String], folded: &[String], used: &[bool]) -> Option<String> {
    let names: Vec<String> = std::iter::once(fold(field.name()))
        .chain(
            SYNONYMS
                .iter()
                .filter(|(f, _)| *f == field)
                .flat_map(|(_, n)| n.iter().map(|s| (*s).to_string())),
        )
        .collect();
    let mut best: Option<(f64, usize)> = None;
    for (i, h) in folded.iter().enumerate() {
        if used[i] || h.is_empty() {
            continue;
        }
        for n in &names {
            let mut score = strsim::jaro_winkler(h, n);
            if n.len() >= 4 && h.contains(n.as_str()) {
                score = score.max(0.9);
            }
            if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
    }
    best.map(|(_, i)| headers[i].clone())
}

/// Splits a combined address (Mailchimp's form: `street  [line 2]  city  state  ZIP  [country]`,
/// parts separated by two spaces) into [`SPLIT_FIELDS`] order.
///
/// # Errors
/// Why the value is no such address.
pub fn split_address(value: &str) -> Result<[String; 6], String> {
    let mut parts: Vec<&str> = value
        .split("  ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Ok(Default::default());
    }
    let country = match parts.last() {
        Some(last) if parts.len() >= 5 && crate::places::country(last).is_some() => {
            parts.pop().unwrap_or_default()
        }
        _ => "",
    };
    if !(4..=5).contains(&parts.len()) {
        return Err(format!(
            "the address `{value}` does not split into street, city, state and ZIP: Mailchimp separates its parts with two spaces"
        ));
    }
    let n = parts.len();
    let line2 = if n == 5 { parts[1] } else { "" };
    Ok([
        parts[0].to_string(),
        line2.to_string(),
        parts[n - 3].to_string(),
        parts[n - 2].to_string(),
        parts[n - 1].to_string(),
        country.to_string(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(line: &str) -> Vec<String> {
        line.split([',', ';']).map(str::to_string).collect()
    }

    fn mapped(m: &Mapping, h: &[String], field: Field) -> String {
        match m.index[field as usize] {
            Some(i) if i < h.len() => h[i].clone(),
            Some(i) => format!("split {}", SPLIT_FIELDS[i - h.len()].name()),
            None => String::new(),
        }
    }

    #[test]
    fn every_preset_maps_its_own_sample_header_and_is_recognised() {
        for p in PRESETS {
            let h = headers(p.sample_header);
            let needed = p.id != "shopify";
            let m = match map(&h, &BTreeMap::new(), None, true, true) {
                Ok(m) => m,
                Err(missing) if !needed => {
                    // Shopify exports no enrolment date: the campaign gives one.
                    assert_eq!(missing.len(), 1, "{missing:?}");
                    assert_eq!(missing[0].field, Field::EnrolledOn);
                    continue;
                }
                Err(missing) => panic!("{}: {missing:?}", p.id),
            };
            assert_eq!(
                m.preset.map(|(q, detected)| (q.id, detected)),
                Some((p.id, true))
            );
            for field in [
                Field::Id,
                Field::FirstName,
                Field::LastName,
                Field::EnrolledOn,
            ] {
                assert!(m.index[field as usize].is_some(), "{} {field:?}", p.id);
            }
        }
    }

    #[test]
    fn the_docs_show_every_preset_and_every_synonym() {
        let docs = include_str!("../docs/campaign.md");
        for p in PRESETS {
            assert!(docs.contains(&format!("| `{}` |", p.id)), "{}", p.id);
            assert!(docs.contains(p.sample_header), "{}", p.id);
        }
        let folded = fold(docs);
        for (field, names) in SYNONYMS {
            for n in *names {
                assert!(
                    folded.contains(n),
                    "{field:?}: {n} is not in docs/campaign.md"
                );
            }
        }
    }

    #[test]
    fn presets_point_at_the_right_columns() {
        let h = headers(preset("hubspot").unwrap().sample_header);
        let m = map(&h, &BTreeMap::new(), None, true, true).unwrap();
        assert_eq!(mapped(&m, &h, Field::State), "State/Region");
        assert_eq!(mapped(&m, &h, Field::Country), "Country/Region");
        assert_eq!(mapped(&m, &h, Field::PostalCode), "Postal Code");
        let h = headers(preset("mailchimp").unwrap().sample_header);
        let m = map(&h, &BTreeMap::new(), None, true, true).unwrap();
        // REGION and CC are where the subscriber's IP address is, not their address.
        assert_eq!(mapped(&m, &h, Field::State), "split state");
        assert_eq!(mapped(&m, &h, Field::Country), "split country");
        assert_eq!(mapped(&m, &h, Field::EnrolledOn), "CONFIRM_TIME");
        let h = headers(preset("italian").unwrap().sample_header);
        let m = map(&h, &BTreeMap::new(), None, true, true).unwrap();
        assert_eq!(mapped(&m, &h, Field::City), "Città");
        assert_eq!(mapped(&m, &h, Field::Country), "Nazione");
    }

    #[test]
    fn names_and_synonyms_match_without_case_or_punctuation() {
        let h = headers("Customer No,First Name,SURNAME,Street,Town,State,ZIP Code,Signup Date");
        let m = map(&h, &BTreeMap::new(), None, true, true).unwrap();
        assert_eq!(m.preset.map(|p| p.0.id), None);
        assert_eq!(mapped(&m, &h, Field::Id), "Customer No");
        assert_eq!(mapped(&m, &h, Field::FirstName), "First Name");
        assert_eq!(mapped(&m, &h, Field::LastName), "SURNAME");
        assert_eq!(mapped(&m, &h, Field::PostalCode), "ZIP Code");
        assert_eq!(m.source[Field::FirstName as usize], Some(Source::Name));
        assert_eq!(m.source[Field::PostalCode as usize], Some(Source::Synonym));
    }

    #[test]
    fn everything_missing_is_said_at_once_with_the_closest_header() {
        let h = headers("Cust Ref,Name,Addr Line,City,Zip Cd,Joined,Email");
        let mut columns = BTreeMap::new();
        columns.insert("city".to_string(), "Town".to_string());
        let missing = map(&h, &columns, None, true, true).unwrap_err();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = missing
            .iter()
            .map(|x| (x.field.name(), x.mapped.as_deref(), x.closest.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("id", None, Some("Cust Ref")),
                ("address1", None, Some("Addr Line")),
                ("city", Some("Town"), Some("City")),
                ("state", None, None),
                ("postal_code", None, Some("Zip Cd")),
                ("enrolled_on", None, None),
            ]
        );
    }

    #[test]
    fn mailchimp_addresses_split_into_their_parts() {
        assert_eq!(
            split_address("1701 Bristol Ave.  Barrington  RI  02806  USA").unwrap(),
            ["1701 Bristol Ave.", "", "Barrington", "RI", "02806", "USA"].map(String::from)
        );
        assert_eq!(
            split_address("512 Means St.  Suite 404  Atlanta  GA  30318  US").unwrap(),
            ["512 Means St.", "Suite 404", "Atlanta", "GA", "30318", "US"].map(String::from)
        );
        assert_eq!(
            split_address("512 Means St.  Atlanta  GA  30318").unwrap()[4],
            "30318"
        );
        assert!(split_address("512 Means St. Atlanta GA 30318").is_err());
        assert_eq!(split_address("  ").unwrap(), <[String; 6]>::default());
    }
}
