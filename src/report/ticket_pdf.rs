//! The one-page job ticket for people, as a PDF: what the press room and the mail room need
//! on paper beside the job — campaign, cycle and drop date, the customer, per step and layout
//! the trim, stock, sides, mail class and counts, the press sheets and how they are cut and
//! stacked, pieces per mail class and per presort group. It is made from the cycle folder's
//! `jobticket.json`, so it says what the machines' ticket says, and is written outside the
//! cycle folder (`OUT/<campaign>/tickets/<date>.pdf`): every PDF in a cycle folder is a print
//! file a shop's hot folder may pick up.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::layout::{Cmyk, Font, Layout, Mark, Run};
use crate::render::{FileWriter, PdfOptions};
use crate::resources::Resources;

/// Left and right margins; the page is US Letter.
const MARGIN: f64 = 40.0;
/// The lowest baseline a row may use before the footer.
const BOTTOM: f64 = 735.0;

/// Reads `cycle_dir/jobticket.json` and writes the one-page ticket to `to` (whole: written
/// beside it, then renamed), creating its folder. Returns `to`.
///
/// # Errors
/// When the cycle folder has no readable `jobticket.json`, or the PDF cannot be written.
pub fn write_ticket_pdf(cycle_dir: &Path, to: &Path) -> Result<PathBuf> {
    let path = cycle_dir.join("jobticket.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let ticket: Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a job ticket", path.display()))?;
    let bytes = ticket_pdf(&ticket)?;
    let dir = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in `{}`", dir.display()))?;
    std::io::Write::write_all(&mut tmp, &bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write `{}`", to.display()))?;
    tmp.persist(to)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write `{}`", to.display()))?;
    Ok(to.to_path_buf())
}

/// The ticket of `ticket` (a `jobticket.json` document) as a one-page PDF.
///
/// # Errors
/// When the built-in ticket layout or its fonts cannot be loaded (a broken build).
pub(crate) fn ticket_pdf(ticket: &Value) -> Result<Vec<u8>> {
    let resources = Resources::default();
    let dir = Path::new(crate::assets::BUILTIN_ROOT).join("tickets");
    let layout = Layout::load(&resources, &dir, "job-ticket")
        .map_err(|e| anyhow::anyhow!("the built-in ticket layout: {e}"))?;
    let mut page = Page::new(&layout);
    fill(&mut page, ticket);
    let intent = crate::layout::OutputIntent::default_swop();
    let mut writer = FileWriter::new(&layout, &intent, &resources);
    writer.add_page(0, &page.marks)?;
    let date = ticket["cycle_date"]
        .as_str()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_default();
    let id = ticket["campaign"]["id"].as_str().unwrap_or_default();
    Ok(writer.finish(&PdfOptions {
        title: format!("Job ticket – {id} – {date}"),
        ident: format!("ticket/{id}/{date}"),
        standard: None,
        date,
    })?)
}

