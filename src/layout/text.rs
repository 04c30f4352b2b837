//! Fitting text into a box: word wrapping by real advance widths, and shrink-to-fit.

use super::font::Font;

/// Text set at one size, broken into lines that fit the box width.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    /// Font size in points.
    pub size: f64,
    /// Lines with their widths in points.
    pub lines: Vec<(String, f64)>,
}

/// Why text could not be set in its box.
#[derive(Clone, Debug, PartialEq)]
pub enum FitError {
    /// Even at the minimum size the text is wider or taller than the box.
    Overflow {
        /// The size tried last.
        min_size: f64,
    },
    /// The font has no glyph for this character.
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
                "the font has no glyph for `{c}` (U+{:04X})",
                u32::from(*c)
            ),
        }
    }
}

/// Sets `text` in a `width` x `height` box, starting at `size` and shrinking in half points
/// down to `min_size` until every line fits. Explicit newlines start new lines; with `wrap`
/// false (address blocks) they are the only line breaks.
///
/// # Errors
/// [`FitError::MissingGlyph`] for a character the font lacks, [`FitError::Overflow`] when the
/// text does not fit at `min_size`.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    text: &str,
    font: &Font,
    size: f64,
    min_size: f64,
    leading: f64,
    width: f64,
    height: f64,
    wrap_words: bool,
) -> Result<Fitted, FitError> {
    // Measure each word once at 1 pt; lines scale linearly with size.
    let space = font.measure(" ", 1.0).map_err(FitError::MissingGlyph)?;
    let mut paragraphs: Vec<Vec<(&str, f64)>> = Vec::new();
    for para in text.split('\n') {
        let mut words = Vec::new();
        if wrap_words {
            for w in para.split_whitespace() {
                words.push((w, font.measure(w, 1.0).map_err(FitError::MissingGlyph)?));
            }
        } else {
            let line = para.trim();
            words.push((
                line,
                font.measure(line, 1.0).map_err(FitError::MissingGlyph)?,
            ));
        }
        paragraphs.push(words);
    }
    let mut s = size;
    loop {
        if let Some(lines) = wrap(&paragraphs, space, width / s) {
            let needed = s * (font.ascent - font.descent)
                + s * leading * (lines.len().saturating_sub(1)) as f64;
            if needed <= height + 0.01 {
                return Ok(Fitted {
                    size: s,
                    lines: lines.into_iter().map(|(l, w)| (l, w * s)).collect(),
                });
            }
        }
        if s <= min_size + 1e-9 {
            return Err(FitError::Overflow { min_size });
        }
        s = (s - 0.5).max(min_size);
    }
}

/// Greedy line breaking at `width` (in units of the font size). `None` when a single word
/// is wider than the line.
fn wrap(paragraphs: &[Vec<(&str, f64)>], space: f64, width: f64) -> Option<Vec<(String, f64)>> {
    let mut lines = Vec::new();
    for words in paragraphs {
        let mut line = String::new();
        let mut line_w = 0.0;
        for &(word, w) in words {
            if w > width + 1e-9 {
                return None;
            }
            if line.is_empty() {
                line.push_str(word);
                line_w = w;
            } else if line_w + space + w <= width + 1e-9 {
                line.push(' ');
                line.push_str(word);
                line_w += space + w;
            } else {
                lines.push((std::mem::take(&mut line), line_w));
                line.push_str(word);
                line_w = w;
            }
        }
        lines.push((line, line_w));
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sans() -> std::sync::Arc<Font> {
        Font::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts/DejaVuSans.ttf")).unwrap()
    }

    #[test]
    fn wraps_at_the_box_width() {
        let f = fit(
            "one two three four five six",
            &sans(),
            10.0,
            10.0,
            1.2,
            60.0,
            100.0,
            true,
        )
        .unwrap();
        assert!(f.lines.len() > 1);
        assert!(f.lines.iter().all(|(_, w)| *w <= 60.0));
        let joined: Vec<&str> = f.lines.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(joined.join(" "), "one two three four five six");
    }

    #[test]
    fn shrinks_to_fit_then_overflows() {
        let f = fit(
            "Bartholomew-Castellanos",
            &sans(),
            12.0,
            6.0,
            1.2,
            100.0,
            20.0,
            true,
        )
        .unwrap();
        assert!(f.size < 12.0 && f.size >= 6.0);
        assert!(f.lines[0].1 <= 100.0);
        assert_eq!(
            fit(
                "Bartholomew-Castellanos",
                &sans(),
                12.0,
                11.0,
                1.2,
                100.0,
                20.0,
                true
            ),
            Err(FitError::Overflow { min_size: 11.0 })
        );
    }

    #[test]
    fn missing_glyph_is_reported() {
        assert_eq!(
            fit("Ciao 张", &sans(), 10.0, 8.0, 1.2, 200.0, 50.0, true),
            Err(FitError::MissingGlyph('张'))
        );
    }
}
