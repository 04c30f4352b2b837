//! What can go wrong with a ledger, each said once, in words, with a hint.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::ErrorCode;

/// Why the ledger could not be used. Each message says it in words, once, with a hint.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// SQLite failed while doing `doing`.
    #[error("{}", sql_words(path, doing, cause).0)]
    Sql {
        /// The ledger (or serial store) file.
        path: PathBuf,
        /// What was being done, as a verb phrase ("read the committed cycles").
        doing: &'static str,
        /// SQLite's error (not a `source`: its text is part of the message, said once).
        cause: rusqlite::Error,
    },
    /// The ledger's folder could not be created, or a file beside it not written.
    #[error("cannot {doing} `{}`: {cause}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done.
        doing: &'static str,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file is damaged: the integrity check or a row failed.
    #[error(
        "the ledger `{}` is damaged: {detail}",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The file cannot be written by this user, and a run must write it.
    #[error(
        "the ledger `{}` is read-only here: a run cannot commit to it",
        path.display()
    )]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// The file is a SQLite database of another program.
    #[error("`{}` is not a dripmail ledger", path.display())]
    NotALedger {
        /// The file.
        path: PathBuf,
    },
    /// A newer dripmail wrote the file.
    #[error(
        "the ledger `{}` has schema version {found}, newer than this dripmail knows ({known})",
        path.display()
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version this build writes.
        known: i64,
    },
    /// The file must be upgraded but cannot be written here.
    #[error(
        "the ledger `{}` was written by an older dripmail and must be upgraded, but it is read-only here",
        path.display()
    )]
    Outdated {
        /// The file.
        path: PathBuf,
    },
    /// The cycle date is earlier than the last committed one.
    #[error(
        "cycle {date} is earlier than the last committed cycle {last} of campaign `{campaign}`"
    )]
    Earlier {
        /// Campaign id.
        campaign: String,
        /// The date asked for.
        date: NaiveDate,
        /// The last committed cycle.
        last: NaiveDate,
    },
    /// An IMb serial was used by another run within 45 days.
    #[error(
        "IMb serial {serial} of mailer id {mailer_id} was used in the last 45 days by another campaign; nothing was committed"
    )]
    SerialReused {
        /// Mailer id.
        mailer_id: String,
        /// The serial.
        serial: u64,
    },
    /// The cycle was committed meanwhile (another run).
    #[error("cycle {date} of campaign `{campaign}` is already committed")]
    AlreadyCommitted {
        /// Campaign id.
        campaign: String,
        /// Cycle date.
        date: NaiveDate,
    },
}

impl crate::error::Advice for LedgerError {
    fn hint(&self) -> Option<String> {
        let hint = match self {
            LedgerError::Sql { path, doing, cause } => sql_words(path, doing, cause).1?,
            LedgerError::Io { .. } | LedgerError::AlreadyCommitted { .. } => return None,
            LedgerError::Damaged { .. } => {
                "nothing was committed; restore the ledger from a backup (or ask for help before running again)"
            }
            LedgerError::ReadOnly { .. } => {
                "let this user write the ledger file and its folder, or pass another file with --ledger"
            }
            LedgerError::NotALedger { .. } => "pass the right file with --ledger",
            LedgerError::Newer { .. } => "run the dripmail that wrote it, or a newer one",
            LedgerError::Outdated { .. } => "run `dripmail run` once as a user who may write it",
            LedgerError::Earlier { last, .. } => {
                return Some(format!("cycles run forward: pick a date after {last}"));
            }
            LedgerError::SerialReused { .. } => {
                "run the cycle again: it picks serials that are free"
            }
        };
        Some(hint.to_string())
    }
}

/// SQLite's error in words: what happened to the file and what was being done, and what to
/// do about it.
fn sql_words(path: &Path, doing: &str, cause: &rusqlite::Error) -> (String, Option<&'static str>) {
    let p = path.display();
    let code = cause.sqlite_error_code();
    match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            format!("the ledger `{p}` stayed locked by another process for 10 s: cannot {doing}"),
            Some("another dripmail is committing or reading it; try again when it is done"),
        ),
        Some(ErrorCode::ReadOnly) => {
            let rollback = matches!(
                cause,
                rusqlite::Error::SqliteFailure(e, _) if e.extended_code == 776
            );
            if rollback {
                (
                    format!(
                        "the ledger `{p}` holds an unfinished commit of a run that crashed, and it is read-only here, so it cannot be rolled back: cannot {doing}"
                    ),
                    Some(
                        "run any dripmail command once as a user who may write the ledger and its folder",
                    ),
                )
            } else {
                (
                    format!("the ledger `{p}` is read-only here: cannot {doing}"),
                    Some(
                        "let this user write the ledger file and its folder, or pass another file with --ledger",
                    ),
                )
            }
        }
        Some(ErrorCode::DiskFull) => (
            format!("the disk holding the ledger `{p}` is full: cannot {doing}"),
            Some("free some space and run again"),
        ),
        Some(ErrorCode::DatabaseCorrupt) => (
            format!("the ledger `{p}` is damaged (SQLite found a malformed page): cannot {doing}"),
            Some("nothing was committed; restore the ledger from a backup"),
        ),
        Some(ErrorCode::NotADatabase) => (
            format!(
                "`{p}` is not a dripmail ledger (not an SQLite file, or damaged): cannot {doing}"
            ),
            Some("pass the right file with --ledger, or restore it from a backup"),
        ),
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => (
            format!("cannot open the ledger `{p}` to {doing}: {}", short(cause)),
            Some("check that its folder exists and this user may read and write it"),
        ),
        Some(ErrorCode::SystemIoFailure) => (
            format!("the ledger `{p}` could not be read or written (I/O error): cannot {doing}"),
            Some("check the disk, then run again"),
        ),
        _ => (
            format!("ledger `{p}`: cannot {doing}: {}", short(cause)),
            None,
        ),
    }
}

/// SQLite's own message without the code rusqlite appends.
pub(super) fn short(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(m)) => {
            if m.is_empty() {
                f.to_string()
            } else {
                m.clone()
            }
        }
        other => other.to_string(),
    }
}
