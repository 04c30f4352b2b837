//! QR codes (level M) as bit rows.
//!
//! The `qrcode` crate encodes the text into codewords. Their error correction (Reed–Solomon
//! over GF(256), with log tables made at compile time), the placement of the modules and the
//! choice of the mask are done here: what is the same for every code of one size (the
//! function patterns, the format bits of each mask, the order data modules are filled in,
//! which modules each mask flips) is worked out once per size and thread, so a code costs its
//! encoding, one pass over its bits and the scoring of eight masks on 64-bit rows.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, Version};

/// Error correction level of every code we print: M recovers about 15 % of the modules.
const EC: EcLevel = EcLevel::M;

/// The modules of a QR code, dark = 1: `n` rows of `n.div_ceil(8)` bytes each, the leftmost
/// module in the high bit, as a PDF 1-bit image wants them. No quiet zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrBits {
    /// Modules per side.
    pub n: usize,
    /// The rows, packed.
    pub rows: Vec<u8>,
}

impl QrBits {
    /// Bytes per packed row.
    #[cfg(test)]
    #[must_use]
    pub fn row_bytes(&self) -> usize {
        self.n.div_ceil(8)
    }

    /// True when module (x, y) is dark.
    #[cfg(test)]
    #[must_use]
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.rows
            .get(y * self.row_bytes() + x / 8)
            .is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }

    fn from_fn(n: usize, dark: impl Fn(usize, usize) -> bool) -> QrBits {
        let row_bytes = n.div_ceil(8);
        let mut rows = vec![0u8; row_bytes * n];
        for y in 0..n {
            for x in 0..n {
                if dark(x, y) {
                    rows[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        QrBits { n, rows }
    }

    /// From 64-bit rows, bit x of `rows[y]` being module (x, y).
    fn from_words(n: usize, words: impl Iterator<Item = u64>) -> QrBits {
        let row_bytes = n.div_ceil(8);
        let mut rows = Vec::with_capacity(row_bytes * n);
        for w in words {
            // one byte of the word at a time
            rows.extend((0..row_bytes).map(|k| ((w >> (8 * k)) as u8).reverse_bits()));
        }
        QrBits { n, rows }
    }
}

/// The QR code of `text`, level M, the smallest version that holds it, with the mask of the
/// lowest ISO/IEC 18004 penalty (scored without the format bits).
///
/// # Errors
/// When the text is too long for any QR code.
pub fn encode(text: &str) -> Result<QrBits, QrError> {
    let bits = qrcode::bits::encode_auto(text.as_bytes(), EC)?;
    let version = bits.version();
    let data = bits.into_bytes();
    let n = usize::try_from(version.width()).unwrap_or(0);
    let blocks = match version {
        Version::Normal(v) if n <= 64 => usize::try_from(v - 1).ok().and_then(|i| BLOCKS_M.get(i)),
        _ => None,
    };
    let Some(&blocks) = blocks else {
        // Version 12 and up: longer than any personal URL; the plain way.
        let (encoded, ec_data) = qrcode::ec::construct_codewords(&data, version, EC)?;
        return Ok(on_canvas(version, &encoded, &ec_data));
    };
    let t = tables(version, n, blocks.3);
    let (encoded, ec_data) = codewords(&data, blocks, &t.generator).ok_or(QrError::DataTooLong)?;
    // The data modules, unmasked, as rows and columns.
    let (mut rows, mut cols) = (vec![0u64; n], vec![0u64; n]);
    for (&byte, places) in encoded.iter().chain(&ec_data).zip(t.order.chunks(8)) {
        for (j, &(x, y)) in places.iter().enumerate() {
            if byte & (0x80 >> j) != 0 {
                rows[usize::from(y)] |= 1 << x;
                cols[usize::from(x)] |= 1 << y;
            }
        }
    }
    let (mut mr, mut mc) = (vec![0u64; n], vec![0u64; n]);
    let mut best = (u32::MAX, 0);
    for m in 0..8 {
        for i in 0..n {
            mr[i] = t.reserved_rows[i] | (rows[i] ^ t.flips_rows[m][i]);
            mc[i] = t.reserved_cols[i] | (cols[i] ^ t.flips_cols[m][i]);
        }
        let score = penalty_bits(&mr, &mc, n);
        if score < best.0 {
            best = (score, m);
        }
    }
    let m = best.1;
    Ok(QrBits::from_words(
        n,
        (0..n).map(|i| t.fixed_rows[m][i] | (rows[i] ^ t.flips_rows[m][i])),
    ))
}

/// Level-M error correction blocks of versions 1 to 11 (ISO/IEC 18004 Table 9): data bytes of
/// a short block, short blocks, long blocks (one data byte more), error correction bytes per
/// block. The tests check them against the `qrcode` crate's.
const BLOCKS_M: [(usize, usize, usize, usize); 11] = [
    (16, 1, 0, 10),
    (28, 1, 0, 16),
    (44, 1, 0, 26),
    (32, 2, 0, 18),
    (43, 2, 0, 24),
    (27, 4, 0, 16),
    (31, 4, 0, 18),
    (38, 2, 2, 22),
    (36, 3, 2, 22),
    (43, 4, 1, 26),
    (50, 1, 4, 30),
];

/// Powers of α in GF(256) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1, twice over so that a
/// sum of two logarithms needs no reduction; and their logarithms.
const GF_EXP: [u8; 512] = gf_tables().0;
const GF_LOG: [u8; 256] = gf_tables().1;

const fn gf_tables() -> ([u8; 512], [u8; 256]) {
    let (mut exp, mut log) = ([0u8; 512], [0u8; 256]);
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        {
            exp[i] = x as u8;
            exp[i + 255] = x as u8;
            log[x as usize] = i as u8;
        }
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11D;
        }
        i += 1;
    }
    (exp, log)
}

/// The logarithms of the coefficients of the Reed–Solomon generator polynomial of degree
/// `degree`, ∏ (x − αⁱ) for i < degree, highest power first and without its leading 1. None
/// of them is zero.
fn generator_logs(degree: usize) -> Vec<usize> {
    let mut g = vec![1u8];
    for i in 0..degree {
        // Times (x − αⁱ): shift up, add αⁱ times the old coefficients one place lower.
        let mut next = g.clone();
        next.push(0);
        for (k, &c) in g.iter().enumerate() {
            if c != 0 {
                next[k + 1] ^= GF_EXP[usize::from(GF_LOG[usize::from(c)]) + i];
            }
        }
        g = next;
    }
    g[1..]
        .iter()
        .map(|&c| usize::from(GF_LOG[usize::from(c)]))
        .collect()
}

/// The data codewords split into `blocks`, each with its error correction (`generator`, from
/// [`generator_logs`] of the blocks' EC length), both interleaved as they are placed: what the
/// crate's `construct_codewords` returns, with no reductions modulo 255. `None` when `data`
/// is not the length the blocks hold.
fn codewords(
    data: &[u8],
    (short, short_count, long_count, ec): (usize, usize, usize, usize),
    generator: &[usize],
) -> Option<(Vec<u8>, Vec<u8>)> {
    if data.len() != short * short_count + (short + 1) * long_count || generator.len() != ec {
        return None;
    }
    let count = short_count + long_count;
    let block = |i: usize| {
        let start = i * short + i.saturating_sub(short_count);
        let len = if i < short_count { short } else { short + 1 };
        &data[start..start + len]
    };
    let mut ec_blocks = vec![0u8; count * ec];
    // A block, then its remainder: the longest block (51) and most EC bytes (30) of BLOCKS_M.
    let mut work = [0u8; 96];
    for (i, out) in ec_blocks.chunks_mut(ec).enumerate() {
        let b = block(i);
        let w = &mut work[..b.len() + ec];
        w[..b.len()].copy_from_slice(b);
        w[b.len()..].fill(0);
        for k in 0..b.len() {
            let lead = w[k];
            if lead != 0 {
                let lf = usize::from(GF_LOG[usize::from(lead)]);
                for (r, &lg) in w[k + 1..k + 1 + ec].iter_mut().zip(generator.iter()) {
                    // Both logarithms are below 255: the mask changes nothing but the bounds
                    // check.
                    *r ^= GF_EXP[(lg + lf) & 511];
                }
            }
        }
        out.copy_from_slice(&w[b.len()..]);
    }
    let mut encoded = Vec::with_capacity(data.len());
    for k in 0..=short {
        for i in 0..count {
            if let Some(&b) = block(i).get(k) {
                encoded.push(b);
            }
        }
    }
    let mut ec_data = Vec::with_capacity(ec_blocks.len());
    for k in 0..ec {
        ec_data.extend((0..count).map(|i| ec_blocks[i * ec + k]));
    }
    Some((encoded, ec_data))
}

/// Codes wider than 64 modules: the crate's canvas, masks scored on a plain grid.
fn on_canvas(version: Version, encoded: &[u8], ec_data: &[u8]) -> QrBits {
    let mut canvas = Canvas::new(version, EC);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(encoded, ec_data);
    let width = version.width();
    let n = usize::try_from(width).unwrap_or(0);
    let unmasked: Vec<bool> = canvas
        .clone()
        .into_colors()
        .into_iter()
        .map(|m| m == Color::Dark)
        .collect();
    let data = data_modules(version);
    let mut grid = vec![false; n * n];
    let mut best = (u32::MAX, MaskPattern::Checkerboard);
    for (pattern, f) in MASKS {
        for (i, cell) in grid.iter_mut().enumerate() {
            *cell = unmasked[i] ^ (data[i] && f(i % n, i / n));
        }
        let score = penalty(&grid, n);
        if score < best.0 {
            best = (score, pattern);
        }
    }
    canvas.apply_mask(best.1);
    let colors = canvas.into_colors();
    QrBits::from_fn(n, |x, y| colors[y * n + x] == Color::Dark)
}

type MaskFn = fn(usize, usize) -> bool;

/// The eight QR mask patterns (ISO/IEC 18004 Table 10) as (pattern, module is flipped).
const MASKS: [(MaskPattern, MaskFn); 8] = [
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
];

/// Which modules of a code of `version` carry data (row-major): those no function pattern,
/// format or version information takes, so a mask may flip them.
fn data_modules(version: Version) -> Vec<bool> {
    let mut c = Canvas::new(version, EC);
    c.draw_all_functional_patterns();
    let w = version.width();
    (0..w)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| c.get(x, y) == Module::Empty)
        .collect()
}

