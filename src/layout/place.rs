//! Positioning: an element plus its resolved content → [`Mark`]s the renderer draws.

use std::path::PathBuf;

use super::qr::QrBits;
use super::text::{self, FitError, Run, SetLine, fit};
use super::{Align, Cmyk, Element, ElementKind, Fit, Frame, Layout, Overflow, TextStyle, VAlign};
use crate::hold::{Hold, Place, Problem};

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
    /// A QR code's modules, `module` points square each, from (x, y).
    Modules {
        x: f64,
        y: f64,
        module: f64,
        bits: QrBits,
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

/// The top of the bars of an IMb placed in `frame`: they are centred in it vertically.
#[must_use]
pub fn imb_bars_top(frame: &Frame) -> f64 {
    frame.y + (frame.h - IMB_HEIGHT) / 2.0
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
        let hold = |problem: Problem, fatal: bool| Hold {
            place: Place::Element {
                page: self
                    .pages
                    .get(page)
                    .map_or_else(String::new, |p| p.name.clone()),
                line: element.line,
            },
            problem,
            fatal,
        };
        let text_hold = |e: FitError, style: &TextStyle, problem: fn(FitError) -> Problem| {
            let fatal = style.overflow == Overflow::Fail && matches!(e, FitError::Overflow { .. });
            hold(problem(e), fatal)
        };
        match (&element.kind, content) {
            (ElementKind::Text { frame, style, .. }, Content::Text(text)) => {
                out.push(
                    self.set_text(text, frame, style, true)
                        .map_err(|e| text_hold(e, style, Problem::Text))?,
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
                out.push(mark.map_err(|e| text_hold(e, style, Problem::Address))?);
            }
            (ElementKind::Indicia { frame, style }, Content::Lines(lines)) => {
                if lines.is_empty() {
                    return Ok(());
                }
                out.push(Mark::Rect {
                    frame: *frame,
                    fill: None,
                    stroke: Some((Cmyk::BLACK, 0.5)),
                });
                let inner = Frame {
                    x: frame.x + 2.0,
                    y: frame.y + 2.0,
                    w: (frame.w - 4.0).max(1.0),
                    h: (frame.h - 4.0).max(1.0),
                };
                out.push(
                    self.set_text(&lines.join("\n"), &inner, style, false)
                        .map_err(|e| text_hold(e, style, Problem::Text))?,
                );
            }
            (ElementKind::Imb { frame }, Content::Text(bars)) => {
                if bars.len() != 65 || !bars.bytes().all(|b| b"FADT".contains(&b)) {
                    return Err(hold(Problem::Imb(bars.clone()), false));
                }
                out.push(Mark::Bars {
                    x: frame.x,
                    y: imb_bars_top(frame),
                    bars: bars.clone(),
                });
            }
            (ElementKind::Qr { frame, color, .. }, Content::Text(text)) => {
                out.push(qr_mark(text, *frame, *color).map_err(|r| hold(Problem::Qr(r), false))?);
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
                    Problem::Internal(format!("content {other:?} does not match the element")),
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
            balance: style.balance,
        };
        let fitted = fit(text, &spec)?;
        let font = &self.fonts[style.font];
        let size = fitted.size;
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
    let bits = super::qr::encode(text)
        .map_err(|e| format!("cannot make a QR code of {} bytes: {e}", text.len()))?;
    let side = frame.w.min(frame.h);
    let module = side / (bits.n + 8) as f64;
    Ok(Mark::Modules {
        x: frame.x + (frame.w - side) / 2.0 + 4.0 * module,
        y: frame.y + (frame.h - side) / 2.0 + 4.0 * module,
        module,
        bits,
        color,
    })
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
