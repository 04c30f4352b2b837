//! Progress on long runs: a spinner while the job loads and the cycle is planned and
//! committed, a bar while pieces are rendered. Drawn on stderr, and only when stderr is a
//! terminal and the command is neither `--quiet` nor `--json`: a log or a JSON document never
//! gets a byte of it.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress is drawn; cheap to clone and pass down.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// No progress at all (libraries, tests, the benchmark).
    #[must_use]
    pub fn off() -> Progress {
        Progress { enabled: false }
    }

    /// Progress for a person at a terminal: on when stderr is one and the command is neither
    /// quiet nor printing JSON.
    #[must_use]
    pub fn for_terminal(quiet: bool, json: bool) -> Progress {
        Progress {
            enabled: !quiet && !json && std::io::stderr().is_terminal(),
        }
    }

    /// A spinner saying what is being done, until the returned [`Bar`] is dropped.
    #[must_use]
    pub fn spinner(&self, message: &'static str) -> Bar {
        if !self.enabled {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    /// A bar of `total` pieces, until the returned [`Bar`] is dropped.
    #[must_use]
    pub fn pieces(&self, message: &'static str, total: u64) -> Bar {
        if !self.enabled || total == 0 {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} pieces, {per_sec}, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(message);
        Bar(Some(bar))
    }
}

/// One spinner or bar; cleared from the terminal when dropped.
#[derive(Debug)]
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// Counts `n` more done.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_draws_nothing_and_costs_nothing() {
        let p = Progress::off();
        let bar = p.pieces("render", 10);
        assert!(bar.0.is_none());
        bar.inc(3);
        assert!(p.spinner("load").0.is_none());
        // Not a terminal under `cargo test`: never on, whatever the flags.
        if !std::io::stderr().is_terminal() {
            assert!(!Progress::for_terminal(false, false).enabled);
        }
        assert!(!Progress::for_terminal(true, false).enabled);
        assert!(!Progress::for_terminal(false, true).enabled);
    }
}
