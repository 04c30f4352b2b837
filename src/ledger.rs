//! The ledger: what each cycle issued and skipped, in embedded SQLite.
//!
//! A cycle's decisions commit in one transaction, after its files are in place. The primary
//! key (campaign, contact, step) makes issuing a step twice impossible.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use smol_str::SmolStr;

/// Why the ledger could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// SQLite failed.
    #[error("ledger `{}`: {source}", path.display())]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The ledger's folder could not be created.
    #[error("cannot create the ledger's folder `{}`", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The cycle date is earlier than the last committed one.
    #[error(
        "cycle {date} is earlier than the last committed cycle {last} of campaign `{campaign}`"
    )]
    Earlier {
        campaign: String,
        date: NaiveDate,
        last: NaiveDate,
    },
    /// An IMb serial was used by another run within 45 days.
    #[error(
        "IMb serial {serial} of mailer id {mailer_id} was used in the last 45 days by another run; run the cycle again"
    )]
    SerialReused { mailer_id: String, serial: u64 },
    /// The cycle was committed meanwhile (another run).
    #[error("cycle {date} of campaign `{campaign}` is already committed")]
    AlreadyCommitted { campaign: String, date: NaiveDate },
}

/// One decision to commit, held until the commit: its strings are inline or shared (a file
/// name once per file), so 100,000 entries cost about 14 MB, not 35.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Contact id.
    pub contact_id: SmolStr,
    /// Step id.
    pub step: SmolStr,
    /// True for an issued piece, false for a skip.
    pub issued: bool,
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

/// Committed decisions by contact id: (step id, cycle date, issued).
pub type History = HashMap<String, Vec<(String, NaiveDate, bool)>>;

/// One committed cycle, for `history`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CycleRow {
    /// Cycle date.
    pub cycle_date: String,
    /// When it was committed (UTC, RFC 3339).
    pub committed_at: String,
    /// Pieces issued.
    pub issued: i64,
    /// Steps skipped.
    pub skipped: i64,
    /// PDF files written.
    pub files: i64,
}

/// One committed decision, for `history --contact`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DecisionRow {
    /// Cycle date.
    pub cycle_date: String,
    /// Step id.
    pub step: String,
    /// `issued` or `skipped`.
    pub outcome: String,
    /// Piece id, for issued pieces.
    pub piece_id: Option<String>,
    /// File, for issued pieces.
    pub file: Option<String>,
    /// First page, for issued pieces.
    pub first_page: Option<u32>,
}

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
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

/// How long an IMb serial stays reserved for its piece (USPS asks for at least 45 days).
pub const IMB_UNIQUE_DAYS: u64 = 45;