/// Data module positions in the order bits fill them (ISO/IEC 18004 7.7.3): two-module
/// columns from the right, upwards then downwards, skipping the vertical timing pattern.
fn placement_order(data: &[bool], n: usize) -> Vec<(u8, u8)> {
    let mut order = Vec::with_capacity(n * n);
    let mut right = n - 1;
    let mut upwards = true;
    loop {
        for k in 0..n {
            let y = if upwards { n - 1 - k } else { k };
            for x in [right, right - 1] {
                if data[y * n + x] {
                    // n ≤ 64
                    order.push((x as u8, y as u8));
                }
            }
        }
        upwards = !upwards;
        if right < 3 {
            break;
        }
        right -= 2;
        if right == 6 {
            // The timing pattern's column: the next pair is columns 5 and 4.
            right = 5;
        }
    }
    order
}

/// What is the same for every code of one size (n ≤ 64): bit x of a row is module x.
struct SizeTables {
    /// Data module positions in fill order.
    order: Vec<(u8, u8)>,
    /// Function patterns with the format areas light, as the masks are scored.
    reserved_rows: Vec<u64>,
    reserved_cols: Vec<u64>,
    /// Function patterns with each mask's format bits, as printed.
    fixed_rows: Vec<Vec<u64>>,
    /// The data modules each mask flips.
    flips_rows: Vec<Vec<u64>>,
    flips_cols: Vec<Vec<u64>>,
    /// The error correction's generator polynomial ([`generator_logs`]).
    generator: Vec<usize>,
}

