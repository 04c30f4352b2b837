//! Cut-and-stack imposition: pieces several-up on press sheets, so that after the sheets are
//! printed, cut and the stacks placed on each other, the pieces are in mailing order.
//!
//! Pure arithmetic: which sheet sizes there are, how many pieces fit and which way round, where
//! each slot is, and which piece goes in which slot of which sheet. `render` draws it.

/// Points in an inch.
const PT_PER_IN: f64 = 72.0;

/// A press sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// As named: `12x18`, `SRA3`, `330x487mm`.
    pub name: String,
    /// Width in points (the short side for the named sizes; the gripper edge is a long one).
    pub width: f64,
    /// Height in points.
    pub height: f64,
}

const MM: f64 = PT_PER_IN / 25.4;

impl Sheet {
    /// A sheet by name: `12x18`, `13x19` (inches), `SRA3` (320 × 450 mm), `A3` (297 × 420 mm),
    /// or any `WxH` in inches, or in millimetres with `mm` (`330x487mm`).
    ///
    /// # Errors
    /// What to write instead.
    pub fn parse(text: &str) -> Result<Sheet, String> {
        let t = text.trim();
        let named = match t.to_ascii_uppercase().as_str() {
            "SRA3" => Some((320.0 * MM, 450.0 * MM)),
            "A3" => Some((297.0 * MM, 420.0 * MM)),
            _ => None,
        };
        let (width, height) = match named {
            Some(size) => size,
            None => {
                let lower = t.to_ascii_lowercase();
                let (numbers, unit) = match lower.strip_suffix("mm") {
                    Some(n) => (n, MM),
                    None => (lower.strip_suffix("in").unwrap_or(&lower), PT_PER_IN),
                };
                let parts: Vec<f64> = numbers
                    .split('x')
                    .map(|p| p.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| usage(t))?;
                match parts[..] {
                    [w, h] if w.is_finite() && h.is_finite() => (w * unit, h * unit),
                    _ => return Err(usage(t)),
                }
            }
        };
        // From a postcard to the largest digital press sheets (about 36 in).
        let (lo, hi) = (4.0 * PT_PER_IN, 40.0 * PT_PER_IN);
        if !(lo..=hi).contains(&width) || !(lo..=hi).contains(&height) {
            return Err(format!(
                "sheet `{t}` is {:.1} x {:.1} in: a press sheet is 4 to 40 in a side",
                width / PT_PER_IN,
                height / PT_PER_IN
            ));
        }
        Ok(Sheet {
            name: t.to_string(),
            width,
            height,
        })
    }
}

fn usage(text: &str) -> String {
    format!(
        "sheet `{text}` is not a size dripmail knows: write 12x18, 13x19, SRA3, A3, or WxH in inches (12.5x19) or millimetres (330x487mm)"
    )
}

/// Space the press and the finisher need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Margins {
    /// Unprinted edge the press grips the sheet by (its first long edge, at the bottom), in
    /// points.
    pub gripper: f64,
    /// Clear edge on the other three sides, for crop marks and the slug line, in points.
    pub edge: f64,
}

impl Default for Margins {
    fn default() -> Self {
        Margins {
            gripper: 0.35 * PT_PER_IN,
            edge: 0.25 * PT_PER_IN,
        }
    }
}

/// How pieces sit on a sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct Imposition {
    /// The sheet.
    pub sheet: Sheet,
    /// Pieces across and down.
    pub across: usize,
    /// Pieces down.
    pub down: usize,
    /// True when each piece is turned 90° (its top towards the sheet's left edge).
    pub rotated: bool,
    /// A piece's trim on the sheet (width, height), after turning.
    pub cell: (f64, f64),
    /// The bleed each piece keeps on every side.
    pub bleed: f64,
    /// The lower-left corner of each slot's trim on the front side, slot 0 at the top left,
    /// then across, then down (sheet coordinates, points, origin at the lower left).
    pub slots: Vec<(f64, f64)>,
}

impl Imposition {
    /// Pieces a sheet carries.
    #[must_use]
    pub fn up(&self) -> usize {
        self.slots.len()
    }

    /// The slot (from 1) where the back of the piece in front slot `slot` (from 1) is seen on
    /// the sheet's back, counted the same way (across, then down, from the top left): the same
    /// row, the mirrored column (work and turn).
    #[must_use]
    pub fn back_slot(&self, slot: usize) -> usize {
        let across = self.across.max(1);
        let (row, col) = ((slot - 1) / across, (slot - 1) % across);
        row * across + (across - 1 - col) + 1
    }

    /// Where slot `slot`'s trim lies on the back of the sheet, which is turned over its
    /// vertical axis (work and turn): the same row, the mirrored column.
    #[must_use]
    pub fn back(&self, slot: usize) -> (f64, f64) {
        let (x, y) = self.slots[slot];
        (self.sheet.width - x - self.cell.0, y)
    }
}

