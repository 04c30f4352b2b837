//! Fitting text into a box: shaping (kerning, ligatures), fallback fonts, word wrapping by
//! the shaped advance widths, and shrink-to-fit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use super::font::{Font, ShapedGlyph};

/// Glyphs of one font, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Index into the layout's fonts.
    pub font: usize,
    /// The glyphs, advances in em.
    pub glyphs: Vec<ShapedGlyph>,
}

impl Run {
    /// Width in em.
    #[must_use]
    pub fn width(&self) -> f64 {
        self.glyphs.iter().map(|g| g.advance).sum()
    }
}

/// One set line.
#[derive(Clone, Debug, PartialEq)]
pub struct SetLine {
    /// Runs of glyphs, spaces included.
    pub runs: Vec<Run>,
    /// Width in points at the fitted size.
    pub width: f64,
    /// True for the last line of a paragraph (never stretched when justifying).
    pub last: bool,
}

impl SetLine {
    /// The line's text.
    #[cfg(test)]
    #[must_use]
    pub fn text(&self) -> String {
        self.runs
            .iter()
            .flat_map(|r| &r.glyphs)
            .map(|g| g.text.as_str())
            .collect()
    }
}

/// Text set at one size, broken into lines that fit the box width.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    /// Font size in points.
    pub size: f64,
    /// The lines.
    pub lines: Vec<SetLine>,
}

/// Why text could not be set in its box.
#[derive(Clone, Debug, PartialEq)]
pub enum FitError {
    /// Even at the smallest allowed size the text is wider or taller than the box.
    Overflow {
        /// The size tried last.
        min_size: f64,
    },
    /// No configured font has a glyph for this character.
    MissingGlyph(char),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Overflow { min_size } => {
                write!(f, "text does not fit its box even at {min_size} pt")
            }
            FitError::MissingGlyph(c) => write!(
                f,
                "no font of the element has a glyph for `{c}` (U+{:04X}); add a fallback font that has it",
                u32::from(*c)
            ),
        }
    }
}

/// What to set, and how.
#[derive(Clone, Copy, Debug)]
pub struct Spec<'a> {
    /// The layout's fonts.
    pub fonts: &'a [Arc<Font>],
    /// The element's font first, then its fallbacks (indexes into `fonts`).
    pub chain: &'a [usize],
    /// Start size.
    pub size: f64,
    /// Smallest size.
    pub min_size: f64,
    /// Line distance as a multiple of the size.
    pub leading: f64,
    /// Box width, points.
    pub width: f64,
    /// Box height, points.
    pub height: f64,
    /// Break lines between words (false: only at `\n`, as address blocks do).
    pub wrap: bool,
    /// Even out wrapped lines (a headline's last line is then never a lone word): the
    /// narrowest width that keeps the same number of lines.
    pub balance: bool,
}

/// `lines` (wrapped at `max` em) wrapped again at the narrowest width that still gives as
/// many lines, found by bisection: the lines come out about as long as each other.
fn balanced(
    paragraphs: &[Vec<Piece>],
    space_w: f64,
    max: f64,
    lines: Vec<LineRef>,
) -> Vec<LineRef> {
    let n = lines.len();
    let (mut lo, mut hi) = (max / 2.0, max);
    for _ in 0..24 {
        let mid = (lo + hi) / 2.0;
        if wrap(paragraphs, space_w, mid, true).is_some_and(|l| l.len() == n) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    wrap(paragraphs, space_w, hi, true)
        .filter(|l| l.len() == n)
        .unwrap_or(lines)
}

/// A word of a paragraph, or a part of a web address that follows the part before it
/// without a space (`glued`), so that the line may break between them.
#[derive(Debug)]
struct Piece {
    word: Rc<Word>,
    glued: bool,
}

/// `word` cut after each slash when it is a web address (a dot before its first slash, and
/// more after the slash), so that a line may break there: `shop.example/r/` `1a2b`. Other
/// words (`and/or`, `24/7`) stay whole.
fn url_parts(word: &str) -> impl Iterator<Item = &str> {
    let bare = word.split_once("://").map_or(word, |(_, rest)| rest);
    let is_url = bare
        .find('/')
        .is_some_and(|slash| bare[..slash].contains('.') && slash + 1 < bare.len());
    let mut rest = if is_url { word } else { "" };
    let whole = if is_url { None } else { Some(word) };
    let parts = std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Never between the two slashes of `https://`.
        let from = rest.find("://").map_or(0, |i| i + 3);
        let cut = rest[from..].find('/').map_or(rest.len(), |i| from + i + 1);
        let (part, tail) = rest.split_at(cut);
        rest = tail;
        Some(part)
    });
    whole.into_iter().chain(parts)
}

