//! Positioning: an element plus its resolved content → [`Mark`]s the renderer draws.

use std::path::PathBuf;

use super::text::{self, FitError, Run, SetLine, fit};
use super::{Align, Cmyk, Element, ElementKind, Fit, Frame, Layout, Overflow, TextStyle, VAlign};

/// Something to draw, positioned: what the renderer consumes.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// Lines of text: (x, baseline y, glyph runs) each.
    Text {
        size: f64,
        color: Cmyk,
        lines: Vec<(f64, f64, Vec<Run>)>,
    },
    /// An image drawn at `placed`, clipped to `clip`.
    Image {
        path: PathBuf,
        placed: Frame,
        clip: Frame,
    },
    /// A rectangle.
    Rect {
        frame: Frame,
        fill: Option<Cmyk>,
        stroke: Option<(Cmyk, f64)>,
    },
    /// A line.
    Line {
        from: (f64, f64),
        to: (f64, f64),
        width: f64,
        color: Cmyk,
    },
    /// Dark modules of a QR code, (column, row) each, `module` points square from (x, y).
    Modules {
        x: f64,
        y: f64,
        module: f64,
        count: u16,
        dark: Vec<(u16, u16)>,
        color: Cmyk,
    },
    /// Intelligent Mail barcode bars (`F`, `A`, `D`, `T`) from (x, y), the top of a full bar.
    Bars { x: f64, y: f64, bars: String },
    /// A page of a PDF, scaled into `frame`.
    PdfPage {
        path: PathBuf,
        page: u32,
        frame: Frame,
    },
}

/// What an element shows for one piece (or one file, for static elements).
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// Its `when` is false: draw nothing.
    Hidden,
    /// Text after merging (text elements, QR content).
    Text(String),
    /// Address block lines.
    Lines(Vec<String>),
    /// The image file and its size in pixels.
    Image { path: PathBuf, pixels: (u32, u32) },
    /// Rect or rule: nothing to resolve.
    Shape,
}

/// IMb bar pitch: 22 bars per inch (USPS-B-3200 allows 20 to 24).
pub const IMB_PITCH: f64 = 72.0 / 22.0;
/// IMb bar width: 0.020 in (0.015 to 0.025 allowed).
pub const IMB_BAR_WIDTH: f64 = 0.020 * 72.0;
/// IMb full bar height: 0.145 in (0.125 to 0.165 allowed).
pub const IMB_HEIGHT: f64 = 0.145 * 72.0;
/// IMb tracker height: 0.048 in (0.039 to 0.057 allowed).
pub const IMB_TRACKER: f64 = 0.048 * 72.0;
/// Length of the 65 bars.
pub const IMB_LENGTH: f64 = 64.0 * IMB_PITCH + IMB_BAR_WIDTH;

/// Why a piece cannot be set and is held.
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    /// Page name.
    pub page: String,
    /// Layout line of the element.
    pub line: usize,
    /// What went wrong.
    pub reason: String,
    /// The element's policy is `overflow = "fail"`: stop the run, do not just hold the piece.
    pub fatal: bool,
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "page `{}`, element at layout line {}: {}",
            self.page, self.line, self.reason
        )
    }
}

