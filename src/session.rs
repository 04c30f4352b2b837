//! One writer's session on a ledger: its lock (and the IMb serial store's), the ledger opened
//! for writing or created, checked, and whatever a crash left half done finished first.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::NaiveDate;

use crate::campaign::Campaign;
use crate::error::Hinted;
use crate::ledger::Ledger;
use crate::lock::{Holder, Lock, lock_path};

/// What a session needs to know.
#[derive(Clone, Debug)]
pub struct SessionOptions<'a> {
    /// The ledger file.
    pub ledger: &'a Path,
    /// The `OUT` folder.
    pub out: &'a Path,
    /// Start a new ledger even though cycle folders of the campaign exist.
    pub new_ledger: bool,
    /// When this run started (UTC, RFC 3339), for the lock file.
    pub started: &'a str,
}

/// An exclusive, writable, recovered ledger; the locks are released when it is dropped.
pub struct Session {
    /// The ledger.
    pub ledger: Ledger,
    /// The ledger's file when this session created it: removed again if nothing was
    /// committed to it, so a first run that fails leaves no ledger behind.
    created: Option<PathBuf>,
    _lock: Lock,
    _store_lock: Option<Lock>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(path) = &self.created
            && self.ledger.is_empty().unwrap_or(false)
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Session {
    /// Takes the ledger's lock (failing at once when another run holds it), opens or creates
    /// the ledger, checks it, takes and attaches the IMb serial store when the campaign prints
    /// IMbs, finishes what interrupted runs left half done, and removes their staging folders.
    ///
    /// # Errors
    /// When a lock is held, the ledger is damaged or read-only, a new ledger would forget
    /// committed cycles, or a half-done publish cannot be finished.
    pub fn begin(campaign: &Campaign, o: &SessionOptions<'_>) -> Result<Session> {
        // A ledger this user cannot write is said as such, before its lock file is tried.
        if let Some(l) = Ledger::open_read(o.ledger)?
            && l.is_read_only()?
        {
            return Err(crate::ledger::LedgerError::ReadOnly {
                path: o.ledger.to_path_buf(),
            }
            .into());
        }
        let me = Holder::this_process(o.started);
        let lock = Lock::acquire(
            &lock_path(o.ledger),
            &format!("the ledger `{}`", o.ledger.display()),
            &me,
        )?;
        let mut created = None;
        let mut ledger = match Ledger::open_write(o.ledger)? {
            Some(l) => l,
            None => {
                if !o.new_ledger {
                    refuse_fresh_ledger(campaign, o.out, o.ledger)?;
                }
                created = Some(o.ledger.to_path_buf());
                Ledger::create(o.ledger)?
            }
        };
        ledger.check(false)?;
        let store_lock = match &campaign.imb {
            None => None,
            Some(imb) => {
                let store = serial_store(campaign)?;
                let l = Lock::acquire(
                    &lock_path(&store),
                    &format!(
                        "the IMb serial store of mailer id {} (`{}`)",
                        imb.mailer_id,
                        store.display()
                    ),
                    &me,
                )?;
                ledger.attach_store(&store, true)?;
                Some(l)
            }
        };
        recover(&ledger)?;
        crate::ledger::remove_orphan_super_journals(o.ledger);
        let root = crate::output::campaign_root(o.out, &campaign.id);
        for removed in crate::output::remove_stale(&root, o.out) {
            eprintln!(
                "note: removed `{}`, left by a run that did not finish",
                removed.display()
            );
        }
        Ok(Session {
            ledger,
            created,
            _lock: lock,
            _store_lock: store_lock,
        })
    }
}

/// Finishes every publish and void of the ledger that a crash interrupted after its commit.
fn recover(ledger: &Ledger) -> Result<()> {
    for p in ledger.unpublished()? {
        crate::output::finish_publish(&p)?;
        ledger.mark_published(&p.campaign, p.date)?;
        eprintln!(
            "note: cycle {} of `{}` was committed by a run that stopped before its folder was in place; it is now: `{}`",
            p.date,
            p.campaign,
            p.folder.display()
        );
    }
    for m in ledger.unmoved()? {
        crate::output::finish_move(&m)?;
        ledger.mark_moved(&m)?;
    }
    Ok(())
}

/// Where the IMb serial store of the campaign's mailer id is: `[imb] serials` when set, else
/// `imb-<mailer id>.sqlite` in dripmail's data folder (`DRIPMAIL_HOME`, else
/// `$XDG_DATA_HOME/dripmail`, else `~/.local/share/dripmail`).
///
/// # Errors
/// When the campaign prints no IMbs, or no data folder can be found.
pub fn serial_store(campaign: &Campaign) -> Result<PathBuf> {
    let Some(imb) = &campaign.imb else {
        bail!("internal: campaign `{}` prints no IMb", campaign.id);
    };
    if let Some(p) = &imb.serials {
        return Ok(p.clone());
    }
    Ok(data_dir()?.join(format!("imb-{}.sqlite", imb.mailer_id)))
}

/// dripmail's data folder, for what campaigns share (the IMb serial stores).
///
/// # Errors
/// When none of `DRIPMAIL_HOME`, `XDG_DATA_HOME` and `HOME` is set.
pub fn data_dir() -> Result<PathBuf> {
    let var = |k| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("DRIPMAIL_HOME") {
        return Ok(d);
    }
    if let Some(d) = var("XDG_DATA_HOME") {
        return Ok(d.join("dripmail"));
    }
    if let Some(d) = var("HOME") {
        return Ok(d.join(".local/share/dripmail"));
    }
    Err(Hinted::new(
        "cannot tell where the IMb serial store goes: none of DRIPMAIL_HOME, XDG_DATA_HOME or HOME is set",
        "set DRIPMAIL_HOME to a folder that persists between runs, or `serials` in the campaign's [imb]",
    )
    .into())
}

/// Refuses to start a new ledger when cycle folders of the campaign exist in `out` (its
/// ledger was lost or moved: a new one would mail everyone again), or when dripmail 0.1's
/// ledger is still in `out`.
fn refuse_fresh_ledger(campaign: &Campaign, out: &Path, ledger: &Path) -> Result<()> {
    let legacy = out.join("ledger.sqlite");
    if legacy != ledger && legacy.exists() {
        return Err(Hinted::new(
            format!(
                "no ledger at `{}`, but `{}` exists: dripmail 0.1 kept the ledger in the output folder",
                ledger.display(),
                legacy.display(),
            ),
            format!(
                "move it: mv '{}' '{}' (or pass --ledger '{0}'); the ledger now lives beside the campaign, so archiving the output folder no longer loses it",
                legacy.display(),
                ledger.display()
            ),
        )
        .into());
    }
    let mut found = Vec::new();
    let root = crate::output::campaign_root(out, &campaign.id);
    for dir in [root.as_path(), out] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if NaiveDate::parse_from_str(&name, "%Y-%m-%d").is_err() || !e.path().is_dir() {
                continue;
            }
            // In `out` itself only dripmail 0.1's folders of this campaign count.
            if dir == out && !summary_names(&e.path().join("summary.json"), &campaign.id) {
                continue;
            }
            found.push(name);
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    found.dedup();
    Err(Hinted::new(
        format!(
            "no ledger at `{}`, but campaign `{}` has committed cycle folders in `{}` ({}): a new ledger would mail every contact again",
            ledger.display(),
            campaign.id,
            out.display(),
            found.join(", ")
        ),
        "restore the ledger from a backup (or pass its path with --ledger); to start afresh on purpose, run with --new-ledger",
    )
    .into())
}

/// True when the `summary.json` at `path` is of campaign `id`.
fn summary_names(path: &Path, id: &str) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["campaign"] == id)
}

