//! Why a due piece is not issued this cycle: every reason, in one place.
//!
//! The drip rules decide some ([`Reason::Condition`], [`Reason::FrequencyCap`] and the
//! carry-overs); composing a piece decides the rest ([`Hold`]: a merge field that fails, text
//! that does not fit, an image that cannot be read). Each reason has a stable
//! [`Reason::kind`], so reports can group pieces by it, and a `Display` text for people.

use std::fmt;

use chrono::NaiveDate;

use crate::layout::FitError;

/// Why a due piece is held or carried over.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// The step's `when` cannot be evaluated for this contact (held).
    Condition {
        /// The step.
        step: String,
        /// What the template engine said.
        error: String,
    },
    /// The contact had a piece too recently (rule 7, held).
    FrequencyCap {
        /// The date of the last piece.
        last: Option<NaiveDate>,
        /// The first date another piece is allowed.
        next: NaiveDate,
    },
    /// The piece cannot be set (held).
    Piece(Hold),
    /// An earlier step of the same contact is due and goes first (carried over).
    WaitsBehind {
        /// The step that goes first.
        step: String,
    },
    /// One piece per contact per cycle: an earlier due step is issued (carried over).
    OnePerCycle {
        /// The step issued this cycle.
        step: String,
    },
    /// The cycle's `max_pieces_per_cycle` is reached (carried over).
    Capacity {
        /// The limit.
        max: usize,
    },
}

impl Reason {
    /// A stable name to group by: `condition`, `frequency_cap`, a [`Problem::kind`],
    /// `waits_behind`, `one_per_cycle` or `capacity`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Condition { .. } => "condition",
            Reason::FrequencyCap { .. } => "frequency_cap",
            Reason::Piece(h) => h.problem.kind(),
            Reason::WaitsBehind { .. } => "waits_behind",
            Reason::OnePerCycle { .. } => "one_per_cycle",
            Reason::Capacity { .. } => "capacity",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Condition { step, error } => write!(f, "condition of step `{step}`: {error}"),
            Reason::FrequencyCap { last, next } => {
                let last = last.map_or_else(String::new, |d| d.to_string());
                write!(
                    f,
                    "frequency cap: last piece on {last}, next allowed on {next}"
                )
            }
            Reason::Piece(hold) => hold.fmt(f),
            Reason::WaitsBehind { step } => write!(f, "waits behind step `{step}`"),
            Reason::OnePerCycle { step } => {
                write!(f, "one piece per cycle: step `{step}` goes first")
            }
            Reason::Capacity { max } => {
                write!(f, "capacity: max_pieces_per_cycle ({max}) reached")
            }
        }
    }
}

/// Why one piece cannot be set, and where in its layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    /// Where: a page element, or one of the step's merge fields.
    pub place: Place,
    /// What went wrong.
    pub problem: Problem,
    /// The element's policy is `overflow = "fail"`: stop the run, do not just hold the piece.
    pub fatal: bool,
}

/// Where a [`Hold`] happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// An element of a layout page.
    Element {
        /// The page's name.
        page: String,
        /// The element's line in the layout file.
        line: usize,
    },
    /// The piece as a whole, in a step.
    Piece {
        /// The step.
        step: String,
    },
    /// A merge field of a step (the step's own or the layout's default).
    Field {
        /// The step.
        step: String,
        /// The field's name.
        name: String,
    },
}

/// What stops a piece from being set.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// A template (text, QR content, `when` or merge field) fails for this contact.
    Template(String),
    /// Text does not fit its box or has a character no font has.
    Text(FitError),
    /// The address block does not fit, even abbreviated, or has a character no font has.
    Address(FitError),
    /// A QR code cannot hold its content.
    Qr(String),
    /// A per-contact image cannot be read.
    Image(String),
    /// The IMb value is not 65 bars.
    Imb(String),
    /// The campaign's `[postage]` names no way to pay for mail to the piece's destination.
    Postage {
        /// The destination country.
        country: String,
    },
    /// Content that does not match its element: a bug, never a user's mistake.
    Internal(String),
}

impl Problem {
    /// A stable name to group by.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Template(_) => "template",
            Problem::Text(FitError::Overflow { .. }) => "text_overflow",
            Problem::Text(FitError::MissingGlyph(_))
            | Problem::Address(FitError::MissingGlyph(_)) => "missing_glyph",
            Problem::Address(FitError::Overflow { .. }) => "address_overflow",
            Problem::Qr(_) => "qr",
            Problem::Image(_) => "image",
            Problem::Imb(_) => "imb",
            Problem::Postage { .. } => "no_postage",
            Problem::Internal(_) => "internal",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Template(e) | Problem::Qr(e) | Problem::Image(e) => f.write_str(e),
            Problem::Text(e) => e.fmt(f),
            Problem::Address(e) => write!(f, "address block: {e}"),
            Problem::Imb(bars) => write!(f, "`{bars}` is not a 65-bar IMb"),
            Problem::Postage { country } => write!(
                f,
                "[postage] names no postage for mail to {country}: add [postage.international] (or [postage.{country}]) to the campaign"
            ),
            Problem::Internal(e) => write!(f, "internal: {e}"),
        }
    }
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Place::Element { page, line } => write!(
                f,
                "page `{page}`, element at layout line {line}: {}",
                self.problem
            ),
            Place::Field { step, name } => {
                write!(f, "step `{step}`: field `{name}`: {}", self.problem)
            }
            Place::Piece { step } => write!(f, "step `{step}`: {}", self.problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_before_and_group_by_kind() {
        let date = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let cap = Reason::FrequencyCap {
            last: Some(date("2026-11-03")),
            next: date("2026-11-17"),
        };
        assert_eq!(
            cap.to_string(),
            "frequency cap: last piece on 2026-11-03, next allowed on 2026-11-17"
        );
        assert_eq!(cap.kind(), "frequency_cap");
        let overflow = Reason::Piece(Hold {
            place: Place::Element {
                page: "back".into(),
                line: 12,
            },
            problem: Problem::Text(FitError::Overflow { min_size: 7.0 }),
            fatal: false,
        });
        assert_eq!(
            overflow.to_string(),
            "page `back`, element at layout line 12: text does not fit its box even at 7 pt"
        );
        assert_eq!(overflow.kind(), "text_overflow");
        let field = Reason::Piece(Hold {
            place: Place::Field {
                step: "welcome".into(),
                name: "headline".into(),
            },
            problem: Problem::Template("division by zero".into()),
            fatal: false,
        });
        // No empty page name for a field that fails (it has no page).
        assert_eq!(
            field.to_string(),
            "step `welcome`: field `headline`: division by zero"
        );
        assert_eq!(field.kind(), "template");
        let glyph = Problem::Address(FitError::MissingGlyph('☃'));
        assert_eq!(glyph.kind(), "missing_glyph");
        assert_eq!(Reason::Capacity { max: 5 }.kind(), "capacity");
    }
}
