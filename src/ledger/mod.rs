//! The ledger: what each cycle issued and skipped, in embedded SQLite.
//!
//! A cycle's decisions, the checksum of each of its files and the folder they were written to
//! commit in one transaction; the folder is renamed to its final name after that, and a later
//! run finishes a rename that a crash interrupted (see ARCHITECTURE.md, "Commit"). The primary
//! key (campaign, contact, step) makes issuing a step twice impossible.
//!
//! The file uses SQLite's rollback journal (`journal_mode = DELETE`, works on network shares,
//! unlike WAL, and lets a commit span the ledger and the IMb serial store atomically) with
//! `synchronous = FULL` (a commit is on disk when it returns, across a power cut).

mod error;
mod files;
mod schema;
pub mod serials;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use smol_str::SmolStr;

pub use error::LedgerError;
pub use files::remove_orphan_super_journals;
pub use schema::VERSION;

use error::short;
use files::{absent, remove_leftovers};

/// One decision to commit, held until the commit: its strings are inline or shared (a file
/// name once per file), so 100,000 entries cost about 14 MB, not 35.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Contact id.
    pub contact_id: SmolStr,
    /// Step id.
    pub step: SmolStr,
    /// What was decided: issued (a piece), skipped, held out or expired.
    pub done: crate::schedule::Done,
    /// The A/B variant of an issued piece of a step that has variants.
    pub variant: Option<SmolStr>,
    /// Piece id (issued only).
    pub piece_id: Option<SmolStr>,
    /// File relative to the cycle folder (issued only).
    pub file: Option<SmolStr>,
    /// First page in that file (issued only).
    pub first_page: Option<u32>,
    /// The IMb serial and the full code (tracking + routing), when the piece has one (boxed:
    /// a cycle holds an entry for every piece until its commit).
    pub imb: Option<Box<(u64, String)>>,
}

/// An issued piece as the ledger recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPiece {
    /// Contact id.
    pub contact_id: String,
    /// Step id.
    pub step: String,
    /// The IMb code (tracking and routing digits), if it had one.
    pub imb: Option<String>,
    /// Its A/B variant, if its step had variants.
    pub variant: Option<String>,
}

/// A file of a cycle folder as committed: name, size and SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSum {
    /// Name inside the cycle folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// What one commit records besides the decisions.
#[derive(Clone, Debug)]
pub struct CycleRecord<'a> {
    /// Campaign id.
    pub campaign: &'a str,
    /// Cycle date.
    pub date: NaiveDate,
    /// Wall-clock time of the commit (UTC, RFC 3339).
    pub committed_at: &'a str,
    /// The cycle folder's final path.
    pub folder: &'a Path,
    /// The staging folder its files are in until they are renamed to `folder`.
    pub staging: &'a Path,
    /// Every file of the folder.
    pub files: &'a [FileSum],
    /// Number of PDF files (for `history`).
    pub pdfs: usize,
    /// The IMb mailer id and the next serial, when the campaign prints IMbs.
    pub imb: Option<(&'a str, u64)>,
    /// The pieces held back (they stay due): contact, step, kind and reason.
    pub holds: &'a [HoldRecord],
    /// The contact rows the issued pieces were rendered from (`crate::snapshot`).
    pub rows: Option<&'a crate::snapshot::Snapshot>,
    /// The press-sheet PDFs, when the cycle is imposed.
    pub sheets: &'a [SheetRecord],
}

/// A press-sheet PDF of a cycle and how its pieces were laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRecord {
    /// The sheet PDF.
    pub file: String,
    /// The piece PDF whose pieces it carries.
    pub pieces_file: String,
    /// The sheet as named (`12x18`, `330x480mm`): `impose::Sheet::parse` reads it back.
    pub sheet: String,
    /// Slots across and down.
    pub across: u32,
    /// Slots down.
    pub down: u32,
    /// True when the pieces are turned 90° on the sheet.
    pub rotated: bool,
    /// The stack depth it was cut with.
    pub stack_depth: u32,
    /// For each sheet, then each of its `across × down` slots: the piece's place in the piece
    /// file (from 1), 0 for a blank slot.
    pub slots: Vec<u32>,
}

impl SheetRecord {
    /// Slots on one sheet.
    pub fn up(&self) -> usize {
        (self.across as usize * self.down as usize).max(1)
    }

    /// Sheets in the file.
    pub fn sheets(&self) -> usize {
        self.slots.len() / self.up()
    }

    /// What sheet `n` (from 1) carries: for each slot, the piece's place in the piece file
    /// (from 1), or `None` for a blank slot; `None` for no such sheet.
    pub fn sheet(&self, n: usize) -> Option<Vec<Option<u32>>> {
        let up = self.up();
        let start = n.checked_sub(1)?.checked_mul(up)?;
        let slots = self.slots.get(start..start.checked_add(up)?)?;
        Some(slots.iter().map(|&p| (p != 0).then_some(p)).collect())
    }
}

/// A piece held back in a cycle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HoldRecord {
    /// Contact id.
    pub contact_id: String,
    /// Step id.
    pub step: String,
    /// Why, as a stable name (`text_overflow`, `no_postage`...).
    pub kind: String,
    /// Why, for people.
    pub reason: String,
}

