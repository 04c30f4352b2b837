//! `CAMPAIGN.toml`: the file schema, and the checked [`Campaign`] a cycle runs on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::lines::line_of;

/// Why a campaign file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The file could not be read.
    #[error("cannot read campaign file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A value is out of range or inconsistent, at `line`.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The contact columns dripmail knows by name; `[columns]` may map each onto a CSV header.
/// Made from `contacts::Field`, where each field's name is written once.
pub const KNOWN_COLUMNS: [&str; 13] = {
    let mut names = [""; 13];
    let mut i = 0;
    while i < names.len() {
        names[i] = crate::contacts::Field::ALL[i].name();
        i += 1;
    }
    names
};

/// The longest delay or gap a campaign may give: ten years.
pub const MAX_DAYS: u32 = 3650;

/// `n` as a number of days a campaign may give (0 to [`MAX_DAYS`]).
fn days(n: i64) -> Option<u32> {
    u32::try_from(n).ok().filter(|&d| d <= MAX_DAYS)
}

/// A `holdout` share: from 0 up to (not including) 1; 0 when absent.
fn share(v: Option<f64>) -> Result<f64, String> {
    match v {
        None => Ok(0.0),
        Some(x) if (0.0..1.0).contains(&x) => Ok(x),
        Some(x) => Err(format!(
            "`holdout` is the share of contacts held out, from 0 to under 1 (0.10 for 10 %), not {x}"
        )),
    }
}

/// `CAMPAIGN.toml` exactly as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    id: Spanned<String>,
    name: Option<String>,
    contacts: Spanned<toml::Value>,
    events: Option<Spanned<toml::Value>>,
    enrolled_on: Option<Spanned<toml::Value>>,
    max_rejected_percent: Option<Spanned<i64>>,
    #[serde(default)]
    suppress: Vec<PathBuf>,
    #[serde(default)]
    image_folders: Vec<PathBuf>,
    layouts: Option<PathBuf>,
    country: Option<Spanned<String>>,
    #[serde(default)]
    uppercase_addresses: bool,
    #[serde(default)]
    exit_on: Vec<String>,
    min_gap_days: Option<Spanned<i64>>,
    max_pieces_per_cycle: Option<Spanned<i64>>,
    holdout: Option<Spanned<f64>>,
    max_pieces_per_file: Option<Spanned<i64>>,
    sender: Spanned<Address>,
    imb: Option<Spanned<ImbFile>>,
    #[serde(default)]
    postage: BTreeMap<Spanned<String>, Postage>,
    output_intent: Option<Spanned<crate::layout::OutputIntent>>,
    pdf_standard: Option<Spanned<crate::layout::PdfStandard>>,
    impose: Option<Spanned<String>>,
    stack_depth: Option<Spanned<i64>>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, String>,
    steps: Vec<Spanned<StepFile>>,
}

/// A postal address as written in the campaign (the sender's return address).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Person or business name.
    pub name: String,
    /// Optional company line.
    #[serde(default)]
    pub company: String,
    /// Street line.
    pub address1: String,
    /// Second street line.
    #[serde(default)]
    pub address2: String,
    /// City or town.
    pub city: String,
    /// State or province code.
    #[serde(default)]
    pub state: String,
    /// ZIP, CAP or other postal code.
    pub postal_code: String,
    /// ISO country code; the campaign's `country` when empty.
    #[serde(default)]
    pub country: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImbFile {
    barcode_id: String,
    service_type: String,
    mailer_id: String,
    serials: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    layout: String,
    #[serde(default)]
    delay_days: i64,
    expires_after_days: Option<i64>,
    holdout: Option<f64>,
    when: Option<String>,
    trigger: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    images: BTreeMap<String, PathBuf>,
    #[serde(default)]
    variants: Vec<VariantFile>,
}

/// One A/B variant of a step, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantFile {
    id: String,
    weight: Option<f64>,
    layout: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    images: BTreeMap<String, PathBuf>,
}

/// How the mail to one destination is paid, from `[postage.<destination>]`: the class the
/// manifest names and the indicia printed in each piece's `indicia` box.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Postage {
    /// The mail class, as the manifest says it ("USPS Marketing Mail").
    pub class: String,
    /// The indicia's lines, top to bottom ("PRSRT STD", "US POSTAGE PAID", ...); none when
    /// the shop applies stamps or a meter.
    #[serde(default)]
    pub indicia: Vec<String>,
}

/// What `[postage]` says for one destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostageFor<'a> {
    /// The campaign has no `[postage]`: no indicia, no class (stamps or a meter).
    Unset,
    /// How this destination's mail is paid.
    Paid(&'a Postage),
    /// `[postage]` names no way to pay for mail to this destination.
    Missing,
}

/// The USPS Intelligent Mail barcode identifiers from `[imb]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imb {
    /// Two digits; the second is 0–4.
    pub barcode_id: String,
    /// Three digits.
    pub service_type: String,
    /// Six digits, or nine starting with 9.
    pub mailer_id: String,
    /// The `[imb]` table's line in the campaign file, for messages.
    pub line: usize,
    /// The mailer's IMb serial store, when the campaign names one (resolved); else the
    /// default in dripmail's data folder (`session::serial_store`).
    pub serials: Option<PathBuf>,
}