/// The imposition that fits the most pieces of trim `trim` (width, height, points) with
/// `bleed` on every side on `sheet`: both ways round tried, the unturned one on a tie. Bleeds
/// of neighbouring pieces touch (the gutter between trims is twice the bleed), so each
/// inner cut is a double cut; the grid is centred in the printable area.
///
/// # Errors
/// When not one piece fits.
pub fn fit(sheet: &Sheet, trim: (f64, f64), bleed: f64, m: Margins) -> Result<Imposition, String> {
    let usable_w = sheet.width - 2.0 * m.edge;
    let usable_h = sheet.height - m.edge - m.gripper;
    let count = |extent: f64, cell: f64| {
        let pitch = cell + 2.0 * bleed;
        // 1e-6: a piece that fits exactly fits.
        ((extent + 1e-6) / pitch).floor().max(0.0) as usize
    };
    let mut best: Option<Imposition> = None;
    for rotated in [false, true] {
        let cell = if rotated { (trim.1, trim.0) } else { trim };
        let across = count(usable_w, cell.0);
        let down = count(usable_h, cell.1);
        if across * down == 0 || best.as_ref().is_some_and(|b| b.up() >= across * down) {
            continue;
        }
        let pitch = (cell.0 + 2.0 * bleed, cell.1 + 2.0 * bleed);
        let x0 = m.edge + (usable_w - across as f64 * pitch.0) / 2.0 + bleed;
        let top = m.gripper + usable_h - (usable_h - down as f64 * pitch.1) / 2.0 - bleed;
        let mut slots = Vec::with_capacity(across * down);
        for row in 0..down {
            for col in 0..across {
                slots.push((
                    x0 + col as f64 * pitch.0,
                    top - cell.1 - row as f64 * pitch.1,
                ));
            }
        }
        best = Some(Imposition {
            sheet: sheet.clone(),
            across,
            down,
            rotated,
            cell,
            bleed,
            slots,
        });
    }
    best.ok_or_else(|| {
        format!(
            "a {:.2} x {:.2} in piece with {:.3} in bleed does not fit on a `{}` sheet inside its margins",
            trim.0 / PT_PER_IN,
            trim.1 / PT_PER_IN,
            bleed / PT_PER_IN,
            sheet.name
        )
    })
}

/// Which piece each slot of each sheet carries, for `pieces` pieces in mailing order, `up` a
/// sheet, in stacks of at most `depth` sheets: the run is cut into blocks of `up × depth`
/// pieces, and within a block of S sheets slot `j` of sheet `i` carries piece `j × S + i`.
/// After cutting, slot 0's stack holds the block's first S pieces in order, slot 1's the next
/// S, so the stacks laid on each other, slot 0 on top, and the blocks one after the other,
/// give the mailing order. Slots past the last piece stay blank (`None`).
#[must_use]
pub fn cut_and_stack(pieces: usize, up: usize, depth: usize) -> Vec<Vec<Option<usize>>> {
    let (up, depth) = (up.max(1), depth.max(1));
    let mut sheets = Vec::with_capacity(pieces.div_ceil(up));
    let mut start = 0;
    while start < pieces {
        let len = (pieces - start).min(up * depth);
        let stack = len.div_ceil(up);
        for i in 0..stack {
            sheets.push(
                (0..up)
                    .map(|j| {
                        let k = j * stack + i;
                        (k < len).then_some(start + k)
                    })
                    .collect(),
            );
        }
        start += len;
    }
    sheets
}

#[cfg(test)]
mod tests {
    use super::*;

    const IN: f64 = PT_PER_IN;

