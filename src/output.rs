//! Cycle folders that are whole or absent: a cycle's files are written to a staging folder
//! beside the final one, flushed to disk, committed to the ledger with their checksums, and
//! only then renamed to `OUT/<campaign>/<date>`. A folder under that name is always a
//! committed cycle; [`finish_publish`] completes a rename a crash interrupted.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::error::Advice;
use crate::ledger::{FileSum, PendingMove, Publish};

/// Why a cycle folder could not be staged, checked or put in place.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or folder could not be created, written, flushed, read or renamed.
    #[error("cannot {doing}")]
    Io {
        /// What, with the path: "write `out/x.pdf`".
        doing: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The cycle folder's name is taken.
    #[error("`{}` exists already; dripmail never replaces a folder under a cycle's name", to.display())]
    Exists {
        /// The name that is taken.
        to: PathBuf,
        /// Where the files are.
        from: PathBuf,
    },
    /// A committed file is not as the ledger recorded it.
    #[error("`{}` is not the file the ledger committed (size or SHA-256 differs)", path.display())]
    NotAsCommitted {
        /// The file.
        path: PathBuf,
    },
    /// A committed cycle's staged files are not as committed.
    #[error("cycle {date} of `{campaign}` is committed but its staged files are damaged")]
    Damaged {
        /// Cycle date.
        date: NaiveDate,
        /// Campaign id.
        campaign: String,
        /// What is wrong with them.
        #[source]
        source: Box<OutputError>,
    },
    /// A committed cycle is both staged and under its final name.
    #[error(
        "cycle {date} of `{campaign}` is committed, its files are in `{}`, but `{}` exists already",
        staging.display(),
        folder.display()
    )]
    BothThere {
        /// Cycle date.
        date: NaiveDate,
        /// Campaign id.
        campaign: String,
        /// The staged files.
        staging: PathBuf,
        /// The final name.
        folder: PathBuf,
    },
    /// A committed cycle's files are nowhere.
    #[error(
        "cycle {date} of `{campaign}` is committed but neither its folder `{}` nor its staged files `{}` exist",
        folder.display(),
        staging.display()
    )]
    Gone {
        /// Cycle date.
        date: NaiveDate,
        /// Campaign id.
        campaign: String,
        /// The staged files.
        staging: PathBuf,
        /// The final name.
        folder: PathBuf,
    },
    /// A dry run was asked to publish: a bug.
    #[error("internal: a dry run has nothing to publish")]
    DryRun,
}

impl Advice for OutputError {
    fn hint(&self) -> Option<String> {
        match self {
            OutputError::Exists { from, .. } => Some(format!(
                "move it away, then run again: the committed files are in `{}`",
                from.display()
            )),
            OutputError::BothThere { folder, .. } => Some(format!(
                "move `{}` away: dripmail never replaces a cycle folder",
                folder.display()
            )),
            OutputError::Gone { date, .. } => Some(format!(
                "restore the folder from a backup, or withdraw the cycle with `dripmail void --date {date}`"
            )),
            _ => None,
        }
    }
}

/// Makes an I/O error an [`OutputError::Io`] saying what was being done.
fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> OutputError {
    let doing = doing.into();
    move |source| OutputError::Io { doing, source }
}

type Result<T, E = OutputError> = std::result::Result<T, E>;

