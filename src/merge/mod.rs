//! Merging: every template of a campaign (steps' `when` and fields, layouts' fields, texts,
//! QR contents and element `when`s) compiled once and checked against the columns the
//! contacts provide, and the template context each piece is rendered with.
//!
//! [`Merge::compile`] hands out a [`TemplateId`] per template, kept in a [`StepMerge`] per
//! step and a [`LayoutMerge`] per layout, so setting a piece looks templates up by index.

mod context;
pub(crate) mod templates;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use minijinja::Value;
use smol_str::SmolStr;

use crate::campaign::{Campaign, Step};
use crate::contacts::Contact;
use crate::layout::{ElementKind, Layout};
use context::{Below, ContextValues};
pub use templates::{TemplateId, Templates};

/// Why a campaign's templates cannot be used: every problem, one per line, each naming its
/// file and line.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Templates that do not compile.
    #[error("{}", .0.join("\n"))]
    Syntax(Vec<String>),
    /// Variables that no column, merge field or built-in provides.
    #[error("{}", .0.join("\n"))]
    Unknown(Vec<String>),
}

impl crate::error::Advice for MergeError {
    fn hint(&self) -> Option<String> {
        match self {
            MergeError::Syntax(_) => None,
            MergeError::Unknown(_) => Some(
                "add the column to the contacts file, map it in [columns], or give a fallback: {{ name | default(\"...\") }}"
                    .into(),
            ),
        }
    }
}

/// Template variables that are the same for every piece of a file.
pub const FILE_BUILTINS: [&str; 4] = ["campaign_id", "campaign_name", "step", "cycle_date"];

/// Every template of a campaign, compiled and checked, and the names a template can use.
pub struct Merge {
    templates: Templates,
    /// Template name → contact column index.
    names: Arc<BTreeMap<String, usize>>,
    campaign_id: String,
    campaign_name: String,
    /// By step id.
    steps: BTreeMap<String, StepMerge>,
    /// By layout id.
    layouts: BTreeMap<String, LayoutMerge>,
    /// Variables that come from nowhere but hide behind `default(...)`: for `validate`.
    pub(crate) warnings: Vec<String>,
}

/// The templates of one step.
pub struct StepMerge {
    /// Its `when`.
    pub when: Option<TemplateId>,
    /// Its own merge fields (a layout's default fills in the rest).
    fields: BTreeMap<String, TemplateId>,
}

/// The templates of one layout.
pub struct LayoutMerge {
    /// Its default merge fields.
    fields: BTreeMap<String, TemplateId>,
    /// Per page, per element.
    pub elements: Vec<Vec<ElementMerge>>,
}

/// The templates of one layout element.
#[derive(Clone, Copy, Debug, Default)]
pub struct ElementMerge {
    /// What it shows: a text element's text, a QR code's content.
    pub content: Option<TemplateId>,
    /// Its `when`.
    pub when: Option<TemplateId>,
}

/// The merge fields of pieces of one step in one layout: the step's own, else the layout's
/// default, once each, by name.
pub type Fields = Vec<(SmolStr, TemplateId)>;

