//! `LAYOUT.toml` → a checked [`Layout`], and an element plus its resolved content → [`Mark`]s.
//!
//! Coordinates are points from the trim's top-left corner, y down; the renderer turns them
//! into PDF space. Nothing here knows about PDF objects.

pub mod font;
pub mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::campaign::line_of;
use crate::units::{Pt, Unit};
pub use font::Font;
use text::{FitError, fit};

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
    /// An image: the step's image for `slot` if it has one, else `src`.
    Image {
        frame: Frame,
        src: Option<PathBuf>,
        slot: Option<String>,
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

/// One page of a piece.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Page name (`front`, `back`).
    pub name: String,
    /// Elements, drawn in order.
    pub elements: Vec<Element>,
}

/// A checked layout.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Layout id (the file stem).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The layout file.
    pub path: PathBuf,
    /// Trim width.
    pub width: Pt,
    /// Trim height.
    pub height: Pt,
    /// Bleed on every side.
    pub bleed: Pt,
    /// Safety margin inside the trim.
    pub safety: Pt,
    /// Paper stock, for the job ticket.
    pub stock: String,
    /// Fonts by index; names in `font_names`.
    pub fonts: Vec<Arc<Font>>,
    /// Font names as the layout calls them, same order as `fonts`.
    pub font_names: Vec<String>,
    /// Default merge fields (templates) a step may override.
    pub fields: BTreeMap<String, String>,
    /// Pages of one piece.
    pub pages: Vec<Page>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    name: Option<String>,
    units: Option<Unit>,
    size: Spanned<[f64; 2]>,
    bleed: Option<f64>,
    safety: Option<f64>,
    stock: Option<String>,
    fonts: BTreeMap<String, PathBuf>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    pages: Vec<PageFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFile {
    name: String,
    #[serde(default)]
    elements: Vec<Spanned<ElementFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElementFile {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "box")]
    frame: Option<[f64; 4]>,
    text: Option<String>,
    font: Option<String>,
    size: Option<f64>,
    min_size: Option<f64>,
    leading: Option<f64>,
    color: Option<[f64; 4]>,
    align: Option<Align>,
    valign: Option<VAlign>,
    src: Option<PathBuf>,
    slot: Option<String>,
    fit: Option<Fit>,
    fill: Option<[f64; 4]>,
    stroke: Option<[f64; 4]>,
    stroke_width: Option<f64>,
    from: Option<[f64; 2]>,
    to: Option<[f64; 2]>,
    width: Option<f64>,
    who: Option<Who>,
    when: Option<String>,
}

