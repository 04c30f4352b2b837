//! What a cycle reports: the summary (also `--json`), the manifest, rejects, preflight and
//! the job ticket.

mod files;
mod manifest;
mod summary;
mod ticket;
mod ticket_pdf;
mod xjdf;

pub(crate) use files::write_reports;
pub(crate) use manifest::{Manifest, ManifestRow, SheetPlace};
pub use summary::*;
pub use ticket::job_ticket;
pub use ticket_pdf::write_ticket_pdf;

/// `text` for XML, as an attribute value or as text (the XJDF ticket, the SVG charts): `&`,
/// `<`, `>` and quotes escaped, control characters as spaces.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