/// What [`void`] did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Voided {
    /// Campaign id.
    pub campaign: String,
    /// The cycle withdrawn.
    pub cycle_date: String,
    /// Pieces it had issued (due again now).
    pub issued: i64,
    /// Where its folder went, if it had one.
    pub moved_to: Option<PathBuf>,
}

/// Withdraws the latest committed cycle `date` of `campaign`, which must not have been
/// mailed: its pieces become due again, its folder is renamed `<date>.voided`, and the ledger
/// keeps who voided it, when and why. Its IMb serials stay reserved for 45 days.
///
/// # Errors
/// When `date` is not the campaign's latest cycle, a lock is held, or the ledger fails.
pub fn void(
    campaign: &Campaign,
    o: &SessionOptions<'_>,
    date: NaiveDate,
    reason: &str,
    who: &str,
) -> Result<Voided> {
    if Ledger::open_read(o.ledger)?.is_none() {
        bail!(
            "no ledger at `{}`: nothing was committed, so nothing can be voided",
            o.ledger.display()
        );
    }
    let mut s = Session::begin(
        campaign,
        &SessionOptions {
            new_ledger: true,
            ..o.clone()
        },
    )?;
    let last = s.ledger.last_cycle(&campaign.id)?;
    if last != Some(date) {
        match last {
            None => bail!("campaign `{}` has no committed cycle to void", campaign.id),
            Some(last) => {
                return Err(Hinted::new(
                    format!(
                        "cycle {date} of `{}` is not its latest committed cycle ({last}); only the latest can be voided",
                        campaign.id
                    ),
                    format!("void {last} first if it was not mailed either"),
                )
                .into());
            }
        }
    }
    // A cycle committed by dripmail 0.1 has no folder recorded: it was OUT/<date>.
    let folder = s
        .ledger
        .committed(&campaign.id, date)?
        .flatten()
        .or_else(|| {
            let legacy = std::path::absolute(o.out).ok()?.join(date.to_string());
            summary_names(&legacy.join("summary.json"), &campaign.id).then_some(legacy)
        });
    let moved_to = folder
        .as_ref()
        .filter(|f| f.exists())
        .map(|f| crate::output::voided_name(f));
    let issued = s
        .ledger
        .cycles(&campaign.id)?
        .iter()
        .find(|c| c.cycle_date == date.to_string())
        .map_or(0, |c| c.issued);
    s.ledger.void(
        &campaign.id,
        date,
        o.started,
        who,
        reason,
        folder.as_deref().zip(moved_to.as_deref()),
    )?;
    crate::fault::point("void-after-commit");
    for m in s.ledger.unmoved()? {
        crate::output::finish_move(&m)?;
        s.ledger.mark_moved(&m)?;
    }
    Ok(Voided {
        campaign: campaign.id.clone(),
        cycle_date: date.to_string(),
        issued,
        moved_to,
    })
}