thread_local! {
    static TABLES: RefCell<BTreeMap<usize, Rc<SizeTables>>> = RefCell::default();
}

/// The [`SizeTables`] of `version`, `n` modules wide, with `ec` error correction bytes per
/// block, computed once per thread.
#[allow(clippy::needless_range_loop)] // x and y index rows and columns alike
fn tables(version: Version, n: usize, ec: usize) -> Rc<SizeTables> {
    TABLES.with(|t| {
        let mut t = t.borrow_mut();
        Rc::clone(t.entry(n).or_insert_with(|| {
            let data = data_modules(version);
            let functional = |canvas: Canvas| {
                let colors = canvas.into_colors();
                let (mut rows, mut cols) = (vec![0u64; n], vec![0u64; n]);
                for y in 0..n {
                    for x in 0..n {
                        if !data[y * n + x] && colors[y * n + x] == Color::Dark {
                            rows[y] |= 1 << x;
                            cols[x] |= 1 << y;
                        }
                    }
                }
                (rows, cols)
            };
            let mut blank = Canvas::new(version, EC);
            blank.draw_all_functional_patterns();
            let (reserved_rows, reserved_cols) = functional(blank.clone());
            let fixed_rows = MASKS
                .iter()
                .map(|(pattern, _)| {
                    let mut c = blank.clone();
                    c.apply_mask(*pattern);
                    functional(c).0
                })
                .collect();
            let (mut flips_rows, mut flips_cols) = (vec![vec![0u64; n]; 8], vec![vec![0u64; n]; 8]);
            for y in 0..n {
                for x in 0..n {
                    if !data[y * n + x] {
                        continue;
                    }
                    for (m, (_, flips)) in MASKS.iter().enumerate() {
                        if flips(x, y) {
                            flips_rows[m][y] |= 1 << x;
                            flips_cols[m][x] |= 1 << y;
                        }
                    }
                }
            }
            Rc::new(SizeTables {
                order: placement_order(&data, n),
                reserved_rows,
                reserved_cols,
                fixed_rows,
                flips_rows,
                flips_cols,
                generator: generator_logs(ec),
            })
        }))
    })
}