/// One drip step, checked.
#[derive(Clone, Debug)]
pub struct Step {
    /// Unique id, safe in file names.
    pub id: String,
    /// Layout id, found in the layout set.
    pub layout: String,
    /// Days after the previous step (or enrolment, or the trigger event).
    pub delay_days: u32,
    /// Days after it fell due that a piece may still go out (`expires_after_days`); `None`
    /// for no limit.
    pub expires_after_days: Option<u32>,
    /// The share of contacts held out of this step (`holdout`), 0 to under 1.
    pub holdout: f64,
    /// Condition in the template language; `None` means always.
    pub when: Option<String>,
    /// Event name that makes this a trigger step; `None` for a sequence step.
    pub trigger: Option<String>,
    /// Extra merge fields (templates themselves) this step gives its layout.
    pub fields: BTreeMap<String, String>,
    /// Image slots this step fills, by slot name; paths already resolved.
    pub images: BTreeMap<String, PathBuf>,
    /// Line of the step in the campaign file, for messages.
    pub line: usize,
    /// For an A/B variant of a step: its id (`None` for a step itself).
    pub variant: Option<String>,
    /// For a variant: its weight (the share of the step's pieces is weight / sum of weights).
    pub weight: f64,
    /// The step's A/B variants (`[[steps.variants]]`), each a whole step with the variant's
    /// layout, fields and images over the step's; empty when the step has none.
    pub variants: Vec<Step>,
}

impl Step {
    /// The step's name for its templates and files: `welcome`, or `welcome/b` for a variant.
    #[must_use]
    pub fn key(&self) -> String {
        match &self.variant {
            None => self.id.clone(),
            Some(v) => format!("{}/{v}", self.id),
        }
    }

    /// What its pieces are rendered as: its variants, or the step itself.
    pub fn renderings(&self) -> impl Iterator<Item = &Step> {
        let own = self.variants.is_empty().then_some(self);
        own.into_iter().chain(self.variants.iter())
    }

    /// The start of its files' names: `welcome`, or `welcome-b` for a variant.
    #[must_use]
    pub fn file_stem(&self) -> String {
        match &self.variant {
            None => self.id.clone(),
            Some(v) => format!("{}-{v}", self.id),
        }
    }

    /// The step and its variants.
    pub fn with_variants(&self) -> impl Iterator<Item = &Step> {
        std::iter::once(self).chain(self.variants.iter())
    }

    /// The variant (index into `variants`) contact `contact` gets in campaign `campaign`:
    /// drawn from SHA-256 of the campaign, step and contact ids against the weights, so the
    /// same on every run, machine, thread count and row order; `None` without variants.
    #[must_use]
    pub fn variant_for(&self, campaign: &str, contact: &str) -> Option<usize> {
        if self.variants.is_empty() {
            return None;
        }
        let total: f64 = self.variants.iter().map(|v| v.weight).sum();
        let at = crate::schedule::draw(&["variant", campaign, &self.id, contact]) * total;
        let mut sum = 0.0;
        for (i, v) in self.variants.iter().enumerate() {
            sum += v.weight;
            if at < sum {
                return Some(i);
            }
        }
        Some(self.variants.len() - 1)
    }
}

/// A checked campaign: paths resolved against the campaign file, defaults applied.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The campaign file itself.
    pub path: PathBuf,
    /// Campaign id (ledger key, part of every piece id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Contacts CSV.
    pub contacts: PathBuf,
    /// How its dates are written.
    pub contacts_dates: crate::dates::DateFormat,
    /// Events CSV, if any.
    pub events: Option<PathBuf>,
    /// How its dates are written.
    pub events_dates: crate::dates::DateFormat,
    /// The enrolment date of contacts whose row has none (`enrolled_on`): for exports without
    /// one, such as Shopify's.
    pub enrolled_on: Option<chrono::NaiveDate>,
    /// A run stops, committing nothing, when more than this share of the contact rows is
    /// rejected (percent, 0–100; default 20).
    pub max_rejected_percent: u8,
    /// Suppression lists.
    pub suppress: Vec<PathBuf>,
    /// Folders besides the campaign's own where contacts' images may be (resolved).
    pub image_folders: Vec<PathBuf>,
    /// Where layouts live; `None` means the built-in ones.
    pub layouts: Option<PathBuf>,
    /// Default country (ISO code, upper case) for contacts without one.
    pub country: String,
    /// Events that end the drip for a contact.
    pub exit_on: Vec<String>,
    /// Set US address blocks in USPS Publication 28 style (capitals, no punctuation).
    pub uppercase_addresses: bool,
    /// Frequency cap: minimum days between two pieces to one contact.
    pub min_gap_days: u32,
    /// Capacity: most pieces in one cycle.
    pub max_pieces_per_cycle: usize,
    /// The share of contacts held out of the whole campaign as a control group (`holdout`),
    /// 0 to under 1.
    pub holdout: f64,
    /// Most pieces in one PDF file.
    pub max_pieces_per_file: usize,
    /// Return address.
    pub sender: Address,
    /// Intelligent Mail barcode settings, when the campaign mails with one.
    pub imb: Option<Imb>,
    /// How mail is paid, by destination: `domestic`, `international`, or a country code.
    pub postage: BTreeMap<String, Postage>,
    /// The print shop's printing condition (and ICC profile), overriding the layouts'.
    pub output_intent: Option<crate::layout::OutputIntent>,
    /// Its line in the campaign file (its ICC profile is checked when the job loads).
    pub output_intent_line: usize,
    /// The PDF standard every file claims (`pdf_standard = "PDF/X-4"`), if any.
    pub pdf_standard: Option<crate::layout::PdfStandard>,
    /// Its line in the campaign file (whether each layout's profile allows it is checked
    /// when the job loads).
    pub pdf_standard_line: usize,
    /// The press sheet to impose each file's pieces on, cut and stack (`impose`), if any.
    pub impose: Option<crate::impose::Sheet>,
    /// Most sheets in one stack under the guillotine (`stack_depth`, default 200).
    pub stack_depth: usize,
    /// `[columns]`: our column name → the CSV header.
    pub columns: BTreeMap<String, String>,
    /// `[columns] preset`: the CRM export the contacts file is.
    pub preset: Option<&'static crate::columns::Preset>,
    /// Steps in file order.
    pub steps: Vec<Step>,
}