impl Layout {
    /// Positions `element` of page `page` with its resolved `content`, appending to `out`.
    ///
    /// # Errors
    /// A [`Hold`] when text does not fit, has a character no font of the element has, or a QR
    /// code cannot hold its content.
    pub fn place(
        &self,
        page: usize,
        element: &Element,
        content: &Content,
        out: &mut Vec<Mark>,
    ) -> Result<(), Hold> {
        let hold = |reason: String, fatal: bool| Hold {
            page: self
                .pages
                .get(page)
                .map_or_else(String::new, |p| p.name.clone()),
            line: element.line,
            reason,
            fatal,
        };
        let text_hold = |e: FitError, style: &TextStyle, what: &str| {
            let fatal = style.overflow == Overflow::Fail && matches!(e, FitError::Overflow { .. });
            hold(format!("{what}{e}"), fatal)
        };
        match (&element.kind, content) {
            (_, Content::Hidden) => {}
            (ElementKind::Text { frame, style, .. }, Content::Text(text)) => {
                out.push(
                    self.set_text(text, frame, style, true)
                        .map_err(|e| text_hold(e, style, ""))?,
                );
            }
            (ElementKind::Address { frame, style, .. }, Content::Lines(lines)) => {
                // Too long: standard abbreviations first (never on the name line), then hold.
                let mark = self
                    .set_text(&lines.join("\n"), frame, style, false)
                    .or_else(|e| {
                        if !matches!(e, FitError::Overflow { .. }) {
                            return Err(e);
                        }
                        let short: Vec<String> = lines
                            .iter()
                            .enumerate()
                            .map(|(i, l)| {
                                if i == 0 {
                                    l.clone()
                                } else {
                                    crate::address::abbreviate_line(l)
                                }
                            })
                            .collect();
                        self.set_text(&short.join("\n"), frame, style, false)
                    });
                out.push(mark.map_err(|e| text_hold(e, style, "address block: "))?);
            }
            (ElementKind::Imb { frame }, Content::Text(bars)) => {
                if bars.len() != 65 || !bars.bytes().all(|b| b"FADT".contains(&b)) {
                    return Err(hold(format!("`{bars}` is not a 65-bar IMb"), false));
                }
                out.push(Mark::Bars {
                    x: frame.x,
                    y: frame.y + (frame.h - IMB_HEIGHT) / 2.0,
                    bars: bars.clone(),
                });
            }
            (ElementKind::Qr { frame, color, .. }, Content::Text(text)) => {
                out.push(qr_mark(text, *frame, *color).map_err(|r| hold(r, false))?);
            }
            (ElementKind::Image { frame, fit, .. }, Content::Image { path, pixels }) => {
                out.push(Mark::Image {
                    path: path.clone(),
                    placed: fit_image(*frame, *fit, *pixels),
                    clip: *frame,
                });
            }
            (
                ElementKind::Rect {
                    frame,
                    fill,
                    stroke,
                },
                _,
            ) => out.push(Mark::Rect {
                frame: *frame,
                fill: *fill,
                stroke: *stroke,
            }),
            (
                ElementKind::Rule {
                    from,
                    to,
                    width,
                    color,
                },
                _,
            ) => out.push(Mark::Line {
                from: *from,
                to: *to,
                width: *width,
                color: *color,
            }),
            (_, other) => {
                return Err(hold(
                    format!("internal: content {other:?} does not match the element"),
                    true,
                ));
            }
        }
        Ok(())
    }

    fn set_text(
        &self,
        text: &str,
        frame: &Frame,
        style: &TextStyle,
        wrap: bool,
    ) -> Result<Mark, FitError> {
        let mut chain = vec![style.font];
        chain.extend(&style.fallback);
        let spec = text::Spec {
            fonts: &self.fonts,
            chain: &chain,
            size: style.size,
            min_size: if style.overflow == Overflow::Hold {
                style.size
            } else {
                style.min_size
            },
            leading: style.leading,
            width: frame.w,
            height: frame.h,
            wrap,
        };
        let fitted = fit(text, &spec)?;
        let font = &self.fonts[style.font];
        let size = fitted.size;
        #[allow(clippy::cast_precision_loss)]
        let block = size * (font.ascent - font.descent)
            + size * style.leading * fitted.lines.len().saturating_sub(1) as f64;
        let top = match style.valign {
            VAlign::Top => frame.y,
            VAlign::Middle => frame.y + (frame.h - block) / 2.0,
            VAlign::Bottom => frame.y + frame.h - block,
        };
        let first = top + font.ascent * size;
        let lines = fitted
            .lines
            .into_iter()
            .enumerate()
            .filter(|(_, l)| !l.runs.is_empty())
            .map(|(i, mut line)| {
                let x = match style.align {
                    Align::Left | Align::Justify => frame.x,
                    Align::Center => frame.x + (frame.w - line.width) / 2.0,
                    Align::Right => frame.x + frame.w - line.width,
                };
                if style.align == Align::Justify && !line.last {
                    justify(&mut line, frame.w, size);
                }
                #[allow(clippy::cast_precision_loss)]
                let y = first + i as f64 * size * style.leading;
                (x, y, line.runs)
            })
            .collect();
        Ok(Mark::Text {
            size,
            color: style.color,
            lines,
        })
    }
}