/// [`penalty`] on bit rows and columns (bit x of `rows[y]` is module (x, y); n ≤ 64).
pub(crate) fn penalty_bits(rows: &[u64], cols: &[u64], n: usize) -> u32 {
    let full: u64 = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    // Where an 11-module window fits.
    let starts: u64 = (1u64 << n.saturating_sub(10)) - 1;
    let mut score = 0u32;
    for &line in rows.iter().chain(cols) {
        // N1: bit x of `same` says module x equals module x - 1; bit x of `five` that modules
        // x - 4 ..= x are equal. A run of k >= 5 modules scores k - 2: its k - 4 bits in
        // `five`, plus 2 for its start.
        let same = !(line ^ (line << 1)) & full & !1;
        let five = same & (same << 1) & (same << 2) & (same << 3) & full;
        score += five.count_ones() + 2 * (five & !(five << 1)).count_ones();
        // N3: 1011101 with four light modules before or after it. Bit b of `core` says
        // modules b ..= b + 6 are 1011101, bit b of `light` that b ..= b + 3 are light: for
        // every b at once.
        let dark = line;
        let clear = !line;
        let core = dark
            & (clear >> 1)
            & (dark >> 2)
            & (dark >> 3)
            & (dark >> 4)
            & (clear >> 5)
            & (dark >> 6);
        let light2 = clear & (clear >> 1);
        let light = light2 & (light2 >> 2);
        let after = core & (light >> 7) & starts;
        let before = light & (core >> 4) & starts;
        score += 40 * (after.count_ones() + before.count_ones());
    }
    // N2: 2x2 blocks of one colour.
    for pair in rows.windows(2) {
        let vertical = !(pair[0] ^ pair[1]);
        let horizontal = !(pair[0] ^ (pair[0] >> 1));
        let blocks = vertical & (vertical >> 1) & horizontal & (full >> 1);
        score += 3 * blocks.count_ones();
    }
    let dark: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let percent = (dark as usize * 100 / (n * n).max(1)) as u32;
    score + 10 * (percent.abs_diff(50) / 5)
}