    #[test]
    fn sheets_by_name_and_size() {
        let s = Sheet::parse("12x18").unwrap();
        assert_eq!((s.width, s.height), (12.0 * IN, 18.0 * IN));
        let s = Sheet::parse("SRA3").unwrap();
        assert!((s.width - 907.09).abs() < 0.01 && (s.height - 1275.59).abs() < 0.01);
        assert!((Sheet::parse("a3").unwrap().height - 1190.55).abs() < 0.01);
        let s = Sheet::parse("330x487mm").unwrap();
        assert!((s.width - 330.0 * MM).abs() < 1e-9);
        assert_eq!(Sheet::parse("13x19in").unwrap().width, 13.0 * IN);
        for bad in [
            "", "12", "12x", "axb", "2x3", "100x100", "12x18x2", "NaNx12", "A4",
        ] {
            assert!(Sheet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postcards_fit_the_way_that_gives_most() {
        // 6 x 4 with 1/8 in bleed: 6.25 x 4.25 cells. On 12 x 18 (11.5 x 17.4 in inside the
        // margins) unturned 1 x 4, turned 2 x 2: a tie keeps them unturned.
        let sheet = Sheet::parse("12x18").unwrap();
        let m = Margins::default();
        let f = fit(&sheet, (6.0 * IN, 4.0 * IN), 0.125 * IN, m).unwrap();
        assert_eq!((f.across, f.down, f.rotated, f.up()), (1, 4, false, 4));
        // 13 x 19 (12.5 x 18.4 in): two across exactly, four down.
        let big = Sheet::parse("13x19").unwrap();
        let f = fit(&big, (6.0 * IN, 4.0 * IN), 0.125 * IN, m).unwrap();
        assert_eq!((f.across, f.down, f.rotated, f.up()), (2, 4, false, 8));
        // A 4 x 6 piece (portrait) turns to fit the most: 2 x 4 turned beats 3 x 2.
        let f = fit(&big, (4.0 * IN, 6.0 * IN), 0.125 * IN, m).unwrap();
        assert_eq!((f.across, f.down, f.rotated, f.up()), (2, 4, true, 8));
        // 9 x 6 on 12 x 18: unturned 1 x 2, turned 1 x 1.
        let f = fit(&sheet, (9.0 * IN, 6.0 * IN), 0.125 * IN, m).unwrap();
        assert_eq!((f.across, f.down, f.rotated), (1, 2, false));
        assert!(fit(&sheet, (20.0 * IN, 30.0 * IN), 0.0, m).is_err());
    }

    #[test]
    fn slots_are_inside_the_margins_bleeds_touch_and_the_back_mirrors() {
        let sheet = Sheet::parse("13x19").unwrap();
        let m = Margins::default();
        let b = 0.125 * IN;
        let f = fit(&sheet, (6.0 * IN, 4.0 * IN), b, m).unwrap();
        for &(x, y) in &f.slots {
            assert!(x - b >= m.edge - 1e-6 && x + f.cell.0 + b <= sheet.width - m.edge + 1e-6);
            assert!(y - b >= m.gripper - 1e-6 && y + f.cell.1 + b <= sheet.height - m.edge + 1e-6);
        }
        // Slot 0 top left, slot 1 to its right, bleed against bleed.
        let (a, c) = (f.slots[0], f.slots[1]);
        assert!((c.0 - (a.0 + f.cell.0 + 2.0 * b)).abs() < 1e-9 && (c.1 - a.1).abs() < 1e-9);
        assert!(f.slots[2].1 < a.1);
        // Work and turn: slot 0's back is where slot 1's front is, on the same row.
        let back = f.back(0);
        assert!((back.0 - c.0).abs() < 1e-6 && (back.1 - a.1).abs() < 1e-6);
    }

    #[test]
    fn the_back_slot_is_where_the_back_is_printed() {
        for sheet in ["12x18", "13x19", "SRA3", "A3"] {
            let sheet = Sheet::parse(sheet).unwrap();
            for trim in [(432.0, 288.0), (648.0, 432.0), (612.0, 792.0)] {
                let Ok(imp) = fit(&sheet, trim, 9.0, Margins::default()) else {
                    continue;
                };
                for j in 0..imp.up() {
                    let b = imp.back_slot(j + 1) - 1;
                    let (x, y) = imp.back(j);
                    let seen = imp.slots[b];
                    assert!(
                        (x - seen.0).abs() < 0.01 && (y - seen.1).abs() < 0.01,
                        "{sheet:?} {trim:?} slot {j}"
                    );
                }
            }
        }
        let imp = fit(
            &Sheet::parse("13x19").unwrap(),
            (432.0, 288.0),
            9.0,
            Margins::default(),
        )
        .unwrap();
        assert_eq!(imp.across, 2);
        assert_eq!(
            (1..=imp.up()).map(|s| imp.back_slot(s)).collect::<Vec<_>>(),
            [2, 1, 4, 3, 6, 5, 8, 7]
        );
    }

    #[test]
    fn cut_and_stack_puts_stacks_in_mailing_order() {
        // Every count, several depths: every piece once; cut and stacked, in order.
        for up in [1, 2, 4, 8] {
            for depth in [1, 2, 3, 7, 500] {
                for pieces in 0..=40 {
                    let sheets = cut_and_stack(pieces, up, depth);
                    let mut seen = Vec::new();
                    // Guillotine each block: stack by slot, slot 0 on top; blocks in order.
                    let mut i = 0;
                    while i < sheets.len() {
                        let block_start = sheets[i].iter().flatten().min().copied().unwrap_or(0);
                        let block_len = (pieces - block_start).min(up * depth);
                        let stack = block_len.div_ceil(up);
                        for slot in 0..up {
                            for s in &sheets[i..i + stack] {
                                if let Some(p) = s[slot] {
                                    seen.push(p);
                                }
                            }
                        }
                        i += stack;
                    }
                    assert_eq!(
                        seen,
                        (0..pieces).collect::<Vec<_>>(),
                        "{pieces} {up} {depth}"
                    );
                    for s in &sheets {
                        assert_eq!(s.len(), up);
                        assert!(s.iter().flatten().count() > 0, "no blank sheet");
                    }
                }
            }
        }
        // Ten pieces, four up, one block of three sheets: slot j of sheet i is piece 3j + i.
        assert_eq!(
            cut_and_stack(10, 4, 500),
            [
                vec![Some(0), Some(3), Some(6), Some(9)],
                vec![Some(1), Some(4), Some(7), None],
                vec![Some(2), Some(5), Some(8), None],
            ]
        );
        // Depth 2: blocks of eight pieces (two sheets), then the rest.
        assert_eq!(
            cut_and_stack(10, 4, 2),
            [
                vec![Some(0), Some(2), Some(4), Some(6)],
                vec![Some(1), Some(3), Some(5), Some(7)],
                vec![Some(8), Some(9), None, None],
            ]
        );
    }
}
