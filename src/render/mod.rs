//! Positioned marks → print-ready PDF: page boxes, crop marks, CMYK, subset fonts, an
//! OutputIntent, and art stored once per file.
//!
//! This is the only module that sees PDF objects. A [`FileWriter`] writes one output file:
//! the static content of each layout page once as a Form XObject, then one small content
//! stream per personalised page.

pub mod image;
pub mod import;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Datelike as _;
use pdf_writer::types::{
    CidFontType, FontFlags, OutputIntentSubtype, SystemInfo, TrappingStatus, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::layout::{Cmyk, Font, Frame, Layout, Mark, OutputIntent, PdfStandard, Run};
use crate::resources::Resources;
use image::{ImageData, PdfImage};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An image or a background PDF could not be loaded.
    #[error("{0}")]
    Asset(String),
    /// A font could not be subset.
    #[error("cannot subset font `{}`: {message}", path.display())]
    Subset { path: PathBuf, message: String },
}

/// What a finished file says about itself.
#[derive(Clone, Debug)]
pub struct PdfOptions {
    /// Document title.
    pub title: String,
    /// A stable string naming this file (campaign, date, file name): the PDF's /ID comes
    /// from it, so the same inputs give the same bytes.
    pub ident: String,
    /// The standard the file claims, if any.
    pub standard: Option<PdfStandard>,
    /// The cycle's date: a standard's creation and modification dates (midnight UTC), so
    /// the same cycle gives the same bytes.
    pub date: chrono::NaiveDate,
}

struct FontUse {
    font: Arc<Font>,
    remapper: subsetter::GlyphRemapper,
    /// New glyph id → (text, advance in 1/1000 em).
    glyphs: BTreeMap<u16, (smol_str::SmolStr, f32)>,
}

/// Writes one PDF file page by page.
pub struct FileWriter<'a> {
    layout: &'a Layout,
    intent: &'a OutputIntent,
    /// Where images, designer PDFs and ICC profiles are read from, once each.
    world: &'a Resources,
    pdf: Pdf,
    next: i32,
    catalog: Ref,
    page_tree: Ref,
    resources: Ref,
    form_resources: Ref,
    fonts: Vec<FontUse>,
    images: BTreeMap<PathBuf, (Ref, usize)>,
    /// Imported PDF pages: (path, page) → (form, index, source box).
    pdf_pages: BTreeMap<(PathBuf, u32), (Ref, usize, [f32; 4])>,
    forms: Vec<Option<Ref>>,
    pages: Vec<Ref>,
    watermark: bool,
    /// ICC profiles of images written so far, once each per file.
    image_profiles: Vec<(Arc<[u8]>, Ref)>,
    /// For press sheets: each piece page kept as a Form XObject (cut to its bleed) instead of
    /// a page, and the resources of the sheet pages that place them.
    imposed: Option<Imposed>,
    /// PDF/VT records, when the file is written as PDF/VT-1 ([`FileWriter::set_records`]).
    records: Option<Records>,
    /// True while the shared (static) marks are written: images met then are shared art.
    in_static: bool,
    /// Images drawn by the shared marks, which every record reuses.
    static_images: std::collections::BTreeSet<PathBuf>,
}

/// The PDF/VT document part tree of a file: one record (DPart leaf) per piece.
struct Records {
    /// The DPartRoot dictionary and the tree's root node.
    root: Ref,
    node: Ref,
    /// Metadata of the root node (the file).
    dpm: Vec<(&'static str, String)>,
    /// Each record: its node, its first and last page, its metadata.
    leaves: Vec<Leaf>,
}

/// One record: a piece.
struct Leaf {
    node: Ref,
    first: Option<Ref>,
    last: Option<Ref>,
    dpm: Vec<(&'static str, String)>,
}

/// The piece pages of a file being imposed.
struct Imposed {
    forms: Vec<Ref>,
    sheet_resources: Ref,
}

impl<'a> FileWriter<'a> {
    /// Starts a file of pieces in `layout`, for the printing condition `intent`.
    #[must_use]
    pub fn new(
        layout: &'a Layout,
        intent: &'a OutputIntent,
        world: &'a Resources,
    ) -> FileWriter<'a> {
        let mut w = FileWriter {
            layout,
            intent,
            world,
            pdf: Pdf::new(),
            next: 1,
            catalog: Ref::new(1),
            page_tree: Ref::new(1),
            resources: Ref::new(1),
            form_resources: Ref::new(1),
            fonts: layout
                .fonts
                .iter()
                .map(|f| FontUse {
                    font: Arc::clone(f),
                    remapper: subsetter::GlyphRemapper::new(),
                    glyphs: BTreeMap::new(),
                })
                .collect(),
            images: BTreeMap::new(),
            pdf_pages: BTreeMap::new(),
            forms: vec![None; layout.pages.len()],
            pages: Vec::new(),
            watermark: false,
            image_profiles: Vec::new(),
            imposed: None,
            records: None,
            in_static: false,
            static_images: std::collections::BTreeSet::new(),
        };
        w.catalog = w.alloc();
        w.page_tree = w.alloc();
        w.resources = w.alloc();
        w.form_resources = w.alloc();
        w
    }

    /// Keeps every page added from now on as a Form XObject for [`FileWriter::impose`], which
    /// makes the file's pages: press sheets.
    pub fn set_imposed(&mut self) {
        let sheet_resources = self.alloc();
        self.imposed = Some(Imposed {
            forms: Vec::new(),
            sheet_resources,
        });
    }

    /// Draws a diagonal PROOF watermark on every page added from now on.
    pub fn set_watermark(&mut self, on: bool) {
        self.watermark = on;
    }

