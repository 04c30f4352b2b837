//! `dripmail report`: responses matched back to the pieces that preceded them, per step,
//! variant and holdout group, with the lift over the holdout and its 95 % interval.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use super::{Place, print, print_json, svg};
use crate::campaign::Campaign;
use crate::contacts::{Contacts, LoadOptions};
use crate::ledger::Ledger;
use crate::report::xml_escape;
use crate::response::{self, Tally};

/// What `report` was asked for.
pub(super) struct ReportArgs<'a> {
    pub(super) campaign: &'a Path,
    pub(super) responses: &'a Path,
    pub(super) window: u32,
    pub(super) cost_per_piece: Option<f64>,
    pub(super) csv: Option<&'a Path>,
    pub(super) chart: Option<&'a Path>,
    pub(super) place: &'a Place,
}

/// One line of the report: a step, a variant of it, or the whole campaign (`step` empty).
#[derive(Clone, Debug, Serialize)]
struct Line {
    step: String,
    variant: Option<String>,
    pieces: u64,
    responders: u64,
    responses: u64,
    response_rate: f64,
    revenue: f64,
    holdout_pieces: u64,
    holdout_responders: u64,
    holdout_rate: Option<f64>,
    /// Mailed rate minus holdout rate, with its 95 % interval (Newcombe).
    lift: Option<f64>,
    lift_low: Option<f64>,
    lift_high: Option<f64>,
    /// Lift over the holdout rate (0.5 = half as many responders again).
    relative_lift: Option<f64>,
    /// Responders the pieces brought who would not have responded anyway: lift × pieces.
    incremental_responders: Option<f64>,
    cost_per_response: Option<f64>,
    cost_per_incremental_response: Option<f64>,
}

