//! Loading and checking everything a cycle needs: campaign, layouts, contacts, events,
//! suppression lists, templates and images. A [`Job`] that loads is ready to plan and render.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use minijinja::Value;
use smol_str::SmolStr;

use crate::address::{PostalAddress, block_lines};
use crate::campaign::{Campaign, Step};
use crate::contacts::{Contact, Contacts, Field, Reject};
use crate::events::EventsByContact;
use crate::layout::{
    Background, Content, ElementKind, Frame, Hold, Layout, Mark, OutputIntent, Who,
};
use crate::suppress::Suppression;
use crate::template::{BUILTINS, Templates};

/// Template variables that are the same for every piece of a file.
const FILE_BUILTINS: [&str; 4] = ["campaign_id", "campaign_name", "step", "cycle_date"];

/// Everything loaded for one campaign, checked.
pub struct Job {
    /// The campaign.
    pub campaign: Campaign,
    /// Layouts used by the steps, by id.
    pub layouts: BTreeMap<String, Layout>,
    /// Contacts.
    pub contacts: Contacts,
    /// Events by contact id.
    pub events: EventsByContact,
    /// Do-not-mail lists.
    pub suppression: Suppression,
    /// Every input row not used.
    pub rejects: Vec<Reject>,
    /// Merge fields and conditions, compiled.
    pub templates: Templates,
    /// Problems that do not stop a cycle (low-resolution art, unused events...).
    pub warnings: Vec<String>,
    /// Template name → contact column index.
    names: std::sync::Arc<BTreeMap<String, usize>>,
    /// Pixel size of every image a piece may use.
    image_sizes: BTreeMap<PathBuf, (u32, u32)>,
    /// Pixel sizes (or why not) of per-contact images, filled as pieces are set.
    contact_images: std::sync::Mutex<BTreeMap<PathBuf, PixelSize>>,
}

/// One piece, set: the marks of each page, and its personal URL if it has one.
pub struct SetPiece {
    /// Marks per page.
    pub pages: Vec<Vec<Mark>>,
    /// The piece's `purl` field, rendered.
    pub purl: Option<String>,
}

/// An image's size in pixels, or why it could not be read.
type PixelSize = Result<(u32, u32), String>;

