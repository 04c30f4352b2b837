//! dripmail: runs one cycle of a drip direct-mail campaign, from contact CSVs to print-ready PDFs.

/// mimalloc for every binary and test that links the library: a piece makes many small
/// allocations on every thread, and glibc's malloc was ~15 % of a cycle.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub(crate) mod address;
pub(crate) mod assets;
pub(crate) mod campaign;
pub(crate) mod check;
pub mod cli;
pub(crate) mod columns;
pub(crate) mod compose;
pub(crate) mod contacts;
pub(crate) mod csvin;
pub mod cycle;
pub(crate) mod dates;
pub mod error;
pub(crate) mod events;
pub(crate) mod fault;
#[cfg(test)]
mod fuzz;
pub(crate) mod hold;
pub mod imb;
pub mod impose;
pub(crate) mod interrupt;
pub mod job;
pub(crate) mod layout;
pub(crate) mod ledger;
pub(crate) mod lines;
pub(crate) mod lock;
pub(crate) mod mailing;
pub(crate) mod merge;
pub(crate) mod output;
pub(crate) mod places;
pub mod progress;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod resources;
pub(crate) mod response;
pub(crate) mod schedule;
pub(crate) mod session;
pub(crate) mod snapshot;
pub(crate) mod starter;
pub(crate) mod suppress;
pub(crate) mod units;
pub(crate) mod words;