    /// Writes the file as PDF/VT-1 when finished with that standard: every piece a record
    /// (a DPart leaf, begun with [`FileWriter::begin_record`]) under one root node carrying
    /// `dpm`, each page pointing to its record, and the shared art marked for caching
    /// (`GTS_Scope /File`). Call before the shared marks are set.
    pub fn set_records(&mut self, dpm: Vec<(&'static str, String)>) {
        if self.imposed.is_some() {
            return;
        }
        let root = self.alloc();
        let node = self.alloc();
        self.records = Some(Records {
            root,
            node,
            dpm,
            leaves: Vec::new(),
        });
    }

    /// Starts a record: the pages added until the next one are one piece, with metadata `dpm`
    /// (document part metadata). Nothing without [`FileWriter::set_records`].
    pub fn begin_record(&mut self, dpm: Vec<(&'static str, String)>) {
        if self.records.is_none() {
            return;
        }
        let node = self.alloc();
        if let Some(r) = self.records.as_mut() {
            r.leaves.push(Leaf {
                node,
                first: None,
                last: None,
                dpm,
            });
        }
    }

    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next);
        self.next += 1;
        r
    }

    /// Full page size: trim plus bleed plus the slug for crop marks, on every side.
    fn media(&self) -> (f64, f64) {
        let e = self.layout.bleed.get() + self.layout.slug();
        (
            self.layout.width.get() + 2.0 * e,
            self.layout.height.get() + 2.0 * e,
        )
    }

    /// Writes the contact-independent marks of layout page `page` once, as a Form XObject
    /// that every page of that kind in this file draws first; crop marks go in it too.
    ///
    /// # Errors
    /// An image or PDF that cannot be loaded.
    pub fn set_static(&mut self, page: usize, marks: &[Mark]) -> Result<(), RenderError> {
        self.in_static = true;
        let content = self.content(marks);
        self.in_static = false;
        let mut content = content?;
        if self.layout.crop_marks {
            content.push(b'\n');
            content.extend_from_slice(&self.crop_marks());
        }
        if content.is_empty() {
            return Ok(());
        }
        let data = deflate(&content);
        let id = self.alloc();
        let (w, h) = self.media();
        let bbox = Rect::new(0.0, 0.0, w as f32, h as f32);
        let mut form = self.pdf.form_xobject(id, &data);
        form.bbox(bbox);
        form.filter(Filter::FlateDecode);
        form.pair(Name(b"Resources"), self.form_resources);
        if self.records.is_some() {
            // PDF/VT: the same on every record of the file, for the RIP to cache.
            form.pair(Name(b"GTS_Scope"), Name(b"File"));
        }
        form.finish();
        if let Some(slot) = self.forms.get_mut(page) {
            *slot = Some(id);
        }
        Ok(())
    }

    /// Adds one page of layout page `page` with its personalised `marks`.
    ///
    /// # Errors
    /// An image or PDF that cannot be loaded.
    pub fn add_page(&mut self, page: usize, marks: &[Mark]) -> Result<(), RenderError> {
        let mut content = Vec::new();
        if self.forms.get(page).copied().flatten().is_some() {
            content.extend_from_slice(format!("/Fx{page} Do\n").as_bytes());
        }
        content.extend_from_slice(&self.content(marks)?);
        if self.watermark {
            let w = self.watermark_content(page);
            content.push(b'\n');
            content.extend_from_slice(&w);
        }
        let data = deflate_page(&content);
        if self.imposed.is_some() {
            // A piece for a press sheet: its page as a form, cut to the bleed (the sheet draws
            // its own marks), drawing with the page's resources.
            let (w, h) = self.media();
            let s = self.layout.slug() as f32;
            let id = self.alloc();
            let mut form = self.pdf.form_xobject(id, &data);
            form.bbox(Rect::new(s, s, w as f32 - s, h as f32 - s));
            form.filter(Filter::FlateDecode);
            form.pair(Name(b"Resources"), self.resources);
            form.finish();
            if let Some(imp) = &mut self.imposed {
                imp.forms.push(id);
            }
            return Ok(());
        }
        let content_id = self.alloc();
        self.pdf
            .stream(content_id, &data)
            .filter(Filter::FlateDecode);
        let page_id = self.alloc();
        let (w, h) = self.media();
        let s = self.layout.slug();
        let e = s + self.layout.bleed.get();
        let (mw, mh, sf, ef) = (w as f32, h as f32, s as f32, e as f32);
        let mut p = self.pdf.page(page_id);
        p.parent(self.page_tree)
            .media_box(Rect::new(0.0, 0.0, mw, mh))
            .bleed_box(Rect::new(sf, sf, mw - sf, mh - sf))
            .trim_box(Rect::new(ef, ef, mw - ef, mh - ef))
            .contents(content_id);
        p.pair(Name(b"Resources"), self.resources);
        if let Some(leaf) = self.records.as_mut().and_then(|r| r.leaves.last_mut()) {
            p.pair(Name(b"DPart"), leaf.node);
            leaf.first.get_or_insert(page_id);
            leaf.last = Some(page_id);
        }
        p.finish();
        self.pages.push(page_id);
        Ok(())
    }

    /// Number of pages added so far (piece pages, when imposing).
    #[must_use]
    pub fn page_count(&self) -> usize {
        self.imposed
            .as_ref()
            .map_or(self.pages.len(), |imp| imp.forms.len())
    }

    /// Pages written so far: sheet sides, when imposing.
    #[must_use]
    pub fn page_count_sheets(&self) -> usize {
        self.pages.len()
    }

    /// Lays the pieces added so far out on press sheets, cut and stack (`impose::cut_and_stack`):
    /// for each sheet its front, then its back (work and turn: the back mirrored across the
    /// sheet's vertical axis, so each piece's sides land back to back). Each side has cut
    /// marks along every cut line in the margins, in registration colour, and a slug line
    /// (`slug(sheet, sheets, side)`) in the top margin. Returns which piece each slot of each
    /// sheet carries.
    pub fn impose(
        &mut self,
        imposition: &crate::impose::Imposition,
        depth: usize,
        slug: &dyn Fn(usize, usize, usize) -> String,
    ) -> Vec<Vec<Option<usize>>> {
        let Some(forms) = self.imposed.as_ref().map(|imp| imp.forms.len()) else {
            return Vec::new();
        };
        let sides = self.layout.pages.len().max(1);
        let sheets = crate::impose::cut_and_stack(forms / sides, imposition.up(), depth);
        self.lay_out(imposition, &sheets, slug);
        sheets
    }