/// Which elements of each page of a (step, layout) do not depend on the contact.
pub type StaticMask = Vec<Vec<bool>>;

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
    pub fn load_with_sample_contacts(path: &Path, scratch: &Path) -> Result<Job> {
        let mut campaign = Campaign::load(path)?;
        let sample = scratch.join("sample-contacts.csv");
        std::fs::write(&sample, crate::starter::SAMPLE_CONTACTS)
            .with_context(|| format!("cannot write `{}`", sample.display()))?;
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
        let mut layouts = BTreeMap::new();
        for step in &campaign.steps {
            if layouts.contains_key(&step.layout) {
                continue;
            }
            let layout = Layout::load(&layouts_dir, &step.layout).with_context(|| {
                format!(
                    "{}:{}: step `{}`",
                    campaign.path.display(),
                    step.line,
                    step.id
                )
            })?;
            layouts.insert(step.layout.clone(), layout);
        }
        let contacts = Contacts::load(&campaign.contacts, &campaign.columns, &campaign.country)?;
        let mut rejects = contacts.rejects.clone();
        let events = match &campaign.events {
            None => EventsByContact::new(),
            Some(p) => {
                let ids: std::collections::HashSet<&str> =
                    contacts.list.iter().map(|c| &*c.id).collect();
                let (events, bad) = crate::events::load(p, &|id| ids.contains(id))?;
                rejects.extend(bad);
                events
            }
        };
        let mut suppression = Suppression::default();
        for p in &campaign.suppress {
            suppression.add_file(p, &mut rejects)?;
        }
        let names = std::sync::Arc::new(contacts.schema.template_names());
        let mut job = Job {
            campaign,
            layouts,
            contacts,
            events,
            suppression,
            rejects,
            templates: Templates::new(),
            warnings: Vec::new(),
            names,
            image_sizes: BTreeMap::new(),
            contact_images: std::sync::Mutex::default(),
        };
        job.compile_templates()?;
        job.check_images()?;
        job.check_static()?;
        Ok(job)
    }

    fn compile_templates(&mut self) -> Result<()> {
        let mut problems = Vec::new();
        let cpath = self.campaign.path.display().to_string();
        let contacts_file = self.campaign.contacts.display().to_string();
        for step in &self.campaign.steps {
            if let Some(when) = &step.when
                && let Err(e) = self.templates.add_condition(&when_name(&step.id), when)
            {
                problems.push(format!(
                    "{cpath}:{}: step `{}`: `when`: {e}",
                    step.line, step.id
                ));
            }
            for (name, source) in &step.fields {
                if let Err(e) = self.templates.add(&step_field(&step.id, name), source) {
                    problems.push(format!(
                        "{cpath}:{}: step `{}`: field `{name}`: {e}",
                        step.line, step.id
                    ));
                }
            }
            if let Some(trigger) = &step.trigger {
                let used = self
                    .events
                    .values()
                    .flatten()
                    .any(|e| &*e.name == trigger.as_str());
                if !used {
                    self.warnings.push(format!(
                        "{cpath}:{}: step `{}`: no event `{trigger}` in the events file yet",
                        step.line, step.id
                    ));
                }
            }
        }
        for layout in self.layouts.values() {
            let lpath = layout.path.display().to_string();
            for (name, source) in &layout.fields {
                if let Err(e) = self.templates.add(&layout_field(&layout.id, name), source) {
                    problems.push(format!("{lpath}: field `{name}`: {e}"));
                }
            }
            for (pi, page) in layout.pages.iter().enumerate() {
                for (ei, el) in page.elements.iter().enumerate() {
                    if let Some(text) = template_source(&el.kind)
                        && let Err(e) = self.templates.add(&text_name(&layout.id, pi, ei), text)
                    {
                        problems.push(format!("{lpath}:{}: text: {e}", el.line));
                    }
                    if let Some(when) = &el.when
                        && let Err(e) = self
                            .templates
                            .add_condition(&element_when(&layout.id, pi, ei), when)
                    {
                        problems.push(format!("{lpath}:{}: `when`: {e}", el.line));
                    }
                }
            }
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        // Every variable must come from a column, a field or a built-in.
        let column = |v: &str| self.names.contains_key(v);
        let hint = format!("no column of `{contacts_file}` provides it");
        for step in &self.campaign.steps {
            if step.when.is_some() {
                for v in self.templates.missing(&when_name(&step.id), &column) {
                    problems.push(format!(
                        "{cpath}:{}: step `{}`: `when` uses `{v}`, but {hint}",
                        step.line, step.id
                    ));
                }
            }
            let layout = &self.layouts[&step.layout];
            let fields: BTreeSet<&str> = step
                .fields
                .keys()
                .chain(layout.fields.keys())
                .map(String::as_str)
                .collect();
            for name in step.fields.keys() {
                for v in self.templates.missing(&step_field(&step.id, name), &column) {
                    problems.push(format!(
                        "{cpath}:{}: step `{}`: field `{name}` uses `{v}`, but {hint}",
                        step.line, step.id
                    ));
                }
            }
            for name in layout.fields.keys() {
                if step.fields.contains_key(name) {
                    continue;
                }
                for v in self
                    .templates
                    .missing(&layout_field(&layout.id, name), &column)
                {
                    problems.push(format!(
                        "{}: field `{name}` uses `{v}`, but {hint} (step `{}`)",
                        layout.path.display(),
                        step.id
                    ));
                }
            }
            let known = |v: &str| column(v) || fields.contains(v);
            for (pi, page) in layout.pages.iter().enumerate() {
                for (ei, el) in page.elements.iter().enumerate() {
                    let mut names = Vec::new();
                    if template_source(&el.kind).is_some() {
                        names.push(text_name(&layout.id, pi, ei));
                    }
                    if el.when.is_some() {
                        names.push(element_when(&layout.id, pi, ei));
                    }
                    for n in names {
                        for v in self.templates.missing(&n, &known) {
                            problems.push(format!(
                                "{}:{}: uses `{v}`, but {hint} and step `{}` has no field `{v}`",
                                layout.path.display(),
                                el.line,
                                step.id
                            ));
                        }
                    }
                }
            }
        }
        problems.dedup();
        if !problems.is_empty() {
            bail!(
                "{}\nhint: add the column to the contacts file, map it in [columns], or give a fallback: {{{{ name | default(\"...\") }}}}",
                problems.join("\n")
            );
        }
        Ok(())
    }

    fn check_images(&mut self) -> Result<()> {
        let mut uses: Vec<(PathBuf, f64, f64, String)> = Vec::new();
        for step in &self.campaign.steps {
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
                        let bytes = crate::assets::read(path).with_context(|| {
                            format!(
                                "{}: cannot read `{}`",
                                layout.path.display(),
                                path.display()
                            )
                        })?;
                        let doc = lopdf::Document::load_mem(&bytes).map_err(|e| {
                            anyhow::anyhow!(
                                "{}: `{}` is not a readable PDF: {e}",
                                layout.path.display(),
                                path.display()
                            )
                        })?;
                        let count = doc.get_pages().len();
                        if usize::try_from(*number).map_or(true, |n| n > count) {
                            bail!(
                                "{}: page `{}` background: `{}` has {count} pages, no page {number}",
                                layout.path.display(),
                                page.name,
                                path.display()
                            );
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
                            bail!(
                                "{}:{}: step `{}` gives no image for slot `{}` and the layout has no `src`",
                                self.campaign.path.display(),
                                step.line,
                                step.id,
                                slot.as_deref().unwrap_or("")
                            );
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
                    bail!(
                        "{}:{}: step `{}`: layout `{}` has no image slot `{slot}` (for `{}`)",
                        self.campaign.path.display(),
                        step.line,
                        step.id,
                        layout.id,
                        path.display()
                    );
                }
            }
        }
        for (path, w, h, who) in uses {
            let pixels = match self.image_sizes.get(&path) {
                Some(p) => *p,
                None => {
                    let p = crate::render::image::pixel_size(&path)
                        .map_err(|e| anyhow::anyhow!("{who}: {e}"))?;
                    self.image_sizes.insert(path.clone(), p);
                    p
                }
            };
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
            let layout = &self.layouts[&step.layout];
            let mask = self.static_mask(step, layout);
            self.static_marks(step, layout, &mask, date)
                .map_err(|h| anyhow::anyhow!("{}: {h}", layout.path.display()))?;
        }
        Ok(())
    }

    /// The layout of step `step`.
    #[must_use]
    pub fn layout(&self, step: &Step) -> &Layout {
        &self.layouts[&step.layout]
    }

    /// Marks which elements of `layout` are the same for every piece of `step`.
    #[must_use]
    pub fn static_mask(&self, step: &Step, layout: &Layout) -> StaticMask {
        let is_file_level = |name: &str| -> bool {
            self.templates
                .variables(name)
                .iter()
                .all(|v| FILE_BUILTINS.contains(&v.as_str()))
        };
        let static_fields: BTreeSet<&str> = layout
            .fields
            .keys()
            .chain(step.fields.keys())
            .filter(|f| is_file_level(&field_template(step, layout, f)))
            .map(String::as_str)
            .collect();
        let text_static = |name: &str| -> bool {
            self.templates
                .variables(name)
                .iter()
                .all(|v| FILE_BUILTINS.contains(&v.as_str()) || static_fields.contains(v.as_str()))
        };
        layout
            .pages
            .iter()
            .enumerate()
            .map(|(pi, page)| {
                page.elements
                    .iter()
                    .enumerate()
                    .map(|(ei, el)| {
                        let when_ok =
                            el.when.is_none() || text_static(&element_when(&layout.id, pi, ei));
                        when_ok
                            && match &el.kind {
                                ElementKind::Text { .. } => {
                                    text_static(&text_name(&layout.id, pi, ei))
                                }
                                ElementKind::Qr { .. } => {
                                    text_static(&text_name(&layout.id, pi, ei))
                                }
                                ElementKind::Imb { .. } => false,
                                ElementKind::Address { who, .. } => *who == Who::Sender,
                                ElementKind::Image { column, .. } => column.is_none(),
                                ElementKind::Rect { .. } | ElementKind::Rule { .. } => true,
                            }
                    })
                    .collect()
            })
            .collect()
    }

    /// The template context shared by every piece of a file: built-ins and static fields.
    fn file_context(
        &self,
        step: &Step,
        layout: &Layout,
        date: chrono::NaiveDate,
    ) -> BTreeMap<String, Value> {
        let mut ctx = BTreeMap::new();
        ctx.insert("campaign_id".into(), Value::from(self.campaign.id.clone()));
        ctx.insert(
            "campaign_name".into(),
            Value::from(self.campaign.name.clone()),
        );
        ctx.insert("step".into(), Value::from(step.id.clone()));
        ctx.insert("cycle_date".into(), Value::from(date.to_string()));
        let base = Value::from(ctx.clone());
        for name in field_names(step, layout) {
            let t = field_template(step, layout, name);
            if self
                .templates
                .variables(&t)
                .iter()
                .all(|v| FILE_BUILTINS.contains(&v.as_str()))
                && let Ok(s) = self.templates.render(&t, &base)
            {
                ctx.insert(name.clone(), Value::from(s));
            }
        }
        ctx
    }

    /// The contact's values under every name a template may use, with the campaign's id and
    /// name and then `over` set on top (a later name hides an earlier one and a column).
    /// Columns are read from the contact when a template asks for them, not copied into a
    /// map for every piece.
    #[must_use]
    pub fn contact_context(&self, contact: &Contact, over: Vec<(SmolStr, Value)>) -> Value {
        let mut set = Vec::with_capacity(over.len() + 2);
        set.push((
            SmolStr::new_static("campaign_id"),
            Value::from(self.campaign.id.as_str()),
        ));
        set.push((
            SmolStr::new_static("campaign_name"),
            Value::from(self.campaign.name.as_str()),
        ));
        set.extend(over);
        Value::from_object(ContextValues {
            set,
            below: Below::Columns {
                names: std::sync::Arc::clone(&self.names),
                contact: contact.clone(),
            },
        })
    }

    /// Whether step `step`'s `when` holds for `contact`.
    ///
    /// # Errors
    /// The reason when the condition cannot be evaluated for this contact.
    pub fn condition(
        &self,
        step: &Step,
        contact: &Contact,
        date: chrono::NaiveDate,
    ) -> Result<bool, String> {
        if step.when.is_none() {
            return Ok(true);
        }
        let ctx = self.contact_context(
            contact,
            vec![
                (SmolStr::new_static("step"), Value::from(step.id.as_str())),
                (
                    SmolStr::new_static("cycle_date"),
                    Value::from(date.to_string()),
                ),
            ],
        );
        self.templates.holds(&when_name(&step.id), &ctx)
    }

    /// The full context of one piece: contact values, built-ins and the merged fields.
    ///
    /// # Errors
    /// A field that cannot be rendered for this contact.
    pub fn piece_context(
        &self,
        step: &Step,
        layout: &Layout,
        contact: &Contact,
        piece_id: &str,
        date: chrono::NaiveDate,
        extra: &[(&str, String)],
    ) -> Result<Value, String> {
        let mut over = Vec::with_capacity(3 + extra.len());
        over.push((SmolStr::new_static("step"), Value::from(step.id.as_str())));
        over.push((
            SmolStr::new_static("cycle_date"),
            Value::from(date.to_string()),
        ));
        over.push((SmolStr::new_static("piece_id"), Value::from(piece_id)));
        for (k, v) in extra {
            over.push((SmolStr::new(k), Value::from(v.as_str())));
        }
        let base = self.contact_context(contact, over);
        let mut fields = Vec::new();
        for name in field_names(step, layout) {
            let t = field_template(step, layout, name);
            let s = self
                .templates
                .render(&t, &base)
                .map_err(|e| format!("field `{name}`: {e}"))?;
            fields.push((SmolStr::new(name), Value::from(s)));
        }
        // The merged fields over the base they were rendered from.
        Ok(Value::from_object(ContextValues {
            set: fields,
            below: Below::Context(base),
        }))
    }

    /// Sets one piece: its context, then the marks of every page's personalised elements.
    ///
    /// # Errors
    /// A [`Hold`] when the piece cannot be set.
    #[allow(clippy::too_many_arguments)]
    pub fn set_piece(
        &self,
        step: &Step,
        layout: &Layout,
        mask: &StaticMask,
        contact: &Contact,
        piece_id: &str,
        date: chrono::NaiveDate,
        extra: &[(&str, String)],
    ) -> Result<SetPiece, Hold> {
        let ctx = self
            .piece_context(step, layout, contact, piece_id, date, extra)
            .map_err(|reason| Hold {
                page: String::new(),
                line: step.line,
                reason: format!("step `{}`: {reason}", step.id),
                fatal: false,
            })?;
        let pages = self.piece_marks(step, layout, mask, &ctx, contact)?;
        let purl = ctx
            .get_attr("purl")
            .ok()
            .and_then(|v| v.as_str().map(String::from));
        Ok(SetPiece { pages, purl })
    }

    /// The printing condition of files in `layout`: the campaign's, else the layout's, else
    /// CGATS TR 001 (SWOP) by name.
    #[must_use]
    pub fn output_intent(&self, layout: &Layout) -> OutputIntent {
        self.campaign
            .output_intent
            .clone()
            .or_else(|| layout.output_intent.clone())
            .unwrap_or_else(OutputIntent::default_swop)
    }

    /// The marks of every page's static elements, once per file.
    ///
    /// # Errors
    /// A [`Hold`] when static text does not fit.
    pub fn static_marks(
        &self,
        step: &Step,
        layout: &Layout,
        mask: &StaticMask,
        date: chrono::NaiveDate,
    ) -> Result<Vec<Vec<Mark>>, Hold> {
        let ctx = Value::from(self.file_context(step, layout, date));
        self.compose(step, layout, mask, true, &ctx, None)
    }

    /// The marks of every page's personalised elements for one piece.
    ///
    /// # Errors
    /// A [`Hold`] when the piece cannot be set: text that does not fit or has a character
    /// the font lacks, or a template that fails for this contact.
    pub fn piece_marks(
        &self,
        step: &Step,
        layout: &Layout,
        mask: &StaticMask,
        ctx: &Value,
        contact: &Contact,
    ) -> Result<Vec<Vec<Mark>>, Hold> {
        self.compose(step, layout, mask, false, ctx, Some(contact))
    }

    fn compose(
        &self,
        step: &Step,
        layout: &Layout,
        mask: &StaticMask,
        statics: bool,
        ctx: &Value,
        contact: Option<&Contact>,
    ) -> Result<Vec<Vec<Mark>>, Hold> {
        let mut pages = Vec::with_capacity(layout.pages.len());
        for (pi, page) in layout.pages.iter().enumerate() {
            let mut marks = Vec::new();
            if statics && let Some(bg) = &page.background {
                marks.push(self.background_mark(layout, bg));
            }
            for (ei, el) in page.elements.iter().enumerate() {
                if mask[pi][ei] != statics {
                    continue;
                }
                let hold = |reason: String| Hold {
                    page: page.name.clone(),
                    line: el.line,
                    reason,
                    fatal: false,
                };
                if el.when.is_some()
                    && !self
                        .templates
                        .holds(&element_when(&layout.id, pi, ei), ctx)
                        .map_err(hold)?
                {
                    continue;
                }
                let content = match &el.kind {
                    ElementKind::Imb { .. } => match ctx
                        .get_attr("imb_bars")
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                    {
                        Some(bars) if !bars.is_empty() => Content::Text(bars),
                        _ => continue,
                    },
                    ElementKind::Text { .. } | ElementKind::Qr { .. } => Content::Text(
                        self.templates
                            .render(&text_name(&layout.id, pi, ei), ctx)
                            .map_err(hold)?,
                    ),
                    ElementKind::Address {
                        who: Who::Sender, ..
                    } => {
                        let s = &self.campaign.sender;
                        Content::Lines(block_lines(
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
                            self.campaign.uppercase_addresses,
                        ))
                    }
                    ElementKind::Address {
                        who: Who::Recipient,
                        ..
                    } => {
                        let Some(c) = contact else { continue };
                        Content::Lines(self.recipient_lines(c))
                    }
                    ElementKind::Image {
                        src, slot, column, ..
                    } => {
                        let own = column
                            .as_ref()
                            .zip(contact)
                            .map(|(col, c)| self.contact_value(c, col))
                            .filter(|v| !v.is_empty())
                            .map(|v| self.campaign.dir().join(v));
                        if let Some(path) = own {
                            let pixels = self.contact_image(&path).map_err(hold)?;
                            Content::Image { path, pixels }
                        } else {
                            let Some(path) = slot
                                .as_ref()
                                .and_then(|s| step.images.get(s))
                                .or(src.as_ref())
                            else {
                                continue;
                            };
                            let pixels = self.image_sizes.get(path).copied().unwrap_or((1, 1));
                            Content::Image {
                                path: path.clone(),
                                pixels,
                            }
                        }
                    }
                    ElementKind::Rect { .. } | ElementKind::Rule { .. } => Content::Shape,
                };
                layout.place(pi, el, &content, &mut marks)?;
            }
            pages.push(marks);
        }
        Ok(pages)
    }

    /// The value of the column a template would call `name` ("" when there is none).
    fn contact_value<'a>(&self, c: &'a Contact, name: &str) -> &'a str {
        c.value(self.names.get(name).copied())
    }

    /// Pixel size of a per-contact image, read once per path.
    fn contact_image(&self, path: &Path) -> Result<(u32, u32), String> {
        let mut cache = self
            .contact_images
            .lock()
            .map_err(|_| "image cache poisoned".to_string())?;
        if let Some(p) = cache.get(path) {
            return p.clone();
        }
        let size = crate::render::image::pixel_size(path);
        cache.insert(path.to_path_buf(), size.clone());
        size
    }

    /// The background of a page as a mark covering the bleed.
    fn background_mark(&self, layout: &Layout, bg: &Background) -> Mark {
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
                    self.image_sizes.get(path).copied().unwrap_or((1, 1)),
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

    /// The address block of `contact`, formatted for mail from the sender's country.
    #[must_use]
    pub fn recipient_lines(&self, c: &Contact) -> Vec<String> {
        let k = &self.contacts;
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
            &self.campaign.sender.country,
            self.campaign.uppercase_addresses,
        )
    }

    /// True when `name` is a variable a template can use for any contact.
    #[must_use]
    pub fn provides(&self, name: &str) -> bool {
        self.names.contains_key(name) || BUILTINS.contains(&name)
    }
}

