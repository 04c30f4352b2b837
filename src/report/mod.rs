//! What a cycle reports: the summary (also `--json`), the manifest, rejects, preflight and
//! the job ticket.

mod files;
mod summary;
mod ticket;

pub use files::MANIFEST_COLUMNS;
pub(crate) use files::{manifest_writer, write_reports};
pub use summary::*;
pub use ticket::job_ticket;