/// A word: runs and its width in em.
#[derive(Debug)]
struct Word {
    runs: Vec<Run>,
    width: f64,
}

/// Sets `text` in the box of `spec`, starting at `size` and shrinking in half points
/// down to `min_size` until every line fits. Explicit newlines start new lines.
///
/// # Errors
/// [`FitError::MissingGlyph`] for a character no font of the chain has,
/// [`FitError::Overflow`] when the text does not fit at `min_size`.
pub fn fit(text: &str, spec: &Spec<'_>) -> Result<Fitted, FitError> {
    let primary = *spec.chain.first().ok_or(FitError::MissingGlyph(' '))?;
    let space = Run {
        font: primary,
        glyphs: space_glyphs(&spec.fonts[primary]),
    };
    if space.glyphs.iter().any(|g| g.id == 0) {
        return Err(FitError::MissingGlyph(' '));
    }
    let space_w = space.width();
    let chain = chain_key(spec);
    let mut paragraphs: Vec<Vec<Piece>> = Vec::new();
    for para in text.split('\n') {
        let mut words = Vec::new();
        if spec.wrap {
            for w in para.split_whitespace() {
                // A web address may break after any of its slashes.
                for (k, part) in url_parts(w).enumerate() {
                    words.push(Piece {
                        word: word(part, spec, &chain)?,
                        glued: k > 0,
                    });
                }
            }
        } else if !para.trim().is_empty() {
            // One line whatever its width; split at its spaces only so that its words are
            // shaped and cached one by one, with the font's space between, as wrapped text is.
            for w in para.trim().split(' ') {
                words.push(Piece {
                    word: word(w, spec, &chain)?,
                    glued: false,
                });
            }
        }
        paragraphs.push(words);
    }
    let font = &spec.fonts[primary];
    let mut s = spec.size;
    loop {
        if let Some(lines) = wrap(&paragraphs, space_w, spec.width / s, spec.wrap) {
            let needed = s * (font.ascent - font.descent)
                + s * spec.leading * (lines.len().saturating_sub(1)) as f64;
            if needed <= spec.height + 0.01 {
                let lines = if spec.balance && spec.wrap && lines.len() > 1 {
                    balanced(&paragraphs, space_w, spec.width / s, lines)
                } else {
                    lines
                };
                let lines = lines
                    .into_iter()
                    .map(|(words, width, last)| SetLine {
                        runs: join(&paragraphs, &words, &space),
                        width: width * s,
                        last,
                    })
                    .collect();
                return Ok(Fitted { size: s, lines });
            }
        }
        if s <= spec.min_size + 1e-9 {
            return Err(FitError::Overflow {
                min_size: spec.min_size,
            });
        }
        s = (s - 0.5).max(spec.min_size);
    }
}

/// Words shaped so far on this thread, by font chain and text. Names, streets and towns
/// repeat across a cycle, and shaping is most of the cost of setting a line.
struct WordCache {
    words: HashMap<String, Rc<Word>>,
    /// The key being looked up, reused.
    key: String,
    /// Each font's space, by font uid.
    spaces: HashMap<usize, Vec<ShapedGlyph>>,
}

/// Past this many words the cache starts again, so memory stays flat on any cycle.
const WORD_CACHE_MAX: usize = 4_096;

thread_local! {
    static WORDS: RefCell<WordCache> = RefCell::new(WordCache {
        words: HashMap::new(),
        key: String::new(),
        spaces: HashMap::new(),
    });
}

