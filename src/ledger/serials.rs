//! The IMb serial store: one SQLite file per mailer id, shared by every campaign (and
//! ledger) that prints that mailer's barcodes.

use super::LedgerError;
use rusqlite::Connection;
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE serials (
    mailer_id   TEXT NOT NULL,
    serial      INTEGER NOT NULL,
    cycle_date  TEXT NOT NULL,
    campaign    TEXT NOT NULL,
    piece_id    TEXT NOT NULL,
    ledger      TEXT NOT NULL,
    PRIMARY KEY (mailer_id, serial, cycle_date)
);
CREATE TABLE counters (
    mailer_id  TEXT PRIMARY KEY,
    next       INTEGER NOT NULL
);
PRAGMA user_version = 1;
PRAGMA application_id = 1146243411;
";

/// "DRIS": a dripmail IMb serial store.
const APPLICATION_ID: i64 = 1_146_243_411;

/// Creates the store at `path` atomically (built beside it, flushed, renamed).
pub(super) fn create(path: &Path) -> Result<(), LedgerError> {
    super::files::create_whole(path, "create the IMb serial store", |conn| {
        conn.execute_batch(SCHEMA)
    })
}

/// Checks that the attached `store` is a serial store this build knows.
pub(super) fn check(conn: &Connection, path: &Path) -> Result<(), LedgerError> {
    let sql = |cause| LedgerError::Sql {
        path: path.to_path_buf(),
        doing: "read the IMb serial store",
        cause,
    };
    let app: i64 = conn
        .query_row("PRAGMA store.application_id", [], |r| r.get(0))
        .map_err(sql)?;
    let version: i64 = conn
        .query_row("PRAGMA store.user_version", [], |r| r.get(0))
        .map_err(sql)?;
    if app != APPLICATION_ID || version != 1 {
        return Err(LedgerError::NotALedger {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}
