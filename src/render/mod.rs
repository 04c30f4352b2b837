//! Positioned marks → print-ready PDF: page boxes, CMYK, subset fonts, art stored once.
//!
//! This is the only module that sees PDF objects. A [`FileWriter`] writes one output file:
//! the static content of each layout page once as a Form XObject, then one small content
//! stream per personalised page.

pub mod image;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use pdf_writer::types::{
    CidFontType, FontFlags, OutputIntentSubtype, SystemInfo, TrappingStatus, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::layout::{Cmyk, Font, Frame, Layout, Mark};
use image::{ImageData, PdfImage};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An image could not be loaded.
    #[error("{0}")]
    Image(String),
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
    /// Draw a diagonal PROOF watermark on every page.
    pub watermark: bool,
}

struct FontUse {
    font: Arc<Font>,
    remapper: subsetter::GlyphRemapper,
    /// New glyph id → (text, advance in 1/1000 em).
    glyphs: BTreeMap<u16, (String, f32)>,
}

/// Writes one PDF file page by page.
pub struct FileWriter<'a> {
    layout: &'a Layout,
    pdf: Pdf,
    next: i32,
    catalog: Ref,
    page_tree: Ref,
    resources: Ref,
    form_resources: Ref,
    fonts: Vec<FontUse>,
    images: BTreeMap<PathBuf, (Ref, usize, Arc<PdfImage>)>,
    image_cache: &'a ImageCache,
    forms: Vec<Option<Ref>>,
    pages: Vec<Ref>,
}

/// Images loaded once per cycle and shared by every file.
#[derive(Default)]
pub struct ImageCache {
    loaded: std::sync::Mutex<BTreeMap<PathBuf, Arc<PdfImage>>>,
}

impl ImageCache {
    /// The image at `path`, loading it on first use.
    ///
    /// # Errors
    /// The reason when it cannot be loaded.
    pub fn get(&self, path: &PathBuf) -> Result<Arc<PdfImage>, String> {
        let mut map = self
            .loaded
            .lock()
            .map_err(|_| "image cache poisoned".to_string())?;
        if let Some(img) = map.get(path) {
            return Ok(Arc::clone(img));
        }
        let img = Arc::new(image::load(path)?);
        map.insert(path.clone(), Arc::clone(&img));
        Ok(img)
    }
}