impl Campaign {
    /// Reads and checks the campaign at `path`.
    ///
    /// # Errors
    /// Fails on an unreadable file, bad TOML, unknown keys and out-of-range values,
    /// naming the file and line.
    pub fn load(path: &Path) -> Result<Campaign, CampaignError> {
        let read_err = |source| CampaignError::Read {
            path: path.to_path_buf(),
            source,
        };
        // A campaign file is a few kilobytes: 1 MiB bounds a wrong path such as /dev/zero.
        let bytes = crate::assets::read_bounded(path, 1 << 20, "").map_err(read_err)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        Campaign::parse(path, &text)
    }

    /// Parses campaign `text` as if read from `path` (relative paths resolve beside it).
    ///
    /// # Errors
    /// As [`Campaign::load`].
    pub fn parse(path: &Path, text: &str) -> Result<Campaign, CampaignError> {
        let file: CampaignFile = toml::from_str(text).map_err(|e| CampaignError::Syntax {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        file.resolve(path, text)
    }

    /// The mail class of mail to `country` (as [`Campaign::postage_for`] finds it), "" when
    /// the campaign has no `[postage]` or none for that destination.
    #[must_use]
    pub fn mail_class(&self, country: &str) -> &str {
        match self.postage_for(country) {
            PostageFor::Paid(p) => p.class.as_str(),
            PostageFor::Unset | PostageFor::Missing => "",
        }
    }

    /// How mail to `country` (an address's country; "" for the campaign's own) is paid: its
    /// own `[postage.<CC>]`, else `domestic` or `international` as seen from the sender.
    #[must_use]
    pub fn postage_for(&self, country: &str) -> PostageFor<'_> {
        if self.postage.is_empty() {
            return PostageFor::Unset;
        }
        let home = if self.sender.country.is_empty() {
            &self.country
        } else {
            &self.sender.country
        };
        let dest = if country.trim().is_empty() {
            self.country.as_str()
        } else {
            country
        };
        let by_country = self.postage.get(&dest.trim().to_ascii_uppercase());
        let by_kind = if crate::address::same_country(dest, home) {
            self.postage.get("domestic")
        } else {
            self.postage.get("international")
        };
        by_country
            .or(by_kind)
            .map_or(PostageFor::Missing, PostageFor::Paid)
    }

    /// The IMb goes on mail to the US only: its service type must be one of the class that
    /// mail pays (USPS's STID table), when `[postage]` names a class the table knows.
    fn check_service_type(&self) -> Result<(), String> {
        use crate::imb::stid::{Stid, UspsClass, stid};
        let Some(imb) = &self.imb else { return Ok(()) };
        let st = &imb.service_type;
        match stid(st) {
            Stid::NotOutbound => Err(format!(
                "`imb.service_type = \"{st}\"` is for Priority Mail, reply mail or Share Mail, not for a mailed piece: USPS Marketing Mail uses 301 (basic) or 261 (Full-Service), First-Class Mail 300 or 260 (without address corrections)"
            )),
            Stid::Unknown => Ok(()),
            Stid::Class(of_stid) => {
                let PostageFor::Paid(postage) = self.postage_for("US") else {
                    return Ok(());
                };
                match UspsClass::of_postage(&postage.class) {
                    Some(class) if class != of_stid => {
                        let (basic, full) = class.plain_stids();
                        Err(format!(
                            "`imb.service_type = \"{st}\"` is a {} service type, but mail to the US goes as {} ([postage]): use a {} service type such as {basic} (basic) or {full} (Full-Service), without address corrections, or the one for the address correction you pay for (USPS's STID table)",
                            of_stid.name(),
                            postage.class,
                            class.name()
                        ))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// The file a contact's CSV cell names (a per-contact image), resolved against the
    /// campaign's folder. It must lie inside that folder or one of `image_folders`, also
    /// after following links: a cell cannot put any file of the machine into the mail.
    ///
    /// # Errors
    /// Why the path is refused, for the held piece's reason.
    pub fn contact_file(&self, value: &str) -> Result<PathBuf, String> {
        let absolute = |p: &Path| std::path::absolute(p).map(|a| crate::assets::lexical(&a));
        let refused = || {
            format!(
                "`{value}` is outside the campaign's folder{}: a contact's file must be there (or in a folder that `image_folders` names)",
                if self.image_folders.is_empty() {
                    ""
                } else {
                    " and its image_folders"
                }
            )
        };
        let dir = if self.dir().as_os_str().is_empty() {
            Path::new(".")
        } else {
            self.dir()
        };
        let roots: Vec<PathBuf> = std::iter::once(dir)
            .chain(self.image_folders.iter().map(PathBuf::as_path))
            .filter_map(|r| absolute(r).ok())
            .collect();
        let path = absolute(&dir.join(value)).map_err(|e| format!("`{value}`: {e}"))?;
        if !roots.iter().any(|r| path.starts_with(r)) {
            return Err(refused());
        }
        // A link inside the folder may lead out of it: compare where both really are.
        if let Ok(real) = path.canonicalize() {
            let inside = roots
                .iter()
                .filter_map(|r| r.canonicalize().ok())
                .any(|r| real.starts_with(r));
            if !inside {
                return Err(refused());
            }
        }
        Ok(path)
    }

    /// The directory the campaign file is in; relative paths resolve against it.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// True for an id that is safe as one folder name on every system: ASCII letters, digits,
/// `-`, `_` and `.`, not empty and not starting with `.`.
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl CampaignFile {
    fn resolve(self, path: &Path, text: &str) -> Result<Campaign, CampaignError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let invalid = |span: std::ops::Range<usize>, message: String| CampaignError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, span.start),
            message,
        };
        if !safe_id(self.id.get_ref().trim()) {
            return Err(invalid(
                self.id.span(),
                format!(
                    "campaign id `{}` must be letters, digits, `-`, `_` or `.`, not starting with `.`: it names the campaign's folder in the output folder",
                    self.id.get_ref()
                ),
            ));
        }
        let min_gap_days = match &self.min_gap_days {
            None => 0,
            Some(v) => days(*v.get_ref()).ok_or_else(|| {
                invalid(
                    v.span(),
                    format!(
                        "`min_gap_days` must be from 0 to {MAX_DAYS} (ten years), not {}",
                        v.get_ref()
                    ),
                )
            })?,
        };
        let positive = |v: &Option<Spanned<i64>>, key: &str, default: usize| match v {
            None => Ok(default),
            Some(v) => usize::try_from(*v.get_ref())
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    invalid(
                        v.span(),
                        format!("`{key}` must be 1 or more, not {}", v.get_ref()),
                    )
                }),
        };
        let max_pieces_per_cycle = positive(
            &self.max_pieces_per_cycle,
            "max_pieces_per_cycle",
            usize::MAX,
        )?;
        let max_pieces_per_file = positive(&self.max_pieces_per_file, "max_pieces_per_file", 500)?;
        let holdout = match &self.holdout {
            None => 0.0,
            Some(v) => share(Some(*v.get_ref())).map_err(|m| invalid(v.span(), m))?,
        };
        let country = match &self.country {
            None => "US".to_string(),
            Some(c) => crate::places::country(c.get_ref())
                .ok_or_else(|| {
                    invalid(
                        c.span(),
                        format!(
                            "country `{}` is not one dripmail knows: write its ISO code (US, IT)",
                            c.get_ref()
                        ),
                    )
                })?
                .alpha2
                .to_string(),
        };
        let mut sender_span = self.sender.span();
        sender_span.end = sender_span.start;
        let mut sender = self.sender.into_inner();
        for (key, value) in [
            ("name", &sender.name),
            ("address1", &sender.address1),
            ("city", &sender.city),
            ("postal_code", &sender.postal_code),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(
                    sender_span.clone(),
                    format!("`sender.{key}` must not be empty"),
                ));
            }
        }
        if sender.country.trim().is_empty() {
            sender.country.clone_from(&country);
        } else {
            sender.country = crate::places::country(&sender.country)
                .ok_or_else(|| {
                    invalid(
                        sender_span.clone(),
                        format!(
                            "`sender.country` `{}` is not one dripmail knows: write its ISO code (US, IT)",
                            sender.country
                        ),
                    )
                })?
                .alpha2
                .to_string();
        }
        let mut postage = BTreeMap::new();
        for (key, p) in self.postage {
            let span = key.span();
            let key = key.into_inner();
            let country = key.len() == 2 && key.bytes().all(|b| b.is_ascii_uppercase());
            if !(country || key == "domestic" || key == "international") {
                return Err(invalid(
                    span,
                    format!(
                        "`[postage.{key}]`: a destination is `domestic`, `international` or a two-letter country code such as `IT`"
                    ),
                ));
            }
            if p.class.trim().is_empty() {
                return Err(invalid(
                    span,
                    format!("`[postage.{key}]` needs a `class`, e.g. \"USPS Marketing Mail\""),
                ));
            }
            postage.insert(key, p);
        }
        let imb = match self.imb {
            None => None,
            Some(imb) => {
                let span = imb.span();
                let mut imb = check_imb(imb.into_inner()).map_err(|m| invalid(span.clone(), m))?;
                imb.serials = imb.serials.map(|p| dir.join(p));
                imb.line = line_of(text, span.start);
                Some((imb, span))
            }
        };
        let mut output_intent_line = 0;
        let output_intent = match self.output_intent {
            None => None,
            Some(oi) => {
                let span = oi.span();
                let mut oi = oi.into_inner();
                oi.profile = oi.profile.map(|p| dir.join(p));
                oi.check_identifier()
                    .map_err(|m| invalid(span.clone(), m))?;
                output_intent_line = line_of(text, span.start);
                Some(oi)
            }
        };
        let (pdf_standard, pdf_standard_line) = match self.pdf_standard {
            None => (None, 0),
            Some(s) => (Some(*s.get_ref()), line_of(text, s.span().start)),
        };
        let impose = match &self.impose {
            None => None,
            Some(v) => {
                Some(crate::impose::Sheet::parse(v.get_ref()).map_err(|m| invalid(v.span(), m))?)
            }
        };
        let stack_depth = positive(&self.stack_depth, "stack_depth", 200)?;
        let mut columns = BTreeMap::new();
        let mut preset = None;
        for (key, header) in self.columns {
            if key.get_ref() == "preset" {
                let ids = || {
                    crate::columns::PRESETS
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                preset = Some(crate::columns::preset(header.trim()).ok_or_else(|| {
                    invalid(
                        key.span(),
                        format!(
                            "`[columns] preset = \"{header}\"` is no export dripmail knows; known: {}",
                            ids()
                        ),
                    )
                })?);
                continue;
            }
            if !KNOWN_COLUMNS.contains(&key.get_ref().as_str()) {
                return Err(invalid(
                    key.span(),
                    format!(
                        "unknown key `{}` in [columns]; known: preset, {}",
                        key.get_ref(),
                        KNOWN_COLUMNS.join(", ")
                    ),
                ));
            }
            columns.insert(key.into_inner(), header);
        }
        let (contacts, contacts_dates) = file_spec(self.contacts.get_ref(), "contacts")
            .map_err(|m| invalid(self.contacts.span(), m))?;
        let (events, events_dates) = match &self.events {
            None => (None, crate::dates::DateFormat::Detect),
            Some(e) => {
                let (path, dates) =
                    file_spec(e.get_ref(), "events").map_err(|m| invalid(e.span(), m))?;
                (Some(path), dates)
            }
        };
        let enrolled_on = match &self.enrolled_on {
            None => None,
            Some(v) => {
                let text = match v.get_ref() {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Datetime(d) => d.to_string(),
                    _ => String::new(),
                };
                Some(
                    crate::dates::parse(&text, None)
                        .ok()
                        .filter(|_| text.len() == 10)
                        .ok_or_else(|| {
                            invalid(
                                v.span(),
                                "`enrolled_on` is the enrolment date of contacts whose row has none: write it as YYYY-MM-DD".into(),
                            )
                        })?,
                )
            }
        };
        let max_rejected_percent = match &self.max_rejected_percent {
            None => 20,
            Some(v) => u8::try_from(*v.get_ref())
                .ok()
                .filter(|&p| p <= 100)
                .ok_or_else(|| {
                    invalid(
                        v.span(),
                        format!(
                            "`max_rejected_percent` must be from 0 to 100, not {}",
                            v.get_ref()
                        ),
                    )
                })?,
        };
        if self.steps.is_empty() {
            return Err(invalid(
                0..0,
                "no [[steps]]: a campaign needs at least one step".into(),
            ));
        }
        let mut steps: Vec<Step> = Vec::with_capacity(self.steps.len());
        for spanned in self.steps {
            let span = spanned.span();
            let line = line_of(text, span.start);
            let step = spanned.into_inner();
            if step.id.is_empty()
                || !step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    span,
                    format!("step id `{}` must be letters, digits, `-` or `_`", step.id),
                ));
            }
            if steps.iter().any(|s| s.id == step.id) {
                return Err(invalid(
                    span,
                    format!("step id `{}` is used twice", step.id),
                ));
            }
            let delay_days = days(step.delay_days).ok_or_else(|| {
                invalid(
                    span.clone(),
                    format!(
                        "step `{}`: `delay_days` must be from 0 to {MAX_DAYS} (ten years), not {}",
                        step.id, step.delay_days
                    ),
                )
            })?;
            let expires_after_days = match step.expires_after_days {
                None => None,
                Some(n) => Some(days(n).ok_or_else(|| {
                    invalid(
                        span.clone(),
                        format!(
                            "step `{}`: `expires_after_days` must be from 0 to {MAX_DAYS}, not {n}",
                            step.id
                        ),
                    )
                })?),
            };
            let holdout = share(step.holdout)
                .map_err(|m| invalid(span.clone(), format!("step `{}`: {m}", step.id)))?;
            if let Some(trigger) = &step.trigger
                && trigger.trim().is_empty()
            {
                return Err(invalid(
                    span,
                    format!("step `{}`: `trigger` must name an event", step.id),
                ));
            }
            let mut variants: Vec<(VariantFile, f64)> = Vec::new();
            for v in step.variants {
                if v.id.is_empty()
                    || !v
                        .id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(invalid(
                        span,
                        format!(
                            "step `{}`: variant id `{}` must be letters, digits, `-` or `_`",
                            step.id, v.id
                        ),
                    ));
                }
                if variants.iter().any(|(w, _)| w.id == v.id) {
                    return Err(invalid(
                        span,
                        format!("step `{}`: variant `{}` is named twice", step.id, v.id),
                    ));
                }
                let weight = v.weight.unwrap_or(1.0);
                if !(weight.is_finite() && weight > 0.0 && weight <= 1e6) {
                    return Err(invalid(
                        span,
                        format!(
                            "step `{}`: variant `{}`: `weight` must be above 0 (and at most 1000000), not {weight}",
                            step.id, v.id
                        ),
                    ));
                }
                variants.push((v, weight));
            }
            if variants.len() == 1 {
                return Err(invalid(
                    span,
                    format!(
                        "step `{}`: one variant is no test: give two or more [[steps.variants]], or none",
                        step.id
                    ),
                ));
            }
            let fields = {
                let mut fields = step.fields;
                // A step's personal URL is the `purl` field: QR codes and the manifest use it.
                if let Some(purl) = step.purl {
                    fields.insert("purl".into(), purl);
                }
                fields
            };
            let images: BTreeMap<String, PathBuf> = step
                .images
                .into_iter()
                .map(|(k, p)| (k, dir.join(p)))
                .collect();
            let base = Step {
                id: step.id,
                layout: step.layout,
                delay_days,
                expires_after_days,
                holdout,
                when: step.when.filter(|w| !w.trim().is_empty()),
                trigger: step.trigger.map(|t| t.trim().to_string()),
                fields,
                images,
                line,
                variant: None,
                weight: 1.0,
                variants: Vec::new(),
            };
            let variants = variants
                .into_iter()
                .map(|(v, weight)| {
                    let mut s = base.clone();
                    if let Some(layout) = v.layout {
                        s.layout = layout;
                    }
                    s.fields.extend(v.fields);
                    s.images
                        .extend(v.images.into_iter().map(|(k, p)| (k, dir.join(p))));
                    s.variant = Some(v.id);
                    s.weight = weight;
                    s
                })
                .collect();
            steps.push(Step { variants, ..base });
        }
        let (imb, imb_span) = match imb {
            Some((imb, span)) => (Some(imb), span),
            None => (None, 0..0),
        };
        let campaign = Campaign {
            path: path.to_path_buf(),
            id: self.id.into_inner().trim().to_string(),
            name: self.name.unwrap_or_default(),
            contacts: dir.join(contacts),
            contacts_dates,
            events: events.map(|p| dir.join(p)),
            events_dates,
            enrolled_on,
            max_rejected_percent,
            suppress: self.suppress.into_iter().map(|p| dir.join(p)).collect(),
            image_folders: self.image_folders.iter().map(|p| dir.join(p)).collect(),
            layouts: self.layouts.map(|p| dir.join(p)),
            country,
            uppercase_addresses: self.uppercase_addresses,
            exit_on: self.exit_on,
            min_gap_days,
            max_pieces_per_cycle,
            holdout,
            max_pieces_per_file,
            sender,
            imb,
            postage,
            output_intent,
            output_intent_line,
            pdf_standard,
            pdf_standard_line,
            impose,
            stack_depth,
            columns,
            preset,
            steps,
        };
        campaign
            .check_service_type()
            .map_err(|m| invalid(imb_span, m))?;
        Ok(campaign)
    }
}

