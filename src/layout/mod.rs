//! `LAYOUT.toml` → a checked [`Layout`], and an element plus its resolved content → [`Mark`]s.
//!
//! Coordinates are points from the trim's top-left corner, y down; the renderer turns them
//! into PDF space. Nothing here knows about PDF objects.

pub mod file;
pub mod font;
pub mod place;
pub mod postal;
pub mod qr;
pub mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::resources::Resources;
use crate::units::Pt;
pub use font::Font;
pub use place::{Content, Mark, fit_image};
pub use text::FitError;
pub use text::Run;

/// Why a layout could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// No such layout file.
    #[error("unknown layout `{id}`: no file `{}`", path.display())]
    Unknown { id: String, path: PathBuf },
    /// The file could not be read.
    #[error("cannot read layout `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad TOML, an unknown key, or an inconsistent value, at `line`.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// A CMYK colour, each component 0–1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cmyk(pub [f32; 4]);

impl Cmyk {
    /// 100 % black.
    pub const BLACK: Cmyk = Cmyk([0.0, 0.0, 0.0, 1.0]);
    /// Registration colour (100 % of every ink), for crop marks.
    pub const REGISTRATION: Cmyk = Cmyk([1.0, 1.0, 1.0, 1.0]);
}

/// A box: x, y from the trim's top-left corner (y down), width, height; all in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Horizontal alignment of text lines.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
    /// Both edges flush; the last line of a paragraph flush left.
    Justify,
}

/// Vertical placement of text in its box.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VAlign {
    /// First line at the top.
    #[default]
    Top,
    /// Block centred vertically.
    Middle,
    /// Last line at the bottom.
    Bottom,
}

/// What happens when text does not fit its box (the VDP tools' skip/ignore/fail).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Overflow {
    /// Shrink down to `min_size`; hold the piece if it still does not fit.
    #[default]
    Shrink,
    /// Never shrink: hold the piece if the text does not fit at `size`.
    Hold,
    /// Shrink down to `min_size`; stop the whole run if it still does not fit.
    Fail,
}

/// How an image fills its box.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the box, cropping what spills over.
    #[default]
    Cover,
    /// Show the whole image inside the box.
    Contain,
}

/// Whose address an address block shows.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// The contact.
    #[default]
    Recipient,
    /// The campaign's `[sender]`.
    Sender,
}

/// How text is set.
#[derive(Clone, Debug, PartialEq)]
pub struct TextStyle {
    /// Index into [`Layout::fonts`].
    pub font: usize,
    /// Fonts tried, in order, for a character `font` lacks.
    pub fallback: Vec<usize>,
    /// What to do when the text does not fit.
    pub overflow: Overflow,
    /// Starting size in points.
    pub size: f64,
    /// Smallest size shrink-to-fit may use.
    pub min_size: f64,
    /// Line distance as a multiple of the size.
    pub leading: f64,
    /// Fill colour.
    pub color: Cmyk,
    /// Alignment.
    pub align: Align,
    /// Vertical placement.
    pub valign: VAlign,
    /// Even out wrapped lines (for headlines: no lone last word).
    pub balance: bool,
}

/// What an element draws.
#[derive(Clone, Debug, PartialEq)]
pub enum ElementKind {
    /// Text from a template.
    Text {
        frame: Frame,
        text: String,
        style: TextStyle,
    },
    /// An image: the contact's file from `column` if it names one, else the step's image for
    /// `slot`, else `src`.
    Image {
        frame: Frame,
        src: Option<PathBuf>,
        slot: Option<String>,
        column: Option<String>,
        fit: Fit,
    },
    /// A rectangle.
    Rect {
        frame: Frame,
        fill: Option<Cmyk>,
        stroke: Option<(Cmyk, f64)>,
    },
    /// A straight line.
    Rule {
        from: (f64, f64),
        to: (f64, f64),
        width: f64,
        color: Cmyk,
    },
    /// An address block.
    Address {
        frame: Frame,
        style: TextStyle,
        who: Who,
    },
    /// A QR code of the merged `content`, quiet zone included, in a square inside `frame`.
    Qr {
        frame: Frame,
        content: String,
        color: Cmyk,
    },
    /// The USPS Intelligent Mail barcode of the piece, when the campaign has `[imb]` and the
    /// contact a US ZIP; left-aligned and vertically centred in `frame`.
    Imb { frame: Frame },
    /// The postage indicia of the piece's destination (`[postage]` in the campaign): its lines
    /// centred in a 0.5 pt black box; nothing when the destination's postage has no indicia
    /// (stamps or a meter).
    Indicia { frame: Frame, style: TextStyle },
}