    /// Lays the pieces added so far out on press sheets as `sheets` says: for each sheet, the
    /// piece (its place among those added, from 0) in each slot, `None` for a blank one. As
    /// [`FileWriter::impose`] does, which lays them out cut and stack; a reprint of one sheet
    /// puts its pieces back in the slots they had.
    pub fn lay_out(
        &mut self,
        imposition: &crate::impose::Imposition,
        sheets: &[Vec<Option<usize>>],
        slug: &dyn Fn(usize, usize, usize) -> String,
    ) {
        if self.imposed.is_none() {
            return;
        }
        let sides = self.layout.pages.len().max(1);
        let (sw, sh) = (imposition.sheet.width, imposition.sheet.height);
        let e = self.layout.slug() + self.layout.bleed.get();
        let (tw, th) = (self.layout.width.get(), self.layout.height.get());
        let b = imposition.bleed;
        for (i, sheet) in sheets.iter().enumerate() {
            for side in 0..sides {
                let mut c = Content::new();
                let mut xs = Vec::new();
                let mut ys = Vec::new();
                for (j, piece) in sheet.iter().enumerate() {
                    let (x, y) = if side == 0 {
                        imposition.slots[j]
                    } else {
                        imposition.back(j)
                    };
                    xs.extend([x, x + imposition.cell.0]);
                    ys.extend([y, y + imposition.cell.1]);
                    let Some(p) = piece else { continue };
                    let matrix = match (imposition.rotated, side == 0) {
                        (false, _) => [1.0, 0.0, 0.0, 1.0, x - e, y - e],
                        // Turned a quarter left on the front; on the back, a quarter right, so
                        // the two sides stay head to head once the sheet is turned over.
                        (true, true) => [0.0, 1.0, -1.0, 0.0, x + th + e, y - e],
                        (true, false) => [0.0, -1.0, 1.0, 0.0, x - e, y + tw + e],
                    };
                    c.save_state();
                    c.transform(matrix.map(|v| v as f32));
                    c.x_object(Name(format!("P{}", p * sides + side).as_bytes()));
                    c.restore_state();
                }
                // Cut marks along every cut line, in the margins only (bleeds touch between
                // pieces, so marks there would print on a neighbour).
                let low = ys.iter().copied().fold(f64::MAX, f64::min) - b - 3.0;
                let high = ys.iter().copied().fold(f64::MIN, f64::max) + b + 3.0;
                let left = xs.iter().copied().fold(f64::MAX, f64::min) - b - 3.0;
                let right = xs.iter().copied().fold(f64::MIN, f64::max) + b + 3.0;
                c.save_state();
                stroke_with(&mut c, Cmyk::REGISTRATION, 0.25);
                for x in dedup(xs) {
                    c.move_to(x as f32, 0.0);
                    c.line_to(x as f32, low.max(0.0) as f32);
                    c.move_to(x as f32, sh as f32);
                    c.line_to(x as f32, high.min(sh) as f32);
                }
                for y in dedup(ys) {
                    c.move_to(0.0, y as f32);
                    c.line_to(left.max(0.0) as f32, y as f32);
                    c.move_to(sw as f32, y as f32);
                    c.line_to(right.min(sw) as f32, y as f32);
                }
                c.stroke();
                c.restore_state();
                // The slug line, above the top marks' ends.
                if let Some(font) = self.fonts.first().map(|f| Arc::clone(&f.font)) {
                    let run = Run {
                        font: 0,
                        glyphs: font.shape(&slug(i, sheets.len(), side)),
                    };
                    c.begin_text();
                    fill(&mut c, Cmyk([0.0, 0.0, 0.0, 1.0]));
                    c.set_font(Name(b"F0"), 6.0);
                    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, 18.0, (sh - 10.0) as f32]);
                    self.show_run(&mut c, &run);
                    c.end_text();
                }
                let data = deflate_page(&c.finish());
                let content_id = self.alloc();
                self.pdf
                    .stream(content_id, &data)
                    .filter(Filter::FlateDecode);
                let page_id = self.alloc();
                let sheet_box = Rect::new(0.0, 0.0, sw as f32, sh as f32);
                // The TrimBox is the grid's outer cut lines, the BleedBox the printed area
                // around them: what a preflight checks on a press sheet.
                let (tx0, tx1) = (left + 3.0 + b, right - 3.0 - b);
                let (ty0, ty1) = (low + 3.0 + b, high - 3.0 - b);
                let trim_box = Rect::new(tx0 as f32, ty0 as f32, tx1 as f32, ty1 as f32);
                let bleed_box = Rect::new(
                    (tx0 - b).max(0.0) as f32,
                    (ty0 - b).max(0.0) as f32,
                    (tx1 + b).min(sw) as f32,
                    (ty1 + b).min(sh) as f32,
                );
                let resources = self
                    .imposed
                    .as_ref()
                    .map_or(self.resources, |imp| imp.sheet_resources);
                let mut page = self.pdf.page(page_id);
                page.parent(self.page_tree)
                    .media_box(sheet_box)
                    .bleed_box(bleed_box)
                    .trim_box(trim_box)
                    .contents(content_id);
                page.pair(Name(b"Resources"), resources);
                page.finish();
                self.pages.push(page_id);
            }
        }
    }

    /// Marks at each trim corner, in registration colour, from just outside the bleed to the
    /// page edge, and a dashed mark level with each fold.
    fn crop_marks(&self) -> Vec<u8> {
        let (w, h) = self.media();
        let s = self.layout.slug();
        let e = s + self.layout.bleed.get();
        let (x0, x1, y0, y1) = (e, w - e, e, h - e);
        let gap = 2.0;
        let mut c = Content::new();
        c.save_state();
        stroke_with(&mut c, Cmyk::REGISTRATION, 0.25);
        let mut line = |ax: f64, ay: f64, bx: f64, by: f64| {
            c.move_to(ax as f32, ay as f32);
            c.line_to(bx as f32, by as f32);
        };
        let inner = s - gap;
        for x in [x0, x1] {
            line(x, 0.0, x, inner.max(0.0));
            line(x, h, x, h - inner.max(0.0));
        }
        for y in [y0, y1] {
            line(0.0, y, inner.max(0.0), y);
            line(w, y, w - inner.max(0.0), y);
        }
        c.stroke();
        // Fold marks: dashed, in the same margin, level with each fold.
        if !self.layout.folds.is_empty() {
            c.set_dash_pattern([3.0, 2.0], 0.0);
            for fold in &self.layout.folds {
                let y = h - e - fold.at;
                c.move_to(0.0, y as f32);
                c.line_to(inner.max(0.0) as f32, y as f32);
                c.move_to(w as f32, y as f32);
                c.line_to((w - inner.max(0.0)) as f32, y as f32);
            }
            c.stroke();
        }
        c.restore_state();
        c.finish().to_vec()
    }

    /// The PROOF watermark of a page of layout page `page`, drawn everywhere but over the
    /// recipient's address, the IMb and QR codes, so those can still be read and scanned on
    /// the proof.
    fn watermark_content(&mut self, page: usize) -> Vec<u8> {
        let (w, h) = self.media();
        let e = self.layout.bleed.get() + self.layout.slug();
        let px = |x: f64| hundredths(e + x);
        let py = |y: f64| hundredths(h - e - y);
        // Keep-out boxes, 2 pt larger on every side.
        let keep_out: Vec<Frame> = self
            .layout
            .pages
            .get(page)
            .map(|p| {
                p.elements
                    .iter()
                    .filter_map(|el| match &el.kind {
                        crate::layout::ElementKind::Address {
                            frame,
                            who: crate::layout::Who::Recipient,
                            ..
                        }
                        | crate::layout::ElementKind::Imb { frame }
                        | crate::layout::ElementKind::Qr { frame, .. } => Some(Frame {
                            x: frame.x - 2.0,
                            y: frame.y - 2.0,
                            w: frame.w + 4.0,
                            h: frame.h + 4.0,
                        }),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let size = (w.min(h) / 3.0).max(12.0);
        let Some(font) = self.layout.fonts.first() else {
            return Vec::new();
        };
        let glyphs = font.shape("PROOF");
        let width: f64 = glyphs.iter().map(|g| g.advance).sum::<f64>() * size;
        let angle = (h / w).atan();
        let (cos, sin) = (angle.cos(), angle.sin());
        let (cx, cy) = (
            w / 2.0 - cos * width / 2.0 + sin * size * 0.35,
            h / 2.0 - sin * width / 2.0 - cos * size * 0.35,
        );
        let run = Run { font: 0, glyphs };
        let mut c = Content::new();
        c.save_state();
        if !keep_out.is_empty() {
            // The page minus the keep-out boxes (even-odd: a box inside the page is a hole).
            c.rect(0.0, 0.0, w as f32, h as f32);
            for f in &keep_out {
                rect(&mut c, f, &px, &py);
            }
            c.clip_even_odd();
            c.end_path();
        }
        // Outlined letters: the proof stays readable underneath.
        stroke_with(&mut c, Cmyk([0.0, 0.85, 0.85, 0.0]), 1.5);
        c.begin_text();
        c.set_text_rendering_mode(pdf_writer::types::TextRenderingMode::Stroke);
        {
            c.set_font(Name(b"F0"), size as f32);
            c.set_text_matrix([
                cos as f32,
                sin as f32,
                -sin as f32,
                cos as f32,
                cx as f32,
                cy as f32,
            ]);
        }
        self.show_run(&mut c, &run);
        c.end_text();
        c.restore_state();
        c.finish().to_vec()
    }

    /// Shows `run` at the current text position: glyph ids as 2-byte codes, with kerning and
    /// justification written as adjustments.
    fn show_run(&mut self, c: &mut Content, run: &Run) {
        let Some(use_) = self.fonts.get_mut(run.font) else {
            return;
        };
        let mut shown = c.show_positioned();
        let mut items = shown.items();
        let mut codes = Vec::with_capacity(run.glyphs.len() * 2);
        for g in &run.glyphs {
            let new = use_.remapper.remap(g.id);
            let entry = use_.glyphs.entry(new).or_insert_with(|| {
                let adv = (g.default_advance * 1000.0) as f32;
                (smol_str::SmolStr::default(), adv)
            });
            if entry.0.is_empty() && !g.text.is_empty() {
                entry.0.clone_from(&g.text);
            }
            codes.extend_from_slice(&new.to_be_bytes());
            let delta = g.advance - g.default_advance;
            if delta.abs() > 1e-6 {
                items.show(Str(&codes));
                codes.clear();
                items.adjust(hundredths(-delta * 1000.0));
            }
        }
        if !codes.is_empty() {
            items.show(Str(&codes));
        }
    }

    fn image_ref(&mut self, path: &PathBuf) -> Result<usize, RenderError> {
        if self.in_static {
            self.static_images.insert(path.clone());
        }
        if let Some((_, n)) = self.images.get(path) {
            return Ok(*n);
        }
        // Fail now, not at finish, if the image cannot be loaded.
        self.world.image(path).map_err(RenderError::Asset)?;
        let id = self.alloc();
        let n = self.images.len();
        self.images.insert(path.clone(), (id, n));
        Ok(n)
    }

    fn pdf_page_ref(
        &mut self,
        path: &std::path::Path,
        page: u32,
    ) -> Result<(usize, [f32; 4]), RenderError> {
        let key = (path.to_path_buf(), page);
        if let Some((_, n, bbox)) = self.pdf_pages.get(&key) {
            return Ok((*n, *bbox));
        }
        let doc = self.world.pdf(path).map_err(RenderError::Asset)?;
        let id = self.alloc();
        let bbox = import::write_form(&mut self.pdf, &mut self.next, id, &doc, page, path)
            .map_err(RenderError::Asset)?;
        let n = self.pdf_pages.len();
        self.pdf_pages.insert(key, (id, n, bbox));
        Ok((n, bbox))
    }

    /// The content stream operators for `marks`.
    fn content(&mut self, marks: &[Mark]) -> Result<Vec<u8>, RenderError> {
        let (_, mh) = self.media();
        let e = self.layout.bleed.get() + self.layout.slug();
        let px = |x: f64| hundredths(e + x);
        let py = |y: f64| hundredths(mh - e - y);
        let mut out = Vec::new();
        let mut c = Content::new();
        for mark in marks {
            match mark {
                Mark::Text { size, color, lines } => {
                    c.begin_text();
                    fill(&mut c, *color);
                    let mut current: Option<usize> = None;
                    for (x, y, runs) in lines {
                        let mut cursor = *x;
                        for run in runs {
                            if current != Some(run.font) {
                                c.set_font(Name(format!("F{}", run.font).as_bytes()), *size as f32);
                                current = Some(run.font);
                            }
                            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, px(cursor), py(*y)]);
                            self.show_run(&mut c, run);
                            cursor += run.width() * size;
                        }
                    }
                    c.end_text();
                }
                Mark::Image { path, placed, clip } => {
                    let n = self.image_ref(path)?;
                    c.save_state();
                    rect(&mut c, clip, &px, &py);
                    c.clip_nonzero().end_path();
                    c.transform([
                        placed.w as f32,
                        0.0,
                        0.0,
                        placed.h as f32,
                        px(placed.x),
                        py(placed.y + placed.h),
                    ]);
                    c.x_object(Name(format!("Im{n}").as_bytes()));
                    c.restore_state();
                }
                Mark::PdfPage { path, page, frame } => {
                    let (n, b) = self.pdf_page_ref(path, *page)?;
                    let (bw, bh) = ((b[2] - b[0]).max(1e-3), (b[3] - b[1]).max(1e-3));
                    let (sx, sy) = (frame.w as f32 / bw, frame.h as f32 / bh);
                    c.save_state();
                    rect(&mut c, frame, &px, &py);
                    c.clip_nonzero().end_path();
                    c.transform([
                        sx,
                        0.0,
                        0.0,
                        sy,
                        px(frame.x) - b[0] * sx,
                        py(frame.y + frame.h) - b[1] * sy,
                    ]);
                    c.x_object(Name(format!("Pg{n}").as_bytes()));
                    c.restore_state();
                }
                Mark::Rect {
                    frame,
                    fill: f,
                    stroke,
                } => {
                    c.save_state();
                    if let Some(colour) = f {
                        fill(&mut c, *colour);
                        rect(&mut c, frame, &px, &py);
                        c.fill_nonzero();
                    }
                    if let Some((colour, width)) = stroke {
                        stroke_with(&mut c, *colour, *width);
                        rect(&mut c, frame, &px, &py);
                        c.stroke();
                    }
                    c.restore_state();
                }
                Mark::Line {
                    from,
                    to,
                    width,
                    color,
                } => {
                    c.save_state();
                    stroke_with(&mut c, *color, *width);
                    c.move_to(px(from.0), py(from.1));
                    c.line_to(px(to.0), py(to.1));
                    c.stroke();
                    c.restore_state();
                }
                Mark::Bars { x, y, bars } => {
                    use crate::layout::place::{IMB_BAR_WIDTH, IMB_HEIGHT, IMB_PITCH, IMB_TRACKER};
                    c.save_state();
                    fill(&mut c, Cmyk::BLACK);
                    let (mid_top, mid_bottom) = (
                        (IMB_HEIGHT - IMB_TRACKER) / 2.0,
                        (IMB_HEIGHT + IMB_TRACKER) / 2.0,
                    );
                    for (i, bar) in bars.bytes().enumerate() {
                        let (top, bottom) = match bar {
                            b'F' => (0.0, IMB_HEIGHT),
                            b'A' => (0.0, mid_bottom),
                            b'D' => (mid_top, IMB_HEIGHT),
                            _ => (mid_top, mid_bottom),
                        };
                        let f = Frame {
                            x: x + i as f64 * IMB_PITCH,
                            y: y + top,
                            w: IMB_BAR_WIDTH,
                            h: bottom - top,
                        };
                        rect(&mut c, &f, &px, &py);
                    }
                    c.fill_nonzero();
                    c.restore_state();
                }
                Mark::Modules {
                    x,
                    y,
                    module,
                    bits,
                    color,
                } => {
                    // A 1-bit stencil mask painted in the fill colour: a few hundred bytes
                    // where one rectangle per module would cost kilobytes per page.
                    let n = bits.n;
                    let side = module * n as f64;
                    let [cc, m, yy, k] = color.0;
                    out.extend_from_slice(&std::mem::replace(&mut c, Content::new()).finish());
                    out.extend_from_slice(
                        format!(
                            "\nq {cc} {m} {yy} {k} k {side:.2} 0 0 {side:.2} {} {} cm\nBI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID\n",
                            px(*x),
                            py(y + side)
                        )
                        .as_bytes(),
                    );
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    for &b in &bits.rows {
                        out.extend_from_slice(&[
                            HEX[usize::from(b >> 4)],
                            HEX[usize::from(b & 15)],
                        ]);
                    }
                    out.extend_from_slice(b">\nEI Q\n");
                }
            }
        }
        out.extend_from_slice(&c.finish());
        Ok(out)
    }

    /// Writes fonts, images, resources, the page tree, the output intent and the trailer.
    ///
    /// # Errors
    /// A font that cannot be subset, or an ICC profile that cannot be read.
    pub fn finish(mut self, options: &PdfOptions) -> Result<Vec<u8>, RenderError> {
        let mut font_refs = Vec::new();
        let fonts = std::mem::take(&mut self.fonts);
        for (i, use_) in fonts.iter().enumerate() {
            if !use_.glyphs.is_empty() {
                font_refs.push((i, self.write_font(use_)?));
            }
        }
        let images: Vec<(PathBuf, Ref, usize)> = self
            .images
            .iter()
            .map(|(p, (r, n))| (p.clone(), *r, *n))
            .collect();
        let vt = options.standard == Some(PdfStandard::Vt1)
            && self.records.as_ref().is_some_and(|r| !r.leaves.is_empty());
        for (path, id, _) in &images {
            let img = self.world.image(path).map_err(RenderError::Asset)?;
            let shared = vt && self.static_images.contains(path);
            self.write_image(*id, &img, shared);
        }
        let pdf_pages: Vec<(Ref, usize)> =
            self.pdf_pages.values().map(|(r, n, _)| (*r, *n)).collect();
        // Resources: forms see fonts, images and PDF pages; pages also see the forms.
        for (res_id, with_forms) in [(self.form_resources, false), (self.resources, true)] {
            let mut res = self.pdf.indirect(res_id).dict();
            {
                let mut f = res.insert(Name(b"Font")).dict();
                for (i, r) in &font_refs {
                    f.pair(Name(format!("F{i}").as_bytes()), *r);
                }
            }
            let mut x = res.insert(Name(b"XObject")).dict();
            for (_, id, n) in &images {
                x.pair(Name(format!("Im{n}").as_bytes()), *id);
            }
            for (id, n) in &pdf_pages {
                x.pair(Name(format!("Pg{n}").as_bytes()), *id);
            }
            if with_forms {
                for (page, form) in self.forms.iter().enumerate() {
                    if let Some(id) = form {
                        x.pair(Name(format!("Fx{page}").as_bytes()), *id);
                    }
                }
            }
        }
        if let Some(imp) = self.imposed.take() {
            // Sheet pages see the pieces and the slug's font.
            let mut res = self.pdf.indirect(imp.sheet_resources).dict();
            {
                let mut f = res.insert(Name(b"Font")).dict();
                for (i, r) in &font_refs {
                    f.pair(Name(format!("F{i}").as_bytes()), *r);
                }
            }
            let mut x = res.insert(Name(b"XObject")).dict();
            for (k, id) in imp.forms.iter().enumerate() {
                x.pair(Name(format!("P{k}").as_bytes()), *id);
            }
        }
        let count = self.pages.len() as i32;
        self.pdf
            .pages(self.page_tree)
            .kids(self.pages.iter().copied())
            .count(count);
        let profile = match &self.intent.profile {
            None => None,
            Some(p) => {
                let bytes = self.world.profile(p).map_err(RenderError::Asset)?;
                let id = self.alloc();
                let data = deflate(&bytes);
                let mut icc = self.pdf.icc_profile(id, &data);
                icc.n(4).alternate().device_cmyk();
                icc.filter(Filter::FlateDecode);
                Some(id)
            }
        };
        // A file with no records (press sheets) claims only the PDF/X-4 that PDF/VT-1 is built on.
        let standard = match options.standard {
            Some(PdfStandard::Vt1) if !vt => Some(PdfStandard::X4),
            s => s,
        };
        let dpart_root = if vt { self.write_records() } else { None };
        let metadata = match standard {
            None => None,
            Some(standard) => {
                let id = self.alloc();
                let xmp = xmp(standard, options);
                // Uncompressed, so that preflight tools and people can read it.
                self.pdf.metadata(id, xmp.as_bytes());
                Some(id)
            }
        };
        let mut catalog = self.pdf.catalog(self.catalog);
        catalog.pages(self.page_tree);
        if let Some(id) = metadata {
            catalog.metadata(id);
        }
        if let Some(root) = dpart_root {
            catalog.pair(Name(b"DPartRoot"), root);
        }
        let mut intents = catalog.output_intents();
        let mut oi = intents.push();
        oi.subtype(OutputIntentSubtype::PDFX)
            .output_condition_identifier(TextStr(&self.intent.identifier))
            .registry_name(TextStr("http://www.color.org"));
        if !self.intent.condition.is_empty() {
            oi.output_condition(TextStr(&self.intent.condition))
                .info(TextStr(&self.intent.condition));
        }
        if let Some(id) = profile {
            oi.dest_output_profile(id);
        }
        oi.finish();
        intents.finish();
        catalog.finish();
        let info_id = self.alloc();
        let mut info = self.pdf.document_info(info_id);
        info.title(TextStr(&options.title))
            .producer(TextStr(PRODUCER))
            .trapped(TrappingStatus::NotTrapped);
        if let Some(standard) = standard {
            let d = options.date;
            let midnight = pdf_writer::Date::new(d.year_ce().1 as u16)
                .month(d.month() as u8)
                .day(d.day() as u8)
                .hour(0)
                .minute(0)
                .second(0)
                .utc_offset_hour(0)
                .utc_offset_minute(0);
            info.creation_date(midnight)
                .modified_date(midnight)
                .pair(Name(b"GTS_PDFXVersion"), TextStr(standard.pdfx()));
            if standard == PdfStandard::Vt1 {
                info.pair(Name(b"GTS_PDFVTVersion"), TextStr(standard.name()));
            }
        }
        info.finish();
        let id = Sha256::digest(options.ident.as_bytes())[..16].to_vec();
        self.pdf.set_file_id((id.clone(), id));
        // A compressed cross-reference stream (PDF 1.5) instead of a 20-byte text line per
        // object: about 35 bytes less per page. PDF/X-4 is PDF 1.6.
        match standard {
            None => self.pdf.set_version(1, 5),
            Some(PdfStandard::X4 | PdfStandard::Vt1) => self.pdf.set_version(1, 6),
        }
        let xref = self.alloc();
        Ok(self.pdf.finish_with_xref_stream_and_filter(xref, |table| {
            (
                deflate(table),
                pdf_writer::XRefFilter::Single(Filter::FlateDecode),
            )
        }))
    }

    /// The PDF/VT document part tree: the DPartRoot (records at level 1 of `/File /Piece`), the
    /// root node with the file's metadata and its records in arrays of at most 4,096 (PDF
    /// 1.6 readers need not take arrays longer than 8,191), and each record's first and last
    /// page and metadata. Returns the DPartRoot, for the catalog.
    fn write_records(&mut self) -> Option<Ref> {
        let r = self.records.take()?;
        {
            let mut root = self.pdf.indirect(r.root).dict();
            root.pair(Name(b"Type"), Name(b"DPartRoot"));
            root.pair(Name(b"DPartRootNode"), r.node);
            root.pair(Name(b"RecordLevel"), 1);
            root.insert(Name(b"NodeNameList"))
                .array()
                .items([Name(b"File"), Name(b"Piece")]);
        }
        {
            let mut node = self.pdf.indirect(r.node).dict();
            node.pair(Name(b"Type"), Name(b"DPart"));
            node.pair(Name(b"Parent"), r.root);
            {
                let mut parts = node.insert(Name(b"DParts")).array();
                for chunk in r.leaves.chunks(4096) {
                    parts.push().array().items(chunk.iter().map(|l| l.node));
                }
            }
            write_dpm(&mut node, &r.dpm);
        }
        for leaf in &r.leaves {
            let mut d = self.pdf.indirect(leaf.node).dict();
            d.pair(Name(b"Type"), Name(b"DPart"));
            d.pair(Name(b"Parent"), r.node);
            if let Some(first) = leaf.first {
                d.pair(Name(b"Start"), first);
            }
            if let (Some(first), Some(last)) = (leaf.first, leaf.last)
                && last != first
            {
                d.pair(Name(b"End"), last);
            }
            write_dpm(&mut d, &leaf.dpm);
        }
        Some(r.root)
    }

    fn write_font(&mut self, use_: &FontUse) -> Result<Ref, RenderError> {
        let font = &use_.font;
        let subset =
            subsetter::subset(font.data, 0, &use_.remapper).map_err(|e| RenderError::Subset {
                path: font.path.clone(),
                message: format!("{e:?}"),
            })?;
        let mut h = Sha256::new();
        for g in use_.remapper.remapped_gids() {
            h.update(g.to_be_bytes());
        }
        h.update(font.postscript_name.as_bytes());
        let tag: String = h.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let base = format!("{tag}+{}", font.postscript_name);
        let (type0, cid, descriptor, file, cmap) = (
            self.alloc(),
            self.alloc(),
            self.alloc(),
            self.alloc(),
            self.alloc(),
        );
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        self.pdf
            .type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut c = self.pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(info)
            .font_descriptor(descriptor)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let count = use_.remapper.num_gids();
        let widths: Vec<f32> = (0..count)
            .map(|g| use_.glyphs.get(&g).map_or(0.0, |(_, w)| *w))
            .collect();
        c.widths().consecutive(0, widths);
        c.finish();
        let em = |v: f64| (v * 1000.0) as f32;
        let mut flags = FontFlags::NON_SYMBOLIC;
        if font.italic_angle != 0.0 {
            flags |= FontFlags::ITALIC;
        }
        self.pdf
            .font_descriptor(descriptor)
            .name(Name(base.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                em(font.bbox[0]),
                em(font.bbox[1]),
                em(font.bbox[2]),
                em(font.bbox[3]),
            ))
            .italic_angle(em(font.italic_angle) / 1000.0)
            .ascent(em(font.ascent))
            .descent(em(font.descent))
            .cap_height(em(font.cap_height))
            .stem_v(80.0)
            .font_file2(file);
        let data = deflate(&subset);
        let length1 = subset.len() as i32;
        self.pdf
            .stream(file, &data)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), length1);
        let mut cmap_w = UnicodeCmap::new(Name(b"Custom"), info);
        for (g, (text, _)) in &use_.glyphs {
            if !text.is_empty() {
                cmap_w.pair_with_multiple(*g, text.chars());
            }
        }
        let cmap_data = cmap_w.finish();
        self.pdf
            .cmap(cmap, &cmap_data)
            .name(Name(b"Custom"))
            .system_info(info);
        Ok(type0)
    }

    /// The ICCBased stream of `profile` for `components` channels in this file, written on
    /// first use.
    fn image_profile(&mut self, profile: &Arc<[u8]>, components: u8) -> Ref {
        if let Some((_, r)) = self
            .image_profiles
            .iter()
            .find(|(p, _)| Arc::ptr_eq(p, profile) || p[..] == profile[..])
        {
            return *r;
        }
        let id = self.alloc();
        let data = deflate(profile);
        let mut icc = self.pdf.icc_profile(id, &data);
        icc.n(i32::from(components));
        match components {
            1 => icc.alternate().device_gray(),
            4 => icc.alternate().device_cmyk(),
            _ => icc.alternate().device_rgb(),
        };
        icc.filter(Filter::FlateDecode);
        icc.finish();
        self.image_profiles.push((Arc::clone(profile), id));
        id
    }

    /// Writes image `img` as `id`; `shared` marks it for caching (PDF/VT `GTS_Scope /File`).
    fn write_image(&mut self, id: Ref, img: &PdfImage, shared: bool) {
        let (w, h) = (img.width as i32, img.height as i32);
        let components = match &img.data {
            ImageData::Jpeg { components, .. } | ImageData::Flate { components, .. } => *components,
        };
        let profile = img
            .profile
            .as_ref()
            .map(|p| self.image_profile(p, components));
        match &img.data {
            ImageData::Jpeg {
                bytes,
                components,
                inverted,
            } => {
                let mut x = self.pdf.image_xobject(id, bytes);
                x.width(w).height(h).bits_per_component(8);
                x.filter(Filter::DctDecode);
                match (components, profile) {
                    (_, Some(icc)) => x.color_space().icc_based(icc),
                    (1, None) => x.color_space().device_gray(),
                    (4, None) => x.color_space().device_cmyk(),
                    _ => x.color_space().device_rgb(),
                }
                if *components == 4 && *inverted {
                    x.decode([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
                }
                if shared {
                    x.pair(Name(b"GTS_Scope"), Name(b"File"));
                }
            }
            ImageData::Flate {
                samples,
                components,
                alpha,
            } => {
                let mask = alpha.as_ref().map(|_| self.alloc());
                let mut x = self.pdf.image_xobject(id, samples);
                x.width(w).height(h).bits_per_component(8);
                x.filter(Filter::FlateDecode);
                match (components, profile) {
                    (_, Some(icc)) => x.color_space().icc_based(icc),
                    (1, None) => x.color_space().device_gray(),
                    _ => x.color_space().device_rgb(),
                }
                if let Some(m) = mask {
                    x.s_mask(m);
                }
                if shared {
                    x.pair(Name(b"GTS_Scope"), Name(b"File"));
                }
                x.finish();
                if let (Some(m), Some(a)) = (mask, alpha) {
                    let mut s = self.pdf.image_xobject(m, a);
                    s.width(w).height(h).bits_per_component(8);
                    s.filter(Filter::FlateDecode);
                    s.color_space().device_gray();
                }
            }
        }
    }
}

/// `v` to the nearest hundredth (of a point, or of a thousandth of an em in a `TJ`
/// adjustment): finer than any press registers, and a personalised page's content stream is
/// shorter for it (`217.05` where the float would print `217.05107`).
/// A document part's metadata (`/DPM`): each value a text string.
fn write_dpm(dict: &mut pdf_writer::Dict<'_>, dpm: &[(&'static str, String)]) {
    if dpm.is_empty() {
        return;
    }
    let mut m = dict.insert(Name(b"DPM")).dict();
    for (k, v) in dpm {
        m.pair(Name(k.as_bytes()), TextStr(v));
    }
}

