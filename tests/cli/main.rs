//! Integration tests: the real `dripmail` binary on campaign files in a temp folder.

mod util;

mod bad_input;
mod commands;
mod crash;
mod pdf;
mod run;
mod snapshots;