/// One positioned element of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    /// What it draws.
    pub kind: ElementKind,
    /// Condition in the template language; drawn only when it holds.
    pub when: Option<String>,
    /// Line in the layout file.
    pub line: usize,
}

/// What a page shows under its elements, across the whole bleed.
#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    /// A flat colour.
    Color(Cmyk),
    /// An image covering the bleed.
    Image(PathBuf),
    /// A page of a designer's PDF (1-based), scaled to the bleed box.
    Pdf { path: PathBuf, page: u32 },
}

/// One page of a piece.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Page name (`front`, `back`).
    pub name: String,
    /// Drawn under everything.
    pub background: Option<Background>,
    /// Elements, drawn in order.
    pub elements: Vec<Element>,
}

/// The printing condition a file is made for (its OutputIntent). Written as a table
/// (`identifier`, `condition`, `profile`) or as the name of a common condition
/// (`output_intent = "FOGRA39"`, see [`OutputIntent::PRESETS`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputIntent {
    /// Registered characterisation name, e.g. `FOGRA39` or `CGATS TR 001`.
    pub identifier: String,
    /// Human description.
    pub condition: String,
    /// An ICC output profile (CMYK) to embed, as print shops supply it.
    pub profile: Option<PathBuf>,
}

/// `output_intent` written as a table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentTable {
    identifier: String,
    #[serde(default)]
    condition: String,
    profile: Option<PathBuf>,
}

impl<'de> Deserialize<'de> for OutputIntent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<OutputIntent, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = OutputIntent;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a printing condition's name (\"FOGRA39\"), or a table with `identifier`",
                )
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<OutputIntent, E> {
                OutputIntent::preset(name).map_err(E::custom)
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OutputIntent, A::Error> {
                let t =
                    IntentTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(OutputIntent {
                    identifier: t.identifier,
                    condition: t.condition,
                    profile: t.profile,
                })
            }
        }
        d.deserialize_any(Either)
    }
}

impl OutputIntent {
    /// Common printing conditions by name: (name, registered characterisation, condition).
    /// The identifiers are those of the ICC's characterisation data registry.
    pub const PRESETS: [(&'static str, &'static str, &'static str); 6] = [
        ("SWOP", "CGATS TR 001", "SWOP (Publication) Grade 1 Paper"),
        (
            "GRACoL",
            "CGATS21_CRPC6",
            "GRACoL 2013 (CGATS 21-2, CRPC6): US commercial coated #1",
        ),
        (
            "GRACoL-uncoated",
            "CGATS21_CRPC1",
            "CGATS 21-2 CRPC1: US commercial uncoated",
        ),
        ("FOGRA39", "FOGRA39", "Coated FOGRA39 (ISO 12647-2:2004)"),
        (
            "FOGRA51",
            "FOGRA51",
            "PSO Coated v3 (FOGRA51, ISO 12647-2:2013)",
        ),
        (
            "FOGRA52",
            "FOGRA52",
            "PSO Uncoated v3 (FOGRA52, ISO 12647-2:2013)",
        ),
    ];

    /// The common printing condition called `name` (any case), from [`OutputIntent::PRESETS`].
    ///
    /// # Errors
    /// An unknown name, with the known ones.
    pub fn preset(name: &str) -> Result<OutputIntent, String> {
        OutputIntent::PRESETS
            .iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(_, identifier, condition)| OutputIntent {
                identifier: (*identifier).to_string(),
                condition: (*condition).to_string(),
                profile: None,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = OutputIntent::PRESETS.iter().map(|p| p.0).collect();
                format!(
                    "unknown printing condition `{name}`: use one of {}, or a table with `identifier` (and the shop's `profile`)",
                    names.join(", ")
                )
            })
    }

