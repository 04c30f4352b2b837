//! Composing: a step's layout plus a contact's merged values → the [`Mark`]s of each page.
//!
//! A [`Composer`] is made once per step and cycle date: it knows which elements are the same
//! on every piece (the [`StaticMask`]) and composes those once ([`Composer::statics`]); then
//! [`Composer::set`] composes one contact's piece, or says why it is held ([`Hold`]) or why
//! the run must stop ([`FatalHold`]). Cycles, proofs, reprints and `validate` all set pieces
//! through it.

use std::path::PathBuf;

use chrono::NaiveDate;
use minijinja::Value;
use smol_str::SmolStr;

use crate::address::{PostalAddress, block_lines};
use crate::campaign::{PostageFor, Step};
use crate::contacts::{Contact, Field};
use crate::hold::{Hold, Place, Problem};
use crate::job::Job;
use crate::layout::{Background, Content, ElementKind, Frame, Layout, Mark, Who};
use crate::merge::{ElementMerge, Fields};

/// Which elements of each page of a (step, layout) do not depend on the contact.
pub type StaticMask = Vec<Vec<bool>>;

/// One piece, set: the marks of each page, and its personal URL if it has one.
pub struct SetPiece {
    /// Marks per page.
    pub pages: Vec<Vec<Mark>>,
    /// The piece's `purl` field, rendered.
    pub purl: Option<String>,
}

/// What setting one piece gave.
pub enum Set {
    /// The piece, ready to render.
    Piece(SetPiece),
    /// The piece cannot be set; it stays due.
    Held(Hold),
}

/// The IMb printed on one piece.
#[derive(Clone, Copy, Debug)]
pub struct PieceImb<'a> {
    /// Tracking and routing code (the `imb` variable).
    pub code: &'a str,
    /// The 65 bars (the `imb_bars` variable).
    pub bars: &'a str,
}

/// A piece that cannot be set because an element's policy is `overflow = "fail"`: the run
/// stops.
#[derive(Debug, thiserror::Error)]
#[error("{}: contact `{contact}` (line {line}), step `{step}`: {hold}", layout.display())]
pub struct FatalHold {
    /// The layout file.
    pub layout: PathBuf,
    /// The contact's id.
    pub contact: String,
    /// The contact's line in the contacts file.
    pub line: u64,
    /// The step.
    pub step: String,
    /// What did not fit.
    pub hold: Hold,
}

impl crate::error::Advice for FatalHold {
    fn hint(&self) -> Option<String> {
        Some("the element has overflow = \"fail\", which stops the run; shorten the text, enlarge the box or lower min_size".into())
    }
}

/// Composes the pieces of one step on one cycle date.
pub struct Composer<'a> {
    job: &'a Job,
    /// The step.
    pub step: &'a Step,
    /// Its layout.
    pub layout: &'a Layout,
    /// Which elements are the same for every piece.
    pub mask: StaticMask,
    elements: &'a [Vec<ElementMerge>],
    fields: Fields,
    date: NaiveDate,
}