/// `v` sorted, values within a hundredth of a point taken once.
fn dedup(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() < 0.01);
    v
}

fn hundredths(v: f64) -> f32 {
    ((v * 100.0).round() / 100.0) as f32
}

fn fill(c: &mut Content, colour: Cmyk) {
    let [cc, m, y, k] = colour.0;
    c.set_fill_cmyk(cc, m, y, k);
}

fn stroke_with(c: &mut Content, colour: Cmyk, width: f64) {
    let [cc, m, y, k] = colour.0;
    c.set_stroke_cmyk(cc, m, y, k);
    c.set_line_width(width as f32);
}

fn rect(c: &mut Content, f: &Frame, px: &dyn Fn(f64) -> f32, py: &dyn Fn(f64) -> f32) {
    c.rect(px(f.x), py(f.y + f.h), f.w as f32, f.h as f32);
}

/// `data` in a zlib wrapper as one stored (uncompressed) deflate block.
fn stored_zlib(data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(data.len() + 11);
    out.extend_from_slice(&[0x78, 0x01, 0x01]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&data[..usize::from(len)]);
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

thread_local! {
    /// One libdeflate compressor per thread and level. It keeps no state between calls, so
    /// reusing it costs nothing, where miniz_oxide's reset cleared ~200 KB per stream.
    static COMPRESSOR: std::cell::RefCell<libdeflater::Compressor> =
        std::cell::RefCell::new(libdeflater::Compressor::new(libdeflater::CompressionLvl::default()));
    static PAGE_COMPRESSOR: std::cell::RefCell<libdeflater::Compressor> =
        std::cell::RefCell::new(libdeflater::Compressor::new(PAGE_LEVEL));
}

/// Deflates a stream written once per file (fonts, images, shared pages, cross-reference
/// table): zlib wrapper, as PDF's FlateDecode expects, at libdeflate's level 6.
#[must_use]
pub fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_with(&COMPRESSOR, data)
}

