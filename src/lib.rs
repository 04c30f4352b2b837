//! dripmail: runs one cycle of a drip direct-mail campaign, from contact CSVs to print-ready PDFs.

pub mod address;
pub mod campaign;
pub mod contacts;
pub mod csvin;
pub mod events;
pub mod schedule;
pub mod suppress;
pub mod units;
pub mod assets;
pub mod layout;
pub mod template;
pub mod render;
pub mod ledger;
pub mod job;
pub mod mailing;
pub mod output;
pub mod cycle;
pub mod cli;
pub mod starter;