    /// The default: US web-offset coated (SWOP), named, no profile embedded.
    #[must_use]
    pub fn default_swop() -> OutputIntent {
        OutputIntent {
            identifier: "CGATS TR 001".into(),
            condition: "SWOP (Publication) Grade 1 Paper".into(),
            profile: None,
        }
    }

    /// Checks that the intent names its printing condition.
    ///
    /// # Errors
    /// The reason, for the layout's or campaign's error message.
    pub fn check_identifier(&self) -> Result<(), String> {
        if self.identifier.trim().is_empty() {
            return Err(
                "`output_intent.identifier` must name the printing condition, e.g. \"FOGRA39\""
                    .into(),
            );
        }
        Ok(())
    }

    /// Checks that its ICC profile, if it has one, can be read and is a CMYK output profile.
    ///
    /// # Errors
    /// The reason, for the layout's or campaign's error message.
    pub fn check_profile(&self, resources: &Resources) -> Result<(), String> {
        if let Some(p) = &self.profile {
            let bytes = resources.profile(p)?;
            // Header: device class at 12 (`prtr` for an output device), colour space at 16.
            if bytes.get(12..16) != Some(b"prtr".as_slice())
                || bytes.get(16..20) != Some(b"CMYK".as_slice())
            {
                return Err(format!(
                    "`{}` is not a CMYK output (printer) profile: the output intent needs the printing condition's profile, e.g. the print shop's FOGRA39 or GRACoL file",
                    p.display()
                ));
            }
        }
        Ok(())
    }
}

/// A PDF standard the files claim and are written to (campaign key `pdf_standard`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfStandard {
    /// PDF/X-4 (ISO 15930-7:2010): PDF 1.6, XMP metadata naming the version, dates, the
    /// trapping state, and the printing condition's ICC profile embedded.
    X4,
    /// PDF/VT-1 (ISO 16612-2:2010): a PDF/X-4 file whose pieces are records of a document
    /// part tree with their metadata, and whose shared art is marked for caching.
    Vt1,
}

impl PdfStandard {
    /// The standard's name as files and messages write it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PdfStandard::X4 => "PDF/X-4",
            PdfStandard::Vt1 => "PDF/VT-1",
        }
    }

    /// The PDF/X version the file claims (`GTS_PDFXVersion`): PDF/VT-1 is PDF/X-4.
    #[must_use]
    pub fn pdfx(self) -> &'static str {
        "PDF/X-4"
    }
}

impl<'de> Deserialize<'de> for PdfStandard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PdfStandard, D::Error> {
        let name = String::deserialize(d)?;
        match name.trim().to_ascii_uppercase().as_str() {
            "PDF/X-4" | "PDFX4" | "X-4" => Ok(PdfStandard::X4),
            "PDF/VT-1" | "PDFVT1" | "VT-1" => Ok(PdfStandard::Vt1),
            _ => Err(serde::de::Error::custom(format!(
                "unknown PDF standard `{name}`; known: \"PDF/X-4\", \"PDF/VT-1\""
            ))),
        }
    }
}

/// A fold across the whole width of the sheet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fold {
    /// Distance from the top of the trim, in points.
    pub at: f64,
    /// Valley or mountain, seen from the first page.
    pub kind: FoldKind,
}

/// How a folded piece is closed: tabs (wafer seals) on its open edge, or glue.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// `tabs` (wafer seals) or `glue`.
    pub kind: SealKind,
    /// How many tabs.
    #[serde(default)]
    pub count: u32,
    /// Tab diameter, in inches.
    #[serde(default)]
    pub size_in: f64,
    /// Where, in words ("on the open top edge, 1 in from each end").
    #[serde(default)]
    pub place: String,
}

/// What closes a folded piece.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SealKind {
    /// Wafer seals (tabs).
    Tabs,
    /// A glue line.
    Glue,
}

