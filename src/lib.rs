//! dripmail: runs one cycle of a drip direct-mail campaign, from contact CSVs to print-ready PDFs.

pub mod address;
pub mod assets;
pub mod campaign;
pub mod cli;
pub mod contacts;
pub mod csvin;
pub mod cycle;
pub mod events;
pub mod imb;
pub mod job;
pub mod layout;
pub mod ledger;
pub mod mailing;
pub mod output;
pub mod render;
pub mod schedule;
pub mod starter;
pub mod suppress;
pub mod template;
pub mod units;
