//! Postal geometry as checked rules: where a mail piece's address side may carry ink, where
//! the address and the barcode go, and how small the address may get. Each rule names its
//! source; `docs/postal.md` lists them.
//!
//! A layout says what it is for the post with `mail_piece`; only then are its pages checked.
//! Rules are checked on the layout (boxes, sizes), so every piece of a layout that passes
//! passes too: the address never shrinks below its element's `min_size`, and nothing is
//! drawn outside its box.

use serde::Deserialize;

use super::{ElementKind, Frame, Layout, Overflow, Who};

/// What a layout is, for the post.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum MailPiece {
    /// A USPS letter-size piece, postcards included (DMM 201.1: at most 11-1/2 x 6-1/8 in),
    /// mailed flat, address side as laid out.
    UspsLetter,
    /// A First-Class Mail International letter (or card) mailed from the US: the domestic
    /// letter sizes, at least 5-1/2 in long; no IMb, no automation rules.
    InternationalLetter,
}

impl MailPiece {
    /// Its name in a layout file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            MailPiece::UspsLetter => "usps-letter",
            MailPiece::InternationalLetter => "international-letter",
        }
    }

    /// The rules a layout of this kind is checked against, in the order reports list them
    /// (`folded`: a folded self-mailer with an address panel).
    #[must_use]
    pub fn rules(self, folded: bool) -> Vec<Rule> {
        let mut rules = match self {
            MailPiece::UspsLetter => vec![
                Rule::Size,
                Rule::AspectRatio,
                Rule::ClearZone,
                Rule::ImbPosition,
                Rule::AddressSize,
                Rule::OcrArea,
                Rule::ReturnAddress,
                Rule::IndiciaPosition,
            ],
            MailPiece::InternationalLetter => vec![
                Rule::Size,
                Rule::AspectRatio,
                Rule::AddressSize,
                Rule::ReturnAddress,
                Rule::IndiciaPosition,
            ],
        };
        if folded {
            if self == MailPiece::UspsLetter {
                rules.push(Rule::FinalFold);
            }
            rules.push(Rule::Sealed);
        }
        rules
    }

    /// Shortest length (the longer side, along the address) of the finished piece.
    fn min_length(self) -> f64 {
        match self {
            MailPiece::UspsLetter => 5.0 * INCH,
            MailPiece::InternationalLetter => 5.5 * INCH,
        }
    }
}

/// What breaking a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The pieces would not be mailable at the price claimed: the layout is refused.
    Hold,
    /// A recommendation: reported, the run goes on.
    Warn,
}

/// A postal rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The finished piece (its address panel when folded) is letter-size: 3-1/2 to 6-1/8 in
    /// high, 5 (abroad 5-1/2) to 11-1/2 in long.
    Size,
    /// Its length is 1.3 to 2.5 times its height (else nonmachinable, at a surcharge).
    AspectRatio,
    /// The return address, when printed, is in the upper left corner of the address side.
    ReturnAddress,
    /// The postage indicia is in the upper right corner of the address side.
    IndiciaPosition,
    /// Nothing but the IMb in the barcode clear zone.
    ClearZone,
    /// An IMb in the lower right corner has its leftmost bar 3-1/2 to 4-1/4 in from the right
    /// edge and its bars inside the clear zone.
    ImbPosition,
    /// The delivery address is at least 8 pt.
    AddressSize,
    /// The delivery address lies in the OCR read area.
    OcrArea,
    /// No text, address, code or indicia crosses a fold (any layout with folds).
    AcrossFold,
    /// A folded self-mailer's final fold runs along the bottom of its address panel.
    FinalFold,
    /// A folded self-mailer is closed with tabs, wafer seals or glue (`[seal]`).
    Sealed,
}