impl Seal {
    /// For the job ticket: `2 tabs (1 in wafer seals) on the open top edge, ...`.
    #[must_use]
    pub fn label(&self) -> String {
        let what = match self.kind {
            SealKind::Tabs => format!(
                "{} tab{} ({} in wafer seals)",
                self.count,
                if self.count == 1 { "" } else { "s" },
                self.size_in
            ),
            SealKind::Glue => "glue".to_string(),
        };
        if self.place.is_empty() {
            what
        } else {
            format!("{what} {}", self.place)
        }
    }
}

/// Which way a fold goes, seen from the sheet's first page.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FoldKind {
    /// The first page folds towards itself.
    #[default]
    Valley,
    /// The first page folds away from itself.
    Mountain,
}

impl FoldKind {
    /// Its name in a layout file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FoldKind::Valley => "valley",
            FoldKind::Mountain => "mountain",
        }
    }
}

/// Room outside the bleed for crop marks, in points.
pub const MARK_ROOM: f64 = 18.0;

/// A checked layout.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Layout id (the file stem).
    pub id: String,
    /// The layout file.
    pub path: PathBuf,
    /// Trim width.
    pub width: Pt,
    /// Trim height.
    pub height: Pt,
    /// Bleed on every side.
    pub bleed: Pt,
    /// Safety margin inside the trim (tests hold every shipped layout's text inside it).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only the layout tests read it yet")
    )]
    pub safety: Pt,
    /// Paper stock, for the job ticket.
    pub stock: String,
    /// Draw crop marks outside the bleed (the page grows by [`MARK_ROOM`] on every side).
    pub crop_marks: bool,
    /// What the layout is for the post, when it says: its address side is then checked
    /// against that mail's rules (`postal.rs`).
    pub mail_piece: Option<postal::MailPiece>,
    /// The line of `mail_piece` in the layout file.
    pub mail_piece_line: usize,
    /// Where the finished sheet is folded, top to bottom.
    pub folds: Vec<Fold>,
    /// The panel of the address side that is the face of the folded mail piece; the postal
    /// rules measure from its edges (the whole page when `None`).
    pub address_panel: Option<Frame>,
    /// The line of `address_panel` in the layout file.
    pub address_panel_line: usize,
    /// How a folded piece is closed, for the job ticket.
    pub seal: Option<Seal>,
    /// The printing condition, when the layout names one.
    pub output_intent: Option<OutputIntent>,
    /// Fonts by index, in the order the layout names them.
    pub fonts: Vec<Arc<Font>>,
    /// Default merge fields (templates) a step may override.
    pub fields: BTreeMap<String, String>,
    /// Pages of one piece.
    pub pages: Vec<Page>,
}

impl Layout {
    /// Trim size as `W x H in (w x h mm)`, for people.
    #[must_use]
    pub fn trim_label(&self) -> String {
        format!(
            "{:.2} x {:.2} in ({:.0} x {:.0} mm)",
            self.width.get() / 72.0,
            self.height.get() / 72.0,
            self.width.get() / 72.0 * 25.4,
            self.height.get() / 72.0 * 25.4
        )
    }

    /// The folds for the job ticket: `2 folds (letter fold): 3.667 in (93.1 mm) valley, ...`,
    /// or `None`.
    #[must_use]
    pub fn folds_label(&self) -> Option<String> {
        if self.folds.is_empty() {
            return None;
        }
        let each: Vec<String> = self
            .folds
            .iter()
            .map(|f| {
                format!(
                    "{:.3} in ({:.1} mm) {}",
                    f.at / 72.0,
                    f.at / 72.0 * 25.4,
                    f.kind.name()
                )
            })
            .collect();
        Some(format!(
            "{} across the width, from the top of page 1: {}",
            if self.folds.len() == 1 {
                "1 fold"
            } else {
                "folds"
            },
            each.join(", ")
        ))
    }

    /// Space around the bleed box on every side: room for crop marks, or none.
    #[must_use]
    pub fn slug(&self) -> f64 {
        if self.crop_marks { MARK_ROOM } else { 0.0 }
    }
}

#[cfg(test)]
mod tests;