/// ISO/IEC 18004 mask penalty: runs of five or more (N1), 2x2 blocks (N2), finder-like
/// patterns (N3) and dark/light balance (N4). Linear per line: it runs eight times per code.
pub(crate) fn penalty(g: &[bool], n: usize) -> u32 {
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
    let percent = (dark * 100 / g.len().max(1)) as u32;
    score + 10 * (percent.abs_diff(50) / 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts from 1 to 300 bytes: versions 1 to 13 at level M, so both paths.
    pub(super) fn texts() -> Vec<String> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (1..=300)
            .step_by(7)
            .map(|len| {
                let mut s = String::from("https://bottegaverde.example/r/");
                while s.len() < len {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    s.push(char::from(b"AbCdEfGh0123456789-_"[(x % 20) as usize]));
                }
                s.truncate(len);
                s
            })
            .collect()
    }

    #[test]
    fn bit_rows_match_the_crates_canvas_with_the_same_mask() {
        // Our placement and masking against the crate's drawing, for every size, checked
        // for every mask the scoring might pick.
        for text in texts() {
            let got = encode(&text).unwrap();
            let bits = qrcode::bits::encode_auto(text.as_bytes(), EC).unwrap();
            let version = bits.version();
            let (enc, ec) =
                qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC).unwrap();
            let n = usize::try_from(version.width()).unwrap();
            assert_eq!(got.n, n);
            let matches = MASKS.iter().any(|(pattern, _)| {
                let mut c = Canvas::new(version, EC);
                c.draw_all_functional_patterns();
                c.draw_data(&enc, &ec);
                c.apply_mask(*pattern);
                let colors = c.into_colors();
                QrBits::from_fn(n, |x, y| colors[y * n + x] == Color::Dark) == got
            });
            assert!(
                matches,
                "{} bytes: no mask of the crate gives our modules",
                text.len()
            );
        }
    }

    #[test]
    fn codewords_match_the_crates_for_versions_1_to_11() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for (i, &blocks) in BLOCKS_M.iter().enumerate() {
            let version = Version::Normal(i16::try_from(i + 1).unwrap());
            let (short, short_count, long_count, _) = blocks;
            let len = short * short_count + (short + 1) * long_count;
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x.to_le_bytes()[0]
                    })
                    .collect();
                assert_eq!(
                    codewords(&data, blocks, &generator_logs(blocks.3)),
                    Some(qrcode::ec::construct_codewords(&data, version, EC).unwrap()),
                    "version {}",
                    i + 1
                );
            }
            assert_eq!(
                codewords(&vec![0; len + 1], blocks, &generator_logs(blocks.3)),
                None
            );
        }
    }

    #[test]
    fn the_chosen_mask_has_the_lowest_plain_penalty() {
        for text in texts().into_iter().take(30) {
            let got = encode(&text).unwrap();
            let bits = qrcode::bits::encode_auto(text.as_bytes(), EC).unwrap();
            let version = bits.version();
            let (enc, ec) =
                qrcode::ec::construct_codewords(&bits.into_bytes(), version, EC).unwrap();
            let n = got.n;
            let mut c = Canvas::new(version, EC);
            c.draw_all_functional_patterns();
            c.draw_data(&enc, &ec);
            let unmasked: Vec<bool> = c.into_colors().iter().map(|&m| m == Color::Dark).collect();
            let data = data_modules(version);
            let scores: Vec<u32> = MASKS
                .iter()
                .map(|(_, f)| {
                    let grid: Vec<bool> = (0..n * n)
                        .map(|i| unmasked[i] ^ (data[i] && f(i % n, i / n)))
                        .collect();
                    penalty(&grid, n)
                })
                .collect();
            let ours = (0..8)
                .find(|&m| {
                    (0..n * n).all(|i| {
                        let (x, y) = (i % n, i / n);
                        !data[i] || got.is_dark(x, y) == (unmasked[i] ^ MASKS[m].1(x, y))
                    })
                })
                .unwrap();
            assert_eq!(
                scores[ours],
                *scores.iter().min().unwrap(),
                "{} bytes",
                text.len()
            );
        }
    }

    #[test]
    fn codes_decode_back_to_their_text() {
        for text in texts() {
            let q = encode(&text).unwrap();
            // Four pixels a module, four modules of quiet zone.
            let side = (q.n + 8) * 4;
            let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
                let (mx, my) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
                if mx < q.n && my < q.n && q.is_dark(mx, my) {
                    0
                } else {
                    255
                }
            });
            let grids = img.detect_grids();
            assert_eq!(grids.len(), 1, "{} bytes", text.len());
            let (_, content) = grids[0].decode().unwrap();
            assert_eq!(content, text);
        }
    }

    #[test]
    fn penalty_on_bits_agrees_with_the_plain_grid() {
        // Pseudo-random grids of several sizes: both scorings must give the same number.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in [21usize, 25, 33, 45, 57, 64] {
            for _ in 0..20 {
                let grid: Vec<bool> = (0..n * n)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x.is_multiple_of(3)
                    })
                    .collect();
                let (mut rows, mut cols) = (vec![0u64; n], vec![0u64; n]);
                for (i, &d) in grid.iter().enumerate() {
                    if d {
                        rows[i / n] |= 1 << (i % n);
                        cols[i % n] |= 1 << (i / n);
                    }
                }
                assert_eq!(penalty_bits(&rows, &cols, n), penalty(&grid, n), "n = {n}");
            }
        }
    }
}
