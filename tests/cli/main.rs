//! Integration tests: the real `dripmail` binary on campaign files in a temp folder.

// A test and its helpers say what they expect by unwrapping and panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

mod bad_input;
mod commands;
mod crash;
mod exports;
mod json;
mod pdf;
mod progress;
mod run;
mod snapshots;
