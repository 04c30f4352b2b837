//! The ledger's and the serial store's files: created whole, and what crashes leave beside them.

use std::path::{Path, PathBuf};

use rusqlite::OpenFlags;

use super::{LedgerError, connect};

/// True when `path` is absent or empty (an SQLite file is created empty, then written: a kill
/// in between leaves 0 bytes, which hold nothing).
pub(super) fn absent(path: &Path) -> Result<bool, LedgerError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() == 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(cause) => Err(LedgerError::Io {
            path: path.to_path_buf(),
            doing: "read",
            cause,
        }),
    }
}

/// The file a new ledger or store is built in before it is renamed to `path`.
pub(super) fn creating_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".creating-{}", std::process::id()));
    path.with_file_name(name)
}

/// The files in `path`'s folder whose names are `path`'s name followed by `infix` and more.
fn beside(path: &Path, infix: &str) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}{infix}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Removes files left beside `path` by a creation that was killed, and their journals.
/// Only called under the file's lock, so no live process is creating one.
pub(super) fn remove_leftovers(path: &Path) {
    for p in beside(path, ".creating-") {
        let _ = std::fs::remove_file(p);
    }
}

/// Removes super-journals of the ledger at `path` (`<ledger>-mjXXXXXXXX`, written by SQLite
/// when a commit spans the ledger and the serial store) that no journal lists any more. A kill
/// early in such a commit (before the files' journals were first flushed: they are not hot,
/// and SQLite ignores them) leaves the super-journal behind forever; once a later commit has
/// replaced those journals, it is an orphan. One that an existing journal lists is left to
/// SQLite, which may need it to roll back. Call it only while holding the ledger's lock.
pub fn remove_orphan_super_journals(path: &Path) {
    for super_journal in beside(path, "-mj") {
        // Its content: the path of each file's journal, each followed by a NUL.
        let Ok(bytes) = std::fs::read(&super_journal) else {
            continue;
        };
        let referenced = bytes
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .any(|p| Path::new(&*String::from_utf8_lossy(p)).exists());
        if !referenced {
            let _ = std::fs::remove_file(super_journal);
        }
    }
}

/// Creates the SQLite file `path` whole: `init` runs in one transaction on a file beside it,
/// which is flushed to disk and renamed into place, so `path` is either absent or complete.
/// Call it only while holding the file's lock.
pub(super) fn create_whole(
    path: &Path,
    doing: &'static str,
    init: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()>,
) -> Result<(), LedgerError> {
    let io = |doing, p: &Path| {
        let p = p.to_path_buf();
        move |cause| LedgerError::Io {
            path: p,
            doing,
            cause,
        }
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create the folder", dir))?;
    let tmp = creating_name(path);
    let _ = std::fs::remove_file(&tmp);
    {
        let conn = connect(
            &tmp,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            doing,
        )?;
        let sql = |cause| LedgerError::Sql {
            path: path.to_path_buf(),
            doing,
            cause,
        };
        conn.execute_batch("BEGIN").map_err(sql)?;
        init(&conn).map_err(sql)?;
        conn.execute_batch("COMMIT").map_err(sql)?;
    }
    crate::output::sync_file(&tmp).map_err(io("write", &tmp))?;
    crate::fault::point("ledger-create");
    std::fs::rename(&tmp, path).map_err(io("create", path))?;
    crate::output::sync_dir(dir).map_err(io("write", dir))
}
