//! The contacts CSV: column mapping, row checks, and compact per-contact records.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};

use crate::csvin::{CsvError, Row, Table};

/// A row of an input file that was not used, and why (one line of `rejects.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The input file.
    pub file: PathBuf,
    /// 1-based line number in that file.
    pub line: u64,
    /// Why the row was not used, and what to do.
    pub reason: String,
}

/// A field dripmail knows by name (see SPEC's contacts columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Id,
    FirstName,
    LastName,
    Name,
    Company,
    Address1,
    Address2,
    City,
    State,
    PostalCode,
    Country,
    EnrolledOn,
    DeliveryPoint,
}

impl Field {
    /// Every field, in declaration order (`field as usize` indexes this array).
    pub const ALL: [Field; 13] = [
        Field::Id,
        Field::FirstName,
        Field::LastName,
        Field::Name,
        Field::Company,
        Field::Address1,
        Field::Address2,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Country,
        Field::EnrolledOn,
        Field::DeliveryPoint,
    ];

    /// The field's name in campaigns, templates and the manifest.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Name => "name",
            Field::Company => "company",
            Field::Address1 => "address1",
            Field::Address2 => "address2",
            Field::City => "city",
            Field::State => "state",
            Field::PostalCode => "postal_code",
            Field::Country => "country",
            Field::EnrolledOn => "enrolled_on",
            Field::DeliveryPoint => "delivery_point",
        }
    }
}

#[cfg(test)]
mod field_tests {
    use super::Field;

    #[test]
    fn all_lists_every_field_at_its_own_index_with_a_distinct_name() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f:?}");
        }
        let mut names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }
}

/// Where each known field is in the file's header, and the names templates can use.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Header names as in the file.
    pub headers: Vec<String>,
    index: [Option<usize>; 13],
    /// Country for rows without one.
    pub default_country: String,
}

impl Schema {
    /// Column index of `field`, if the file has it.
    #[must_use]
    pub fn index(&self, field: Field) -> Option<usize> {
        self.index[field as usize]
    }

    /// Every name a template may use for a contact value: each header as written, its
    /// snake_case alias (`Loyalty Tier` → `loyalty_tier`), and the known field names mapped
    /// by `[columns]`. Values are column indexes.
    #[must_use]
    pub fn template_names(&self) -> BTreeMap<String, usize> {
        let mut names = BTreeMap::new();
        for (i, h) in self.headers.iter().enumerate() {
            names.entry(snake_case(h)).or_insert(i);
        }
        for (i, h) in self.headers.iter().enumerate() {
            names.insert(h.clone(), i);
        }
        for field in Field::ALL {
            if let Some(i) = self.index(field) {
                names.insert(field.name().to_string(), i);
            }
        }
        names
    }
}