/// Flushes the file at `path` to disk.
///
/// # Errors
/// When it cannot be opened or flushed.
pub fn sync_file(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

/// Flushes the directory `path` (its entries: names created, renamed or removed) to disk.
///
/// # Errors
/// When it cannot be opened or flushed.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Lower-case hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The folder one campaign's cycles go to in `OUT`: `OUT/<campaign>`. Campaign ids are
/// checked to be safe as a folder name, so campaigns can share `OUT`.
#[must_use]
pub fn campaign_root(out: &Path, campaign: &str) -> PathBuf {
    out.join(campaign)
}

/// A staging folder for one cycle's outputs, `OUT/<campaign>/.<date>.staging-XXXXXX`, locked
/// by its process (`…​.lock` beside it) so that cleaning up never removes a live one; or, for
/// a dry run, nowhere: files are counted and hashed, not written.
pub struct Staging {
    /// The folder, `None` for a dry run.
    dir: Option<PathBuf>,
    lock: Option<(File, PathBuf)>,
    target: PathBuf,
    files: Mutex<Vec<FileSum>>,
    published: bool,
}

impl Staging {
    /// Creates a staging folder in `root` for the cycle folder `root/<name>`.
    ///
    /// # Errors
    /// When the folder cannot be created or locked.
    pub fn new(root: &Path, name: &str) -> Result<Staging> {
        std::fs::create_dir_all(root)
            .map_err(io(format!("create output folder `{}`", root.display())))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(root)
            .map_err(io(format!(
                "create a staging folder in `{}`",
                root.display()
            )))?
            .keep();
        let lock_path = staging_lock(&dir);
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&lock_path)
            .and_then(|f| f.try_lock().map(|()| f).map_err(std::io::Error::from));
        let lock = match lock {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(io(format!("lock `{}`", lock_path.display()))(e));
            }
        };
        Ok(Staging {
            dir: Some(dir),
            lock: Some((lock, lock_path)),
            target: root.join(name),
            files: Mutex::new(Vec::new()),
            published: false,
        })
    }

    /// A staging that writes nothing (a dry run): files are only hashed and counted.
    #[must_use]
    pub fn discard(target: &Path) -> Staging {
        Staging {
            dir: None,
            lock: None,
            target: target.to_path_buf(),
            files: Mutex::new(Vec::new()),
            published: false,
        }
    }

    /// The staging folder (`None` for a dry run).
    #[must_use]
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn record(&self, sum: FileSum) {
        if let Ok(mut f) = self.files.lock() {
            f.push(sum);
        }
    }

    /// Writes `name` with `bytes`; `sha256` is its checksum when the caller has it already.
    ///
    /// # Errors
    /// On an I/O error.
    pub fn write(&self, name: &str, bytes: &[u8], sha256: Option<String>) -> Result<()> {
        if let Some(dir) = &self.dir {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(io(format!("write `{}`", path.display())))?;
        }
        self.record(FileSum {
            name: name.to_string(),
            bytes: bytes.len() as u64,
            sha256: sha256.unwrap_or_else(|| hex(&Sha256::digest(bytes))),
        });
        Ok(())
    }

    /// Opens `name` for streaming writes; [`StagedFile::finish`] records it.
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create(&self, name: &str) -> Result<StagedFile> {
        let file = match &self.dir {
            None => None,
            Some(dir) => {
                let path = dir.join(name);
                Some(std::io::BufWriter::new(
                    File::create(&path).map_err(io(format!("write `{}`", path.display())))?,
                ))
            }
        };
        Ok(StagedFile {
            name: name.to_string(),
            file,
            hash: Sha256::new(),
            bytes: 0,
        })
    }

    /// Flushes every file and the folder to disk and returns the files, by name: after this,
    /// a committed cycle's files survive a power cut.
    ///
    /// # Errors
    /// When a file cannot be flushed.
    pub fn seal(&self) -> Result<Vec<FileSum>> {
        use rayon::prelude::*;
        let mut files = self.files.lock().map(|f| f.clone()).unwrap_or_default();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(dir) = &self.dir {
            // In parallel: the file system commits concurrent flushes together.
            files.par_iter().try_for_each(|f| {
                let path = dir.join(&f.name);
                sync_file(&path).map_err(io(format!("flush `{}`", path.display())))
            })?;
            sync_dir(dir).map_err(io(format!("flush `{}`", dir.display())))?;
        }
        Ok(files)
    }

    /// Renames the staging folder to the cycle folder; call it after the ledger committed.
    ///
    /// # Errors
    /// When the cycle folder exists or the rename fails; the staging folder then stays, and
    /// the next run finishes the rename ([`finish_publish`]).
    pub fn publish(mut self) -> Result<PathBuf> {
        let Some(dir) = self.dir.clone() else {
            return Err(OutputError::DryRun);
        };
        // From here on the ledger owns the folder: never remove it, whatever happens.
        self.published = true;
        rename_into_place(&dir, &self.target)?;
        if let Some((file, path)) = self.lock.take() {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published
            && let Some(dir) = &self.dir
        {
            let _ = std::fs::remove_dir_all(dir);
            if let Some((file, path)) = self.lock.take() {
                drop(file);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// One file being streamed into a staging folder, hashed as it is written.
pub struct StagedFile {
    name: String,
    file: Option<std::io::BufWriter<File>>,
    hash: Sha256,
    bytes: u64,
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match &mut self.file {
            Some(f) => f.write(buf)?,
            None => buf.len(),
        };
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl StagedFile {
    /// Closes the file and records it in `staging`.
    ///
    /// # Errors
    /// When the last bytes cannot be written.
    pub fn finish(mut self, staging: &Staging) -> Result<()> {
        self.flush().map_err(io(format!("write `{}`", self.name)))?;
        staging.record(FileSum {
            name: self.name,
            bytes: self.bytes,
            sha256: hex(&self.hash.finalize()),
        });
        Ok(())
    }
}

/// The lock file of a staging folder: beside it, its name + `.lock`.
fn staging_lock(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    dir.with_file_name(name)
}

/// Renames `from` to `to`, which must not exist, and flushes the parent folder.
fn rename_into_place(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(OutputError::Exists {
            to: to.to_path_buf(),
            from: from.to_path_buf(),
        });
    }
    std::fs::rename(from, to).map_err(io(format!(
        "rename `{}` to `{}` (the next run tries again)",
        from.display(),
        to.display()
    )))?;
    if let Some(parent) = to.parent() {
        sync_dir(parent).map_err(io(format!("flush `{}`", parent.display())))?;
    }
    Ok(())
}

/// Checks that `dir` holds every file of `files` with its size and checksum.
///
/// # Errors
/// Naming the first file that is missing or differs.
pub fn verify(dir: &Path, files: &[FileSum]) -> Result<()> {
    use rayon::prelude::*;
    files.par_iter().try_for_each(|f| {
        let path = dir.join(&f.name);
        let bytes = std::fs::read(&path).map_err(io(format!("read `{}`", path.display())))?;
        if bytes.len() as u64 != f.bytes || hex(&Sha256::digest(&bytes)) != f.sha256 {
            return Err(OutputError::NotAsCommitted { path });
        }
        Ok(())
    })
}

/// Finishes publishing a cycle committed by a run that stopped before its folder was renamed:
/// checks the staged files against the ledger and renames the folder.
///
/// # Errors
/// When the files are missing or damaged, or the final name is taken.
pub fn finish_publish(p: &Publish) -> Result<()> {
    let have_final = p.folder.exists();
    let have_staging = p.staging.exists();
    match (have_final, have_staging) {
        (true, false) => Ok(()),
        (false, true) => {
            verify(&p.staging, &p.files).map_err(|e| OutputError::Damaged {
                date: p.date,
                campaign: p.campaign.clone(),
                source: Box::new(e),
            })?;
            rename_into_place(&p.staging, &p.folder)?;
            let _ = std::fs::remove_file(staging_lock(&p.staging));
            Ok(())
        }
        (true, true) => Err(OutputError::BothThere {
            date: p.date,
            campaign: p.campaign.clone(),
            staging: p.staging.clone(),
            folder: p.folder.clone(),
        }),
        (false, false) => Err(OutputError::Gone {
            date: p.date,
            campaign: p.campaign.clone(),
            staging: p.staging.clone(),
            folder: p.folder.clone(),
        }),
    }
}

/// Moves a voided cycle's folder aside (or notes that a crash already did).
///
/// # Errors
/// When the rename fails.
pub fn finish_move(m: &PendingMove) -> Result<()> {
    if m.folder.exists() && !m.moved_to.exists() {
        rename_into_place(&m.folder, &m.moved_to)?;
    }
    Ok(())
}

/// A free name beside `folder` for it once voided: `<date>.voided`, `.voided-2`, …
#[must_use]
pub fn voided_name(folder: &Path) -> PathBuf {
    let name = folder.file_name().unwrap_or_default().to_string_lossy();
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            folder.with_file_name(format!("{name}.voided"))
        } else {
            folder.with_file_name(format!("{name}.voided-{n}"))
        };
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// Removes staging folders in `root` whose process is gone (their lock is free), and staging
/// folders dripmail 0.1 left in `out` (`.<date>.partial-<pid>`, `.<date>.old-<pid>`) whose
/// process is gone. Returns what it removed. Call it after the ledger's committed but
/// unpublished cycles were put in place (`session::recover`): their staging folders are
/// unlocked too.
#[must_use]
pub fn remove_stale(root: &Path, out: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if !name.starts_with('.') || !name.contains(".staging-") {
                continue;
            }
            if let Some(dir_name) = name.strip_suffix(".lock") {
                // A lock file whose folder is gone (removed, or renamed into place).
                if !root.join(dir_name).exists() && lock_is_free(&path) {
                    let _ = std::fs::remove_file(&path);
                }
                continue;
            }
            if !lock_is_free(&staging_lock(&path)) {
                continue;
            }
            if std::fs::remove_dir_all(&path).is_ok() {
                let _ = std::fs::remove_file(staging_lock(&path));
                removed.push(path);
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name
                .rsplit_once(".partial-")
                .or_else(|| name.rsplit_once(".old-"))
                .and_then(|(_, pid)| pid.parse::<u32>().ok());
            let Some(pid) = pid else { continue };
            if name.starts_with('.') && !process_alive(pid) {
                let path = e.path();
                if std::fs::remove_dir_all(&path).is_ok() {
                    removed.push(path);
                }
            }
        }
    }
    removed
}

/// True when nobody holds the lock file at `path` (or there is none).
fn lock_is_free(path: &Path) -> bool {
    match OpenOptions::new().write(true).open(path) {
        Err(_) => true,
        Ok(f) => f.try_lock().is_ok(),
    }
}

/// Whether process `pid` exists, where the system says (`/proc`); elsewhere assumed alive.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    pid == std::process::id() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_is_removed_unless_published_and_never_replaces_a_folder() {
        let out = tempfile::tempdir().unwrap();
        let root = out.path().join("camp");
        let s = Staging::new(&root, "2026-11-24").unwrap();
        s.write("a.txt", b"hello", None).unwrap();
        let dir = s.dir().unwrap().to_path_buf();
        assert!(dir.join("a.txt").exists());
        drop(s);
        assert!(!dir.exists() && !staging_lock(&dir).exists());

        let s = Staging::new(&root, "2026-11-24").unwrap();
        s.write("a.txt", b"hello", None).unwrap();
        let sums = s.seal().unwrap();
        assert_eq!(sums[0].sha256.len(), 64);
        let folder = s.publish().unwrap();
        assert_eq!(std::fs::read(folder.join("a.txt")).unwrap(), b"hello");

        // A second staging of the same name cannot replace the published folder.
        let s = Staging::new(&root, "2026-11-24").unwrap();
        s.write("b.txt", b"other", None).unwrap();
        let err = s.publish().unwrap_err();
        assert!(format!("{err:#}").contains("never replaces"), "{err:#}");
        assert!(folder.join("a.txt").exists() && !folder.join("b.txt").exists());
    }

    #[test]
    fn stale_staging_of_a_dead_process_is_removed_a_live_one_kept() {
        let out = tempfile::tempdir().unwrap();
        let root = out.path().join("camp");
        let live = Staging::new(&root, "2026-11-24").unwrap();
        // A dead run's: a folder whose lock file nobody holds.
        let dead = root.join(".2026-11-17.staging-abc123");
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::write(staging_lock(&dead), "").unwrap();
        // dripmail 0.1's leftovers of a process that is gone.
        let legacy = out.path().join(".2026-11-10.partial-999999999");
        std::fs::create_dir_all(&legacy).unwrap();
        let removed = remove_stale(&root, out.path());
        assert!(!dead.exists() && !legacy.exists(), "{removed:?}");
        assert!(live.dir().unwrap().exists());
    }

    #[test]
    fn verify_finds_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"abc").unwrap();
        let mut sum = FileSum {
            name: "a".into(),
            bytes: 3,
            sha256: hex(&Sha256::digest(b"abc")),
        };
        verify(dir.path(), std::slice::from_ref(&sum)).unwrap();
        sum.sha256 = hex(&Sha256::digest(b"abd"));
        assert!(verify(dir.path(), &[sum]).is_err());
    }
}
