//! SIGINT and SIGTERM: a run that is stopped before its commit removes its staging folder and
//! exits 1 with nothing committed; one stopped while committing finishes first.

use std::path::PathBuf;
use std::sync::Mutex;

struct State {
    /// Staging folders (and their lock files) to remove when stopped.
    staging: Vec<PathBuf>,
    /// True from the start of the commit to the end of the publish: a stop waits for it.
    committing: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    staging: Vec::new(),
    committing: false,
});

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        // Held until the process exits, so the run cannot start committing meanwhile.
        let state = STATE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.committing {
            eprintln!("note: stop requested while committing: finishing the commit first");
            return;
        }
        for dir in &state.staging {
            let _ = std::fs::remove_dir_all(dir);
            let mut lock = dir.clone().into_os_string();
            lock.push(".lock");
            let _ = std::fs::remove_file(lock);
        }
        eprintln!(
            "error: interrupted: nothing was committed; the next run starts this cycle again"
        );
        std::process::exit(1);
    });
}

/// Removes `dir` if the process is stopped before [`committing`].
pub fn track(dir: PathBuf) {
    if let Ok(mut s) = STATE.lock() {
        s.staging.push(dir);
    }
}

/// Stops tracking `dir` (removed, or handed over to the ledger).
pub fn untrack(dir: &std::path::Path) {
    if let Ok(mut s) = STATE.lock() {
        s.staging.retain(|d| d != dir);
    }
}

/// Runs `f` (the commit and the publish) with stops deferred until it returns.
pub fn committing<T>(f: impl FnOnce() -> T) -> T {
    if let Ok(mut s) = STATE.lock() {
        s.committing = true;
    }
    let out = f();
    if let Ok(mut s) = STATE.lock() {
        s.committing = false;
    }
    out
}