/// What the word cache keys a font chain by: the index says which of the layout's fonts a run
/// uses; the uid, which font.
fn chain_key(spec: &Spec<'_>) -> String {
    let mut key = String::new();
    for &f in spec.chain {
        let _ = write!(key, "{f}:{},", spec.fonts[f].uid);
    }
    key.push('\0');
    key
}

/// `font`'s space shaped, once per font on each thread.
fn space_glyphs(font: &Font) -> Vec<ShapedGlyph> {
    WORDS.with(|cache| {
        cache
            .borrow_mut()
            .spaces
            .entry(font.uid)
            .or_insert_with(|| font.shape(" "))
            .clone()
    })
}

/// [`shape_word`], once per chain (`chain`, from [`chain_key`]) and text on each thread.
fn word(text: &str, spec: &Spec<'_>, chain: &str) -> Result<Rc<Word>, FitError> {
    WORDS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let cache = &mut *cache;
        cache.key.clear();
        cache.key.push_str(chain);
        cache.key.push_str(text);
        if let Some(w) = cache.words.get(cache.key.as_str()) {
            return Ok(Rc::clone(w));
        }
        let w = Rc::new(shape_word(text, spec)?);
        if cache.words.len() >= WORD_CACHE_MAX {
            cache.words.clear();
        }
        cache.words.insert(cache.key.clone(), Rc::clone(&w));
        Ok(w)
    })
}

/// Shapes one word, choosing for each character the first font of the chain that has it.
fn shape_word(text: &str, spec: &Spec<'_>) -> Result<Word, FitError> {
    let mut runs: Vec<Run> = Vec::new();
    let mut start = 0;
    let mut current: Option<usize> = None;
    let flush = |runs: &mut Vec<Run>, font: usize, part: &str| {
        runs.push(Run {
            font,
            glyphs: spec.fonts[font].shape(part),
        });
    };
    for (i, c) in text.char_indices() {
        let font = spec
            .chain
            .iter()
            .copied()
            .find(|&f| spec.fonts[f].covers(c))
            .ok_or(FitError::MissingGlyph(c))?;
        if current != Some(font) {
            if let Some(f) = current {
                flush(&mut runs, f, &text[start..i]);
            }
            current = Some(font);
            start = i;
        }
    }
    if let Some(f) = current {
        flush(&mut runs, f, &text[start..]);
    }
    let width = runs.iter().map(Run::width).sum();
    Ok(Word { runs, width })
}

/// A line as (paragraph, first word, word count), its width in em, and whether it ends a
/// paragraph.
type LineRef = ((usize, usize, usize), f64, bool);

/// Greedy line breaking at `width` (in em), or one line per paragraph when `breaks` is
/// false. `None` when a word (or an unbroken paragraph) is wider than the line.
fn wrap(paragraphs: &[Vec<Piece>], space: f64, width: f64, breaks: bool) -> Option<Vec<LineRef>> {
    let mut lines = Vec::new();
    for (pi, words) in paragraphs.iter().enumerate() {
        if !breaks {
            let w = words.iter().map(|p| p.word.width).sum::<f64>()
                + space * words.iter().skip(1).filter(|p| !p.glued).count() as f64;
            if w > width + 1e-9 {
                return None;
            }
            lines.push(((pi, 0, words.len()), w, true));
            continue;
        }
        let mut first = 0;
        let mut count = 0;
        let mut line_w = 0.0;
        for (wi, p) in words.iter().enumerate() {
            let w = &p.word;
            if w.width > width + 1e-9 {
                return None;
            }
            let gap = if p.glued { 0.0 } else { space };
            if count == 0 {
                first = wi;
                count = 1;
                line_w = w.width;
            } else if line_w + gap + w.width <= width + 1e-9 {
                count += 1;
                line_w += gap + w.width;
            } else {
                lines.push(((pi, first, count), line_w, false));
                first = wi;
                count = 1;
                line_w = w.width;
            }
        }
        lines.push(((pi, first, count), line_w, true));
    }
    Some(lines)
}

