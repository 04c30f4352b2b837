//! The ledger's tables, its version (`PRAGMA user_version`) and the migrations between versions.

use rusqlite::Connection;

/// The version this build writes. Version 1 is the unversioned schema of dripmail 0.1
/// (`user_version` 0 with tables); 0 with no tables is a ledger not created yet.
pub const VERSION: i64 = 5;

/// Marks a SQLite file as a dripmail ledger (`PRAGMA application_id`, "DRIP").
pub const APPLICATION_ID: i64 = 0x4452_4950;

/// Version 1, as dripmail 0.1 created it; migrations start from here.
const V1: &str = "
CREATE TABLE IF NOT EXISTS cycles (
    campaign     TEXT NOT NULL,
    cycle_date   TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    issued       INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    files        INTEGER NOT NULL,
    PRIMARY KEY (campaign, cycle_date)
);
CREATE TABLE IF NOT EXISTS decisions (
    campaign    TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('issued', 'skipped')),
    piece_id    TEXT,
    file        TEXT,
    first_page  INTEGER,
    PRIMARY KEY (campaign, contact_id, step)
);
CREATE INDEX IF NOT EXISTS decisions_by_cycle ON decisions (campaign, cycle_date);
CREATE TABLE IF NOT EXISTS imb_serials (
    mailer_id   TEXT NOT NULL,
    serial      INTEGER NOT NULL,
    cycle_date  TEXT NOT NULL,
    campaign    TEXT NOT NULL,
    piece_id    TEXT NOT NULL,
    code        TEXT NOT NULL,
    PRIMARY KEY (mailer_id, serial, cycle_date)
);
CREATE INDEX IF NOT EXISTS imb_by_piece ON imb_serials (campaign, piece_id);
CREATE TABLE IF NOT EXISTS imb_counters (
    mailer_id  TEXT PRIMARY KEY,
    next       INTEGER NOT NULL
);
";

/// Version 1 → 2: where each cycle's folder is and whether it is in place yet, each file's
/// checksum, the IMb code on the decision itself, and the audit trail of voided cycles.
const V2: &str = "
ALTER TABLE cycles ADD COLUMN folder TEXT;
ALTER TABLE cycles ADD COLUMN staging TEXT;
ALTER TABLE cycles ADD COLUMN published INTEGER NOT NULL DEFAULT 1;
ALTER TABLE decisions ADD COLUMN imb TEXT;
UPDATE decisions SET imb = (
    SELECT code FROM imb_serials s
    WHERE s.campaign = decisions.campaign AND s.piece_id = decisions.piece_id
      AND s.cycle_date = decisions.cycle_date
) WHERE outcome = 'issued';
CREATE TABLE cycle_files (
    campaign    TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    file        TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (campaign, cycle_date, file)
);
CREATE TABLE voids (
    id           INTEGER PRIMARY KEY,
    campaign     TEXT NOT NULL,
    cycle_date   TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    voided_at    TEXT NOT NULL,
    voided_by    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    issued       INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    files        INTEGER NOT NULL,
    folder       TEXT,
    moved_to     TEXT,
    moved        INTEGER NOT NULL
);
CREATE TABLE voided_decisions (
    campaign    TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    piece_id    TEXT,
    file        TEXT,
    first_page  INTEGER,
    imb         TEXT,
    voided_at   TEXT NOT NULL
);
";

/// Version 2 → 3: pieces held back in each cycle (text that did not fit, an unreadable
/// image, no postage...), so `history` can say why a contact got nothing; and the contact
/// rows each cycle's pieces were rendered from, so `reprint` gives what was mailed after the
/// contacts file changed (`schema`: the file's columns as JSON; `rows`: deflated CSV).
const V3: &str = "
CREATE TABLE cycle_rows (
    campaign    TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    schema      TEXT NOT NULL,
    rows        BLOB NOT NULL,
    PRIMARY KEY (campaign, cycle_date)
);
CREATE TABLE holds (
    campaign    TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (campaign, contact_id, step, cycle_date)
);
CREATE INDEX holds_by_cycle ON holds (campaign, cycle_date);
";

/// Version 3 → 4: each press-sheet PDF of an imposed cycle, with how its pieces were laid
/// out (`slots`: for each sheet then each slot, the piece's place in its piece file from 1,
/// 0 for a blank slot, as little-endian u32), so `reprint --sheet` reprints exactly the
/// pieces of a damaged sheet, in their slots.
const V4: &str = "
CREATE TABLE cycle_sheets (
    campaign     TEXT NOT NULL,
    cycle_date   TEXT NOT NULL,
    file         TEXT NOT NULL,
    pieces_file  TEXT NOT NULL,
    sheet        TEXT NOT NULL,
    across       INTEGER NOT NULL,
    down         INTEGER NOT NULL,
    rotated      INTEGER NOT NULL,
    stack_depth  INTEGER NOT NULL,
    sheets       INTEGER NOT NULL,
    slots        BLOB NOT NULL,
    PRIMARY KEY (campaign, cycle_date, file)
);
";

/// Version 4 → 5: decisions may be `holdout` (the contact is in a control group: nothing
/// printed, timed as if mailed) or `expired` (due too long ago: nothing printed), and record
/// the A/B `variant` a piece was. SQLite cannot change a CHECK constraint, so the table is
/// built anew and the rows copied.
const V5: &str = "
CREATE TABLE decisions_v5 (
    campaign    TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    cycle_date  TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('issued', 'skipped', 'holdout', 'expired')),
    piece_id    TEXT,
    file        TEXT,
    first_page  INTEGER,
    imb         TEXT,
    variant     TEXT,
    PRIMARY KEY (campaign, contact_id, step)
);
INSERT INTO decisions_v5 (campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page, imb)
    SELECT campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page, imb FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_v5 RENAME TO decisions;
CREATE INDEX decisions_by_cycle ON decisions (campaign, cycle_date);
ALTER TABLE voided_decisions ADD COLUMN variant TEXT;
";

/// The schema's version as stored: 0 for an empty file, 1 for dripmail 0.1's tables.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if v != 0 {
        return Ok(v);
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'cycles'",
        [],
        |r| r.get(0),
    )?;
    Ok(i64::from(tables > 0))
}

/// The marker of the file: [`APPLICATION_ID`], or 0 for a file dripmail 0.1 wrote.
pub fn application_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA application_id", [], |r| r.get(0))
}

/// Brings the schema from `from` up to [`VERSION`] inside the caller's transaction.
///
/// Version 1 may be incomplete (dripmail 0.1 created its tables one statement at a time, so a
/// kill during creation left some of them): its statements only create what is missing.
pub fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    if from <= 1 {
        conn.execute_batch(V1)?;
    }
    if from <= 1 {
        conn.execute_batch(V2)?;
    }
    if from <= 2 {
        conn.execute_batch(V3)?;
    }
    if from <= 3 {
        conn.execute_batch(V4)?;
    }
    if from <= 4 {
        conn.execute_batch(V5)?;
    }
    conn.execute_batch(&format!(
        "PRAGMA user_version = {VERSION}; PRAGMA application_id = {APPLICATION_ID};"
    ))
}
