//! The report files of a cycle folder besides the manifest: rejects, preflight, summary and ticket.

use anyhow::Result;

use super::{Summary, job_ticket, relative};
use crate::job::Job;
use crate::output::Staging;

/// Writes a CSV file `name` of `rows` (header first) into the staging folder.
fn write_csv<I, R>(staging: &Staging, name: &str, rows: I) -> Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(staging.create(name)?);
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {}", e.error()))?
        .finish(staging)?;
    Ok(())
}

pub(crate) fn write_reports(job: &Job, summary: &Summary, staging: &Staging) -> Result<()> {
    let header = |h: &[&str]| h.iter().map(|s| (*s).to_string()).collect::<Vec<String>>();
    write_csv(
        staging,
        "rejects.csv",
        std::iter::once(header(&["file", "line", "reason"])).chain(job.rejects.iter().map(|r| {
            vec![
                relative(&r.file, job.campaign.dir()),
                r.line.to_string(),
                r.reason.clone(),
            ]
        })),
    )?;
    // The preflight report, for the operator: the postal rules each layout was checked
    // against, every piece held back, and every other warning.
    let postal = crate::check::postal(job);
    let checks = postal.iter().map(|c| {
        vec![
            c.status.to_string(),
            c.rule.map_or("postal", |r| r.id()).to_string(),
            c.layout.id.clone(),
            c.line.map_or(String::new(), |l| l.to_string()),
            String::new(),
            String::new(),
            c.detail.clone(),
        ]
    });
    let held = summary
        .not_issued
        .iter()
        .filter(|h| h.outcome == "held")
        .map(|h| {
            let layout = job
                .campaign
                .steps
                .iter()
                .find(|s| s.id == h.step)
                .map_or(String::new(), |s| s.layout.clone());
            vec![
                "hold".to_string(),
                h.kind.clone(),
                layout,
                h.line.map_or(String::new(), |l| l.to_string()),
                h.contact_id.clone(),
                h.step.clone(),
                h.reason.clone(),
            ]
        });
    // Postal warnings are in the rows above already.
    let warnings = summary
        .warnings
        .iter()
        .filter(|w| {
            !postal
                .iter()
                .any(|c| c.status == "warn" && w.ends_with(&c.detail))
        })
        .map(|w| {
            vec![
                "warn".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                w.clone(),
            ]
        });
    write_csv(
        staging,
        "preflight.csv",
        std::iter::once(header(&[
            "severity",
            "check",
            "layout",
            "line",
            "contact_id",
            "step",
            "reason",
        ]))
        .chain(checks)
        .chain(held)
        .chain(warnings),
    )?;
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    staging.write("summary.json", &json, None)?;
    staging.write("job-ticket.txt", job_ticket(job, summary).as_bytes(), None)?;
    let mut ticket = serde_json::to_vec_pretty(&super::ticket::job_ticket_json(job, summary))?;
    ticket.push(b'\n');
    staging.write("jobticket.json", &ticket, None)?;
    staging.write(
        "jobticket.xjdf",
        super::xjdf::job_ticket_xjdf(job, summary).as_bytes(),
        None,
    )?;
    Ok(())
}