/// A file key: `"file.csv"`, or `{ path = "file.csv", date_format = "DD/MM/YYYY" }`.
fn file_spec(
    value: &toml::Value,
    key: &str,
) -> Result<(PathBuf, crate::dates::DateFormat), String> {
    use crate::dates::DateFormat;
    let usage = || {
        format!(
            "`{key}` is a file name (\"{key}.csv\"), or {{ path = \"{key}.csv\", date_format = \"DD/MM/YYYY\" }}"
        )
    };
    match value {
        toml::Value::String(path) => Ok((PathBuf::from(path), DateFormat::Detect)),
        toml::Value::Table(t) => {
            if let Some(other) = t
                .keys()
                .find(|k| !matches!(k.as_str(), "path" | "date_format"))
            {
                return Err(format!("unknown key `{other}` in `{key}`: {}", usage()));
            }
            let Some(toml::Value::String(path)) = t.get("path") else {
                return Err(usage());
            };
            let dates = match t.get("date_format") {
                None => DateFormat::Detect,
                Some(toml::Value::String(f)) => match crate::dates::parse_format(f)? {
                    None => DateFormat::YearFirst,
                    Some(order) => DateFormat::Given(order),
                },
                Some(_) => return Err(usage()),
            };
            Ok((PathBuf::from(path), dates))
        }
        _ => Err(usage()),
    }
}

