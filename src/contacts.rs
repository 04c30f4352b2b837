//! The contacts CSV: column mapping, row checks, and compact per-contact records.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::csvin::{CsvError, Row, Table};
use crate::dates::{DateFormat, DateOrder, Detected};

/// A row of an input file that was not used, and why (one line of `rejects.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The input file.
    pub file: PathBuf,
    /// 1-based line number in that file.
    pub line: u64,
    /// Why the row was not used, and what to do.
    pub reason: String,
    /// The contact id the row gives, when it gives one (for `plan --contact`).
    pub id: Option<String>,
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

    /// The lines of a postal address after the recipient's name, in the order the manifest
    /// lists them.
    pub const ADDRESS: [Field; 7] = [
        Field::Company,
        Field::Address1,
        Field::Address2,
        Field::City,
        Field::State,
        Field::PostalCode,
        Field::Country,
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
    /// A schema from its parts (a snapshot of what a cycle printed).
    #[must_use]
    pub fn from_parts(
        headers: Vec<String>,
        index: [Option<usize>; 13],
        default_country: String,
    ) -> Schema {
        Schema {
            headers,
            index,
            default_country,
        }
    }

    /// Every field's column (`Field as usize`).
    #[must_use]
    pub fn indexes(&self) -> [Option<usize>; 13] {
        self.index
    }

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
    /// How the file was read.
    pub reading: Reading,
}

/// How a contacts file is read: the campaign's `[columns]`, date format and defaults.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions<'a> {
    /// `[columns]`: field name → header.
    pub columns: &'a BTreeMap<String, String>,
    /// `[columns] preset`, when named.
    pub preset: Option<&'static crate::columns::Preset>,
    /// How `enrolled_on` is written.
    pub dates: DateFormat,
    /// Country (alpha-2) of rows without one.
    pub default_country: &'a str,
    /// Enrolment date of rows without one.
    pub default_enrolled: Option<NaiveDate>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        LoadOptions {
            columns: &NONE,
            preset: None,
            dates: DateFormat::Detect,
            default_country: "US",
            default_enrolled: None,
        }
    }
}

