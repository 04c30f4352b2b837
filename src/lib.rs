//! dripmail: runs one cycle of a drip direct-mail campaign, from contact CSVs to print-ready PDFs.

/// mimalloc for every binary and test that links the library: a piece makes many small
/// allocations on every thread, and glibc's malloc was ~15 % of a cycle.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod address;
pub mod assets;
pub mod campaign;
pub mod check;
pub mod cli;
pub mod compose;
pub mod contacts;
pub mod csvin;
pub mod cycle;
pub mod error;
pub mod events;
pub mod fault;
pub mod hold;
pub mod imb;
pub mod interrupt;
pub mod job;
pub mod layout;
pub mod ledger;
pub mod lock;
pub mod mailing;
pub mod merge;
pub mod output;
pub mod render;
pub mod report;
pub mod schedule;
pub mod session;
pub mod starter;
pub mod suppress;
pub mod units;
