//! `manifest.csv`: one row per piece in print order. Each column is defined once, here, with
//! its name and how a row fills it; the header and every row come from the same table.

use anyhow::Result;
use chrono::NaiveDate;

use crate::output::{StagedFile, Staging};

/// One piece as the manifest lists it.
pub(crate) struct ManifestRow<'a> {
    /// Position in the cycle's print order, from 1.
    pub seq: u64,
    /// Stable piece id.
    pub piece_id: &'a str,
    /// Contact id.
    pub contact_id: &'a str,
    /// Step id.
    pub step: &'a str,
    /// Layout id.
    pub layout: &'a str,
    /// PDF file, relative to the cycle folder.
    pub file: &'a str,
    /// First page of the piece in the file (1-based).
    pub first_page: usize,
    /// Pages of the piece.
    pub page_count: usize,
    /// The recipient's name.
    pub name: &'a str,
    /// The address after the name: company, lines, city, state, postal code, country
    /// (`Field::ADDRESS`).
    pub address: [&'a str; 7],
    /// When the piece fell due.
    pub due_on: NaiveDate,
    /// Presort group.
    pub presort: &'a str,
    /// The mail class of the piece's destination (`[postage]`), "" without one.
    pub mail_class: &'a str,
    /// Personal URL, when the step has one.
    pub purl: Option<&'a str>,
    /// IMb code (tracking + routing) and bars, when the piece has one.
    pub imb: Option<(&'a str, &'a str)>,
    /// When the cycle is imposed: where the piece is on the press sheets.
    pub sheet: Option<SheetPlace<'a>>,
    /// The A/B variant of a piece of a step with variants.
    pub variant: Option<&'a str>,
}

/// Where a piece is on the press sheets of an imposed cycle.
#[derive(Clone, Copy)]
pub(crate) struct SheetPlace<'a> {
    /// The sheet PDF.
    pub file: &'a str,
    /// The sheet, from 1.
    pub sheet: usize,
    /// The slot on the sheet's front, from 1: across, then down, from the top left.
    pub slot: usize,
    /// The slot of the piece's back as the sheet's back is seen (work and turn mirrors the
    /// columns), counted the same way; `None` for a one-sided piece.
    pub back_slot: Option<usize>,
}

/// A column: its header and how a row fills it.
type Column = (&'static str, fn(&ManifestRow<'_>) -> String);

/// The columns every manifest has, in order (SPEC pins the first 16).
const COLUMNS: &[Column] = &[
    ("seq", |r| r.seq.to_string()),
    ("piece_id", |r| r.piece_id.into()),
    ("contact_id", |r| r.contact_id.into()),
    ("step", |r| r.step.into()),
    ("layout", |r| r.layout.into()),
    ("file", |r| r.file.into()),
    ("first_page", |r| r.first_page.to_string()),
    ("page_count", |r| r.page_count.to_string()),
    ("name", |r| r.name.into()),
    ("company", |r| r.address[0].into()),
    ("address1", |r| r.address[1].into()),
    ("address2", |r| r.address[2].into()),
    ("city", |r| r.address[3].into()),
    ("state", |r| r.address[4].into()),
    ("postal_code", |r| r.address[5].into()),
    ("country", |r| r.address[6].into()),
    ("due_on", |r| r.due_on.to_string()),
    ("presort", |r| r.presort.into()),
    ("mail_class", |r| r.mail_class.into()),
    ("purl", |r| r.purl.unwrap_or_default().into()),
];

/// The columns of campaigns that print IMbs, after the others.
const IMB_COLUMNS: &[Column] = &[
    ("imb", |r| r.imb.map_or(String::new(), |i| i.0.into())),
    ("imb_bars", |r| r.imb.map_or(String::new(), |i| i.1.into())),
];

/// The columns of imposed cycles, last.
const SHEET_COLUMNS: &[Column] = &[
    ("sheet_file", |r| {
        r.sheet.map_or(String::new(), |s| s.file.into())
    }),
    ("sheet", |r| {
        r.sheet.map_or(String::new(), |s| s.sheet.to_string())
    }),
    ("side", |r| match r.sheet {
        None => String::new(),
        Some(s) if s.back_slot.is_some() => "front+back".into(),
        Some(_) => "front".into(),
    }),
    ("slot", |r| {
        r.sheet.map_or(String::new(), |s| s.slot.to_string())
    }),
    ("back_slot", |r| {
        r.sheet
            .and_then(|s| s.back_slot)
            .map_or(String::new(), |b| b.to_string())
    }),
];

/// The column of campaigns with A/B variants, last.
const VARIANT_COLUMNS: &[Column] = &[("variant", |r| r.variant.unwrap_or_default().into())];

/// `manifest.csv` being written into a staging folder, row by row as pieces are placed, so a
/// cycle never holds its manifest in memory.
pub(crate) struct Manifest {
    csv: csv::Writer<StagedFile>,
    imb: bool,
    sheets: bool,
    variants: bool,
}

impl Manifest {
    /// Creates the file and writes its header; `imb` adds the IMb columns, `sheets` the
    /// press-sheet ones, `variants` the A/B variant.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub(crate) fn create(
        staging: &Staging,
        imb: bool,
        sheets: bool,
        variants: bool,
    ) -> Result<Manifest> {
        let mut csv = csv::Writer::from_writer(staging.create("manifest.csv")?);
        csv.write_record(Self::columns(imb, sheets, variants).map(|c| c.0))?;
        Ok(Manifest {
            csv,
            imb,
            sheets,
            variants,
        })
    }

    fn columns(imb: bool, sheets: bool, variants: bool) -> impl Iterator<Item = &'static Column> {
        let imb = if imb { IMB_COLUMNS } else { &[] };
        let sheets = if sheets { SHEET_COLUMNS } else { &[] };
        let variants = if variants { VARIANT_COLUMNS } else { &[] };
        COLUMNS.iter().chain(imb).chain(sheets).chain(variants)
    }

    /// Writes one row.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub(crate) fn write(&mut self, row: &ManifestRow<'_>) -> Result<()> {
        self.csv.write_record(
            Self::columns(self.imb, self.sheets, self.variants).map(|c| (c.1)(row)),
        )?;
        Ok(())
    }

    /// Closes the file and records it in `staging`.
    ///
    /// # Errors
    /// When the last rows cannot be written.
    pub(crate) fn finish(self, staging: &Staging) -> Result<()> {
        self.csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write manifest.csv: {}", e.error()))?
            .finish(staging)?;
        Ok(())
    }
}