impl Rule {
    /// A stable name, for reports.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Rule::Size => "size",
            Rule::AspectRatio => "aspect-ratio",
            Rule::ReturnAddress => "return-address",
            Rule::IndiciaPosition => "indicia-position",
            Rule::ClearZone => "clear-zone",
            Rule::ImbPosition => "imb-position",
            Rule::AddressSize => "address-size",
            Rule::OcrArea => "ocr-read-area",
            Rule::AcrossFold => "across-fold",
            Rule::FinalFold => "final-fold",
            Rule::Sealed => "sealed",
        }
    }

    /// Where the rule comes from.
    #[must_use]
    pub fn source(self) -> &'static str {
        match self {
            Rule::Size => "USPS DMM 201.1; abroad, Postal Bulletin 22230 (IMM 241)",
            Rule::AspectRatio => "USPS DMM 201.2.1 (machinable letters)",
            Rule::ReturnAddress => "USPS Publication 25 (return address, upper left)",
            Rule::IndiciaPosition => "USPS DMM 604.5 (permit imprint indicia, upper right)",
            Rule::ClearZone => "USPS DMM 202.5, Pub 28 App. A",
            Rule::ImbPosition => "USPS DMM 202.5",
            Rule::AddressSize => "USPS DMM 202.1",
            Rule::OcrArea => "USPS DMM 202.2.1",
            Rule::AcrossFold => {
                "finishing: type and codes across a fold crack and cannot be read or scanned"
            }
            Rule::FinalFold => "USPS DMM 201.3.14 (folded self-mailers)",
            Rule::Sealed => "USPS DMM 201.3.14 (tabs, wafer seals or glue)",
        }
    }

    /// What breaking it does.
    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Rule::Size
            | Rule::IndiciaPosition
            | Rule::ClearZone
            | Rule::ImbPosition
            | Rule::AddressSize
            | Rule::AcrossFold
            | Rule::FinalFold => Severity::Hold,
            Rule::AspectRatio | Rule::ReturnAddress | Rule::OcrArea | Rule::Sealed => {
                Severity::Warn
            }
        }
    }
}

/// A rule a layout breaks, where.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The page.
    pub page: String,
    /// The element's line in the layout file (1 for the page's background).
    pub line: usize,
    /// What is wrong, with the measures.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.page.is_empty() {
            write!(f, "page `{}`: ", self.page)?;
        }
        write!(
            f,
            "{} ({}, {})",
            self.message,
            self.rule.id(),
            self.rule.source()
        )
    }
}

const INCH: f64 = 72.0;
/// The barcode clear zone: the lower right 4-3/4 x 5/8 in of a letter-size piece.
const CLEAR_ZONE_W: f64 = 4.75 * INCH;
const CLEAR_ZONE_H: f64 = 0.625 * INCH;
/// Where the leftmost bar of a lower-right IMb may be, from the right edge.
const IMB_LEFT_FAR: f64 = 4.25 * INCH;
const IMB_LEFT_NEAR: f64 = 3.5 * INCH;
/// Room kept inside every limit for the guillotine: a cut drifts by up to 1/32 in, and a
/// print shop's sheet registration by as much again.
pub const CUT_TOLERANCE: f64 = INCH / 16.0;
/// The smallest delivery address type.
pub const MIN_ADDRESS_PT: f64 = 8.0;
/// Letter-size limits: height and the longest length.
const LETTER_MIN_H: f64 = 3.5 * INCH;
const LETTER_MAX_H: f64 = 6.125 * INCH;
const LETTER_MAX_L: f64 = 11.5 * INCH;
/// How far from its corner the return address and the indicia may start: their box's
/// outer edges within 1 in of the face's top and side.
const CORNER: f64 = INCH;
/// The OCR read area: 1/2 in from the sides, from 5/8 to 2-3/4 in above the bottom edge.
const OCR_SIDE: f64 = 0.5 * INCH;
const OCR_TOP: f64 = 2.75 * INCH;

/// Every rule `layout` breaks: nothing across a fold on any page, and the postal rules on the
/// page that carries the delivery address.
#[must_use]
pub fn check(layout: &Layout) -> Vec<Finding> {
    let mut out = across_folds(layout);
    out.extend(check_postal(layout));
    out
}