impl Layout {
    /// Loads layout `id` from `dir` (`dir/<id>.toml`), with its fonts.
    ///
    /// # Errors
    /// Unknown layout, unreadable file, bad TOML, unknown keys, missing fonts or images,
    /// and out-of-range values, naming the file and line.
    pub fn load(dir: &Path, id: &str) -> Result<Layout, LayoutError> {
        let path = dir.join(format!("{id}.toml"));
        if id.is_empty() || id.contains(['/', '\\']) || !crate::assets::exists(&path) {
            return Err(LayoutError::Unknown {
                id: id.into(),
                path,
            });
        }
        let bytes = crate::assets::read(&path).map_err(|source| LayoutError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Layout::parse(&path, id, &text)
    }

    /// Parses layout `text` as if read from `path`.
    ///
    /// # Errors
    /// As [`Layout::load`].
    pub fn parse(path: &Path, id: &str, text: &str) -> Result<Layout, LayoutError> {
        let invalid = |line: usize, message: String| LayoutError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        let file: LayoutFile = toml::from_str(text).map_err(|e| {
            invalid(
                e.span().map_or(1, |s| line_of(text, s.start)),
                e.message().to_string(),
            )
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let unit = file.units.unwrap_or_default();
        let len = |v: f64| unit.to_pt(v).get();
        let [w, h] = *file.size.get_ref();
        if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
            return Err(invalid(
                line_of(text, file.size.span().start),
                "`size` must be two positive lengths".into(),
            ));
        }
        let default_bleed = if unit == Unit::Mm {
            3.0
        } else {
            unit_from_in(unit, 0.125)
        };
        let bleed = file.bleed.unwrap_or(default_bleed);
        let safety = file.safety.unwrap_or(default_bleed);
        if !(bleed >= 0.0 && safety >= 0.0 && bleed.is_finite() && safety.is_finite()) {
            return Err(invalid(1, "`bleed` and `safety` must be 0 or more".into()));
        }
        let mut font_names = Vec::new();
        let mut fonts = Vec::new();
        for (name, rel) in &file.fonts {
            let fpath = dir.join(rel);
            let font = Font::load(&fpath).map_err(|m| invalid(font_line(text, name), m))?;
            font_names.push(name.clone());
            fonts.push(font);
        }
        let mut pages = Vec::new();
        for page in file.pages {
            let mut elements = Vec::new();
            for spanned in page.elements {
                let line = line_of(text, spanned.span().start);
                let e = spanned.into_inner();
                let kind = element(&e, dir, &len, &font_names).map_err(|m| invalid(line, m))?;
                elements.push(Element {
                    kind,
                    when: e.when.filter(|w| !w.trim().is_empty()),
                    line,
                });
            }
            pages.push(Page {
                name: page.name,
                elements,
            });
        }
        if pages.is_empty() {
            return Err(invalid(1, "a layout needs at least one [[pages]]".into()));
        }
        Ok(Layout {
            id: id.to_string(),
            name: file.name.unwrap_or_else(|| id.to_string()),
            path: path.to_path_buf(),
            width: Pt(len(w)),
            height: Pt(len(h)),
            bleed: Pt(len(bleed)),
            safety: Pt(len(safety)),
            stock: file.stock.unwrap_or_default(),
            fonts,
            font_names,
            fields: file.fields,
            pages,
        })
    }

    /// Trim size as `W x H in` (or mm), for people.
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
}

fn unit_from_in(unit: Unit, inches: f64) -> f64 {
    match unit {
        Unit::In => inches,
        Unit::Mm => inches * 25.4,
        Unit::Pt => inches * 72.0,
    }
}

fn font_line(text: &str, name: &str) -> usize {
    text.find(&format!("{name} ="))
        .or_else(|| text.find(&format!("{name}=")))
        .map_or(1, |o| line_of(text, o))
}

fn cmyk(v: Option<[f64; 4]>, key: &str) -> Result<Option<Cmyk>, String> {
    match v {
        None => Ok(None),
        Some(c) if c.iter().all(|x| (0.0..=100.0).contains(x)) =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(Some(Cmyk(c.map(|x| (x / 100.0) as f32))))
        }
        Some(_) => Err(format!(
            "`{key}` is CMYK in percent: four numbers from 0 to 100"
        )),
    }
}

fn element(
    e: &ElementFile,
    dir: &Path,
    len: &dyn Fn(f64) -> f64,
    fonts: &[String],
) -> Result<ElementKind, String> {
    let frame = || -> Result<Frame, String> {
        let [x, y, w, h] = e
            .frame
            .ok_or_else(|| format!("a `{}` element needs `box = [x, y, width, height]`", e.kind))?;
        if !(w > 0.0 && h > 0.0) || [x, y, w, h].iter().any(|v| !v.is_finite()) {
            return Err("`box` width and height must be positive".into());
        }
        Ok(Frame {
            x: len(x),
            y: len(y),
            w: len(w),
            h: len(h),
        })
    };
    let style = |default_size: f64| -> Result<TextStyle, String> {
        let name = e
            .font
            .as_deref()
            .ok_or("a text element needs `font` (a name from [fonts])")?;
        let font = fonts
            .iter()
            .position(|f| f == name)
            .ok_or_else(|| format!("unknown font `{name}`; [fonts] has: {}", fonts.join(", ")))?;
        let size = e.size.unwrap_or(default_size);
        let min_size = e.min_size.unwrap_or(size);
        if !(size > 0.0 && min_size > 0.0 && min_size <= size) {
            return Err("`size` and `min_size` must be positive, `min_size` at most `size`".into());
        }
        let leading = e.leading.unwrap_or(1.2);
        if !(0.5..=5.0).contains(&leading) {
            return Err("`leading` must be between 0.5 and 5".into());
        }
        Ok(TextStyle {
            font,
            size,
            min_size,
            leading,
            color: cmyk(e.color, "color")?.unwrap_or(Cmyk::BLACK),
            align: e.align.unwrap_or_default(),
            valign: e.valign.unwrap_or_default(),
        })
    };
    Ok(match e.kind.as_str() {
        "text" => ElementKind::Text {
            frame: frame()?,
            text: e.text.clone().ok_or("a text element needs `text`")?,
            style: style(10.0)?,
        },
        "image" => {
            let src = e.src.as_ref().map(|p| dir.join(p));
            if let Some(p) = &src
                && !crate::assets::exists(p)
            {
                return Err(format!("image `{}` not found", p.display()));
            }
            if src.is_none() && e.slot.is_none() {
                return Err("an image element needs `src` or `slot`".into());
            }
            ElementKind::Image {
                frame: frame()?,
                src,
                slot: e.slot.clone(),
                fit: e.fit.unwrap_or_default(),
            }
        }
        "rect" => {
            let fill = cmyk(e.fill, "fill")?;
            let width = e.stroke_width.unwrap_or(0.5);
            if !(width.is_finite() && width >= 0.0) {
                return Err("`stroke_width` must be 0 or more".into());
            }
            let stroke = cmyk(e.stroke, "stroke")?.map(|c| (c, width));
            if fill.is_none() && stroke.is_none() {
                return Err("a rect needs `fill` or `stroke`".into());
            }
            ElementKind::Rect {
                frame: frame()?,
                fill,
                stroke,
            }
        }
        "rule" => {
            let (Some(from), Some(to)) = (e.from, e.to) else {
                return Err("a rule needs `from = [x, y]` and `to = [x, y]`".into());
            };
            if from
                .iter()
                .chain(&to)
                .chain(&e.width)
                .any(|v| !v.is_finite())
            {
                return Err("a rule's `from`, `to` and `width` must be numbers".into());
            }
            ElementKind::Rule {
                from: (len(from[0]), len(from[1])),
                to: (len(to[0]), len(to[1])),
                width: e.width.unwrap_or(0.5),
                color: cmyk(e.color, "color")?.unwrap_or(Cmyk::BLACK),
            }
        }
        "address" => ElementKind::Address {
            frame: frame()?,
            style: style(10.0)?,
            who: e.who.unwrap_or_default(),
        },
        other => {
            return Err(format!(
                "unknown element type `{other}`; use text, image, rect, rule or address"
            ));
        }
    })
}

/// Something to draw, positioned: what the renderer consumes.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// Lines of text: (x, baseline y, text) each.
    Text {
        font: usize,
        size: f64,
        color: Cmyk,
        lines: Vec<(f64, f64, String)>,
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
}

/// What an element shows for one piece (or one file, for static elements).
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// Its `when` is false: draw nothing.
    Hidden,
    /// Text after merging.
    Text(String),
    /// Address block lines.
    Lines(Vec<String>),
    /// The image file and its size in pixels.
    Image { path: PathBuf, pixels: (u32, u32) },
    /// Rect or rule: nothing to resolve.
    Shape,
}

