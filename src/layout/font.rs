//! Fonts: glyph lookup and advance widths for measuring text, and the bytes to embed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use smol_str::SmolStr;

/// A TrueType/OpenType font, parsed once (see [`crate::resources::Resources::font`]).
pub struct Font {
    /// Where it was read from.
    pub path: PathBuf,
    /// The whole font file.
    pub data: &'static [u8],
    face: ttf_parser::Face<'static>,
    shaper: rustybuzz::Face<'static>,
    /// Shape plans by (direction, script): building one costs more than shaping a word.
    plans: Mutex<
        Vec<(
            rustybuzz::Direction,
            rustybuzz::Script,
            Arc<rustybuzz::ShapePlan>,
        )>,
    >,
    /// Design units per em.
    pub units_per_em: f64,
    /// Ascender, in em.
    pub ascent: f64,
    /// Descender (negative), in em.
    pub descent: f64,
    /// Cap height, in em.
    pub cap_height: f64,
    /// Bounding box of all glyphs, in em: [xmin, ymin, xmax, ymax].
    pub bbox: [f64; 4],
    /// PostScript name, for the PDF's BaseFont.
    pub postscript_name: String,
    /// Italic angle in degrees.
    pub italic_angle: f64,
    /// Unique in this process (a counter, never reused): what caches of shaped text key on.
    pub uid: usize,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// One glyph of shaped text.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapedGlyph {
    /// Glyph id in the font.
    pub id: u16,
    /// Advance after shaping (kerning included), in em.
    pub advance: f64,
    /// The glyph's own advance (what the PDF's width table says), in em.
    pub default_advance: f64,
    /// The characters this glyph stands for ("" for the 2nd+ glyph of a cluster); inline,
    /// so copying a shaped word does not allocate.
    pub text: SmolStr,
}

static NEXT_UID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Font {
    /// Parses the font file `bytes` read from `path` (through
    /// [`crate::resources::Resources::font`], which parses each file once).
    ///
    /// # Errors
    /// The reason when the bytes are not a font.
    pub fn parse(path: &Path, bytes: Cow<'static, [u8]>) -> Result<Font, String> {
        // The parsed faces borrow the bytes for as long as the font is used: built-in fonts
        // are static already; a font read from disk is kept for the rest of the process
        // (once per file, as `Resources` parses each file once).
        let data: &'static [u8] = match bytes {
            Cow::Borrowed(b) => b,
            Cow::Owned(v) => Box::leak(v.into_boxed_slice()),
        };
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| format!("`{}` is not a TrueType/OpenType font: {e}", path.display()))?;
        let shaper = rustybuzz::Face::from_slice(data, 0)
            .ok_or_else(|| format!("`{}` cannot be used for text shaping", path.display()))?;
        let upem = f64::from(face.units_per_em());
        let bb = face.global_bounding_box();
        let postscript_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "Font".into())
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Ok(Font {
            path: path.to_path_buf(),
            data,
            units_per_em: upem,
            ascent: f64::from(face.ascender()) / upem,
            descent: f64::from(face.descender()) / upem,
            cap_height: f64::from(face.capital_height().unwrap_or(face.ascender())) / upem,
            bbox: [
                f64::from(bb.x_min) / upem,
                f64::from(bb.y_min) / upem,
                f64::from(bb.x_max) / upem,
                f64::from(bb.y_max) / upem,
            ],
            postscript_name,
            italic_angle: f64::from(face.italic_angle()),
            uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            face,
            shaper,
            plans: Mutex::new(Vec::new()),
        })
    }

    /// The glyph for `c`, if the font has one.
    #[must_use]
    pub fn glyph(&self, c: char) -> Option<u16> {
        self.face.glyph_index(c).map(|g| g.0).filter(|&g| g != 0)
    }

    /// Advance width of glyph `gid`, in em.
    #[must_use]
    pub fn advance(&self, gid: u16) -> f64 {
        f64::from(
            self.face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        ) / self.units_per_em
    }

    /// True when the font has a glyph for every character of `text`.
    #[must_use]
    pub fn covers(&self, c: char) -> bool {
        c.is_whitespace() || self.glyph(c).is_some()
    }

    /// Shapes `text` (kerning, ligatures): glyphs with their advances in em and the text
    /// each glyph stands for.
    #[must_use]
    pub fn shape(&self, text: &str) -> Vec<ShapedGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = match self.plan(buffer.direction(), buffer.script()) {
            Some(plan) => rustybuzz::shape_with_plan(&self.shaper, &plan, buffer),
            None => rustybuzz::shape(&self.shaper, &[], buffer),
        };
        let infos = shaped.glyph_infos();
        let positions = shaped.glyph_positions();
        let mut out: Vec<ShapedGlyph> = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = infos
                .iter()
                .skip(i + 1)
                .map(|g| g.cluster as usize)
                .find(|&c| c != start)
                .unwrap_or(text.len())
                .max(start);
            let same_cluster = i > 0 && infos[i - 1].cluster == info.cluster;
            let id = info.glyph_id as u16;
            out.push(ShapedGlyph {
                id,
                advance: f64::from(pos.x_advance) / self.units_per_em,
                default_advance: self.advance(id),
                text: if same_cluster {
                    SmolStr::default()
                } else {
                    SmolStr::new(text.get(start..end).unwrap_or(""))
                },
            });
        }
        out
    }

    /// The cached shape plan for `direction` and `script`, made on first use.
    fn plan(
        &self,
        direction: rustybuzz::Direction,
        script: rustybuzz::Script,
    ) -> Option<Arc<rustybuzz::ShapePlan>> {
        if direction == rustybuzz::Direction::Invalid {
            return None;
        }
        let mut plans = self.plans.lock().ok()?;
        if let Some((_, _, p)) = plans
            .iter()
            .find(|(d, s, _)| *d == direction && *s == script)
        {
            return Some(Arc::clone(p));
        }
        let plan = Arc::new(rustybuzz::ShapePlan::new(
            &self.shaper,
            direction,
            Some(script),
            None,
            &[],
        ));
        plans.push((direction, script, Arc::clone(&plan)));
        Some(plan)
    }
}