/// Deflates a personalised page's content stream, written once per piece, at libdeflate's
/// level 1: on our ~0.9 KB back pages it takes two thirds of level 6's instructions for
/// about 8 more bytes a page (figures in docs/performance.md).
#[must_use]
pub fn deflate_page(data: &[u8]) -> Vec<u8> {
    deflate_with(&PAGE_COMPRESSOR, data)
}

/// libdeflate's level 1 (its level 0 stores without compressing; `new(1)` cannot fail).
const PAGE_LEVEL: libdeflater::CompressionLvl = match libdeflater::CompressionLvl::new(1) {
    Ok(level) => level,
    Err(_) => panic!("libdeflate has no level 1"),
};

fn deflate_with(
    compressor: &'static std::thread::LocalKey<std::cell::RefCell<libdeflater::Compressor>>,
    data: &[u8],
) -> Vec<u8> {
    if data.len() < 64 {
        // A front page's `/Fx0 Do`: a stored block is smaller than any code tree.
        return stored_zlib(data);
    }
    compressor.with(|c| {
        let mut c = c.borrow_mut();
        let mut out = vec![0; c.zlib_compress_bound(data.len())];
        match c.zlib_compress(data, &mut out) {
            Ok(n) => {
                out.truncate(n);
                out
            }
            // Cannot happen: the buffer has libdeflate's own bound.
            Err(_) => miniz_oxide::deflate::compress_to_vec_zlib(data, 6),
        }
    })
}

