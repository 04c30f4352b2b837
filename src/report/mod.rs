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