impl<'a> LoadOptions<'a> {
    /// The options the campaign gives.
    #[must_use]
    pub fn of(campaign: &'a crate::campaign::Campaign) -> LoadOptions<'a> {
        LoadOptions {
            columns: &campaign.columns,
            preset: campaign.preset,
            dates: campaign.contacts_dates,
            default_country: &campaign.country,
            default_enrolled: campaign.enrolled_on,
        }
    }
}

/// How a contacts file was read: the mapping of its header and the order of its dates.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// Which header is which field.
    pub mapping: crate::columns::Mapping,
    /// The order year-last dates were read in, and whether it was told from the file.
    pub date_order: Option<(DateOrder, &'static str)>,
}

impl Contacts {
    /// Reads the contacts CSV at `path`: headers mapped to fields, countries, states and
    /// provinces resolved to their codes, dates read in the file's order.
    ///
    /// # Errors
    /// Fails when the file cannot be read, lacks needed columns (all named at once), or
    /// writes its dates in an order that cannot be told; bad rows become rejects.
    pub fn load(path: &Path, options: &LoadOptions<'_>) -> Result<Contacts, CsvError> {
        let mut table = Table::open(path)?;
        let us = crate::address::same_country(options.default_country, "US");
        let mapping = crate::columns::map(
            table.headers(),
            options.columns,
            options.preset,
            us,
            options.default_enrolled.is_none(),
        )
        .map_err(|missing| CsvError::MissingColumns {
            path: path.to_path_buf(),
            missing,
            headers: table.headers().to_vec(),
        })?;
        let date_order = date_order(
            &table,
            mapping.index[Field::EnrolledOn as usize],
            options.dates,
            mapping.preset.and_then(|(p, _)| p.slash_dates),
        )?;
        let mut headers = table.headers().to_vec();
        if mapping.combined_address.is_some() {
            headers.extend(
                crate::columns::SPLIT_FIELDS
                    .iter()
                    .map(|f| f.name().to_string()),
            );
        }
        let schema = Schema {
            headers,
            index: mapping.index,
            default_country: options.default_country.to_string(),
        };
        let rules = RowRules {
            schema: &schema,
            combined_address: mapping.combined_address,
            date_order: date_order.map(|(o, _)| o),
            default_enrolled: options.default_enrolled,
        };
        let mut list = Vec::new();
        let mut rejects = Vec::new();
        let mut seen: HashMap<smol_str::SmolStr, u64> = HashMap::new();
        let mut row = Row::default();
        loop {
            match table.next_row(&mut row) {
                Ok(false) => break,
                Ok(true) => match rules.contact(&mut row, &seen) {
                    Ok(contact) => {
                        seen.insert(contact.id.clone(), contact.line);
                        list.push(contact);
                    }
                    Err(reason) => {
                        let id = row.get(schema.index(Field::Id));
                        rejects.push(Reject {
                            file: path.to_path_buf(),
                            line: row.line,
                            reason,
                            id: (!id.is_empty()).then(|| id.to_string()),
                        });
                    }
                },
                Err(Ok(bad)) => rejects.push(Reject {
                    file: path.to_path_buf(),
                    line: bad.line,
                    reason: bad.reason,
                    id: None,
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
            reading: Reading {
                mapping,
                date_order,
            },
        })
    }

    /// What the file says about `id`: a contact, a rejected row (from `rejects`, the load's),
    /// or nothing.
    #[must_use]
    pub fn who<'a>(&self, rejects: &'a [Reject], id: &str) -> Who<'a> {
        if let Some(i) = self.list.iter().position(|c| &*c.id == id) {
            return Who::Contact(i);
        }
        rejects
            .iter()
            .find(|r| r.id.as_deref() == Some(id))
            .map_or(Who::Unknown, Who::Rejected)
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

    /// The contact's address after the name, field by field as [`Field::ADDRESS`] lists them.
    #[must_use]
    pub fn address<'a>(&'a self, c: &'a Contact) -> [&'a str; 7] {
        Field::ADDRESS.map(|f| self.get(c, f))
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

/// What the contacts file says about an id.
#[derive(Clone, Copy, Debug)]
pub enum Who<'a> {
    /// A usable contact: its index in [`Contacts::list`].
    Contact(usize),
    /// Its row is in the file but was rejected.
    Rejected(&'a Reject),
    /// No row of the file has that id.
    Unknown,
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

/// The order a file's year-last dates (`03/10/2026`) are read in, and why: the campaign's
/// `date_format`, else what the values of `column` show (one pass over the file before its
/// rows are read), else the export's usual order (`fallback`).
///
/// # Errors
/// When every such date reads both ways and nothing else tells.
pub(crate) fn date_order(
    table: &Table,
    column: Option<usize>,
    format: DateFormat,
    fallback: Option<DateOrder>,
) -> Result<Option<(DateOrder, &'static str)>, CsvError> {
    let column = match (format, column) {
        (DateFormat::YearFirst, _) | (_, None) => return Ok(None),
        (DateFormat::Given(order), _) => return Ok(Some((order, "the campaign's date_format"))),
        (DateFormat::Detect, Some(column)) => column,
    };
    let path = table.path();
    let mut again = Table::open(path)?;
    let mut detector = crate::dates::Detector::default();
    let mut row = Row::default();
    loop {
        match again.next_row(&mut row) {
            Ok(false) => break,
            Ok(true) => detector.add(row.line, row.get(Some(column))),
            Err(Ok(_)) => {}
            Err(Err(fatal)) => return Err(fatal),
        }
    }
    Ok(match detector.result() {
        Detected::Nothing => None,
        Detected::Order(order) => Some((order, "told from the file's dates")),
        Detected::Ambiguous(line, value) => match fallback {
            Some(order) => Some((order, "the export's usual order")),
            None => {
                return Err(CsvError::AmbiguousDates {
                    path: path.to_path_buf(),
                    line,
                    value,
                    column: table.headers()[column].clone(),
                });
            }
        },
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

/// What makes a row a contact.
struct RowRules<'a> {
    schema: &'a Schema,
    combined_address: Option<usize>,
    date_order: Option<DateOrder>,
    default_enrolled: Option<NaiveDate>,
}

impl RowRules<'_> {
    /// The row's contact: checked, its combined address split, its country, state or
    /// province and postal code written as the post writes them. The reason when it is none.
    fn contact(
        &self,
        row: &mut Row,
        seen: &HashMap<smol_str::SmolStr, u64>,
    ) -> Result<Contact, String> {
        let schema = self.schema;
        if let Some(i) = self.combined_address {
            let parts = crate::columns::split_address(row.get(Some(i)))?;
            row.fields.extend(parts);
        }
        let len = row.fields.len();
        let index = move |f: Field| schema.index(f).filter(|&i| i < len);
        let set = |row: &mut Row, f: Field, value: &str| {
            if let Some(i) = index(f) {
                row.fields[i] = value.to_string();
            }
        };
        // `'02134`: a spreadsheet's mark that keeps a ZIP's leading zero (Shopify writes it).
        if let Some(code) = row.get(index(Field::PostalCode)).strip_prefix('\'') {
            let code = code.trim().to_string();
            set(row, Field::PostalCode, &code);
        }
        let country = match row.get(index(Field::Country)) {
            "" => schema.default_country.clone(),
            written => match crate::places::country(written) {
                Some(c) => c.alpha2.to_string(),
                None => {
                    return Err(format!(
                        "country `{written}` is not one dripmail knows: write its ISO code (US, IT) or its name in English or Italian"
                    ));
                }
            },
        };
        if index(Field::Country).is_some() {
            set(row, Field::Country, &country);
        }
        let state = row.get(index(Field::State)).to_string();
        if country == "US" {
            if state.is_empty() {
                return Err(
                    "no `state`: a US address needs its state (the two-letter code, IL)".into(),
                );
            }
            let code = crate::places::us_state(&state).ok_or_else(|| {
                format!("state `{state}` is not a US state: write its two-letter USPS code (IL) or its name")
            })?;
            set(row, Field::State, code);
        } else if country == "IT" && !state.is_empty() {
            let code = crate::places::it_province(&state).ok_or_else(|| {
                format!("province `{state}` is not an Italian province: write its sigla (MI) or its name (Milano)")
            })?;
            set(row, Field::State, code);
        }
        let get = |f: Field| row.get(index(f));
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
        check_postal_code(&country, get(Field::PostalCode))?;
        let enrolled = get(Field::EnrolledOn);
        let enrolled_on = match (enrolled, self.default_enrolled) {
            ("", Some(date)) => date,
            ("", None) => {
                return Err("no `enrolled_on` date: write it as YYYY-MM-DD".into());
            }
            (text, _) => crate::dates::parse(text, self.date_order)
                .map_err(|e| format!("`enrolled_on` {e}"))?,
        };
        Ok(Contact::new(id, row.line, enrolled_on, &row.fields))
    }
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
        Contacts::load(
            &path,
            &LoadOptions {
                columns: &columns,
                ..LoadOptions::default()
            },
        )
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
            b"id,first_name,last_name,address1,city,state,postal_code,enrolled_on\n\
              1,Ann,Lee,1 Main St,Springfield,IL,62701,2026-11-01\n\
              1,Bob,Lee,2 Main St,Springfield,IL,62701,2026-11-01\n\
              3,Cy,Ray,,Springfield,IL,62701,2026-11-01\n\
              4,Di,Ng,4 Main St,Springfield,IL,62701,11/01/2026\n\
              5,Ed,Oz,5 Main St,Springfield,IL,62701,2026-11-01T09:30:00\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.list.len(), 2);
        let lines: Vec<u64> = c.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(c.rejects[0].reason.contains("already used on line 2"));
        assert!(
            c.rejects[2].reason.contains("date_format"),
            "{:?}",
            c.rejects[2]
        );
    }

    #[test]
    fn crlf_files_report_the_lines_a_spreadsheet_shows() {
        let c = load(
            b"id,first_name,last_name,address1,city,state,postal_code,enrolled_on\r\n\
              1,Ann,Lee,1 Main St,Springfield,IL,62701,2026-11-01\r\n\
              1,Bob,Lee,2 Main St,Springfield,IL,62701,2026-11-01\r\n\r\n\
              3,Cy,Ray,,Springfield,IL,62701,2026-11-01\r\n",
            &[],
        )
        .unwrap();
        let got: Vec<(u64, &str)> = c.rejects.iter().map(|r| (r.line, &r.reason[..])).collect();
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.contains("already used on line 2"), "{got:?}");
        assert_eq!(got[1].0, 5);
    }

    #[test]
    fn countries_states_and_provinces_become_codes_or_rejects() {
        let c = load(
            "id,name,address1,city,state,postal_code,country,enrolled_on\n\
             1,Ann Lee,1 Main St,Evanston,Illinois,60201,United States,2026-11-01\n\
             2,Bob Ng,2 Main St,Evanston,il,60201,,2026-11-01\n\
             3,Cy Ray,Via Roma 1,Milano,Milan,20121,Italia,2026-11-01\n\
             4,Di Fox,3 Main St,Evanston,,60201,USA,2026-11-01\n\
             5,Ed Oz,4 Main St,Evanston,XX,60201,US,2026-11-01\n\
             6,Flo Li,5 Main St,Evanston,IL,60201,Atlantis,2026-11-01\n\
             7,Gio Re,Via Po 2,Torino,XX,10121,IT,2026-11-01\n\
             8,Hal Wu,6 Main St,Evanston,IL,'02134,US,2026-11-01\n\
             9,Ida Bo,Via Po 3,Torino,,10121,ITA,2026-11-01\n"
                .as_bytes(),
            &[],
        )
        .unwrap();
        let got: Vec<(String, &str, &str, &str)> = c
            .list
            .iter()
            .map(|k| {
                (
                    k.id.to_string(),
                    c.get(k, Field::Country),
                    c.get(k, Field::State),
                    c.get(k, Field::PostalCode),
                )
            })
            .collect();
        let want = [
            ("1", "US", "IL", "60201"),
            ("2", "US", "IL", "60201"),
            ("3", "IT", "MI", "20121"),
            ("8", "US", "IL", "02134"),
            ("9", "IT", "", "10121"),
        ];
        assert_eq!(got, want.map(|(a, b, cc, d)| (a.to_string(), b, cc, d)));
        let rejects: Vec<(u64, &str)> = c.rejects.iter().map(|r| (r.line, &r.reason[..])).collect();
        assert_eq!(rejects.len(), 4, "{rejects:?}");
        assert!(rejects[0].1.starts_with("no `state`"), "{rejects:?}");
        assert!(
            rejects[1].1.contains("`XX` is not a US state"),
            "{rejects:?}"
        );
        assert!(rejects[2].1.contains("country `Atlantis`"), "{rejects:?}");
        assert!(
            rejects[3].1.contains("`XX` is not an Italian province"),
            "{rejects:?}"
        );
    }

    #[test]
    fn ambiguous_dates_stop_the_file_unless_its_format_is_given() {
        let text = b"id,name,address1,city,state,postal_code,enrolled_on\n\
              1,Ann Lee,1 Main St,Evanston,IL,60201,03/10/2026 09:14\n\
              2,Bob Ng,2 Main St,Evanston,IL,60201,04/10/2026\n";
        let e = load(text, &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: `03/10/2026 09:14` in column `enrolled_on` could be 3 October 2026 or 10 March 2026"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contacts.csv");
        std::fs::write(&path, text).unwrap();
        let c = Contacts::load(
            &path,
            &LoadOptions {
                dates: DateFormat::Given(DateOrder::MonthDay),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            c.list[0].enrolled_on,
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
        // One date only one order can read tells the file's order.
        let c = load(
            b"id,name,address1,city,state,postal_code,enrolled_on\n\
              1,Ann Lee,1 Main St,Evanston,IL,60201,03/10/2026\n\
              2,Bob Ng,2 Main St,Evanston,IL,60201,24/10/2026\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.list[0].enrolled_on,
            NaiveDate::from_ymd_opt(2026, 10, 3).unwrap()
        );
    }

    #[test]
    fn maps_crm_headers_and_reads_windows_1252() {
        let c = load(
            b"Contact ID;Full Name;Street;Town;ZIP;Since;Land\n7;Nicol\xf2 Bianchi;Via Roma 1;Milano;20121;2026-10-01;Italia\n",
            &[
                ("id", "Contact ID"),
                ("name", "Full Name"),
                ("address1", "Street"),
                ("city", "Town"),
                ("postal_code", "ZIP"),
                ("enrolled_on", "Since"),
                ("country", "Land"),
            ],
        )
        .unwrap();
        assert_eq!(c.full_name(&c.list[0]), "Nicolò Bianchi");
        assert_eq!(c.last_name(&c.list[0]), "Bianchi");
        // Country names become their ISO codes.
        assert_eq!(c.get(&c.list[0], Field::Country), "IT");
        assert!(c.schema.template_names().contains_key("full_name"));
    }

    #[test]
    fn missing_column_names_it_with_a_hint() {
        use crate::error::Advice as _;
        let e = load(b"id,name,address1,city,enrolled_on,Zip Cd\n", &[]).unwrap_err();
        let message = e.to_string();
        // Every missing column at once: one round of `validate`, not one per column.
        assert!(
            message.contains("no column for `state` and `postal_code`"),
            "{message}"
        );
        // The hint is advice, printed after the chain, never inside the message.
        assert!(!message.contains("hint"), "{message}");
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("[columns]"), "{hint}");
        assert!(hint.contains("postal_code = \"Zip Cd\""), "{hint}");
        assert!(hint.contains("state = \"…\""), "{hint}");
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