impl Ledger {
    /// Opens (creating if needed) the ledger at `path`.
    ///
    /// # Errors
    /// When the file cannot be created or is not a dripmail ledger.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let sql = |source| LedgerError::Sql {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens the ledger at `path` read-only, or `None` when there is none yet.
    ///
    /// # Errors
    /// When the file exists but cannot be read as a ledger.
    pub fn open_existing(path: &Path) -> Result<Option<Ledger>, LedgerError> {
        if !path.exists() {
            return Ok(None);
        }
        let sql = |source| LedgerError::Sql {
            path: path.to_path_buf(),
            source,
        };
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql)?;
        // Fails here when the file is not a ledger.
        conn.query_row("SELECT count(*) FROM cycles", [], |_| Ok(()))
            .map_err(sql)?;
        Ok(Some(Ledger {
            conn,
            path: path.to_path_buf(),
        }))
    }

    /// The ledger file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// The latest committed cycle date of `campaign`.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn last_cycle(&self, campaign: &str) -> Result<Option<NaiveDate>, LedgerError> {
        let last: Option<String> = self
            .conn
            .query_row(
                "SELECT max(cycle_date) FROM cycles WHERE campaign = ?1",
                [campaign],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        Ok(last.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
    }

    /// True when `campaign`'s cycle `date` is committed.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn is_committed(&self, campaign: &str, date: NaiveDate) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT 1 FROM cycles WHERE campaign = ?1 AND cycle_date = ?2",
                params![campaign, date.to_string()],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.sql(e))
    }

    /// Every committed decision of `campaign`, by contact id: (step id, cycle date, issued).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn decisions(&self, campaign: &str) -> Result<History, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT contact_id, step, cycle_date, outcome FROM decisions WHERE campaign = ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([campaign], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = History::new();
        for row in rows {
            let (contact, step, date, outcome) = row.map_err(|e| self.sql(e))?;
            let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
                continue;
            };
            out.entry(contact)
                .or_default()
                .push((step, date, outcome == "issued"));
        }
        Ok(out)
    }

    /// The next IMb serial for `mailer_id`, and the serials it used within
    /// [`IMB_UNIQUE_DAYS`] before `date` (which must not be used again yet).
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn imb_state(
        &self,
        mailer_id: &str,
        date: NaiveDate,
    ) -> Result<(u64, std::collections::HashSet<u64>), LedgerError> {
        let next: Option<i64> = self
            .conn
            .query_row(
                "SELECT next FROM imb_counters WHERE mailer_id = ?1",
                [mailer_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let since = date
            .checked_sub_days(chrono::Days::new(IMB_UNIQUE_DAYS))
            .unwrap_or(NaiveDate::MIN)
            .to_string();
        let mut stmt = self
            .conn
            .prepare("SELECT serial FROM imb_serials WHERE mailer_id = ?1 AND cycle_date > ?2")
            .map_err(|e| self.sql(e))?;
        let recent = stmt
            .query_map(params![mailer_id, since], |r| r.get::<_, i64>(0))
            .map_err(|e| self.sql(e))?
            .filter_map(Result::ok)
            .filter_map(|s| u64::try_from(s).ok())
            .collect();
        Ok((
            next.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            recent,
        ))
    }

    /// Commits cycle `date` of `campaign` with its `entries`, in one transaction.
    ///
    /// # Errors
    /// When the cycle is already committed, is earlier than the last one, or SQLite fails;
    /// nothing is written then.
    pub fn commit(
        &mut self,
        campaign: &str,
        date: NaiveDate,
        committed_at: &str,
        files: i64,
        entries: &[Entry],
        imb: Option<(&str, u64)>,
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sql = |source| LedgerError::Sql {
            path: path.clone(),
            source,
        };
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
        let issued = i64::try_from(entries.iter().filter(|e| e.issued).count()).unwrap_or(i64::MAX);
        let skipped = i64::try_from(entries.len()).unwrap_or(i64::MAX) - issued;
        tx.execute(
            "INSERT INTO cycles (campaign, cycle_date, committed_at, issued, skipped, files) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![campaign, date.to_string(), committed_at, issued, skipped, files],
        )
        .map_err(sql)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO decisions (campaign, contact_id, step, cycle_date, outcome, piece_id, file, first_page)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            let day = date.to_string();
            // In primary key order: each insert lands beside the last in the key's B-tree,
            // where print order scattered them over it and a large cycle's commit spilled
            // SQLite's page cache on every row (1,000,000 pieces: 11 s).
            let mut by_key: Vec<&Entry> = entries.iter().collect();
            by_key.sort_unstable_by(|a, b| {
                (a.contact_id.as_str(), a.step.as_str())
                    .cmp(&(b.contact_id.as_str(), b.step.as_str()))
            });
            for e in by_key {
                stmt.execute(params![
                    campaign,
                    e.contact_id.as_str(),
                    e.step.as_str(),
                    day,
                    if e.issued { "issued" } else { "skipped" },
                    e.piece_id.as_deref(),
                    e.file.as_deref(),
                    e.first_page,
                ])
                .map_err(sql)?;
            }
        }
        if let Some((mailer_id, next)) = imb {
            let since = date
                .checked_sub_days(chrono::Days::new(IMB_UNIQUE_DAYS))
                .unwrap_or(NaiveDate::MIN)
                .to_string();
            let mut used = tx
                .prepare("SELECT 1 FROM imb_serials WHERE mailer_id = ?1 AND serial = ?2 AND cycle_date > ?3")
                .map_err(sql)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO imb_serials (mailer_id, serial, cycle_date, campaign, piece_id, code) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for e in entries {
                let (Some(imb), Some(piece)) = (&e.imb, &e.piece_id) else {
                    continue;
                };
                let (serial, code) = &**imb;
                let serial = i64::try_from(*serial).unwrap_or(i64::MAX);
                // Another run (another campaign on this ledger) may have taken it meanwhile.
                if used
                    .exists(params![mailer_id, serial, since])
                    .map_err(sql)?
                {
                    return Err(LedgerError::SerialReused {
                        mailer_id: mailer_id.into(),
                        serial: u64::try_from(serial).unwrap_or_default(),
                    });
                }
                insert
                    .execute(params![
                        mailer_id,
                        serial,
                        date.to_string(),
                        campaign,
                        piece.as_str(),
                        code
                    ])
                    .map_err(sql)?;
            }
            drop((used, insert));
            tx.execute(
                "INSERT INTO imb_counters (mailer_id, next) VALUES (?1, ?2) ON CONFLICT (mailer_id) DO UPDATE SET next = ?2",
                params![mailer_id, i64::try_from(next).unwrap_or(0)],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// Committed cycles of `campaign`, oldest first.
    ///
    /// # Errors
    /// On an SQLite failure.
    pub fn cycles(&self, campaign: &str) -> Result<Vec<CycleRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT cycle_date, committed_at, issued, skipped, files FROM cycles WHERE campaign = ?1 ORDER BY cycle_date",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([campaign], |r| {
                Ok(CycleRow {
                    cycle_date: r.get(0)?,
                    committed_at: r.get(1)?,
                    issued: r.get(2)?,
                    skipped: r.get(3)?,
                    files: r.get(4)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
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
    ) -> Result<Option<(String, String, Option<String>)>, LedgerError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT contact_id, step FROM decisions
                 WHERE campaign = ?1 AND cycle_date = ?2 AND piece_id = ?3 AND outcome = 'issued'",
                params![campaign, date.to_string(), piece_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some((contact, step)) = row else {
            return Ok(None);
        };
        let code: Option<String> = self
            .conn
            .query_row(
                "SELECT code FROM imb_serials WHERE campaign = ?1 AND piece_id = ?2 AND cycle_date = ?3",
                params![campaign, piece_id, date.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(Some((contact, step, code)))
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
        let mut stmt = self
            .conn
            .prepare(
                "SELECT cycle_date, step, outcome, piece_id, file, first_page FROM decisions
                 WHERE campaign = ?1 AND contact_id = ?2 ORDER BY cycle_date, step",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([campaign, contact_id], |r| {
                Ok(DecisionRow {
                    cycle_date: r.get(0)?,
                    step: r.get(1)?,
                    outcome: r.get(2)?,
                    piece_id: r.get(3)?,
                    file: r.get(4)?,
                    first_page: r.get(5)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(contact: &str, step: &str) -> Entry {
        Entry {
            contact_id: contact.into(),
            step: step.into(),
            issued: true,
            piece_id: Some("p".into()),
            file: Some("f.pdf".into()),
            first_page: Some(1),
            imb: None,
        }
    }

    #[test]
    fn commits_once_and_refuses_earlier_dates_and_repeated_steps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/ledger.sqlite");
        let mut l = Ledger::open(&path).unwrap();
        l.commit("c", d("2026-11-10"), "t", 1, &[entry("1", "welcome")], None)
            .unwrap();
        assert!(l.is_committed("c", d("2026-11-10")).unwrap());
        assert!(matches!(
            l.commit("c", d("2026-11-10"), "t", 1, &[], None),
            Err(LedgerError::AlreadyCommitted { .. })
        ));
        assert!(matches!(
            l.commit("c", d("2026-11-01"), "t", 1, &[], None),
            Err(LedgerError::Earlier { .. })
        ));
        // The same step twice for a contact rolls the whole cycle back.
        assert!(
            l.commit(
                "c",
                d("2026-11-17"),
                "t",
                1,
                &[entry("2", "welcome"), entry("1", "welcome")],
                None
            )
            .is_err()
        );
        assert!(!l.is_committed("c", d("2026-11-17")).unwrap());
        assert_eq!(l.decisions("c").unwrap().len(), 1);
        assert_eq!(l.last_cycle("c").unwrap(), Some(d("2026-11-10")));
        assert_eq!(l.cycles("c").unwrap().len(), 1);
        assert_eq!(l.contact("c", "1").unwrap()[0].step, "welcome");
        assert!(
            Ledger::open_existing(&dir.path().join("none.sqlite"))
                .unwrap()
                .is_none()
        );
        assert!(Ledger::open_existing(&path).unwrap().is_some());
    }
}
