//! `dripmail forecast`: the pieces each coming cycle would issue, for booking press time and
//! paper and budgeting postage.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use super::{Place, print, print_json, svg};
use crate::cycle::{self, Forecast};
use crate::error::Hinted;
use crate::ledger::Ledger;

/// What `forecast` was asked for.
pub(super) struct ForecastArgs<'a> {
    pub(super) campaign: &'a Path,
    pub(super) weeks: u32,
    pub(super) every: u32,
    pub(super) from: Option<NaiveDate>,
    pub(super) chart: Option<&'a Path>,
    pub(super) place: &'a Place,
    pub(super) progress: crate::progress::Progress,
}

pub(super) fn forecast(a: &ForecastArgs<'_>, today: NaiveDate, json: bool) -> Result<()> {
    let job = super::load_job(a.campaign, a.progress)?;
    let (_, ledger_path) = a.place.resolve(a.campaign);
    let ledger = Ledger::open_read(&ledger_path)?;
    let last = match &ledger {
        Some(l) => l.last_cycle(&job.campaign.id)?,
        None => None,
    };
    // The first cycle ahead: the one after the last committed, or today.
    let from = match (a.from, last) {
        (Some(from), Some(last)) if from <= last => {
            return Err(Hinted::new(
                format!("cycle {last} is committed already: a forecast starts after it"),
                format!(
                    "give --from a date after {last}, or leave it out for {}",
                    last + chrono::Days::new(u64::from(a.every))
                ),
            )
            .into());
        }
        (Some(from), _) => from,
        (None, Some(last)) => last + chrono::Days::new(u64::from(a.every)),
        (None, None) => today,
    };
    let days = u64::from(a.weeks) * 7;
    let cycles = usize::try_from(days.div_ceil(u64::from(a.every))).unwrap_or(usize::MAX);
    let spinner = a.progress.spinner("forecasting the cycles");
    let f = cycle::forecast(&job, ledger.as_ref(), from, a.every, cycles)?;
    drop(spinner);
    if let Some(path) = a.chart {
        std::fs::write(path, chart(&job.campaign.name, &f))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    if json {
        return print_json(&serde_json::to_value(&f)?);
    }
    let mut t = format!(
        "campaign `{}`: {} cycles every {} days from {from}\n\n{:<10} {:>7} {:>8} {:>8} {:>7} {:>8}\n",
        f.campaign,
        f.cycles.len(),
        f.every_days,
        "cycle",
        "pieces",
        "held out",
        "expired",
        "held",
        "carried"
    );
    for c in &f.cycles {
        let _ = writeln!(
            t,
            "{:<10} {:>7} {:>8} {:>8} {:>7} {:>8}",
            c.date, c.pieces, c.holdout, c.expired, c.held, c.carried_over
        );
    }
    let total: u64 = f.cycles.iter().map(|c| c.pieces).sum();
    let _ = writeln!(t, "{:<10} {total:>7}", "total");
    // Per step, layout and class over the horizon.
    let mut by: std::collections::BTreeMap<(String, String, String), u64> = Default::default();
    for c in &f.cycles {
        for r in &c.rows {
            let step = match &r.variant {
                Some(v) => format!("{}/{v}", r.step),
                None => r.step.clone(),
            };
            *by.entry((step, r.layout.clone(), r.mail_class.clone()))
                .or_default() += r.pieces;
        }
    }
    if !by.is_empty() {
        let _ = writeln!(t, "\nby step, layout and mail class:");
        for ((step, layout, class), n) in &by {
            let _ = writeln!(
                t,
                "  {step:<16} {layout:<14} {:<32} {n:>7}",
                if class.is_empty() {
                    "(no [postage])"
                } else {
                    class
                }
            );
        }
    }
    if !f.by_stock.is_empty() {
        let _ = writeln!(t, "\npaper (pieces by stock):");
        for (stock, n) in &f.by_stock {
            let _ = writeln!(t, "  {stock:<40} {n:>7}");
        }
    }
    let _ = writeln!(t, "\nassumes: {}", f.assumes);
    print(&t)
}

/// Pieces per cycle as an SVG bar chart.
fn chart(name: &str, f: &Forecast) -> String {
    let (w, h) = (760.0_f64, 340.0_f64);
    let (left, right, top, bottom) = (svg::LEFT, svg::RIGHT, svg::TOP, 70.0);
    // The axis ends on a multiple of 4, so its four gridlines fall on whole pieces.
    let most = f.cycles.iter().map(|c| c.pieces).max().unwrap_or(0);
    let highest = most.max(1).div_ceil(4).saturating_mul(4) as f64;
    let scale = (h - top - bottom) / highest;
    let slot = (w - left - right) / f.cycles.len().max(1) as f64;
    let mut s = svg::start(
        w,
        h,
        &format!("Pieces per cycle: {name}"),
        "forecast, assuming no new contacts or events",
    );
    for k in 0..=4 {
        let v = highest * f64::from(k) / 4.0;
        svg::gridline(&mut s, w, h - bottom - v * scale, &format!("{v:.0}"));
    }
    let every = (f.cycles.len() / 12).max(1);
    for (i, c) in f.cycles.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let bh = c.pieces as f64 * scale;
        let _ = writeln!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#2f6db5"/>"##,
            h - bottom - bh,
            slot * 0.7
        );
        if i % every == 0 {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end" transform="rotate(-45 {:.1} {:.1})">{}</text>"##,
                x + slot * 0.35,
                h - bottom + 14.0,
                x + slot * 0.35,
                h - bottom + 14.0,
                c.date
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