/// Lays the ticket's facts out on `page`, top to bottom; rows that would run past the
/// footer are counted and pointed to `jobticket.json` instead.
fn fill(page: &mut Page, t: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let campaign = &t["campaign"];
    page.text(MARGIN, 52.0, 18.0, true, "JOB TICKET", 300.0);
    page.right(612.0 - MARGIN, 52.0, 9.0, false, "dripmail");
    page.y = 78.0;
    page.line(
        &format!("{}  ({})", s(&campaign["name"]), s(&campaign["id"])),
        12.0,
        true,
    );
    page.pair("Cycle", &s(&t["cycle_date"]));
    page.pair(
        "Drop date",
        &format!("{}: hand the mail to the post that day", s(&t["drop_date"])),
    );
    let c = &t["customer"];
    let customer: Vec<String> = [
        &c["company"],
        &c["name"],
        &c["address1"],
        &c["address2"],
        &c["city"],
        &c["state"],
        &c["postal_code"],
        &c["country"],
    ]
    .iter()
    .map(|v| s(v))
    .filter(|v| !v.is_empty())
    .collect();
    page.pair("Customer", &customer.join(", "));
    let totals = &t["totals"];
    let sheets = n(&totals["sheets"]);
    page.pair(
        "Totals",
        &format!(
            "{}, {}, {}{}",
            crate::words::count(n(&totals["files"]), "file", "files"),
            crate::words::count(n(&totals["pieces"]), "piece", "pieces"),
            crate::words::count(n(&totals["pages"]), "page", "pages"),
            if sheets > 0 {
                format!(
                    ", {}",
                    crate::words::count(sheets, "press sheet", "press sheets")
                )
            } else {
                String::new()
            }
        ),
    );
    page.pair(
        "Overs",
        "none: every piece is addressed; reprint a spoiled one with `dripmail reprint`",
    );

    // Files, grouped by step, layout, mail class and sheet: a large cycle has hundreds.
    let files = t["files"].as_array().cloned().unwrap_or_default();
    let mut groups: Vec<Group> = Vec::new();
    for f in &files {
        // A variant's files are a group of their own: step shown as `welcome/b`.
        let step = match f["variant"].as_str() {
            Some(v) => format!("{}/{v}", s(&f["step"])),
            None => s(&f["step"]),
        };
        let key = (
            step,
            s(&f["layout"]),
            s(&f["mail_class"]),
            s(&f["sheets"]["sheet"]),
        );
        let at = match groups.iter().position(|g| g.key == key) {
            Some(i) => i,
            None => {
                groups.push(Group::new(key, f));
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.files.push(s(&f["file"]));
        g.pieces += n(&f["pieces"]);
        g.pages += n(&f["pages"]);
        g.sheets += n(&f["sheets"]["sheets"]);
    }
    page.section("Files");
    let cols = [
        ("Step / layout", 96.0),
        ("Files", 36.0),
        ("Finished size, stock", 134.0),
        ("Mail class, sides", 124.0),
        ("Pieces", 46.0),
        ("Pages", 46.0),
        ("Sheets", 50.0),
    ];
    page.row(&cols, &cols.map(|c| c.0.to_string()), true);
    let mut left = 0;
    for (k, g) in groups.iter().enumerate() {
        if page.y + 36.0 > BOTTOM {
            left = groups.len() - k;
            break;
        }
        page.row(
            &cols,
            &[
                g.key.0.clone(),
                g.files.len().to_string(),
                g.size.clone(),
                if g.key.2.is_empty() {
                    "no mail class".into()
                } else {
                    g.key.2.clone()
                },
                g.pieces.to_string(),
                g.pages.to_string(),
                if g.key.3.is_empty() {
                    "—".into()
                } else {
                    g.sheets.to_string()
                },
            ],
            false,
        );
        page.row(
            &cols,
            &[
                g.key.1.clone(),
                String::new(),
                g.stock.clone(),
                g.sides.clone(),
                String::new(),
                String::new(),
                String::new(),
            ],
            false,
        );
        let names = match g.files.as_slice() {
            [one] => one.clone(),
            [first, .., last] => format!("{first} to {last}"),
            [] => String::new(),
        };
        page.indented(&format!("{names}; bleed {} in each side", g.bleed));
        for extra in [&g.folding, &g.closing] {
            if !extra.is_empty() {
                page.indented(extra);
            }
        }
        if !g.key.3.is_empty() {
            page.indented(&format!(
                "Press sheets {}: {} up ({} across x {} down{}), {}; work and turn; cut and stack in blocks of {} sheets",
                g.key.3,
                g.up,
                g.across,
                g.down,
                if g.rotated { ", turned" } else { "" },
                crate::words::count(g.sheets, "sheet", "sheets"),
                g.stack_depth
            ));
        }
        page.y += 4.0;
    }
    if left > 0 {
        page.line(
            &format!("… and {left} more: see jobticket.json in the cycle folder"),
            8.0,
            false,
        );
    }

    page.section("Mail classes");
    let classes = t["mail_classes"].as_array().cloned().unwrap_or_default();
    if classes.is_empty() {
        page.line("no [postage] in the campaign", 9.0, false);
    }
    for c in &classes {
        page.pair(
            &s(&c["class"]),
            &format!(
                "{} (step {})",
                crate::words::count(n(&c["pieces"]), "piece", "pieces"),
                s(&c["step"])
            ),
        );
    }

    page.section("Presort");
    let presort = t["presort"].as_array().cloned().unwrap_or_default();
    let mut by_step: Vec<(String, Vec<String>)> = Vec::new();
    for p in &presort {
        let step = s(&p["step"]);
        let item = format!("{}: {}", s(&p["group"]), n(&p["pieces"]));
        match by_step.iter_mut().find(|(st, _)| *st == step) {
            Some((_, items)) => items.push(item),
            None => by_step.push((step, vec![item])),
        }
    }
    for (step, items) in &by_step {
        page.wrapped(&format!("{step} (group: pieces) — {}", items.join(" · ")));
    }
    if page.full {
        page.text(
            MARGIN,
            BOTTOM + 10.0,
            8.0,
            true,
            "… more than one page holds: the rest is in jobticket.json",
            400.0,
        );
    }
    page.footer(
        "Every file's SHA-256 is in summary.json; the same ticket for software: jobticket.json and jobticket.xjdf.",
    );
}

/// The files of one step, layout, mail class and press sheet.
struct Group {
    /// (step, layout, mail class, sheet).
    key: (String, String, String, String),
    files: Vec<String>,
    size: String,
    bleed: f64,
    stock: String,
    sides: String,
    folding: String,
    closing: String,
    pieces: u64,
    pages: u64,
    sheets: u64,
    up: u64,
    across: u64,
    down: u64,
    rotated: bool,
    stack_depth: u64,
}

impl Group {
    fn new(key: (String, String, String, String), f: &Value) -> Group {
        let size = &f["finished_size"];
        let num = |v: &Value| v.as_f64().unwrap_or(0.0);
        let sh = &f["sheets"];
        Group {
            key,
            files: Vec::new(),
            size: format!(
                "{} x {} in ({} x {} mm)",
                num(&size["width_in"]),
                num(&size["height_in"]),
                num(&size["width_mm"]).round(),
                num(&size["height_mm"]).round(),
            ),
            bleed: num(&f["bleed_in"]),
            stock: f["stock"].as_str().unwrap_or("stock not named").to_string(),
            sides: format!(
                "{} sided, {}",
                if f["sides"].as_u64() == Some(1) {
                    "one"
                } else {
                    "two"
                },
                f["colors"].as_str().unwrap_or_default()
            ),
            folding: f["folding"]
                .as_str()
                .map(|x| format!("Folding: {x}"))
                .unwrap_or_default(),
            closing: f["closing"]
                .as_str()
                .map(|x| format!("Closing: {x}"))
                .unwrap_or_default(),
            pieces: 0,
            pages: 0,
            sheets: 0,
            up: sh["up"].as_u64().unwrap_or(0),
            across: sh["across"].as_u64().unwrap_or(0),
            down: sh["down"].as_u64().unwrap_or(0),
            rotated: sh["rotated"].as_bool().unwrap_or(false),
            stack_depth: sh["stack_depth"].as_u64().unwrap_or(0),
        }
    }
}

/// The page being laid out: its marks and the next baseline.
struct Page {
    fonts: [Arc<Font>; 2],
    marks: Vec<Mark>,
    y: f64,
    /// True once a row was left out for want of room: nothing more goes on the page but
    /// the footer.
    full: bool,
}

impl Page {
    fn new(layout: &Layout) -> Page {
        Page {
            fonts: [Arc::clone(&layout.fonts[0]), Arc::clone(&layout.fonts[1])],
            marks: Vec::new(),
            y: 0.0,
            full: false,
        }
    }

    /// `text` at (x, baseline y), cut with `…` to `max` points wide.
    fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, text: &str, max: f64) {
        let font = usize::from(bold);
        let mut s = text.to_string();
        let mut glyphs = self.fonts[font].shape(&s);
        while !s.is_empty() && width(&glyphs) * size > max {
            s.pop();
            let cut = format!("{}…", s.trim_end());
            glyphs = self.fonts[font].shape(&cut);
        }
        self.marks.push(Mark::Text {
            size,
            color: Cmyk([0.0, 0.0, 0.0, 1.0]),
            lines: vec![(x, y, vec![Run { font, glyphs }])],
        });
    }

    /// `text` ending at `right`.
    fn right(&mut self, right: f64, y: f64, size: f64, bold: bool, text: &str) {
        let w = width(&self.fonts[usize::from(bold)].shape(text)) * size;
        self.text(right - w, y, size, bold, text, w + 1.0);
    }

    /// Room for a line `need` points tall? Marks the page full when not.
    fn room(&mut self, need: f64) -> bool {
        if self.full || self.y + need > BOTTOM {
            self.full = true;
            return false;
        }
        true
    }

    fn line(&mut self, text: &str, size: f64, bold: bool) {
        if !self.room(size + 4.0) {
            return;
        }
        self.y += size + 4.0;
        self.text(MARGIN, self.y, size, bold, text, 612.0 - 2.0 * MARGIN);
    }

    /// `label: value` on one line.
    fn pair(&mut self, label: &str, value: &str) {
        if !self.room(13.0) {
            return;
        }
        self.y += 13.0;
        self.text(MARGIN, self.y, 9.0, true, label, 160.0);
        self.text(
            MARGIN + 165.0,
            self.y,
            9.0,
            false,
            value,
            612.0 - 2.0 * MARGIN - 165.0,
        );
    }

    fn section(&mut self, title: &str) {
        if !self.room(30.0) {
            return;
        }
        self.y += 22.0;
        self.text(MARGIN, self.y, 11.0, true, title, 300.0);
        self.y += 3.0;
        self.marks.push(Mark::Line {
            from: (MARGIN, self.y),
            to: (612.0 - MARGIN, self.y),
            width: 0.5,
            color: Cmyk([0.0, 0.0, 0.0, 1.0]),
        });
    }

    /// One table row: a cell per column (name, width); numbers right-aligned.
    fn row(&mut self, cols: &[(&str, f64)], cells: &[String], bold: bool) {
        if !self.room(11.0) {
            return;
        }
        self.y += 11.0;
        let mut x = MARGIN;
        for ((_, w), cell) in cols.iter().zip(cells) {
            let numeric = !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
            if numeric {
                self.right(x + w - 10.0, self.y, 8.0, bold, cell);
            } else {
                self.text(x, self.y, 8.0, bold, cell, w - 8.0);
            }
            x += w;
        }
    }

    fn indented(&mut self, text: &str) {
        if !self.room(11.0) {
            return;
        }
        self.y += 11.0;
        self.text(
            MARGIN + 12.0,
            self.y,
            8.0,
            false,
            text,
            612.0 - 2.0 * MARGIN - 12.0,
        );
    }

    /// `text` in 8 pt lines, broken at spaces, as many lines as there is room for.
    fn wrapped(&mut self, text: &str) {
        let max = (612.0 - 2.0 * MARGIN) / 8.0;
        let mut line = String::new();
        for word in text.split(' ') {
            if self.full {
                return;
            }
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&self.fonts[0].shape(&candidate)) > max && !line.is_empty() {
                self.line(&line, 8.0, false);
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.line(&line, 8.0, false);
        }
    }

    fn footer(&mut self, text: &str) {
        self.marks.push(Mark::Line {
            from: (MARGIN, 752.0),
            to: (612.0 - MARGIN, 752.0),
            width: 0.5,
            color: Cmyk([0.0, 0.0, 0.0, 1.0]),
        });
        self.text(MARGIN, 764.0, 7.5, false, text, 612.0 - 2.0 * MARGIN);
    }
}

/// Width of shaped glyphs, in em.
fn width(glyphs: &[crate::layout::font::ShapedGlyph]) -> f64 {
    glyphs.iter().map(|g| g.advance).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of the ticket's page, as a PDF reader extracts it.
    fn text(pdf: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 1, "one page");
        doc.extract_text(&[1]).unwrap()
    }

    fn file(i: usize) -> Value {
        serde_json::json!({
            "file": format!("step{i}-postcard-6x4-001.pdf"),
            "step": format!("step{i}"),
            "layout": "postcard-6x4",
            "mail_class": "USPS Marketing Mail",
            "finished_size": {"width_in": 6.0, "height_in": 4.0, "width_mm": 152.4, "height_mm": 101.6},
            "bleed_in": 0.125,
            "stock": "14 pt C2S cover, 4/4",
            "sides": 2,
            "colors": "4/4",
            "pieces": 10,
            "pages": 20,
            "sheets": null,
        })
    }

    fn ticket(files: usize, groups: usize) -> Value {
        serde_json::json!({
            "schema_version": 1,
            "campaign": {"id": "fall", "name": "Fall & winter"},
            "cycle_date": "2026-11-24",
            "drop_date": "2026-11-24",
            "customer": {"company": "Bottega Verde", "city": "Springfield"},
            "totals": {"files": files, "pieces": files * 10, "pages": files * 20, "sheets": 0},
            "mail_classes": [{"step": "step0", "class": "USPS Marketing Mail", "pieces": 10}],
            "presort": (0..groups).map(|g| serde_json::json!({"step": "step0", "group": format!("5D:{g:05}"), "pieces": 1})).collect::<Vec<_>>(),
            "files": (0..files).map(file).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn the_ticket_says_the_facts_of_jobticket_json() {
        let t = text(&ticket_pdf(&ticket(2, 3)).unwrap());
        for part in [
            "JOB TICKET",
            "Fall & winter",
            "2026-11-24",
            "Bottega Verde",
            "2 files, 20 pieces, 40 pages",
            "step1",
            "USPS Marketing Mail",
            "14 pt C2S cover",
            "5D:00002: 1",
        ] {
            assert!(t.contains(part), "{part} not in {t}");
        }
        assert!(!t.contains("more than one page holds"), "{t}");
    }

    #[test]
    fn a_cycle_too_big_for_one_page_stays_on_one_and_says_where_the_rest_is() {
        let t = text(&ticket_pdf(&ticket(300, 5000)).unwrap());
        assert!(t.contains("300 files"), "{t}");
        assert!(t.contains("more: see jobticket.json"), "{t}");
        assert!(t.contains("more than one page holds"), "{t}");
    }
}