/// Why a piece cannot be set and is held.
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    /// Page name.
    pub page: String,
    /// Layout line of the element.
    pub line: usize,
    /// What went wrong.
    pub reason: String,
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
    /// A [`Hold`] when text does not fit at its minimum size or has a character the font lacks.
    pub fn place(
        &self,
        page: usize,
        element: &Element,
        content: &Content,
        out: &mut Vec<Mark>,
    ) -> Result<(), Hold> {
        let hold = |reason: String| Hold {
            page: self.pages[page].name.clone(),
            line: element.line,
            reason,
        };
        match (&element.kind, content) {
            (_, Content::Hidden) => {}
            (ElementKind::Text { frame, style, .. }, Content::Text(text)) => {
                out.push(
                    self.set_text(text, frame, style, true)
                        .map_err(|e| hold(e.to_string()))?,
                );
            }
            (ElementKind::Address { frame, style, .. }, Content::Lines(lines)) => {
                out.push(
                    self.set_text(&lines.join("\n"), frame, style, false)
                        .map_err(|e| hold(format!("address block: {e}")))?,
                );
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
                return Err(hold(format!(
                    "internal: content {other:?} does not match the element"
                )));
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
        let font = &self.fonts[style.font];
        let fitted = fit(
            text,
            font,
            style.size,
            style.min_size,
            style.leading,
            frame.w,
            frame.h,
            wrap,
        )?;
        #[allow(clippy::cast_precision_loss)]
        let block = fitted.size * (font.ascent - font.descent)
            + fitted.size * style.leading * fitted.lines.len().saturating_sub(1) as f64;
        let top = match style.valign {
            VAlign::Top => frame.y,
            VAlign::Middle => frame.y + (frame.h - block) / 2.0,
            VAlign::Bottom => frame.y + frame.h - block,
        };
        let first = top + font.ascent * fitted.size;
        let lines = fitted
            .lines
            .into_iter()
            .enumerate()
            .filter(|(_, (l, _))| !l.is_empty())
            .map(|(i, (line, w))| {
                let x = match style.align {
                    Align::Left => frame.x,
                    Align::Center => frame.x + (frame.w - w) / 2.0,
                    Align::Right => frame.x + frame.w - w,
                };
                #[allow(clippy::cast_precision_loss)]
                let y = first + i as f64 * fitted.size * style.leading;
                (x, y, line)
            })
            .collect();
        Ok(Mark::Text {
            font: style.font,
            size: fitted.size,
            color: style.color,
            lines,
        })
    }
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

#[cfg(test)]
mod tests;