fn check_imb(imb: ImbFile) -> Result<Imb, String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let b = imb.barcode_id.as_bytes();
    if !(b.len() == 2 && digits(&imb.barcode_id) && b[1] <= b'4') {
        return Err(format!(
            "`imb.barcode_id` must be two digits, the second 0-4, not `{}`",
            imb.barcode_id
        ));
    }
    if !(imb.service_type.len() == 3 && digits(&imb.service_type)) {
        return Err(format!(
            "`imb.service_type` must be three digits, not `{}`",
            imb.service_type
        ));
    }
    let m = &imb.mailer_id;
    let ok = digits(m)
        && ((m.len() == 6 && !m.starts_with('9')) || (m.len() == 9 && m.starts_with('9')));
    if !ok {
        return Err(format!(
            "`imb.mailer_id` must be 6 digits (not starting with 9) or 9 digits starting with 9, not `{m}`"
        ));
    }
    Ok(Imb {
        barcode_id: imb.barcode_id,
        service_type: imb.service_type,
        mailer_id: imb.mailer_id,
        serials: imb.serials,
        line: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
id = "t"
contacts = "c.csv"
[sender]
name = "Shop"
address1 = "1 Main St"
city = "Springfield"
state = "IL"
postal_code = "62701"
[[steps]]
id = "welcome"
layout = "postcard-6x4"
"#;

    fn parse(text: &str) -> Result<Campaign, CampaignError> {
        Campaign::parse(Path::new("/x/campaign.toml"), text)
    }

    #[test]
    fn minimal_campaign_gets_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.country, "US");
        assert_eq!(c.max_pieces_per_file, 500);
        assert_eq!(c.min_gap_days, 0);
        assert_eq!(c.contacts, Path::new("/x/c.csv"));
        assert_eq!(c.steps[0].line, 10);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = MINIMAL.replace(
            "contacts = \"c.csv\"",
            "contacts = \"c.csv\"\nmax_piece = 3",
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains(":4:") && e.contains("max_piece"), "{e}");
    }

    #[test]
    fn unknown_column_key_is_an_error() {
        let text = format!("{MINIMAL}\n[columns]\nzip = \"ZIP\"\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("unknown key `zip`"), "{e}");
    }

    #[test]
    fn bad_imb_is_an_error() {
        let text = format!(
            "{MINIMAL}\n[imb]\nbarcode_id = \"07\"\nservice_type = \"300\"\nmailer_id = \"123456\"\n"
        );
        assert!(parse(&text).unwrap_err().to_string().contains("barcode_id"));
    }

    #[test]
    fn the_service_type_must_be_of_the_class_us_mail_pays() {
        let with = |postage: &str, stid: &str| {
            parse(&format!(
                "{MINIMAL}\n{postage}\n[imb]\nbarcode_id = \"00\"\nservice_type = \"{stid}\"\nmailer_id = \"123456\"\n"
            ))
        };
        let marketing = "[postage.domestic]\nclass = \"USPS Marketing Mail\"";
        let e = with(marketing, "300").unwrap_err().to_string();
        assert!(
            e.contains("is a First-Class Mail service type")
                && e.contains("goes as USPS Marketing Mail")
                && e.contains("301 (basic) or 261 (Full-Service)"),
            "{e}"
        );
        let imb_line = MINIMAL.lines().count() + 4;
        assert!(
            e.contains(&format!(":{imb_line}:")),
            "names the [imb] line: {e}"
        );
        assert_eq!(with(marketing, "301").unwrap().imb.unwrap().line, imb_line);
        assert!(with(marketing, "271").is_ok(), "Full-Service with IV MTR");
        let first = "[postage.US]\nclass = \"First-Class Mail\"";
        assert!(with(first, "301").is_err());
        assert!(with(first, "300").is_ok());
        // Priority Mail and reply mail never suit a mailed piece; unknown classes and service
        // types are not refused (a warning says the latter).
        assert!(
            with(marketing, "710")
                .unwrap_err()
                .to_string()
                .contains("Priority Mail")
        );
        assert!(with("[postage.domestic]\nclass = \"Stamps\"", "300").is_ok());
        assert!(with(marketing, "999").is_ok());
        assert!(
            with("", "300").is_ok(),
            "no [postage]: nothing to check against"
        );
    }

    #[test]
    fn duplicate_step_ids_are_refused() {
        let text = format!("{MINIMAL}\n[[steps]]\nid = \"welcome\"\nlayout = \"flyer-a4\"\n");
        assert!(parse(&text).unwrap_err().to_string().contains("used twice"));
    }

    #[test]
    fn variants_take_their_weights_and_keep_their_contacts() {
        let text = format!(
            "{MINIMAL}[[steps.variants]]\nid = \"a\"\n[[steps.variants]]\nid = \"b\"\nweight = 3\nlayout = \"postcard-6x9\"\nfields = {{ headline = \"B\" }}\n"
        );
        let c = parse(&text).unwrap();
        let step = &c.steps[0];
        assert_eq!(step.variants.len(), 2);
        let b = &step.variants[1];
        assert_eq!(
            (b.key().as_str(), b.layout.as_str()),
            ("welcome/b", "postcard-6x9")
        );
        assert_eq!(b.fields["headline"], "B");
        let ids: Vec<String> = (0..8000).map(|i| format!("c{i}")).collect();
        let picks: Vec<usize> = ids
            .iter()
            .map(|id| step.variant_for("t", id).unwrap())
            .collect();
        let share_b = picks.iter().filter(|&&v| v == 1).count() as f64 / 8000.0;
        assert!((share_b - 0.75).abs() < 0.03, "{share_b}");
        // The same contact, the same variant; another campaign draws afresh.
        assert_eq!(step.variant_for("t", "c1"), step.variant_for("t", "c1"));
        let other: Vec<usize> = ids
            .iter()
            .map(|id| step.variant_for("u", id).unwrap())
            .collect();
        let same = picks.iter().zip(&other).filter(|(a, b)| a == b).count() as f64 / 8000.0;
        // Independent draws agree 0.75² + 0.25² = 62.5 % of the time.
        assert!((same - 0.625).abs() < 0.03, "{same}");
        // Bad variants are refused with the step named.
        for (extra, message) in [
            ("[[steps.variants]]\nid = \"a\"\n", "one variant is no test"),
            (
                "[[steps.variants]]\nid = \"a\"\n[[steps.variants]]\nid = \"a\"\n",
                "variant `a` is named twice",
            ),
            (
                "[[steps.variants]]\nid = \"a\"\nweight = 0\n[[steps.variants]]\nid = \"b\"\n",
                "`weight` must be above 0",
            ),
            (
                "[[steps.variants]]\nid = \"a b\"\n[[steps.variants]]\nid = \"b\"\n",
                "variant id `a b` must be letters",
            ),
        ] {
            let e = parse(&format!("{MINIMAL}{extra}")).unwrap_err().to_string();
            assert!(e.contains(message) && e.contains("step `welcome`"), "{e}");
        }
        let e = parse(&format!("{MINIMAL}holdout = 1.0\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`holdout` is the share"), "{e}");
        let e = parse(&format!("{MINIMAL}expires_after_days = -1\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`expires_after_days` must be from 0"), "{e}");
    }

    #[test]
    fn days_are_bounded_to_ten_years() {
        let gap = MINIMAL.replace(
            "contacts = \"c.csv\"",
            "contacts = \"c.csv\"\nmin_gap_days = 100000000000",
        );
        let e = parse(&gap).unwrap_err().to_string();
        assert!(
            e.contains("`min_gap_days` must be from 0 to 3650 (ten years), not 100000000000"),
            "{e}"
        );
        let delay = format!("{MINIMAL}delay_days = 3651\n");
        let e = parse(&delay).unwrap_err().to_string();
        assert!(e.contains("`delay_days` must be from 0 to 3650"), "{e}");
        let ok = format!("{MINIMAL}delay_days = 3650\n");
        assert_eq!(parse(&ok).unwrap().steps[0].delay_days, 3650);
    }

    #[test]
    fn postage_is_chosen_by_destination() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.postage_for("IT"), PostageFor::Unset);
        let text = format!(
            "{MINIMAL}\n[postage.domestic]\nclass = \"USPS Marketing Mail\"\nindicia = [\"PRSRT MKTG\"]\n\
             [postage.CA]\nclass = \"Canada\"\n"
        );
        let c = parse(&text).unwrap();
        let class = |country: &str| match c.postage_for(country) {
            PostageFor::Paid(p) => p.class.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(class("US"), "USPS Marketing Mail");
        assert_eq!(class("us"), "USPS Marketing Mail");
        assert_eq!(class(""), "USPS Marketing Mail", "the campaign's country");
        assert_eq!(class("CA"), "Canada", "a country's own entry wins");
        assert_eq!(
            class("IT"),
            "Missing",
            "abroad, and no [postage.international]"
        );
        let bad = format!("{MINIMAL}\n[postage.abroad]\nclass = \"x\"\n");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(
            e.contains("`[postage.abroad]`: a destination is `domestic`"),
            "{e}"
        );
        let no_class = format!("{MINIMAL}\n[postage.domestic]\nclass = \" \"\n");
        assert!(
            parse(&no_class)
                .unwrap_err()
                .to_string()
                .contains("needs a `class`")
        );
    }

    #[test]
    fn a_campaign_names_its_printing_condition() {
        let text = MINIMAL.replace(
            "contacts = \"c.csv\"",
            "contacts = \"c.csv\"\noutput_intent = \"FOGRA51\"",
        );
        let c = parse(&text).unwrap();
        let oi = c.output_intent.unwrap();
        assert_eq!(oi.identifier, "FOGRA51");
        assert_eq!(c.output_intent_line, 4);
    }
}