impl<'a> FileWriter<'a> {
    /// Starts a file of pieces in `layout`.
    #[must_use]
    pub fn new(layout: &'a Layout, image_cache: &'a ImageCache) -> FileWriter<'a> {
        let mut w = FileWriter {
            layout,
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
            image_cache,
            forms: vec![None; layout.pages.len()],
            pages: Vec::new(),
        };
        w.catalog = w.alloc();
        w.page_tree = w.alloc();
        w.resources = w.alloc();
        w.form_resources = w.alloc();
        w
    }

    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next);
        self.next += 1;
        r
    }

    /// Full page size: trim plus bleed on every side.
    fn media(&self) -> (f64, f64) {
        let b = self.layout.bleed.get();
        (
            self.layout.width.get() + 2.0 * b,
            self.layout.height.get() + 2.0 * b,
        )
    }

    /// Writes the contact-independent marks of layout page `page` once, as a Form XObject
    /// that every page of that kind in this file draws first.
    ///
    /// # Errors
    /// An image that cannot be loaded.
    pub fn set_static(&mut self, page: usize, marks: &[Mark]) -> Result<(), RenderError> {
        if marks.is_empty() {
            return Ok(());
        }
        let content = self.content(marks)?;
        let data = deflate(&content);
        let id = self.alloc();
        let (w, h) = self.media();
        #[allow(clippy::cast_possible_truncation)]
        let bbox = Rect::new(0.0, 0.0, w as f32, h as f32);
        let mut form = self.pdf.form_xobject(id, &data);
        form.bbox(bbox);
        form.filter(Filter::FlateDecode);
        form.pair(Name(b"Resources"), self.form_resources);
        form.finish();
        if let Some(slot) = self.forms.get_mut(page) {
            *slot = Some(id);
        }
        Ok(())
    }

    /// Adds one page of layout page `page` with its personalised `marks`.
    ///
    /// # Errors
    /// An image that cannot be loaded.
    pub fn add_page(
        &mut self,
        page: usize,
        marks: &[Mark],
        watermark: bool,
    ) -> Result<(), RenderError> {
        let mut content = Vec::new();
        if self.forms.get(page).copied().flatten().is_some() {
            content.extend_from_slice(format!("/Fx{page} Do\n").as_bytes());
        }
        content.extend_from_slice(&self.content(marks)?);
        if watermark {
            content.extend_from_slice(&self.watermark());
        }
        let data = deflate(&content);
        let content_id = self.alloc();
        self.pdf
            .stream(content_id, &data)
            .filter(Filter::FlateDecode);
        let page_id = self.alloc();
        let (w, h) = self.media();
        let b = self.layout.bleed.get();
        #[allow(clippy::cast_possible_truncation)]
        let (mw, mh, bf) = (w as f32, h as f32, b as f32);
        let mut p = self.pdf.page(page_id);
        p.parent(self.page_tree)
            .media_box(Rect::new(0.0, 0.0, mw, mh))
            .bleed_box(Rect::new(0.0, 0.0, mw, mh))
            .trim_box(Rect::new(bf, bf, mw - bf, mh - bf))
            .contents(content_id);
        p.pair(Name(b"Resources"), self.resources);
        p.finish();
        self.pages.push(page_id);
        Ok(())
    }

    /// Number of pages added so far.
    #[must_use]
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn watermark(&mut self) -> Vec<u8> {
        let (w, h) = self.media();
        let text = "PROOF";
        let font = 0;
        let size = (w.min(h) / 3.5).max(12.0);
        let width = self
            .layout
            .fonts
            .first()
            .and_then(|f| f.measure(text, size).ok())
            .unwrap_or(size * 3.0);
        let angle = (h / w).atan();
        let (c, s) = (angle.cos(), angle.sin());
        let (cx, cy) = (
            w / 2.0 - c * width / 2.0 + s * size * 0.35,
            h / 2.0 - s * width / 2.0 - c * size * 0.35,
        );
        let mut out = Content::new();
        out.save_state();
        out.set_fill_cmyk(0.0, 0.9, 0.9, 0.0);
        out.begin_text();
        #[allow(clippy::cast_possible_truncation)]
        {
            out.set_font(Name(format!("F{font}").as_bytes()), size as f32);
            out.set_text_matrix([
                c as f32, s as f32, -s as f32, c as f32, cx as f32, cy as f32,
            ]);
        }
        let encoded = self.encode(font, text);
        out.show(Str(&encoded));
        out.end_text();
        out.restore_state();
        out.finish().to_vec()
    }

    /// Encodes `text` as 2-byte glyph ids of font `font`, noting each glyph for the subset.
    fn encode(&mut self, font: usize, text: &str) -> Vec<u8> {
        let Some(use_) = self.fonts.get_mut(font) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            // Text reaching the writer was measured by layout, so every glyph exists.
            let gid = use_.font.glyph(c).unwrap_or(0);
            let new = use_.remapper.remap(gid);
            use_.glyphs.entry(new).or_insert_with(|| {
                #[allow(clippy::cast_possible_truncation)]
                let adv = (use_.font.advance(gid) * 1000.0) as f32;
                (c.to_string(), adv)
            });
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }

    fn image_ref(&mut self, path: &PathBuf) -> Result<usize, RenderError> {
        if let Some((_, n, _)) = self.images.get(path) {
            return Ok(*n);
        }
        let img = self.image_cache.get(path).map_err(RenderError::Image)?;
        let id = self.alloc();
        let n = self.images.len();
        self.images.insert(path.clone(), (id, n, img));
        Ok(n)
    }

    /// The content stream operators for `marks`.
    fn content(&mut self, marks: &[Mark]) -> Result<Vec<u8>, RenderError> {
        let (_, mh) = self.media();
        let b = self.layout.bleed.get();
        #[allow(clippy::cast_possible_truncation)]
        let px = |x: f64| (b + x) as f32;
        #[allow(clippy::cast_possible_truncation)]
        let py = |y: f64| (mh - b - y) as f32;
        let mut c = Content::new();
        for mark in marks {
            match mark {
                Mark::Text {
                    font,
                    size,
                    color,
                    lines,
                } => {
                    c.begin_text();
                    #[allow(clippy::cast_possible_truncation)]
                    c.set_font(Name(format!("F{font}").as_bytes()), *size as f32);
                    fill(&mut c, *color);
                    for (x, y, text) in lines {
                        c.set_text_matrix([1.0, 0.0, 0.0, 1.0, px(*x), py(*y)]);
                        let encoded = self.encode(*font, text);
                        c.show(Str(&encoded));
                    }
                    c.end_text();
                }
                Mark::Image { path, placed, clip } => {
                    let n = self.image_ref(path)?;
                    c.save_state();
                    rect(&mut c, clip, &px, &py);
                    c.clip_nonzero().end_path();
                    #[allow(clippy::cast_possible_truncation)]
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
            }
        }
        Ok(c.finish().to_vec())
    }

    /// Writes fonts, images, resources, the page tree and the trailer.
    ///
    /// # Errors
    /// A font that cannot be subset.
    pub fn finish(mut self, options: &PdfOptions) -> Result<Vec<u8>, RenderError> {
        // Fonts.
        let mut font_refs = Vec::new();
        let fonts = std::mem::take(&mut self.fonts);
        for (i, use_) in fonts.iter().enumerate() {
            if use_.glyphs.is_empty() {
                continue;
            }
            let type0 = self.write_font(use_)?;
            font_refs.push((i, type0));
        }
        // Images.
        let images: Vec<(Ref, usize, Arc<PdfImage>)> = self.images.values().cloned().collect();
        for (id, _, img) in &images {
            self.write_image(*id, img);
        }
        // Resources: forms see fonts and images; pages also see the forms.
        for (res_id, with_forms) in [(self.form_resources, false), (self.resources, true)] {
            let mut res = self.pdf.indirect(res_id).dict();
            {
                let mut f = res.insert(Name(b"Font")).dict();
                for (i, r) in &font_refs {
                    f.pair(Name(format!("F{i}").as_bytes()), *r);
                }
            }
            let mut x = res.insert(Name(b"XObject")).dict();
            for (id, n, _) in &images {
                x.pair(Name(format!("Im{n}").as_bytes()), *id);
            }
            if with_forms {
                for (page, form) in self.forms.iter().enumerate() {
                    if let Some(id) = form {
                        x.pair(Name(format!("Fx{page}").as_bytes()), *id);
                    }
                }
            }
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        let count = self.pages.len() as i32;
        self.pdf
            .pages(self.page_tree)
            .kids(self.pages.iter().copied())
            .count(count);
        let mut catalog = self.pdf.catalog(self.catalog);
        catalog.pages(self.page_tree);
        catalog
            .output_intents()
            .push()
            .subtype(OutputIntentSubtype::PDFX)
            .output_condition_identifier(TextStr("CGATS TR 001"))
            .output_condition(TextStr("SWOP (Publication) Grade 1 Paper"))
            .registry_name(TextStr("http://www.color.org"))
            .info(TextStr("CGATS TR 001-1995 (SWOP)"));
        catalog.finish();
        let info_id = self.alloc();
        self.pdf
            .document_info(info_id)
            .title(TextStr(&options.title))
            .producer(TextStr(concat!("dripmail ", env!("CARGO_PKG_VERSION"))))
            .trapped(TrappingStatus::NotTrapped);
        let id = Sha256::digest(options.ident.as_bytes())[..16].to_vec();
        self.pdf.set_file_id((id.clone(), id));
        Ok(self.pdf.finish())
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
        #[allow(clippy::cast_possible_truncation)]
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
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        let length1 = subset.len() as i32;
        self.pdf
            .stream(file, &data)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), length1);
        let mut cmap_w = UnicodeCmap::new(Name(b"Custom"), info);
        for (g, (text, _)) in &use_.glyphs {
            cmap_w.pair_with_multiple(*g, text.chars());
        }
        let cmap_data = cmap_w.finish();
        self.pdf
            .cmap(cmap, &cmap_data)
            .name(Name(b"Custom"))
            .system_info(info);
        Ok(type0)
    }

    fn write_image(&mut self, id: Ref, img: &PdfImage) {
        #[allow(clippy::cast_possible_wrap)]
        let (w, h) = (img.width as i32, img.height as i32);
        match &img.data {
            ImageData::Jpeg {
                bytes,
                components,
                inverted,
            } => {
                let mut x = self.pdf.image_xobject(id, bytes);
                x.width(w).height(h).bits_per_component(8);
                x.filter(Filter::DctDecode);
                match components {
                    1 => {
                        x.color_space().device_gray();
                    }
                    4 => {
                        x.color_space().device_cmyk();
                        if *inverted {
                            x.decode([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
                        }
                    }
                    _ => {
                        x.color_space().device_rgb();
                    }
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
                if *components == 1 {
                    x.color_space().device_gray();
                } else {
                    x.color_space().device_rgb();
                }
                if let Some(m) = mask {
                    x.s_mask(m);
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

fn fill(c: &mut Content, colour: Cmyk) {
    let [cc, m, y, k] = colour.0;
    c.set_fill_cmyk(cc, m, y, k);
}

fn stroke_with(c: &mut Content, colour: Cmyk, width: f64) {
    let [cc, m, y, k] = colour.0;
    c.set_stroke_cmyk(cc, m, y, k);
    #[allow(clippy::cast_possible_truncation)]
    c.set_line_width(width as f32);
}

fn rect(c: &mut Content, f: &Frame, px: &dyn Fn(f64) -> f32, py: &dyn Fn(f64) -> f32) {
    #[allow(clippy::cast_possible_truncation)]
    c.rect(px(f.x), py(f.y + f.h), f.w as f32, f.h as f32);
}

/// Deflates a stream (zlib wrapper, as PDF's FlateDecode expects).
#[must_use]
pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
