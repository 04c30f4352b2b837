//! How a failure reaches the person or scheduler that ran a command: the chain of what went
//! wrong, then one hint saying what to do, and an exit status a script can act on.
//!
//! Errors are typed where they arise (`LedgerError`, `LockError`, `CsvError`, `FatalHold`,
//! ...) and say what happened in their `Display`; what to do is their [`Advice`], never part
//! of the message, so wrapping an error in context cannot put a hint in the middle of the
//! chain. [`Hinted`] is the advice-carrying error for the places that have no type of their
//! own. The binary prints `error: <chain>`, then `hint: <hint>`, and exits with
//! [`Exit::code`].

use std::error::Error as StdError;

/// What a failure means for whoever runs the command, as the process's exit status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Exit {
    /// 1: the command failed (bad input, a damaged ledger, a full disk...); nothing was
    /// committed unless the message says so. Fix what it says and run again.
    #[default]
    Failure,
    /// 2: the command line is wrong (an unknown option, a date that needs
    /// `--allow-future-date`). Nothing was read or written.
    Usage,
    /// 3: another run holds the lock on the ledger or serial store. Nothing was done; run
    /// again later (a scheduler may simply retry).
    Busy,
}

impl Exit {
    /// The process exit status.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Busy => 3,
        }
    }
}

/// What to do about an error, and the exit status it calls for.
pub trait Advice {
    /// One sentence saying what to do, printed after the whole chain.
    fn hint(&self) -> Option<String>;

    /// The exit status.
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// An error with a hint, for failures that have no error type of their own.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    message: String,
    hint: String,
    exit: Exit,
}

impl Hinted {
    /// A failure (exit 1) with what to do about it.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Hinted {
        Hinted {
            message: message.into(),
            hint: hint.into(),
            exit: Exit::Failure,
        }
    }

    /// A wrong command line (exit 2) with what to do about it.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Hinted {
        Hinted {
            exit: Exit::Usage,
            ..Hinted::new(message, hint)
        }
    }
}

impl Advice for Hinted {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }

    fn exit(&self) -> Exit {
        self.exit
    }
}

/// An error and what it left behind ("nothing was committed: the next run starts this cycle
/// again"), said after the hint so a scheduler's log ends with the state of the ledger.
#[derive(Debug)]
pub struct Aftermath {
    /// What went wrong.
    pub error: anyhow::Error,
    /// What state it left things in.
    pub state: String,
}

impl std::fmt::Display for Aftermath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The whole chain: this error has no `source` of its own.
        write!(f, "{:#}", self.error)
    }
}

impl StdError for Aftermath {}

/// What the binary prints after an error's chain, and its exit status.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What to do.
    pub hint: Option<String>,
    /// What state the failure left things in.
    pub state: Option<String>,
    /// The exit status.
    pub exit: Exit,
}

/// The advice of the innermost error in `error`'s chain that has some (the root cause knows
/// best what to do), and what the failure left behind.
#[must_use]
pub fn advice(error: &anyhow::Error) -> Report {
    let mut report = Report::default();
    for cause in error.chain() {
        if let Some(a) = cause.downcast_ref::<Aftermath>() {
            let inner = advice(&a.error);
            report.hint = inner.hint.or(report.hint);
            report.exit = inner.exit;
            report.state = Some(a.state.clone());
        } else if let Some(a) = as_advice(cause) {
            report.hint = a.hint();
            report.exit = a.exit();
        }
    }
    report
}

/// `cause` as an [`Advice`] when its type has one.
fn as_advice<'a>(cause: &'a (dyn StdError + 'static)) -> Option<&'a dyn Advice> {
    macro_rules! try_types {
        ($($t:ty),* $(,)?) => {
            $(if let Some(a) = cause.downcast_ref::<$t>() {
                return Some(a);
            })*
        };
    }
    try_types!(
        Hinted,
        crate::ledger::LedgerError,
        crate::lock::LockError,
        crate::csvin::CsvError,
        crate::compose::FatalHold,
        crate::output::OutputError,
        crate::merge::MergeError,
        crate::job::LoadError,
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn the_hint_comes_from_the_root_cause_not_the_context() {
        let e = Err::<(), _>(Hinted::usage("date too far", "add --allow-future-date"))
            .context("cannot run")
            .unwrap_err();
        assert_eq!(format!("{e:#}"), "cannot run: date too far");
        let usage = Report {
            hint: Some("add --allow-future-date".to_string()),
            state: None,
            exit: Exit::Usage,
        };
        assert_eq!(advice(&e), usage);
        let plain = anyhow::anyhow!("no advice");
        assert_eq!(advice(&plain), Report::default());
        // An error wrapped with what it left behind keeps its own advice.
        let after = anyhow::Error::new(Aftermath {
            error: e,
            state: "nothing was committed".into(),
        });
        assert_eq!(format!("{after:#}"), "cannot run: date too far");
        assert_eq!(
            advice(&after),
            Report {
                state: Some("nothing was committed".into()),
                ..usage
            }
        );
        assert_eq!(
            [Exit::Failure, Exit::Usage, Exit::Busy].map(Exit::code),
            [1, 2, 3]
        );
    }
}
