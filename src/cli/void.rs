//! `dripmail void`: withdraw the latest cycle.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;

use super::{Place, print, print_json};

pub(super) fn void(
    campaign: &Path,
    date: NaiveDate,
    reason: &str,
    place: &Place,
    now: &str,
    json: bool,
) -> Result<()> {
    let c = crate::campaign::Campaign::load(campaign)?;
    let (out, ledger) = place.resolve(campaign);
    let who = format!(
        "{}@{}",
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into()),
        crate::lock::host_name()
    );
    let v = crate::session::void(
        &c,
        &crate::session::SessionOptions {
            ledger: &ledger,
            out: &out,
            new_ledger: false,
            started: now,
        },
        date,
        reason,
        &who,
    )?;
    if json {
        return print_json(&serde_json::to_value(&v)?);
    }
    let mut t = format!(
        "cycle {date} of `{}` voided: its {} {} due again at the next run\n",
        v.campaign,
        v.issued,
        if v.issued == 1 {
            "piece is"
        } else {
            "pieces are"
        }
    );
    if let Some(m) = &v.moved_to {
        t.push_str(&format!("its folder is now `{}`\n", m.display()));
    }
    t.push_str(&format!(
        "recorded in `{}` as voided by {who}\n",
        ledger.display()
    ));
    print(&t)
}
