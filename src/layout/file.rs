//! The layout file format: serde schema, and checking it into a [`Layout`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The smallest page side: 1 in.
const MIN_PAGE: f64 = 72.0;
/// The largest page side PDF readers and RIPs accept: 200 in (14,400 units).
const MAX_PAGE: f64 = 14_400.0;
/// The most bleed or safety margin: 1 in.
const MAX_MARGIN: f64 = 72.0;
/// The smallest type a layout may set: 4 pt.
const MIN_TYPE_PT: f64 = 4.0;
/// The smallest QR box: 0.43 in, 33 modules (version 1 with its quiet zone) at 0.33 mm.
const MIN_QR_PT: f64 = 31.0;

use serde::Deserialize;
use toml::Spanned;

use super::postal::MailPiece;
use super::{
    Align, Background, Cmyk, Element, ElementKind, Fit, Frame, Layout, LayoutError, OutputIntent,
    Overflow, Page, TextStyle, VAlign, Who,
};
use crate::lines::line_of;
use crate::resources::Resources;
use crate::units::{Pt, Unit};

/// `[[folds]]`: where the finished sheet is folded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FoldFile {
    /// From the top of the trim, in the layout's units.
    at: f64,
    #[serde(default)]
    kind: super::FoldKind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    /// A name for the people who edit the file; accepted, not printed anywhere.
    #[serde(rename = "name")]
    _name: Option<String>,
    units: Option<Unit>,
    size: Spanned<[f64; 2]>,
    bleed: Option<f64>,
    safety: Option<f64>,
    stock: Option<String>,
    #[serde(default)]
    crop_marks: bool,
    mail_piece: Option<Spanned<MailPiece>>,
    #[serde(default)]
    folds: Vec<Spanned<FoldFile>>,
    address_panel: Option<Spanned<[f64; 4]>>,
    seal: Option<Spanned<super::Seal>>,
    output_intent: Option<Spanned<OutputIntent>>,
    fonts: BTreeMap<String, PathBuf>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    pages: Vec<PageFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFile {
    name: String,
    background: Option<Spanned<BackgroundFile>>,
    #[serde(default)]
    elements: Vec<Spanned<ElementFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackgroundFile {
    color: Option<[f64; 4]>,
    image: Option<PathBuf>,
    pdf: Option<PathBuf>,
    page: Option<u32>,
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
    #[serde(default)]
    fallback: Vec<String>,
    size: Option<f64>,
    min_size: Option<f64>,
    leading: Option<f64>,
    color: Option<[f64; 4]>,
    align: Option<Align>,
    valign: Option<VAlign>,
    #[serde(default)]
    balance: bool,
    overflow: Option<Overflow>,
    src: Option<PathBuf>,
    slot: Option<String>,
    column: Option<String>,
    fit: Option<Fit>,
    content: Option<String>,
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
    pub fn load(res: &Resources, dir: &Path, id: &str) -> Result<Layout, LayoutError> {
        let path = dir.join(format!("{id}.toml"));
        if id.is_empty() || id.contains(['/', '\\']) || !res.exists(&path) {
            return Err(LayoutError::Unknown {
                id: id.into(),
                path,
            });
        }
        let bytes = res.read(&path).map_err(|source| LayoutError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Layout::parse(res, &path, id, &text)
    }

    /// Parses layout `text` as if read from `path`; its fonts, images and profile are read
    /// through `res`.
    ///
    /// # Errors
    /// As [`Layout::load`].
    pub fn parse(
        res: &Resources,
        path: &Path,
        id: &str,
        text: &str,
    ) -> Result<Layout, LayoutError> {
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
        // From a label to the largest page PDF readers and RIPs take (200 in, 14,400 units).
        let printable = |v: f64| v.is_finite() && (MIN_PAGE..=MAX_PAGE).contains(&len(v));
        if !(printable(w) && printable(h)) {
            return Err(invalid(
                line_of(text, file.size.span().start),
                format!(
                    "`size` must be two lengths from 1 to 200 in (25.4 to 5080 mm), not {w} x {h} {}",
                    unit.name()
                ),
            ));
        }
        // 1/8 in, or 3 mm for metric layouts.
        let default_bleed = match unit {
            Unit::In => 0.125,
            Unit::Mm => 3.0,
            Unit::Pt => 9.0,
        };
        let bleed = file.bleed.unwrap_or(default_bleed);
        let safety = file.safety.unwrap_or(default_bleed);
        let margin = |v: f64| v.is_finite() && (0.0..=MAX_MARGIN).contains(&len(v));
        if !(margin(bleed) && margin(safety) && 2.0 * len(safety) < len(w).min(len(h))) {
            return Err(invalid(
                1,
                "`bleed` and `safety` must be from 0 to 1 in (25.4 mm), and the safety margins leave room on the page".into(),
            ));
        }
        let mut font_names = Vec::new();
        let mut fonts = Vec::new();
        for (name, rel) in &file.fonts {
            let font = res
                .font(&dir.join(rel))
                .map_err(|m| invalid(key_line(text, name), m))?;
            font_names.push(name.clone());
            fonts.push(font);
        }
        let output_intent = match file.output_intent {
            None => None,
            Some(oi) => {
                let line = line_of(text, oi.span().start);
                let mut oi = oi.into_inner();
                oi.profile = oi.profile.map(|p| dir.join(p));
                oi.check_identifier()
                    .and_then(|()| oi.check_profile(res))
                    .map_err(|m| invalid(line, m))?;
                Some(oi)
            }
        };
        let mut pages = Vec::new();
        for page in file.pages {
            let mut elements = Vec::new();
            for spanned in page.elements {
                let line = line_of(text, spanned.span().start);
                let e = spanned.into_inner();
                let kind =
                    element(res, &e, dir, &len, &font_names).map_err(|m| invalid(line, m))?;
                elements.push(Element {
                    kind,
                    when: e.when.filter(|w| !w.trim().is_empty()),
                    line,
                });
            }
            let background = match page.background {
                None => None,
                Some(b) => {
                    let line = line_of(text, b.span().start);
                    Some(background(res, b.into_inner(), dir).map_err(|m| invalid(line, m))?)
                }
            };
            pages.push(Page {
                name: page.name,
                background,
                elements,
            });
        }
        if pages.is_empty() {
            return Err(invalid(1, "a layout needs at least one [[pages]]".into()));
        }
        let mut folds = Vec::new();
        for f in file.folds {
            let line = line_of(text, f.span().start);
            let f = f.into_inner();
            let at = len(f.at);
            if !(at > 0.0 && at < len(h) && at.is_finite()) {
                return Err(invalid(
                    line,
                    format!(
                        "a fold `at` must be inside the sheet's height (0 to {h}), not {}",
                        f.at
                    ),
                ));
            }
            folds.push(super::Fold { at, kind: f.kind });
        }
        folds.sort_by(|a, b| a.at.total_cmp(&b.at));
        let seal = match file.seal {
            None => None,
            Some(s) => {
                let line = line_of(text, s.span().start);
                let s = s.into_inner();
                let tabs_ok = s.count > 0 && s.size_in > 0.0 && s.size_in.is_finite();
                if s.kind == super::SealKind::Tabs && !tabs_ok {
                    return Err(invalid(
                        line,
                        "`[seal]` with kind = \"tabs\" needs `count` and `size_in` (e.g. 2 and 1.0)"
                            .into(),
                    ));
                }
                Some(s)
            }
        };
        let (mut address_panel, mut address_panel_line) = (None, 0);
        if let Some(p) = file.address_panel {
            let line = line_of(text, p.span().start);
            let [x, y, pw, ph] = p.into_inner();
            let inside = x >= 0.0
                && y >= 0.0
                && pw > 0.0
                && ph > 0.0
                && x + pw <= w + 1e-9
                && y + ph <= h + 1e-9;
            if !inside {
                return Err(invalid(
                    line,
                    "`address_panel` must be a box [x, y, width, height] inside the sheet".into(),
                ));
            }
            address_panel = Some(Frame {
                x: len(x),
                y: len(y),
                w: len(pw),
                h: len(ph),
            });
            address_panel_line = line;
        }
        Ok(Layout {
            id: id.to_string(),
            path: path.to_path_buf(),
            width: Pt(len(w)),
            height: Pt(len(h)),
            bleed: Pt(len(bleed)),
            safety: Pt(len(safety)),
            stock: file.stock.unwrap_or_default(),
            crop_marks: file.crop_marks,
            mail_piece_line: file
                .mail_piece
                .as_ref()
                .map_or(0, |m| line_of(text, m.span().start)),
            mail_piece: file.mail_piece.map(Spanned::into_inner),
            folds,
            address_panel,
            address_panel_line,
            seal,
            output_intent,
            fonts,
            fields: file.fields,
            pages,
        })
    }
}

/// Line of `name = ...` in `text` (for messages about table keys).
fn key_line(text: &str, name: &str) -> usize {
    text.find(&format!("{name} ="))
        .or_else(|| text.find(&format!("{name}=")))
        .map_or(1, |o| line_of(text, o))
}

fn background(res: &Resources, b: BackgroundFile, dir: &Path) -> Result<Background, String> {
    let found = |p: &PathBuf| -> Result<PathBuf, String> {
        let p = dir.join(p);
        if res.exists(&p) {
            Ok(p)
        } else {
            Err(format!("background `{}` not found", p.display()))
        }
    };
    match (b.color, &b.image, &b.pdf) {
        (Some(c), None, None) => Ok(Background::Color(
            cmyk(Some(c), "color")?.unwrap_or(Cmyk::BLACK),
        )),
        (None, Some(img), None) => Ok(Background::Image(found(img)?)),
        (None, None, Some(pdf)) => Ok(Background::Pdf {
            path: found(pdf)?,
            page: b.page.unwrap_or(1).max(1),
        }),
        _ => Err("a background is one of `color`, `image` or `pdf` (with `page`)".into()),
    }
}

fn cmyk(v: Option<[f64; 4]>, key: &str) -> Result<Option<Cmyk>, String> {
    match v {
        None => Ok(None),
        Some(c) if c.iter().all(|x| (0.0..=100.0).contains(x)) => {
            Ok(Some(Cmyk(c.map(|x| (x / 100.0) as f32))))
        }
        Some(_) => Err(format!(
            "`{key}` is CMYK in percent: four numbers from 0 to 100"
        )),
    }
}

fn font_index(fonts: &[String], name: &str) -> Result<usize, String> {
    fonts
        .iter()
        .position(|f| f == name)
        .ok_or_else(|| format!("unknown font `{name}`; [fonts] has: {}", fonts.join(", ")))
}

fn element(
    res: &Resources,
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
        // Boxes are drawn on the page: nothing reaches beyond its bleed by more than a page.
        if [x, y, w, h]
            .iter()
            .any(|&v| len(v).abs() > MAX_PAGE + MAX_MARGIN)
        {
            return Err(format!(
                "`box` [{x}, {y}, {w}, {h}] lies far outside any page (at most 200 in from the trim)"
            ));
        }
        Ok(Frame {
            x: len(x),
            y: len(y),
            w: len(w),
            h: len(h),
        })
    };
    let style = || -> Result<TextStyle, String> {
        let name = e
            .font
            .as_deref()
            .ok_or("a text element needs `font` (a name from [fonts])")?;
        let font = font_index(fonts, name)?;
        let fallback = e
            .fallback
            .iter()
            .map(|f| font_index(fonts, f))
            .collect::<Result<Vec<_>, _>>()?;
        let size = e.size.unwrap_or(10.0);
        let min_size = e.min_size.unwrap_or(size);
        if !(size.is_finite() && min_size.is_finite() && min_size <= size && size < 1000.0) {
            return Err("`size` and `min_size` must be numbers, `min_size` at most `size`".into());
        }
        if min_size < MIN_TYPE_PT {
            return Err(format!(
                "text may shrink to {min_size} pt, below {MIN_TYPE_PT} pt, which no one can read in print: set `min_size` to {MIN_TYPE_PT} or more"
            ));
        }
        let leading = e.leading.unwrap_or(1.2);
        if !(0.5..=5.0).contains(&leading) {
            return Err("`leading` must be between 0.5 and 5".into());
        }
        Ok(TextStyle {
            font,
            fallback,
            overflow: e.overflow.unwrap_or_default(),
            size,
            min_size,
            leading,
            color: cmyk(e.color, "color")?.unwrap_or(Cmyk::BLACK),
            align: e.align.unwrap_or_default(),
            valign: e.valign.unwrap_or_default(),
            balance: e.balance,
        })
    };
    Ok(match e.kind.as_str() {
        "text" => ElementKind::Text {
            frame: frame()?,
            text: e.text.clone().ok_or("a text element needs `text`")?,
            style: style()?,
        },
        "image" => {
            let src = e.src.as_ref().map(|p| dir.join(p));
            if let Some(p) = &src
                && !res.exists(p)
            {
                return Err(format!("image `{}` not found", p.display()));
            }
            if src.is_none() && e.slot.is_none() && e.column.is_none() {
                return Err("an image element needs `src`, `slot` or `column`".into());
            }
            ElementKind::Image {
                frame: frame()?,
                src,
                slot: e.slot.clone(),
                column: e.column.clone(),
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
        "indicia" => {
            let mut style = style()?;
            if e.align.is_none() {
                style.align = Align::Center;
            }
            if e.valign.is_none() {
                style.valign = VAlign::Middle;
            }
            ElementKind::Indicia {
                frame: frame()?,
                style,
            }
        }
        "address" => ElementKind::Address {
            frame: frame()?,
            style: style()?,
            who: e.who.unwrap_or_default(),
        },
        "imb" => {
            let frame = frame()?;
            if frame.w < crate::layout::place::IMB_LENGTH
                || frame.h < crate::layout::place::IMB_HEIGHT
            {
                return Err(format!(
                    "an imb box must be at least {:.3} x {:.3} in (65 bars at 22 per inch, 0.145 in tall)",
                    crate::layout::place::IMB_LENGTH / 72.0,
                    crate::layout::place::IMB_HEIGHT / 72.0
                ));
            }
            ElementKind::Imb { frame }
        }
        "qr" => ElementKind::Qr {
            frame: {
                let f = frame()?;
                // 33 modules (the smallest code with its quiet zone) at 0.33 mm each.
                if f.w.min(f.h) < MIN_QR_PT {
                    return Err(format!(
                        "a qr box must be at least {} in (11 mm) square: smaller codes do not scan",
                        MIN_QR_PT / 72.0
                    ));
                }
                f
            },
            content: e
                .content
                .clone()
                .ok_or("a qr element needs `content` (a template)")?,
            color: cmyk(e.color, "color")?.unwrap_or(Cmyk::BLACK),
        },
        other => {
            return Err(format!(
                "unknown element type `{other}`; use text, image, rect, rule, address, qr or imb"
            ));
        }
    })
}