/// A held piece as the ledger has it, for `history`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HoldRow {
    /// The cycle.
    pub cycle_date: String,
    /// Step id.
    pub step: String,
    /// Why, as a stable name.
    pub kind: String,
    /// Why, for people.
    pub reason: String,
}

/// A committed cycle whose folder may not be in place yet.
#[derive(Clone, Debug)]
pub struct Publish {
    /// Campaign id.
    pub campaign: String,
    /// Cycle date.
    pub date: NaiveDate,
    /// Final folder.
    pub folder: PathBuf,
    /// Staging folder.
    pub staging: PathBuf,
    /// The files it must hold.
    pub files: Vec<FileSum>,
}

/// A voided cycle whose folder may not be moved aside yet.
#[derive(Clone, Debug)]
pub struct PendingMove {
    /// The `voids` row.
    pub id: i64,
    /// The folder as committed.
    pub folder: PathBuf,
    /// Where it goes.
    pub moved_to: PathBuf,
}

/// Committed decisions by contact id: (step id, cycle date, issued).
pub type History = HashMap<String, Vec<(String, NaiveDate, crate::schedule::Done)>>;

/// One committed cycle, for `history`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CycleRow {
    /// Cycle date.
    pub cycle_date: String,
    /// When it was committed (UTC, RFC 3339).
    pub committed_at: String,
    /// Pieces issued.
    pub issued: i64,
    /// Steps skipped (`when` false).
    pub skipped: i64,
    /// Pieces held out (control group).
    pub holdout: i64,
    /// Pieces expired (due too long ago).
    pub expired: i64,
    /// PDF files written.
    pub files: i64,
    /// The cycle folder, when known (ledgers of dripmail 0.1 did not record it).
    pub folder: Option<String>,
}

/// One voided cycle, for `history`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VoidRow {
    /// Cycle date.
    pub cycle_date: String,
    /// When it had been committed.
    pub committed_at: String,
    /// When it was voided.
    pub voided_at: String,
    /// Who voided it (`user@host`).
    pub voided_by: String,
    /// Why, as given.
    pub reason: String,
    /// Pieces it had issued.
    pub issued: i64,
    /// Where its folder was moved.
    pub moved_to: Option<String>,
}

/// One committed decision, for `history --contact`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DecisionRow {
    /// Cycle date.
    pub cycle_date: String,
    /// Step id.
    pub step: String,
    /// `issued`, `skipped`, `holdout` or `expired`.
    pub outcome: String,
    /// Piece id, for issued pieces.
    pub piece_id: Option<String>,
    /// File, for issued pieces.
    pub file: Option<String>,
    /// First page, for issued pieces.
    pub first_page: Option<u32>,
    /// The A/B variant, for an issued piece of a step with variants.
    pub variant: Option<String>,
}

/// How long an IMb serial stays reserved for its piece (USPS asks for at least 45 days).
pub const IMB_UNIQUE_DAYS: u64 = 45;

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// The IMb serial store attached as `store`, if any.
    store: Option<PathBuf>,
}

/// Opens `path` with `flags`, waits up to 10 s for other writers, and on a writable
/// connection sets the journal mode and durability (module doc).
fn connect(path: &Path, flags: OpenFlags, doing: &'static str) -> Result<Connection, LedgerError> {
    let sql = |cause| LedgerError::Sql {
        path: path.to_path_buf(),
        doing,
        cause,
    };
    let conn =
        Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(sql)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    if !conn.is_readonly("main").map_err(sql)? {
        writable_settings(&conn, "main").map_err(sql)?;
    }
    Ok(conn)
}

fn writable_settings(conn: &Connection, schema: &str) -> rusqlite::Result<()> {
    let _: String = conn.query_row(&format!("PRAGMA {schema}.journal_mode = DELETE"), [], |r| {
        r.get(0)
    })?;
    conn.execute_batch(&format!("PRAGMA {schema}.synchronous = FULL"))
}