/// A template context: `set` (a later name wins), then what is below it.
#[derive(Debug)]
struct ContextValues {
    set: Vec<(SmolStr, Value)>,
    below: Below,
}

#[derive(Debug)]
enum Below {
    /// A contact's columns, by name.
    Columns {
        names: std::sync::Arc<BTreeMap<String, usize>>,
        contact: Contact,
    },
    /// Another context.
    Context(Value),
}

impl minijinja::value::Object for ContextValues {
    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if let Some((_, v)) = self.set.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        match &self.below {
            Below::Columns { names, contact } => {
                let &i = names.get(name)?;
                Some(Value::from(contact.value(Some(i))))
            }
            Below::Context(below) => below.get_attr(name).ok().filter(|v| !v.is_undefined()),
        }
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        let mut keys: BTreeSet<String> = match &self.below {
            Below::Columns { names, .. } => names.keys().cloned().collect(),
            Below::Context(below) => below
                .try_iter()
                .map(|iter| iter.filter_map(|k| k.as_str().map(String::from)).collect())
                .unwrap_or_default(),
        };
        keys.extend(self.set.iter().map(|(k, _)| k.to_string()));
        minijinja::value::Enumerator::Values(keys.into_iter().map(Value::from).collect())
    }
}

/// The merge fields a piece of `step` has: the layout's defaults and the step's own, once each.
fn field_names<'a>(step: &'a Step, layout: &'a Layout) -> BTreeSet<&'a String> {
    layout.fields.keys().chain(step.fields.keys()).collect()
}