impl Merge {
    /// Compiles every template of `campaign` and its `layouts`, and checks that each variable
    /// they use comes from a column (`names`, template name → column index), a merge field or
    /// a built-in.
    ///
    /// # Errors
    /// Every syntax error, or else every variable nothing provides, each with file and line.
    pub fn compile(
        campaign: &Campaign,
        layouts: &BTreeMap<String, Layout>,
        names: BTreeMap<String, usize>,
    ) -> Result<Merge, MergeError> {
        let mut templates = Templates::new();
        let mut problems = Vec::new();
        let cpath = campaign.path.display().to_string();
        let mut steps = BTreeMap::new();
        for step in campaign.steps.iter().flat_map(Step::with_variants) {
            let mut merge = StepMerge {
                when: None,
                fields: BTreeMap::new(),
            };
            if let Some(when) = &step.when {
                match templates.add_condition(when) {
                    Ok(id) => merge.when = Some(id),
                    Err(e) => problems.push(format!(
                        "{cpath}:{}: step `{}`: `when`: {e}",
                        step.line, step.id
                    )),
                }
            }
            for (name, source) in &step.fields {
                match templates.add(source) {
                    Ok(id) => {
                        merge.fields.insert(name.clone(), id);
                    }
                    Err(e) => problems.push(format!(
                        "{cpath}:{}: step `{}`: field `{name}`: {e}",
                        step.line, step.id
                    )),
                }
            }
            steps.insert(step.key(), merge);
        }
        let mut layout_merges = BTreeMap::new();
        for layout in layouts.values() {
            let lpath = layout.path.display().to_string();
            let mut merge = LayoutMerge {
                fields: BTreeMap::new(),
                elements: Vec::with_capacity(layout.pages.len()),
            };
            for (name, source) in &layout.fields {
                match templates.add(source) {
                    Ok(id) => {
                        merge.fields.insert(name.clone(), id);
                    }
                    Err(e) => problems.push(format!("{lpath}: field `{name}`: {e}")),
                }
            }
            for page in &layout.pages {
                let mut elements = Vec::with_capacity(page.elements.len());
                for el in &page.elements {
                    let mut element = ElementMerge::default();
                    if let Some(text) = template_source(&el.kind) {
                        match templates.add(text) {
                            Ok(id) => element.content = Some(id),
                            Err(e) => problems.push(format!("{lpath}:{}: text: {e}", el.line)),
                        }
                    }
                    if let Some(when) = &el.when {
                        match templates.add_condition(when) {
                            Ok(id) => element.when = Some(id),
                            Err(e) => problems.push(format!("{lpath}:{}: `when`: {e}", el.line)),
                        }
                    }
                    elements.push(element);
                }
                merge.elements.push(elements);
            }
            layout_merges.insert(layout.id.clone(), merge);
        }
        if !problems.is_empty() {
            return Err(MergeError::Syntax(problems));
        }
        let merge = Merge {
            templates,
            names: Arc::new(names),
            campaign_id: campaign.id.clone(),
            campaign_name: campaign.name.clone(),
            steps,
            layouts: layout_merges,
            warnings: Vec::new(),
        };
        let mut merge = merge;
        merge.warnings = merge.check_variables(campaign, layouts)?;
        Ok(merge)
    }