pub(super) fn report(a: &ReportArgs<'_>, json: bool) -> Result<()> {
    let c = Campaign::load(a.campaign)?;
    let (_, ledger_path) = a.place.resolve(a.campaign);
    let Some(ledger) = Ledger::open_read(&ledger_path)? else {
        bail!(
            "no ledger at `{}`: no cycle was committed yet, so nothing was mailed to match responses to",
            ledger_path.display()
        );
    };
    let touches = ledger.touches(&c.id)?;
    let (responses, bad) = response::load(a.responses)?;
    // Responses that give only an address are matched through the contacts file.
    let (by_address, contacts_note) = match Contacts::load(&c.contacts, &LoadOptions::of(&c)) {
        Ok(k) => (response::address_index(&k), None),
        Err(e) => (
            std::collections::HashMap::new(),
            Some(format!(
                "the contacts file cannot be read ({e}): responses with only an address are not matched"
            )),
        ),
    };
    let (groups, exposures, how) = response::attribute(&touches, &responses, &by_address, a.window);
    // Steps in campaign order, then any the campaign no longer has.
    let mut steps: Vec<String> = c.steps.iter().map(|s| s.id.clone()).collect();
    for (step, _, _) in groups.keys() {
        if !step.is_empty() && !steps.contains(step) {
            steps.push(step.clone());
        }
    }
    let empty = Tally::default();
    let line = |step: &str, variant: Option<&String>| -> Option<Line> {
        let mailed = groups.get(&(step.to_string(), variant.cloned(), false));
        let control = groups
            .get(&(step.to_string(), None, true))
            .unwrap_or(&empty);
        let mailed = mailed?;
        let interval = response::lift_interval(
            mailed.responders,
            mailed.pieces,
            control.responders,
            control.pieces,
        );
        let lift = interval.map(|i| i.0);
        let cost = a.cost_per_piece.map(|p| p * mailed.pieces as f64);
        let incremental = lift.map(|l| l * mailed.pieces as f64);
        Some(Line {
            step: step.to_string(),
            variant: variant.cloned(),
            pieces: mailed.pieces,
            responders: mailed.responders,
            responses: mailed.responses,
            response_rate: mailed.rate(),
            revenue: round2(mailed.revenue),
            holdout_pieces: control.pieces,
            holdout_responders: control.responders,
            holdout_rate: (control.pieces > 0).then(|| control.rate()),
            lift,
            lift_low: interval.map(|i| i.1),
            lift_high: interval.map(|i| i.2),
            relative_lift: lift
                .filter(|_| control.rate() > 0.0)
                .map(|l| l / control.rate()),
            incremental_responders: incremental,
            cost_per_response: cost
                .filter(|_| mailed.responders > 0)
                .map(|c| round2(c / mailed.responders as f64)),
            cost_per_incremental_response: cost
                .zip(incremental)
                .filter(|(_, i)| *i > 0.0)
                .map(|(c, i)| round2(c / i)),
        })
    };
    let mut lines = Vec::new();
    for step in &steps {
        if let Some(l) = line(step, None) {
            lines.push(l);
        }
        let variants: Vec<&String> = groups
            .keys()
            .filter(|(s, v, h)| s == step && v.is_some() && !h)
            .filter_map(|(_, v, _)| v.as_ref())
            .collect();
        for v in variants {
            if let Some(l) = line(step, Some(v)) {
                lines.push(l);
            }
        }
    }
    let total = line("", None);
    let method = format!(
        "last touch within {} days: a response goes to its contact's latest issued or held-out piece on or before its date; lift = mailed response rate - holdout response rate, 95 % interval by Newcombe's hybrid score method",
        a.window
    );
    if let Some(path) = a.csv {
        write_csv(path, &lines, total.as_ref())?;
    }
    if let Some(path) = a.chart {
        std::fs::write(path, chart(&c, &lines))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let exposure_rows: Vec<serde_json::Value> = exposures
        .iter()
        .map(|(k, t)| {
            json!({"pieces_received": k, "contacts": t.pieces, "responders": t.responders,
                   "response_rate": t.rate(), "revenue": round2(t.revenue)})
        })
        .collect();
    if json {
        return print_json(&json!({
            "campaign": c.id,
            "window_days": a.window,
            "method": method,
            "attribution": how,
            "rejected_rows": bad,
            "steps": lines,
            "total": total,
            "exposures": exposure_rows,
            "warnings": contacts_note.into_iter().collect::<Vec<_>>(),
        }));
    }
    let mut t = format!(
        "campaign `{}`: {} responses in `{}`, {} matched to a contact, {} attributed (window {} days)\n",
        c.id,
        how.responses,
        a.responses.display(),
        how.matched,
        how.attributed,
        a.window
    );
    if how.unmatched > 0 {
        let _ = writeln!(
            t,
            "unmatched: {} (no contact id, piece id or address the ledger knows), lines {}{}",
            how.unmatched,
            how.unmatched_lines
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if how.unmatched > how.unmatched_lines.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    if how.outside_window > 0 {
        let _ = writeln!(
            t,
            "outside the window: {} (matched, but no piece in the {} days before)",
            how.outside_window, a.window
        );
    }
    for b in bad.iter().take(10) {
        let _ = writeln!(
            t,
            "rejected: {}:{}: {}",
            a.responses.display(),
            b.line,
            b.reason
        );
    }
    if let Some(note) = contacts_note {
        let _ = writeln!(t, "warning: {note}");
    }
    let _ = writeln!(
        t,
        "\n{:<18} {:>7} {:>6} {:>7} {:>9} {:>7} {:>7} {:>25} {:>10}",
        "step / variant",
        "pieces",
        "resp.",
        "rate",
        "revenue",
        "holdout",
        "h.rate",
        "lift [95 % CI]",
        "cost/resp"
    );
    for l in lines.iter().chain(total.as_ref()) {
        let name = match (&l.variant, l.step.as_str()) {
            (Some(v), s) => format!("  {s}/{v}"),
            (None, "") => "total".to_string(),
            (None, s) => s.to_string(),
        };
        let lift = match (l.lift, l.lift_low, l.lift_high) {
            (Some(d), Some(lo), Some(hi)) => {
                format!(
                    "{:+.2} pp [{:+.2}, {:+.2}]",
                    d * 100.0,
                    lo * 100.0,
                    hi * 100.0
                )
            }
            _ => "no holdout".into(),
        };
        let _ = writeln!(
            t,
            "{:<18} {:>7} {:>6} {:>6.2}% {:>9.2} {:>7} {:>7} {:>25} {:>10}",
            name,
            l.pieces,
            l.responders,
            l.response_rate * 100.0,
            l.revenue,
            l.holdout_pieces,
            l.holdout_rate
                .map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
            lift,
            l.cost_per_response
                .map_or("-".into(), |c| format!("{c:.2}")),
        );
    }
    if !exposures.is_empty() {
        let _ = writeln!(t, "\nexposures (contacts by pieces received):");
        for (k, e) in &exposures {
            let _ = writeln!(
                t,
                "  {k:>3} {:<7} {:>7} contacts, {:>6} responded ({:.2}%)",
                if *k == 1 { "piece" } else { "pieces" },
                e.pieces,
                e.responders,
                e.rate() * 100.0
            );
        }
    }
    let _ = writeln!(t, "\nmethod: {method}");
    print(&t)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The report as CSV: one row per step, variant and the total.
fn write_csv(path: &Path, lines: &[Line], total: Option<&Line>) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    w.write_record([
        "step",
        "variant",
        "pieces",
        "responders",
        "responses",
        "response_rate",
        "revenue",
        "holdout_pieces",
        "holdout_responders",
        "holdout_rate",
        "lift",
        "lift_low",
        "lift_high",
        "relative_lift",
        "incremental_responders",
        "cost_per_response",
        "cost_per_incremental_response",
    ])?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.6}"));
    for l in lines.iter().chain(total) {
        w.write_record([
            if l.step.is_empty() {
                "total".to_string()
            } else {
                l.step.clone()
            },
            l.variant.clone().unwrap_or_default(),
            l.pieces.to_string(),
            l.responders.to_string(),
            l.responses.to_string(),
            format!("{:.6}", l.response_rate),
            format!("{:.2}", l.revenue),
            l.holdout_pieces.to_string(),
            l.holdout_responders.to_string(),
            opt(l.holdout_rate),
            opt(l.lift),
            opt(l.lift_low),
            opt(l.lift_high),
            opt(l.relative_lift),
            opt(l.incremental_responders),
            opt(l.cost_per_response),
            opt(l.cost_per_incremental_response),
        ])?;
    }
    w.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// Response rate by step (and variant) as an SVG bar chart: mailed beside holdout, each bar
/// with its 95 % Wilson interval.
fn chart(c: &Campaign, lines: &[Line]) -> String {
    let (w, h) = (720.0_f64, 380.0_f64);
    let (left, right, top, bottom) = (svg::LEFT, svg::RIGHT, svg::TOP, 80.0);
    let bars: Vec<(String, u64, u64, u64, u64)> = lines
        .iter()
        .map(|l| {
            (
                match &l.variant {
                    Some(v) => format!("{}/{v}", l.step),
                    None => l.step.clone(),
                },
                l.responders,
                l.pieces,
                l.holdout_responders,
                l.holdout_pieces,
            )
        })
        .collect();
    let highest = bars
        .iter()
        .flat_map(|b| [response::wilson(b.1, b.2).1, response::wilson(b.3, b.4).1])
        .fold(0.01_f64, f64::max);
    // The axis ends on a round number: the next 1 % under 10 %, else the next 5 %.
    let step = if highest < 0.1 { 0.01 } else { 0.05 };
    let highest = ((highest / step).ceil() * step).min(1.0);
    let scale = (h - top - bottom) / highest;
    let slot = (w - left - right) / bars.len().max(1) as f64;
    let y = |rate: f64| h - bottom - rate * scale;
    let mut s = svg::start(
        w,
        h,
        &format!("Response rate by step: {}", c.name),
        "mailed beside holdout (control); bars: 95 % Wilson intervals",
    );
    // Gridlines every fifth of the highest value.
    for k in 0..=5 {
        let rate = highest * f64::from(k) / 5.0;
        svg::gridline(&mut s, w, y(rate), &format!("{:.1}%", rate * 100.0));
    }
    for (i, (name, x1, n1, x2, n2)) in bars.iter().enumerate() {
        let x0 = left + slot * i as f64;
        let bw = (slot * 0.3).min(60.0);
        for (j, (x, n, colour)) in [(*x1, *n1, "#2f6db5"), (*x2, *n2, "#b0b0b0")]
            .iter()
            .enumerate()
        {
            if *n == 0 {
                continue;
            }
            let rate = *x as f64 / *n as f64;
            let (lo, hi) = response::wilson(*x, *n);
            let bx = x0 + slot * 0.2 + j as f64 * (bw + 4.0);
            let _ = writeln!(
                s,
                r##"<rect x="{bx:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{colour}"/>"##,
                y(rate),
                rate * scale
            );
            let cx = bx + bw / 2.0;
            let _ = writeln!(
                s,
                r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="#000000"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#000000"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#000000"/>"##,
                y(lo),
                y(hi),
                cx - 5.0,
                y(lo),
                cx + 5.0,
                y(lo),
                cx - 5.0,
                y(hi),
                cx + 5.0,
                y(hi)
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            x0 + slot / 2.0,
            h - bottom + 18.0,
            xml_escape(name)
        );
    }
    let ly = h - 28.0;
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{:.1}" width="12" height="12" fill="#2f6db5"/><text x="{:.1}" y="{ly:.1}">mailed</text><rect x="{:.1}" y="{:.1}" width="12" height="12" fill="#b0b0b0"/><text x="{:.1}" y="{ly:.1}">holdout (control)</text>"##,
        ly - 10.0,
        left + 16.0,
        left + 80.0,
        ly - 10.0,
        left + 96.0
    );
    s.push_str("</svg>\n");
    s
}