/// Text, addresses, QR codes, IMbs and indicia crossing a fold, or closer to it than
/// [`CUT_TOLERANCE`] (a fold drifts as a cut does). Art and shapes may cross a fold.
fn across_folds(layout: &Layout) -> Vec<Finding> {
    let mut out = Vec::new();
    for page in &layout.pages {
        for el in &page.elements {
            let frame = match &el.kind {
                ElementKind::Text { frame, .. }
                | ElementKind::Address { frame, .. }
                | ElementKind::Qr { frame, .. }
                | ElementKind::Imb { frame }
                | ElementKind::Indicia { frame, .. } => frame,
                ElementKind::Image { .. } | ElementKind::Rect { .. } | ElementKind::Rule { .. } => {
                    continue;
                }
            };
            for fold in &layout.folds {
                if frame.y < fold.at + CUT_TOLERANCE && fold.at - CUT_TOLERANCE < frame.y + frame.h
                {
                    out.push(Finding {
                        rule: Rule::AcrossFold,
                        page: page.name.clone(),
                        line: el.line,
                        message: format!(
                            "this {} ({} to {} in from the top) crosses the fold at {} in, or comes within {} in of it",
                            kind_name(&el.kind),
                            inches(frame.y),
                            inches(frame.y + frame.h),
                            inches(fold.at),
                            inches(CUT_TOLERANCE)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// The postal rules of a `mail_piece`, on the page that carries the delivery address.
fn check_postal(layout: &Layout) -> Vec<Finding> {
    let Some(piece) = layout.mail_piece else {
        return Vec::new();
    };
    let domestic = piece == MailPiece::UspsLetter;
    // The face of the mail piece: the whole page, or the address panel of a folded piece.
    let face = layout.address_panel.unwrap_or(Frame {
        x: 0.0,
        y: 0.0,
        w: layout.width.get(),
        h: layout.height.get(),
    });
    let (left_edge, w, h) = (face.x, face.x + face.w, face.y + face.h);
    let zone = Frame {
        x: w - CLEAR_ZONE_W,
        y: h - CLEAR_ZONE_H,
        w: CLEAR_ZONE_W,
        h: CLEAR_ZONE_H,
    };
    let mut out = size(layout, piece, &face);
    if let Some(panel) = layout.address_panel
        && !layout.folds.is_empty()
    {
        let bottom = panel.y + panel.h;
        let folded_below = layout
            .folds
            .iter()
            .any(|f| (f.at - bottom).abs() <= CUT_TOLERANCE);
        if layout.seal.is_none() {
            out.push(Finding {
                rule: Rule::Sealed,
                page: String::new(),
                line: layout.address_panel_line,
                message: "a folded self-mailer must be closed with tabs, wafer seals or glue: say how in [seal], and the job ticket tells the shop".into(),
            });
        }
        if domestic && !folded_below {
            out.push(Finding {
                rule: Rule::FinalFold,
                page: String::new(),
                line: layout.address_panel_line,
                message: format!(
                    "the address panel ends {} in from the top, where the sheet is not folded: a folded self-mailer's final fold must run along the bottom of its address panel",
                    inches(bottom)
                ),
            });
        }
    }
    let address_side = layout.pages.iter().filter(|p| {
        p.elements.iter().any(|e| {
            matches!(
                e.kind,
                ElementKind::Address {
                    who: Who::Recipient,
                    ..
                }
            )
        })
    });
    for page in address_side {
        let mut finding = |rule: Rule, line: usize, message: String| {
            out.push(Finding {
                rule,
                page: page.name.clone(),
                line,
                message,
            });
        };
        corners(page, &face, &mut finding);
        if !domestic {
            // Mail abroad has no IMb and no automation rules: the type size is what remains.
            for el in &page.elements {
                if let ElementKind::Address {
                    style,
                    who: Who::Recipient,
                    ..
                } = &el.kind
                {
                    address_size(style, el.line, &mut finding);
                }
            }
            continue;
        }
        if page.background.is_some() {
            finding(
                Rule::ClearZone,
                1,
                "the page has a background, which prints in the barcode clear zone (lower right 4.75 x 0.625 in)".into(),
            );
        }
        for el in &page.elements {
            match &el.kind {
                ElementKind::Imb { frame } => {
                    let left = w - frame.x;
                    let top = super::place::imb_bars_top(frame);
                    let bottom = top + super::place::IMB_HEIGHT;
                    let far = IMB_LEFT_FAR - CUT_TOLERANCE;
                    let near = IMB_LEFT_NEAR + CUT_TOLERANCE;
                    if !(near..=far).contains(&left) {
                        finding(
                            Rule::ImbPosition,
                            el.line,
                            format!(
                                "the IMb's leftmost bar is {} in from the right edge; it must be 3.5 to 4.25 in, and {} to {} in leaves room for cutting",
                                inches(left),
                                inches(near),
                                inches(far)
                            ),
                        );
                    }
                    if top < zone.y || bottom > h - CUT_TOLERANCE {
                        finding(
                            Rule::ImbPosition,
                            el.line,
                            format!(
                                "the IMb's bars span {} to {} in above the bottom edge; they must lie in the clear zone (the bottom 0.625 in), at least {} in above the edge for cutting",
                                inches(h - bottom),
                                inches(h - top),
                                inches(CUT_TOLERANCE)
                            ),
                        );
                    }
                }
                kind => {
                    let Some(extent) = extent(kind) else { continue };
                    if overlaps(&extent, &zone) {
                        finding(
                            Rule::ClearZone,
                            el.line,
                            format!(
                                "this {} reaches into the barcode clear zone (the lower right 4.75 x 0.625 in: {} in from the left, {} in from the top), where only the IMb may print",
                                kind_name(kind),
                                inches(zone.x),
                                inches(zone.y)
                            ),
                        );
                    }
                }
            }
            if let ElementKind::Address {
                frame,
                style,
                who: Who::Recipient,
            } = &el.kind
            {
                address_size(style, el.line, &mut finding);
                let inside = frame.x >= left_edge + OCR_SIDE
                    && frame.x + frame.w <= w - OCR_SIDE
                    && frame.y >= h - OCR_TOP
                    && frame.y + frame.h <= h - CLEAR_ZONE_H;
                if !inside {
                    finding(
                        Rule::OcrArea,
                        el.line,
                        format!(
                            "the delivery address box ({} in from the left, {} in from the top, {} x {} in) is not inside the OCR read area (0.5 in from the sides, 0.625 to 2.75 in above the bottom edge)",
                            inches(frame.x),
                            inches(frame.y),
                            inches(frame.w),
                            inches(frame.h)
                        ),
                    );
                }
            }
        }
    }
    out
}

/// The finished piece's size and aspect ratio (the address panel's, when it is folded).
fn size(layout: &Layout, piece: MailPiece, face: &Frame) -> Vec<Finding> {
    let mut out = Vec::new();
    let line = if layout.address_panel.is_some() {
        layout.address_panel_line
    } else {
        layout.mail_piece_line
    };
    // The length runs along the address: a face taller than wide is turned.
    let (length, height) = (face.w.max(face.h), face.w.min(face.h));
    let min_l = piece.min_length();
    if !(LETTER_MIN_H..=LETTER_MAX_H).contains(&height) || !(min_l..=LETTER_MAX_L).contains(&length)
    {
        out.push(Finding {
            rule: Rule::Size,
            page: String::new(),
            line,
            message: format!(
                "the {} piece is {} x {} in; a {} must be {} to 11.5 in long and 3.5 to 6.125 in high",
                if layout.address_panel.is_some() {
                    "folded"
                } else {
                    "finished"
                },
                inches(length),
                inches(height),
                piece.name(),
                inches(min_l)
            ),
        });
    }
    let ratio = length / height;
    if !(1.3..=2.5).contains(&ratio) {
        out.push(Finding {
            rule: Rule::AspectRatio,
            page: String::new(),
            line,
            message: format!(
                "the piece's length is {ratio:.2} times its height; outside 1.3 to 2.5 a letter is nonmachinable: a surcharge, and no automation prices"
            ),
        });
    }
    out
}

/// The return address in the upper left corner and the indicia in the upper right, of `face`.
fn corners(page: &super::Page, face: &Frame, finding: &mut impl FnMut(Rule, usize, String)) {
    for el in &page.elements {
        let (rule, frame, corner_x, side) = match &el.kind {
            ElementKind::Address {
                frame,
                who: Who::Sender,
                ..
            } => (Rule::ReturnAddress, frame, frame.x - face.x, "left"),
            ElementKind::Indicia { frame, .. } => (
                Rule::IndiciaPosition,
                frame,
                face.x + face.w - (frame.x + frame.w),
                "right",
            ),
            _ => continue,
        };
        let from_top = frame.y - face.y;
        if !(0.0..=CORNER).contains(&corner_x) || !(0.0..=CORNER).contains(&from_top) {
            finding(
                rule,
                el.line,
                format!(
                    "the {} box starts {} in from the {side} edge and {} in from the top of the address side; it belongs in the upper {side} corner, within {} in of both",
                    if rule == Rule::ReturnAddress {
                        "return address"
                    } else {
                        "indicia"
                    },
                    inches(corner_x),
                    inches(from_top),
                    inches(CORNER)
                ),
            );
        }
    }
}

/// The delivery address never shrinks below [`MIN_ADDRESS_PT`].
fn address_size(
    style: &super::TextStyle,
    line: usize,
    finding: &mut impl FnMut(Rule, usize, String),
) {
    let smallest = if style.overflow == Overflow::Hold {
        style.size
    } else {
        style.min_size.min(style.size)
    };
    if smallest < MIN_ADDRESS_PT {
        finding(
            Rule::AddressSize,
            line,
            format!(
                "the delivery address may shrink to {smallest} pt; it must stay at least {MIN_ADDRESS_PT} pt (set min_size = {MIN_ADDRESS_PT} or more)"
            ),
        );
    }
}

/// The area an element may put ink on.
fn extent(kind: &ElementKind) -> Option<Frame> {
    match kind {
        ElementKind::Text { frame, .. }
        | ElementKind::Indicia { frame, .. }
        | ElementKind::Image { frame, .. }
        | ElementKind::Address { frame, .. }
        | ElementKind::Qr { frame, .. } => Some(*frame),
        ElementKind::Rect {
            frame,
            fill,
            stroke,
        } => {
            let half = stroke.map_or(0.0, |(_, width)| width / 2.0);
            (fill.is_some() || stroke.is_some()).then_some(Frame {
                x: frame.x - half,
                y: frame.y - half,
                w: frame.w + 2.0 * half,
                h: frame.h + 2.0 * half,
            })
        }
        ElementKind::Rule {
            from, to, width, ..
        } => {
            let half = width / 2.0;
            let (x0, x1) = (from.0.min(to.0), from.0.max(to.0));
            let (y0, y1) = (from.1.min(to.1), from.1.max(to.1));
            Some(Frame {
                x: x0 - half,
                y: y0 - half,
                w: x1 - x0 + 2.0 * half,
                h: y1 - y0 + 2.0 * half,
            })
        }
        ElementKind::Imb { .. } => None,
    }
}

/// True when `a` and `b` share some area (touching edges do not count).
fn overlaps(a: &Frame, b: &Frame) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

fn kind_name(kind: &ElementKind) -> &'static str {
    match kind {
        ElementKind::Text { .. } => "text box",
        ElementKind::Image { .. } => "image",
        ElementKind::Rect { .. } => "rectangle",
        ElementKind::Rule { .. } => "rule",
        ElementKind::Address { .. } => "address block",
        ElementKind::Qr { .. } => "QR code",
        ElementKind::Imb { .. } => "IMb",
        ElementKind::Indicia { .. } => "indicia",
    }
}

/// Points as inches, to 3 decimals.
fn inches(pt: f64) -> String {
    let s = format!("{:.3}", pt / INCH);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resources;

    /// A 6 x 4 in card whose back page has `back` (TOML elements) after a good address.
    fn card(back: &str, address_min: f64) -> Layout {
        let text = format!(
            "units = \"in\"\nsize = [6, 4]\nmail_piece = \"usps-letter\"\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
             [[pages]]\nname = \"front\"\n[[pages]]\nname = \"back\"\n\
             [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [2.5, 2.05, 3.0, 1.25]\nfont = \"sans\"\nsize = 10\nmin_size = {address_min}\n{back}"
        );
        let path = crate::assets::builtin_layouts().join("card.toml");
        Layout::parse(&Resources::default(), &path, "card", &text).unwrap()
    }

    fn rules(l: &Layout) -> Vec<(Rule, usize)> {
        check(l).iter().map(|f| (f.rule, f.line)).collect()
    }

    #[test]
    fn a_good_card_and_the_shipped_postcards_break_no_rule() {
        let good = card(
            "[[pages.elements]]\ntype = \"imb\"\nbox = [2.125, 3.5, 3.0, 0.2]\n",
            8.0,
        );
        assert_eq!(rules(&good), []);
        for id in ["postcard-6x4", "postcard-6x9"] {
            let l =
                Layout::load(&Resources::default(), &crate::assets::builtin_layouts(), id).unwrap();
            assert_eq!(l.mail_piece, Some(MailPiece::UspsLetter), "{id}");
            assert_eq!(check(&l), [], "{id}");
        }
    }

    #[test]
    fn ink_in_the_clear_zone_is_found_element_by_element() {
        // A filled box ending 0.3 in above the bottom edge, 4.5 in from the right edge.
        let l = card(
            "[[pages.elements]]\ntype = \"rect\"\nbox = [1.5, 3.3, 0.5, 0.4]\nfill = [0, 60, 100, 0]\n\
             [[pages.elements]]\ntype = \"rule\"\nfrom = [0.25, 3.8]\nto = [5.75, 3.8]\n\
             [[pages.elements]]\ntype = \"rect\"\nbox = [1.0, 3.5, 0.2, 0.2]\nfill = [0, 0, 0, 100]\n",
            8.0,
        );
        // The rect and the rule; the small box left of the zone (x < 1.25 in) is fine.
        assert_eq!(
            rules(&l),
            [(Rule::ClearZone, 17), (Rule::ClearZone, 21)],
            "{:#?}",
            check(&l)
        );
        assert_eq!(Rule::ClearZone.severity(), Severity::Hold);
        // A background on the address side prints everywhere, the clear zone included.
        let text = "units = \"in\"\nsize = [6, 4]\nmail_piece = \"usps-letter\"\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
                    [[pages]]\nname = \"back\"\n[pages.background]\ncolor = [0, 0, 10, 0]\n\
                    [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [2.5, 2.05, 3.0, 1.25]\nfont = \"sans\"\nsize = 10\nmin_size = 8\n";
        let path = crate::assets::builtin_layouts().join("card.toml");
        let l = Layout::parse(&Resources::default(), &path, "card", text).unwrap();
        assert_eq!(rules(&l), [(Rule::ClearZone, 1)]);
    }

    #[test]
    fn the_imb_must_sit_in_its_window_with_room_for_the_cut() {
        // Leftmost bar exactly 3.5 in from the right edge: legal on paper, no room to cut.
        let edge = card(
            "[[pages.elements]]\ntype = \"imb\"\nbox = [2.5, 3.5, 3.0, 0.2]\n",
            8.0,
        );
        assert_eq!(rules(&edge), [(Rule::ImbPosition, 17)]);
        // 4.9 in from the right edge: outside the window.
        let far = card(
            "[[pages.elements]]\ntype = \"imb\"\nbox = [1.1, 3.5, 3.0, 0.2]\n",
            8.0,
        );
        let f = check(&far);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("4.9 in from the right edge"),
            "{}",
            f[0]
        );
        // Bars above the clear zone (floating under the address).
        let high = card(
            "[[pages.elements]]\ntype = \"imb\"\nbox = [2.125, 3.2, 3.0, 0.2]\n",
            8.0,
        );
        assert_eq!(rules(&high), [(Rule::ImbPosition, 17)]);
        // Bars touching the bottom edge.
        let low = card(
            "[[pages.elements]]\ntype = \"imb\"\nbox = [2.125, 3.85, 3.0, 0.2]\n",
            8.0,
        );
        assert_eq!(rules(&low), [(Rule::ImbPosition, 17)]);
    }

    #[test]
    fn the_address_stays_8_pt_and_in_the_ocr_read_area() {
        let small = card("", 7.0);
        let f = check(&small);
        assert_eq!(rules(&small), [(Rule::AddressSize, 10)]);
        assert!(f[0].message.contains("may shrink to 7 pt"), "{}", f[0]);
        // Too far right for the OCR read area: a warning, not a hold.
        let text = "units = \"in\"\nsize = [6, 4]\nmail_piece = \"usps-letter\"\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
                    [[pages]]\nname = \"back\"\n\
                    [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [2.8, 2.05, 3.0, 1.25]\nfont = \"sans\"\nsize = 10\nmin_size = 8\n";
        let path = crate::assets::builtin_layouts().join("card.toml");
        let l = Layout::parse(&Resources::default(), &path, "card", text).unwrap();
        assert_eq!(rules(&l), [(Rule::OcrArea, 8)]);
        assert_eq!(Rule::OcrArea.severity(), Severity::Warn);
        // A layout that does not say what it is for the post is not checked.
        let text = text.replace("mail_piece = \"usps-letter\"\n", "");
        let l = Layout::parse(&Resources::default(), &path, "card", &text).unwrap();
        assert_eq!(check(&l), []);
    }

    #[test]
    fn nothing_readable_crosses_a_fold_but_art_may() {
        let text = "units = \"in\"\nsize = [8.5, 11]\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
                    [[folds]]\nat = 3.667\n[[folds]]\nat = 7.333\nkind = \"mountain\"\n\
                    [[pages]]\nname = \"back\"\n\
                    [[pages.elements]]\ntype = \"image\"\nsrc = \"art/postcard-6x4-front.jpg\"\nbox = [0, 0, 8.5, 11]\n\
                    [[pages.elements]]\ntype = \"text\"\ntext = \"Hi\"\nfont = \"sans\"\nbox = [0.5, 3.0, 5, 1.0]\n\
                    [[pages.elements]]\ntype = \"qr\"\ncontent = \"x\"\nbox = [6, 7.35, 1, 1]\n\
                    [[pages.elements]]\ntype = \"text\"\ntext = \"Hi\"\nfont = \"sans\"\nbox = [0.5, 4.0, 5, 1.0]\n";
        let path = crate::assets::builtin_layouts().join("card.toml");
        let l = Layout::parse(&Resources::default(), &path, "card", text).unwrap();
        assert_eq!(l.folds.len(), 2);
        assert_eq!(l.folds[1].kind, crate::layout::FoldKind::Mountain);
        // The text across 3.667 in, and the QR code 0.017 in below the second fold (closer
        // than the 1/16 in a fold may drift); not the art, not the text clear of both.
        assert_eq!(
            rules(&l),
            [(Rule::AcrossFold, 16), (Rule::AcrossFold, 21)],
            "{:#?}",
            check(&l)
        );
        assert!(
            l.folds_label()
                .unwrap()
                .contains("3.667 in (93.1 mm) valley")
        );
        // A fold outside the sheet is refused with its line.
        let bad = text.replace("at = 3.667", "at = 12");
        let e = Layout::parse(&Resources::default(), &path, "card", &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":5:") && e.contains("inside the sheet's height"),
            "{e}"
        );
    }

    #[test]
    fn a_folded_self_mailer_is_checked_on_its_address_panel() {
        // Letter, folded in three; the address panel is the top or the bottom third.
        let sheet = |panel: &str, imb_y: f64| {
            format!(
                "units = \"in\"\nsize = [8.5, 11]\nmail_piece = \"usps-letter\"\naddress_panel = {panel}\n\
                 [seal]\nkind = \"glue\"\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
                 [[folds]]\nat = 3.667\n[[folds]]\nat = 7.333\n\
                 [[pages]]\nname = \"back\"\n\
                 [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [3.6, 1.3, 4.2, 1.4]\nfont = \"sans\"\nsize = 12\nmin_size = 8\n\
                 [[pages.elements]]\ntype = \"imb\"\nbox = [4.625, {imb_y}, 3.0, 0.3]\n"
            )
        };
        let path = crate::assets::builtin_layouts().join("card.toml");
        let parse = |t: &str| Layout::parse(&Resources::default(), &path, "card", t).unwrap();
        // Top third: its bottom edge is the fold at 3.667 in; the IMb sits in the panel's
        // clear zone (3.042 to 3.667 in from the top), not the sheet's.
        let good = parse(&sheet("[0, 0, 8.5, 3.667]", 3.15));
        assert_eq!(rules(&good), []);
        // The same IMb measured against the whole sheet would be 7.5 in above its bottom.
        let no_panel = parse(
            &sheet("[0, 0, 8.5, 3.667]", 3.15).replace("address_panel = [0, 0, 8.5, 3.667]\n", ""),
        );
        assert!(
            rules(&no_panel).contains(&(Rule::ImbPosition, 21)),
            "{:#?}",
            check(&no_panel)
        );
        // Bottom third: its top edge is the fold, its bottom the open trim edge.
        let bottom = sheet("[0, 7.333, 8.5, 3.667]", 3.15);
        let l = parse(&bottom);
        let f = check(&l);
        assert!(
            f.iter().any(|f| f.rule == Rule::FinalFold
                && f.line == 4
                && f.message.contains("11 in from the top")),
            "{f:#?}"
        );
        assert_eq!(Rule::FinalFold.severity(), Severity::Hold);
    }

    #[test]
    fn a_self_mailer_without_a_seal_is_warned_about() {
        let text = "units = \"in\"\nsize = [8.5, 11]\nmail_piece = \"usps-letter\"\naddress_panel = [0, 0, 8.5, 3.667]\n\
                    [fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n[[folds]]\nat = 3.667\n\
                    [[pages]]\nname = \"back\"\n\
                    [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [3.6, 1.3, 4.2, 1.4]\nfont = \"sans\"\nsize = 12\nmin_size = 8\n";
        let path = crate::assets::builtin_layouts().join("card.toml");
        let l = Layout::parse(&Resources::default(), &path, "card", text).unwrap();
        let f = check(&l);
        assert_eq!(rules(&l), [(Rule::Sealed, 4)], "{f:#?}");
        assert_eq!(Rule::Sealed.severity(), Severity::Warn);
        assert!(
            f[0].to_string()
                .starts_with("a folded self-mailer must be closed"),
            "{}",
            f[0]
        );
        let sealed = text.replace(
            "[fonts]",
            "[seal]\nkind = \"tabs\"\ncount = 2\nsize_in = 1.0\nplace = \"on the top edge\"\n[fonts]",
        );
        let l = Layout::parse(&Resources::default(), &path, "card", &sealed).unwrap();
        assert_eq!(rules(&l), []);
        assert_eq!(
            l.seal.as_ref().unwrap().label(),
            "2 tabs (1 in wafer seals) on the top edge"
        );
        let bad = sealed.replace("count = 2\n", "");
        let e = Layout::parse(&Resources::default(), &path, "card", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs `count` and `size_in`"), "{e}");
    }

    /// A layout of `size` (in) for `piece`, its back carrying a good address and `back`.
    fn piece(piece: &str, size: (f64, f64), back: &str) -> Layout {
        let text = format!(
            "units = \"in\"\nsize = [{}, {}]\nmail_piece = \"{piece}\"\n[fonts]\nsans = \"../fonts/DejaVuSans.ttf\"\n\
             [[pages]]\nname = \"back\"\n\
             [[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [2.5, 2.05, 3.0, 1.25]\nfont = \"sans\"\nsize = 10\nmin_size = 8\n{back}",
            size.0, size.1
        );
        let path = crate::assets::builtin_layouts().join("card.toml");
        Layout::parse(&Resources::default(), &path, "card", &text).unwrap()
    }

    #[test]
    fn a_piece_must_be_letter_size_and_machinable() {
        // 12 x 6 in is too long for a letter: a flat, at another price.
        let long = piece("usps-letter", (12.0, 6.0), "");
        assert_eq!(rules(&long)[0], (Rule::Size, 3), "{:#?}", check(&long));
        assert!(
            check(&long)[0].message.contains("12 x 6 in"),
            "{}",
            check(&long)[0]
        );
        assert_eq!(Rule::Size.severity(), Severity::Hold);
        // 6 x 5 in is letter-size but nearly square: nonmachinable, a warning.
        let square = piece("usps-letter", (6.0, 5.0), "");
        assert_eq!(rules(&square)[0], (Rule::AspectRatio, 3));
        assert_eq!(Rule::AspectRatio.severity(), Severity::Warn);
        // 5.25 x 3.5 in is a US letter, but shorter than mail abroad may be.
        let small = "[[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [0.5, 1.0, 3.0, 1.25]\nfont = \"sans\"\nsize = 10\nmin_size = 8\n";
        let us = piece("usps-letter", (5.25, 3.5), "");
        assert!(
            !rules(&us).iter().any(|(r, _)| *r == Rule::Size),
            "{:#?}",
            check(&us)
        );
        let abroad = piece("international-letter", (5.25, 3.5), small);
        assert_eq!(rules(&abroad)[0], (Rule::Size, 3), "{:#?}", check(&abroad));
    }

    #[test]
    fn the_return_address_goes_upper_left_and_the_indicia_upper_right() {
        let good = card(
            "[[pages.elements]]\ntype = \"address\"\nwho = \"sender\"\nbox = [0.25, 0.25, 2.4, 0.55]\nfont = \"sans\"\nsize = 7\n\
             [[pages.elements]]\ntype = \"indicia\"\nbox = [4.9, 0.25, 0.85, 0.7]\nfont = \"sans\"\nsize = 6\n",
            8.0,
        );
        assert_eq!(rules(&good), []);
        // The return address in the middle of the card; the indicia at the upper left.
        let bad = card(
            "[[pages.elements]]\ntype = \"address\"\nwho = \"sender\"\nbox = [0.25, 1.5, 2.4, 0.55]\nfont = \"sans\"\nsize = 7\n\
             [[pages.elements]]\ntype = \"indicia\"\nbox = [0.25, 0.25, 0.85, 0.7]\nfont = \"sans\"\nsize = 6\n",
            8.0,
        );
        assert_eq!(
            rules(&bad),
            [(Rule::ReturnAddress, 17), (Rule::IndiciaPosition, 23)],
            "{:#?}",
            check(&bad)
        );
        assert!(check(&bad)[1].message.contains("upper right corner"));
        assert_eq!(Rule::ReturnAddress.severity(), Severity::Warn);
        assert_eq!(Rule::IndiciaPosition.severity(), Severity::Hold);
    }

    #[test]
    fn mail_abroad_has_no_automation_rules_but_keeps_the_others() {
        // Ink where a US piece's clear zone would be, no IMb: fine abroad.
        let offer = "[[pages.elements]]\ntype = \"rect\"\nbox = [1.5, 3.3, 4.0, 0.6]\nfill = [0, 60, 100, 0]\n";
        let abroad = piece("international-letter", (6.0, 4.0), offer);
        assert_eq!(rules(&abroad), []);
        let us = piece("usps-letter", (6.0, 4.0), offer);
        assert_eq!(rules(&us), [(Rule::ClearZone, 15)]);
        // The address still never shrinks below 8 pt.
        let tiny = piece(
            "international-letter",
            (6.0, 4.0),
            "[[pages.elements]]\ntype = \"address\"\nwho = \"recipient\"\nbox = [2.5, 1.0, 3.0, 1.0]\nfont = \"sans\"\nsize = 10\nmin_size = 6\n",
        );
        assert_eq!(rules(&tiny), [(Rule::AddressSize, 15)]);
        let rules_abroad = MailPiece::InternationalLetter.rules(true);
        assert!(rules_abroad.contains(&Rule::Sealed) && !rules_abroad.contains(&Rule::FinalFold));
        assert!(!rules_abroad.contains(&Rule::ClearZone));
    }
}