/// Stretches the spaces of `line` so it fills `width` points at `size`.
fn justify(line: &mut SetLine, width: f64, size: f64) {
    let spaces = line
        .runs
        .iter()
        .flat_map(|r| &r.glyphs)
        .filter(|g| g.text == " ")
        .count();
    if spaces == 0 {
        return;
    }
    #[allow(clippy::cast_precision_loss)]
    let extra = (width - line.width) / size / spaces as f64;
    for g in line.runs.iter_mut().flat_map(|r| r.glyphs.iter_mut()) {
        if g.text == " " {
            g.advance += extra;
        }
    }
    line.width = width;
}

/// The QR code of `text` as dark modules in a square centred in `frame`, with the 4-module
/// quiet zone the standard asks for inside the square.
fn qr_mark(text: &str, frame: Frame, color: Cmyk) -> Result<Mark, String> {
    if text.trim().is_empty() {
        return Err("the QR code's content is empty for this contact".into());
    }
    let (n, colors) = qr_modules(text)
        .map_err(|e| format!("cannot make a QR code of {} bytes: {e}", text.len()))?;
    let side = frame.w.min(frame.h);
    #[allow(clippy::cast_precision_loss)]
    let module = side / (n + 8) as f64;
    let dark = colors
        .iter()
        .enumerate()
        .filter(|(_, c)| **c)
        .map(|(i, _)| {
            #[allow(clippy::cast_possible_truncation)]
            ((i % n) as u16, (i / n) as u16)
        })
        .collect();
    Ok(Mark::Modules {
        x: frame.x + (frame.w - side) / 2.0 + 4.0 * module,
        y: frame.y + (frame.h - side) / 2.0 + 4.0 * module,
        module,
        count: u16::try_from(n).unwrap_or(u16::MAX),
        dark,
        color,
    })
}

/// The modules of the QR code of `text` (level M), row by row, and the width.
///
/// The same steps as `qrcode::QrCode`, but the mask is chosen with our own penalty scoring
/// (ISO/IEC 18004 rules N1–N4 on a plain grid): the crate's scoring took half of the time of
/// a whole cycle.
fn qr_modules(text: &str) -> Result<(usize, Vec<bool>), qrcode::types::QrError> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let ec = qrcode::EcLevel::M;
    let bits = qrcode::bits::encode_auto(text.as_bytes(), ec)?;
    let version = bits.version();
    let data = bits.into_bytes();
    let (encoded, ec_data) = qrcode::ec::construct_codewords(&data, version, ec)?;
    let mut canvas = Canvas::new(version, ec);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&encoded, &ec_data);
    let width = version.width();
    let n = usize::try_from(width).unwrap_or(0);
    // Score each mask (data modules flipped by the mask function; the format bits, which
    // differ per mask, are left out of the score), then let the crate apply the winner once,
    // format bits included.
    let unmasked: Vec<bool> = canvas
        .clone()
        .into_colors()
        .into_iter()
        .map(|m| m == qrcode::Color::Dark)
        .collect();
    let best = if n <= 64 {
        // Up to version 11 (every personal URL we print): a row or column is one word, and
        // what each mask flips is the same for every code of this size, so it is computed once.
        let tables = mask_tables(version, n);
        let (mut base_rows, mut base_cols) = (vec![0u64; n], vec![0u64; n]);
        for y in 0..n {
            for x in 0..n {
                if unmasked[y * n + x] {
                    base_rows[y] |= 1 << x;
                    base_cols[x] |= 1 << y;
                }
            }
        }
        let (mut rows, mut cols) = (vec![0u64; n], vec![0u64; n]);
        let mut best = (u32::MAX, 0);
        for m in 0..8 {
            for i in 0..n {
                rows[i] = base_rows[i] ^ tables.rows[m][i];
                cols[i] = base_cols[i] ^ tables.cols[m][i];
            }
            let score = qr_penalty_bits(&rows, &cols, n);
            if score < best.0 {
                best = (score, m);
            }
        }
        MASKS[best.1].0
    } else {
        let data: Vec<bool> = (0..n * n)
            .map(|i| is_data(version, width, i % n, i / n))
            .collect();
        let mut grid = vec![false; n * n];
        let mut best = (u32::MAX, MaskPattern::Checkerboard);
        for (pattern, f) in MASKS {
            for (i, cell) in grid.iter_mut().enumerate() {
                *cell = unmasked[i] ^ (data[i] && f(i % n, i / n));
            }
            let score = qr_penalty(&grid, n);
            if score < best.0 {
                best = (score, pattern);
            }
        }
        best.1
    };
    canvas.apply_mask(best);
    let colors = canvas
        .into_colors()
        .into_iter()
        .map(|m| m == qrcode::Color::Dark)
        .collect();
    Ok((n, colors))
}

