//! One writer at a time: an advisory lock on a file beside the ledger (and beside each IMb
//! serial store), held for the whole run.
//!
//! The operating system releases the lock when its process ends, however it ends, so a run
//! that crashed or was killed never blocks the next one. The file keeps the holder's pid,
//! host, start time and command line, so a refused run can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Who holds (or wants) a lock.
#[derive(Clone, Debug)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// When the run started (UTC, RFC 3339).
    pub started: String,
    /// The command line.
    pub command: String,
}

impl Holder {
    /// This process, started at `started`.
    #[must_use]
    pub fn this_process(started: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            host: host_name(),
            started: started.to_string(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "pid {}\nhost {}\nstarted {}\ncommand {}\n",
            self.pid, self.host, self.started, self.command
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut h = Holder {
            pid: 0,
            host: String::new(),
            started: String::new(),
            command: String::new(),
        };
        for line in text.lines() {
            let (k, v) = line.split_once(' ')?;
            match k {
                "pid" => h.pid = v.parse().ok()?,
                "host" => h.host = v.into(),
                "started" => h.started = v.into(),
                "command" => h.command = v.into(),
                _ => {}
            }
        }
        (h.pid != 0).then_some(h)
    }
}

/// The machine's name, for lock messages.
#[must_use]
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error("{}", held_words(what, holder.as_deref()))]
    Held {
        /// What the lock protects, in words ("the ledger `…`").
        what: String,
        /// The lock file.
        path: PathBuf,
        /// Who holds it, when the file says.
        holder: Option<Box<Holder>>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {what} (lock file `{}`): {cause}", path.display())]
    Io {
        /// What the lock protects.
        what: String,
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
}

fn held_words(what: &str, holder: Option<&Holder>) -> String {
    let by = holder.map_or_else(
        || "another process".to_string(),
        |h| {
            format!(
                "pid {} on {} since {} (`{}`)",
                h.pid, h.host, h.started, h.command
            )
        },
    );
    format!("{what} is locked by {by}: another run is in progress")
}

impl crate::error::Advice for LockError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            LockError::Held { path, .. } => format!(
                "wait until it ends and run again; a lock whose process died is released by itself (lock file `{}`)",
                path.display()
            ),
            LockError::Io { .. } => "check that this user may write its folder".to_string(),
        })
    }

    fn exit(&self) -> crate::error::Exit {
        match self {
            LockError::Held { .. } => crate::error::Exit::Busy,
            LockError::Io { .. } => crate::error::Exit::Failure,
        }
    }
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock on the file `path` for `what`, or fails at once naming its holder.
    ///
    /// # Errors
    /// [`LockError::Held`] when a live process holds it; [`LockError::Io`] when the file
    /// cannot be created or the file system cannot lock.
    pub fn acquire(path: &Path, what: &str, me: &Holder) -> Result<Lock, LockError> {
        let io = |cause| LockError::Io {
            what: what.to_string(),
            path: path.to_path_buf(),
            cause,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                // The holder may be writing its line right now: read it again once.
                let mut holder = None;
                for _ in 0..2 {
                    text.clear();
                    let _ = file.rewind();
                    let _ = file.read_to_string(&mut text);
                    holder = Holder::parse(&text).map(Box::new);
                    if holder.is_some() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                return Err(LockError::Held {
                    what: what.to_string(),
                    path: path.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Ours now: say who holds it (a dead holder's line is simply replaced).
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.to_text().as_bytes()).map_err(io)?;
        Ok(Lock { _file: file })
    }
}

/// The lock file of `path` (a ledger or serial store): `path` + `.lock`.
#[must_use]
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite.lock");
        let me = Holder {
            pid: 4711,
            host: "press-1".into(),
            started: "2026-12-01T06:00:00Z".into(),
            command: "dripmail run campaign.toml".into(),
        };
        let held = Lock::acquire(&path, "the ledger `l`", &me).unwrap();
        let err = Lock::acquire(&path, "the ledger `l`", &me).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("pid 4711 on press-1 since 2026-12-01T06:00:00Z")
                && text.contains("another run is in progress"),
            "{text}"
        );
        drop(held);
        Lock::acquire(&path, "the ledger `l`", &me).unwrap();
    }
}