/// The template an element merges: a text element's text, a QR code's content.
fn template_source(kind: &ElementKind) -> Option<&str> {
    match kind {
        ElementKind::Text { text, .. } => Some(text),
        ElementKind::Qr { content, .. } => Some(content),
        _ => None,
    }
}

/// The template of merge field `name` for pieces of `step`: the step's own if it has one,
/// else the layout's default.
fn field_template(step: &Step, layout: &Layout, name: &str) -> String {
    if step.fields.contains_key(name) {
        step_field(&step.id, name)
    } else {
        layout_field(&layout.id, name)
    }
}

fn when_name(step: &str) -> String {
    format!("when:{step}")
}

fn step_field(step: &str, name: &str) -> String {
    format!("field:{step}:{name}")
}

fn layout_field(layout: &str, name: &str) -> String {
    format!("lfield:{layout}:{name}")
}

fn text_name(layout: &str, page: usize, element: usize) -> String {
    format!("text:{layout}:{page}:{element}")
}

fn element_when(layout: &str, page: usize, element: usize) -> String {
    format!("ewhen:{layout}:{page}:{element}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(set: &[(&str, &str)], below: Below) -> Value {
        Value::from_object(ContextValues {
            set: set
                .iter()
                .map(|&(k, v)| (SmolStr::new(k), Value::from(v)))
                .collect(),
            below,
        })
    }

    #[test]
    fn a_context_looks_up_set_values_then_below_then_columns() {
        let names: BTreeMap<String, usize> =
            [("first_name".to_string(), 0), ("step".to_string(), 1)]
                .into_iter()
                .collect();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let contact = Contact::new("c1", 2, date, &["Ada".into(), "from-the-csv".into()]);
        let base = context(
            &[
                ("step", "early"),
                ("campaign_id", "autumn"),
                ("step", "welcome"),
            ],
            Below::Columns {
                names: std::sync::Arc::new(names),
                contact,
            },
        );
        let env = minijinja::Environment::new();
        let render = |t: &str, ctx: &Value| env.render_str(t, ctx.clone()).unwrap();
        // A later name wins; a built-in hides a column of the same name.
        assert_eq!(
            render(
                "{{ first_name }} {{ step }} {{ campaign_id }} {{ missing is undefined }}",
                &base
            ),
            "Ada welcome autumn True"
        );
        let top = context(
            &[("headline", "Hi Ada"), ("first_name", "Field")],
            Below::Context(base),
        );
        assert_eq!(
            render(
                "{{ headline }}/{{ first_name }}/{{ step }}/{{ missing is undefined }}",
                &top
            ),
            "Hi Ada/Field/welcome/True"
        );
        let keys: Vec<String> = top
            .try_iter()
            .unwrap()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["campaign_id", "first_name", "headline", "step"]);
    }
}