const PRODUCER: &str = concat!("dripmail ", env!("CARGO_PKG_VERSION"));

/// The XMP metadata a file claiming `standard` carries: its version, title, producer,
/// trapping state, dates (the cycle's, midnight UTC) and a document id from the file's ident.
fn xmp(standard: PdfStandard, options: &PdfOptions) -> String {
    let d = options.date;
    let midnight = xmp_writer::DateTime::new(
        d.year_ce().1 as u16,
        d.month() as u8,
        d.day() as u8,
        0,
        0,
        0,
        xmp_writer::Timezone::Utc,
    );
    let hash = Sha256::digest(options.ident.as_bytes());
    let h = crate::output::hex(&hash[..16]);
    let uuid = format!(
        "uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    let mut x = xmp_writer::XmpWriter::new();
    x.title([(None, options.title.as_str())])
        .format("application/pdf")
        .producer(PRODUCER)
        .creator_tool(PRODUCER)
        .create_date(midnight)
        .modify_date(midnight)
        .metadata_date(midnight)
        .trapped(false)
        .document_id(&uuid)
        .instance_id(&uuid)
        .version_id("1")
        .rendition_class(xmp_writer::RenditionClass::Default)
        .pdfx_version(standard.pdfx());
    if standard == PdfStandard::Vt1 {
        let ns = || {
            xmp_writer::Namespace::Custom(Box::new(xmp_writer::CustomNamespace::new(
                "PDF/VT ID",
                "pdfvtid",
                "http://www.npes.org/pdfvt/ns/id/",
            )))
        };
        x.element("GTS_PDFVTVersion", ns()).value(standard.name());
        x.element("GTS_PDFVTModDate", ns()).value(midnight);
    }
    x.finish(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflated_streams_inflate_back() {
        for data in [
            b"/Fx0 Do\n".to_vec(),
            vec![],
            b"BT /F0 10 Tf (x) Tj ET\n".repeat(40),
        ] {
            for z in [deflate(&data), deflate_page(&data)] {
                assert_eq!(
                    miniz_oxide::inflate::decompress_to_vec_zlib(&z).unwrap(),
                    data
                );
            }
        }
        // The same stream twice gives the same bytes: the reused compressor keeps no state.
        let big = b"0 0 0 1 k 1 0 0 1 27 217 Tm [(abc) -12 (def)] TJ\n".repeat(30);
        assert_eq!(deflate(&big), deflate(&big));
        assert_eq!(deflate_page(&big), deflate_page(&big));
    }
}
