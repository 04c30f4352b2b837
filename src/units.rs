//! Lengths: points as the one internal unit, converted from `in`, `mm` and `pt` in one place.

use serde::Deserialize;

/// A length in PostScript points (1/72 in), the unit PDF speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Pt(pub f64);

impl Pt {
    /// The raw number of points.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

/// The unit a layout file writes its lengths in.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Inches (72 pt).
    #[default]
    In,
    /// Millimetres (72 / 25.4 pt).
    Mm,
    /// Points.
    Pt,
}

impl Unit {
    /// Converts `value` in this unit to points.
    #[must_use]
    pub fn to_pt(self, value: f64) -> Pt {
        match self {
            Unit::In => Pt(value * 72.0),
            Unit::Mm => Pt(value * 72.0 / 25.4),
            Unit::Pt => Pt(value),
        }
    }

    /// Its name in a layout file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Unit::In => "in",
            Unit::Mm => "mm",
            Unit::Pt => "pt",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_units_to_points() {
        assert!((Unit::In.to_pt(6.0).get() - 432.0).abs() < 1e-9);
        assert!((Unit::Mm.to_pt(25.4).get() - 72.0).abs() < 1e-9);
        assert!((Unit::Pt.to_pt(9.0).get() - 9.0).abs() < 1e-9);
    }
}