/// The runs of a line: its words with spaces between, same-font neighbours merged.
fn join(
    paragraphs: &[Vec<Piece>],
    &(pi, first, count): &(usize, usize, usize),
    space: &Run,
) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |run: &Run| match runs.last_mut() {
        Some(last) if last.font == run.font => last.glyphs.extend(run.glyphs.iter().cloned()),
        _ => runs.push(run.clone()),
    };
    for (k, p) in paragraphs[pi][first..first + count].iter().enumerate() {
        if k > 0 && !p.glued {
            push(space);
        }
        for r in &p.word.runs {
            push(r);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fonts() -> Vec<Arc<Font>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
        let res = crate::resources::Resources::default();
        vec![
            res.font(&dir.join("DejaVuSans.ttf")).unwrap(),
            res.font(&dir.join("LiberationSerif-Regular.ttf")).unwrap(),
        ]
    }

    fn spec<'a>(
        fonts: &'a [Arc<Font>],
        chain: &'a [usize],
        size: f64,
        min: f64,
        w: f64,
        h: f64,
    ) -> Spec<'a> {
        Spec {
            fonts,
            chain,
            size,
            min_size: min,
            leading: 1.2,
            width: w,
            height: h,
            wrap: true,
            balance: false,
        }
    }

    #[test]
    fn wraps_at_the_box_width() {
        let f = fonts();
        let got = fit(
            "one two three four five six",
            &spec(&f, &[0], 10.0, 10.0, 60.0, 100.0),
        )
        .unwrap();
        assert!(got.lines.len() > 1);
        assert!(got.lines.iter().all(|l| l.width <= 60.0));
        let joined: Vec<String> = got.lines.iter().map(SetLine::text).collect();
        assert_eq!(joined.join(" "), "one two three four five six");
        assert!(got.lines.last().unwrap().last);
    }

    #[test]
    fn balanced_lines_leave_no_lone_last_word() {
        let f = fonts();
        let text = "Our fall catalog, picked for you, Sarah";
        // Wide enough for all but the last word on the first line.
        let mut s = spec(&f, &[0], 20.0, 20.0, 320.0, 200.0);
        let plain = fit(text, &s).unwrap();
        let words = |l: &SetLine| l.text().split_whitespace().count();
        assert_eq!(plain.lines.len(), 2);
        assert_eq!(words(&plain.lines[1]), 1, "{:?}", plain.lines[1].text());
        s.balance = true;
        let even = fit(text, &s).unwrap();
        assert_eq!(even.lines.len(), 2, "as many lines as before");
        assert!(words(&even.lines[1]) > 1, "{:?}", even.lines[1].text());
        let widest = |f: &Fitted| f.lines.iter().map(|l| l.width).fold(0.0, f64::max);
        assert!(widest(&even) < widest(&plain));
        let joined: Vec<String> = even.lines.iter().map(SetLine::text).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn web_addresses_break_after_a_slash_and_nothing_else_does() {
        fn parts(w: &str) -> Vec<&str> {
            url_parts(w).collect()
        }
        assert_eq!(
            parts("shop.example/r/1a2b3c"),
            ["shop.example/", "r/", "1a2b3c"]
        );
        assert_eq!(
            parts("https://shop.example/r/1a"),
            ["https://shop.example/", "r/", "1a"]
        );
        assert_eq!(parts("shop.example/"), ["shop.example/"]);
        assert_eq!(parts("and/or"), ["and/or"]);
        assert_eq!(parts("24/7."), ["24/7."]);
        assert_eq!(parts("example.com"), ["example.com"]);

        let f = fonts();
        let url = "bottegaverde.example/r/e17a99b055b4e157";
        let text = format!("or visit {url}");
        let one_line = fit(&text, &spec(&f, &[0], 7.0, 7.0, 500.0, 40.0)).unwrap();
        assert_eq!(one_line.lines.len(), 1);
        assert_eq!(
            one_line.lines[0].text(),
            text,
            "no space inside the address"
        );
        // Too narrow for the whole address at 7 pt: it breaks after a slash, not shrinks.
        let narrow = fit(&text, &spec(&f, &[0], 7.0, 7.0, 110.0, 40.0)).unwrap();
        let lines: Vec<String> = narrow.lines.iter().map(SetLine::text).collect();
        assert_eq!(narrow.size, 7.0);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("or visit bottegaverde.example/"),
            "{lines:?}"
        );
        assert_eq!(lines.concat(), text, "broken after a slash, no space added");
        assert!(narrow.lines.iter().all(|l| l.width <= 110.0));
    }

    #[test]
    fn shrinks_to_fit_then_overflows() {
        let f = fonts();
        let got = fit(
            "Bartholomew-Castellanos",
            &spec(&f, &[0], 12.0, 6.0, 100.0, 20.0),
        )
        .unwrap();
        assert!(got.size < 12.0 && got.size >= 6.0);
        assert!(got.lines[0].width <= 100.0);
        assert_eq!(
            fit(
                "Bartholomew-Castellanos",
                &spec(&f, &[0], 12.0, 11.0, 100.0, 20.0)
            ),
            Err(FitError::Overflow { min_size: 11.0 })
        );
    }

    #[test]
    fn a_cached_word_is_the_word_of_its_own_font_chain() {
        let f = fonts();
        let serif = fit("Welcome Ann", &spec(&f, &[1], 10.0, 10.0, 200.0, 50.0)).unwrap();
        let sans = fit("Welcome Ann", &spec(&f, &[0], 10.0, 10.0, 200.0, 50.0)).unwrap();
        assert!(serif.lines[0].runs.iter().all(|r| r.font == 1));
        assert!(sans.lines[0].runs.iter().all(|r| r.font == 0));
        assert_ne!(serif.lines[0].width, sans.lines[0].width);
        // Set again (from the cache now): the same.
        assert_eq!(
            fit("Welcome Ann", &spec(&f, &[1], 10.0, 10.0, 200.0, 50.0)).unwrap(),
            serif
        );
        // Shaped directly, not through the cache: the same glyphs.
        let direct = shape_word("Welcome", &spec(&f, &[1], 10.0, 10.0, 200.0, 50.0)).unwrap();
        assert_eq!(
            serif.lines[0].runs[0].glyphs[..7],
            direct.runs[0].glyphs[..]
        );
    }

    #[test]
    fn an_unbroken_line_keeps_its_spaces_and_never_wraps() {
        let f = fonts();
        let mut s = spec(&f, &[0], 10.0, 6.0, 120.0, 50.0);
        s.wrap = false;
        let got = fit("12  MAIN ST\nBOSTON MA 02134", &s).unwrap();
        let lines: Vec<String> = got.lines.iter().map(SetLine::text).collect();
        assert_eq!(lines, ["12  MAIN ST", "BOSTON MA 02134"]);
        // Too wide for one line: shrunk, not broken.
        s.width = 160.0;
        let long = fit("12345 NORTH WASHINGTON BOULEVARD", &s).unwrap();
        assert_eq!(long.lines.len(), 1);
        assert!(long.size < 10.0 && long.lines[0].width <= 160.0);
    }

    #[test]
    fn kerning_narrows_pairs() {
        let f = fonts();
        // Liberation Serif kerns "AV"; shaped, the pair is narrower than its two glyphs.
        let g = f[1].shape("AV");
        let shaped: f64 = g.iter().map(|x| x.advance).sum();
        let plain: f64 = g.iter().map(|x| x.default_advance).sum();
        assert!(shaped < plain, "{shaped} vs {plain}");
    }

    #[test]
    fn missing_glyph_is_reported_or_drawn_from_a_fallback() {
        let f = fonts();
        assert_eq!(
            fit("Ciao 张", &spec(&f, &[0], 10.0, 8.0, 200.0, 50.0)),
            Err(FitError::MissingGlyph('张'))
        );
        // Liberation Serif lacks the interrobang; DejaVu Sans has it.
        assert!(fit("Ciao ‽", &spec(&f, &[1], 10.0, 8.0, 200.0, 50.0)).is_err());
        let got = fit("Ciao ‽", &spec(&f, &[1, 0], 10.0, 8.0, 200.0, 50.0)).unwrap();
        let fonts_used: Vec<usize> = got.lines[0].runs.iter().map(|r| r.font).collect();
        assert_eq!(fonts_used, [1, 0]);
        assert_eq!(got.lines[0].text(), "Ciao ‽");
    }
}
