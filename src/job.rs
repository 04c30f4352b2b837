//! Loading and checking everything a cycle needs: campaign, layouts, contacts, events,
//! suppression lists, templates and images. A [`Job`] that loads is ready to plan and render.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::campaign::{Campaign, CampaignError, Step};
use crate::compose::Composer;
use crate::contacts::{Contacts, Reject};
use crate::csvin::CsvError;
use crate::events::EventsByContact;
use crate::layout::{Background, ElementKind, Layout, LayoutError, OutputIntent};
use crate::merge::{Merge, MergeError};
use crate::resources::Resources;
use crate::suppress::Suppression;

/// Why a campaign cannot be loaded: every message names the file and line to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The campaign file.
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    /// A step's layout.
    #[error("{}:{line}: step `{step}`", campaign.display())]
    Layout {
        /// The campaign file.
        campaign: PathBuf,
        /// The step's line in it.
        line: usize,
        /// The step.
        step: String,
        /// What is wrong with the layout.
        #[source]
        source: LayoutError,
    },
    /// A CSV file: contacts, events or a do-not-mail list.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The templates.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// Something at a line of a file.
    #[error("{}:{line}: {message}", file.display())]
    At {
        /// The file.
        file: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Something in a file (an image, a designer PDF, static text that does not fit).
    #[error("{}: {message}", file.display())]
    In {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An image a step or layout background uses.
    #[error("{user}: {message}")]
    Image {
        /// Who uses it: "step `welcome`", "layout `postcard-6x4` background".
        user: String,
        /// What is wrong.
        message: String,
    },
    /// A layout breaks postal rules that make its pieces unmailable.
    #[error("{}", postal.iter().map(|f| format!("{}:{}: {f}", file.display(), f.line)).collect::<Vec<_>>().join("\n"))]
    Postal {
        /// The layout file.
        file: PathBuf,
        /// Every rule it breaks.
        postal: Vec<crate::layout::postal::Finding>,
    },
    /// Too many contact rows were rejected for the run to go on.
    #[error("`{}`: {rejected} of {} rejected ({percent} %), more than the {limit} % a run accepts; first: line {first_line}: {first_reason}", file.display(), crate::words::count(*total, "contact row", "contact rows"))]
    TooManyRejects {
        /// The contacts file.
        file: PathBuf,
        /// Rows rejected.
        rejected: usize,
        /// Rows in the file.
        total: usize,
        /// `rejected` as a percentage of `total`, rounded up.
        percent: usize,
        /// The campaign's `max_rejected_percent`.
        limit: u8,
        /// The first reject's line.
        first_line: u64,
        /// Its reason.
        first_reason: String,
    },
    /// The sample contacts could not be written to the scratch folder.
    #[error("cannot write `{}`", path.display())]
    Scratch {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Advice for LoadError {
    fn hint(&self) -> Option<String> {
        match self {
            LoadError::Csv(e) => e.hint(),
            LoadError::Merge(e) => e.hint(),
            LoadError::TooManyRejects { .. } => Some(
                "nothing was committed: `dripmail validate` lists every rejected row and why; fix the file, or if these rows are meant to be left out, raise `max_rejected_percent` in the campaign or run with --accept-rejects"
                    .into(),
            ),
            LoadError::Postal { .. } => Some(
                "move the elements as the message says; docs/postal.md lists each rule and its source"
                    .into(),
            ),
            _ => None,
        }
    }
}

type Result<T, E = LoadError> = std::result::Result<T, E>;

/// Everything loaded for one campaign, checked.
pub struct Job {
    /// The campaign.
    pub(crate) campaign: Campaign,
    /// Layouts used by the steps, by id.
    pub(crate) layouts: BTreeMap<String, Layout>,
    /// Contacts.
    pub(crate) contacts: Contacts,
    /// Events by contact id.
    pub(crate) events: EventsByContact,
    /// Do-not-mail lists.
    pub(crate) suppression: Suppression,
    /// Every input row not used.
    pub(crate) rejects: Vec<Reject>,
    /// Merge fields and conditions, compiled and checked.
    pub(crate) merge: Merge,
    /// Problems that do not stop a cycle (low-resolution art, unused events...).
    pub(crate) warnings: Vec<String>,
    /// Layouts, fonts, images, ICC profiles and designer PDFs, each read once.
    pub(crate) resources: Resources,
}

impl Job {
    /// Loads the campaign at `path` and everything it names.
    ///
    /// # Errors
    /// Any problem that stops a cycle: a bad campaign or layout file, a missing font, image or
    /// CSV column, a template error, a field no column provides. Each names the file and line.
    pub fn load(path: &Path) -> Result<Job> {
        Job::load_with(Campaign::load(path)?)
    }

    /// Loads the campaign at `path` with the built-in sample contacts instead of its own
    /// (for proofs before real data exists); events and suppression lists are left out.
    ///
    /// # Errors
    /// As [`Job::load`].
    pub(crate) fn load_with_sample_contacts(path: &Path, scratch: &Path) -> Result<Job> {
        let mut campaign = Campaign::load(path)?;
        let sample = scratch.join("sample-contacts.csv");
        std::fs::write(&sample, crate::starter::SAMPLE_CONTACTS).map_err(|source| {
            LoadError::Scratch {
                path: sample.clone(),
                source,
            }
        })?;
        campaign.contacts = sample;
        campaign.columns.clear();
        campaign.events = None;
        campaign.suppress.clear();
        Job::load_with(campaign)
    }

    fn load_with(campaign: Campaign) -> Result<Job> {
        let layouts_dir = campaign
            .layouts
            .clone()
            .unwrap_or_else(crate::assets::builtin_layouts);
        let resources = Resources::default();
        if let Some(oi) = &campaign.output_intent {
            oi.check_profile(&resources)
                .map_err(|message| LoadError::At {
                    file: campaign.path.clone(),
                    line: campaign.output_intent_line,
                    message,
                })?;
        }
        let mut layouts = BTreeMap::new();
        for step in campaign.steps.iter().flat_map(Step::with_variants) {
            if layouts.contains_key(&step.layout) {
                continue;
            }
            let layout =
                Layout::load(&resources, &layouts_dir, &step.layout).map_err(|source| {
                    LoadError::Layout {
                        campaign: campaign.path.clone(),
                        line: step.line,
                        step: step.id.clone(),
                        source,
                    }
                })?;
            layouts.insert(step.layout.clone(), layout);
        }
        if let Some(standard) = campaign.pdf_standard {
            // PDF/X-4 files embed their printing condition's profile (DestOutputProfile).
            let unprofiled = campaign
                .steps
                .iter()
                .flat_map(Step::with_variants)
                .map(|step| &layouts[&step.layout])
                .find(|l| {
                    campaign
                        .output_intent
                        .as_ref()
                        .or(l.output_intent.as_ref())
                        .is_none_or(|oi| oi.profile.is_none())
                });
            if let Some(layout) = unprofiled {
                return Err(LoadError::At {
                    file: campaign.path.clone(),
                    line: campaign.pdf_standard_line,
                    message: format!(
                        "{} files embed the printing condition's ICC profile, and layout `{}` names none: give the campaign an output_intent with the profile your print shop uses, e.g. output_intent = {{ identifier = \"CGATS21_CRPC6\", profile = \"GRACoL2013_CRPC6.icc\" }} (docs/layouts.md#print-ready-output-and-what-it-is-not)",
                        standard.name(),
                        layout.id
                    ),
                });
            }
        }
        let mut warnings = Vec::new();
        if let Some(imb) = &campaign.imb
            && crate::imb::stid::stid(&imb.service_type) == crate::imb::stid::Stid::Unknown
        {
            warnings.push(format!(
                "{}:{}: `imb.service_type = \"{}\"` is not in USPS's service type table of January 2024 that dripmail knows: check it against the current table (postalpro.usps.com/mailing/service-type-identifiers)",
                campaign.path.display(),
                imb.line,
                imb.service_type
            ));
        }
        for layout in layouts.values() {
            let (hold, warn): (Vec<_>, Vec<_>) = crate::layout::postal::check(layout)
                .into_iter()
                .partition(|f| f.rule.severity() == crate::layout::postal::Severity::Hold);
            if !hold.is_empty() {
                return Err(LoadError::Postal {
                    file: layout.path.clone(),
                    postal: hold,
                });
            }
            warnings.extend(
                warn.iter()
                    .map(|f| format!("{}:{}: {f}", layout.path.display(), f.line)),
            );
        }
        let contacts = Contacts::load(
            &campaign.contacts,
            &crate::contacts::LoadOptions::of(&campaign),
        )?;
        let mut rejects = contacts.rejects.clone();
        let events = match &campaign.events {
            None => EventsByContact::new(),
            Some(p) => {
                let ids: std::collections::HashSet<&str> =
                    contacts.list.iter().map(|c| &*c.id).collect();
                let (events, bad) =
                    crate::events::load(p, campaign.events_dates, &|id| ids.contains(id))?;
                rejects.extend(bad);
                events
            }
        };
        let mut suppression = Suppression::default();
        for p in &campaign.suppress {
            suppression.add_file(p, &mut rejects)?;
        }
        let mut names = contacts.schema.template_names();
        let mut shadowing = Vec::new();
        for name in crate::merge::templates::reserved() {
            if names.remove(name).is_some() {
                shadowing.push(name);
            }
        }
        let merge = Merge::compile(&campaign, &layouts, names)?;
        warnings.extend(merge.warnings.iter().cloned());
        for name in shadowing {
            warnings.push(format!(
                "{}: column `{name}` has the name of a value dripmail sets; templates see dripmail's (rename the column to use it)",
                campaign.contacts.display()
            ));
        }
        for step in &campaign.steps {
            if let Some(trigger) = &step.trigger
                && !events
                    .values()
                    .flatten()
                    .any(|e| &*e.name == trigger.as_str())
            {
                warnings.push(format!(
                    "{}:{}: step `{}`: no event `{trigger}` in the events file yet",
                    campaign.path.display(),
                    step.line,
                    step.id
                ));
            }
        }
        let mut job = Job {
            campaign,
            layouts,
            contacts,
            events,
            suppression,
            rejects,
            merge,
            warnings,
            resources,
        };
        job.check_images()?;
        job.check_static()?;
        Ok(job)
    }

    /// This job with other contacts (those a committed cycle printed, from the ledger): the
    /// templates are compiled again against their columns.
    ///
    /// # Errors
    /// When a template uses a column those contacts lack (the layout changed since).
    pub(crate) fn with_contacts(mut self, contacts: Contacts) -> Result<Job> {
        let mut names = contacts.schema.template_names();
        for name in crate::merge::templates::reserved() {
            names.remove(name);
        }
        self.merge = Merge::compile(&self.campaign, &self.layouts, names)?;
        self.contacts = contacts;
        Ok(self)
    }

    /// Refuses a contacts file with more rejected rows than the campaign accepts
    /// (`max_rejected_percent`, 20 % unless it says otherwise), or with every row rejected: such
    /// a file is an export in the wrong form (dates, delimiter, columns), and a cycle run
    /// from it would commit nobody's pieces and let the due dates slip.
    ///
    /// # Errors
    /// [`LoadError::TooManyRejects`].
    pub(crate) fn check_rejects(&self) -> Result<()> {
        let file = &self.campaign.contacts;
        let rejected: Vec<&Reject> = self.rejects.iter().filter(|r| &r.file == file).collect();
        let total = rejected.len() + self.contacts.list.len();
        let limit = self.campaign.max_rejected_percent;
        let Some(first) = rejected.first() else {
            return Ok(());
        };
        let over = rejected.len() * 100 > usize::from(limit) * total;
        let all = self.contacts.list.is_empty() && limit < 100;
        if !(over || all) {
            return Ok(());
        }
        Err(LoadError::TooManyRejects {
            file: file.clone(),
            rejected: rejected.len(),
            total,
            percent: (rejected.len() * 100).div_ceil(total),
            limit,
            first_line: first.line,
            first_reason: first.reason.clone(),
        })
    }

    fn check_images(&mut self) -> Result<()> {
        let mut uses: Vec<(PathBuf, f64, f64, String)> = Vec::new();
        for step in self.campaign.steps.iter().flat_map(Step::with_variants) {
            let layout = &self.layouts[&step.layout];
            let bleed = layout.bleed.get() * 2.0;
            for page in &layout.pages {
                match &page.background {
                    Some(Background::Image(path)) => {
                        let (w, h) = (layout.width.get() + bleed, layout.height.get() + bleed);
                        uses.push((
                            path.clone(),
                            w,
                            h,
                            format!("layout `{}` background", layout.id),
                        ));
                    }
                    Some(Background::Pdf { path, page: number }) => {
                        let doc = self.resources.pdf(path).map_err(|message| LoadError::In {
                            file: layout.path.clone(),
                            message,
                        })?;
                        let count = doc.get_pages().len();
                        if usize::try_from(*number).map_or(true, |n| n > count) {
                            return Err(LoadError::In {
                                file: layout.path.clone(),
                                message: format!(
                                    "page `{}` background: `{}` has {count} pages, no page {number}",
                                    page.name,
                                    path.display()
                                ),
                            });
                        }
                    }
                    _ => {}
                }
                for el in &page.elements {
                    if let ElementKind::Image {
                        frame, src, slot, ..
                    } = &el.kind
                    {
                        let path = slot
                            .as_ref()
                            .and_then(|s| step.images.get(s))
                            .or(src.as_ref());
                        let column = matches!(
                            &el.kind,
                            ElementKind::Image {
                                column: Some(_),
                                ..
                            }
                        );
                        if path.is_none() && column {
                            continue;
                        }
                        let Some(path) = path else {
                            return Err(LoadError::At {
                                file: self.campaign.path.clone(),
                                line: step.line,
                                message: format!(
                                    "step `{}` gives no image for slot `{}` and the layout has no `src`",
                                    step.id,
                                    slot.as_deref().unwrap_or("")
                                ),
                            });
                        };
                        uses.push((
                            path.clone(),
                            frame.w,
                            frame.h,
                            format!("step `{}`", step.id),
                        ));
                    }
                }
            }
            for (slot, path) in &step.images {
                let has_slot = layout.pages.iter().flat_map(|p| &p.elements).any(
                    |e| matches!(&e.kind, ElementKind::Image { slot: Some(s), .. } if s == slot),
                );
                if !has_slot {
                    return Err(LoadError::At {
                        file: self.campaign.path.clone(),
                        line: step.line,
                        message: format!(
                            "step `{}`: layout `{}` has no image slot `{slot}` (for `{}`)",
                            step.id,
                            layout.id,
                            path.display()
                        ),
                    });
                }
            }
        }
        for (path, w, h, who) in uses {
            let pixels = self
                .resources
                .pixel_size(&path)
                .map_err(|message| LoadError::Image {
                    user: who.clone(),
                    message,
                })?;
            let ppi = (f64::from(pixels.0) / (w / 72.0)).min(f64::from(pixels.1) / (h / 72.0));
            if ppi < 299.5 {
                self.warnings.push(format!(
                    "`{}` is {:.0} ppi at its placed size in {who} (print wants 300)",
                    path.display(),
                    ppi
                ));
            }
        }
        self.warnings.dedup();
        Ok(())
    }

    /// Static text that does not fit is a design error, found before any piece is set.
    fn check_static(&self) -> Result<()> {
        let date = chrono::NaiveDate::default();
        for step in &self.campaign.steps {
            Composer::new(self, step, date)
                .statics()
                .map_err(|h| LoadError::In {
                    file: self.layout(step).path.clone(),
                    message: h.to_string(),
                })?;
        }
        Ok(())
    }

    /// The layout of step `step`.
    #[must_use]
    pub(crate) fn layout(&self, step: &Step) -> &Layout {
        &self.layouts[&step.layout]
    }

    /// The printing condition of files in `layout`: the campaign's, else the layout's, else
    /// CGATS TR 001 (SWOP) by name.
    #[must_use]
    pub(crate) fn output_intent(&self, layout: &Layout) -> OutputIntent {
        self.campaign
            .output_intent
            .clone()
            .or_else(|| layout.output_intent.clone())
            .unwrap_or_else(OutputIntent::default_swop)
    }

    /// Pixel size of an image the layouts or steps name (read when the job was loaded).
    #[must_use]
    pub(crate) fn image_pixels(&self, path: &Path) -> (u32, u32) {
        self.resources.pixel_size(path).unwrap_or((1, 1))
    }
}