type MaskFn = fn(usize, usize) -> bool;

/// The eight QR mask patterns (ISO/IEC 18004 Table 10) as (pattern, module is flipped).
const MASKS: [(qrcode::canvas::MaskPattern, MaskFn); 8] = {
    use qrcode::canvas::MaskPattern;
    [
        (MaskPattern::Checkerboard, |x, y| (x + y) % 2 == 0),
        (MaskPattern::HorizontalLines, |_, y| y % 2 == 0),
        (MaskPattern::VerticalLines, |x, _| x % 3 == 0),
        (MaskPattern::DiagonalLines, |x, y| (x + y) % 3 == 0),
        (MaskPattern::LargeCheckerboard, |x, y| {
            (x / 3 + y / 2) % 2 == 0
        }),
        (MaskPattern::Fields, |x, y| (x * y) % 2 + (x * y) % 3 == 0),
        (MaskPattern::Diamonds, |x, y| {
            ((x * y) % 2 + (x * y) % 3) % 2 == 0
        }),
        (MaskPattern::Meadow, |x, y| {
            ((x + y) % 2 + (x * y) % 3) % 2 == 0
        }),
    ]
};

/// True when module (x, y) of a code of `version` carries data (a mask may flip it).
fn is_data(version: qrcode::Version, width: i16, x: usize, y: usize) -> bool {
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let (x, y) = (x as i16, y as i16);
    !qrcode::canvas::is_functional(version, width, x, y)
}

/// What each mask flips in a code of one size, as bit rows and columns.
struct MaskTables {
    rows: Vec<Vec<u64>>,
    cols: Vec<Vec<u64>>,
}

thread_local! {
    static MASK_TABLES: std::cell::RefCell<std::collections::BTreeMap<usize, std::rc::Rc<MaskTables>>> =
        std::cell::RefCell::default();
}

/// The [`MaskTables`] of codes `n` modules wide (n ≤ 64), computed once per thread.
#[allow(clippy::needless_range_loop)] // x and y index rows and columns alike
fn mask_tables(version: qrcode::Version, n: usize) -> std::rc::Rc<MaskTables> {
    MASK_TABLES.with(|t| {
        let mut t = t.borrow_mut();
        std::rc::Rc::clone(t.entry(n).or_insert_with(|| {
            let width = version.width();
            let (mut rows, mut cols) = (vec![vec![0u64; n]; 8], vec![vec![0u64; n]; 8]);
            for y in 0..n {
                for x in 0..n {
                    if !is_data(version, width, x, y) {
                        continue;
                    }
                    for (m, (_, flips)) in MASKS.iter().enumerate() {
                        if flips(x, y) {
                            rows[m][y] |= 1 << x;
                            cols[m][x] |= 1 << y;
                        }
                    }
                }
            }
            std::rc::Rc::new(MaskTables { rows, cols })
        }))
    })
}