impl<'a> Composer<'a> {
    /// The composer of `step`'s pieces on cycle `date`.
    #[must_use]
    pub fn new(job: &'a Job, step: &'a Step, date: NaiveDate) -> Composer<'a> {
        let layout = job.layout(step);
        let fields = job.merge.fields(step, layout);
        let elements = &job.merge.layout(layout).elements;
        let mask = static_mask(job, layout, elements, &fields);
        Composer {
            job,
            step,
            layout,
            mask,
            elements,
            fields,
            date,
        }
    }

    /// The hold for merge field `name` of this step, which cannot be rendered: `error` says why.
    fn field_hold(&self, (name, error): (String, String)) -> Hold {
        Hold {
            place: Place::Field {
                step: self.step.id.clone(),
                name,
            },
            problem: Problem::Template(error),
            fatal: false,
        }
    }

    /// The marks of every page's static elements (background included), once per file.
    ///
    /// # Errors
    /// A [`Hold`] when static text does not fit.
    pub fn statics(&self) -> Result<Vec<Vec<Mark>>, Hold> {
        let ctx = self
            .job
            .merge
            .file_context(self.step, &self.fields, self.date)
            .map_err(|e| self.field_hold(e))?;
        self.compose(true, &ctx, None, None, &[])
    }

    /// Sets `contact`'s piece `piece_id`, with its IMb when it has one.
    ///
    /// # Errors
    /// A [`FatalHold`] when an element with `overflow = "fail"` does not fit.
    pub fn set(
        &self,
        contact: &Contact,
        piece_id: &str,
        imb: Option<PieceImb<'_>>,
    ) -> Result<Set, Box<FatalHold>> {
        match self.set_piece(contact, piece_id, imb) {
            Ok(piece) => Ok(Set::Piece(piece)),
            Err(hold) if hold.fatal => Err(Box::new(FatalHold {
                layout: self.layout.path.clone(),
                contact: contact.id.to_string(),
                line: contact.line,
                step: self.step.id.clone(),
                hold,
            })),
            Err(hold) => Ok(Set::Held(hold)),
        }
    }

    fn set_piece(
        &self,
        contact: &Contact,
        piece_id: &str,
        imb: Option<PieceImb<'_>>,
    ) -> Result<SetPiece, Hold> {
        let merge = &self.job.merge;
        let mut over = Vec::with_capacity(5);
        over.push((
            SmolStr::new_static("step"),
            Value::from(self.step.id.as_str()),
        ));
        over.push((
            SmolStr::new_static("cycle_date"),
            Value::from(self.date.to_string()),
        ));
        over.push((SmolStr::new_static("piece_id"), Value::from(piece_id)));
        // Always set, empty without a barcode: a contact column of the same name never shows.
        let (code, bars) = imb.map_or(("", ""), |i| (i.code, i.bars));
        over.push((SmolStr::new_static("imb"), Value::from(code)));
        over.push((SmolStr::new_static("imb_bars"), Value::from(bars)));
        let country = self.job.contacts.get(contact, Field::Country);
        let indicia: &[String] = match self.job.campaign.postage_for(country) {
            PostageFor::Unset => &[],
            PostageFor::Paid(p) => &p.indicia,
            PostageFor::Missing => {
                return Err(Hold {
                    place: Place::Piece {
                        step: self.step.id.clone(),
                    },
                    problem: Problem::Postage {
                        country: country.to_ascii_uppercase(),
                    },
                    fatal: false,
                });
            }
        };
        let base = merge.contact_context(contact, over);
        let ctx = merge
            .piece_context(base, &self.fields)
            .map_err(|e| self.field_hold(e))?;
        let pages = self.compose(false, &ctx, Some(contact), imb, indicia)?;
        let purl = ctx
            .get_attr("purl")
            .ok()
            .and_then(|v| v.as_str().map(String::from));
        Ok(SetPiece { pages, purl })
    }

    /// The marks of the static elements (`statics`) or of one contact's personalised ones.
    fn compose(
        &self,
        statics: bool,
        ctx: &Value,
        contact: Option<&Contact>,
        imb: Option<PieceImb<'_>>,
        indicia: &[String],
    ) -> Result<Vec<Vec<Mark>>, Hold> {
        let (job, layout) = (self.job, self.layout);
        let templates = job.merge.templates();
        let mut pages = Vec::with_capacity(layout.pages.len());
        for (pi, page) in layout.pages.iter().enumerate() {
            let mut marks = Vec::new();
            if statics && let Some(bg) = &page.background {
                marks.push(self.background_mark(bg));
            }
            for (ei, el) in page.elements.iter().enumerate() {
                if self.mask[pi][ei] != statics {
                    continue;
                }
                let merge = self.elements[pi][ei];
                // A piece held at this element, for `problem`.
                let hold = |problem: fn(String) -> Problem| {
                    move |reason: String| Hold {
                        place: Place::Element {
                            page: page.name.clone(),
                            line: el.line,
                        },
                        problem: problem(reason),
                        fatal: false,
                    }
                };
                if let Some(when) = merge.when
                    && !templates
                        .holds(when, ctx)
                        .map_err(hold(Problem::Template))?
                {
                    continue;
                }
                let content = match &el.kind {
                    ElementKind::Imb { .. } => match imb {
                        Some(imb) if !imb.bars.is_empty() => Content::Text(imb.bars.to_string()),
                        _ => continue,
                    },
                    ElementKind::Text { .. } | ElementKind::Qr { .. } => {
                        let Some(id) = merge.content else { continue };
                        Content::Text(templates.render(id, ctx).map_err(hold(Problem::Template))?)
                    }
                    ElementKind::Address {
                        who: Who::Sender, ..
                    } => Content::Lines(self.sender_lines()),
                    ElementKind::Address {
                        who: Who::Recipient,
                        ..
                    } => {
                        let Some(c) = contact else { continue };
                        Content::Lines(recipient_lines(job, c))
                    }
                    ElementKind::Image {
                        src, slot, column, ..
                    } => {
                        let own = column
                            .as_ref()
                            .zip(contact)
                            .map(|(col, c)| c.value(job.merge.column(col)))
                            .filter(|v| !v.is_empty());
                        if let Some(value) = own {
                            let path = job
                                .campaign
                                .contact_file(value)
                                .map_err(hold(Problem::Image))?;
                            let pixels = job
                                .resources
                                .pixel_size(&path)
                                .map_err(hold(Problem::Image))?;
                            Content::Image { path, pixels }
                        } else {
                            let Some(path) = slot
                                .as_ref()
                                .and_then(|s| self.step.images.get(s))
                                .or(src.as_ref())
                            else {
                                continue;
                            };
                            Content::Image {
                                path: path.clone(),
                                pixels: job.image_pixels(path),
                            }
                        }
                    }
                    ElementKind::Indicia { .. } => Content::Lines(indicia.to_vec()),
                    ElementKind::Rect { .. } | ElementKind::Rule { .. } => Content::Shape,
                };
                layout.place(pi, el, &content, &mut marks)?;
            }
            pages.push(marks);
        }
        Ok(pages)
    }

    /// The sender's address block.
    fn sender_lines(&self) -> Vec<String> {
        let campaign = &self.job.campaign;
        let s = &campaign.sender;
        block_lines(
            &PostalAddress {
                name: &s.name,
                company: &s.company,
                address1: &s.address1,
                address2: &s.address2,
                city: &s.city,
                state: &s.state,
                postal_code: &s.postal_code,
                country: &s.country,
            },
            &s.country,
            campaign.uppercase_addresses,
        )
    }

    /// The background of a page as a mark covering the bleed.
    fn background_mark(&self, bg: &Background) -> Mark {
        let layout = self.layout;
        let b = layout.bleed.get();
        let frame = Frame {
            x: -b,
            y: -b,
            w: layout.width.get() + 2.0 * b,
            h: layout.height.get() + 2.0 * b,
        };
        match bg {
            Background::Color(color) => Mark::Rect {
                frame,
                fill: Some(*color),
                stroke: None,
            },
            Background::Image(path) => Mark::Image {
                path: path.clone(),
                placed: crate::layout::fit_image(
                    frame,
                    crate::layout::Fit::Cover,
                    self.job.image_pixels(path),
                ),
                clip: frame,
            },
            Background::Pdf { path, page } => Mark::PdfPage {
                path: path.clone(),
                page: *page,
                frame,
            },
        }
    }
}