    /// Every variable must come from a column, a field or a built-in. Returns a warning for
    /// each one that comes from nowhere but hides behind `default(...)` or `is defined`.
    fn check_variables(
        &self,
        campaign: &Campaign,
        layouts: &BTreeMap<String, Layout>,
    ) -> Result<Vec<String>, MergeError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let cpath = campaign.path.display().to_string();
        let column = |v: &str| self.names.contains_key(v);
        let hint = format!("no column of `{}` provides it", campaign.contacts.display());
        // `at` names the template ("campaign.toml:12: step `welcome`: field `greeting`");
        // `what` completes "uses `v`, but ..." for a bare use.
        let mut check = |id: TemplateId, known: &dyn Fn(&str) -> bool, at: &str, what: &str| {
            let (bare, guarded) = self.templates.unknown(id, known);
            for v in bare {
                problems.push(format!("{at} uses `{v}`, but {what}"));
            }
            for v in guarded {
                let near = self.closest_name(&v);
                warnings.push(format!(
                    "{at} uses `{v}` only behind `default(...)` or `is defined`, and {hint}: every piece gets the default{}",
                    near.map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"))
                ));
            }
        };
        for step in campaign.steps.iter().flat_map(Step::renderings) {
            let sm = self.step(step);
            let at_step = format!("{cpath}:{}: step `{}`:", step.line, step.key());
            if let Some(when) = sm.when {
                check(when, &column, &format!("{at_step} `when`"), &hint);
            }
            let layout = &layouts[&step.layout];
            let lm = self.layout(layout);
            let fields: BTreeSet<&str> = sm
                .fields
                .keys()
                .chain(lm.fields.keys())
                .map(String::as_str)
                .collect();
            for (name, &id) in &sm.fields {
                check(id, &column, &format!("{at_step} field `{name}`"), &hint);
            }
            for (name, &id) in &lm.fields {
                if sm.fields.contains_key(name) {
                    continue;
                }
                check(
                    id,
                    &column,
                    &format!(
                        "{}: field `{name}` (step `{}`)",
                        layout.path.display(),
                        step.id
                    ),
                    &hint,
                );
            }
            let known = |v: &str| column(v) || fields.contains(v);
            for (page, merges) in layout.pages.iter().zip(&lm.elements) {
                for (el, em) in page.elements.iter().zip(merges) {
                    for id in em.content.into_iter().chain(em.when) {
                        check(
                            id,
                            &known,
                            &format!("{}:{}: step `{}`:", layout.path.display(), el.line, step.id),
                            &format!("{hint} and the step has no such field"),
                        );
                    }
                }
            }
        }
        problems.dedup();
        warnings.sort();
        warnings.dedup();
        if !problems.is_empty() {
            return Err(MergeError::Unknown(problems));
        }
        Ok(warnings)
    }

    /// The column name most like `name` (a typo's likely meaning), if any is close.
    fn closest_name(&self, name: &str) -> Option<&str> {
        self.names
            .keys()
            .map(|k| (strsim::jaro_winkler(k, name), k))
            .filter(|(score, _)| *score >= 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k.as_str())
    }

    /// The compiled templates.
    #[must_use]
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The templates of `step`.
    #[must_use]
    pub fn step(&self, step: &Step) -> &StepMerge {
        match &step.variant {
            None => &self.steps[&step.id],
            Some(_) => &self.steps[&step.key()],
        }
    }

    /// The templates of `layout`.
    #[must_use]
    pub fn layout(&self, layout: &Layout) -> &LayoutMerge {
        &self.layouts[&layout.id]
    }

    /// The merge fields of pieces of `step` in `layout`, by name.
    #[must_use]
    pub fn fields(&self, step: &Step, layout: &Layout) -> Fields {
        let mut fields: BTreeMap<&str, TemplateId> = self
            .layout(layout)
            .fields
            .iter()
            .map(|(k, &v)| (k.as_str(), v))
            .collect();
        fields.extend(self.step(step).fields.iter().map(|(k, &v)| (k.as_str(), v)));
        fields
            .into_iter()
            .map(|(k, v)| (SmolStr::new(k), v))
            .collect()
    }

    /// True when template `id` uses only the file-level built-ins (or what `also` says is
    /// file-level), so it renders the same for every piece of a file.
    #[must_use]
    pub fn is_file_level(&self, id: TemplateId, also: &dyn Fn(&str) -> bool) -> bool {
        self.templates
            .variables(id)
            .iter()
            .all(|v| FILE_BUILTINS.contains(&v.as_str()) || also(v))
    }

    /// The column index a template would read for `name`, if a column provides it.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    /// The context shared by every piece of a file of `step`: the built-ins and the merge
    /// fields that use nothing else.
    ///
    /// # Errors
    /// The field that cannot be rendered, and why (the same for every piece of the file).
    pub fn file_context(
        &self,
        step: &Step,
        fields: &Fields,
        date: NaiveDate,
    ) -> Result<Value, (String, String)> {
        let mut ctx = BTreeMap::new();
        ctx.insert("campaign_id", Value::from(self.campaign_id.as_str()));
        ctx.insert("campaign_name", Value::from(self.campaign_name.as_str()));
        ctx.insert("step", Value::from(step.id.as_str()));
        ctx.insert("cycle_date", Value::from(date.to_string()));
        let base = Value::from(ctx.clone());
        for (name, id) in fields {
            if self.is_file_level(*id, &|_| false) {
                let s = self
                    .templates
                    .render(*id, &base)
                    .map_err(|e| (name.to_string(), e))?;
                ctx.insert(name.as_str(), Value::from(s));
            }
        }
        Ok(Value::from(ctx))
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
            Value::from(self.campaign_id.as_str()),
        ));
        set.push((
            SmolStr::new_static("campaign_name"),
            Value::from(self.campaign_name.as_str()),
        ));
        set.extend(over);
        Value::from_object(ContextValues {
            set,
            below: Below::Columns {
                names: Arc::clone(&self.names),
                contact: contact.clone(),
            },
        })
    }

    /// Whether step `step`'s `when` holds for `contact` on cycle `date`.
    ///
    /// # Errors
    /// The reason when the condition cannot be evaluated for this contact.
    pub fn condition(
        &self,
        step: &Step,
        contact: &Contact,
        date: NaiveDate,
    ) -> Result<bool, String> {
        let Some(when) = self.step(step).when else {
            return Ok(true);
        };
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
        self.templates.holds(when, &ctx)
    }

    /// The full context of one piece: `base` (a [`Merge::contact_context`] with the piece's
    /// built-ins) under its merge fields, rendered from `base`.
    ///
    /// # Errors
    /// The field that cannot be rendered for this contact, and why.
    pub fn piece_context(&self, base: Value, fields: &Fields) -> Result<Value, (String, String)> {
        let mut set = Vec::with_capacity(fields.len());
        for (name, id) in fields {
            let s = self
                .templates
                .render(*id, &base)
                .map_err(|e| (name.to_string(), e))?;
            set.push((name.clone(), Value::from(s)));
        }
        // The merged fields over the base they were rendered from.
        Ok(Value::from_object(ContextValues {
            set,
            below: Below::Context(base),
        }))
    }
}

/// The template an element merges: a text element's text, a QR code's content.
fn template_source(kind: &ElementKind) -> Option<&str> {
    match kind {
        ElementKind::Text { text, .. } => Some(text),
        ElementKind::Qr { content, .. } => Some(content),
        _ => None,
    }
}