impl Ledger {
    /// Opens the ledger at `path` for reading, or `None` when there is none yet (no file, an
    /// empty one, or one created without a schema). A crash's unfinished commit is rolled
    /// back and an older schema upgraded when the file is writable.
    ///
    /// # Errors
    /// When the file is not a ledger, is newer than this build, or cannot be read.
    pub fn open_read(path: &Path) -> Result<Option<Ledger>, LedgerError> {
        if absent(path)? {
            return Ok(None);
        }
        let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE, "open it")?;
        let ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            store: None,
        };
        ledger.upgrade()
    }

    /// Opens the ledger at `path` for a run or a void, which hold its lock: like
    /// [`Ledger::open_read`], but the file must be writable and leftovers of an interrupted
    /// creation beside it are removed.
    ///
    /// # Errors
    /// As [`Ledger::open_read`], and when the file is read-only.
    pub fn open_write(path: &Path) -> Result<Option<Ledger>, LedgerError> {
        remove_leftovers(path);
        let Some(ledger) = Ledger::open_read(path)? else {
            return Ok(None);
        };
        if ledger
            .conn
            .is_readonly("main")
            .map_err(|e| ledger.sql("open it", e))?
        {
            return Err(LedgerError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        Ok(Some(ledger))
    }

    /// Creates a new ledger at `path` atomically: the schema is written to a file beside it,
    /// flushed to disk and renamed into place, so `path` is either absent or a whole ledger.
    /// An empty file at `path` is replaced. Call it only while holding the ledger's lock.
    ///
    /// # Errors
    /// When the folder or file cannot be written.
    pub fn create(path: &Path) -> Result<Ledger, LedgerError> {
        files::create_whole(path, "create the ledger", |conn| schema::migrate(conn, 0))?;
        Ledger::open_read(path)?.ok_or_else(|| LedgerError::Damaged {
            path: path.to_path_buf(),
            detail: "the new ledger has no schema".into(),
        })
    }

    /// Rolls back a crash's unfinished commit (by reading), checks that the file is a ledger
    /// and brings its schema up to date; `None` for a file without a schema.
    fn upgrade(self) -> Result<Option<Ledger>, LedgerError> {
        let sql = |doing, cause| LedgerError::Sql {
            path: self.path.clone(),
            doing,
            cause,
        };
        let version = schema::version(&self.conn).map_err(|e| sql("read it", e))?;
        let app = schema::application_id(&self.conn).map_err(|e| sql("read it", e))?;
        if app != 0 && app != schema::APPLICATION_ID {
            return Err(LedgerError::NotALedger { path: self.path });
        }
        if version == 0 {
            return Ok(None);
        }
        if version > VERSION {
            return Err(LedgerError::Newer {
                path: self.path,
                found: version,
                known: VERSION,
            });
        }
        if version < VERSION {
            if self
                .conn
                .is_readonly("main")
                .map_err(|e| sql("read it", e))?
            {
                return Err(LedgerError::Outdated { path: self.path });
            }
            let tx = self
                .conn
                .unchecked_transaction()
                .map_err(|e| sql("upgrade it", e))?;
            // Another process may have upgraded it meanwhile.
            let now = schema::version(&tx).map_err(|e| sql("upgrade it", e))?;
            if now < VERSION {
                schema::migrate(&tx, now).map_err(|e| sql("upgrade it", e))?;
            }
            tx.commit().map_err(|e| sql("upgrade it", e))?;
        }
        Ok(Some(self))
    }

    /// True when this process cannot write the file (permissions, a read-only mount).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn is_read_only(&self) -> Result<bool, LedgerError> {
        self.conn
            .is_readonly("main")
            .map_err(|e| self.sql("open it", e))
    }

    fn sql(&self, doing: &'static str, cause: rusqlite::Error) -> LedgerError {
        LedgerError::Sql {
            path: self.path.clone(),
            doing,
            cause,
        }
    }

    /// Checks every page of the file (`full`: SQLite's `integrity_check`, which also checks
    /// indexes against tables; else `quick_check`, linear in the file's size).
    ///
    /// # Errors
    /// [`LedgerError::Damaged`] naming the first problems found.
    pub fn check(&self, full: bool) -> Result<(), LedgerError> {
        let pragma = if full {
            "PRAGMA integrity_check(5)"
        } else {
            "PRAGMA quick_check(5)"
        };
        let found = self.query("check it", pragma, [], |r| r.get::<_, String>(0))?;
        if found.len() == 1 && found[0] == "ok" {
            return Ok(());
        }
        Err(LedgerError::Damaged {
            path: self.path.clone(),
            detail: found.join("; "),
        })
    }

    /// A corrupt-file error as [`LedgerError::Damaged`], others in words.
    fn damaged_or(&self, doing: &'static str, e: rusqlite::Error) -> LedgerError {
        if e.sqlite_error_code() == Some(ErrorCode::DatabaseCorrupt) {
            LedgerError::Damaged {
                path: self.path.clone(),
                detail: short(&e),
            }
        } else {
            self.sql(doing, e)
        }
    }

    /// Runs the query `sql` and maps each row; a row that cannot be read is damage.
    fn query<T, P: rusqlite::Params>(
        &self,
        doing: &'static str,
        sql: &str,
        params: P,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, LedgerError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sql(doing, e))?;
        stmt.query_map(params, map)
            .map_err(|e| self.sql(doing, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.damaged_or(doing, e))
    }

    /// Attaches the IMb serial store at `store`, so serial look-ups see every campaign of the
    /// mailer and a commit writes both files in one transaction. With `create` (only while
    /// holding the store's lock) a missing store is created whole and leftovers of a killed
    /// creation removed; without it (a dry run) a missing store is simply not attached.
    ///
    /// # Errors
    /// When the store cannot be created, opened or checked.
    pub fn attach_store(&mut self, store: &Path, create: bool) -> Result<(), LedgerError> {
        if create {
            remove_leftovers(store);
            if absent(store)? {
                serials::create(store)?;
            }
        } else if absent(store)? {
            return Ok(());
        }
        let sql = |doing, cause| LedgerError::Sql {
            path: store.to_path_buf(),
            doing,
            cause,
        };
        self.conn
            .execute(
                "ATTACH DATABASE ?1 AS store",
                [store.to_string_lossy().as_ref()],
            )
            .map_err(|e| sql("open it", e))?;
        writable_settings(&self.conn, "store").map_err(|e| sql("open it", e))?;
        serials::check(&self.conn, store)?;
        self.store = Some(store.to_path_buf());
        Ok(())
    }

    /// True when nothing was ever committed or voided in the ledger, by any campaign.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn is_empty(&self) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM cycles) + (SELECT count(*) FROM voids)",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n == 0)
            .map_err(|e| self.sql("read the committed cycles", e))
    }

    /// The latest committed cycle date of `campaign`.
    ///
    /// # Errors
    /// On an SQLite failure or a damaged date.
    pub fn last_cycle(&self, campaign: &str) -> Result<Option<NaiveDate>, LedgerError> {
        let last: Option<String> = self
            .conn
            .query_row(
                "SELECT max(cycle_date) FROM cycles WHERE campaign = ?1",
                [campaign],
                |r| r.get(0),
            )
            .map_err(|e| self.sql("read the committed cycles", e))?;
        last.map(|d| self.date(&d, "cycles")).transpose()
    }

    /// Parses a stored date; a date that does not parse means the file was damaged or edited.
    fn date(&self, text: &str, table: &str) -> Result<NaiveDate, LedgerError> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| LedgerError::Damaged {
            path: self.path.clone(),
            detail: format!("table `{table}` holds the date `{text}`, which is not YYYY-MM-DD"),
        })
    }

    /// The folder of `campaign`'s committed cycle `date` (`Some(None)` for a cycle of a
    /// dripmail 0.1 ledger, which did not record it), or `None` when it is not committed.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn committed(
        &self,
        campaign: &str,
        date: NaiveDate,
    ) -> Result<Option<Option<PathBuf>>, LedgerError> {
        self.conn
            .query_row(
                "SELECT folder FROM cycles WHERE campaign = ?1 AND cycle_date = ?2",
                params![campaign, date.to_string()],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(|o| o.map(|f| f.map(PathBuf::from)))
            .map_err(|e| self.sql("read the committed cycles", e))
    }

    /// Every committed decision of `campaign`, by contact id: (step id, cycle date, issued).
    ///
    /// # Errors
    /// On an SQLite failure, or a row whose date is damaged (a decision can never be
    /// skipped silently: its step would be decided again).
    pub fn decisions(&self, campaign: &str) -> Result<History, LedgerError> {
        let rows = self.query(
            "read the committed decisions",
            "SELECT contact_id, step, cycle_date, outcome FROM decisions WHERE campaign = ?1",
            [campaign],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        let mut out = History::new();
        for (contact, step, date, outcome) in rows {
            let date = self.date(&date, "decisions")?;
            let done =
                crate::schedule::Done::from_name(&outcome).ok_or_else(|| LedgerError::Damaged {
                    path: self.path.clone(),
                    detail: format!(
                        "a decision of contact `{contact}` is `{outcome}`, which no dripmail writes"
                    ),
                })?;
            out.entry(contact).or_default().push((step, date, done));
        }
        Ok(out)
    }

    /// The next IMb serial for `mailer_id`, and the serials used within [`IMB_UNIQUE_DAYS`]
    /// before `date` (which must not be used again yet): this ledger's and, when a store is
    /// attached, every campaign's of the mailer.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn imb_state(
        &self,
        mailer_id: &str,
        date: NaiveDate,
    ) -> Result<(u64, std::collections::HashSet<u64>), LedgerError> {
        let doing = "read the IMb serials";
        let since = serial_window_start(date);
        let counter = |table: &str| -> Result<Option<u64>, LedgerError> {
            let n: Option<i64> = self
                .conn
                .query_row(
                    &format!("SELECT next FROM {table} WHERE mailer_id = ?1"),
                    [mailer_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.sql(doing, e))?;
            Ok(n.and_then(|n| u64::try_from(n).ok()))
        };
        let mut recent = std::collections::HashSet::new();
        let mut collect = |table: &str| -> Result<(), LedgerError> {
            let serials = self.query(
                doing,
                &format!("SELECT serial FROM {table} WHERE mailer_id = ?1 AND cycle_date > ?2"),
                params![mailer_id, since],
                |r| r.get::<_, i64>(0),
            )?;
            recent.extend(serials.into_iter().filter_map(|s| u64::try_from(s).ok()));
            Ok(())
        };
        collect("main.imb_serials")?;
        let mut next = counter("main.imb_counters")?;
        if self.store.is_some() {
            collect("store.serials")?;
            // The store counts for every campaign of the mailer; a store that is new (lost,
            // or first used) starts from this ledger's count.
            next = counter("store.counters")?.or(next);
        }
        Ok((next.unwrap_or(0), recent))
    }

    /// Commits a cycle with its `entries`, in one transaction (with the serial store, when
    /// attached): its decisions, files and folders, and the IMb serials it used.
    ///
    /// # Errors
    /// When the cycle is already committed, is earlier than the last one, a serial was taken
    /// meanwhile, or SQLite fails; nothing is written then.
    pub fn commit(
        &mut self,
        cycle: &CycleRecord<'_>,
        entries: &[Entry],
    ) -> Result<(), LedgerError> {
        let doing = "commit the cycle";
        let path = self.path.clone();
        let sql = |cause| LedgerError::Sql {
            path: path.clone(),
            doing,
            cause,
        };
        let campaign = cycle.campaign;
        let date = cycle.date;
        let day = date.to_string();
        if crate::fault::active("ledger-full") {
            // Test switch: the disk is full from here on (SQLite's own "disk full" path).
            let pages: i64 = self
                .conn
                .query_row("PRAGMA main.page_count", [], |r| r.get(0))
                .map_err(sql)?;
            self.conn
                .query_row(&format!("PRAGMA main.max_page_count = {pages}"), [], |_| {
                    Ok(())
                })
                .map_err(sql)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let last: Option<String> = tx
            .query_row(
                "SELECT max(cycle_date) FROM cycles WHERE campaign = ?1",
                [campaign],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if let Some(last) = last.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) {
            if last == date {
                return Err(LedgerError::AlreadyCommitted {
                    campaign: campaign.into(),
                    date,
                });
            }
            if last > date {
                return Err(LedgerError::Earlier {
                    campaign: campaign.into(),
                    date,
                    last,
                });
            }
        }
        let issued = i64::try_from(
            entries
                .iter()
                .filter(|e| e.done == crate::schedule::Done::Issued)
                .count(),
        )
        .unwrap_or(i64::MAX);
        let skipped = i64::try_from(entries.len()).unwrap_or(i64::MAX) - issued;
        tx.execute(
            "INSERT INTO cycles (campaign, cycle_date, committed_at, issued, skipped, files, folder, staging, published)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
            params![
                campaign,
                day,
                cycle.committed_at,
                issued,
                skipped,
                i64::try_from(cycle.pdfs).unwrap_or(i64::MAX),
                cycle.folder.to_string_lossy(),
                cycle.staging.to_string_lossy(),
            ],
        )
        .map_err(sql)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO cycle_files (campaign, cycle_date, file, bytes, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(sql)?;
            for f in cycle.files {
                stmt.execute(params![
                    campaign,
                    day,
                    f.name,
                    i64::try_from(f.bytes).unwrap_or(i64::MAX),
                    f.sha256
                ])
                .map_err(sql)?;
            }
        }
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO decisions (campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page, imb, variant)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(sql)?;
            // In primary key order: each insert lands beside the last in the key's B-tree,
            // where print order scattered them over it and a large cycle's commit spilled
            // SQLite's page cache on every row (1,000,000 pieces: 11 s).
            let mut by_key: Vec<&Entry> = entries.iter().collect();
            by_key.sort_unstable_by(|a, b| {
                (a.contact_id.as_str(), a.step.as_str())
                    .cmp(&(b.contact_id.as_str(), b.step.as_str()))
            });
            for (i, e) in by_key.into_iter().enumerate() {
                if i == entries.len() / 2 {
                    crate::fault::point("commit-middle");
                    if crate::fault::active("ledger-full") {
                        // Test switch: the disk fills here, as SQLite reports it; the
                        // transaction rolls back on the way out.
                        return Err(sql(rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                            Some("database or disk is full".into()),
                        )));
                    }
                }
                stmt.execute(params![
                    campaign,
                    e.contact_id.as_str(),
                    e.step.as_str(),
                    day,
                    e.done.name(),
                    e.piece_id.as_deref(),
                    e.file.as_deref(),
                    e.first_page,
                    e.imb.as_ref().map(|i| i.1.as_str()),
                    e.variant.as_deref(),
                ])
                .map_err(sql)?;
            }
        }
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO holds (campaign, contact_id, step, cycle_date, kind, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for h in cycle.holds {
                stmt.execute(params![
                    campaign,
                    h.contact_id,
                    h.step,
                    day,
                    h.kind,
                    h.reason
                ])
                .map_err(sql)?;
            }
        }
        for sh in cycle.sheets {
            let slots: Vec<u8> = sh.slots.iter().flat_map(|s| s.to_le_bytes()).collect();
            tx.execute(
                "INSERT INTO cycle_sheets (campaign, cycle_date, file, pieces_file, sheet, across, down, rotated, stack_depth, sheets, slots)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    campaign,
                    day,
                    sh.file,
                    sh.pieces_file,
                    sh.sheet,
                    sh.across,
                    sh.down,
                    sh.rotated,
                    sh.stack_depth,
                    i64::try_from(sh.sheets()).unwrap_or(i64::MAX),
                    slots
                ],
            )
            .map_err(sql)?;
        }
        if let Some(rows) = cycle.rows {
            tx.execute(
                "INSERT INTO cycle_rows (campaign, cycle_date, schema, rows) VALUES (?1, ?2, ?3, ?4)",
                params![campaign, day, rows.schema, rows.rows],
            )
            .map_err(sql)?;
        }
        if let Some((mailer_id, next)) = cycle.imb {
            let since = serial_window_start(date);
            let mut tables = vec![("main.imb_serials", "main.imb_counters", true)];
            if self.store.is_some() {
                tables.push(("store.serials", "store.counters", false));
            }
            for (serials, counters, with_code) in tables {
                let mut used = tx
                    .prepare(&format!(
                        "SELECT 1 FROM {serials} WHERE mailer_id = ?1 AND serial = ?2 AND cycle_date > ?3"
                    ))
                    .map_err(sql)?;
                let mut insert = tx
                    .prepare(&if with_code {
                        format!(
                            "INSERT INTO {serials} (mailer_id, serial, cycle_date, campaign, piece_id, code) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        )
                    } else {
                        format!(
                            "INSERT INTO {serials} (mailer_id, serial, cycle_date, campaign, piece_id, ledger) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        )
                    })
                    .map_err(sql)?;
                for e in entries {
                    let (Some(imb), Some(piece)) = (&e.imb, &e.piece_id) else {
                        continue;
                    };
                    let (serial, code) = &**imb;
                    let serial = i64::try_from(*serial).unwrap_or(i64::MAX);
                    // Another run (another campaign of the mailer) may have taken it meanwhile.
                    if used
                        .exists(params![mailer_id, serial, since])
                        .map_err(sql)?
                    {
                        return Err(LedgerError::SerialReused {
                            mailer_id: mailer_id.into(),
                            serial: u64::try_from(serial).unwrap_or_default(),
                        });
                    }
                    let last = if with_code {
                        code.clone()
                    } else {
                        self.path.to_string_lossy().into_owned()
                    };
                    insert
                        .execute(params![
                            mailer_id,
                            serial,
                            day,
                            campaign,
                            piece.as_str(),
                            last
                        ])
                        .map_err(sql)?;
                }
                tx.execute(
                    &format!(
                        "INSERT INTO {counters} (mailer_id, next) VALUES (?1, ?2) ON CONFLICT (mailer_id) DO UPDATE SET next = ?2"
                    ),
                    params![mailer_id, i64::try_from(next).unwrap_or(0)],
                )
                .map_err(sql)?;
            }
        }
        crate::fault::point("commit-before-end");
        tx.commit().map_err(sql)
    }

    /// Committed cycles whose folder was not yet renamed into place (a crash between the
    /// commit and the rename), of every campaign in the ledger.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn unpublished(&self) -> Result<Vec<Publish>, LedgerError> {
        let rows = self.query(
            "read the committed cycles",
            "SELECT campaign, cycle_date, folder, staging FROM cycles
             WHERE published = 0 ORDER BY campaign, cycle_date",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for (campaign, date, folder, staging) in rows {
            let (Some(folder), Some(staging)) = (folder, staging) else {
                return Err(LedgerError::Damaged {
                    path: self.path.clone(),
                    detail: format!("cycle {date} of `{campaign}` has no folder recorded"),
                });
            };
            let date = self.date(&date, "cycles")?;
            let files = self.files(&campaign, date)?;
            out.push(Publish {
                campaign,
                date,
                folder: folder.into(),
                staging: staging.into(),
                files,
            });
        }
        Ok(out)
    }

    /// The files committed for `campaign`'s cycle `date`, by name.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn files(&self, campaign: &str, date: NaiveDate) -> Result<Vec<FileSum>, LedgerError> {
        self.query(
            "read the committed files",
            "SELECT file, bytes, sha256 FROM cycle_files WHERE campaign = ?1 AND cycle_date = ?2 ORDER BY file",
            params![campaign, date.to_string()],
            |r| {
                Ok(FileSum {
                    name: r.get(0)?,
                    bytes: u64::try_from(r.get::<_, i64>(1)?).unwrap_or_default(),
                    sha256: r.get(2)?,
                })
            },
        )
    }

    /// Records that the folder of `campaign`'s cycle `date` is in place.
    ///
    /// # Errors
    /// On an SQLite failure (the next run then checks the folder again).
    pub fn mark_published(&self, campaign: &str, date: NaiveDate) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE cycles SET published = 1 WHERE campaign = ?1 AND cycle_date = ?2",
                params![campaign, date.to_string()],
            )
            .map(drop)
            .map_err(|e| self.sql("record the published folder", e))
    }

    /// Withdraws `campaign`'s latest cycle `date`: its decisions move to `voided_decisions`
    /// (so its pieces are due again), the cycle to `voids` with who, when and why, and its
    /// folder is recorded as to be moved (`moving`: from, to). IMb serials stay reserved: printed
    /// pieces may still exist.
    ///
    /// # Errors
    /// When `date` is not the latest committed cycle, or SQLite fails; nothing changes then.
    pub fn void(
        &mut self,
        campaign: &str,
        date: NaiveDate,
        voided_at: &str,
        voided_by: &str,
        reason: &str,
        moving: Option<(&Path, &Path)>,
    ) -> Result<(), LedgerError> {
        let doing = "void the cycle";
        let path = self.path.clone();
        let sql = |cause| LedgerError::Sql {
            path: path.clone(),
            doing,
            cause,
        };
        let day = date.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let moved = i64::from(moving.is_none());
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let n = tx
            .execute(
                "INSERT INTO voids (campaign, cycle_date, committed_at, voided_at, voided_by, reason, issued, skipped, files, folder, moved_to, moved)
                 SELECT campaign, cycle_date, committed_at, ?3, ?4, ?5, issued, skipped, files, coalesce(?8, folder), ?6, ?7
                 FROM cycles WHERE campaign = ?1 AND cycle_date = ?2",
                params![
                    campaign,
                    day,
                    voided_at,
                    voided_by,
                    reason,
                    moving.map(|(_, to)| path(to)),
                    moved,
                    moving.map(|(from, _)| path(from)),
                ],
            )
            .map_err(sql)?;
        if n != 1 {
            return Err(LedgerError::Damaged {
                path: self.path.clone(),
                detail: format!("cycle {day} of `{campaign}` vanished while being voided"),
            });
        }
        tx.execute(
            "INSERT INTO voided_decisions (campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page, imb, variant, voided_at)
             SELECT campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page, imb, variant, ?3
             FROM decisions WHERE campaign = ?1 AND cycle_date = ?2",
            params![campaign, day, voided_at],
        )
        .map_err(sql)?;
        for table in [
            "decisions",
            "cycle_files",
            "holds",
            "cycle_rows",
            "cycle_sheets",
            "cycles",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE campaign = ?1 AND cycle_date = ?2"),
                params![campaign, day],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// Voided cycles whose folder was not yet moved aside (a crash after the void's commit).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn unmoved(&self) -> Result<Vec<PendingMove>, LedgerError> {
        let rows = self.query(
            "read the voided cycles",
            "SELECT id, folder, moved_to FROM voids WHERE moved = 0 ORDER BY id",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for (id, folder, moved_to) in rows {
            let (Some(folder), Some(moved_to)) = (folder, moved_to) else {
                continue;
            };
            out.push(PendingMove {
                id,
                folder: folder.into(),
                moved_to: moved_to.into(),
            });
        }
        Ok(out)
    }

    /// Records that a voided cycle's folder was moved aside.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn mark_moved(&self, m: &PendingMove) -> Result<(), LedgerError> {
        self.conn
            .execute("UPDATE voids SET moved = 1 WHERE id = ?1", [m.id])
            .map(drop)
            .map_err(|e| self.sql("record the moved folder", e))
    }

    /// Committed cycles of `campaign`, oldest first.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn cycles(&self, campaign: &str) -> Result<Vec<CycleRow>, LedgerError> {
        self.query(
            "read the committed cycles",
            // The cycles table counts every decision not issued as skipped; held-out and
            // expired pieces are told apart from the decisions themselves.
            "SELECT c.cycle_date, c.committed_at, c.issued, c.skipped, c.files, c.folder,
                    (SELECT count(*) FROM decisions d WHERE d.campaign = c.campaign
                       AND d.cycle_date = c.cycle_date AND d.outcome = 'holdout'),
                    (SELECT count(*) FROM decisions d WHERE d.campaign = c.campaign
                       AND d.cycle_date = c.cycle_date AND d.outcome = 'expired')
             FROM cycles c WHERE c.campaign = ?1 ORDER BY c.cycle_date",
            [campaign],
            |r| {
                let (holdout, expired): (i64, i64) = (r.get(6)?, r.get(7)?);
                Ok(CycleRow {
                    cycle_date: r.get(0)?,
                    committed_at: r.get(1)?,
                    issued: r.get(2)?,
                    skipped: r.get::<_, i64>(3)? - holdout - expired,
                    holdout,
                    expired,
                    files: r.get(4)?,
                    folder: r.get(5)?,
                })
            },
        )
    }

    /// Voided cycles of `campaign`, oldest first.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn voids(&self, campaign: &str) -> Result<Vec<VoidRow>, LedgerError> {
        self.query(
            "read the voided cycles",
            "SELECT cycle_date, committed_at, voided_at, voided_by, reason, issued, moved_to FROM voids
             WHERE campaign = ?1 ORDER BY id",
            [campaign],
            |r| {
                Ok(VoidRow {
                    cycle_date: r.get(0)?,
                    committed_at: r.get(1)?,
                    voided_at: r.get(2)?,
                    voided_by: r.get(3)?,
                    reason: r.get(4)?,
                    issued: r.get(5)?,
                    moved_to: r.get(6)?,
                })
            },
        )
    }

    /// The issued piece `piece_id` of cycle `date`: (contact id, step id, IMb code if any).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn issued_piece(
        &self,
        campaign: &str,
        date: NaiveDate,
        piece_id: &str,
    ) -> Result<Option<IssuedPiece>, LedgerError> {
        self.conn
            .query_row(
                "SELECT contact_id, step, imb, variant FROM decisions
                 WHERE campaign = ?1 AND cycle_date = ?2 AND piece_id = ?3 AND outcome = 'issued'",
                params![campaign, date.to_string(), piece_id],
                |r| {
                    Ok(IssuedPiece {
                        contact_id: r.get(0)?,
                        step: r.get(1)?,
                        imb: r.get(2)?,
                        variant: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql("read the issued pieces", e))
    }

    /// Committed decisions for one contact, oldest first.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn contact(
        &self,
        campaign: &str,
        contact_id: &str,
    ) -> Result<Vec<DecisionRow>, LedgerError> {
        self.query(
            "read the contact's decisions",
            "SELECT cycle_date, step, outcome, piece_id, file, first_page, variant FROM decisions
             WHERE campaign = ?1 AND contact_id = ?2 ORDER BY cycle_date, step",
            [campaign, contact_id],
            |r| {
                Ok(DecisionRow {
                    cycle_date: r.get(0)?,
                    step: r.get(1)?,
                    outcome: r.get(2)?,
                    piece_id: r.get(3)?,
                    file: r.get(4)?,
                    first_page: r.get(5)?,
                    variant: r.get(6)?,
                })
            },
        )
    }

    /// The contact rows cycle `date` rendered its pieces from, when the ledger has them
    /// (cycles committed since dripmail records them).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn rows(
        &self,
        campaign: &str,
        date: NaiveDate,
    ) -> Result<Option<crate::snapshot::Snapshot>, LedgerError> {
        self.conn
            .query_row(
                "SELECT schema, rows FROM cycle_rows WHERE campaign = ?1 AND cycle_date = ?2",
                params![campaign, date.to_string()],
                |r| {
                    Ok(crate::snapshot::Snapshot {
                        schema: r.get(0)?,
                        rows: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql("read the rows a cycle printed", e))
    }

    /// The press-sheet PDFs of cycle `date` and how each laid its pieces out, by file name
    /// (none for a cycle not imposed, or committed before dripmail recorded them).
    ///
    /// # Errors
    /// On an SQLite failure, or a record whose slots are damaged.
    pub fn sheets(&self, campaign: &str, date: NaiveDate) -> Result<Vec<SheetRecord>, LedgerError> {
        let rows = self.query(
            "read the cycle's press sheets",
            "SELECT file, pieces_file, sheet, across, down, rotated, stack_depth, slots FROM cycle_sheets
             WHERE campaign = ?1 AND cycle_date = ?2 ORDER BY file",
            params![campaign, date.to_string()],
            |r| {
                Ok((
                    SheetRecord {
                        file: r.get(0)?,
                        pieces_file: r.get(1)?,
                        sheet: r.get(2)?,
                        across: r.get(3)?,
                        down: r.get(4)?,
                        rotated: r.get(5)?,
                        stack_depth: r.get(6)?,
                        slots: Vec::new(),
                    },
                    r.get::<_, Vec<u8>>(7)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(mut rec, bytes)| {
                if bytes.len() % 4 != 0 || (bytes.len() / 4) % rec.up() != 0 {
                    return Err(LedgerError::Damaged {
                        path: self.path.clone(),
                        detail: format!(
                            "the slots recorded for `{}` of cycle {date} are cut short",
                            rec.file
                        ),
                    });
                }
                rec.slots = bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                Ok(rec)
            })
            .collect()
    }

    /// The issued pieces of file `file` of cycle `date`, in the file's order.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn file_pieces(
        &self,
        campaign: &str,
        date: NaiveDate,
        file: &str,
    ) -> Result<Vec<String>, LedgerError> {
        self.query(
            "read the pieces of a file",
            "SELECT piece_id FROM decisions
             WHERE campaign = ?1 AND cycle_date = ?2 AND file = ?3 AND outcome = 'issued'
             ORDER BY first_page",
            params![campaign, date.to_string(), file],
            |r| r.get(0),
        )
    }

    /// Every issued piece and holdout decision of `campaign`, for response match-back.
    ///
    /// # Errors
    /// On an SQLite failure, or a damaged date.
    pub fn touches(&self, campaign: &str) -> Result<Vec<crate::response::Touch>, LedgerError> {
        let rows = self.query(
            "read the issued and held-out pieces",
            "SELECT contact_id, step, cycle_date, outcome, piece_id, variant FROM decisions
             WHERE campaign = ?1 AND outcome IN ('issued', 'holdout')
             ORDER BY cycle_date, contact_id, step",
            [campaign],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(contact, step, date, outcome, piece, variant)| {
                Ok(crate::response::Touch {
                    contact,
                    step,
                    date: self.date(&date, "decisions")?,
                    holdout: outcome == "holdout",
                    piece,
                    variant,
                })
            })
            .collect()
    }

    /// The pieces of one contact held back in committed cycles, oldest first.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn holds(&self, campaign: &str, contact_id: &str) -> Result<Vec<HoldRow>, LedgerError> {
        self.query(
            "read the contact's held pieces",
            "SELECT cycle_date, step, kind, reason FROM holds
             WHERE campaign = ?1 AND contact_id = ?2 ORDER BY cycle_date, step",
            [campaign, contact_id],
            |r| {
                Ok(HoldRow {
                    cycle_date: r.get(0)?,
                    step: r.get(1)?,
                    kind: r.get(2)?,
                    reason: r.get(3)?,
                })
            },
        )
    }
}

/// The first day whose serials may be used again on `date` (exclusive bound).
fn serial_window_start(date: NaiveDate) -> String {
    date.checked_sub_days(chrono::Days::new(IMB_UNIQUE_DAYS))
        .unwrap_or(NaiveDate::MIN)
        .to_string()
}

#[cfg(test)]
mod tests;