/// Marks which elements of `layout` are the same for every piece: those whose templates use
/// only file-level values (built-ins and merge fields that use only built-ins), the sender's
/// address, shared images and shapes.
fn static_mask(
    job: &Job,
    layout: &Layout,
    elements: &[Vec<ElementMerge>],
    fields: &Fields,
) -> StaticMask {
    let merge = &job.merge;
    let static_fields: Vec<&str> = fields
        .iter()
        .filter(|(_, id)| merge.is_file_level(*id, &|_| false))
        .map(|(name, _)| name.as_str())
        .collect();
    let is_static = |id: Option<_>| {
        id.is_none_or(|id| merge.is_file_level(id, &|v| static_fields.contains(&v)))
    };
    layout
        .pages
        .iter()
        .zip(elements)
        .map(|(page, merges)| {
            page.elements
                .iter()
                .zip(merges)
                .map(|(el, em)| {
                    is_static(em.when)
                        && match &el.kind {
                            ElementKind::Text { .. } | ElementKind::Qr { .. } => {
                                is_static(em.content)
                            }
                            // The destination decides the indicia.
                            ElementKind::Imb { .. } | ElementKind::Indicia { .. } => false,
                            ElementKind::Address { who, .. } => *who == Who::Sender,
                            ElementKind::Image { column, .. } => column.is_none(),
                            ElementKind::Rect { .. } | ElementKind::Rule { .. } => true,
                        }
                })
                .collect()
        })
        .collect()
}

/// The address block of `contact`, formatted for mail from the sender's country.
#[must_use]
pub fn recipient_lines(job: &Job, c: &Contact) -> Vec<String> {
    let k = &job.contacts;
    let name = k.full_name(c);
    block_lines(
        &PostalAddress {
            name: &name,
            company: k.get(c, Field::Company),
            address1: k.get(c, Field::Address1),
            address2: k.get(c, Field::Address2),
            city: k.get(c, Field::City),
            state: k.get(c, Field::State),
            postal_code: k.get(c, Field::PostalCode),
            country: k.get(c, Field::Country),
        },
        &job.campaign.sender.country,
        job.campaign.uppercase_addresses,
    )
}