/// `Loyalty Tier` → `loyalty_tier`: a header name usable as a template variable.
#[must_use]
pub fn snake_case(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// One usable contact. Values are kept as the row's trimmed fields in header order.
#[derive(Clone, Debug)]
pub struct Contact {
    /// The contact's id, as written (inline up to 23 bytes: no allocation of its own).
    pub id: smol_str::SmolStr,
    /// Line in the contacts file.
    pub line: u64,
    /// Enrolment date.
    pub enrolled_on: NaiveDate,
    /// Every field of the row, trimmed, one after the other in header order: one allocation
    /// a contact instead of one a field (a 100,000-row file took 48 MB, now 20).
    text: Box<str>,
    /// Where each field ends in `text`.
    ends: Box<[u32]>,
}

impl Contact {
    /// The value of column `index`, or "".
    #[must_use]
    pub fn value(&self, index: Option<usize>) -> &str {
        let Some(i) = index else { return "" };
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    pub(crate) fn new(id: &str, line: u64, enrolled_on: NaiveDate, fields: &[String]) -> Contact {
        let mut text = String::with_capacity(fields.iter().map(String::len).sum());
        let mut ends = Vec::with_capacity(fields.len());
        for f in fields {
            text.push_str(f.trim());
            // A row is far shorter than 4 GB: the CSV reader holds it in memory.
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Contact {
            id: id.into(),
            line,
            enrolled_on,
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

/// The contacts of one cycle, with the rows that could not be used.
#[derive(Clone, Debug)]
pub struct Contacts {
    /// The file's columns.
    pub schema: Schema,
    /// Usable contacts, in file order.
    pub list: Vec<Contact>,
    /// Rows not used.
    pub rejects: Vec<Reject>,
    /// True when every id is made of digits, so ids compare as numbers.
    pub numeric_ids: bool,
}

impl Contacts {
    /// Reads the contacts CSV at `path`, mapping headers through `columns`.
    ///
    /// # Errors
    /// Fails when the file cannot be read or lacks a needed column; bad rows become rejects.
    pub fn load(
        path: &Path,
        columns: &BTreeMap<String, String>,
        default_country: &str,
    ) -> Result<Contacts, CsvError> {
        let mut table = Table::open(path)?;
        let schema = schema_for(&table, columns, default_country)?;
        let mut list = Vec::new();
        let mut rejects = Vec::new();
        let mut seen: HashMap<smol_str::SmolStr, u64> = HashMap::new();
        let mut row = Row::default();
        loop {
            match table.next_row(&mut row) {
                Ok(false) => break,
                Ok(true) => match contact_from_row(&row, &schema, &seen) {
                    Ok(contact) => {
                        seen.insert(contact.id.clone(), contact.line);
                        list.push(contact);
                    }
                    Err(reason) => rejects.push(Reject {
                        file: path.to_path_buf(),
                        line: row.line,
                        reason,
                    }),
                },
                Err(Ok(bad)) => rejects.push(Reject {
                    file: path.to_path_buf(),
                    line: bad.line,
                    reason: bad.reason,
                }),
                Err(Err(fatal)) => return Err(fatal),
            }
        }
        let numeric_ids = list
            .iter()
            .all(|c| c.id.bytes().all(|b| b.is_ascii_digit()));
        Ok(Contacts {
            schema,
            list,
            rejects,
            numeric_ids,
        })
    }

    /// Orders two ids by SPEC's rule: as numbers when every id is digits, else as text.
    #[must_use]
    pub fn compare_ids(&self, a: &str, b: &str) -> Ordering {
        compare_ids(self.numeric_ids, a, b)
    }

    /// The contact's display name: `first last`, or the `name` column.
    #[must_use]
    pub fn full_name(&self, c: &Contact) -> String {
        let s = &self.schema;
        let first = c.value(s.index(Field::FirstName));
        let last = c.value(s.index(Field::LastName));
        let joined = format!("{first} {last}");
        let joined = joined.trim();
        if joined.is_empty() {
            c.value(s.index(Field::Name)).to_string()
        } else {
            joined.to_string()
        }
    }

    /// The family name used for household duplicates: `last_name`, or the last word of `name`.
    #[must_use]
    pub fn last_name<'a>(&self, c: &'a Contact) -> &'a str {
        let last = c.value(self.schema.index(Field::LastName));
        if last.is_empty() {
            c.value(self.schema.index(Field::Name))
                .split_whitespace()
                .last()
                .unwrap_or("")
        } else {
            last
        }
    }

    /// The value of a known field ("" when the file lacks it); `country` falls back to the default.
    #[must_use]
    pub fn get<'a>(&'a self, c: &'a Contact, field: Field) -> &'a str {
        let v = c.value(self.schema.index(field));
        if field == Field::Country && v.is_empty() {
            &self.schema.default_country
        } else {
            v
        }
    }
}

/// Orders ids as numbers (any length, leading zeros ignored) or as text.
#[must_use]
pub fn compare_ids(numeric: bool, a: &str, b: &str) -> Ordering {
    if numeric {
        let a2 = a.trim_start_matches('0');
        let b2 = b.trim_start_matches('0');
        a2.len()
            .cmp(&b2.len())
            .then_with(|| a2.cmp(b2))
            .then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

fn schema_for(
    table: &Table,
    columns: &BTreeMap<String, String>,
    default_country: &str,
) -> Result<Schema, CsvError> {
    let mut index = [None; 13];
    for field in Field::ALL {
        let header = columns
            .get(field.name())
            .map_or(field.name(), String::as_str);
        index[field as usize] = table.column(header);
        if index[field as usize].is_none() && columns.contains_key(field.name()) {
            return Err(CsvError::MissingColumn {
                path: table.path().to_path_buf(),
                column: header.to_string(),
                mapped: Some(field.name().to_string()),
                hint: Some(
                    "the header in [columns] must be written as in the file's first line".into(),
                ),
            });
        }
    }
    let missing = |field: Field| CsvError::MissingColumn {
        path: table.path().to_path_buf(),
        column: field.name().to_string(),
        mapped: None,
        hint: Some(format!(
            "rename the header, or map it in the campaign: [columns] {} = \"Your Header\"",
            field.name()
        )),
    };
    for field in [
        Field::Id,
        Field::Address1,
        Field::City,
        Field::PostalCode,
        Field::EnrolledOn,
    ] {
        if index[field as usize].is_none() {
            return Err(missing(field));
        }
    }
    if index[Field::Name as usize].is_none()
        && (index[Field::FirstName as usize].is_none() || index[Field::LastName as usize].is_none())
    {
        return Err(if index[Field::FirstName as usize].is_none() {
            missing(Field::FirstName)
        } else {
            missing(Field::LastName)
        });
    }
    Ok(Schema {
        headers: table.headers().to_vec(),
        index,
        default_country: default_country.to_string(),
    })
}

/// Checks the postal code's form for the countries whose post we format for.
///
/// # Errors
/// The reason: a US ZIP that is not 5 or 9 digits, an Italian CAP that is not 5 digits.
pub fn check_postal_code(country: &str, code: &str) -> Result<(), String> {
    // Bytes, not string slices: a code may hold any character, and slicing a str inside one
    // panics.
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let b = code.as_bytes();
    if crate::address::same_country(country, "US") {
        let ok = match b {
            [_, _, _, _, _] | [_, _, _, _, _, _, _, _, _] => digits(b),
            [zip @ .., b'-', _, _, _, _] if zip.len() == 5 => digits(zip) && digits(&b[6..]),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "ZIP code `{code}` is not 5 or 9 digits (12345 or 12345-6789)"
            ));
        }
    } else if crate::address::same_country(country, "IT") && !(b.len() == 5 && digits(b)) {
        return Err(format!("CAP `{code}` is not 5 digits"));
    }
    Ok(())
}

/// Parses a date as CRMs export it: `YYYY-MM-DD`, optionally followed by a time.
///
/// # Errors
/// Returns the reason when `text` is not such a date.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let day = t
        .get(..10)
        .filter(|_| t.len() == 10 || t[10..].starts_with(['T', ' ']));
    let date = day
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| format!("`{t}` is not a date: write it as YYYY-MM-DD"))?;
    // A CRM's placeholder (0000-01-01, 9999-12-31) is no one's date.
    if !(1900..=2200).contains(&date.year()) {
        return Err(format!(
            "`{t}` is not a plausible date (years 1900 to 2200)"
        ));
    }
    Ok(date)
}

fn contact_from_row(
    row: &Row,
    schema: &Schema,
    seen: &HashMap<smol_str::SmolStr, u64>,
) -> Result<Contact, String> {
    let get = |f: Field| row.get(schema.index(f));
    let id = get(Field::Id);
    if id.is_empty() {
        return Err("empty `id`: every contact needs an id".into());
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(format!(
            "id `{}` holds a control character (U+{:04X}): ids go into file names, the ledger and manifests",
            id.escape_debug(),
            u32::from(c)
        ));
    }
    if let Some(first) = seen.get(id) {
        return Err(format!("id `{id}` is already used on line {first}"));
    }
    if get(Field::Name).is_empty()
        && get(Field::FirstName).is_empty()
        && get(Field::LastName).is_empty()
    {
        return Err("no name: fill `first_name` and `last_name` (or `name`)".into());
    }
    for (field, what) in [
        (Field::Address1, "no street address (`address1`)"),
        (Field::City, "no `city`"),
        (Field::PostalCode, "no `postal_code`"),
    ] {
        if get(field).is_empty() {
            return Err(format!("{what}: the piece could not be delivered"));
        }
    }
    let country = match get(Field::Country) {
        "" => schema.default_country.as_str(),
        c => c,
    };
    check_postal_code(country, get(Field::PostalCode))?;
    let enrolled = get(Field::EnrolledOn);
    if enrolled.is_empty() {
        return Err("no `enrolled_on` date: write it as YYYY-MM-DD".into());
    }
    let enrolled_on = parse_date(enrolled).map_err(|e| format!("`enrolled_on` {e}"))?;
    Ok(Contact::new(id, row.line, enrolled_on, &row.fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &[u8], columns: &[(&str, &str)]) -> Result<Contacts, CsvError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contacts.csv");
        std::fs::write(&path, text).unwrap();
        let columns = columns
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
        Contacts::load(&path, &columns, "US")
    }

    #[test]
    fn packed_fields_read_back_trimmed_empty_and_out_of_range() {
        let fields: Vec<String> = [" 7 ", "", "Élodie", "  ", "Via Roma 1"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let c = Contact::new("7", 2, date, &fields);
        let got: Vec<&str> = (0..6).map(|i| c.value(Some(i))).collect();
        assert_eq!(got, ["7", "", "Élodie", "", "Via Roma 1", ""]);
        assert_eq!(c.value(None), "");
    }

    #[test]
    fn bad_rows_become_rejects_with_lines() {
        let c = load(
            b"id,first_name,last_name,address1,city,postal_code,enrolled_on\n\
              1,Ann,Lee,1 Main St,Springfield,62701,2026-11-01\n\
              1,Bob,Lee,2 Main St,Springfield,62701,2026-11-01\n\
              3,Cy,Ray,,Springfield,62701,2026-11-01\n\
              4,Di,Ng,4 Main St,Springfield,62701,11/01/2026\n\
              5,Ed,Oz,5 Main St,Springfield,62701,2026-11-01T09:30:00\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.list.len(), 2);
        let lines: Vec<u64> = c.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(c.rejects[0].reason.contains("already used on line 2"));
        assert!(c.rejects[2].reason.contains("YYYY-MM-DD"));
    }

    #[test]
    fn crlf_files_report_the_lines_a_spreadsheet_shows() {
        let c = load(
            b"id,first_name,last_name,address1,city,postal_code,enrolled_on\r\n\
              1,Ann,Lee,1 Main St,Springfield,62701,2026-11-01\r\n\
              1,Bob,Lee,2 Main St,Springfield,62701,2026-11-01\r\n\r\n\
              3,Cy,Ray,,Springfield,62701,2026-11-01\r\n",
            &[],
        )
        .unwrap();
        let got: Vec<(u64, &str)> = c.rejects.iter().map(|r| (r.line, &r.reason[..])).collect();
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.contains("already used on line 2"), "{got:?}");
        assert_eq!(got[1].0, 5);
    }

    #[test]
    fn maps_crm_headers_and_reads_windows_1252() {
        let c = load(
            b"Contact ID;Full Name;Street;Town;ZIP;Since\n7;Nicol\xf2 Bianchi;Via Roma 1;Milano;20121;2026-10-01\n",
            &[
                ("id", "Contact ID"),
                ("name", "Full Name"),
                ("address1", "Street"),
                ("city", "Town"),
                ("postal_code", "ZIP"),
                ("enrolled_on", "Since"),
            ],
        )
        .unwrap();
        assert_eq!(c.full_name(&c.list[0]), "Nicolò Bianchi");
        assert_eq!(c.last_name(&c.list[0]), "Bianchi");
        assert_eq!(c.get(&c.list[0], Field::Country), "US");
        assert!(c.schema.template_names().contains_key("full_name"));
    }

    #[test]
    fn missing_column_names_it_with_a_hint() {
        use crate::error::Advice as _;
        let e = load(b"id,name,address1,city,enrolled_on\n", &[]).unwrap_err();
        let message = e.to_string();
        assert!(message.contains("no column `postal_code`"), "{message}");
        // The hint is advice, printed after the chain, never inside the message.
        assert!(!message.contains("hint"), "{message}");
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("[columns] postal_code = "), "{hint}");
    }

    #[test]
    fn ids_compare_as_numbers_only_when_all_are_digits() {
        assert_eq!(compare_ids(true, "9", "10"), Ordering::Less);
        assert_eq!(compare_ids(false, "9", "10"), Ordering::Greater);
        assert_eq!(compare_ids(true, "007", "8"), Ordering::Less);
    }
}

#[cfg(test)]
mod postal_tests {
    use super::check_postal_code;

    #[test]
    fn zip_and_cap_forms() {
        for ok in ["62701", "627011234", "62701-1234"] {
            assert!(check_postal_code("US", ok).is_ok(), "{ok}");
        }
        // Multibyte characters where the digits or the dash should be: refused, never a panic.
        for bad in [
            "6270",
            "62701-12",
            "62701 1234",
            "ABCDE",
            "627011",
            "1234é6789",
            "62701–123",
            "é",
        ] {
            assert!(check_postal_code("US", bad).is_err(), "{bad}");
        }
        assert!(check_postal_code("IT", "00184").is_ok());
        assert!(check_postal_code("IT", "0018").is_err());
        assert!(check_postal_code("it", "2012A").is_err());
        assert!(check_postal_code("GB", "SW1A 1AA").is_ok());
    }
}
