//! Test switches that make crashes and faults happen at named points, for the kill tests.
//!
//! - `DRIPMAIL_TEST_CRASH=POINT` or `POINT#N`: abort the process (no destructor runs, as
//!   with SIGKILL) the first, or N-th, time it reaches POINT.
//! - `DRIPMAIL_TEST_PAUSE=POINT=FILE`: at POINT, create FILE and wait until it is removed (at
//!   most a minute), so a test can act while a run is at a known place.
//! - `DRIPMAIL_TEST_FAULT=NAME`: simulate a fault; `ledger-full` fails the commit halfway
//!   with SQLite's "database or disk is full" (a real full disk is tested on a tmpfs);
//!   `render-panic` panics while rendering a file, as a bug would.
//!
//! Unset, each check is one load of an initialised static.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

struct Switches {
    crash: Option<(String, usize)>,
    pause: Option<(String, String)>,
    fault: Option<String>,
    hits: Mutex<HashMap<String, usize>>,
}

fn switches() -> &'static Switches {
    static S: OnceLock<Switches> = OnceLock::new();
    S.get_or_init(|| {
        let var = |k| std::env::var(k).ok().filter(|v: &String| !v.is_empty());
        Switches {
            crash: var("DRIPMAIL_TEST_CRASH").map(|v| match v.split_once('#') {
                Some((p, n)) => (p.to_string(), n.parse().unwrap_or(1)),
                None => (v, 1),
            }),
            pause: var("DRIPMAIL_TEST_PAUSE").and_then(|v| {
                v.split_once('=')
                    .map(|(p, f)| (p.to_string(), f.to_string()))
            }),
            fault: var("DRIPMAIL_TEST_FAULT"),
            hits: Mutex::new(HashMap::new()),
        }
    })
}

/// A named point of a run: aborts or pauses there when a test asks for it.
pub fn point(name: &str) {
    let s = switches();
    if let Some((at, n)) = &s.crash
        && at == name
    {
        let hit = s.hits.lock().map_or(1, |mut h| {
            let c = h.entry(name.to_string()).or_insert(0);
            *c += 1;
            *c
        });
        if hit == *n {
            eprintln!("dripmail: test crash at {name}");
            std::process::abort();
        }
    }
    if let Some((at, file)) = &s.pause
        && at == name
    {
        let file = std::path::Path::new(file);
        let _ = std::fs::write(file, std::process::id().to_string());
        for _ in 0..6000 {
            if !file.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// True when the simulated fault `name` is on.
pub fn active(name: &str) -> bool {
    switches().fault.as_deref() == Some(name)
}