/// [`qr_penalty`] on bit rows and columns (bit x of `rows[y]` is module (x, y); n ≤ 64).
pub(crate) fn qr_penalty_bits(rows: &[u64], cols: &[u64], n: usize) -> u32 {
    let full: u64 = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut score = 0u32;
    for &line in rows.iter().chain(cols) {
        // N1: bit x of `same` says module x equals module x - 1; bit x of `five` that modules
        // x - 4 ..= x are equal. A run of k >= 5 modules scores k - 2: its k - 4 bits in
        // `five`, plus 2 for its start.
        let same = !(line ^ (line << 1)) & full & !1;
        let five = same & (same << 1) & (same << 2) & (same << 3) & full;
        score += five.count_ones() + 2 * (five & !(five << 1)).count_ones();
        // N3: 1011101 with four light modules before or after it.
        for b in 0..n.saturating_sub(10) {
            let w = (line >> b) & 0x7FF;
            score += 40 * (u32::from(w == 0x5D) + u32::from(w == 0x5D0));
        }
    }
    // N2: 2x2 blocks of one colour.
    for pair in rows.windows(2) {
        let vertical = !(pair[0] ^ pair[1]);
        let horizontal = !(pair[0] ^ (pair[0] >> 1));
        let blocks = vertical & (vertical >> 1) & horizontal & (full >> 1);
        score += 3 * blocks.count_ones();
    }
    let dark: u32 = rows.iter().map(|r| r.count_ones()).sum();
    #[allow(clippy::cast_possible_truncation)]
    let percent = (dark as usize * 100 / (n * n).max(1)) as u32;
    score + 10 * (percent.abs_diff(50) / 5)
}

/// ISO/IEC 18004 mask penalty: runs of five or more (N1), 2x2 blocks (N2), finder-like
/// patterns (N3) and dark/light balance (N4). Linear per line: it runs eight times per code.
pub(crate) fn qr_penalty(g: &[bool], n: usize) -> u32 {
    let mut score = 0u32;
    let mut line = vec![false; n];
    for horizontal in [true, false] {
        for a in 0..n {
            for (b, cell) in line.iter_mut().enumerate() {
                *cell = if horizontal {
                    g[a * n + b]
                } else {
                    g[b * n + a]
                };
            }
            let mut run = 1u32;
            // The last eleven modules as bits; 1011101 with four light modules on a side.
            let mut window: u16 = 0;
            for (b, &cell) in line.iter().enumerate() {
                window = ((window << 1) | u16::from(cell)) & 0x7FF;
                if b >= 10 && (window == 0b101_1101_0000 || window == 0b000_0101_1101) {
                    score += 40;
                }
                if b == 0 {
                    continue;
                }
                if cell == line[b - 1] {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
        }
    }
    for y in 0..n.saturating_sub(1) {
        let (row, next) = (&g[y * n..(y + 1) * n], &g[(y + 1) * n..(y + 2) * n]);
        for x in 0..n - 1 {
            let c = row[x];
            if row[x + 1] == c && next[x] == c && next[x + 1] == c {
                score += 3;
            }
        }
    }
    let dark = g.iter().filter(|&&d| d).count();
    #[allow(clippy::cast_possible_truncation)]
    let percent = (dark * 100 / g.len().max(1)) as u32;
    score + 10 * (percent.abs_diff(50) / 5)
}

/// Where an image of `pixels` goes to fill `frame` by `fit`, keeping its aspect ratio.
#[must_use]
pub fn fit_image(frame: Frame, fit: Fit, pixels: (u32, u32)) -> Frame {
    let (pw, ph) = (f64::from(pixels.0.max(1)), f64::from(pixels.1.max(1)));
    let scale = match fit {
        Fit::Cover => (frame.w / pw).max(frame.h / ph),
        Fit::Contain => (frame.w / pw).min(frame.h / ph),
    };
    let (w, h) = (pw * scale, ph * scale);
    Frame {
        x: frame.x + (frame.w - w) / 2.0,
        y: frame.y + (frame.h - h) / 2.0,
        w,
        h,
    }
}
